"""Hip hinge (e.g. Romanian deadlift pattern): bend forward from the hips with a flat back.

A rep: standing -> trunk inclined forward (hinged) -> standing, counted from the shoulder-hip
line's inclination. The back's shape comes from the silhouette (landmark angles cannot see a
rounded spine), the rest from near-side joint angles.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace

from exercises.base import Assessment, Event, EventKind, Severity, ViewVerdict
from exercises.common import SideViewChecker, rep_event
from exercises.faults import dated_from, tracked
from exercises.reps import RepCounter, RepPhase, RepRule
from exercises.signals import (
    SideView,
    face_turn,
    far_shoulder_along_trunk,
    head_line,
    hip_angle,
    hip_travel,
    knee_flexion,
    sagittal_bend,
    spine_bow,
    thigh_share,
    torso_mask_px,
    trunk_inclination,
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
from vision import geometry as g
from vision.landmarks import Joint, other_side
from vision.pose import Pose


@dataclass(frozen=True)
class HipHingeThresholds:
    """Angles in degrees as MediaPipe reports them (see exercises/README.md)."""

    # Trunk inclination (shoulder-hip line from vertical) is measured from the person's own
    # standing posture (the 10th percentile of the last ~20 s on the feet): people stand with
    # 0-10 deg of lean and MediaPipe adds a few degrees either way (real clips: 0-12 deg).
    # Trunk thresholds are relative to it.
    # A rep starts once the trunk leans rep_start_deg past standing and ends back within
    # rep_rest_deg of it (hysteresis: jitter at one threshold cannot count twice).
    rep_start_deg: float = limit(8.0, 3.0, 60.0)
    rep_rest_deg: float = limit(4.0, 1.0, 50.0)
    # It counts once the trunk passes this: clearly a hinge, not a nod or a reach. Shallower
    # movements are reported as partial reps and not counted; a counted rep short of
    # target_deg is judged shallow (bad form is cued, not skipped). Deepest lean per
    # rendered movement (cached MediaPipe, committed stress and seeds 97-127): dips of 7-17
    # deg true read 4.4-11.9; the shallowest labelled reps (true 23-30, some 22 deg off
    # side-on) 18.3 and up. 15 lies midway; 20 dropped an 18.3 rep, and the shallow cue with it.
    rep_count_deg: float = limit(15.0, 5.0, 80.0)
    # Physio target depth: the trunk at least ~45 deg forward is where the hamstrings and
    # glutes do the work the exercise is for; counted reps that stay shallower are flagged.
    # Set in MediaPipe's reading, which falls short of the true lean (already turned back into
    # the sagittal plane): per rendered rep (samples, committed stress, seeds 97/101/103;
    # cached) by a median of 3.6 deg (10th pct. 11.8, most 27-29 deg off side-on). Read
    # depths: shallow reps (true 30-38) and squats at most 37.5 (40.9 one squat); full reps
    # (true 55-85) from 44.8 (true 58 filmed 28 deg off side-on), 46.0 next; real RDLs 52.9
    # and deeper. 45 less the median shortfall, ~41, sits between 37.5 and 44.8.
    target_deg: float = limit(41.0, 15.0, 90.0)
    # Bottom-position faults (locked knees) are judged once the trunk is this far forward.
    hinged_deg: float = limit(35.0, 10.0, 80.0)
    # The standing reference is never taken above this (absolute): someone seen only bent over
    # (a recording that starts on the way down) is measured from upright-ish. Standing
    # references at the end of each clip (cached MediaPipe): real RDLs 0.8-11.3 (a single-leg
    # RDL the highest), renders (samples, stress, seeds 97-181) up to 10.0. At the former 20
    # a good render whose first frame came 23 deg into its first rep (seed 181, `021`, true
    # depth 66, read 59) was measured from 20 and called shallow (39 against 41).
    max_standing_deg: float = limit(15.0, 5.0, 45.0)
    # Rounded back: the dorsal outline bows out more than it did standing, by more than this
    # fraction of torso length. A good hinge keeps the spine's standing (neutral) curves; a
    # flexed, rounded lumbar spine under load is what the exercise is meant to avoid. Measured
    # against the person's own standing shape because outlines differ between bodies more
    # than rounding changes them.
    # MediaPipe masks while leaning >= 20 deg: rendered flat backs reach at most +0.030,
    # rendered ~40-45 deg of spinal flexion +0.056 (90th percentile), +0.063 at most; real flat
    # backs (RDLs) reach at most +0.039, a real rounded back +0.106 (90th pct.). 0.045 sits
    # above every flat back and below the 90th percentile of every rounded one. (The head
    # line is no help here: it rises as much with a dropped head as with a rounded back.)
    rounded_bow: float = limit(0.045, 0.005, 0.5)
    # The rounding must be resolvable in the picture: rounded_bow x the torso's length in the
    # segmentation mask's pixels (the mask stays at the estimator's inference size, which can
    # be smaller than the frame) at least this many pixels of outline, else the back's shape
    # is not judged. Where the picture is otherwise fair a flat back's outline still moves
    # this much from standing (edge quantisation, the mask's own smoothing): rendered 640 px
    # samples side-on (hinged torsos 93-97 px) +2.9 px at most, the smallest real flat RDL
    # (79 px) +3.1 px at most. In smaller pictures it decides the reading: rendered flat backs
    # on 36-60 px torsos read +2 to +5 px (+0.05 to +0.10) over standing, two of them long
    # enough to be claimed (49 and 56 px). Torsos (mask px, 5-frame median, while hinged):
    # rounded backs found 78-80 (render), 92 (sample), 125-133 (real RDL), and one at 60 px
    # (a 400 px render) that this gives up; real clips hinged 79-142. 3 px / 0.045 = 67 px.
    min_bow_px: float = limit(3.0, 0.0, 20.0)
    # With the knees bent past this (a deadlift from the floor, a squat) the thighs fold into
    # the belly and the glutes into the lower back outline: it no longer shows the spine, so
    # rounding is not judged. RDL bottoms read 15-50 deg; floor deadlifts 55-90 deg, where flat
    # backs read +0.05 to +0.15 "rounding".
    rounding_max_knee_deg: float = limit(55.0, 20.0, 120.0)
    # The outline must be steadier than the rounding it would report: when the standing back
    # bow alone varies by more than this (robust SD; a small, blurred or compressed picture,
    # an oblique view), rounding is not judged. Rendered 0.003-0.014, real side views
    # 0.008-0.018 (median), a 480 px stock loop 0.046, a 45-60 deg oblique view 0.053.
    max_outline_noise: float = limit(0.03, 0.005, 0.2)
    # Seen from behind at an angle the outline's top edge is the far flank and shoulder blade,
    # not the spine: a flat back there reads rounder (+0.060 median, +0.100 90th pct. over
    # standing) than two rounded ones (+0.034-0.043 median). Such a view shows the far
    # shoulder behind the near one along the trunk (far_shoulder_along_trunk, median while
    # hinged): rear-oblique renders 13-26 deg off side-on 0.87-0.88; side-on renders and real
    # RDLs 0.95-0.99; front-oblique 1.03-1.30. Below this the back is not judged.
    min_far_shoulder_t: float = limit(0.92, 0.0, 1.5)
    # The outline while hinged must be steadier than the rounding it would report: its own
    # frame-to-frame noise (robust SD from second differences of the back bow over the last 30
    # hinged samples, see MIN_SAMPLE_MS) above this means a prop on or above the back (a dowel
    # the mask half takes in), a noisy or compressed picture, and rounded_back is not claimed.
    # Per clip: rounded backs that are found 0.005-0.010 (samples, renders, a real rounded RDL
    # 0.006); real flat RDLs 0.004-0.008, a real front-oblique variant 0.017; rendered good
    # hinges whose outline read as rounding 0.022-0.025 (a dowel floating above the back, a
    # noisy 400 px picture). About 0.4 x rounded_bow, the ratio the angle gates use.
    max_hinged_outline_noise: float = limit(0.018, 0.002, 0.2)
    # Squatting: knees bend past squat_knee_deg AND by at least squat_ratio of the hip flexion.
    # A hinge keeps knees soft (~15-25 deg) while the hips flex ~90; a squat bends both alike.
    # The knee bend is counted from the person's own standing reading (median of the frames near
    # standing), because what hides the legs sets MediaPipe's offset: standing knees (cached
    # MediaPipe, per clip) read 0.8-15.1 on real clips and up to 14.2 on renders, but 23-37 on
    # good barbell hinges whose plates hide the knees (seeds 97, 103, 179, 191 `021`), which
    # then read squats while rising (seed 179: 45-66 deg, standing 31 median). Squats'
    # peak bend (3-frame median in the labelled squat) reads 60-91 plain and 52-88 from
    # standing; one squat that reads 47 (33 from its 14 standing) is missed either way.
    squat_knee_deg: float = limit(45.0, 15.0, 120.0)
    squat_ratio: float = limit(0.6, 0.2, 2.0)
    # ... with the thigh making at least this share of the knee bend (thigh_share): a squat
    # sinks the hips back and down, turning the thighs towards horizontal, while the ankle's
    # dorsiflexion keeps the shins within ~20-35 deg of vertical. On every frame that met the
    # other squat conditions: rendered squats 0.69-0.97 (samples, stress, seeds 97-113), a real
    # floor deadlift 0.71-0.86, a kettlebell deadlift 0.75; a good barbell hinge standing with
    # the plates across its knees (seed 113, 021: MediaPipe pulled both knees forward, read
    # 47-58 deg bent under thighs 16-26 deg from vertical) 0.33-0.53. Between 0.53 and 0.69.
    squat_thigh_share: float = limit(0.6, 0.0, 1.0)
    # A squat shows at the bottom of the rep, which a brisk rep holds only briefly: it needs
    # squat_on_ms, not fault_on_ms. Runs of the squatting condition (every condition met,
    # first to last frame): squat renders 133-2067 ms (133 = three frames at 15 fps of a
    # 1.4 s rep); every non-squat render (samples, stress, seeds 97-109) none at all; real
    # clips a single frame (a kettlebell deadlift), a floor deadlift (its bent knees claimed
    # anyway) 0-3487. One noisy frame is still no squat: three frames at 15 fps, four at 30.
    squat_on_ms: float = limit(100.0, 0.0, 2000.0)
    # Locked knees: straighter than this at the bottom puts the stretch on the lower back and
    # the back of the knee; physios cue a soft bend (~10-20 deg). Judged on the knee bend
    # corrected for camera yaw. Per rep, the lowest bend held 0.2 s at the bottom (cached
    # MediaPipe; samples, stress, eleven seeds 97-179): locked renders (true 0-1 deg, 26 reps) read
    # 0.8-4.8, three 6.0-9.1; soft ones (true 10-25, 253 reps) from 3.7, 4 under 5 and 9 under
    # 6, most on small dark pictures. So 5 claims every locked rep 6 did and 5 fewer soft ones;
    # 4.5 misses two more locked reps for two fewer. Real RDLs read 10.4 and up.
    locked_knee_deg: float = limit(5.0, 0.0, 30.0)
    # Head drop: the head line (hip->shoulder->ear bend, + forward) past head_drop_deg while
    # bent (chin to chest rounds the neck; the cue is a long neck, eyes on the floor ahead),
    # and at least head_drop_rise_deg more than while standing, so that a view or a posture
    # that reads high anyway does not fire it. MediaPipe reads a neutral neck as 13-23 deg
    # (sample clips, bent phase), a ~38 deg neck flexion as 31 deg (median; +8.5 over
    # standing). Not reported while the back reads rounded (rounding >= rounded_bow): the
    # rounded back drags the head down and is the cue that matters.
    head_drop_deg: float = limit(27.0, 5.0, 90.0)
    head_drop_rise_deg: float = limit(5.0, 0.0, 60.0)
    # ... or the face turned down towards the chest this far (ear->nose against hip->shoulder,
    # ~90 = face square to the trunk, eyes on the floor): chin to chest turns the head about
    # the top of the neck, which moves the nose far more than the ear. The head line misses
    # drops that turn the head rather than the neck (rendered 39-47 deg drops whose true head
    # line rose 0-10 deg over standing; MediaPipe read them -5..+3 around standing, rep
    # medians), the face does not. Not a standing-reference problem: MediaPipe reads every
    # standing head line ~11 deg over the truth (those two no more), and the movement offers
    # no neutral hinged frames where every rep drops. Held for 0.2 s while hinged, outline
    # under rounded_bow, face steady: head drops 120-136 except two that the head line finds
    # (106, 111); good hinges <= 108, rounded backs where their outline stayed under
    # rounded_bow <= 112, real RDLs <= 103.5 (looking ahead: 54-65). Between the neutral
    # 112 and the dropped 120.
    head_drop_face_deg: float = limit(116.0, 60.0, 170.0)
    # The face cue is claimed only from a steady face: its frame-to-frame noise (as
    # max_signal_noise_deg, last 60 samples on the feet) above this, and it is not. Two face
    # landmarks a few pixels apart jitter more than the head line: noise while hinged in
    # labelled head drops 0.7-2.5 deg; noisy renders 3.1-5.4, among them a good hinge whose
    # face held 111-112.5 at noise 3.5-5.4.
    max_face_noise_deg: float = limit(3.0, 0.3, 20.0)
    # A dropped head is held at the bottom, not a glance: head_drop must hold this long (the
    # other faults fault_on_ms). Longest unbroken run of the head_drop condition (cached
    # MediaPipe; samples, stress, seeds 97-139, 15 fps renders): per labelled drop where it
    # shows at all, 0.27-1.4 s; elsewhere at most 0.20 s (two claimed at the former 0.2 s: a good
    # hinge's head swinging as a fast descent stops, a rounded back before its outline read
    # rounded), except rounded backs under a dowel read as a drop (0.53, 0.67 s). 0.25 s lies
    # between 0.20 and 0.27.
    head_drop_on_ms: float = limit(250.0, 0.0, 2000.0)
    # Faults must persist this long to show (one noisy frame is not a fault).
    fault_on_ms: float = limit(200.0, 0.0, 2000.0)
    # A fault is claimed only from a signal steadier than the fault: when the head line's or
    # the knee angle's own frame-to-frame noise (robust SD from second differences over the
    # last 60 samples on the feet: every frame up to 40 fps, see MIN_SAMPLE_MS) passes this,
    # head_drop (head) or squatting and locked_knees (knee) are not judged. Measured over
    # whole clips: rendered samples 0.1-0.4 deg, stress renders 0.3-1.8 (noise, blur, JPEG,
    # 320-480 px); two whose head line jumps 20-40 deg between frames (noise 4.7 / blur 1.6 at
    # 400/320 px) 2.5-2.8 (head) and 3.6 (knee).
    max_signal_noise_deg: float = limit(2.2, 0.3, 20.0)
    # Legs hidden: a standing knee read more bent than this (the person's standing reference,
    # see StandingReference) is not a standing knee but legs MediaPipe cannot see, and every
    # form fault rests on them: the hip landmark ends the trunk line that the lean, the head
    # line, the face turn and the back's chord are measured on. Standing knees (cached
    # MediaPipe, median per clip): real clips 0.8-15.1 (the highest an RDL with the knees
    # pushed forward), renders without hidden legs up to 14.2; good barbell hinges whose plates
    # hide the knees 23.2-38.2 (seeds 97, 103, 107, 113, 179, 191 `021`), with a shallow hinge,
    # a head drop or a rounded back claimed on three of them. 19 lies midway. Reps are still
    # counted; the faults are reported as not judged, with the reason.
    max_standing_knee_deg: float = limit(19.0, 5.0, 90.0)
    # A rep survives this long without a judgeable frame (not on the feet, view lost): at the
    # bottom of a loaded hinge the plates or dumbbells cross the shins and MediaPipe folds the
    # legs it cannot see (knee 80-150 deg for a few frames) although nobody can kneel or lie
    # down and be back in a hinge that fast. Longest such gap inside a rep: real clips none,
    # renders 0.13-0.6 s (a barbell at the shins); a rep itself lasts 2-5 s.
    max_gap_ms: float = limit(1000.0, 100.0, 5000.0)
    # Rounding is judged once the trunk has stopped dropping fast (trunk lean speed over the
    # last 0.2 s below this, deg/s): at the bottom, in the hold and on the way up, where the
    # spine carries the load. During a fast descent the outline sweeps through a prop on
    # the back (a dowel the mask takes in for a few frames) and reads as rounding that is
    # gone by the bottom. Lean speed when rounded_back first showed: rounded backs
    # (samples, renders) +4 to +14, a real rounded RDL +48 (and below +36 from 0.1 s later
    # on); a dowel render's false rounding +50 to +63.
    max_rounding_descent_dps: float = limit(40.0, 5.0, 500.0)
    # The knee faults likewise (same lean speed): locked knees and squatting are faults of the
    # bottom, where the legs hold the position, and while the trunk swings down fast MediaPipe
    # lags and smears the legs. Locked knees: a seed-79 good hinge (true 12-14 deg) read 1-4 deg
    # over its first hinged frames at +54 to +72 deg/s and was called locked; every locked
    # knee found (samples, stress, holdouts) is still found from its bottom and way up (any
    # value from 20 to 60 gives the same result on all eight sets). Squatting (knee >=
    # squat_knee_deg and >= squat_ratio x hip flexion, steady knee): a squat bends the knees
    # while the trunk stays fairly upright, so its trunk barely drops where the knees are bent
    # (lean speed on those frames, squat renders and the sample: median -3 to +10 deg/s, max
    # 44-100; longest run of such frames at or under 40 deg/s: 333-1400 ms per clip, the
    # fault needs squat_on_ms). A good hinge whose legs barbell plates hide (seed 79, 320
    # px) read a squat (43-69 deg, true 15) only while dropping at +60 to +115 deg/s (median
    # 95): none of it at or under 60. Real clips: unchanged (a floor deadlift's bent knees,
    # -6 deg/s median, still claimed).
    max_knee_descent_dps: float = limit(40.0, 5.0, 500.0)

    def __post_init__(self) -> None:
        check_consistent(self.rep_rest_deg < self.rep_start_deg, "rep_rest_deg must be below rep_start_deg")
        check_consistent(
            self.rep_start_deg <= self.rep_count_deg, "rep_count_deg must be at least rep_start_deg"
        )


class StandingReference:
    """The person's own standing posture, estimated from the movement itself: nobody has to
    stand still first. Standing is the least inclined the trunk gets, so the trunk reference
    is a low percentile of the trunk inclination over the last ~20 s in position (robust to
    a few frames of a lean back). The back bow, head line and knee bend of standing are the
    medians of the frames near that posture. Hinge depth, back rounding and the squat's knee
    bend are measured from it."""

    def __init__(
        self, max_standing_deg: float, near_deg: float, frames: int = 600, min_frames: int = 8
    ) -> None:
        self.max_standing_deg = max_standing_deg
        self.near_deg = near_deg
        self.min_frames = min_frames
        self._trunks = SortedWindow(frames)
        self._bow: deque[float] = deque(maxlen=60)
        self._head: deque[float] = deque(maxlen=60)
        self._knee: deque[float] = deque(maxlen=60)
        self._trunk: float | None = None

    def add(self, trunk: float, bow: float | None, head: float, knee: float) -> None:
        self._trunks.append(trunk)
        # The 10th percentile, and never above what standing can be: someone seen only bent
        # over is measured from upright-ish rather than from their bent posture.
        self._trunk = min(self._trunks.percentile(10), self.max_standing_deg)
        if trunk - self._trunk <= self.near_deg:
            self._head.append(head)
            self._knee.append(knee)
            if bow is not None:
                self._bow.append(bow)

    def _median(self, values: deque[float]) -> float | None:
        return median(values) if len(values) >= self.min_frames else None

    @property
    def trunk(self) -> float:
        return 0.0 if self._trunk is None else self._trunk  # upright until seen

    @property
    def bow(self) -> float | None:
        return self._median(self._bow)

    @property
    def bow_spread(self) -> float | None:
        """How much the standing outline varies by itself (robust SD): its noise floor."""
        if len(self._bow) < self.min_frames:
            return None
        mid = median(self._bow)
        return float(1.4826 * median(abs(b - mid) for b in self._bow))

    @property
    def head(self) -> float | None:
        return self._median(self._head)

    @property
    def knee(self) -> float:
        """The knee bend read while standing; 0 until known (the plain reading is used)."""
        return self._median(self._knee) or 0.0


# Both feet stay planted side by side through a hinge (and a squat), so seen from the side the
# two legs reach about as far from hip to ankle. MediaPipe folds a leg it cannot see (barbell
# plates hanging across the thighs of a standing person: knee read at 80-130 deg for a true 4,
# the leg "not on its feet") and then that leg spans a fraction of the other's. A leg spanning
# under this share of the other is taken as folded by the estimator and the other leg is
# measured. Measured, near / far hip->ankle span (cached MediaPipe, every judged frame of every
# hinge clip): real clips >= 0.93, except a single-leg RDL (the free leg reaching back) 0.76;
# rendered hinges and squats 5th pct. >= 0.71 per clip; below that, legs MediaPipe misplaced
# (seed 73, 021: 48 frames down to 0.31, knee error 97 -> 6 deg; see exercises/README.md).
FOLDED_LEG_SPAN = 0.65


def planted_leg(view: SideView) -> SideView:
    """The view measured on the leg that reaches the floor: the other leg when the one in the
    view spans under FOLDED_LEG_SPAN of it (see above)."""
    p = view.pose.xy.astype(float)
    # The leg in the view is the near one, or the far one SideView.of found truer.
    other = other_side(view.leg_side)
    ankle = p[Joint.ANKLE.on(other)]
    span = float(g.segment_length(view.hip, view.ankle))
    if span >= FOLDED_LEG_SPAN * float(g.segment_length(view.hip, ankle)):
        return view
    return replace(
        view,
        knee=p[Joint.KNEE.on(other)],
        ankle=ankle,
        heel=p[Joint.HEEL.on(other)],
        toe=p[Joint.FOOT_INDEX.on(other)],
        leg_side=other,
    )


# Locked knees are judged on the median knee bend of the rep's last this-many hinged samples
# (~0.3 s at 30 fps and above, 0.6 s at 15; see MIN_SAMPLE_MS). Before there are that many, a
# median of two or three frames is no robust statistic, and those are the way down, where the
# knee is still softening and MediaPipe lags it on a fast descent (a seed-79 good hinge, true
# 16-19 deg, read 1-5 over its first hinged frames and 7-17 from the 9th on): then every frame
# so far must read locked (their maximum is judged). First 8 hinged frames per rep, maximum:
# locked renders 0.9-6.2 (true 0.4-1.1), good renders >= 7.1, real RDLs >= 15.6.
BOTTOM_KNEE_FRAMES = 9

# The trunk's descent speed is measured over this much of the stream (max_rounding_descent_dps).
DESCENT_WINDOW_MS = 200.0

MESSAGES = {
    "rounded_back": "Keep your back flat — push your hips back",
    "squatting": "Push your hips back — don't squat down",
    "locked_knees": "Soften your knees a little",
    "shallow_hinge": "Hinge deeper — push your hips further back",
    "head_drop": "Keep your head in line with your back",
}


# The faults as the user meets them (correction, severity, joints, plotted signal): declared
# once here; the checker's fault tracker and everything in feedback/ read them.
FAULTS: tuple[FaultInfo, ...] = (
    FaultInfo(
        "rounded_back",
        Severity.MAJOR,
        MESSAGES["rounded_back"],
        frozenset({Joint.SHOULDER, Joint.HIP}),
        "back_rounding",
        (Line("rounded_bow", "back rounded"),),
    ),
    FaultInfo(
        "squatting",
        Severity.MODERATE,
        MESSAGES["squatting"],
        frozenset({Joint.KNEE}),
        "knee_flexion_deg",
        (Line("squat_knee_deg", "knees bent into a squat"),),
    ),
    FaultInfo(
        "shallow_hinge",
        Severity.MODERATE,
        MESSAGES["shallow_hinge"],
        frozenset({Joint.HIP}),
        "trunk_lean_deg",
        (Line("target_deg", "target depth"),),
    ),
    FaultInfo(
        "locked_knees",
        Severity.MINOR,
        MESSAGES["locked_knees"],
        frozenset({Joint.KNEE}),
        "knee_flexion_deg",
        (Line("locked_knee_deg", "knees locked (below)"),),
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


class HipHingeChecker(SideViewChecker):
    name = "hip-hinge"
    title = "Hip hinge"
    main_signals = ("trunk_inclination_deg", "hip_angle_deg", "knee_flexion_deg", "back_bow", "head_line_deg")
    start_position = "standing on your feet, side-on"
    # A standing body's depth yaw reads higher than a lying one's: renders 25-30 deg off
    # side-on read 32-37 (25th-75th percentile) with the knees 0.19-0.25 apart, so the
    # knee-confirmed turn starts at 38 here (the real 45-60 deg hinges it missed read 39-43).
    view_rule = ViewRule(
        key_joints=(Joint.EAR, Joint.SHOULDER, Joint.HIP, Joint.KNEE, Joint.ANKLE), turned_yaw_deg=38.0
    )

    def __init__(self, thresholds: HipHingeThresholds | None = None) -> None:
        self.thresholds = th = thresholds or HipHingeThresholds()
        on = th.fault_on_ms
        self.fault_specs = tracked(
            FAULTS,
            on,
            {
                "shallow_hinge": (0.0, 600.0),
                "squatting": (th.squat_on_ms, 300.0),
                "head_drop": (th.head_drop_on_ms, 300.0),
            },
        )
        super().__init__()
        # No settling before the first rep: a frame near standing is a start. A recording that
        # begins mid-rep, or judging that resumes mid-rep after a long gap, counts that rep once
        # the person is back up (start_in_rep).
        rule = RepRule(
            th.rep_start_deg,
            th.rep_rest_deg,
            th.rep_count_deg,
            settle_ms=0.0,
            max_gap_ms=th.max_gap_ms,
            start_in_rep=True,
        )
        self.counter = RepCounter(rule)
        self.standing = self._new_reference()
        self._recent_rounding: deque[float] = deque(maxlen=5)
        self._recent_torso_px: deque[float] = deque(maxlen=5)  # the same frames' torso, mask px
        self._head_history: deque[float] = deque(maxlen=60)
        self._face_history: deque[float] = deque(maxlen=60)
        self._knee_history: deque[float] = deque(maxlen=60)
        self._far_shoulder: deque[float] = deque(maxlen=60)
        self._hinged_bows: deque[float] = deque(maxlen=30)
        # The histories above count samples, not frames: see MIN_SAMPLE_MS.
        self._clock = SampleClock()
        self._rounding_t = float("-inf")
        self._leans: deque[tuple[float, float]] = deque()  # (t_ms, lean) on the feet, one window
        self._last_lean: float | None = None  # the stream's last lean on the feet, for finish()
        self._rep_began: float | None = None  # start of the latest rep (its faults' tail outlasts it)
        self._new_rep()

    def reset(self) -> None:
        super().reset()
        self.counter.reset()
        self.standing = self._new_reference()
        self._recent_rounding.clear()
        self._recent_torso_px.clear()
        self._head_history.clear()
        self._face_history.clear()
        self._knee_history.clear()
        self._far_shoulder.clear()
        self._hinged_bows.clear()
        self._clock.reset()
        self._leans.clear()
        self._last_lean = None
        self._rep_began = None
        self._new_rep()

    def _new_reference(self) -> StandingReference:
        th = self.thresholds
        return StandingReference(th.max_standing_deg, th.rep_rest_deg)

    def _new_rep(self) -> None:
        self._hinged_knees: deque[float] = deque(maxlen=BOTTOM_KNEE_FRAMES)
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

    def _bottom_knee(self, knee: float, lean: float, sample: bool = True) -> float | None:
        """The knee bend the bottom of the rep shows (see BOTTOM_KNEE_FRAMES): the median of
        the last BOTTOM_KNEE_FRAMES hinged frames (one noisy frame of a soft knee, MediaPipe
        jitters +-3 deg on small, dark pictures, is not a locked knee), and before there are
        that many the most bent frame so far, so that a knee read straight on a few frames of
        the way down is not yet called locked. None before the first hinged frame. Frames that
        are no `sample` (see MIN_SAMPLE_MS) only start the history."""
        if lean >= self.thresholds.hinged_deg and (sample or not self._hinged_knees):
            self._hinged_knees.append(knee)
        if not self._hinged_knees:
            return None
        if len(self._hinged_knees) == self._hinged_knees.maxlen:
            return median(self._hinged_knees)
        return max(self._hinged_knees)

    def _steady(self, history: deque[float], limit: float | None = None) -> bool:
        """The signal's own noise is known (8 frames) and at most `limit` (by default
        max_signal_noise_deg, what the angle faults need). Unknown is not trusted: in the
        first frames of a 15 fps render with a barbell at the thighs MediaPipe read a standing
        knee at 66-92 deg (true 5), a "squat" that the noise of the next frames disowned;
        nobody squats, drops the head or locks the knees in a hinge within 8 frames of
        stepping into view."""
        most = self.thresholds.max_signal_noise_deg if limit is None else limit
        return within_noise(history, most, unknown=False)

    def _head_line_dropped(self, head: float, head_rise: float | None) -> bool:
        """The ear sits low against the trunk, more than while standing, from a steady head line."""
        th = self.thresholds
        return (
            head >= th.head_drop_deg
            and head_rise is not None
            and head_rise >= th.head_drop_rise_deg
            and self._steady(self._head_history)  # last: only worked out when it matters
        )

    def _face_dropped(self, face: float) -> bool:
        """The face turned down towards the chest, from a steady face (unknown not trusted)."""
        th = self.thresholds
        return face >= th.head_drop_face_deg and self._steady(self._face_history, th.max_face_noise_deg)

    def _outline_steady_hinged(self) -> bool:
        """The back outline while bent over is steadier than a rounded back; known only after
        8 hinged frames, since a prop or a ragged mask shows only once the person is bent over."""
        return self._steady(self._hinged_bows, self.thresholds.max_hinged_outline_noise)

    def _descent_speed(self, t_ms: float, lean: float | None) -> float:
        """How fast the trunk is dropping (deg/s over the last ~0.2 s; + = going down)."""
        if lean is None:
            self._leans.clear()
            return 0.0
        self._leans.append((t_ms, lean))
        # Keep the newest sample at least the window old at the front, at any frame rate.
        while len(self._leans) >= 2 and t_ms - self._leans[1][0] >= DESCENT_WINDOW_MS:
            self._leans.popleft()
        t0, v0 = self._leans[0]
        if t_ms - t0 < DESCENT_WINDOW_MS:
            return 0.0
        return (lean - v0) * 1000.0 / (t_ms - t0)

    def _phase(self, lean: float) -> str:
        c = self.counter
        if c.phase is RepPhase.SETUP:
            return "setup"
        if c.phase is RepPhase.REST:
            return "standing"
        peak = c.peak or lean
        if lean < peak - 5.0:
            return "rising"
        return "hinged" if lean >= self.thresholds.hinged_deg else "hinging"

    def judge(self, view: SideView, verdict: ViewVerdict, t_ms: float, frame_index: int) -> Assessment:
        th = self.thresholds
        view = planted_leg(view)
        trunk = trunk_inclination(view)
        hip = hip_angle(view)
        knee = knee_flexion(view)
        head = head_line(view)
        face = face_turn(view)
        bow = spine_bow(view)
        # On the feet: shins roughly upright, feet well below the hips (not kneeling, sitting or
        # lying down).
        leg = view.leg_px
        in_position = view.ankle[1] - view.knee[1] > 0.25 * leg and view.ankle[1] - view.hip[1] > 0.4 * leg
        # Every frame on the feet (every sample of it, see MIN_SAMPLE_MS) informs this person's
        # reference posture.
        sample = self._clock.take(t_ms)
        ref = self.standing
        if in_position and sample:
            ref.add(trunk, bow, head, knee)
            self._head_history.append(head)
            self._face_history.append(face)
            self._knee_history.append(knee)
        # The lean in the body's own (sagittal) plane: seen obliquely, the trunk's fore-aft tilt
        # is foreshortened by cos(yaw) (tan(seen) = tan(true) x cos(yaw)), so a 51 deg hinge
        # filmed 22 deg off side-on reads 47. Depth thresholds are physio angles, not image ones.
        yaw = self.gate.yaw_deg
        lean = sagittal_bend(trunk, yaw) - sagittal_bend(ref.trunk, yaw)
        rounding = None
        if bow is not None and ref.bow is not None:
            # A median over 5 frames (samples): single-frame outline glitches are not rounding.
            if sample or not self._recent_rounding:
                self._recent_rounding.append(bow - ref.bow)
                self._recent_torso_px.append(torso_mask_px(view) or 0.0)
            self._rounding_t = t_ms
            rounding = median(self._recent_rounding)
        elif self._recent_rounding and t_ms - self._rounding_t <= 300.0:
            # A frame whose outline could not be traced (an arm or a weight across it) says
            # nothing new: the last 0.3 s still stands, rather than ending a rounding episode.
            rounding = median(self._recent_rounding)
        head_rise = None if ref.head is None else head - ref.head
        m: dict[str, float | None] = {
            "trunk_inclination_deg": trunk,
            "trunk_lean_deg": lean,
            "hip_angle_deg": hip,
            "knee_flexion_deg": knee,
            "hip_travel": hip_travel(view),
            "back_bow": bow,
            "back_rounding": rounding,
            "head_line_deg": head,
            "head_rise_deg": head_rise,
            "face_turn_deg": face,
            **self.view_measurements(),
        }

        self._last_lean = lean if in_position else None
        descent = self._descent_speed(t_ms, self._last_lean)
        events = []
        for o in self.counter.update(t_ms, lean if in_position else None):
            events.append(self._rep_boundary(o))
        if self.counter.in_rep:
            self._track_rep(m)

        hip_flex = 180.0 - hip
        # Without a standing reference (no mask, or never seen standing), or with the hips folded
        # over deeply bent knees, the back is not judged.
        spread = ref.bow_spread
        hinged = lean >= th.hinged_deg
        if in_position and hinged and sample:
            self._far_shoulder.append(far_shoulder_along_trunk(view))
            if bow is not None:
                self._hinged_bows.append(bow)
        from_behind = len(self._far_shoulder) >= 5 and median(self._far_shoulder) < th.min_far_shoulder_t
        # The rounding threshold in outline pixels, on the torso the rounding was read on.
        torso_px = median(self._recent_torso_px) if self._recent_torso_px else None
        too_small = torso_px is not None and th.rounded_bow * torso_px < th.min_bow_px
        outline_ok = (
            spread is not None
            and spread <= th.max_outline_noise
            and not from_behind
            and not too_small
            and self._outline_steady_hinged()
        )
        back_unjudged = None
        if in_position and hinged and knee <= th.rounding_max_knee_deg and not outline_ok:
            back_unjudged = _why_back_unjudged(spread, from_behind, too_small)
        # The outline trusted and reading as rounded as rounded_back needs: where the back cue
        # can be given. A rounded back drags the head down with it, so the head cue gives way
        # to it there. Below that (formerly from 0.8 x rounded_bow) the person got neither cue:
        # a standing outline from the first, stiller second of a render (seed 73, 024) put flat
        # backs at +0.036-0.045 and hid two of six head drops. An outline not trusted says
        # nothing about the back, so it silences nothing either: the head is judged as over any
        # back. It used to speak for the head there, cueing it only past what rounded backs gave
        # (head line 36 and face 122 together); over 231 cached hinge clips (samples, stress,
        # seeds 97-199) head drops found 134 -> 141 of 184, claims not labelled 18 -> 24 (five
        # of them on rounded backs the report says it could not judge), clips right 185 -> 189;
        # real clips unchanged.
        back_cue = rounding is not None and outline_ok and rounding >= th.rounded_bow
        # rounded_back itself is judged in the bent-over part of the rep, where the spine
        # carries the load (and where a prop along the back no longer rests on it on the way up).
        rounded = (
            back_cue
            and hinged
            and descent <= th.max_rounding_descent_dps
            and knee <= th.rounding_max_knee_deg
        )
        # Judged once hinged, where the neck carries the head against gravity: on the way down
        # the head line jumps for a few frames (a bar passing the face, the head swinging with
        # a fast descent: a good hinge with a barbell read +20 deg for 0.3 s at 16-41 deg of
        # lean) and a drop that is not kept at the bottom is no fault.
        head_dropped = (
            hinged and not back_cue and (self._head_line_dropped(head, head_rise) or self._face_dropped(face))
        )
        # The squat's knee bend is counted from the person's own standing reading, as the lean is
        # from their standing trunk: see squat_knee_deg.
        standing_knee = ref.knee  # a median over the standing frames: read once per frame
        knee_bend = knee - standing_knee
        squatting = (
            in_position
            and descent <= th.max_knee_descent_dps
            and knee_bend >= th.squat_knee_deg
            and knee_bend >= th.squat_ratio * hip_flex
            and (share := thigh_share(view)) is not None
            and share >= th.squat_thigh_share
            and self._steady(self._knee_history)
        )
        if squatting and self.counter.in_rep:
            self._squatted = True
        peak = self.counter.peak
        # A squat keeps the trunk upright; the squat cue covers it, so no shallow cue on top.
        shallow = (
            self.counter.reached
            and not self.counter.began_inside
            and not self._squatted
            and peak is not None
            and peak < th.target_deg
            and lean < peak - 5.0
        )
        legs_hidden = standing_knee > th.max_standing_knee_deg
        unjudged = {"rounded_back": back_unjudged} if back_unjudged else {}
        if legs_hidden:
            rounded = squatting = shallow = head_dropped = False
            if in_position and self.counter.in_rep:
                unjudged = {f.code: LEGS_HIDDEN for f in FAULTS}
        conditions = {
            "rounded_back": rounded,
            "squatting": squatting,
            "locked_knees": self.counter.in_rep
            and not legs_hidden
            and lean >= th.hinged_deg
            and (bottom_knee := self._bottom_knee(knee, lean, sample)) is not None
            and descent <= th.max_knee_descent_dps
            and sagittal_bend(bottom_knee, self.gate.yaw_deg) < th.locked_knee_deg
            and self._steady(self._knee_history),
            "shallow_hinge": shallow,
            "head_drop": head_dropped,
        }
        # Shallow is known only on the way up; it is about the whole rep's depth (and an
        # episode keeps that date while it clears after the rep).
        if self.counter.rep_start_ms is not None:
            self._rep_began = self.counter.rep_start_ms
        faults = dated_from(self.tracker.update(t_ms, conditions), {"shallow_hinge": self._rep_began})
        if self.counter.in_rep:
            self._episode_faults.update(f.code for f in faults)
            self._episode_faults.update(c for c, on in conditions.items() if on and c == "shallow_hinge")
        return self.assessment(
            verdict,
            t_ms,
            frame_index,
            self._phase(lean),
            m,
            faults,
            events,
            self.counter.count,
            0.0,
            in_position,
            view.pose,
            leg_side=view.leg_side,
            unjudged=unjudged or None,
        )

    def _rep_boundary(self, o):
        if o.kind == "started":
            self._new_rep()
            return rep_event(EventKind.REP_STARTED, o.t_ms, o.start_ms)
        metrics = dict(self._rep)
        metrics["duration_s"] = (o.t_ms - o.start_ms) / 1000.0
        metrics["max_trunk_lean_deg"] = o.peak
        faults = set(self._episode_faults)
        if o.kind == "completed" and o.peak < self.thresholds.target_deg and not self._squatted:
            faults.add("shallow_hinge")
        kind = EventKind.REP_COMPLETED if o.kind == "completed" else EventKind.REP_PARTIAL
        event = rep_event(kind, o.t_ms, o.start_ms, o.index, faults, metrics)
        self._new_rep()
        return event

    def finish(self, t_ms: float) -> tuple[Event, ...]:
        return tuple(self._rep_boundary(o) for o in self.counter.finish(t_ms, self._last_lean))

    def pause(self, pose: Pose | None, verdict: ViewVerdict, t_ms: float, frame_index: int) -> Assessment:
        self._last_lean = None
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


LEGS_HIDDEN = (
    "the legs could not be seen (the knees read bent while standing: weights or plates in front of"
    " them?), and every angle judged rests on the hips and knees"
)


def _why_back_unjudged(standing_spread: float | None, from_behind: bool, too_small: bool = False) -> str:
    """Why the back's outline could not be judged while bent over, for the report."""
    if from_behind:
        return "seen from behind at an angle, the outline's top edge is the shoulder blade, not the spine"
    if too_small:
        return "the back is too small in the picture to judge its shape (film closer or in higher resolution)"
    if standing_spread is None:
        return "the back's outline was never seen clearly standing, so there was nothing to compare it with"
    return "the back's outline was unclear (loose clothing, a prop, or a background like the clothes)"


SPEC = ExerciseSpec(
    name=HipHingeChecker.name,
    title=HipHingeChecker.title,
    checker=HipHingeChecker,
    thresholds=HipHingeThresholds(),
    counts=Counts.REPS,
    start_cue="Stand tall, side-on to the camera",
    faults=FAULTS,
    angles=(
        AngleLabel(
            "hip_angle_deg",
            Joint.HIP,
            "hip",
            Joint.SHOULDER,
            Joint.KNEE,
            frozenset({"rounded_back", "shallow_hinge"}),
        ),
        AngleLabel(
            "knee_flexion_deg",
            Joint.KNEE,
            "knee",
            Joint.HIP,
            Joint.ANKLE,
            frozenset({"squatting", "locked_knees"}),
            flexion=True,
        ),
    ),
    plot_signals=(
        PlotSignal("trunk_inclination_deg", -10.0, 110.0),
        PlotSignal("hip_angle_deg", 50.0, 200.0),
        PlotSignal("knee_flexion_deg", -10.0, 100.0),
        PlotSignal("back_bow", -0.1, 0.15),
        PlotSignal("head_line_deg", -60.0, 60.0),
    ),
    scales=(PlotSignal("back_rounding", -0.05, 0.15), PlotSignal("trunk_lean_deg", -10.0, 100.0)),
    evaluate_signals=("trunk_inclination_deg", "hip_angle_deg", "head_line_deg", "back_bow"),
    truth_signals=(
        TruthSignal("trunk_inclination_deg", "trunk_inclination_deg"),
        TruthSignal("hip_angle_deg", "hip_angle_deg"),
        TruthSignal("knee_flexion_deg", "knee_angle_deg", from_joint_angle=True),
        TruthSignal("head_line_deg", "head_line_deg"),
        TruthSignal("head_rise_deg", "head_line_deg"),
        TruthSignal("back_bow", "back_bow"),
        TruthSignal("back_rounding", "spine_flexion_deg"),
    ),
)
