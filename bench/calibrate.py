"""Calibrate the checkers on the labelled sample clips: what MediaPipe reports vs the truth.

    BACKFORM_MODEL=/path/pose_landmarker_full.task python -m bench.calibrate [CLIP ...]
        [--samples samples/] [--cache /tmp/backform_poses] [--thresholds FILE] [--signals]

Runs the pose model once per clip (poses and masks are cached as .npz, so re-tuning a
threshold re-runs only the checkers), then the smoother and the checker, and prints per clip
expected vs found: rep count, partial reps, hold time, each labelled fault interval and
whether a reported one overlaps it, and faults reported where none is labelled. With
--signals it also prints the checker's signals next to the rendered ground truth (median
offset and range), which is what the thresholds in exercises/ are set on.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from exercises.base import EventKind
from exercises.registry import create_checker, spec_for
from exercises.spec import Counts
from vision.pose import Pose

# ------------------------------------------------------------------------ pose cache


def _cache_file(cache: Path, clip: Path) -> Path:
    digest = hashlib.sha1(clip.read_bytes()).hexdigest()[:12]  # same video, same poses
    return cache / f"{clip.stem}-{digest}.npz"


class CachedPoses(Sequence):
    """The poses of one cached clip, built frame by frame on access.

    Each array is read from the npz once (an NpzFile decompresses the whole array on every
    item access), and masks stay uint8 until their pose is asked for: a minute of 1080p
    video holds gigabytes of float masks.
    """

    def __init__(self, f: Path) -> None:
        with np.load(f) as d:
            self._d = {k: d[k] for k in d.files}
        self._size = tuple(int(v) for v in self._d["image_size"])

    def __len__(self) -> int:
        return len(self._d["t_ms"])

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        d = self._d
        if not d["found"][i]:
            return None
        mask = d["mask"][i].astype(np.float32) / 255.0 if d["has_mask"] else None
        return Pose(
            xy=d["xy"][i],
            world=d["world"][i],
            visibility=d["vis"][i],
            presence=d["pres"][i],
            t_ms=float(d["t_ms"][i]),
            frame_index=int(i),
            image_size=self._size,
            mask=mask,
            people=int(d["people"][i]),
            track_id=int(d["track"][i]),
        )


def load_poses(clip: Path, cache: Path, model: Path) -> Sequence[Pose | None]:
    """Poses of every frame (None = nobody detected), from the cache or the model."""
    cache.mkdir(parents=True, exist_ok=True)
    f = _cache_file(cache, clip)
    if not f.exists():
        _estimate_to_cache(clip, f, model)
    return CachedPoses(f)


def _estimate_to_cache(clip: Path, out: Path, model: Path) -> None:
    from vision.estimator import PoseEstimator, PoseEstimatorOptions
    from vision.sources import open_video

    rows: dict[str, list] = {
        k: [] for k in ("xy", "world", "vis", "pres", "t_ms", "people", "found", "mask", "track")
    }
    size = (0, 0)
    mask_shape = None
    with open_video(clip) as src, PoseEstimator(PoseEstimatorOptions(model_path=model)) as est:
        for frame in src:
            p = est.estimate(frame.image, frame.t_ms, frame.index)
            size = (frame.image.shape[1], frame.image.shape[0])
            rows["t_ms"].append(frame.t_ms)
            rows["found"].append(p is not None)
            if p is None:
                for k, shape in (("xy", (33, 2)), ("world", (33, 3)), ("vis", (33,)), ("pres", (33,))):
                    rows[k].append(np.zeros(shape, np.float32))
                rows["people"].append(0)
                rows["track"].append(-1)
                rows["mask"].append(None)
                continue
            rows["xy"].append(p.xy)
            rows["world"].append(p.world)
            rows["vis"].append(p.visibility)
            rows["pres"].append(p.presence)
            rows["people"].append(p.people)
            rows["track"].append(int(p.track_id or 0))
            m = None if p.mask is None else np.round(p.mask * 255).astype(np.uint8)
            mask_shape = mask_shape or (None if m is None else m.shape)
            rows["mask"].append(m)
    has_mask = mask_shape is not None
    masks = (
        np.stack([m if m is not None else np.zeros(mask_shape, np.uint8) for m in rows["mask"]])
        if has_mask
        else np.zeros(1)
    )
    tmp = out.with_suffix(".tmp.npz")
    np.savez_compressed(
        tmp,
        xy=np.stack(rows["xy"]),
        world=np.stack(rows["world"]),
        vis=np.stack(rows["vis"]),
        pres=np.stack(rows["pres"]),
        t_ms=np.array(rows["t_ms"]),
        people=np.array(rows["people"]),
        found=np.array(rows["found"]),
        track=np.array(rows["track"]),
        mask=masks,
        has_mask=np.array(has_mask),
        image_size=np.array(size),
    )
    os.replace(tmp, out)


# ---------------------------------------------------------------------------- checking


@dataclass
class ClipResult:
    name: str
    exercise: str
    expected: dict
    rep_count: int = 0
    partials: int = 0
    hold_s: float = 0.0
    spans: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # code -> [(s, e)] seconds
    rep_faults: list[tuple[str, ...]] = field(default_factory=list)
    signals: dict[str, np.ndarray] = field(default_factory=dict)
    problems: dict[str, int] = field(default_factory=dict)

    def matches(self, tol_s: float = 0.0) -> tuple[list[str], list[str]]:
        """(labelled faults missed, reported fault spans with no label) as text."""
        missed, extra = [], []
        labelled = self.expected["faults"]
        for lab in labelled:
            spans = self.spans.get(lab["code"], [])
            if not any(s <= lab["end_s"] + tol_s and e >= lab["start_s"] - tol_s for s, e in spans):
                missed.append(f"{lab['code']} {lab['start_s']:.1f}-{lab['end_s']:.1f}")
        for code, spans in self.spans.items():
            for s, e in spans:
                ok = any(
                    lab["code"] == code and s <= lab["end_s"] + tol_s and e >= lab["start_s"] - tol_s
                    for lab in labelled
                )
                if not ok:
                    extra.append(f"{code} {s:.1f}-{e:.1f}")
        return missed, extra

    @property
    def ok(self) -> bool:
        e = self.expected
        missed, extra = self.matches()
        hold_ok = abs(self.hold_s - e["hold_s"]) <= max(0.5, 0.15 * e["hold_s"])
        return (
            self.rep_count == e["rep_count"]
            and self.partials == e["partial_reps"]
            and not missed
            and not extra
            and hold_ok
        )


def run_clip(
    labels: dict, poses: list[Pose | None], thresholds: Path | None, smooth: bool = True
) -> ClipResult:
    from vision.smoothing import PoseSmoother

    checker = create_checker(labels["exercise"], thresholds)
    smoother = PoseSmoother() if smooth else None
    res = ClipResult(labels["clip"], labels["exercise"], labels["expected"])
    open_: dict[str, float] = {}
    last_t = 0.0
    sig: dict[str, list[float]] = {}
    n = len(poses)
    for i, pose in enumerate(poses):
        t_ms = pose.t_ms if pose is not None else (1000.0 * i / labels["fps"])
        p = smoother(pose) if smoother is not None else pose
        a = checker.update(p, t_ms, i)
        for k, v in a.measurements.items():
            sig.setdefault(k, [np.nan] * n)[i] = v
        if a.view.problem is not None:
            res.problems[a.view.problem.value] = res.problems.get(a.view.problem.value, 0) + 1
        for e in a.events:
            if e.kind is EventKind.REP_PARTIAL:
                res.partials += 1
            if e.kind is EventKind.REP_COMPLETED:
                res.rep_faults.append(e.faults)
        now = {f.code for f in a.faults}
        t = t_ms / 1000.0
        for code in now:
            open_.setdefault(code, t)
        for code in list(open_):
            if code not in now:
                res.spans.setdefault(code, []).append((open_.pop(code), last_t))
        last_t = t
        res.rep_count = a.rep_count
        res.hold_s = a.hold_s
    for code, s in open_.items():
        res.spans.setdefault(code, []).append((s, last_t))
    res.signals = {k: np.array(v, float) for k, v in sig.items()}
    return res


def print_signals(res: ClipResult, labels: dict) -> None:
    truth = labels["truth"]
    # Each measurement against the truth series it should track up to MediaPipe's offset.
    for signal in spec_for(res.exercise).truth_signals:
        name, tkey = signal.measurement, signal.truth
        got = res.signals.get(name)
        if got is None or tkey not in truth:
            continue
        tr = np.array(truth[tkey], float)[: len(got)]
        if signal.from_joint_angle:
            tr = 180.0 - tr
        got = got[: len(tr)]
        ok = np.isfinite(got) & np.isfinite(tr)
        if not ok.any():
            print(f"    {name:24s} no measurements")
            continue
        d = got[ok] - tr[ok]
        print(
            f"    {name:24s} mp [{np.min(got[ok]):7.3f} {np.max(got[ok]):7.3f}]"
            f"  truth [{np.min(tr[ok]):7.3f} {np.max(tr[ok]):7.3f}]"
            f"  mp-truth median {np.median(d):7.3f}"
            f"  p10 {np.percentile(d, 10):7.3f}  p90 {np.percentile(d, 90):7.3f}"
            f"  ({ok.sum()}/{len(tr)} frames)"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.calibrate", description=__doc__.splitlines()[1])
    ap.add_argument("clips", nargs="*", help="clip names (default: every labelled clip)")
    ap.add_argument("--samples", type=Path, default=Path(__file__).resolve().parent.parent / "samples")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/backform_calibration"))
    ap.add_argument("--thresholds", type=Path, default=None)
    ap.add_argument("--signals", action="store_true", help="print signals vs truth")
    ap.add_argument("--raw", action="store_true", help="skip the pose smoother")
    args = ap.parse_args(argv)
    model = os.environ.get("BACKFORM_MODEL")
    if not model:
        print("set BACKFORM_MODEL to the pose model file", file=sys.stderr)
        return 2
    files = sorted(args.samples.glob("*.labels.json"))
    if args.clips:
        files = [f for f in files if f.name.split(".")[0] in args.clips]
    n_ok = 0
    for f in files:
        labels = json.loads(f.read_text())
        clip = f.with_name(labels["clip"])
        if not clip.exists():
            continue
        poses = load_poses(clip, args.cache, Path(model))
        res = run_clip(labels, poses, args.thresholds, smooth=not args.raw)
        e = labels["expected"]
        missed, extra = res.matches()
        n_ok += res.ok
        status = "OK  " if res.ok else "FAIL"
        print(
            f"{status} {f.name.split('.')[0]:28s} reps {res.rep_count}/{e['rep_count']}"
            f" partial {res.partials}/{e['partial_reps']} hold {res.hold_s:4.1f}/{e['hold_s']:4.1f}"
            f" view {res.problems or '-'}"
        )
        for lab in e["faults"]:
            spans = res.spans.get(lab["code"], [])
            shown = ", ".join(f"{s:.1f}-{t:.1f}" for s, t in spans) or "none"
            print(f"    label {lab['code']:22s} {lab['start_s']:5.1f}-{lab['end_s']:5.1f}   found {shown}")
        if missed:
            print(f"    MISSED {missed}")
        if extra:
            print(f"    EXTRA  {extra}")
        want_rep_faults = [tuple(r["faults"]) for r in labels["reps"] if not r["partial"]]
        if (
            res.rep_faults != want_rep_faults
            and spec_for(labels["exercise"]).counts == Counts.REPS
            and e["view_ok"]
        ):
            print(f"    rep faults {res.rep_faults} expected {want_rep_faults}")
        if args.signals:
            print_signals(res, labels)
    print(f"{n_ok}/{len(files)} clips as labelled")
    return 0 if n_ok == len(files) else 1


if __name__ == "__main__":
    sys.exit(main())
