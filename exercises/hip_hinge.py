"""Hip hinge (e.g. Romanian deadlift pattern): bend forward from the hips with a flat back.

A rep: standing -> trunk inclined forward (hinged) -> standing, counted from the shoulder-hip
line's inclination. The back's shape comes from the silhouette (landmark angles cannot see a
rounded spine), the rest from near-side joint angles.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from exercises.base import Assessment, EventKind, Severity, ViewVerdict
from exercises.common import SideViewChecker, rep_event
from exercises.faults import FaultSpec
from exercises.reps import RepCounter, RepPhase, RepRule
from exercises.signals import (
    SideView,
    head_line,
    hip_angle,
    hip_travel,
    knee_flexion,
    spine_bow,
    trunk_inclination,
)
from exercises.thresholds import check_consistent, limit
from exercises.view import ViewRule
from vision.landmarks import Joint
from vision.pose import Pose


@dataclass(frozen=True)
class HipHingeThresholds:
    """Angles in degrees as MediaPipe reports them (see exercises/README.md)."""

    # Rep counting on trunk inclination (shoulder-hip line from vertical). Standing sway and
    # MediaPipe's offset keep an upright trunk under ~10 deg; a rep starts past rep_start_deg
    # and ends back under rep_rest_deg (hysteresis: no double counts at one threshold).
    rep_start_deg: float = limit(20.0, 5.0, 60.0)
    rep_rest_deg: float = limit(12.0, 2.0, 50.0)
    # A movement is a rep once the trunk passes this: clearly a hinge, not a nod or a reach.
    # Movements that start but stay shallower are reported as partial reps and not counted.
    rep_count_deg: float = limit(30.0, 10.0, 80.0)
    # Physio target depth: the trunk at least ~45 deg forward is where the hamstrings and
    # glutes do the work the exercise is for; counted reps that stay shallower are flagged.
    target_deg: float = limit(45.0, 20.0, 90.0)
    # Bottom-position faults (locked knees) are judged once the trunk is this far forward.
    hinged_deg: float = limit(35.0, 10.0, 80.0)
    # Rounded back: the dorsal outline bows out more than it did standing, by more than this
    # fraction of torso length. A good hinge keeps the spine's standing (neutral) curves; a
    # flexed, rounded lumbar spine under load is what the exercise is meant to avoid. Measured
    # against the person's own standing shape because outlines differ between bodies more
    # than rounding changes them.
    rounded_bow: float = limit(0.035, 0.005, 0.5)
    # ... or by rounded_bow_with_head while the head line is rounded_head_deg past its standing
    # value: thoracic rounding carries the head down with it, so together they convince at a
    # smaller change.
    rounded_bow_with_head: float = limit(0.025, 0.0, 0.5)
    rounded_head_deg: float = limit(8.0, 0.0, 90.0)
    # Squatting: knees bend past squat_knee_deg AND by at least squat_ratio of the hip flexion.
    # A hinge keeps knees soft (~15-25 deg) while the hips flex ~90; a squat bends both alike.
    squat_knee_deg: float = limit(45.0, 15.0, 120.0)
    squat_ratio: float = limit(0.6, 0.2, 2.0)
    # Locked knees: straighter than this at the bottom puts the stretch on the lower back and
    # the back of the knee; physios cue a soft bend (~10-20 deg).
    locked_knee_deg: float = limit(8.0, 0.0, 30.0)
    # Head drop: the head bent forward of the trunk line by more than this (chin to chest)
    # rounds the neck; the cue is to keep the neck long, eyes on the floor ahead.
    head_drop_deg: float = limit(30.0, 5.0, 90.0)
    # Faults must persist this long to show (one noisy frame is not a fault).
    fault_on_ms: float = limit(200.0, 0.0, 2000.0)

    def __post_init__(self) -> None:
        check_consistent(self.rep_rest_deg < self.rep_start_deg, "rep_rest_deg must be below rep_start_deg")
        check_consistent(
            self.rep_start_deg <= self.rep_count_deg, "rep_count_deg must be at least rep_start_deg"
        )


MESSAGES = {
    "rounded_back": "Keep your back flat — push your hips back",
    "squatting": "Push your hips back — don't squat down",
    "locked_knees": "Soften your knees a little",
    "shallow_hinge": "Hinge deeper — push your hips further back",
    "head_drop": "Keep your head in line with your back",
}


class HipHingeChecker(SideViewChecker):
    name = "hip-hinge"
    title = "Hip hinge"
    main_signals = ("trunk_inclination_deg", "hip_angle_deg", "knee_flexion_deg", "back_bow", "head_line_deg")
    view_rule = ViewRule(key_joints=(Joint.EAR, Joint.SHOULDER, Joint.HIP, Joint.KNEE, Joint.ANKLE))

    def __init__(self, thresholds: HipHingeThresholds | None = None) -> None:
        self.thresholds = th = thresholds or HipHingeThresholds()
        on = th.fault_on_ms
        self.fault_specs = (
            FaultSpec("rounded_back", Severity.MAJOR, MESSAGES["rounded_back"], on),
            FaultSpec("squatting", Severity.MODERATE, MESSAGES["squatting"], on),
            FaultSpec("shallow_hinge", Severity.MODERATE, MESSAGES["shallow_hinge"], 0.0, 600.0),
            FaultSpec("locked_knees", Severity.MINOR, MESSAGES["locked_knees"], on),
            FaultSpec("head_drop", Severity.MINOR, MESSAGES["head_drop"], on),
        )
        super().__init__()
        self.counter = RepCounter(RepRule(th.rep_start_deg, th.rep_rest_deg, th.rep_count_deg))
        self._reset_reference()
        self._new_rep()

    def _reset_reference(self) -> None:
        self._standing_bow: deque[float] = deque(maxlen=60)  # ~2 s of standing frames
        self._standing_head: deque[float] = deque(maxlen=60)

    def reset(self) -> None:
        super().reset()
        self.counter.reset()
        self._reset_reference()
        self._new_rep()

    def _standing_reference(
        self, bow: float | None, head: float, standing: bool
    ) -> tuple[float | None, float | None]:
        """Median back bow and head line of the recent standing frames (the person's neutral)."""
        if standing:
            if bow is not None:
                self._standing_bow.append(bow)
            self._standing_head.append(head)
        ref_bow = float(np.median(self._standing_bow)) if len(self._standing_bow) >= 8 else None
        ref_head = float(np.median(self._standing_head)) if len(self._standing_head) >= 8 else None
        return ref_bow, ref_head

    def _new_rep(self) -> None:
        self._episode_faults = set()
        self._rep: dict[str, float] = {}
        self._squatted = False

    def _track_rep(self, m: dict[str, float | None]) -> None:
        r = self._rep
        trunk = m["trunk_inclination_deg"]
        if trunk is not None and trunk >= r.get("max_trunk_inclination_deg", -1.0):
            r["max_trunk_inclination_deg"] = trunk
            r["hip_angle_at_bottom_deg"] = m["hip_angle_deg"]
            r["knee_flexion_at_bottom_deg"] = m["knee_flexion_deg"]
            r["hip_travel_at_bottom"] = m["hip_travel"]
        rounding = m.get("back_rounding")
        if rounding is not None and rounding > r.get("max_back_rounding", float("-inf")):
            r["max_back_rounding"] = rounding

    def _phase(self, trunk: float) -> str:
        c = self.counter
        if c.phase is RepPhase.SETUP:
            return "setup"
        if c.phase is RepPhase.REST:
            return "standing"
        peak = c.peak or trunk
        if trunk < peak - 5.0:
            return "rising"
        return "hinged" if trunk >= self.thresholds.hinged_deg else "hinging"

    def judge(self, view: SideView, verdict: ViewVerdict, t_ms: float, frame_index: int) -> Assessment:
        th = self.thresholds
        trunk = trunk_inclination(view)
        hip = hip_angle(view)
        knee = knee_flexion(view)
        head = head_line(view)
        bow = spine_bow(view)
        # Standing still between reps (not during one): the reference shape of this person.
        leg = view.leg_px
        in_position = view.ankle[1] - view.knee[1] > 0.25 * leg and view.ankle[1] - view.hip[1] > 0.4 * leg
        standing = in_position and trunk < th.rep_rest_deg and not self.counter.in_rep
        ref_bow, ref_head = self._standing_reference(bow, head, standing)
        rounding = None if bow is None or ref_bow is None else bow - ref_bow
        head_rise = None if ref_head is None else head - ref_head
        m: dict[str, float | None] = {
            "trunk_inclination_deg": trunk,
            "hip_angle_deg": hip,
            "knee_flexion_deg": knee,
            "hip_travel": hip_travel(view),
            "back_bow": bow,
            "back_rounding": rounding,
            "head_line_deg": head,
            **self.view_measurements(),
        }

        events = []
        for o in self.counter.update(t_ms, trunk if in_position else None):
            events.append(self._rep_boundary(o))
        if self.counter.in_rep:
            self._track_rep(m)

        hip_flex = 180.0 - hip
        bent = trunk >= th.rep_start_deg
        # Without a standing reference (no mask, or never seen standing) the back is not judged.
        rounded = (
            rounding is not None
            and bent
            and (
                rounding >= th.rounded_bow
                or (
                    rounding >= th.rounded_bow_with_head
                    and head_rise is not None
                    and head_rise >= th.rounded_head_deg
                )
            )
        )
        squatting = in_position and knee >= th.squat_knee_deg and knee >= th.squat_ratio * hip_flex
        if squatting and self.counter.in_rep:
            self._squatted = True
        peak = self.counter.peak
        # A squat keeps the trunk upright; the squat cue covers it, so no shallow cue on top.
        shallow = (
            self.counter.reached
            and not self._squatted
            and peak is not None
            and peak < th.target_deg
            and trunk < peak - 5.0
        )
        conditions = {
            "rounded_back": rounded,
            "squatting": squatting,
            "locked_knees": self.counter.in_rep and trunk >= th.hinged_deg and knee < th.locked_knee_deg,
            "shallow_hinge": shallow,
            "head_drop": bent and head >= th.head_drop_deg,
        }
        faults = self.tracker.update(t_ms, conditions)
        if self.counter.in_rep:
            self._episode_faults.update(f.code for f in faults)
            self._episode_faults.update(c for c, on in conditions.items() if on and c == "shallow_hinge")
        return self.assessment(
            verdict,
            t_ms,
            frame_index,
            self._phase(trunk),
            m,
            faults,
            events,
            self.counter.count,
            0.0,
            in_position,
            view.pose,
        )

    def _rep_boundary(self, o):
        if o.kind == "started":
            self._new_rep()
            return rep_event(EventKind.REP_STARTED, o.t_ms, o.start_ms)
        metrics = dict(self._rep)
        metrics["duration_s"] = (o.t_ms - o.start_ms) / 1000.0
        metrics["max_trunk_inclination_deg"] = o.peak
        faults = set(self._episode_faults)
        if o.kind == "completed" and o.peak < self.thresholds.target_deg and not self._squatted:
            faults.add("shallow_hinge")
        kind = EventKind.REP_COMPLETED if o.kind == "completed" else EventKind.REP_PARTIAL
        event = rep_event(kind, o.t_ms, o.start_ms, o.index, faults, metrics)
        self._new_rep()
        return event

    def pause(self, pose: Pose | None, verdict: ViewVerdict, t_ms: float, frame_index: int) -> Assessment:
        events = [self._rep_boundary(o) for o in self.counter.update(t_ms, None)]
        self.tracker.hold(t_ms)
        phase = "setup" if self.counter.phase is RepPhase.SETUP else "paused"
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
