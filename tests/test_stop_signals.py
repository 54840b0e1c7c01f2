"""SIGTERM and SIGHUP are handled like Ctrl+C; a stop signal while outputs are written waits.

`timeout`, `docker stop`, systemd and a closed terminal stop a run with SIGTERM or SIGHUP:
the video must still play, the report say it is partial, one line say so, the exit code be
128 + the signal, and no temporary file stay behind. The subprocess tests stop the real
thing right after its first frame is encoded, so how far it got depends on no clock.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from feedback.cli import main
from feedback.live import LiveOptions, run_live
from feedback.pipeline import run_pipeline
from feedback.stopping import stop_signals_raise
from tests.cli_helpers import (
    backform_command,
    cli_env,
    h264_frames,
    one_line_error,
    wait_for_encoded_frames,
)
from tests.feedback_fakes import (
    FakeInfo,
    FakeSource,
    TrackEstimator,
    fake_backends,
    hinge_schedule,
    times,
    write_fake_video,
)
from tests.odd_clips import sample_frames, write_clip
from vision.sources import Frame

SMALL = (320, 240)
N_FRAMES = 30 + 2 * 60 + 15


def hidden_temporary_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob(".*") if ".tmp" in p.name or p.name.endswith(".old")]


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> Path:
    """12 s of the hinge sample at 320x240: far more frames than run before the signal lands."""
    frames = sample_frames("hinge_good.mp4", 0.0, 6.0, SMALL)
    return write_clip(tmp_path_factory.mktemp("clips") / "long.mp4", frames + frames)


def start(args: list, cwd: Path, **env) -> subprocess.Popen:
    return subprocess.Popen(
        backform_command(*args),
        cwd=cwd,
        env=cli_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# -- 3. analyze and live: SIGTERM and SIGHUP like Ctrl+C --------------------------------------------
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_analyze_stopped_by_a_signal_keeps_a_partial_report_and_a_playable_video(
    signum, long_clip, tmp_path, model_path
):
    proc = start(["analyze", long_clip, "-e", "hip-hinge"], tmp_path)
    wait_for_encoded_frames(proc, tmp_path, ".long_annotated.*")
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=300)
    line = one_line_error(proc.returncode, stderr, 128 + signum)
    name = signal.Signals(signum).name
    assert line == f"backform: stopped early by {name}; the report covers the frames analysed so far"
    names = [
        "long_annotated.mp4",
        "long_report.csv",
        "long_report.html",
        "long_report.json",
        "long_report.png",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == names  # no temporary file
    report = json.loads((tmp_path / "long_report.json").read_text())
    assert report["partial"] is True and 0 < report["frames"] < 360
    assert h264_frames(tmp_path / "long_annotated.mp4") == ("h264", report["frames"])
    assert "Frames with a person" in stdout


def test_live_stopped_by_sigterm_saves_the_session_and_the_recording(
    long_clip, tmp_path, model_path, x_display
):
    sessions = tmp_path / "sessions"
    args = ["live", "-e", "hip-hinge", "--camera", long_clip, "--no-voice", "--record", "rec.mp4"]
    proc = start([*args, "--sessions-dir", sessions], tmp_path, DISPLAY=x_display)
    wait_for_encoded_frames(proc, tmp_path, ".rec.*.tmp.mp4")
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == "backform: stopped by SIGTERM; the session so far is saved"
    [folder] = sessions.iterdir()
    assert sorted(p.name for p in folder.iterdir()) == ["report.csv", "report.json", "report.png"]
    report = json.loads((folder / "report.json").read_text())
    assert report["partial"] is True and report["frames"] > 0
    assert h264_frames(tmp_path / "rec.mp4") == ("h264", report["frames"])
    assert hidden_temporary_files(tmp_path) == []


def test_first_sigterm_ends_the_frame_loop_after_the_frame_and_a_second_stops_at_once():
    class Sink:
        def __init__(self, signals: int) -> None:
            self.signals, self.seen, self.closed = signals, 0, False

        def consume(self, frame, assessment) -> None:
            self.seen += 1
            self.closed = False
            if self.seen == 10:
                for _ in range(self.signals):
                    os.kill(os.getpid(), signal.SIGTERM)
                self.seen += 100 * self.signals  # reached only if no signal raised here

        def close(self) -> None:
            self.closed = True

    estimator = TrackEstimator(hinge_schedule(1), lambda t: {})
    checker = fake_backends(hinge_schedule(1)).create_checker("hip-hinge")
    with stop_signals_raise():
        one = Sink(signals=1)
        result = run_pipeline(FakeSource(times(100)), estimator, checker, [one])
        assert (result.frames, result.interrupted, result.stop_signal) == (10, True, signal.SIGTERM)
        assert one.seen == 110 and one.closed  # the frame was finished, the sink closed
        two = Sink(signals=2)
        result = run_pipeline(FakeSource(times(100)), estimator, checker, [two])
        assert (result.frames, result.interrupted, result.stop_signal) == (10, True, signal.SIGTERM)
        assert two.seen == 10 and two.closed  # stopped in the middle of the frame
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # restored


# -- 4. a stop signal while the outputs are written -------------------------------------------------
@pytest.fixture
def ctrl_c_while_plotting(monkeypatch):
    """The first plot saved presses Ctrl+C (SIGINT to this process) as it starts."""
    from matplotlib.figure import Figure

    savefig = Figure.savefig
    pressed: list[bool] = []

    def pressing_savefig(self, *args, **kwargs):
        if not pressed:
            pressed.append(True)
            os.kill(os.getpid(), signal.SIGINT)
        return savefig(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", pressing_savefig)
    return pressed


def test_ctrl_c_while_analyze_writes_its_outputs_finishes_them_then_stops(
    ctrl_c_while_plotting, tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr("feedback.analysis.default_backends", lambda: fake_backends(hinge_schedule(2)))
    clip = tmp_path / "clip.mp4"
    write_fake_video(clip, N_FRAMES)
    out = tmp_path / "out"
    try:
        main(["analyze", str(clip), "-e", "hip-hinge", "-o", str(out / "a.mp4"), "-r", str(out / "r.json")])
        code = 0
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert ctrl_c_while_plotting
    line = one_line_error(code, err, 130)
    assert line == "backform: interrupted; the outputs were written in full first"
    assert sorted(p.name for p in out.iterdir()) == ["a.mp4", "r.csv", "r.html", "r.json", "r.png"]
    report = json.loads((out / "r.json").read_text())
    assert report["partial"] is False and report["frames"] == N_FRAMES  # true: all was analysed
    assert (out / "r.png").read_bytes()[:4] == b"\x89PNG"
    assert h264_frames(out / "a.mp4") == ("h264", N_FRAMES)


class CameraStandIn:
    """`n` grey frames at 30 fps, as a live source hands them over."""

    def __init__(self, n: int) -> None:
        self.n, self.info, self.dropped, self.delivered = n, FakeInfo(live=True), 0, 0
        self._t0 = time.monotonic()

    def clock_ms(self) -> float:
        return (time.monotonic() - self._t0) * 1000.0

    def close(self) -> None:
        pass

    def __iter__(self):
        for i in range(self.n):
            self.delivered += 1
            yield Frame(np.full((480, 640, 3), 96, np.uint8), i * 1000.0 / 30, i, i)


def test_ctrl_c_while_live_saves_the_session_finishes_saving(ctrl_c_while_plotting, tmp_path):
    result = run_live(
        LiveOptions("hip-hinge", show_window=False, sessions_dir=tmp_path / "s", record=tmp_path / "rec.mp4"),
        backends=fake_backends(hinge_schedule(2)),
        speech=None,
        source_factory=lambda: CameraStandIn(N_FRAMES),
        say=lambda line: None,
        estimator_warmup=False,
    )
    assert ctrl_c_while_plotting
    assert result.interrupted and result.stop_signal == signal.SIGINT
    assert not result.report.partial  # the session had ended: the report is whole
    assert sorted(p.name for p in result.folder.iterdir()) == ["report.csv", "report.json", "report.png"]
    assert h264_frames(tmp_path / "rec.mp4") == ("h264", N_FRAMES)
    assert hidden_temporary_files(tmp_path) == []
