"""A parametric side-view stick figure that produces `Pose` tracks for checker tests.

The figure lives in its own sagittal plane: f = forward (the way the person faces), z = up,
l = towards the person's left. Every posture is a handful of segment directions in degrees,
so a test states the body angle it means ("trunk 80 deg from vertical, knees bent 20 deg") and
the expected signal follows from geometry, not from a recording.

`render` projects a posture to a 640x480 image with an orthographic camera that can turn
towards the person's front (`yaw_deg`, 0 = exactly side-on, 90 = facing the camera), mirror
(`facing`), add pixel noise, drop visibility, crop, and draw a segmentation mask whose back
outline bows by a given fraction of the torso length.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from vision.landmarks import NUM_LANDMARKS, Landmark
from vision.pose import Pose

FPS = 30.0


@dataclass(frozen=True)
class Body:
    """Segment lengths (m) of an average adult."""

    shin: float = 0.45
    thigh: float = 0.45
    trunk: float = 0.52  # hip joint -> shoulder joint
    neck: float = 0.20  # shoulder joint -> ear
    upper_arm: float = 0.30
    forearm: float = 0.27
    hand: float = 0.08
    foot: float = 0.20
    heel: float = 0.06
    shoulder_width: float = 0.38
    hip_width: float = 0.30
    back_depth: float = 0.10  # joint line -> skin of the back
    front_depth: float = 0.12  # joint line -> skin of the belly/chest


@dataclass(frozen=True)
class Posture:
    """Segment directions in the sagittal plane, degrees.

    Limb directions are measured from straight down, + towards the person's front
    (thigh: hip->knee, shin: knee->ankle, upper_arm: shoulder->elbow, forearm: elbow->wrist).
    trunk: hip->shoulder measured from straight up, + leaning forward.
    neck: shoulder->ear relative to the trunk line, + = head dropped forward.
    nod: the head turned about the top of the neck on top of that, + = chin towards the chest
    (the face turns, the ear stays where the neck puts it).
    foot: heel->toe direction from horizontal-forward, + = toes pointing down.
    back_bow: dorsal outline sagitta / torso length, + rounded (cat), - arched (cow).
    """

    trunk: float = 0.0
    thigh: float = 8.0
    shin: float = -6.0
    upper_arm: float = 0.0
    forearm: float = 5.0
    neck: float = 0.0
    nod: float = 0.0
    foot: float = 0.0
    back_bow: float = 0.0
    ankle_height: float = 0.08  # m above the floor


def _down(deg: float) -> np.ndarray:
    """Unit (f, z) vector at `deg` from straight down, + towards the front."""
    r = np.radians(deg)
    return np.array([np.sin(r), -np.cos(r)])


def _up(deg: float) -> np.ndarray:
    r = np.radians(deg)
    return np.array([np.sin(r), np.cos(r)])


def _rot(v: np.ndarray, deg: float) -> np.ndarray:
    """Rotate an (f, z) vector towards the front (clockwise in the f-z plane) by deg."""
    r = np.radians(deg)
    c, s = np.cos(r), np.sin(r)
    return np.array([c * v[0] + s * v[1], -s * v[0] + c * v[1]])


def sagittal_joints(p: Posture, body: Body = Body()) -> dict[str, np.ndarray]:
    """2-D (f, z) joint positions, built up the chain from the ankle."""
    ankle = np.array([0.0, p.ankle_height])
    knee = ankle - body.shin * _down(p.shin)
    hip = knee - body.thigh * _down(p.thigh)
    trunk_dir = _up(p.trunk)
    shoulder = hip + body.trunk * trunk_dir
    ear = shoulder + body.neck * _rot(trunk_dir, p.neck)
    head = p.neck + p.nod
    face_fwd = _rot(_rot(trunk_dir, 90.0), head)  # the front, turned with the head
    nose = ear + 0.10 * face_fwd + 0.02 * _rot(trunk_dir, head)
    elbow = shoulder + body.upper_arm * _down(p.upper_arm)
    wrist = elbow + body.forearm * _down(p.forearm)
    hand = wrist + body.hand * _down(p.forearm)
    foot_dir = np.array([np.cos(np.radians(p.foot)), -np.sin(np.radians(p.foot))])
    heel = ankle - body.heel * foot_dir - np.array([0.0, 0.04])
    toe = ankle + body.foot * foot_dir - np.array([0.0, 0.04]) * np.cos(np.radians(p.foot))
    return {
        "ankle": ankle,
        "knee": knee,
        "hip": hip,
        "shoulder": shoulder,
        "ear": ear,
        "nose": nose,
        "elbow": elbow,
        "wrist": wrist,
        "hand": hand,
        "heel": heel,
        "toe": toe,
        "trunk_dir": trunk_dir,
    }


# Which sagittal joint each landmark sits on, and which half-width moves it sideways.
_SIDED = {
    "EAR": ("ear", 0.07),
    "EYE": ("nose", 0.03),
    "EYE_INNER": ("nose", 0.015),
    "EYE_OUTER": ("nose", 0.045),
    "SHOULDER": ("shoulder", None),
    "ELBOW": ("elbow", None),
    "WRIST": ("wrist", None),
    "PINKY": ("hand", None),
    "INDEX": ("hand", None),
    "THUMB": ("hand", None),
    "HIP": ("hip", None),
    "KNEE": ("knee", None),
    "ANKLE": ("ankle", None),
    "HEEL": ("heel", None),
    "FOOT_INDEX": ("toe", None),
}


def _landmark_table(body: Body) -> list[tuple[str, float, float]]:
    """Per landmark: (sagittal joint, lateral offset m, offset along the trunk m)."""
    table = []
    for lm in Landmark:
        name = lm.name
        if name == "NOSE":
            table.append(("nose", 0.0, 0.0))
            continue
        if name.startswith("MOUTH"):
            table.append(("nose", 0.03 if name.endswith("LEFT") else -0.03, -0.04))
            continue
        side, part = name.split("_", 1)
        key, half = _SIDED[part]
        if half is None:
            upper = part in ("SHOULDER", "ELBOW", "WRIST", "PINKY", "INDEX", "THUMB")
            half = (body.shoulder_width if upper else body.hip_width) / 2
        table.append((key, half if side == "LEFT" else -half, 0.0))
    return table


_TABLES: dict[Body, list[tuple[str, float, float]]] = {}


def _landmarks_3d(j: dict[str, np.ndarray], body: Body) -> np.ndarray:
    """(33, 3) person-frame (f, l, z) positions in metres."""
    table = _TABLES.get(body)
    if table is None:
        table = _TABLES[body] = _landmark_table(body)
    out = np.empty((NUM_LANDMARKS, 3))
    for i, (key, lateral, along) in enumerate(table):
        f, z = j[key] + along * j["trunk_dir"]
        out[i] = (f, lateral, z)
    return out


@dataclass(frozen=True)
class Camera:
    """Orthographic camera beside the person.

    near: the body side nearer the camera. facing: +1 if the person faces image +x.
    yaw_deg: how far the camera has swung round towards the person's front.
    """

    near: str = "left"
    facing: int = 1
    yaw_deg: float = 0.0
    px_per_m: float = 190.0
    width: int = 640
    height: int = 480
    floor_y: float = 450.0
    centre_x: float = 320.0


def _project(pts: np.ndarray, cam: Camera, anchor_f: float) -> tuple[np.ndarray, np.ndarray]:
    """Person-frame points -> (image xy px, depth m; smaller depth = nearer the camera)."""
    side = 1.0 if cam.near == "left" else -1.0
    yaw = np.radians(cam.yaw_deg)
    towards_cam = np.array([np.sin(yaw), side * np.cos(yaw), 0.0])
    right = cam.facing * np.array([np.cos(yaw), -side * np.sin(yaw), 0.0])
    shifted = pts - np.array([anchor_f, 0.0, 0.0])
    x = cam.centre_x + cam.px_per_m * (shifted @ right)
    y = cam.floor_y - cam.px_per_m * shifted[..., 2]
    depth = -(shifted @ towards_cam)
    return np.stack([x, y], axis=-1), depth


@dataclass(frozen=True)
class Render:
    """How one frame is turned into a Pose (noise, visibility, mask)."""

    camera: Camera = Camera()
    body: Body = Body()
    noise_px: float = 0.0
    far_visibility: float = 0.75
    low_visibility: tuple[str, ...] = ()  # sided part names (e.g. "ANKLE") reported as occluded
    people: int = 1
    mask: bool = False
    mask_scale: float = 1.0  # mask resolution relative to the frame
    mask_supersample: int = 1  # >1: draw that much larger and area-average (exact soft edges, slower)


def render(p: Posture, r: Render = Render(), t_ms: float = 0.0, index: int = 0, rng=None) -> Pose:
    """One posture -> one Pose, as the estimator would report it."""
    cam, body = r.camera, r.body
    j = sagittal_joints(p, body)
    pts = _landmarks_3d(j, body)
    anchor_f = float((j["hip"][0] + j["shoulder"][0] + j["ankle"][0]) / 3)
    xy, _ = _project(pts, cam, anchor_f)
    if r.noise_px and rng is not None:
        xy = xy + rng.normal(0.0, r.noise_px, xy.shape)
    hip_mid = (pts[Landmark.LEFT_HIP] + pts[Landmark.RIGHT_HIP]) / 2
    side = 1.0 if cam.near == "left" else -1.0
    yaw = np.radians(cam.yaw_deg)
    right = cam.facing * np.array([np.cos(yaw), -side * np.sin(yaw), 0.0])
    towards_cam = np.array([np.sin(yaw), side * np.cos(yaw), 0.0])
    rel = pts - hip_mid
    world = np.stack([rel @ right, -rel[:, 2], -(rel @ towards_cam)], axis=-1)
    if r.noise_px and rng is not None:
        world = world + rng.normal(0.0, r.noise_px / cam.px_per_m, world.shape)

    vis = np.full(NUM_LANDMARKS, 0.98)
    far = "RIGHT_" if cam.near == "left" else "LEFT_"
    for lm in Landmark:
        if lm.name.startswith(far):
            vis[lm] = r.far_visibility
        if any(lm.name.endswith("_" + part) and not lm.name.endswith("_INNER") for part in r.low_visibility):
            vis[lm] = 0.05
    pres = np.full(NUM_LANDMARKS, 0.99)
    outside = (xy[:, 0] < 0) | (xy[:, 0] >= cam.width) | (xy[:, 1] < 0) | (xy[:, 1] >= cam.height)
    pres[outside] = 0.05
    vis[outside] = np.minimum(vis[outside], 0.05)
    mask = draw_mask(p, r, anchor_f) if r.mask else None
    return Pose(
        xy=xy.astype(np.float32),
        world=world.astype(np.float32),
        visibility=vis.astype(np.float32),
        presence=pres.astype(np.float32),
        t_ms=t_ms,
        frame_index=index,
        image_size=(cam.width, cam.height),
        mask=mask,
        people=r.people,
    )


def back_outline(p: Posture, body: Body = Body(), n: int = 40) -> np.ndarray:
    """(n, 2) sagittal back outline from hip to shoulder level: a parabola whose sagitta over
    the hip-shoulder chord is back_bow * trunk length, offset dorsally by back_depth."""
    j = sagittal_joints(p, body)
    u = j["trunk_dir"]
    dorsal = -_rot(u, 90.0)
    s = np.linspace(0.0, 1.0, n)[:, None]
    offset = body.back_depth + p.back_bow * body.trunk * 4.0 * s * (1.0 - s)
    return j["hip"] + s * (j["shoulder"] - j["hip"]) + offset * dorsal


def draw_mask(p: Posture, r: Render, anchor_f: float | None = None) -> np.ndarray:
    """Person-segmentation mask (float32 0/1) at `mask_scale` x the frame resolution."""
    body, cam = r.body, r.camera
    j = sagittal_joints(p, body)
    if anchor_f is None:
        anchor_f = float((j["hip"][0] + j["shoulder"][0] + j["ankle"][0]) / 3)
    u = j["trunk_dir"]
    front = _rot(u, 90.0)
    back = back_outline(p, body)
    # Buttocks below the hip and the base of the neck above the shoulder close the outline.
    seat = j["hip"] - 0.10 * u - 0.04 * front
    chest_top = j["shoulder"] + 0.05 * u + body.front_depth * 0.6 * front
    belly = [j["hip"] + s * (j["shoulder"] - j["hip"]) + body.front_depth * front for s in (0.9, 0.5, 0.1)]
    torso = np.vstack([[seat], back, [j["shoulder"] + 0.06 * u], [chest_top], belly])

    h = round(cam.height * r.mask_scale)
    w = round(cam.width * r.mask_scale)
    ss = r.mask_supersample
    img = np.zeros((h * ss, w * ss), np.uint8)
    k = r.mask_scale * ss
    aa = cv2.LINE_AA if ss == 1 else cv2.LINE_8
    shift = 4  # sub-pixel vertex precision; anti-aliased edges look like a confidence mask
    one = 1 << shift

    def px(q2: np.ndarray) -> np.ndarray:
        q3 = np.column_stack([q2[..., 0], np.zeros(len(q2)), q2[..., 1]])
        return _project(q3, cam, anchor_f)[0] * k

    def fixed(q: np.ndarray) -> np.ndarray:
        return np.round(q * one).astype(np.int32)

    def limb(a: str, b: str, width_m: float) -> None:
        pa, pb = fixed(px(np.array([j[a], j[b]])))
        t = max(1, round(width_m * cam.px_per_m * k))
        cv2.line(img, tuple(pa), tuple(pb), 255, t, aa, shift)

    cv2.fillPoly(img, [fixed(px(torso))], 255, aa, shift)
    limb("hip", "knee", 0.15)
    limb("knee", "ankle", 0.10)
    limb("heel", "toe", 0.07)
    limb("shoulder", "elbow", 0.09)
    limb("elbow", "wrist", 0.07)
    limb("wrist", "hand", 0.06)
    limb("shoulder", "ear", 0.10)
    c = fixed(px(np.array([j["ear"] + 0.03 * _rot(u, 90.0 + p.neck)]))[0])
    cv2.circle(img, tuple(c), round(0.11 * cam.px_per_m * k * one), 255, -1, aa, shift)
    if ss > 1:
        img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
    return np.multiply(img, 1.0 / 255.0, dtype=np.float32)


# ----------------------------------------------------------------------------- tracks


def track(
    postures: Sequence[Posture | None],
    r: Render = Render(),
    fps: float = FPS,
    seed: int = 0,
    dropouts: Iterable[int] = (),
    t0_ms: float = 0.0,
) -> list[tuple[Pose | None, float, int]]:
    """Render postures to (pose | None, t_ms, frame_index) triples; `dropouts` frames get None."""
    rng = np.random.default_rng(seed)
    gone = set(dropouts)
    out = []
    for i, p in enumerate(postures):
        t = t0_ms + 1000.0 * i / fps
        if p is None or i in gone:
            out.append((None, t, i))
        else:
            out.append((render(p, r, t, i, rng), t, i))
    return out


def frames_for(seconds: float, fps: float = FPS) -> int:
    return round(seconds * fps)


def hold(p: Posture, seconds: float, fps: float = FPS) -> list[Posture]:
    return [p] * frames_for(seconds, fps)


def blend(a: Posture, b: Posture, w: float) -> Posture:
    """Posture a (w=0) to b (w=1), every angle interpolated linearly."""
    fields = a.__dataclass_fields__
    return replace(a, **{k: (1 - w) * getattr(a, k) + w * getattr(b, k) for k in fields})


def move(a: Posture, b: Posture, seconds: float, fps: float = FPS) -> list[Posture]:
    """Smooth (cosine-eased) movement from a to b, excluding a, including b."""
    n = max(1, frames_for(seconds, fps))
    return [blend(a, b, 0.5 - 0.5 * np.cos(np.pi * (i + 1) / n)) for i in range(n)]


def cycle(rest: Posture, peak: Posture, down_s: float, up_s: float, pause_s: float = 0.0) -> list[Posture]:
    """rest -> peak -> rest, with an optional pause at the peak."""
    return move(rest, peak, down_s) + hold(peak, pause_s) + move(peak, rest, up_s)


def modulate(postures: Sequence[Posture], fn: Callable[[int, Posture], Posture]) -> list[Posture]:
    return [fn(i, p) for i, p in enumerate(postures)]


# ----------------------------------------------------------------------- exercise poses

STANDING = Posture(trunk=2.0, thigh=5.0, shin=-3.0, upper_arm=2.0, forearm=6.0, neck=0.0)


def hinge(
    trunk: float = 80.0, knee_flex: float = 20.0, neck: float = 0.0, back_bow: float = 0.0, nod: float = 0.0
) -> Posture:
    """A hip hinge: shins tilt forward 40% of the knee bend (the hips go back), arms hang."""
    shin = -0.4 * knee_flex
    return Posture(
        trunk=trunk,
        thigh=shin + knee_flex,
        shin=shin,
        upper_arm=trunk * 0.15,
        forearm=trunk * 0.15 + 5.0,
        neck=neck,
        nod=nod,
        back_bow=back_bow,
    )


def squat(depth: float = 1.0) -> Posture:
    """Knees travel forward and bend far more than the hips hinge."""
    knee = 95.0 * depth
    # Shins lean forward a third of the knee bend (the ankle behind the knee), the thighs turn
    # the rest: ankle dorsiflexion keeps shins within ~20-35 deg of vertical.
    shin = -knee / 3.0
    return Posture(
        trunk=35.0 * depth, thigh=shin + knee, shin=shin, upper_arm=40.0 * depth, forearm=50.0 * depth
    )


def plank(
    sag: float = 0.0,
    forearm: bool = False,
    neck: float = 0.0,
    arm_offset: float = 0.0,
    incline: float | None = None,
    body: Body = Body(),
) -> Posture:
    """A plank on the toes. sag: + hips drop below the shoulder-ankle line (deg), - pike.
    arm_offset: supporting arm tilted from vertical (deg, + hands/elbows ahead of the shoulder)."""
    leg = body.thigh + body.shin
    if incline is None:
        support = body.upper_arm if forearm else body.upper_arm + body.forearm + 0.04
        incline = float(np.degrees(np.arcsin((support + 0.02 - 0.08) / (leg + body.trunk))))
    legs_up = incline - sag / 2.0  # hip above ankle, rising towards the head
    trunk_up = incline + sag / 2.0
    leg_dir = 90.0 + legs_up  # hip->knee from straight down, pointing backwards => negative
    return Posture(
        trunk=90.0 - trunk_up,
        thigh=-(180.0 - leg_dir),
        shin=-(180.0 - leg_dir),
        upper_arm=arm_offset,
        forearm=90.0 if forearm else arm_offset,
        neck=neck,
        foot=60.0,
        ankle_height=0.08,
    )


def knee_plank(forearm: bool = False) -> Posture:
    """Supported on the knees: shins on the floor."""
    return Posture(
        trunk=60.0, thigh=-30.0, shin=-90.0, upper_arm=0.0, forearm=90.0 if forearm else 0.0, foot=0.0
    )


def quadruped(spine: float = 0.0, neck: float = 0.0, elbow: float = 0.0, body: Body = Body()) -> Posture:
    """Hands and knees. spine: back_bow (+ cat, - cow). elbow: elbow bend (deg)."""
    rise = np.degrees(np.arcsin(np.clip((body.upper_arm + body.forearm - body.thigh) / body.trunk, -1, 1)))
    return Posture(
        trunk=90.0 - rise,
        thigh=0.0,
        shin=-90.0,
        upper_arm=-elbow / 2.0,
        forearm=elbow / 2.0,
        neck=neck,
        foot=-180.0 + 10.0,
        back_bow=spine,
        ankle_height=0.06,
    )


def kneeling_upright() -> Posture:
    return Posture(trunk=0.0, thigh=0.0, shin=-90.0, foot=-170.0, ankle_height=0.06)


# ------------------------------------------------------------------------------ running


@dataclass
class Run:
    """What a checker reported over a track."""

    assessments: list
    events: list
    fault_spans: dict[str, list[tuple[float, float]]]  # code -> [(first_ms, last_ms)] shown

    @property
    def last(self):
        return self.assessments[-1]

    @property
    def rep_count(self) -> int:
        return self.last.rep_count

    def kinds(self, kind) -> list:
        return [e for e in self.events if e.kind == kind]

    @property
    def fault_codes(self) -> set[str]:
        return set(self.fault_spans)

    def rep_faults(self) -> list[tuple[str, ...]]:
        from exercises.base import EventKind

        return [e.faults for e in self.kinds(EventKind.REP_COMPLETED)]


def run(checker, frames: Sequence[tuple[Pose | None, float, int]]) -> Run:
    assessments, events = [], []
    spans: dict[str, list[tuple[float, float]]] = {}
    open_: dict[str, float] = {}
    last_t = 0.0
    for pose, t, i in frames:
        a = checker.update(pose, t, i)
        assessments.append(a)
        events.extend(a.events)
        now = {f.code for f in a.faults}
        for code in now:
            open_.setdefault(code, t)
        for code in list(open_):
            if code not in now:
                spans.setdefault(code, []).append((open_.pop(code), last_t))
        last_t = t
    for code, start in open_.items():
        spans.setdefault(code, []).append((start, last_t))
    return Run(assessments, events, spans)
