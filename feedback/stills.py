"""One still per fault for the HTML report: the frame from the middle of its longest episode.

`FaultStillSink` is a read-only pipeline sink. It must run before the overlay draws on the
frame: it keeps a small copy of the plain picture around the person (cropped to the body, so a
small figure in a wide room is still legible) with the assessment, and draws its own skeleton
for that one fault when the stills are asked for, with the correction in a strip below the
picture where it hides nothing. Memory is bounded by the number of fault codes (at most three
small pictures each); the per-frame cost is a dictionary lookup except on the O(log n) frames
of an episode it copies.

Checkers give no fault magnitude, so "worst" means longest-lasting: a physio sees the fault as
it was held, not a one-frame spike. Within that episode the still is taken near its middle,
where the fault is well established (the first frames are at the threshold, the last ones
already easing off).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Protocol

import cv2
import numpy as np

from exercises.base import Assessment, Fault
from feedback.cues import Cue, CueKind
from feedback.overlay import CueBanner
from feedback.pipeline import FrameLike


class Annotator(Protocol):
    """Draws one assessment on a frame in place (the overlay's skeleton and angle annotators)."""

    def annotate(self, frame: np.ndarray, assessment: Assessment) -> np.ndarray: ...


@dataclass(frozen=True, slots=True)
class FaultStill:
    """A fault's still: JPEG bytes with the skeleton and the correction drawn."""

    code: str
    message: str
    severity: str  # "minor", "moderate" or "major"
    t_s: float  # time of the frame in the video
    episode_start_s: float
    episode_end_s: float
    jpeg: bytes
    width: int
    height: int


@dataclass
class _Capture:
    frame_number: int  # 1-based within its episode
    image: np.ndarray  # small copy of the plain frame around the person
    assessment: Assessment  # its pose mapped onto `image`
    fault: Fault


@dataclass
class _Episode:
    since_ms: float
    last_ms: float
    frames: int = 0
    captures: list[_Capture] = field(default_factory=list)  # the last two, at powers of two

    @property
    def duration_ms(self) -> float:
        return self.last_ms - self.since_ms

    def middle(self) -> _Capture:
        return min(self.captures, key=lambda c: abs(c.frame_number - self.frames / 2))


class FaultStillSink:
    """Keeps, per fault code, the frame from the middle of its longest episode (see module doc).

    `annotators` draw the pose on a still (the overlay's skeleton and angles, as configured for
    the exercise); the still's assessment carries only its own fault, so only that fault's
    joints turn red.
    """

    def __init__(
        self,
        annotators: tuple[Annotator, ...] = (),
        max_side: int = 640,
        jpeg_quality: int = 82,
        margin: float = 0.3,
    ) -> None:
        self.annotators = annotators
        self.max_side = max_side
        self.jpeg_quality = jpeg_quality
        self.margin = margin  # around the body, as a fraction of its longer side
        self._open: dict[str, _Episode] = {}
        self._best: dict[str, tuple[_Episode, _Capture]] = {}

    def consume(self, frame: FrameLike, assessment: Assessment) -> None:
        for fault in assessment.faults:
            episode = self._open.get(fault.code)
            if episode is None or episode.since_ms != fault.since_ms:
                if episode is not None:
                    self._settle(fault.code, episode)
                episode = self._open[fault.code] = _Episode(fault.since_ms, assessment.t_ms)
            episode.frames += 1
            episode.last_ms = assessment.t_ms
            if episode.frames & (episode.frames - 1) == 0:  # 1, 2, 4, 8, ...: log2(n) copies
                image, moved = self._picture(frame.image, assessment)
                capture = _Capture(episode.frames, image, moved, fault)
                episode.captures = [*episode.captures[-1:], capture]

    def close(self) -> None:
        for code, episode in self._open.items():
            self._settle(code, episode)
        self._open.clear()

    def _settle(self, code: str, episode: _Episode) -> None:
        best = self._best.get(code)
        if best is None or episode.duration_ms > best[0].duration_ms:
            self._best[code] = (episode, episode.middle())

    def _picture(self, image: np.ndarray, assessment: Assessment) -> tuple[np.ndarray, Assessment]:
        """The part of `image` around the person, scaled to `max_side`, and the assessment with
        its pose moved onto it (the segmentation mask dropped: nothing here draws it)."""
        h, w = image.shape[:2]
        x0, y0, x1, y1 = 0, 0, w, h
        pose = assessment.pose
        if pose is not None:
            pw, ph = pose.image_size
            xy = pose.xy * np.array([w / max(pw, 1), h / max(ph, 1)], dtype=np.float32)
            seen = np.minimum(pose.visibility, pose.presence) >= 0.3
            if seen.sum() >= 4:
                lo, hi = xy[seen].min(axis=0), xy[seen].max(axis=0)
                pad = self.margin * float(max(hi - lo))
                x0, y0 = max(0, int(lo[0] - pad)), max(0, int(lo[1] - pad))
                x1, y1 = min(w, int(hi[0] + pad) + 1), min(h, int(hi[1] + pad) + 1)
                if x1 - x0 < 16 or y1 - y0 < 16:  # a degenerate box: keep the whole frame
                    x0, y0, x1, y1 = 0, 0, w, h
        crop = image[y0:y1, x0:x1]
        scale = min(self.max_side / max(crop.shape[:2]), 3.0)
        size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        picture = cv2.resize(crop, size, interpolation=interpolation)
        if pose is None:
            return picture, assessment
        sx, sy = size[0] / (x1 - x0), size[1] / (y1 - y0)
        moved_xy = ((xy - np.array([x0, y0], np.float32)) * np.array([sx, sy], np.float32)).astype(np.float32)
        moved = pose.replace(xy=moved_xy, image_size=size, mask=None)
        return picture, dataclasses.replace(assessment, pose=moved)

    def stills(self) -> list[FaultStill]:
        """The stills in time order; call after the run (open episodes count as they are)."""
        for code, episode in self._open.items():
            self._settle(code, episode)
        out = [self._render(episode, capture) for episode, capture in self._best.values()]
        return sorted(out, key=lambda s: (s.t_s, s.code))

    def _render(self, episode: _Episode, capture: _Capture) -> FaultStill:
        image = capture.image.copy()
        fault = capture.fault
        # Only this fault's joints turn red, and its correction is the one shown.
        one = dataclasses.replace(capture.assessment, faults=(fault,))
        for annotator in self.annotators:
            annotator.annotate(image, one)
        t_ms = capture.assessment.t_ms
        cue = Cue(CueKind.CORRECTION, fault.code, fault.message, t_ms, fault.severity)
        image = np.vstack([image, _correction_strip(cue, image.shape[1], max(image.shape[0], 360))])
        ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        if not ok:  # cv2 fails only on an empty or odd array, which a decoded frame never is
            raise ValueError("JPEG encoding failed")
        return FaultStill(
            code=fault.code,
            message=fault.message,
            severity=fault.severity.name.lower(),
            t_s=t_ms / 1000.0,
            episode_start_s=episode.since_ms / 1000.0,
            episode_end_s=episode.last_ms / 1000.0,
            jpeg=jpeg.tobytes(),
            width=image.shape[1],
            height=image.shape[0],
        )


STRIP_GREY = 38


def _correction_strip(cue: Cue, width: int, height: int) -> np.ndarray:
    """The overlay's correction banner on a plain strip `width` wide (drawn on a canvas the
    height of a frame, as the overlay would, then cut to the rows it covers)."""
    canvas = np.full((height, width, 3), STRIP_GREY, np.uint8)
    CueBanner().annotate(canvas, cue)
    rows = np.flatnonzero((canvas != STRIP_GREY).any(axis=(1, 2)))
    if rows.size == 0:
        return canvas[:0]
    pad = max(6, height // 60)
    return canvas[max(0, rows[0] - pad) : min(height, rows[-1] + pad + 1)]
