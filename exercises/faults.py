"""Turning per-frame fault conditions into stable fault episodes.

A condition must hold for `on_ms` before a fault shows (one noisy frame is not a fault) and
be gone for `off_ms` before it clears (no flicker at the threshold). The episode's `since_ms`
is the first frame the condition held.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from exercises.base import Fault, Severity
from exercises.spec import FaultInfo


@dataclass(frozen=True, slots=True)
class FaultSpec:
    code: str
    severity: Severity
    message: str  # default correction; a condition may supply a more specific one
    on_ms: float = 200.0
    off_ms: float = 300.0

    @staticmethod
    def of(info: FaultInfo, on_ms: float = 200.0, off_ms: float = 300.0) -> FaultSpec:
        """The tracker's view of a fault the exercise's spec declares (code, severity, message)."""
        return FaultSpec(info.code, info.severity, info.message, on_ms, off_ms)


def tracked(
    faults: Iterable[FaultInfo], on_ms: float, timing: Mapping[str, tuple[float, float]] | None = None
) -> tuple[FaultSpec, ...]:
    """Tracker specs for an exercise's declared faults: each must hold `on_ms` to show and be
    gone 300 ms to clear, unless `timing[code]` gives its own (on_ms, off_ms). Severity and
    message come from the declaration, so they are written in one place only."""
    timing = timing or {}
    return tuple(
        FaultSpec.of(f, *timing[f.code]) if f.code in timing else FaultSpec.of(f, on_ms) for f in faults
    )


@dataclass
class _Episode:
    first_true: float | None = None  # condition held since (pending or active)
    last_true: float | None = None
    active: bool = False
    since: float = 0.0
    message: str = ""


class FaultTracker:
    """Debounces fault conditions; `update` returns the active faults, most severe first."""

    def __init__(self, specs: Iterable[FaultSpec], max_gap_ms: float = 500.0) -> None:
        self.specs = {s.code: s for s in specs}
        self.max_gap_ms = max_gap_ms
        self.reset()

    def reset(self) -> None:
        self._ep = {code: _Episode() for code in self.specs}
        self._last_judged: float | None = None

    def update(self, t_ms: float, conditions: Mapping[str, bool | str | None]) -> tuple[Fault, ...]:
        """`conditions[code]`: False/None = not present, True = present (default message),
        a string = present with that message. Codes not given count as not present."""
        if self._last_judged is not None and t_ms - self._last_judged > self.max_gap_ms:
            self.reset()
        self._last_judged = t_ms
        for code, spec in self.specs.items():
            ep = self._ep[code]
            cond = conditions.get(code)
            if cond:
                if ep.first_true is None:
                    ep.first_true = t_ms
                ep.last_true = t_ms
                ep.message = cond if isinstance(cond, str) else spec.message
                if not ep.active and t_ms - ep.first_true >= spec.on_ms:
                    ep.active, ep.since = True, ep.first_true
            else:
                if ep.active:
                    if ep.last_true is not None and t_ms - ep.last_true >= spec.off_ms:
                        ep.active = False
                        ep.first_true = None
                else:
                    ep.first_true = None
        return self.active()

    def pending(self, codes: Iterable[str], held_ms: float = 0.0) -> bool:
        """One of `codes` has its condition present for at least `held_ms`, but not yet held
        long enough to show."""
        return any(
            not ep.active
            and ep.first_true is not None
            and ep.last_true is not None
            and ep.last_true - ep.first_true >= held_ms
            for ep in (self._ep[c] for c in codes if c in self._ep)
        )

    def hold(self, t_ms: float) -> tuple[Fault, ...]:
        """An unjudgeable frame: keep episodes (a short dropout does not end a fault) but show
        nothing, since nothing can be seen; a long gap forgets them."""
        if self._last_judged is not None and t_ms - self._last_judged > self.max_gap_ms:
            self.reset()
        return ()

    def active(self) -> tuple[Fault, ...]:
        faults = [
            Fault(code, self.specs[code].severity, ep.message, ep.since)
            for code, ep in self._ep.items()
            if ep.active
        ]
        faults.sort(key=lambda f: (-f.severity, f.since_ms, f.code))
        return tuple(faults)


def dated_from(faults: tuple[Fault, ...], began: Mapping[str, float | None]) -> tuple[Fault, ...]:
    """Faults judged on a whole movement (a cycle's range, a rep's depth) are known only once
    it is over; each one in `began` (code -> when the movement it judges began, None if none)
    is dated from then, so the report puts it on the movement it is about, not just after it."""
    return tuple(
        replace(f, since_ms=min(f.since_ms, start)) if (start := began.get(f.code)) is not None else f
        for f in faults
    )
