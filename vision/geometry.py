"""Pure geometry on landmark arrays shaped (..., 2) or (..., 3); numpy in, numbers out.

The same functions serve one frame live and N frames offline (leading axes broadcast).
Image coordinates have y pointing down, so "up" is -y.
"""

from __future__ import annotations

import numpy as np

_EPS = 1e-9


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), _EPS)


def joint_angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Angle ABC at vertex b in degrees, 0..180 (180 = straight)."""
    u = _unit(np.asarray(a, float) - b)
    v = _unit(np.asarray(c, float) - b)
    cos = np.clip(np.sum(u * v, axis=-1), -1.0, 1.0)
    return np.degrees(np.arccos(cos))


def inclination_from_vertical(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Unsigned angle (deg) of the segment lower->upper from image-vertical-up, 0..180.

    0 = upper straight above lower (standing trunk), 90 = horizontal, 180 = upside down.
    """
    v = np.asarray(upper, float)[..., :2] - np.asarray(lower, float)[..., :2]
    return np.degrees(np.arctan2(np.abs(v[..., 0]), -v[..., 1]))


def inclination_from_horizontal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Unsigned angle (deg) of the line a-b from image-horizontal, 0..90."""
    v = np.asarray(b, float)[..., :2] - np.asarray(a, float)[..., :2]
    return np.degrees(np.arctan2(np.abs(v[..., 1]), np.abs(v[..., 0])))


def signed_distance_from_line(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """2-D signed perpendicular distance of p from the line a->b (same units as input).

    Positive when p lies to the right of the direction a->b in image coordinates
    (y down), i.e. on the clockwise side as seen on screen.
    """
    a = np.asarray(a, float)[..., :2]
    d = np.asarray(b, float)[..., :2] - a
    w = np.asarray(p, float)[..., :2] - a
    cross = d[..., 0] * w[..., 1] - d[..., 1] * w[..., 0]
    return cross / np.maximum(np.linalg.norm(d, axis=-1), _EPS)


def drop_below_line(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """How far p sits below the line through a and b, measured perpendicular to it.

    Positive = below (image +y side), negative = above; independent of a/b order.
    Used for plank sag (+) and pike (-) of the hip from the shoulder-ankle line.
    """
    a = np.asarray(a, float)[..., :2]
    b = np.asarray(b, float)[..., :2]
    d = signed_distance_from_line(p, a, b)
    # Orient the line so that its "right" side is image-down: flip when it runs right-to-left.
    flip = np.where((b[..., 0] - a[..., 0]) >= 0, 1.0, -1.0)
    return d * flip


def line_deviation(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """180 - angle ABC: how far the chain a-b-c bends away from a straight line (deg)."""
    return 180.0 - joint_angle(a, b, c)


def signed_bend(a: np.ndarray, b: np.ndarray, c: np.ndarray, facing: int | np.ndarray) -> np.ndarray:
    """Bend of the chain a->b->c at b (deg), signed by the person's facing direction.

    Positive when c turns towards the person's front relative to the direction a->b
    (e.g. hip->shoulder->ear: + = head dropped forward / chin down, - = head tipped back).
    `facing` is +1 if the person faces image +x, -1 if image -x.
    """
    u = np.asarray(b, float)[..., :2] - np.asarray(a, float)[..., :2]
    v = np.asarray(c, float)[..., :2] - np.asarray(b, float)[..., :2]
    cross = u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]
    dot = np.sum(u * v, axis=-1)
    ang = np.degrees(np.arctan2(cross, dot))  # + = clockwise on screen (y down)
    # Facing +x, a clockwise turn on screen bends towards the front when moving "up" the body;
    # for a chain pointing away from the feet this is towards the ground, i.e. forward/down.
    return ang * np.asarray(facing, float)


def segment_length(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.linalg.norm(np.asarray(b, float) - np.asarray(a, float), axis=-1)


def midpoint(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (np.asarray(a, float) + np.asarray(b, float)) / 2.0


def scale_to_mask(xy: np.ndarray, image_size: tuple[int, int], mask_shape: tuple[int, ...]) -> np.ndarray:
    """Frame pixel coordinates -> pixel coordinates of a mask of shape (H, W).

    The estimator may run (and segment) on a downscaled copy of the frame, so the mask
    can be smaller than `image_size` (width, height) while landmarks stay in frame pixels.
    """
    sx = mask_shape[1] / image_size[0]
    sy = mask_shape[0] / image_size[1]
    return np.asarray(xy, float)[..., :2] * (sx, sy)
