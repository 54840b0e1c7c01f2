"""Render one scenario: pose every frame, measure its truth, encode the video, write labels."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from samples.synth.body import build_body
from samples.synth.camera import Camera
from samples.synth.clothing import paint
from samples.synth.kinematics import Posed
from samples.synth.labels import FrameTruth, build_labels
from samples.synth.motions import Posture, Timeline, build_timeline
from samples.synth.postures import (
    HingePosture,
    KneelPosture,
    LyingPosture,
    PlankPosture,
    Skeleton,
    build_skeleton,
    pose_hinge,
    pose_kneel,
    pose_lying,
    pose_plank,
    pose_quadruped,
)
from samples.synth.scenario import Scenario
from samples.synth.truth import ImageTruth, RigTruth, image_truth, keypoints, rig_truth

# Where the camera looks (y, z) by default, and where the mat lies (None = no mat).
_FRAMING = {"hip-hinge": ((-0.1, 0.85), None), "plank": ((0.1, 0.3), 0.1), "cat-cow": ((0.1, 0.4), 0.1)}


@dataclass(frozen=True)
class ClipResult:
    name: str
    frames: int
    seconds_per_frame_pose: float
    seconds_per_frame_render: float
    video: Path
    labels: Path


def pose_posture(sk: Skeleton, posture: Posture | KneelPosture | LyingPosture) -> Posed:
    if isinstance(posture, HingePosture):
        return pose_hinge(sk, posture)
    if isinstance(posture, PlankPosture):
        return pose_plank(sk, posture)
    if isinstance(posture, KneelPosture):
        return pose_kneel(sk, posture)
    if isinstance(posture, LyingPosture):
        return pose_lying(sk, posture)
    return pose_quadruped(sk, posture)


def camera_for(scenario: Scenario) -> Camera:
    (ty, tz), _ = _FRAMING[scenario.exercise]
    spec = scenario.camera
    target = (
        0.0,
        ty if spec.target_y_m is None else spec.target_y_m,
        tz if spec.target_z_m is None else spec.target_z_m,
    )
    return Camera(
        yaw_deg=spec.yaw_deg,
        height_m=spec.height_m,
        distance_m=spec.distance_m,
        target=target,
        width=scenario.look.width,
        height=scenario.look.height,
    )


def near_side(camera: Camera) -> str:
    """The body side facing the camera: it orbits on +x (the body's left) at yaw 0."""
    return "L" if camera.eye[0] > 0 else "R"


def _truth_series(times: np.ndarray, images: list[ImageTruth], rigs: list[RigTruth]) -> FrameTruth:
    image = {k: np.array([getattr(x, k) for x in images]) for k in ImageTruth.__dataclass_fields__}
    rig = {k: np.array([getattr(x, k) for x in rigs]) for k in RigTruth.__dataclass_fields__}
    return FrameTruth(times, image, rig)


def labels_json(doc: dict[str, Any]) -> str:
    """Indented JSON with each per-frame truth series on one line (readable diffs, small files)."""
    head = json.dumps({k: v for k, v in doc.items() if k != "truth"}, indent=2)
    series = ",\n".join(f'    "{k}": {json.dumps(v)}' for k, v in doc["truth"].items())
    return head[:-2] + ',\n  "truth": {\n' + series + "\n  }\n}\n"


def write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def lowest_hand_z(sk: Skeleton, timeline: Timeline) -> float:
    """Palm height at the deepest posture of the clip (props in the hands must clear the floor)."""
    from samples.synth.props import palm_centres

    deepest = max(
        timeline.postures, key=lambda p: p.trunk_deg if isinstance(p, HingePosture) and p.trunk_deg else 0.0
    )
    return float(min(c[2] for c in palm_centres(sk, pose_posture(sk, deepest))))


def measure_clip(scenario: Scenario) -> dict[str, Any]:
    """Labels of a scenario without rendering (fast: for checking a scenario's truth)."""
    body = build_body(scenario.subject.targets)
    skeleton = build_skeleton(body)
    timeline = build_timeline(scenario, skeleton)
    camera = camera_for(scenario)
    side = near_side(camera)
    images, rigs = [], []
    for posture in timeline.postures:
        posed = pose_posture(skeleton, posture)
        kp = keypoints(body, posed, side)
        images.append(image_truth(kp, camera))
        rigs.append(rig_truth(body, posed, kp))
    truth = _truth_series(timeline.times, images, rigs)
    return build_labels(scenario, timeline, truth, camera_eye_x=float(camera.eye[0]))


def render_clip(
    scenario: Scenario,
    out_dir: Path,
    supersample: int = 2,
    crf: int = 28,
    preview_every: int = 0,
    preview_dir: Path | None = None,
    log: Callable[[str], None] = print,
) -> ClipResult:
    from samples.synth.props import PropRig
    from samples.synth.scene import Renderer
    from samples.synth.sensor import degrade
    from samples.synth.video import write_h264

    body = build_body(scenario.subject.targets)
    skeleton = build_skeleton(body)
    colours = paint(body, scenario.subject.clothing)
    timeline: Timeline = build_timeline(scenario, skeleton)
    camera = camera_for(scenario)
    side = near_side(camera)
    look = scenario.look
    props = PropRig(look.props, skeleton, lowest_hand_z(skeleton, timeline)) if look.props else None
    noise_rng = np.random.default_rng([scenario.seed, 1])
    _, mat_y = _FRAMING[scenario.exercise]
    images: list[ImageTruth] = []
    rigs: list[RigTruth] = []
    timing = {"pose": 0.0, "render": 0.0}

    def frames(renderer: Renderer) -> Iterator[np.ndarray]:
        for i, posture in enumerate(timeline.postures):
            t0 = time.perf_counter()
            posed = pose_posture(skeleton, posture)
            kp = keypoints(body, posed, side)
            images.append(image_truth(kp, camera))
            rigs.append(rig_truth(body, posed, kp))
            t1 = time.perf_counter()
            rgb = renderer.render(posed.vertices, props.poses(posed) if props else ())
            rgb = degrade(rgb, look, noise_rng)
            timing["pose"] += t1 - t0
            timing["render"] += time.perf_counter() - t1
            if preview_every and preview_dir and i % preview_every == 0:
                from PIL import Image

                Image.fromarray(rgb).save(preview_dir / f"{scenario.name}_{i:03d}.png")
            yield rgb

    out_dir.mkdir(parents=True, exist_ok=True)
    video = out_dir / f"{scenario.name}.mp4"
    with Renderer(
        body.faces,
        colours,
        camera,
        supersample=supersample,
        mat_y=mat_y,
        seed=scenario.seed,
        look=look,
        props=props.meshes if props else (),
    ) as r:
        n = write_h264(frames(r), video, scenario.fps, crf=crf if look.crf is None else look.crf)
    truth = _truth_series(timeline.times, images, rigs)
    doc = build_labels(scenario, timeline, truth, camera_eye_x=float(camera.eye[0]))
    labels = out_dir / f"{scenario.name}.labels.json"
    write_text_atomic(labels, labels_json(doc))
    result = ClipResult(scenario.name, n, timing["pose"] / n, timing["render"] / n, video, labels)
    log(
        f"{scenario.name}: {n} frames, pose {result.seconds_per_frame_pose:.3f} s/frame, "
        f"render+encode {result.seconds_per_frame_render:.3f} s/frame"
    )
    return result
