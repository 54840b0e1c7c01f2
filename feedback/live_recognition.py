"""Live without `--exercise`: notice which exercise the person is doing, say it, switch.

`LiveRecognition` is the reusable piece: fed each frame's pose, it keeps the streaming
recogniser's verdict (exercises.recognise.Recogniser: a trailing 2.4 s window, a new label
held 1.5 s before it counts) and tells when the person has started an exercise other than
the one under way. A routine runner can use it to notice a different exercise from the one
it announced. What is said comes from the exercise's spec ("Plank - hold it").

`run_live` (feedback.live) uses it to split a session into parts on one camera, window,
voice and pose estimator: a watching part until an exercise is recognised, then the normal
live session of that exercise (its checker, overlay, cues and report) until another exercise
is recognised, and so on. Each exercise part is saved as a session of its own. The frames
flow through `PartFrames`, which lets one part end and the next carry on with the same
stream (no frame lost or repeated, timestamps rising throughout).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from exercises.base import Assessment, Checker, ViewProblem, ViewVerdict
from exercises.recognise import OTHER, Recogniser
from exercises.registry import spec_for
from exercises.spec import Counts
from feedback.overlay import SkeletonAnnotator, StatusInfo, StatusPanel
from vision.pose import Pose

WATCH_CUE = "Start your exercise, side-on to the camera"


def announcement(exercise: str) -> str:
    """What is said when `exercise` is recognised: its title and what happens next."""
    spec = spec_for(exercise)
    return f"{spec.title} - hold it" if spec.counts == Counts.HOLD else f"{spec.title} - I'll count"


@dataclass(frozen=True)
class Switch:
    """The person has started `exercise`; `said` is its announcement."""

    exercise: str
    said: str


class LiveRecognition:
    """Which exercise the person is doing now, from a stream of poses; and the poses it was
    recognised from (`evidence`: the last window plus the switching delay), so whoever acts on
    it can judge the exercise from its start rather than from the moment it was sure."""

    def __init__(self, recogniser: Recogniser | None = None) -> None:
        self.recogniser = recogniser or Recogniser()
        self.label = OTHER  # the recogniser's verdict now: an exercise or "other"
        self._keep_ms = 1000.0 * self.recogniser.rules.window_s + self.recogniser.switch_ms
        self._recent: deque[tuple[Pose | None, float, int]] = deque()

    def update(self, pose: Pose | None, t_ms: float, frame_index: int = 0) -> str:
        self.label = self.recogniser.update(pose, t_ms).label
        self._recent.append((pose, t_ms, frame_index))
        while t_ms - self._recent[0][1] > self._keep_ms:
            self._recent.popleft()
        return self.label

    def evidence(self) -> list[tuple[Pose | None, float, int]]:
        """(pose, t_ms, frame_index) of the last window_s + switch_s, oldest first."""
        return list(self._recent)

    def switch_from(self, doing: str | None) -> Switch | None:
        """A Switch if an exercise other than `doing` (None: none yet) is recognised now.
        "Other" never ends an exercise: a rest between reps is part of the set."""
        if self.label == OTHER or self.label == doing:
            return None
        return Switch(self.label, announcement(self.label))


class RecognisingEstimator:
    """A pose estimator that also feeds each pose it returns to `recognition` (before any
    smoothing: the recogniser reads the raw world landmarks, as offline)."""

    def __init__(self, inner: Any, recognition: LiveRecognition) -> None:
        self.inner, self.recognition = inner, recognition

    def estimate(self, image: Any, t_ms: float, frame_index: int) -> Pose | None:
        pose = self.inner.estimate(image, t_ms, frame_index)
        self.recognition.update(pose, t_ms, frame_index)
        return pose

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class PartFrames:
    """One stream of frames shared by consecutive pipeline runs (parts): each part iterates
    until it stops, the next goes on from the following frame."""

    def __init__(self, frames: Iterable[Any]) -> None:
        self._it = iter(frames)
        self.ended = False  # the stream itself ran out (clip end, camera gone, q)

    def part(self) -> Iterator[Any]:
        # A plain loop, not `yield from`: closing a part must not close the shared stream.
        for frame in self._it:  # noqa: UP028 (see above)
            yield frame
        self.ended = True


class WatchingChecker(Checker):
    """The checker of the watching part: judges nothing, shows the person and whether they
    can be seen, while the recogniser waits for an exercise."""

    name = OTHER
    title = "Recognising"
    main_signals = ()

    def update(self, pose: Pose | None, t_ms: float, frame_index: int) -> Assessment:
        view = ViewVerdict(True) if pose is not None else ViewVerdict(False, problem=ViewProblem.NO_PERSON)
        return Assessment(OTHER, t_ms, frame_index, view, "recognising", {}, pose=pose)

    def reset(self) -> None:
        pass


class WatchingOverlay:
    """Draws the watching part: the skeleton and a panel naming the exercises looked for."""

    def __init__(self) -> None:
        self.skeleton = SkeletonAnnotator()
        self.status = StatusPanel()

    def reset(self) -> None:
        pass

    def draw(self, image: np.ndarray, assessment: Assessment, cues: Any = None) -> np.ndarray:
        self.skeleton.annotate(image, assessment)
        self.status.annotate(image, StatusInfo("Recognising", "Start", "hinge, plank or cat-cow"))
        return image
