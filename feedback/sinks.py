"""Small pipeline sinks that adapt drawing, encoding and progress display to the frame loop."""

from __future__ import annotations

from collections.abc import Callable

from exercises.base import Assessment
from feedback.cues import CueStage
from feedback.overlay import Overlay
from feedback.pipeline import FrameLike
from feedback.video_out import VideoWriter


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
