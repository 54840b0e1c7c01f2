"""`backform live` without `--exercise`: one camera session in parts, one part per exercise.

A watching part shows the person and waits until the recogniser (feedback.live_recognition)
names an exercise; that is said ("Plank - hold it") and the normal live session of that
exercise runs on the same frames, window, voice and pose estimator, until another exercise
is recognised, and so on. Each exercise part is saved as a session of its own, like a live
session started with `--exercise`. The stream ends the whole: clip or camera gone, q, Ctrl+C.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exercises.base import Assessment
from feedback.cues import CuePolicy, CueStage
from feedback.live_control import LiveControl, LiveStats, ctrl_c_quits
from feedback.live_guide import SetupGuide
from feedback.live_recognition import (
    WATCH_CUE,
    LiveRecognition,
    PartFrames,
    RecognisingEstimator,
    Switch,
    WatchingChecker,
    WatchingOverlay,
)
from feedback.live_sinks import LiveOverlaySink, VoiceSink, WindowSink
from feedback.pipeline import FrameLike, PipelineResult, Sink, StopPipeline, run_pipeline


@dataclass
class Part:
    """One exercise part: its session (feedback.live._LiveSession) and what it produced."""

    exercise: str
    session: Any
    ran: Any  # feedback.live._Ran


@dataclass
class Parts:
    parts: list[Part] = field(default_factory=list)
    last: PipelineResult | None = None  # the last pipeline run, watching or exercise
    said: list[str] = field(default_factory=list)  # the announcements, in order


class _Switcher:
    """The on_frame of a part: ends it (StopPipeline) when another exercise is recognised."""

    def __init__(self, recognition: LiveRecognition, doing: str | None, then: Callable | None = None) -> None:
        self.recognition, self.doing, self.then = recognition, doing, then
        self.switch: Switch | None = None

    def __call__(self, frame: FrameLike, a: Assessment) -> None:
        if self.then is not None:
            self.then(frame, a)
        self.switch = self.recognition.switch_from(self.doing)
        if self.switch is not None:
            raise StopPipeline


def run_parts(
    make_session: Callable[[str], Any],
    control: LiveControl,
    frames: Any,
    estimator: Any,
    window: Any,
    smoother: Any,
    sessions_root: Path,
    mirror: bool = False,
    debug: bool = False,
) -> Parts:
    """Watch, then run each recognised exercise's session, until the stream ends."""
    recognition = LiveRecognition()
    estimator = RecognisingEstimator(estimator, recognition)
    shared = PartFrames(frames)
    out = Parts()
    doing: str | None = None
    evidence: list = []
    while True:
        if doing is None:
            switcher = _Switcher(recognition, None)
            out.last = _watch(shared, estimator, switcher, control, frames, window, smoother, mirror, debug)
        else:
            session = make_session(doing)
            switcher = _Switcher(recognition, doing, session.on_frame)
            sinks = session.wire(frames, window, smoother)
            _catch_up(session, evidence)
            ran = session.run(
                frames, estimator, sinks, smoother, None, sessions_root, shared.part(), switcher
            )
            out.parts.append(Part(doing, session, ran))
            out.last = ran.pipeline
        if switcher.switch is None or shared.ended or control.quit or control.interrupted:
            return out
        if out.last is not None and out.last.interrupted:
            return out
        doing = switcher.switch.exercise
        evidence = recognition.evidence()
        out.said.append(switcher.switch.said)
        control.voice.say(switcher.switch.said)


def _catch_up(session: Any, evidence: list) -> None:
    """The new part's checker and report begin with the poses the exercise was recognised
    from (the last ~4 s, already shown): its first rep or seconds of hold count, as they would
    have with --exercise. Nothing is drawn or said for them."""
    for pose, t_ms, index in evidence:
        session.recorder.consume(None, session.guided.update(pose, t_ms, index))


def _watch(
    shared: PartFrames,
    estimator: Any,
    switcher: _Switcher,
    control: LiveControl,
    frames: Any,
    window: Any,
    smoother: Any,
    mirror: bool,
    debug: bool,
) -> PipelineResult:
    """The watching part: skeleton, "Recognising" panel, the start cue said now and then."""
    stats = LiveStats()
    cues = CueStage(CuePolicy())
    drawn = LiveOverlaySink(
        WatchingOverlay(),  # duck-typed: draw(image, assessment, cues)
        cues,
        SetupGuide(WATCH_CUE),
        control,
        stats,
        mirror=mirror,
        debug=debug,
    )
    sinks: list[Sink] = [cues, drawn, VoiceSink(cues, control.voice, drawn)]
    if window is not None:
        sinks.append(WindowSink(window, control))
    started = time.monotonic()
    with ctrl_c_quits(control):
        result = run_pipeline(shared.part(), estimator, WatchingChecker(), sinks, smoother, switcher)
    stats.wall_s = time.monotonic() - started
    return result
