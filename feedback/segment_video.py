"""One annotated video for a whole recording analysed without `--exercise`.

Each exercise segment is judged on its own (feedback.segmented) and hands back the
assessment of every frame; this draws them into a single video, frame by frame, with the
overlay and cue choice that `analyze --exercise` draws (a fresh overlay and cue stage per
segment, as each segment's judging is fresh). "Other" stretches show the skeleton and a
panel saying so. A tag in the corner names the exercise recognised at that moment.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from exercises.base import Assessment, ViewVerdict
from exercises.recognise import OTHER
from feedback.cues import CuePolicy, CueStage
from feedback.overlay import (
    PALETTE,
    ExerciseDisplay,
    Overlay,
    SkeletonAnnotator,
    StatusInfo,
    StatusPanel,
    Style,
    put_text,
    shade,
    text_size,
)
from feedback.sinks import AnnotatedVideoSink
from feedback.video_out import ANNOTATED_PRESET, ANNOTATED_QP, VideoWriter
from vision.pose import Pose


@dataclass
class SegmentFrames:
    """What one segment shows: frames [start, end), its label, and for a judged segment its
    display and each frame's assessment (by frame index in the whole video)."""

    label: str
    start: int
    end: int
    display: ExerciseDisplay | None = None
    assessments: dict[int, Assessment] = field(default_factory=dict)


def kept(a: Assessment) -> Assessment:
    """The assessment without its pose's mask: drawing never reads it, memory would."""
    return a if a.pose is None or a.pose.mask is None else replace(a, pose=a.pose.replace(mask=None))


def recognised_tag(label: str) -> str:
    return f"Recognised: {label}"


class _Tagged:
    """An overlay (anything with draw(image, assessment, cues)) plus the recognised-exercise tag."""

    def __init__(self, inner: Any, tag: str) -> None:
        self.inner, self.tag = inner, tag

    def draw(self, image: np.ndarray, assessment: Assessment, cues: Any = None) -> np.ndarray:
        self.inner.draw(image, assessment, cues)
        draw_tag(image, self.tag)
        return image


class _OtherOverlay:
    """Frames outside an exercise: the skeleton and a panel saying nothing is judged."""

    def __init__(self) -> None:
        self.skeleton = SkeletonAnnotator()
        self.status = StatusPanel()

    def draw(self, image: np.ndarray, assessment: Assessment, cues: Any = None) -> np.ndarray:
        self.skeleton.annotate(image, assessment)
        self.status.annotate(image, StatusInfo("Recognising", "Other", "not judged"))
        return image


def draw_tag(image: np.ndarray, text: str) -> None:
    """`text` in a shaded box in the bottom-right corner."""
    h, w = image.shape[:2]
    style = Style.for_height(h)
    tw, th, base = text_size(text, style.font_small, style.text_thickness)
    x1, y1 = w - style.margin, h - style.margin
    x0, y0 = x1 - tw - 2 * style.pad, y1 - th - base - style.pad
    shade(image, x0, y0, x1, y1, alpha=0.55)
    put_text(
        image,
        text,
        (x0 + style.pad, y1 - base - style.pad // 2),
        style.font_small,
        PALETTE.accent,
        style.text_thickness,
        outline=False,
    )


def write_segments_video(
    frames: Any,
    writer: VideoWriter,
    segments: Sequence[SegmentFrames],
    poses: Sequence[Pose | None],
    cue_config: Callable[[ExerciseDisplay], Any],
    video_height: int | None,
) -> None:
    """Draw and encode every frame of `frames` (the video, decoded again) into `writer`."""
    other = AnnotatedVideoSink(writer, _Tagged(_OtherOverlay(), recognised_tag(OTHER)), video_height)
    position, stream = 0, iter(frames)
    for seg in segments:
        cues = sink = None
        if seg.display is not None:
            cues = CueStage(CuePolicy(cue_config(seg.display)))
            sink = AnnotatedVideoSink(
                writer, _Tagged(Overlay(seg.display), recognised_tag(seg.label)), video_height, cues=cues
            )
        for frame in stream:
            a = seg.assessments.get(position)
            if sink is not None and a is not None:
                cues.consume(frame, a)
                sink.consume(frame, a)
            else:
                other.consume(frame, _other_assessment(poses, position, frame.t_ms))
            position += 1
            if position >= seg.end:
                break


def _other_assessment(poses: Sequence[Pose | None], i: int, t_ms: float) -> Assessment:
    pose = poses[i] if i < len(poses) else None
    if pose is not None:
        pose = pose.replace(mask=None)
    return Assessment(OTHER, t_ms, i, ViewVerdict(pose is not None), "", {}, pose=pose)


def open_writer(path: Path, fps: float) -> VideoWriter:
    return VideoWriter(path, fps=fps, qp=ANNOTATED_QP, preset=ANNOTATED_PRESET)
