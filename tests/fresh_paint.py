"""Screenshot tests of HighGUI windows on Xvfb: a fresh process per attempt, a few attempts.

Measured (stop 21, `cv2.namedWindow` + `cv2.imshow` + `cv2.waitKey` of a 320x240 card on a
private Xvfb, each try a new process): with four busy loops beside it, 5 of 45 processes never
painted their window in 8 s of redrawing; with three such loops at once, about 1 in 4. The
X server's framebuffer stays black (a grab from another process sees the same), the window is
sometimes left unmapped and sometimes mapped but never drawn, a new window in the same process
stays black too, and the next process paints at once. Plain HighGUI calls with
WINDOW_AUTOSIZE, `QT_XCB_NO_MITSHM=1` and `QT_NO_GLIB=1` fail at the same rate, so it is Qt's
xcb state in that process, not backform's window code. A test that checks pixels on screen
therefore gives the window up to four fresh processes; each attempt's diagnostics
are printed. The same load sometimes refuses a new process's X connection outright (Qt then
aborts with "could not connect to display"): that attempt counts as not painted too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

PAINT_ATTEMPTS = 4
NO_CONNECTION = "could not connect to display"


def refused_by_x(returncode: int, stderr: str) -> bool:
    """The child was refused its X connection (Qt aborts), not failed by the code under test."""
    return returncode != 0 and NO_CONNECTION in stderr


def first_painted(
    attempt: Callable[[int], T], painted: Callable[[T], bool], attempts: int = PAINT_ATTEMPTS
) -> T:
    """Run `attempt(i)` (a fresh process each) until `painted(result)`; the last result otherwise."""
    result = attempt(0)
    for i in range(1, attempts):
        if painted(result):
            break
        print(f"attempt {i}: the window never painted in that process; trying a fresh one")
        result = attempt(i)
    return result
