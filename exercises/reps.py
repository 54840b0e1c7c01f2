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
    """Two-sided oscillation around a neutral zero (cat-cow): + side and - side.

    Turning points are found zig-zag style: a maximum is confirmed once the signal has come
    down `swing` from it (and at least `release` of the way back to zero), a minimum once it
    has risen as much; so noise smaller than `swing` makes no turning points, and a small zero
    error does not matter as long as the movement crosses it. A confirmed maximum past
    +`enter` is a + extreme, a minimum past -`enter` a - extreme; turning points inside the
    band (wobbles) are ignored. A cycle = a + and a - extreme, in either order; the same side
    twice in a row makes the first one a partial cycle.
    """

    enter: float
    swing: float
    release: float = 0.5
    settle_ms: float = 500.0
    max_gap_ms: float = 500.0

    def __post_init__(self) -> None:
        if not (self.enter >= 0.0 and self.swing > 0.0 and 0.0 <= self.release < 1.0):
            raise ValueError("cycle thresholds must satisfy enter >= 0 and swing > 0")


@dataclass(frozen=True, slots=True)
class CycleOutcome:
    kind: str  # "started" | "completed" | "partial" | "extreme" (a side's peak is confirmed)
    t_ms: float
    start_ms: float
    index: int | None = None
    pos_peak: float | None = None  # + extreme of this cycle
    neg_peak: float | None = None  # - extreme
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
        self._restart_zigzag()
        self._new_cycle()

    def _restart_zigzag(self) -> None:
        self._trend = 0  # +1 rising (tracking a max), -1 falling (tracking a min), 0 unknown
        self._hi: tuple[float, float] | None = None  # (value, t_ms)
        self._lo: tuple[float, float] | None = None
        self._last_value = 0.0
        self._in_band = True

    def _new_cycle(self) -> None:
        self._peaks: dict[int, tuple[float, float]] = {}  # side -> (value, t_ms)
        self._start_ms: float | None = None

    @property
    def side(self) -> int:
        """Which side of neutral the signal is on now (+1, -1, 0 inside the band)."""
        if self._last_value > self.rule.enter:
            return 1
        if self._last_value < -self.rule.enter:
            return -1
        return 0

    @property
    def in_cycle(self) -> bool:
        return self._start_ms is not None

    def _outcome(self, kind: str, t_ms: float, index: int | None = None, side: int = 0) -> CycleOutcome:
        period = None
        if 1 in self._peaks and -1 in self._peaks:
            period = 2.0 * abs(self._peaks[1][1] - self._peaks[-1][1])
        pos = self._peaks.get(1)
        neg = self._peaks.get(-1)
        return CycleOutcome(
            kind,
            t_ms,
            self._start_ms if self._start_ms is not None else t_ms,
            index,
            None if pos is None else pos[0],
            None if neg is None else neg[0],
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
        self._last_value = value

        if not self.settled:
            # Settle inside the neutral band first: getting into position is no cycle.
            self._settle.update(-r.enter <= value <= r.enter, t_ms)
            if self._settle.held(t_ms, r.settle_ms):
                self.settled = True
                self._hi = self._lo = (value, t_ms)
            return out

        in_band = abs(value) <= r.enter
        if self._start_ms is None and self._in_band and not in_band:
            self._start_ms = t_ms  # leaving neutral: a cycle begins
            out.append(CycleOutcome("started", t_ms, t_ms))
        self._in_band = in_band
        for turn in self._zigzag(value, t_ms):
            out += self._turning_point(*turn)
        return out

    def _zigzag(self, v: float, t: float) -> list[tuple[int, float, float]]:
        """Confirmed turning points (+1 max / -1 min, value, time) on this frame."""
        sw = self.rule.swing
        hi, lo = self._hi or (v, t), self._lo or (v, t)
        turns = []
        if self._trend >= 0 and v > hi[0]:
            hi = (v, t)
        if self._trend <= 0 and v < lo[0]:
            lo = (v, t)
        # Half-way back from a large peak, at least `swing`: a wobble near the top of a big
        # movement is not its end.
        rel = self.rule.release
        if self._trend >= 0 and v <= hi[0] - max(sw, rel * max(hi[0], 0.0)):
            turns.append((1, *hi))
            self._trend, lo = -1, (v, t)
        elif self._trend <= 0 and v >= lo[0] + max(sw, rel * max(-lo[0], 0.0)):
            turns.append((-1, *lo))
            self._trend, hi = 1, (v, t)
        self._hi, self._lo = hi, lo
        return turns

    def _turning_point(self, kind: int, value: float, t: float) -> list[CycleOutcome]:
        if kind * value <= self.rule.enter:
            return []  # a wobble inside the band, or a max on the - side: not an extreme
        out: list[CycleOutcome] = []
        if kind in self._peaks:
            # The same side twice without the other: the earlier one was a partial cycle.
            self.partials += 1
            out.append(self._outcome("partial", t))
            self._new_cycle()
            self._start_ms = t
            out.append(CycleOutcome("started", t, t))
        if self._start_ms is None:
            self._start_ms = t
            out.append(CycleOutcome("started", t, t))
        self._peaks[kind] = (value, t)
        out.append(self._outcome("extreme", t, side=kind))
        if len(self._peaks) == 2:
            self.count += 1
            out.append(self._outcome("completed", t, self.count))
            self._new_cycle()
        return out

    def _abandon(self, t_ms: float) -> list[CycleOutcome]:
        out = []
        if self._peaks:
            self.partials += 1
            out.append(self._outcome("partial", t_ms))
        self._new_cycle()
        self._restart_zigzag()
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

    The hold starts once the "in position and form valid" predicate has held for `settle_ms`.
    With `count_settling` the hold is dated back to when the predicate became true; without
    it the settling time is not hold time (someone still moving into position passes through
    valid postures without holding them). Getting into position, while the predicate is
    false, never counts. A predicate lapse shorter than `stop_ms` is bridged without counting
    the lapse; unjudgeable frames up to `max_gap_ms` are bridged and counted (the person was
    most likely still holding) unless the gap turns out longer.
    """

    settle_ms: float = 500.0
    count_settling: bool = True
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
                    self._start_ms = (self._valid.since or t_ms) if self.count_settling else t_ms
                    self.current_ms = 0.0
                    self._count(self._pending_ms if self.count_settling else 0.0)
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
