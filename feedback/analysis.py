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
from feedback.sinks import LastFrameSettledVideoSink
from feedback.stills import FaultStill, FaultStillSink
from feedback.stopping import Stopped, held, signum_of
from feedback.targets import check_targets
from feedback.video_out import (
    ANNOTATED_PRESET,
    ANNOTATED_QP,
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
    work_ahead: Callable[[], bool] | None = None,
) -> AnalysisResult:
    """Analyse `video` for `exercise`; writes the requested outputs and returns the report.

    `workers` pose estimators run side by side (default one, see `_AnalysisRun.workers`).
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
    `work_ahead`: with one estimator, from the first frame for which it returns True on, the
    next frames' poses are estimated on a thread while this one is judged, drawn and encoded
    (vision.parallel.WorkAhead; the same poses). A batch sets it when a core is left idle.
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
    work_ahead: Callable[[], bool] | None = None,
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
    run = _AnalysisRun(
        video, checker, outputs, b, model, max_size, smoothing, progress, on_frame, estimator_options
    )
    run.workers = 1 if workers is None else workers
    run.encoder_threads, run.video_height = encoder_threads, video_height
    run.work_ahead = work_ahead
    run.targets = {"counts": spec.counts.value, "target_reps": target_reps, "target_hold_s": target_hold_s}
    run.recognition = recognition
    try:
        return run.analyse(display_for(spec, spec.table_of(checker), target=target))
    except KeyboardInterrupt as stop:
        if not run.saved:
            run.abort()
            raise
        # Held while the outputs were written, delivered now: they are complete.
        raise Stopped(signum_of(stop), note="the outputs were written in full first") from None
    except BaseException:
        run.abort()  # the video's temporary file, if it never joined the output set
        raise


@dataclass
class _AnalysisRun:
    """One analysis of one video, once its inputs are checked: the sinks, the frame loop and
    the outputs, with what the error handling needs (the video writer, whether all is saved)."""

    video: Path
    checker: Checker
    outputs: AnalysisOutputs
    backends: Backends
    model: Path | None
    max_size: int | None
    smoothing: bool
    progress: ProgressFactory | None
    on_frame: Callable[[FrameLike, Assessment], None] | None
    estimator_options: dict | None
    # One pose estimator by default: a single tracker sees every frame, as in live mode; two
    # trackers taking turns hand over with small steps in the landmarks that cost reps and
    # faults on the sample and stress clips, so more than one is for benchmarks and for
    # whoever accepts that (batches use one process per core instead).
    workers: int = 1
    encoder_threads: int | None = None
    video_height: int | None = DEFAULT_VIDEO_HEIGHT
    targets: dict[str, Any] = field(default_factory=dict)
    writer: VideoWriter | None = None
    saved: bool = False
    read_to_end: list[bool] = field(default_factory=list)
    # Taps the poses for other exercises (or drops the frames of those found): `analyze -e`.
    recognition: OtherExercises | None = None
    work_ahead: Callable[[], bool] | None = None  # when the estimator may run ahead (WorkAhead)

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.abort()

    def analyse(self, display: ExerciseDisplay) -> AnalysisResult:
        with self.backends.open_video(self.video, max_size=self.max_size) as source:
            info = source.info
            model_path = self.backends.resolve_model(self.model)  # after the input checks: it may download
            recorder, coverage, stills = self._recording_sinks(display)
            sinks: list[Sink] = [recorder, coverage] + ([stills] if stills is not None else [])
            if self.outputs.video is not None:
                sinks += self._video_sinks(display, info, coverage)
            result = self._run_frames(source, info, model_path, sinks)
            notes = _source_notes(source)
        if self.recognition is not None and not result.interrupted:
            self.recognition.check()  # OtherExercisesFound: the caller runs again without them
        # The output phase is short: a stop signal now is held until every output is written
        # (a half-written set would be worse than a few more tenths of a second).
        with held():
            report, warnings, written = _save_outputs(
                self.video,
                self.checker,
                self.outputs,
                self.writer,
                result,
                recorder,
                coverage,
                info,
                notes,
                {
                    "max_size": self.max_size,
                    "smoothing": self.smoothing,
                    "pose_workers": self.workers,
                    "video_height": self.video_height if self.outputs.video is not None else None,
                },
                {**self.targets, **(self.recognition.report_extra() if self.recognition is not None else {})},
                stills.stills() if stills is not None else [],
            )
            self.saved = True
        return AnalysisResult(report, result, info, written, warnings)

    def _recording_sinks(
        self, display: ExerciseDisplay
    ) -> tuple[SessionRecorder, CoverageSink, FaultStillSink | None]:
        """The sinks that keep what the run saw: the session, its coverage, the fault stills."""
        spec = spec_for(self.checker.name)
        recorder = SessionRecorder(
            self.checker.name,
            str(self.video),
            spec.main_signals,
            title=spec.title,
            thresholds=spec.table_of(self.checker),
        )
        # Before the overlay, which draws on the frame: the stills keep the plain picture.
        stills: FaultStillSink | None = None
        if self.outputs.html is not None:
            drawn = Overlay(display)  # its skeleton and angles, as the exercise draws them
            stills = FaultStillSink((drawn.skeleton, drawn.angles))
        return recorder, CoverageSink(), stills

    def _video_sinks(self, display: ExerciseDisplay, info: Any, coverage: CoverageSink) -> list[Sink]:
        """The cue stage and the annotated video's sink (its writer kept for `abort`)."""
        # With pose estimators on every core, x264's own threads would only contend.
        if self.encoder_threads is None and self.workers > 1:
            self.encoder_threads = 1
        self.writer = VideoWriter(
            self.outputs.video,
            fps=info.fps,
            qp=ANNOTATED_QP,
            preset=ANNOTATED_PRESET,
            threads=self.encoder_threads,
        )
        cues = CueStage(CuePolicy(cue_config_for(display)))

        def someone_judged() -> bool:
            # A clip in which nobody could be judged, or read to its end and too short to
            # judge, yields no video (and leaves an older file of that name alone). A run
            # stopped early keeps the video of what it analysed.
            too_brief = bool(self.read_to_end) and too_short(coverage, self.video.name) is not None
            return coverage.judged_frames > 0 and not too_brief

        # Scaled, drawn and encoded; finished into its temporary file and named with the other
        # outputs of the run.
        video_sink = LastFrameSettledVideoSink(
            self.writer, Overlay(display), self.video_height, keep=someone_judged, in_set=True, cues=cues
        )
        return [cues, video_sink]

    def _run_frames(self, source: Any, info: Any, model_path: Path, sinks: list[Sink]) -> PipelineResult:
        def frames_to_the_end():
            yield from (source if self.recognition is None else self.recognition.frames(source))
            self.read_to_end.append(True)

        b = self.backends
        smoother = b.make_smoother() if self.smoothing else None
        options = self.estimator_options or {}
        with b.make_estimator(model_path, workers=self.workers, **options) as estimator:
            if self.work_ahead is not None and not hasattr(estimator, "stream"):
                from vision.parallel import WorkAhead

                # The `with` above closes the estimator itself.
                estimator = WorkAhead(estimator, when=self.work_ahead)
            if self.recognition is not None:
                estimator = self.recognition.estimator(estimator)
            # The progress bar starts last, so nothing can fail between its start and the
            # loop (which always closes its sinks).
            if self.progress is not None:
                sinks.append(self.progress(info))
            return run_pipeline(
                frames_to_the_end(), estimator, self.checker, sinks, smoother=smoother, on_frame=self.on_frame
            )


def _source_notes(source: Any) -> dict[str, Any]:
    """What the source said about the file's damage, for the report and its warnings."""
    return {
        "truncated": bool(getattr(source, "truncated", False)),
        "damaged_packets": int(getattr(source, "decode_errors", 0) or 0),
        "missing_s": [(a / 1000.0, b / 1000.0) for a, b in getattr(source, "missing_ms", ())],
    }


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
    _check_something_analysed(video, result, coverage)
    # The frames' own timestamps give the duration analysed: container metadata may be absent,
    # absurd or (cut-short files, Ctrl+C) longer than what was read.
    report = recorder.report(partial=result.interrupted)
    if not result.interrupted and (error := nothing_judged(report, coverage, video.name)):
        raise error
    warnings = _describe_run(report, checker, result, coverage, info, source, processing, targets)
    return report, warnings, _write_output_set(report, outputs, writer, stills)


def _check_something_analysed(video: Path, result: PipelineResult, coverage: CoverageSink) -> None:
    """A finished run with no frames, too few to judge or nobody in them has no report."""
    if result.frames == 0:
        raise VideoError(f"{video.name} contains no video frames.")
    if not result.interrupted and (short := too_short(coverage, video.name)):
        raise short
    if result.frames_with_pose == 0 and not result.interrupted:
        raise NoPersonError(
            f"No person was found in {video.name}; film the whole body side-on in good light."
        )


def _describe_run(
    report: Report,
    checker: Checker,
    result: PipelineResult,
    coverage: CoverageSink,
    info: Any,
    source: dict[str, Any],
    processing: dict[str, Any],
    targets: dict[str, Any],
) -> list[str]:
    """Adds the source, processing, targets and warnings to `report.extra`; returns the warnings."""
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
    return warnings


def _write_output_set(
    report: Report, outputs: AnalysisOutputs, writer: VideoWriter | None, stills: list[FaultStill]
) -> dict[str, Path]:
    """The video (finished by its sink) and the report files, named together or not at all."""
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
    return written
