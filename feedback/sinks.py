"""Small pipeline sinks that adapt drawing, encoding and progress display to the frame loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import cv2
import numpy as np

from exercises.base import Assessment
from feedback.cues import CueStage, CueState
from feedback.overlay import Overlay
from feedback.pipeline import FrameLike
from feedback.video_out import VideoWriter, scaled_size


class OverlaySink:
    """Draws the overlay on `frame.image` in place; sinks after it see the annotated frame.
    With `cues` (a stage placed before this sink) the chosen correction is drawn too."""

    def __init__(self, overlay: Overlay, cues: CueStage | None = None) -> None:
        self.overlay = overlay
        self.cues = cues

    def consume(self, frame: FrameLike, assessment: Assessment) -> None:
        self.overlay.draw(frame.image, assessment, self.cues.state if self.cues is not None else None)

    def close(self) -> None:
        pass


class VideoSink:
    """Encodes each frame (as it is by now, i.e. annotated if an OverlaySink ran first).

    `keep()` is asked on close: False discards the video instead of giving it its final name,
    so an existing file of that name survives a run that produced nothing worth keeping.
    `in_set`: close only finishes the temporary file (`writer.finish()`); the caller names it
    together with the other outputs of the run.
    """

    def __init__(
        self, writer: VideoWriter, keep: Callable[[], bool] | None = None, in_set: bool = False
    ) -> None:
        self.writer = writer
        self.keep = keep
        self.in_set = in_set

    def consume(self, frame: FrameLike, assessment: Assessment) -> None:
        self.writer.write(frame.image, frame.t_ms)

    def close(self) -> None:
        if self.keep is not None and not self.keep():
            self.writer.abort()
        elif self.in_set:
            self.writer.finish()
        else:
            self.writer.close()

    def abort(self) -> None:
        self.writer.abort()


class _Drawing(NamedTuple):
    """A frame's picture and what to draw on it before it is encoded."""

    image: np.ndarray
    assessment: Assessment
    cue: CueState | None
    t_ms: float


class AnnotatedVideoSink(VideoSink):
    """Scales the frame to at most `max_height` (a copy; the frame itself is left alone), draws
    the overlay on it and encodes it: drawing and encoding cost by the output's pixels, not the
    source's. Without scaling it draws on `frame.image` in place, like OverlaySink (and, like
    it, draws the correction chosen by `cues`, a stage placed before this sink)."""

    def __init__(
        self,
        writer: VideoWriter,
        overlay: Overlay,
        max_height: int | None = None,
        keep: Callable[[], bool] | None = None,
        in_set: bool = False,
        cues: CueStage | None = None,
    ) -> None:
        super().__init__(writer, keep, in_set)
        self.overlay = overlay
        self.max_height = max_height
        self.cues = cues

    def consume(self, frame: FrameLike, assessment: Assessment) -> None:
        self._draw_and_write(_Drawing(self._scaled(frame.image), assessment, self._cue(), frame.t_ms))

    def _cue(self) -> CueState | None:
        return self.cues.state if self.cues is not None else None

    def _draw_and_write(self, d: _Drawing) -> None:
        # Landmarks are mapped onto the picture's size.
        self.overlay.draw(d.image, d.assessment, d.cue)
        self.writer.write(d.image, d.t_ms)

    def _scaled(self, image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        size = scaled_size(w, h, self.max_height)
        if size[1] < h - h % 2:
            # Bilinear is alias-free enough down to half size and ~4x cheaper than INTER_AREA.
            small = size[1] * 2 >= h
            return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR if small else cv2.INTER_AREA)
        return image


class LastFrameSettledVideoSink(AnnotatedVideoSink):
    """An annotated video whose last frame shows what the checker settled at the end of the
    stream (`consume_final`: a cat-cow peak held to the end completes the last rep), so the
    video ends on the count the report gives. Each frame is drawn and encoded when the next
    one arrives; a frame drawn in place is copied first, as the loop may reuse its buffer.
    Only for a video of its own (frames of several sinks sharing a writer would reorder)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending: _Drawing | None = None

    def consume(self, frame: FrameLike, assessment: Assessment) -> None:
        self._flush()
        image = self._scaled(frame.image)
        if image is frame.image:
            image = image.copy()
        self._pending = _Drawing(image, assessment, self._cue(), frame.t_ms)

    def consume_final(self, assessment: Assessment) -> None:
        if self._pending is not None:
            self._pending = self._pending._replace(assessment=assessment)

    def _flush(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._draw_and_write(pending)

    def close(self) -> None:
        self._flush()
        super().close()

    def abort(self) -> None:
        self._pending = None
        super().abort()


class ProgressSink:
    """Calls `advance(frames_done, t_ms)` per frame and `finish()` once; e.g. a Rich progress bar."""

    def __init__(
        self, advance: Callable[[int, float], None], finish: Callable[[], None] | None = None
    ) -> None:
        self._advance = advance
        self._finish = finish
        self.frames = 0

    def consume(self, frame: FrameLike, assessment: Assessment) -> None:
        self.frames += 1
        self._advance(self.frames, frame.t_ms)

    def close(self) -> None:
        if self._finish is not None:
            self._finish()
