"""Cat-cow: on hands and knees, round the back up (cat) then let it sink (cow), slowly.

The shoulder-hip-knee angle barely moves in cat-cow; the spine's curve does. It is read from
the silhouette's back outline (signed bow: + cat, - cow). Without a segmentation mask the head
line (which follows the spine: chin tucks in cat, lifts in cow) drives the count instead.
A rep is one full cycle through both cat and cow, in either order.
"""

from __future__ import annotations

from dataclasses import dataclass

from exercises.base import Assessment, EventKind, Severity, ViewVerdict
from exercises.common import SideViewChecker, rep_event
from exercises.faults import FaultSpec
from exercises.reps import CycleCounter, CycleOutcome, CycleRule
from exercises.signals import (
    SideView,
    arm_from_vertical,
    elbow_angle,
    head_line,
    knee_flexion,
    spine_bow,
    thigh_from_vertical,
    trunk_from_horizontal,
)
from exercises.thresholds import check_consistent, limit
from exercises.view import ViewRule
from vision.landmarks import Joint
from vision.pose import Pose


@dataclass(frozen=True)
class CatCowThresholds:
    """Bow values are fractions of torso length; angles in degrees as MediaPipe reports them."""

    # Back bow of a neutral (table-top) back as the silhouette reads it; signals are relative
    # to it.
    neutral_bow: float = limit(0.0, -0.2, 0.2)
    # Counting: a side (cat +, cow -) is entered past enter_bow and left back inside exit_bow
    # (hysteresis). Low on purpose: small-range cycles still count, and get the small_range
    # fault instead of vanishing.
    enter_bow: float = limit(0.02, 0.002, 0.2)
    exit_bow: float = limit(0.01, 0.0, 0.2)
    # Range a cycle should reach each way. Physio aim: move through the whole available
    # spinal range; less in one direction gets a cue for that direction.
    cat_target_bow: float = limit(0.05, 0.005, 0.3)
    cow_target_bow: float = limit(0.04, 0.005, 0.3)
    # The same, on the head line when no mask is available.
    enter_head_deg: float = limit(10.0, 1.0, 60.0)
    exit_head_deg: float = limit(5.0, 0.0, 60.0)
    cat_target_head_deg: float = limit(25.0, 2.0, 90.0)
    cow_target_head_deg: float = limit(20.0, 2.0, 90.0)
    # A cycle faster than this is rushed: cat-cow is a slow mobility drill paced with the
    # breath (~3-4 s per cycle), not momentum.
    min_cycle_s: float = limit(3.0, 0.5, 20.0)
    # Elbows bent more than this: the arms are lowering and lifting the trunk, not the spine.
    max_elbow_bend_deg: float = limit(25.0, 5.0, 90.0)
    # Hands and knees: trunk within max_trunk_deg of horizontal, thighs and arms within
    # max_limb_deg of vertical, knees bent about a right angle.
    max_trunk_deg: float = limit(40.0, 10.0, 80.0)
    max_limb_deg: float = limit(35.0, 10.0, 80.0)
    min_knee_flexion_deg: float = limit(50.0, 0.0, 120.0)
    fault_on_ms: float = limit(300.0, 0.0, 2000.0)

    def __post_init__(self) -> None:
        check_consistent(self.exit_bow < self.enter_bow, "exit_bow must be below enter_bow")
        check_consistent(
            self.exit_head_deg < self.enter_head_deg, "exit_head_deg must be below enter_head_deg"
        )


MESSAGES = {
    "small_range_cat": "Round up more through your upper back",
    "small_range_cow": "Let your belly drop more",
    "small_range_both": "Move further: round up more, then let your belly drop more",
    "too_fast": "Slow down — take about 3 seconds per cycle",
    "moving_from_arms": "Keep your arms straight — move your spine",
}


class CatCowChecker(SideViewChecker):
    name = "cat-cow"
    title = "Cat-cow"
    main_signals = ("spine_curvature", "head_line_deg", "elbow_angle_deg")
    view_rule = ViewRule(key_joints=(Joint.SHOULDER, Joint.ELBOW, Joint.WRIST, Joint.HIP, Joint.KNEE))

    def __init__(self, thresholds: CatCowThresholds | None = None) -> None:
        self.thresholds = th = thresholds or CatCowThresholds()
        on = th.fault_on_ms
        self.fault_specs = (
            FaultSpec("moving_from_arms", Severity.MODERATE, MESSAGES["moving_from_arms"], on),
            FaultSpec("small_range", Severity.MODERATE, MESSAGES["small_range_both"], 0.0, 0.0),
            FaultSpec("too_fast", Severity.MINOR, MESSAGES["too_fast"], 0.0, 0.0),
        )
        super().__init__()
        self.source: str | None = None  # "bow" (silhouette) or "head" (no mask)
        self.counter = self._make_counter("bow")
        self._reset_cycle_state()

    def _make_counter(self, source: str) -> CycleCounter:
        th = self.thresholds
        e, x = (th.enter_bow, th.exit_bow) if source == "bow" else (th.enter_head_deg, th.exit_head_deg)
        return CycleCounter(CycleRule(pos_enter=e, pos_exit=x, neg_enter=-e, neg_exit=-x))

    def _reset_cycle_state(self) -> None:
        self._short = {1: False, -1: False}  # last extreme each way fell short of the target
        self._fast = False
        self._cycle: dict[str, float] = {}
        self._episode_faults = set()

    def reset(self) -> None:
        super().reset()
        self.counter.reset()
        self._reset_cycle_state()

    def _targets(self) -> dict[int, float]:
        th = self.thresholds
        if self.source == "head":
            return {1: th.cat_target_head_deg, -1: th.cow_target_head_deg}
        return {1: th.cat_target_bow, -1: th.cow_target_bow}

    def _signal(self, view: SideView, bow: float | None, head: float) -> float | None:
        source = "bow" if view.pose.mask is not None else "head"
        if source != self.source:
            self.source = source
            self.counter = self._make_counter(source)
            self._reset_cycle_state()
        if source == "bow":
            return None if bow is None else bow - self.thresholds.neutral_bow
        return head

    def _small_range_message(self) -> str | bool:
        cat, cow = self._short[1], self._short[-1]
        if cat and cow:
            return MESSAGES["small_range_both"]
        if cat:
            return MESSAGES["small_range_cat"]
        if cow:
            return MESSAGES["small_range_cow"]
        return False

    def _cycle_events(self, outcomes: list[CycleOutcome]) -> list:
        th = self.thresholds
        targets = self._targets()
        events = []
        for o in outcomes:
            if o.kind == "started":
                self._cycle = {}
                self._episode_faults = set()
                events.append(rep_event(EventKind.REP_STARTED, o.t_ms, o.start_ms))
            elif o.kind == "extreme":
                peak = o.pos_peak if o.side > 0 else o.neg_peak
                if peak is not None:
                    self._short[o.side] = abs(peak) < targets[o.side]
            else:
                faults = set(self._episode_faults)
                if o.kind == "completed":
                    if o.pos_peak is not None and o.pos_peak < targets[1]:
                        faults.add("small_range")
                    if o.neg_peak is not None and -o.neg_peak < targets[-1]:
                        faults.add("small_range")
                    self._fast = o.period_ms is not None and o.period_ms < th.min_cycle_s * 1000.0
                    if self._fast:
                        faults.add("too_fast")
                metrics = dict(self._cycle)
                metrics.update(
                    {
                        "flexion_peak": o.pos_peak,
                        "extension_peak": o.neg_peak,
                        "cycle_s": None if o.period_ms is None else o.period_ms / 1000.0,
                        "duration_s": (o.t_ms - o.start_ms) / 1000.0,
                    }
                )
                kind = EventKind.REP_COMPLETED if o.kind == "completed" else EventKind.REP_PARTIAL
                events.append(rep_event(kind, o.t_ms, o.start_ms, o.index, faults, metrics))
                self._episode_faults = set()
                self._cycle = {}
        return events

    def judge(self, view: SideView, verdict: ViewVerdict, t_ms: float, frame_index: int) -> Assessment:
        th = self.thresholds
        bow = spine_bow(view)
        head = head_line(view)
        elbow = elbow_angle(view)
        knee = knee_flexion(view)
        trunk = trunk_from_horizontal(view)
        m = {
            "spine_curvature": None if bow is None else bow - th.neutral_bow,
            "back_bow": bow,
            "head_line_deg": head,
            "elbow_angle_deg": elbow,
            "trunk_from_horizontal_deg": trunk,
            **self.view_measurements(),
        }
        in_position = (
            trunk <= th.max_trunk_deg
            and thigh_from_vertical(view) <= th.max_limb_deg
            and arm_from_vertical(view) <= th.max_limb_deg
            and knee >= th.min_knee_flexion_deg
            and view.wrist[1] > view.shoulder[1]
            and view.knee[1] > view.hip[1]
        )
        signal = self._signal(view, bow, head) if in_position else None
        events = self._cycle_events(self.counter.update(t_ms, signal))
        if in_position and signal is not None:
            c = self._cycle
            c["min_elbow_angle_deg"] = min(c.get("min_elbow_angle_deg", 180.0), elbow)
            c["max_head_line_deg"] = max(c.get("max_head_line_deg", -180.0), head)
            c["min_head_line_deg"] = min(c.get("min_head_line_deg", 180.0), head)

        conditions = {}
        if in_position:
            conditions = {
                "moving_from_arms": 180.0 - elbow > th.max_elbow_bend_deg,
                "small_range": self._small_range_message(),
                "too_fast": self._fast,
            }
        faults = self.tracker.update(t_ms, conditions)
        if self.counter.in_cycle:
            self._episode_faults.update(f.code for f in faults if f.code == "moving_from_arms")
        side = self.counter.side
        phase = {1: "cat", -1: "cow", 0: "neutral"}[side] if self.counter.settled else "setup"
        return self.assessment(
            verdict,
            t_ms,
            frame_index,
            phase,
            m,
            faults,
            events,
            self.counter.count,
            0.0,
            in_position,
            view.pose,
        )

    def pause(self, pose: Pose | None, verdict: ViewVerdict, t_ms: float, frame_index: int) -> Assessment:
        self.tracker.hold(t_ms)
        events = self._cycle_events(self.counter.update(t_ms, None))
        if not self.counter.settled:
            self._short = {1: False, -1: False}
            self._fast = False
        phase = "paused" if self.counter.settled else "setup"
        return self.assessment(
            verdict,
            t_ms,
            frame_index,
            phase,
            self.view_measurements(),
            (),
            events,
            self.counter.count,
            0.0,
            False,
            pose,
        )
