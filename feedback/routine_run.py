"""`backform routine`: a whole routine in one live session (the runner).

It is live's pipeline, set after set: one camera, one window, one voice and one pose
estimator for the whole session; per exercise live's stages (`feedback.live._LiveSession`:
checker with the setup guide, cue stage, overlay, recorder) and per set one
`run_pipeline` run that ends when the set's target is reached. Between sets the camera
picture stays on screen with the rest countdown (not judged); before each exercise the
routine says what comes next and how to get into position, and the setup guide waits for it.

What is said and counted comes from `feedback.routine_plan`; what is saved from
`feedback.routine_files`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from feedback.live import LiveOptions, _LiveSession, _warm_up
from feedback.live_camera import LiveFrames, Screen
from feedback.live_control import LiveStats, SessionClock, ctrl_c_quits
from feedback.live_files import check_folder_creatable, default_sessions_dir
from feedback.pipeline import StopPipeline, run_pipeline
from feedback.routine_camera import Continuing
from feedback.routine_keys import ROUTINE_KEY_HELP, RoutineControl, RoutineWindow
from feedback.routine_mismatch import Mismatch, MismatchWatch
from feedback.routine_plan import (
    DEFAULT_ROUTINE,
    PAIN_STOP,
    ROUTINE_COMPLETE,
    Routine,
    Step,
    exercise_announcement,
    rest_calls,
    rest_seconds_left,
    set_announcement,
    target_words,
)
from feedback.routine_screen import RoutineBanner, rest_image
from feedback.session import Report
from feedback.voice import SpeechEngine, Voice, find_engine
from feedback.window import LiveWindow, check_display
from vision.errors import CameraError

MAX_REST_GAP_MS = 500.0  # a longer gap between rest frames is a pause (or a stall): not rest


@dataclass(frozen=True)
class RoutineOptions:
    routine: Routine = DEFAULT_ROUTINE
    camera: int | str = 0
    clips: tuple[Path, ...] = ()  # played one after another as the camera
    voice: bool = True
    mirror: bool = False
    debug: bool = False
    model: Path | None = None
    thresholds: Path | None = None
    smoothing: bool = False
    sessions_dir: Path | None = None  # default: <user data dir>/sessions
    show_window: bool = True
    reconnect_timeout_s: float = 120.0
    realtime: bool = True


@dataclass
class ExerciseOutcome:
    """One exercise of the routine as it went."""

    step: Step
    position: int  # 1-based, in the routine
    report: Report | None = None  # None when nobody was seen during it (or it was never started)
    sets_done: int = 0
    skipped: bool = False
    mismatch: list[Mismatch] = field(default_factory=list)  # another exercise done instead


@dataclass(frozen=True)
class PainStop:
    """The moment the stop-for-pain key was pressed."""

    exercise: str
    set_no: int
    session_s: float  # seconds into the session
    at: datetime


@dataclass
class RoutineResult:
    routine: Routine
    outcomes: list[ExerciseOutcome]
    stats: LiveStats
    complete: bool = False
    pain: PainStop | None = None
    folder: Path | None = None
    written: dict[str, Path] = field(default_factory=dict)
    interrupted: bool = False
    stop_signal: int | None = None
    camera_ended: bool = False  # the camera (or the clips) ended before the routine did
    camera_lost: bool = False
    voice_problem: str | None = None
    source: str | None = None  # the camera, or the clips played as one

    @property
    def stopped_for_pain(self) -> bool:
        return self.pain is not None


def default_source_factory(options: RoutineOptions) -> Callable[[], Any]:
    from feedback.routine_camera import ClipsAsCamera
    from vision.sources import Camera

    if options.clips:
        clips, realtime = options.clips, options.realtime
        return lambda: ClipsAsCamera(clips, realtime=realtime)
    camera = options.camera
    return lambda: Camera(camera)


def run_routine(
    options: RoutineOptions,
    backends: Any = None,
    speech: SpeechEngine | str | None = "auto",
    source_factory: Callable[[], Any] | None = None,
    window: LiveWindow | None = None,
    say: Callable[[str], None] = print,
    estimator_options: dict | None = None,
    estimator_warmup: bool = True,
) -> RoutineResult:
    """Play the routine to its end (complete, q, stop for pain, camera gone) and save it."""
    from feedback.analysis import default_backends
    from feedback.routine_files import save_routine

    b = backends or default_backends()
    steps = options.routine.steps
    checkers = [b.create_checker(s.exercise, options.thresholds) for s in steps]  # a bad file fails now
    sessions_root = options.sessions_dir or default_sessions_dir()
    check_folder_creatable(sessions_root, "session folder")
    if options.show_window and window is None:
        check_display()
    model_path = b.resolve_model(options.model)
    problems: list[str] = []
    voice = _open_voice(options.voice, speech, say, problems)
    control = RoutineControl(SessionClock(), voice)
    result = RoutineResult(options.routine, [], LiveStats())
    with contextlib.ExitStack() as stack:
        live_options = {"people_check_background": True, **(estimator_options or {})}
        estimator = stack.enter_context(b.make_estimator(model_path, **live_options))
        stack.callback(voice.close, finish_s=3.0)
        window = _open_window(options, window, control, stack)
        if estimator_warmup:
            _warm_up(estimator)
        open_source = source_factory or default_source_factory(options)
        frames = LiveFrames(
            lambda: Continuing(open_source()),  # iterated once per set and rest
            control,
            control.clock,
            result.stats,
            screen=Screen(window, control, options.mirror) if window is not None else None,
            reconnect_timeout_s=options.reconnect_timeout_s,
            say=say,
        )
        stack.callback(frames.close)
        smoother = b.make_smoother() if options.smoothing else None
        player = _Player(options, control, frames, estimator, window, smoother, result)
        result.source = player.source_name()
        started = time.monotonic()
        with ctrl_c_quits(control):
            player.play(checkers)
            result.stats.wall_s = time.monotonic() - started
            stack.close()  # source, window, voice (its last words), estimator
            result.folder, result.written = save_routine(result, sessions_root)
    result.interrupted = control.interrupted
    result.stop_signal = control.stop_signal
    result.camera_lost = frames.camera_lost
    result.voice_problem = problems[0] if problems else None
    return result


def _open_voice(
    enabled: bool, speech: SpeechEngine | str | None, say: Callable[[str], None], problems: list[str]
) -> Voice:
    """Live's voice, with room for more waiting phrases: an announcement, a count and the
    rest countdown can come together, and none of them may be lost."""
    engine = find_engine() if speech == "auto" else speech
    if engine is None and enabled:
        say("No speech engine found (install espeak-ng for spoken cues); carrying on without voice.")

    def voice_failed(message: str) -> None:  # on the voice thread, once
        problems.append(message)
        say(message)

    return Voice(engine, enabled=enabled, max_waiting=6, stale_after_s=10.0, on_problem=voice_failed)


def _open_window(
    options: RoutineOptions, window: LiveWindow | None, control: RoutineControl, stack: contextlib.ExitStack
) -> LiveWindow | None:
    if not options.show_window:
        return window
    window = window or RoutineWindow(f"backform - {options.routine.name}")
    window.open()
    stack.callback(window.close)
    Screen(window, control, False).show_message(None, "Starting...")
    return window


class _Player:
    """Plays the steps in order, set after set, with the rests between them."""

    def __init__(self, options, control, frames, estimator, window, smoother, result: RoutineResult) -> None:
        self.options = options
        self.routine: Routine = options.routine
        self.control: RoutineControl = control
        self.frames: LiveFrames = frames
        self.estimator = estimator
        self.window = window
        self.smoother = smoother
        self.result = result
        self.last_t_ms: float | None = None  # the newest frame's time, judged or resting

    @property
    def voice(self):
        return self.control.voice

    def play(self, checkers: list) -> None:
        try:
            for i, (step, checker) in enumerate(zip(self.routine.steps, checkers, strict=True)):
                outcome = ExerciseOutcome(step, i + 1)
                self.result.outcomes.append(outcome)
                if self._exercise(i, outcome, checker):
                    return
        except CameraError:
            # Live reconnects a camera that drops out mid-pass; one that fails right as a set
            # or rest begins is reported here. Once anything was seen, keep it: save it.
            if self.last_t_ms is None:
                raise
            self.result.camera_ended = True
            return
        self.result.complete = True
        self.voice.say(ROUTINE_COMPLETE)

    def _exercise(self, i: int, outcome: ExerciseOutcome, checker) -> bool:
        """One exercise, all its sets; True when the whole routine is over."""
        step, control = outcome.step, self.control
        control.begin_exercise()
        live = LiveOptions(
            step.exercise,
            target_reps=step.reps,
            target_hold_s=step.hold_s,
            mirror=self.options.mirror,
            debug=self.options.debug,
            show_window=False,
        )
        session = _LiveSession(live, step.spec, checker, control, self.result.stats)
        session.source_name = self.source_name()
        session.recorder.video = session.source_name
        session.key_help = ROUTINE_KEY_HELP
        sinks = session.wire(self.frames, self.window, self.smoother)
        watch = MismatchWatch(step.exercise, self.voice.say)
        banner = RoutineBanner(ready=lambda: session.guide.ready, notice=watch.tracker.notice)
        sinks.insert(len(sinks) - 1 if self.window is not None else len(sinks), banner)
        sinks.insert(0, watch)  # before the banner, which shows what it notices
        sinks.insert(0, _FrameTime(self))  # before the window sink, which may end the set
        self.voice.say(exercise_announcement(step, first=i == 0))
        try:
            for set_no in range(1, step.sets + 1):
                if set_no > 1:
                    control.start_next_set()
                    self.voice.say(set_announcement(step, set_no))
                one_set = target_words(replace(step, sets=1))
                banner.show(
                    f"Exercise {i + 1} of {len(self.routine.steps)}: {step.spec.title}",
                    f"Set {set_no} of {step.sets}: {one_set}",
                    coming=f"{'Next' if set_no == 1 else f'Set {set_no} of {step.sets}'}: {one_set}"
                    " - get into position",
                )
                over = self._set(outcome, set_no, session, sinks, watch.estimator(self.estimator))
                if over is not None:
                    return over
                rest = self.routine.rest_after(i, set_no)
                if rest > 0 and self._rest(rest, self._next_words(i, set_no)) is not None:
                    return self._after_rest(outcome, set_no)
            return False
        finally:
            outcome.mismatch = watch.tracker.spans
            outcome.report = self._report(session, outcome)

    def _set(
        self, outcome: ExerciseOutcome, set_no: int, session: _LiveSession, sinks: list, estimator: Any
    ) -> bool | None:
        """One set through the pipeline (`estimator`: the session's, also feeding the set's
        recogniser). None: carry on; True: the routine is over; False: skip."""
        step, control = outcome.step, self.control
        done = False

        def watch(frame, a) -> None:
            nonlocal done
            if control.skip or control.quit:
                raise StopPipeline
            if step.reached(a.rep_count, a.hold_s):
                done = True
                raise StopPipeline

        ran = run_pipeline(self.frames, estimator, session.guided, sinks, self.smoother, on_frame=watch)
        if ran.interrupted:
            control.quit = control.interrupted = True
            control.stop_signal = control.stop_signal or ran.stop_signal
        outcome.sets_done += done
        return self._decide(outcome, set_no, done)

    def _decide(self, outcome: ExerciseOutcome, set_no: int, done: bool) -> bool | None:
        control = self.control
        if control.pain_at_ms is not None:
            self._pain(outcome, set_no)
            return True
        if control.quit:
            return True
        if control.skip:
            outcome.skipped = True
            return False
        if not done:  # the source ended (a clip played to its end) or the camera was lost
            self.result.camera_ended = True
            return True
        return None

    def _after_rest(self, outcome: ExerciseOutcome, set_no: int) -> bool:
        """The rest was cut short: by the pain key, q, or a skip of the exercise's other sets."""
        over = self._decide(outcome, set_no, True)
        if over is False:
            outcome.skipped = set_no < outcome.step.sets
        return bool(over)

    def _pain(self, outcome: ExerciseOutcome, set_no: int) -> None:
        pressed_ms = self.control.pain_at_ms or 0.0
        ago_s = (self.control.clock.now_ms() - pressed_ms) / 1000.0
        at = datetime.fromtimestamp(time.time() - ago_s).replace(microsecond=0)
        # On the reports' timeline: the last frame seen when the key was pressed.
        t_ms = self.last_t_ms if self.last_t_ms is not None else pressed_ms
        self.result.pain = PainStop(outcome.step.exercise, set_no, round(t_ms / 1000.0, 2), at)
        self.voice.say(PAIN_STOP)

    def _rest(self, seconds: float, next_text: str) -> bool | None:
        """Rest on the camera picture, counted down aloud; None when it ran its length."""
        calls = rest_calls(seconds)
        elapsed_s, last_ms = 0.0, None
        for frame in self.frames:
            if last_ms is not None and frame.t_ms - last_ms <= MAX_REST_GAP_MS:
                elapsed_s += (frame.t_ms - last_ms) / 1000.0
            last_ms = self.last_t_ms = frame.t_ms
            while calls and calls[0].at_s <= elapsed_s:
                self.voice.say(calls.pop(0).text)
            if self.window is not None:
                left = rest_seconds_left(seconds, elapsed_s)
                shown = rest_image(frame.image, left, next_text, self.options.mirror)
                for command in self.window.show(shown):
                    self.control.handle(command)
            if self.control.quit or self.control.skip:
                return True
            if elapsed_s >= seconds:
                return None
        self.result.camera_ended = True  # the camera ended during the rest
        self.control.quit = True
        return True

    def _next_words(self, i: int, set_no: int) -> str:
        step = self.routine.steps[i]
        if set_no < step.sets:
            return f"Next: {step.spec.title.lower()}, set {set_no + 1} of {step.sets}"
        following = self.routine.steps[i + 1]
        return f"Next: {following.spec.title.lower()}, {target_words(following)}"

    def source_name(self) -> str:
        if self.options.clips:
            return ", ".join(str(p) for p in self.options.clips)
        return f"camera {self.options.camera}"

    def _report(self, session: _LiveSession, outcome: ExerciseOutcome) -> Report | None:
        if session.recorder.frames_with_pose == 0:
            return None
        step = outcome.step
        cut_short = self.control.interrupted or self.result.camera_ended or self.frames.camera_lost
        report = session.recorder.report(partial=cut_short)
        report.extra["routine"] = {
            "name": self.routine.name,
            "position": outcome.position,
            "sets": step.sets,
            "sets_done": outcome.sets_done,
            "target_reps": step.reps,
            "target_hold_s": step.hold_s,
            "rest_s": step.rest_s,
            "skipped": outcome.skipped,
        }
        report.extra["live"] = {"source": session.source_name, "mirror": self.options.mirror}
        return report


class _FrameTime:
    """First sink of a set: notes each frame's time, so the moment a key ends the set is known."""

    def __init__(self, player: _Player) -> None:
        self.player = player

    def consume(self, frame, assessment) -> None:
        self.player.last_t_ms = frame.t_ms

    def close(self) -> None:
        pass
