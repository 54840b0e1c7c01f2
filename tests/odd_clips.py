"""Small odd videos for the bad-input tests, made from the committed sample clips.

Each maker takes a few frames of a sample (a real rendered person), changes one thing a user's
video might have (cut short, rotated by a phone, odd frame rate, two people, ...) and writes a
tiny file. Sizes stay small (mostly 320x240, 1-2 s) so every CLI run takes seconds.
"""

from __future__ import annotations

import struct
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from tests.cli_helpers import SAMPLES

Frames = list[np.ndarray]


def sample_frames(
    name: str = "hinge_good.mp4",
    start_s: float = 0.0,
    seconds: float = 1.5,
    size: tuple[int, int] | None = None,
) -> Frames:
    """BGR frames of samples/<name> from start_s for `seconds`, optionally resized to (w, h)."""
    if not (SAMPLES / name).is_file():
        pytest.fail(f"sample clip {SAMPLES / name} is missing (render it: python -m samples.generate)")
    out: Frames = []
    with av.open(str(SAMPLES / name)) as c:
        stream = c.streams.video[0]
        for frame in c.decode(stream):
            t = float(frame.pts * stream.time_base)
            if t < start_s - 1e-6:
                continue
            if t >= start_s + seconds - 1e-6:
                break
            img = frame.to_ndarray(format="bgr24")
            out.append(cv2.resize(img, size, interpolation=cv2.INTER_AREA) if size else img)
    assert out, f"no frames of {name} in {start_s}-{start_s + seconds} s"
    return out


def write_clip(
    path: Path,
    frames: Frames,
    times_ms: list[int] | None = None,
    rate: Fraction | int = 30,
    faststart: bool = True,
    container: str | None = None,
) -> Path:
    """H.264 file with exact presentation times (ms; default 30 fps). `rate` is only what the
    container declares: a Matroska file states it as the track's default frame duration."""
    times_ms = times_ms if times_ms is not None else [round(i * 1000 / 30) for i in range(len(frames))]
    h, w = frames[0].shape[:2]
    tb = Fraction(1, 1000)
    options = (
        {"movflags": "+faststart"} if faststart and (container or path.suffix) in ("mp4", ".mp4") else {}
    )
    with av.open(str(path), "w", format=container, options=options) as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        stream.codec_context.time_base = tb
        stream.time_base = tb
        for img, t in zip(frames, times_ms, strict=True):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="bgr24")
            frame.pts, frame.time_base = t, tb
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def cut_file(path: Path, keep: float) -> Path:
    """Keep only the first `keep` fraction of the file's bytes (a copy cut short)."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def set_display_matrix(path: Path, a: int, b: int, c: int, d: int) -> Path:
    """Patch the MP4 track header's display matrix as a phone writes it (16.16 fixed point).

    (a, b, c, d) = (0, 1, -1, 0) is an upright phone: players turn the stored picture 90
    degrees clockwise.
    """
    data = bytearray(path.read_bytes())
    at = data.find(b"tkhd") + 4
    matrix_at = at + (40 if data[at] == 0 else 52)
    values = (a << 16, b << 16, 0, c << 16, d << 16, 0, 0, 0, 1 << 30)
    data[matrix_at : matrix_at + 36] = struct.pack(">9i", *values)
    path.write_bytes(bytes(data))
    return path


def noise_frames(n: int, size: tuple[int, int] = (64, 48), seed: int = 0) -> Frames:
    """Random pictures: they compress badly, so even a few frames make a file worth cutting."""
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8) for _ in range(n)]


def audio_only(path: Path) -> Path:
    """Half a second of silence in AAC: a file with sound and no picture."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=16000)
        for i in range(8):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 16000, i * 1024
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def empty_room(like: np.ndarray, n: int) -> Frames:
    """`n` frames of the sample's background with nobody in it (the left edge column, stretched)."""
    w = like.shape[1]
    wall = np.repeat(like[:, :2].mean(axis=1, keepdims=True), w, axis=1).astype(np.uint8)
    return [wall.copy() for _ in range(n)]


def side_by_side(frames: Frames, keep_w: int) -> Frames:
    """Two copies of the person next to each other: the centre `keep_w` columns, twice."""
    w = frames[0].shape[1]
    x0 = (w - keep_w) // 2
    return [np.hstack([f[:, x0 : x0 + keep_w], f[:, x0 : x0 + keep_w]]) for f in frames]


def to_4k(frames: Frames) -> Frames:
    """Widen to 16:9 by repeating the edges, then upscale to 3840x2160."""
    out = []
    for f in frames:
        h, w = f.shape[:2]
        pad = (h * 16 // 9 - w) // 2
        wide = cv2.copyMakeBorder(f, 0, 0, pad, pad, cv2.BORDER_REPLICATE)
        out.append(cv2.resize(wide, (3840, 2160), interpolation=cv2.INTER_LINEAR))
    return out
