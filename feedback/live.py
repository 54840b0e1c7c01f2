"""Live guided practice at a camera: `backform live`.

Live mode is the offline analysis loop (`feedback.pipeline.run_pipeline`) with a different
source and different sinks; nothing here judges form. What live adds around that loop:

- `LiveFrames`, the source: a camera (or a clip played as one) re-stamped onto one session
  clock, held back while paused, reconnected when the camera drops out;
- `GuidedChecker`: the exercise checker plus the one view problem only the frame can show
  ("It's too dark");
- sinks: the overlay (mirrored for display if asked) with setup guidance, notices and the
  debug corner; the optional recording; the voice; and the window, whose keys steer it all;
- the end: the same JSON/CSV/PNG report as `backform analyze`, saved under the user data
  folder, and a one-screen summary.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from exercises.base import VIEW_MESSAGES, Assessment, Checker, ViewProblem
from feedback.cues import Cue, CueKind, CuePolicy, CuePolicyConfig
from feedback.overlay import PALETTE, Overlay, Style, ViewMessage, display_for, put_text, shade, text_size
from feedback.pipeline import FrameLike, PipelineResult, Sink, StopPipeline, run_pipeline
from feedback.report import stage_report_files
from feedback.session import Report, SessionRecorder
from feedback.sinks import VideoSink
from feedback.stopping import held, stop_requests
from feedback.voice import SpeechEngine, Voice, find_engine
from feedback.window import KEY_HELP, Command, LiveWindow, check_display
from vision.errors import CameraError, ConfigError, OutputError
from vision.sources import Frame

# What "in the start position" means for each exercise, as the words that get a person there.
START_POSITION: dict[str, str] = {
    "hip-hinge": "Stand tall, side-on to the camera",
    "plank": "Get into your plank, side-on to the camera",
    "cat-cow": "Come onto your hands and knees, side-on to the camera",
}
READY = "Ready"
# Mean grey level (0-255) of a frame below which a missing person is blamed on the light.
DARK_LUMA = 40.0


@dataclass(frozen=True)
class LiveOptions:
    exercise: str
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
class LiveStats:
    """Timing of the live loop, on the session clock."""

    latencies_ms: list[float] = field(default_factory=list)  # capture -> overlay drawn, per frame
    processed: int = 0
    delivered: int = 0  # frames the source handed over (processed + shown while paused)
    dropped: int = 0  # frames the source overwrote because the loop was busy
    reconnects: int = 0
    wall_s: float = 0.0

    def latency_percentile(self, q: float) -> float | None:
        return float(np.percentile(self.latencies_ms, q)) if self.latencies_ms else None

    @property
    def dropped_fraction(self) -> float:
        total = self.delivered + self.dropped
        return self.dropped / total if total else 0.0

    @property
    def fps(self) -> float:
        return self.processed / self.wall_s if self.wall_s > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, 2)

        return {
            "frames_processed": self.processed,
            "frames_dropped": self.dropped,
            "dropped_fraction": round(self.dropped_fraction, 4),
            "frames_per_s": round(self.fps, 2),
            "latency_ms_p50": r(self.latency_percentile(50)),
            "latency_ms_p95": r(self.latency_percentile(95)),
            "reconnects": self.reconnects,
        }


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


class SessionClock:
    """Milliseconds since the session started, on the monotonic clock (never jumps)."""

    def __init__(self) -> None:
        self._t0 = time.monotonic()

    def now_ms(self) -> float:
        return (time.monotonic() - self._t0) * 1000.0


def mean_luma(image: np.ndarray) -> float:
    """Average brightness 0..255 of a BGR frame, from a tiny thumbnail (well under 1 ms)."""
    small = cv2.resize(image, (32, 24), interpolation=cv2.INTER_AREA)
    return float(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).mean())


def mirror_assessment(a: Assessment, width: int) -> Assessment:
    """The same assessment with the pose flipped left-right, for drawing on a mirrored frame.

    Only the drawing is mirrored: the analysis (and so the report) sees the true image.
    """
    if a.pose is None:
        return a
    pw = a.pose.image_size[0] or width
    xy = a.pose.xy.copy()
    xy[:, 0] = pw - xy[:, 0]
    return replace(a, pose=a.pose.replace(xy=xy), view=replace(a.view, facing=-a.view.facing))


# -- control ---------------------------------------------------------------------------------
class LiveControl:
    """The session's switches, flipped by keys and read by the source and the sinks."""

    def __init__(self, clock: SessionClock, voice: Voice) -> None:
        self.clock = clock
        self.voice = voice
        self.paused = False
        self.quit = False
        self.interrupted = False  # the quit came from Ctrl+C in the terminal (or SIGTERM/SIGHUP)
        self.stop_signal: int | None = None
        self.reset_pending = False
        self.resets_ms: list[float] = []
        self.target_reached_ms: float | None = None
        self._notice: tuple[str, float] | None = None
        self._on_reset: list[Callable[[], None]] = []

    def on_reset(self, fn: Callable[[], None]) -> None:
        self._on_reset.append(fn)

    def notify(self, text: str, for_ms: float = 1500.0) -> None:
        self._notice = (text, self.clock.now_ms() + for_ms)

    @property
    def notice(self) -> str | None:
        if self._notice is None or self.clock.now_ms() > self._notice[1]:
            return None
        return self._notice[0]

    def handle(self, command: Command) -> None:
        if command is Command.QUIT:
            self.quit = True
        elif command is Command.PAUSE:
            self.paused = not self.paused
            if not self.paused:
                self.notify("Resumed")
        elif command is Command.RESET:
            self.reset_pending = True
        elif command is Command.VOICE:
            if not self.voice.available:
                self.notify("No voice: " + (self.voice.problem or "no speech engine found"), 2500)
            else:
                self.notify("Voice on" if self.voice.toggle() else "Voice off")

    def apply_reset(self, t_ms: float) -> None:
        """Between two frames: start the count (and the set) again."""
        self.reset_pending = False
        self.target_reached_ms = None
        self.resets_ms.append(t_ms)
        for fn in self._on_reset:
            fn()
        self.notify("Count reset")


@contextlib.contextmanager
def ctrl_c_quits(control: LiveControl) -> Iterator[None]:
    """While live runs, the first Ctrl+C (or SIGTERM/SIGHUP) ends the session like `q` (it is
    saved); a second one interrupts at once. Paused or waiting for the camera, no frame
    reaches the pipeline's own check, so live handles the signals itself.
    """

    def on_stop(signum: int) -> None:
        control.quit = control.interrupted = True
        control.stop_signal = signum

    with stop_requests(on_stop):
        yield


# -- the source --------------------------------------------------------------------------------
class Screen:
    """Shows a full-frame message in the window while the pipeline is not running (paused, reconnecting)."""

    def __init__(self, window: LiveWindow, control: LiveControl, mirror: bool) -> None:
        self.window = window
        self.control = control
        self.mirror = mirror
        self._box = ViewMessage()

    def show_message(self, image: np.ndarray | None, text: str, wait_ms: int = 1) -> None:
        if image is None:
            image = np.zeros((480, 640, 3), np.uint8)
        canvas = cv2.flip(image, 1) if self.mirror else image.copy()
        self._box.annotate(canvas, Cue(CueKind.VIEW, "screen", text, 0.0))
        for command in self.window.show(canvas, wait_ms):
            self.control.handle(command)


class LiveFrames:
    """The pipeline's source: frames of a live source on the session clock.

    - timestamps: the source's capture stamps moved onto the session clock, so they stay
      strictly increasing across pauses and camera reconnects (MediaPipe VIDEO mode needs that);
    - pause: frames keep being taken from the camera (it must not stall) and shown with a
      "Paused" notice, but are not judged;
    - reset: applied between frames, never in the middle of one;
    - a camera that stops mid-session: paused with a message and re-opened every second
      until it is back, the user quits, or `reconnect_timeout_s` passes.
    """

    def __init__(
        self,
        open_source: Callable[[], Any],
        control: LiveControl,
        clock: SessionClock,
        stats: LiveStats,
        screen: Screen | None = None,
        reconnect_timeout_s: float = 120.0,
        say: Callable[[str], None] = print,
    ) -> None:
        self._open_source = open_source
        self.control = control
        self.clock = clock
        self.stats = stats
        self.screen = screen
        self.reconnect_timeout_s = reconnect_timeout_s
        self._say = say
        self.luma: float | None = None  # of the last frame handed on
        self.last_image: np.ndarray | None = None
        self.camera_lost = False
        self.source = open_source()  # opened now: a missing camera fails before anything starts
        self.info = self.source.info

    def close(self) -> None:
        if self.source is not None:
            self._retire(self.source)
            self.source = None

    def _retire(self, source: Any) -> None:
        self.stats.dropped += int(getattr(source, "dropped", 0))
        self.stats.delivered += int(getattr(source, "delivered", 0))
        source.close()

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        last_t = -math.inf
        while self.source is not None:
            source = self.source
            offset = self.clock.now_ms() - source.clock_ms()
            try:
                for raw in source:
                    self.last_image = raw.image
                    if self.control.quit:
                        return
                    if self.control.paused:
                        if self.screen is not None:
                            self.screen.show_message(raw.image, "Paused - press space to resume")
                        continue
                    t = max(raw.t_ms + offset, last_t + 0.001)
                    if self.control.reset_pending:
                        self.control.apply_reset(t)
                    self.luma = mean_luma(raw.image)
                    last_t = t
                    yield Frame(raw.image, t, index, raw.source_index)
                    index += 1
                    if self.control.quit:
                        return
                return  # the source ended (a clip played to its end)
            except CameraError as err:
                if index == 0:
                    raise  # never delivered a frame: a camera problem, not a dropout
                self.source = None
                self._retire(source)
                self.source = self._reconnect(err)
                if self.source is not None:
                    self.stats.reconnects += 1
                    self.info = self.source.info

    def _reconnect(self, err: CameraError) -> Any | None:
        self.camera_lost = True
        self._say(f"{err} Reconnecting... (press q in the window to finish and save)")
        dark = None if self.last_image is None else (self.last_image // 3)
        start = time.monotonic()
        next_try = start + 1.0
        while not self.control.quit:
            if self.screen is not None:
                self.screen.show_message(dark, "Camera lost - reconnecting... (q to finish)", wait_ms=100)
            else:
                time.sleep(0.1)
            now = time.monotonic()
            if now - start > self.reconnect_timeout_s:
                self._say("The camera did not come back; saving the session so far.")
                return None
            if now >= next_try:
                try:
                    source = self._open_source()
                except CameraError:
                    next_try = now + 1.0
                    continue
                self.camera_lost = False
                self._say("Camera back.")
                return source
        return None


# -- judging ---------------------------------------------------------------------------------
class GuidedChecker(Checker):
    """The exercise's checker, plus "too dark" when nobody can be judged in a dark frame.

    Darkness needs the image, which checkers never see; it only replaces a verdict that
    already said the frame cannot be judged, so counting is exactly the checker's own.
    """

    def __init__(self, inner: Checker, frames: LiveFrames, dark_luma: float = DARK_LUMA) -> None:
        self.inner = inner
        self.frames = frames
        self.dark_luma = dark_luma
        self.name = inner.name
        self.title = getattr(inner, "title", inner.name)
        self.main_signals = tuple(getattr(inner, "main_signals", ()))

    def update(self, pose, t_ms: float, frame_index: int) -> Assessment:
        a = self.inner.update(pose, t_ms, frame_index)
        luma = self.frames.luma
        if luma is not None and luma < self.dark_luma and (a.pose is None or not a.view.ok):
            a = replace(a, view=replace(a.view, ok=False, problem=ViewProblem.TOO_DARK))
        return a

    def reset(self) -> None:
        self.inner.reset()

    def finish(self, t_ms: float):
        return self.inner.finish(t_ms)


class SetupGuide:
    """Words that get the person into the start position before anything is counted.

    The view problems that stop judging (no person, not side-on, body cut off, too dark) are
    the cue policy's. This covers what comes with a usable view: not yet in the exercise's
    start position, and other people in the picture (the checker keeps following one person,
    so judging goes on, but the user should know).
    """

    def __init__(self, exercise: str, after_ms: float = 800.0, repeat_ms: float = 15000.0) -> None:
        self.start_text = START_POSITION.get(exercise, "Get into the start position, side-on to the camera")
        self.after_ms = after_ms
        self.repeat_ms = repeat_ms
        self.reset()

    def reset(self) -> None:
        self._since: dict[str, float] = {}  # text -> when its condition began
        self._said_at: dict[str, float] = {}
        self.ready = False  # reached the start position since the session (or reset) began

    def update(self, a: Assessment) -> tuple[str | None, list[str]]:
        """(text to show or None, phrases to say) for this frame."""
        if a.pose is None or not a.view.ok:
            self._since.clear()
            return None, []
        say: list[str] = []
        if a.in_position and not self.ready:
            self.ready = True
            say.append(READY)
        wanted = None
        if a.view.problem is ViewProblem.SEVERAL_PEOPLE:
            wanted = VIEW_MESSAGES[ViewProblem.SEVERAL_PEOPLE]
        elif not a.in_position:
            wanted = self.start_text
        self._since = {k: v for k, v in self._since.items() if k == wanted}
        if wanted is None:
            return None, say
        since = self._since.setdefault(wanted, a.t_ms)
        if a.t_ms - since < self.after_ms:  # give the person a moment before nagging
            return None, say
        last = self._said_at.get(wanted)
        if last is None or a.t_ms - last >= self.repeat_ms:
            self._said_at[wanted] = a.t_ms
            say.append(wanted)
        return wanted, say


# -- sinks -----------------------------------------------------------------------------------
class LiveOverlaySink:
    """Draws what the user sees, in place: the analysis overlay (mirrored if asked), setup
    guidance, short notices, the key help, and with `debug` the frame rate and latency.

    Latency is measured here, when the overlay is drawn: session clock now - capture stamp.
    """

    def __init__(
        self,
        overlay: Overlay,
        guide: SetupGuide,
        control: LiveControl,
        stats: LiveStats,
        mirror: bool = False,
        debug: bool = False,
        dropped: Callable[[], int] = lambda: 0,
        help_ms: float = 8000.0,
    ) -> None:
        self.overlay = overlay
        self.guide = guide
        self.control = control
        self.stats = stats
        self.mirror = mirror
        self.debug = debug
        self._dropped = dropped
        self.help_ms = help_ms
        self._box = ViewMessage()
        self._recent: deque[tuple[float, float]] = deque(maxlen=30)  # (t_ms, latency_ms)
        self._first_ms: float | None = None
        self.say: list[str] = []  # setup phrases for the voice sink, this frame

    def consume(self, frame: FrameLike, assessment: Assessment) -> None:
        image = frame.image
        if self.mirror:
            image[:] = cv2.flip(image, 1)
            shown = mirror_assessment(assessment, image.shape[1])
        else:
            shown = assessment
        self.overlay.draw(image, shown)
        text, self.say = self.guide.update(assessment)
        view_cue = self.overlay.cues.state.view if self.overlay.cues.state else None
        if text and view_cue is None:
            self._box.annotate(image, Cue(CueKind.VIEW, "setup", text, assessment.t_ms))
        if self._first_ms is None:
            self._first_ms = frame.t_ms
        notice = self.control.notice
        if notice:
            self._corner_text(image, [notice], top=True)
        elif frame.t_ms - self._first_ms < self.help_ms or text:
            self._corner_text(image, [KEY_HELP])
        latency = self.control.clock.now_ms() - frame.t_ms
        self.stats.latencies_ms.append(latency)
        self.stats.processed += 1
        self._recent.append((frame.t_ms, latency))
        if self.debug:
            self._debug_corner(image)

    def _debug_corner(self, image: np.ndarray) -> None:
        lines = []
        if len(self._recent) >= 2:
            span = self._recent[-1][0] - self._recent[0][0]
            fps = (len(self._recent) - 1) * 1000.0 / span if span > 0 else 0.0
            lat = float(np.median([lat for _, lat in self._recent]))
            lines.append(f"{fps:4.1f} fps  {lat:3.0f} ms")
        lines.append(f"dropped {self._dropped()}")
        self._corner_text(image, lines, right=True)

    @staticmethod
    def _corner_text(image: np.ndarray, lines: list[str], right: bool = False, top: bool = False) -> None:
        h, w = image.shape[:2]
        style = Style.for_height(h)
        scale, th = style.font_small, style.text_thickness
        sizes = [text_size(line, scale, th) for line in lines]
        lh = max(s[1] + s[2] for s in sizes) + style.pad // 2
        bw = max(s[0] for s in sizes) + 2 * style.pad
        bh = lh * len(lines) + style.pad
        x0 = w - style.margin - bw if right else style.margin
        if top:
            x0 = (w - bw) // 2
        y0 = style.margin if top else h - style.margin - bh
        shade(image, x0, y0, x0 + bw, y0 + bh, alpha=0.55)
        for i, line in enumerate(lines):
            y = y0 + style.pad // 2 + (i + 1) * lh - sizes[i][2] - style.pad // 4
            put_text(image, line, (x0 + style.pad, y), scale, PALETTE.text, th, outline=False)

    def close(self) -> None:
        pass


class VoiceSink:
    """Speaks what the cue policy announces for the frame (and the setup guide's words)."""

    def __init__(self, cues: CuePolicy, voice: Voice, guide_sink: LiveOverlaySink | None = None) -> None:
        self.cues = cues
        self.voice = voice
        self.guide_sink = guide_sink

    def consume(self, frame: FrameLike, assessment: Assessment) -> None:
        # update() is idempotent per frame: this is the state the overlay drew.
        state = self.cues.update(assessment)
        if self.guide_sink is not None:
            for text in self.guide_sink.say:
                self.voice.say(text)
        for announcement in state.announcements:
            self.voice.say(announcement.text)

    def close(self) -> None:
        pass


class WindowSink:
    """Shows the finished frame and routes the keys typed meanwhile; `q` ends the loop."""

    def __init__(self, window: LiveWindow, control: LiveControl) -> None:
        self.window = window
        self.control = control

    def consume(self, frame: FrameLike, assessment: Assessment) -> None:
        for command in self.window.show(frame.image):
            self.control.handle(command)
        if self.control.quit:
            raise StopPipeline

    def close(self) -> None:
        pass


# -- wiring ----------------------------------------------------------------------------------
def default_sessions_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path("backform", appauthor=False) / "sessions"


def new_session_folder(root: Path, now: datetime | None = None) -> Path:
    """<root>/<YYYY-MM-DD_HH-MM-SS>[-N]: one folder per session, never reused."""
    stamp = (now or datetime.now()).strftime("%Y-%m-%d_%H-%M-%S")
    for n in range(1000):
        folder = root / (stamp if n == 0 else f"{stamp}-{n}")
        try:
            folder.mkdir(parents=True, exist_ok=False)
            return folder
        except FileExistsError:
            continue
        except OSError as err:
            raise OutputError(f"Cannot create the session folder {folder}: {err.strerror or err}.") from err
    raise OutputError(f"Too many sessions named {stamp} in {root}.")


def check_folder_creatable(folder: Path, what: str) -> None:
    """OutputError now if `folder` cannot be made (or written) later; nothing is left behind.

    Probes by making and removing a temporary folder in the nearest existing ancestor, the
    only test that also holds for root and read-only mounts.
    """
    folder = Path(folder).expanduser()
    existing = folder
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not os.path.isdir(existing):
        raise OutputError(f"Cannot create the {what} {folder}: {existing} is not a folder.")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".backform-", dir=existing))
    except OSError as err:
        raise OutputError(f"Cannot create the {what} {folder}: {err.strerror or err}.") from err


def check_targets(exercise: str, target_reps: int | None, target_hold_s: float | None) -> None:
    counts = display_for(exercise).counts
    if target_reps is not None and counts != "reps":
        raise ConfigError(f"{exercise} is timed, not counted: use --target-hold SECONDS.")
    if target_hold_s is not None and counts != "hold":
        raise ConfigError(f"{exercise} counts reps: use --target-reps N.")
    if target_reps is not None and target_reps < 1:
        raise ConfigError("--target-reps must be at least 1.")
    if target_hold_s is not None and target_hold_s <= 0:
        raise ConfigError("--target-hold must be more than 0 seconds.")


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
    from feedback.video_out import VideoWriter

    b = backends or default_backends()
    check_targets(options.exercise, options.target_reps, options.target_hold_s)
    checker = b.create_checker(options.exercise, options.thresholds)
    # Everything the session will write is checked before the camera opens.
    sessions_root = options.sessions_dir or default_sessions_dir()
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
    model_path = b.resolve_model(options.model)

    engine = find_engine() if speech == "auto" else speech
    if engine is None and options.voice:
        say("No speech engine found (install espeak-ng for spoken cues); carrying on without voice.")
    problems: list[str] = []

    def voice_failed(message: str) -> None:  # on the voice thread, once
        problems.append(message)
        say(message)

    voice = Voice(engine, enabled=options.voice, on_problem=voice_failed)

    clock = SessionClock()
    control = LiveControl(clock, voice)
    stats = LiveStats()
    target = options.target_reps if options.target_reps is not None else options.target_hold_s
    display = replace(display_for(checker.name, getattr(checker, "title", None)), target=target)
    policy = CuePolicy(CuePolicyConfig(target_reps=options.target_reps, target_hold_s=options.target_hold_s))
    overlay = Overlay(display, policy)
    guide = SetupGuide(checker.name)

    frames: LiveFrames | None = None
    writer = None
    with contextlib.ExitStack() as stack:
        # Teardown in reverse: source, window, voice (after the last words), estimator.
        # The periodic people count runs beside the frame loop, so no frame waits for it.
        live_options = {"people_check_background": True, **(estimator_options or {})}
        estimator = stack.enter_context(b.make_estimator(model_path, **live_options))
        stack.callback(voice.close, finish_s=3.0)  # let "Set complete" be heard
        if options.show_window:
            window = window or LiveWindow(f"backform - {display.title}")
            window.open()
            stack.callback(window.close)
            Screen(window, control, False).show_message(None, "Starting...")
        if estimator_warmup:
            # The first inference is slow (graph and buffers are set up); pay for it before the
            # camera runs, or a clip played as a camera would lose its first second.
            estimator.estimate(np.zeros((480, 640, 3), np.uint8), 0.0, 0)
        frames = LiveFrames(
            source_factory or default_source_factory(options),
            control,
            clock,
            stats,
            screen=Screen(window, control, options.mirror) if window is not None else None,
            reconnect_timeout_s=options.reconnect_timeout_s,
            say=say,
        )
        stack.callback(frames.close)
        guided = GuidedChecker(checker, frames)
        smoother = b.make_smoother() if options.smoothing else None
        control.on_reset(guided.reset)
        control.on_reset(overlay.reset)
        control.on_reset(guide.reset)
        if smoother is not None:
            control.on_reset(smoother.reset)

        source_name = str(options.clip) if options.clip is not None else f"camera {options.camera}"
        recorder = SessionRecorder(checker.name, source_name, guided.main_signals, title=guided.title)
        drawn = LiveOverlaySink(
            overlay,
            guide,
            control,
            stats,
            mirror=options.mirror,
            debug=options.debug,
            dropped=lambda: stats.dropped + int(getattr(frames.source, "dropped", 0) if frames.source else 0),
        )
        sinks: list[Sink] = [recorder, drawn]
        if options.record is not None:
            # ultrafast: encoding shares the frame loop's thread, so it must cost little latency.
            writer = VideoWriter(options.record, fps=frames.info.fps, preset="ultrafast")
            sinks.append(VideoSink(writer, in_set=True))  # named with the session's files
        sinks.append(VoiceSink(policy, voice, drawn))
        if window is not None:
            sinks.append(WindowSink(window, control))

        def on_frame(frame: FrameLike, a: Assessment) -> None:
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

        started = time.monotonic()
        # From the first frame to the last file saved, a stop signal ends the session and it is
        # saved all the same; a second one stops at once.
        with ctrl_c_quits(control):
            try:
                result = run_pipeline(frames, estimator, guided, sinks, smoother=smoother, on_frame=on_frame)
                stats.wall_s = time.monotonic() - started
                # q or the target ends a session; a stop signal or a lost camera cut it short.
                cut_short = control.interrupted or result.interrupted or frames.camera_lost
                stack.close()  # source, window, voice (its last words), estimator
                report = None
                if result.frames_with_pose > 0:
                    report = recorder.report(partial=cut_short)
                    report.extra["live"] = {
                        "source": source_name,
                        "mirror": options.mirror,
                        "target_reps": options.target_reps,
                        "target_hold_s": options.target_hold_s,
                        "resets_s": [round(t / 1000.0, 3) for t in control.resets_ms],
                        "camera_lost": frames.camera_lost,
                        **stats.to_dict(),
                    }
                folder, written = save_session(report, writer, options.record, sessions_root)
            except BaseException:
                if writer is not None:
                    writer.abort()  # the recording's temporary file
                raise

    return LiveResult(
        report,
        result,
        stats,
        folder,
        written,
        frames.camera_lost,
        problems[0] if problems else None,
        interrupted=control.interrupted or result.interrupted,
        stop_signal=control.stop_signal or result.stop_signal,
    )


def save_session(
    report: Report | None, writer: Any, record: Path | None, sessions_root: Path
) -> tuple[Path | None, dict[str, Path]]:
    """The recording and the session's report files, as one set in a new session folder.

    All or nothing: a failed write leaves neither (and no empty folder). A stop signal while
    they are written is held until they are.
    """
    from feedback.atomic import OutputSet

    written: dict[str, Path] = {}
    folder = None
    try:
        with held(), OutputSet() as files:
            video_temp = writer.finish() if writer is not None else None
            if video_temp is not None:
                files.adopt(video_temp, record)
                written["video"] = record
            if report is not None:
                folder = new_session_folder(sessions_root)
                written.update(
                    stage_report_files(
                        report, files, folder / "report.json", folder / "report.csv", folder / "report.png"
                    )
                )
            files.commit()
    except BaseException:
        if writer is not None:
            writer.abort()
        if folder is not None:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty: nothing of the session was kept
        raise
    return folder, written


# -- the summary -----------------------------------------------------------------------------
def range_reached(report: Report) -> str | None:
    """The span of the exercise's main signal over the session (2nd to 98th percentile)."""
    for name in report.main_signals:
        values = np.asarray(report.series.get(name, []), dtype=float)
        values = values[np.isfinite(values)]
        if values.size >= 5:
            lo, hi = np.percentile(values, [2, 98])
            if name.endswith("_deg"):
                return f"{name[:-4].replace('_', ' ')} {lo:.0f} to {hi:.0f} deg"
            return f"{name.replace('_', ' ')} {lo:.2f} to {hi:.2f}"
    return None


def main_fault(report: Report) -> tuple[str, str, float] | None:
    """(code, advice, seconds) of the fault present longest."""
    if not report.fault_time_s:
        return None
    code, total = max(report.fault_time_s.items(), key=lambda kv: kv[1])
    message = next((f.message for f in report.faults if f.code == code), code)
    return code, message, total


def print_live_summary(result: LiveResult, console) -> None:
    from rich.table import Table

    r = result.report
    if r is None:
        console.print("Nobody was seen during the session; nothing was saved.")
        return
    table = Table(title=f"{r.title or r.exercise} - session summary", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("Duration", f"{r.duration_s:.0f} s" + (" (stopped early)" if r.partial else ""))
    if r.exercise != "plank" or r.reps:
        good = sum(1 for rep in r.reps if not rep.faults)
        partial = f", {len(r.partial_reps)} partial" if r.partial_reps else ""
        table.add_row("Reps", f"{r.rep_count} ({good} with good form{partial})")
    if r.exercise == "plank" or r.hold_s:
        table.add_row("Hold", f"{r.hold_s:.1f} s (best continuous {r.best_hold_s:.1f} s)")
    fault = main_fault(r)
    table.add_row("Main fault", f"{fault[1]} ({fault[2]:.1f} s)" if fault else "none")
    # The depth of a hinge or the span of cat-cow; a plank is held still, so it has none.
    reached = range_reached(r) if display_for(r.exercise).counts == "reps" else None
    if reached:
        table.add_row("Range reached", reached)
    if not r.view.ok:
        table.add_row("View", f"could judge only {r.view.ok_fraction:.0%} of the frames with you in view")
    s = result.stats
    p50, p95 = s.latency_percentile(50), s.latency_percentile(95)
    if p50 is not None:
        speed = f"{s.fps:.1f} fps, latency {p50:.0f} ms (p95 {p95:.0f} ms)"
        table.add_row("Speed", f"{speed}, {s.dropped_fraction:.0%} of camera frames skipped")
    console.print(table)
    for kind, path in result.written.items():
        console.print(f"{kind:>6}: {path}")
