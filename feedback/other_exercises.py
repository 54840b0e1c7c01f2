"""`analyze --exercise X`: stretches of another exercise are left out of the judging.

A plank video with a hip hinge in the middle would otherwise read as a badly held plank. The
first run is the ordinary analysis, with the poses tapped for the recogniser
(exercises.recognise) on the way; a video in which it finds no segment of another exercise
keeps that run's result unchanged. Otherwise the outputs of the first run are dropped (none
were committed) and a second run judges the video without the frames of those segments: the
checker sees a gap in time there, as in a paused live session (a hold stops, a rep under way
is abandoned), and the report lists them under `skipped_segments`.

"Other" stretches (standing about, setting up) are never skipped: judging them is the
checker's own business, as it always was. Nor is anything skipped when the named exercise
is not recognised anywhere in the video: then the user's word wins and the whole video is
judged as that exercise.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from exercises.recognise import (
    EXERCISE_LABELS,
    FEATURES,
    Segment,
    features_of_landmarks,
    landmarks_of,
    recognise,
)


@dataclass(frozen=True)
class Skipped:
    """A segment of another exercise: frames [start, end) of the video, times in seconds."""

    exercise: str
    start: int
    end: int
    start_s: float
    end_s: float
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise,
            "start_s": self.start_s,
            "end_s": self.end_s,
            "confidence": self.confidence,
        }


class OtherExercisesFound(Exception):
    """Raised after a first run that found segments of other exercises: run again without them.
    Not a BackformError: it never reaches the user."""

    def __init__(self, skipped: tuple[Skipped, ...]) -> None:
        super().__init__(f"{len(skipped)} segment(s) of other exercises")
        self.skipped = skipped


def other_exercise_segments(segments: Iterable[Segment], exercise: str) -> tuple[Skipped, ...]:
    """The segments to skip when judging `exercise`: those of another exercise, provided
    `exercise` itself was recognised somewhere (else nothing: the user named it)."""
    segments = list(segments)
    if not any(s.label == exercise for s in segments):
        return ()
    return tuple(
        Skipped(
            s.label, s.start, s.end, round(s.start_ms / 1000.0, 2), round(s.end_ms / 1000.0, 2), s.confidence
        )
        for s in segments
        if s.label in EXERCISE_LABELS and s.label != exercise
    )


class FeatureRows:
    """The recogniser's features of a video, frame by frame: landmarks are gathered and
    turned into features a chunk at a time in one numpy pass (features_of_landmarks), so the
    per-frame cost stays off the analysis's hot path and only a dozen numbers a frame are kept."""

    CHUNK = 256

    def __init__(self) -> None:
        self._done: list[np.ndarray] = []
        self._landmarks: list[np.ndarray] = []
        self.times: list[float] = []

    def add(self, pose: Any, t_ms: float) -> None:
        self._landmarks.append(landmarks_of(pose))
        self.times.append(float(t_ms))
        if len(self._landmarks) >= self.CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self._landmarks:
            self._done.append(features_of_landmarks(np.array(self._landmarks)))
            self._landmarks.clear()

    def __len__(self) -> int:
        return len(self.times)

    def features(self) -> np.ndarray:
        self._flush()
        return np.concatenate(self._done) if self._done else np.empty((0, len(FEATURES)))


class _FeatureTap:
    """An estimator that passes its inner estimator's poses on and keeps each frame's
    recogniser features."""

    def __init__(self, inner: Any, rows: FeatureRows) -> None:
        self.inner, self.rows = inner, rows
        if hasattr(inner, "stream"):  # a parallel pool hands back whole streams
            self.stream = self._stream

    def estimate(self, image: Any, t_ms: float, frame_index: int) -> Any:
        pose = self.inner.estimate(image, t_ms, frame_index)
        self.rows.add(pose, t_ms)
        return pose

    def _stream(self, source: Iterable[Any]) -> Iterator[tuple[Any, Any, float]]:
        for frame, pose, wait_s in self.inner.stream(source):
            self.rows.add(pose, frame.t_ms)
            yield frame, pose, wait_s

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class OtherExercises:
    """One analysis run's part in it: taps the poses (first run) or drops the frames of the
    skipped segments (second run, `skipped` known)."""

    def __init__(self, exercise: str, skipped: tuple[Skipped, ...] | None = None) -> None:
        self.exercise = exercise
        self.skipped = skipped
        self._rows = FeatureRows()

    def estimator(self, inner: Any) -> Any:
        return _FeatureTap(inner, self._rows) if self.skipped is None else inner

    def frames(self, source: Iterable[Any]) -> Iterator[Any]:
        """The source's frames, less those of the skipped segments (by position in the video)."""
        spans = sorted((s.start, s.end) for s in self.skipped or ())
        for position, frame in enumerate(source):
            if not any(a <= position < b for a, b in spans):
                yield frame

    def check(self) -> None:
        """After a complete first run: raise OtherExercisesFound if there is anything to skip."""
        if self.skipped is not None or not self._rows:
            return
        found = recognise(self._rows.features(), np.array(self._rows.times))
        skipped = other_exercise_segments(found, self.exercise)
        if skipped:
            raise OtherExercisesFound(skipped)
        self.skipped = ()

    def report_extra(self) -> dict[str, Any]:
        return {"skipped_segments": [s.to_dict() for s in self.skipped or ()]}
