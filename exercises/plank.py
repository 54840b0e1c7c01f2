"""Plank (straight-arm or forearm): hold a straight line from shoulders to ankles.

No reps: a hold timer accumulates time in position with the body line within limits. The
plank type is detected from the elbow angle and decided over time, because shoulder stacking
is judged over the elbow (forearm plank) or the wrist (straight-arm plank).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from exercises.base import Assessment, EventKind, Severity, ViewVerdict
from exercises.common import SideViewChecker, rep_event
from exercises.faults import tracked
from exercises.reps import HoldTimer
from exercises.signals import (
    SideView,
    ankle_along_trunk,
    body_inclination,
    body_line,
    elbow_angle,
    face_turn,
    head_line,
    knee_clearance,
    knee_flexion,
    knee_line,
    lean_from_vertical,
    neck_length,
    support_reach,
)
from exercises.spec import (
    AngleLabel,
    Counts,
    ExerciseSpec,
    FaultInfo,
    Line,
    PlotSignal,
    TruthSignal,
)
from exercises.stats import SampleClock, SortedWindow, median, within_noise
from exercises.thresholds import check_consistent, limit
from exercises.view import ViewRule
from vision.landmarks import Joint, Side, other_side
from vision.pose import Pose


@dataclass(frozen=True)
class PlankThresholds:
    """Angles in degrees as MediaPipe reports them (see exercises/README.md)."""

    # Body line, + hips below the shoulder-ankle line (sag), - above (pike): the mean of the
    # deviation at the hip landmark and at the knee (shoulder-knee-ankle). MediaPipe places
    # the hip landmark higher on real bodies than on rendered ones, so the hip alone reads a
    # straight real plank as -3 to -20 deg and a rendered one as +1.5 to +5; the knee line
    # does not use the hip and reads both about 0 (-6 to +3.5), with half the sensitivity.
    # Their mean, measured (5th-95th percentile per clip): straight real planks -10.6 to
    # +3 (nine clips), rendered -0.5 to +4; real pike episode -13.8, rendered ~19 deg pike
    # -15.5; rendered ~18 deg sag +13.9, real sagging planks (labelled keypoints, 710 frames)
    # +12 to +20; a real straight plank with the ankles at the frame edge +6.8.
    # Hips sagging past max_sag_deg: the lumbar spine hangs into extension, loading the facet
    # joints instead of the trunk muscles - the plank's main fault.
    max_sag_deg: float = limit(9.0, 2.0, 45.0)
    # A sag is a posture the hold settles into, not a dip while shifting weight: hip_sag must
    # hold this long (the other faults fault_on_ms). Longest unbroken run of the condition
    # (cached MediaPipe; samples, stress, seeds 97-149, real planks): labelled sags 1.37 s
    # (a real one) to 8.3 s; elsewhere at most 0.40 s (a good blurred 400 px forearm plank
    # whose line read +7.5 with two wobbles past 9, seed 149 028; it was claimed twice).
    hip_sag_on_ms: float = limit(600.0, 0.0, 3000.0)
    # Hips piked past max_pike_deg above the line: the abdominals are unloaded.
    max_pike_deg: float = limit(12.5, 2.0, 45.0)
    # Head dropped forward of the trunk line (chin towards chest): neck out of line with the
    # spine. MediaPipe: rendered neutral necks -5 to +2 deg, a ~35 deg drop +16 (median);
    # real planks with the head in line or up -35 to +6.5 (95th percentile, eight clips), a
    # head "slightly down" 11 (median), heads hanging chin-to-chest 8 to 17 (median) and up
    # to 20-24. 13.5 lies between "slightly down" (11) and hanging (16-17), 7 deg above every
    # neck held in line.
    head_drop_deg: float = limit(13.5, 3.0, 90.0)
    # ... and the face turned down towards the chest at least this far (ear->nose against
    # hip->shoulder; ~90 = face square to the trunk): a hanging head is flexed, so both its
    # position and its orientation show the drop. MediaPipe's ear alone drifts: a good
    # rendered forearm plank 27 deg off side-on read the head line 8.6-15 (truth -5) with the
    # face at 85-89. Face while the head line is past head_drop_deg (5th-95th percentile per
    # clip): rendered drops 104-115, real drops 98-122 (chin to chest 98-107), that good
    # plank 85-89. Alone it separates nothing (neutral rendered planks 70-100, all real ones
    # 52-121: it depends on the camera's yaw), so it only confirms the head line.
    head_drop_face_deg: float = limit(93.0, 45.0, 150.0)
    # ... and the neck seen long enough to give the head line a direction: ear to shoulder at
    # least this many torso lengths (shoulder to hip). The head line is the angle of that
    # short segment, so a landmark error turns it by error / neck length: seen from behind
    # and above, the head hides the neck and the ear lands next to the shoulder. Measured
    # (5th-95th percentile in position): side views 0.23-0.66 (real and rendered, drops
    # included: real drops 0.23-0.52, rendered 0.35-0.60); a rendered pike seen 28 deg from
    # behind 0.14-0.16, whose head line read +17..+22 with the head in line (truth +3..+4).
    # The neck is a property of the view, so the test also passes on the neck's 90th percentile
    # over the last ~20 s in position: a hanging head brings the ear down to the shoulder (a
    # render 27 deg off side-on: 0.26 in line, 0.15-0.18 hanging, the drop then unjudged).
    min_neck_torso: float = limit(0.19, 0.0, 1.0)
    # Not judged while the hips pike past max_pike_deg (the hip_pike condition): the trunk
    # then tilts head-down and a head in line with the body reads as hanging against the
    # trunk. Body line where head_drop's own condition held (cached MediaPipe): labelled
    # head drops, rendered -3.1..+4.7, real -10.5..-5.5; rendered pikes without a head drop
    # -24.2..-22.7 (95 frames, a seed-67 render whose truth head line is +8.5 in the pike),
    # -19.1..-9.6 (3 frames, under fault_on_ms). The pike limit itself is the gate: 0.8 x it
    # (10 deg) would cut into real head drops at -10.5.
    # A fault is claimed only from a signal steadier than the fault (as in the hinge): while
    # the head line's own frame-to-frame noise (robust SD of second differences, last 60
    # samples in position, see MIN_SAMPLE_MS) is above this, head_drop is not judged.
    # Measured (largest over the clip): rendered samples <= 0.23 deg, stress renders <= 1.49,
    # real planks <= 2.06 (a head-drop clip); a 400 px render (noise 4, blur 1.5, JPEG 25)
    # whose head line jumps 20-30 deg between frames 2.9-16.
    max_head_noise_deg: float = limit(2.5, 0.3, 20.0)
    # ... or, where the absolute head line stays under head_drop_deg, the head turned down from
    # the person's own start of the position: the head line at least head_drop_rise_deg and the
    # face turn at least head_drop_face_rise_deg above their medians over the first settle_ms in
    # position, with the ear below the trunk line extended (head line > 0) and the face past
    # head_drop_face_deg. Where a head sits against the trunk depends on the person and the
    # camera (neutral necks read -27..+19 across clips), so a drop shows better as a change;
    # a flexing neck moves both the ear and the nose, a landmark drifting moves one. Held
    # fault_on_ms, in position, not piked, shoulders stacked (cached MediaPipe, reference as
    # above): labelled drops whose head line stays under 13.5 (seed-83 016, a 12 deg true drop
    # read +10..+12) rise 9.3..17.5 with the face +34..+40; every neutral frame whose head line
    # rose 10 or more: real planks (a tutorial's pinched shoulder blades, a GIF's pike) face
    # +7..+16; renders none on a stacked plank (but a drop's own edge frames and a noisy one
    # the face gate below stops). The face rise is the separating cue (margin 9 either side
    # of 25); the head rise says the ear moved with it.
    head_drop_rise_deg: float = limit(10.0, 2.0, 45.0)
    head_drop_face_rise_deg: float = limit(25.0, 5.0, 90.0)
    # ... from a steady face: the turned-down cue is not claimed while the face turn's own
    # frame-to-frame noise (as max_head_noise_deg, last 60 faces in position: samples) is
    # above this (the hinge's face gate). Ear and nose a few pixels apart can swap sides on a small,
    # blurred head and the face turn then jumps through 180. Measured (largest over the clip):
    # real planks <= 1.3; labelled rendered drops where turned down <= 2.6; noisy good renders
    # 4.0-52 (a 400 px blurred JPEG one 8.7-24 where its head line rose with the face).
    max_face_noise_deg: float = limit(3.0, 0.3, 20.0)
    # Supporting arm (shoulder->elbow in a forearm plank, shoulder->wrist straight-arm) from
    # vertical: shoulders not stacked over the support, extra shoulder load. + = the support
    # ahead of the shoulder (body shifted back), - = the shoulders ahead of it. Per clip,
    # 5th-95th percentile in position (cached MediaPipe): planks held stacked, renders (stress,
    # seeds 97-139) -20.1..+10.3 (a pike +10.3: the shoulders shift back), real +5.5..-29.6
    # (MediaPipe puts the shoulder landmark of a real forearm plank forward of the joint, so
    # the forward limit is wider); hands 20-30 cm ahead (renders) medians 19.1-27.6, the
    # lowest 27 deg off side-on, which shortens the tilt. 15 lies between 10.3 and 19.1.
    max_stack_deg: float = limit(15.0, 5.0, 60.0)
    max_stack_forward_deg: float = limit(35.0, 5.0, 70.0)
    # In position: shoulder-ankle line within this of horizontal (a straight-arm plank is
    # ~20-25 deg, standing is 90) ...
    max_body_incline_deg: float = limit(40.0, 10.0, 70.0)
    # ... knees nearly straight (on the toes, not the knees: a knee plank bends them ~90) ...
    max_knee_flexion_deg: float = limit(40.0, 10.0, 90.0)
    # ... knees off the floor: the knee above the floor line (support to toes), in shin
    # lengths. Lying, a sphinx, a plank on the knees and lowering out of a plank rest the
    # knees on the floor; judged as a plank they read as a deep sag. A sag lowers the knees
    # too, but not to the floor, so this is a hysteresis: the knees must come up past
    # knees_up to get into the plank, and the plank lasts until they are back below
    # knees_down. Measured (MediaPipe, 5th-95th percentile per clip): straight planks, real
    # 0.5-0.8, rendered 0.4-0.7 (one noisy 23-deg view 0.2-0.4); sagging planks, real (line
    # +27) 0.3-0.4, rendered (+14) 0.3, rendered (+22) 0.2-0.3; a real plank on the knees
    # 0.1-0.2 (0.4 for a moment while getting up), lowering to the floor 0.0-0.3 (median 0.1).
    # A recording that opens in a plank posture shows no way into it: the first state is
    # taken against knees_down, as for a plank already held (seed 139, 004: a sag held from
    # the first frame, +19 on the line, knees at 0.2-0.3, was never in position; cached on
    # every set nothing else moves).
    knees_up_clearance: float = limit(0.3, 0.0, 1.0)
    knees_down_clearance: float = limit(0.15, 0.0, 1.0)
    # ... but the knees cannot touch the floor from a body held straight and raised: knees on
    # the floor need the body to bend off it (at the knees, or the hips sagging towards the
    # floor: a knee plank, a sphinx) or to lie low (prone, the end of lowering). With straight
    # knees (flexion under straight_knee_deg) and the body line inside the good-form band
    # (-max_pike_deg..max_sag_deg), a clearance under knees_down while the shoulder-ankle line
    # is still raised_incline_deg or more above horizontal is landmark noise (the toe or
    # support landmark lifting the floor line), and the knees stay up. Measured (cached
    # MediaPipe, every frame with clearance under knees_down and the other in-position
    # conditions met): real knees on the floor with the line in that band (prone, lowering,
    # 173 frames) incline 1.4-6.4; real knees down at a higher incline (knee planks, up to
    # 31) all read the line +17 or more; the only such frames on renders (all eight sets),
    # a noisy high plank 23 deg off side-on, incline 19.7-21.1, knees 1-5, line +2..+4.
    # Straight planks in position: knees 0-22 (real), 0-12 (that render).
    straight_knee_deg: float = limit(15.0, 5.0, 40.0)
    raised_incline_deg: float = limit(15.0, 5.0, 40.0)
    # The legs are measured on a leg whose ankle lies behind the hip: where MediaPipe places
    # the measured ankle forward past the hip, more than this many torso lengths along the
    # hip->shoulder line, and the other ankle is not, the other leg is measured. Standing,
    # kneeling, lying and in a plank the ankle lies behind the hip. Measured (cached
    # MediaPipe, every frame the plank judged, all sets): real clips up to -0.23 (in position
    # -0.91), renders up to -0.01 (in position -1.16); a blurred 400 px render 30 deg off
    # side-on whose near leg MediaPipe folded forward under the body (visibility 0.9 against
    # the straight far leg's 0.5-0.7) +0.4..+1.26 for 1.4 s of a good plank: its body line read
    # -130 and the hold lost 1.6 s. 0.2 lies midway. A hip hinge puts both ankles +0.5..+0.75
    # forward, so this is the plank's own rule, not the shared leg choice.
    max_ankle_along_trunk: float = limit(0.2, -1.0, 1.0)
    # ... and the body line within these: a deep pike (hips high, ~-40 on this line) is still
    # a plank with a fault to report; past -70 the body is an inverted V (a downward dog), and
    # past +45 the hips hang to the floor: those are other postures.
    max_line_deg: float = limit(45.0, 20.0, 90.0)
    max_pike_line_deg: float = limit(70.0, 20.0, 120.0)
    # ... and the supports stretched apart: the toes at least min_support_reach torso lengths
    # from the support (elbow or wrist). Any plank, a deep pike too, holds the body between its
    # supports; hands and feet close together is kneeling, crouching, or a front view whose far
    # arm MediaPipe took for the legs (a rendered head-on high plank, seed 181 `013`, fitted
    # as an inverted V at -67..-70 on the line with the "feet" beside the hands; its depth yaw
    # read 31-38, so the view gate passed it, and hip_pike was claimed). Measured (cached
    # MediaPipe, every frame in position before this rule): that fit 1.13-1.24; renders
    # (samples, stress, seeds 179 and 181) per clip 5th percentile 2.02 and up (pikes
    # 2.02-2.09); real planks, every frame, 1.91 and up, 1.66 on a 45-60 deg front-oblique one
    # (ak_plank, a view to refuse). 1.45 lies midway between 1.24 and 1.66.
    min_support_reach: float = limit(1.45, 0.5, 3.0)
    # Elbow angle above straight_arm_deg = straight-arm plank, below forearm_deg = forearm.
    straight_arm_deg: float = limit(140.0, 100.0, 180.0)
    forearm_deg: float = limit(120.0, 45.0, 170.0)
    # Hold: in position with good form this long before the hold starts counting.
    settle_ms: float = limit(500.0, 0.0, 5000.0)
    # A fault shows once its condition has held this long (one noisy frame is not a fault).
    # The same 0.2 s as the hinge: a real mild pike crossed the line for 0.2-0.3 s at a time.
    fault_on_ms: float = limit(200.0, 0.0, 2000.0)

    def __post_init__(self) -> None:
        check_consistent(
            self.forearm_deg < self.straight_arm_deg, "forearm_deg must be below straight_arm_deg"
        )
        check_consistent(
            self.knees_down_clearance <= self.knees_up_clearance,
            "knees_down_clearance must not be above knees_up_clearance",
        )
        check_consistent(
            self.straight_knee_deg <= self.max_knee_flexion_deg,
            "straight_knee_deg must not be above max_knee_flexion_deg",
        )


MESSAGES = {
    "hip_sag": "Lift your hips",
    "hip_pike": "Lower your hips",
    "head_drop": "Keep your head in line with your body",
    "shoulders_not_stacked": "Bring your shoulders over your {support}",
}
# Faults that make the hold not count: only a plank in good form is hold time (a sagging or
# piked line, a hanging head or shoulders off the support all load what the plank should not).
HOLD_BREAKING = frozenset({"hip_sag", "hip_pike", "head_drop", "shoulders_not_stacked"})


# The faults as the user meets them (correction, severity, joints, plotted signal): declared
# once here; the checker's fault tracker and everything in feedback/ read them.
FAULTS: tuple[FaultInfo, ...] = (
    FaultInfo(
        "hip_sag",
        Severity.MAJOR,
        MESSAGES["hip_sag"],
        frozenset({Joint.HIP}),
        "body_line_deg",
        (Line("max_sag_deg", "hips sag"),),
    ),
    FaultInfo(
        "hip_pike",
        Severity.MODERATE,
        MESSAGES["hip_pike"],
        frozenset({Joint.HIP}),
        "body_line_deg",
        (Line("max_pike_deg", "hips pike", sign=-1.0),),
    ),
    FaultInfo(
        "shoulders_not_stacked",
        Severity.MINOR,
        MESSAGES["shoulders_not_stacked"],
        frozenset({Joint.SHOULDER, Joint.ELBOW, Joint.WRIST}),
        "shoulder_stack_deg",
        (
            Line("max_stack_deg", "support ahead of the shoulders"),
            Line("max_stack_forward_deg", "shoulders ahead of the support", sign=-1.0),
        ),
    ),
    FaultInfo(
        "head_drop",
        Severity.MINOR,
        MESSAGES["head_drop"],
        frozenset({Joint.EAR, Joint.SHOULDER}),
        "head_line_deg",
        (Line("head_drop_deg", "head dropped"),),
    ),
)


class PlankChecker(SideViewChecker):
    name = "plank"
    title = "Plank"
    main_signals = ("body_line_deg", "head_line_deg", "shoulder_stack_deg", "body_incline_deg")
    counts = "hold"
    start_position = "in a plank (on forearms or hands and toes, body long and low)"
    view_rule = ViewRule(key_joints=(Joint.SHOULDER, Joint.ELBOW, Joint.HIP, Joint.KNEE, Joint.ANKLE))

    def __init__(self, thresholds: PlankThresholds | None = None) -> None:
        self.thresholds = th = thresholds or PlankThresholds()
        on = th.fault_on_ms
        self.fault_specs = tracked(FAULTS, on, {"hip_sag": (th.hip_sag_on_ms, 300.0)})
        super().__init__()
        # The settling half second is not hold time: passing through a plank on the way into
        # (or out of) it is not holding one.
        self.timer = HoldTimer(settle_ms=th.settle_ms, count_settling=False)
        self._reset_state()

    def _reset_state(self) -> None:
        self.straight_arm: bool | None = None  # plank type, decided with hysteresis
        self.knees_up = False  # on the toes (knees off the floor), with hysteresis
        self._knees_seen = False  # the knees' state has been decided once in a plank posture
        self._held_once = False
        # Head and face noise windows count samples, not frames: see MIN_SAMPLE_MS.
        self._head_history: deque[float] = deque(maxlen=60)
        self._face_history: deque[float] = deque(maxlen=60)
        self._neck_history = SortedWindow(600)  # ~20 s: a view, not a moment
        self._clock = SampleClock()
        # The person's own head line and face turn over the first settle_ms in position (None
        # until formed; formed again at each entry into the position).
        self._position_since: float | None = None
        self._start_heads: list[tuple[float, float]] = []
        self._head_start: tuple[float, float] | None = None

    def reset(self) -> None:
        super().reset()
        self.timer.reset()
        self._reset_state()

    def _plank_type(self, elbow: float) -> bool | None:
        th = self.thresholds
        if elbow >= th.straight_arm_deg:
            self.straight_arm = True
        elif elbow <= th.forearm_deg:
            self.straight_arm = False
        return self.straight_arm

    def _knees_up(self, clearance: float, held_raised: bool, posture: bool) -> bool:
        th = self.thresholds
        if posture and not self._knees_seen:
            # The first look at a plank posture: no way into it was seen, so the knees are
            # judged as they would be in a plank already held.
            self._knees_seen = True
            self.knees_up = self.knees_up or clearance >= th.knees_down_clearance
        if clearance >= th.knees_up_clearance:
            self.knees_up = True
        elif clearance < th.knees_down_clearance and not held_raised:
            self.knees_up = False
        return self.knees_up

    def _held_raised(self, knee: float, line_deg: float, incline: float) -> bool:
        """Straight knees, the body in line and well off the floor: the knees cannot be down."""
        th = self.thresholds
        return (
            knee <= th.straight_knee_deg
            and -th.max_pike_deg <= line_deg <= th.max_sag_deg
            and incline >= th.raised_incline_deg
        )

    def _leg_behind_the_hip(self, view: SideView, near: Side) -> SideView:
        """The other leg where the measured one is folded forward past the hip and the other
        is not: no posture met on the way into, in or out of a plank puts an ankle there."""
        limit = self.thresholds.max_ankle_along_trunk
        other = other_side(view.leg_side)
        if ankle_along_trunk(view, view.leg_side) > limit >= ankle_along_trunk(view, other):
            return SideView.of(view.pose, near, view.facing, leg=other)
        return view

    def judge(self, view: SideView, verdict: ViewVerdict, t_ms: float, frame_index: int) -> Assessment:
        th = self.thresholds
        view = self._leg_behind_the_hip(view, verdict.side)
        hip_line_deg, line_rel = body_line(view)
        knee_line_deg = knee_line(view)
        line_deg = 0.5 * (hip_line_deg + knee_line_deg)
        incline = body_inclination(view)
        head = head_line(view)
        face = face_turn(view)
        neck = neck_length(view)
        elbow = elbow_angle(view)
        knee = knee_flexion(view)
        straight = self._plank_type(elbow)
        support = view.wrist if straight else view.elbow
        stack = lean_from_vertical(view.shoulder, support, view.facing)
        clearance = knee_clearance(view, support)
        reach = support_reach(view, support)
        m = {
            "body_line_deg": line_deg,
            "hip_line_deg": hip_line_deg,
            "knee_line_deg": knee_line_deg,
            "body_line_rel": line_rel,
            "head_line_deg": head,
            "face_turn_deg": face,
            "neck_torso": neck,
            "shoulder_stack_deg": stack,
            "elbow_angle_deg": elbow,
            "body_incline_deg": incline,
            "knee_flexion_deg": knee,
            "knee_clearance": clearance,
            "support_reach": reach,
            "straight_arm": None if straight is None else float(straight),
            **self.view_measurements(),
        }
        # Supported on hands or forearms: the support point is below the shoulder by most of
        # the upper arm, and the body is long and low, knees off the floor.
        upper_arm = max(float(((view.elbow - view.shoulder) ** 2).sum() ** 0.5), 1e-6)
        supported = support[1] - view.shoulder[1] > 0.6 * upper_arm
        low_and_straight = incline <= th.max_body_incline_deg and knee <= th.max_knee_flexion_deg
        # Everything of a plank but the knees (whose hysteresis needs a first state). The
        # hysteresis itself moves only on frames low and straight enough, hence the order below.
        posture = (
            low_and_straight
            and -th.max_pike_line_deg <= line_deg <= th.max_line_deg
            and reach >= th.min_support_reach
            and supported
            and straight is not None
        )
        in_position = (
            low_and_straight
            and self._knees_up(clearance, self._held_raised(knee, line_deg, incline), posture)
            and posture
        )
        if in_position and self._clock.take(t_ms):
            self._head_history.append(head)
            self._face_history.append(face)
            self._neck_history.append(neck)
        self._track_head_start(in_position, t_ms, head, face)
        word = "hands" if straight else "elbows"
        conditions = {}
        piked = line_deg < -th.max_pike_deg
        unstacked = stack > th.max_stack_deg or stack < -th.max_stack_forward_deg
        if in_position:
            conditions = {
                "hip_sag": line_deg > th.max_sag_deg,
                "hip_pike": piked,
                # In a pike the trunk tilts head-down and a head held in line with the body
                # (or hanging with gravity) reads as flexed against the trunk: the head line
                # says nothing while piked, and lowering the hips is the cue that matters.
                # Likewise with the shoulders off the support: the shoulder landmark, the
                # head line's vertex, rides up with the arm, so the trunk line tilts and a
                # head in line reads as hanging (see exercises/README.md).
                "head_drop": not piked and not unstacked and self._head_dropped(head, face, neck),
                # Raising the hips rocks the shoulders back off the support: in a pike the
                # stacking follows from it, and lowering the hips is the cue that matters.
                "shoulders_not_stacked": (
                    False
                    if piked or not unstacked
                    else MESSAGES["shoulders_not_stacked"].format(support=word)
                ),
            }
        faults = self.tracker.update(t_ms, conditions)
        codes = tuple(f.code for f in faults)
        valid = not (HOLD_BREAKING & set(codes))
        if self.timer.holding or in_position:
            self._episode_faults.update(codes)
        # A breaking fault's condition held past the usual fault_on_ms but not yet confirmed
        # (hip_sag takes 0.6 s) is no good form either: that time is not counted, though the
        # hold goes on if the fault never shows.
        paused = self.tracker.pending(HOLD_BREAKING, th.fault_on_ms)
        events = self._hold_events(self.timer.update(t_ms, True, in_position, valid, codes, paused))
        if self.timer.holding:
            phase = "holding"
        elif in_position:
            phase = "form_break" if not valid else "settling"
        else:
            phase = "rest" if self._held_once else "setup"
        return self.assessment(
            verdict,
            t_ms,
            frame_index,
            phase,
            m,
            faults,
            events,
            0,
            self.timer.total_s,
            in_position,
            view.pose,
            unjudged=self._head_unjudged(neck) if in_position and not piked and not unstacked else None,
            leg_side=view.leg_side,
        )

    def _head_unjudged(self, neck: float) -> dict[str, str] | None:
        """Why the head line could not be judged, for the report."""
        if not self._neck_seen(neck):
            return {"head_drop": "the head hid the neck (filmed from above or behind)"}
        if not self._head_steady():
            return {"head_drop": "the head's landmarks were too unsteady to trust"}
        return None

    def _track_head_start(self, in_position: bool, t_ms: float, head: float, face: float) -> None:
        """Form the person's own head reference over the first settle_ms in position."""
        if not in_position:
            self._position_since, self._start_heads, self._head_start = None, [], None
            return
        if self._position_since is None:
            self._position_since = t_ms
        if self._head_start is not None:
            return
        if t_ms - self._position_since <= self.thresholds.settle_ms:
            self._start_heads.append((head, face))
        elif self._start_heads:
            self._head_start = (
                median(h for h, _ in self._start_heads),
                median(f for _, f in self._start_heads),
            )

    def _head_dropped(self, head: float, face: float, neck: float) -> bool:
        """The ear below the trunk line and the face turned down (past the limits, or turned
        down from the person's own start of the position), from a steady head line over a
        neck seen long enough to point somewhere."""
        th = self.thresholds
        return (
            (head > th.head_drop_deg or self._head_turned_down(head, face))
            and face >= th.head_drop_face_deg
            and self._neck_seen(neck)
            and self._head_steady()
        )

    def _neck_seen(self, neck: float) -> bool:
        """The camera shows the neck: in this frame, or as long as it has over the last ~20 s
        in position (90th percentile). A head that hangs brings the ear down to the shoulder and
        hides its own neck for a while; a camera behind and above hides it all along."""
        th = self.thresholds
        if neck >= th.min_neck_torso:
            return True
        recent = self._neck_history
        return len(recent) >= 8 and recent.percentile(90) >= th.min_neck_torso

    def _head_turned_down(self, head: float, face: float) -> bool:
        """Ear below the trunk line, ear and face both turned down from their start, read
        from a steady face."""
        th = self.thresholds
        if self._head_start is None or not within_noise(
            self._face_history, th.max_face_noise_deg, unknown=True
        ):
            return False
        start_head, start_face = self._head_start
        return (
            head > 0.0
            and head - start_head >= th.head_drop_rise_deg
            and face - start_face >= th.head_drop_face_rise_deg
        )

    def _head_steady(self) -> bool:
        """The head line's own noise is below what head_drop needs (unknown yet: trusted)."""
        return within_noise(self._head_history, self.thresholds.max_head_noise_deg, unknown=True)

    def _hold_events(self, outcomes) -> list:
        events = []
        for o in outcomes:
            if o.kind == "started":
                self._held_once = True
                self._episode_faults = set()
                events.append(rep_event(EventKind.HOLD_STARTED, o.t_ms, o.start_ms))
            else:
                metrics = {"duration_s": o.duration_s, "total_hold_s": self.timer.total_s}
                faults = set(self._episode_faults) | (set(o.faults) & set(self.tracker.specs))
                events.append(rep_event(EventKind.HOLD_STOPPED, o.t_ms, o.start_ms, None, faults, metrics))
                self._episode_faults = set()
        return events

    def pause(self, pose: Pose | None, verdict: ViewVerdict, t_ms: float, frame_index: int) -> Assessment:
        self.tracker.hold(t_ms)
        events = self._hold_events(self.timer.update(t_ms, False))
        phase = "holding" if self.timer.holding else ("rest" if self._held_once else "setup")
        return self.assessment(
            verdict,
            t_ms,
            frame_index,
            phase,
            self.view_measurements(),
            (),
            events,
            0,
            self.timer.total_s,
            False,
            pose,
        )

    @property
    def hold_summary(self) -> dict[str, float]:
        """Total and best continuous hold, and seconds spent in each fault while in position."""
        return {"total_hold_s": self.timer.total_s, "best_hold_s": self.timer.best_s} | {
            f"{k}_s": v for k, v in self.timer.fault_s().items()
        }


SPEC = ExerciseSpec(
    name=PlankChecker.name,
    title=PlankChecker.title,
    checker=PlankChecker,
    thresholds=PlankThresholds(),
    counts=Counts.HOLD,
    start_cue="Get into your plank, side-on to the camera",
    faults=FAULTS,
    angles=(
        AngleLabel(
            "body_line_deg",
            Joint.HIP,
            "hips",
            faults=frozenset({"hip_sag", "hip_pike"}),
            positive="low",
            negative="high",
        ),
        AngleLabel(
            "head_line_deg",
            Joint.EAR,
            "head",
            faults=frozenset({"head_drop"}),
            positive="down",
            negative="up",
        ),
    ),
    plot_signals=(
        PlotSignal("body_line_deg", -40.0, 40.0),
        PlotSignal("head_line_deg", -60.0, 60.0),
        PlotSignal("shoulder_stack_deg", -60.0, 60.0),
        PlotSignal("body_incline_deg", -10.0, 90.0),
    ),
    evaluate_signals=("body_line_deg", "head_line_deg"),
    truth_signals=(
        TruthSignal("body_line_deg", "body_line_deg"),
        TruthSignal("head_line_deg", "head_line_deg"),
    ),
)
