"""Stop signals: Ctrl+C (SIGINT), SIGTERM (`kill`, `timeout`, `docker stop`, systemd) and
SIGHUP (the terminal closed) all mean "stop and keep what is done".

Python turns SIGINT into KeyboardInterrupt and lets SIGTERM/SIGHUP kill the process outright
(no partial report, temporary files left behind). The CLI installs `raise_stopped` for the
other two, so every stop signal becomes a `Stopped` exception (a KeyboardInterrupt) and the
same clean-up paths handle all three. The frame loops take these signals over while they run
(`stop_requests`: the first one ends the loop after the current frame), and short phases
that must not be cut in half hold them (`held`).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator

STOP_SIGNALS: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stopped(KeyboardInterrupt):
    """A stop signal turned into an exception; `signum` says which, `note` what was kept."""

    def __init__(self, signum: int = signal.SIGINT, note: str | None = None) -> None:
        super().__init__(signal_name(signum))
        self.signum = signum
        self.note = note


def signal_name(signum: int) -> str:
    return "Ctrl+C" if signum == signal.SIGINT else signal.Signals(signum).name


def exit_code(signum: int) -> int:
    """The shell's convention for a process ended by a signal: 128 + its number."""
    return 128 + int(signum)


def signum_of(stop: BaseException) -> int:
    return int(getattr(stop, "signum", signal.SIGINT))


def raise_stopped(signum: int, frame: object) -> None:
    """Signal handler: stop like Ctrl+C does (an exception, so clean-up code runs)."""
    raise Stopped(signum)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _raises(signum: int) -> bool:
    """The signal currently turns into an exception (so it is ours to handle gracefully)."""
    return signal.getsignal(signum) in (signal.default_int_handler, raise_stopped)


@contextlib.contextmanager
def stop_signals_raise() -> Iterator[None]:
    """For a command's whole run: SIGTERM and SIGHUP raise `Stopped` as Ctrl+C raises
    KeyboardInterrupt. Signals someone chose to ignore (`nohup`) stay ignored."""
    if not _in_main_thread():
        yield
        return
    previous = {}
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is signal.SIG_DFL:
            previous[signum] = signal.signal(signum, raise_stopped)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def stop_requests(on_stop: Callable[[int], None] | None = None) -> Iterator[Callable[[], int | None]]:
    """While a frame loop runs: the first stop signal is only noted (the loop ends after the
    current frame, its outputs complete); a second one raises `Stopped` at once.

    Yields a function returning the signal asked for, or None. Only signals that would raise
    anyway are taken over (from the main thread), so a caller's own handling is kept and a
    library caller's SIGTERM still ends the process.
    """
    requested: list[int] = []
    if not _in_main_thread():
        yield lambda: None
        return

    def on_signal(signum: int, frame: object) -> None:
        if requested:
            raise Stopped(requested[0])  # a second signal: the user means now
        requested.append(signum)
        if on_stop is not None:
            on_stop(signum)

    previous = {s: signal.signal(s, on_signal) for s in STOP_SIGNALS if _raises(s)}
    try:
        yield lambda: requested[0] if requested else None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def held() -> Iterator[list[int]]:
    """Hold stop signals until the block ends, then deliver them to the handlers from before.

    For short phases that must not be cut in half: loading libraries (a KeyboardInterrupt
    inside NumPy's C import turns into OpenCV's ImportError) and writing an output set.
    Yields the list of signals held so far.
    """
    pressed: list[int] = []
    if not _in_main_thread():
        yield pressed
        return
    previous = {s: signal.signal(s, lambda signum, frame: pressed.append(signum)) for s in STOP_SIGNALS}
    try:
        yield pressed
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    for signum in dict.fromkeys(pressed):  # once each, in order
        signal.raise_signal(signum)
