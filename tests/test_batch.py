"""`backform analyze` on many videos: inputs, exercises per file, outputs as a set, skipping,
failed rows, crashed worker processes, Ctrl+C; the end-to-end part runs the CLI on short clips.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import signal
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import av
import pytest

from feedback.analysis import AnalysisOutputs
from feedback.batch import (
    BatchJob,
    BatchRow,
    JobCancelled,
    JobOptions,
    commit_set,
    row_from_report,
    run_job_in_place,
    up_to_date,
)
from feedback.batch_inputs import ExerciseChoice, find_videos, is_batch_request
from feedback.batch_local import run_local
from feedback.video_out import VideoWriter
from tests.cli_helpers import SAMPLES, backform, backform_command, cli_env, h264_frames
from vision.errors import ConfigError

# -- inputs -------------------------------------------------------------------------------------


def _touch(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_folders_patterns_and_files_expand_in_order_without_outputs_or_repeats(tmp_path):
    rec = tmp_path / "rec"
    for name in ("b.mp4", "a.MOV", "notes.txt", "a_annotated.mp4", ".hidden.mp4", "sub/c.mp4", "sub/d.mkv"):
        _touch(rec / name)
    videos, empty = find_videos(
        [rec, str(rec / "**" / "*.mp4"), rec / "missing.mp4", rec / "b.mp4", str(tmp_path / "none*.mp4")]
    )
    names = [p.relative_to(rec).as_posix() for p in videos]
    # The folder (sorted, videos only, not annotated outputs or hidden files), then the pattern's
    # new matches, then the missing file (kept: it fails in its own row); b.mp4 only once.
    assert names == ["a.MOV", "b.mp4", "sub/c.mp4", "missing.mp4"]
    assert all(p.is_absolute() for p in videos)
    assert empty == [f"No videos in {tmp_path / 'none*.mp4'}"]


def test_batch_is_several_inputs_a_folder_or_a_pattern(tmp_path):
    clip = _touch(tmp_path / "clip[1].mp4")
    assert not is_batch_request([clip])  # a real file whose name looks like a pattern
    assert not is_batch_request([tmp_path / "missing.mp4"])  # single: fails as today
    assert is_batch_request([tmp_path])
    assert is_batch_request([str(tmp_path / "*.mp4")])
    assert is_batch_request([clip, clip])
    (tmp_path / "folder.mp4").mkdir()
    assert not is_batch_request([tmp_path / "folder.mp4"])  # a mistake for a video: fails as one


def test_exercise_per_file_pattern_first_match_then_default():
    choice = ExerciseChoice.parse(["plank_*=plank", "hinge_*=hip-hinge", "cat-cow"])
    assert choice.for_video(Path("/x/plank_1.mp4")) == "plank"
    assert choice.for_video(Path("hinge_a.mov")) == "hip-hinge"
    assert choice.for_video(Path("other.mp4")) == "cat-cow"
    assert choice.names() == ["plank", "hip-hinge", "cat-cow"]
    assert ExerciseChoice.parse(["plank_*=plank"]).for_video(Path("x.mp4")) is None
    assert ExerciseChoice.parse(["plank"]) == ExerciseChoice("plank", ())


@pytest.mark.parametrize("values", [["plank", "cat-cow"], ["=plank"], ["plank_*="]])
def test_exercise_mistakes_are_config_errors(values):
    with pytest.raises(ConfigError):
        ExerciseChoice.parse(values)


# -- outputs as a set ---------------------------------------------------------------------------


def _job(tmp_path: Path, exercise: str = "plank", video: bool = True) -> BatchJob:
    clip = _touch(tmp_path / "in" / "clip.mp4", "video")
    outputs = AnalysisOutputs.defaults(clip, tmp_path / "out")
    if not video:
        outputs = AnalysisOutputs(outputs.report, None, outputs.csv, outputs.plot)
    return BatchJob(0, clip, exercise, outputs, JobOptions(video=video))


def _stage_set(job: BatchJob, folder: Path, exercise: str = "plank", tag: str = "new") -> dict[str, Path]:
    report = {
        "exercise": exercise,
        "video": str(job.video),
        "partial": False,
        "processing": {"max_size": None, "smoothing": False, "video_height": 720},
        "tag": tag,
    }
    staged = {}
    for kind, final in job.outputs.paths().items():
        staged[kind] = _touch(folder / f"staged-{tag}{final.suffix}", json.dumps(report))
    return staged


def _age(path: Path, seconds: float) -> None:
    t = path.stat().st_mtime - seconds
    os.utime(path, (t, t))


def test_a_committed_set_is_up_to_date_until_the_input_changes(tmp_path):
    job = _job(tmp_path)
    (tmp_path / "out").mkdir()
    _age(job.video, 100)
    assert up_to_date(job) is None  # nothing yet
    commit_set(_stage_set(job, tmp_path / "out"), job.outputs.paths())
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "clip_annotated.mp4",
        "clip_report.csv",
        "clip_report.html",
        "clip_report.json",
        "clip_report.png",
    ]
    assert up_to_date(job)["tag"] == "new"
    assert up_to_date(BatchJob(0, job.video, "cat-cow", job.outputs, job.options)) is None  # other exercise
    assert up_to_date(BatchJob(0, job.video, "plank", job.outputs, JobOptions(max_size=640))) is None
    assert up_to_date(BatchJob(0, job.video, "plank", job.outputs, JobOptions(video_height=480))) is None
    os.utime(job.video)  # the recording was replaced
    assert up_to_date(job) is None


def test_a_missing_output_or_a_set_cut_short_is_not_up_to_date(tmp_path):
    job = _job(tmp_path)
    (tmp_path / "out").mkdir()
    _age(job.video, 100)
    commit_set(_stage_set(job, tmp_path / "out", tag="old"), job.outputs.paths())
    for path in job.outputs.paths().values():
        _age(path, 50)
    assert up_to_date(job)["tag"] == "old"
    # A crash after the new video's rename, before the new report's: the old report is older.
    staged = _stage_set(job, tmp_path / "out", tag="new")
    os.replace(staged["video"], job.outputs.video)
    assert up_to_date(job) is None
    job.outputs.video.unlink()
    assert up_to_date(job) is None
    # Without a video asked for, the rest is a complete set again.
    o = job.outputs
    no_video = BatchJob(
        0, job.video, "plank", AnalysisOutputs(o.report, None, o.csv, o.plot), JobOptions(video=False)
    )
    assert up_to_date(no_video)["tag"] == "old"


def test_summary_row_from_a_report():
    job = BatchJob(0, Path("/v/h.mp4"), "hip-hinge", AnalysisOutputs(None), JobOptions())
    report = {
        "exercise": "hip-hinge",
        "rep_count": 3,
        "reps": [{"faults": []}, {"faults": ["rounded_back"]}, {"faults": []}],
        "hold_s": 0.0,
        "fault_time_s": {"rounded_back": 0.8, "head_drop": 1.5},
        "view": {"side": "left", "ok": True, "problems_s": {}},
        "frames": 297,
        "processing": {"wall_s": 9.5},
        "warnings": ["The video was truncated"],
    }
    row = row_from_report(job, report, "done")
    assert (row.file, row.reps, row.good_reps, row.main_fault, row.view) == (
        "h.mp4",
        3,
        2,
        "head_drop",
        "left side",
    )
    assert (row.status, row.note, row.frames, row.wall_s) == ("done", "The video was truncated", 297, 9.5)
    report["view"] = {"side": "left", "ok": False, "problems_s": {"not_side_on": 4.0, "no_person": 1.0}}
    assert row_from_report(job, report, "done").view == "not ok: not side on"


# -- one job, in this process with fake backends (no MediaPipe) -------------------------------


def _fake_job(tmp_path: Path, monkeypatch, **source_kw) -> BatchJob:
    from tests.feedback_fakes import fake_backends, hinge_schedule, write_fake_video

    monkeypatch.setattr(
        "feedback.analysis.default_backends", lambda: fake_backends(hinge_schedule(2), **source_kw)
    )
    clip = tmp_path / "in" / "clip.mp4"
    clip.parent.mkdir()
    write_fake_video(clip, 165)
    _age(clip, 100)
    outputs = AnalysisOutputs.defaults(clip, tmp_path / "out")
    (tmp_path / "out").mkdir()
    return BatchJob(0, clip, "hip-hinge", outputs, JobOptions())


def test_a_job_commits_its_outputs_as_a_set_and_reports_its_row(tmp_path, monkeypatch):
    job = _fake_job(tmp_path, monkeypatch)
    frames_seen = []
    row = run_job_in_place(job, frames_seen.append)
    assert (row.status, row.reps, row.good_reps, row.frames, row.view) == ("done", 2, 2, 165, "left side")
    assert frames_seen[-1] == 165
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        p.name for p in job.outputs.paths().values()
    )  # no staging folder left
    assert up_to_date(job)["rep_count"] == 2


def test_a_job_without_html_writes_the_rest(tmp_path, monkeypatch):
    job = _fake_job(tmp_path, monkeypatch)
    job = BatchJob(0, job.video, job.exercise, replace(job.outputs, html=None), JobOptions(html=False))
    assert run_job_in_place(job).status == "done"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "clip_annotated.mp4",
        "clip_report.csv",
        "clip_report.json",
        "clip_report.png",
    ]


def test_a_job_stopped_in_its_worker_writes_nothing(tmp_path, monkeypatch):
    job = _fake_job(tmp_path, monkeypatch, interrupt_at=100)  # Ctrl+C reaching the worker
    row = run_job_in_place(job)
    assert (row.status, row.note) == ("not run", "stopped before it finished")
    assert list((tmp_path / "out").iterdir()) == []


def test_a_cancelled_job_writes_nothing(tmp_path, monkeypatch):
    job = _fake_job(tmp_path, monkeypatch)

    def cancel_at_50(done: int) -> None:
        if done == 50:
            raise JobCancelled

    with pytest.raises(JobCancelled):
        run_job_in_place(job, cancel_at_50)
    assert list((tmp_path / "out").iterdir()) == []


# -- worker processes ---------------------------------------------------------------------------


def _crashing_task(job: BatchJob) -> BatchRow:
    """Run in a worker process: job 1 kills its process every time, job 2 only the first time."""
    marker = job.video.with_suffix(".crashed")
    if job.index == 1 or (job.index == 2 and not marker.exists()):
        marker.write_text("crashed once")
        os._exit(3)
    return BatchRow(job.label, job.exercise, "done", frames=job.index)


def test_a_process_that_dies_fails_its_video_only_after_one_retry(tmp_path):
    jobs = [
        BatchJob(i, _touch(tmp_path / f"v{i}.mp4"), "plank", AnalysisOutputs(None), JobOptions())
        for i in range(4)
    ]
    finished = []
    rows, interrupted = run_local(
        jobs, 2, lambda i, n: None, lambda j, r: finished.append(j.index), _crashing_task
    )
    assert not interrupted
    assert sorted(finished) == [0, 1, 2, 3]
    assert [rows[i].status for i in range(4)] == ["done", "failed", "done", "done"]
    assert "crashed" in rows[1].note


def _hanging_task(job: BatchJob) -> BatchRow:
    """Run in a worker process: job 1 never returns (a worker that hangs)."""
    if job.index == 1:
        time.sleep(3600)
    return BatchRow(job.label, job.exercise, "done", frames=job.index)


def test_a_stopped_batch_ends_even_when_a_worker_hangs(tmp_path, monkeypatch):
    # A stopped batch once waited for good on a loaded CI run (stop 21); whatever holds a
    # worker up, a stop ends the batch: the workers still there after the grace are killed.
    import feedback.batch_local as batch_local

    monkeypatch.setattr(batch_local, "STOP_GRACE_S", 2.0)
    jobs = [
        BatchJob(i, _touch(tmp_path / f"v{i}.mp4"), "plank", AnalysisOutputs(None), JobOptions())
        for i in range(3)
    ]

    def on_row(job: BatchJob, row: BatchRow) -> None:
        raise KeyboardInterrupt  # Ctrl+C as the first video finishes

    rows, stopped = run_local(jobs, 2, lambda i, n: None, on_row, _hanging_task)
    assert stopped == signal.SIGINT
    assert {i: r.status for i, r in rows.items()} == {0: "done"}
    assert multiprocessing.active_children() == []  # the hung worker was killed


def _wait_for(check, deadline_s: float = 30.0) -> bool:
    end = time.monotonic() + deadline_s
    while not check():
        if time.monotonic() > end:
            return False
        time.sleep(0.01)
    return True


def _idle_core_task(job: BatchJob) -> BatchRow:
    """Run in a worker process: what the batch's idle-core signal said while this job ran.
    Job 0 finishes only once job 1 has looked (so both ran side by side); the others look at
    their start, then wait for the signal."""
    import feedback.batch_local as batch_local

    idle = batch_local._idle_core
    started = job.video.parent / "looked"  # written by the job that looks, waited for by job 0
    if job.index == 0:
        _wait_for(started.exists)
        return BatchRow(job.label, job.exercise, "done")
    at_start = idle.is_set()
    started.write_text("looked")
    return BatchRow(job.label, job.exercise, "done", note=f"{at_start} {_wait_for(idle.is_set)}")


def test_a_core_left_idle_is_signalled_to_the_videos_still_running(tmp_path):
    jobs = [
        BatchJob(i, _touch(tmp_path / f"v{i}.mp4"), "plank", AnalysisOutputs(None), JobOptions())
        for i in range(2)
    ]
    rows, _ = run_local(jobs, 2, lambda i, n: None, lambda j, r: None, _idle_core_task)
    # Both cores busy: no signal; once video 0 is done and nothing is left to start: signalled.
    assert rows[1].note == "False True"
    alone = [BatchJob(1, jobs[1].video.with_name("w1.mp4"), "plank", AnalysisOutputs(None), JobOptions())]
    _touch(alone[0].video)
    rows, _ = run_local(alone, 2, lambda i, n: None, lambda j, r: None, _idle_core_task)
    assert rows[1].note.endswith("True")  # one video for two cores: signalled from the start


# -- end to end: the real model on short clips, in a subprocess as a user runs it ---------------


def _short_clip(source: Path, target: Path, frames: int) -> Path:
    """The first `frames` frames of a sample clip, re-encoded: quick to analyse, a real person."""
    with av.open(str(source)) as c, VideoWriter(target, fps=30) as w:
        for i, frame in enumerate(c.decode(video=0)):
            if i == frames:
                break
            w.write(frame.to_ndarray(format="bgr24"), i * 1000 / 30)
    return target


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    folder = tmp_path_factory.mktemp("recordings")
    _short_clip(SAMPLES / "plank_sag.mp4", folder / "plank_a.mp4", 45)
    _short_clip(SAMPLES / "plank_good.mp4", folder / "plank_b.mp4", 45)
    (folder / "broken.mp4").write_text("not a video at all\n")
    (folder / "notes.txt").write_text("ignored: not a video name\n")
    return folder


def _rows(out: Path) -> dict[str, dict]:
    with (out / "summary.csv").open() as f:
        return {r["file"]: r for r in csv.DictReader(f)}


def test_batch_end_to_end_failed_rows_skip_and_force(recordings, tmp_path, model_path):
    out = tmp_path / "results"
    missing = recordings / "gone.mp4"
    proc = backform("analyze", recordings, missing, "-e", "plank", "--out-dir", out, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == (
        f"backform: 2 of 4 videos could not be analysed; see {out / 'summary.csv'}"
    )
    rows = _rows(out)
    assert list(rows) == ["broken.mp4", "plank_a.mp4", "plank_b.mp4", "gone.mp4"]
    assert rows["broken.mp4"]["status"] == "failed" and "not a video" in rows["broken.mp4"]["note"]
    assert rows["gone.mp4"]["status"] == "failed" and "not found" in rows["gone.mp4"]["note"]
    for name in ("plank_a", "plank_b"):
        row = rows[f"{name}.mp4"]
        assert row["status"] == "done" and row["exercise"] == "plank" and row["view"] == "left side"
        report = json.loads((out / f"{name}_report.json").read_text())
        assert report["video"] == str(recordings / f"{name}.mp4") and report["frames"] == 45
        assert report["processing"]["pose_workers"] == 1
        assert float(row["hold_s"]) == pytest.approx(report["hold_s"], abs=0.05)
        assert h264_frames(out / f"{name}_annotated.mp4") == ("h264", 45)
        assert (out / f"{name}_report.png").read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []
    assert "plank_a.mp4" in rows and "Analysing" not in proc.stdout  # no progress bar off a terminal

    # Re-run: complete outputs newer than their input are skipped, their rows kept.
    before = (out / "plank_a_report.json").stat().st_mtime_ns
    proc = backform("analyze", recordings, "-e", "plank", "--out-dir", out, cwd=tmp_path)
    assert proc.returncode == 1 and "2 up to date" in proc.stderr, proc.stderr
    rows = _rows(out)
    assert [rows[n]["status"] for n in ("plank_a.mp4", "plank_b.mp4")] == ["up to date"] * 2
    assert rows["plank_a.mp4"]["hold_s"] != "" and (out / "plank_a_report.json").stat().st_mtime_ns == before

    # A newer recording is redone, and --force redoes everything.
    os.utime(recordings / "plank_b.mp4")
    proc = backform("analyze", recordings / "plank_*.mp4", "-e", "plank", "--out-dir", out, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert [r["status"] for r in _rows(out).values()] == ["up to date", "done"]
    proc = backform(
        "analyze", recordings / "plank_a.mp4", "-e", "plank", "--out-dir", out, "--force", cwd=tmp_path
    )
    assert proc.returncode == 0 and [r["status"] for r in _rows(out).values()] == ["done"]
    assert (out / "plank_a_report.json").stat().st_mtime_ns > before


def test_batch_command_mistakes_are_one_line(recordings, tmp_path):
    cases = [
        (["analyze", recordings, "-e", "squat"], 2, "Unknown exercise"),
        (["analyze", recordings, recordings, "-e", "plank", "-o", tmp_path / "x.mp4"], 2, "--out-dir"),
        (["analyze", recordings, "-e", "plank", "-o", tmp_path / "x.mp4"], 1, "is a folder"),  # as before
        (["analyze", str(tmp_path / "nothing*.mp4"), "-e", "plank"], 1, "No videos found"),
        (["analyze", recordings, "-e", "plank", "--out-dir", recordings / "notes.txt"], 1, "notes.txt"),
        (["analyze", recordings, "-e", "plank", "--target-hold", "30"], 2, "analyse it on its own"),
    ]
    for args, code, expected in cases:
        proc = backform(*args, cwd=tmp_path, timeout=120)
        assert proc.returncode == code, proc.stderr
        assert "Traceback" not in proc.stderr
        *warnings, last = proc.stderr.strip().splitlines()
        assert last.startswith("backform: ") and expected in last, proc.stderr
        assert all(w.startswith("backform: warning: ") for w in warnings), proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("signum", "code", "said"),
    [(signal.SIGINT, 130, "backform: stopped;"), (signal.SIGTERM, 143, "backform: stopped by SIGTERM;")],
    ids=["ctrl-c", "sigterm"],
)
def test_a_stop_signal_ends_the_batch_leaving_only_complete_sets(
    signum, code, said, recordings, tmp_path, model_path
):
    out = tmp_path / "results"
    clips = [recordings / "plank_a.mp4", recordings / "plank_b.mp4"]
    proc = subprocess.Popen(
        backform_command("analyze", *clips, "-e", "plank", "--out-dir", out, "-j", "1"),
        cwd=tmp_path,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # The first video's line: the second is now on its way.
    for line in proc.stderr:
        if line.startswith("[1/2]"):
            break
    proc.send_signal(signum)
    _, rest = proc.communicate(timeout=300)
    assert proc.returncode == code, rest
    assert said in rest and "Traceback" not in rest
    rows = _rows(out)
    assert rows["plank_a.mp4"]["status"] == "done" and rows["plank_b.mp4"]["status"] == "not run"
    assert sorted(p.name for p in out.iterdir()) == [
        "plank_a_annotated.mp4",
        "plank_a_report.csv",
        "plank_a_report.html",
        "plank_a_report.json",
        "plank_a_report.png",
        "summary.csv",
    ]


def test_bench_batch_raw_run_counts_every_frame(recordings, model_path):
    from bench.bench_batch import raw_fps

    fps, frames = raw_fps([recordings / "plank_a.mp4", recordings / "plank_b.mp4"], model_path, 2)
    assert frames == 90 and fps > 0
