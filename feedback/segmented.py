"""`backform analyze VIDEO` without `--exercise`: find the exercises, judge each on its own.

Two passes. The first estimates every frame's pose once and hands the poses to the
recogniser (exercises.recognise), which splits the video into segments of hip hinge, plank,
cat-cow and "other". The second judges each exercise segment with `analyze_video` exactly as
if that stretch had been cut out and analysed with `--exercise`: its frames re-decoded and
re-timed from zero, the poses of the first pass replayed, a fresh checker and outputs of
its own (`<stem>_<NN>_<exercise>_report.json`, ..._annotated.mp4, .csv, .png). A summary
report lists every segment (exercise, start, end, confidence) with its reps, hold and faults;
with `only` set, segments of the other exercises are listed as skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from exercises.recognise import OTHER, Segment, features_of_landmarks, landmarks_of, recognise
from exercises.registry import spec_for
from feedback import analysis
from feedback.analysis import AnalysisOutputs, Backends, check_outputs, cue_config_for
from feedback.analysis import analyze_video as analyze_one
from feedback.atomic import OutputSet
from feedback.overlay import display_for
from feedback.segment_video import SegmentFrames, kept, open_writer, write_segments_video
from feedback.video_out import DEFAULT_VIDEO_HEIGHT
from vision.errors import BackformError, NoPersonError, VideoError
from vision.pose import Pose


@dataclass
class SegmentResult:
    segment: Segment
    start_s: float
    end_s: float
    judged: bool
    note: str = ""  # why not judged ("other", "skipped: ...", or the analysis's one line)
    summary: dict[str, Any] = field(default_factory=dict)
    written: dict[str, Path] = field(default_factory=dict)


@dataclass
class SegmentedResult:
    video: Path
    segments: list[SegmentResult]
    frames: int
    summary_path: Path | None
    annotated: Path | None = None  # one annotated video of the whole recording


def _compact(pose: Pose) -> Pose:
    """Keep the mask as uint8 (a quarter of the memory); `_expanded` restores it."""
    if pose.mask is None or pose.mask.dtype == np.uint8:
        return pose
    return pose.replace(mask=np.round(pose.mask * 255).astype(np.uint8))


def _expanded(pose: Pose | None, t_ms: float, index: int) -> Pose | None:
    if pose is None:
        return None
    mask = None if pose.mask is None else pose.mask.astype(np.float32) / 255.0
    return pose.replace(mask=mask, t_ms=t_ms, frame_index=index)


def estimate_all(
    video: Path,
    b: Backends,
    model: Path | None,
    max_size: int | None,
    on_frames: Callable[[int], None] | None = None,
):
    """Pass 1: every frame's time and pose (None = nobody), and the video's info.
    `on_frames(done)` after each frame (a batch's progress; it may raise to cancel)."""
    model_path = b.resolve_model(model)
    times: list[float] = []
    poses: list[Pose | None] = []
    with b.open_video(video, max_size=max_size) as source, b.make_estimator(model_path) as est:
        info = source.info
        for frame in source:
            p = est.estimate(frame.image, frame.t_ms, frame.index)
            times.append(float(frame.t_ms))
            poses.append(None if p is None else _compact(p))
            if on_frames is not None:
                on_frames(len(poses))
    return info, np.array(times), poses, model_path


class _Cut:
    """The frames [start, end) of a video, re-timed and re-numbered from zero."""

    def __init__(self, inner: Any, start: int, end: int, t0: float) -> None:
        self.inner, self.start, self.end, self.t0 = inner, start, end, t0
        n = end - start
        info = inner.info
        self.info = replace(info, frame_count=n, duration_s=None)

    def __iter__(self) -> Iterator[Any]:
        for frame in self.inner:
            if frame.index >= self.end:
                break
            if frame.index >= self.start:
                yield replace(frame, t_ms=frame.t_ms - self.t0, index=frame.index - self.start)

    def __enter__(self) -> _Cut:
        return self

    def __exit__(self, *exc: object) -> None:
        self.inner.close()


class _Replay:
    """An estimator that hands back the first pass's poses for a cut's frames."""

    def __init__(self, poses: list[Pose | None], start: int) -> None:
        self.poses, self.start = poses, start

    def estimate(self, image: Any, t_ms: float, frame_index: int) -> Pose | None:
        return _expanded(self.poses[self.start + frame_index], t_ms, frame_index)

    def __enter__(self) -> _Replay:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def segment_outputs(outputs: AnalysisOutputs, number: int, exercise: str) -> AnalysisOutputs:
    """`x_report.json` -> `x_report_01_plank.json`; likewise the CSV and plot. No video: the
    whole recording's annotated video shows every segment."""

    def named(p: Path | None) -> Path | None:
        return None if p is None else p.with_name(f"{p.stem}_{number:02d}_{exercise}{p.suffix}")

    return AnalysisOutputs(named(outputs.report), None, named(outputs.csv), named(outputs.plot))


def analyze_segments(
    video: Path,
    outputs: AnalysisOutputs,
    only: str | None = None,
    model: Path | None = None,
    thresholds: Path | None = None,
    max_size: int | None = None,
    smoothing: bool = False,
    backends: Backends | None = None,
    video_height: int | None = DEFAULT_VIDEO_HEIGHT,
    on_frames: Callable[[int], None] | None = None,
) -> SegmentedResult:
    """Recognise the exercises in `video` and judge each segment as its own clip.

    `only`: judge segments of this exercise alone; the others are reported as skipped.
    The summary (outputs.report) lists every segment; each judged one has its own outputs.
    """
    b = backends or analysis.default_backends()  # looked up now: tests substitute it
    video = Path(video).expanduser()
    if only is not None:
        b.create_checker(only, thresholds)  # an unknown name or bad thresholds file fails now
    if not video.exists():
        raise VideoError(f"Video file not found: {video}")
    check_outputs(video, outputs, model=model, thresholds=thresholds)
    info, t_ms, poses, model_path = estimate_all(video, b, model, max_size, on_frames)
    if not poses:
        raise VideoError(f"{video.name} contains no video frames.")
    if not any(p is not None for p in poses):
        raise NoPersonError(
            f"No person was found in {video.name}; film the whole body side-on in good light."
        )
    found = recognise(features_of_landmarks(np.array([landmarks_of(p) for p in poses])), t_ms)
    judge = _SegmentJudge(video, b, poses, t_ms, model_path, thresholds, max_size, smoothing)
    results: list[SegmentResult] = []
    shown: list[SegmentFrames] = []
    for seg in found:
        res = SegmentResult(seg, round(seg.start_ms / 1000.0, 2), round(seg.end_ms / 1000.0, 2), False)
        frames = SegmentFrames(seg.label, seg.start, seg.end)
        results.append(res)
        shown.append(frames)
        if seg.label == OTHER:
            res.note = "not one of the exercises"
        elif only is not None and seg.label != only:
            res.note = f"skipped: {seg.label}, not {only}"
        else:
            judge.judge(res, frames, segment_outputs(outputs, len(judge.judged) + 1, seg.label))
    video_temp = None
    if outputs.video is not None and judge.judged:
        video_temp = _whole_video(video, b, outputs.video, info, shown, poses, max_size, video_height)
    processing = {
        "max_size": max_size,
        "smoothing": smoothing,
        "video_height": video_height if outputs.video is not None else None,
    }
    summary_path = _write_summary(video, outputs, results, info, only, video_temp, processing)
    annotated = outputs.video if video_temp is not None else None
    return SegmentedResult(video, results, len(poses), summary_path, annotated)


class _SegmentJudge:
    """Judges one segment at a time as its own clip: its frames cut out and re-timed from
    zero, the first pass's poses replayed, a fresh checker (feedback.analysis)."""

    def __init__(self, video, b, poses, t_ms, model_path, thresholds, max_size, smoothing) -> None:
        self.video, self.b, self.poses, self.t_ms = video, b, poses, t_ms
        self.model_path, self.thresholds = model_path, thresholds
        self.max_size, self.smoothing = max_size, smoothing
        self.judged: list[SegmentResult] = []

    def judge(self, res: SegmentResult, frames: SegmentFrames, outputs: AnalysisOutputs) -> None:
        seg, b, poses = res.segment, self.b, self.poses
        replay = Backends(
            open_video=lambda path, max_size=None: _Cut(
                b.open_video(path, max_size=max_size), seg.start, seg.end, float(self.t_ms[seg.start])
            ),
            create_checker=b.create_checker,
            resolve_model=lambda _m: self.model_path,
            make_estimator=lambda _p, workers=1, **_o: _Replay(poses, seg.start),
            make_smoother=b.make_smoother,
        )

        def keep(frame: Any, a: Any) -> None:
            frames.assessments[seg.start + frame.index] = kept(a)

        try:
            one = analyze_one(
                self.video,
                seg.label,
                outputs,
                thresholds=self.thresholds,
                max_size=self.max_size,
                smoothing=self.smoothing,
                on_frame=keep,
                backends=replay,
            )
        except BackformError as err:
            res.note = str(err)
            frames.assessments.clear()
            return
        self.judged.append(res)
        # The segment's last frame shows what its checker settled at its end, as `analyze -e`
        # does (a cat-cow peak held to the end completes the last rep only then).
        if frames.assessments and one.pipeline.last is not None:
            frames.assessments[max(frames.assessments)] = kept(one.pipeline.last)
        frames.display = display_for(spec_for(seg.label), one.report.thresholds)
        res.judged, res.written = True, one.written
        res.summary = _segment_summary(one.report, res.start_s)


def _segment_summary(r: Any, start_s: float) -> dict[str, Any]:
    """A judged segment's row in the summary report; fault times on the video's timeline."""
    return {
        "reps": r.rep_count,
        "partial_reps": len(r.partial_reps),
        "hold_s": round(r.hold_s, 2),
        "faults": [
            {"code": f.code, "start_s": round(f.start_s + start_s, 2), "end_s": round(f.end_s + start_s, 2)}
            for f in r.faults
        ],
        "view_ok": r.view.ok,
    }


def _whole_video(video, b, path, info, shown, poses, max_size, video_height) -> Path | None:
    """The annotated video of the whole recording, into a temporary file (None: no frame)."""
    writer = open_writer(path, info.fps)
    try:
        with b.open_video(video, max_size=max_size) as source:
            write_segments_video(source, writer, shown, poses, cue_config_for, video_height)
        return writer.finish()
    except BaseException:
        writer.abort()
        raise


def _write_summary(
    video: Path,
    outputs: AnalysisOutputs,
    results: list[SegmentResult],
    info: Any,
    only: str | None,
    video_temp: Path | None,
    processing: dict[str, Any],
) -> Path | None:
    """The summary report and the whole recording's video, named together."""
    report = outputs.report
    if report is None:
        if video_temp is not None:
            with OutputSet() as files:
                files.adopt(video_temp, outputs.video)
                files.commit()
        return None
    doc = {
        "video": str(video),
        "exercise": "auto" if only is None else only,
        "mode": "recognised" if only is None else f"only {only}",
        "fps": round(float(info.fps), 3),
        "partial": False,
        "processing": processing,
        "annotated_video": None if video_temp is None else _named(outputs.video, report),
        "segments": [
            {
                "exercise": r.segment.label,
                "start_s": r.start_s,
                "end_s": r.end_s,
                "confidence": r.segment.confidence,
                "judged": r.judged,
                **({"note": r.note} if r.note else {}),
                **r.summary,
                "outputs": {k: _named(v, report) for k, v in r.written.items()},
            }
            for r in results
        ],
    }
    with OutputSet() as files:
        if video_temp is not None:
            files.adopt(video_temp, outputs.video)
        with files.open(report) as f:
            f.write(json.dumps(doc, indent=2) + "\n")
        files.commit()
    return report


def _named(path: Path, report: Path) -> str:
    """An output as the summary names it: its file name when it lies beside the summary (so
    the folder can move, and a batch's staged set reads right once committed), else its path."""
    return path.name if path.parent == report.parent else str(path)
