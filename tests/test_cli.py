"""`backform analyze`: outputs, defaults and one-line errors.

The first part runs the CLI in-process with fake backends (no MediaPipe) to pin the wiring
and every error path; the end-to-end part at the bottom runs the real thing in a subprocess.
"""

from __future__ import annotations

import csv
import json
import signal
import subprocess
from pathlib import Path

import av
import pytest

from tests.cli_helpers import (
    N_FRAMES,
    SAMPLES,
    backform,
    backform_command,
    cli_env,
    h264_frames,
    make_video_without_frames,
    make_video_without_person,
    one_line_error,
    run_main,
    wait_for_encoded_frames,
)
from tests.feedback_fakes import fake_backends, hinge_schedule, write_fake_video

run = run_main


@pytest.fixture
def fake(monkeypatch):
    """Fake backends for the hinge track; a test may swap the schedule via the returned dict."""
    setup = {"trunk": hinge_schedule(2), "flags": lambda t: {}, "source_kw": {}}
    monkeypatch.setattr(
        "feedback.analysis.default_backends",
        lambda: fake_backends(setup["trunk"], setup["flags"], **setup["source_kw"]),
    )
    return setup


@pytest.fixture
def clip(tmp_path):
    path = tmp_path / "in" / "clip.mp4"
    path.parent.mkdir()
    write_fake_video(path, N_FRAMES)
    return path


def test_analyze_writes_all_outputs(fake, clip, tmp_path, capsys):
    fake["flags"] = lambda t: {"rounded_back": 1.6 <= t < 2.0}
    out = tmp_path / "out"
    code, stdout, err = run(
        ["analyze", clip, "--exercise", "hip-hinge", "--out", out / "a.mp4", "--report", out / "r.json"],
        capsys,
    )
    assert code == 0, err
    report = json.loads((out / "r.json").read_text())
    assert report["exercise"] == "hip-hinge" and report["video"] == str(clip)
    assert report["frames"] == N_FRAMES and report["frames_with_pose"] == N_FRAMES
    assert report["rep_count"] == 2 and [r["index"] for r in report["reps"]] == [1, 2]
    assert report["reps"][0]["faults"] == ["rounded_back"] and report["reps"][1]["faults"] == []
    [fault] = report["faults"]
    assert fault["code"] == "rounded_back" and fault["message"] == "Keep your back flat"
    assert fault["start_s"] == pytest.approx(1.6, abs=0.034) and fault["end_s"] == pytest.approx(
        2.0, abs=0.034
    )
    assert report["view"] == {"side": "left", "ok": True, "ok_fraction": 1.0, "problems_s": {}}
    assert report["partial"] is False
    rows = list(csv.DictReader((out / "r.csv").open()))
    assert [(r["kind"], int(r["index"])) for r in rows] == [("rep", 1), ("rep", 2)]
    assert (out / "r.png").read_bytes()[:4] == b"\x89PNG"
    assert h264_frames(out / "a.mp4") == ("h264", N_FRAMES)
    assert "Reps" in stdout and "rounded back" in stdout and err == ""


def video_size(path):
    with av.open(str(path)) as c:
        ctx = c.streams.video[0].codec_context
        return ctx.width, ctx.height


@pytest.mark.parametrize(
    ("source", "args", "expected"),
    [
        ((1920, 1080), [], (1280, 720)),  # at most 720 px tall by default
        ((640, 480), [], (640, 480)),  # never scaled up
        ((1280, 720), ["--video-height", "360"], (640, 360)),
        ((1920, 1080), ["--video-height", "0"], (1920, 1080)),  # 0: the source's size
    ],
)
def test_annotated_video_height(fake, clip, tmp_path, capsys, source, args, expected):
    fake["source_kw"] = {"size": source}
    out = tmp_path / "out"
    cmd = ["analyze", clip, "-e", "hip-hinge", "--out", out / "a.mp4", "--report", out / "r.json", *args]
    code, _, err = run(cmd, capsys)
    assert code == 0, err
    assert video_size(out / "a.mp4") == expected
    assert h264_frames(out / "a.mp4") == ("h264", N_FRAMES)
    report = json.loads((out / "r.json").read_text())
    asked = int(args[-1]) if args else 720
    assert report["processing"]["video_height"] == (asked or None)


def test_default_output_names_in_working_directory(fake, clip, tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, _, err = run(["analyze", clip, "-e", "hip-hinge"], capsys)
    assert code == 0, err
    assert sorted(p.name for p in work.iterdir()) == [
        "clip_annotated.mp4",
        "clip_report.csv",
        "clip_report.html",
        "clip_report.json",
        "clip_report.png",
    ]
    assert sorted(p.name for p in clip.parent.iterdir()) == ["clip.mp4"]  # nothing beside the input


def test_csv_and_plot_default_next_to_report_and_no_video(fake, clip, tmp_path, capsys):
    code, _, err = run(
        ["analyze", clip, "-e", "hip-hinge", "--report", tmp_path / "r" / "hinge.json", "--no-video"], capsys
    )
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == [
        "hinge.csv",
        "hinge.html",
        "hinge.json",
        "hinge.png",
    ]
    assert not list(tmp_path.glob("**/*.mp4"))[1:]  # only the input clip


def test_html_page_named_or_left_out(fake, clip, tmp_path, capsys):
    args = ["analyze", clip, "-e", "hip-hinge", "--no-video", "--report", tmp_path / "a" / "r.json"]
    code, stdout, err = run([*args, "--html", tmp_path / "b" / "page.html"], capsys)
    assert code == 0, err
    assert (tmp_path / "b" / "page.html").read_text().startswith("<!DOCTYPE html>")
    # The path on one line, however long (the xdist run's longer tmp path was wrapped at its dot).
    assert f"  html: {tmp_path / 'b' / 'page.html'}\n" in stdout
    assert not (tmp_path / "a" / "r.html").exists()
    code, stdout, err = run([*args, "--no-html"], capsys)
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["r.csv", "r.json", "r.png"]
    assert "html:" not in stdout


def test_explicit_csv_and_plot_paths(fake, clip, tmp_path, capsys):
    args = ["analyze", clip, "-e", "hip-hinge", "--no-video", "--report", tmp_path / "r.json"]
    code, _, err = run([*args, "--csv", tmp_path / "x" / "reps.csv", "--plot", tmp_path / "y.png"], capsys)
    assert code == 0, err
    assert (tmp_path / "x" / "reps.csv").is_file() and (tmp_path / "y.png").is_file()
    assert not (tmp_path / "r.csv").exists()


@pytest.mark.parametrize(
    "case,expected",
    [
        ("missing", "not found"),
        ("not_video", "not a video"),
        ("unknown_exercise", "Unknown exercise"),
        ("unwritable", "Cannot create the output folder"),
        ("overwrite_input", "overwrite the input"),
        ("same_outputs", "distinct names"),
        ("video_suffix", "must end in .mp4"),
    ],
)
def test_bad_input_is_one_line_no_traceback(case, expected, fake, clip, tmp_path, capsys):
    exercise, video, extra = "hip-hinge", clip, []
    if case == "missing":
        video = tmp_path / "nope.mp4"
    elif case == "not_video":
        video = tmp_path / "notes.mp4"
        video.write_text("just some text\n")
    elif case == "unknown_exercise":
        exercise = "squat"
    elif case == "unwritable":
        blocker = tmp_path / "blocker"
        blocker.write_text("a file, not a folder")
        extra = ["--report", blocker / "r.json"]
    elif case == "overwrite_input":
        extra = ["--out", clip]
    elif case == "same_outputs":
        extra = ["--report", tmp_path / "r.json", "--csv", tmp_path / "r.json"]
    elif case == "video_suffix":
        extra = ["--out", tmp_path / "annotated.avi"]
    code, _, err = run(
        ["analyze", video, "--exercise", exercise, "--no-video", *extra]
        if case == "same_outputs"
        else ["analyze", video, "--exercise", exercise, *extra],
        capsys,
    )
    line = one_line_error(code, err, 2 if case == "unknown_exercise" else 1)
    assert expected in line
    assert clip.read_bytes().startswith(b"FAKEVIDEO")  # the input is never touched


def test_no_person_in_whole_clip_is_an_error_and_leaves_no_video(fake, clip, tmp_path, capsys):
    fake["trunk"] = lambda t: None
    (tmp_path / "old.mp4").write_bytes(b"an older result")
    code, _, err = run(
        ["analyze", clip, "-e", "hip-hinge", "-o", tmp_path / "old.mp4", "-r", tmp_path / "r.json"], capsys
    )
    assert "No person" in one_line_error(code, err)
    assert (tmp_path / "old.mp4").read_bytes() == b"an older result"  # not replaced by a video of nobody
    code, _, err = run(
        ["analyze", clip, "-e", "hip-hinge", "-o", tmp_path / "a.mp4", "-r", tmp_path / "r.json"], capsys
    )
    assert "No person" in one_line_error(code, err)
    assert not (tmp_path / "a.mp4").exists() and not (tmp_path / "r.json").exists()


def test_empty_video_is_an_error(fake, tmp_path, capsys):
    empty = tmp_path / "empty.mp4"
    write_fake_video(empty, 0)
    code, _, err = run(["analyze", empty, "-e", "hip-hinge", "-r", tmp_path / "r.json"], capsys)
    assert "no video frames" in one_line_error(code, err)


def test_ctrl_c_keeps_a_valid_partial_report(fake, clip, tmp_path, capsys):
    fake["source_kw"] = {"interrupt_at": 100}
    code, _, err = run(
        ["analyze", clip, "-e", "hip-hinge", "-o", tmp_path / "a.mp4", "-r", tmp_path / "r.json"], capsys
    )
    assert code == 130
    assert "stopped early" in one_line_error(code, err)
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["partial"] is True and report["frames"] == 100 and report["rep_count"] == 1
    assert h264_frames(tmp_path / "a.mp4") == ("h264", 100)


def test_help_lists_analyze(capsys):
    code, stdout, _ = run(["--help"], capsys)
    assert code == 0 and "analyze" in stdout


@pytest.mark.parametrize("command", [[], ["analyze"], ["live"]])
def test_help_lists_the_exercises_the_registry_offers(command, capsys, monkeypatch):
    from exercises.registry import EXERCISES

    monkeypatch.setenv("COLUMNS", "80")
    code, stdout, _ = run([*command, "--help"], capsys)
    assert code == 0
    assert ", ".join(EXERCISES) in " ".join(stdout.split())  # however the help wraps
    descriptions = [line for line in stdout.splitlines() if not line.startswith("Usage:")]
    assert not any(line.rstrip().endswith("...") for line in descriptions)  # none cut short
    assert max(map(len, stdout.splitlines())) <= 80


def test_version(capsys):
    from importlib.metadata import version

    code, stdout, err = run(["--version"], capsys)
    assert code == 0 and err == ""
    assert stdout.strip() == f"backform {version('backform')}"


@pytest.mark.parametrize(
    "name", ["clip.mp4", "a_very_long_video_name_straight_off_a_phone_20260101_123456.mp4"]
)
@pytest.mark.parametrize("width", [80, 120])
def test_progress_line_fits_the_terminal(name, width):
    import io
    import re
    from types import SimpleNamespace

    from rich.console import Console

    from feedback.progress import rich_progress

    screen = io.StringIO()
    console = Console(file=screen, width=width, force_terminal=True, color_system=None)
    sink = rich_progress(console)(SimpleNamespace(path=Path(name), frame_count=30))
    for i in range(40):  # more frames than the container claimed
        sink.consume(SimpleNamespace(t_ms=i * 33.3), None)
    sink.close()
    lines = [line for line in re.split(r"\r|\n|\x1b\[[0-9;?]*[A-Za-z]", screen.getvalue()) if line.strip()]
    assert lines and max(map(len, lines)) < width, lines
    assert all(line.startswith("Analysing ") and "ETA" in line for line in lines)
    assert "40/40" in lines[-1]
    assert (name in lines[-1]) == (width == 120 or len(name) < 30)  # else shortened, not wrapped


# -- end to end: the real model on a real clip, in a subprocess as a user runs it -------------------
HINGE_CLIP = SAMPLES / "hinge_good.mp4"


def test_end_to_end_real_clip(tmp_path, model_path):
    labels = json.loads(HINGE_CLIP.with_suffix("").with_suffix(".labels.json").read_text())
    proc = backform(
        "analyze",
        HINGE_CLIP,
        "--exercise",
        "hip-hinge",
        "--out",
        "hinge_annotated.mp4",
        "--report",
        "hinge.json",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    report = json.loads((tmp_path / "hinge.json").read_text())
    assert report["exercise"] == "hip-hinge" and report["video"] == str(HINGE_CLIP)
    assert report["frames"] == labels["frames"]
    assert report["frames_with_pose"] >= 0.95 * labels["frames"]
    assert report["duration_s"] == pytest.approx(labels["duration_s"], abs=0.1)
    assert report["rep_count"] == labels["expected"]["rep_count"] == len(report["reps"])
    assert report["view"]["side"] == labels["expected"]["near_side"] and report["view"]["ok"] is True
    for rep in report["reps"]:
        assert 0 <= rep["start_s"] < rep["end_s"] <= report["duration_s"]
        assert set(rep) >= {"index", "start_s", "end_s", "faults", "metrics"}
    assert isinstance(report["faults"], list) and report["partial"] is False
    rows = list(csv.DictReader((tmp_path / "hinge.csv").open()))
    assert [int(r["index"]) for r in rows if r["kind"] == "rep"] == [r["index"] for r in report["reps"]]
    assert (tmp_path / "hinge.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert h264_frames(tmp_path / "hinge_annotated.mp4") == ("h264", labels["frames"])
    with av.open(str(tmp_path / "hinge_annotated.mp4")) as c:
        s = c.streams.video[0]
        assert (s.codec_context.width, s.codec_context.height) == (labels["width"], labels["height"])
        assert s.codec_context.pix_fmt == "yuv420p"
    assert "Reps" in proc.stdout


@pytest.mark.parametrize(
    "case,expected",
    [
        ("missing", "not found"),
        ("not_video", "not a video"),
        ("empty_file", "empty"),
        ("no_frames", "contains no"),
        ("unknown_exercise", "Unknown exercise"),
        ("unwritable", "output folder"),
        ("overwrite_input", "overwrite the input"),
        ("bad_thresholds", "unknown section"),
        ("missing_model", "model"),
    ],
)
def test_end_to_end_bad_input_one_line(case, expected, tmp_path):
    video = tmp_path / "clip.mp4"
    exercise, extra = "hip-hinge", ["--report", tmp_path / "r.json"]
    if case == "missing":
        video = tmp_path / "nope.mp4"
    elif case == "not_video":
        video.write_text("this is a text file, not a video\n")
    elif case == "empty_file":
        video.write_bytes(b"")
    elif case == "no_frames":
        make_video_without_frames(video)
    else:
        make_video_without_person(video, 3)
    if case == "unknown_exercise":
        exercise = "squat"
    elif case == "unwritable":
        blocker = tmp_path / "blocker"
        blocker.write_text("a file where a folder should be")
        extra = ["--out", blocker / "out.mp4"]
    elif case == "overwrite_input":
        extra = ["--out", video]
    elif case == "bad_thresholds":
        (tmp_path / "th.toml").write_text("[squat]\nmax_depth = 3\n")
        extra += ["--thresholds", tmp_path / "th.toml"]
    elif case == "missing_model":
        extra += ["--model", tmp_path / "no_such_model.task"]
    before = video.read_bytes() if video.exists() else None
    proc = backform("analyze", video, "--exercise", exercise, *extra, cwd=tmp_path, timeout=120)
    line = one_line_error(proc.returncode, proc.stderr)
    assert expected in line, line
    assert not (tmp_path / "r.json").exists()
    if before is not None:
        assert video.read_bytes() == before


def test_end_to_end_no_person_anywhere(tmp_path, model_path):
    video = tmp_path / "empty_room.mp4"
    make_video_without_person(video, 20)
    proc = backform("analyze", video, "-e", "plank", "-o", "a.mp4", "-r", "r.json", cwd=tmp_path, timeout=300)
    assert "No person" in one_line_error(proc.returncode, proc.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty_room.mp4"]


def test_end_to_end_ctrl_c_keeps_partial_report_and_max_size(tmp_path, model_path):
    """SIGINT mid-run: exit 130, a valid report marked partial, a playable video of the frames so far."""
    total = json.loads(HINGE_CLIP.with_suffix("").with_suffix(".labels.json").read_text())["frames"]
    args = ["analyze", HINGE_CLIP, "-e", "hip-hinge", "-o", "a.mp4", "-r", "r.json", "--max-size", "320"]
    proc = subprocess.Popen(
        backform_command(*args),
        cwd=tmp_path,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Once the video holds encoded frames the loop is running, with most of the clip still to go.
    wait_for_encoded_frames(proc, tmp_path, ".a.*.tmp.mp4")
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130, stderr
    assert "stopped early" in one_line_error(proc.returncode, stderr)
    assert "Frames with a person" in stdout  # the summary of what was analysed
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["partial"] is True
    assert 0 < report["frames"] < total
    assert report["duration_s"] == pytest.approx(report["frames"] / 30, abs=0.05)
    assert report["processing"]["max_size"] == 320
    with av.open(str(tmp_path / "a.mp4")) as c:
        s = c.streams.video[0]
        assert (s.codec_context.width, s.codec_context.height) == (320, 240)
        assert sum(1 for _ in c.decode(s)) == report["frames"]
    assert not list(tmp_path.glob(".*.tmp*"))  # no temporary files left behind


@pytest.mark.parametrize(
    ("extra", "counters"),
    [([], {"Reps 0", "Reps 2"}), (["--target-reps", "5"], {"Reps 0 / 5", "Reps 2 / 5"})],
)
def test_analyze_shows_a_target_only_when_one_was_given(
    fake, clip, tmp_path, capsys, monkeypatch, extra, counters
):
    from feedback.overlay import StatusPanel

    seen: set[str] = set()
    place = StatusPanel.place
    monkeypatch.setattr(
        StatusPanel,
        "place",
        lambda self, shape, info, *a: seen.add(info.counter) or place(self, shape, info, *a),
    )
    code, stdout, err = run(
        ["analyze", clip, "-e", "hip-hinge", "--report", tmp_path / "r.json", *extra], capsys
    )
    assert code == 0, err
    assert counters <= seen and all(c.startswith(("Reps 0", "Reps 1", "Reps 2")) for c in seen)
    assert ("/" in "".join(seen)) == bool(extra)
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["target_reps"] == (5 if extra else None) and report["target_hold_s"] is None
    assert ("2 of 5" in stdout) == bool(extra)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--target-hold", "30"], "hip-hinge counts reps: use --target-reps N."),
        (["--target-reps", "0"], "--target-reps must be at least 1."),
    ],
)
def test_analyze_rejects_a_target_that_does_not_fit(fake, clip, tmp_path, capsys, extra, message):
    code, _, err = run(["analyze", clip, "-e", "hip-hinge", "--report", tmp_path / "r.json", *extra], capsys)
    assert one_line_error(code, err, 2) == f"backform: {message}"
    assert not (tmp_path / "r.json").exists()
