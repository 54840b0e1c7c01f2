"""What every side-view checker shares: the view gate, fault debouncing, assembling the frame's
Assessment, and remembering which faults occurred during the current rep or hold."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from exercises.base import Assessment, Checker, Event, EventKind, Fault, ViewVerdict
from exercises.faults import FaultSpec, FaultTracker
from exercises.signals import SideView
from exercises.view import ViewGate, ViewRule
from vision.landmarks import Side
from vision.pose import Pose


def frozen(d: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType({k: float(v) for k, v in d.items() if v is not None})


def rep_event(
    kind: EventKind,
    t_ms: float,
    start_ms: float | None,
    index: int | None = None,
    faults: Iterable[str] = (),
    metrics: Mapping[str, float | None] | None = None,
) -> Event:
    return Event(kind, t_ms, index, start_ms, tuple(sorted(set(faults))), frozen(metrics or {}))


class SideViewChecker(Checker):
    """Base for checkers that judge a side view. Subclasses implement `judge` (a measurable
    frame) and `pause` (a frame that cannot be measured)."""

    view_rule: ViewRule = ViewRule()
    fault_specs: tuple[FaultSpec, ...] = ()

    def __init__(self) -> None:
        self.gate = ViewGate(self.view_rule)
        self.tracker = FaultTracker(self.fault_specs)
        self._episode_faults: set[str] = set()  # faults seen in the current rep / hold

    def reset(self) -> None:
        self.gate.reset()
        self.tracker.reset()
        self._episode_faults = set()

    def update(self, pose: Pose | None, t_ms: float, frame_index: int) -> Assessment:
        verdict = self.gate.update(pose, t_ms)
        # Measure when this frame itself is fine; the reported verdict is debounced for display
        # and may still show a problem that has just ended (or not yet show a new one).
        if pose is not None and self.gate.frame_ok and verdict.side and verdict.facing:
            view = SideView.of(pose, verdict.side, verdict.facing)
            return self.judge(view, verdict, t_ms, frame_index)
        return self.pause(pose, verdict, t_ms, frame_index)

    @abstractmethod
    def judge(self, view: SideView, verdict: ViewVerdict, t_ms: float, frame_index: int) -> Assessment: ...

    @abstractmethod
    def pause(self, pose: Pose | None, verdict: ViewVerdict, t_ms: float, frame_index: int) -> Assessment: ...

    def view_measurements(self) -> dict[str, float]:
        out = {}
        if self.gate.yaw_deg is not None:
            out["view_yaw_deg"] = self.gate.yaw_deg
        return out

    def assessment(
        self,
        verdict: ViewVerdict,
        t_ms: float,
        frame_index: int,
        phase: str,
        measurements: Mapping[str, float | None],
        faults: tuple[Fault, ...] = (),
        events: Iterable[Event] = (),
        rep_count: int = 0,
        hold_s: float = 0.0,
        in_position: bool = False,
        pose: Pose | None = None,
        unjudged: Mapping[str, str] | None = None,
        leg_side: Side | None = None,
    ) -> Assessment:
        return Assessment(
            exercise=self.name,
            t_ms=t_ms,
            frame_index=frame_index,
            view=verdict,
            phase=phase,
            measurements=frozen(measurements),
            faults=faults,
            events=tuple(events),
            rep_count=rep_count,
            hold_s=hold_s,
            in_position=in_position,
            pose=pose,
            unjudged=tuple(unjudged.items()) if unjudged else (),
            leg_side=None if leg_side == verdict.side else leg_side,
        )
