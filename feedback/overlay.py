"""Drawing on frames: small stateless annotators plus one `Overlay` that composes them.

Annotators follow `annotate(frame, ...) -> frame` and draw in place with cv2 (LINE_AA); sizes
derive from the frame height through a cached `Style`, so text stays readable from 480p to
1080p. Text-heavy widgets (banner, panel, labels) are rendered once into cached `Sprite`s and
blended into each frame, a fraction of the cost of re-drawing anti-aliased text. The cue stage
(`feedback.cues.CueStage`) picks the cue before drawing and `RangeTracker` keeps the range
reached; annotators only draw what they are given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

import cv2
import numpy as np

from exercises.base import Assessment, EventKind, Severity
from exercises.spec import AngleLabel, Counts, ExerciseSpec, Meter
from feedback.cues import Cue, CueState
from feedback.placement import Rect, SmoothedBox, StablePlacement, body_box, corners
from vision.landmarks import SIDE_BONES, Joint, Side
from vision.pose import Pose

BGR = tuple[int, int, int]
FONT = cv2.FONT_HERSHEY_DUPLEX
LINE = cv2.LINE_AA


@dataclass(frozen=True, slots=True)
class Palette:
    bone: BGR = (235, 235, 235)
    joint_ok: BGR = (90, 205, 90)
    fault: BGR = (60, 60, 235)
    outline: BGR = (20, 20, 20)
    text: BGR = (255, 255, 255)
    text_dark: BGR = (15, 15, 15)
    panel: int = 20  # grey level of translucent panels
    accent: BGR = (235, 190, 40)
    range_fill: BGR = (200, 160, 60)  # the range reached this rep
    set_range: BGR = (60, 200, 240)  # the range reached so far in the set
    goal_zone: BGR = (50, 120, 50)  # the ends of a range meter a rep should reach
    legend: BGR = (210, 210, 210)
    severity: tuple[BGR, BGR, BGR] = ((200, 120, 40), (0, 160, 245), (50, 50, 220))  # minor, moderate, major
    view: BGR = (0, 200, 255)


PALETTE = Palette()


@dataclass(frozen=True, slots=True)
class Style:
    """Pixel sizes for one frame height (unit = 1 px at 480 p)."""

    unit: float
    line: int
    joint_radius: int
    font_small: float
    font_medium: float
    font_large: float
    text_thickness: int
    margin: int
    pad: int

    @staticmethod
    def for_frame(shape: tuple[int, ...]) -> Style:
        """Sizes for a frame of `shape` (h, w, ...), from its shorter side: a portrait phone
        video is as narrow as a landscape one is low, and panels sized by its height would
        fill its width."""
        return Style.for_height(min(int(shape[0]), int(shape[1])))

    @staticmethod
    @lru_cache(maxsize=8)
    def for_height(height: int) -> Style:
        u = max(height, 240) / 480.0
        return Style(
            unit=u,
            line=max(2, round(3 * u)),
            joint_radius=max(3, round(5 * u)),
            font_small=0.5 * u,
            font_medium=0.65 * u,
            font_large=0.85 * u,
            text_thickness=max(1, round(1.2 * u)),
            margin=round(10 * u),
            pad=round(7 * u),
        )


# -- text and panel primitives ---------------------------------------------------------------
def text_size(text: str, scale: float, thickness: int) -> tuple[int, int, int]:
    (w, h), base = cv2.getTextSize(text, FONT, scale, thickness)
    return w, h, base


def put_text(
    img: np.ndarray,
    text: str,
    org: tuple[int, int],
    scale: float,
    color: BGR,
    thickness: int,
    outline: bool = True,
) -> None:
    """Text with a dark outline so it reads on any background without a box."""
    x, y = int(org[0]), int(org[1])
    if outline:
        cv2.putText(img, text, (x, y), FONT, scale, PALETTE.outline, thickness + max(2, thickness), LINE)
    cv2.putText(img, text, (x, y), FONT, scale, color, thickness, LINE)


def put_degrees(img: np.ndarray, text: str, org: tuple[int, int], style: Style, color: BGR) -> None:
    """'hips 24° low' - Hershey fonts have no degree sign, so the ring is drawn where '°' is
    (and not at all when the text has none: 'head in line')."""
    before, degree, after = text.partition("°")
    w, h, _ = text_size(before, style.font_medium, style.text_thickness)
    put_text(img, before, org, style.font_medium, color, style.text_thickness)
    if not degree:  # "head in line": words only
        return
    r = max(2, round(h * 0.18))
    centre = (int(org[0] + w + r + 2), int(org[1] - h + r))
    cv2.circle(img, centre, r + 1, PALETTE.outline, max(2, style.text_thickness + 1), LINE)
    cv2.circle(img, centre, r, color, max(1, style.text_thickness), LINE)
    if after:
        put_text(
            img,
            after,
            (int(org[0] + w + 2 * r + 4), int(org[1])),
            style.font_medium,
            color,
            style.text_thickness,
        )


def degree_text_width(text: str, style: Style) -> int:
    """Width of `text` as `put_degrees` draws it."""
    before, degree, after = text.partition("°")
    if not degree:
        return text_size(before, style.font_medium, style.text_thickness)[0]
    h = text_size(before or "0", style.font_medium, style.text_thickness)[1]
    ring = 2 * max(2, round(h * 0.18)) + 4
    rest = text_size(after, style.font_medium, style.text_thickness)[0] if after else 0
    return text_size(before, style.font_medium, style.text_thickness)[0] + ring + rest


def clip_box(img: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> tuple[int, int, int, int]:
    h, w = img.shape[:2]
    return max(0, x0), max(0, y0), min(w, x1), min(h, y1)


def shade(
    img: np.ndarray, x0: int, y0: int, x1: int, y1: int, alpha: float = 0.6, grey: int = PALETTE.panel
) -> None:
    """Darken a rectangle towards `grey` in place (touches only the rectangle, no full-frame copy)."""
    x0, y0, x1, y1 = clip_box(img, x0, y0, x1, y1)
    if x1 <= x0 or y1 <= y0:
        return
    roi = img[y0:y1, x0:x1]
    roi[:] = cv2.convertScaleAbs(roi, alpha=1.0 - alpha, beta=alpha * grey)


def fill(img: np.ndarray, x0: int, y0: int, x1: int, y1: int, color: BGR) -> None:
    x0, y0, x1, y1 = clip_box(img, x0, y0, x1, y1)
    if x1 > x0 and y1 > y0:
        img[y0:y1, x0:x1] = color


class Sprite:
    """A pre-rendered, partly transparent patch, blended onto frames in a fraction of the draw cost.

    Thick anti-aliased Hershey text costs ~0.7 ms a line at 480p; banners and panels change
    rarely, so they are drawn once into a sprite and blitted each frame. `render` draws the
    widget twice, on black and on white; the difference gives each pixel's exact alpha
    (difference matting), so any cv2 drawing - translucent shading included - can be cached.
    """

    __slots__ = ("height", "inv_alpha", "opaque", "premult", "width")

    def __init__(self, on_black: np.ndarray, on_white: np.ndarray) -> None:
        self.height, self.width = on_black.shape[:2]
        transparency = (on_white.astype(np.int32) - on_black).max(axis=2, keepdims=True).clip(0, 255)
        alpha = ((255 - transparency) * 256 + 127) // 255  # 0..256
        self.opaque = on_black if bool((alpha == 256).all()) else None
        # Expanded to 3 channels: numpy broadcasting a (h, w, 1) factor is ~5x slower.
        self.inv_alpha = np.repeat((256 - alpha).astype(np.uint16), 3, axis=2)
        # Capped at 255 * alpha so roi * (256 - alpha) + premult never overflows 16 bits.
        self.premult = np.minimum(on_black.astype(np.uint16) << 8, (255 * alpha).astype(np.uint16))

    @staticmethod
    def render(width: int, height: int, draw) -> Sprite:
        """`draw(canvas)` paints the widget with its top-left corner at (0, 0)."""
        on_black = np.zeros((height, width, 3), np.uint8)
        on_white = np.full((height, width, 3), 255, np.uint8)
        draw(on_black)
        draw(on_white)
        return Sprite(on_black, on_white)

    def blit(self, frame: np.ndarray, x: int, y: int) -> None:
        x0, y0, x1, y1 = clip_box(frame, x, y, x + self.width, y + self.height)
        if x1 <= x0 or y1 <= y0:
            return
        sx, sy = x0 - x, y0 - y
        part = (slice(sy, sy + y1 - y0), slice(sx, sx + x1 - x0))
        roi = frame[y0:y1, x0:x1]
        if self.opaque is not None:
            roi[:] = self.opaque[part]
        else:
            roi[:] = ((roi * self.inv_alpha[part] + self.premult[part]) >> 8).astype(np.uint8)


_ASCII = str.maketrans({"—": "-", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "°": " deg", "…": "..."})


def ascii_text(text: str) -> str:
    """Hershey fonts draw ASCII only: map common typography, drop anything else."""
    return text.translate(_ASCII).encode("ascii", "ignore").decode()


def wrap_to_width(text: str, scale: float, thickness: int, max_width: int) -> list[str]:
    """Lines that fit `max_width`; a dash (" — ") in a cue starts a new line, reading as two phrases."""
    lines: list[str] = []
    for part in ascii_text(text.replace(" — ", "\n").replace(" - ", "\n")).split("\n"):
        lines += _wrap_words(part, scale, thickness, max_width)
    return lines or [""]


def _wrap_words(text: str, scale: float, thickness: int, max_width: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        trial = f"{line} {word}".strip()
        if line and text_size(trial, scale, thickness)[0] > max_width:
            lines.append(line)
            line = word
        else:
            line = trial
    if line:
        lines.append(line)
    return lines


def pose_points(pose: Pose, frame_shape: tuple[int, ...]) -> np.ndarray:
    """Landmark pixels mapped onto this frame (the pose may come from a resized copy)."""
    pw, ph = pose.image_size
    h, w = frame_shape[:2]
    if (pw, ph) == (w, h) or pw <= 0 or ph <= 0:
        return pose.xy
    return pose.xy * np.array([w / pw, h / ph], dtype=np.float32)


def visible_side(assessment: Assessment) -> Side | None:
    """The body side facing the camera: the checker's verdict, else the better-seen side."""
    if assessment.view.side is not None:
        return assessment.view.side
    pose = assessment.pose
    if pose is None:
        return None
    joints = (Joint.SHOULDER, Joint.HIP, Joint.KNEE, Joint.ANKLE)
    score = {s: sum(pose.seen(j.on(s)) for j in joints) for s in ("left", "right")}
    return "left" if score["left"] >= score["right"] else "right"


LEG_JOINTS = frozenset({Joint.KNEE, Joint.ANKLE, Joint.HEEL, Joint.FOOT_INDEX})


def joint_sides(assessment: Assessment, side: Side) -> dict[Joint, Side]:
    """The side to draw each joint on: the view's, except the leg's when the checker measured
    the other leg (a misplaced one swapped out), so lines and labels show what was judged."""
    leg = assessment.leg_side or side
    return {j: leg if j in LEG_JOINTS else side for j in Joint}


def faulty_joints(assessment: Assessment, fault_joints: Mapping[str, frozenset[Joint]]) -> frozenset[Joint]:
    """The joints the active faults are about (`fault_joints`: the exercise's, by fault code)."""
    out: set[Joint] = set()
    for fault in assessment.faults:
        out |= fault_joints.get(fault.code, frozenset())
    return frozenset(out)


# -- annotators -----------------------------------------------------------------------------
class SkeletonAnnotator:
    """Bones and joints of the side facing the camera; joints tied to an active fault turn red."""

    def __init__(
        self, fault_joints: Mapping[str, frozenset[Joint]] | None = None, min_seen: float = 0.5
    ) -> None:
        self.fault_joints = dict(fault_joints or {})
        self.min_seen = min_seen

    def annotate(self, frame: np.ndarray, assessment: Assessment) -> np.ndarray:
        pose, side = assessment.pose, visible_side(assessment)
        if pose is None or side is None:
            return frame
        style = Style.for_frame(frame.shape)
        xy = pose_points(pose, frame.shape)
        bad = faulty_joints(assessment, self.fault_joints)
        on = joint_sides(assessment, side)
        seen = {j: pose.seen(j.on(on[j])) >= self.min_seen for j in Joint}
        pts = {j: (round(float(xy[j.on(on[j])][0])), round(float(xy[j.on(on[j])][1]))) for j in Joint}
        for a, b in SIDE_BONES:
            if seen[a] and seen[b]:
                colour = PALETTE.fault if a in bad and b in bad else PALETTE.bone
                cv2.line(frame, pts[a], pts[b], PALETTE.outline, style.line + 2, LINE)
                cv2.line(frame, pts[a], pts[b], colour, style.line, LINE)
        r = style.joint_radius
        for j in Joint:
            if seen[j] and j not in (Joint.HEEL, Joint.FOOT_INDEX):
                cv2.circle(frame, pts[j], r + 1, PALETTE.outline, -1, LINE)
                cv2.circle(frame, pts[j], r, PALETTE.fault if j in bad else PALETTE.joint_ok, -1, LINE)
        return frame


class AngleAnnotator:
    """The key angles at their joints, labelled in words ("hip 120°", "hips 24° low")."""

    def __init__(self, specs: Iterable[AngleLabel], min_seen: float = 0.5) -> None:
        self.specs = tuple(specs)
        self.min_seen = min_seen

    def annotate(self, frame: np.ndarray, assessment: Assessment, avoid: Sequence[Rect] = ()) -> np.ndarray:
        """Draw the labels; each keeps clear of the `avoid` rectangles (the panels) by going to
        the other side of its joint, or is left out when no side is clear."""
        pose, side = assessment.pose, visible_side(assessment)
        if pose is None or side is None or not self.specs:
            return frame
        style = Style.for_frame(frame.shape)
        xy = pose_points(pose, frame.shape)
        active = {f.code for f in assessment.faults}
        on = joint_sides(assessment, side)
        for spec in self.specs:
            value = assessment.measurements.get(spec.measurement)
            vertex = spec.vertex.on(on[spec.vertex])
            if value is None or not np.isfinite(value) or pose.seen(vertex) < self.min_seen:
                continue
            colour = PALETTE.fault if spec.faults & active else PALETTE.text
            v = xy[vertex].astype(float)
            away = np.array([0.0, -1.0])  # no arms known: label above the joint (clear of a lying body)
            radius = 22 * style.unit
            if spec.arm_a is not None and spec.arm_c is not None:
                a, c = xy[spec.arm_a.on(on[spec.arm_a])] - v, xy[spec.arm_c.on(on[spec.arm_c])] - v
                len_a, len_c = np.linalg.norm(a), np.linalg.norm(c)  # once: ~7 us a call
                if min(len_a, len_c) > 1:
                    radius = min(radius, 0.45 * min(len_a, len_c))
                    self._arc(frame, v, a, c, radius, colour, style)
                    bisector = a / len_a + c / len_c
                    len_b = np.linalg.norm(bisector)
                    if len_b > 1e-3:
                        away = -bisector / len_b
            label = degree_label(spec.text(float(value)), colour, style)
            at = label_spot(v, away, radius, label.width, label.height, avoid)
            if at is not None:
                label.blit(frame, *at)
        return frame

    @staticmethod
    def _arc(
        frame: np.ndarray, v: np.ndarray, a: np.ndarray, c: np.ndarray, r: float, colour: BGR, style: Style
    ):
        start = np.degrees(np.arctan2(a[1], a[0]))
        sweep = (np.degrees(np.arctan2(c[1], c[0])) - start) % 360.0
        if sweep > 180.0:  # draw the inside of the angle, never the reflex side
            start, sweep = start + sweep, 360.0 - sweep
        centre, axes = (round(v[0]), round(v[1])), (max(2, round(r)), max(2, round(r)))
        thick = max(1, style.line - 1)
        cv2.ellipse(frame, centre, axes, 0, start, start + sweep, PALETTE.outline, thick + 2, LINE)
        cv2.ellipse(frame, centre, axes, 0, start, start + sweep, colour, thick, LINE)


def label_spot(
    joint: np.ndarray, away: np.ndarray, radius: float, width: int, height: int, avoid: Sequence[Rect]
) -> tuple[int, int] | None:
    """Top-left corner for a joint's label: beside the joint, away from its angle, or on the
    far side (then either perpendicular) when that spot covers one of `avoid`; None if all do."""
    normal = np.array([-away[1], away[0]])
    for direction in (away, -away, normal, -normal):
        centre = joint + direction * (radius + 0.5 * width)
        x, y = round(centre[0] - width / 2), round(centre[1] - height / 2)
        if not any(Rect.at(x, y, width, height).overlap(r) > 0 for r in avoid):
            return x, y
    return None


@lru_cache(maxsize=512)
def degree_label(text: str, colour: BGR, style: Style) -> Sprite:
    """An outlined angle label such as 'hip 123°', rendered once per text, colour and size."""
    _, h, base = text_size(text.partition("°")[0] or "0", style.font_medium, style.text_thickness)
    o = style.text_thickness + 2  # room for the outline
    return Sprite.render(
        degree_text_width(text, style) + 2 * o,
        h + base + 2 * o,
        lambda c: put_degrees(c, text, (o, o + h), style, colour),
    )


class TextBox(NamedTuple):
    """A padded box holding centred lines."""

    width: int
    height: int
    line_height: int
    gap: int
    pad: int


class Placed(NamedTuple):
    """A sprite and where it goes in the frame."""

    sprite: Sprite
    x: int
    y: int


def _text_box(lines: list[str], scale: float, thick: int, style: Style) -> TextBox:
    _, lh, base = text_size("Ag", scale, thick)
    widest = max(text_size(line, scale, thick)[0] for line in lines)
    pad, gap = style.pad * 2, round(lh * 0.5)
    return TextBox(widest + 2 * pad, len(lines) * lh + (len(lines) - 1) * gap + 2 * pad + base, lh, gap, pad)


def _draw_lines(
    canvas: np.ndarray, lines: list[str], scale: float, thick: int, ink: BGR, lh: int, gap: int, pad: int
):
    width = canvas.shape[1]
    y = pad + lh
    for line in lines:
        lw = text_size(line, scale, thick)[0]
        put_text(canvas, line, ((width - lw) // 2, y), scale, ink, thick, outline=False)
        y += lh + gap


@lru_cache(maxsize=64)
def _banner(text: str, severity: int, wrap_width: int, side: int) -> Sprite:
    """The correction box with its text wrapped to `wrap_width` (`side`: the frame's shorter side)."""
    style = Style.for_height(side)
    scale, thick = style.font_large * 1.15, style.text_thickness + 1
    lines = wrap_to_width(text, scale, thick, wrap_width)
    widest = max(text_size(line, scale, thick)[0] for line in lines)
    if widest > wrap_width * 1.05:  # one very long word: shrink rather than spill off-screen
        scale *= wrap_width * 1.05 / widest
    box_w, box_h, lh, gap, pad = _text_box(lines, scale, thick, style)
    colour = PALETTE.severity[min(max(severity, 1), 3) - 1]
    ink = PALETTE.text_dark if severity == Severity.MODERATE else PALETTE.text

    def draw(c: np.ndarray) -> None:
        c[:] = colour
        cv2.rectangle(c, (0, 0), (box_w - 1, box_h - 1), PALETTE.text, max(1, style.line - 1), LINE)
        _draw_lines(c, lines, scale, thick, ink, lh, gap, pad)

    return Sprite.render(box_w, box_h, draw)


def _column_width(free: int, frame_w: int) -> int:
    """Room for the correction beside the body, rounded down to a tenth of the frame (so the
    box re-wraps rarely as the person moves), at most about half the frame."""
    step = max(1, frame_w // 10)
    return min(free // step * step, frame_w // 2)


class CueBanner:
    """The one active correction in large plain words, in a box coloured by severity: at the
    bottom, at the top, or in a column beside the body, wherever it hides least of the body."""

    def __init__(self) -> None:
        self.placement = StablePlacement()

    def reset(self) -> None:
        self.placement.reset()

    def place(
        self, shape: tuple[int, ...], cue: Cue, body: Rect | None = None, taken: Sequence[Rect] = ()
    ) -> Placed:
        h, w = shape[:2]
        side, margin = min(h, w), Style.for_frame(shape).margin
        severity = int(cue.severity or Severity.MODERATE)
        band = _banner(cue.text, severity, int(w * 0.86), side)
        x = (w - band.width) // 2
        spots = {
            "bottom": Placed(band, x, h - 2 * margin - band.height),
            "top": Placed(band, x, 2 * margin),
        }
        if body is not None:
            for name, free in (("left", body.x0 - 2 * margin), ("right", w - body.x1 - 2 * margin)):
                width = _column_width(free, w)
                if width >= w // 4:
                    col = _banner(cue.text, severity, round(width * 0.9), side)
                    cx = margin if name == "left" else w - margin - col.width
                    spots[name] = Placed(col, cx, h - 2 * margin - col.height)
        rects = {k: Rect.at(p.x, p.y, p.sprite.width, p.sprite.height) for k, p in spots.items()}
        return spots[self.placement.choose(rects, body, taken)]

    def annotate(
        self, frame: np.ndarray, cue: Cue | None, body: Rect | None = None, taken: Sequence[Rect] = ()
    ) -> np.ndarray:
        if cue is not None:
            sprite, x, y = self.place(frame.shape, cue, body, taken)
            sprite.blit(frame, x, y)
        return frame


@lru_cache(maxsize=16)
def _view_box(text: str, width: int, height: int) -> Placed:
    style = Style.for_height(min(width, height))
    scale, thick = style.font_large, style.text_thickness + 1
    lines = wrap_to_width(text, scale, thick, int(width * 0.8))
    box_w, box_h, lh, gap, pad = _text_box(lines, scale, thick, style)

    def draw(c: np.ndarray) -> None:
        shade(c, 0, 0, box_w, box_h, alpha=0.75)
        cv2.rectangle(c, (0, 0), (box_w - 1, box_h - 1), PALETTE.view, max(2, style.line), LINE)
        _draw_lines(c, lines, scale, thick, PALETTE.view, lh, gap, pad)

    return Placed(Sprite.render(box_w, box_h, draw), (width - box_w) // 2, (height - box_h) // 2)


class ViewMessage:
    """A centred notice when the camera view cannot be judged ("Turn side-on to the camera")."""

    def annotate(self, frame: np.ndarray, cue: Cue | None) -> np.ndarray:
        if cue is not None:
            h, w = frame.shape[:2]
            sprite, x, y = _view_box(cue.text, w, h)
            sprite.blit(frame, x, y)
        return frame


@dataclass(frozen=True, slots=True)
class StatusInfo:
    title: str
    counter: str  # "Reps 3 / 10" or "Hold 12.4 s / 30 s"
    phase: str
    progress: float | None = None  # 0..1 toward the target, None without a target
    detail: str | None = None  # e.g. "best 14.2 s"


@lru_cache(maxsize=64)
def _status_panel(info: StatusInfo, side: int) -> Sprite:
    style = Style.for_height(side)
    pad, th = style.pad, style.text_thickness
    phase = info.phase if not info.detail else f"{info.phase}  ({info.detail})"
    rows = [
        (info.title, style.font_small, PALETTE.accent, th),
        (info.counter, style.font_large, PALETTE.text, th + 1),
        (phase, style.font_small, PALETTE.text, th),
    ]
    sizes = [text_size(t, s, k) for t, s, _, k in rows]
    width = max(max(w for w, _, _ in sizes) + 2 * pad, round(150 * style.unit))
    bar_h = max(4, round(6 * style.unit)) if info.progress is not None else 0
    height_px = sum(h + b for _, h, b in sizes) + pad * (len(rows) + 1) + (bar_h + pad if bar_h else 0)

    def draw(c: np.ndarray) -> None:
        shade(c, 0, 0, width, height_px, alpha=0.6)
        y = 0
        for (text, scale, colour, thick), (_, h, base) in zip(rows, sizes, strict=True):
            y += pad + h
            put_text(c, text, (pad, y), scale, colour, thick, outline=False)
            y += base
        if bar_h:
            y += pad
            fill(c, pad, y, width - pad, y + bar_h, (70, 70, 70))
            done = pad + round((width - 2 * pad) * min(max(info.progress, 0.0), 1.0))
            fill(c, pad, y, done, y + bar_h, PALETTE.joint_ok)

    return Sprite.render(width, height_px, draw)


class StatusPanel:
    """Exercise, rep count or hold timer, phase, progress toward the target: in the corner
    that hides least of the body (top-left when nothing is in the way)."""

    def __init__(self) -> None:
        self.placement = StablePlacement()

    def reset(self) -> None:
        self.placement.reset()

    def place(
        self, shape: tuple[int, ...], info: StatusInfo, body: Rect | None = None, taken: Sequence[Rect] = ()
    ) -> Placed:
        h, w = shape[:2]
        sprite = _status_panel(info, min(h, w))
        spots = _corner_spots(shape, sprite.width, sprite.height, CORNERS)
        x, y = spots[self.placement.choose(spots, body, taken)][:2]
        return Placed(sprite, x, y)

    def annotate(
        self, frame: np.ndarray, info: StatusInfo, body: Rect | None = None, taken: Sequence[Rect] = ()
    ) -> np.ndarray:
        sprite, x, y = self.place(frame.shape, info, body, taken)
        sprite.blit(frame, x, y)
        return frame


CORNERS = ("top_left", "top_right", "bottom_left", "bottom_right")  # the order `corners` lists them


def _corner_spots(
    shape: tuple[int, ...], width: int, height: int, preference: Sequence[str]
) -> dict[str, Rect]:
    """A width x height panel's corner spots, in order of `preference`."""
    h, w = shape[:2]
    by_name = dict(zip(CORNERS, corners(w, h, width, height, Style.for_frame(shape).margin), strict=True))
    return {name: by_name[name] for name in preference}


@dataclass(frozen=True, slots=True)
class MeterMarks:
    """What a range meter shows, as fractions of its bar from the low end (0) to the high (1)."""

    goals: tuple[tuple[float, float], ...]  # the zones beyond each target: a rep should reach into them
    ticks: tuple[float, ...]  # the targets themselves
    rep: tuple[float, float] | None  # the range reached this rep (cycle)
    set: tuple[float, float] | None  # the range reached so far in the set
    value: float | None  # the current value


def meter_marks(
    meter: Meter,
    value: float | None,
    rep: tuple[float, float] | None = None,
    set_range: tuple[float, float] | None = None,
) -> MeterMarks:
    """Where the targets (from the exercise's thresholds), the ranges reached and the current
    value sit on `meter`'s bar (pure; values past an end sit at that end)."""
    lo, hi = meter.low_end, meter.high_end

    def at(v: float) -> float:
        return min(max((v - lo) / (hi - lo), 0.0), 1.0) if hi != lo else 0.5

    def span(r: tuple[float, float] | None) -> tuple[float, float] | None:
        return None if r is None else (at(min(r)), at(max(r)))

    goals, ticks = [], []
    if meter.low_target is not None:
        goals.append((0.0, at(meter.low_target)))
        ticks.append(at(meter.low_target))
    if meter.high_target is not None:
        goals.append((at(meter.high_target), 1.0))
        ticks.append(at(meter.high_target))
    shown = at(value) if value is not None and np.isfinite(value) else None
    return MeterMarks(tuple(goals), tuple(ticks), span(rep), span(set_range), shown)


METER_LEGEND = (("goal", "goal_zone"), ("this rep", "range_fill"), ("set", "set_range"))


@dataclass(frozen=True, slots=True)
class _MeterLayout:
    sprite: Sprite
    bar: tuple[int, int, int, int]  # x0, y0, x1, y1 of the bar, relative to the sprite
    set_y: tuple[int, int]  # rows of the set's range line under the bar, relative to the sprite
    half: int  # marker half width
    tick: int  # tick line thickness


def _legend(c: np.ndarray, x: int, y: int, width: int, style: Style) -> None:
    """One row under the meter: a swatch and a word per colour ("goal", "this rep", "set")."""
    scale, th = style.font_small * 0.8, max(1, style.text_thickness - 1)
    _, h, _ = text_size("Ag", scale, th)
    sw, gap = max(6, round(h * 0.9)), max(4, round(6 * style.unit))
    words = sum(text_size(w, scale, th)[0] for w, _ in METER_LEGEND)
    total = words + len(METER_LEGEND) * (sw + gap // 2) + (len(METER_LEGEND) - 1) * gap
    if total > width:  # narrow frames: smaller words rather than a legend spilling out
        scale *= width / total
    for word, colour in METER_LEGEND:
        fill(c, x, y - sw, x + sw, y, getattr(PALETTE, colour))
        x += sw + gap // 2
        put_text(c, word, (x, y), scale, PALETTE.legend, th, outline=False)
        x += text_size(word, scale, th)[0] + gap


class RangeMeter:
    """A bar between the meter's two words (e.g. COW and CAT): the zones a rep should reach
    (beyond the thresholds' targets, ticked), the range reached this rep as a band, the range
    reached so far in the set as a line under the bar, the current value as a marker, and a
    legend. In the corner that hides least of the body (top-right when nothing is in the way)."""

    def __init__(self, spec: Meter) -> None:
        self.spec = spec
        self.placement = StablePlacement()

    def reset(self) -> None:
        self.placement.reset()

    @lru_cache(maxsize=8)  # noqa: B019 - a handful of frame sizes per meter, meters live for the session
    def _layout(self, w: int, h: int) -> _MeterLayout:
        style = Style.for_height(min(w, h))
        pad, th = style.pad, style.text_thickness
        width = round(min(w * 0.4, 230 * style.unit))
        low_word, high_word = ascii_text(self.spec.low_word), ascii_text(self.spec.high_word)
        _, lh, base = text_size(low_word + high_word, style.font_small, th)
        _, legend_h, _ = text_size("Ag", style.font_small * 0.8, th)
        bar_h, set_h = round(12 * style.unit), max(2, round(4 * style.unit))
        x0, x1 = pad, width - pad
        y0 = pad + lh + base + pad
        y1 = y0 + bar_h
        set_y = (y1 + pad // 2 + 1, y1 + pad // 2 + 1 + set_h)
        legend_y = set_y[1] + pad + legend_h
        height = legend_y + pad
        marks = meter_marks(self.spec, None)
        tick = max(1, th)

        def draw(c: np.ndarray) -> None:
            shade(c, 0, 0, width, height, alpha=0.6)
            put_text(c, low_word, (x0, pad + lh), style.font_small, PALETTE.text, th, outline=False)
            cw = text_size(high_word, style.font_small, th)[0]
            put_text(c, high_word, (x1 - cw, pad + lh), style.font_small, PALETTE.text, th, outline=False)
            fill(c, x0, y0, x1, y1, (70, 70, 70))
            for a, b in marks.goals:
                fill(c, _along(a, x0, x1), y0, _along(b, x0, x1) + 1, y1, PALETTE.goal_zone)
            _legend(c, x0, legend_y, x1 - x0, style)

        return _MeterLayout(
            Sprite.render(width, height, draw), (x0, y0, x1, y1), set_y, max(2, round(3 * style.unit)), tick
        )

    def place(self, shape: tuple[int, ...], body: Rect | None = None, taken: Sequence[Rect] = ()) -> Placed:
        sprite = self._layout(shape[1], shape[0]).sprite
        spots = _corner_spots(
            shape, sprite.width, sprite.height, ("top_right", "top_left", "bottom_right", "bottom_left")
        )
        x, y = spots[self.placement.choose(spots, body, taken)][:2]
        return Placed(sprite, x, y)

    def annotate(
        self,
        frame: np.ndarray,
        value: float | None,
        reached: Reached | tuple[float, float] | None,
        set_range: Reached | tuple[float, float] | None = None,
        body: Rect | None = None,
        taken: Sequence[Rect] = (),
    ) -> np.ndarray:
        """Draw the meter; `reached`: the range reached this rep, `set_range`: in the set so far."""
        return self.draw_at(frame, self.place(frame.shape, body, taken), value, reached, set_range)

    def draw_at(
        self,
        frame: np.ndarray,
        at: Placed,
        value: float | None,
        reached: Reached | tuple[float, float] | None,
        set_range: Reached | tuple[float, float] | None = None,
    ) -> np.ndarray:
        layout = self._layout(frame.shape[1], frame.shape[0])
        at.sprite.blit(frame, at.x, at.y)
        bx0, by0, bx1, by1 = layout.bar
        x0, y0, x1, y1 = at.x + bx0, at.y + by0, at.x + bx1, at.y + by1
        marks = meter_marks(self.spec, value, reached, set_range)
        if marks.rep is not None:
            a, b = marks.rep
            fill(frame, _along(a, x0, x1), y0, _along(b, x0, x1) + 1, y1, PALETTE.range_fill)
        for t in marks.ticks:  # over the band: the target stays visible once it is reached
            tx, reach = _along(t, x0, x1), max(2, (y1 - y0) // 3)
            cv2.line(frame, (tx, y0 - reach), (tx, y1 + reach), PALETTE.joint_ok, layout.tick, LINE)
        if marks.set is not None:
            a, b = marks.set
            sy0, sy1 = at.y + layout.set_y[0], at.y + layout.set_y[1]
            fill(frame, _along(a, x0, x1), sy0, _along(b, x0, x1) + 1, sy1, PALETTE.set_range)
        if marks.value is not None:
            vx, half = _along(marks.value, x0, x1), layout.half
            cv2.rectangle(frame, (vx - half, y0 - half), (vx + half, y1 + half), PALETTE.outline, -1)
            cv2.rectangle(
                frame, (vx - half + 1, y0 - half + 1), (vx + half - 1, y1 + half - 1), PALETTE.text, -1
            )
        return frame


def _along(fraction: float, x0: int, x1: int) -> int:
    """The pixel column `fraction` of the way from x0 to x1."""
    return round(x0 + fraction * (x1 - x0))


# -- stateful helpers and the composer --------------------------------------------------------
class Reached(NamedTuple):
    low: float
    high: float


class RangeTracker:
    """Lowest and highest value of a signal in the current cycle (since the last rep boundary)."""

    def __init__(self) -> None:
        self.lo: float | None = None
        self.hi: float | None = None

    def reset(self) -> None:
        self.lo = self.hi = None

    def update(self, value: float | None, new_cycle: bool = False) -> Reached | None:
        if new_cycle:
            self.reset()
        if value is not None and np.isfinite(value):
            self.lo = value if self.lo is None else min(self.lo, value)
            self.hi = value if self.hi is None else max(self.hi, value)
        return None if self.lo is None else Reached(self.lo, self.hi)


@dataclass(frozen=True, slots=True)
class ExerciseDisplay:
    """What the overlay shows for one exercise, from its spec and the threshold table in use."""

    title: str
    counts: Counts = Counts.REPS
    target: float | None = None  # reps, or seconds of hold
    angles: tuple[AngleLabel, ...] = ()
    meter: Meter | None = None
    fault_joints: Mapping[str, frozenset[Joint]] = field(default_factory=dict)


def display_for(
    spec: ExerciseSpec, thresholds: object | None = None, target: float | None = None
) -> ExerciseDisplay:
    """The display of `spec`'s exercise; the meter follows `thresholds` (default: the spec's)."""
    table = spec.thresholds if thresholds is None else thresholds
    return ExerciseDisplay(
        title=spec.title,
        counts=spec.counts,
        target=target,
        angles=spec.angles,
        meter=spec.meter.build(table) if spec.meter is not None else None,
        fault_joints={f.code: f.joints for f in spec.faults},
    )


class Overlay:
    """Draws everything for one frame, in place. Holds the only state the drawing needs (the
    range reached this cycle, the body's smoothed box and where each panel sits); which cue
    shows is decided before, by the cue stage."""

    def __init__(self, display: ExerciseDisplay) -> None:
        self.display = display
        self.skeleton = SkeletonAnnotator(display.fault_joints)
        self.angles = AngleAnnotator(display.angles)
        self.banner = CueBanner()
        self.view_message = ViewMessage()
        self.status = StatusPanel()
        self.meter = RangeMeter(display.meter) if display.meter else None
        self.range = RangeTracker()  # this rep
        self.set_range = RangeTracker()  # the whole set (until reset)
        self.body = SmoothedBox()
        self.panels: dict[str, Rect] = {}  # where each panel went on the last frame (for tests, tools)

    def reset(self) -> None:
        self.range.reset()
        self.set_range.reset()
        self.body.reset()
        for placed in (self.status, self.banner, self.meter):
            if placed is not None:
                placed.reset()

    def status_info(self, a: Assessment) -> StatusInfo:
        d = self.display
        if d.counts == Counts.HOLD:
            counter = f"Hold {a.hold_s:.1f} s" + (f" / {d.target:.0f} s" if d.target else "")
            progress = a.hold_s / d.target if d.target else None
        else:
            counter = f"Reps {a.rep_count}" + (f" / {d.target:.0f}" if d.target else "")
            progress = a.rep_count / d.target if d.target else None
        return StatusInfo(ascii_text(d.title), counter, a.phase.replace("_", " "), progress)

    def body_box(self, frame: np.ndarray, assessment: Assessment) -> Rect | None:
        """Where the person is in `frame`, smoothed over frames (None before anyone was seen)."""
        pose = assessment.pose
        box = None
        if pose is not None and pose.image_size[0] > 0 and pose.image_size[1] > 0:
            h, w = frame.shape[:2]
            box = body_box(pose, (w / pose.image_size[0], h / pose.image_size[1]))
        return self.body.update(box)

    def draw(self, frame: np.ndarray, assessment: Assessment, cues: CueState | None = None) -> np.ndarray:
        """Draw `assessment` and the cues chosen for it (`cues`: the cue stage's state).

        The panels are placed first, so the angle labels can keep clear of them."""
        body = self.body_box(frame, assessment)
        self.panels = {}
        status = self.status.place(frame.shape, self.status_info(assessment), body)
        self.panels["status"] = _rect_of(status)
        meter_at = None
        if self.meter is not None:
            meter_at = self.meter.place(frame.shape, body, list(self.panels.values()))
            self.panels["meter"] = _rect_of(meter_at)
        banner = None
        if cues is not None and cues.correction is not None:
            banner = self.banner.place(frame.shape, cues.correction, body, list(self.panels.values()))
            self.panels["correction"] = _rect_of(banner)
        self.skeleton.annotate(frame, assessment)
        self.angles.annotate(frame, assessment, avoid=list(self.panels.values()))
        status.sprite.blit(frame, status.x, status.y)
        if meter_at is not None:
            self._draw_meter(frame, assessment, meter_at)
        if banner is not None:
            banner.sprite.blit(frame, banner.x, banner.y)
        if cues is not None:
            self.view_message.annotate(frame, cues.view)
        return frame

    def _draw_meter(self, frame: np.ndarray, assessment: Assessment, at: Placed) -> None:
        assert self.meter is not None
        new_cycle = any(e.kind in (EventKind.REP_STARTED, EventKind.REP_COMPLETED) for e in assessment.events)
        value = assessment.measurements.get(self.meter.spec.measurement)
        rep, whole_set = self.range.update(value, new_cycle), self.set_range.update(value)
        self.meter.draw_at(frame, at, value, rep, whole_set)


def _rect_of(placed: Placed) -> Rect:
    return Rect.at(placed.x, placed.y, placed.sprite.width, placed.sprite.height)
