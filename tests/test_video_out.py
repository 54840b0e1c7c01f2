"""VideoWriter: H.264/yuv420p MP4 with real timestamps, even size, atomic."""

from __future__ import annotations

import itertools
import os

import av
import numpy as np
import pytest

from feedback.video_out import VideoWriter
from vision.errors import OutputError


def frames(n, w=64, h=48):
    for i in range(n):
        img = np.zeros((h, w, 3), np.uint8)
        img[:, : (i * 3) % w] = (0, 128, 255)
        yield img


def probe(path):
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        decoded = list(c.decode(s))
        return {
            "codec": s.codec_context.name,
            "pix_fmt": s.codec_context.pix_fmt,
            "size": (s.codec_context.width, s.codec_context.height),
            "frames": len(decoded),
            "t": [float(f.pts * f.time_base) for f in decoded],
        }


def test_h264_with_frame_count_and_timestamps(tmp_path):
    path = tmp_path / "out.mp4"
    t_ms = [0, 33.4, 66.7, 100.1, 200.0, 233.4, 266.7, 600.0, 633.4, 666.7]  # variable frame rate
    with VideoWriter(path, fps=30) as w:
        for img, t in zip(frames(len(t_ms)), t_ms, strict=True):
            w.write(img, t)
    info = probe(path)
    assert info["codec"] == "h264" and info["pix_fmt"] == "yuv420p"
    assert info["frames"] == len(t_ms)
    assert info["t"] == pytest.approx([t / 1000 for t in t_ms], abs=0.002)
    assert os.listdir(tmp_path) == ["out.mp4"]


def test_timestamps_start_at_zero_and_strictly_increase(tmp_path):
    path = tmp_path / "out.mp4"
    with VideoWriter(path) as w:
        for img, t in zip(frames(4), [5000.0, 5000.0, 5033.3, 5033.31], strict=True):
            w.write(img, t)
    t = probe(path)["t"]
    assert t[0] == 0.0 and all(b > a for a, b in itertools.pairwise(t))


def test_odd_size_cropped_to_even(tmp_path):
    path = tmp_path / "odd.mp4"
    with VideoWriter(path) as w:
        for i, img in enumerate(frames(3, w=65, h=49)):
            w.write(img, i * 33.3)
    assert probe(path)["size"] == (64, 48)


def test_failure_leaves_nothing(tmp_path):
    path = tmp_path / "out.mp4"
    with pytest.raises(RuntimeError), VideoWriter(path) as w:
        for i, img in enumerate(frames(3)):
            w.write(img, i * 33.3)
        raise RuntimeError("crash mid-run")
    assert os.listdir(tmp_path) == []


def test_no_frames_no_file(tmp_path):
    w = VideoWriter(tmp_path / "out.mp4")
    assert w.close() is None
    assert os.listdir(tmp_path) == []


def test_existing_file_replaced_only_on_success(tmp_path):
    path = tmp_path / "out.mp4"
    path.write_bytes(b"previous")
    w = VideoWriter(path)
    w.write(next(frames(1)), 0.0)
    assert path.read_bytes() == b"previous"  # still the old file while encoding
    w.close()
    assert probe(path)["frames"] == 1


def test_unwritable_folder_is_an_output_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    w = VideoWriter(blocker / "out.mp4")
    with pytest.raises(OutputError):
        w.write(next(frames(1)), 0.0)
