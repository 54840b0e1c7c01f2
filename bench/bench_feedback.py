"""Cost of the feedback side per frame: overlay drawing and H.264 encoding (prints figures).

    PYTHONPATH=. python -m bench.bench_feedback [clip.mp4] [--frames N] [--height H]

With a clip, its decoded frames are the background (encoding cost depends on content);
without, a moving synthetic scene. The pose is a scripted stick figure so no model is needed.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from exercises.base import Assessment, Fault, Severity, ViewVerdict
from exercises.registry import spec_for
from feedback.cues import CueStage
from feedback.overlay import Overlay, display_for
from feedback.video_out import VideoWriter
from tests.feedback_fakes import stick_pose


def synthetic_frames(n: int, w: int, h: int) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    base = cv2.GaussianBlur(rng.integers(0, 255, (h, w, 3), dtype=np.uint8), (0, 0), 6)
    frames = []
    for i in range(n):
        img = np.roll(base, i * 3, axis=1).copy()
        cv2.circle(img, (int(w / 2 + w / 4 * math.sin(i / 10)), h // 2), h // 6, (40, 80, 200), -1)
        frames.append(img)
    return frames


def clip_frames(path: Path, n: int, height: int | None) -> list[np.ndarray]:
    from vision.sources import open_video

    frames = []
    with open_video(path) as video:
        for frame in video:
            img = frame.image
            if height and img.shape[0] != height:
                img = cv2.resize(img, (round(img.shape[1] * height / img.shape[0]), height))
            frames.append(img)
            if len(frames) >= n:
                break
    return frames


def assessments(n: int, size: tuple[int, int]) -> list[Assessment]:
    ok = ViewVerdict(True, "left", None, 1)
    out = []
    for i in range(n):
        trunk = 80 * math.sin(math.pi * (i % 60) / 60) ** 2
        faults = (
            Fault("rounded_back", Severity.MAJOR, "Keep your back flat — push your hips back", 0.0),
        ) * ((i // 45) % 2)
        m = {"hip_angle_deg": 180 - trunk, "knee_flexion_deg": 15.0, "trunk_inclination_deg": trunk}
        out.append(
            Assessment(
                "hip-hinge",
                i * 33.3,
                i,
                ok,
                "hinged",
                m,
                faults,
                rep_count=i // 60,
                pose=stick_pose(trunk, i * 33.3, i, size),
            )
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("clip", nargs="?", type=Path)
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--height", type=int, default=480)
    args = ap.parse_args()
    h = args.height
    w = round(h * 4 / 3)
    frames = clip_frames(args.clip, args.frames, h) if args.clip else synthetic_frames(args.frames, w, h)
    h, w = frames[0].shape[:2]
    n = len(frames)
    marks = assessments(n, (w, h))
    source = args.clip.name if args.clip else "synthetic scene"
    print(f"{n} frames {w}x{h} ({source})")

    work = [f.copy() for f in frames]
    overlay, cues = Overlay(display_for(spec_for("hip-hinge"))), CueStage()
    start = time.perf_counter()
    for img, a in zip(work, marks, strict=True):
        cues.consume(img, a)
        overlay.draw(img, a, cues.state)
    draw_ms = (time.perf_counter() - start) * 1000 / n

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        with VideoWriter(Path(tmp) / "bench.mp4") as writer:
            for i, img in enumerate(work):
                writer.write(img, i * 33.3)
        encode_ms = (time.perf_counter() - start) * 1000 / n
        size_kb = (Path(tmp) / "bench.mp4").stat().st_size / 1024

    print(f"overlay draw      {draw_ms:6.2f} ms/frame")
    print(
        f"H.264 encode      {encode_ms:6.2f} ms/frame  ({size_kb / n * 30 * 8 / 1000:.2f} Mbit/s at 30 fps)"
    )
    print(f"overlay + encode  {draw_ms + encode_ms:6.2f} ms/frame")


if __name__ == "__main__":
    main()
