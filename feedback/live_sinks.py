"""What live does with each judged frame: draw it (mirrored if asked, with setup guidance,
notices and the debug corner), speak its cues, and show it in the window."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import replace

import cv2
import numpy as np

from exercises.base import Assessment
from feedback.cues import Cue, CueKind, CueStage
from feedback.live_control import LiveControl, LiveStats
from feedback.live_guide import SetupGuide
from feedback.overlay import PALETTE, Overlay, Style, ViewMessage, put_text, shade, text_size
from feedback.pipeline import FrameLike, StopPipeline
from feedback.voice import Voice
from feedback.window import KEY_HELP, LiveWindow


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


class LiveOverlaySink:
    """Draws what the user sees, in place: the analysis overlay (mirrored if asked), setup
    guidance, short notices, the key help, and with `debug` the frame rate and latency.

    Latency is measured here, when the overlay is drawn: session clock now - capture stamp.
    """

    def __init__(
        self,
        overlay: Overlay,
        cues: CueStage,
        guide: SetupGuide,
        control: LiveControl,
        stats: LiveStats,
        mirror: bool = False,
        debug: bool = False,
        dropped: Callable[[], int] = lambda: 0,
        help_ms: float = 8000.0,
        key_help: str = KEY_HELP,
    ) -> None:
        self.overlay = overlay
        self.cues = cues
        self.guide = guide
        self.control = control
        self.stats = stats
        self.mirror = mirror
        self.debug = debug
        self._dropped = dropped
        self.help_ms = help_ms
        self.key_help = key_help
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
        state = self.cues.state
        self.overlay.draw(image, shown, state)
        words = self.guide.update(assessment)
        text, self.say = words.text, words.say
        view_cue = state.view if state is not None else None
        if text and view_cue is None:
            self._box.annotate(image, Cue(CueKind.VIEW, "setup", text, assessment.t_ms))
        if self._first_ms is None:
            self._first_ms = frame.t_ms
        notice = self.control.notice
        if notice:
            self._corner_text(image, [notice], top=True)
        elif frame.t_ms - self._first_ms < self.help_ms or text:
            self._corner_text(image, [self.key_help])
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
    """Speaks what the cue stage announced for the frame (and the setup guide's words)."""

    def __init__(self, cues: CueStage, voice: Voice, guide_sink: LiveOverlaySink | None = None) -> None:
        self.cues = cues
        self.voice = voice
        self.guide_sink = guide_sink

    def consume(self, frame: FrameLike, assessment: Assessment) -> None:
        state = self.cues.state  # chosen for this frame by the cue stage, as the overlay drew it
        if self.guide_sink is not None:
            for text in self.guide_sink.say:
                self.voice.say(text)
        for announcement in state.announcements if state is not None else ():
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
