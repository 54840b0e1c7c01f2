"""Batch analysis: one job per video, run where the caller says, outputs committed as a set.

A job runs in a worker (a local process, or a Dask worker, see feedback.cluster) with one pose
estimator, writes the video's outputs under a staging folder and returns one summary row. The
outputs then take their final names together, the report last; `up_to_date` trusts only such a
complete set, so an interrupted batch is simply re-run.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from feedback.analysis import AnalysisOutputs
from feedback.atomic import discard
from feedback.batch_auto import run_auto
from feedback.batch_inputs import AUTO
from feedback.video_out import DEFAULT_VIDEO_HEIGHT
from vision.errors import BackformError, OutputError

STAGING_PREFIX = ".backform-staging-"
# Renamed in this order: the report last, so its presence and age vouch for the rest.
COMMIT_ORDER = ("video", "csv", "plot", "html", "report")


@dataclass(frozen=True)
class JobOptions:
    """The analysis settings shared by every video of a batch."""

    model: Path | None = None  # None: each worker resolves its own (BACKFORM_MODEL, cache)
    thresholds_text: str | None = None  # sent as text, so workers need not see the file
    max_size: int | None = None
    smoothing: bool = False
    video: bool = True
    html: bool = True
    video_height: int | None = DEFAULT_VIDEO_HEIGHT  # the annotated video's; None: source size


@dataclass(frozen=True)
class BatchJob:
    index: int  # position in the batch (and the summary)
    video: Path  # absolute; workers read it from this path
    exercise: str
    outputs: AnalysisOutputs  # final paths in the output folder
    options: JobOptions

    @property
    def label(self) -> str:
        return self.video.name


@dataclass
class BatchRow:
    """One line of the summary: what a video gave, or why it gave nothing."""

    file: str
    exercise: str
    status: str  # done, up to date, failed, not run
    reps: int | None = None
    good_reps: int | None = None
    hold_s: float | None = None
    main_fault: str | None = None
    view: str | None = None
    note: str = ""  # the failure's one-line reason, or the run's warnings
    frames: int = 0
    wall_s: float = 0.0
    # Without --exercise: one row per exercise segment found (feedback.batch_auto), shown and
    # written in this row's place.
    segments: list[BatchRow] | None = None

    @property
    def failed(self) -> bool:
        return self.status == "failed"


def failed_row(job: BatchJob, reason: str) -> BatchRow:
    return BatchRow(job.label, job.exercise, "failed", note=reason)


def row_from_report(
    job: BatchJob, report: dict[str, Any], status: str, warnings: list[str] | None = None
) -> BatchRow:
    reps = report.get("reps") or []
    fault_time = report.get("fault_time_s") or {}
    view = report.get("view") or {}
    if view.get("ok"):
        view_text = f"{view.get('side') or '?'} side"
    else:
        problems = view.get("problems_s") or {}
        worst = max(problems, key=problems.__getitem__) if problems else None
        view_text = "not ok" + (f": {worst.replace('_', ' ')}" if worst else "")
    processing = report.get("processing") or {}
    notes = list(report.get("warnings", []) if warnings is None else warnings)
    notes += [  # `-e`: stretches of another exercise, left out of the judging
        f"skipped {s['exercise']} {s['start_s']:.1f}-{s['end_s']:.1f} s"
        for s in report.get("skipped_segments", [])
    ]
    return BatchRow(
        file=job.label,
        exercise=report.get("exercise", job.exercise),
        status=status,
        reps=int(report.get("rep_count", 0)),
        good_reps=sum(1 for r in reps if not r.get("faults")),
        hold_s=float(report.get("hold_s") or 0.0),
        main_fault=max(fault_time, key=fault_time.__getitem__) if fault_time else None,
        view=view_text,
        note="; ".join(notes),
        frames=int(report.get("frames", 0)),
        wall_s=float(processing.get("wall_s") or 0.0),
    )


# -- outputs as a set -------------------------------------------------------------------------


def up_to_date(job: BatchJob) -> dict[str, Any] | None:
    """The existing report if this video's outputs form a complete set made from the current
    input with the current settings: every output there, none older than the video (or the
    thresholds file), none newer than the report, and the report is for this exercise."""
    paths = job.outputs.paths()
    try:
        mtimes = {kind: path.stat().st_mtime_ns for kind, path in paths.items()}
        oldest_allowed = job.video.stat().st_mtime_ns
        report = json.loads(paths["report"].read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError):
        return None
    if min(mtimes.values()) < oldest_allowed or max(mtimes.values()) > mtimes["report"]:
        return None
    processing = report.get("processing") or {}
    same = (
        report.get("exercise") == job.exercise
        and report.get("video") == str(job.video)
        and report.get("partial") is False
        and processing.get("max_size") == job.options.max_size
        and processing.get("smoothing") == job.options.smoothing
        and (not job.options.video or processing.get("video_height") == job.options.video_height)
    )
    return report if same else None


def commit_set(staged: dict[str, Path], final: dict[str, Path]) -> None:
    """Give the staged outputs of one video their final names, the report last.

    The report is touched first so it is the newest of the set: a crash between two renames
    leaves an output newer than the old report, which `up_to_date` rejects.
    """
    # A recognised video's segment files (kinds of their own) go first, the summary report last.
    kinds = sorted(staged, key=lambda kind: COMMIT_ORDER.index(kind) if kind in COMMIT_ORDER else -1)
    try:
        if "report" in staged:
            os.utime(staged["report"])
        for kind in kinds:
            os.replace(staged[kind], final[kind])
    except OSError as err:
        for path in staged.values():
            discard(path)
        name = final[kinds[-1]].name
        raise OutputError(f"Cannot write the outputs for {name}: {err.strerror or err}.") from err


def staging_dir(parent: Path) -> Path:
    """A hidden folder for one video's outputs while they are written; named after this host and
    process so a later batch can clear what a killed one left (`clear_stale_staging`)."""
    prefix = f"{STAGING_PREFIX}{socket.gethostname()}-{os.getpid()}-"
    try:
        return Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    except OSError as err:
        raise OutputError(f"Cannot write to {parent}: {err.strerror or err}.") from err


def clear_stale_staging(folder: Path) -> None:
    """Remove staging folders of processes on this host that no longer run."""
    host = socket.gethostname()
    for entry in folder.glob(f"{STAGING_PREFIX}{host}-*"):
        pid_text = entry.name[len(STAGING_PREFIX) + len(host) + 1 :].split("-", 1)[0]
        if pid_text.isdigit() and not _alive(int(pid_text)):
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- running one job (in a worker) ------------------------------------------------------------


class JobCancelled(Exception):
    """Raised inside a job's frame loop when the batch is being stopped."""


FrameReport = Callable[[int], None]  # frames done so far; may raise JobCancelled


def analyze_job(
    job: BatchJob,
    folder: Path,
    on_frames: FrameReport | None = None,
    work_ahead: Callable[[], bool] | None = None,
) -> tuple[BatchRow, dict]:
    """Analyse one video into `folder` (its outputs under their final file names there).

    Never raises for a bad video: it becomes a failed row with its one-line reason. Returns the
    row and the written paths by kind (empty unless the row is "done"; a run stopped by a
    signal in the worker is "not run"). `work_ahead`: asked each frame until it says yes, which
    it does when the batch leaves a core idle (the last videos): the poses are then estimated
    frames ahead on a thread beside the rest of the work (vision.parallel.WorkAhead).
    """
    from feedback.analysis import analyze_video
    from feedback.sinks import ProgressSink

    staged = AnalysisOutputs.defaults(job.video, folder)
    outputs = replace(
        staged,
        video=staged.video if job.options.video else None,
        html=staged.html if job.options.html else None,
    )
    progress = None
    if on_frames is not None:
        progress = lambda info: ProgressSink(lambda done, t_ms: on_frames(done))  # noqa: E731
    try:
        with _thresholds_file(job.options.thresholds_text) as thresholds:
            if job.exercise == AUTO:
                return run_auto(job, folder, thresholds, on_frames)
            result = analyze_video(
                job.video,
                job.exercise,
                outputs,
                model=job.options.model,
                thresholds=thresholds,
                max_size=job.options.max_size,
                smoothing=job.options.smoothing,
                progress=progress,
                workers=1,
                encoder_threads=1,
                video_height=job.options.video_height,
                skip_other_exercises=True,
                work_ahead=work_ahead,
            )
    except BackformError as err:
        return failed_row(job, _one_line(str(err)) or type(err).__name__), {}
    except JobCancelled:
        raise
    except Exception as err:  # a bug or a library failure: this video fails, the batch goes on
        where = traceback.extract_tb(err.__traceback__)[-1]
        at = f"{Path(where.filename).name}:{where.lineno}"
        reason = f"unexpected {type(err).__name__}: {_one_line(str(err))} ({at})"
        return failed_row(job, reason), {}
    if result.partial:  # a stop signal reached the worker itself: not a complete analysis
        return BatchRow(job.label, job.exercise, "not run", note="stopped before it finished"), {}
    report = result.report.to_dict(include_series=False)
    return row_from_report(job, report, "done", result.warnings), dict(result.written)


@contextlib.contextmanager
def _thresholds_file(text: str | None):
    if text is None:
        yield None
        return
    fd, name = tempfile.mkstemp(prefix="backform-thresholds-", suffix=".toml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        yield Path(name)
    finally:
        discard(Path(name))


def _one_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def run_job_in_place(
    job: BatchJob, on_frames: FrameReport | None = None, work_ahead: Callable[[], bool] | None = None
) -> BatchRow:
    """Analyse one video straight into the output folder (a local worker sees it): staged in a
    hidden folder there, then committed as a set. `work_ahead`: see `analyze_job`."""
    folder = job.outputs.report.parent
    staging = staging_dir(folder)
    try:
        row, written = analyze_job(job, staging, on_frames, work_ahead)
        if row.status == "done":
            final = job.outputs.paths()
            if job.exercise == AUTO:  # what the recognition wrote, under the same names there
                final = {kind: folder / path.name for kind, path in written.items()}
            try:
                commit_set({kind: written[kind] for kind in final}, final)
            except KeyError as missing:
                return failed_row(job, f"the analysis wrote no {missing.args[0]}")
            except OutputError as err:
                return failed_row(job, str(err))
        return row
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@dataclass
class BatchPlan:
    """The jobs to run and the rows already known (up to date, or failed before starting)."""

    jobs: list[BatchJob]
    rows: dict[int, BatchRow] = field(default_factory=dict)
    total: int = 0
