"""The data a checker produces each frame, and the interface every checker implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from types import MappingProxyType

from vision.landmarks import Side
from vision.pose import Pose


class Severity(IntEnum):
    """How much a fault matters; cues pick the highest first."""

    MINOR = 1  # worth a word, not a risk
    MODERATE = 2  # reduces the benefit of the exercise
    MAJOR = 3  # loads the spine in the way the exercise is meant to avoid


@dataclass(frozen=True, slots=True)
class Fault:
    code: str  # stable identifier used in reports and labels, e.g. "rounded_back"
    severity: Severity
    message: str  # the correction in plain words, e.g. "Keep your back flat"
    since_ms: float  # when this continuous episode of the fault started


class EventKind(StrEnum):
    REP_STARTED = "rep_started"
    REP_COMPLETED = "rep_completed"
    REP_PARTIAL = "rep_partial"  # started but never reached the target: not counted
    HOLD_STARTED = "hold_started"
    HOLD_STOPPED = "hold_stopped"


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    t_ms: float
    rep_index: int | None = None  # 1-based count for completed reps
    start_ms: float | None = None  # for completed/partial reps and stopped holds
    faults: tuple[str, ...] = ()  # fault codes seen during the rep / hold
    metrics: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))


class ViewProblem(StrEnum):
    NO_PERSON = "no_person"
    NOT_SIDE_ON = "not_side_on"
    BODY_NOT_VISIBLE = "body_not_visible"
    SEVERAL_PEOPLE = "several_people"
    TOO_DARK = "too_dark"


VIEW_MESSAGES: Mapping[ViewProblem, str] = MappingProxyType(
    {
        ViewProblem.NO_PERSON: "Step into view",
        ViewProblem.NOT_SIDE_ON: "Turn side-on to the camera",
        ViewProblem.BODY_NOT_VISIBLE: "Step back so your whole body is visible",
        ViewProblem.SEVERAL_PEOPLE: "Only one person in view please",
        ViewProblem.TOO_DARK: "It's too dark - turn on a light",
    }
)


@dataclass(frozen=True, slots=True)
class ViewVerdict:
    """Whether this frame can be judged at all, and which side faces the camera."""

    ok: bool
    side: Side | None = None  # body side nearer the camera
    problem: ViewProblem | None = None
    facing: int = 0  # +1 if the person faces image +x, -1 if image -x, 0 unknown

    @property
    def message(self) -> str | None:
        return VIEW_MESSAGES[self.problem] if self.problem else None


@dataclass(frozen=True, slots=True)
class Assessment:
    """Everything a checker concluded about one frame. Frozen: sinks only read it."""

    exercise: str
    t_ms: float
    frame_index: int
    view: ViewVerdict
    phase: str  # e.g. "setup", "standing", "hinged", "holding", "cat", "cow"
    measurements: Mapping[str, float]  # named signals in degrees or body-relative units
    faults: tuple[Fault, ...] = ()  # active now, most severe first
    events: tuple[Event, ...] = ()  # what happened on this frame
    rep_count: int = 0
    hold_s: float = 0.0
    in_position: bool = False  # in the start position / exercise posture
    pose: Pose | None = None  # the (smoothed) pose judged, for drawing
    # (fault code, why) for each fault this frame would have judged but could not (the view or
    # the picture did not allow it): the report says so instead of an unexplained "no fault".
    unjudged: tuple[tuple[str, str], ...] = ()
    # The side whose knee, ankle and foot were measured when not the view's own (a leg MediaPipe
    # misplaced was swapped for the other): drawing puts the labels where the numbers came from.
    leg_side: Side | None = None

    @property
    def top_fault(self) -> Fault | None:
        return self.faults[0] if self.faults else None


class Checker(ABC):
    """Judges one exercise frame by frame. Stateful (phases, counters); no drawing or I/O."""

    name: str  # CLI name, e.g. "hip-hinge"
    title: str  # human name, e.g. "Hip hinge"
    main_signals: tuple[str, ...]  # measurement names worth plotting, most important first
    counts: str = "reps"  # what the exercise counts: "reps" or "hold" (seconds held)
    start_position: str = "in the start position"  # in words, after "never ..."
    thresholds: object | None = None  # the threshold table judged with, when the checker has one

    @abstractmethod
    def update(self, pose: Pose | None, t_ms: float, frame_index: int) -> Assessment:
        """Judge one frame. `pose` is None when no person was detected in it."""

    @abstractmethod
    def reset(self) -> None:
        """Forget reps, holds and fault history (user pressed `r`)."""

    def finish(self, t_ms: float) -> tuple[Event, ...]:
        """The stream has ended at `t_ms`: events that only the end can decide (a peak held
        until the last frame is a turning point after all). None by default."""
        return ()
