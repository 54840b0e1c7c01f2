"""Shared test set-up: the pose model comes from ../shared via BACKFORM_MODEL, never the network."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
_SHARED_MODEL = REPO.parent / "shared" / "models" / "pose_landmarker_full.task"


def _restore_stop_signals() -> None:
    """A suite started from a script's background job (`pytest &`) or under nohup inherits
    SIGINT or SIGHUP ignored, and so would every backform it starts: then the Ctrl+C and
    hang-up tests fail for a reason that is not the code's. An ignored signal is passed on
    through exec, a handler is not (the child starts with the default), so install handlers:
    the default Ctrl+C here, and a no-op for SIGHUP so this process keeps nohup's protection."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if signal.getsignal(signal.SIGHUP) == signal.SIG_IGN:
        signal.signal(signal.SIGHUP, lambda signum, frame: None)


_restore_stop_signals()


def _model_path() -> Path:
    env = os.environ.get("BACKFORM_MODEL")
    return Path(env) if env else _SHARED_MODEL


@pytest.fixture(scope="session")
def model_path() -> Path:
    path = _model_path()
    if not path.is_file():
        pytest.fail(f"pose model not found at {path}: set BACKFORM_MODEL (tests never download it)")
    return path


@pytest.fixture(autouse=True, scope="session")
def _model_env() -> None:
    # Every subprocess and library call in the suite resolves the model from here.
    os.environ.setdefault("BACKFORM_MODEL", str(_model_path()))


@pytest.fixture(autouse=True, scope="session")
def _private_data_dir(tmp_path_factory) -> None:
    # history (issue 14): no test reads or writes the user's own sessions and history database.
    os.environ.setdefault("BACKFORM_DATA_DIR", str(tmp_path_factory.mktemp("backform-data")))


@pytest.fixture(scope="session")
def x_display():
    """A private Xvfb screen for the live-window tests; yields its DISPLAY name (":N").

    Session-wide on purpose: OpenCV's Qt binds to one display per process, so every window
    test in the run must share the same server. A missing Xvfb fails loudly (CI installs it).
    """
    import shutil
    import subprocess

    exe = shutil.which("Xvfb")
    if exe is None:
        pytest.fail("Xvfb is not installed: `apt-get install xvfb xauth` (the live-window tests need it)")
    read_fd, write_fd = os.pipe()
    # -displayfd: Xvfb picks a free display number and writes it once it accepts connections.
    proc = subprocess.Popen(
        [exe, "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    if not number.isdigit():
        proc.kill()
        pytest.fail(f"Xvfb did not start (exit code {proc.wait()})")
    previous = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = f":{number}"
    try:
        yield f":{number}"
    finally:
        if previous is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = previous
        proc.terminate()
        proc.wait(timeout=10)
