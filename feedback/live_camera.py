"""The live source: camera frames re-stamped onto the session clock, held back while paused,
reconnected when the camera drops out, and full-frame messages while nothing is judged."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import cv2
import numpy as np

from feedback.cues import Cue, CueKind
from feedback.live_control import LiveControl, LiveStats, SessionClock
from feedback.overlay import ViewMessage
from feedback.window import LiveWindow
from vision.errors import CameraError
from vision.sources import Frame


def mean_luma(image: np.ndarray) -> float:
    """Average brightness 0..255 of a BGR frame, from a tiny thumbnail (well under 1 ms)."""
    small = cv2.resize(image, (32, 24), interpolation=cv2.INTER_AREA)
    return float(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).mean())


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
