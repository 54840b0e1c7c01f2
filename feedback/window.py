"""The live window: shows finished frames and turns key presses into commands.

OpenCV's HighGUI (Qt in the opencv-contrib wheel) is used because it is already a
dependency. Qt aborts the whole process when it cannot reach a display, so the display is
probed first and a missing one becomes a one-line `DisplayUnavailableError` instead.
"""

from __future__ import annotations

import os
import socket
import sys
from enum import StrEnum

import cv2
import numpy as np

from vision.errors import BackformError

NO_DISPLAY_MESSAGE = "No display available for the live window"


class DisplayUnavailableError(BackformError):
    """There is no screen to open the live window on (headless machine, SSH without X)."""


class Command(StrEnum):
    QUIT = "quit"
    PAUSE = "pause"  # toggles pause / resume
    RESET = "reset"  # reset the rep count and hold
    VOICE = "voice"  # toggles the voice


KEY_COMMANDS: dict[int, Command] = {
    ord("q"): Command.QUIT,
    ord("Q"): Command.QUIT,
    27: Command.QUIT,  # Esc
    ord(" "): Command.PAUSE,
    ord("r"): Command.RESET,
    ord("R"): Command.RESET,
    ord("v"): Command.VOICE,
    ord("V"): Command.VOICE,
}

KEY_HELP = "q/Esc quit   space pause   r reset   v voice"


def command_for_key(code: int) -> Command | None:
    """Map a `cv2.waitKey` result to a command; -1 (no key) and other keys give None."""
    if code < 0:
        return None
    return KEY_COMMANDS.get(code & 0xFF)


def _x_socket_reachable(display: str, timeout_s: float = 1.0) -> bool:
    """Whether an X server answers at `display` ("[host]:N[.S]") - without loading Qt."""
    host, sep, rest = display.rpartition(":")
    if not sep:
        return False
    number = rest.split(".", 1)[0]
    if not number.isdigit():
        return False
    if host in ("", "unix"):
        # Local server: Linux listens on an abstract socket and/or a file socket.
        for path in (f"\0/tmp/.X11-unix/X{number}", f"/tmp/.X11-unix/X{number}"):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(timeout_s)
                try:
                    s.connect(path)
                    return True
                except OSError:
                    continue
        return False
    try:
        with socket.create_connection((host, 6000 + int(number)), timeout=timeout_s):
            return True
    except OSError:
        return False


def check_display() -> None:
    """Raise DisplayUnavailableError unless a window can be opened on this machine."""
    if sys.platform.startswith(("win", "darwin")):
        return  # the desktop is always there when a user runs this
    display = os.environ.get("DISPLAY", "")
    if display and _x_socket_reachable(display):
        return
    if os.environ.get("WAYLAND_DISPLAY") and os.environ.get("QT_QPA_PLATFORM", "").startswith("wayland"):
        return
    raise DisplayUnavailableError(NO_DISPLAY_MESSAGE)


class LiveWindow:
    """One OpenCV window. `show` draws a frame and returns the commands typed since the last call."""

    def __init__(self, title: str = "backform") -> None:
        self.title = title
        self._open = False
        self._shown = False
        self._size: tuple[int, int] | None = None

    def __enter__(self) -> LiveWindow:
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def is_open(self) -> bool:
        return self._open

    def open(self) -> None:
        if self._open:
            return
        check_display()
        try:
            cv2.namedWindow(self.title, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_NORMAL)
        except cv2.error as err:
            raise DisplayUnavailableError(NO_DISPLAY_MESSAGE) from err
        self._open = True

    def show(self, image: np.ndarray, wait_ms: int = 1) -> list[Command]:
        """Display `image` (BGR) and collect key presses for `wait_ms` (>= 1: HighGUI paints then)."""
        if not self._open:
            self.open()
        h, w = image.shape[:2]
        if self._size != (w, h):
            # Start at 1:1; the user may resize afterwards (aspect ratio kept).
            cv2.resizeWindow(self.title, w, h)
            self._size = (w, h)
        cv2.imshow(self.title, image)
        self._shown = True
        return self.poll(wait_ms)

    def poll(self, wait_ms: int = 1) -> list[Command]:
        """Pump window events for `wait_ms` and return the commands typed (also while paused)."""
        if not self._open:
            return []
        commands: list[Command] = []
        code = cv2.waitKey(max(1, wait_ms))
        for _ in range(16):  # drain a few queued presses; bounded against key auto-repeat
            if code == -1:
                break
            cmd = self.command_for(code)
            if cmd is not None:
                commands.append(cmd)
            code = cv2.waitKey(1)
        if self._shown and self.closed_by_user():
            commands.append(Command.QUIT)
        return commands

    def command_for(self, code: int) -> Command | None:
        """The command for a key code; a window with more keys (the routine's) extends this."""
        return command_for_key(code)

    def closed_by_user(self) -> bool:
        """The user clicked the window's close button."""
        try:
            return cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1
        except cv2.error:
            return True

    def image_rect(self) -> tuple[int, int, int, int]:
        """(x, y, width, height) of the image area on screen, for screenshots."""
        return tuple(int(v) for v in cv2.getWindowImageRect(self.title))

    def close(self) -> None:
        if not self._open:
            return
        self._open = False
        try:
            cv2.destroyWindow(self.title)
            cv2.waitKey(1)  # let HighGUI process the destroy
        except cv2.error:
            pass
