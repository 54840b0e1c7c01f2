"""Cat-cow: on hands and knees, round the back up (cat) then let it sink (cow), slowly.

The shoulder-hip-knee angle barely moves in cat-cow; the spine's curve does. It is read from
the silhouette's back outline (signed bow: + cat, - cow) together with the head line, which
follows the spine (chin tucks in cat, lifts in cow) and is steadier than the outline for small
movements; both are measured from the person's own table-top neutral. Without a segmentation
mask the head line alone drives it. A rep is one full cycle through both cat and cow, in
either order.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

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
    """Spine values are in back-bow units (fraction of torso length); angles in degrees."""

    # The spine signal: the back outline's bow, steadied by the head line (which follows the
    # spine: chin tucks in cat, lifts in cow), both relative to the person's own table-top
    # neutral. head_bow_per_deg converts head-line degrees to bow units (full cat-cow moves
    # the bow ~0.15 and the head ~40 deg).
    head_bow_per_deg: float = limit(0.004, 0.0, 0.05)
    # Neutral: a still table-top (bow and head line varying by at most these standard
    # deviations, and not drifting, for neutral_ms) sets the baseline; without such a pause,
    # the median of the first neutral_fallback_ms in position does.
    neutral_bow_sd: float = limit(0.008, 0.001, 0.1)
    neutral_head_sd_deg: float = limit(3.0, 0.2, 30.0)
    neutral_ms: float = limit(500.0, 100.0, 5000.0)
    neutral_fallback_ms: float = limit(4000.0, 500.0, 30000.0)
    # Counting on turning points: a peak counts as cat (cow) once the spine has come back
    # `swing` from it, and if it lies beyond +enter (-enter) of neutral. Low on purpose:
    # small-range cycles still count, and get the small_range fault instead of vanishing.
    # MediaPipe, sample clips: a still table-top drifts by up to ~0.005 (the zero itself is
    # only that good); cycles at 20-28% of the full range peak at +0.016 to +0.019 and
    # -0.009 to -0.025, full-range ones at +-0.074 to 0.085. The smallest swing back from a
    # real turning point is 0.010 (a small cow at -0.011 in the last 0.5 s of a clip, with
    # single-person tracking), still twice the table-top drift.
    enter: float = limit(0.005, 0.0, 0.2)
    swing: float = limit(0.0095, 0.002, 0.3)
    # Range a cycle should reach each way. Physio aim: move through the whole available
    # spinal range; less in one direction gets a cue for that direction.
    # Half the range of the full-range sample cycles (a physio would call less than half
    # "small"): 0.04 each way, ~1.6x the small-range peaks and ~0.5x the full-range ones.
    cat_target_bow: float = limit(0.04, 0.002, 0.3)
    cow_target_bow: float = limit(0.04, 0.002, 0.3)
    # A cycle faster than this is rushed: cat-cow is a slow mobility drill paced with the
    # breath (~3-4 s per cycle), not momentum.
    min_cycle_s: float = limit(3.0, 0.5, 20.0)
    # Elbows bent more than this beyond their table-top angle: the arms are lowering and
    # lifting the trunk instead of the spine moving. Relative, because MediaPipe reads a
    # straight arm as 160-172 deg depending on the view. Sample clips: straight-arm cycles
    # bend at most 2.5 deg side-on, 10 deg at 32 deg yaw; ~35 deg of true elbow flexion reads
    # 23-24 deg.
    max_elbow_bend_deg: float = limit(16.0, 5.0, 90.0)
    # Hands and knees: trunk within max_trunk_deg of horizontal, thighs and arms within
    # max_limb_deg of vertical, knees bent about a right angle.
    max_trunk_deg: float = limit(40.0, 10.0, 80.0)
    max_limb_deg: float = limit(35.0, 10.0, 80.0)
    min_knee_flexion_deg: float = limit(50.0, 0.0, 120.0)
    fault_on_ms: float = limit(300.0, 0.0, 2000.0)

    def __post_init__(self) -> None:
        check_consistent(self.enter < self.swing, "swing must be larger than enter")


def _steady(values: np.ndarray, sd: float) -> bool:
    """Still: little spread, and no drift (the tail of a movement settling is not neutral)."""
    if len(values) < 4 or float(np.std(values)) > sd:
        return False
    half = len(values) // 2
    return abs(float(np.median(values[:half]) - np.median(values[half:]))) <= sd / 2


class NeutralEstimate:
    """The person's own table-top back shape and head line, the zero of the spine signal.

    MediaPipe's head line and the silhouette's bow have person-dependent offsets (body shape,
    clothes, where the landmarks sit), so the checker measures movement from this baseline.
    """

    def __init__(self, th: CatCowThresholds) -> None:
        self.th = th
        self.reset()

    def reset(self) -> None:
        self.bow: float | None = None
        self.head: float | None = None
        self.elbow: float | None = None
        self.ready = False
        self._hist: list[tuple[float, float | None, float, float]] = []  # (t_ms, bow, head, elbow)

    def update(self, t_ms: float, bow: float | None, head: float, elbow: float) -> bool:
        if self.ready:
            return True
        th = self.th
        self._hist.append((t_ms, bow, head, elbow))
        recent = [h for h in self._hist if t_ms - h[0] <= th.neutral_ms]
        span = t_ms - self._hist[0][0]
        if span >= th.neutral_ms and t_ms - recent[0][0] >= 0.8 * th.neutral_ms:
            heads = np.array([h[2] for h in recent])
            bows = np.array([h[1] for h in recent if h[1] is not None])
            still_head = _steady(heads, th.neutral_head_sd_deg)
            still_bow = len(bows) == 0 or (
                len(bows) >= 0.8 * len(recent) and _steady(bows, th.neutral_bow_sd)
            )
            if still_head and still_bow:
                return self._set(recent)
        if span >= th.neutral_fallback_ms:
            return self._set(self._hist)
        return False

    def _set(self, rows: list[tuple[float, float | None, float, float]]) -> bool:
        bows = [r[1] for r in rows if r[1] is not None]
        self.bow = float(np.median(bows)) if bows else None
        self.head = float(np.median([r[2] for r in rows]))
        self.elbow = float(np.median([r[3] for r in rows]))
        self.ready = True
        self._hist = []
        return True


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
        # No extra settling: the neutral estimate already waited for a still table-top.
        rule = CycleRule(enter=th.enter, swing=th.swing, settle_ms=0.0)
        self.counter = CycleCounter(rule)
        self.neutral = NeutralEstimate(th)
        self._recent: deque[float] = deque(maxlen=5)  # median of 5 frames: no single-frame spikes
        self._last_in_position = float("-inf")
        self._reset_cycle_state()

    def _reset_cycle_state(self) -> None:
        self._short = {1: False, -1: False}  # last extreme each way fell short of the target
        self._fast = False
        self._cycle: dict[str, float] = {}
        self._episode_faults = set()

    def reset(self) -> None:
        super().reset()
        self.counter.reset()
        self.neutral.reset()
        self._reset_cycle_state()

    def _targets(self) -> dict[int, float]:
        return {1: self.thresholds.cat_target_bow, -1: -self.thresholds.cow_target_bow}

    def spine_curvature(self, bow: float | None, head: float) -> float | None:
        """Spine signal relative to the neutral: + cat, - cow, in bow units. The bow and the
        head line are averaged; without a mask (or a traceable back) the head line alone."""
        n = self.neutral
        if not n.ready or n.head is None:
            return None
        head_part = self.thresholds.head_bow_per_deg * (head - n.head)
        if bow is None or n.bow is None:
            return head_part
        return 0.5 * (bow - n.bow) + 0.5 * head_part

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
                    self._short[o.side] = abs(peak) < abs(targets[o.side])
            else:
                faults = set(self._episode_faults)
                if o.kind == "completed":
                    if o.pos_peak is not None and o.pos_peak < targets[1]:
                        faults.add("small_range")
                    if o.neg_peak is not None and o.neg_peak > targets[-1]:
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
        in_position = (
            trunk <= th.max_trunk_deg
            and thigh_from_vertical(view) <= th.max_limb_deg
            and arm_from_vertical(view) <= th.max_limb_deg
            and knee >= th.min_knee_flexion_deg
            and view.wrist[1] > view.shoulder[1]
            and view.knee[1] > view.hip[1]
        )
        if in_position:
            self._last_in_position = t_ms
            self.neutral.update(t_ms, bow, head, elbow)
        elif t_ms - self._last_in_position > self.counter.rule.max_gap_ms:
            self.neutral.reset()  # left the table-top: the next one sets a new neutral
        signal = self.spine_curvature(bow, head) if in_position else None
        if signal is None:
            self._recent.clear()
        else:
            self._recent.append(signal)
            signal = float(np.median(self._recent))
        elbow_bend = None if self.neutral.elbow is None else self.neutral.elbow - elbow
        m = {
            "spine_curvature": signal,
            "back_bow": bow,
            "head_line_deg": head,
            "elbow_angle_deg": elbow,
            "elbow_bend_deg": elbow_bend,
            "trunk_from_horizontal_deg": trunk,
            **self.view_measurements(),
        }
        events = self._cycle_events(self.counter.update(t_ms, signal))
        if in_position and signal is not None:
            c = self._cycle
            c["min_elbow_angle_deg"] = min(c.get("min_elbow_angle_deg", 180.0), elbow)
            c["max_head_line_deg"] = max(c.get("max_head_line_deg", -180.0), head)
            c["min_head_line_deg"] = min(c.get("min_head_line_deg", 180.0), head)

        conditions = {}
        if in_position:
            conditions = {
                "moving_from_arms": elbow_bend is not None and elbow_bend > th.max_elbow_bend_deg,
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
            self.neutral.reset()  # out of position for long: the next table-top sets a new one
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
