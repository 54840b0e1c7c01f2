"""Live session state: the session clock, its timing figures, and the switches that keys
and stop signals flip (pause, reset, quit, notices)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from feedback.stopping import stop_requests
from feedback.voice import Voice
from feedback.window import Command


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


class SessionClock:
    """Milliseconds since the session started, on the monotonic clock (never jumps)."""

    def __init__(self) -> None:
        self._t0 = time.monotonic()

    def now_ms(self) -> float:
        return (time.monotonic() - self._t0) * 1000.0


class Notice(NamedTuple):
    """A short message shown until `until_ms` (session clock)."""

    text: str
    until_ms: float


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
        self._notice: Notice | None = None
        self._on_reset: list[Callable[[], None]] = []

    def on_reset(self, fn: Callable[[], None]) -> None:
        self._on_reset.append(fn)

    def notify(self, text: str, for_ms: float = 1500.0) -> None:
        self._notice = Notice(text, self.clock.now_ms() + for_ms)

    @property
    def notice(self) -> str | None:
        if self._notice is None or self.clock.now_ms() > self._notice.until_ms:
            return None
        return self._notice.text

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
