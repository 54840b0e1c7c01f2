"""Outputs that cannot or must not be written: odd paths, names too long, a full disk.

Every case is one `backform: ...` line and the right exit code, and the output set is all or
nothing: either every new file or none, older files of those names untouched, no temporary
files. Most tests run the CLI in-process with fake backends (tests/feedback_fakes.py, no
MediaPipe); the ones that need a real process (a read-only home, a real full disk) run
`backform` as a user does.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from exercises.registry import thresholds_for
from feedback.atomic import OutputSet, name_max
from feedback.live import LiveOptions, run_live
from tests.cli_helpers import (
    N_FRAMES,
    backform,
    cli_env,
    h264_frames,
    make_video_without_person,
    one_line_error,
    run_main,
)
from tests.feedback_fakes import fake_backends, hinge_schedule, write_fake_video
from tests.odd_clips import sample_frames, write_clip
from vision.errors import ConfigError, OutputError

OUTPUTS = {"video": "a.mp4", "report": "r.json", "csv": "r.csv", "plot": "r.png", "html": "r.html"}


run = run_main


@pytest.fixture
def fake(monkeypatch):
    # Small frames: the video is then smaller than the plot, so a write can fail after the video.
    backends = fake_backends(hinge_schedule(2), size=(64, 48))
    monkeypatch.setattr("feedback.analysis.default_backends", lambda: backends)
    # x264's fastest preset (the default for speed) spends ~6x more bytes on such tiny frames
    # than on real ones; a slower preset keeps this video small as the tests need.
    monkeypatch.setattr("feedback.analysis.ANNOTATED_PRESET", "veryfast")


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    path = tmp_path / "in" / "clip.mp4"
    path.parent.mkdir()
    write_fake_video(path, N_FRAMES)
    return path


def all_outputs(out: Path) -> list[str]:
    return ["--out", out / OUTPUTS["video"], "--report", out / OUTPUTS["report"]]


def listing(folder: Path) -> list[str]:
    """Every name in the folder, hidden temporary files included."""
    return sorted(p.name for p in folder.iterdir())


def _node(path: Path, kind: str) -> None:
    if kind == "fifo":
        os.mkfifo(path)
        return
    try:  # a copy of /dev/full: writing to it fails, replacing it would be just as wrong
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    except PermissionError:
        pytest.skip("making a character device needs root")


# -- 1. outputs are regular files or new names; inputs are never outputs ---------------------------
@pytest.mark.parametrize("kind", ["fifo", "chardev"])
@pytest.mark.parametrize("option", ["--report", "--out", "--csv", "--plot", "--html"])
def test_output_that_is_a_device_or_fifo_is_refused_and_left_untouched(
    option, kind, fake, clip, tmp_path, capsys
):
    out = tmp_path / "out"
    out.mkdir()
    node = out / f"node{Path(OUTPUTS[option.removeprefix('--').replace('out', 'video')]).suffix}"
    _node(node, kind)
    before = os.lstat(node)
    args = ["analyze", clip, "-e", "hip-hinge", *all_outputs(out), option, node]
    code, _, err = run(args, capsys)
    line = one_line_error(code, err, 1)
    what = "a named pipe (FIFO)" if kind == "fifo" else "a character device"
    assert line == f"backform: Output {node} is {what}, not a regular file; give a file name."
    after = os.lstat(node)
    assert (after.st_ino, stat.S_IFMT(after.st_mode)) == (before.st_ino, stat.S_IFMT(before.st_mode))
    assert listing(out) == [node.name]  # and nothing else was written


@pytest.mark.parametrize(
    ("option", "what"),
    [("--plot", "pose model"), ("--csv", "thresholds file"), ("--report", "pose model from BACKFORM_MODEL")],
)
def test_output_naming_the_model_or_thresholds_file_is_refused(
    option, what, fake, clip, tmp_path, capsys, monkeypatch
):
    model = tmp_path / "pose.task"
    model.write_bytes(b"a pose model")
    thresholds = tmp_path / "th.toml"
    thresholds.write_text("[hip-hinge]\n")
    extra = ["--thresholds", thresholds]
    if what == "pose model from BACKFORM_MODEL":
        monkeypatch.setenv("BACKFORM_MODEL", str(model))
    else:
        extra += ["--model", model]
    target = thresholds if what == "thresholds file" else model
    code, _, err = run(["analyze", clip, "-e", "hip-hinge", "--no-video", *extra, option, target], capsys)
    line = one_line_error(code, err, 1)
    kind = what.removesuffix(" from BACKFORM_MODEL")
    assert line == f"backform: Output {target} would overwrite the {kind}; choose another name."
    assert model.read_bytes() == b"a pose model" and thresholds.read_text() == "[hip-hinge]\n"


# -- 6. names: too long, the longest legal one, a folder ------------------------------------------
def test_name_over_the_file_system_limit_is_one_line(fake, clip, tmp_path, capsys):
    limit = name_max(tmp_path)
    long_name = "r" * (limit - 4) + ".json"  # one byte over
    code, _, err = run(["analyze", clip, "-e", "hip-hinge", "--report", tmp_path / long_name], capsys)
    line = one_line_error(code, err, 1)
    assert line.endswith(f"the name is {limit + 1} bytes long; the file system allows {limit}.")
    assert len(line) < 200  # the name is shortened for the message
    assert listing(tmp_path) == ["in"]


def test_longest_legal_names_are_written(fake, clip, tmp_path, capsys):
    limit = name_max(tmp_path)
    report = "r" * (limit - 5) + ".json"  # exactly at the limit
    video = "v" * (limit - 4) + ".mp4"
    code, _, err = run(
        ["analyze", clip, "-e", "hip-hinge", "--report", tmp_path / report, "--out", tmp_path / video], capsys
    )
    assert code == 0, err
    assert json.loads((tmp_path / report).read_text())["frames"] == N_FRAMES
    assert h264_frames(tmp_path / video) == ("h264", N_FRAMES)
    stem = report.removesuffix(".json")
    assert listing(tmp_path) == sorted(["in", report, video, f"{stem}.csv", f"{stem}.png", f"{stem}.html"])


@pytest.mark.parametrize("name", [".", "..", "/"])
def test_report_naming_a_folder_is_one_line(name, fake, clip, tmp_path, capsys, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, _, err = run(["analyze", clip, "-e", "hip-hinge", "--report", name], capsys)
    line = one_line_error(code, err, 1)
    assert line == f"backform: Output {name} is a folder; give a file name."
    assert listing(work) == []


@pytest.mark.parametrize("nesting", ["arrays", "inline-tables"])
def test_thresholds_nested_thousands_deep_is_one_line(nesting, tmp_path):
    depth = 5000
    value = "[" * depth + "]" * depth if nesting == "arrays" else "{a = " * depth + "1" + "}" * depth
    (tmp_path / "deep.toml").write_text(f"[hip-hinge]\ntarget_deg = {value}\n")
    make_video_without_person(tmp_path / "clip.mp4", 3)
    args = ["analyze", "clip.mp4", "-e", "hip-hinge", "--thresholds", "deep.toml", "-r", "r.json"]
    proc = backform(*args, cwd=tmp_path, timeout=120)
    line = one_line_error(proc.returncode, proc.stderr, 2)
    assert line == "backform: deep.toml nests arrays or tables too deeply to be a thresholds file"
    assert not (tmp_path / "r.json").exists()


def test_a_deep_but_parsable_value_is_described_briefly(tmp_path):
    (tmp_path / "th.toml").write_text("[hip-hinge]\ntarget_deg = " + "[" * 200 + "]" * 200 + "\n")
    with pytest.raises(ConfigError) as err:
        thresholds_for("hip-hinge", tmp_path / "th.toml")
    message = str(err.value)
    assert message.startswith("th.toml: [hip-hinge] target_deg must be a number, got [[[")
    assert message.endswith("(list)") and len(message) < 100


# -- 2. a full disk: nothing half-done, older files untouched --------------------------------------
def _sizes(folder: Path) -> dict[str, int]:
    return {kind: (folder / name).stat().st_size for kind, name in OUTPUTS.items()}


@pytest.fixture
def output_sizes(fake, clip, tmp_path, capsys) -> dict[str, int]:
    """Sizes of the five outputs of a normal run of the clip."""
    import matplotlib.font_manager  # noqa: F401  (its cache is written before any limit is set)

    done = tmp_path / "done"
    code, _, err = run(["analyze", clip, "-e", "hip-hinge", *all_outputs(done)], capsys)
    assert code == 0, err
    sizes = _sizes(done)
    assert sizes["video"] < sizes["plot"], sizes
    return sizes


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_FSIZE and EFBIG as on Linux")
@pytest.mark.parametrize(
    ("video", "failing"),
    [(True, kind) for kind in OUTPUTS] + [(False, kind) for kind in ("report", "csv", "plot", "html")],
    ids=lambda v: {True: "with-video", False: "no-video"}.get(v, v) if isinstance(v, bool) else v,
)
def test_a_write_failing_midway_leaves_the_previous_outputs(
    video, failing, output_sizes, clip, tmp_path, capsys
):
    # A file-size limit fails every write past it, as a full disk would (with EFBIG, not
    # ENOSPC); just below one output's size, that output and every larger one fail.
    out = tmp_path / "out"
    out.mkdir()
    for name in OUTPUTS.values():
        (out / name).write_text(f"the previous {name}")
    limit = output_sizes[failing] - 1
    args = ["analyze", clip, "-e", "hip-hinge", *all_outputs(out)] + ([] if video else ["--no-video"])
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        code, _, err = run(args, capsys)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    line = one_line_error(code, err, 1)
    assert os.strerror(errno.EFBIG) in line, line
    assert listing(out) == sorted(OUTPUTS.values())  # no temporary file left
    for name in OUTPUTS.values():
        assert (out / name).read_text() == f"the previous {name}"


@pytest.fixture
def tiny_disk(tmp_path):
    """Mount a small tmpfs (root only); yields a function mount(size_bytes) -> folder."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small file system needs root")
    mounted: list[Path] = []

    def mount(size: int) -> Path:
        folder = tmp_path / f"disk{len(mounted)}"
        folder.mkdir()
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)])
        if proc.returncode != 0:
            pytest.skip("cannot mount a tmpfs here")
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", str(folder)], check=True)


@pytest.mark.parametrize("video", [True, False], ids=["with-video", "no-video"])
def test_full_disk_end_to_end_is_one_line_and_writes_nothing(video, tiny_disk, tmp_path, model_path):
    clip = write_clip(tmp_path / "hinge.mp4", sample_frames("hinge_good.mp4", 0.5, 1.0, (320, 240)))
    no_video = [] if video else ["--no-video"]
    roomy = tmp_path / "roomy"
    proc = backform(
        "analyze",
        clip,
        "-e",
        "hip-hinge",
        "-o",
        roomy / "a.mp4",
        "-r",
        roomy / "r.json",
        *no_video,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    page = os.sysconf("SC_PAGE_SIZE")
    pages = sum(-(-f.stat().st_size // page) for f in roomy.iterdir())
    # Room for all but the last page or so: the plot (written last, many pages) cannot fit.
    disk = tiny_disk((pages - 2) * page)
    proc = backform(
        "analyze",
        clip,
        "-e",
        "hip-hinge",
        "-o",
        disk / "a.mp4",
        "-r",
        disk / "r.json",
        *no_video,
        cwd=tmp_path,
    )
    line = one_line_error(proc.returncode, proc.stderr, 1)
    assert os.strerror(errno.ENOSPC) in line, line
    assert listing(disk) == []


def test_output_set_puts_the_previous_files_back_if_a_rename_fails(tmp_path, monkeypatch):
    (tmp_path / "a.json").write_text("old a")
    renames: list[str] = []
    real_replace = os.replace

    def replace(src, dst):
        renames.append(Path(dst).name)
        if Path(dst).name == "b.csv":
            raise OSError(errno.EIO, "Input/output error")
        real_replace(src, dst)

    with OutputSet() as files:
        for name in ("a.json", "b.csv"):
            with files.open(tmp_path / name) as f:
                f.write(f"new {name}")
        monkeypatch.setattr(os, "replace", replace)
        with pytest.raises(OutputError, match=r"Cannot write .*b\.csv: Input/output error"):
            files.commit()
    assert renames[:2] == ["a.json", "b.csv"]
    assert listing(tmp_path) == ["a.json"]  # b.csv never appeared; no temporary or backup file
    assert (tmp_path / "a.json").read_text() == "old a"


# -- 10. live checks what it will write before the camera opens -----------------------------------
def _live(tmp_path: Path, opened: list[str], **kw):
    def camera():
        opened.append("camera")
        raise AssertionError("the camera must not open")

    return run_live(
        LiveOptions("hip-hinge", show_window=False, **kw),
        backends=fake_backends(hinge_schedule(1)),
        speech=None,
        source_factory=camera,
        say=lambda line: None,
        estimator_warmup=False,
    )


def test_live_checks_the_session_folder_before_the_camera_opens(tmp_path):
    (tmp_path / "blocker").write_text("a file where the sessions folder should be")
    opened: list[str] = []
    with pytest.raises(OutputError) as err:
        _live(tmp_path, opened, sessions_dir=tmp_path / "blocker" / "sessions")
    assert str(err.value) == (
        f"Cannot create the session folder {tmp_path / 'blocker' / 'sessions'}: "
        f"{tmp_path / 'blocker'} is not a folder."
    )
    assert opened == []
    assert listing(tmp_path) == ["blocker"]


@pytest.mark.skipif(os.geteuid() != 0, reason="as root, only a read-only file system stops a write")
def test_live_checks_an_unwritable_session_folder_before_the_camera_opens(tmp_path):
    opened: list[str] = []
    with pytest.raises(OutputError, match=r"Cannot create the session folder /sys/backform: .+\.$"):
        _live(tmp_path, opened, sessions_dir=Path("/sys/backform"))
    assert opened == []


@pytest.mark.parametrize("record", ["fifo", "thresholds"])
def test_live_refuses_a_recording_over_a_fifo_or_an_input(record, tmp_path):
    thresholds = tmp_path / "th.toml"
    thresholds.write_text("[hip-hinge]\n")
    target = thresholds if record == "thresholds" else tmp_path / "pipe"
    if record == "fifo":
        os.mkfifo(target)
    opened: list[str] = []
    with pytest.raises(OutputError, match=r"not a regular file|would overwrite the thresholds file"):
        _live(tmp_path, opened, record=target, thresholds=thresholds, sessions_dir=tmp_path / "s")
    assert opened == []
    assert thresholds.read_text() == "[hip-hinge]\n"


# -- 11. a read-only home: stderr keeps to backform's own lines -------------------------------------
def test_read_only_home_keeps_matplotlib_quiet(tmp_path, model_path):
    clip = write_clip(tmp_path / "hinge.mp4", sample_frames("hinge_good.mp4", 0.5, 1.0, (320, 240)))
    if os.geteuid() == 0:
        home = Path("/sys")  # root may write anywhere else
    else:
        home = tmp_path / "home"
        home.mkdir(mode=0o555)
    env = cli_env(HOME=str(home))
    for name in ("MPLCONFIGDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        env.pop(name, None)
    proc = subprocess.run(
        [sys.executable, "-m", "feedback.cli", "analyze", clip, "-e", "hip-hinge", "-r", "r.json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    # Only backform's own lines (a clip this short may say why nothing was counted).
    assert all(line.startswith("backform: ") for line in proc.stderr.splitlines()), proc.stderr
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"
