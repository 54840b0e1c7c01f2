"""Check rendered sample clips against MediaPipe: detection rate and angle agreement.

    BACKFORM_MODEL=/path/pose_landmarker_full.task python -m samples.verify samples/*.mp4

For each clip: the share of frames where PoseLandmarker (Tasks API, VIDEO mode) finds a
body, and for the image-plane truth angles the median of (MediaPipe - truth) and the
median absolute deviation around it (the offset is expected: landmarks are not the rig's
joint centres). A development tool for the generator, not part of the pipeline.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import av
import numpy as np

from samples.synth.truth import body_line

# MediaPipe landmark indices of the left (near) side.
_LEFT = {"ear": 7, "shoulder": 11, "hip": 23, "knee": 25, "ankle": 27}


def _angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    u, v = a - b, c - b
    return float(
        np.degrees(np.arccos(np.clip(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v)), -1, 1)))
    )


def landmark_angles(p: dict[str, np.ndarray], facing: float) -> dict[str, float]:
    """The truth angles computed the same way from 2-D landmarks (y down)."""
    s, h, k, a, e = (p[n] for n in ("shoulder", "hip", "knee", "ankle", "ear"))
    trunk = s - h
    u, v = s - h, e - s
    turn = float(np.degrees(np.arctan2(u[0] * v[1] - u[1] * v[0], np.dot(u, v))))
    return {
        "trunk_inclination_deg": float(np.degrees(np.arctan2(abs(trunk[0]), -trunk[1]))),
        "hip_angle_deg": _angle(s, h, k),
        "knee_angle_deg": _angle(h, k, a),
        "body_line_deg": body_line(s, h, a, np.array([0.0, 1.0])),
        "head_line_deg": turn * facing,
    }


def verify_clip(video: Path, model: Path) -> dict[str, object]:
    import mediapipe as mp
    from mediapipe.tasks import python as mp_tasks
    from mediapipe.tasks.python import vision as mp_vision

    labels = json.loads(video.with_name(video.stem + ".labels.json").read_text())
    truth = labels["truth"]
    options = mp_vision.PoseLandmarkerOptions(
        base_options=mp_tasks.BaseOptions(model_asset_path=str(model)),
        running_mode=mp_vision.RunningMode.VIDEO,
    )
    found: list[dict[str, np.ndarray] | None] = []
    with (
        mp_vision.PoseLandmarker.create_from_options(options) as landmarker,
        av.open(str(video)) as container,
    ):
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            rgb = frame.to_ndarray(format="rgb24")
            t_ms = round(float(frame.pts * stream.time_base) * 1000)
            result = landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), t_ms)
            if result.pose_landmarks:
                lm = result.pose_landmarks[0]
                h, w = rgb.shape[:2]
                found.append(
                    {n: np.array([lm[i].x * w, lm[i].y * h]) for n, i in _LEFT.items()}
                    | {"nose": np.array([lm[0].x * w, lm[0].y * h])}
                )
            else:
                found.append(None)
    detected = [f for f in found if f is not None]
    out: dict[str, object] = {
        "clip": video.name,
        "frames": len(found),
        "detection_rate": round(len(detected) / max(len(found), 1), 3),
    }
    if not detected:
        return out
    # The subject faces image -x when the nose is left of the hips (decided once per clip).
    facing = float(np.sign(np.median([f["nose"][0] - f["hip"][0] for f in detected])) or 1.0)
    diffs: dict[str, list[float]] = {}
    for i, f in enumerate(found):
        if f is None or i >= len(truth["t_s"]):
            continue
        for key, value in landmark_angles(f, facing).items():
            diffs.setdefault(key, []).append(value - truth[key][i])
    for key, d in diffs.items():
        arr = np.array(d)
        offset = float(np.median(arr))
        out[key] = {"offset": round(offset, 1), "spread": round(float(np.median(np.abs(arr - offset))), 1)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m samples.verify", description=__doc__.splitlines()[0])
    parser.add_argument("videos", nargs="+", type=Path)
    args = parser.parse_args(argv)
    model = os.environ.get("BACKFORM_MODEL")
    if not model or not Path(model).is_file():
        print("error: set BACKFORM_MODEL to the pose_landmarker .task file", file=sys.stderr)
        return 2
    for video in args.videos:
        print(json.dumps(verify_clip(video, Path(model))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
