"""x264 settings for the annotated video, by measurement (prints a table; asserts nothing).

    PYTHONPATH=. python -m bench.bench_encode [clip.mp4] [--heights 480 720] [--frames 150]

The clip's frames are decoded once, scaled to each height and annotated by the real overlay
(sharp lines and text are what the encoder has to keep legible), then encoded with each
preset / crf / thread count. Per setting: process CPU time per frame (all threads, which is
what a loaded or batch machine pays), the bit rate, and the PSNR of the decoded result against
the frames fed in (a quality floor: below ~38 dB text edges visibly smear).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
PRESETS = ("ultrafast", "superfast", "veryfast", "faster")


@dataclass
class EncodeRun:
    preset: str
    rate: str  # "crf N" or "qp N"
    threads: int | None
    cpu_ms: float  # per frame, process CPU (all threads)
    kbit_s: float
    psnr_db: float


def annotated_frames(clip: Path, height: int, frames: int) -> tuple[list[np.ndarray], list[float], float]:
    """The first `frames` frames at `height` px tall with a static hinge overlay drawn on them."""
    from exercises.base import Assessment, ViewVerdict
    from exercises.registry import spec_for
    from feedback.overlay import Overlay, display_for
    from vision.landmarks import NUM_LANDMARKS
    from vision.pose import Pose
    from vision.sources import open_video

    out, times = [], []
    with open_video(clip) as video:
        fps = video.info.fps
        for frame in video:
            if frame.index >= frames:
                break
            h, w = frame.image.shape[:2]
            size = (round(w * height / h / 2) * 2, height)
            img = cv2.resize(
                frame.image, size, interpolation=cv2.INTER_AREA if height < h else cv2.INTER_CUBIC
            )
            out.append(img)
            times.append(frame.t_ms)
    # A plausible skeleton and panel so the encoder sees the overlay's edges and text.
    rng = np.random.default_rng(0)
    overlay = Overlay(display_for(spec_for("hip-hinge")))
    for i, img in enumerate(out):
        h, w = img.shape[:2]
        xy = (rng.uniform(0.3, 0.7, (NUM_LANDMARKS, 2)) * (w, h)).astype(np.float32)
        ones = np.ones(NUM_LANDMARKS, np.float32)
        pose = Pose(xy, np.zeros((NUM_LANDMARKS, 3), np.float32), ones, ones, times[i], i, (w, h))
        a = Assessment(
            "hip-hinge",
            times[i],
            i,
            ViewVerdict(True, "left", None, 1),
            "hinging",
            {"hip_angle_deg": 120.0 + i % 40, "knee_flexion_deg": 15.0},
            pose=pose,
        )
        overlay.draw(img, a)
    return out, times, fps


def psnr(path: Path, frames: list[np.ndarray]) -> float:
    from vision.sources import open_video

    values = []
    with open_video(path) as video:
        for frame, ref in zip(video, frames, strict=False):
            values.append(cv2.PSNR(frame.image, ref))
    return float(np.mean(values)) if values else float("nan")


def encode_run(
    frames: list[np.ndarray],
    times: list[float],
    fps: float,
    out: Path,
    preset: str,
    rate: str,
    threads: int | None,
) -> EncodeRun:
    """`rate`: "crf N" or "qp N" (constant quantiser)."""
    from feedback.video_out import VideoWriter

    kind, value = rate.split()
    control = {"qp": int(value)} if kind == "qp" else {"crf": int(value)}
    cpu0 = time.process_time()
    with VideoWriter(out, fps=fps, preset=preset, threads=threads, **control) as writer:
        for img, t in zip(frames, times, strict=True):
            writer.write(img, t)
    cpu = time.process_time() - cpu0
    seconds = (times[-1] - times[0]) / 1000.0 + 1.0 / fps
    kbit_s = out.stat().st_size * 8 / 1000.0 / seconds
    return EncodeRun(preset, rate, threads, 1000.0 * cpu / len(frames), kbit_s, psnr(out, frames))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip", nargs="?", type=Path, default=REPO / "samples" / "hinge_good.mp4")
    parser.add_argument("--heights", type=int, nargs="+", default=[480, 720])
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--presets", nargs="+", default=list(PRESETS))
    parser.add_argument("--crfs", type=int, nargs="+", default=[23, 26])
    parser.add_argument("--qps", type=int, nargs="*", default=[20], help="constant quantisers too")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 0], help="0: x264's own choice")
    parser.add_argument("--rounds", type=int, default=2, help="repeat each setting; the lowest CPU is kept")
    args = parser.parse_args()

    from bench.bench_pipeline import machine_line

    print(machine_line())
    with tempfile.TemporaryDirectory(prefix="backform-enc-") as tmp:
        out = Path(tmp) / "enc.mp4"
        for height in args.heights:
            frames, times, fps = annotated_frames(args.clip, height, args.frames)
            h, w = frames[0].shape[:2]
            print(f"[{w}x{h}, {len(frames)} frames, overlay drawn]")
            head = ("preset", "rate", "threads", "CPU ms/frame", "kbit/s", "PSNR dB")
            print("  {:<10} {:>6} {:>7} {:>12} {:>8} {:>8}".format(*head))
            rates = [f"crf {c}" for c in args.crfs] + [f"qp {q}" for q in args.qps]
            for preset in args.presets:
                for rate in rates:
                    for threads in args.threads:
                        t = threads or None
                        runs = [
                            encode_run(frames, times, fps, out, preset, rate, t) for _ in range(args.rounds)
                        ]
                        best = min(runs, key=lambda r: r.cpu_ms)
                        print(
                            f"  {preset:<10} {rate:>6} {threads or 'auto':>7} {best.cpu_ms:12.2f} "
                            f"{best.kbit_s:8.0f} {best.psnr_db:8.2f}"
                        )
    print(machine_line())


if __name__ == "__main__":
    main()
