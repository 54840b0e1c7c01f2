"""Offline analysis of one recorded video: the wiring behind `backform analyze`.

Reusable by other commands (evaluate, bench): it validates everything cheap first (exercise,
input, output paths, model) so a mistake costs seconds rather than a full run, then runs the
shared pipeline and writes the outputs atomically.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exercises.base import Assessment, Checker
from exercises.registry import spec_for
from exercises.spec import Counts
from feedback.atomic import OutputSet, check_writable
from feedback.coverage import CoverageSink, coverage_warnings, nothing_judged, too_short
from feedback.cues import CuePolicy, CuePolicyConfig, CueStage
from feedback.explain import why_nothing_counted
from feedback.other_exercises import OtherExercises, OtherExercisesFound
from feedback.overlay import ExerciseDisplay, Overlay, display_for
from feedback.pipeline import FrameLike, PipelineResult, Sink, run_pipeline
from feedback.report import stage_report_files
from feedback.session import Report, SessionRecorder
from feedback.sinks import AnnotatedVideoSink
from feedback.stills import FaultStill, FaultStillSink
from feedback.stopping import Stopped, held, signum_of
from feedback.targets import check_targets
from feedback.video_out import (
    ANNOTATED_CRF,
    ANNOTATED_PRESET,
    DEFAULT_VIDEO_HEIGHT,
    VIDEO_SUFFIXES,
    VideoWriter,
)
from vision.errors import NoPersonError, OutputError, VideoError


@dataclass(frozen=True)
class AnalysisOutputs:
    """Where results go; None skips that output."""

    report: Path | None
    video: Path | None = None
    csv: Path | None = None
    plot: Path | None = None
    html: Path | None = None

    @staticmethod
    def defaults(video: Path, folder: Path | None = None) -> AnalysisOutputs:
        """`<stem>_annotated.mp4` and `<stem>_report.{json,csv,png,html}` in `folder` (default: cwd)."""
        folder = Path.cwd() if folder is None else folder
        report = folder / f"{video.stem}_report.json"
        csv, plot = beside_report(report)
        return AnalysisOutputs(report, folder / f"{video.stem}_annotated.mp4", csv, plot, html_beside(report))

    def paths(self) -> dict[str, Path]:
        return {
            k: v
            for k, v in (
                ("video", self.video),
                ("report", self.report),
                ("csv", self.csv),
                ("plot", self.plot),
                ("html", self.html),
            )
            if v is not None
        }


def beside_report(report: Path) -> tuple[Path, Path]:
    """Default CSV and plot names next to the report: hinge.json -> hinge.csv, hinge.png."""
    if report.name in ("", ".", ".."):  # `--report .`: there is no name to put a suffix on
        raise OutputError(f"Output {report} is a folder; give a file name.")
    return report.with_suffix(".csv"), report.with_suffix(".png")


def html_beside(report: Path) -> Path:
    """The default HTML page next to the report: hinge.json -> hinge.html."""
    beside_report(report)  # the same check that there is a file name
    return report.with_suffix(".html")


@dataclass
class AnalysisResult:
    report: Report
    pipeline: PipelineResult
    info: Any  # vision.sources.VideoInfo
    written: dict[str, Path] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # one line each: what could not be analysed

    @property
    def partial(self) -> bool:
        return self.report.partial


ProgressFactory = Callable[[Any], Sink]  # VideoInfo -> a progress sink


@dataclass(frozen=True)
class Backends:
    """The parts analysis plugs together; tests and benchmarks substitute their own.

    open_video(path, max_size) -> FrameSource; create_checker(name, thresholds) -> Checker;
    resolve_model(explicit) -> Path; make_estimator(model_path, workers=1, **options) -> context
    manager whose value has estimate() (and stream() when workers > 1); make_smoother() ->
    callable Pose -> Pose.
    Imported lazily so `backform --help` never loads MediaPipe.
    """

    open_video: Callable[..., Any]
    create_checker: Callable[[str, Path | None], Checker]
    resolve_model: Callable[[Path | None], Path]
    make_estimator: Callable[..., Any]
    make_smoother: Callable[[], Any]


def default_backends() -> Backends:
    from exercises.registry import create_checker
    from vision.estimator import PoseEstimator, PoseEstimatorOptions
    from vision.model import resolve_model
    from vision.parallel import EstimatorPool
    from vision.smoothing import PoseSmoother
    from vision.sources import open_video

    def make_estimator(model_path: Path, workers: int = 1, **options: Any) -> PoseEstimator | EstimatorPool:
        opts = PoseEstimatorOptions(model_path=model_path, **options)
        return EstimatorPool(opts, workers) if workers > 1 else PoseEstimator(opts)

    return Backends(open_video, create_checker, resolve_model, make_estimator, PoseSmoother)


def cue_config_for(display: ExerciseDisplay) -> CuePolicyConfig:
    """Cue timing defaults with the display's target as the set's end (reps or hold seconds)."""
    if display.target is None:
        return CuePolicyConfig()
    if display.counts == Counts.HOLD:
        return CuePolicyConfig(target_hold_s=float(display.target))
    return CuePolicyConfig(target_reps=int(display.target))


def model_in_use(model: Path | None) -> Path | None:
    """The model file a run will read, as far as it is known before resolving (no download)."""
    if model is not None:
        return Path(model).expanduser()
    from vision.model import ENV_MODEL, cached_model_path

    env = os.environ.get(ENV_MODEL, "").strip()
    return Path(env).expanduser() if env else cached_model_path()


def check_outputs(
    video: Path, outputs: AnalysisOutputs, model: Path | None = None, thresholds: Path | None = None
) -> None:
    """All outputs writable regular files (or new names), none of them an input, no two the same."""
    if outputs.video is not None and outputs.video.suffix.lower() not in VIDEO_SUFFIXES:
        raise OutputError(
            f"The annotated video must end in {' or '.join(VIDEO_SUFFIXES)}, not '{outputs.video.name}'."
        )
    inputs = {"input video": video, "pose model": model_in_use(model), "thresholds file": thresholds}
    seen: dict[Path, str] = {}
    for kind, path in outputs.paths().items():
        check_writable(path, inputs=inputs)
        key = Path(os.path.abspath(path.expanduser()))
        if key in seen:
            raise OutputError(
                f"The {kind} and the {seen[key]} would both be written to {path}; give distinct names."
            )
        seen[key] = kind


def analyze_video(
    video: Path,
    exercise: str,
    outputs: AnalysisOutputs,
    model: Path | None = None,
    thresholds: Path | None = None,
    max_size: int | None = None,
    smoothing: bool = False,
    progress: ProgressFactory | None = None,
    on_frame: Callable[[FrameLike, Assessment], None] | None = None,
    estimator_options: dict | None = None,
    backends: Backends | None = None,
    workers: int | None = None,
    encoder_threads: int | None = None,
    target_reps: int | None = None,
    target_hold_s: float | None = None,
    video_height: int | None = DEFAULT_VIDEO_HEIGHT,
    skip_other_exercises: bool = False,
) -> AnalysisResult:
    """Analyse `video` for `exercise`; writes the requested outputs and returns the report.

    `workers` pose estimators run side by side (default one: a single tracker sees every frame,
    as in live mode; two trackers taking turns hand over with small steps in the landmarks that
    cost reps and faults on the sample and stress clips, so more than one is for benchmarks and
    for whoever accepts that; batches use one process per core instead).
    `encoder_threads`: x264 threads (default: 1 when the estimators fill the cores, else x264's
    choice); a batch running one video per core passes 1.
    `target_reps` / `target_hold_s`: the set's target, if the user gave one: the overlay shows
    progress toward it and the report records it; without one no target is shown.
    `video_height`: the annotated video is scaled down to at most this tall (None: source size);
    the overlay is drawn at that size.
    Raises a BackformError subclass (one-line message) for bad input. Ctrl+C (or SIGTERM,
    SIGHUP) during the run yields a valid report marked partial (and a playable video of the
    frames so far). The outputs are one set: all of them are written, or none (an OutputError,
    older files of those names untouched). A stop signal while they are written is held until
    they are, then raised.
    `skip_other_exercises`: segments recognised as another exercise are left out of the
    judging and listed in the report (feedback.other_exercises; `analyze -e`, batches, evaluate).
    """
    args = dict(locals())
    del args["skip_other_exercises"]
    if not skip_other_exercises:
        return _analyze_once(**args, recognition=None)
    try:
        return _analyze_once(**args, recognition=OtherExercises(exercise))
    except OtherExercisesFound as found:
        return _analyze_once(**args, recognition=OtherExercises(exercise, found.skipped))


def _analyze_once(
    video: Path,
    exercise: str,
    outputs: AnalysisOutputs,
    recognition: OtherExercises | None,
    model: Path | None = None,
    thresholds: Path | None = None,
    max_size: int | None = None,
    smoothing: bool = False,
    progress: ProgressFactory | None = None,
    on_frame: Callable[[FrameLike, Assessment], None] | None = None,
    estimator_options: dict | None = None,
    backends: Backends | None = None,
    workers: int | None = None,
    encoder_threads: int | None = None,
    target_reps: int | None = None,
    target_hold_s: float | None = None,
    video_height: int | None = DEFAULT_VIDEO_HEIGHT,
) -> AnalysisResult:
    """One run of `analyze_video`; `recognition` taps the poses or drops skipped frames."""
    b = backends or default_backends()
    video = Path(video).expanduser()
    checker = b.create_checker(exercise, thresholds)
    spec = spec_for(checker.name)
    target = check_targets(checker.name, spec.counts, target_reps, target_hold_s)
    if not video.exists():
        raise VideoError(f"Video file not found: {video}")
    check_outputs(video, outputs, model=model, thresholds=thresholds)

    writer: VideoWriter | None = None
    saved = False
    try:
        with b.open_video(video, max_size=max_size) as source:
            info = source.info
            model_path = b.resolve_model(model)  # after the input checks: it may download
            table = spec.table_of(checker)
            display = display_for(spec, table, target=target)
            recorder = SessionRecorder(
                checker.name, str(video), spec.main_signals, title=spec.title, thresholds=table
            )
            coverage = CoverageSink()
            sinks: list[Sink] = [recorder, coverage]
            # Before the overlay, which draws on the frame: the stills keep the plain picture.
            stills: FaultStillSink | None = None
            if outputs.html is not None:
                drawn = Overlay(display)  # its skeleton and angles, as the exercise draws them
                stills = FaultStillSink((drawn.skeleton, drawn.angles))
                sinks.append(stills)
            read_to_end: list[bool] = []

            def frames_to_the_end():
                yield from (source if recognition is None else recognition.frames(source))
                read_to_end.append(True)

            if workers is None:
                workers = 1
            if outputs.video is not None:
                # With pose estimators on every core, x264's own threads would only contend.
                if encoder_threads is None and workers > 1:
                    encoder_threads = 1
                writer = VideoWriter(
                    outputs.video,
                    fps=info.fps,
                    crf=ANNOTATED_CRF,
                    preset=ANNOTATED_PRESET,
                    threads=encoder_threads,
                )
                cues = CueStage(CuePolicy(cue_config_for(display)))

                def someone_judged() -> bool:
                    # A clip in which nobody could be judged, or read to its end and too short
                    # to judge, yields no video (and leaves an older file of that name alone).
                    # A run stopped early keeps the video of what it analysed.
                    too_brief = bool(read_to_end) and too_short(coverage, video.name) is not None
                    return coverage.judged_frames > 0 and not too_brief

                sinks += [
                    cues,
                    # Scaled, drawn and encoded; finished into its temporary file and named below
                    # with the other outputs.
                    AnnotatedVideoSink(
                        writer, Overlay(display), video_height, keep=someone_judged, in_set=True, cues=cues
                    ),
                ]
            smoother = b.make_smoother() if smoothing else None
            with b.make_estimator(model_path, workers=workers, **(estimator_options or {})) as estimator:
                if recognition is not None:
                    estimator = recognition.estimator(estimator)
                # The progress bar starts last, so nothing can fail between its start and the
                # loop (which always closes its sinks).
                if progress is not None:
                    sinks.append(progress(info))
                result = run_pipeline(
                    frames_to_the_end(), estimator, checker, sinks, smoother=smoother, on_frame=on_frame
                )
            source_notes = {"truncated": bool(getattr(source, "truncated", False))}
            damaged_packets = int(getattr(source, "decode_errors", 0) or 0)
            missing_s = [(a / 1000.0, b / 1000.0) for a, b in getattr(source, "missing_ms", ())]
        if recognition is not None and not result.interrupted:
            recognition.check()  # OtherExercisesFound: the caller runs again without them

        # The output phase is short: a stop signal now is held until every output is written
        # (a half-written set would be worse than a few more tenths of a second).
        with held():
            report, warnings, written = _save_outputs(
                video,
                checker,
                outputs,
                writer,
                result,
                recorder,
                coverage,
                info,
                {**source_notes, "damaged_packets": damaged_packets, "missing_s": missing_s},
                {
                    "max_size": max_size,
                    "smoothing": smoothing,
                    "pose_workers": workers,
                    "video_height": video_height if outputs.video is not None else None,
                },
                {
                    "counts": spec.counts.value,
                    "target_reps": target_reps,
                    "target_hold_s": target_hold_s,
                    **(recognition.report_extra() if recognition is not None else {}),
                },
                stills.stills() if stills is not None else [],
            )
            saved = True
    except KeyboardInterrupt as stop:
        if not saved:
            if writer is not None:
                writer.abort()
            raise
        # Held while the outputs were written, delivered now: they are complete.
        raise Stopped(signum_of(stop), note="the outputs were written in full first") from None
    except BaseException:
        if writer is not None:
            writer.abort()  # the video's temporary file, if it never joined the output set
        raise
    return AnalysisResult(report, result, info, written, warnings)


def _save_outputs(
    video: Path,
    checker: Checker,
    outputs: AnalysisOutputs,
    writer: VideoWriter | None,
    result: PipelineResult,
    recorder: SessionRecorder,
    coverage: CoverageSink,
    info: Any,
    source: dict[str, Any],
    processing: dict[str, Any],
    targets: dict[str, Any],
    stills: list[FaultStill],
) -> tuple[Report, list[str], dict[str, Path]]:
    """The report of a finished run, and every requested output written as one set."""
    if result.frames == 0:
        raise VideoError(f"{video.name} contains no video frames.")
    if not result.interrupted and (short := too_short(coverage, video.name)):
        raise short
    if result.frames_with_pose == 0 and not result.interrupted:
        raise NoPersonError(
            f"No person was found in {video.name}; film the whole body side-on in good light."
        )

    # The frames' own timestamps give the duration analysed: container metadata may be absent,
    # absurd or (cut-short files, Ctrl+C) longer than what was read.
    report = recorder.report(partial=result.interrupted)
    if not result.interrupted and (error := nothing_judged(report, coverage, video.name)):
        raise error
    damaged_packets = source.pop("damaged_packets")
    missing_s = source.pop("missing_s")
    warnings = coverage_warnings(
        report,
        coverage,
        source["truncated"],
        damaged_packets,
        claimed_duration_s=info.duration_s,
        missing_s=missing_s,
    )
    # A run stopped early has its own one line; the rest of the video might have counted.
    reason = (
        None if result.interrupted else why_nothing_counted(report, checker.counts, checker.start_position)
    )
    report.extra.update(
        {
            "source": {
                "width": info.width,
                "height": info.height,
                "fps": round(info.fps, 3),
                "rotation": info.rotation,
                **source,
            },
            "processing": {
                "frames_per_s": round(result.fps, 2),
                "wall_s": round(result.wall_s, 2),
                **processing,
            },
            **targets,
            "several_people_s": round(coverage.several_people_frames * report.duration_s / report.frames, 3),
            "warnings": warnings,
            # Not a warning about the video: why this session's count is zero.
            "nothing_counted": reason,
        }
    )
    written: dict[str, Path] = {}
    with OutputSet() as files:
        video_temp = writer.finish() if writer is not None else None
        if video_temp is not None and writer.frames_written:
            files.adopt(video_temp, outputs.video)
            written["video"] = outputs.video
        written.update(
            stage_report_files(
                report, files, outputs.report, outputs.csv, outputs.plot, outputs.html, stills=stills
            )
        )
        files.commit()
    return report, warnings, written
