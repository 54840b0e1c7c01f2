"""What the routine adds to the live window: a banner with where you are in the routine and
its keys, and the rest screen (the camera picture, dimmed, with the countdown and what is next)."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from exercises.base import Assessment
from feedback.overlay import PALETTE, Style, put_text, shade, text_size
from feedback.pipeline import FrameLike

BANNER_KEYS = "p: stop for pain   n: skip   r: repeat set"


def draw_box(
    image: np.ndarray, lines: list[tuple[str, float, tuple[int, int, int]]], right: bool = True
) -> None:
    """Lines of (text, font scale, colour) in a shaded box at the top right (or top centre)."""
    h, w = image.shape[:2]
    style = Style.for_height(h)
    th, pad = style.text_thickness, style.pad
    sizes = [text_size(text, scale, th) for text, scale, _ in lines]
    bw = max(s[0] for s in sizes) + 2 * pad
    bh = sum(s[1] + s[2] + pad for s in sizes) + pad
    x0 = w - style.margin - bw if right else (w - bw) // 2
    y0 = style.margin
    shade(image, x0, y0, x0 + bw, y0 + bh, alpha=0.6)
    y = y0
    for (text, scale, colour), (_, th_px, base) in zip(lines, sizes, strict=True):
        y += pad + th_px
        put_text(image, text, (x0 + pad, y), scale, colour, th, outline=False)
        y += base


class RoutineBanner:
    """Pipeline sink drawn after live's overlay: which exercise and set this is, and the keys.

    Until the setup guide has said "Ready" it shows what comes next instead of the set.
    While `notice` has something to say (another exercise done than the one announced,
    feedback.routine_mismatch) that is shown under the set, in the fault colour.
    """

    def __init__(
        self, ready: Callable[[], bool] = lambda: True, notice: Callable[[], str | None] = lambda: None
    ) -> None:
        self.ready = ready
        self.notice = notice
        self.heading = ""
        self.detail = ""
        self.coming = ""

    def show(self, heading: str, detail: str, coming: str = "") -> None:
        self.heading, self.detail, self.coming = heading, detail, coming

    def consume(self, frame: FrameLike, assessment: Assessment) -> None:
        style = Style.for_height(frame.image.shape[0])
        detail = self.detail if self.ready() or not self.coming else self.coming
        lines = [(self.heading, style.font_small, PALETTE.accent), (detail, style.font_small, PALETTE.text)]
        notice = self.notice()
        if notice:
            lines.append((notice, style.font_small, PALETTE.fault))
        draw_box(frame.image, [*lines, (BANNER_KEYS, style.font_small * 0.85, PALETTE.text)])

    def close(self) -> None:
        pass


def rest_image(image: np.ndarray, seconds_left: int, next_text: str, mirror: bool = False) -> np.ndarray:
    """The rest screen: the picture dimmed, "Rest" and the seconds left large, what comes next."""
    canvas = cv2.flip(image, 1) if mirror else image.copy()
    h, w = canvas.shape[:2]
    style = Style.for_height(h)
    shade(canvas, 0, 0, w, h, alpha=0.55)
    big = f"Rest {seconds_left}"
    scale = style.font_large * 2.2
    thick = style.text_thickness * 3
    bw, bh, _ = text_size(big, scale, thick)
    put_text(canvas, big, ((w - bw) // 2, h // 2), scale, PALETTE.text, thick)
    nw, _, _ = text_size(next_text, style.font_medium, style.text_thickness)
    put_text(
        canvas,
        next_text,
        ((w - nw) // 2, h // 2 + bh),
        style.font_medium,
        PALETTE.accent,
        style.text_thickness,
    )
    kw, _, _ = text_size(BANNER_KEYS, style.font_small, style.text_thickness)
    put_text(
        canvas,
        BANNER_KEYS,
        ((w - kw) // 2, h - style.margin * 2),
        style.font_small,
        PALETTE.text,
        style.text_thickness,
    )
    return canvas
