"""Recognition on real video: sample clips joined into one file (OpenCV), analysed end to end
with MediaPipe. Slow-ish: each test estimates a few hundred frames."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest
from conftest import SAMPLES

JOIN_FPS = 15.0  # every other frame of the 30 fps samples: half the pose estimation


def join_clips(names: list[str], out: Path) -> list[tuple[str, float, float]]:
    """The sample clips `names` one after another in `out` at 15 fps (every other frame of a 30 fps
    clip); (name, start_s, end_s) each."""
    writer = None
    parts, n = [], 0
    for name in names:
        path = SAMPLES / name
        if not path.is_file():
            pytest.fail(f"sample clip {path} is missing (render it with `python -m samples.generate`)")
        cap = cv2.VideoCapture(str(path))
        every = max(1, round(cap.get(cv2.CAP_PROP_FPS) / JOIN_FPS))
        start, i = n, 0
        while True:
            ok, image = cap.read()
            if not ok:
                break
            if i % every == 0:
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


def test_a_cat_cow_ends_at_the_cut_to_a_bird_dog_that_starts_still_on_hands_and_knees(tmp_path, model_path):
    """Through a real cut in one video file: the bird-dog clip starts still on hands and knees
    for a second, like the end of a cat-cow set; the cut says where the cat-cow ended."""
    from feedback.analysis import AnalysisOutputs
    from feedback.segmented import analyze_segments

    video = tmp_path / "catcow_birddog.mp4"
    parts = join_clips(["catcow_good.mp4", "other/other_007_bird-dog.mp4"], video)
    cut_s = parts[1][1]
    result = analyze_segments(video, AnalysisOutputs(report=None), model=model_path)
    assert [r.segment.label for r in result.segments] == ["cat-cow", "other"]
    catcow = result.segments[0]
    assert abs(result.segments[1].start_s - cut_s) <= 0.2
    assert catcow.summary["reps"] == 2 and catcow.summary["faults"] == []  # as catcow_good's labels
