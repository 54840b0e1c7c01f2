"""A cheap webcam's imperfections on a clean rendered frame: defocus blur, sensor noise and
MJPEG compression (before the clip's own H.264 encoding). Seeded, so clips are repeatable."""

from __future__ import annotations

import cv2
import numpy as np

from samples.synth.scenario import Look


def degrade(rgb: np.ndarray, look: Look, rng: np.random.Generator) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> the same frame as the look's camera would deliver it."""
    out = rgb
    if look.blur_px > 0:
        out = cv2.GaussianBlur(out, (0, 0), sigmaX=look.blur_px)
    if look.noise > 0:
        # Noise grows in the dark on a real sensor; a constant sigma is close enough here.
        noisy = out.astype(np.float32) + rng.normal(0.0, look.noise, out.shape).astype(np.float32)
        out = np.clip(noisy + 0.5, 0, 255).astype(np.uint8)
    if look.jpeg_quality:
        ok, buf = cv2.imencode(".jpg", out[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(look.jpeg_quality)])
        if ok:
            out = cv2.imdecode(buf, cv2.IMREAD_COLOR)[:, :, ::-1]
    return np.ascontiguousarray(out)
