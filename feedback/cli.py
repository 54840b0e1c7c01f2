"""`backform` command line: a thin shell over the library.

Every command runs inside `user_errors()`, which turns a BackformError into one red line
`backform: <message>` on stderr and the error's exit code - never a traceback.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from exercises.registry import spec_for
from exercises.spec import Counts
from feedback import routine_cli
from feedback.cli_options import LiveCliOptions
from feedback.coverage import no_faults_line
from feedback.history.commands import ComfortOptions, history_app, journal_app
from feedback.stopping import exit_code, held, signal_name, signum_of, stop_signals_raise
from vision.errors import BackformError

if TYPE_CHECKING:  # loaded lazily at run time: `backform --help` stays fast
    from feedback.analysis import AnalysisOutputs
    from feedback.batch_inputs import ExerciseChoice
    from feedback.history.store import HistoryStore

app = typer.Typer(
    name="backform",
    help="Webcam coach for physiotherapy back exercises.\n\nExercises (-e): {exercises}.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
out = Console(highlight=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


# Filled in by main() from the exercise registry, so --help lists exactly what -e accepts.
EXERCISES_PLACEHOLDER = "{exercises}"


def _version(value: bool) -> None:
    if value:
        from importlib import metadata

        try:
            version = metadata.version("backform")
        except metadata.PackageNotFoundError:
            version = "(not installed: run `pip install -e .`)"
        out.print(f"backform {version}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """The options before a command (the help text is the app's, above)."""


# history seam (issue 14): `backform history ...` and `backform journal add` live in feedback/history.
app.add_typer(history_app, name="history")
app.add_typer(journal_app, name="journal")


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[red]backform: {escape(message)}[/red]", soft_wrap=True)
    return typer.Exit(code)


def warn(message: str) -> None:
    """One line on stderr about something the run could not do fully; the exit code stays 0."""
    err_console.print(f"[yellow]backform: warning: {escape(message)}[/yellow]", soft_wrap=True)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """One line on stderr and a non-zero exit for anything the user can fix; a stop signal
    (Ctrl+C, SIGTERM, SIGHUP) exits with 128 + its number."""
    try:
        with stop_signals_raise():
            yield
    except BackformError as err:
        raise fail(str(err).splitlines()[0] if str(err) else type(err).__name__, err.exit_code) from None
    except KeyboardInterrupt as stop:
        signum = signum_of(stop)
        said = "interrupted" if signum == signal.SIGINT else f"stopped by {signal_name(signum)}"
        note = getattr(stop, "note", None)
        raise fail(f"{said}; {note}" if note else said, exit_code(signum)) from None


# feedback.video_out.DEFAULT_VIDEO_HEIGHT, not imported here: that loads PyAV and OpenCV.
DEFAULT_VIDEO_HEIGHT = 720

# Held over the library imports: a KeyboardInterrupt inside NumPy's C import makes OpenCV fail
# with an ImportError and a traceback, instead of a clean stop.
ctrl_c_held = held


class AnalyzeOptions:
    """`backform analyze`'s arguments and options, declared once here so the command reads short."""

    # readable=False: an unreadable file is the analysis's one-line input error, not a usage error.
    Videos = Annotated[
        list[Path],
        typer.Argument(
            metavar="VIDEO",
            help="Recorded video(s) of the exercise (MP4, MOV, ...), folders or quoted globs.",
            readable=False,
        ),
    ]
    Exercise = Annotated[
        list[str],
        typer.Option(
            "--exercise",
            "-e",
            metavar="EXERCISE",
            help="One of {exercises}; for a batch also PATTERN=EXERCISE (e.g. 'plank_*=plank'). "
            "Omitted (or 'auto'): recognise the exercises and judge each segment on its own.",
        ),
    ]
    OutVideo = Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Annotated H.264 video [default: <video>_annotated.mp4 here]."),
    ]
    Report = Annotated[
        Path | None, typer.Option("--report", "-r", help="JSON report [default: <video>_report.json here].")
    ]
    Csv = Annotated[Path | None, typer.Option("--csv", help="Per-rep CSV [default: next to the report].")]
    Plot = Annotated[Path | None, typer.Option("--plot", help="PNG plot [default: next to the report].")]
    Html = Annotated[
        Path | None,
        typer.Option("--html", help="HTML page for review, self-contained [default: next to the report]."),
    ]
    NoVideo = Annotated[bool, typer.Option("--no-video", help="Write the report only.")]
    NoHtml = Annotated[bool, typer.Option("--no-html", help="No HTML page.")]
    TargetReps = Annotated[
        int | None, typer.Option("--target-reps", help="Reps in the set: shown as progress toward it.")
    ]
    TargetHold = Annotated[
        float | None, typer.Option("--target-hold", help="Held exercises: seconds of good hold for the set.")
    ]
    Model = Annotated[Path | None, typer.Option("--model", help="Pose model .task file.", readable=False)]
    Thresholds = Annotated[
        Path | None, typer.Option("--thresholds", help="TOML file overriding thresholds.", readable=False)
    ]
    MaxSize = Annotated[
        int | None,
        typer.Option("--max-size", min=64, help="Downscale frames whose longest side exceeds this (pixels)."),
    ]
    Smooth = Annotated[bool, typer.Option("--smooth", help="Smooth landmarks (One Euro) before judging.")]
    Save = Annotated[
        bool, typer.Option("--save", help="Also keep this session in your history (`backform history`).")
    ]
    VideoHeight = Annotated[
        int,
        typer.Option(
            "--video-height",
            min=0,
            help="Annotated video at most this tall, in pixels; 0 keeps the source size.",
        ),
    ]
    OutDir = Annotated[
        Path | None,
        typer.Option("--out-dir", help="Batch: folder for every video's outputs [default: here]."),
    ]
    Force = Annotated[
        bool, typer.Option("--force", help="Batch: redo videos whose outputs are already up to date.")
    ]
    Jobs = Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, help="Batch: processes [default: one per core].")
    ]
    Cluster = Annotated[
        str | None, typer.Option("--cluster", help="Batch: run on a Dask scheduler, e.g. tcp://host:8786.")
    ]


@dataclass(frozen=True)
class AnalyzeArgs:
    """`backform analyze`'s arguments as one value, for the helpers that carry out its parts."""

    videos: list[Path]
    exercise: list[str]
    out_video: Path | None
    report: Path | None
    csv: Path | None
    plot: Path | None
    html: Path | None
    no_video: bool
    no_html: bool
    target_reps: int | None
    target_hold: float | None
    model: Path | None
    thresholds: Path | None
    max_size: int | None
    smooth: bool
    save: bool
    video_height: int
    out_dir: Path | None
    force: bool
    jobs: int | None
    cluster: str | None


@app.command(short_help="Analyse recorded videos: annotated video, reports, plot, HTML page.")
def analyze(
    videos: AnalyzeOptions.Videos,
    exercise: AnalyzeOptions.Exercise = [],  # noqa: B006 (typer reads the default; never mutated)
    out_video: AnalyzeOptions.OutVideo = None,
    report: AnalyzeOptions.Report = None,
    csv: AnalyzeOptions.Csv = None,
    plot: AnalyzeOptions.Plot = None,
    html: AnalyzeOptions.Html = None,
    no_video: AnalyzeOptions.NoVideo = False,
    no_html: AnalyzeOptions.NoHtml = False,
    target_reps: AnalyzeOptions.TargetReps = None,
    target_hold: AnalyzeOptions.TargetHold = None,
    model: AnalyzeOptions.Model = None,
    thresholds: AnalyzeOptions.Thresholds = None,
    max_size: AnalyzeOptions.MaxSize = None,
    smooth: AnalyzeOptions.Smooth = False,
    save: AnalyzeOptions.Save = False,
    video_height: AnalyzeOptions.VideoHeight = DEFAULT_VIDEO_HEIGHT,
    out_dir: AnalyzeOptions.OutDir = None,
    force: AnalyzeOptions.Force = False,
    jobs: AnalyzeOptions.Jobs = None,
    cluster: AnalyzeOptions.Cluster = None,
) -> None:
    """Analyse recorded videos: annotated video, JSON/CSV report, a plot and an HTML page for each.

    Several videos, a folder or a glob make a batch: outputs go to --out-dir with a
    summary.csv; videos whose outputs are up to date are skipped.
    """
    args = AnalyzeArgs(**locals())  # before any other local: exactly the parameters above
    with user_errors():
        with ctrl_c_held():
            from feedback.batch_inputs import ExerciseChoice, is_batch_request
        if save and (len(videos) > 1 or out_dir or cluster or jobs or is_batch_request(videos)):
            raise fail("--save keeps one video's session in the history; give one video", 2)  # history seam
        choice = ExerciseChoice.parse(exercise)
        one_video_outputs = any(o is not None for o in (out_video, report, csv, plot, html))
        batch_options = out_dir is not None or cluster is not None or jobs is not None
        # With one input and its outputs named, analyze is the single-video command it always was.
        if batch_options or len(videos) > 1 or (is_batch_request(videos) and not one_video_outputs):
            if one_video_outputs:
                raise fail(
                    "a batch writes to --out-dir: -o/--report/--csv/--plot/--html name one video's files", 2
                )
            if target_reps is not None or target_hold is not None:
                raise fail("--target-reps/--target-hold describe one video's set; analyse it on its own", 2)
            _analyze_batch(args, choice)
            return
        video = videos[0]
        exercise_name = choice.for_video(video)
        if exercise_name is None and choice.patterns:
            raise fail(f"no --exercise given for {video.name}", 2)
        history = _open_history(warn) if save else None  # history seam: fails before the analysis
        outputs = _one_video_outputs(args, video)
        if exercise_name in (None, "auto"):
            from feedback.segmented import analyze_segments

            found = analyze_segments(
                video, outputs, None, model, thresholds, max_size, smooth, video_height=video_height or None
            )
            print_segments(found)
            return
        _analyze_one(args, video, exercise_name, outputs, history)


def _analyze_batch(a: AnalyzeArgs, choice: ExerciseChoice) -> None:
    """`analyze` on several videos (a folder, a glob, --out-dir...): a batch."""
    with ctrl_c_held():
        from feedback.batch import JobOptions
        from feedback.batch_run import BatchRequest, run_batch
    request = BatchRequest(
        inputs=a.videos,
        exercises=choice,
        out_dir=a.out_dir or Path.cwd(),
        options=JobOptions(
            a.model,
            None,
            a.max_size,
            a.smooth,
            not a.no_video,
            html=not a.no_html,
            video_height=a.video_height or None,
        ),
        thresholds=a.thresholds,
        force=a.force,
        processes=a.jobs,
        cluster=a.cluster,
    )
    code = run_batch(request, out, err_console)
    if code:
        raise typer.Exit(code)


def _one_video_outputs(a: AnalyzeArgs, video: Path) -> AnalysisOutputs:
    """One video's output paths: those named, the rest next to the report (or here)."""
    with ctrl_c_held():
        from feedback.analysis import AnalysisOutputs, beside_report, html_beside
    defaults = AnalysisOutputs.defaults(video)
    report_path = a.report or defaults.report
    default_csv, default_plot = beside_report(report_path)
    return AnalysisOutputs(
        report=report_path,
        video=None if a.no_video else (a.out_video or defaults.video),
        csv=a.csv or default_csv,
        plot=a.plot or default_plot,
        html=None if a.no_html else (a.html or html_beside(report_path)),
    )


def _analyze_one(
    a: AnalyzeArgs, video: Path, exercise_name: str, outputs: AnalysisOutputs, history: HistoryStore | None
) -> None:
    """`analyze` of one video for one exercise: the run, its summary, the history, the exit code."""
    with ctrl_c_held():
        from feedback.analysis import analyze_video
        from feedback.progress import rich_progress
    result = analyze_video(
        video,
        exercise_name,
        outputs,
        model=a.model,
        thresholds=a.thresholds,
        max_size=a.max_size,
        smoothing=a.smooth,
        progress=rich_progress(err_console),
        target_reps=a.target_reps,
        target_hold_s=a.target_hold,
        video_height=a.video_height or None,
        skip_other_exercises=True,
    )
    print_summary(result)
    if history is not None and not result.partial:  # history seam (issue 14)
        from feedback.history.recording import save_analysis

        with history:
            entry = save_analysis(history, result.report)
        out.print(f"history: saved as session {entry.uid}")
    for line in result.warnings:
        warn(line)
    if reason := result.report.extra.get("nothing_counted"):
        err_console.print(f"backform: note: {escape(reason)}", soft_wrap=True)
    if result.partial:
        signum = result.pipeline.stop_signal or signal.SIGINT
        by = "" if signum == signal.SIGINT else f" by {signal_name(signum)}"
        raise fail(f"stopped early{by}; the report covers the frames analysed so far", exit_code(signum))


def print_segments(result) -> None:
    """The recognised segments of `analyze` without --exercise, one row each."""
    table = Table(title=f"Exercises found - {result.video.name}")
    for name in ("exercise", "from (s)", "to (s)", "confidence", "reps", "hold (s)", "faults"):
        table.add_column(name)
    for r in result.segments:
        s = r.summary
        faults = ", ".join(dict.fromkeys(f["code"].replace("_", " ") for f in s.get("faults", [])))
        table.add_row(
            r.segment.label,
            f"{r.start_s:.1f}",
            f"{r.end_s:.1f}",
            f"{r.segment.confidence:.2f}",
            str(s["reps"]) if r.judged else "",
            f"{s['hold_s']:.1f}" if r.judged else "",
            faults if r.judged else r.note,
        )
    out.print(table)
    for r in result.segments:
        for kind, path in r.written.items():
            out.print(f"{kind:>6}: {escape(str(path))}", soft_wrap=True)
    if result.annotated is not None:
        out.print(f" video: {escape(str(result.annotated))}", soft_wrap=True)
    if result.summary_path is not None:
        out.print(f"summary: {escape(str(result.summary_path))}", soft_wrap=True)


def print_summary(result) -> None:
    r = result.report
    table = Table(title=f"{r.title or r.exercise} - {Path(r.video or '').name}", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("Frames with a person", f"{r.frames_with_pose} / {r.frames}  ({r.duration_s:.1f} s)")
    view = r.view
    table.add_row(
        "View",
        f"{view.side or '?'} side, {'ok' if view.ok else 'NOT OK'} ({view.ok_fraction:.0%} of frames judged)",
    )
    counts = spec_for(r.exercise).counts
    if r.reps or r.partial_reps or counts == Counts.REPS:
        partial = f" (+{len(r.partial_reps)} partial)" if r.partial_reps else ""
        of = f" of {target}" if (target := r.extra.get("target_reps")) else ""
        table.add_row("Reps", f"{r.rep_count}{of}{partial}")
        flagged = [
            f"#{rep.index} {', '.join(c.replace('_', ' ') for c in rep.faults)}"
            for rep in r.reps
            if rep.faults
        ]
        if flagged:
            table.add_row("Reps with faults", "; ".join(flagged))
    if r.hold_s or counts == Counts.HOLD:
        of = f" of {target:g} s" if (target := r.extra.get("target_hold_s")) else ""
        table.add_row("Hold", f"{r.hold_s:.1f} s{of} (best continuous {r.best_hold_s:.1f} s)")
    if r.no_person:
        table.add_row(
            "No person seen", ", ".join(f"{g.start_s:.1f}-{g.end_s:.1f} s" for g in r.no_person[:5])
        )
    out.print(table)
    for seg in r.extra.get("skipped_segments", []):
        out.print(f"Skipped, another exercise: {seg['exercise']} {seg['start_s']:.1f}-{seg['end_s']:.1f} s")
    if r.faults:
        faults = Table(title="Faults", show_lines=False)
        for name in ("fault", "advice", "when (s)", "total"):
            faults.add_column(name)
        for code, total in sorted(r.fault_time_s.items(), key=lambda kv: -kv[1]):
            spans = [f for f in r.faults if f.code == code]
            when = ", ".join(f"{f.start_s:.1f}-{f.end_s:.1f}" for f in spans[:6])
            more = f" (+{len(spans) - 6})" if len(spans) > 6 else ""
            faults.add_row(code.replace("_", " "), spans[0].message, when + more, f"{total:.1f} s")
        out.print(faults)
    else:
        out.print(no_faults_line(r))
    for kind, path in result.written.items():
        out.print(f"{kind:>6}: {escape(str(path))}", soft_wrap=True)
    out.print(
        f"{result.pipeline.frames} frames in {result.pipeline.wall_s:.1f} s ({result.pipeline.fps:.1f} fps)"
    )


def _open_history(warn_line):
    """The history, opened for writing before a long run so a fault is found first."""
    from feedback.history.store import HistoryStore

    return HistoryStore.open(write=True, warn=warn_line)


def _camera_choice(camera: str) -> tuple[int | str, Path | None]:
    """`--camera`: an index (0, 1, ...), a video file to play as a camera, or a stream URL."""
    from vision.errors import ConfigError

    text = camera.strip()
    if text.isdigit():
        return int(text), None
    if Path(text).expanduser().is_file():
        return 0, Path(text).expanduser()
    if "://" in text:
        return text, None
    raise ConfigError(f"No camera or video file called '{camera}': give a camera number (0, 1, ...).")


@app.command(short_help="Practise at the camera with an overlay and spoken cues.")
def live(
    exercise: LiveCliOptions.Exercise = None,
    camera: LiveCliOptions.Camera = "0",
    target_reps: LiveCliOptions.TargetReps = None,
    target_hold: LiveCliOptions.TargetHold = None,
    voice: LiveCliOptions.Voice = True,
    record: LiveCliOptions.Record = None,
    mirror: LiveCliOptions.Mirror = False,
    debug: LiveCliOptions.Debug = False,
    keep_going: LiveCliOptions.KeepGoing = False,
    model: LiveCliOptions.Model = None,
    thresholds: LiveCliOptions.Thresholds = None,
    smooth: LiveCliOptions.Smooth = False,
    clip: LiveCliOptions.Clip = None,
    sessions_dir: LiveCliOptions.SessionsDir = None,
    pain_before: ComfortOptions.PainBefore = None,
    pain_after: ComfortOptions.PainAfter = None,
    note: ComfortOptions.Note = None,
    tasks: ComfortOptions.Tasks = None,
    sleep: ComfortOptions.Sleep = None,
) -> None:
    """Guided practice at the camera: overlay, spoken cues, rep count; saves a session report.

    Keys in the window: q/Esc quit, space pause/resume, r reset the count, v voice on/off.
    The session goes into your history with the comfort answers (--pain-before, ...).
    """
    with user_errors():
        with ctrl_c_held():
            from feedback.history.paths import sessions_dir as history_sessions_dir
            from feedback.history.recording import comfort_from_options
            from feedback.live import LiveOptions, run_live
        comfort = comfort_from_options(pain_before, pain_after, note, tasks, sleep)
        index, file = _camera_choice(camera)
        comfort, history = start_journal(comfort, sessions_dir)
        options = LiveOptions(
            exercise=exercise,
            camera=index,
            clip=clip or file,
            target_reps=target_reps,
            target_hold_s=target_hold,
            voice=voice,
            record=record,
            mirror=mirror,
            debug=debug,
            model=model,
            thresholds=thresholds,
            smoothing=smooth,
            stop_at_target=not keep_going,
            # history seam (issue 14): sessions go to the data folder the history indexes
            # (the same folder as before unless BACKFORM_DATA_DIR names another).
            sessions_dir=sessions_dir if sessions_dir is not None else history_sessions_dir(),
        )
        result = run_live(options, say=lambda line: err_console.print(escape(line), soft_wrap=True))
        _after_live(result, exercise, history, comfort)


def _after_live(result, exercise: str | None, history: HistoryStore | None, comfort) -> None:
    """The summaries, the history (the comfort questions asked once for the whole session,
    however many exercises it held) and the exit code."""
    from feedback.live import print_live_summary

    parts = result.parts or [result]  # without --exercise: one saved session per exercise
    if not result.parts and exercise in (None, "auto") and result.pipeline.frames_with_pose:
        from exercises.registry import SPECS

        names = ", ".join(spec.title.lower() for spec in SPECS.values())
        out.print(f"None of the exercises ({names}) was recognised; nothing was saved.")
        parts = []
    for part in parts:
        print_live_summary(part, out)
    if history is not None:  # history seam (issue 14)
        from feedback.history.commands import record_and_advise

        with history:
            for i, part in enumerate(parts):
                asked = i == 0 and not result.interrupted
                comfort = record_and_advise(history, part, comfort, out, ask=asked)
    end_of_session(result)


def start_journal(comfort, sessions_dir: Path | None) -> tuple[Any, HistoryStore | None]:
    """Before a session at the camera: the history opened (unless a test names its own
    sessions folder) and, in a terminal, the pain before it asked (keys 0-9/t)."""
    # history seam (issue 14): answers checked and the history opened before the camera.
    history = _open_history(warn) if sessions_dir is None else None
    if history is not None:
        from feedback.history.commands import ask_before_session

        comfort = ask_before_session(comfort)
    return comfort, history


def end_of_session(result) -> None:
    """A live session or routine that ended early: one line and its exit code."""
    if result.interrupted:
        signum = result.stop_signal or signal.SIGINT
        saved = "; the session so far is saved" if result.folder else ""
        raise fail(f"stopped by {signal_name(signum)}{saved}", exit_code(signum))
    if result.camera_lost:
        raise fail("the camera was lost; the report covers the session so far")


class EvaluateOptions:
    """`backform evaluate`'s arguments and options."""

    Folder = Annotated[
        Path,
        typer.Argument(
            help="Folder of clips (with NAME.labels.json beside each, or see --labels).", readable=False
        ),
    ]
    Labels = Annotated[
        Path | None,
        typer.Option(
            "--labels",
            help="One JSON file labelling the clips in FOLDER by name (real-clip schema).",
            readable=False,
        ),
    ]
    JsonOut = Annotated[Path | None, typer.Option("--json", help="Also save the per-clip results as JSON.")]


@app.command(short_help="Compare the analysis of labelled clips with their labels.")
def evaluate(
    folder: EvaluateOptions.Folder,
    labels: EvaluateOptions.Labels = None,
    json_out: EvaluateOptions.JsonOut = None,
    model: AnalyzeOptions.Model = None,
    smooth: AnalyzeOptions.Smooth = False,
) -> None:
    """Compare the analysis of labelled clips with their labels: one table of results.

    Reps, holds, faults, view verdict per clip, with a verdict (right, or which check is
    wrong); angle errors against rendered ground truth where the labels carry it. A
    measurement, not a test: the exit code is 0 whenever the evaluation ran.
    """
    with user_errors():
        with ctrl_c_held():
            import tempfile

            from feedback.atomic import check_writable
            from feedback.evaluate import (
                TABLE_WIDTH,
                analyze_for_evaluation,
                evaluate_folder,
                load_labels,
                misses_text,
                results_table,
                signals_table,
                summary_line,
                totals,
                write_results_json,
            )
        load_labels(folder, labels)  # every label checked before a single clip is analysed
        if json_out is not None:
            check_writable(json_out)
        with tempfile.TemporaryDirectory(prefix="backform-evaluate-") as workdir:
            results = evaluate_folder(
                folder,
                analyze_for_evaluation(model=model, smoothing=smooth, workdir=Path(workdir)),
                on_clip=lambda i, n, name: err_console.print(f"[{i}/{n}] {escape(name)}", soft_wrap=True),
                labels_file=labels,
            )
        # Piped or saved, the table keeps its full width instead of folding to 80 characters.
        table_out = out if out.is_terminal else Console(highlight=False, width=TABLE_WIDTH)
        table_out.print(results_table(results, width=min(table_out.width, TABLE_WIDTH)))
        signals = signals_table(results)
        if signals is not None:
            table_out.print(signals)
        for line in misses_text(results):
            out.print(escape(line), soft_wrap=True)
        if json_out is not None:
            out.print(f"  json: {write_results_json(results, json_out)}")
        out.print(summary_line(totals(results)), soft_wrap=True)


# routine seam (issue 14): `backform routine` lives in feedback/routine_cli.py.
app.command("routine", short_help=routine_cli.SHORT_HELP)(routine_cli.routine)


def main(argv: list[str] | None = None) -> None:
    """Entry point (`backform`, `python -m feedback.cli`)."""
    from feedback.matplotlib_dirs import use_writable_matplotlib_dirs

    use_writable_matplotlib_dirs()  # before MediaPipe, which loads matplotlib, is imported
    command = typer.main.get_command(app)
    with ctrl_c_held():
        from exercises.registry import EXERCISES
    names = ", ".join(EXERCISES)
    for help_owner in (
        command,
        *command.commands.values(),
        *(p for c in command.commands.values() for p in c.params),
    ):
        if help_owner.help and EXERCISES_PLACEHOLDER in help_owner.help:
            help_owner.help = help_owner.help.replace(EXERCISES_PLACEHOLDER, names)
    command(args=argv if argv is not None else sys.argv[1:], prog_name="backform")


if __name__ == "__main__":
    main()
