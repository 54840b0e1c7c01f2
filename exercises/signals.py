"""Named body signals from one pose, measured on the body side facing the camera.

Pure functions: a Pose, the near side and the facing direction in; degrees or body-relative
numbers out. Checkers pick the ones their exercise needs; the calibration bench prints them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vision import geometry as g
from vision.landmarks import Joint, Landmark, Side, other_side
from vision.pose import Pose
from vision.silhouette import back_bow


@dataclass(frozen=True, slots=True)
class SideView:
    """The near-side joints of one pose, in image pixels."""

    ear: np.ndarray
    nose: np.ndarray
    shoulder: np.ndarray
    elbow: np.ndarray
    wrist: np.ndarray
    hip: np.ndarray
    knee: np.ndarray
    ankle: np.ndarray
    heel: np.ndarray
    toe: np.ndarray
    far_shoulder: np.ndarray
    facing: int
    pose: Pose
    leg_side: Side  # the side whose knee, ankle and foot these are (not always the near one)

    @classmethod
    def of(cls, pose: Pose, side: Side, facing: int, leg: Side | None = None) -> SideView:
        """The near side's joints; the legs' from `leg`, or from the leg MediaPipe is surer of."""
        p = pose.xy.astype(float)
        far = other_side(side)
        if leg is None:
            leg = far if _far_leg_is_truer(pose, side, far) else side
        return cls(
            ear=p[Joint.EAR.on(side)],
            nose=p[Landmark.NOSE],
            shoulder=p[Joint.SHOULDER.on(side)],
            elbow=p[Joint.ELBOW.on(side)],
            wrist=p[Joint.WRIST.on(side)],
            hip=p[Joint.HIP.on(side)],
            knee=p[Joint.KNEE.on(leg)],
            ankle=p[Joint.ANKLE.on(leg)],
            heel=p[Joint.HEEL.on(leg)],
            toe=p[Joint.FOOT_INDEX.on(leg)],
            far_shoulder=p[Joint.SHOULDER.on(far)],
            facing=facing,
            pose=pose,
            leg_side=leg,
        )

    @property
    def torso_px(self) -> float:
        return float(g.segment_length(self.hip, self.shoulder))

    @property
    def leg_px(self) -> float:
        return float(g.segment_length(self.hip, self.knee) + g.segment_length(self.knee, self.ankle))


# Seen side-on, the two legs nearly overlap in the image (at 30 deg off side-on the knees are
# about a third of a thigh apart). When MediaPipe puts the near knee and ankle somewhere else
# entirely (seen on a small, blurred far-away plank: the near leg folded back under the body,
# the far one straight), the leg it is surer of is the leg to measure.
LEGS_APART_THIGHS = 0.6  # knees or ankles further apart than this many far-thigh lengths
LEG_SURER_BY = 0.1  # and the far knee and ankle this much more visible (mean of the two)


def _far_leg_is_truer(pose: Pose, near: Side, far: Side) -> bool:
    p = pose.xy.astype(float)
    knee_n, knee_f = p[Joint.KNEE.on(near)], p[Joint.KNEE.on(far)]
    ankle_n, ankle_f = p[Joint.ANKLE.on(near)], p[Joint.ANKLE.on(far)]
    thigh = float(g.segment_length(p[Joint.HIP.on(far)], knee_f))
    apart = max(float(g.segment_length(knee_n, knee_f)), float(g.segment_length(ankle_n, ankle_f)))
    if thigh < 1e-6 or apart <= LEGS_APART_THIGHS * thigh:
        return False

    def sure(side: Side) -> float:
        return 0.5 * (pose.seen(Joint.KNEE.on(side)) + pose.seen(Joint.ANKLE.on(side)))

    return sure(far) >= sure(near) + LEG_SURER_BY


def ankle_along_trunk(v: SideView, side: Side) -> float:
    """Where the `side` ankle lands along the near hip->shoulder line, in torso lengths from
    the hip: + towards the shoulders, - behind the hip (a plank's ankles ~-1.5 to -2)."""
    chord = v.shoulder - v.hip
    ankle = v.pose.xy[Joint.ANKLE.on(side)].astype(float)
    return float((ankle - v.hip) @ chord / max(float(chord @ chord), 1e-9))


def trunk_inclination(v: SideView) -> float:
    """Shoulder-hip line from vertical, deg: 0 upright, 90 horizontal."""
    return float(g.inclination_from_vertical(v.hip, v.shoulder))


def trunk_from_horizontal(v: SideView) -> float:
    return float(g.inclination_from_horizontal(v.hip, v.shoulder))


def hip_angle(v: SideView) -> float:
    """Shoulder-hip-knee angle, deg: 180 standing straight, ~90 in a deep hinge."""
    return float(g.joint_angle(v.shoulder, v.hip, v.knee))


def knee_flexion(v: SideView) -> float:
    """180 - hip-knee-ankle angle, deg: 0 = straight knee."""
    return float(g.line_deviation(v.hip, v.knee, v.ankle))


def sagittal_bend(image_bend_deg: float, yaw_deg: float | None, max_yaw_deg: float = 50.0) -> float:
    """A small bend of a near-vertical limb seen obliquely, back in the sagittal plane, deg.

    The camera sees the bend's fore-aft component shortened by cos(yaw): tan(seen) =
    tan(true) * cos(yaw). At 35 deg off side-on a 13 deg soft knee reads ~10 deg in the image.
    """
    if yaw_deg is None or not -89.0 < image_bend_deg < 89.0:
        return image_bend_deg  # tan() has no meaning past a right angle: nothing to correct
    c = float(np.cos(np.radians(min(abs(yaw_deg), max_yaw_deg))))
    return float(np.degrees(np.arctan(np.tan(np.radians(image_bend_deg)) / c)))


def hip_travel(v: SideView) -> float:
    """How far the hip sits behind the ankle, in leg lengths (+ = behind, the hinge's aim)."""
    return float(v.facing * (v.ankle[0] - v.hip[0]) / max(v.leg_px, 1e-6))


def head_line(v: SideView) -> float:
    """Hip->shoulder->ear bend, deg: + head dropped forward / chin down, - head tipped back."""
    return float(g.signed_bend(v.hip, v.shoulder, v.ear, v.facing))


def face_turn(v: SideView) -> float:
    """Ear->nose direction against the hip->shoulder direction, deg: ~90 with the face square
    to the trunk (a plank looking at the floor), more = the face turned towards the chest (the
    head flexed, as when it hangs), less = looking ahead.

    The head's own orientation, read from two face landmarks: where the head line says only
    where the ear sits, this says whether the head itself has turned down."""
    return float(g.signed_bend(v.hip, v.shoulder, v.shoulder + (v.nose - v.ear), v.facing))


def neck_length(v: SideView) -> float:
    """Ear to shoulder as seen, in torso lengths (shoulder to hip): ~0.35-0.6 side-on, less
    when the head hides the neck (seen from behind and above)."""
    return float(g.segment_length(v.ear, v.shoulder)) / max(v.torso_px, 1e-6)


def far_shoulder_along_trunk(v: SideView) -> float:
    """Where the far shoulder lands on the near hip->shoulder line (0 = hip, 1 = near shoulder).

    Seen from the side both shoulders meet near 1; turned towards the camera's front the far
    shoulder shows ahead of the near one (> 1), seen from behind it shows behind it (< 1)."""
    chord = v.shoulder - v.hip
    return float((v.far_shoulder - v.hip) @ chord / max(float(chord @ chord), 1e-9))


def spine_bow(v: SideView) -> float | None:
    """Back outline bow from the segmentation mask (+ rounded / cat, - arched / cow)."""
    return back_bow(v.pose.mask, v.shoulder, v.hip, v.facing, v.pose.image_size)


def torso_mask_px(v: SideView) -> float | None:
    """Hip->shoulder length in the segmentation mask's pixels, the scale the back outline is
    traced at (the estimator keeps the mask at its inference size, which may be smaller than
    the frame), or None without a mask."""
    mask = v.pose.mask
    if mask is None or mask.ndim != 2:
        return None
    ends = g.scale_to_mask(np.stack([v.hip, v.shoulder]), v.pose.image_size, mask.shape)
    return float(g.segment_length(ends[0], ends[1]))


def body_line(v: SideView) -> tuple[float, float]:
    """Plank line at the hip: (signed deviation deg, signed drop / shoulder-ankle length).
    + = hips below the shoulder-ankle line (sag), - = above it (pike)."""
    drop = float(g.drop_below_line(v.hip, v.shoulder, v.ankle))
    dev = float(g.line_deviation(v.shoulder, v.hip, v.ankle))
    span = max(float(g.segment_length(v.shoulder, v.ankle)), 1e-6)
    return (dev if drop >= 0 else -dev), drop / span


def knee_line(v: SideView) -> float:
    """Shoulder-knee-ankle deviation at the knee, deg, + = knee below the shoulder-ankle line.

    Leaves out the hip landmark, which MediaPipe places higher on real bodies than on rendered
    ones (a straight real plank reads -3 to -20 deg at the hip, a rendered one +1.5 to +5).
    A bend at the hip shows here at about half its size."""
    dev = float(g.line_deviation(v.shoulder, v.knee, v.ankle))
    return dev if float(g.drop_below_line(v.knee, v.shoulder, v.ankle)) >= 0 else -dev


def knee_clearance(v: SideView, support: np.ndarray) -> float:
    """Height of the knee above the floor line, in shin lengths (+ = above the floor).

    The floor line runs through the two contacts of a plank, the support (elbow or wrist) and
    the toes, so it holds for any camera height or tilt. In a plank the knees are off the
    floor (a third of a shin or more); lying prone or in a sphinx they rest on it (about 0)."""
    shin = max(float(g.segment_length(v.knee, v.ankle)), 1e-6)
    return -float(g.drop_below_line(v.knee, support, v.toe)) / shin


def support_reach(v: SideView, support: np.ndarray) -> float:
    """Distance from the support (elbow or wrist) to the toes, in torso lengths (shoulder-hip).

    A plank, a pike included, stretches the body between its two supports: about torso plus
    leg apart (~2.5 torso lengths straight, ~1.9 in an inverted V). Both lengths shrink alike
    when the camera turns, so the ratio holds off side-on."""
    torso = max(float(g.segment_length(v.shoulder, v.hip)), 1e-6)
    return float(g.segment_length(support, v.toe)) / torso


def body_inclination(v: SideView) -> float:
    """Shoulder-ankle line from horizontal, deg (a plank is ~5-25)."""
    return float(g.inclination_from_horizontal(v.ankle, v.shoulder))


def elbow_angle(v: SideView) -> float:
    """Shoulder-elbow-wrist angle, deg: 180 = straight arm."""
    return float(g.joint_angle(v.shoulder, v.elbow, v.wrist))


def lean_from_vertical(top: np.ndarray, bottom: np.ndarray, facing: int) -> float:
    """Signed angle (deg) of top->bottom from straight down: + = bottom ahead of top (towards
    the person's front / head)."""
    d = np.asarray(bottom, float) - np.asarray(top, float)
    return float(np.degrees(np.arctan2(facing * d[0], d[1])))


def thigh_from_vertical(v: SideView) -> float:
    return abs(lean_from_vertical(v.hip, v.knee, v.facing))


def thigh_share(v: SideView) -> float | None:
    """The share of the knee bend that comes from the thigh tilting (hip behind the knee) rather
    than the shin (knee ahead of the ankle): ~0.7-0.95 in a squat, where the hips sink back and
    the ankle's dorsiflexion keeps the shin within ~20-35 deg of vertical. None with the leg
    straight or bent backwards (no bend to share)."""
    thigh = lean_from_vertical(v.hip, v.knee, v.facing)
    shin = -lean_from_vertical(v.knee, v.ankle, v.facing)
    bend = thigh + shin
    return None if bend < 1.0 else thigh / bend


def arm_from_vertical(v: SideView, to_wrist: bool = True) -> float:
    """Shoulder->wrist (or shoulder->elbow, when the hand is out of view) from vertical, deg."""
    return abs(lean_from_vertical(v.shoulder, v.wrist if to_wrist else v.elbow, v.facing))
