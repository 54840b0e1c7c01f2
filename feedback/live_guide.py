"""Getting the person into place: the setup guide's words before anything is counted, and
the one view problem only the frame can show ("It's too dark")."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple

from exercises.base import VIEW_MESSAGES, Assessment, Checker, ViewProblem

if TYPE_CHECKING:
    from feedback.live_camera import LiveFrames

READY = "Ready"
# Mean grey level (0-255) of a frame below which a missing person is blamed on the light.
DARK_LUMA = 40.0


class GuidedChecker(Checker):
    """The exercise's checker, plus "too dark" when nobody can be judged in a dark frame.

    Darkness needs the image, which checkers never see; it only replaces a verdict that
    already said the frame cannot be judged, so counting is exactly the checker's own.
    """

    def __init__(self, inner: Checker, frames: LiveFrames, dark_luma: float = DARK_LUMA) -> None:
        self.inner = inner
        self.frames = frames
        self.dark_luma = dark_luma
        self.name = inner.name
        self.title = inner.title
        self.main_signals = inner.main_signals
        self.counts = inner.counts
        self.start_position = inner.start_position
        self.thresholds = inner.thresholds

    def update(self, pose, t_ms: float, frame_index: int) -> Assessment:
        a = self.inner.update(pose, t_ms, frame_index)
        luma = self.frames.luma
        if luma is not None and luma < self.dark_luma and (a.pose is None or not a.view.ok):
            a = replace(a, view=replace(a.view, ok=False, problem=ViewProblem.TOO_DARK))
        return a

    def reset(self) -> None:
        self.inner.reset()

    def finish(self, t_ms: float):
        return self.inner.finish(t_ms)


class GuideWords(NamedTuple):
    text: str | None  # to show, or None
    say: list[str]  # phrases to say now


class SetupGuide:
    """Words that get the person into the start position before anything is counted.

    The view problems that stop judging (no person, not side-on, body cut off, too dark) are
    the cue policy's. This covers what comes with a usable view: not yet in the exercise's
    start position, and other people in the picture (the checker keeps following one person,
    so judging goes on, but the user should know).
    """

    def __init__(self, start_text: str, after_ms: float = 800.0, repeat_ms: float = 15000.0) -> None:
        self.start_text = start_text  # the exercise's start cue, e.g. "Stand tall, side-on to the camera"
        self.after_ms = after_ms
        self.repeat_ms = repeat_ms
        self.reset()

    def reset(self) -> None:
        self._since: dict[str, float] = {}  # text -> when its condition began
        self._said_at: dict[str, float] = {}
        self.ready = False  # reached the start position since the session (or reset) began

    def update(self, a: Assessment) -> GuideWords:
        """What to show and say for this frame."""
        if a.pose is None or not a.view.ok:
            self._since.clear()
            return GuideWords(None, [])
        say: list[str] = []
        if a.in_position and not self.ready:
            self.ready = True
            say.append(READY)
        wanted = None
        if a.view.problem is ViewProblem.SEVERAL_PEOPLE:
            wanted = VIEW_MESSAGES[ViewProblem.SEVERAL_PEOPLE]
        elif not a.in_position:
            wanted = self.start_text
        self._since = {k: v for k, v in self._since.items() if k == wanted}
        if wanted is None:
            return GuideWords(None, say)
        since = self._since.setdefault(wanted, a.t_ms)
        if a.t_ms - since < self.after_ms:  # give the person a moment before nagging
            return GuideWords(None, say)
        last = self._said_at.get(wanted)
        if last is None or a.t_ms - last >= self.repeat_ms:
            self._said_at[wanted] = a.t_ms
            say.append(wanted)
        return GuideWords(wanted, say)
