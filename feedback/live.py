"""Live guided practice at a camera: `backform live` (the wiring).

Live mode is the offline analysis loop (`feedback.pipeline.run_pipeline`) with a different
source and different sinks; nothing here judges form. The parts, one job each:

- `live_control`: the session clock, timing figures, and the switches keys and stop signals flip;
- `live_camera`: the source, camera frames on the session clock (paused, reconnected);
- `live_guide`: the setup guide's words and "It's too dark" (`GuidedChecker`);
- `live_sinks`: the overlay (mirrored if asked, with guidance, notices, debug corner), the
  voice and the window; the cue stage (`feedback.cues.CueStage`) chooses what they show and say;
- `live_files`, `live_summary`: the session folder (the same JSON/CSV/PNG report as
  `backform analyze`) and the one-screen summary.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from exercises.base import Assessment, Checker
from exercises.registry import spec_for
from exercises.spec import ExerciseSpec
from feedback.cues import CuePolicy, CuePolicyConfig, CueStage
from feedback.live_camera import LiveFrames, Screen, mean_luma
from feedback.live_control import LiveControl, LiveStats, SessionClock, ctrl_c_quits
from feedback.live_files import check_folder_creatable, default_sessions_dir, new_session_folder, save_session
from feedback.live_guide import DARK_LUMA, READY, GuidedChecker, SetupGuide
from feedback.live_parts import Parts, run_parts
from feedback.live_recognition import WatchingChecker
from feedback.live_sinks import LiveOverlaySink, VoiceSink, WindowSink, mirror_assessment
from feedback.live_summary import main_fault, print_live_summary, range_reached
from feedback.overlay import Overlay, display_for
from feedback.pipeline import FrameLike, PipelineResult, Sink, StopPipeline, run_pipeline
from feedback.session import Report, SessionRecorder
from feedback.sinks import VideoSink
from feedback.targets import check_targets
from feedback.voice import SpeechEngine, Voice, find_engine
from feedback.window import KEY_HELP, LiveWindow, check_display
from vision.errors import ConfigError

AUTO = "auto"

__all__ = [
    "DARK_LUMA",
    "READY",
    "GuidedChecker",
    "LiveControl",
    "LiveFrames",
    "LiveOptions",
    "LiveOverlaySink",
    "LiveResult",
    "LiveStats",
    "Screen",
    "SessionClock",
    "SetupGuide",
    "VoiceSink",
    "WindowSink",
    "check_folder_creatable",
    "ctrl_c_quits",
    "default_sessions_dir",
    "main_fault",
    "mean_luma",
    "mirror_assessment",
    "new_session_folder",
    "print_live_summary",
    "range_reached",
    "run_live",
    "save_session",
]


@dataclass(frozen=True)
class LiveOptions:
    exercise: str | None  # None (or "auto"): recognise it (feedback.live_parts)
    camera: int | str = 0  # camera index or capture URL
    clip: Path | None = None  # play this file as the camera (tests, demos)
    target_reps: int | None = None
    target_hold_s: float | None = None
    voice: bool = True
    record: Path | None = None
    mirror: bool = False
    debug: bool = False
    model: Path | None = None
    thresholds: Path | None = None
    smoothing: bool = False  # same default as `analyze`, so both judge the same signals
    stop_at_target: bool = True  # end the session shortly after "Set complete"
    stop_grace_s: float = 2.5  # ... this long after, so the last words are said and recorded
    sessions_dir: Path | None = None  # default: <user data dir>/sessions
    show_window: bool = True
    reconnect_timeout_s: float = 120.0
    realtime: bool = True  # a clip plays at its real rate (False: as fast as it decodes)


@dataclass
class LiveResult:
    report: Report | None  # None when nobody was ever seen
    pipeline: PipelineResult
    stats: LiveStats
    folder: Path | None
    written: dict[str, Path]
    camera_lost: bool = False
    voice_problem: str | None = None
    interrupted: bool = False  # ended with Ctrl+C (saved all the same, marked partial)
    stop_signal: int | None = None  # which stop signal: SIGINT (Ctrl+C), SIGTERM or SIGHUP
    # Without --exercise: each recognised exercise's part (saved as its own session), and
    # what was said when each was recognised ("Plank - hold it").
    parts: list[LiveResult] = field(default_factory=list)
    announced: list[str] = field(default_factory=list)


def default_source_factory(options: LiveOptions) -> Callable[[], Any]:
    from vision.sources import Camera, ClipAsCamera

    if options.clip is not None:
        clip, realtime = options.clip, options.realtime
        return lambda: ClipAsCamera(clip, realtime=realtime)
    camera = options.camera
    return lambda: Camera(camera)


def run_live(
    options: LiveOptions,
    backends: Any = None,
    speech: SpeechEngine | str | None = "auto",
    source_factory: Callable[[], Any] | None = None,
    window: LiveWindow | None = None,
    say: Callable[[str], None] = print,
    estimator_options: dict | None = None,
    estimator_warmup: bool = True,
) -> LiveResult:
    """Run one live session to its end (q, clip end, target reached, camera gone) and save it.

    speech: "auto" finds an offline engine; None means no engine; or an engine (tests pass a
    FakeEngine). `say` prints one-line status messages for the terminal.
    """
    from feedback.analysis import default_backends

    b = backends or default_backends()
    auto = options.exercise in (None, AUTO)
    if auto:
        _check_auto(options)
    else:
        spec = spec_for(options.exercise)
        check_targets(options.exercise, spec.counts, options.target_reps, options.target_hold_s)
        checker = b.create_checker(options.exercise, options.thresholds)
    sessions_root = options.sessions_dir or default_sessions_dir()
    _check_before_start(options, sessions_root, window)
    model_path = b.resolve_model(options.model)
    problems: list[str] = []
    voice = _open_voice(options, speech, say, problems)
    control = LiveControl(SessionClock(), voice)
    session = None if auto else _LiveSession(options, spec, checker, control, LiveStats())
    title = WatchingChecker.title if session is None else session.display.title
    with contextlib.ExitStack() as stack:
        # Teardown in reverse: source, window, voice (after the last words), estimator.
        # The periodic people count runs beside the frame loop, so no frame waits for it.
        live_options = {"people_check_background": True, **(estimator_options or {})}
        estimator = stack.enter_context(b.make_estimator(model_path, **live_options))
        stack.callback(voice.close, finish_s=3.0)  # let "Set complete" be heard
        window = _open_window(options, window, title, control, stack)
        if estimator_warmup:
            _warm_up(estimator)
        stats = session.stats if session is not None else LiveStats()
        frames = _open_frames(options, source_factory, control, stats, window, say)
        stack.callback(frames.close)
        smoother = b.make_smoother() if options.smoothing else None
        if session is None:
            parts = run_parts(
                lambda name: _part_session(options, b, control, name),
                control,
                frames,
                estimator,
                window,
                smoother,
                sessions_root,
                options.mirror,
                options.debug,
            )
        else:
            sinks = session.wire(frames, window, smoother)
            ran = session.run(frames, estimator, sinks, smoother, stack, sessions_root)
    if session is None:
        return _parts_result(parts, frames, control, problems)
    return _session_result(ran, session.stats, frames, control, problems)


def _open_frames(
    options: LiveOptions,
    source_factory: Callable[[], Any] | None,
    control: LiveControl,
    stats: LiveStats,
    window: LiveWindow | None,
    say: Callable[[str], None],
) -> LiveFrames:
    """The camera (or clip) on the session clock; opened now, so a missing camera fails
    before anything starts."""
    return LiveFrames(
        source_factory or default_source_factory(options),
        control,
        control.clock,
        stats,
        screen=Screen(window, control, options.mirror) if window is not None else None,
        reconnect_timeout_s=options.reconnect_timeout_s,
        say=say,
    )


def _session_result(
    ran: Any, stats: LiveStats, frames: LiveFrames, control: LiveControl, problems: list[str]
):
    """The result of a session with one exercise."""
    result = ran.pipeline
    return LiveResult(
        ran.report,
        result,
        stats,
        ran.folder,
        ran.written,
        frames.camera_lost,
        problems[0] if problems else None,
        interrupted=control.interrupted or result.interrupted,
        stop_signal=control.stop_signal or result.stop_signal,
    )


def _check_auto(options: LiveOptions) -> None:
    """Without --exercise a session has no single set: no target, and one recording each."""
    if options.target_reps is not None or options.target_hold_s is not None:
        raise ConfigError("--target-reps/--target-hold need --exercise: a recognised session has no one set.")
    if options.record is not None:
        raise ConfigError("--record needs --exercise (a recognised session is saved one exercise at a time).")


def _part_session(options: LiveOptions, b: Any, control: LiveControl, exercise: str) -> _LiveSession:
    """The live session of one recognised exercise, as if started with --exercise."""
    part = replace(options, exercise=exercise)
    return _LiveSession(
        part, spec_for(exercise), b.create_checker(exercise, options.thresholds), control, LiveStats()
    )


def _parts_result(parts: Parts, frames: LiveFrames, control: LiveControl, problems: list[str]) -> LiveResult:
    """The session's result: the last exercise part's, with every part's in `parts`."""
    each = [
        LiveResult(p.ran.report, p.ran.pipeline, p.session.stats, p.ran.folder, p.ran.written)
        for p in parts.parts
    ]
    last = each[-1] if each else None
    pipeline = parts.last or PipelineResult()
    return LiveResult(
        last.report if last else None,
        pipeline,
        last.stats if last else LiveStats(),
        last.folder if last else None,
        last.written if last else {},
        frames.camera_lost,
        problems[0] if problems else None,
        interrupted=control.interrupted or pipeline.interrupted,
        stop_signal=control.stop_signal or pipeline.stop_signal,
        parts=each,
        announced=list(parts.said),
    )


def _warm_up(estimator: Any) -> None:
    """The first inference is slow (graph and buffers are set up); pay for it before the camera
    runs, or a clip played as a camera would lose its first second."""
    estimator.estimate(np.zeros((480, 640, 3), np.uint8), 0.0, 0)


def _check_before_start(options: LiveOptions, sessions_root: Path, window: LiveWindow | None) -> None:
    """Everything the session will write is checked before the camera opens."""
    check_folder_creatable(sessions_root, "session folder")
    if options.record is not None:
        from feedback.analysis import model_in_use
        from feedback.atomic import check_writable

        inputs = {
            "input video": options.clip,
            "pose model": model_in_use(options.model),
            "thresholds file": options.thresholds,
        }
        check_writable(options.record, inputs=inputs)
    if options.show_window and window is None:
        check_display()  # one clear line on a headless machine, before the model loads


def _open_voice(
    options: LiveOptions, speech: SpeechEngine | str | None, say: Callable[[str], None], problems: list[str]
) -> Voice:
    engine = find_engine() if speech == "auto" else speech
    if engine is None and options.voice:
        say("No speech engine found (install espeak-ng for spoken cues); carrying on without voice.")

    def voice_failed(message: str) -> None:  # on the voice thread, once
        problems.append(message)
        say(message)

    return Voice(engine, enabled=options.voice, on_problem=voice_failed)


def _open_window(
    options: LiveOptions,
    window: LiveWindow | None,
    title: str,
    control: LiveControl,
    stack: contextlib.ExitStack,
) -> LiveWindow | None:
    if not options.show_window:
        return window
    window = window or LiveWindow(f"backform - {title}")
    window.open()
    stack.callback(window.close)
    Screen(window, control, False).show_message(None, "Starting...")
    return window


@dataclass
class _Ran:
    """What a finished session loop produced and where it was saved."""

    pipeline: PipelineResult
    report: Report | None
    folder: Path | None
    written: dict[str, Path]


class _LiveSession:
    """The stages of one live session and their wiring: checker, cue stage, recorder, overlay,
    recording, voice and window, all steered by `control`."""

    def __init__(
        self,
        options: LiveOptions,
        spec: ExerciseSpec,
        checker: Checker,
        control: LiveControl,
        stats: LiveStats,
    ) -> None:
        self.options = options
        self.spec = spec
        self.checker = checker
        self.control = control
        self.stats = stats
        target = options.target_reps if options.target_reps is not None else options.target_hold_s
        self.display = display_for(spec, spec.table_of(checker), target)
        config = CuePolicyConfig(target_reps=options.target_reps, target_hold_s=options.target_hold_s)
        self.cues = CueStage(CuePolicy(config))
        self.overlay = Overlay(self.display)
        self.guide = SetupGuide(spec.start_cue)
        self.source_name = str(options.clip) if options.clip is not None else f"camera {options.camera}"
        self.recorder = SessionRecorder(
            checker.name,
            self.source_name,
            checker.main_signals,
            title=spec.title,
            thresholds=spec.table_of(checker),
        )
        self.writer: Any = None
        self.key_help = KEY_HELP  # the keys the corner lists (a routine has its own)

    def wire(self, frames: LiveFrames, window: LiveWindow | None, smoother: Any) -> list[Sink]:
        from feedback.video_out import VideoWriter

        options, control, stats = self.options, self.control, self.stats
        self.guided = GuidedChecker(self.checker, frames)
        for reset in (self.guided.reset, self.cues.reset, self.overlay.reset, self.guide.reset):
            control.on_reset(reset)
        if smoother is not None:
            control.on_reset(smoother.reset)
        drawn = LiveOverlaySink(
            self.overlay,
            self.cues,
            self.guide,
            control,
            stats,
            mirror=options.mirror,
            debug=options.debug,
            dropped=lambda: stats.dropped + int(frames.source.dropped if frames.source else 0),
            key_help=self.key_help,
        )
        sinks: list[Sink] = [self.recorder, self.cues, drawn]
        if options.record is not None:
            # ultrafast: encoding shares the frame loop's thread, so it must cost little latency.
            self.writer = VideoWriter(options.record, fps=frames.info.fps, preset="ultrafast")
            sinks.append(VideoSink(self.writer, in_set=True))  # named with the session's files
        sinks.append(VoiceSink(self.cues, control.voice, drawn))
        if window is not None:
            sinks.append(WindowSink(window, control))
        return sinks

    def on_frame(self, frame: FrameLike, a: Assessment) -> None:
        options, control = self.options, self.control
        reached = (options.target_reps is not None and a.rep_count >= options.target_reps) or (
            options.target_hold_s is not None and a.hold_s >= options.target_hold_s
        )
        if reached and control.target_reached_ms is None:
            control.target_reached_ms = frame.t_ms
        if (
            options.stop_at_target
            and control.target_reached_ms is not None
            and frame.t_ms - control.target_reached_ms >= options.stop_grace_s * 1000.0
        ):
            raise StopPipeline

    def run(
        self,
        frames: LiveFrames,
        estimator: Any,
        sinks: list[Sink],
        smoother: Any,
        stack: contextlib.ExitStack | None,
        sessions_root: Path,
        stream: Any = None,
        on_frame: Any = None,
    ) -> _Ran:
        """The frame loop, then the saved session. From the first frame to the last file saved, a
        stop signal ends the session and it is saved all the same; a second one stops at once.
        `stream`: iterate this instead of `frames` (a part of a recognised session, which also
        passes its own `on_frame` and no `stack`: the camera stays open for the next part)."""
        started = time.monotonic()
        with ctrl_c_quits(self.control):
            try:
                result = run_pipeline(
                    frames if stream is None else stream,
                    estimator,
                    self.guided,
                    sinks,
                    smoother=smoother,
                    on_frame=on_frame or self.on_frame,
                )
                self.stats.wall_s = time.monotonic() - started
                # q or the target ends a session; a stop signal or a lost camera cut it short.
                cut_short = self.control.interrupted or result.interrupted or frames.camera_lost
                if stack is not None:
                    stack.close()  # source, window, voice (its last words), estimator
                report = self._report(result, cut_short, frames.camera_lost)
                folder, written = save_session(report, self.writer, self.options.record, sessions_root)
            except BaseException:
                if self.writer is not None:
                    self.writer.abort()  # the recording's temporary file
                raise
        return _Ran(result, report, folder, written)

    def _report(self, result: PipelineResult, cut_short: bool, camera_lost: bool) -> Report | None:
        if result.frames_with_pose == 0:
            return None
        options = self.options
        report = self.recorder.report(partial=cut_short)
        report.extra["live"] = {
            "source": self.source_name,
            "mirror": options.mirror,
            "target_reps": options.target_reps,
            "target_hold_s": options.target_hold_s,
            "resets_s": [round(t / 1000.0, 3) for t in self.control.resets_ms],
            "camera_lost": camera_lost,
            **self.stats.to_dict(),
        }
        return report
