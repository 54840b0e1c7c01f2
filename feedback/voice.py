"""Spoken cues, offline, without ever holding up the frame loop.

A `SpeechEngine` turns one short phrase into sound and blocks while it speaks. `Voice` owns
one worker thread that feeds an engine from a small queue: the frame loop only appends to
the queue. When the speaker falls behind, the oldest cues are dropped and cues that waited
too long are skipped, because a correction about a rep that is already over is noise.

Rate limiting of repeats belongs to the cue policy that decides *what* to say; this module
only decides *whether there is still time* to say it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable


class SpeechError(RuntimeError):
    """The engine could not speak (no audio device, engine crashed)."""


@runtime_checkable
class SpeechEngine(Protocol):
    name: str

    def say(self, text: str) -> None:
        """Speak `text`; return when done. Raise SpeechError when speaking is impossible."""

    def stop(self) -> None:
        """Cut the current phrase short (called from another thread); no-op when idle."""

    def close(self) -> None: ...


class EspeakEngine:
    """eSpeak NG through its command-line binary: one short subprocess per phrase.

    A subprocess (rather than a binding) can be killed mid-phrase and cannot take the
    interpreter down with it. espeak-ng exits 0 even when it has no audio device, so
    failure is read from its stderr.
    """

    name = "espeak-ng"

    def __init__(
        self,
        binary: str | None = None,
        words_per_minute: int = 165,
        voice: str | None = None,
        wav_dir: Path | None = None,
    ) -> None:
        found = binary or shutil.which("espeak-ng") or shutil.which("espeak")
        if not found:
            raise SpeechError("espeak-ng is not installed")
        self.binary = found
        self.words_per_minute = words_per_minute
        self.voice = voice
        # For checking the synthesis without a sound card: write each phrase to a WAV file.
        self.wav_dir = wav_dir
        self._count = 0
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def command(self, text: str) -> list[str]:
        cmd = [self.binary, "-s", str(self.words_per_minute)]
        if self.voice:
            cmd += ["-v", self.voice]
        if self.wav_dir is not None:
            self._count += 1
            cmd += ["-w", str(self.wav_dir / f"cue_{self._count:04d}.wav")]
        # "--" so a phrase can never be read as an option.
        return [*cmd, "--", text]

    def say(self, text: str) -> None:
        with self._lock:
            self._proc = subprocess.Popen(
                self.command(text),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
        try:
            _, err = self._proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.communicate()
            raise SpeechError("espeak-ng did not finish speaking") from None
        finally:
            code = self._proc.returncode
            with self._lock:
                self._proc = None
        failure = [ln for ln in (err or "").splitlines() if ln.lower().startswith("error")]
        if code not in (0, -15, -9) or failure:  # -15/-9: we stopped it on purpose
            detail = failure[-1] if failure else f"exit code {code}"
            raise SpeechError(f"espeak-ng could not play sound ({detail})")

    def stop(self) -> None:
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                self._proc.terminate()

    def close(self) -> None:
        self.stop()


class Pyttsx3Engine:
    """The platform's own speech (SAPI5, NSSpeechSynthesizer, eSpeak) through pyttsx3.

    pyttsx3 engines must be driven from the thread that created them, so it is created
    lazily on the first `say`, which runs on the Voice worker thread.
    """

    name = "pyttsx3"

    def __init__(self, words_per_minute: int = 165) -> None:
        try:
            import pyttsx3  # noqa: F401  (optional dependency)
        except ImportError as err:
            raise SpeechError("pyttsx3 is not installed") from err
        self.words_per_minute = words_per_minute
        self._engine = None

    def say(self, text: str) -> None:
        import pyttsx3

        try:
            if self._engine is None:
                self._engine = pyttsx3.init()
                self._engine.setProperty("rate", self.words_per_minute)
            self._engine.say(text)
            self._engine.runAndWait()
        except Exception as err:  # pyttsx3 raises whatever its driver raises
            raise SpeechError(f"pyttsx3 could not speak ({err})") from err

    def stop(self) -> None:
        if self._engine is not None:
            self._engine.stop()

    def close(self) -> None:
        self._engine = None


class NullEngine:
    """Says nothing; stands in when there is no speech engine or voice is off."""

    name = "none"

    def say(self, text: str) -> None:
        pass

    def stop(self) -> None:
        pass

    def close(self) -> None:
        pass


class FakeEngine:
    """Records what would be said, in order; for tests. `seconds_per_phrase` simulates speaking."""

    name = "fake"

    def __init__(self, seconds_per_phrase: float = 0.0, fail: bool = False) -> None:
        self.spoken: list[str] = []
        self.seconds_per_phrase = seconds_per_phrase
        self.fail = fail
        self.closed = False
        self._stop = threading.Event()

    def say(self, text: str) -> None:
        if self.fail:
            raise SpeechError("fake engine told to fail")
        self._stop.clear()
        self.spoken.append(text)
        if self.seconds_per_phrase:
            self._stop.wait(self.seconds_per_phrase)

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self.closed = True


def find_engine() -> SpeechEngine | None:
    """The best offline engine on this machine, or None.

    On Linux espeak-ng's binary first (pyttsx3 would use eSpeak there anyway, through a
    binding that cannot be interrupted); elsewhere the platform voice through pyttsx3 first.
    """
    makers: list[Callable[[], SpeechEngine]] = [EspeakEngine, Pyttsx3Engine]
    if not sys.platform.startswith("linux"):
        makers.reverse()
    for make in makers:
        try:
            return make()
        except SpeechError:
            continue
    return None


@dataclass(frozen=True, slots=True)
class _Cue:
    text: str
    queued_at: float


class Voice:
    """Speaks cues on a worker thread fed by a bounded queue; `say` never blocks.

    - queue full: the oldest waiting cue is dropped (the newest is the relevant one);
    - a cue that waited longer than `stale_after_s` is skipped rather than said late;
    - the same phrase is never queued twice;
    - the first engine failure is reported once through `on_problem`, then the voice
      goes quiet for the rest of the session and the caller carries on.
    """

    def __init__(
        self,
        engine: SpeechEngine | None,
        enabled: bool = True,
        max_waiting: int = 2,
        stale_after_s: float = 3.0,
        on_problem: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self._enabled = enabled and engine is not None
        self.stale_after_s = stale_after_s
        self._on_problem = on_problem
        self._clock = clock
        self._queue: deque[_Cue] = deque(maxlen=max_waiting)
        self._wake = threading.Condition()
        self._closing = False
        self._broken: str | None = None
        self._speaking = False
        self.dropped: list[str] = []  # cues never said (queue overflow or stale), for diagnostics
        self._thread: threading.Thread | None = None
        if engine is not None:
            self._thread = threading.Thread(target=self._run, name="backform-voice", daemon=True)
            self._thread.start()

    @property
    def available(self) -> bool:
        return self.engine is not None and self._broken is None

    @property
    def problem(self) -> str | None:
        """Why the engine stopped working, if it did."""
        return self._broken

    @property
    def enabled(self) -> bool:
        return self._enabled and self.available

    def set_enabled(self, on: bool) -> bool:
        """Turn speaking on or off; turning off silences the current phrase. Returns the new state."""
        self._enabled = bool(on) and self.engine is not None
        if not self._enabled:
            with self._wake:
                self._queue.clear()
            if self.engine is not None:
                self.engine.stop()
        return self.enabled

    def toggle(self) -> bool:
        return self.set_enabled(not self._enabled)

    def say(self, text: str) -> None:
        """Queue a phrase; returns at once. Ignored while disabled."""
        if not self.enabled or not text:
            return
        with self._wake:
            if any(c.text == text for c in self._queue):
                return
            if len(self._queue) == self._queue.maxlen:
                self.dropped.append(self._queue[0].text)
            self._queue.append(_Cue(text, self._clock()))
            self._wake.notify()

    def idle(self) -> bool:
        """Nothing waiting and nothing being said."""
        with self._wake:
            return not self._queue and not self._speaking

    def wait_idle(self, timeout: float) -> bool:
        """Block until everything queued has been said or dropped (for a clean ending, tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.idle():
                return True
            time.sleep(0.01)
        return self.idle()

    def close(self, finish_s: float = 0.0) -> None:
        """Stop the worker. `finish_s` > 0 lets queued cues (e.g. "Set complete") finish first."""
        if finish_s > 0 and self._thread is not None:
            self.wait_idle(finish_s)
        with self._wake:
            self._closing = True
            self._queue.clear()
            self._wake.notify()
        if self.engine is not None:
            self.engine.stop()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        if self.engine is not None:
            self.engine.close()

    def _next(self) -> _Cue | None:
        with self._wake:
            while not self._queue and not self._closing:
                self._wake.wait()
            if self._closing:
                return None
            cue = self._queue.popleft()
            self._speaking = True
            return cue

    def _run(self) -> None:
        assert self.engine is not None
        while (cue := self._next()) is not None:
            try:
                if self._clock() - cue.queued_at > self.stale_after_s:
                    self.dropped.append(cue.text)
                    continue
                if not self._enabled:
                    continue
                try:
                    self.engine.say(cue.text)
                except SpeechError as err:
                    self._broken = str(err)
                    self._enabled = False
                    if self._on_problem is not None:
                        self._on_problem(f"Voice off: {err}. Carrying on without speech.")
                    return
            finally:
                with self._wake:
                    self._speaking = False
