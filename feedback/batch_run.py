"""`backform analyze` on many videos: plan, run (here or on a Dask cluster), summarise.

The command checks everything cheap first (exercises, thresholds, output folder, model), skips
videos whose outputs are complete and newer than the input, then runs the rest with one
overall progress bar and prints one line per video as it finishes.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from feedback.analysis import AnalysisOutputs
from feedback.atomic import check_writable
from feedback.batch import (
    BatchJob,
    BatchPlan,
    BatchRow,
    JobOptions,
    clear_stale_staging,
    failed_row,
    up_to_date,
)
from feedback.batch import row_from_report as _row_from_report
from feedback.batch_auto import up_to_date_auto
from feedback.batch_inputs import AUTO, ExerciseChoice, find_videos
from feedback.batch_summary import counts_line, summary_table, write_summary_csv
from feedback.stopping import exit_code, signal_name
from vision.errors import BackformError, VideoError

SUMMARY_NAME = "summary.csv"
EXIT_FAILED_VIDEOS = 1


@dataclass(frozen=True)
class BatchRequest:
    inputs: list[Path]
    exercises: ExerciseChoice
    out_dir: Path
    options: JobOptions = field(default_factory=JobOptions)
    thresholds: Path | None = None
    force: bool = False
    processes: int | None = None  # default: one per core
    cluster: str | None = None  # a Dask scheduler address


def default_processes() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def plan_batch(request: BatchRequest, videos: list[Path]) -> BatchPlan:
    """One job per video still to analyse; rows for the rest (up to date, or failed up front)."""
    plan = BatchPlan(jobs=[], total=len(videos))
    by_stem: dict[str, Path] = {}
    for index, video in enumerate(videos):
        exercise = request.exercises.in_batch(video)
        outputs = AnalysisOutputs.defaults(video, request.out_dir)
        if not request.options.video:
            outputs = replace(outputs, video=None)
        if not request.options.html or exercise == AUTO:  # segments: a JSON, CSV and plot each
            outputs = replace(outputs, html=None)
        if exercise == AUTO:  # the summary and the whole video; the segments' are named from them
            outputs = replace(outputs, csv=None, plot=None)
        job = BatchJob(index, video, exercise or "?", outputs, request.options)
        if exercise is None:
            plan.rows[index] = failed_row(job, "no --exercise given for this file (add PATTERN=EXERCISE)")
        elif not video.is_file():
            plan.rows[index] = failed_row(job, f"Video file not found: {video}")
        elif (other := by_stem.setdefault(video.stem, video)) != video:
            plan.rows[index] = failed_row(job, f"same name as {other}: its outputs would overwrite these")
        elif not request.force and exercise == AUTO and (row := up_to_date_auto(job)) is not None:
            plan.rows[index] = row
        elif not request.force and exercise != AUTO and (report := up_to_date(job)) is not None:
            plan.rows[index] = _row_from_report(job, report, "up to date")
        else:
            plan.jobs.append(job)
    return plan


def check_request(request: BatchRequest) -> JobOptions:
    """Fail fast on what would fail every video: exercises, thresholds, output folder, model."""
    from exercises.registry import create_checker

    for name in request.exercises.names():
        if name != AUTO:
            create_checker(name, request.thresholds)
    check_writable(request.out_dir / SUMMARY_NAME)
    options = request.options
    if options.model is not None:  # workers may run elsewhere: never relative to this folder
        options = replace(options, model=Path(os.path.abspath(options.model.expanduser())))
    if request.thresholds is not None:
        options = replace(options, thresholds_text=request.thresholds.read_text(encoding="utf-8"))
    if request.cluster is None:
        from vision.model import resolve_model

        # Once here, not once per process (it may download).
        options = replace(options, model=resolve_model(options.model))
    return options


def probe_frames(video: Path) -> int:
    """The container's frame count (or duration x rate); 0 if it does not say."""
    import av

    try:
        with av.open(str(video)) as container:
            stream = container.streams.video[0]
            if stream.frames:
                return int(stream.frames)
            if stream.duration and stream.time_base and stream.average_rate:
                return int(stream.duration * stream.time_base * stream.average_rate)
    except Exception:  # unreadable: the job itself will say why
        return 0
    return 0


def run_batch(request: BatchRequest, out: Console, err: Console) -> int:
    """Run the batch; returns the exit code (0 all done, 1 some failed, 128 + signal stopped)."""
    videos, empty = find_videos(request.inputs)
    for line in empty:
        err.print(f"[yellow]backform: warning: {escape(line)}[/yellow]", soft_wrap=True)
    if not videos:
        raise VideoError(f"No videos found in {' '.join(map(str, request.inputs))}.")
    options = check_request(request)
    with _runner(request) as runner:
        request = replace(request, options=options)
        clear_stale_staging(request.out_dir)
        plan = plan_batch(request, videos)
        jobs = plan.jobs
        where = (
            f"on the cluster at {request.cluster}"
            if request.cluster
            else f"in {min(request.processes or default_processes(), max(1, len(jobs)))} processes"
        )
        skipped = sum(r.status == "up to date" for r in plan.rows.values())
        err.print(
            f"{len(videos)} video{'' if len(videos) == 1 else 's'}: {len(jobs)} to analyse {where}"
            + (f", {skipped} up to date (--force redoes them)" if skipped else ""),
            soft_wrap=True,
        )
        rows = dict(plan.rows)
        stopped_by: int | None = None
        if jobs:
            ran, stopped_by = _run_jobs(runner, jobs, err)
            rows.update(ran)
    ordered = [
        rows.get(i) or BatchRow(videos[i].name, request.exercises.in_batch(videos[i]) or "?", "not run")
        for i in range(len(videos))
    ]
    (out if out.is_terminal else Console(highlight=False, width=200)).print(summary_table(ordered))
    summary = write_summary_csv(ordered, request.out_dir / SUMMARY_NAME)
    out.print(f"summary: {summary}  ({counts_line(ordered)})", soft_wrap=True)
    failed = sum(r.failed for r in ordered)
    if stopped_by is not None:
        finished = sum(r.status == "done" for r in ordered)
        by = "" if stopped_by == signal.SIGINT else f" by {signal_name(stopped_by)}"
        err.print(
            f"[red]backform: stopped{by}; {finished} video{'' if finished == 1 else 's'} finished, "
            "the others were left as they were[/red]",
            soft_wrap=True,
        )
        return exit_code(stopped_by)
    if failed:
        err.print(
            f"[red]backform: {failed} of {len(ordered)} videos could not be analysed; see {summary}[/red]",
            soft_wrap=True,
        )
        return EXIT_FAILED_VIDEOS
    return 0


def _run_jobs(runner: Runner, jobs: list[BatchJob], err: Console) -> tuple[dict[int, BatchRow], int | None]:
    totals = {job.index: probe_frames(job.video) for job in jobs}
    known = [n for n in totals.values() if n]
    average = sum(known) // len(known) if known else 300
    totals = {i: n or average for i, n in totals.items()}
    done_frames: dict[int, int] = {}
    # One line within the terminal: "Analysing", M/N frames, "k/n videos", ETA; the bar gets the rest.
    digits, count = len(str(sum(totals.values()))) + 1, len(str(len(jobs)))
    fixed = 9 + (1 + 2 * digits + 1) + (1 + 7) + (1 + 2 * count + 1 + 7) + (1 + 3) + (1 + 7) + 2
    progress = Progress(
        TextColumn("[bold]Analysing"),
        BarColumn(bar_width=max(10, min(40, err.width - fixed))),
        MofNCompleteColumn(),
        TextColumn("frames, {task.fields[videos]} videos"),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=err,
        disable=not err.is_terminal,
    )
    task = progress.add_task("batch", total=sum(totals.values()), videos=f"0/{len(jobs)}")
    finished = 0

    def on_frames(index: int, frames: int) -> None:
        # A video retried elsewhere starts again from 0: the bar follows the latest count.
        done_frames[index] = min(frames, totals.get(index, frames))
        progress.update(task, completed=sum(done_frames.values()))

    def on_row(job: BatchJob, row: BatchRow) -> None:
        nonlocal finished
        finished += 1
        done_frames[job.index] = totals[job.index]
        progress.update(task, completed=sum(done_frames.values()), videos=f"{finished}/{len(jobs)}")
        detail = escape(row.note) if row.failed else f"{row.frames} frames in {row.wall_s:.1f} s"
        colour = "red" if row.failed else "green"
        progress.console.print(
            f"[{finished}/{len(jobs)}] {escape(job.label)}: [{colour}]{row.status}[/{colour}] {detail}",
            soft_wrap=True,
        )

    # Longest first: the last videos to finish are short ones, so no core idles long at the end.
    longest_first = sorted(jobs, key=lambda job: -totals[job.index])
    with progress:
        return runner(longest_first, on_frames, on_row)


Runner = Callable[..., tuple[dict[int, BatchRow], int | None]]


@contextlib.contextmanager
def _runner(request: BatchRequest) -> Iterator[Runner]:
    """Where the jobs run: local processes, or the Dask cluster (connected on entry, so an
    unreachable scheduler fails before anything else is said or done)."""
    if request.cluster is None:
        from feedback.batch_local import run_local

        processes = request.processes or default_processes()
        yield lambda jobs, on_frames, on_row: run_local(jobs, processes, on_frames, on_row)
        return
    try:
        from feedback.cluster import connect, run_on_cluster
    except ImportError as err:
        raise BackformError(
            f'--cluster needs Dask distributed ({err.name} is missing): pip install -e ".[cluster]"'
        ) from None
    client = connect(request.cluster)
    try:
        yield lambda jobs, on_frames, on_row: run_on_cluster(client, jobs, on_frames, on_row)
    finally:
        client.close()
