"""Where the overlay's panels go: where the body is not.

A landscape webcam frame has room beside a person; a portrait phone video does not, and a
panel fixed in the top-left corner covers the head. Each panel offers a few candidate spots
(corners, bands); the one that covers least of the body's box wins. `StablePlacement` adds
hysteresis so a panel moves only when another spot has been clearly better for a while, not
with every sway of the body.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from vision.pose import Pose


class Rect(NamedTuple):
    """An axis-aligned box in pixels: x0, y0 inclusive, x1, y1 exclusive."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return max(0, self.x1 - self.x0)

    @property
    def height(self) -> int:
        return max(0, self.y1 - self.y0)

    @property
    def area(self) -> int:
        return self.width * self.height

    def overlap(self, other: Rect) -> int:
        """Area shared with `other` (0 when apart)."""
        w = min(self.x1, other.x1) - max(self.x0, other.x0)
        h = min(self.y1, other.y1) - max(self.y0, other.y0)
        return max(0, w) * max(0, h)

    @staticmethod
    def at(x: int, y: int, width: int, height: int) -> Rect:
        return Rect(x, y, x + width, y + height)


def body_box(
    pose: Pose | None, scale: tuple[float, float] = (1.0, 1.0), min_seen: float = 0.5, pad: float = 0.06
) -> Rect | None:
    """The box around the landmarks seen in `pose`, grown by `pad` of its longer side on every
    side (landmarks stop at the ears, wrists and toes; the head and hands reach past them).
    `scale`: frame pixels per pose pixel (the pose may come from a resized copy)."""
    if pose is None:
        return None
    seen = np.minimum(pose.visibility, pose.presence) >= min_seen
    if int(seen.sum()) < 2:
        return None
    xy = pose.xy[seen] * np.asarray(scale, dtype=np.float32)
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    grow = pad * max(x1 - x0, y1 - y0)
    return Rect(round(x0 - grow), round(y0 - grow), round(x1 + grow), round(y1 + grow))


def covered(candidate: Rect, body: Rect | None, taken: Sequence[Rect] = ()) -> int:
    """How much of what matters `candidate` would hide: the body, and panels already placed
    (those count double: two panels on top of each other hide one of them entirely)."""
    over_body = candidate.overlap(body) if body is not None else 0
    return over_body + 2 * sum(candidate.overlap(t) for t in taken)


def least_covering(candidates: Sequence[Rect], body: Rect | None, taken: Sequence[Rect] = ()) -> int:
    """Index of the candidate hiding least of the body (and of `taken`); ties go to the earlier
    candidate, so candidates are listed in order of preference."""
    scores = [covered(c, body, taken) for c in candidates]
    return scores.index(min(scores))


def place(candidates: Sequence[Rect], body: Rect | None, taken: Sequence[Rect] = ()) -> Rect:
    """The candidate rectangle that hides least of the body box (rectangles in, rectangle out)."""
    return candidates[least_covering(candidates, body, taken)]


def corners(frame_w: int, frame_h: int, w: int, h: int, margin: int) -> list[Rect]:
    """A w x h panel in each corner: top-left, top-right, bottom-left, bottom-right."""
    left, right = margin, frame_w - margin - w
    top, bottom = margin, frame_h - margin - h
    return [Rect.at(x, y, w, h) for y in (top, bottom) for x in (left, right)]


class StablePlacement:
    """Chooses among a panel's named candidate spots with hysteresis.

    The panel moves only when another spot hides less of the body than the current one by
    more than `margin` of the panel's area, on `patience` frames in a row; a frame without a
    body keeps the spot. The first choice is made at once. Spots are named so a spot that is
    sometimes not offered (a column beside the body, when there is room) keeps its identity.
    """

    def __init__(self, margin: float = 0.15, patience: int = 10) -> None:
        self.margin = margin
        self.patience = patience
        self.reset()

    def reset(self) -> None:
        self.current: str | None = None
        self._better: str | None = None
        self._streak = 0

    def choose(self, candidates: Mapping[str, Rect], body: Rect | None, taken: Sequence[Rect] = ()) -> str:
        names = list(candidates)
        best = names[least_covering(list(candidates.values()), body, taken)]
        if self.current not in candidates:
            self.current, self._better, self._streak = best, None, 0
            return best
        if body is None or best == self.current:
            self._better, self._streak = None, 0
            return self.current
        gain = covered(candidates[self.current], body, taken) - covered(candidates[best], body, taken)
        if gain <= self.margin * max(1, candidates[best].area):
            self._better, self._streak = None, 0
            return self.current
        self._streak = self._streak + 1 if best == self._better else 1
        self._better = best
        if self._streak >= self.patience:
            self.current, self._better, self._streak = best, None, 0
        return self.current


class SmoothedBox:
    """The body box, smoothed over frames (exponential, `weight` for the newest), so panel
    sizes and spots that depend on it do not follow every wobble of the landmarks."""

    def __init__(self, weight: float = 0.2) -> None:
        self.weight = weight
        self.reset()

    def reset(self) -> None:
        self._box: np.ndarray | None = None

    def update(self, box: Rect | None) -> Rect | None:
        if box is not None:
            new = np.asarray(box, dtype=np.float64)
            self._box = new if self._box is None else self._box + self.weight * (new - self._box)
        if self._box is None:
            return None
        x0, y0, x1, y1 = (round(float(v)) for v in self._box)
        return Rect(x0, y0, x1, y1)
