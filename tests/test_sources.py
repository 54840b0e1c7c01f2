"""Frame sources: timestamps from PTS, rotation, bad inputs, and live sources that drop frames."""

from __future__ import annotations

import struct
import time
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import av
import numpy as np
import pytest

from tests.odd_clips import audio_only
from vision.errors import CameraError, VideoError
from vision.sources import (
    Camera,
    ClipAsCamera,
    Frame,
    Timeline,
    VideoFile,
    _clockwise_rotation,
    _nominal_fps,
    missing_stretches,
    open_video,
)

W, H = 96, 64  # landscape, so a rotation is visible in the shape


def _marked_image(i: int = 0, w: int = W, h: int = H) -> np.ndarray:
    """Dark frame with a white block in the top-left corner and a frame-number bar."""
    img = np.full((h, w, 3), 30, np.uint8)
    img[: h // 3, : w // 3] = 255
    img[-4:, : (i % w) + 1] = 128
    return img


def write_video(
    path: Path,
    n: int = 12,
    fps: int = 30,
    times_ms: list[int] | None = None,
    noise: bool = False,
    size: tuple[int, int] = (W, H),
    options: dict | None = None,
) -> Path:
    """H.264 MP4; with times_ms the frames get exactly those presentation times (VFR)."""
    w, h = size
    rng = np.random.default_rng(0)
    with av.open(str(path), "w", options=options or {}) as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        if times_ms is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
            stream.time_base = Fraction(1, 1000)
        for i in range(n if times_ms is None else len(times_ms)):
            img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8) if noise else _marked_image(i, w, h)
            frame = av.VideoFrame.from_ndarray(img, format="bgr24")
            if times_ms is not None:
                frame.pts, frame.time_base = times_ms[i], Fraction(1, 1000)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def set_tkhd_matrix(path: Path, a: int, b: int, c: int, d: int) -> None:
    """Patch the MP4 track header's display matrix, as a phone writes it (16.16 fixed point).

    x' = a*x + c*y + tx, y' = b*x + d*y + ty. An iPhone held upright writes (0, 1, -1, 0):
    the stored landscape picture must be turned 90 degrees clockwise for display.
    """
    data = bytearray(path.read_bytes())
    at = data.find(b"tkhd") + 4
    version = data[at]
    matrix_at = at + (40 if version == 0 else 52)
    values = (a << 16, b << 16, 0, c << 16, d << 16, 0, 0, 0, 1 << 30)  # translation is irrelevant
    data[matrix_at : matrix_at + 36] = struct.pack(">9i", *values)
    path.write_bytes(bytes(data))


def read_all(path: Path, **kw) -> tuple[VideoFile, list[Frame]]:
    with open_video(path, **kw) as video:
        frames = list(video)
    return video, frames


def bright_corner(img: np.ndarray) -> str:
    h, w = img.shape[:2]
    corners = {
        "top-left": img[: h // 6, : w // 6],
        "top-right": img[: h // 6, -w // 6 :],
        "bottom-left": img[-h // 6 :, : w // 6],
        "bottom-right": img[-h // 6 :, -w // 6 :],
    }
    return max(corners, key=lambda k: corners[k].mean())


# ---------------------------------------------------------------------------- files


def test_constant_rate_clip(tmp_path):
    video, frames = read_all(write_video(tmp_path / "cfr.mp4", n=12, fps=30))
    assert len(frames) == 12
    assert video.info.width == W and video.info.height == H
    assert video.info.fps == pytest.approx(30.0, rel=0.01)
    assert video.info.frame_count == 12
    assert video.info.duration_s == pytest.approx(0.4, abs=0.02)
    assert video.info.rotation == 0 and not video.truncated and video.dropped == 0
    np.testing.assert_allclose([f.t_ms for f in frames], np.arange(12) * 1000 / 30, atol=0.5)
    assert [f.index for f in frames] == list(range(12))
    img = frames[0].image
    assert img.shape == (H, W, 3) and img.dtype == np.uint8 and img.flags.c_contiguous
    assert bright_corner(img) == "top-left"


def test_variable_rate_clip_uses_presentation_times(tmp_path):
    times = [0, 33, 50, 150, 160, 400, 1400]
    video, frames = read_all(write_video(tmp_path / "vfr.mp4", times_ms=times))
    np.testing.assert_allclose([f.t_ms for f in frames], times, atol=0.1)
    assert 0.5 <= video.info.fps <= 240  # nominal only; timestamps never come from it


def test_downscale_to_max_size(tmp_path):
    video, frames = read_all(write_video(tmp_path / "big.mp4", n=3, size=(320, 240)), max_size=160)
    assert (video.info.width, video.info.height) == (160, 120)
    assert frames[0].image.shape == (120, 160, 3)
    assert bright_corner(frames[0].image) == "top-left"


@pytest.mark.parametrize(
    ("matrix", "rotation", "corner"),
    [
        ((0, 1, -1, 0), 90, "top-right"),  # phone held upright
        ((-1, 0, 0, -1), 180, "bottom-right"),  # upside down
        ((0, -1, 1, 0), 270, "bottom-left"),
    ],
)
def test_rotation_metadata_is_applied(tmp_path, matrix, rotation, corner):
    path = write_video(tmp_path / "phone.mp4", n=4)
    set_tkhd_matrix(path, *matrix)
    video, frames = read_all(path)
    assert video.info.rotation == rotation
    expected = (H, W) if rotation in (90, 270) else (W, H)
    assert (video.info.width, video.info.height) == expected
    assert frames[0].image.shape == (expected[1], expected[0], 3)
    assert bright_corner(frames[0].image) == corner


@pytest.mark.parametrize(
    ("frame_rotation", "tag", "clockwise"),
    [
        (-90, None, 90),
        (90, None, 270),
        (180, None, 180),
        (-89.6, None, 90),
        (0, None, 0),
        (None, "90", 90),
        (None, "-90", 270),
        (None, "180", 180),
        (None, "junk", 0),
        (None, None, 0),
    ],
)
def test_rotation_from_display_matrix_or_legacy_tag(frame_rotation, tag, clockwise):
    # PyAV >= 14 gives the display matrix angle (counter-clockwise) per frame; older FFmpeg
    # builds only had the stream's 'rotate' tag (clockwise).
    frame = SimpleNamespace() if frame_rotation is None else SimpleNamespace(rotation=frame_rotation)
    stream = SimpleNamespace(metadata={} if tag is None else {"rotate": tag})
    assert _clockwise_rotation(frame, stream) == clockwise


def test_rotation_and_downscale_together(tmp_path):
    path = write_video(tmp_path / "phone.mp4", n=2, size=(320, 240))
    set_tkhd_matrix(path, 0, 1, -1, 0)
    video, frames = read_all(path, max_size=160)
    assert (video.info.width, video.info.height) == (120, 160)
    assert frames[0].image.shape == (160, 120, 3)


def test_truncated_file_yields_what_decodes(tmp_path):
    path = write_video(tmp_path / "full.mp4", n=30, noise=True, options={"movflags": "faststart"})
    data = path.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    video, frames = read_all(cut)
    assert 5 <= len(frames) < 30
    assert video.truncated
    assert np.all(np.diff([f.t_ms for f in frames]) > 0)


def test_truncated_file_without_index_is_an_error(tmp_path):
    # MP4s written without faststart keep their index at the end: cut it off and nothing is readable.
    data = write_video(tmp_path / "full.mp4", n=30, noise=True).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(VideoError) as err:
        open_video(cut)
    assert "cut.mp4 is an unfinished MP4" in str(err.value) and "\n" not in str(err.value)


def test_duplicate_timestamps_are_dropped(tmp_path):
    # The encoder's 1/30 s clock rounds 150 and 160 ms to the same tick: a duplicate PTS.
    path = tmp_path / "dup.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        for i, t in enumerate([0, 33, 150, 160, 400]):
            frame = av.VideoFrame.from_ndarray(_marked_image(i), format="bgr24")
            frame.pts, frame.time_base = t, Fraction(1, 1000)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    video, frames = read_all(path)
    t = [f.t_ms for f in frames]
    assert len(frames) == 4 and video.dropped == 1
    assert np.all(np.diff(t) > 0)
    assert [f.source_index for f in frames] == [0, 1, 2, 4]


def test_timeline_rules():
    tl = Timeline(step_ms=40.0)
    assert tl.place(0.0) == 0.0
    assert tl.place(30.0) == 30.0
    assert tl.place(None) == 60.0  # extrapolated by the last interval
    assert tl.place(60.0) is None  # duplicate
    assert tl.place(50.0) is None  # slightly backwards
    assert tl.place(100.0) == 100.0
    assert tl.place(-5000.0) == 140.0  # stream restarted: continue after the last frame
    assert tl.place(-4960.0) == 180.0


def test_a_late_stray_frame_is_dropped_not_taken_for_a_restart():
    # A damaged stream's decoder emits a frame 1.03 s late, between frames that carry on.
    pts = [4433.0, 4467.0, 4500.0, 5600.0, 4567.0, 5633.0, 5667.0, 5700.0, 5733.0, 5767.0]
    tl = Timeline(step_ms=33.3)
    placed = [tl.place(p, pts[i + 1 : i + 5]) for i, p in enumerate(pts)]
    assert placed == [4433.0, 4467.0, 4500.0, 5600.0, None, 5633.0, 5667.0, 5700.0, 5733.0, 5767.0]
    assert tl.strays == 1


def test_a_stray_frame_far_ahead_is_dropped_and_the_timeline_goes_on():
    pts = [0.0, 40.0, 80.0, 9000.0, 120.0, 160.0, 200.0, 240.0]
    tl = Timeline(step_ms=40.0)
    placed = [tl.place(p, pts[i + 1 : i + 5]) for i, p in enumerate(pts)]
    assert placed == [0.0, 40.0, 80.0, None, 120.0, 160.0, 200.0, 240.0]
    assert tl.strays == 1


def test_a_real_restart_still_continues_after_the_last_frame():
    pts = [0.0, 40.0, 80.0, -5000.0, -4960.0, -4920.0, -4880.0]
    tl = Timeline(step_ms=40.0)
    placed = [tl.place(p, pts[i + 1 : i + 5]) for i, p in enumerate(pts)]
    assert placed == [0.0, 40.0, 80.0, 120.0, 160.0, 200.0, 240.0]
    assert tl.strays == 0


def test_missing_stretches_need_damage_or_a_long_gap():
    steady = [i * 33.3 for i in range(30)]
    gap = steady[:10] + [t + 300.0 for t in steady[10:]]  # 0.33 s without frames after frame 9
    assert missing_stretches(gap, damaged=True) == [(pytest.approx(299.7), pytest.approx(633.0))]
    assert missing_stretches(gap, damaged=False) == []  # a healthy variable-rate clip may pause
    long_gap = steady[:10] + [t + 3000.0 for t in steady[10:]]
    assert missing_stretches(long_gap, damaged=False) == [(pytest.approx(299.7), pytest.approx(3333.0))]
    # Two lost stretches a few frames apart are one.
    two = steady[:10] + [t + 200.0 for t in steady[10:13]] + [t + 500.0 for t in steady[13:]]
    assert missing_stretches(two, damaged=True) == [(pytest.approx(299.7), pytest.approx(932.9))]
    gif = [0.0, 300.0, 600.0, 900.0, 1200.0, 1800.0, 2100.0, 2400.0, 2700.0]  # one frame held twice as long
    assert missing_stretches(gif, damaged=False) == []


def test_an_animated_gif_keeps_each_frames_own_duration(tmp_path):
    from PIL import Image

    pictures = [Image.fromarray(_marked_image(i)[:, :, ::-1]) for i in range(5)]
    path = tmp_path / "loop.gif"
    pictures[0].save(
        path, save_all=True, append_images=pictures[1:], duration=[100, 100, 300, 100, 100], loop=0
    )
    video, frames = read_all(path)
    assert [f.t_ms for f in frames] == [0.0, 100.0, 200.0, 500.0, 600.0]  # the 300 ms frame stays 300 ms
    assert (video.info.width, video.info.height) == (W, H) and video.missing_ms == ()


def test_a_vp9_webm_decodes_with_its_timestamps(tmp_path):
    path = tmp_path / "clip.webm"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libvpx-vp9", rate=30)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(_marked_image(i), format="bgr24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    _, frames = read_all(path)
    assert [round(f.t_ms) for f in frames] == [round(i * 1000 / 30) for i in range(10)]


def test_absurd_nominal_rates_fall_back():
    def stream(*rates):
        return SimpleNamespace(average_rate=rates[0], guessed_rate=rates[1], base_rate=rates[2])

    assert _nominal_fps(stream(Fraction(30000, 1001), None, None), None, None) == pytest.approx(29.97, 0.001)
    assert _nominal_fps(stream(Fraction(0), Fraction(1000), None), 50, 2.0) == 25.0
    assert _nominal_fps(stream(None, Fraction(1000), Fraction(0)), None, None) == 30.0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.mp4", "not found"),
        (lambda d: d, "is a folder"),
        (lambda d: _write_bytes(d / "empty.mp4", b""), "is empty"),
        (
            lambda d: _write_bytes(d / "notes.mp4", b"shopping list\n" * 50),
            "not a video file FFmpeg can read",
        ),
        (lambda d: audio_only(d / "voice.m4a"), "only audio"),
        (lambda d: _no_frames(d / "nothing.mp4"), "no readable video stream"),
        (lambda d: _garbage_frames(d / "garbage.mp4"), "no decodable video frames"),
    ],
    ids=["missing", "directory", "empty", "text", "audio-only", "no-frames", "garbage"],
)
def test_bad_inputs_raise_one_clear_line(tmp_path, make, message):
    with pytest.raises(VideoError) as err:
        open_video(make(tmp_path))
    text = str(err.value)
    assert message in text and "\n" not in text


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _no_frames(path: Path) -> Path:
    out = av.open(str(path), "w")
    stream = out.add_stream("mpeg4", rate=30)
    stream.width, stream.height = W, H
    out.start_encoding()
    out.close()
    return path


def _garbage_frames(path: Path) -> Path:
    """A well-formed MP4 index pointing at zeroed picture data."""
    write_video(path, n=10, noise=True, options={"movflags": "faststart"})
    data = bytearray(path.read_bytes())
    at = data.find(b"mdat") + 4
    data[at:] = bytes(len(data) - at)
    path.write_bytes(bytes(data))
    return path


def test_a_source_is_single_pass(tmp_path):
    with open_video(write_video(tmp_path / "a.mp4", n=2)) as video:
        list(video)
        with pytest.raises(RuntimeError):
            iter(video)


# ---------------------------------------------------------------------------- live


def test_clip_as_camera_drops_frames_for_a_slow_consumer(tmp_path):
    path = write_video(tmp_path / "clip.mp4", n=30, fps=30)
    with open_video(path) as video:
        file_t = [f.t_ms for f in video]
    frames = []
    with ClipAsCamera(path) as cam:
        assert cam.info.live and cam.info.width == W
        for frame in cam:
            frames.append(frame)
            time.sleep(0.1)  # a consumer at 10 fps against a 30 fps clip
    assert cam.dropped > 0
    assert len(frames) + cam.dropped == 30
    assert len(frames) < 20
    src = [f.source_index for f in frames]
    assert np.all(np.diff(src) > 0) and max(np.diff(src)) > 1
    assert src[-1] == 29  # the newest frame is never lost
    assert [f.index for f in frames] == list(range(len(frames)))
    t = np.array([f.t_ms for f in frames])
    assert np.all(np.diff(t) > 0)
    # Played in real time: no frame is published before its presentation time (the clock
    # starts when the source opens, playback a little later).
    assert np.all(t >= np.array([file_t[i] for i in src]))


def test_clip_as_camera_closes_promptly_mid_clip(tmp_path):
    path = write_video(tmp_path / "clip.mp4", n=60, fps=30)
    with ClipAsCamera(path) as cam:
        thread = cam._thread
        for frame in cam:
            if frame.index == 2:
                break
    assert not thread.is_alive()


def test_clip_as_camera_reports_bad_file_at_open(tmp_path):
    with pytest.raises(VideoError):
        ClipAsCamera(tmp_path / "missing.mp4")


def test_missing_camera_is_a_clear_error():
    with pytest.raises(CameraError, match=r"No camera found at index 97|cannot be opened"):
        Camera(97)


def test_camera_that_stops_delivering_raises(tmp_path):
    # OpenCV opens a file path like a camera URL; when the file ends, frames stop as if unplugged.
    path = write_video(tmp_path / "cam.mp4", n=5)
    frames = []
    with Camera(str(path), stall_timeout_s=0.5) as cam, pytest.raises(CameraError, match="stopped"):
        for frame in cam:
            frames.append(frame)
    assert 1 <= len(frames) <= 5
    assert frames[0].image.shape == (H, W, 3)
    assert np.all(np.diff([f.t_ms for f in frames]) > 0)
