"""'Other' footage: what a recorded routine holds besides the three exercises.

Standing about, marching on the spot, kneeling, lying, stretching, and distractor exercises
that share a posture with one of ours (squats, push-ups, bird-dog, bridges). Rendered by the
same rig and renderer as the exercise clips, so the recogniser is tested against look-alikes
rather than against anything easy. Labels are just {"exercise": "other", "activity": ...}.

python -m samples.generate --other 12 --seed 5   # into samples/other/
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from samples.synth.motions import ease, sway
from samples.synth.postures import (
    HingePosture,
    KneelPosture,
    LyingPosture,
    PlankPosture,
    QuadrupedPosture,
)
from samples.synth.scenario import CameraSpec, Look, Subject

# activity -> "standing" or "floor" framing (where the camera looks, whether a mat lies there)
ACTIVITIES: dict[str, str] = {
    "standing": "standing",
    "marching": "standing",
    "stretching": "standing",
    "squats": "standing",
    "kneeling": "floor",
    "lying": "floor",
    "push-ups": "floor",
    "bird-dog": "floor",
    "bridges": "floor",
}
FRAMING = {"standing": ((-0.1, 0.85), None), "floor": ((0.1, 0.35), 0.1)}


@dataclass(frozen=True)
class OtherClip:
    name: str
    activity: str
    subject: Subject
    camera: CameraSpec
    duration_s: float = 8.0
    fps: float = 15.0
    seed: int = 0
    look: Look = field(default_factory=Look)


def _cycle(t: np.ndarray, period_s: float, start_s: float = 0.6) -> np.ndarray:
    """0 -> 1 -> 0 once per period (raised cosine), still for start_s first."""
    u = np.clip(t - start_s, 0.0, None) / period_s
    return 0.5 - 0.5 * np.cos(2 * np.pi * u)


def other_postures(activity: str, t: np.ndarray, rng: np.random.Generator) -> list:
    """One posture per frame time for `activity` (tempos and sizes drawn from rng)."""
    s1, s2, s3 = (sway(t, a, rng) for a in (1.0, 1.5, 3.0))
    if activity == "standing":
        return [
            HingePosture(trunk_deg=2 + a, neck_flexion_deg=b, arm_swing_deg=c)
            for a, b, c in zip(s1, s2, s3, strict=True)
        ]
    if activity == "marching":
        lift = rng.uniform(35, 60) * np.sin(2 * np.pi * t / rng.uniform(1.0, 1.4))
        return [
            HingePosture(trunk_deg=2 + a, march_deg=float(m), arm_swing_deg=float(-0.5 * m))
            for a, m in zip(s1, lift, strict=True)
        ]
    if activity == "stretching":  # arms up overhead and down again, slowly
        up = _cycle(t, rng.uniform(3.0, 4.5))
        return [
            HingePosture(trunk_deg=2 - 6 * u + a, arm_swing_deg=float(-165 * u), neck_flexion_deg=-10 * u)
            for u, a in zip(up, s1, strict=True)
        ]
    if activity == "squats":
        down = _cycle(t, rng.uniform(2.2, 3.2))
        knee, trunk = rng.uniform(105, 125), rng.uniform(20, 32)
        return [
            HingePosture(
                trunk_deg=2 + (trunk - 2) * d,
                knee_flexion_deg=4 + (knee - 4) * d,
                shin_share=0.45,
                arm_swing_deg=-80 * d,
            )
            for d in down
        ]
    if activity == "kneeling":
        return [
            KneelPosture(trunk_deg=3 + a, neck_flexion_deg=b, arm_swing_deg=c)
            for a, b, c in zip(s1, s2, s3, strict=True)
        ]
    if activity == "lying":
        face_up = bool(rng.integers(2))
        knees = rng.uniform(0, 80) if face_up else 0.0
        return [LyingPosture(face_up=face_up, knee_flexion_deg=knees, arm_swing_deg=float(c)) for c in s3]
    if activity == "push-ups":
        down = _cycle(t, rng.uniform(1.8, 2.6))
        return [
            PlankPosture(style="high", elbow_flexion_deg=2 + 100 * d, neck_flexion_deg=b)
            for d, b in zip(down, s2, strict=True)
        ]
    if activity == "bird-dog":
        reach = ease(_cycle(t, rng.uniform(3.0, 4.0)) * 1.4)
        return [QuadrupedPosture(reach=float(r), neck_flexion_deg=b) for r, b in zip(reach, s2, strict=True)]
    if activity == "bridges":
        lift = _cycle(t, rng.uniform(3.0, 4.0))
        return [LyingPosture(face_up=True, knee_flexion_deg=90.0, hip_lift_deg=35 * u) for u in lift]
    raise ValueError(f"unknown activity {activity!r}")


def render_other(
    clip: OtherClip, out_dir: Path, supersample: int = 1, crf: int = 28, log: Callable[[str], None] = print
) -> Path:
    """Render one clip and its tiny labels file; returns the video path."""
    import json

    from samples.synth.body import build_body
    from samples.synth.camera import Camera
    from samples.synth.clip import pose_posture, write_text_atomic
    from samples.synth.clothing import paint
    from samples.synth.postures import build_skeleton
    from samples.synth.scene import Renderer
    from samples.synth.sensor import degrade
    from samples.synth.video import write_h264

    body = build_body(clip.subject.targets)
    sk = build_skeleton(body)
    t = np.arange(round(clip.duration_s * clip.fps)) / clip.fps
    postures = other_postures(clip.activity, t, np.random.default_rng(clip.seed))
    (ty, tz), mat_y = FRAMING[ACTIVITIES[clip.activity]]
    spec = clip.camera
    camera = Camera(
        yaw_deg=spec.yaw_deg,
        height_m=spec.height_m,
        distance_m=spec.distance_m,
        target=(0.0, ty, tz),
        width=clip.look.width,
        height=clip.look.height,
    )
    rng = np.random.default_rng([clip.seed, 1])

    def frames(r: Renderer) -> Iterator[np.ndarray]:
        for p in postures:
            yield degrade(r.render(pose_posture(sk, p).vertices), clip.look, rng)

    out_dir.mkdir(parents=True, exist_ok=True)
    video = out_dir / f"{clip.name}.mp4"
    with Renderer(
        body.faces,
        paint(body, clip.subject.clothing),
        camera,
        supersample=supersample,
        mat_y=mat_y,
        seed=clip.seed,
        look=clip.look,
    ) as r:
        n = write_h264(frames(r), video, clip.fps, crf=crf)
    doc = {"clip": video.name, "exercise": "other", "activity": clip.activity, "fps": clip.fps, "frames": n}
    write_text_atomic(out_dir / f"{clip.name}.labels.json", json.dumps(doc, indent=2) + "\n")
    log(f"{clip.name}: {n} frames ({clip.activity})")
    return video


def other_clips(n: int, seed: int, subjects: list[Subject], fps: float = 15.0) -> list[OtherClip]:
    """n clips cycling through the activities; subject, camera and tempo drawn from (seed, i)."""
    names = list(ACTIVITIES)
    out = []
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        activity = names[i % len(names)]
        floor = ACTIVITIES[activity] == "floor"
        camera = CameraSpec(
            yaw_deg=float(rng.uniform(-25, 25)),
            height_m=float(rng.uniform(0.5, 0.8) if floor else rng.uniform(0.9, 1.2)),
            distance_m=float(rng.uniform(2.4, 3.0) if floor else rng.uniform(2.8, 3.4)),
        )
        out.append(
            OtherClip(
                name=f"other_{i:03d}_{activity}",
                activity=activity,
                subject=subjects[int(rng.integers(len(subjects)))],
                camera=camera,
                duration_s=float(rng.uniform(6.0, 9.0)),
                fps=fps,
                seed=int(rng.integers(1 << 30)),
            )
        )
    return out
