"""Scenarios as timelines: one posture per frame, plus the windows of each rep / cycle.

Motion is eased with raised cosines (no jerks), reps follow realistic tempos, and a
little seeded low-frequency sway keeps the body from looking frozen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from samples.synth.postures import (
    _NEUTRAL_PLANK_NECK,
    HingePosture,
    PlankPosture,
    QuadrupedPosture,
    Skeleton,
    kneeling_knee_flexion,
    pose_plank,
)
from samples.synth.scenario import CatCowMotion, HingeMotion, PlankMotion, Scenario
from samples.synth.truth import keypoints, rig_truth

Posture = HingePosture | PlankPosture | QuadrupedPosture

# Full cat-cow range of the rig: spinal flexion in cat / extension in cow, and the neck.
CAT_SPINE_DEG, COW_SPINE_DEG = 35.0, -30.0
CAT_NECK_DEG, COW_NECK_DEG = 30.0, -25.0
STANDING_TRUNK_DEG = 2.0
NEUTRAL_PLANK_NECK_DEG = _NEUTRAL_PLANK_NECK


def ease(x: np.ndarray | float) -> np.ndarray:
    """Raised cosine 0 -> 1 over x in [0, 1], flat at both ends."""
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))


def sway(t: np.ndarray, amplitude: float, rng: np.random.Generator) -> np.ndarray:
    """Slow, irregular drift: two incommensurate sines with random phases (0.15-0.5 Hz)."""
    f1, f2 = rng.uniform(0.15, 0.3), rng.uniform(0.3, 0.5)
    p1, p2 = rng.uniform(0, 2 * np.pi, 2)
    return amplitude * (0.65 * np.sin(2 * np.pi * f1 * t + p1) + 0.35 * np.sin(2 * np.pi * f2 * t + p2))


@dataclass(frozen=True)
class Window:
    """Where one rep / cycle happens (seconds), and which scenario entry it plays."""

    start_s: float
    end_s: float
    index: int


@dataclass(frozen=True)
class Timeline:
    times: np.ndarray  # (F,) seconds, frame i at i / fps
    postures: tuple[Posture, ...]
    windows: tuple[Window, ...]  # reps (hinge) or cycles (cat-cow)
    hold_from_s: float | None = None  # plank: when the body is in the plank position


def frame_times(duration_s: float, fps: float) -> np.ndarray:
    return np.arange(round(duration_s * fps)) / fps


# ---------------------------------------------------------------- hip hinge
def hinge_profile(t: np.ndarray, start: float, tempo: float) -> np.ndarray:
    """0 standing -> 1 at the bottom -> 0: 45 % down, 10 % pause at the bottom, 45 % up."""
    down = 0.45 * tempo
    u = t - start
    rise = ease(u / down)
    fall = ease((tempo - u) / down)
    return np.where((u < 0) | (u > tempo), 0.0, np.minimum(rise, fall))


def hinge_timeline(scenario: Scenario, motion: HingeMotion) -> Timeline:
    rng = np.random.default_rng(scenario.seed)
    windows, start = [], motion.setup_s
    for i, rep in enumerate(motion.reps):
        windows.append(Window(start, start + rep.tempo_s, i))
        start += rep.tempo_s + rep.pause_s
    t = frame_times(start, scenario.fps)
    trunk = np.full_like(t, STANDING_TRUNK_DEG) + sway(t, 0.8, rng)
    knee = np.full_like(t, motion.standing_knee_deg) + sway(
        t, 0.3 if motion.standing_knee_deg < 3 else 1.0, rng
    )
    spine = sway(t, 0.6, rng)
    neck = sway(t, 1.5, rng)
    arms = sway(t, 2.0, rng)
    for w in windows:
        rep = motion.reps[w.index]
        s = hinge_profile(t, w.start_s, rep.tempo_s)
        trunk += (rep.depth_deg - STANDING_TRUNK_DEG) * s
        if rep.squatting_knee_deg:
            knee += (rep.squatting_knee_deg - motion.standing_knee_deg) * s
        elif not rep.locked_knees:
            knee += (rep.knee_deg - motion.standing_knee_deg) * s
        spine += (rep.rounded_back_deg or 4.0) * s  # good form keeps a little natural flexion
        # The head drops late in the descent: the eyes follow the floor.
        neck += rep.head_drop_deg * s**2 if rep.head_drop_deg else -4.0 * s
    knee = np.maximum(knee, 0.0)
    postures = tuple(
        HingePosture(
            trunk_deg=float(a),
            spine_flexion_deg=float(b),
            knee_flexion_deg=float(c),
            neck_flexion_deg=float(d),
            arm_swing_deg=float(e),
        )
        for a, b, c, d, e in zip(trunk, spine, knee, neck, arms, strict=True)
    )
    return Timeline(t, postures, tuple(windows))


# ---------------------------------------------------------------- plank
def _fault_ramp(t: np.ndarray, hold_from: float, start_s: float, ramp_s: float) -> np.ndarray:
    u = t - hold_from - start_s
    return ease(u / ramp_s) if ramp_s > 0 else (u >= 0).astype(float)


def plank_line_calibration(sk: Skeleton, style: str, arm_swing_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Measured sagittal body line for a grid of hip bends, to turn a wanted sag/pike angle
    into the posture parameter (monotonic, so it inverts by interpolation)."""
    bends = np.arange(-40.0, 41.0, 5.0)
    lines = []
    for bend in bends:
        p = PlankPosture(style=style, hip_bend_deg=float(bend), arm_swing_deg=arm_swing_deg)
        posed = pose_plank(sk, p)
        lines.append(rig_truth(sk.body, posed, keypoints(sk.body, posed)).body_line_deg)
    return np.array(lines), bends


def arm_swing_for_hand_offset(sk: Skeleton, offset_m: float) -> float:
    """Arm swing (deg, - = hands forwards) that puts the wrist offset_m ahead of the shoulder."""
    arm = float(np.linalg.norm(sk.body.joint("wrist.L") - sk.body.joint("upperarm01.L")))
    return -float(np.degrees(np.arcsin(np.clip(offset_m / arm, -1.0, 1.0))))


def plank_timeline(scenario: Scenario, motion: PlankMotion, sk: Skeleton) -> Timeline:
    rng = np.random.default_rng(scenario.seed)
    hold_from = motion.kneel_s + motion.rise_s
    t = frame_times(hold_from + motion.hold_s, scenario.fps)
    line = sway(t, 0.8, rng)
    neck = sway(t, 1.5, rng)
    hand_offset = np.zeros_like(t)
    for f in motion.faults:
        ramp = _fault_ramp(t, hold_from, f.start_s, f.ramp_s)
        if f.code == "hip_sag":
            line += f.size * ramp
        elif f.code == "hip_pike":
            line -= f.size * ramp
        elif f.code == "head_drop":
            neck += f.size * ramp
        else:  # shoulders_not_stacked: the hands sit in front of the shoulders
            hand_offset += f.size * ramp
    swings = {float(o): arm_swing_for_hand_offset(sk, float(o)) for o in np.unique(hand_offset)}
    calibrations = {s: plank_line_calibration(sk, motion.style, s) for s in set(swings.values())}
    knee_kneeling = kneeling_knee_flexion(sk) if hold_from > 0 else 0.0
    rise = ease((t - motion.kneel_s) / motion.rise_s) if motion.rise_s > 0 else np.ones_like(t)
    postures = []
    for i in range(len(t)):
        swing = swings[float(hand_offset[i])]
        lines, bends = calibrations[swing]
        legs = 1.0 - rise[i]  # 1 = hands and knees, 0 = plank
        postures.append(
            PlankPosture(
                style=motion.style,
                hip_bend_deg=float(np.interp(line[i], lines, bends)) * (1.0 - legs),
                neck_flexion_deg=float(neck[i]),
                arm_swing_deg=swing,
                hip_flexion_deg=90.0 * legs,
                knee_flexion_deg=knee_kneeling * legs,
            )
        )
    return Timeline(t, tuple(postures), (), hold_from_s=hold_from)


# ---------------------------------------------------------------- cat-cow
def catcow_timeline(scenario: Scenario, motion: CatCowMotion) -> Timeline:
    rng = np.random.default_rng(scenario.seed)
    windows, start = [], motion.setup_s
    for i, cycle in enumerate(motion.cycles):
        windows.append(Window(start, start + cycle.tempo_s, i))
        start += cycle.tempo_s
    t = frame_times(start + motion.end_s, scenario.fps)
    spine = sway(t, 0.8, rng)
    neck = sway(t, 1.5, rng)
    elbow = np.full_like(t, 2.0) + np.abs(sway(t, 0.8, rng))
    for w in windows:
        cycle = motion.cycles[w.index]
        u = (t - w.start_s) / cycle.tempo_s
        inside = (u >= 0) & (u <= 1)
        wave = np.where(inside, np.sin(2 * np.pi * u), 0.0)  # + cat first, then - cow
        if motion.cow_first:
            wave = -wave
        cat, cow = np.maximum(wave, 0.0), np.minimum(wave, 0.0)
        spine += cycle.range * (CAT_SPINE_DEG * cat - COW_SPINE_DEG * cow)
        neck += cycle.range * (CAT_NECK_DEG * cat - COW_NECK_DEG * cow)
        # Moving from the arms: the chest sinks by bending the elbows in the cow half.
        elbow += cycle.elbow_deg * cow**2
    postures = tuple(
        QuadrupedPosture(spine_flexion_deg=float(a), neck_flexion_deg=float(b), elbow_flexion_deg=float(c))
        for a, b, c in zip(spine, neck, elbow, strict=True)
    )
    return Timeline(t, postures, tuple(windows))


def trimmed(timeline: Timeline, start_s: float, fps: float) -> Timeline:
    """The timeline from `start_s` on, re-timed to start at 0. A rep / cycle that began
    before the cut is dropped from the windows: the clip does not show it whole."""
    first = round(start_s * fps)
    if first <= 0:
        return timeline
    if first >= len(timeline.times):
        raise ValueError(f"start_s {start_s} is past the end of the motion")
    cut = first / fps
    windows = tuple(
        Window(w.start_s - cut, w.end_s - cut, w.index) for w in timeline.windows if w.start_s >= cut - 1e-9
    )
    hold = None if timeline.hold_from_s is None else max(0.0, timeline.hold_from_s - cut)
    times = np.arange(len(timeline.times) - first) / fps
    return Timeline(times, timeline.postures[first:], windows, hold_from_s=hold)


def build_timeline(scenario: Scenario, sk: Skeleton) -> Timeline:
    m = scenario.motion
    if isinstance(m, HingeMotion):
        timeline = hinge_timeline(scenario, m)
    elif isinstance(m, PlankMotion):
        timeline = plank_timeline(scenario, m, sk)
    else:
        timeline = catcow_timeline(scenario, m)
    return trimmed(timeline, scenario.start_s, scenario.fps)
