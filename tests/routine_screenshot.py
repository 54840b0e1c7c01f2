"""docs/routine.png: the routine window, mid-exercise and resting, as the current code draws it.

    Xvfb :87 -screen 0 1400x800x24 & DISPLAY=:87 python tests/routine_screenshot.py docs/routine.png

Two sample clips (hip hinge, plank) play as one camera through MediaPipe into the real
window; the X server is screenshotted on the 110th frame shown (a hinge under way: the
overlay and the routine's banner) and the 175th (the rest screen before the plank).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image
from test_live import PacedClip, _looks_like, _screen_grab

from feedback.routine_camera import ClipsAsCamera
from feedback.routine_keys import RoutineWindow
from feedback.routine_plan import parse_routine
from feedback.routine_run import RoutineOptions, run_routine
from feedback.voice import FakeEngine

REPO = Path(__file__).resolve().parent.parent
ROUTINE = """
name = "Gentle back routine"
[[exercise]]
exercise = "hip-hinge"
reps = 3
rest_s = 3
[[exercise]]
exercise = "plank"
hold_s = 3
"""
SHOTS = {110: "exercise", 175: "rest"}  # frames shown -> name


class ShotWindow(RoutineWindow):
    def __init__(self, title: str, display: str) -> None:
        super().__init__(title)
        self.display, self.shown, self.shots = display, 0, {}

    def show(self, image, wait_ms=1):
        commands = super().show(image, wait_ms)
        self.shown += 1
        name = SHOTS.get(self.shown)
        if name:
            for _ in range(200):  # until the drawn frame is on the screen (bounded by count)
                self.poll(50)
                grab = _screen_grab(self.display, self.image_rect())
                if _looks_like(grab, image):
                    break
            self.shots[name] = grab[:, :, ::-1]  # BGR -> RGB
        return commands


def main(out: Path) -> None:
    clips = (REPO / "samples" / "hinge_good.mp4", REPO / "samples" / "plank_good.mp4")
    window = ShotWindow("backform - Gentle back routine", os.environ["DISPLAY"])
    with tempfile.TemporaryDirectory() as sessions:
        options = RoutineOptions(parse_routine(ROUTINE), clips=clips, sessions_dir=Path(sessions))
        run_routine(
            options,
            speech=FakeEngine(),
            source_factory=lambda: ClipsAsCamera(clips, open_clip=lambda p: PacedClip(p, keep=2)),
            window=window,
        )
    left, right = window.shots["exercise"], window.shots["rest"]
    gap = np.full((left.shape[0], 8, 3), 255, np.uint8)
    picture = Image.fromarray(np.ascontiguousarray(np.hstack([left, gap, right])))
    picture.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(out, optimize=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
