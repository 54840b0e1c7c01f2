"""Random scenarios for a stress set: `python -m samples.generate --stress N --seed S`.

Clip i is drawn from its own generator seeded with (S, i), so the first k clips of any
`--stress N` run are the same clips whatever N is. Exercises take turns (hinge, plank,
cat-cow) and each exercise walks through a fixed pattern of kinds, so good form, every
fault of the exercise and views that cannot be judged (front, behind) come in balanced
proportions; everything else is random.

Fault sizes are drawn well clear of the labelling rules' limits (and of the checkers'
defaults), so a clip is unambiguous: its fault is plainly there or plainly absent. The
labels still come from the rendered motion's truth (synth/labels.py), never from these
parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from samples.synth.clothing import Clothing, Palette
from samples.synth.scenario import (
    CameraSpec,
    CatCowCycle,
    CatCowMotion,
    HingeMotion,
    HingeRep,
    Look,
    Motion,
    PlankFault,
    PlankMotion,
    Prop,
    Scenario,
    Subject,
)

GOOD, VIEW = "good", "view"
# The order in which each exercise's clips take their kind (repeats).
KIND_CYCLE: dict[str, tuple[str, ...]] = {
    "hip-hinge": (
        GOOD,
        "rounded_back",
        "squatting",
        GOOD,
        VIEW,
        "locked_knees",
        "shallow_hinge",
        GOOD,
        "head_drop",
        GOOD,
        VIEW,
    ),
    "plank": (
        GOOD,
        "hip_sag",
        "hip_pike",
        GOOD,
        VIEW,
        "head_drop",
        "shoulders_not_stacked",
        GOOD,
        "hip_pike",
        GOOD,
        VIEW,
    ),
    "cat-cow": (
        GOOD,
        "small_range",
        "too_fast",
        GOOD,
        VIEW,
        "moving_from_arms",
        GOOD,
        "too_fast",
        "moving_from_arms",
        GOOD,
        VIEW,
    ),
}
EXERCISE_ORDER = ("hip-hinge", "plank", "cat-cow")
SHORT = {"hip-hinge": "hinge", "plank": "plank", "cat-cow": "catcow"}

# Bodies (MakeHuman macro targets) and their skin / hair colours.
BODIES: dict[str, tuple[dict[str, float], tuple[float, float, float], tuple[float, float, float]]] = {
    "m1": ({"macrodetails/caucasian-male-young": 1.0}, (0.80, 0.60, 0.48), (0.16, 0.10, 0.06)),
    "f1": ({"macrodetails/caucasian-female-young": 1.0}, (0.85, 0.66, 0.56), (0.35, 0.22, 0.12)),
    "m2": (
        {
            "macrodetails/african-male-young": 1.0,
            "macrodetails/universal-male-young-averagemuscle-maxweight": 0.6,
        },
        (0.45, 0.30, 0.22),
        (0.06, 0.05, 0.05),
    ),
    "f2": (
        {
            "macrodetails/asian-female-young": 1.0,
            "macrodetails/universal-female-young-averagemuscle-maxweight": 0.4,
        },
        (0.88, 0.72, 0.58),
        (0.05, 0.04, 0.04),
    ),
    "f3": ({"macrodetails/african-female-young": 1.0}, (0.36, 0.24, 0.18), (0.05, 0.04, 0.04)),
    "m3": (
        {
            "macrodetails/caucasian-male-old": 1.0,
            "macrodetails/universal-male-old-averagemuscle-maxweight": 0.3,
        },
        (0.78, 0.58, 0.50),
        (0.55, 0.55, 0.55),
    ),
}
CLOTH_COLOURS = (
    (0.13, 0.38, 0.62),  # blue
    (0.78, 0.25, 0.35),  # raspberry
    (0.55, 0.56, 0.55),  # grey
    (0.10, 0.10, 0.12),  # black
    (0.92, 0.92, 0.90),  # white
    (0.20, 0.45, 0.25),  # green
    (0.85, 0.65, 0.15),  # mustard
    (0.10, 0.14, 0.30),  # navy
    (0.70, 0.55, 0.42),  # beige (close to many skins)
    (0.55, 0.15, 0.10),  # rust
)
WALLS = ((0.86, 0.84, 0.78), (0.62, 0.70, 0.78), (0.80, 0.74, 0.62), (0.55, 0.58, 0.55), (0.92, 0.92, 0.92))
PLATES = ((0.10, 0.10, 0.11), (0.70, 0.12, 0.12), (0.12, 0.28, 0.62), (0.15, 0.50, 0.20))
JUDGEABLE_OFF_DEG = 30.0  # side-on clips: at most this far off side-on
REFUSED_OFF_DEG = (70.0, 90.0)  # front / behind clips: this far off side-on


@dataclass(frozen=True)
class StressPlan:
    index: int
    exercise: str
    kind: str  # GOOD, VIEW or a fault code


def plan(n: int) -> list[StressPlan]:
    """Exercise and kind of each of the first n clips."""
    out = []
    for i in range(n):
        exercise = EXERCISE_ORDER[i % 3]
        cycle = KIND_CYCLE[exercise]
        out.append(StressPlan(i, exercise, cycle[(i // 3) % len(cycle)]))
    return out


def _pick(rng: np.random.Generator, items: tuple | list):
    return items[int(rng.integers(len(items)))]


def _subject(rng: np.random.Generator) -> Subject:
    name = _pick(rng, tuple(BODIES))
    targets, skin, hair = BODIES[name]
    shirt = _pick(rng, CLOTH_COLOURS)
    pants = _pick(rng, CLOTH_COLOURS)
    palette = Palette().with_overrides(
        {
            "skin": skin,
            "hair": hair,
            "brow": hair,
            "shirt": shirt,
            "pants": pants,
            "shoes": _pick(rng, ((0.9, 0.9, 0.9), (0.2, 0.2, 0.22), (0.6, 0.2, 0.2))),
        }
    )
    sleeves = _pick(rng, ("none", "short", "short", "long"))
    return Subject(name, dict(targets), Clothing(palette, sleeves))


def _camera(rng: np.random.Generator, exercise: str, judgeable: bool, from_front: bool) -> CameraSpec:
    if judgeable:
        side = _pick(rng, (0.0, 180.0))  # from the left or from the right
        off = rng.uniform(-JUDGEABLE_OFF_DEG, JUDGEABLE_OFF_DEG)
        yaw = side + off if side == 0.0 else side - off
    else:  # from the front (+90) or from behind (-90), up to 20 deg either way
        centre = 90.0 if from_front else -90.0
        yaw = centre + rng.uniform(-(90.0 - REFUSED_OFF_DEG[0]), 90.0 - REFUSED_OFF_DEG[0])
    yaw = float((yaw + 180.0) % 360.0 - 180.0)
    if exercise == "hip-hinge":
        height, distance = rng.uniform(0.7, 1.3), rng.uniform(2.6, 3.6)
    else:
        height, distance = rng.uniform(0.45, 1.2), rng.uniform(2.5, 3.5)
    return CameraSpec(yaw_deg=round(yaw, 1), height_m=round(height, 2), distance_m=round(distance, 2))


# Hip-hinge props by the clip's number within the exercise (shifted on each round of the
# kind pattern), so the dowel, dumbbells and barbell meet good form and faults alike.
PROP_CYCLE = (
    "none",
    "dowel",
    "dumbbells",
    "none",
    "barbell",
    "dowel",
    "none",
    "barbell",
    "dumbbells",
    "dowel",
    "none",
)


def _prop_kind(k: int) -> str:
    return PROP_CYCLE[(k + 5 * (k // len(PROP_CYCLE))) % len(PROP_CYCLE)]


def _look(rng: np.random.Generator, exercise: str, k: int) -> Look:
    width = _pick(rng, (320, 400, 480))
    noise = 0.0 if rng.uniform() < 0.3 else round(rng.uniform(1.0, 7.0), 1)
    props: tuple[Prop, ...] = ()
    if exercise == "hip-hinge":
        # Two draws kept only so that the other draws stay as they were first rendered.
        drawn = _pick(rng, ("none", "none", "none", "dowel", "dumbbells", "barbell"))
        plate = _pick(rng, PLATES) if drawn == "barbell" else PLATES[k % len(PLATES)]
        kind = _prop_kind(k)
        if kind == "dowel":
            props = (Prop("dowel", (0.78, 0.62, 0.40)),)
        elif kind == "dumbbells":
            props = (Prop("dumbbells", (0.12, 0.12, 0.13)),)
        elif kind == "barbell":
            props = (Prop("barbell", plate),)
    return Look(
        width=width,
        height=width * 3 // 4,
        wall_rgb=_pick(rng, WALLS),
        floor_tint=round(rng.uniform(0.6, 1.25), 2),
        clutter=0 if rng.uniform() < 0.25 else int(rng.integers(3, 13)),
        light=round(rng.uniform(0.35, 1.3), 2),
        warmth=round(rng.uniform(0.0, 1.0), 2),
        noise=noise,
        blur_px=0.0 if rng.uniform() < 0.5 else round(rng.uniform(0.5, 1.6), 2),
        jpeg_quality=0 if rng.uniform() < 0.5 else int(rng.integers(25, 81)),
        crf=int(rng.integers(28 if noise > 3 else 24, 35)),  # noise costs bits: keep the set small
        props=props,
    )


def _count(rng: np.random.Generator, budget_s: float, each_s: float) -> int:
    """1-10 reps, as many of a random count as fit the clip's time budget."""
    return int(max(1, min(int(rng.integers(1, 11)), budget_s // each_s)))


def _faulty(rng: np.random.Generator, n: int) -> set[int]:
    """Which of n reps show the fault: at least one, often all."""
    if n == 1 or rng.uniform() < 0.4:
        return set(range(n))
    k = int(rng.integers(1, n + 1))
    return {int(i) for i in rng.choice(n, size=k, replace=False)}


def _hinge(rng: np.random.Generator, kind: str, budget_s: float) -> tuple[HingeMotion, float, str]:
    tempo_class = _pick(rng, ("slow", "normal", "normal", "fast"))
    lo, hi = {"slow": (3.0, 4.5), "normal": (2.0, 3.0), "fast": (1.3, 1.9)}[tempo_class]
    pause_hi = 0.0 if rng.uniform() < 0.3 else rng.uniform(0.2, 1.2)
    n = _count(rng, budget_s, (lo + hi) / 2 + pause_hi / 2)
    bad = _faulty(rng, n) if kind not in (GOOD, VIEW) else set()
    standing_knee = rng.uniform(0.3, 1.2) if kind == "locked_knees" else rng.uniform(3.0, 7.0)
    reps = []
    for i in range(n):
        rep = dict(
            tempo_s=round(rng.uniform(lo, hi), 2),
            depth_deg=round(rng.uniform(55.0, 85.0), 1),
            knee_deg=round(rng.uniform(12.0, 25.0), 1),
            pause_s=round(rng.uniform(0.0, pause_hi), 2),
        )
        if i in bad:
            if kind == "rounded_back":
                rep["rounded_back_deg"] = round(rng.uniform(40.0, 50.0), 1)
            elif kind == "squatting":
                rep["squatting_knee_deg"] = round(rng.uniform(75.0, 95.0), 1)
                rep["depth_deg"] = round(rng.uniform(30.0, 40.0), 1)
            elif kind == "shallow_hinge":
                rep["depth_deg"] = round(rng.uniform(30.0, 38.0), 1)
            elif kind == "head_drop":
                rep["head_drop_deg"] = round(rng.uniform(38.0, 48.0), 1)
        if kind == "locked_knees":
            rep["locked_knees"] = i in bad
            rep["depth_deg"] = round(rng.uniform(62.0, 85.0), 1)  # deep enough to be judged hinged
        reps.append(HingeRep(**rep))
    if kind == GOOD and rng.uniform() < 0.25:  # a dip too small to count, somewhere
        at = int(rng.integers(0, len(reps) + 1))
        reps.insert(
            at, HingeRep(tempo_s=round(rng.uniform(1.4, 2.2), 2), depth_deg=round(rng.uniform(10, 15), 1))
        )
    start = "still"
    setup = 0.0 if rng.uniform() < 0.4 else round(rng.uniform(0.2, 1.2), 2)
    start_s = 0.0
    if setup == 0.0:
        start = "at once"
    if rng.uniform() < 0.3:  # start mid-movement: in the ascent of a rep the clip does not show whole
        lead = HingeRep(tempo_s=round(rng.uniform(2.0, 3.0), 2), depth_deg=round(rng.uniform(55, 80), 1))
        reps.insert(0, lead)
        setup = 0.0
        start_s = round(lead.tempo_s * rng.uniform(0.55, 0.8), 2)
        start = "mid-rep"
    motion = HingeMotion(reps=tuple(reps), setup_s=setup, standing_knee_deg=round(standing_knee, 1))
    return motion, start_s, start


def _plank(rng: np.random.Generator, kind: str, budget_s: float) -> tuple[PlankMotion, float, str]:
    style = "high" if kind == "shoulders_not_stacked" or rng.uniform() < 0.5 else "forearm"
    if rng.uniform() < 0.5:
        kneel, rise, start = 0.0, 0.0, "in position"
    else:
        kneel, rise, start = round(rng.uniform(0.0, 0.6), 2), round(rng.uniform(0.8, 1.5), 2), "kneeling"
    hold = round(max(3.5, budget_s - kneel - rise), 2)
    faults: tuple[PlankFault, ...] = ()
    if kind not in (GOOD, VIEW):
        size = {
            "hip_sag": rng.uniform(16.0, 25.0),
            "hip_pike": rng.uniform(16.0, 35.0),
            "head_drop": rng.uniform(34.0, 45.0),
            "shoulders_not_stacked": rng.uniform(0.20, 0.30),
        }[kind]
        from_start = rng.uniform() < 0.35
        begin = 0.0 if from_start else round(rng.uniform(1.5, max(1.6, hold - 2.5)), 2)
        faults = (
            PlankFault(
                kind, round(float(size), 3), begin, 0.0 if from_start else round(rng.uniform(0.3, 1.0), 2)
            ),
        )
    return PlankMotion(hold_s=hold, style=style, kneel_s=kneel, rise_s=rise, faults=faults), 0.0, start


def _catcow(rng: np.random.Generator, kind: str, budget_s: float) -> tuple[CatCowMotion, float, str]:
    if kind == "too_fast":
        lo, hi = 1.2, 2.0
    else:
        lo, hi = _pick(rng, ((3.2, 4.0), (3.5, 5.0)))
    n = _count(rng, budget_s, (lo + hi) / 2)
    if kind == "too_fast":
        n = max(n, 2)
    bad = _faulty(rng, n) if kind not in (GOOD, VIEW) else set()
    small_with_arms = rng.uniform() < 0.5
    cycles = []
    for i in range(n):
        c = dict(tempo_s=round(rng.uniform(lo, hi), 2), range=round(rng.uniform(0.75, 1.0), 2))
        if i in bad:
            if kind == "small_range":
                c["range"] = round(rng.uniform(0.15, 0.32), 2)
            elif kind == "moving_from_arms":
                c["elbow_deg"] = round(rng.uniform(35.0, 45.0), 1)
                if small_with_arms:
                    c["range"] = round(rng.uniform(0.15, 0.3), 2)
        if kind == "too_fast" and i not in bad:
            c["tempo_s"] = round(rng.uniform(3.2, 4.0), 2)
        cycles.append(CatCowCycle(**c))
    setup = 0.0 if rng.uniform() < 0.5 else round(rng.uniform(0.3, 1.2), 2)
    start = "at once" if setup == 0.0 else "still"
    start_s = 0.0
    if rng.uniform() < 0.3:  # start mid-cycle: the first, unlabelled cycle is already under way
        lead = CatCowCycle(tempo_s=round(rng.uniform(3.2, 4.5), 2), range=round(rng.uniform(0.75, 1.0), 2))
        cycles.insert(0, lead)
        setup = 0.0
        start_s = round(lead.tempo_s * rng.uniform(0.3, 0.7), 2)
        start = "mid-cycle"
    motion = CatCowMotion(
        cycles=tuple(cycles),
        setup_s=setup,
        end_s=round(rng.uniform(0.3, 1.0), 2),
        cow_first=bool(rng.uniform() < 0.5),
    )
    return motion, start_s, start


def _describe(
    p: StressPlan, motion: Motion, start: str, cam: CameraSpec, subject: Subject, look: Look
) -> str:
    what = "good form" if p.kind == GOOD else ("view not judgeable" if p.kind == VIEW else p.kind)
    if isinstance(motion, HingeMotion):
        body = f"{len(motion.reps)} hinge movement(s)"
    elif isinstance(motion, PlankMotion):
        body = f"{motion.style} plank, hold {motion.hold_s:.1f} s"
    else:
        body = f"{len(motion.cycles)} cat-cow cycle(s){', cow first' if motion.cow_first else ''}"
    from samples.synth.labels import off_side_on_deg, seen_from

    view = seen_from(cam.yaw_deg)
    view += f" {off_side_on_deg(cam.yaw_deg):.0f} deg off side-on" if view == "side" else ""
    props = "+".join(pr.kind for pr in look.props) or "no props"
    return (
        f"{what}: {body}, starts {start}; camera {view} (yaw {cam.yaw_deg:.0f}), {cam.height_m:.2f} m high, "
        f"{cam.distance_m:.2f} m away; {subject.name}, {subject.clothing.sleeves} sleeves; "
        f"{look.width}x{look.height}, light {look.light:.2f}, {look.clutter} clutter, noise {look.noise:g}, "
        f"blur {look.blur_px:g}, JPEG {look.jpeg_quality or '-'}, CRF {look.crf}; {props}"
    )


def stress_scenario(seed: int, p: StressPlan, fps: float = 15.0) -> Scenario:
    """Clip p.index of the stress set drawn with `seed`."""
    rng = np.random.default_rng([seed, p.index])
    budget = float(rng.uniform(5.0, 11.0))
    make = {"hip-hinge": _hinge, "plank": _plank, "cat-cow": _catcow}[p.exercise]
    motion, start_s, start = make(rng, p.kind, budget)
    k = p.index // 3  # the clip's number within its exercise
    views_before = (k // len(KIND_CYCLE[p.exercise])) * KIND_CYCLE[p.exercise].count(VIEW) + KIND_CYCLE[
        p.exercise
    ][: k % len(KIND_CYCLE[p.exercise])].count(VIEW)
    camera = _camera(rng, p.exercise, judgeable=p.kind != VIEW, from_front=views_before % 2 == 0)
    subject = _subject(rng)
    look = _look(rng, p.exercise, k)
    return Scenario(
        name=f"stress_{p.index:03d}_{SHORT[p.exercise]}_{p.kind}",
        exercise=p.exercise,  # type: ignore[arg-type]
        description=_describe(p, motion, start, camera, subject, look),
        subject=subject,
        camera=camera,
        motion=motion,
        seed=int(rng.integers(1, 2**31 - 1)),
        fps=fps,
        start_s=start_s,
        look=look,
    )


def stress_scenarios(n: int, seed: int, fps: float = 15.0) -> list[Scenario]:
    return [stress_scenario(seed, p, fps) for p in plan(n)]
