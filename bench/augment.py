"""Copies of a labelled set of clips that should be judged the same: an invariance check.

    python -m bench.augment SRC OUT [--labels FILE] [--kinds reencode,mirror,half,halfrate,tiltcw,tiltccw]
    backform evaluate OUT --labels OUT/labels.json

Each clip is written again as H.264 (`reencode_NAME.mp4`, the control: what re-encoding alone
changes), mirrored left to right (`mirror_NAME.mp4`: the person filmed from the other side),
at half size (`half_NAME.mp4`, only where the half is still at least 240 px high) and at half
the frame rate (`halfrate_NAME.mp4`: every other frame, only where that leaves at least 12
fps, as a slower webcam or phone would record it), and turned 6 deg clockwise and
anticlockwise (`tiltcw_NAME.mp4`, `tiltccw_NAME.mp4`: a laptop lid or phone not quite level;
the corners are filled from the frame's edge), at the frame times of the original, with the
original's labels. A verdict that differs between a clip's
control and its mirror or half is MediaPipe's reading of the same movement moving a signal
across a threshold: a threshold without margin for that clip. Nothing here is judged; OUT
holds the copies and one labels.json (real-clip schema keyed by file name; a sample entry
keeps its own schema with `clip` renamed). Clips whose labels are not in SRC are skipped.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from bench.bench_pipeline import transformed_copy
from feedback.evaluate import find_clips, load_labels
from vision.errors import BackformError
from vision.sources import open_video

MIN_HALF_PX = 240
MIN_HALFRATE_FPS = 12.0


def _half(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    return cv2.resize(image, (w // 2, h // 2), interpolation=cv2.INTER_AREA)


def _same(image: np.ndarray) -> np.ndarray:
    return image


TILT_DEG = 6.0


def _tilt(deg: float) -> Callable[[np.ndarray], np.ndarray]:
    """Turned `deg` anticlockwise about the centre (OpenCV's sign), same size."""

    def turn(image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), deg, 1.0)
        return cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    return turn


# kind -> (change to every kept frame, keep every n-th frame)
KINDS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], int]] = {
    "reencode": (_same, 1),
    "mirror": (lambda image: np.ascontiguousarray(image[:, ::-1]), 1),
    "half": (_half, 1),
    "halfrate": (_same, 2),
    "tiltcw": (_tilt(-TILT_DEG), 1),
    "tiltccw": (_tilt(TILT_DEG), 1),
}


def _relabel(entry: dict, name: str, kind: str) -> dict:
    entry = copy.deepcopy(entry)
    if "clip" in entry or "expected" in entry:
        entry["clip"] = name
    if "expected" in entry:
        side = entry["expected"].get("near_side")
        if kind == "mirror" and side in ("left", "right"):
            entry["expected"]["near_side"] = "right" if side == "left" else "left"
    return entry


def _entries(src: Path, labels_file: Path | None) -> list[tuple[Path, dict]]:
    """(video, raw labels entry) per clip, every entry validated first."""
    if labels_file is None:
        return find_clips(src)
    clips = load_labels(src, labels_file)
    raw = json.loads(Path(labels_file).read_text())
    if "expected" in raw:
        return [(clips[0][0], raw)]
    return [(src / v.get("clip", k), v) for k, v in sorted(raw.items()) if not k.startswith("_")]


def augment(src: Path, out: Path, labels_file: Path | None, kinds: list[str]) -> int:
    entries = _entries(src, labels_file)
    out.mkdir(parents=True, exist_ok=True)
    labels: dict[str, dict] = {"_about": {"made_by": "bench.augment", "from": str(src), "kinds": kinds}}
    for video, entry in entries:
        if not video.is_file():
            continue
        with open_video(video) as source:
            info = source.info
        for kind in kinds:
            if kind == "half" and info.height // 2 < MIN_HALF_PX:
                continue
            if kind == "halfrate" and info.fps / 2 < MIN_HALFRATE_FPS:
                continue
            name = f"{kind}_{video.stem}.mp4"
            if not (out / name).exists():
                change, stride = KINDS[kind]
                transformed_copy(video, out / name, change, stride=stride)
            labels[name] = _relabel(entry, name, kind)
        print(f"{video.name}: {info.width}x{info.height}, {info.fps:.1f} fps", flush=True)
    tmp = out / ".labels.json.tmp"
    tmp.write_text(json.dumps(labels, indent=1))
    os.replace(tmp, out / "labels.json")
    return len(labels) - 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--labels", type=Path, help="a labels file; default: SRC/*.labels.json")
    ap.add_argument(
        "--kinds", default="reencode,mirror,half", help=f"comma-separated, from {','.join(KINDS)}"
    )
    a = ap.parse_args(argv)
    kinds = [k for k in a.kinds.split(",") if k]
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown or not kinds:
        named = ", ".join(unknown) or "(none)"
        print(f"bench.augment: unknown kind {named}; choose from {', '.join(KINDS)}", file=sys.stderr)
        return 2
    try:
        n = augment(a.src, a.out, a.labels, kinds)
    except (BackformError, OSError, ValueError, KeyError) as err:
        print(f"bench.augment: {err}", file=sys.stderr)
        return 1
    print(f"{n} copies in {a.out}; evaluate with: backform evaluate {a.out} --labels {a.out / 'labels.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
