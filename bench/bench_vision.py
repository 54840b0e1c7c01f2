"""Decode speed and pose-estimation cost per frame (prints figures; asserts nothing).

    PYTHONPATH=. python -m bench.bench_vision [clip.mp4] [--frames N]

Defaults to samples/hinge_good.mp4 and the model from BACKFORM_MODEL / the user cache.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np

from vision.estimator import PoseEstimator, PoseEstimatorOptions
from vision.model import resolve_model
from vision.sources import open_video

REPO = Path(__file__).resolve().parent.parent


def decode_fps(path: Path, max_size: int | None = None) -> tuple[float, int]:
    start = time.perf_counter()
    with open_video(path, max_size=max_size) as video:
        n = sum(1 for _ in video)
    return n / (time.perf_counter() - start), n


def estimate_ms(frames: list[np.ndarray], model: Path, segmentation: bool, max_side: int | None) -> float:
    options = PoseEstimatorOptions(model, segmentation=segmentation, max_inference_side=max_side)
    with PoseEstimator(options) as estimator:
        for i, img in enumerate(frames[:5]):  # warm-up: graph start, first detections
            estimator.estimate(img, i * 33.3, i)
        start = time.perf_counter()
        for i, img in enumerate(frames):
            estimator.estimate(img, (i + 5) * 33.3, i + 5)
        return (time.perf_counter() - start) * 1000 / len(frames)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("clip", nargs="?", type=Path, default=REPO / "samples" / "hinge_good.mp4")
    parser.add_argument("--frames", type=int, default=60)
    args = parser.parse_args()
    model = resolve_model(allow_download=False)

    fps, n = decode_fps(args.clip)
    print(f"decode {args.clip.name}: {fps:.0f} frames/s ({n} frames)")
    with open_video(args.clip) as video:
        frames = [f.image for _, f in zip(range(args.frames), video, strict=False)]
    h, w = frames[0].shape[:2]
    for seg in (True, False):
        ms = estimate_ms(frames, model, seg, None)
        print(f"estimate {w}x{h} mask={'on ' if seg else 'off'}: {ms:.1f} ms/frame")
    big = [cv2.resize(f, (1920, 1080)) for f in frames[:30]]
    for max_side in (None, 960, 640):
        ms = estimate_ms(big, model, True, max_side)
        print(f"estimate 1920x1080 mask=on max_inference_side={max_side}: {ms:.1f} ms/frame")


if __name__ == "__main__":
    main()
