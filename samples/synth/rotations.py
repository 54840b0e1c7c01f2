"""3x3 rotation matrices in world axes (metres, z up, the body faces -y, its left is +x)."""

from __future__ import annotations

import numpy as np

Matrix3 = np.ndarray


def rot_x(deg: float) -> Matrix3:
    """About +x; for a bone hanging down (0,0,-1), + swings its lower end backwards (+y)."""
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def rot_y(deg: float) -> Matrix3:
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def rot_z(deg: float) -> Matrix3:
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def axis_angle(axis: np.ndarray, deg: float) -> Matrix3:
    """Rodrigues' rotation about a unit-normalised axis."""
    a = np.radians(deg)
    k = np.asarray(axis, float) / np.linalg.norm(axis)
    skew = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + np.sin(a) * skew + (1.0 - np.cos(a)) * skew @ skew


def rotation_between(a: np.ndarray, b: np.ndarray) -> Matrix3:
    """Smallest rotation taking direction a onto direction b."""
    a = np.asarray(a, float) / np.linalg.norm(a)
    b = np.asarray(b, float) / np.linalg.norm(b)
    v = np.cross(a, b)
    c = float(np.dot(a, b))
    if np.linalg.norm(v) < 1e-9:
        return np.eye(3) if c > 0 else rot_z(180.0)
    skew = np.array([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])
    return np.eye(3) + skew + skew @ skew / (1.0 + c)


def _to_quaternion(r: Matrix3) -> np.ndarray:
    w = np.sqrt(max(0.0, 1 + r[0, 0] + r[1, 1] + r[2, 2])) / 2
    x = np.copysign(np.sqrt(max(0.0, 1 + r[0, 0] - r[1, 1] - r[2, 2])) / 2, r[2, 1] - r[1, 2])
    y = np.copysign(np.sqrt(max(0.0, 1 - r[0, 0] + r[1, 1] - r[2, 2])) / 2, r[0, 2] - r[2, 0])
    z = np.copysign(np.sqrt(max(0.0, 1 - r[0, 0] - r[1, 1] + r[2, 2])) / 2, r[1, 0] - r[0, 1])
    return np.array([w, x, y, z])


def twist_part(r: Matrix3, axis: np.ndarray, fraction: float) -> Matrix3:
    """`fraction` of the twist of r about `axis` (swing-twist split), e.g. to share a wrist
    turn between the forearm bones so the forearm skin does not collapse."""
    q = _to_quaternion(r)
    k = np.asarray(axis, float) / np.linalg.norm(axis)
    twist = np.concatenate([[q[0]], np.dot(q[1:], k) * k])
    norm = np.linalg.norm(twist)
    if norm < 1e-9:
        return np.eye(3)
    twist /= norm
    angle = 2.0 * np.degrees(np.arctan2(np.linalg.norm(twist[1:]), twist[0]))
    direction = twist[1:] if np.linalg.norm(twist[1:]) > 1e-12 else k
    return axis_angle(direction, angle * fraction)


def sagittal_angle(r: Matrix3) -> float:
    """Rotation of r about the body's left-right (x) axis in degrees (+ = forward flexion
    of an upward bone). Exact for pure x rotations; the sagittal part otherwise."""
    return float(np.degrees(np.arctan2(-r[1, 2], r[2, 2])))
