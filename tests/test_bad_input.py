"""`backform analyze` on the odd videos and mistakes people will make, run as a user runs it.

Every failure is one `backform: ...` line on stderr, a non-zero exit code, no traceback and
nothing (not even a temporary file) in the output folder. Videos that can be partly analysed
are: exit code 0, the outputs, and one `backform: warning: ...` line per thing that could not be
analysed. The clips are generated here, tiny, mostly from a few frames of the sample clips.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from exercises.hip_hinge import HipHingeThresholds
from feedback.cli import ctrl_c_held
from tests.cli_helpers import (
    backform,
    backform_command,
    cli_env,
    h264_frames,
    make_video_without_frames,
    make_video_without_person,
    one_line_error,
    wait_for_encoded_frames,
)
from tests.odd_clips import (
    audio_only,
    cut_file,
    empty_room,
    noise_frames,
    sample_frames,
    set_display_matrix,
    side_by_side,
    to_4k,
    write_clip,
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
SMALL = (320, 240)
OUTPUT_NAMES = ["a.mp4", "r.csv", "r.html", "r.json", "r.png"]


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """(input folder, output folder); the output folder starts empty."""
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    return tmp_path / "in", tmp_path / "out"


def analyze(video: Path, out: Path, *extra, exercise: str = "hip-hinge", outputs: bool = True):
    """Run `backform analyze` with all five outputs in `out` (as a.mp4 and r.json/.csv/.html/.png)."""
    args = ["analyze", video, "--exercise", exercise]
    if outputs:
        args += ["--out", out / "a.mp4", "--report", out / "r.json"]
    return backform(*args, *extra, cwd=out, timeout=300)


def listing(folder: Path) -> list[str]:
    """Every name in the folder, hidden temporary files included."""
    return sorted(p.name for p in folder.iterdir())


def warnings_of(stderr: str) -> list[str]:
    """The warning lines; fails if stderr holds anything else (errors, tracebacks, noise).
    A note on why nothing was counted (these clips are short excerpts) is not a warning."""
    lines = [line for line in stderr.strip().splitlines() if not line.startswith("backform: note: ")]
    assert "Traceback" not in stderr
    assert all(line.startswith("backform: warning: ") for line in lines), stderr
    return [line.removeprefix("backform: warning: ") for line in lines]


def succeeded(proc: subprocess.CompletedProcess, out: Path) -> dict:
    """Exit 0, exactly the five outputs (no temporary files), and the report."""
    assert proc.returncode == EXIT_OK, proc.stderr
    assert listing(out) == OUTPUT_NAMES
    return json.loads((out / "r.json").read_text())


def video_times_ms(path: Path) -> tuple[tuple[int, int], list[int]]:
    """((width, height), presentation times in ms) of the annotated video."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        times = [round(float(f.pts * f.time_base) * 1000) for f in c.decode(s)]
        return (s.codec_context.width, s.codec_context.height), times


# -- files that are not (usable) videos, and mistakes in the command: fail before any analysis --------
def _text_file(d: Path) -> Path:
    path = d / "holiday.mp4"
    path.write_text("Dear diary, today I did my back exercises.\n" * 20)
    return path


def _folder(d: Path) -> Path:
    path = d / "videos.mp4"
    path.mkdir()
    return path


def _unfinished_mp4(d: Path) -> Path:
    # Written without faststart the index comes last: a copy cut in half has none.
    return cut_file(write_clip(d / "cut.mp4", noise_frames(30), faststart=False), 0.5)


def _no_frames(d: Path) -> Path:
    make_video_without_frames(d / "zero.mp4")
    return d / "zero.mp4"


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: d / "nope.mp4", r"Video file not found: .*nope\.mp4$"),
        (_folder, r"videos\.mp4 is a folder, not a video file\.$"),
        (_text_file, r"holiday\.mp4 is not a video file FFmpeg can read \(.+\)\.$"),
        (
            _unfinished_mp4,
            r"cut\.mp4 is an unfinished MP4/MOV file \(its index is missing: .*cut short\?\)\.$",
        ),
        (_no_frames, r"zero\.mp4 contains no readable video stream\.$"),
        (
            lambda d: audio_only(d / "voice_memo.m4a"),
            r"voice_memo\.m4a has no video stream \(it contains only audio\)\.$",
        ),
    ],
    ids=["missing", "directory", "text-named-mp4", "truncated-without-index", "zero-frames", "audio-only"],
)
def test_unusable_video_is_one_line_and_writes_nothing(make, expected, folders):
    inputs, out = folders
    proc = analyze(make(inputs), out)
    line = one_line_error(proc.returncode, proc.stderr, EXIT_FAILED)
    assert re.search(expected, line), line
    assert listing(out) == []


def test_unknown_exercise_lists_the_choices(folders):
    inputs, out = folders
    make_video_without_person(inputs / "clip.mp4", 3)
    proc = analyze(inputs / "clip.mp4", out, exercise="squats")
    line = one_line_error(proc.returncode, proc.stderr, EXIT_USAGE)
    assert line == "backform: Unknown exercise 'squats'. Choose one of: hip-hinge, plank, cat-cow"
    assert listing(out) == []


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[hip-hinge]\ntarget_deg = \n", "th.toml is not valid TOML: Invalid value (at line 2, column 14)"),
        (
            "[hip-hinge]\ntarget_degs = 40\n",
            "th.toml: [hip-hinge] has no setting 'target_degs' (did you mean 'target_deg'?)",
        ),
        (
            "[hip-hinge]\ntarget_deg = 'steep'\n",
            "th.toml: [hip-hinge] target_deg must be a number, got 'steep'",
        ),
        (
            "[hip-hinge]\ntarget_deg = 400\n",
            "th.toml: [hip-hinge] target_deg must be between {low:g} and {high:g}, got 400",
        ),
        (
            "[squat]\ndepth = 3\n",
            "th.toml: unknown section [squat]; sections are [hip-hinge], [plank], [cat-cow]",
        ),
        (
            "target_deg = 40\n",
            "th.toml: 'target_deg' is outside any section; put it under one of [hip-hinge]",
        ),
        ("[plank]\nmax_sag_deg = true\n", "th.toml: [plank] max_sag_deg must be a number, got True (bool)"),
    ],
    ids=["syntax", "unknown-key", "not-a-number", "out-of-range", "unknown-section", "no-section", "bool"],
)
def test_malformed_thresholds_name_the_key_and_the_problem(toml, expected, folders):
    inputs, out = folders
    make_video_without_person(inputs / "clip.mp4", 3)
    (inputs / "th.toml").write_text(toml)
    proc = analyze(inputs / "clip.mp4", out, "--thresholds", inputs / "th.toml")
    line = one_line_error(proc.returncode, proc.stderr, EXIT_USAGE)
    # The allowed range is the exercise's own (tuned there), not a copy of it.
    target = next(f for f in dataclasses.fields(HipHingeThresholds) if f.name == "target_deg")
    assert line.startswith(f"backform: {expected.format_map(target.metadata)}"), line
    assert listing(out) == []


def test_unwritable_output_folder(folders):
    inputs, out = folders
    make_video_without_person(inputs / "clip.mp4", 3)
    (out / "results").write_text("a file where the output folder should be")
    proc = backform(
        "analyze", inputs / "clip.mp4", "-e", "plank", "--out", out / "results" / "a.mp4", cwd=out
    )
    line = one_line_error(proc.returncode, proc.stderr, EXIT_FAILED)
    results = out / "results"
    assert line == f"backform: Cannot create the output folder {results}: {results} is a file, not a folder."
    assert listing(out) == ["results"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses Linux's /sys when run as root")
def test_output_folder_without_write_permission(folders):
    inputs, out = folders
    make_video_without_person(inputs / "clip.mp4", 3)
    if os.geteuid() == 0:
        locked = Path("/sys")  # root may write anywhere else
    else:
        locked = out / "locked"
        locked.mkdir(mode=0o555)
    proc = backform("analyze", inputs / "clip.mp4", "-e", "plank", "--report", locked / "r.json", cwd=out)
    line = one_line_error(proc.returncode, proc.stderr, EXIT_FAILED)
    assert line == f"backform: Cannot write to {locked}: Permission denied."
    assert not list(locked.glob(".r.*")) and not (locked / "r.json").exists()


@pytest.mark.parametrize(
    ("option", "spelling"),
    [
        ("--out", "same"),
        ("--out", "dotted"),
        ("--out", "symlink"),
        ("--report", "same"),
        ("--csv", "dotted"),
        ("--plot", "symlink"),
    ],
)
def test_output_path_equal_to_the_input_is_refused(option, spelling, folders):
    inputs, out = folders
    video = inputs / "clip.mp4"
    make_video_without_person(video, 3)
    before = video.read_bytes()
    target = {
        "same": video,
        "dotted": inputs / ".." / "in" / "." / "clip.mp4",
        "symlink": inputs / "link.mp4",
    }[spelling]
    if spelling == "symlink":
        target.symlink_to(video)
    proc = backform("analyze", video, "-e", "plank", option, target, cwd=out)
    line = one_line_error(proc.returncode, proc.stderr, EXIT_FAILED)
    assert "would overwrite the input video; choose another name." in line, line
    assert video.read_bytes() == before
    assert listing(out) == []
    assert sorted(p.name for p in inputs.iterdir()) == sorted({"clip.mp4", target.name})


# -- videos with a person: what can be analysed is, and the rest is said in one line each ------------
def test_truncated_mp4_analyses_what_decodes_and_says_so(folders, model_path):
    inputs, out = folders
    frames = sample_frames("hinge_good.mp4", 0.5, 2.0, SMALL)
    video = cut_file(write_clip(inputs / "cut.mp4", frames), 0.6)  # index first, pictures cut off
    report = succeeded(proc := analyze(video, out), out)
    [warning] = warnings_of(proc.stderr)
    analysed = re.fullmatch(r"The video was truncated: analysed the first (\d+\.\d) s of 2\.0 s\.", warning)
    assert analysed, warning
    assert 5 <= report["frames"] < len(frames) and report["frames_with_pose"] == report["frames"]
    assert report["duration_s"] == pytest.approx(report["frames"] / 30, abs=0.01)
    assert float(analysed[1]) == pytest.approx(report["duration_s"], abs=0.05)
    assert report["source"]["truncated"] is True and report["partial"] is False
    assert report["warnings"] == [warning]
    assert h264_frames(out / "a.mp4") == ("h264", report["frames"])


@pytest.mark.parametrize(
    ("container_rate", "label"),
    [(Fraction(1000), "1000 fps"), (Fraction(1, 1000), "0.001 fps, 1000 s long")],
    ids=["fps-1000", "fps-0"],
)
def test_absurd_frame_rate_in_the_container_is_ignored(container_rate, label, folders, model_path):
    # Matroska states the rate as a default frame duration; the timestamps say 30 fps.
    inputs, out = folders
    frames = sample_frames("hinge_good.mp4", 0.5, 1.0, SMALL)
    video = write_clip(inputs / "odd_rate.mkv", frames, rate=container_rate)
    with av.open(str(video)) as c:
        claimed = float(c.streams.video[0].average_rate)
    assert claimed > 240 or claimed < 0.5, f"the clip should claim {label}, not {claimed}"
    report = succeeded(proc := analyze(video, out), out)
    assert warnings_of(proc.stderr) == []
    assert report["frames"] == len(frames) == report["frames_with_pose"]
    assert report["duration_s"] == pytest.approx(len(frames) / 30, abs=0.01)
    assert 0.5 <= report["source"]["fps"] <= 240
    assert video_times_ms(out / "a.mp4")[1] == [round(i * 1000 / 30) for i in range(len(frames))]


@pytest.mark.parametrize("max_size", [None, 1280])
def test_4k_clip_is_analysed_at_source_size_or_max_size_and_annotated_at_720p(max_size, folders, model_path):
    inputs, out = folders
    # 0.3 s: shorter clips are too short to judge (a fault must hold 0.2 s to show).
    video = write_clip(inputs / "uhd.mp4", to_4k(sample_frames("hinge_good.mp4", 1.0, 0.3)))
    extra = [] if max_size is None else ["--max-size", max_size]
    report = succeeded(proc := analyze(video, out, *extra), out)
    assert warnings_of(proc.stderr) == []
    expected = (3840, 2160) if max_size is None else (1280, 720)
    assert (report["source"]["width"], report["source"]["height"]) == expected
    assert report["frames_with_pose"] == report["frames"] == 9
    # The annotated video is at most 720 px tall by default (--video-height), whatever was analysed.
    assert video_times_ms(out / "a.mp4")[0] == (1280, 720)


def test_rotated_phone_clip_is_turned_upright(folders, model_path):
    inputs, out = folders
    upright = sample_frames("hinge_good.mp4", 0.5, 1.0, SMALL)
    stored = [cv2.rotate(f, cv2.ROTATE_90_COUNTERCLOCKWISE) for f in upright]  # as the sensor saw it
    video = set_display_matrix(write_clip(inputs / "phone.mp4", stored), 0, 1, -1, 0)
    report = succeeded(proc := analyze(video, out), out)
    assert warnings_of(proc.stderr) == []
    assert report["source"]["rotation"] == 90
    assert (report["source"]["width"], report["source"]["height"]) == SMALL
    assert video_times_ms(out / "a.mp4")[0] == SMALL
    # Upright, the hinge is judged side-on from the left as in the sample itself.
    assert report["frames_with_pose"] == report["frames"] and report["view"]["ok"] is True
    assert report["view"]["side"] == "left"


def test_variable_frame_rate_keeps_the_real_timestamps(folders, model_path):
    inputs, out = folders
    frames = sample_frames("hinge_good.mp4", 0.5, 1.5, SMALL)
    gaps = np.random.default_rng(7).integers(20, 60, len(frames) - 1)  # 17-50 fps, as phones do
    times = [0, *np.cumsum(gaps).tolist()]
    video = write_clip(inputs / "vfr.mp4", frames, times_ms=times)
    report = succeeded(proc := analyze(video, out), out)
    assert warnings_of(proc.stderr) == []
    assert [round(t * 1000) for t in report["series"]["t_s"]] == times
    assert video_times_ms(out / "a.mp4")[1] == times
    assert report["duration_s"] == pytest.approx(times[-1] / 1000 + np.median(gaps) / 1000, abs=0.002)


def test_no_person_anywhere(folders, model_path):
    inputs, out = folders
    make_video_without_person(inputs / "empty_room.mp4", 15)
    proc = analyze(inputs / "empty_room.mp4", out)
    line = one_line_error(proc.returncode, proc.stderr, EXIT_FAILED)
    assert (
        line == "backform: No person was found in empty_room.mp4; film the whole body side-on in good light."
    )
    assert listing(out) == []


def test_person_only_part_of_the_time_is_judged_there_and_the_gap_reported(folders, model_path):
    inputs, out = folders
    person = sample_frames("hinge_good.mp4", 0.5, 1.5, SMALL)
    video = write_clip(inputs / "late.mp4", empty_room(person[0], 30) + person)  # 1 s nobody, 1.5 s person
    report = succeeded(proc := analyze(video, out), out)
    assert warnings_of(proc.stderr) == [
        "Only part of the video shows a person: judged 1.5 of 2.5 s (nobody in view at 0.0-1.0 s)."
    ]
    assert report["no_person"] == [{"start_s": 0.0, "end_s": 1.0}]
    assert report["frames"] == 75 and report["frames_with_pose"] == 45


def test_two_people_one_is_followed_and_that_is_said(folders, model_path):
    inputs, out = folders
    frames = side_by_side(sample_frames("hinge_good.mp4", 0.5, 1.0), keep_w=320)
    video = write_clip(
        inputs / "two.mp4", [cv2.resize(f, SMALL, interpolation=cv2.INTER_AREA) for f in frames]
    )
    report = succeeded(proc := analyze(video, out), out)
    assert warnings_of(proc.stderr) == [
        "2 people were in view for 1.0 s: judged one of them (the largest when first seen) "
        "and ignored the other."
    ]
    assert report["several_people_s"] == pytest.approx(1.0, abs=0.05)
    assert report["view"]["ok"] is True and report["frames_with_pose"] == report["frames"]


def test_body_partly_out_of_frame_is_not_judged(folders, model_path):
    inputs, out = folders
    frames = sample_frames("hinge_good.mp4", 0.5, 1.0, SMALL)
    video = write_clip(inputs / "no_feet.mp4", [f[:150] for f in frames])  # cut off below the knees
    proc = analyze(video, out)
    line = one_line_error(proc.returncode, proc.stderr, EXIT_FAILED)
    assert line == (
        "backform: no_feet.mp4 cannot be judged: the whole body (head to feet) is never in the picture. "
        "Step back from the camera and record again."
    )
    assert listing(out) == []


def test_wrong_view_front_on_plank_says_turn_side_on(folders, model_path):
    inputs, out = folders
    frames = sample_frames("plank_front.mp4", 1.0, 2.0, SMALL)
    video = write_clip(inputs / "plank_front.mp4", frames)
    proc = analyze(video, out, exercise="plank")
    line = one_line_error(proc.returncode, proc.stderr, EXIT_FAILED)
    assert line == (
        "backform: plank_front.mp4 cannot be judged: the person is never side-on to the camera. "
        "Turn side-on (film from the side) and record again."
    )
    assert listing(out) == []


def test_ctrl_c_midway_keeps_a_valid_partial_report_and_no_temporary_files(folders, model_path):
    inputs, out = folders
    frames = sample_frames("hinge_good.mp4", 0.0, 6.0, SMALL)
    video = write_clip(inputs / "long.mp4", frames)
    # Default output names, in the working folder.
    proc = subprocess.Popen(
        backform_command("analyze", video, "-e", "hip-hinge"),
        cwd=out,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for_encoded_frames(proc, out, ".long_annotated.*")  # the loop is running
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=240)
    line = one_line_error(proc.returncode, stderr, EXIT_INTERRUPTED)
    assert line == "backform: stopped early; the report covers the frames analysed so far"
    assert listing(out) == [
        "long_annotated.mp4",
        "long_report.csv",
        "long_report.html",
        "long_report.json",
        "long_report.png",
    ]
    report = json.loads((out / "long_report.json").read_text())
    assert report["partial"] is True and 0 < report["frames"] < len(frames)
    assert report["duration_s"] == pytest.approx(report["frames"] / 30, abs=0.01)
    assert h264_frames(out / "long_annotated.mp4") == ("h264", report["frames"])
    with (out / "long_report.csv").open() as f:
        assert next(csv.reader(f))[:2] == ["kind", "index"]
    assert (out / "long_report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Frames with a person" in stdout


def test_ctrl_c_while_the_libraries_load_is_held_until_they_are_loaded():
    # NumPy's C import turns a KeyboardInterrupt into OpenCV's ImportError (with a traceback):
    # the CLI holds Ctrl+C over its imports and stops cleanly right after them.

    handler = signal.getsignal(signal.SIGINT)
    loaded = False
    with pytest.raises(KeyboardInterrupt), ctrl_c_held():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.01)  # the signal is delivered here, and only noted
        loaded = True
    assert loaded and signal.getsignal(signal.SIGINT) is handler
