"""What a routine is (a sequence of exercises with reps or holds, sets and rests), the built-in
default, a physio's TOML file, and the words the routine says between sets. Pure: no camera,
no window; the runner (`feedback.routine_run`) plays it.

Which exercises exist and whether each counts reps or a hold comes from the exercise
registry, so a new exercise can be put in a routine without touching this file.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exercises.registry import SPECS, find_spec
from exercises.spec import Counts, ExerciseSpec
from vision.errors import ConfigError

ROUTINE_COMPLETE = "Routine complete"
PAIN_STOP = "Stopping for pain. Rest now."
PAIN_ADVICE = (
    "Sharp pain that lasts beyond a breath or two means stop. Next time try an easier variant "
    "(fewer reps, a shorter hold, a smaller range) or ask a clinician or physiotherapist first."
)
MAX_REPS, MAX_SETS, MAX_SECONDS = 100, 20, 600.0
TOP_KEYS = ("name", "exercise")
STEP_KEYS = ("exercise", "reps", "hold_s", "sets", "rest_s")


@dataclass(frozen=True)
class Step:
    """One exercise of a routine: `sets` sets of `reps` reps (or a `hold_s` hold), with
    `rest_s` seconds of rest after each set (none after the routine's very last set)."""

    exercise: str
    sets: int = 1
    reps: int | None = None
    hold_s: float | None = None
    rest_s: float = 0.0

    @property
    def spec(self) -> ExerciseSpec:
        spec = find_spec(self.exercise)
        if spec is None:
            raise ConfigError(f"Unknown exercise '{self.exercise}'. Choose one of: {', '.join(SPECS)}")
        return spec

    def reached(self, rep_count: int, hold_s: float) -> bool:
        """Whether a set with this count and hold is complete."""
        if self.reps is not None:
            return rep_count >= self.reps
        return self.hold_s is not None and hold_s >= self.hold_s


@dataclass(frozen=True)
class Routine:
    name: str
    steps: tuple[Step, ...]

    def rest_after(self, index: int, set_no: int) -> float:
        """Seconds of rest after set `set_no` (1-based) of step `index`; none after the last set."""
        last = index == len(self.steps) - 1 and set_no == self.steps[index].sets
        return 0.0 if last else self.steps[index].rest_s


# The gentle back routine issue 14 asks for.
DEFAULT_ROUTINE = Routine(
    "Gentle back routine",
    (
        Step("cat-cow", reps=8),
        Step("hip-hinge", reps=8),
        Step("plank", sets=3, hold_s=20.0, rest_s=30.0),
    ),
)


def load_routine(path: Path) -> Routine:
    """A routine file (TOML), checked; ConfigError naming the key for any mistake."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(
            f"Cannot read the routine file {path}: {getattr(err, 'strerror', None) or err}."
        ) from None
    return parse_routine(text, Path(path).name)


def parse_routine(text: str, where: str = "routine") -> Routine:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{where}: not valid TOML ({err}).") from None
    _no_unknown_keys(data, TOP_KEYS, where)
    name = data.get("name", Path(where).stem)
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: 'name' must be a line of text.")
    entries = data.get("exercise")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(
            f'{where}: no exercises: add [[exercise]] tables (exercise = "{next(iter(SPECS))}", ...).'
        )
    steps = tuple(_step(entry, f"{where}: [[exercise]] {i}") for i, entry in enumerate(entries, 1))
    return Routine(name.strip(), steps)


def _step(entry: Any, where: str) -> Step:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: must be a table of keys ({', '.join(STEP_KEYS)}).")
    name = entry.get("exercise")
    spec = find_spec(name) if isinstance(name, str) else None
    if spec is None:
        raise ConfigError(f"{where}: 'exercise' must be one of {', '.join(SPECS)}, not {name!r}.")
    where = f"{where} ({name})"
    _no_unknown_keys(entry, STEP_KEYS, where)
    wanted, unwanted = ("reps", "hold_s") if spec.counts == Counts.REPS else ("hold_s", "reps")
    if unwanted in entry:
        raise ConfigError(
            f"{where}: '{unwanted}' does not apply ({name} counts {spec.counts}); give '{wanted}'."
        )
    if wanted not in entry:
        raise ConfigError(f"{where}: '{wanted}' is missing ({name} counts {spec.counts}).")
    reps = _whole(entry, "reps", where, 1, MAX_REPS) if wanted == "reps" else None
    hold = _seconds(entry, "hold_s", where, 0.5) if wanted == "hold_s" else None
    sets = _whole(entry, "sets", where, 1, MAX_SETS, default=1)
    rest = _seconds(entry, "rest_s", where, 0.0, default=0.0)
    return Step(name, sets=sets, reps=reps, hold_s=hold, rest_s=rest)


def _no_unknown_keys(table: dict, known: tuple[str, ...], where: str) -> None:
    unknown = [k for k in table if k not in known]
    if unknown:
        raise ConfigError(f"{where}: unknown key '{unknown[0]}' (known: {', '.join(known)}).")


def _whole(entry: dict, key: str, where: str, low: int, high: int, default: int | None = None) -> int:
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{where}: '{key}' must be a whole number {low}-{high}, not {value!r}.")
    return value


def _seconds(entry: dict, key: str, where: str, low: float, default: float | None = None) -> float:
    value = entry.get(key, default)
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or not low <= value <= MAX_SECONDS:
        raise ConfigError(f"{where}: '{key}' must be seconds from {low:g} to {MAX_SECONDS:g}, not {value!r}.")
    return float(value)


# -- the words --------------------------------------------------------------------------------
def _seconds_words(seconds: float) -> str:
    return f"{seconds:g} second" + ("" if seconds == 1 else "s")


def target_words(step: Step) -> str:
    """ "8 reps", "3 sets of 8 reps", "20 seconds", "3 holds of 20 seconds"."""
    if step.reps is not None:
        one = f"{step.reps} rep" + ("" if step.reps == 1 else "s")
        return one if step.sets == 1 else f"{step.sets} sets of {one}"
    one = _seconds_words(step.hold_s or 0.0)
    return f"{one} hold" if step.sets == 1 else f"{step.sets} holds of {one}"


def exercise_announcement(step: Step, first: bool) -> str:
    """What is said (and shown) before an exercise: what, how much, how to get in position."""
    spec = step.spec
    return f"{'First' if first else 'Next'}: {spec.title.lower()}, {target_words(step)}. {spec.start_cue}"


def set_announcement(step: Step, set_no: int) -> str:
    return f"Set {set_no} of {step.sets}"


@dataclass(frozen=True)
class Call:
    at_s: float  # seconds into the rest
    text: str


def rest_calls(rest_s: float) -> list[Call]:
    """The rest counted down aloud: its length, then every ten seconds and the last three."""
    total = round(rest_s)
    calls = [Call(0.0, f"Rest {_seconds_words(total)}")]
    marks = sorted({r for r in range(10, total, 10)} | {r for r in (3, 2, 1) if r < total}, reverse=True)
    calls += [Call(rest_s - r, str(r)) for r in marks]
    return calls


def rest_seconds_left(rest_s: float, elapsed_s: float) -> int:
    """The whole seconds shown on the rest screen (counts down to 1, never 0)."""
    return max(1, math.ceil(rest_s - elapsed_s - 1e-9))
