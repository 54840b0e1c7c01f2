"""What the history holds, as dataclasses, and how a session report becomes one row of it."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

FEELINGS = ("better", "same", "worse")  # daily tasks and last night's sleep, as the journal asks
KINDS = ("live", "routine", "analyze")
PAIN_MAX = 10
STAMP_FORMAT = "%Y-%m-%d_%H-%M-%S"  # session folder and journal file names


@dataclass(frozen=True)
class Comfort:
    """The journal answers around one session; every field may be skipped."""

    pain_before: int | None = None
    pain_after: int | None = None
    note: str | None = None
    daily_tasks: str | None = None  # better / same / worse
    sleep: str | None = None  # better / same / worse
    stopped_for_pain: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "pain_before": self.pain_before,
            "pain_after": self.pain_after,
            "note": self.note,
            "daily_tasks": self.daily_tasks,
            "sleep": self.sleep,
            "stopped_for_pain": self.stopped_for_pain,
        }

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> Comfort:
        return Comfort(
            pain_before=check_pain(d.get("pain_before")),
            pain_after=check_pain(d.get("pain_after")),
            note=_text(d.get("note")),
            daily_tasks=check_feeling(d.get("daily_tasks")),
            sleep=check_feeling(d.get("sleep")),
            stopped_for_pain=bool(d.get("stopped_for_pain", False)),
        )


@dataclass(frozen=True)
class ExerciseResult:
    """One exercise of a session, in the numbers the history tracks."""

    exercise: str
    reps: int = 0
    good_reps: int = 0  # completed reps without a fault
    hold_s: float = 0.0
    best_hold_s: float = 0.0
    duration_s: float = 0.0
    main_fault: str | None = None  # the fault present longest
    range_signal: str | None = None  # the exercise's main signal ...
    range_low: float | None = None  # ... its 2nd and 98th percentile over the session
    range_high: float | None = None

    @property
    def range_span(self) -> float | None:
        if self.range_low is None or self.range_high is None:
            return None
        return self.range_high - self.range_low


@dataclass(frozen=True)
class SessionEntry:
    uid: str  # the session folder's name, e.g. 2026-11-30_18-05-12
    kind: str  # live / routine / analyze
    started_at: datetime
    results: tuple[ExerciseResult, ...]
    comfort: Comfort = field(default_factory=Comfort)
    duration_s: float = 0.0
    folder: str | None = None
    source: str | None = None
    partial: bool = False

    @property
    def good_reps(self) -> int:
        return sum(r.good_reps for r in self.results)

    @property
    def reps(self) -> int:
        return sum(r.reps for r in self.results)

    @property
    def hold_s(self) -> float:
        return sum(r.hold_s for r in self.results)


@dataclass(frozen=True)
class JournalEntry:
    uid: str
    at: datetime
    pain: int | None = None
    note: str | None = None
    daily_tasks: str | None = None
    sleep: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(timespec="seconds"),
            "pain": self.pain,
            "note": self.note,
            "daily_tasks": self.daily_tasks,
            "sleep": self.sleep,
        }


def check_pain(value: Any) -> int | None:
    """A pain score 0-10, or None; anything else is a ValueError (callers phrase it)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ValueError(f"pain must be a whole number 0-{PAIN_MAX}, not {value!r}")
    if not 0 <= int(value) <= PAIN_MAX:
        raise ValueError(f"pain must be 0-{PAIN_MAX}, not {value}")
    return int(value)


def check_feeling(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip().lower()
    if text not in FEELINGS:
        raise ValueError(f"expected one of {', '.join(FEELINGS)}, not {value!r}")
    return text


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())  # one line, as the journal keeps it
    return text or None


def _number(value: Any, default: float = 0.0) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) else default


def range_of(
    series: Mapping[str, Sequence[Any]], main_signals: Sequence[str]
) -> tuple[str, float, float] | None:
    """(signal, low, high): the span of the first main signal measured on 5+ frames, 2nd to
    98th percentile (the live summary's "range reached"; robust to a few wild frames)."""
    for name in main_signals:
        values = np.asarray([_number(v, math.nan) for v in series.get(name) or []], dtype=float)
        values = values[np.isfinite(values)]
        if values.size >= 5:
            low, high = np.percentile(values, [2, 98])
            return name, round(float(low), 4), round(float(high), 4)
    return None


def result_from_report(report: Mapping[str, Any]) -> ExerciseResult:
    """The history's numbers from a report's JSON form (`Report.to_dict()`, report.json)."""
    exercise = report.get("exercise")
    if not isinstance(exercise, str) or not exercise:
        raise ValueError("the report names no exercise")
    reps = [r for r in report.get("reps") or [] if isinstance(r, Mapping)]
    fault_time = {str(code): _number(seconds) for code, seconds in (report.get("fault_time_s") or {}).items()}
    main_fault = max(fault_time.items(), key=lambda kv: kv[1])[0] if fault_time else None
    reached = range_of(report.get("series") or {}, list(report.get("main_signals") or []))
    return ExerciseResult(
        exercise=exercise,
        reps=int(_number(report.get("rep_count"))),
        good_reps=sum(1 for r in reps if not r.get("faults")),
        hold_s=round(_number(report.get("hold_s")), 3),
        best_hold_s=round(_number(report.get("best_hold_s")), 3),
        duration_s=round(_number(report.get("duration_s")), 3),
        main_fault=main_fault,
        range_signal=reached[0] if reached else None,
        range_low=reached[1] if reached else None,
        range_high=reached[2] if reached else None,
    )


def stamp_time(name: str) -> datetime | None:
    """The local time in a session folder or journal file name (<stamp>[-N]), or None."""
    try:
        return datetime.strptime(name[:19], STAMP_FORMAT)
    except ValueError:
        return None
