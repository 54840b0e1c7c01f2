"""Ground truth measured on the posed rig and mesh, and projected through the camera.

Two kinds of numbers: image-plane angles from the rig's joint centres projected by the
camera (what a perfect side-on landmark detector would report), and camera-independent
sagittal quantities (spinal/neck/elbow flexion, body line, hand position) that decide
where faults are truly present.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from samples.synth.body import Body
from samples.synth.camera import Camera
from samples.synth.kinematics import Posed, joint_positions
from samples.synth.rotations import sagittal_angle

# MediaPipe-like joints -> the rig bone whose head is that joint centre (near = left side).
JOINT_BONES = {
    "shoulder": "upperarm01",
    "elbow": "lowerarm01",
    "wrist": "wrist",
    "hip": "upperleg01",
    "knee": "lowerleg01",
    "ankle": "foot",
}


@dataclass(frozen=True)
class Keypoints:
    """3-D landmark positions of one side: joint centres plus the ear (surface) point."""

    shoulder: np.ndarray
    elbow: np.ndarray
    wrist: np.ndarray
    hip: np.ndarray
    knee: np.ndarray
    ankle: np.ndarray
    ear: np.ndarray
    chest_front: np.ndarray  # anterior trunk direction (unit), for signing bends


def keypoints(body: Body, posed: Posed, side: str = "L") -> Keypoints:
    joints = joint_positions(body, posed.transforms)
    ear_idx = body.surface.ear_left if side == "L" else body.surface.ear_right
    thorax = posed.transforms[body.bone("spine01"), :3, :3]
    return Keypoints(
        **{name: joints[body.bone(f"{bone}.{side}")] for name, bone in JOINT_BONES.items()},
        ear=posed.vertices[ear_idx].mean(0),
        chest_front=thorax @ np.array([0.0, -1.0, 0.0]),
    )


def _angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    u, v = a - b, c - b
    cos = np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v))
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def _signed_turn(a: np.ndarray, b: np.ndarray, c: np.ndarray, towards: np.ndarray) -> float:
    """Deviation (deg) of the chain a->b->c from straight at b, + when c turns towards the
    direction `towards` (all 2-D)."""
    u, v = b - a, c - b
    turn = float(np.degrees(np.arctan2(abs(u[0] * v[1] - u[1] * v[0]), np.dot(u, v))))
    normal = np.array([-u[1], u[0]])
    side = np.sign(np.dot(normal, v)) * np.sign(np.dot(normal, towards))
    return turn * (side if side != 0 else 1.0)


def body_line(shoulder: np.ndarray, hip: np.ndarray, ankle: np.ndarray, down: np.ndarray) -> float:
    """Plank line (2-D): 180 - angle shoulder-hip-ankle, + when the hip lies below the
    shoulder-ankle line (sag), - above it (pike). `down` is the floor-wards direction."""
    dev = 180.0 - _angle(shoulder, hip, ankle)
    line = ankle - shoulder
    foot_of_hip = shoulder + line * np.dot(hip - shoulder, line) / np.dot(line, line)
    return dev if np.dot(hip - foot_of_hip, down) > 0 else -dev


@dataclass(frozen=True)
class ImageTruth:
    trunk_inclination_deg: float
    hip_angle_deg: float
    knee_angle_deg: float
    body_line_deg: float
    head_line_deg: float


def image_truth(kp: Keypoints, camera: Camera) -> ImageTruth:
    """The schema's image-plane angles from projected joint centres (y down)."""
    names = ("shoulder", "hip", "knee", "ankle", "ear")
    s, h, k, a, e = (camera.project(getattr(kp, n)) for n in names)
    front = camera.project(kp.shoulder + 0.2 * kp.chest_front) - s
    down = camera.project(kp.hip - np.array([0.0, 0.0, 0.2])) - h
    trunk = s - h
    return ImageTruth(
        trunk_inclination_deg=float(np.degrees(np.arctan2(abs(trunk[0]), -trunk[1]))),
        hip_angle_deg=_angle(s, h, k),
        knee_angle_deg=_angle(h, k, a),
        body_line_deg=body_line(s, h, a, down),
        head_line_deg=_signed_turn(h, s, e, front),
    )


def _sagittal(p: np.ndarray) -> np.ndarray:
    """(forward, up) coordinates in the body's sagittal plane: forward is -y."""
    return np.array([-p[1], p[2]])


@dataclass(frozen=True)
class RigTruth:
    """Camera-independent truth in the sagittal plane."""

    spine_flexion_deg: float  # pelvis (root) -> thorax (spine01), + flexion
    neck_flexion_deg: float  # thorax -> head
    knee_flexion_deg: float  # 180 - hip-knee-ankle
    elbow_flexion_deg: float  # 180 - shoulder-elbow-wrist
    trunk_inclination_deg: float  # shoulder-hip from vertical, + forwards
    body_line_deg: float  # + sag, - pike
    hand_ahead_m: float  # wrist in front of the shoulder (towards the head), metres
    back_bow: float


def back_bow(body: Body, vertices: np.ndarray) -> float:
    """Dorsal midline (lumbar -> C7) in the sagittal plane: max deviation from its chord
    divided by the chord length; + = convex backwards (rounded / cat), - = concave (cow)."""
    p = np.stack([-vertices[body.surface.back_midline, 1], vertices[body.surface.back_midline, 2]], 1)
    start, end = p[0], p[-1]
    chord = end - start
    length = float(np.linalg.norm(chord))
    normal = np.array([-chord[1], chord[0]]) / length
    dev = (p - start) @ normal
    front = np.dot(_sagittal(vertices[body.surface.chest_front]) - start, normal)
    dev = -dev if front > 0 else dev  # + = away from the front of the body
    k = int(np.argmax(np.abs(dev)))
    return float(dev[k] / length)


def rig_truth(body: Body, posed: Posed, kp: Keypoints) -> RigTruth:
    r = posed.transforms
    rot = lambda bone: r[body.bone(bone), :3, :3]  # noqa: E731
    s, h, k, a = (_sagittal(getattr(kp, n)) for n in ("shoulder", "hip", "knee", "ankle"))
    trunk = s - h
    return RigTruth(
        spine_flexion_deg=sagittal_angle(rot("root").T @ rot("spine01")),
        neck_flexion_deg=sagittal_angle(rot("spine01").T @ rot("head")),
        knee_flexion_deg=180.0 - _angle(h, k, a),
        elbow_flexion_deg=180.0 - _angle(kp.shoulder, kp.elbow, kp.wrist),
        trunk_inclination_deg=float(np.degrees(np.arctan2(trunk[0], trunk[1]))),
        body_line_deg=body_line(s, h, a, np.array([0.0, -1.0])),
        hand_ahead_m=float(-(kp.wrist[1] - kp.shoulder[1])),
        back_bow=back_bow(body, posed.vertices),
    )
