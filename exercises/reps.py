"""Rep counting and hold timing: small state machines over one signal, robust to jitter.

All three take the frame time and a value (or None when the frame cannot be judged) and
return what happened on that frame. They never look at landmarks; the checkers decide which
signal drives them. Shared rules:
- hysteresis: the threshold that starts a phase is not the one that ends it;
- dwell: a crossing must last `dwell_ms` before the phase changes (one noisy frame is not
  a rep), and the change is dated back to the crossing;
- dropouts: gaps of unjudgeable frames up to `max_gap_ms` change nothing; longer gaps
  abandon the rep or hold in progress and return to setup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class RepPhase(Enum):
    SETUP = "setup"  # not yet settled in the start position
    REST = "rest"  # in the start position, ready for a rep
    ACTIVE = "active"  # a rep is in progress


@dataclass(frozen=True, slots=True)
class RepRule:
    """Thresholds of a rep, in the units of the driving signal.

    With rising=True the signal grows from rest to target (e.g. trunk inclination); with
    rising=False it falls. A rep: leaves rest past `start`, reaches `target`, returns past
    `rest`. `rest` lies between the rest position and `start` (hysteresis).
    """

    start: float
    rest: float
    target: float
    rising: bool = True
    dwell_ms: float = 100.0
    settle_ms: float = 500.0  # at rest this long before the first rep: setup is not a rep
    max_gap_ms: float = 500.0
    min_partial_ms: float = 400.0  # shorter aborted excursions are jitter, not partial reps

    def __post_init__(self) -> None:
        s = 1.0 if self.rising else -1.0
        if not (s * self.rest < s * self.start <= s * self.target):
            raise ValueError("rep thresholds must satisfy rest < start <= target along the movement")


@dataclass(frozen=True, slots=True)
class RepOutcome:
    """A rep boundary seen on this frame."""

    kind: str  # "started" | "completed" | "partial"
    t_ms: float  # when the boundary crossing happened (dated back over the dwell)
    start_ms: float
    index: int | None = None  # 1-based, completed reps only
    peak: float = 0.0  # furthest value reached, in signal units
    peak_ms: float = 0.0


class _Crossing:
    """Tracks how long a condition has held, tolerating unjudgeable frames."""

    def __init__(self) -> None:
        self.since: float | None = None

    def update(self, condition: bool, t_ms: float) -> None:
        if condition:
            if self.since is None:
                self.since = t_ms
        else:
            self.since = None

    def held(self, t_ms: float, dwell_ms: float) -> bool:
        return self.since is not None and t_ms - self.since >= dwell_ms


class RepCounter:
    """Counts reps of a rest -> target -> rest movement."""

    def __init__(self, rule: RepRule) -> None:
        self.rule = rule
        self.reset()

    def reset(self) -> None:
        self.phase = RepPhase.SETUP
        self.count = 0
        self.partials = 0
        self._last_judged: float | None = None
        self._rest = _Crossing()
        self._out = _Crossing()
        self._above_ms = 0.0  # time at or past the target in the rep in progress
        self._prev_t: float | None = None
        self._start_ms = 0.0
        self._peak = float("-inf")
        self._peak_ms = 0.0
        self._reached = False

    @property
    def in_rep(self) -> bool:
        return self.phase is RepPhase.ACTIVE

    @property
    def reached(self) -> bool:
        """The rep in progress has reached its target."""
        return self.phase is RepPhase.ACTIVE and self._reached

    @property
    def peak(self) -> float | None:
        """Furthest value of the rep in progress (signal units), None outside a rep."""
        if self.phase is not RepPhase.ACTIVE:
            return None
        return self._peak if self.rule.rising else -self._peak

    @property
    def rep_start_ms(self) -> float | None:
        return self._start_ms if self.phase is RepPhase.ACTIVE else None

    def _abandon(self, t_ms: float) -> list[RepOutcome]:
        out = []
        if self.phase is RepPhase.ACTIVE and t_ms - self._start_ms >= self.rule.min_partial_ms:
            self.partials += 1
            out.append(self._outcome("partial", t_ms))
        self.phase = RepPhase.SETUP
        for c in (self._rest, self._out):
            c.since = None
        return out

    def _outcome(self, kind: str, t_ms: float, index: int | None = None) -> RepOutcome:
        peak = self._peak if self.rule.rising else -self._peak
        return RepOutcome(kind, t_ms, self._start_ms, index, peak, self._peak_ms)

    def update(self, t_ms: float, value: float | None) -> list[RepOutcome]:
        """Feed one frame; `value` None = the frame cannot be judged (no person, wrong view,
        out of position)."""
        r = self.rule
        if value is None:
            if self._last_judged is not None and t_ms - self._last_judged > r.max_gap_ms:
                last, self._last_judged = self._last_judged, None
                return self._abandon(last)
            return []
        out: list[RepOutcome] = []
        if self._last_judged is not None and t_ms - self._last_judged > r.max_gap_ms:
            out += self._abandon(self._last_judged)  # a gap longer than tolerated, seen only now
        self._last_judged = t_ms
        return out + self._step(t_ms, value)

    def _step(self, t_ms: float, value: float) -> list[RepOutcome]:
        r = self.rule
        s = 1.0 if r.rising else -1.0
        v = s * value
        dt = 0.0 if self._prev_t is None else min(t_ms - self._prev_t, r.max_gap_ms)
        self._prev_t = t_ms
        self._rest.update(v < s * r.rest, t_ms)
        self._out.update(v > s * r.start, t_ms)

        if self.phase is RepPhase.SETUP:
            if self._rest.held(t_ms, r.settle_ms):
                self.phase = RepPhase.REST
            return []
        if self.phase is RepPhase.REST:
            if self._out.held(t_ms, r.dwell_ms):
                self.phase = RepPhase.ACTIVE
                self._start_ms = self._out.since or t_ms
                self._peak, self._peak_ms = v, t_ms
                self._above_ms = 0.0
                self._reached = False
                return [RepOutcome("started", self._start_ms, self._start_ms, None, value, t_ms)]
            return []
        # ACTIVE
        if v > self._peak:
            self._peak, self._peak_ms = v, t_ms
        # Reaching the target is a latch; time past it accumulates over the rep so that noise
        # hovering around the target still counts once, while one stray frame does not.
        if v >= s * r.target:
            self._above_ms += dt
            if self._above_ms >= r.dwell_ms:
                self._reached = True
        if self._rest.held(t_ms, r.dwell_ms):
            end = self._rest.since or t_ms
            self.phase = RepPhase.REST
            if self._reached:
                self.count += 1
                return [self._outcome("completed", end, self.count)]
            if end - self._start_ms >= r.min_partial_ms:
                self.partials += 1
                return [self._outcome("partial", end)]
        return []


# --------------------------------------------------------------------------- cycles


@dataclass(frozen=True, slots=True)
class CycleRule:
    """Two-sided oscillation around a neutral value (cat-cow): + side and - side.

    A side is entered when the signal passes `*_enter` and left when it comes back past
    `*_exit` (hysteresis). A cycle = both sides visited, in either order; it completes when
    the signal leaves the second side.
    """

    pos_enter: float
    pos_exit: float
    neg_enter: float
    neg_exit: float
    dwell_ms: float = 100.0
    settle_ms: float = 500.0
    max_gap_ms: float = 500.0

    def __post_init__(self) -> None:
        if not (self.neg_enter < self.neg_exit < self.pos_exit < self.pos_enter):
            raise ValueError("cycle thresholds must satisfy neg_enter < neg_exit < pos_exit < pos_enter")


@dataclass(frozen=True, slots=True)
class CycleOutcome:
    kind: str  # "started" | "completed" | "partial" | "extreme" (a side was left: its peak is known)
    t_ms: float
    start_ms: float
    index: int | None = None
    pos_peak: float | None = None  # furthest + value in this cycle
    neg_peak: float | None = None  # furthest - value
    period_ms: float | None = None  # estimated full-cycle duration (2 x peak-to-peak time)
    side: int = 0  # for "extreme": +1 / -1


class CycleCounter:
    """Counts full two-sided cycles (e.g. cat -> cow)."""

    def __init__(self, rule: CycleRule) -> None:
        self.rule = rule
        self.reset()

    def reset(self) -> None:
        self.count = 0
        self.partials = 0
        self.settled = False
        self._settle = _Crossing()
        self._last_judged: float | None = None
        self._side = 0  # current side: +1, -1, 0 neutral
        self._enter = {1: _Crossing(), -1: _Crossing()}
        self._leave = {1: _Crossing(), -1: _Crossing()}
        self._new_cycle()

    def _new_cycle(self) -> None:
        self._visited: list[int] = []
        self._peaks: dict[int, tuple[float, float]] = {}  # side -> (|value|, t_ms)
        self._entered: dict[int, float] = {}
        self._centres: dict[int, float] = {}  # side -> middle of its excursion (ms)
        self._start_ms: float | None = None

    @property
    def side(self) -> int:
        return self._side

    @property
    def in_cycle(self) -> bool:
        return bool(self._visited)

    def _peak_value(self, side: int) -> float | None:
        p = self._peaks.get(side)
        return None if p is None else side * p[0]

    def _outcome(self, kind: str, t_ms: float, index: int | None = None, side: int = 0) -> CycleOutcome:
        # The middle of each excursion (between entering and leaving a side) is a steadier
        # clock than the time of the peak, which wanders along a flat, noisy top.
        period = None
        if 1 in self._centres and -1 in self._centres:
            period = 2.0 * abs(self._centres[1] - self._centres[-1])
        return CycleOutcome(
            kind,
            t_ms,
            self._start_ms if self._start_ms is not None else t_ms,
            index,
            self._peak_value(1),
            self._peak_value(-1),
            period,
            side,
        )

    def update(self, t_ms: float, value: float | None) -> list[CycleOutcome]:
        r = self.rule
        if value is None:
            if self._last_judged is not None and t_ms - self._last_judged > r.max_gap_ms:
                last, self._last_judged = self._last_judged, None
                return self._abandon(last)
            return []
        out: list[CycleOutcome] = []
        if self._last_judged is not None and t_ms - self._last_judged > r.max_gap_ms:
            out += self._abandon(self._last_judged)
        self._last_judged = t_ms

        if not self.settled:
            # Settle in the neutral zone first: getting down onto hands and knees is no cycle.
            self._settle.update(r.neg_enter < value < r.pos_enter, t_ms)
            if self._settle.held(t_ms, r.settle_ms):
                self.settled = True
            return out

        self._enter[1].update(value > r.pos_enter, t_ms)
        self._enter[-1].update(value < r.neg_enter, t_ms)
        self._leave[1].update(value < r.pos_exit, t_ms)
        self._leave[-1].update(value > r.neg_exit, t_ms)

        if self._side != 0:
            s = self._side
            peak = self._peaks.get(s)
            if peak is None or s * value > peak[0]:
                self._peaks[s] = (s * value, t_ms)
            if self._leave[s].held(t_ms, r.dwell_ms):
                left_at = self._leave[s].since or t_ms
                self._centres[s] = (self._entered.get(s, left_at) + left_at) / 2.0
                self._side = 0
                out.append(self._outcome("extreme", left_at, side=s))
                if len(self._visited) == 2:
                    self.count += 1
                    out.append(self._outcome("completed", left_at, self.count))
                    self._new_cycle()
            return out

        for s in (1, -1):
            if self._enter[s].held(t_ms, r.dwell_ms):
                entered = self._enter[s].since or t_ms
                if s in self._visited:
                    # Same side twice without the other: the earlier half was a partial cycle.
                    self.partials += 1
                    out.append(self._outcome("partial", entered))
                    self._new_cycle()
                if not self._visited:
                    self._start_ms = entered
                    out.append(CycleOutcome("started", entered, entered))
                self._visited.append(s)
                self._entered[s] = entered
                self._side = s
                self._peaks[s] = (s * value, t_ms)
                break
        return out

    def _abandon(self, t_ms: float) -> list[CycleOutcome]:
        out = []
        if self._visited:
            self.partials += 1
            out.append(self._outcome("partial", t_ms))
        self._new_cycle()
        self._side = 0
        self.settled = False
        self._settle.since = None
        return out


# ---------------------------------------------------------------------------- holds


@dataclass(frozen=True, slots=True)
class HoldOutcome:
    kind: str  # "started" | "stopped"
    t_ms: float
    start_ms: float
    duration_s: float = 0.0
    faults: tuple[str, ...] = ()  # faults that broke the hold (stopped only)


@dataclass
class HoldTimer:
    """Time spent holding a position with valid form.

    The hold starts once the "in position and form valid" predicate has held for `settle_ms`
    (dated back to when it became true: the settling is part of the hold, but getting into
    position, while the predicate is false, never is). A predicate lapse shorter than
    `stop_ms` is bridged without counting the lapse; unjudgeable frames up to `max_gap_ms` are
    bridged and counted (the person was most likely still holding).
    """

    settle_ms: float = 500.0
    stop_ms: float = 300.0
    max_gap_ms: float = 500.0
    total_ms: float = 0.0
    best_ms: float = 0.0
    current_ms: float = 0.0
    fault_ms: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.total_ms = self.best_ms = self.current_ms = 0.0
        self.fault_ms = {}
        self.holding = False
        self._valid = _Crossing()
        self._invalid = _Crossing()
        self._last_t: float | None = None
        self._last_judged: float | None = None
        self._start_ms = 0.0
        self._pending_ms = 0.0  # valid time accumulated while settling
        self._last_valid_t: float | None = None
        self._bridged_ms = 0.0  # dropout time counted provisionally in the current gap
        self._breaking: tuple[str, ...] = ()

    @property
    def total_s(self) -> float:
        return self.total_ms / 1000.0

    @property
    def best_s(self) -> float:
        return self.best_ms / 1000.0

    @property
    def current_s(self) -> float:
        return self.current_ms / 1000.0

    def fault_s(self) -> dict[str, float]:
        return {k: v / 1000.0 for k, v in self.fault_ms.items()}

    def _stop(self, end_ms: float, unbridge: bool = False) -> list[HoldOutcome]:
        if unbridge:  # the gap was too long: it was not hold time after all
            self.total_ms -= self._bridged_ms
            self.current_ms -= self._bridged_ms
            self.best_ms = max(self.best_ms - self._bridged_ms, self.current_ms)
        self._bridged_ms = 0.0
        if not self.holding:
            return []
        self.holding = False
        out = [HoldOutcome("stopped", end_ms, self._start_ms, self.current_ms / 1000.0, self._breaking)]
        self.current_ms = 0.0
        return out

    def update(
        self,
        t_ms: float,
        judgeable: bool,
        in_position: bool = False,
        valid: bool = False,
        faults: tuple[str, ...] = (),
    ) -> list[HoldOutcome]:
        """`in_position`: in the exercise posture; `valid`: and form good enough to count;
        `faults`: codes active now (time in each is accumulated while in position)."""
        dt = 0.0 if self._last_t is None else max(0.0, t_ms - self._last_t)
        self._last_t = t_ms
        out: list[HoldOutcome] = []
        if not judgeable:
            if self._last_judged is not None and t_ms - self._last_judged > self.max_gap_ms:
                out += self._stop(self._last_valid_t or self._last_judged, unbridge=True)
                self._valid.since = None
                self._pending_ms = 0.0
                self._last_judged = None
            elif self.holding:
                self._count(dt)
                self._bridged_ms += dt
            return out
        gap = self._last_judged is not None and t_ms - self._last_judged > self.max_gap_ms
        if gap:
            out += self._stop(self._last_valid_t or self._last_judged or t_ms, unbridge=True)
            self._valid.since = None
            self._pending_ms = 0.0
            dt = 0.0
        self._bridged_ms = 0.0
        self._last_judged = t_ms
        if in_position:
            for code in faults:
                self.fault_ms[code] = self.fault_ms.get(code, 0.0) + dt

        ok = in_position and valid
        self._invalid.update(not ok, t_ms)
        if ok:
            self._last_valid_t = t_ms
            self._breaking = ()
            if self.holding:
                self._count(dt)
            else:
                if self._valid.since is None:
                    self._valid.update(True, t_ms)
                    self._pending_ms = 0.0
                else:
                    self._pending_ms += dt
                if self._valid.held(t_ms, self.settle_ms):
                    self.holding = True
                    self._start_ms = self._valid.since or t_ms
                    self.current_ms = 0.0
                    self._count(self._pending_ms)
                    out.append(HoldOutcome("started", self._start_ms, self._start_ms))
        else:
            self._valid.update(False, t_ms)
            self._pending_ms = 0.0
            if self.holding:
                if not in_position:
                    self._breaking = ("out_of_position",)
                elif faults:
                    self._breaking = tuple(faults)
                if self._invalid.held(t_ms, self.stop_ms):
                    out += self._stop(self._invalid.since or t_ms)
        return out

    def _count(self, dt: float) -> None:
        self.total_ms += dt
        self.current_ms += dt
        self.best_ms = max(self.best_ms, self.current_ms)
