"""The live window under a private Xvfb: pixels reach the screen, keys become commands."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import ImageGrab

from feedback.window import (
    NO_DISPLAY_MESSAGE,
    Command,
    DisplayUnavailableError,
    LiveWindow,
    check_display,
    command_for_key,
)
from tests.fresh_paint import first_painted, refused_by_x


def test_key_map():
    assert command_for_key(ord("q")) is Command.QUIT
    assert command_for_key(27) is Command.QUIT
    assert command_for_key(ord(" ")) is Command.PAUSE
    assert command_for_key(ord("r")) is Command.RESET
    assert command_for_key(ord("v")) is Command.VOICE
    assert command_for_key(-1) is None
    assert command_for_key(ord("x")) is None
    # Some HighGUI backends report modifier bits above the low byte.
    assert command_for_key(0x100000 | ord("q")) is Command.QUIT


def test_no_display_is_one_clear_error(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    with pytest.raises(DisplayUnavailableError) as err:
        LiveWindow().open()
    assert str(err.value) == NO_DISPLAY_MESSAGE


def test_dead_display_is_detected_without_loading_qt(monkeypatch: pytest.MonkeyPatch):
    # Qt would abort the whole process on an unreachable display; the probe must catch it first.
    monkeypatch.setenv("DISPLAY", ":987")
    monkeypatch.setattr("sys.platform", "linux")
    with pytest.raises(DisplayUnavailableError):
        check_display()


def _screenshot(display: str, rect: tuple[int, int, int, int]) -> np.ndarray:
    x, y, w, h = rect
    shot = ImageGrab.grab(bbox=(x, y, x + w, y + h), xdisplay=display)
    return cv2.cvtColor(np.asarray(shot.convert("RGB")), cv2.COLOR_RGB2BGR)


def _pump_until(window: LiveWindow, done, timeout_s: float = 30.0) -> list[Command]:
    """Let HighGUI process events until `done(commands)` or the timeout; returns all commands.
    The default timeout is generous: it returns as soon as `done`, however busy the machine."""
    seen: list[Command] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        seen += window.poll(20)
        if done(seen):
            break
    return seen


def _test_card() -> np.ndarray:
    img = np.zeros((240, 320, 3), np.uint8)
    img[:, :160] = (0, 0, 255)  # left half red
    img[:120, 160:] = (0, 255, 0)  # top-right green
    img[120:, 160:] = (255, 0, 0)  # bottom-right blue
    return img


_SHOW_CARD = """
import sys, time
import numpy as np
from feedback.window import LiveWindow
from tests.test_window import _screenshot, _test_card

card = _test_card()
error, rect = None, None
with LiveWindow("backform-test-card") as window:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        # Show again each time: a loaded machine may map the window after the first paint.
        window.show(card)
        window.poll(20)
        rect = window.image_rect()
        if rect[2] == card.shape[1] and rect[3] == card.shape[0]:
            error = float(np.abs(_screenshot(sys.argv[1], rect).astype(int) - card).mean())
            if error < 8:
                break
    closed = window.closed_by_user()
print(error, rect, closed)
"""


def _show_card(display: str) -> tuple[float | None, str, bool]:
    """The card shown by LiveWindow in a new process: (screen error per pixel, its output, closed)."""
    repo = Path(__file__).resolve().parent.parent
    env = {**os.environ, "DISPLAY": display, "PYTHONPATH": str(repo)}
    done = subprocess.run(
        [sys.executable, "-c", _SHOW_CARD, display], capture_output=True, text=True, env=env, timeout=180
    )
    if refused_by_x(done.returncode, done.stderr):
        return None, done.stderr[-300:], False
    assert done.returncode == 0, done.stderr[-2000:]
    error = done.stdout.split(" ", 1)[0]
    return (None if error == "None" else float(error)), done.stdout, done.stdout.split()[-1] == "True"


def test_window_shows_the_frame_on_screen(x_display: str):
    # In a process of its own, as `backform live` runs; a few fresh ones if Qt never paints
    # (tests/fresh_paint.py: a Qt-on-Xvfb fault under heavy load, not the window code's).
    error, out, closed = first_painted(
        lambda _: _show_card(x_display), lambda shown: shown[0] is not None and shown[0] < 8
    )
    assert error is not None, f"window never reached the frame size: {out}"
    assert error < 8, f"screen differs from the frame by {error} per pixel: {out}"
    assert not closed


class _XTest:
    """Type keys into the focused X window through the XTEST extension (libXtst, no extra tools)."""

    def __init__(self, display: str) -> None:
        x11 = ctypes.util.find_library("X11")
        xtst = ctypes.util.find_library("Xtst")
        if not x11 or not xtst:
            pytest.fail("libX11/libXtst missing: `apt-get install libx11-6 libxtst6`")
        self.x11 = ctypes.CDLL(x11)
        self.xtst = ctypes.CDLL(xtst)
        self.x11.XOpenDisplay.restype = ctypes.c_void_p
        self.x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        self.x11.XStringToKeysym.restype = ctypes.c_ulong
        self.x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
        self.x11.XFlush.argtypes = [ctypes.c_void_p]
        self.x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self.xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
        self.xtst.XTestFakeMotionEvent.argtypes = [
            ctypes.c_void_p,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_ulong,
        ]
        self.dpy = self.x11.XOpenDisplay(display.encode())
        assert self.dpy, f"cannot open X display {display}"

    def point_at(self, x: int, y: int) -> None:
        """Without a window manager Xvfb gives keyboard focus to the window under the pointer."""
        self.xtst.XTestFakeMotionEvent(self.dpy, -1, x, y, 0)
        self.x11.XFlush(self.dpy)

    def press(self, keysym_name: str) -> None:
        code = self.x11.XKeysymToKeycode(self.dpy, self.x11.XStringToKeysym(keysym_name.encode()))
        self.xtst.XTestFakeKeyEvent(self.dpy, code, 1, 0)
        self.xtst.XTestFakeKeyEvent(self.dpy, code, 0, 0)
        self.x11.XFlush(self.dpy)

    def close(self) -> None:
        self.x11.XCloseDisplay(self.dpy)


def test_keys_typed_in_the_window_become_commands(x_display: str):
    assert os.environ["DISPLAY"] == x_display
    keys = _XTest(x_display)
    try:
        with LiveWindow("backform-test-keys") as window:
            window.show(_test_card())
            # Let it map (a loaded machine may take seconds): until the image area has the card's size.
            _pump_until(window, lambda _: window.image_rect()[2:] == (320, 240))
            x, y, w, h = window.image_rect()
            keys.point_at(x + w // 2, y + h // 2)
            # HighGUI keeps only the last key per waitKey, as a person types slower than frames come.
            seen = []
            for name in ["space", "r", "v", "Escape"]:
                keys.press(name)
                seen += _pump_until(window, lambda s: bool(s))
            assert seen == [Command.PAUSE, Command.RESET, Command.VOICE, Command.QUIT]
            keys.press("a")  # an unmapped key is ignored
            assert _pump_until(window, lambda s: bool(s), timeout_s=0.5) == []
    finally:
        keys.close()
