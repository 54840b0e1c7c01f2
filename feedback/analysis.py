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
from feedback.atomic import check_writable
from feedback.coverage import CoverageSink, coverage_warnings, nothing_judged
from feedback.cues import CuePolicy, CuePolicyConfig
from feedback.overlay import ExerciseDisplay, Overlay, display_for
from feedback.pipeline import FrameLike, PipelineResult, Sink, run_pipeline
from feedback.report import write_csv, write_json, write_plot
from feedback.session import Report, SessionRecorder
from feedback.sinks import OverlaySink, VideoSink
from feedback.video_out import VIDEO_SUFFIXES, VideoWriter
from vision.errors import NoPersonError, OutputError, VideoError


@dataclass(frozen=True)
class AnalysisOutputs:
    """Where results go; None skips that output."""

    report: Path | None
    video: Path | None = None
    csv: Path | None = None
    plot: Path | None = None

    @staticmethod
    def defaults(video: Path, folder: Path | None = None) -> AnalysisOutputs:
        """`<stem>_annotated.mp4` and `<stem>_report.{json,csv,png}` in `folder` (default: cwd)."""
        folder = Path.cwd() if folder is None else folder
        report = folder / f"{video.stem}_report.json"
        return AnalysisOutputs(report, folder / f"{video.stem}_annotated.mp4", *beside_report(report))

    def paths(self) -> dict[str, Path]:
        return {
            k: v
            for k, v in (
                ("video", self.video),
                ("report", self.report),
                ("csv", self.csv),
                ("plot", self.plot),
            )
            if v is not None
        }


def beside_report(report: Path) -> tuple[Path, Path]:
    """Default CSV and plot names next to the report: hinge.json -> hinge.csv, hinge.png."""
    return report.with_suffix(".csv"), report.with_suffix(".png")


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
    if display.counts == "hold":
        return CuePolicyConfig(target_hold_s=float(display.target))
    return CuePolicyConfig(target_reps=int(display.target))


def check_outputs(video: Path, outputs: AnalysisOutputs) -> None:
    """All outputs writable, none of them the input, no two the same file."""
    if outputs.video is not None and outputs.video.suffix.lower() not in VIDEO_SUFFIXES:
        raise OutputError(
            f"The annotated video must end in {' or '.join(VIDEO_SUFFIXES)}, not '{outputs.video.name}'."
        )
    seen: dict[Path, str] = {}
    for kind, path in outputs.paths().items():
        check_writable(path, inputs=(video,))
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
) -> AnalysisResult:
    """Analyse `video` for `exercise`; writes the requested outputs and returns the report.

    `workers` pose estimators run side by side (default: one per core, at most two).
    `encoder_threads`: x264 threads (default: 1 when the estimators fill the cores, else x264's
    choice); a batch running one video per core passes 1.
    Raises a BackformError subclass (one-line message) for bad input. Ctrl+C during the run
    yields a valid report marked partial (and a playable video of the frames so far).
    """
    b = backends or default_backends()
    video = Path(video).expanduser()
    checker = b.create_checker(exercise, thresholds)
    if not video.exists():
        raise VideoError(f"Video file not found: {video}")
    check_outputs(video, outputs)

    with b.open_video(video, max_size=max_size) as source:
        info = source.info
        model_path = b.resolve_model(model)  # after the input checks: it may download
        display = display_for(
            checker.name, getattr(checker, "title", None), getattr(checker, "thresholds", None)
        )
        recorder = SessionRecorder(
            checker.name,
            str(video),
            tuple(getattr(checker, "main_signals", ())),
            title=getattr(checker, "title", None),
        )
        coverage = CoverageSink()
        sinks: list[Sink] = [recorder, coverage]
        if workers is None:
            from vision.parallel import default_workers

            workers = default_workers()
        writer = None
        if outputs.video is not None:
            # With pose estimators on every core, x264's own threads would only contend.
            if encoder_threads is None and workers > 1:
                encoder_threads = 1
            writer = VideoWriter(outputs.video, fps=info.fps, threads=encoder_threads)
            policy = CuePolicy(cue_config_for(display))

            def someone_judged() -> bool:
                # A clip in which nobody could be judged yields no video (and leaves an older
                # file of that name alone).
                return coverage.judged_frames > 0

            sinks += [OverlaySink(Overlay(display, policy)), VideoSink(writer, keep=someone_judged)]
        smoother = b.make_smoother() if smoothing else None
        with b.make_estimator(model_path, workers=workers, **(estimator_options or {})) as estimator:
            # The progress bar starts last, so nothing can fail between its start and the loop
            # (which always closes its sinks).
            if progress is not None:
                sinks.append(progress(info))
            result = run_pipeline(source, estimator, checker, sinks, smoother=smoother, on_frame=on_frame)
        source_notes = {"truncated": bool(getattr(source, "truncated", False))}
        damaged_packets = int(getattr(source, "decode_errors", 0) or 0)

    if result.frames == 0 or result.frames_with_pose == 0:
        if result.frames == 0:
            raise VideoError(f"{video.name} contains no video frames.")
        if not result.interrupted:
            raise NoPersonError(
                f"No person was found in {video.name}; film the whole body side-on in good light."
            )

    # The frames' own timestamps give the duration analysed: container metadata may be absent,
    # absurd or (cut-short files, Ctrl+C) longer than what was read.
    report = recorder.report(partial=result.interrupted)
    if not result.interrupted and (error := nothing_judged(report, coverage, video.name)):
        raise error
    warnings = coverage_warnings(
        report, coverage, source_notes["truncated"], damaged_packets, claimed_duration_s=info.duration_s
    )
    report.extra.update(
        {
            "source": {
                "width": info.width,
                "height": info.height,
                "fps": round(info.fps, 3),
                "rotation": info.rotation,
                **source_notes,
            },
            "processing": {
                "frames_per_s": round(result.fps, 2),
                "wall_s": round(result.wall_s, 2),
                "max_size": max_size,
                "smoothing": smoothing,
                "pose_workers": workers,
            },
            "several_people_s": round(coverage.several_people_frames * report.duration_s / report.frames, 3),
            "warnings": warnings,
        }
    )
    written: dict[str, Path] = {}
    if writer is not None and writer.frames_written and outputs.video.exists():
        written["video"] = outputs.video
    if outputs.report is not None:
        written["report"] = write_json(report, outputs.report)
    if outputs.csv is not None:
        written["csv"] = write_csv(report, outputs.csv)
    if outputs.plot is not None:
        written["plot"] = write_plot(report, outputs.plot)
    return AnalysisResult(report, result, info, written, warnings)
