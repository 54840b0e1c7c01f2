"""Noticing, during a routine's set, that the person is doing another exercise than the one
announced (issue 15).

The set's poses go to the live recogniser (`feedback.live_recognition.LiveRecognition`) as
well as to the set's checker. The recogniser's verdict already has its own hysteresis: a new
label counts only once it has held `switch_s`, and "other" (resting, standing about) is never
a different exercise. When that verdict is a registered exercise other than the announced
one for a while (as long as the recogniser's evidence: its window and switching delay), the
routine says so once per exercise ("That looks like a plank. Now: hip hinge"), shows it on
the banner while it lasts, and logs the span for routine.json. Nothing counted changes: the
set's checker judges the announced exercise throughout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from exercises.recognise import OTHER
from exercises.registry import find_spec
from feedback.live_recognition import LiveRecognition, RecognisingEstimator


def _title(exercise: str) -> str:
    spec = find_spec(exercise)
    return spec.title.lower() if spec is not None else exercise


def a_title(exercise: str) -> str:
    """The exercise's title as said in a sentence: "a plank", "a hip hinge"."""
    title = _title(exercise)
    return f"{'an' if title[:1] in 'aeiou' else 'a'} {title}"


def mismatch_words(seen: str, announced: str) -> str:
    """What is said when `seen` is done instead of `announced`, in the specs' words."""
    return f"That looks like {a_title(seen)}. Now: {_title(announced)}"


@dataclass(frozen=True)
class Mismatch:
    """A stretch of a set in which `seen` was done instead of the announced exercise
    (seconds on the session's timeline, as the reports' t_s)."""

    seen: str
    start_s: float
    end_s: float


class MismatchTracker:
    """Fed the recogniser's label frame by frame during one exercise's sets: the stretches in
    which another registered exercise was recognised, and the words to say (once per exercise
    seen instead: the person has heard it; the banner keeps showing it while it lasts).

    `delay_ms` is how far the label runs behind the person (the recogniser's switching delay:
    a new label has been seen that long before it counts), so a stretch starts and ends that
    much earlier than the label changed, never before the set's first frame. A stretch counts
    only once the recogniser has named it for `min_ms`: a shorter one is getting into position
    (a plank starts on hands and knees, which the first second or two of a set reads as cat-cow).
    """

    def __init__(self, announced: str, delay_ms: float = 0.0, min_ms: float = 0.0) -> None:
        self.announced, self.delay_ms, self.min_ms = announced, delay_ms, min_ms
        self.spans: list[Mismatch] = []
        self.seen: str | None = None  # the exercise done instead right now, counted or not yet
        self.confirmed = False  # `seen` has lasted min_ms
        self._said: set[str] = set()
        self._first_ms: float | None = None  # the set's first frame
        self._named_ms = 0.0  # when the recogniser named `seen`
        self._since_ms = 0.0  # when the person started it, by the label's delay
        self._last_ms = 0.0

    def update(self, label: str, t_ms: float) -> str | None:
        """The words to say now, or None."""
        if self._first_ms is None:
            self._first_ms = t_ms
        other_exercise = label != OTHER and label != self.announced and find_spec(label) is not None
        seen = label if other_exercise else None
        if seen != self.seen:
            self._close(t_ms - self.delay_ms)
            self.seen, self.confirmed, self._named_ms = seen, False, t_ms
            self._since_ms = max(self._first_ms, t_ms - self.delay_ms)
        self._last_ms = t_ms
        if seen is None or self.confirmed or t_ms - self._named_ms < self.min_ms:
            return None
        self.confirmed = True
        if seen in self._said:
            return None
        self._said.add(seen)
        return mismatch_words(seen, self.announced)

    def end_set(self) -> None:
        """The set is over: a stretch under way ends with its last frame; the next set's
        label starts afresh (nothing is judged during a rest)."""
        self._close(self._last_ms)
        self.seen, self.confirmed, self._first_ms = None, False, None

    def _close(self, end_ms: float) -> None:
        if self.seen is None or not self.confirmed:
            return
        end_ms = max(self._since_ms, min(end_ms, self._last_ms))
        self.spans.append(Mismatch(self.seen, round(self._since_ms / 1000.0, 2), round(end_ms / 1000.0, 2)))

    def notice(self) -> str | None:
        """The banner's line while another exercise is being done."""
        if self.seen is None or not self.confirmed:
            return None
        return f"Looks like {a_title(self.seen)} - now: {_title(self.announced)}"


class MismatchWatch:
    """Pipeline sink of one exercise's sets (before the banner): feeds the recogniser's label
    to the tracker and says its words. `estimator` wraps the set's pose estimator so every
    pose estimated in the set reaches a recogniser fresh for that set."""

    def __init__(self, announced: str, say: Callable[[str], None]) -> None:
        self.recognition = LiveRecognition()
        recogniser = self.recognition.recogniser
        # A stretch counts once the recogniser has named it for as long as the poses it
        # decides from (its window and switching delay, ~3.9 s): by then none of those poses
        # predates the naming. "For a while", by the recogniser's own measure.
        evidence_ms = 1000.0 * recogniser.rules.window_s + recogniser.switch_ms
        self.tracker = MismatchTracker(announced, delay_ms=recogniser.switch_ms, min_ms=evidence_ms)
        self.say = say

    def estimator(self, inner: Any) -> RecognisingEstimator:
        """The set's estimator; a new set starts with a new recogniser (no rest poses in it)."""
        self.recognition = LiveRecognition()
        return RecognisingEstimator(inner, self.recognition)

    def consume(self, frame: Any, assessment: Any) -> None:
        words = self.tracker.update(self.recognition.label, frame.t_ms)
        if words is not None:
            self.say(words)

    def close(self) -> None:  # the end of each set's pipeline run
        self.tracker.end_set()
