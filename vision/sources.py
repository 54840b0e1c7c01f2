"""Frame sources behind one interface: a video file, a live camera, or a clip played as a camera.

Every source is a single-pass iterable of `Frame`s and a context manager. Timestamps are
what the analysis runs on, so they are never derived from a frame index:

- `VideoFile` (via `open_video`) uses the container's presentation timestamps (PTS x
  time_base), which stay correct for variable-frame-rate phone clips.
- `Camera` and `ClipAsCamera` stamp each frame with `time.monotonic()` at capture.

Live sources keep only the newest frame: a consumer slower than the camera skips frames
(counted in `.dropped`) instead of falling further and further behind real time.
"""

from __future__ import annotations

import itertools
import os
import stat
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from av.video.reformatter import VideoReformatter

from vision.errors import CameraError, VideoError

# Nominal rates outside this range are metadata noise (0, 1000 from 1/1000 time bases, ...).
_SANE_FPS = (0.5, 240.0)
_FALLBACK_FPS = 30.0
# A backwards PTS jump larger than this is a discontinuity (e.g. concatenated streams):
# the timeline continues from the last frame instead of dropping everything after it...
_DISCONTINUITY_MS = 1000.0
# ...unless the frames after it carry on from the old timeline: then it was one stray frame
# (a damaged stream's decoder emits late frames out of order), dropped, not a new timeline.
# Frames looked at ahead of the one being placed, to tell the two apart:
_LOOKAHEAD_FRAMES = 4
# A gap between frames of a damaged file longer than this many typical frame intervals is
# frames lost to the damage; any gap this much longer than a second is, damaged or not.
_MISSING_STEPS_DAMAGED = 2.5
_MISSING_STEPS_ANY = 8.0
_MISSING_MIN_ANY_MS = 1000.0
# Lost stretches closer together than this are reported as one.
_MISSING_MERGE_MS = 500.0


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    """One decoded or captured picture.

    image:  (H, W, 3) uint8 BGR, upright (rotation metadata applied).
    t_ms:   presentation time in ms; strictly increasing within a source. Files: container
            PTS relative to the stream start. Live sources: monotonic clock at capture,
            relative to when the source was opened.
    index:  0, 1, 2, ... over the frames this source delivered.
    source_index: position of the frame in the underlying stream (decode order of the
            file, or capture count of the camera). Gaps show frames that were skipped.
    """

    image: np.ndarray
    t_ms: float
    index: int
    source_index: int | None = None


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """What is known about a source before reading it.

    width/height are those of the delivered frames (after rotation and downscaling).
    fps is nominal (for display and for encoding outputs), never used for timestamps;
    it falls back to 30 when the container's rate is missing or absurd.
    rotation is the clockwise rotation (0/90/180/270) applied to decoded frames.
    """

    path: Path | None
    width: int
    height: int
    fps: float
    frame_count: int | None
    duration_s: float | None
    rotation: int = 0
    live: bool = False


class FrameSource(ABC):
    """Iterable of `Frame`s with `.info`; close it (or use `with`) to release devices and threads.

    `dropped`: frames produced but never delivered (live sources that outran the consumer,
    duplicate timestamps in files). `truncated`: a file ended early or had undecodable parts.
    `missing_ms`: (start, end) stretches of a file with no decodable frames (damage), known
    once the file has been read to its end.
    """

    info: VideoInfo
    dropped: int = 0
    truncated: bool = False
    missing_ms: tuple[tuple[float, float], ...] = ()

    @abstractmethod
    def __iter__(self) -> Iterator[Frame]: ...

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --------------------------------------------------------------------------------------
# Video files


def open_video(path: str | os.PathLike, max_size: int | None = None) -> VideoFile:
    """Open a video file for decoding; raises `VideoError` with a one-line reason.

    max_size: if given, frames whose longest side exceeds it are downscaled (4K phone clips
    analyse as well and much faster at ~1280 px).
    """
    return VideoFile(path, max_size=max_size)


class VideoFile(FrameSource):
    """Decodes a file with PyAV (FFmpeg). The first frame is decoded on open, so a file that
    cannot deliver any frame fails here with a clear message rather than mid-analysis."""

    def __init__(self, path: str | os.PathLike, max_size: int | None = None) -> None:
        self.path = Path(path)
        self.dropped = 0
        self.truncated = False
        self.decode_errors = 0
        self.missing_ms: tuple[tuple[float, float], ...] = ()
        self._container = None
        self._iterated = False
        _check_file(self.path)
        name = self.path.name
        try:
            self._container = av.open(str(self.path), mode="r")
        except av.FFmpegError as err:
            if _is_unfinished_mp4(self.path):
                raise VideoError(_INCOMPLETE_MP4.format(name=name)) from None
            raise VideoError(f"{name} is not a video file FFmpeg can read ({_reason(err)}).") from None
        try:
            self._setup(max_size)
        except BaseException:
            self.close()
            raise

    def _setup(self, max_size: int | None) -> None:
        name = self.path.name
        container = self._container
        if not container.streams.video:
            if container.streams.audio:
                raise VideoError(f"{name} has no video stream (it contains only audio).")
            if _is_unfinished_mp4(self.path):
                raise VideoError(_INCOMPLETE_MP4.format(name=name))
            raise VideoError(f"{name} contains no readable video stream.")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        self._stream = stream
        self._time_base = stream.time_base or Fraction(1, 1000)

        self._packets = self._decoded_frames()
        first = next(self._packets, None)
        if first is None:
            raise VideoError(f"{name} contains no decodable video frames.")
        self._first = first

        frame_count = stream.frames if stream.frames and stream.frames > 0 else None
        duration_s = _duration_s(stream, container)
        fps = _nominal_fps(stream, frame_count, duration_s)
        self._step_ms = 1000.0 / fps  # only to extrapolate a frame that has no PTS
        self.rotation = _clockwise_rotation(first, stream)

        raw_w, raw_h = first.width, first.height
        sar = stream.sample_aspect_ratio
        disp_w = raw_w * float(sar) if sar and float(sar) > 0 else float(raw_w)  # square pixels
        scale = 1.0
        if max_size is not None and max(disp_w, raw_h) > max_size:
            scale = max_size / max(disp_w, raw_h)
        self._out_w = max(2, round(disp_w * scale))
        self._out_h = max(2, round(raw_h * scale))
        self._reformatter = VideoReformatter()
        w, h = (self._out_h, self._out_w) if self.rotation in (90, 270) else (self._out_w, self._out_h)

        start = stream.start_time
        first_pts = first.pts if first.pts is not None else 0
        self._origin_pts = min(start, first_pts) if start is not None else first_pts
        self.info = VideoInfo(
            path=self.path,
            width=w,
            height=h,
            fps=fps,
            frame_count=frame_count,
            duration_s=duration_s,
            rotation=self.rotation,
        )

    def _decoded_frames(self) -> Iterator[av.VideoFrame]:
        """Demux and decode, skipping undecodable packets; a read error ends the stream."""
        stream = self._stream
        packets = self._container.demux(stream)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                break
            except av.FFmpegError:
                self.truncated = True
                break
            try:
                frames = stream.decode(packet)  # a flush packet (size 0) drains the decoder
            except av.FFmpegError:
                self.decode_errors += 1
                self.truncated = True
                continue
            yield from frames

    def __iter__(self) -> Iterator[Frame]:
        if self._iterated:
            raise RuntimeError("a VideoFile can be iterated only once; open it again")
        self._iterated = True
        return self._frames()

    def _frames(self) -> Iterator[Frame]:
        tb_ms = float(self._time_base) * 1000.0

        def pts_ms(frame: av.VideoFrame) -> float | None:
            return (frame.pts - self._origin_pts) * tb_ms if frame.pts is not None else None

        timeline = Timeline(self._step_ms)
        ahead: deque[av.VideoFrame] = deque()  # decoded, not yet placed: the lookahead
        frames = itertools.chain([self._first], self._packets)
        self._first = None
        decoded = index = 0
        while True:
            while len(ahead) <= _LOOKAHEAD_FRAMES and (frame := next(frames, None)) is not None:
                ahead.append(frame)
            if not ahead:
                break
            frame = ahead.popleft()
            t = timeline.place(pts_ms(frame), [pts_ms(f) for f in ahead])
            if t is None:
                self.dropped += 1
            else:
                yield Frame(self._to_bgr(frame), t, index, decoded)
                index += 1
            decoded += 1
        damaged = bool(self.decode_errors or timeline.strays or self.truncated)
        self.missing_ms = tuple(missing_stretches(timeline.placed_ms, damaged))
        # Fewer frames than the container lists: the file ended early. The slack covers
        # frames an MP4 edit list legitimately trims (encoder priming).
        expected = self.info.frame_count
        if expected is not None and decoded < expected - max(2, 0.02 * expected):
            self.truncated = True

    def _to_bgr(self, frame: av.VideoFrame) -> np.ndarray:
        # One reformatter for the whole stream keeps FFmpeg's scaler context cached
        # (frame.to_ndarray(format=...) would build a new one for every frame).
        bgr = self._reformatter.reformat(
            frame, width=self._out_w, height=self._out_h, format="bgr24", interpolation="AREA"
        )
        img = bgr.to_ndarray()
        if self.rotation:
            return cv2.rotate(img, _CV_ROTATE[self.rotation])
        return np.ascontiguousarray(img)

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None


class Timeline:
    """Turns container timestamps into strictly increasing ones, true to the container.

    - a frame without PTS is placed one frame interval (the last one seen) after the previous;
    - a duplicate or slightly backwards PTS is a frame that cannot be placed: dropped (None);
    - a large backwards jump is a discontinuity (the timeline continues from the last frame),
      unless most of the frames `ahead` continue after the last one: a late stray, dropped;
    - a large forward jump that most of the frames `ahead` come back from is a stray too.
    Strays are counted in `strays`; `placed_ms` lists every time handed out.
    """

    def __init__(self, step_ms: float) -> None:
        self.step_ms = step_ms
        self.last_ms: float | None = None
        self.strays = 0
        self.placed_ms: list[float] = []
        self._offset = 0.0

    def place(self, pts_ms: float | None, ahead: Sequence[float | None] = ()) -> float | None:
        last = self.last_ms
        if last is None:
            t = pts_ms if pts_ms is not None else 0.0
        elif pts_ms is None:
            t = last + self.step_ms
        else:
            t = pts_ms + self._offset
            later = [a + self._offset for a in ahead if a is not None]
            if t <= last:
                if last - t <= _DISCONTINUITY_MS:
                    return None
                if _most(later, lambda a: a > last):
                    self.strays += 1
                    return None
                self._offset += last + self.step_ms - t
                t = last + self.step_ms
            elif t - last > _DISCONTINUITY_MS and _most(later, lambda a: last < a < t):
                self.strays += 1
                return None
            self.step_ms = t - last
        self.last_ms = t
        self.placed_ms.append(t)
        return t


def _most(values: Sequence[float], test: Callable[[float], bool]) -> bool:
    return bool(values) and 2 * sum(map(test, values)) > len(values)


def missing_stretches(times_ms: Sequence[float], damaged: bool) -> list[tuple[float, float]]:
    """(start, end) of the gaps between frame times that lost frames, close ones merged.

    A gap counts when it is longer than `_MISSING_STEPS_DAMAGED` typical (median) intervals in a
    file known to be damaged, or far longer than any a healthy clip has (variable-rate phone
    clips and GIFs vary their intervals, so a healthy file needs a larger margin).
    """
    if len(times_ms) < 3:
        return []
    t = np.asarray(times_ms, dtype=float)
    steps = np.diff(t)
    typical = float(np.median(steps))
    limit = max(_MISSING_STEPS_ANY * typical, _MISSING_MIN_ANY_MS)
    if damaged:
        limit = min(limit, _MISSING_STEPS_DAMAGED * typical)
    stretches: list[tuple[float, float]] = []
    for i in np.flatnonzero(steps > limit):
        start, end = float(t[i]), float(t[i + 1])
        if stretches and start - stretches[-1][1] <= _MISSING_MERGE_MS:
            stretches[-1] = (stretches[-1][0], end)
        else:
            stretches.append((start, end))
    return stretches


_CV_ROTATE = {
    90: cv2.ROTATE_90_CLOCKWISE,
    180: cv2.ROTATE_180,
    270: cv2.ROTATE_90_COUNTERCLOCKWISE,
}


def _check_file(path: Path) -> None:
    try:
        info = path.stat()  # never opens: a FIFO would block here
    except FileNotFoundError:
        raise VideoError(f"Video file not found: {path}") from None
    except PermissionError:
        raise VideoError(f"{path} cannot be read (permission denied).") from None
    except OSError as err:
        raise VideoError(f"{path} cannot be read ({err.strerror or type(err).__name__}).") from None
    if stat.S_ISDIR(info.st_mode):
        raise VideoError(f"{path} is a folder, not a video file.")
    if not stat.S_ISREG(info.st_mode):
        # FFmpeg would block on a pipe, read /dev/zero forever, and cannot seek in either.
        raise VideoError(
            f"{path} is {_file_kind(info.st_mode)}, not a regular file; save the stream to a file first."
        )
    if not os.access(path, os.R_OK):
        raise VideoError(f"{path} cannot be read (permission denied).")
    if info.st_size == 0:
        raise VideoError(f"{path.name} is empty (0 bytes).")


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


_INCOMPLETE_MP4 = (
    "{name} is an unfinished MP4/MOV file (its index is missing: was the recording interrupted "
    "or the file cut short?)."
)


def _is_unfinished_mp4(path: Path) -> bool:
    """An ISO media file (starts with 'ftyp') whose 'moov' index box is missing.

    Recorders write the index last, so an interrupted recording or a cut-short copy has
    none, and FFmpeg can read nothing from it. Walks the top-level box headers only.
    """
    boxes = set()
    size_total = path.stat().st_size
    with path.open("rb") as f:
        at = 0
        while at + 8 <= size_total and len(boxes) < 64:
            f.seek(at)
            header = f.read(16)
            size, kind = int.from_bytes(header[:4], "big"), header[4:8]
            if size == 1 and len(header) == 16:  # 64-bit box size
                size = int.from_bytes(header[8:16], "big")
            boxes.add(kind)
            if size < 8:  # 0 = "to the end of the file"; anything else is malformed
                break
            at += size
    return b"ftyp" in boxes and b"moov" not in boxes


def _reason(err: av.FFmpegError) -> str:
    """FFmpeg's short reason, e.g. 'Invalid data found when processing input'."""
    return getattr(err, "strerror", None) or type(err).__name__


def _duration_s(stream, container) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return None


def _nominal_fps(stream, frame_count: int | None, duration_s: float | None) -> float:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and _SANE_FPS[0] <= float(rate) <= _SANE_FPS[1]:
            return float(rate)
    if frame_count and duration_s:
        rate = frame_count / duration_s
        if _SANE_FPS[0] <= rate <= _SANE_FPS[1]:
            return rate
    return _FALLBACK_FPS


def _clockwise_rotation(frame: av.VideoFrame, stream) -> int:
    """Clockwise degrees that make the picture upright, from the display matrix.

    PyAV >= 14 exposes the display matrix as `frame.rotation` (counter-clockwise degrees
    the player must turn the picture by); older FFmpeg exported a 'rotate' tag instead
    (clockwise degrees).
    """
    ccw = getattr(frame, "rotation", None)
    if ccw:
        cw = -float(ccw)
    else:
        try:
            cw = float(stream.metadata.get("rotate", 0))
        except ValueError:
            cw = 0.0
    return round(cw / 90.0) % 4 * 90


# --------------------------------------------------------------------------------------
# Live sources: a thread produces frames, the consumer always gets the newest one.


class _LatestFrame:
    """A one-slot mailbox: `put` overwrites, `take` waits for a frame newer than the last taken."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: tuple[np.ndarray, float, int] | None = None
        self._seq = 0  # frames put so far
        self._taken_seq = 0
        self.overwritten = 0
        self.finished = False

    def put(self, image: np.ndarray, t_ms: float, source_index: int) -> None:
        with self._cond:
            if self._seq > self._taken_seq:
                self.overwritten += 1
            self._item = (image, t_ms, source_index)
            self._seq += 1
            self._cond.notify_all()

    def finish(self) -> None:
        with self._cond:
            self.finished = True
            self._cond.notify_all()

    def take(self, timeout: float | None) -> tuple[np.ndarray, float, int] | None:
        """The newest unseen frame; None when finished and drained. Raises TimeoutError."""
        with self._cond:
            ready = self._cond.wait_for(lambda: self._seq > self._taken_seq or self.finished, timeout)
            if not ready:
                raise TimeoutError
            if self._seq > self._taken_seq:
                self._taken_seq = self._seq
                return self._item
            return None


class _LiveSource(FrameSource):
    """Shared plumbing: a producer thread, a mailbox, a monotonic clock zeroed at open."""

    def __init__(self) -> None:
        self._mailbox = _LatestFrame()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = time.monotonic()
        self._error: BaseException | None = None
        self.delivered = 0

    def clock_ms(self) -> float:
        """Now, on the clock the frames are stamped with (for measuring latency)."""
        return (time.monotonic() - self._t0) * 1000.0

    @property
    def dropped(self) -> int:  # type: ignore[override]
        return self._mailbox.overwritten

    def _start(self, target, name: str) -> None:
        self._thread = threading.Thread(target=self._run_guarded, args=(target,), name=name, daemon=True)
        self._thread.start()

    def _run_guarded(self, target) -> None:
        try:
            target()
        except BaseException as err:  # surfaced to the consumer, never lost in a thread
            self._error = err
        finally:
            self._mailbox.finish()

    def close(self) -> None:
        self._stop.set()
        self._mailbox.finish()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)
        self._thread = None


class Camera(_LiveSource):
    """A webcam (or any OpenCV capture URL) read by a background thread.

    device: camera index (0 = default webcam), or a string OpenCV can open (stream URL).
    stall_timeout_s: if no new frame arrives for this long (camera unplugged, driver hung)
    the iterator raises `CameraError`; the first frame gets `startup_timeout_s` because
    cameras take a while to start.
    """

    def __init__(
        self,
        index: int | str = 0,
        width: int = 640,
        height: int = 480,
        stall_timeout_s: float = 2.0,
        startup_timeout_s: float = 8.0,
    ) -> None:
        super().__init__()
        self.index = index
        self.stall_timeout_s = stall_timeout_s
        self.startup_timeout_s = startup_timeout_s
        self._cap = _open_capture(index)
        if isinstance(index, int):
            self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
            # Ask the driver not to queue frames; the thread below drains it regardless.
            self._cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        w = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH)) or width
        h = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) or height
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        if not _SANE_FPS[0] <= fps <= _SANE_FPS[1]:
            fps = _FALLBACK_FPS
        self.info = VideoInfo(
            path=None, width=w, height=h, fps=fps, frame_count=None, duration_s=None, live=True
        )
        self._start(self._capture_loop, name=f"camera-{index}")

    def _capture_loop(self) -> None:
        captured = 0
        try:
            while not self._stop.is_set():
                # grab() returns when the frame is exposed: stamp it before the slower decode.
                if not self._cap.grab():
                    if self._stop.wait(0.01):
                        break
                    continue
                t_ms = self.clock_ms()
                ok, image = self._cap.retrieve()
                if not ok or image is None:
                    continue
                if image.ndim == 2:
                    image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
                self._mailbox.put(image, t_ms, captured)
                captured += 1
        finally:
            self._cap.release()

    def __iter__(self) -> Iterator[Frame]:
        timeout = self.startup_timeout_s
        while not self._stop.is_set():
            try:
                item = self._mailbox.take(timeout)
            except TimeoutError:
                if self.delivered == 0:
                    message = (
                        f"Camera {self.index} sent no picture within {timeout:g} s: is another app using it?"
                    )
                else:
                    message = (
                        f"Camera {self.index} stopped delivering frames (nothing for {timeout:g} s): "
                        "was it unplugged?"
                    )
                raise CameraError(message) from None
            if item is None:
                break
            image, t_ms, source_index = item
            yield Frame(image, t_ms, self.delivered, source_index)
            self.delivered += 1
            timeout = self.stall_timeout_s
        if self._error is not None:
            raise CameraError(f"Camera {self.index} failed: {self._error}") from self._error


def _open_capture(index: int | str) -> cv2.VideoCapture:
    """Open quietly (OpenCV prints backend warnings for missing devices) and explain failure."""
    previous = cv2.getLogLevel()
    cv2.setLogLevel(0)  # LOG_LEVEL_SILENT
    try:
        cap = cv2.VideoCapture(index)
    finally:
        cv2.setLogLevel(previous)
    if cap.isOpened():
        return cap
    cap.release()
    if isinstance(index, str):
        raise CameraError(f"Cannot open the video stream {index}.")
    if sys.platform.startswith("linux") and Path(f"/dev/video{index}").exists():
        raise CameraError(
            f"Camera {index} exists but cannot be opened (busy in another app, or no permission)."
        )
    raise CameraError(f"No camera found at index {index}.")


class ClipAsCamera(_LiveSource):
    """Plays a video file as if it were a live camera: the stand-in for a webcam in tests.

    A producer thread decodes the clip and publishes each frame at its presentation time
    on the wall clock (realtime=True) or as fast as it decodes (realtime=False). Like a
    camera, only the newest frame is kept: frames the consumer was too slow for are
    dropped and counted in `.dropped`. Frames are stamped with the monotonic clock at
    publication; `Frame.source_index` is the frame's index in the file.
    """

    def __init__(self, path: str | os.PathLike, realtime: bool = True, max_size: int | None = None) -> None:
        super().__init__()
        self.realtime = realtime
        self._video = open_video(path, max_size=max_size)
        file_info = self._video.info
        self.info = VideoInfo(
            path=file_info.path,
            width=file_info.width,
            height=file_info.height,
            fps=file_info.fps,
            frame_count=file_info.frame_count,
            duration_s=file_info.duration_s,
            rotation=file_info.rotation,
            live=True,
        )
        self._start(self._play, name="clip-as-camera")

    def _play(self) -> None:
        start = time.monotonic()
        try:
            for frame in self._video:
                if self.realtime:
                    # Sleep until the frame's presentation time; wake early if closed.
                    if self._stop.wait(max(0.0, start + frame.t_ms / 1000.0 - time.monotonic())):
                        return
                elif self._stop.is_set():
                    return
                self._mailbox.put(frame.image, self.clock_ms(), frame.index)
        finally:
            self.truncated = self._video.truncated
            self._video.close()

    def __iter__(self) -> Iterator[Frame]:
        while True:
            item = self._mailbox.take(timeout=None)
            if item is None:
                break
            image, t_ms, source_index = item
            yield Frame(image, t_ms, self.delivered, source_index)
            self.delivered += 1
        if self._error is not None:
            if isinstance(self._error, VideoError):
                raise self._error
            raise VideoError(f"Playing {self.info.path} failed: {self._error}") from self._error
