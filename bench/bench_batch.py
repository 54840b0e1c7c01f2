"""A batch of clips: `backform analyze FOLDER` against raw MediaPipe and against one-by-one runs.

    BACKFORM_MODEL=... PYTHONPATH=. python -m bench.bench_batch [folder] [--rounds N] [--skip-single]

  raw         one plain PoseLandmarker per core (separate processes, clips dealt to them as they
              free up), VIDEO mode, the pipeline's options, on every frame of every clip; each
              clip is decoded into memory first and only inference is timed; throughput =
              all frames / the busiest process's inference time;
  batch       `backform analyze FOLDER --out-dir ... --force` as a user runs it (a subprocess):
              annotated videos, reports, CSVs, plots and summary.csv; wall time of the command;
  one by one  `backform analyze CLIP` per clip in turn (each with its pose estimators on every
              core), the way to do it without the batch.
Exercises come from the file names (hinge_* hip-hinge, plank_* plank, catcow_* cat-cow).
Raw and batch alternate (ABBA) over rounds; the ratio is taken per round.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXERCISE_PATTERNS = ["-e", "hinge_*=hip-hinge", "-e", "plank_*=plank", "-e", "catcow_*=cat-cow"]
BATCH_VS_RAW_MIN = 0.85  # issue 16


def _raw_clip(clip: Path, model: Path) -> tuple[int, int, float]:
    """(pid, frames, inference seconds) for one clip on a fresh landmarker in this process."""
    import cv2

    # vision.estimator first: it quiets MediaPipe's C++ log before MediaPipe loads.
    from vision.estimator import _quiet_stderr, landmarker_options  # isort: skip
    import mediapipe as mp
    from mediapipe.tasks.python import vision as mp_vision

    from bench.bench_pipeline import decode_rgb, pipeline_estimator_options

    cv2.setNumThreads(1)
    frames, times = decode_rgb(clip)
    opts = landmarker_options(pipeline_estimator_options(model))
    with _quiet_stderr():
        landmarker = mp_vision.PoseLandmarker.create_from_options(opts)
    try:
        t0 = time.perf_counter()
        last = -1
        for rgb, t in zip(frames, times, strict=True):
            last = max(last + 1, round(t))
            landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), last)
        return os.getpid(), len(frames), time.perf_counter() - t0
    finally:
        landmarker.close()


def raw_fps(clips: list[Path], model: Path, processes: int) -> tuple[float, int]:
    busy: dict[int, float] = {}
    total = 0
    with ProcessPoolExecutor(processes, mp_context=get_context("spawn")) as pool:
        for pid, frames, seconds in pool.map(_raw_clip, clips, [model] * len(clips)):
            busy[pid] = busy.get(pid, 0.0) + seconds
            total += frames
    return total / max(busy.values()), total


def _backform(*args: object, cwd: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "feedback.cli", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):  # 1: some clips cannot be judged (front views)
        raise SystemExit(f"backform failed ({proc.returncode}): {proc.stderr.strip().splitlines()[-1:]}")
    return wall


def batch_wall(folder: Path, out: Path, processes: int | None) -> float:
    extra = ["-j", processes] if processes else []
    return _backform(
        "analyze", folder, *EXERCISE_PATTERNS, "--out-dir", out, "--force", *extra, cwd=out.parent
    )


def one_by_one_wall(clips: list[Path], out: Path) -> float:
    wall = 0.0
    for clip in clips:
        wall += _backform("analyze", clip, *EXERCISE_PATTERNS, cwd=out)
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=REPO / "samples")
    parser.add_argument("--rounds", type=int, default=2, help="raw/batch rounds (ABBA order)")
    parser.add_argument("--skip-single", action="store_true", help="skip the one-by-one runs")
    parser.add_argument(
        "-j", "--jobs", type=int, default=None, help="batch processes (default: one per core)"
    )
    args = parser.parse_args()

    from bench.bench_pipeline import machine_line
    from feedback.batch_inputs import find_videos
    from feedback.batch_run import default_processes
    from vision.model import resolve_model

    model = resolve_model(allow_download=False)
    clips, _ = find_videos([args.folder])
    processes = args.jobs or default_processes()
    print(machine_line())
    print(f"{len(clips)} clips in {args.folder}; {processes} processes / landmarkers")
    ratios, raws, batches = [], [], []
    frames = 0
    with tempfile.TemporaryDirectory(prefix="backform-bench-batch-") as tmp:
        out = Path(tmp) / "out"
        for rnd in range(args.rounds):
            order = ("batch", "raw") if rnd % 2 == 0 else ("raw", "batch")
            got: dict[str, float] = {}
            for kind in order:
                if kind == "raw":
                    got["raw"], frames = raw_fps(clips, model, processes)
                else:
                    got["batch"] = batch_wall(args.folder, out, args.jobs)
            batch_fps = frames / got["batch"]
            raws.append(got["raw"])
            batches.append(batch_fps)
            ratios.append(batch_fps / got["raw"])
            print(
                f"round {rnd + 1}: raw {got['raw']:.1f} frames/s, batch {batch_fps:.1f} frames/s "
                f"({got['batch']:.1f} s), ratio {ratios[-1]:.2f}"
            )
        single = None
        if not args.skip_single:
            single_out = Path(tmp) / "single"
            single_out.mkdir()
            single = one_by_one_wall(clips, single_out)
    ratio = statistics.median(ratios)
    print(f"frames: {frames}")
    print(f"raw MediaPipe, {processes} landmarkers: {statistics.median(raws):.1f} frames/s")
    print(f"batch (videos, reports, summary): {statistics.median(batches):.1f} frames/s")
    print(
        f"batch / raw: {ratio:.2f}x  target >= {BATCH_VS_RAW_MIN}  "
        f"{'PASS' if ratio >= BATCH_VS_RAW_MIN else 'FAIL'}"
    )
    if single is not None:
        batch_s = frames / statistics.median(batches)
        print(f"one by one: {single:.1f} s ({frames / single:.1f} frames/s); batch {batch_s:.1f} s")
        print(f"batch throughput / one by one: {single / batch_s:.2f}x")
    print(machine_line())


if __name__ == "__main__":
    main()
