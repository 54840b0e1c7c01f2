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

from collections import deque
from dataclasses import dataclass, field, replace
from enum import Enum

import numpy as np

from exercises.stats import SampleClock, SortedWindow, jitter


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
    # A recording may start in the middle of a rep: a frame beyond `start` before the stream
    # has been at rest begins a rep there (dated to that frame) instead of waiting for rest,
    # measured from the least value seen until then (it must go deeper than that: someone
    # seen first already bent, between `rest` and `start`, and hinging on made a rep). At the
    # opening of the stream and where judging resumes after a gap longer than `max_gap_ms`
    # (legs hidden behind barbell plates while standing, a step out of the picture): both
    # open on a movement already under way.
    start_in_rep: bool = False

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
        # The stream's opening (or a stretch's after a gap), until it is first at rest: the
        # least value seen in it; None once it is over.
        self._opening: float | None = float("inf")
        self._first_value: float | None = None  # where a rep the stream began inside started
        self._deeper = _Crossing()  # a rep begun inside going deeper than where it began
        self._went_deeper_latched = False
        self._trough: tuple[float, float] | None = None  # lowest (v, t) since the peak
        self._again = _Crossing()  # out again past `start` from a trough back near rest

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
    def began_inside(self) -> bool:
        """The rep in progress began before the stream did, or during a long gap (start_in_rep),
        and has not yet been seen going deeper: it may be someone straightening up from walking
        in bent over."""
        return self.phase is RepPhase.ACTIVE and self._first_value is not None and not self._went_deeper()

    @property
    def rep_start_ms(self) -> float | None:
        return self._start_ms if self.phase is RepPhase.ACTIVE else None

    def _abandon(self, t_ms: float) -> list[RepOutcome]:
        # Judging resumes the way the stream began: perhaps inside a rep (see `_step`).
        self._first_value, self._opening = None, float("inf")
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

    def _went_deeper(self) -> bool:
        """A rep the stream began inside must be seen going deeper than where it began (by the
        rule's hysteresis, held for `dwell_ms` like every crossing): someone who walks in bent
        over and straightens up made no rep, and one noisy frame on the way up is no descent."""
        return self._first_value is None or self._went_deeper_latched

    def _track_deeper(self, v: float, t_ms: float) -> None:
        first = self._first_value
        if first is None or self._went_deeper_latched:
            return
        self._deeper.update(v - first >= abs(self.rule.start - self.rule.rest), t_ms)
        self._went_deeper_latched = self._deeper.held(t_ms, self.rule.dwell_ms)

    def _back_near_rest(self, v: float) -> bool:
        """Within `start`, or within a quarter of the rep's depth past `rest`: back up, as far as
        a rep is concerned (what `finish` accepts too). People who do not lock out fully
        between reps, and a noisy standing signal, turn there without reaching `rest`."""
        r = self.rule
        s = 1.0 if r.rising else -1.0
        return v <= max(s * r.start, s * r.rest + 0.25 * (self._peak - s * r.rest))

    def finish(self, t_ms: float, value: float | None) -> list[RepOutcome]:
        """The stream ended: a rep that reached its target and came most of the way back
        (within `start`, or to a quarter of its depth) counts; a recording cut as the person
        straightens up still holds the rep."""
        r = self.rule
        if self.phase is not RepPhase.ACTIVE or not self._reached or value is None:
            return []
        s = 1.0 if r.rising else -1.0
        v = s * value
        if not self._back_near_rest(v) or (self._first_value is not None and not self._went_deeper()):
            return []
        self.phase = RepPhase.REST
        self.count += 1
        return [self._outcome("completed", t_ms, self.count)]

    def _begin(self, start_ms: float, v: float, value: float, t_ms: float) -> list[RepOutcome]:
        self.phase = RepPhase.ACTIVE
        self._start_ms = start_ms
        self._peak, self._peak_ms = v, t_ms
        self._above_ms = 0.0
        self._reached = False
        self._trough = None
        self._again.since = None
        return [RepOutcome("started", start_ms, start_ms, None, value, t_ms)]

    def _turned_at_top(self, v: float, value: float, t_ms: float) -> list[RepOutcome] | None:
        """A rep that reached its target, came back near rest (see `_back_near_rest`) and
        turned there: out past `start` again, and by the hysteresis above that trough, for
        `dwell_ms`. It ends at the trough and the next rep begins: turning points count reps
        even when the signal never settles below `rest` between them."""
        r = self.rule
        s = 1.0 if r.rising else -1.0
        trough = self._trough
        qualifies = self._reached and trough is not None and self._back_near_rest(trough[0])
        self._again.update(
            qualifies and trough is not None and v >= max(s * r.start, trough[0] + abs(r.start - r.rest)),
            t_ms,
        )
        if trough is None or not self._again.held(t_ms, r.dwell_ms):
            return None
        out: list[RepOutcome] = []
        if self._went_deeper():
            self.count += 1
            out.append(self._outcome("completed", trough[1], self.count))
        self._first_value = None
        return out + self._begin(self._again.since or t_ms, v, value, t_ms)

    def _step(self, t_ms: float, value: float) -> list[RepOutcome]:
        r = self.rule
        s = 1.0 if r.rising else -1.0
        v = s * value
        opening = self.phase is RepPhase.SETUP and r.start_in_rep and self._opening is not None
        if opening:
            self._opening = min(self._opening, v)
        if opening and v > s * r.start:
            self.phase = RepPhase.ACTIVE
            self._start_ms, self._peak, self._peak_ms = t_ms, v, t_ms
            self._above_ms, self._reached, self._prev_t = 0.0, False, t_ms
            self._first_value, self._opening = self._opening, None
            self._deeper.since, self._went_deeper_latched = None, False
            self._trough = None
            return [RepOutcome("started", t_ms, t_ms, None, value, t_ms)]
        dt = 0.0 if self._prev_t is None else min(t_ms - self._prev_t, r.max_gap_ms)
        self._prev_t = t_ms
        self._rest.update(v < s * r.rest, t_ms)
        self._out.update(v > s * r.start, t_ms)

        if self.phase is RepPhase.SETUP:
            if self._rest.held(t_ms, r.settle_ms):
                self.phase = RepPhase.REST
                self._opening = None
            return []
        if self.phase is RepPhase.REST:
            if self._out.held(t_ms, r.dwell_ms):
                return self._begin(self._out.since or t_ms, v, value, t_ms)
            return []
        # ACTIVE
        self._track_deeper(v, t_ms)
        if v > self._peak:
            self._peak, self._peak_ms = v, t_ms
            self._trough = None
        elif self._trough is None or v < self._trough[0]:
            self._trough = (v, t_ms)
        turned = self._turned_at_top(v, value, t_ms)
        if turned is not None:
            return turned
        # Reaching the target is a latch; time past it accumulates over the rep so that noise
        # hovering around the target still counts once, while one stray frame does not.
        if v >= s * r.target:
            self._above_ms += dt
            if self._above_ms >= r.dwell_ms:
                self._reached = True
        if self._rest.held(t_ms, r.dwell_ms):
            end = self._rest.since or t_ms
            self.phase = RepPhase.REST
            if self._first_value is not None and not self._went_deeper():
                self._first_value = None
                return []  # came in already bent and only straightened up: setup, not a rep
            self._first_value = None
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
    """Two-sided oscillation (cat-cow): a + extreme and a - extreme make one cycle.

    The counter needs no zero and no still start. Turning points are found zig-zag style on
    the raw signal: a maximum is confirmed once the signal has come back `swing` from it and
    at least `release` of the leg that led up to it (and likewise a minimum), so noise smaller
    than `swing` and wobbles near a peak make no turning points. A turning point is an
    extreme (+ cat, - cow) if it lies beyond a trusted still neutral (see `CycleCounter`), or
    else in the outer part of the range moved through: beyond its midpoint by `outer` of the
    half-range. Turning points are judged once the signal has moved 3 x `swing`; the first
    one of a stretch was not seen being entered (the person may have started at neutral or
    at an extreme), so it waits for two more, or for the end of the stream. A cycle = a +
    and a - extreme, in either order. The same side twice is one held extreme if the signal
    did not come half-way back to neutral in between, otherwise the first was a partial,
    unless the turn back between them was a small other half: see `_small_other_half`.
    """

    swing: float
    release: float = 0.35  # returning to neutral retraces about half the leg: confirmed there
    outer: float = 0.25
    max_gap_ms: float = 500.0
    still_sd: float = 0.006  # a still moment: spread at most this over still_ms, no drift
    still_ms: float = 500.0
    # Jitter-aware hysteresis: a turning point needs at least noise_k x the signal's own
    # frame-to-frame jitter (a noisy picture makes a noisy spine signal), and at least
    # min_leg_ms since the previous one (no cat or cow is over in a third of a second).
    noise_k: float = 4.0
    min_leg_ms: float = 300.0
    # The stretch's first turning point counts only if the signal stayed near it at least
    # first_dwell x as long as near the next one: a sine leaves both peaks equally slowly, a
    # recording that starts 40% of the way into a cow leaves its first value at 0.4 of that.
    first_dwell: float = 0.6
    # ... and at least first_hold_ms, unless the stream began at rest (a still moment at or
    # before that turn: the person moved out of a held table-top or pose, so the turn was
    # entered even where the outline barely shows it, as a cow read little deeper than the
    # table-top). A recording that begins just after a peak leaves it as slowly as the sine
    # leaves the next one (dwell 0.6-1.1 x the next turn's), so the ratio keeps it; but such
    # a start stays near its first value only 0.33-0.6 s, while real clips opening in a held
    # cat or cow hold it 0.95-2.4 s (see exercises/README.md for the measured effect).
    first_hold_ms: float = 700.0
    # ... and only if the leg out of it is at most first_outlier x the next leg. Measured
    # (cached MediaPipe, first turns of every cat-cow clip): renders 0.23-1.28, real clips
    # 0.45-1.45; a first mask that took in the floor (seed 61, 005) 3.3.
    first_outlier: float = 2.0
    # A first turn is seen entered where the signal moved into it by at least first_entry x
    # the leg out of it (and `swing`): from a table-top that is about half. A shorter rise is
    # where the picture began close to the extreme (a recording opened just past a cat, its
    # first frames rising as MediaPipe settles), so the turn counts only as one not seen
    # entered (held, or at rest before it); where that first turn is dropped, the next one,
    # entered only from the first frames, is held to the same test. Measured (MediaPipe,
    # every cat-cow clip judged: samples, stress, seeds 269-313 and 271-307, real; 112):
    # rises into the next turn from a start at neutral with no still moment before it
    # 0.41-0.82 of the leg out; a recording opened 0.27 s after a cat peak (seed 313 `026`,
    # counted 3 for 2) 0.22. At 0.45 the lowest start at neutral (0.41) loses its first cycle.
    first_entry: float = 0.3
    # The range moved through is read from the percentiles range_pct / 100 - range_pct of the
    # values of the last range_ms (longer than the slowest real cycle, 12.4 s), once
    # range_min_values are known; see `CycleCounter._update_range`.
    range_pct: float = 10.0
    range_ms: float = 20000.0
    range_min_values: int = 20
    # A turn back towards the last extreme's side, short of the other side's extreme, after a
    # leg out of that extreme of at least 2 x swing and under short_turn_max of the range
    # moved through, is reported ("short"): the attempt at the other side fell short (a small
    # cycle after full ones: its turns lie inside the range the full ones set, so they make
    # no extremes). Leg / range of such turns (cached MediaPipe, every cat-cow render): in
    # small-range cycles 0.30-0.53 (two at 0.73 and 0.90), a good clip's last return to
    # neutral 0.65-0.88.
    short_turn_max: float = 0.6

    def __post_init__(self) -> None:
        if not (self.swing > 0.0 and 0.0 <= self.release < 1.0 and 0.0 <= self.outer < 1.0):
            raise ValueError("cycle thresholds must satisfy swing > 0, 0 <= release < 1, 0 <= outer < 1")


@dataclass(frozen=True, slots=True)
class CycleOutcome:
    # "started" | "completed" | "partial" | "extreme" (a side's peak is confirmed) | "turn" (any
    # turning point, extreme or not: side and half_leg, the leg into it) | "short" (a turn back
    # short of the other side: see `CycleRule.short_turn_max`; start_ms the extreme it left)
    kind: str
    t_ms: float
    start_ms: float
    index: int | None = None
    pos_peak: float | None = None  # + extreme of this cycle, relative to the zero
    neg_peak: float | None = None  # - extreme, relative to the zero
    period_ms: float | None = None  # estimated full-cycle duration (2 x peak-to-peak time)
    side: int = 0  # for "extreme": +1 / -1
    span: float | None = None  # peak-to-peak amplitude of the cycle (raw units)
    # For "extreme": the half-cycle just ended, from the previous extreme of the other side
    # (which may belong to the previous cycle): its start, duration and amplitude (raw units).
    half_start_ms: float | None = None
    half_ms: float | None = None
    half_leg: float | None = None


class CycleCounter:
    """Counts full two-sided cycles (e.g. cat -> cow) from the turning points of a raw signal.

    `zero` (the neutral the peaks are reported from) is a still moment of the signal that
    lies between the extremes and is no held extreme (the signal did not turn in it),
    otherwise the midpoint of the range moved through. That range is read robustly from the
    recent signal (10th-90th percentile), never from its all-time extremes.
    """

    def __init__(self, rule: CycleRule) -> None:
        self.rule = rule
        self.reset()

    def reset(self) -> None:
        self.count = 0
        self.partials = 0
        self._last_judged: float | None = None
        self._restart()

    def _restart(self) -> None:
        """A new stretch in position: nothing known about its range or turning points."""
        self._trend = 0  # +1 rising (tracking a max), -1 falling (tracking a min), 0 unknown
        self._hi: tuple[float, float] | None = None  # (value, t_ms)
        self._lo: tuple[float, float] | None = None
        self._leg_from: float | None = None  # value the current leg started from
        self._held: list[tuple[int, float, float]] | None = []  # extremes until the first is judged
        self._held_trace: list[tuple[float, float]] = []  # (t, value) until the first is judged
        self._queue: list[tuple[int, float, float]] = []  # turning points waiting to be judged
        self._between: float | None = None  # furthest turn back since the last extreme
        self._between_turn: tuple[int, float, float] | None = None  # that turn
        self._last_extreme: tuple[int, float, float] | None = None
        self._unseen_turn: tuple[int, float, float] | None = None  # queued by `finish`
        # The range moved through, robustly (see `_update_range`), and the values it is read from.
        self._range_lo = float("inf")
        self._range_hi = float("-inf")
        self._values = SortedWindow(None)
        self._value_times: deque[float] = deque()
        self._last_value: float | None = None
        # [value, first t, last t] of the recent still moments (a long session has many).
        self._stills: deque[list[float]] = deque(maxlen=32)
        self._turn_times: deque[float] = deque(maxlen=8)  # of the last turning points
        self._recent_values: deque[float] = deque(maxlen=60)  # samples, see MIN_SAMPLE_MS
        self._clock = SampleClock()
        self._history: deque[tuple[float, float]] = deque(maxlen=240)  # ~8 s at 30 fps
        self._last_turn_t: float | None = None
        self._last_leg = 0.0  # size of the leg into the last turning point
        self._still_hist: deque[tuple[float, float]] = deque()
        self._in_still = False
        self._new_cycle()

    def _new_cycle(self) -> None:
        self._peaks: dict[int, tuple[float, float]] = {}  # side -> (raw value, t_ms)
        self._start_ms: float | None = None

    # -- the zero -----------------------------------------------------------------------
    def _note_still(self, t_ms: float, value: float) -> None:
        """Still moments of the signal are candidate neutrals (a held extreme is still too)."""
        r = self.rule
        hist = self._still_hist
        hist.append((t_ms, value))
        while t_ms - hist[0][0] > r.still_ms:
            hist.popleft()
        if t_ms - hist[0][0] < 0.8 * r.still_ms or len(hist) < 4:
            return
        values = np.array([v for _, v in hist])
        half = len(values) // 2
        drift = abs(float(np.median(values[:half]) - np.median(values[half:])))
        still = float(np.std(values)) <= r.still_sd and drift <= r.still_sd / 2
        if still and not self._in_still:
            self._stills.append([float(np.median(values)), hist[0][0], t_ms])
        elif still:
            self._stills[-1][2] = t_ms
        self._in_still = still

    def _trusted_still(self) -> float | None:
        """The still moment nearest the middle of the range, if it lies between the extremes."""
        # A still moment the signal moved into and turned in is a held cat or cow, never the
        # neutral (a slow sine is still at its peaks too): only the others are candidates.
        turns = self._turn_times
        stills = [v for v, t0, t1 in self._stills if not any(t0 - 100.0 <= t <= t1 + 100.0 for t in turns)]
        if not stills or not self._range_hi > self._range_lo:
            return None
        mid, span = 0.5 * (self._range_hi + self._range_lo), self._range_hi - self._range_lo
        best = min(stills, key=lambda v: abs(v - mid))
        return best if 0.2 <= (best - self._range_lo) / span <= 0.8 else None

    @property
    def still_trusted(self) -> bool:
        return self._trusted_still() is not None

    @property
    def zero(self) -> float | None:
        still = self._trusted_still()
        if still is not None:
            return still
        if self._range_hi >= self._range_lo:
            return 0.5 * (self._range_hi + self._range_lo)
        return None

    @property
    def side(self) -> int:
        """Which side of the zero the signal is on now (+1, -1, 0 near it)."""
        z = self.zero
        if z is None or self._last_value is None:
            return 0
        band = max(self.rule.swing, self.rule.outer * 0.5 * (self._range_hi - self._range_lo))
        d = self._last_value - z
        return 0 if abs(d) <= band else (1 if d > 0 else -1)

    @property
    def settled(self) -> bool:
        """In position and measured (there is a signal to show)."""
        return self._last_value is not None

    @property
    def in_cycle(self) -> bool:
        return self._start_ms is not None

    # -- feeding ------------------------------------------------------------------------
    def update(self, t_ms: float, value: float | None) -> list[CycleOutcome]:
        r = self.rule
        if value is None:
            if self._last_judged is not None and t_ms - self._last_judged > r.max_gap_ms:
                last, self._last_judged = self._last_judged, None
                return self._abandon(last)
            return []
        out: list[CycleOutcome] = []
        # Only unjudgeable frames break a stretch (above); a long frame time (a GIF's held
        # frame, a slow webcam) between two judged frames does not.
        self._last_judged = t_ms
        self._last_value = value
        self._update_range(t_ms, value)
        self._note_still(t_ms, value)
        if self._leg_from is None:
            self._leg_from = value
        if self._held is not None and len(self._held_trace) < 3000:
            self._held_trace.append((t_ms, value))
        for turn in self._zigzag(value, t_ms):
            out += self._turning_point(*turn)
        return out

    def _update_range(self, t_ms: float, value: float) -> None:
        """The range moved through: the `range_pct` and 100 - `range_pct` percentiles of the
        stretch's values over the last `range_ms` (by time, so a slow webcam or a GIF adapts
        as fast), not their all-time extremes. A few frames of a broken outline (a first mask
        that took in the floor read -0.13 for 0.3 s against cycles of 0..+0.045) would
        otherwise fix the range, the neutral and what counts as a cat or cow for the whole
        stretch. A sine spends 10% of its time beyond +-0.95 of its amplitude,
        so real peaks still lie at or beyond the range. Until `range_min_values` values are
        known the plain extremes are used."""
        self._values.append(value)
        self._value_times.append(t_ms)
        while t_ms - self._value_times[0] > self.rule.range_ms:
            self._value_times.popleft()
            self._values.popleft()
        n = len(self._values)
        if n < self.rule.range_min_values:
            self._range_lo, self._range_hi = min(self._range_lo, value), max(self._range_hi, value)
        else:
            pct = self.rule.range_pct
            lo, hi = self._values.percentile(pct), self._values.percentile(100.0 - pct)
            self._range_lo, self._range_hi = lo, hi

    def finish(self, t_ms: float) -> list[CycleOutcome]:
        """The stream ended: a peak still being held is a turning point if the signal moved
        into it at least `swing` and about as far as the leg before (drifting back to neutral
        after a peak is about half a leg) and stayed there, not past it, at least `min_leg_ms`
        (like a first turn not seen being entered: a value the stream merely stopped at was
        not held; stress 059 ends 0.27 s after a return to neutral that read as a cat, 0.73
        of the leg before), and every turning point still waiting is judged."""
        if self._last_value is not None and self._trend != 0 and self._leg_from is not None:
            peak = self._hi if self._trend > 0 else self._lo
            leg = None if peak is None else abs(peak[0] - self._leg_from)
            held = peak is not None and self._history[-1][0] - peak[1] >= self.rule.min_leg_ms
            if held and leg is not None and leg >= max(self.rule.swing, 0.6 * self._last_leg):
                self._queue.append((self._trend, *peak))
                # Never seen turning: the recording may have stopped the movement short (the
                # last return to neutral), so the half-cycle into it is not timed or sized.
                self._unseen_turn = (self._trend, *peak)
                self._trend = 0
        return self._drain(final=True)

    def _plateau_centre(self, kind: int, peak: tuple[float, float], leg: float) -> float:
        """Middle of the time spent near a peak (within 15% of the leg): a held cat or cow has
        its furthest point anywhere along the hold, its middle is where the cycle turns."""
        tol = 0.15 * leg
        near = [t for t, v in self._history if kind * (peak[0] - v) <= tol]
        times = sorted(near)
        # The contiguous run around the peak's own time.
        lo = hi = peak[1]
        for t in reversed([t for t in times if t <= peak[1]]):
            if lo - t > 200.0:
                break
            lo = t
        for t in [t for t in times if t >= peak[1]]:
            if t - hi > 200.0:
                break
            hi = t
        return 0.5 * (lo + hi)

    @property
    def _last_turn_entered(self) -> bool:
        """The last turning point was seen being moved into (a leg of at least `swing`), not
        the stretch's first value or a still start's wobble."""
        return self._last_leg >= self.rule.swing

    def _jitter(self) -> float:
        """Frame-to-frame noise of the signal (see `stats.jitter`); 0 until it is known."""
        return jitter(self._recent_values) or 0.0

    def _zigzag(self, v: float, t: float) -> list[tuple[int, float, float]]:
        """Confirmed turning points (+1 max / -1 min, value, time) on this frame."""
        r = self.rule
        if self._clock.take(t):
            self._recent_values.append(v)
        self._history.append((t, v))
        swing = max(r.swing, r.noise_k * self._jitter())
        hi, lo = self._hi or (v, t), self._lo or (v, t)
        if self._trend >= 0 and v > hi[0]:
            hi = (v, t)
        if self._trend <= 0 and v < lo[0]:
            lo = (v, t)
        start = self._leg_from if self._leg_from is not None else v
        # The share of the leg to retrace is taken of at most the range moved through: a leg
        # that began at an outlier (a broken first mask) would otherwise ask the next turn to
        # retrace more than the whole movement, and no turn would ever be confirmed.
        span = max(self._range_hi - self._range_lo, 0.0)
        # min_leg_ms times a leg from the turning point it left, where the signal was seen
        # moving into that one (_last_turn_entered). The stretch's first value taken as one is
        # where the picture began, and a still start's wobble is noise, not where the movement
        # turned: a brisk cycle recorded from its start reaches its cow 0.27 s in; a real
        # table-top whose first frames wobbled up by 0.005 (filmed 6 deg off level) dropped
        # into its only cow 0.23 s after the wobble's top.
        prev = self._last_turn_t if self._last_turn_entered else None

        def long_enough(peak_t: float) -> bool:
            return prev is None or peak_t - prev >= r.min_leg_ms

        turns = []
        if (
            self._trend >= 0
            and v <= hi[0] - max(swing, r.release * min(max(hi[0] - start, 0.0), span))
            and long_enough(hi[1])
        ):
            self._last_leg = abs(hi[0] - start)
            turns.append((1, hi[0], self._plateau_centre(1, hi, self._last_leg)))
            self._trend, lo, self._leg_from, self._last_turn_t = -1, (v, t), hi[0], hi[1]
        elif (
            self._trend <= 0
            and v >= lo[0] + max(swing, r.release * min(max(start - lo[0], 0.0), span))
            and long_enough(lo[1])
        ):
            self._last_leg = abs(start - lo[0])
            turns.append((-1, lo[0], self._plateau_centre(-1, lo, self._last_leg)))
            self._trend, hi, self._leg_from, self._last_turn_t = 1, (v, t), lo[0], lo[1]
        elif self._trend > 0 and v < start - swing:
            # Fell back past where this rise began before the rise could be a turning point
            # (too soon after the last one): the rise was a wobble and the last minimum not
            # the bottom. Track the fall; the deeper minimum is confirmed as one more (the
            # judging merges two minima with no real maximum between into one extreme).
            self._trend, lo, hi = -1, (v, t), (v, t)
        elif self._trend < 0 and v > start + swing:
            self._trend, hi, lo = 1, (v, t), (v, t)
        self._hi, self._lo = hi, lo
        return turns

    def _turning_point(self, kind: int, value: float, t: float) -> list[CycleOutcome]:
        if self._last_turn_entered:
            self._turn_times.append(t)
        self._queue.append((kind, value, t))
        # Every turning point, extreme or not, with the leg that led to it: how far the
        # movement goes even where it is too small to count.
        turn = CycleOutcome("turn", t, t, side=kind, half_leg=self._last_leg)
        return [turn, *self._drain()]

    def _drain(self, final: bool = False) -> list[CycleOutcome]:
        """Judge waiting turning points in order once the signal has moved 3 x `swing` (the
        wobbles of a still start are not a range)."""
        out: list[CycleOutcome] = []
        # The plain extent of the window here, not the percentile range: a small cycle that
        # spans 3 x swing from peak to peak is established (its 10th-90th percentiles lie
        # inside its peaks), and a still start's wobbles are no movement either way.
        vals = self._values
        established = len(vals) > 0 and vals.percentile(100.0) - vals.percentile(0.0) >= 3.0 * self.rule.swing
        while self._queue and (established or final):
            kind, value, t = self._queue.pop(0)
            last = self._held[-1] if self._held else self._last_extreme
            if not self._is_extreme(kind, value):
                if self._turned_short(kind, value, last):
                    out.append(CycleOutcome("short", t, last[2], side=kind, half_leg=abs(value - last[1])))
                if (
                    last is not None
                    and kind != last[0]
                    and (self._between is None or kind * (value - self._between) > 0)
                ):
                    self._between = value  # a turn back short of the other side: how far
                    self._between_turn = (kind, value, t)
                continue
            half = self._small_other_half(kind, value, last)
            if half is not None:
                if self._held is not None:
                    self._held.append(half)
                else:
                    out += self._extreme(*half)
            if self._held is not None:
                self._between, self._between_turn = None, None
                self._held.append((kind, value, t))
                out += self._release_first(final=False)
            else:
                out += self._extreme(kind, value, t)
        if final and self._held:
            out += self._release_first(final=True)
        return out

    def _turned_short(self, kind: int, value: float, last: tuple[int, float, float] | None) -> bool:
        """The first turn back since the last (released) extreme, on the way to the other side
        and well short of it: see `CycleRule.short_turn_max`."""
        if self._held is not None or last is None or kind == last[0] or self._between is not None:
            return False
        leg = abs(value - last[1])
        return 2.0 * self.rule.swing <= leg < self.rule.short_turn_max * (self._range_hi - self._range_lo)

    def _small_other_half(
        self, kind: int, value: float, last: tuple[int, float, float] | None
    ) -> tuple[int, float, float] | None:
        """The turn back between two extremes of one side, if it was the other half of a small
        cycle: past the neutral (the zero), with the legs into and out of it both at least
        2 x `swing` (no wobble of a still table-top; the same bar as the small-range legs).
        The outer part of the range, or a still neutral's reach, can ask more of it than a
        small cycle moves when earlier full cycles still widen the range (seed 67, 026: small
        cycles after a full one, a cat 0.005 past a still neutral that asked 0.03) or the
        baseline drifts (seed 47, 005: a cow 0.004 past a still neutral that asked 0.0054).
        A return to neutral between two cats is no cow: the partial stays a partial."""
        turn = self._between_turn
        if turn is None or last is None or turn[0] != -kind or last[0] != kind:
            return None
        zero = self.zero
        legs = (abs(last[1] - turn[1]), abs(value - turn[1]))
        if zero is None or min(legs) < 2.0 * self.rule.swing or turn[0] * (turn[1] - zero) <= 0:
            return None
        return turn

    def _release_first(self, final: bool) -> list[CycleOutcome]:
        """The stretch's first extreme was not seen being entered: the person may have started
        at an extreme or at neutral. Once two more extremes are known, it counts only if the
        leg out of it is comparable to the next one (from neutral it is about half) and the
        signal was at rest before it, or stayed near it about as long as near the next one
        and at least `first_hold_ms`. Where it was not seen entered either, the next extreme
        was entered only from where the picture began and is held to the same test."""
        held = self._held or []
        # The first extreme, the next one of the other side, and the next after that.
        chain = [held[0]]
        for k, v, t in held[1:]:
            if k != chain[-1][0]:
                chain.append((k, v, t))
        if len(chain) < 3 and not final:
            return []
        self._held = None
        lead = held[: held.index(chain[1])] if len(chain) > 1 else held  # the first side's turns
        keep, later = lead, held[len(lead) :]
        if len(chain) >= 3:
            out_leg = abs(chain[1][1] - chain[0][1])
            next_leg = abs(chain[2][1] - chain[1][1])
            # ... and a turn not seen being entered (the first frames) only if the signal
            # stayed there rather than passing through: a recording that began mid-movement.
            settled = max(self.rule.first_dwell * self._dwell(chain[1], next_leg), self.rule.first_hold_ms)
            keep = [h for h in lead if self._arrived(h, out_leg, next_leg, settled)]
            if out_leg < 0.6 * max(out_leg, next_leg) or out_leg > self.rule.first_outlier * next_leg:
                # From neutral the leg out is about half the next; from a value the movement
                # never comes near again (a broken first mask) it is several times it.
                keep = []
            if not keep and not any(self._entered(h, out_leg) for h in lead):
                second = later[: later.index(chain[2])]  # the second side's turns
                later = [
                    h
                    for h in later
                    if h not in second or self._arrived(h, next_leg, next_leg, self.rule.first_hold_ms)
                ]
        out: list[CycleOutcome] = []
        for h in keep + later:
            out += self._extreme(*h)
        return out

    def _arrived(
        self, peak: tuple[int, float, float], out_leg: float, next_leg: float, hold_ms: float
    ) -> bool:
        """A turn near where the picture began counts if the person was seen getting there:
        moving into it, out of a still start, or staying there at least `hold_ms`."""
        return (
            self._entered(peak, out_leg)
            or self._began_at_rest(peak)
            or self._dwell(peak, next_leg) >= hold_ms
        )

    def _began_at_rest(self, peak: tuple[int, float, float]) -> bool:
        """The signal was still at or before this (first) turning point: the stretch opened on
        a held table-top or pose, not part-way through a movement. A still moment that opens
        the stretch (the recording's first frames, or the first after a return to position or
        a lost pose) shows that only once it has lasted `first_hold_ms`, as a held first turn
        must: MediaPipe's first frames follow a movement less faithfully (63 cat-cow renders:
        the head line's change over the first 0.47 s reads 0.66-1.21 x the true one,
        quartiles; later windows 0.86-1.22), and recordings opened 0.2 s after a cow or cat
        peak read still for their first 0.40-0.47 s while the spine moved 9-11 deg (seeds 281
        `008`, 331 `026`). Stills opening renders begun at rest last 0.47-1.2 s, but those
        first turns are seen entered or held; the one first count that needs such a still is
        a recording opened 0.33 s before a cow peak, still for 0.87 s (seed 283 `005`)."""
        # Its window began with the stretch's first frame or two.
        opened = self._held_trace[0][0] if self._held_trace else None
        return any(
            t0 <= peak[2] and (opened is None or t0 > opened + 100.0 or t1 - t0 >= self.rule.first_hold_ms)
            for _, t0, t1 in self._stills
        )

    def _entered(self, peak: tuple[int, float, float], out_leg: float) -> bool:
        """The signal was seen moving into this turning point by at least `swing` and at
        least `first_entry` of the leg out of it."""
        kind, value, t_peak = peak
        need = max(self.rule.swing, self.rule.first_entry * out_leg)
        return any(kind * (value - v) >= need for t, v in self._held_trace if t < t_peak)

    def _dwell(self, peak: tuple[int, float, float], leg: float) -> float:
        """How long the signal stayed near a turning point after it (within 15% of a leg): at
        a real cat or cow it slows down and turns, where a recording that began mid-movement
        leaves its first value at full speed."""
        _, value, t_peak = peak
        after = [(t, v) for t, v in self._held_trace if t >= t_peak]
        for t, v in after:
            if abs(v - value) > 0.15 * leg:
                return t - t_peak
        return after[-1][0] - t_peak if after else 0.0

    def _is_extreme(self, kind: int, value: float) -> bool:
        """Beyond a trusted still neutral, or in the outer part of the range moved through."""
        still = self._trusted_still()
        if still is not None:
            # Beyond it by a good part of the way to that side's furthest point: the drift back
            # to a table-top that is not quite the still one is no extreme.
            reach = (self._range_hi - still) if kind > 0 else (still - self._range_lo)
            return kind * (value - still) >= max(0.5 * self.rule.swing, 0.4 * reach)
        half = 0.5 * (self._range_hi - self._range_lo)
        mid = 0.5 * (self._range_hi + self._range_lo)
        return half > 0 and kind * (value - mid) >= self.rule.outer * half

    def _extreme(self, kind: int, value: float, t: float) -> list[CycleOutcome]:
        out: list[CycleOutcome] = []
        last = self._last_extreme
        if last is not None and last[0] == kind:
            zero = self.zero if self.zero is not None else last[1]
            between = self._between
            if between is None or kind * (between - last[1]) > -0.5 * abs(last[1] - zero):
                # Not half-way back to neutral since: the same extreme held with a wobble in
                # it. One extreme, at its furthest point.
                if kind * (value - last[1]) > 0:
                    self._last_extreme = (kind, value, t)
                    if kind in self._peaks:
                        self._peaks[kind] = (value, t)
                return out
            if kind in self._peaks:
                # The same side twice, back towards neutral in between: the first was partial.
                self.partials += 1
                out.append(self._outcome("partial", t))
                self._new_cycle()
        self._between, self._between_turn = None, None
        half = None if last is None or last[0] == kind else (last[2], t - last[2], abs(value - last[1]))
        if (kind, value, t) == self._unseen_turn:
            half = None
        self._last_extreme = (kind, value, t)
        if self._start_ms is None:
            self._start_ms = t
            out.append(CycleOutcome("started", t, t))
        self._peaks[kind] = (value, t)
        extreme = self._outcome("extreme", t, side=kind)
        if half is not None:
            extreme = replace(extreme, half_start_ms=half[0], half_ms=half[1], half_leg=half[2])
        out.append(extreme)
        if len(self._peaks) == 2:
            self.count += 1
            out.append(self._outcome("completed", t, self.count))
            self._new_cycle()
        return out

    def _outcome(self, kind: str, t_ms: float, index: int | None = None, side: int = 0) -> CycleOutcome:
        period = span = None
        if 1 in self._peaks and -1 in self._peaks:
            period = 2.0 * abs(self._peaks[1][1] - self._peaks[-1][1])
            span = self._peaks[1][0] - self._peaks[-1][0]
        z = self.zero or 0.0
        pos, neg = self._peaks.get(1), self._peaks.get(-1)
        return CycleOutcome(
            kind,
            t_ms,
            self._start_ms if self._start_ms is not None else t_ms,
            index,
            None if pos is None else pos[0] - z,
            None if neg is None else neg[0] - z,
            period,
            side,
            span,
        )

    def _abandon(self, t_ms: float) -> list[CycleOutcome]:
        out = self.finish(t_ms)  # what was seen before the gap still counts
        if self._peaks:
            self.partials += 1
            out.append(self._outcome("partial", t_ms))
        self._restart()
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
    most likely still holding) unless the gap turns out longer. A `paused` frame (a fault's
    condition present but not yet confirmed) keeps the hold going without counting.
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
        paused: bool = False,
    ) -> list[HoldOutcome]:
        """`in_position`: in the exercise posture; `valid`: and form good enough to count;
        `faults`: codes active now (time in each is accumulated while in position); `paused`:
        good form not certain on this frame (see the class)."""
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
                self._count(0.0 if paused else dt)
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
