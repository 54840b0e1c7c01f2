"""Scenario descriptions: what one synthetic clip shows, read from samples/scenarios.toml."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from samples.synth.clothing import Clothing, Palette
from vision.errors import ConfigError

SCENARIOS_FILE = Path(__file__).resolve().parent.parent / "scenarios.toml"
Exercise = Literal["hip-hinge", "plank", "cat-cow"]
EXERCISES: tuple[str, ...] = ("hip-hinge", "plank", "cat-cow")
PLANK_FAULTS = ("hip_sag", "hip_pike", "head_drop", "shoulders_not_stacked")


@dataclass(frozen=True)
class CameraSpec:
    yaw_deg: float = 0.0
    height_m: float = 0.95
    distance_m: float = 2.75
    target_y_m: float | None = None  # look-at point; None = the exercise's default
    target_z_m: float | None = None


@dataclass(frozen=True)
class Prop:
    """An object the subject holds or wears that crosses the body's outline (hip hinge)."""

    kind: Literal["dowel", "dumbbells", "barbell"]
    colour: tuple[float, float, float] = (0.55, 0.40, 0.25)


@dataclass(frozen=True)
class Look:
    """How the clip looks, apart from the subject: frame size, room, light and the camera's
    imperfections. The defaults are the sample clips' plain room and clean camera."""

    width: int = 640
    height: int = 480
    wall_rgb: tuple[float, float, float] = (0.86, 0.84, 0.78)
    floor_tint: float = 1.0  # multiplies the wooden floor's colour
    clutter: int = 0  # furniture and things on the walls behind and beside the subject
    light: float = 1.0  # scales every light (0.4 = a dim room)
    warmth: float = 0.0  # 0 neutral .. 1 warm (tungsten) light
    noise: float = 0.0  # sensor noise, standard deviation in 8-bit levels
    blur_px: float = 0.0  # defocus blur (Gaussian sigma, pixels)
    jpeg_quality: int = 0  # 0 = none; else each frame goes through JPEG first (a webcam's MJPEG)
    crf: int | None = None  # x264 quality; None = the generator's --crf
    props: tuple[Prop, ...] = ()


@dataclass(frozen=True)
class Subject:
    name: str
    targets: dict[str, float]  # MakeHuman macro targets -> weight
    clothing: Clothing


@dataclass(frozen=True)
class HingeRep:
    """One hip-hinge repetition. depth_deg is the trunk inclination reached at the bottom;
    the fault fields give the size of a fault in this rep (0 / False = none)."""

    tempo_s: float = 3.0  # down + bottom pause + up
    depth_deg: float = 75.0
    knee_deg: float = 18.0  # knee flexion at the bottom in good form
    pause_s: float = 0.5  # standing still after the rep
    rounded_back_deg: float = 0.0  # spinal flexion at the bottom
    squatting_knee_deg: float = 0.0  # knee flexion at the bottom instead of knee_deg
    locked_knees: bool = False
    head_drop_deg: float = 0.0  # neck flexion at the bottom


@dataclass(frozen=True)
class HingeMotion:
    reps: tuple[HingeRep, ...]
    setup_s: float = 1.0  # standing before the first rep
    standing_knee_deg: float = 4.0


@dataclass(frozen=True)
class PlankFault:
    """A fault developing during the hold: eased in over ramp_s from start_s (seconds after
    the hold starts) and kept to the end. size: degrees (sag, pike, head drop) or metres of
    hand placement in front of the shoulders (shoulders_not_stacked)."""

    code: str
    size: float
    start_s: float = 0.0
    ramp_s: float = 1.0


@dataclass(frozen=True)
class PlankMotion:
    hold_s: float
    style: Literal["high", "forearm"] = "high"
    kneel_s: float = 0.0  # still on hands and knees first
    rise_s: float = 0.0  # then straightening into the plank (0 = the clip starts in position)
    faults: tuple[PlankFault, ...] = ()


@dataclass(frozen=True)
class CatCowCycle:
    tempo_s: float = 4.0  # one cat + one cow
    range: float = 1.0  # fraction of a full range of motion
    elbow_deg: float = 0.0  # elbow bend at the bottom of the cow half (moving from the arms)


@dataclass(frozen=True)
class CatCowMotion:
    cycles: tuple[CatCowCycle, ...]
    setup_s: float = 1.0  # still on hands and knees first
    end_s: float = 0.5
    cow_first: bool = False  # each cycle sinks into cow before rounding into cat


Motion = HingeMotion | PlankMotion | CatCowMotion


@dataclass(frozen=True)
class Scenario:
    name: str
    exercise: Exercise
    description: str
    subject: Subject
    camera: CameraSpec
    motion: Motion
    seed: int = 0
    fps: float = 30.0
    # The clip starts this far into the motion: > 0 starts mid-movement, and a rep or cycle
    # already under way at the first frame is not one the clip shows (not labelled).
    start_s: float = 0.0
    look: Look = field(default_factory=Look)

    def to_dict(self) -> dict[str, Any]:
        """The generator parameters as plain data, for the labels file."""
        out = asdict(self)
        out["subject"] = {
            "name": self.subject.name,
            "targets": dict(self.subject.targets),
            "sleeves": self.subject.clothing.sleeves,
        }
        return out


def _build(cls: type, data: dict[str, Any], where: str) -> Any:
    """A dataclass from a TOML table, refusing unknown keys (typos must not pass silently)."""
    names = {f.name for f in fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    try:
        return cls(**data)
    except TypeError as err:
        raise ConfigError(f"{where}: {err}") from None


def _subject(name: str, table: dict[str, Any]) -> Subject:
    where = f"subject {name!r}"
    extra = set(table) - {"targets", "palette", "sleeves"}
    if extra or "targets" not in table:
        raise ConfigError(f"{where}: needs 'targets' and allows only 'palette' and 'sleeves'")
    try:
        palette = Palette().with_overrides(table.get("palette", {}))
    except ValueError as err:
        raise ConfigError(f"{where}: {err}") from None
    sleeves = table.get("sleeves", "short")
    if sleeves not in ("none", "short", "long"):
        raise ConfigError(f"{where}: sleeves must be none, short or long")
    return Subject(name, {str(k): float(v) for k, v in table["targets"].items()}, Clothing(palette, sleeves))


def _motion(exercise: str, table: dict[str, Any], where: str) -> Motion:
    if exercise == "hip-hinge":
        reps = tuple(_build(HingeRep, r, f"{where} rep {i + 1}") for i, r in enumerate(table.pop("reps", [])))
        return _build(HingeMotion, {**table, "reps": reps}, where)
    if exercise == "plank":
        faults = tuple(_build(PlankFault, f, f"{where} fault") for f in table.pop("faults", []))
        for f in faults:
            if f.code not in PLANK_FAULTS:
                raise ConfigError(f"{where}: unknown plank fault {f.code!r}")
        return _build(PlankMotion, {**table, "faults": faults}, where)
    cycles = tuple(
        _build(CatCowCycle, c, f"{where} cycle {i + 1}") for i, c in enumerate(table.pop("cycles", []))
    )
    return _build(CatCowMotion, {**table, "cycles": cycles}, where)


def parse_scenarios(text: str) -> dict[str, Scenario]:
    """All clips of a scenarios TOML document, by name, in file order."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"scenarios file is not valid TOML: {err}") from None
    subjects = {name: _subject(name, t) for name, t in doc.get("subjects", {}).items()}
    scenarios = {}
    for name, raw in doc.get("clips", {}).items():
        where = f"clip {name!r}"
        table = dict(raw)
        common = {
            k: table.pop(k)
            for k in ("exercise", "description", "subject", "camera", "seed", "fps")
            if k in table
        }
        exercise = common.get("exercise")
        if exercise not in EXERCISES:
            raise ConfigError(f"{where}: exercise must be one of {', '.join(EXERCISES)}")
        subject_name = common.get("subject", "")
        if subject_name not in subjects:
            raise ConfigError(f"{where}: unknown subject {subject_name!r}")
        scenarios[name] = Scenario(
            name=name,
            exercise=exercise,
            description=str(common.get("description", "")),
            subject=subjects[subject_name],
            camera=_build(CameraSpec, common.get("camera", {}), f"{where} camera"),
            motion=_motion(exercise, table, where),
            seed=int(common.get("seed", 0)),
            fps=float(common.get("fps", 30.0)),
        )
    return scenarios


def load_scenarios(path: Path = SCENARIOS_FILE) -> dict[str, Scenario]:
    try:
        text = path.read_text()
    except OSError as err:
        raise ConfigError(f"cannot read scenarios file {path}: {err.strerror}") from None
    return parse_scenarios(text)
