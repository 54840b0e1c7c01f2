"""Pain 0-10 asked in a window, before and after a live session: keys 0-9, `t` for 10.

The question has a window of its own, shown before the live window opens and after it has
closed, so the live loop is not involved. The person answers from where they stand, with
one key; Enter, space, Esc or q skips, and so does closing the window or waiting
`max_polls` polls (about a minute).
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from feedback.overlay import PALETTE, put_text, text_size

TEN_KEY = "t"  # "t" for ten: the one pain score that is not a single digit
SKIP_KEYS = frozenset({13, 10, 27, ord(" "), ord("q"), ord("Q")})  # Enter (CR/LF), Esc, space, q
TITLE = "backform - pain"
KEY_HELP = f"0-9: pain (0 = none)   {TEN_KEY}: 10 (worst)   Enter: skip"
SIZE = (720, 300)  # width, height of the question window


def answer_for_key(code: int) -> tuple[bool, int | None]:
    """(answered, pain) for a `cv2.waitKey` code: a digit or `t` answers with a score, a skip
    key answers with None, anything else (or no key, -1) is not an answer."""
    if code < 0:
        return False, None
    key = code & 0xFF
    if ord("0") <= key <= ord("9"):
        return True, key - ord("0")
    if chr(key).lower() == TEN_KEY:
        return True, 10
    if key in SKIP_KEYS:
        return True, None
    return False, None


def question_image(question: str, chosen: int | None = None) -> np.ndarray:
    """The question, a 0-10 scale and the keys, on a dark panel."""
    w, h = SIZE
    image = np.full((h, w, 3), PALETTE.panel, np.uint8)
    tw, _, _ = text_size(question, 0.9, 2)
    put_text(image, question, ((w - tw) // 2, 60), 0.9, PALETTE.text, 2)
    cell = (w - 60) // 11
    for n in range(11):
        x = 30 + n * cell
        picked = chosen == n
        cv2.rectangle(image, (x + 3, 100), (x + cell - 3, 100 + cell - 6), PALETTE.text, -1 if picked else 1)
        label = str(n)
        lw, lh, _ = text_size(label, 0.7, 2)
        colour = PALETTE.text_dark if picked else PALETTE.text
        put_text(
            image, label, (x + (cell - lw) // 2, 100 + (cell - 6 + lh) // 2), 0.7, colour, 2, outline=False
        )
    put_text(image, "none", (30, 100 + cell + 22), 0.5, PALETTE.text, 1, outline=False)
    worst_w, _, _ = text_size("worst", 0.5, 1)
    put_text(image, "worst", (30 + 11 * cell - worst_w, 100 + cell + 22), 0.5, PALETTE.text, 1, outline=False)
    hw, _, _ = text_size(KEY_HELP, 0.6, 1)
    put_text(image, KEY_HELP, ((w - hw) // 2, h - 30), 0.6, PALETTE.text, 1, outline=False)
    return image


def ask_pain(
    question: str,
    window=None,
    read_key: Callable[[int], int] = cv2.waitKey,
    poll_ms: int = 100,
    max_polls: int = 600,
) -> int | None:
    """Show `question` in a window and wait for a pain score; None if skipped.

    `window` is a LiveWindow (default: a new one titled "backform - pain"), opened here and
    closed before returning; `read_key` is cv2.waitKey (tests pass scripted keys).
    """
    from feedback.window import LiveWindow

    window = window or LiveWindow(TITLE)
    window.open()
    try:
        window.show(question_image(question))
        for _ in range(max_polls):
            answered, pain = answer_for_key(read_key(poll_ms))
            if answered:
                if pain is not None:  # a moment to see the choice taken
                    window.show(question_image(question, pain), wait_ms=400)
                return pain
            if window.closed_by_user():
                return None
        return None
    finally:
        window.close()
