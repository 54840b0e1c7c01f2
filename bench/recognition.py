"""Evaluate the exercise recogniser (issue 15) and print the figures docs/EVALUATION.md quotes.

    BACKFORM_MODEL=/path/pose_landmarker_full.task python -m bench.recognition
        [--samples samples/] [--stress 18] [--other samples/other] [--mixes 4] [--seed 15]
        [--real /work/main/realclips --real-labels ../shared/realclips/labels.json]
        [--cache /tmp/backform_poses] [--no-cuts]

1. Concatenated clips: the sample clips, the first --stress stress clips and the rendered
   "other" footage (`python -m samples.generate --other 18 --seed 5`), shuffled into
   --mixes streams with an "other" clip between every two exercise clips. They are joined
   as pose streams (each clip's poses from the npz cache of bench.calibrate, re-timed to
   follow the previous clip), so a clip's poses are the same ones `--exercise` judges.
   Prints the share of frames labelled right, whether every exercise clip was found as a
   segment of its exercise, the boundary errors, and whether each found segment, judged
   on its own by a fresh checker, gives the reps, partial reps, hold and fault codes that
   the separate clip gives.
2. Real clips: each clip's label (the exercise covering most frames, "other" if exercise
   frames are under a quarter of the clip) against labels.json; a confusion matrix.
Every join in these streams is a cut, and the recogniser moves a boundary to a cut near it
where the posture alone cannot place it; --no-cuts measures without that, as for a
continuous recording of someone going from one exercise straight into a look-alike.
3. Cost: the recogniser's time per frame, streaming (features + window rules), over every
   frame above.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.calibrate import load_poses, run_clip
from exercises.recognise import (
    EXERCISE_LABELS,
    OTHER,
    RULES,
    Recogniser,
    Rules,
    Segment,
    frame_features,
    recognise,
)
from vision.pose import Pose

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Clip:
    name: str
    label: str  # exercise or OTHER
    poses: list[Pose | None]
    t_ms: np.ndarray
    labels: dict  # the clip's labels file


def light_poses(
    video: Path, cache: Path, model: Path, max_fps: float = 15.0, max_size: int = 640, masks: bool = False
) -> tuple[list[Pose | None], np.ndarray]:
    """Poses of frames downscaled to max_size and thinned to max_fps (the recogniser's
    windows do not notice; the checkers judge the 15 fps stress clips as well as the 30 fps
    samples), with segmentation masks if asked; cached as npz like bench.calibrate.
    Pose estimation is the cost of this evaluation on a shared 2-core machine."""
    import hashlib

    cache.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(video.read_bytes()).hexdigest()[:12]
    f = cache / f"{video.stem}-{digest}-light{max_fps:g}-{max_size}{'-mask' if masks else ''}.npz"
    if not f.exists():
        from vision.estimator import PoseEstimator, PoseEstimatorOptions
        from vision.sources import open_video

        rows: dict[str, list] = {
            k: [] for k in ("xy", "world", "vis", "pres", "t_ms", "found", "size", "mask")
        }
        next_t = -1e9
        with (
            open_video(video, max_size=max_size) as src,
            PoseEstimator(PoseEstimatorOptions(model_path=model)) as est,
        ):
            for frame in src:
                if frame.t_ms < next_t:
                    continue
                next_t = frame.t_ms + 1000.0 / max_fps - 1.0
                p = est.estimate(frame.image, frame.t_ms, frame.index)
                rows["t_ms"].append(frame.t_ms)
                rows["found"].append(p is not None)
                rows["size"].append((frame.image.shape[1], frame.image.shape[0]))
                for k, a, shape in (("xy", "xy", (33, 2)), ("world", "world", (33, 3))):
                    rows[k].append(np.zeros(shape, np.float32) if p is None else getattr(p, a))
                rows["vis"].append(np.zeros(33, np.float32) if p is None else p.visibility)
                rows["pres"].append(np.zeros(33, np.float32) if p is None else p.presence)
                shape = frame.image.shape[:2]
                m = p.mask if (masks and p is not None and p.mask is not None) else np.zeros(shape)
                rows["mask"].append(np.round(m * 255).astype(np.uint8) if masks else np.zeros(1, np.uint8))
        tmp = f.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, **{k: np.array(v) for k, v in rows.items()})
        os.replace(tmp, f)
    d = np.load(f)
    return [
        Pose(
            xy=d["xy"][i],
            world=d["world"][i],
            visibility=d["vis"][i],
            presence=d["pres"][i],
            t_ms=float(d["t_ms"][i]),
            frame_index=i,
            image_size=tuple(int(v) for v in d["size"][i]),
            mask=d["mask"][i].astype(np.float32) / 255.0 if masks else None,
        )
        if d["found"][i]
        else None
        for i in range(len(d["t_ms"]))
    ], np.array(d["t_ms"], float)


def load_clip(labels_file: Path, cache: Path, model: Path, light: bool = False) -> Clip:
    """A clip's poses: every frame with masks (bench.calibrate's cache) for clips of 15 fps
    or less; thinned to 15 fps for faster ones; without masks for 'other' (light)."""
    labels = json.loads(labels_file.read_text())
    video = labels_file.with_name(labels["clip"])
    if light or float(labels.get("fps", 30.0)) > 15.5:
        poses, t = light_poses(video, cache, model, masks=not light)
        return Clip(video.stem, labels["exercise"], poses, t, labels)
    poses = load_poses(video, cache, model)
    fps = float(labels.get("fps", 30.0))
    t = np.array([p.t_ms if p is not None else 1000.0 * i / fps for i, p in enumerate(poses)])
    return Clip(video.stem, labels["exercise"], poses, t, labels)


@dataclass
class Stream:
    """Clips joined end to end: poses re-timed, and where each clip lies (frames)."""

    poses: list[Pose | None]
    t_ms: np.ndarray
    parts: list[tuple[Clip, int, int]]  # clip, first frame, one past its last


def join(clips: list[Clip]) -> Stream:
    poses: list[Pose | None] = []
    times: list[np.ndarray] = []
    parts = []
    offset = 0.0
    for c in clips:
        start = len(poses)
        step = float(np.median(np.diff(c.t_ms))) if len(c.t_ms) > 1 else 33.3
        shift = offset - c.t_ms[0]
        for i, p in enumerate(c.poses):
            poses.append(None if p is None else p.replace(t_ms=p.t_ms + shift, frame_index=start + i))
        times.append(c.t_ms + shift)
        parts.append((c, start, len(poses)))
        offset = float(c.t_ms[-1] + shift + step)
    return Stream(poses, np.concatenate(times), parts)


def mixes(exercise: list[Clip], other: list[Clip], n: int, seed: int) -> list[list[Clip]]:
    """n streams sharing out the exercise clips, each followed by an 'other' clip."""
    rng = np.random.default_rng(seed)
    order = list(rng.permutation(len(exercise)))
    out: list[list[Clip]] = [[] for _ in range(n)]
    k = int(rng.integers(len(other)))
    for j, i in enumerate(order):
        stream = out[j % n]
        if not stream:
            stream.append(other[k % len(other)])
            k += 1
        stream += [exercise[i], other[k % len(other)]]
        k += 1
    return out


def judged(labels: dict, poses: list[Pose | None], t_ms: np.ndarray) -> tuple:
    """What `--exercise` reports for these poses: reps, partials, hold (0.1 s), fault codes."""
    step = float(np.median(np.diff(t_ms))) if len(t_ms) > 1 else 1000.0 / 15
    r = run_clip({**labels, "fps": 1000.0 / step}, poses, None)
    return r.rep_count, r.partials, round(r.hold_s, 1), tuple(sorted(r.spans))


def rebased(poses: list[Pose | None]) -> list[Pose | None]:
    """A segment's poses as if it were its own clip: frame 0 at t = 0."""
    t0 = next((p.t_ms for p in poses if p is not None), 0.0)
    return [None if p is None else p.replace(t_ms=p.t_ms - t0, frame_index=i) for i, p in enumerate(poses)]


def evaluate_stream(s: Stream, out: dict, rules: Rules = RULES) -> None:
    feats = np.array([frame_features(p) for p in s.poses])
    segs = recognise(feats, s.t_ms, rules)
    truth = np.empty(len(s.poses), dtype=object)
    for c, a, b in s.parts:
        truth[a:b] = c.label
    pred = np.empty(len(s.poses), dtype=object)
    for g in segs:
        pred[g.start : g.end] = g.label
    out["frames"] += len(pred)
    out["right"] += int(np.sum(pred == truth))
    for c, a, b in s.parts:
        if c.label == OTHER:
            continue
        out["exercise_clips"] += 1
        match = best_overlap(segs, c.label, a, b)
        if match is None:
            out["missed"].append(c.name)
            continue
        ds = (s.t_ms[match.start] - s.t_ms[a]) / 1000.0
        de = (s.t_ms[match.end - 1] - s.t_ms[b - 1]) / 1000.0
        out["boundary_s"] += [abs(ds), abs(de)]
        if max(abs(ds), abs(de)) > 1.0:
            out["late"].append(f"{c.name} start {ds:+.1f} s end {de:+.1f} s")
        alone = judged(c.labels, c.poses, c.t_ms)
        in_stream = judged(
            c.labels, rebased(s.poses[match.start : match.end]), s.t_ms[match.start : match.end]
        )
        if alone == in_stream:
            out["same_judgement"] += 1
        else:
            out["different"].append(f"{c.name}: alone {alone} in stream {in_stream}")


def best_overlap(segs: list[Segment], label: str, a: int, b: int) -> Segment | None:
    """The segment of `label` covering most of frames [a, b), if it covers at least half."""
    best, cover = None, 0
    for g in segs:
        if g.label != label:
            continue
        n = min(g.end, b) - max(g.start, a)
        if n > cover:
            best, cover = g, n
    return best if cover >= 0.5 * (b - a) else None


def clip_label(poses: list[Pose | None], t_ms: np.ndarray) -> tuple[str, dict[str, float]]:
    feats = np.array([frame_features(p) for p in poses])
    counts = dict.fromkeys((*EXERCISE_LABELS, OTHER), 0.0)
    for g in recognise(feats, t_ms):
        counts[g.label] += (g.end - g.start) / len(poses)
    best = max(EXERCISE_LABELS, key=lambda k: counts[k])
    return (best if counts[best] >= 0.25 else OTHER), counts


def cost_ms_per_frame(streams: list[Stream]) -> float:
    """CPU time of this process (on a shared machine, wall time measures the other jobs too)."""
    n, spent = 0, 0.0
    for s in streams:
        rec = Recogniser()
        t0 = time.process_time()
        for p, t in zip(s.poses, s.t_ms, strict=True):
            rec.update(p, float(t))
        spent += time.process_time() - t0
        n += len(s.poses)
    return 1000.0 * spent / max(n, 1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.recognition", description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=Path, default=ROOT / "samples")
    ap.add_argument("--stress", type=int, default=9, help="how many stress clips (first N)")
    ap.add_argument("--other", type=Path, default=ROOT / "samples" / "other")
    ap.add_argument("--mixes", type=int, default=4)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--real", type=Path, default=Path("/work/main/realclips"))
    ap.add_argument("--real-labels", type=Path, default=ROOT.parent / "shared" / "realclips" / "labels.json")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/backform_calibration"))
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument(
        "--no-cuts",
        action="store_true",
        help="do not move boundaries to cuts (every join here is a cut; a continuous recording has none)",
    )
    args = ap.parse_args(argv)
    model = os.environ.get("BACKFORM_MODEL")
    if not model:
        print("set BACKFORM_MODEL to the pose model file", file=sys.stderr)
        return 2
    model_path = Path(model)
    files = sorted(args.samples.glob("*.labels.json"))
    files += sorted((args.samples / "stress").glob("stress_*.labels.json"))[: args.stress]
    other = [
        load_clip(f, args.cache, model_path, light=True) for f in sorted(args.other.glob("*.labels.json"))
    ]
    exercise = [load_clip(f, args.cache, model_path) for f in files]
    if not other:
        print(
            f"no 'other' clips in {args.other}: python -m samples.generate --other 18 --seed 5",
            file=sys.stderr,
        )
        return 2
    streams = [join(m) for m in mixes(exercise, other, args.mixes, args.seed)]
    out: dict = {
        "frames": 0,
        "right": 0,
        "exercise_clips": 0,
        "missed": [],
        "boundary_s": [],
        "late": [],
        "same_judgement": 0,
        "different": [],
    }
    rules = Rules(cut_snap_s=0.0) if args.no_cuts else RULES
    for s in streams:
        evaluate_stream(s, out, rules)
    seconds = sum(float(s.t_ms[-1] - s.t_ms[0]) / 1000.0 for s in streams)
    b = np.array(out["boundary_s"])
    found = out["exercise_clips"] - len(out["missed"])
    print(
        f"concatenated: {len(streams)} streams, {seconds:.0f} s, {out['exercise_clips']} exercise clips"
        f" ({len(files)} sample+stress) and {sum(len(s.parts) for s in streams) - out['exercise_clips']}"
        f" 'other' clips ({len(other)} distinct)"
    )
    print(f"  frames labelled right: {100.0 * out['right'] / out['frames']:.1f}% of {out['frames']}")
    print(f"  exercise segments found: {found}/{out['exercise_clips']}  missed: {out['missed'] or '-'}")
    if len(b):
        print(
            f"  boundary error: median {np.median(b):.2f} s, max {b.max():.2f} s,"
            f" within 1 s: {int(np.sum(b <= 1.0))}/{len(b)}"
        )
    for line in out["late"]:
        print(f"    > 1 s: {line}")
    print(f"  judged as the separate clip (reps, partials, hold, faults): {out['same_judgement']}/{found}")
    for line in out["different"]:
        print(f"    {line}")

    if args.real.is_dir() and args.real_labels.is_file():
        labels = {k: v for k, v in json.loads(args.real_labels.read_text()).items() if not k.startswith("_")}
        names = (*EXERCISE_LABELS, OTHER)
        matrix = {t: dict.fromkeys(names, 0) for t in names}
        right = total = 0
        for name, lab in sorted(labels.items()):
            video = args.real / name
            if not video.exists():
                continue
            poses, t = light_poses(video, args.cache, model_path, max_fps=10.0)
            got, counts = clip_label(poses, t)
            matrix[lab["exercise"]][got] += 1
            right += got == lab["exercise"]
            total += 1
            if args.verbose or got != lab["exercise"]:
                shares = " ".join(f"{k} {v:.0%}" for k, v in counts.items())
                print(f"    {name:28s} {lab['exercise']:10s} -> {got:10s} ({shares})")
        print(f"real clips: right exercise for {right}/{total} ({100.0 * right / max(total, 1):.0f}%)")
        print("  truth \\ recognised   " + "  ".join(f"{n:>9s}" for n in names))
        for t in names:
            if any(matrix[t].values()):
                print(f"  {t:20s} " + "  ".join(f"{matrix[t][n]:9d}" for n in names))
    print(f"recognition cost: {cost_ms_per_frame(streams):.3f} ms/frame (streaming, CPU time, this machine)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
