"""One frame of an exercise: joint rotations for a posture, placed on the floor.

A posture is a small frozen dataclass of anatomical angles (degrees); `pose_*` turns it
into a `Posed` body standing, kneeling or lying on the floor at z = 0. Angles are signed
in the sagittal plane: + flexion (bending forwards), - extension.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from samples.synth.body import Body
from samples.synth.kinematics import Posed, forward_kinematics, pose, skin
from samples.synth.rotations import axis_angle, rot_x, rot_y, rotation_between, twist_part

SPINE = ("spine05", "spine04", "spine03", "spine02", "spine01")  # lumbar -> upper thoracic
NECK = ("neck01", "neck02", "neck03")
SIDES = ("L", "R")
_MIRROR = {"L": np.array([1.0, 1.0, 1.0]), "R": np.array([-1.0, 1.0, 1.0])}
_DOWN = np.array([0.0, 0.0, -1.0])


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


@dataclass(frozen=True)
class Skeleton:
    """Rest-pose geometry the posture code needs, measured once per body."""

    body: Body
    hip_centre: np.ndarray
    upper_arm_rest: np.ndarray  # left-side directions; mirrored for the right
    forearm_rest: np.ndarray
    arm_rest_abduction: float  # deg from vertical of the rest A-pose upper arm
    limb_rest: dict[str, np.ndarray]  # "thigh.L" etc. -> rest direction
    hand_frame: dict[str, np.ndarray]  # rest (fingers, thumb-side, normal) columns
    hands: dict[str, np.ndarray]  # vertex indices per side
    feet: dict[str, np.ndarray]
    knees: dict[str, np.ndarray]
    forearms: dict[str, np.ndarray]
    toe_bones: tuple[str, ...]
    balance_sample: np.ndarray  # vertex indices for the centre-of-mass estimate
    balance_weight: np.ndarray  # their area weights
    standing_com_offset: float = field(default=0.0)  # COM y minus mid-ankle y when standing


def _vertex_areas(body: Body) -> np.ndarray:
    v = body.rest[body.faces]
    area = 0.5 * np.linalg.norm(np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0]), axis=1)
    per_vertex = np.zeros(len(body.rest))
    for k in range(3):
        np.add.at(per_vertex, body.faces[:, k], area / 3.0)
    return per_vertex


def build_skeleton(body: Body) -> Skeleton:
    j = body.joint
    upper = j("lowerarm01.L") - j("upperarm01.L")
    limb_rest = {}
    for s in SIDES:
        limb_rest[f"thigh.{s}"] = _unit(j(f"lowerleg01.{s}") - j(f"upperleg01.{s}"))
        limb_rest[f"shin.{s}"] = _unit(j(f"foot.{s}") - j(f"lowerleg01.{s}"))
    hand_frame = {}
    for s in SIDES:
        wrist, middle = j(f"wrist.{s}"), j(f"finger3-1.{s}")
        index, pinky = j(f"finger2-1.{s}"), j(f"finger5-1.{s}")
        fingers = _unit(middle - wrist)
        across = _unit((index - pinky) - np.dot(index - pinky, fingers) * fingers)
        hand_frame[s] = np.stack([fingers, across, np.cross(fingers, across)], 1)

    def side_bones(side: str, prefixes: tuple[str, ...]) -> list[str]:
        return [b for b in body.bones if b.endswith("." + side) and b.startswith(prefixes)]

    skin_vertices = body.groups["body"]
    rng = np.random.default_rng(0)
    sample = np.sort(rng.choice(skin_vertices, size=min(2500, len(skin_vertices)), replace=False))
    skeleton = Skeleton(
        body=body,
        hip_centre=0.5 * (j("upperleg01.L") + j("upperleg01.R")),
        upper_arm_rest=_unit(upper),
        forearm_rest=_unit(j("wrist.L") - j("lowerarm01.L")),
        arm_rest_abduction=float(np.degrees(np.arctan2(upper[0], -upper[2]))),
        limb_rest=limb_rest,
        hand_frame=hand_frame,
        hands={s: body.vertices_of(side_bones(s, ("finger", "metacarpal", "wrist"))) for s in SIDES},
        feet={s: body.vertices_of(side_bones(s, ("toe", "foot"))) for s in SIDES},
        knees={s: body.vertices_of([f"lowerleg01.{s}", f"lowerleg02.{s}"]) for s in SIDES},
        forearms={s: body.vertices_of([f"lowerarm01.{s}", f"lowerarm02.{s}"]) for s in SIDES},
        toe_bones=tuple(b for b in body.bones if b.startswith("toe") and "-1." in b),
        balance_sample=sample,
        balance_weight=_vertex_areas(body)[sample],
    )
    standing = pose_hinge(skeleton, HingePosture(trunk_deg=None), balance=False)
    offset = _centre_of_mass_y(skeleton, standing) - _mid_ankle(skeleton, standing)[1]
    return Skeleton(**{**skeleton.__dict__, "standing_com_offset": offset})


# ---------------------------------------------------------------- limb rotations
def spine_rotations(flexion_deg: float, shares: tuple[float, ...]) -> dict[str, np.ndarray]:
    """Spread a total spinal flexion over the five spine bones (true curvature, not one hinge)."""
    total = sum(shares)
    return {bone: rot_x(flexion_deg * share / total) for bone, share in zip(SPINE, shares, strict=True)}


def neck_rotations(flexion_deg: float) -> dict[str, np.ndarray]:
    return {bone: rot_x(flexion_deg / len(NECK)) for bone in NECK}


def arm_rotations(
    sk: Skeleton, side: str, swing_deg: float = 0.0, abduction_deg: float = 6.0, elbow_deg: float = 5.0
) -> dict[str, np.ndarray]:
    """World orientations of one arm hanging `abduction_deg` out from vertical, swung by
    `swing_deg` about the left-right axis (+ = hand backwards), elbow flexed `elbow_deg`."""
    sign = 1.0 if side == "L" else -1.0
    upper = rot_x(swing_deg) @ rot_y(sign * (sk.arm_rest_abduction - abduction_deg))
    fore_rest = sk.forearm_rest * _MIRROR[side]
    upper_rest = sk.upper_arm_rest * _MIRROR[side]
    straighten = rotation_between(fore_rest, upper_rest)
    flex = axis_angle(np.cross(upper_rest, fore_rest), elbow_deg)
    lower = upper @ flex @ straighten
    return {
        f"upperarm01.{side}": upper,
        f"upperarm02.{side}": upper,
        f"lowerarm01.{side}": lower,
        f"lowerarm02.{side}": lower,
    }


def flat_hand(sk: Skeleton, side: str, rotations: dict[str, np.ndarray]) -> None:
    """Palm flat on the floor, fingers forward (-y), thumb inwards; the forearm's second
    bone takes half of the wrist's twist so the skin does not candy-wrap."""
    sign = 1.0 if side == "L" else -1.0
    fingers = np.array([0.0, -1.0, 0.0])
    thumb = np.array([-sign, 0.0, 0.0])
    target = np.stack([fingers, thumb, np.cross(fingers, thumb)], 1)
    wrist = target @ sk.hand_frame[side].T
    rotations[f"wrist.{side}"] = wrist
    forearm = rotations[f"lowerarm01.{side}"]
    axis = sk.forearm_rest * _MIRROR[side]
    rotations[f"lowerarm02.{side}"] = forearm @ twist_part(forearm.T @ wrist, axis, 0.5)


def leg_rotations(
    sk: Skeleton, thigh_deg: float, shin_deg: float, foot_deg: float, adduction_deg: float = 2.0
) -> dict[str, np.ndarray]:
    """World orientations of both legs from sagittal angles of each segment measured from
    straight down (+ = lower end backwards). The rest pose's slight knee bend is removed
    first, so thigh == shin means a truly straight knee."""
    out = {}
    for s in SIDES:
        sign = 1.0 if s == "L" else -1.0
        adduct = rot_y(sign * adduction_deg)
        down = adduct @ _DOWN
        thigh = rot_x(thigh_deg) @ rotation_between(sk.limb_rest[f"thigh.{s}"], down)
        shin = rot_x(shin_deg) @ rotation_between(sk.limb_rest[f"shin.{s}"], down)
        out[f"upperleg01.{s}"] = out[f"upperleg02.{s}"] = thigh
        out[f"lowerleg01.{s}"] = out[f"lowerleg02.{s}"] = shin
        out[f"foot.{s}"] = rot_x(foot_deg) @ adduct
    return out


# ---------------------------------------------------------------- floor contact
def _bisect(gap: Callable[[float], float], lo: float, hi: float, tol: float = 1e-3) -> float:
    """Root of a smooth gap that is positive at lo and negative at hi, by the Illinois
    variant of false position: bracketed like bisection, converging in a few steps."""
    g_lo, g_hi = gap(lo), gap(hi)
    if g_lo <= 0:
        return lo
    if g_hi >= 0:
        return hi
    side = 0
    x = lo
    for _ in range(40):
        x = (lo * g_hi - hi * g_lo) / (g_hi - g_lo)
        g = gap(x)
        if abs(g) < 1e-7 or hi - lo < tol:
            break
        if g > 0:
            lo, g_lo = x, g
            if side == 1:
                g_hi /= 2
            side = 1
        else:
            hi, g_hi = x, g
            if side == -1:
                g_lo /= 2
            side = -1
    return x


def on_floor(posed: Posed, body: Body, anchor: np.ndarray | None = None, anchor_y: float = 0.0) -> Posed:
    """Lowest vertex onto z = 0; optionally slide along y so `anchor` lands at `anchor_y`."""
    dz = -posed.vertices[body.used, 2].min()
    dy = 0.0 if anchor is None else anchor_y - anchor[1]
    return posed.shifted(np.array([0.0, dy, dz]))


def _mid_ankle(sk: Skeleton, posed: Posed) -> np.ndarray:
    b = sk.body
    ankles = [posed.transforms[b.bone(f"foot.{s}")] @ np.append(b.joint(f"foot.{s}"), 1.0) for s in SIDES]
    return 0.5 * (ankles[0][:3] + ankles[1][:3])


def _centre_of_mass_y(sk: Skeleton, posed: Posed) -> float:
    """Surface-area-weighted centroid: a stand-in for the mass centre, good enough to keep
    a hinging body balanced over its feet."""
    v = skin(sk.body, posed.transforms, sk.balance_sample)
    return float(np.average(v[:, 1], weights=sk.balance_weight))


# ---------------------------------------------------------------- hip hinge
@dataclass(frozen=True)
class HingePosture:
    """Standing hip hinge. trunk_deg: wanted shoulder-hip inclination from vertical in the
    sagittal plane (None = upright pelvis); the pelvis pitch is solved to reach it, so a
    rounded spine automatically comes with less hip flexion."""

    trunk_deg: float | None = 0.0
    spine_flexion_deg: float = 0.0
    knee_flexion_deg: float = 5.0
    neck_flexion_deg: float = 0.0
    shin_share: float = 0.4  # of the knee flexion taken by the shin tilting forwards
    arm_swing_deg: float = 0.0
    spine_shares: tuple[float, ...] = (0.25, 0.25, 0.2, 0.15, 0.15)
    # Marching on the spot ("other" footage): + lifts the left knee this far (hip flexion
    # with the shin hanging back), - the right one.
    march_deg: float = 0.0


def _hinge_rotations(
    sk: Skeleton, p: HingePosture, lean_deg: float
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    # lean_deg tips both legs about the ankles so the hips go back (+ = hips behind ankles).
    shin = p.shin_share * p.knee_flexion_deg - lean_deg
    thigh = shin - p.knee_flexion_deg
    world = leg_rotations(sk, thigh_deg=thigh, shin_deg=shin, foot_deg=0.0)
    if p.march_deg:
        lifted = "L" if p.march_deg > 0 else "R"
        lift = abs(p.march_deg)
        raised = leg_rotations(sk, thigh_deg=thigh - lift, shin_deg=shin - 0.2 * lift, foot_deg=0.0)
        world.update({k: v for k, v in raised.items() if k.endswith("." + lifted)})
    for s in SIDES:
        world.update(arm_rotations(sk, s, swing_deg=p.arm_swing_deg, abduction_deg=6.0, elbow_deg=8.0))
    local = spine_rotations(p.spine_flexion_deg, p.spine_shares) | neck_rotations(p.neck_flexion_deg)
    return local, world


def _trunk_inclination(sk: Skeleton, transforms: np.ndarray) -> float:
    """Sagittal shoulder-hip inclination from vertical (+ = shoulders forward), left side."""
    b = sk.body
    hip = transforms[b.bone("upperleg01.L")] @ np.append(b.joint("upperleg01.L"), 1.0)
    shoulder = transforms[b.bone("upperarm01.L")] @ np.append(b.joint("upperarm01.L"), 1.0)
    d = shoulder[:3] - hip[:3]
    return float(np.degrees(np.arctan2(-d[1], d[2])))


def pose_hinge(sk: Skeleton, p: HingePosture, balance: bool = True) -> Posed:
    body = sk.body

    def transforms(pitch: float, lean: float) -> np.ndarray:
        local, world = _hinge_rotations(sk, p, lean)
        r = rot_x(pitch)
        return forward_kinematics(body, local, world, r, sk.hip_centre - r @ sk.hip_centre)

    pitch = 0.0
    if p.trunk_deg is not None:
        # Inclination rises monotonically with pelvis pitch: bisect on it (FK only, no skinning).
        pitch = _bisect(lambda x: p.trunk_deg - _trunk_inclination(sk, transforms(x, 0.0)), -30.0, 120.0)

    lean = 0.0
    if balance:
        # Hips travel back as the trunk tips forward, keeping the mass centre over the feet.
        def imbalance(x: float) -> float:
            local, world = _hinge_rotations(sk, p, x)
            r = rot_x(pitch)
            t = forward_kinematics(body, local, world, r, sk.hip_centre - r @ sk.hip_centre)
            posed = Posed(t, np.zeros((0, 3)))
            return sk.standing_com_offset - (_centre_of_mass_y(sk, posed) - _mid_ankle(sk, posed)[1])

        lean = _bisect(imbalance, -25.0, 40.0)
    local, world = _hinge_rotations(sk, p, lean)
    posed = pose(body, local, world, rot_x(pitch), sk.hip_centre)
    return on_floor(posed, body, anchor=_mid_ankle(sk, posed), anchor_y=0.0)


# ---------------------------------------------------------------- plank
PlankStyle = Literal["high", "forearm"]


@dataclass(frozen=True)
class PlankPosture:
    """Plank on hands (high) or forearms. hip_bend_deg: + hips sag (hip and lumbar
    extension), - hips pike. hip_flexion/knee_flexion > 0 bend the legs towards
    hands-and-knees (used while getting into position). arm_swing_deg < 0 puts the hands
    (or elbows) in front of the shoulders."""

    style: PlankStyle = "high"
    hip_bend_deg: float = 0.0
    neck_flexion_deg: float = 0.0
    arm_swing_deg: float = 0.0
    hip_flexion_deg: float = 0.0
    knee_flexion_deg: float = 0.0
    elbow_flexion_deg: float = 2.0  # high plank; bent (elbows back) = the low point of a push-up


_NEUTRAL_PLANK_NECK = -18.0  # the rest head hangs forward; this lines it up with the trunk


def _plank_rotations(
    sk: Skeleton, p: PlankPosture, pitch: float
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    local = spine_rotations(-0.45 * p.hip_bend_deg, (0.35, 0.3, 0.2, 0.1, 0.05))
    local |= neck_rotations(_NEUTRAL_PLANK_NECK + p.neck_flexion_deg)
    for toe in sk.toe_bones:  # toes extended: the ball of the foot takes the weight
        local[toe] = rot_x(-55.0)
    thigh = pitch + 0.55 * p.hip_bend_deg - p.hip_flexion_deg
    shin = thigh + p.knee_flexion_deg
    world = leg_rotations(sk, thigh_deg=thigh, shin_deg=shin, foot_deg=shin - 8.0, adduction_deg=2.0)
    for s in SIDES:
        if p.style == "high":
            # A push-up bends the elbows backwards with the forearms staying near vertical.
            bend = p.elbow_flexion_deg
            swing = p.arm_swing_deg + 0.8 * (bend - 2.0)
            world.update(arm_rotations(sk, s, swing_deg=swing, abduction_deg=4.0, elbow_deg=bend))
        else:
            arm = arm_rotations(sk, s, swing_deg=p.arm_swing_deg, abduction_deg=4.0, elbow_deg=0.0)
            forearm = rot_x(-90.0) @ arm[f"lowerarm01.{s}"]  # forearm forwards along the floor
            arm[f"lowerarm01.{s}"] = arm[f"lowerarm02.{s}"] = forearm
            world.update(arm)
        flat_hand(sk, s, world)
    return local, world


def _contact_pitch(
    sk: Skeleton,
    rotations: Callable[[float], tuple[dict[str, np.ndarray], dict[str, np.ndarray]]],
    front: np.ndarray,
    back: np.ndarray,
    lo: float,
    hi: float,
) -> float:
    """Whole-body pitch at which the lowest `front` vertex (hands) and the lowest `back`
    vertex (knees or toes) touch the same floor: more pitch lowers the front end."""
    subset = np.concatenate([front, back])
    n = len(front)

    def gap(pitch: float) -> float:
        local, world = rotations(pitch)
        v = pose(sk.body, local, world, rot_x(pitch), sk.hip_centre, index=subset).vertices
        return float(v[:n, 2].min() - v[n:, 2].min())

    return _bisect(gap, lo, hi)


def _plank_supports(sk: Skeleton, p: PlankPosture) -> tuple[np.ndarray, np.ndarray]:
    front = [sk.hands[s] for s in SIDES] + ([sk.forearms[s] for s in SIDES] if p.style == "forearm" else [])
    back = [sk.feet[s] for s in SIDES] + [sk.knees[s] for s in SIDES]
    return np.concatenate(front), np.concatenate(back)


PLANK_HANDS_Y = -0.75  # hands stay put on the mat; the body is placed relative to them


def pose_plank(sk: Skeleton, p: PlankPosture) -> Posed:
    front, back = _plank_supports(sk, p)
    pitch = _contact_pitch(sk, lambda x: _plank_rotations(sk, p, x), front, back, 30.0, 120.0)
    local, world = _plank_rotations(sk, p, pitch)
    posed = pose(sk.body, local, world, rot_x(pitch), sk.hip_centre)
    hands = np.concatenate([sk.hands[s] for s in SIDES])
    return on_floor(posed, sk.body, anchor=posed.vertices[hands].mean(0), anchor_y=PLANK_HANDS_Y)


def kneeling_knee_flexion(sk: Skeleton, hip_flexion_deg: float = 90.0) -> float:
    """Knee flexion at which knees and tucked toes both touch the floor on hands and knees."""

    def toes_minus_knees(knee: float) -> float:
        p = PlankPosture(hip_flexion_deg=hip_flexion_deg, knee_flexion_deg=knee)
        posed = pose_plank(sk, p)
        feet = np.concatenate([sk.feet[s] for s in SIDES])
        knees = np.concatenate([sk.knees[s] for s in SIDES])
        return float(posed.vertices[knees, 2].min() - posed.vertices[feet, 2].min())

    # Small knee flexion: the knees hover above the toes; large: the toes lift off.
    return _bisect(toes_minus_knees, 30.0, 140.0)


# ---------------------------------------------------------------- hands and knees (cat-cow)
@dataclass(frozen=True)
class QuadrupedPosture:
    """Hands and knees. spine_flexion_deg: + cat (rounded up), - cow (sagging, arched).
    Arms and thighs hang vertically, so the pelvis tilt follows from hands and knees both
    touching the floor. elbow_flexion_deg bends the elbows (pointing backwards) with the
    hands staying under the shoulders."""

    spine_flexion_deg: float = 0.0
    neck_flexion_deg: float = 0.0
    elbow_flexion_deg: float = 2.0
    # Bird-dog ("other" footage): 0 = hands and knees, 1 = left arm forwards and right leg
    # backwards, both level with the trunk.
    reach: float = 0.0


KNEES_Y = 0.45  # knees stay put on the mat


def _quadruped_rotations(
    sk: Skeleton, p: QuadrupedPosture
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    local = spine_rotations(p.spine_flexion_deg, (0.2, 0.2, 0.2, 0.2, 0.2)) | neck_rotations(
        p.neck_flexion_deg
    )
    world = leg_rotations(sk, thigh_deg=0.0, shin_deg=90.0, foot_deg=165.0, adduction_deg=1.0)
    for s in SIDES:
        # Elbows bend backwards: upper arm back by half, forearm forwards by half.
        world.update(
            arm_rotations(
                sk, s, swing_deg=0.5 * p.elbow_flexion_deg, abduction_deg=5.0, elbow_deg=p.elbow_flexion_deg
            )
        )
        flat_hand(sk, s, world)
    if p.reach:
        r = p.reach
        world.update(arm_rotations(sk, "L", swing_deg=-95.0 * r, abduction_deg=5.0, elbow_deg=3.0))
        leg = leg_rotations(sk, thigh_deg=95.0 * r, shin_deg=90.0 + 5.0 * r, foot_deg=165.0 - 60.0 * r)
        world.update({k: v for k, v in leg.items() if k.endswith(".R")})
    return local, world


def pose_quadruped(sk: Skeleton, p: QuadrupedPosture) -> Posed:
    local, world = _quadruped_rotations(sk, p)
    # Bird-dog: the lifted hand and knee no longer carry the body.
    front = np.concatenate([sk.hands[s] for s in (("R",) if p.reach else SIDES)])
    back = np.concatenate([sk.knees[s] for s in (("L",) if p.reach else SIDES)])
    pitch = _contact_pitch(sk, lambda x: (local, world), front, back, 20.0, 150.0)
    posed = pose(sk.body, local, world, rot_x(pitch), sk.hip_centre)
    return on_floor(posed, sk.body, anchor=posed.vertices[back].mean(0), anchor_y=KNEES_Y)


# ---------------------------------------------------------------- "other" footage
@dataclass(frozen=True)
class KneelPosture:
    """Kneeling upright (thighs vertical, shins on the floor); trunk_deg leans the pelvis
    forwards, arm_swing_deg as for the hinge."""

    trunk_deg: float = 0.0
    neck_flexion_deg: float = 0.0
    arm_swing_deg: float = 0.0


def pose_kneel(sk: Skeleton, p: KneelPosture) -> Posed:
    local = spine_rotations(0.0, (0.2, 0.2, 0.2, 0.2, 0.2)) | neck_rotations(p.neck_flexion_deg)
    world = leg_rotations(sk, thigh_deg=0.0, shin_deg=90.0, foot_deg=165.0, adduction_deg=2.0)
    for s in SIDES:
        world.update(arm_rotations(sk, s, swing_deg=p.arm_swing_deg, abduction_deg=8.0, elbow_deg=10.0))
    posed = pose(sk.body, local, world, rot_x(p.trunk_deg), sk.hip_centre)
    knees = np.concatenate([sk.knees[s] for s in SIDES])
    return on_floor(posed, sk.body, anchor=posed.vertices[knees].mean(0), anchor_y=0.2)


@dataclass(frozen=True)
class LyingPosture:
    """Lying on the floor: face up (supine) or down (prone). knee_flexion_deg bends the
    knees up with the feet flat (supine); hip_lift_deg raises the pelvis into a bridge."""

    face_up: bool = True
    knee_flexion_deg: float = 0.0
    hip_lift_deg: float = 0.0
    arm_swing_deg: float = 0.0  # relative to the trunk: 0 = along the sides


def pose_lying(sk: Skeleton, p: LyingPosture) -> Posed:
    # + pitch tips the body face down; a bridge tips the trunk head-down, hips up.
    pitch = 90.0 if not p.face_up else -90.0 - p.hip_lift_deg
    local = spine_rotations(0.0, (0.2, 0.2, 0.2, 0.2, 0.2)) | neck_rotations(0.0)
    if p.face_up and p.knee_flexion_deg:
        # Feet flat on the floor: the shin slopes down to them, the thigh up to the knee;
        # in a bridge the thighs flatten and the shins stand up to keep the feet down.
        shin = -90.0 + 0.5 * p.knee_flexion_deg + 1.3 * p.hip_lift_deg
        thigh = -90.0 - 0.5 * p.knee_flexion_deg + 0.6 * p.hip_lift_deg
        world = leg_rotations(sk, thigh_deg=thigh, shin_deg=min(shin, 0.0), foot_deg=0.0)
    else:
        world = leg_rotations(
            sk, thigh_deg=pitch, shin_deg=pitch, foot_deg=pitch + (-20.0 if p.face_up else 40.0)
        )
    flat = 90.0 if not p.face_up else -90.0  # arms along the floor, whatever the trunk does
    for s in SIDES:
        world.update(
            arm_rotations(sk, s, swing_deg=flat + p.arm_swing_deg, abduction_deg=12.0, elbow_deg=5.0)
        )
    posed = pose(sk.body, local, world, rot_x(pitch), sk.hip_centre)
    return on_floor(posed, sk.body, anchor=posed.transforms[0, :3, 3], anchor_y=0.0)
