"""One batch job in this process against raw MediaPipe on the same clip: CPU per frame by stage.

    BACKFORM_MODEL=... PYTHONPATH=. python -m bench.bench_job [clip.mp4] [--rounds N] [--profile]

What a batch worker does for one video (`feedback.batch.analyze_job`: one landmarker, x264 one
thread, OpenCV one thread; annotated video, report, CSV, plot, HTML) against what
bench_batch's raw side does (one landmarker, inference only, frames decoded beforehand), in
one process, alternating. Figures are process CPU time per frame over all threads (not wall
time), so a machine shared with other jobs moves them little. The stages are the process CPU
spent inside each part of the job (decode, pose, checker, each sink, the outputs at the end).
--profile adds cProfile's top functions by own time for one more job.
--replay N records the clip's poses once, then times N jobs fed those poses instead of
MediaPipe's (everything but inference, quick and repeatable; with --profile, profiled).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import dataclasses
import pstats
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2

REPO = Path(__file__).resolve().parent.parent
EXERCISES = {"hinge": "hip-hinge", "plank": "plank", "catcow": "cat-cow"}


def exercise_of(clip: Path) -> str:
    return EXERCISES[clip.stem.split("_", 1)[0]]


def raw_cpu_ms(clip: Path, model: Path) -> tuple[float, float]:
    """(inference only, decode to RGB + inference) CPU ms per frame: bench_batch's raw side."""
    import mediapipe as mp
    from mediapipe.tasks.python import vision as mp_vision

    from bench.bench_pipeline import decode_rgb, pipeline_estimator_options
    from vision.estimator import _quiet_stderr, landmarker_options

    c0 = time.process_time()
    frames, times = decode_rgb(clip)
    decode = time.process_time() - c0
    with _quiet_stderr():
        landmarker = mp_vision.PoseLandmarker.create_from_options(
            landmarker_options(pipeline_estimator_options(model))
        )
    try:
        c0, last = time.process_time(), -1
        for rgb, t in zip(frames, times, strict=True):
            last = max(last + 1, round(t))
            landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), last)
        infer = time.process_time() - c0
    finally:
        landmarker.close()
    n = len(frames)
    return 1000 * infer / n, 1000 * (infer + decode) / n


class StageClock:
    """Process CPU spent inside wrapped callables, by stage name (outermost call counts)."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self._depth = 0

    def wrap(self, name: str, fn: Callable) -> Callable:
        def timed(*args, **kwargs):
            if self._depth:
                return fn(*args, **kwargs)
            self._depth += 1
            c0 = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.cpu[name] += time.process_time() - c0
                self._depth -= 1

        return timed

    def wrap_iter(self, name: str, it: Iterator) -> Iterator:
        while True:
            c0 = time.process_time()
            try:
                item = next(it)
            except StopIteration:
                self.cpu[name] += time.process_time() - c0
                return
            self.cpu[name] += time.process_time() - c0
            yield item


@contextlib.contextmanager
def patched(obj: object, name: str, value: object) -> Iterator[None]:
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


def job_cpu(clip: Path, model: Path, out: Path) -> tuple[float, dict[str, float], int]:
    """(whole job CPU ms per frame, stages ms per frame, frames) for one batch job on `clip`."""
    import feedback.analysis as analysis
    import feedback.pipeline as pipeline
    import vision.parallel as parallel
    from feedback.analysis import AnalysisOutputs
    from feedback.batch import BatchJob, JobOptions, analyze_job
    from vision.estimator import PoseEstimator

    clock = StageClock()
    original_step = pipeline._FrameLoop.step
    original_posed = pipeline._posed_frames
    original_save = analysis._save_outputs

    def step(loop, frame, pose, estimate_s):  # checker and each sink, timed apart
        if not getattr(loop, "_bench_wrapped", False):
            loop._bench_wrapped = True
            loop.checker.update = clock.wrap("checker", loop.checker.update)
            for sink in loop.sinks:
                sink.consume = clock.wrap(type(sink).__name__, sink.consume)
        return original_step(loop, frame, pose, estimate_s)

    def posed(source, estimator):
        estimator.estimate = clock.wrap("pose", estimator.estimate)
        return original_posed(clock.wrap_iter("decode", iter(source)), estimator)

    outputs = AnalysisOutputs.defaults(clip, out)
    job = BatchJob(0, clip.resolve(), exercise_of(clip), outputs, JobOptions(model=model))
    with (
        # In series, as before WorkAhead: stages are process CPU, and a pose thread running
        # beside them would count in theirs. The job's CPU is the same either way.
        patched(parallel, "WorkAhead", lambda est: est)
        if hasattr(parallel, "WorkAhead")  # older commits, for before/after runs
        else contextlib.nullcontext(),
        patched(pipeline._FrameLoop, "step", step),
        patched(pipeline, "_posed_frames", posed),
        patched(analysis, "_save_outputs", clock.wrap("outputs", original_save)),
        patched(PoseEstimator, "_open", clock.wrap("model load", PoseEstimator._open)),
        patched(PoseEstimator, "close", clock.wrap("model close", PoseEstimator.close)),
    ):
        c0 = time.process_time()
        row, _ = analyze_job(job, out)
        total = time.process_time() - c0
    if row.status != "done":
        raise SystemExit(f"{clip.name}: {row.status} {row.note}")
    n = row.frames
    stages = {k: 1000 * v / n for k, v in clock.cpu.items()}
    stages["rest"] = 1000 * total / n - sum(stages.values())
    return 1000 * total / n, stages, n


def record_poses(clip: Path, model: Path) -> dict[int, object]:
    """The poses one landmarker gives for each frame of `clip`, by frame index (None: nobody)."""
    from vision.estimator import PoseEstimator, PoseEstimatorOptions
    from vision.sources import open_video

    poses = {}
    with open_video(clip) as video, PoseEstimator(PoseEstimatorOptions(model_path=model)) as est:
        for frame in video:
            poses[frame.index] = est.estimate(frame.image, frame.t_ms, frame.index)
    return poses


class ReplayEstimator:
    """Hands back recorded poses: the job without inference."""

    def __init__(self, poses: dict[int, object]) -> None:
        self.poses = poses

    def estimate(self, image_bgr, t_ms: float, frame_index: int):
        return self.poses[frame_index]

    def __enter__(self) -> ReplayEstimator:
        return self

    def __exit__(self, *exc) -> None:
        pass


def replay_cpu(
    clip: Path, model: Path, poses: dict[int, object], out: Path
) -> tuple[float, dict[str, float], int]:
    """job_cpu with recorded poses in place of the estimator."""
    import feedback.analysis as analysis

    original = analysis.default_backends

    def backends():
        return dataclasses.replace(original(), make_estimator=lambda *a, **k: ReplayEstimator(poses))

    with patched(analysis, "default_backends", backends):
        return job_cpu(clip, model, out)


def as_in_a_batch_worker() -> None:
    """What feedback.batch_local sets in each worker process."""
    cv2.setNumThreads(1)
    with contextlib.suppress(ImportError):  # older commits, for before/after runs
        from vision.estimator import keep_people_counters

        keep_people_counters()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip", nargs="?", type=Path, default=REPO / "samples" / "hinge_good.mp4")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--profile", action="store_true", help="cProfile one more job")
    parser.add_argument("--sort", default="tottime", help="cProfile order (tottime, cumulative)")
    parser.add_argument("--top", type=int, default=40, help="cProfile lines shown")
    parser.add_argument("--replay", type=int, default=0, help="time N jobs on recorded poses")
    args = parser.parse_args()
    if args.replay:
        return replay_main(args)

    from bench.bench_pipeline import machine_line
    from vision.model import resolve_model

    as_in_a_batch_worker()
    model = resolve_model(allow_download=False)
    print(machine_line())
    jobs, raws, stage_runs = [], [], []
    with tempfile.TemporaryDirectory(prefix="backform-bench-job-") as tmp:
        # A worker runs many jobs: imports and first-use caches (fonts, plots) are not per job.
        job_cpu(args.clip, model, Path(tmp))
        for rnd in range(args.rounds):
            for kind in ("job", "raw") if rnd % 2 == 0 else ("raw", "job"):
                if kind == "raw":
                    raws.append(raw_cpu_ms(args.clip, model))
                else:
                    total, stages, frames = job_cpu(args.clip, model, Path(tmp))
                    jobs.append(total)
                    stage_runs.append(stages)
            print(
                f"round {rnd + 1}: raw {raws[-1][0]:.1f} ms/frame (with decode {raws[-1][1]:.1f}), "
                f"job {jobs[-1]:.1f} ms/frame, raw/job {raws[-1][0] / jobs[-1]:.2f}"
            )
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(job_cpu, args.clip, model, Path(tmp))
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
    raw = statistics.median(r[0] for r in raws)
    raw_decode = statistics.median(r[1] for r in raws)
    job = statistics.median(jobs)
    print(f"{args.clip.name}: {frames} frames; CPU ms per frame, medians of {args.rounds}")
    print(f"  raw MediaPipe inference {raw:.2f}; with decoding to RGB {raw_decode:.2f}")
    print(f"  batch job {job:.2f}  (raw / job {raw / job:.2f})")
    for name in sorted(stage_runs[0], key=lambda k: -stage_runs[0][k]):
        print(f"    {name:22s} {statistics.median(s.get(name, 0.0) for s in stage_runs):6.2f}")
    print(machine_line())


def replay_main(args: argparse.Namespace) -> None:
    from bench.bench_pipeline import machine_line
    from vision.model import resolve_model

    as_in_a_batch_worker()
    model = resolve_model(allow_download=False)
    poses = record_poses(args.clip, model)
    print(machine_line())
    totals, stage_runs = [], []
    with tempfile.TemporaryDirectory(prefix="backform-bench-job-") as tmp:
        replay_cpu(args.clip, model, poses, Path(tmp))  # warm-up
        for _ in range(args.replay):
            total, stages, frames = replay_cpu(args.clip, model, poses, Path(tmp))
            totals.append(total)
            stage_runs.append(stages)
        if args.profile:
            profiler = cProfile.Profile(time.process_time)
            profiler.runcall(replay_cpu, args.clip, model, poses, Path(tmp))
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
    print(f"{args.clip.name}: {frames} frames, recorded poses; CPU ms per frame, medians of {args.replay}")
    print(f"  job without inference {statistics.median(totals):.2f}  (min {min(totals):.2f})")
    for name in sorted(stage_runs[0], key=lambda k: -stage_runs[0][k]):
        print(f"    {name:22s} {statistics.median(s.get(name, 0.0) for s in stage_runs):6.2f}")
    print(machine_line())


if __name__ == "__main__":
    main()
