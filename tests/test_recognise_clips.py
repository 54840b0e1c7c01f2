"""Recognition on real video: sample clips joined into one file (OpenCV), analysed end to end
with MediaPipe. Slow-ish: each test estimates a few hundred frames."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest
from conftest import SAMPLES

JOIN_FPS = 15.0  # every other frame of the 30 fps samples: half the pose estimation


def join_clips(names: list[str], out: Path) -> list[tuple[str, float, float]]:
    """The sample clips `names` one after another in `out` at 15 fps; (name, start_s, end_s) each."""
    writer = None
    parts, n = [], 0
    for name in names:
        path = SAMPLES / name
        if not path.is_file():
            pytest.fail(f"sample clip {path} is missing (render it with `python -m samples.generate`)")
        cap = cv2.VideoCapture(str(path))
        start, i = n, 0
        while True:
            ok, image = cap.read()
            if not ok:
                break
            if i % 2 == 0:
                if writer is None:
                    h, w = image.shape[:2]
                    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), JOIN_FPS, (w, h))
                writer.write(image)
                n += 1
            i += 1
        cap.release()
        parts.append((name, start / JOIN_FPS, n / JOIN_FPS))
    writer.release()
    return parts


def test_a_hinge_inside_a_plank_video_is_skipped_not_judged_as_plank(tmp_path, model_path):
    from feedback.analysis import AnalysisOutputs, analyze_video

    video = tmp_path / "plank_hinge.mp4"
    parts = join_clips(["plank_good.mp4", "hinge_good.mp4"], video)
    _, hinge_start, hinge_end = parts[1]
    report = analyze_video(
        video, "plank", AnalysisOutputs(report=None), model=model_path, skip_other_exercises=True
    ).report
    skipped = report.extra["skipped_segments"]
    assert [s["exercise"] for s in skipped] == ["hip-hinge"]
    assert abs(skipped[0]["start_s"] - hinge_start) <= 1.0 and abs(skipped[0]["end_s"] - hinge_end) <= 1.0
    s0, s1 = skipped[0]["start_s"], skipped[0]["end_s"]
    assert all(not s0 <= t <= s1 for t in report.t_s), "a skipped frame was judged"
    assert all(f.end_s <= s0 + 0.2 for f in report.faults), "a fault found in the hinge"
    assert report.hold_s > 3.0  # the plank before it is judged as usual
