"""What an exercise *is*, declared once: everything `feedback/` needs to show, say, plot and
evaluate it without naming it.

Each exercise module ends with one `ExerciseSpec`; the registry holds them. Values that come
from the threshold table (meter targets, plot lines) are declared as field names and read from
the table in use, so a physio's TOML moves them too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

from exercises.base import Checker, Severity
from vision.landmarks import Joint


class Counts(StrEnum):
    """What an exercise counts."""

    REPS = "reps"
    HOLD = "hold"  # seconds held in good form


@dataclass(frozen=True, slots=True)
class Line:
    """A threshold drawn on a signal: `sign * table.<field>` (e.g. -max_pike_deg)."""

    field: str  # a field of the exercise's threshold table
    label: str  # what crossing it means, for a legend ("hips sag")
    sign: float = 1.0

    def value(self, table: Any) -> float:
        return self.sign * float(getattr(table, self.field))


@dataclass(frozen=True, slots=True)
class FaultInfo:
    """One fault as the user meets it: the correction, how much it matters, where it shows."""

    code: str  # as the checker reports it
    severity: Severity
    message: str  # the default correction
    joints: frozenset[Joint] = frozenset()  # drawn red on the skeleton while active
    signal: str | None = None  # the measurement it is judged on, plotted with `lines`
    lines: tuple[Line, ...] = ()


@dataclass(frozen=True, slots=True)
class AngleLabel:
    """A measurement drawn at a joint, labelled in words: "hip 120°", "hips 24° low".

    With both arms given the overlay also draws the arc between the two bones. `flexion`: the
    measurement is a bend from straight, shown as the joint angle (180 - bend) to match the arc.
    `positive`/`negative`: the words for the sign (the number is then shown without one).
    """

    measurement: str
    vertex: Joint
    words: str  # what is measured, e.g. "hips"
    arm_a: Joint | None = None
    arm_c: Joint | None = None
    faults: frozenset[str] = frozenset()  # codes that turn this label red
    flexion: bool = False
    positive: str | None = None  # e.g. "low" for hips below the line
    negative: str | None = None

    def text(self, value: float) -> str:
        shown = 180.0 - value if self.flexion else value
        if self.positive is None and self.negative is None:
            return f"{self.words} {shown:.0f}°"
        if round(shown) == 0:
            return f"{self.words} in line"
        word = self.positive if shown > 0 else self.negative
        return f"{self.words} {abs(shown):.0f}° {word or ''}".rstrip()


@dataclass(frozen=True, slots=True)
class Meter:
    """A range meter on one signal, its ends and targets in that signal's units."""

    measurement: str
    low_word: str
    high_word: str
    low_end: float
    high_end: float
    low_target: float | None = None
    high_target: float | None = None


@dataclass(frozen=True, slots=True)
class MeterSpec:
    """A range meter built from the threshold table: the targets are the table's values and
    the ends leave `headroom` beyond the larger target (never closer than `min_end`)."""

    measurement: str
    low_word: str
    high_word: str
    low_target: Line
    high_target: Line
    headroom: float = 1.6
    min_end: float = 0.0

    def build(self, table: Any) -> Meter:
        low, high = self.low_target.value(table), self.high_target.value(table)
        reach = max(self.min_end, self.headroom * max(abs(low), abs(high)))
        return Meter(self.measurement, self.low_word, self.high_word, -reach, reach, low, high)


@dataclass(frozen=True, slots=True)
class PlotSignal:
    """A measurement worth plotting and the range it is judged in: the plot's fixed scale, so
    one odd moment (kneeling down, a lost landmark) does not stretch the axis."""

    measurement: str
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class TruthSignal:
    """A measurement compared with a labelled truth series of the same quantity."""

    measurement: str
    truth: str  # key in the labels' truth series
    from_joint_angle: bool = False  # truth is a joint angle, the measurement a bend (180 - a)


@dataclass(frozen=True)
class ExerciseSpec:
    name: str  # CLI name and TOML section, e.g. "hip-hinge"
    title: str  # human name, e.g. "Hip hinge"
    checker: Callable[[Any], Checker]  # built with the threshold table
    thresholds: Any  # the default threshold table (a frozen dataclass)
    counts: Counts
    start_cue: str  # the words that get a person into the start position
    faults: tuple[FaultInfo, ...] = ()
    angles: tuple[AngleLabel, ...] = ()
    meter: MeterSpec | None = None
    plot_signals: tuple[PlotSignal, ...] = ()  # worth plotting, most important first
    evaluate_signals: tuple[str, ...] = ()  # compared with truth series by `backform evaluate`
    truth_signals: tuple[TruthSignal, ...] = ()  # compared with truth by the calibration bench
    scales: tuple[PlotSignal, ...] = ()  # judged range of other plotted signals (the faults' own)

    def __post_init__(self) -> None:
        names = {f.name for f in fields(self.thresholds)}
        lines = [ln for f in self.faults for ln in f.lines]
        if self.meter is not None:
            lines += [self.meter.low_target, self.meter.high_target]
        unknown = sorted({ln.field for ln in lines} - names)
        if unknown:
            raise ValueError(f"{self.name}: no threshold named {', '.join(unknown)}")

    @property
    def main_signals(self) -> tuple[str, ...]:
        return tuple(p.measurement for p in self.plot_signals)

    def scale_of(self, measurement: str) -> PlotSignal | None:
        """The range `measurement` is judged in, if the spec declares one."""
        return next((p for p in self.plot_signals + self.scales if p.measurement == measurement), None)

    def fault(self, code: str) -> FaultInfo | None:
        return next((f for f in self.faults if f.code == code), None)

    def joints_of(self, codes: frozenset[str] | set[str]) -> frozenset[Joint]:
        out: set[Joint] = set()
        for f in self.faults:
            if f.code in codes:
                out |= f.joints
        return frozenset(out)

    def table_of(self, checker: Checker) -> Any:
        """The threshold table `checker` judges with (its own if it has one, else the default)."""
        return checker.thresholds if checker.thresholds is not None else self.thresholds
