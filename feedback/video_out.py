"""H.264 MP4 output through PyAV's bundled libx264 (OpenCV's pip wheels cannot encode H.264).

Browser-playable: yuv420p, even dimensions, `+faststart` (index at the front). Frames keep
their real timestamps (1/90000 time base), so variable-frame-rate input stays in sync.
The file appears under its final name only when `close()` succeeds; on failure or with no
frames nothing is left behind.
"""

from __future__ import annotations

import contextlib
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from feedback.atomic import commit, discard, temp_path_beside
from vision.errors import OutputError

TIME_BASE = Fraction(1, 90_000)
_TICKS_PER_MS = 90
_CONTAINERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}
VIDEO_SUFFIXES = tuple(_CONTAINERS)

# The annotated video of `analyze`: at most this tall unless asked (the overlay reads well at
# 720 p and a review video gains nothing from more), encoded with the settings that cost least
# CPU for the picture (bench/bench_encode.py on a 2-core EPYC, hinge_good with the overlay, CPU
# per frame all threads: 640x480 veryfast crf 23 4.2 ms, 1.0 Mbit/s, 36.1 dB PSNR; ultrafast crf
# 26 2.0 ms, 1.8 Mbit/s, 36.9 dB; 1280x720 veryfast 8.5 ms, ultrafast crf 26 3.6 ms, 38.3 dB).
# Ultrafast pays with a bigger file (about 1.8x), not with a worse picture.
# A constant quantiser instead of crf 26: crf's rate control analyses a half-size copy of every
# frame to weigh its complexity. Annotated videos of batch jobs (bench_job's replay, 640x480,
# PSNR against the frames fed in): hinge_good 1.35 -> 1.25 ms CPU a frame in the video sink,
# 946 -> 1180 KiB, mean PSNR 46.2 -> 47.7 dB; plank_sag 1.21 -> 1.03 ms, 203 -> 166 KiB,
# 47.9 -> 47.9 dB; catcow_good 475 -> 426 KiB, 48.2 -> 48.2 dB; the worst frame 2.4-2.7 dB
# better in all three (crf lets fast movement blur). qp 21 and 22 save little more CPU.
DEFAULT_VIDEO_HEIGHT = 720
ANNOTATED_PRESET = "ultrafast"
ANNOTATED_QP = 20


def scaled_size(width: int, height: int, max_height: int | None) -> tuple[int, int]:
    """(w, h) at most `max_height` tall with the aspect kept, both even; never scaled up."""
    if max_height is None or height <= max_height:
        return width - width % 2, height - height % 2
    w = max(2, round(width * max_height / height / 2) * 2)
    return w, max_height - max_height % 2


class VideoWriter:
    """Encode BGR frames with their timestamps into an H.264 file, atomically.

    `fps` is only a rate-control hint for the encoder; presentation times come from `t_ms`.
    The container is opened on the first frame, whose (even-cropped) size fixes the video size.
    """

    def __init__(
        self,
        path: Path,
        fps: float = 30.0,
        crf: int = 23,
        preset: str = "veryfast",
        threads: int | None = None,
        qp: int | None = None,
    ) -> None:
        """threads: x264 encoder threads; None lets x264 choose (one per core and more). Pass 1
        when other work already keeps every core busy: frame threads then only add overhead
        (measured at 640x480 veryfast: 2.6 against 3.8 ms CPU per frame). qp: a constant
        quantiser in place of crf's rate control (cheaper; every frame gets the same quality)."""
        self.path = Path(path)
        self.fps = fps if fps and fps > 0 else 30.0
        self.crf = crf
        self.qp = qp
        self.preset = preset
        self.threads = threads
        self.frames_written = 0
        self._temp: Path | None = None
        self._container = None
        self._stream = None
        self._size: tuple[int, int] | None = None  # (w, h) as encoded
        self._t0_ms: float | None = None
        self._last_pts = -1
        self._closed = False
        self._frame: av.VideoFrame | None = None  # reused for every picture (`_yuv_frame`)
        self._yuv: np.ndarray | None = None
        self._planes: list[np.ndarray] = []

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _open(self, width: int, height: int) -> None:
        self._size = (width - width % 2, height - height % 2)
        if min(self._size) < 2:
            raise OutputError(f"Cannot encode a {width}x{height} video.")
        self._temp = temp_path_beside(self.path)
        fmt = _CONTAINERS.get(self.path.suffix.lower(), "mp4")
        options = {"movflags": "+faststart"} if fmt in ("mp4", "mov") else {}
        try:
            self._container = av.open(str(self._temp), mode="w", format=fmt, options=options)
            stream = self._container.add_stream("libx264", rate=Fraction(self.fps).limit_denominator(1001))
        except (OSError, av.FFmpegError) as err:
            self.abort()
            raise OutputError(f"Cannot write the video {self.path}: {err}.") from err
        stream.width, stream.height = self._size
        stream.pix_fmt = "yuv420p"
        stream.time_base = TIME_BASE
        stream.codec_context.time_base = TIME_BASE
        rate = {"qp": str(self.qp)} if self.qp is not None else {"crf": str(self.crf)}
        options = {"preset": self.preset, **rate}
        if self.threads is not None:
            options["threads"] = str(self.threads)
        stream.options = options
        self._stream = stream

    def write(self, image_bgr: np.ndarray, t_ms: float) -> None:
        """Append one frame shown from `t_ms` (ms in the source's clock) until the next one."""
        if self._closed:
            raise RuntimeError("VideoWriter is closed")
        h, w = image_bgr.shape[:2]
        if self._container is None:
            self._open(w, h)
            self._t0_ms = t_ms
        ew, eh = self._size
        if (w, h) != (ew, eh):
            # Odd sizes lose their last row/column; a mid-stream size change is rescaled.
            if w - w % 2 == ew and h - h % 2 == eh:
                image_bgr = np.ascontiguousarray(image_bgr[:eh, :ew])
            else:
                image_bgr = cv2.resize(image_bgr, (ew, eh), interpolation=cv2.INTER_AREA)
        # Timestamps must strictly increase for the muxer; ties and jitter below 1 tick are nudged.
        pts = max(round((t_ms - self._t0_ms) * _TICKS_PER_MS), self._last_pts + 1)
        self._last_pts = pts
        frame = self._yuv_frame(image_bgr)
        frame.pts = pts
        frame.time_base = TIME_BASE
        try:
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
        except (OSError, av.FFmpegError) as err:
            self.abort()
            raise OutputError(f"Writing the video {self.path} failed: {err}.") from err
        self.frames_written += 1

    def _yuv_frame(self, image_bgr: np.ndarray) -> av.VideoFrame:
        """The picture as the encoder's I420 frame, in one frame and buffer reused for the
        whole video: x264 copies each input picture before `encode` returns, and fresh
        buffers cost ~0.12 ms a 640x480 frame in allocation (the output is byte-identical)."""
        ew, eh = self._size
        if self._frame is None:
            self._frame = av.VideoFrame(ew, eh, "yuv420p")
            self._yuv = np.empty((eh * 3 // 2, ew), np.uint8)
            self._planes = [
                np.frombuffer(p, np.uint8).reshape(p.height, p.line_size)[:, : p.width]
                for p in self._frame.planes
            ]
        # OpenCV's BGR -> I420 is several times cheaper than PyAV's swscale conversion, and
        # runs without the GIL (the pose threads keep working meanwhile). I420 is the Y plane,
        # then U and V at half size one after the other.
        yuv = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2YUV_I420, dst=self._yuv)
        y, u, v = self._planes
        chroma = u.shape[0] * u.shape[1]
        np.copyto(y, yuv[:eh])
        np.copyto(u, yuv[eh:].reshape(-1)[:chroma].reshape(u.shape))
        np.copyto(v, yuv[eh:].reshape(-1)[chroma:].reshape(v.shape))
        return self._frame

    def close(self) -> Path | None:
        """Flush, finalise and rename into place. Returns the path, or None if no frame came."""
        was_closed = self._closed
        temp = self.finish()
        if temp is None:
            return self.path if was_closed and self.frames_written else None
        commit(temp, self.path)
        self._temp = None
        return self.path

    def finish(self) -> Path | None:
        """Flush and finalise into the temporary file, and return it (None if no frame came).

        For an output set: the caller gives it its final name (or discards it) together with
        the other outputs.
        """
        if self._closed:
            return self._temp
        self._closed = True
        if self._container is None:
            return None
        try:
            for packet in self._stream.encode():
                self._container.mux(packet)
            self._container.close()
        except (OSError, av.FFmpegError) as err:
            self.abort()
            raise OutputError(f"Finishing the video {self.path} failed: {err}.") from err
        except BaseException:
            self.abort()
            raise
        self._container = None
        return self._temp

    def abort(self) -> None:
        """Stop and delete the partial file (the final name is never touched)."""
        self._closed = True
        if self._container is not None:
            with contextlib.suppress(Exception):  # already failing; the temp file goes regardless
                self._container.close()
            self._container = None
        if self._temp is not None:
            discard(self._temp)
            self._temp = None
