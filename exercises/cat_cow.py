"""Cat-cow: on hands and knees, round the back up (cat) then let it sink (cow), slowly.

The shoulder-hip-knee angle barely moves in cat-cow; the spine's curve does. It is read from
the silhouette's back outline (signed bow: + cat, - cow) together with the head line, which
follows the spine (chin tucks in cat, lifts in cow) and is steadier than the outline for small
movements; both are measured from the person's own table-top neutral. Turning points are found
on a mix weighted by each signal's own noise, ranges are measured on their even average.
Without a segmentation mask the head line alone drives it. A rep is one full cycle through
both cat and cow, in either order.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from exercises.base import Assessment, Event, EventKind, Severity, ViewVerdict
from exercises.common import SideViewChecker, rep_event
from exercises.faults import dated_from, tracked
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
from exercises.spec import (
    Counts,
    ExerciseSpec,
    FaultInfo,
    Line,
    MeterSpec,
    PlotSignal,
    TruthSignal,
)
from exercises.stats import SampleClock, SortedWindow, jitter, median
from exercises.thresholds import limit
from exercises.view import ViewRule, landmark_in_view
from vision import geometry as g
from vision.landmarks import Joint, Side, other_side
from vision.pose import Pose


@dataclass(frozen=True)
class CatCowThresholds:
    """Spine values are in back-bow units (fraction of torso length); angles in degrees."""

    # The spine signal: the back outline's bow, steadied by the head line (which follows the
    # spine: chin tucks in cat, lifts in cow). head_bow_per_deg converts head-line degrees to
    # bow units (full cat-cow moves the bow ~0.15 and the head ~40 deg on rendered bodies;
    # real people move both further: bow 0.3-0.6, head 50-80 deg).
    head_bow_per_deg: float = limit(0.004, 0.0, 0.05)
    # A still moment (the spine signal varying by at most neutral_sd, not drifting, for
    # neutral_ms) is a candidate table-top neutral. It is trusted only if it lies between the
    # cat and cow extremes (a held cat or cow is still too); without one, the neutral is the
    # midpoint of the range moved through. Nobody has to hold still for anything to count.
    neutral_sd: float = limit(0.006, 0.001, 0.1)
    neutral_ms: float = limit(500.0, 100.0, 5000.0)
    # Counting on turning points: a peak is confirmed once the spine has come back `swing`
    # (and half the leg that led to it), and counts as cat (cow) if it lies in the outer part
    # of the range moved through. MediaPipe, sample clips: a still table-top drifts by up to
    # ~0.005; cycles at 20-28% of the full range peak at +0.016 to +0.019 and -0.009 to
    # -0.025, full-range ones at +-0.074 to 0.085; the smallest swing back from a real
    # turning point is 0.010. Real clips: full cycles swing 0.2-0.6, wobbles inside a held
    # cat or cow stay under 0.01.
    swing: float = limit(0.0095, 0.002, 0.3)
    # Range a cycle should reach: each (half-)cycle's peak-to-peak movement must reach
    # cat_target_bow + cow_target_bow; the two halves only name the direction of the cue.
    # Physio aim: move through the whole available spinal range. Judged peak to peak because
    # per-side peaks need the neutral, and the neutral read from a still start or the middle
    # of the range sits off by 0.02-0.04 often enough that full cycles read -0.02 one way
    # (rendered cycles at 75-99% of the full range, cached MediaPipe: side ratios down to
    # 0.01). Peak-to-peak per cycle (see exercises/README.md): small cycles (15-32% of the
    # full range) 0.019-0.046, full ones 0.069-0.21; real full cycles 0.26-0.48.
    cat_target_bow: float = limit(0.03, 0.002, 0.3)
    cow_target_bow: float = limit(0.03, 0.002, 0.3)
    # A cycle faster than this is rushed: cat-cow is a slow mobility drill paced with the
    # breath (~3-4 s per cycle), not momentum. Timed per half-cycle, from each turning point
    # to the next (x2), so one rushed cycle among slow ones is seen whichever peaks the count
    # pairs. Rendered (cached MediaPipe, all renders): rushed cycles (1.3-2.0 s) read
    # 1.27-2.00; slow ones (3.2-4.9 s) 2.73 and up, 2.2 where a settling wobble before the
    # first cat was taken for a cow, 2.27-2.47 across the boundary of a slow and a rushed
    # cycle; real clips 2.83-12.4. 2.1 s lies between 2.0 and 2.2.
    min_cycle_s: float = limit(2.1, 0.5, 20.0)
    # Elbows bent more than this below their straightest angle in position (90th percentile),
    # both arms when the far wrist is in the picture (the lesser bend of the two): the arms are
    # lowering and lifting the trunk instead of the spine moving. Relative, because MediaPipe
    # reads a straight arm as 160-172 deg depending on the view. Largest bend held 0.3 s per
    # clip (every cat-cow clip of the samples, stress set, seeds 269-307 and the real set),
    # the lesser of the two arms: straight-arm renders at most 13.4 (a 320 px render whose far
    # arm read 40-55 deg bent with the near one straight: 22.8 as the mean of both, which was
    # claimed) and 13.2, 14.6 estimated on an older rushed 21-deg render (mean 16.3, near 18.0);
    # arm-driven renders (35-44 deg of true elbow flexion) 17.0-30.5, but for seed 269's two
    # whose far arm read 5 deg (10.5, 10.7; means 16.0 and 16.4, missed as well at the mean's
    # 17.5); real clips (straight arms) at most 10.3 as a mean, the near arm alone 7.2.
    # 15.8 lies between 14.6 and 17.0.
    max_elbow_bend_deg: float = limit(15.8, 5.0, 90.0)
    # Frames whose near elbow reads bent past this are left out of the range measure (lowering
    # the chest on bent arms tilts the outline into a hollow the spine did not make). The near
    # arm alone, where the fault asks both: leaving a doubtful frame out costs a full cycle
    # nothing, while the artefact grows with the bend and is already there as the elbows
    # straighten (stress 059: its arm-driven cow read -0.026 at a near bend of 17.4 deg and
    # -0.031 at 18.0).
    range_elbow_bend_deg: float = limit(16.0, 5.0, 90.0)
    # Hands and knees: trunk within max_trunk_deg of horizontal, thighs and arms within
    # max_limb_deg of vertical, knees bent about a right angle.
    max_trunk_deg: float = limit(40.0, 10.0, 80.0)
    max_limb_deg: float = limit(35.0, 10.0, 80.0)
    min_knee_flexion_deg: float = limit(50.0, 0.0, 120.0)
    fault_on_ms: float = limit(300.0, 0.0, 2000.0)


MESSAGES = {
    "small_range_cat": "Round up more through your upper back",
    "small_range_cow": "Let your belly drop more",
    "small_range_both": "Move further: round up more, then let your belly drop more",
    "too_fast": "Slow down — take about 3 seconds per cycle",
    "moving_from_arms": "Keep your arms straight — move your spine",
}


# The faults as the user meets them (correction, severity, joints, plotted signal): declared
# once here; the checker's fault tracker and everything in feedback/ read them.
FAULTS: tuple[FaultInfo, ...] = (
    FaultInfo(
        "moving_from_arms",
        Severity.MODERATE,
        MESSAGES["moving_from_arms"],
        frozenset({Joint.SHOULDER, Joint.ELBOW, Joint.WRIST}),
        "elbow_bend_deg",
        (Line("max_elbow_bend_deg", "elbows bent"),),
    ),
    FaultInfo(
        "small_range",
        Severity.MODERATE,
        MESSAGES["small_range_both"],
        frozenset({Joint.SHOULDER, Joint.HIP}),
        "spine_curvature",
        (Line("cat_target_bow", "cat target"), Line("cow_target_bow", "cow target", sign=-1.0)),
    ),
    FaultInfo("too_fast", Severity.MINOR, MESSAGES["too_fast"]),
)


def far_elbow_angle(pose: Pose, side: Side) -> float | None:
    """The far arm's shoulder-elbow-wrist angle (deg, 180 = straight), or None with its wrist
    outside the picture. Often hidden behind the near arm, but MediaPipe still places it from
    the body it sees: it is used only beside the near arm, never alone."""
    far = other_side(side)
    if not landmark_in_view(pose, Joint.WRIST.on(far), min_seen=0.0):
        return None
    xy = pose.xy.astype(float)
    return float(g.joint_angle(xy[Joint.SHOULDER.on(far)], xy[Joint.ELBOW.on(far)], xy[Joint.WRIST.on(far)]))


class CatCowChecker(SideViewChecker):
    name = "cat-cow"
    title = "Cat-cow"
    main_signals = ("spine_curvature", "head_line_deg", "elbow_angle_deg")
    start_position = "on hands and knees (table-top)"
    # The wrists are often cut off at the bottom of a close camera: the spine can still be
    # judged, the arms (moving_from_arms) then only when the wrist is in view. The feet need
    # not be in the picture either, but where they are, a side view shows them (see ViewRule).
    view_rule = ViewRule(
        key_joints=(Joint.SHOULDER, Joint.ELBOW, Joint.HIP, Joint.KNEE), shown_side_on=(Joint.ANKLE,)
    )

    def __init__(self, thresholds: CatCowThresholds | None = None) -> None:
        self.thresholds = th = thresholds or CatCowThresholds()
        on = th.fault_on_ms
        self.fault_specs = tracked(FAULTS, on, {"small_range": (0.0, 0.0), "too_fast": (0.0, 0.0)})
        super().__init__()
        rule = CycleRule(swing=th.swing, still_sd=th.neutral_sd, still_ms=th.neutral_ms)
        self.counter = CycleCounter(rule)
        # Median over the last ~0.15 s (5 frames at 30 fps): no single-frame spikes, and a
        # low frame rate (a GIF at 3 fps) keeps every frame's own value.
        self._recent: deque[tuple[float, float, float]] = deque()
        self._bow_minus_head: deque[float] = deque(maxlen=30)  # fills frames the outline missed
        self._bows: deque[float] = deque(maxlen=60)
        self._head_parts: deque[float] = deque(maxlen=60)
        self._elbows = SortedWindow(600)  # elbow angles in position (~20 s)
        self._far_elbows = SortedWindow(600)  # the far arm's, likewise
        # (t, spine signal, arms straight) of the frames in position, ~30 s at 30 fps.
        self._trace: deque[tuple[float, float, bool]] = deque(maxlen=900)
        # _bow_minus_head and the elbow windows count samples, not frames: see MIN_SAMPLE_MS.
        self._clock = SampleClock()
        self._last_in_position = float("-inf")
        self._reset_cycle_state()

    def _reset_cycle_state(self) -> None:
        self._short = {1: False, -1: False}  # last extreme each way fell short of the target
        self._short_since: float | None = None  # when the movement judged short began
        self._last_peak: dict[int, float | None] = {1: None, -1: None}  # from the zero, each way
        # (time, leg into it) of the last turning points: three legs and the turn before them.
        self._turns: deque[tuple[float, float]] = deque(maxlen=4)
        self._fast = False  # the last half-cycle was rushed
        self._fast_since: float | None = None  # when that half-cycle began
        self._cycle_fast = False  # a half-cycle ending in the current cycle was rushed
        self._cycle: dict[str, float] = {}
        self._episode_faults = set()

    def reset(self) -> None:
        super().reset()
        self.counter.reset()
        self._clock.reset()
        self._forget_position()
        self._reset_cycle_state()

    def _forget_position(self) -> None:
        """Out of the table-top for long: the next stretch is measured afresh."""
        self._recent.clear()
        self._bow_minus_head.clear()
        self._bows.clear()
        self._head_parts.clear()
        self._trace.clear()
        self._turns.clear()
        self._elbows.clear()
        self._far_elbows.clear()

    def spine_raw(self, bow: float | None, head: float, sample: bool = True) -> tuple[float, float]:
        """The spine signal in bow units before any neutral is known (+ towards cat), twice:
        for counting, and for the shape (range). The shape is the outline's bow averaged with
        the head line. A frame whose outline could not be traced borrows the bow from the head
        line by their recent relation; with no mask at all the head line alone drives it. Only
        a `sample` (see MIN_SAMPLE_MS) updates that relation. For counting the outline's share
        is less where it is noisier than the head line (inverse-variance weighting, about the
        outline's usual offset from the head line so the level does not move with it)."""
        head_part = self.thresholds.head_bow_per_deg * head
        if sample:
            self._head_parts.append(head_part)
        if bow is None:
            if not self._bow_minus_head:
                return head_part, head_part
            v = head_part + 0.5 * median(self._bow_minus_head)
            return v, v
        if sample:
            self._bow_minus_head.append(bow - head_part)
            self._bows.append(bow)
        offset = median(self._bow_minus_head) if self._bow_minus_head else bow - head_part
        w = self._bow_weight()
        shape = 0.5 * bow + 0.5 * head_part
        return head_part + w * (bow - head_part) + (0.5 - w) * offset, shape

    def _bow_weight(self) -> float:
        """The outline's share of the counting signal: inverse-variance weighting of the two
        signals by their own frame-to-frame noise (`stats.jitter`, last 60 samples each), at
        most the half the shape gives it. The mask's outline is traced afresh on every frame
        while the head's landmarks are tracked: the outline's noise, median per clip (cached
        MediaPipe), is 0.9-10x the head line's on renders (median ~4) and 1.5-5.4x on real
        clips; its noise turned into turning points (a 0.33 s cycle of 0.03 inside small
        arm-driven cycles, seed 181 `017`: 4 reps for 3)."""
        nb, nh = jitter(self._bows), jitter(self._head_parts)
        if nb is None or nh is None or nb <= nh:
            return 0.5
        return nh * nh / (nh * nh + nb * nb)

    def spine_curvature(self, raw: float | None) -> float | None:
        """The spine signal relative to the current neutral: + cat, - cow."""
        zero = self.counter.zero
        return None if raw is None or zero is None else raw - zero

    def _small_range_message(self) -> str | bool:
        cat, cow = self._short[1], self._short[-1]
        if cat and cow:
            return MESSAGES["small_range_both"]
        if cat:
            return MESSAGES["small_range_cat"]
        if cow:
            return MESSAGES["small_range_cow"]
        return False

    def _spine_moved(self, span: float | None, t0: float | None, t1: float) -> float | None:
        """How far the spine's shape moved between two turning points (found on the counting
        signal). Where the elbows bent in between (moving_from_arms), only the frames with
        straight arms count: lowering the chest on bent arms tilts the back outline into a
        hollow that the spine did not make (seed 61, 017: a cycle at 26% of the full range
        read 0.080 peak to peak, 0.04 of it while the elbows bent)."""
        if span is None or t0 is None:
            return span
        pad = 150.0  # the shape's own peaks may lie a few frames off the counting signal's
        frames = [(v, ok) for t, v, ok in self._trace if t0 - pad <= t <= t1 + pad]
        if len(frames) < 2:
            return span
        straight = [v for v, ok in frames if ok]
        if len(straight) == len(frames) or len(straight) < 2:
            straight = [v for v, _ in frames]
        return max(straight) - min(straight)

    def _range_short(self, span: float | None, pos: float | None, neg: float | None) -> dict[int, bool]:
        """Which directions of a finished (half-)cycle fell short of the target range.

        Judged on the peak-to-peak movement, which needs no neutral: the neutral is a still
        moment or the middle of the range, and on rendered and real clips alike it sits off
        the middle often enough (a still start read 0.02-0.04 towards cow, a range widened by
        a broken first mask) that per-side peaks called full cycles short (cow -0.02 on a
        0.07-0.10 cycle). The cue names one direction only when a trusted neutral shows that
        side clearly behind the other (under half of it); otherwise both."""
        th = self.thresholds
        if span is None or span >= th.cat_target_bow + th.cow_target_bow:
            return {1: False, -1: False}
        if self.counter.still_trusted and pos is not None and neg is not None:
            cat, cow = max(pos, 0.0), max(-neg, 0.0)
            if cat < 0.5 * cow:
                return {1: True, -1: False}
            if cow < 0.5 * cat:
                return {1: False, -1: True}
        return {1: True, -1: True}

    def _cycle_events(self, outcomes: list[CycleOutcome]) -> list:
        events = []
        for o in outcomes:
            if o.kind == "started":
                # Faults seen since the last cycle ended belong to this one: the cycle's start
                # is only known once its first peak is confirmed.
                events.append(rep_event(EventKind.REP_STARTED, o.t_ms, o.start_ms))
            elif o.kind == "turn":
                self._judge_small_turns(o)
            elif o.kind == "short":
                self._judge_short_turn(o)
            elif o.kind == "extreme":
                peak = o.pos_peak if o.side > 0 else o.neg_peak
                self._last_peak[o.side] = peak
                leg = self._spine_moved(o.half_leg, o.half_start_ms, o.t_ms)
                if leg is not None:
                    # Each half-cycle is judged as soon as it ends (a full one clears the cue).
                    self._judge_range(
                        self._range_short(leg, self._last_peak[1], self._last_peak[-1]), o.half_start_ms
                    )
                self._judge_pace(o, leg)
            else:
                faults = set(self._episode_faults)
                span = self._spine_moved(o.span, o.start_ms, o.t_ms)
                if o.kind == "completed":
                    self._judge_range(self._range_short(span, o.pos_peak, o.neg_peak), o.start_ms)
                    if any(self._short.values()):
                        faults.add("small_range")
                    if self._cycle_fast:
                        faults.add("too_fast")
                self._cycle_fast = False
                metrics = dict(self._cycle)
                metrics.update(
                    {
                        "flexion_peak": o.pos_peak,
                        "extension_peak": o.neg_peak,
                        "range": span,
                        "cycle_s": None if o.period_ms is None else o.period_ms / 1000.0,
                        "duration_s": (o.t_ms - o.start_ms) / 1000.0,
                    }
                )
                kind = EventKind.REP_COMPLETED if o.kind == "completed" else EventKind.REP_PARTIAL
                events.append(rep_event(kind, o.t_ms, o.start_ms, o.index, faults, metrics))
                self._episode_faults = set()
                self._cycle = {}
        return events

    def _judge_small_turns(self, o: CycleOutcome) -> None:
        """Bad form is judged, not skipped: moving back and forth through turning points too
        small to count as cats and cows (a range still widened by earlier full cycles, or a
        movement at the edge of what the picture shows) is a small range all the same. The
        legs into the last three turns (a whole small cycle) must all lie under the range
        target and at least 2 x swing (no wobble of a still table-top). Measured (cached
        MediaPipe, every cat-cow clip): clips of full cycles have at most two such legs in a
        row (once; otherwise one: a settling wobble, a first leg), real clips one; small-range
        clips three or more."""
        th = self.thresholds
        since = self._turns[-1][0] if self._turns else None
        self._turns.append((o.t_ms, self._spine_moved(o.half_leg, since, o.t_ms) or 0.0))
        legs = [leg for _, leg in self._turns][-3:]
        target = th.cat_target_bow + th.cow_target_bow
        if len(legs) == 3 and all(2.0 * th.swing <= leg < target for leg in legs):
            # From the turn the first of the three legs left (the earliest turn known).
            self._judge_range({1: True, -1: True}, self._turns[0][0])

    def _judge_short_turn(self, o: CycleOutcome) -> None:
        """A turn back short of the other side (the counter's "short"): that side's half fell
        short, if the leg into it took at least a quarter of an unhurried cycle
        (min_cycle_s / 4). A quicker reversal is a wobble or a broken mask inside a held cat or
        cow (a good render, seed 163, 029: a dip 0.4 s after its cat; small-range renders turned
        1.0-2.3 s after the extreme)."""
        if o.t_ms - o.start_ms >= 250.0 * self.thresholds.min_cycle_s:
            self._judge_range({1: o.side == 1, -1: o.side == -1}, o.start_ms)

    def _judge_range(self, short: dict[int, bool], began_ms: float | None) -> None:
        """A range judgement of a movement that began at `began_ms`: the small_range fault,
        known only once the movement is over, covers it (as too_fast covers its half-cycle),
        so the report shows the fault on the cycle that fell short, not just after it."""
        if not any(short.values()):
            self._short_since = None
        elif not any(self._short.values()) or self._short_since is None:
            self._short_since = began_ms
        self._short = short

    def _judge_pace(self, o: CycleOutcome, leg: float | None) -> None:
        """A half-cycle (one turning point to the next) taken at a rushed pace. Only a
        movement through about the full range is timed: the turning points of a small one are
        close to the noise, and its fault is the range."""
        th = self.thresholds
        if o.half_ms is None or leg is None or leg < th.cat_target_bow + th.cow_target_bow:
            return
        # ... and only from a turning point the movement came into: the recording's first frame
        # or a settling wobble taken for a cow starts no rushed half-cycle (a still start's
        # wobble 0.02 deep, then a slow neutral-to-cat quarter cycle of 0.08-0.11 read 0.9 s).
        entry = next((leg_in for t, leg_in in self._turns if t == o.half_start_ms), None)
        if entry is not None and entry < leg / 3.0:
            return
        self._fast = 2.0 * o.half_ms < th.min_cycle_s * 1000.0
        if self._fast:
            self._fast_since = o.half_start_ms
            self._cycle_fast = True

    def _elbow_bends(self, near: float, far: float | None) -> tuple[float, float] | None:
        """How far the elbows bent below their straightest in position (90th percentile): the
        near arm's, and the one moving_from_arms claims, the lesser of both arms' when the far
        one is in the picture. Lowering the trunk on the arms bends both elbows (they carry it
        together); MediaPipe misplacing one arm's landmarks bends one, the near (a rushed
        straight-arm cat-cow on a small, blurred 24-deg render, seed 73 008: near 20-25 deg bent
        for 0.3-1.7 s at a time, far 0-8) or the far, hidden behind the body (a 320 px good
        render, seed 307 020: far 40-55, near straight, which their mean claimed). Both arms
        read alike on arm-driven renders (held 0.3 s, near/far 20/18 ... 32/34). The range
        measure still distrusts frames on the near arm alone: a doubt is enough to leave a
        frame out."""
        if len(self._elbows) < 5:
            return None
        bend = self._elbows.percentile(90) - near
        if far is None or len(self._far_elbows) < 5:
            return bend, bend
        return bend, min(bend, self._far_elbows.percentile(90) - far)

    def _in_position(self, view: SideView, knee: float, trunk: float, wrist_seen: bool) -> bool:
        th = self.thresholds
        hand = view.wrist if wrist_seen else view.elbow
        return (
            trunk <= th.max_trunk_deg
            and thigh_from_vertical(view) <= th.max_limb_deg
            and arm_from_vertical(view, to_wrist=wrist_seen) <= th.max_limb_deg
            and knee >= th.min_knee_flexion_deg
            and hand[1] > view.shoulder[1]
            and view.knee[1] > view.hip[1]
        )

    def judge(self, view: SideView, verdict: ViewVerdict, t_ms: float, frame_index: int) -> Assessment:
        th = self.thresholds
        bow = spine_bow(view)
        head = head_line(view)
        elbow = elbow_angle(view)
        knee = knee_flexion(view)
        trunk = trunk_from_horizontal(view)
        side = verdict.side or "left"
        wrist_seen = landmark_in_view(view.pose, Joint.WRIST.on(side))
        far_elbow = far_elbow_angle(view.pose, side)
        in_position = self._in_position(view, knee, trunk, wrist_seen)
        raw = shape = None
        if in_position:
            self._last_in_position = t_ms
            sample = self._clock.take(t_ms)
            self._recent.append((t_ms, *self.spine_raw(bow, head, sample)))
            while t_ms - self._recent[0][0] > 150.0:
                self._recent.popleft()
            raw = median(v for _, v, _ in self._recent)
            shape = median(v for _, _, v in self._recent)
            if wrist_seen and sample:
                self._elbows.append(elbow)
            if far_elbow is not None and sample:
                self._far_elbows.append(far_elbow)
        elif t_ms - self._last_in_position > self.counter.rule.max_gap_ms:
            self._forget_position()
        events = self._cycle_events(self.counter.update(t_ms, raw))
        bends = self._elbow_bends(elbow, far_elbow) if in_position and wrist_seen else None
        near_bend, elbow_bend = (None, None) if bends is None else bends
        if raw is not None:
            self._trace.append((t_ms, shape, near_bend is None or near_bend <= th.range_elbow_bend_deg))
        m = {
            "spine_curvature": self.spine_curvature(raw),
            "back_bow": bow,
            "head_line_deg": head,
            "elbow_angle_deg": elbow,
            "elbow_bend_deg": elbow_bend,
            "trunk_from_horizontal_deg": trunk,
            **self.view_measurements(),
        }
        if in_position:
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
        faults = dated_from(faults, {"too_fast": self._fast_since, "small_range": self._short_since})
        if in_position:
            self._episode_faults.update(f.code for f in faults if f.code == "moving_from_arms")
        side = self.counter.side
        phase = {1: "cat", -1: "cow", 0: "neutral"}[side] if in_position else "setup"
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
            leg_side=view.leg_side,
        )

    def finish(self, t_ms: float) -> tuple[Event, ...]:
        return tuple(self._cycle_events(self.counter.finish(t_ms)))

    def pause(self, pose: Pose | None, verdict: ViewVerdict, t_ms: float, frame_index: int) -> Assessment:
        self.tracker.hold(t_ms)
        events = self._cycle_events(self.counter.update(t_ms, None))
        if t_ms - self._last_in_position > self.counter.rule.max_gap_ms:
            self._forget_position()
            self._short = {1: False, -1: False}
            self._short_since = None
            self._fast = False
        phase = "paused" if t_ms - self._last_in_position <= self.counter.rule.max_gap_ms else "setup"
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


SPEC = ExerciseSpec(
    name=CatCowChecker.name,
    title=CatCowChecker.title,
    checker=CatCowChecker,
    thresholds=CatCowThresholds(),
    counts=Counts.REPS,
    start_cue="Come onto your hands and knees, side-on to the camera",
    faults=FAULTS,
    # Spine curvature: back bow relative to neutral, fraction of torso length (+ cat, - cow).
    meter=MeterSpec(
        "spine_curvature",
        "COW",
        "CAT",
        Line("cow_target_bow", "cow target", sign=-1.0),
        Line("cat_target_bow", "cat target"),
        headroom=1.6,
        min_end=0.1,
    ),
    plot_signals=(
        PlotSignal("spine_curvature", -0.12, 0.12),
        PlotSignal("head_line_deg", -60.0, 60.0),
        PlotSignal("elbow_angle_deg", 90.0, 190.0),
    ),
    scales=(PlotSignal("elbow_bend_deg", -10.0, 60.0),),
    evaluate_signals=("head_line_deg", "back_bow"),
    truth_signals=(
        TruthSignal("spine_curvature", "spine_flexion_deg"),
        TruthSignal("back_bow", "back_bow"),
        TruthSignal("head_line_deg", "head_line_deg"),
    ),
)
