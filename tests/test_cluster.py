"""`backform analyze --cluster`: a batch on Dask distributed gives what the local batch gives.

The test starts its own cluster (a scheduler and 2 worker processes on 127.0.0.1) and runs the
CLI against it as a user would, in a subprocess. Work is bounded by clip count, never by time.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.cli_helpers import SAMPLES, backform, backform_command, cli_env, h264_frames, one_line_error

distributed = pytest.importorskip("distributed", reason="the cluster extra is part of the dev install")

CLIPS = [
    SAMPLES / "plank_shoulders_not_stacked.mp4",
    SAMPLES / "plank_sag.mp4",
    SAMPLES / "catcow_too_fast.mp4",
]
EXERCISES = ["-e", "plank_*=plank", "-e", "catcow_*=cat-cow"]
DEADLINE_S = 900  # generous: a shared 2-core machine


@pytest.fixture(scope="module")
def cluster(model_path):
    from distributed import LocalCluster

    # Workers are processes started here; they inherit BACKFORM_MODEL (see conftest).
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        protocol="tcp",
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as local:
        yield local.scheduler_address


@pytest.fixture(scope="module")
def local_results(tmp_path_factory, model_path):
    """The reference: the same batch run locally (two processes)."""
    out = tmp_path_factory.mktemp("local")
    proc = backform("analyze", *CLIPS, *EXERCISES, "--out-dir", out, "-j", "2", cwd=out, timeout=DEADLINE_S)
    assert proc.returncode == 0, proc.stderr
    return out


def _comparable(report_path: Path) -> dict:
    report = json.loads(report_path.read_text())
    report.pop("processing")  # wall time and speed differ run to run
    return report


def assert_same_results(ours: Path, reference: Path) -> None:
    for clip in CLIPS:
        stem = clip.stem
        assert _comparable(ours / f"{stem}_report.json") == _comparable(reference / f"{stem}_report.json")
        assert (ours / f"{stem}_report.csv").read_text() == (reference / f"{stem}_report.csv").read_text()
        assert (ours / f"{stem}_report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert h264_frames(ours / f"{stem}_annotated.mp4") == h264_frames(reference / f"{stem}_annotated.mp4")
    with (ours / "summary.csv").open() as a, (reference / "summary.csv").open() as b:
        assert list(csv.DictReader(a)) == list(csv.DictReader(b))
    assert not [p for p in ours.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_cluster_batch_matches_local_batch(cluster, local_results, tmp_path):
    out = tmp_path / "results"
    proc = backform("analyze", *CLIPS, *EXERCISES, "--out-dir", out, "--cluster", cluster, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"on the cluster at {cluster}" in proc.stderr
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert [r["file"] for r in rows] == [c.name for c in CLIPS]
    assert [r["status"] for r in rows] == ["done"] * len(CLIPS)
    assert_same_results(out, local_results)


def test_worker_killed_mid_batch_loses_no_video(cluster, local_results, tmp_path):
    from distributed import Client

    out = tmp_path / "results"
    args = ["analyze", *CLIPS, *EXERCISES, "--out-dir", out, "--cluster", cluster]
    proc = subprocess.Popen(
        backform_command(*args),
        cwd=tmp_path,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with Client(cluster, set_as_default=False) as client:
            pids = client.run(os.getpid)
            deadline = time.monotonic() + DEADLINE_S
            victim = None
            while victim is None and proc.poll() is None and time.monotonic() < deadline:
                busy = [
                    worker
                    for worker, keys in client.processing().items()
                    if any(str(k).startswith("backform-") for k in keys)
                ]
                victim = busy[0] if busy else None
                time.sleep(0.2)
            assert victim is not None, "no backform task ever ran on the cluster"
            os.kill(pids[victim], signal.SIGKILL)  # the task it was running is lost with it
        _, stderr = proc.communicate(timeout=DEADLINE_S)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert [r["status"] for r in rows] == ["done"] * len(CLIPS), rows
    assert_same_results(out, local_results)


def test_unreachable_scheduler_is_one_line(tmp_path):
    proc = backform(
        "analyze",
        CLIPS[0],
        "-e",
        "plank",
        "--out-dir",
        tmp_path,
        "--cluster",
        "tcp://127.0.0.1:9",
        cwd=tmp_path,
    )
    assert "Cannot reach the Dask scheduler" in one_line_error(proc.returncode, proc.stderr, 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_cluster_without_the_extra_says_how_to_install_it(tmp_path):
    # A `distributed` that cannot be imported, ahead of the real one on the path.
    fake = tmp_path / "site"
    fake.mkdir()
    (fake / "distributed.py").write_text(
        'raise ImportError("No module named distributed", name="distributed")\n'
    )
    env = cli_env()
    env["PYTHONPATH"] = os.pathsep.join([str(fake), env["PYTHONPATH"]])
    args = [
        "analyze",
        CLIPS[0],
        "-e",
        "plank",
        "--out-dir",
        tmp_path / "out",
        "--cluster",
        "tcp://127.0.0.1:9",
    ]
    proc = subprocess.run(
        backform_command(*args), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    line = one_line_error(proc.returncode, proc.stderr, 1)
    assert "pip install -e" in line and ".[cluster]" in line
    assert not list((tmp_path / "out").iterdir())
