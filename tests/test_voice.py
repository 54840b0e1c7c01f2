"""Voice: the worker thread, dropping rules, failure handling and the real espeak-ng engine."""

from __future__ import annotations

import os
import shutil
import stat
import threading
import wave
from pathlib import Path

import pytest

from feedback.voice import (
    EspeakEngine,
    FakeEngine,
    NullEngine,
    SpeechEngine,
    SpeechError,
    Voice,
    find_engine,
)

# Generous: waits return as soon as the thing happens; a busy machine may take seconds.
WAIT_S = 20.0


class _ManualClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class _GatedEngine(FakeEngine):
    """Blocks inside `say` until released, so tests control when the speaker is busy."""

    def __init__(self) -> None:
        super().__init__()
        self.started = threading.Event()
        self.release = threading.Event()

    def say(self, text: str) -> None:
        self.spoken.append(text)
        self.started.set()
        self.release.wait(60)  # longer than any wait below: a blocked say() cannot pass


def test_speaks_in_order_and_closes_engine():
    engine = FakeEngine()
    voice = Voice(engine)
    for phrase in ["1", "2", "Keep your back flat", "3"]:
        voice.say(phrase)
        assert voice.wait_idle(WAIT_S)
    voice.close()
    assert engine.spoken == ["1", "2", "Keep your back flat", "3"]
    assert engine.closed


def test_say_never_blocks_while_engine_is_busy():
    engine = _GatedEngine()
    voice = Voice(engine, max_waiting=2)
    voice.say("1")
    assert engine.started.wait(WAIT_S)
    # The engine is stuck mid-phrase; queuing more must return at once and overflow must drop
    # the oldest waiting cue, never the newest.
    done = threading.Event()

    def flood():
        for phrase in ["2", "3", "4", "5"]:
            voice.say(phrase)
        done.set()

    threading.Thread(target=flood).start()
    assert done.wait(WAIT_S), "Voice.say blocked on a busy engine"
    assert voice.dropped == ["2", "3"]
    engine.release.set()
    assert voice.wait_idle(WAIT_S)
    voice.close()
    assert engine.spoken == ["1", "4", "5"]


def test_same_phrase_is_not_queued_twice():
    engine = _GatedEngine()
    voice = Voice(engine, max_waiting=3)
    voice.say("Keep your back flat")
    assert engine.started.wait(WAIT_S)
    voice.say("Bend your knees slightly")
    voice.say("Bend your knees slightly")
    engine.release.set()
    assert voice.wait_idle(WAIT_S)
    voice.close()
    assert engine.spoken == ["Keep your back flat", "Bend your knees slightly"]


def test_stale_cue_is_skipped_not_said_late():
    clock = _ManualClock()
    engine = _GatedEngine()
    voice = Voice(engine, stale_after_s=3.0, clock=clock)
    voice.say("1")
    assert engine.started.wait(WAIT_S)
    voice.say("Keep your back flat")  # queued at t=0
    clock.now = 5.0  # the speaker was busy for 5 s: the correction is out of date
    voice.say("2")
    engine.release.set()
    assert voice.wait_idle(WAIT_S)
    voice.close()
    assert engine.spoken == ["1", "2"]
    assert voice.dropped == ["Keep your back flat"]


def test_toggle_mutes_and_clears_queue():
    engine = FakeEngine()
    voice = Voice(engine)
    assert voice.toggle() is False
    voice.say("1")
    assert voice.wait_idle(WAIT_S)
    assert voice.toggle() is True
    voice.say("2")
    assert voice.wait_idle(WAIT_S)
    voice.close()
    assert engine.spoken == ["2"]


def test_disabled_from_the_start_says_nothing():
    engine = FakeEngine()
    voice = Voice(engine, enabled=False)
    voice.say("1")
    voice.close()
    assert engine.spoken == []


def test_engine_failure_is_reported_once_then_silent():
    problems: list[str] = []
    voice = Voice(FakeEngine(fail=True), on_problem=problems.append)
    voice.say("1")
    assert voice.wait_idle(WAIT_S)
    voice.say("2")
    voice.say("3")
    voice.close()
    assert len(problems) == 1
    assert problems[0].startswith("Voice off:")
    assert voice.problem is not None
    assert not voice.enabled


def test_no_engine_means_silent_and_not_available():
    voice = Voice(None)
    assert not voice.available
    assert not voice.enabled
    voice.say("1")  # must not raise
    assert voice.toggle() is False
    voice.close()


def test_close_can_let_the_last_cue_finish():
    engine = FakeEngine(seconds_per_phrase=0.05)
    voice = Voice(engine)
    voice.say("Set complete")
    voice.close(finish_s=2.0)
    assert engine.spoken == ["Set complete"]


def test_engines_satisfy_the_protocol():
    assert isinstance(FakeEngine(), SpeechEngine)
    assert isinstance(NullEngine(), SpeechEngine)


def _espeak() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        pytest.fail("espeak-ng is not installed: apt-get install espeak-ng (the voice tests need it)")
    return exe


def test_espeak_engine_synthesises_each_phrase(tmp_path: Path):
    _espeak()
    engine = EspeakEngine(wav_dir=tmp_path)
    engine.say("Keep your back flat")
    engine.say("3")
    files = sorted(tmp_path.glob("*.wav"))
    assert len(files) == 2
    durations = []
    for f in files:
        with wave.open(str(f)) as w:
            durations.append(w.getnframes() / w.getframerate())
    # A four-word correction takes clearly longer to say than a single number, and both are short.
    assert 0.1 < durations[1] < durations[0] < 4.0


def test_espeak_engine_never_reads_a_phrase_as_an_option(tmp_path: Path):
    _espeak()
    engine = EspeakEngine(wav_dir=tmp_path)
    engine.say("--version")
    (wav,) = tmp_path.glob("*.wav")
    with wave.open(str(wav)) as w:
        assert w.getnframes() > 0


def test_espeak_engine_reports_missing_audio_device(tmp_path: Path):
    # espeak-ng exits 0 when it cannot open the sound card; the error is only on stderr.
    fake = tmp_path / "espeak-ng"
    fake.write_text("#!/bin/sh\necho 'error: No such file or directory' >&2\nexit 0\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    engine = EspeakEngine(binary=str(fake))
    with pytest.raises(SpeechError, match="could not play sound"):
        engine.say("1")


def test_espeak_engine_stop_cuts_a_phrase_short(tmp_path: Path):
    slow = tmp_path / "espeak-ng"
    slow.write_text("#!/bin/sh\nexec sleep 20\n")
    slow.chmod(slow.stat().st_mode | stat.S_IEXEC)
    engine = EspeakEngine(binary=str(slow))
    finished = threading.Event()

    def speak():
        engine.say("a long sentence")
        finished.set()

    threading.Thread(target=speak, daemon=True).start()
    while engine._proc is None:  # wait for the subprocess to exist
        threading.Event().wait(0.01)
    engine.stop()
    assert finished.wait(WAIT_S), "stop() did not interrupt the phrase"


def test_find_engine_without_any_engine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setitem(__import__("sys").modules, "pyttsx3", None)  # import fails
    assert find_engine() is None


def test_find_engine_prefers_espeak_on_linux(monkeypatch: pytest.MonkeyPatch):
    _espeak()
    monkeypatch.setattr("sys.platform", "linux")
    engine = find_engine()
    assert isinstance(engine, EspeakEngine)
    assert os.path.basename(engine.binary).startswith("espeak")
