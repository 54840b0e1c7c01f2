"""Health video never leaves the machine, and nothing of the camera is kept unless asked for.

- `backform analyze` and `backform live`, run as a first-time user with the model already in
  the user cache, open no internet socket and send no DNS query: every socket call of the
  process tree is traced with strace (Linux) and none may be AF_INET/AF_INET6. MediaPipe
  0.10.30 and later look up play.googleapis.com while they run (usage telemetry, upstream
  issue #6291), which is why the install pins 0.10.21 wherever it exists (Python < 3.13).
- A live session saves numbers (JSON, CSV) and a plot drawn from them; camera pictures only
  with --record, and only at the path given.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.cli_helpers import REPO, backform_command, cli_env
from tests.odd_clips import sample_frames, write_clip

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="strace is Linux-only")
TRACED_CALLS = "socket,connect,sendto,sendmsg,sendmmsg"  # glibc's resolver sends with sendmmsg
MEDIA_MAGIC = {
    b"\x89PNG": "png",
    b"\xff\xd8\xff": "jpeg",
    b"GIF8": "gif",
    b"BM": "bmp",
    b"RIFF": "avi/webp",
    b"\x1a\x45\xdf\xa3": "mkv/webm",
}


def strace() -> str:
    exe = shutil.which("strace")
    if exe is None:
        pytest.fail("strace is not installed: `apt-get install strace` (the privacy tests need it)")
    return exe


def traced(cmd: list[str], trace: Path, **kw) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run `cmd` under strace, following every child process; (result, traced socket calls)."""
    strace_cmd = [strace(), "-f", "-qq", "-e", f"trace={TRACED_CALLS}", "-e", "signal=none", "-o", str(trace)]
    proc = subprocess.run([*strace_cmd, "--", *cmd], capture_output=True, text=True, timeout=600, **kw)
    return proc, trace.read_text().splitlines()


def internet_calls(lines: list[str]) -> list[str]:
    """Socket calls that could reach beyond the machine: IPv4/IPv6 sockets and DNS (port 53)."""
    return [line for line in lines if "AF_INET" in line or "htons(53)" in line]


def first_time_user(home: Path, model_path: Path, **extra: str) -> dict[str, str]:
    """Environment of a user with an empty home whose pose model sits in the user cache.

    No BACKFORM_MODEL (the model is found where a normal install keeps it) and no
    BACKFORM_OFFLINE (which would hide a download attempt instead of revealing it).
    """
    env = cli_env(HOME=str(home), **extra)
    names = ("BACKFORM_MODEL", "BACKFORM_OFFLINE", "BACKFORM_DATA_DIR", "XDG_CACHE_HOME", "XDG_DATA_HOME")
    for name in (*names, "MPLCONFIGDIR"):
        env.pop(name, None)
    cache = home / ".cache" / "backform" / "models"
    cache.mkdir(parents=True)
    (cache / "pose_landmarker_full.task").symlink_to(model_path.resolve())
    return env


def media_files(root: Path) -> dict[Path, str]:
    """Every picture or video file under `root`, found by content (MP4/MOV 'ftyp' or a magic number)."""
    found = {}
    for path in root.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        with path.open("rb") as f:
            head = f.read(12)
        if head[4:8] == b"ftyp":
            found[path] = "mp4/mov"
        for magic, kind in MEDIA_MAGIC.items():
            if head.startswith(magic):
                found[path] = kind
    return found


def is_matplotlib_plot(path: Path) -> bool:
    return b"Software\x00Matplotlib" in path.read_bytes()[:4096]


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    """1.5 s of the hip-hinge sample at 320x240: a person, so the pose model really runs."""
    frames = sample_frames("hinge_good.mp4", 0.5, 1.5, (320, 240))
    (tmp_path / "work").mkdir()
    return write_clip(tmp_path / "work" / "hinge.mp4", frames)


@linux_only
def test_strace_sees_internet_sockets_of_child_processes(tmp_path: Path):
    # The control: a UDP connect to loopback (no packet is sent) in a grandchild process.
    code = "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(('127.0.0.1', 9))"
    spawn = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {code!r}], check=True)"
    proc, lines = traced([sys.executable, "-c", spawn], tmp_path / "trace.txt")
    assert proc.returncode == 0, proc.stderr
    assert any(
        "connect(" in line and "AF_INET" in line and "127.0.0.1" in line for line in internet_calls(lines)
    )


@linux_only
def test_analyze_makes_no_network_connection(tmp_path: Path, clip: Path, model_path: Path):
    env = first_time_user(tmp_path / "home", model_path)
    proc, lines = traced(
        backform_command("analyze", clip, "-e", "hip-hinge"), tmp_path / "trace.txt", cwd=clip.parent, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert not (calls := internet_calls(lines)), "\n".join(calls)
    # The run really happened (model loaded from the user cache, all four outputs written).
    outputs = sorted(p.name for p in clip.parent.iterdir())
    assert outputs == [
        "hinge.mp4",
        "hinge_annotated.mp4",
        "hinge_report.csv",
        "hinge_report.html",
        "hinge_report.json",
        "hinge_report.png",
    ]
    assert media_files(tmp_path / "home") == {}  # caches (fonts, ...) hold no pictures


@linux_only
def test_live_session_keeps_numbers_not_pictures_and_sends_nothing(
    tmp_path: Path, clip: Path, model_path: Path, x_display: str
):
    env = first_time_user(tmp_path / "home", model_path, DISPLAY=x_display)
    # Voice on (the default): the speech engine and the sound system are traced too.
    cmd = backform_command("live", "-e", "hip-hinge", "--camera", clip)
    proc, lines = traced(cmd, tmp_path / "trace.txt", cwd=clip.parent, env=env)
    assert proc.returncode == 0, proc.stderr
    assert not (calls := internet_calls(lines)), "\n".join(calls)
    data = tmp_path / "home" / ".local" / "share" / "backform"
    [session] = (data / "sessions").iterdir()
    # The numbers, the journal answers (session.json) and the history index, all in the user's data folder.
    assert sorted(p.name for p in session.iterdir()) == [
        "report.csv",
        "report.json",
        "report.png",
        "session.json",
    ]
    assert (data / "history.db").is_file()
    # The only picture anywhere is the plot drawn from the numbers; the clip is the input.
    assert media_files(tmp_path) == {clip: "mp4/mov", session / "report.png": "png"}
    assert is_matplotlib_plot(session / "report.png")


@linux_only
def test_live_records_the_camera_only_when_asked_and_only_there(
    tmp_path: Path, clip: Path, model_path: Path, x_display: str
):
    env = first_time_user(tmp_path / "home", model_path, DISPLAY=x_display)
    record = tmp_path / "kept" / "my_session.mp4"
    cmd = backform_command("live", "-e", "hip-hinge", "--camera", clip, "--no-voice", "--record", record)
    proc = subprocess.run(cmd, cwd=clip.parent, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    [session] = (tmp_path / "home" / ".local" / "share" / "backform" / "sessions").iterdir()
    assert media_files(tmp_path) == {clip: "mp4/mov", record: "mp4/mov", session / "report.png": "png"}


def test_mediapipe_is_pinned_to_the_release_without_telemetry():
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = sorted(d.replace('"', "'") for d in deps if d.startswith("mediapipe"))
    assert pins == [
        "mediapipe==0.10.21; python_version < '3.13'",
        "mediapipe>=0.10.30; python_version >= '3.13'",  # no 0.10.21 wheels there
    ]
    if sys.version_info < (3, 13):
        assert version("mediapipe") == "0.10.21"
