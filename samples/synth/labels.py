"""Expected results of a rendered clip, derived from its per-frame ground truth.

Conventions (also in samples/README.md):
- A fault interval spans the frames where the fault is truly present in the motion: its
  camera-independent measure exceeds half the fault's size in that rep / episode
  (e.g. rounded back: spinal flexion > size / 2). Per-rep qualities (shallow hinge,
  locked knees) span the hinged half of the rep: trunk inclination above half its rise.
  Cat-cow cycle qualities (too fast, small range) span the whole cycle.
- A hinge rep whose trunk never reaches PARTIAL_BELOW_DEG is partial (listed, not
  counted); one that stays below SHALLOW_BELOW_DEG is counted with shallow_hinge, unless
  it is a squat (the squat is then the cause of the shallow trunk).
- Plank hold_s: seconds in the plank position with no plank fault present.
- Clips filmed from the front or from behind (more than 60 deg off side-on, view not ok)
  expect nothing: no reps, no faults, no hold. Side-on means from the left (yaw 0) or
  from the right (yaw 180).
- A rep or cycle already under way at the first frame (Scenario.start_s) is not labelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from samples.synth.motions import (
    CAT_SPINE_DEG,
    COW_SPINE_DEG,
    NEUTRAL_PLANK_NECK_DEG,
    Timeline,
)
from samples.synth.scenario import CatCowMotion, HingeMotion, PlankMotion, Scenario

PARTIAL_BELOW_DEG = 25.0  # hinge trunk inclination a counted rep must reach
SHALLOW_BELOW_DEG = 50.0  # ... and a full-depth rep must reach
SQUAT_KNEE_DEG = 50.0  # knee flexion that makes a hinge a squat
LOCKED_KNEE_DEG = 5.0  # knee flexion below which the knees count as locked
TOO_FAST_BELOW_S = 2.5  # cat-cow cycle duration
SMALL_RANGE_BELOW = 0.5  # fraction of the full cat-cow spinal range
MAX_SIDE_ON_YAW_DEG = 60.0

TRUTH_KEYS = (
    "trunk_inclination_deg",
    "hip_angle_deg",
    "knee_angle_deg",
    "body_line_deg",
    "head_line_deg",
    "spine_flexion_deg",
    "back_bow",
)


@dataclass(frozen=True)
class FrameTruth:
    """Per-frame truth series (F,), image-plane and rig (sagittal) quantities."""

    t_s: np.ndarray
    image: dict[
        str, np.ndarray
    ]  # trunk_inclination_deg, hip_angle_deg, knee_angle_deg, body_line_deg, head_line_deg
    rig: dict[str, np.ndarray]  # spine_flexion_deg, neck_flexion_deg, knee_flexion_deg, ... back_bow


@dataclass(frozen=True)
class Interval:
    code: str
    start_s: float
    end_s: float


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive (first, last) frame index of each run of True."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    edges = np.flatnonzero(np.diff(m.astype(int)))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def intervals(code: str, mask: np.ndarray, t: np.ndarray) -> list[Interval]:
    return [Interval(code, float(t[a]), float(t[b])) for a, b in runs(mask)]


def merge(found: list[Interval], frame_s: float) -> list[Interval]:
    """Join intervals of the same fault that touch (at most one frame apart)."""
    out: list[Interval] = []
    for iv in sorted(found, key=lambda i: (i.code, i.start_s)):
        last = out[-1] if out else None
        if last and last.code == iv.code and iv.start_s - last.end_s <= frame_s * 1.5:
            out[-1] = Interval(iv.code, last.start_s, max(last.end_s, iv.end_s))
        else:
            out.append(iv)
    return sorted(out, key=lambda i: (i.start_s, i.code))


@dataclass(frozen=True)
class RepLabel:
    index: int
    start_s: float
    end_s: float
    partial: bool
    faults: tuple[str, ...]


def _window_mask(t: np.ndarray, start: float, end: float) -> np.ndarray:
    return (t >= start - 1e-9) & (t <= end + 1e-9)


def hinge_expectations(
    motion: HingeMotion, timeline: Timeline, truth: FrameTruth
) -> tuple[list[RepLabel], list[Interval]]:
    t, rig = truth.t_s, truth.rig
    reps, found = [], []
    for w in timeline.windows:
        spec = motion.reps[w.index]
        inside = _window_mask(t, w.start_s, w.end_s)
        trunk = rig["trunk_inclination_deg"]
        base = float(trunk[inside][0])
        peak = float(trunk[inside].max())
        hinged = inside & (trunk > base + 0.5 * (peak - base))
        rep_faults: list[Interval] = []
        if spec.rounded_back_deg:
            rep_faults += intervals(
                "rounded_back", inside & (rig["spine_flexion_deg"] > spec.rounded_back_deg / 2), t
            )
        squat = bool(spec.squatting_knee_deg)
        if squat:
            rep_faults += intervals(
                "squatting", inside & (rig["knee_flexion_deg"] > spec.squatting_knee_deg / 2), t
            )
        if spec.locked_knees:
            rep_faults += intervals("locked_knees", hinged & (rig["knee_flexion_deg"] < LOCKED_KNEE_DEG), t)
        if spec.head_drop_deg:
            rep_faults += intervals(
                "head_drop", inside & (rig["neck_flexion_deg"] > spec.head_drop_deg / 2), t
            )
        partial = peak < PARTIAL_BELOW_DEG
        if partial:
            rep_faults = []
        elif peak < SHALLOW_BELOW_DEG and not squat:
            rep_faults += intervals("shallow_hinge", hinged, t)
        found += rep_faults
        reps.append(
            RepLabel(len(reps) + 1, w.start_s, w.end_s, partial, tuple(sorted({f.code for f in rep_faults})))
        )
    return reps, found


def plank_expectations(
    motion: PlankMotion, timeline: Timeline, truth: FrameTruth, fps: float
) -> tuple[list[Interval], float]:
    t, rig = truth.t_s, truth.rig
    holding = t >= (timeline.hold_from_s or 0.0) - 1e-9
    measures = {
        "hip_sag": rig["body_line_deg"],
        "hip_pike": -rig["body_line_deg"],
        "head_drop": rig["neck_flexion_deg"] - NEUTRAL_PLANK_NECK_DEG,
        "shoulders_not_stacked": rig["hand_ahead_m"],
    }
    found: list[Interval] = []
    faulty = np.zeros_like(holding)
    for f in motion.faults:
        mask = holding & (measures[f.code] > f.size / 2)
        faulty |= mask
        found += intervals(f.code, mask, t)
    hold_s = float(np.count_nonzero(holding & ~faulty)) / fps
    return found, hold_s


def catcow_expectations(
    motion: CatCowMotion, timeline: Timeline, truth: FrameTruth
) -> tuple[list[RepLabel], list[Interval]]:
    t, rig = truth.t_s, truth.rig
    full_range = CAT_SPINE_DEG - COW_SPINE_DEG
    reps, found = [], []
    for w in timeline.windows:
        spec = motion.cycles[w.index]
        inside = _window_mask(t, w.start_s, w.end_s)
        rep_faults: list[Interval] = []
        spine = rig["spine_flexion_deg"][inside]
        if spine.max() - spine.min() < SMALL_RANGE_BELOW * full_range:
            rep_faults += intervals("small_range", inside, t)
        if spec.tempo_s < TOO_FAST_BELOW_S:
            rep_faults += intervals("too_fast", inside, t)
        if spec.elbow_deg:
            rep_faults += intervals(
                "moving_from_arms", inside & (rig["elbow_flexion_deg"] > spec.elbow_deg / 2), t
            )
        found += rep_faults
        reps.append(
            RepLabel(len(reps) + 1, w.start_s, w.end_s, False, tuple(sorted({f.code for f in rep_faults})))
        )
    return reps, found


def off_side_on_deg(yaw_deg: float) -> float:
    """Degrees from the nearest side-on view (0 = exactly side-on from the left or the right,
    90 = straight from the front or from behind)."""
    yaw = abs((yaw_deg + 180.0) % 360.0 - 180.0)  # 0..180: 0 left side, 180 right side
    return min(yaw, 180.0 - yaw)


def seen_from(yaw_deg: float) -> str:
    """ "side", "front" or "behind": where the camera stands relative to the subject."""
    if off_side_on_deg(yaw_deg) <= MAX_SIDE_ON_YAW_DEG:
        return "side"
    return "front" if (yaw_deg + 180.0) % 360.0 - 180.0 > 0 else "behind"


def _r(x: float, digits: int = 3) -> float:
    return round(float(x), digits)


def build_labels(
    scenario: Scenario, timeline: Timeline, truth: FrameTruth, camera_eye_x: float
) -> dict[str, Any]:
    """The labels document (see HELPER_BRIEF schema)."""
    fps = scenario.fps
    frames = len(truth.t_s)
    view_ok = off_side_on_deg(scenario.camera.yaw_deg) <= MAX_SIDE_ON_YAW_DEG
    reps: list[RepLabel] = []
    found: list[Interval] = []
    hold_s = 0.0
    m = scenario.motion
    if isinstance(m, HingeMotion):
        reps, found = hinge_expectations(m, timeline, truth)
    elif isinstance(m, PlankMotion):
        found, hold_s = plank_expectations(m, timeline, truth, fps)
    else:
        reps, found = catcow_expectations(m, timeline, truth)
    if not view_ok:
        reps, found, hold_s = [], [], 0.0
    found = merge(found, 1.0 / fps)
    cam = scenario.camera
    return {
        "clip": f"{scenario.name}.mp4",
        "exercise": scenario.exercise,
        "description": scenario.description,
        "scenario": scenario.to_dict(),
        "fps": fps,
        "frames": frames,
        "width": scenario.look.width,
        "height": scenario.look.height,
        "duration_s": _r(frames / fps),
        "camera": {
            "yaw_deg": cam.yaw_deg,
            "height_m": cam.height_m,
            "distance_m": cam.distance_m,
            "seen_from": seen_from(cam.yaw_deg),
        },
        "subject": scenario.subject.name,
        "expected": {
            "view_ok": view_ok,
            "view_problem": None if view_ok else "not_side_on",
            # The camera orbits on the subject's +x side, which is the body's left.
            "near_side": "left" if camera_eye_x > 0 else "right",
            "rep_count": sum(not r.partial for r in reps),
            "partial_reps": sum(r.partial for r in reps),
            "hold_s": _r(hold_s),
            "faults": [{"code": f.code, "start_s": _r(f.start_s), "end_s": _r(f.end_s)} for f in found],
        },
        "reps": [
            {
                "index": r.index,
                "start_s": _r(r.start_s),
                "end_s": _r(r.end_s),
                "partial": r.partial,
                "faults": list(r.faults),
            }
            for r in reps
        ],
        "truth": {
            "t_s": [_r(x, 3) for x in truth.t_s],
            **{k: _round_series(_series(truth, k), 3 if k == "back_bow" else 1) for k in TRUTH_KEYS},
        },
    }


def _series(truth: FrameTruth, key: str) -> np.ndarray:
    return truth.image[key] if key in truth.image else truth.rig[key]


def _round_series(x: np.ndarray, digits: int) -> list[float]:
    return [round(float(v), digits) for v in x]
