"""The shape of the back, read from the person-segmentation mask.

Landmarks only give the shoulder and hip joint centres, so a rounded (flexed) spine between
them is invisible to joint angles. The silhouette's dorsal outline shows it: we cut the torso
with lines perpendicular to the hip->shoulder chord, find where each cut leaves the body on
the person's back side, and measure how the outline bows away from a straight line.
"""

from __future__ import annotations

import numpy as np

# Part of the hip->shoulder chord whose outline is traced (0 = hip, 1 = shoulder). The ends
# are left out: below ~0.2 the buttocks bulge behind the hip joint, above ~0.9 the shoulder
# blade, neck and arm join the outline; neither is the spine.
SPAN = (0.2, 0.9)
SECTIONS = 21  # cross-sections along the span; enough for a quadratic fit, cheap to sample
SEARCH_VENTRAL = 0.15  # start each cut this far (x torso length) on the belly side of the chord
SEARCH_DORSAL = 0.6  # and give up this far on the back side
MIN_CHORD_PX = 12.0  # shorter torsos (in mask pixels) are too coarse to judge a curve
MIN_VALID = 0.6  # fraction of cuts that must find the back
# An outline that strays from its own smooth arc by more than this (RMS, torso lengths) is
# broken, not curved: a bar, a plate or a drawn line across the back, a ragged mask. Clean
# outlines stray 0.004-0.013 (real clips) and 0.005-0.01 (rendered); broken ones 0.03-0.15.
MAX_OUTLINE_RMS = 0.025


def _bilinear(img: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Sample img at float pixel coordinates; NaN outside the image."""
    h, w = img.shape
    outside = (x < 0) | (y < 0) | (x > w - 1) | (y > h - 1)
    xc = np.clip(x, 0, w - 1)
    yc = np.clip(y, 0, h - 1)
    x0 = np.minimum(np.floor(xc).astype(np.intp), w - 2) if w > 1 else np.zeros_like(xc, np.intp)
    y0 = np.minimum(np.floor(yc).astype(np.intp), h - 2) if h > 1 else np.zeros_like(yc, np.intp)
    fx = xc - x0
    fy = yc - y0
    x1 = np.minimum(x0 + 1, w - 1)
    y1 = np.minimum(y0 + 1, h - 1)
    top = img[y0, x0] * (1 - fx) + img[y0, x1] * fx
    bottom = img[y1, x0] * (1 - fx) + img[y1, x1] * fx
    out = (top * (1 - fy) + bottom * fy).astype(np.float64)
    out[outside] = np.nan
    return out


def dorsal_normal(shoulder_xy: np.ndarray, hip_xy: np.ndarray, facing: int) -> np.ndarray:
    """Unit image vector perpendicular to the hip->shoulder chord, pointing out of the back.

    Image y points down; for a person facing +x the front is the chord turned clockwise on
    screen, so the back is the chord turned anticlockwise.
    """
    u = np.asarray(shoulder_xy, float) - np.asarray(hip_xy, float)
    u = u / max(float(np.linalg.norm(u)), 1e-9)
    return float(facing) * np.array([u[1], -u[0]])


def back_profile(
    mask: np.ndarray,
    shoulder_xy: np.ndarray,
    hip_xy: np.ndarray,
    facing: int,
    image_size: tuple[int, int] | None = None,
    threshold: float = 0.5,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Dorsal outline along the chord: (t, offset) with t in SPAN and offset in torso lengths
    (how far behind the shoulder-hip line the skin of the back is). NaN where a cut failed.

    Coordinates are in frame pixels; `image_size` (w, h) of that frame lets the mask have
    another resolution. None when the torso is too small or the facing is unknown.
    """
    if mask is None or facing == 0 or mask.ndim != 2:
        return None
    s = np.asarray(shoulder_xy, float)[:2].copy()
    hp = np.asarray(hip_xy, float)[:2].copy()
    if image_size is not None:
        scale = np.array([mask.shape[1] / image_size[0], mask.shape[0] / image_size[1]])
        s *= scale
        hp *= scale
    if not (np.all(np.isfinite(s)) and np.all(np.isfinite(hp))):
        return None
    chord = s - hp
    length = float(np.linalg.norm(chord))
    if length < MIN_CHORD_PX:
        return None
    dorsal = dorsal_normal(s, hp, facing)

    t = np.linspace(SPAN[0], SPAN[1], SECTIONS)
    n_steps = int(np.clip(np.ceil((SEARCH_VENTRAL + SEARCH_DORSAL) * length), 24, 600))
    offsets = np.linspace(-SEARCH_VENTRAL, SEARCH_DORSAL, n_steps)  # torso lengths
    step = offsets[1] - offsets[0]
    base = hp + t[:, None] * chord  # (n, 2)
    pts = base[:, None, :] + (offsets[None, :, None] * length) * dorsal  # (n, m, 2)
    vals = _bilinear(np.asarray(mask, np.float32), pts[..., 0], pts[..., 1])  # (n, m)

    inside = np.nan_to_num(vals, nan=0.0) >= threshold
    idx = np.arange(n_steps)
    has_in = inside.any(axis=1)
    first_in = np.argmax(inside, axis=1)
    after_entry = idx[None, :] > first_in[:, None]
    exits = after_entry & ~inside
    has_exit = exits.any(axis=1)
    k = np.argmax(exits, axis=1)  # first sample outside the body after entering it
    rows = np.arange(len(t))
    v_in = vals[rows, k - 1]
    v_out = vals[rows, k]
    # The body must start near the chord (not an arm further out), and the edge must be a
    # real in->out crossing inside the image (NaN = the cut ran off the frame).
    ok = has_in & has_exit & (offsets[first_in] <= 0.1) & np.isfinite(v_in) & np.isfinite(v_out)
    frac = np.where(ok, (v_in - threshold) / np.maximum(v_in - v_out, 1e-6), 0.0)
    edge = offsets[np.maximum(k - 1, 0)] + np.clip(frac, 0.0, 1.0) * step
    return t, np.where(ok, edge, np.nan)


def bow_from_profile(t: np.ndarray, offset: np.ndarray) -> float | None:
    """Sagitta of the best-fitting arc through the outline, over the whole shoulder-hip chord,
    relative to the chord length. + = bulging out of the back (rounded / cat), - = hollow (cow).

    A quadratic fit (one robust refit without outlying cuts) averages out pixel steps and
    local bumps; for an outline of uniform curvature it equals max deviation / chord length.
    None when too few cuts found the back or the outline is too ragged to be a back
    (`MAX_OUTLINE_RMS`): an untrustworthy outline claims nothing.
    """
    good = np.isfinite(offset)
    if good.sum() < max(7, MIN_VALID * len(t)):
        return None
    tt, oo = t[good], offset[good]
    coef = np.polyfit(tt, oo, 2)
    resid = oo - np.polyval(coef, tt)
    mad = float(np.median(np.abs(resid - np.median(resid))))
    keep = np.abs(resid) <= max(4.0 * 1.4826 * mad, 0.01)
    if keep.sum() >= 7 and not keep.all():
        coef = np.polyfit(tt[keep], oo[keep], 2)
    if float(np.sqrt(np.mean((oo - np.polyval(coef, tt)) ** 2))) > MAX_OUTLINE_RMS:
        return None
    # offset(t) = c t^2 + b t + a; a bulge has c < 0 and its sagitta over t in [0, 1] is -c/4.
    return float(-coef[0] / 4.0)


def back_bow(
    mask: np.ndarray | None,
    shoulder_xy: np.ndarray,
    hip_xy: np.ndarray,
    facing: int,
    image_size: tuple[int, int] | None = None,
) -> float | None:
    """Signed bow of the back outline between shoulder and hip, as a fraction of the
    shoulder-hip distance: + = convex towards the back (rounded / cat), - = concave (cow).

    `facing` is +1 if the person faces image +x, -1 if -x. Landmarks are in the pixels of a
    frame of `image_size` (w, h); the mask may be smaller or larger. None when the back cannot
    be traced (no mask, torso too small, the outline runs off the frame or is broken).
    """
    profile = back_profile(mask, shoulder_xy, hip_xy, facing, image_size)
    if profile is None:
        return None
    return bow_from_profile(*profile)
