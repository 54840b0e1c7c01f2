"""Running `backform` as a user does (a subprocess) and the small clips the CLI tests feed it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np

from feedback.video_out import VideoWriter

REPO = Path(__file__).resolve().parent.parent
# BACKFORM_SAMPLES points the tests at freshly rendered clips elsewhere.
SAMPLES = Path(os.environ.get("BACKFORM_SAMPLES") or REPO / "samples")


def cli_env(**extra: str) -> dict[str, str]:
    """The caller's environment with the repo importable (the project need not be installed)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        **extra,
    }
    env.pop("COLUMNS", None)
    return env


def backform_command(*args) -> list[str]:
    return [sys.executable, "-m", "feedback.cli", *map(str, args)]


def backform(*args, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `backform ARGS` to completion in `cwd`; stdout and stderr captured as text."""
    return subprocess.run(
        backform_command(*args),
        cwd=cwd,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def one_line_error(code, err, expected_code=None) -> str:
    """A failed run said exactly one line on stderr, `backform: ...`, and no traceback."""
    assert code != 0
    if expected_code is not None:
        assert code == expected_code, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("backform: ")
    assert "Traceback" not in err
    return lines[0]


def h264_frames(path: Path) -> tuple[str, int]:
    """(codec name, number of decodable frames) of a video file."""
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        return stream.codec_context.name, sum(1 for _ in c.decode(stream))


def make_video_without_person(path: Path, frames: int) -> None:
    """A few seconds of an empty room-like gradient: a valid H.264 clip nobody is in."""
    ramp = np.linspace(60, 200, 640, dtype=np.uint8)
    with VideoWriter(path) as w:
        for i in range(frames):
            img = np.empty((480, 640, 3), np.uint8)
            img[:] = ramp[None, :, None]
            img[:, :, 1] = ramp[None, :] + np.uint8(i % 256)  # wraps around, in NumPy 1 and 2
            w.write(img, i * 1000 / 30)


def make_video_without_frames(path: Path) -> None:
    """A well-formed MP4 with an H.264 stream and no frames in it."""
    with av.open(str(path), "w", format="mp4") as c:
        s = c.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        c.start_encoding()
        for packet in s.encode():
            c.mux(packet)
    assert path.stat().st_size > 0


N_FRAMES = 30 + 2 * 60 + 15  # the fake hinge track: 1 s upright, two 2 s hinges, 0.5 s upright


def run_main(args, capsys) -> tuple[int, str, str]:
    """`backform ARGS` in this process: (exit code, stdout, stderr)."""
    from feedback.cli import main

    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _written(folder: Path, pattern: str) -> bool:
    # Not merely present: the output check before the run reserves and removes an empty temp
    # file of the same name to prove the folder writable, and a signal sent then (a loaded CI
    # machine once caught that moment) stops the run before its first frame.
    for path in folder.glob(pattern):
        try:
            if path.stat().st_size > 0:
                return True
        except FileNotFoundError:  # that probe, gone again
            pass
    return False


def wait_for_encoded_frames(proc: subprocess.Popen, folder: Path, pattern: str) -> None:
    """Until a file matching `pattern` in `folder` holds encoded frames (the loop is running)."""
    deadline = time.monotonic() + 300  # generous: a cold model load on a busy machine
    while not _written(folder, pattern) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, proc.communicate()
    assert _written(folder, pattern), f"no {pattern} with frames in it after 300 s"
