"""Turns the stream of per-frame Assessments into what a session report says.

`SessionRecorder` is a pipeline sink: it keeps the per-frame signals for the plot, merges
the frame-by-frame fault flags into intervals, collects reps (complete and partial) and
holds from the checker's events, and notes where no person was seen. `report()` may be
called at any time (a partial report after Ctrl+C is as valid as a full one).
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from exercises.base import Assessment, EventKind, Severity
from exercises.registry import find_spec


@dataclass(frozen=True, slots=True)
class Interval:
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True, slots=True)
class RepRecord:
    index: int  # 1-based for completed reps; 0 for partial ones (they are not counted)
    start_s: float
    end_s: float
    faults: tuple[str, ...] = ()
    metrics: dict[str, float] = field(default_factory=dict)
    partial: bool = False

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True, slots=True)
class HoldRecord:
    """One continuous hold (a held exercise): when, and the faults seen while it lasted."""

    start_s: float
    end_s: float
    faults: tuple[str, ...] = ()
    ended: bool = True  # False: still held when the input ended or a reset (`r`, a routine's next set) cut it

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True, slots=True)
class FaultInterval:
    code: str
    start_s: float
    end_s: float
    message: str
    severity: str

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True, slots=True)
class ViewSummary:
    side: str | None  # body side that faced the camera most of the time
    ok: bool  # the view allowed judging for most frames with a person
    ok_fraction: float  # of frames with a person
    problems_s: dict[str, float]  # seconds per view problem (frames with a person)


@dataclass
class Report:
    """Everything a session produced; `to_dict()` is the JSON report."""

    exercise: str
    video: str | None
    duration_s: float
    frames: int
    frames_with_pose: int
    rep_count: int
    hold_s: float
    best_hold_s: float
    reps: list[RepRecord]
    partial_reps: list[RepRecord]
    faults: list[FaultInterval]
    fault_time_s: dict[str, float]
    holds: list[HoldRecord]
    no_person: list[Interval]
    view: ViewSummary
    main_signals: tuple[str, ...]
    t_s: list[float]
    series: dict[str, list[float]]  # NaN where the signal was not measured
    title: str | None = None
    partial: bool = False  # analysis stopped before the end of the input
    in_position_s: float = 0.0  # time judged in the exercise's position
    # Seconds during which a fault could not be judged, by (fault code, why), longest first.
    not_judged_s: dict[tuple[str, str], float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    # The threshold table judged with (plots draw its lines); not part of the JSON report.
    thresholds: Any = None

    def to_dict(self, include_series: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "exercise": self.exercise,
            "title": self.title,
            "video": self.video,
            "partial": self.partial,
            "duration_s": _r(self.duration_s),
            "frames": self.frames,
            "frames_with_pose": self.frames_with_pose,
            "rep_count": self.rep_count,
            "partial_rep_count": len(self.partial_reps),
            "hold_s": _r(self.hold_s),
            "best_hold_s": _r(self.best_hold_s),
            "in_position_s": _r(self.in_position_s),
            "reps": [_rep_dict(r) for r in self.reps],
            "partial_reps": [_rep_dict(r) for r in self.partial_reps],
            "faults": [
                {
                    "code": f.code,
                    "start_s": _r(f.start_s),
                    "end_s": _r(f.end_s),
                    "message": f.message,
                    "severity": f.severity,
                }
                for f in self.faults
            ],
            "fault_time_s": {k: _r(v) for k, v in self.fault_time_s.items()},
            "holds": [
                {
                    "start_s": _r(h.start_s),
                    "end_s": _r(h.end_s),
                    "duration_s": _r(h.duration_s),
                    "faults": list(h.faults),
                    "ended": h.ended,
                }
                for h in self.holds
            ],
            "no_person": [{"start_s": _r(i.start_s), "end_s": _r(i.end_s)} for i in self.no_person],
            "view": {**asdict(self.view), "problems_s": {k: _r(v) for k, v in self.view.problems_s.items()}},
            "not_judged": [
                {"fault": code, "why": why, "s": _r(seconds)}
                for (code, why), seconds in self.not_judged_s.items()
            ],
            "main_signals": list(self.main_signals),
        }
        out.update(self.extra)
        if include_series:
            out["series"] = {
                "t_s": [_r(t, 4) for t in self.t_s],
                **{name: [_r(v, 4) for v in values] for name, values in self.series.items()},
            }
        return out


def _r(value: float | None, digits: int = 3) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def _rep_dict(rep: RepRecord) -> dict[str, Any]:
    return {
        "index": rep.index,
        "start_s": _r(rep.start_s),
        "end_s": _r(rep.end_s),
        "duration_s": _r(rep.duration_s),
        "partial": rep.partial,
        "faults": list(rep.faults),
        "metrics": {k: _r(v, 4) for k, v in rep.metrics.items()},
    }


def _codes_within(faults: list[FaultInterval], start_s: float, end_s: float) -> tuple[str, ...]:
    """Fault codes active at some time in [start_s, end_s) (for a hold without its own list)."""
    return tuple(sorted({f.code for f in faults if f.start_s < end_s and f.end_s > start_s}))


@dataclass
class _OpenFault:
    start_ms: float
    last_ms: float
    message: str
    severity: Severity


class SessionRecorder:
    """Pipeline sink that records a session; cheap per frame (appends and dict updates)."""

    def __init__(
        self,
        exercise: str,
        video: str | None = None,
        main_signals: tuple[str, ...] = (),
        title: str | None = None,
        merge_gap_ms: float = 300.0,
        thresholds: Any = None,
    ) -> None:
        self.exercise = exercise
        self.thresholds = thresholds
        self.video = video
        self.main_signals = tuple(main_signals)
        self.title = title
        self.merge_gap_ms = merge_gap_ms
        self.t_ms: list[float] = []
        self._series: dict[str, list[float]] = {}
        self._frames_with_pose = 0
        self._in_position = 0
        self._open_faults: dict[str, _OpenFault] = {}
        self._closed_faults: dict[str, list[_OpenFault]] = {}
        self._person: list[bool] = []
        self._view_ok: Counter[bool] = Counter()
        self._view_side: Counter[str] = Counter()
        self._view_problem: Counter[str] = Counter()
        self._unjudged: Counter[tuple[str, str]] = Counter()
        self._reps: list[RepRecord] = []
        self._partials: list[RepRecord] = []
        self._holds: list[tuple[float, float, tuple[str, ...]]] = []
        self._hold_open_ms: float | None = None
        self._holds_cut: list[tuple[float, float]] = []  # (start, last frame): ended by a reset
        self._hold_running: list[float] = []  # per-frame hold_s, to find holds without events
        self._count_banked = 0  # reps/hold from before a checker reset
        self._hold_banked = 0.0
        self._last: Assessment | None = None

    @property
    def frames(self) -> int:
        return len(self.t_ms)

    @property
    def frames_with_pose(self) -> int:
        return self._frames_with_pose

    # -- sink interface -------------------------------------------------------------------
    def consume(self, frame: Any, assessment: Assessment) -> None:
        self.record(assessment)

    def close(self) -> None:
        """Nothing to release; the report is built on demand."""

    def consume_final(self, assessment: Assessment) -> None:
        """Events the checker decided when the stream ended: no new frame, only reps. A fault
        of a rep completed there (a cat-cow cycle whose last peak was held to the end, too
        small) never showed on a frame: it is reported from the rep's start to the end of the
        stream, where it was decided, unless a frame already showed it since the previous rep
        ended: a checker gives a rep the faults seen since then, before the rep's own start
        (known only from its first confirmed peak) as well as after it."""
        ended = [r.end_s * 1000 for r in (*self._reps, *self._partials)]
        since = max(ended, default=self.t_ms[0] if self.t_ms else 0.0)
        self._track_events(assessment)
        end = max(self.t_ms[-1], assessment.t_ms) if self.t_ms else assessment.t_ms  # the last frame
        for e in assessment.events:
            if e.kind is EventKind.REP_COMPLETED:
                start = e.start_ms if e.start_ms is not None else e.t_ms
                self._add_rep_faults(e.faults, start, end, min(since, start))
            if e.kind in (EventKind.REP_COMPLETED, EventKind.REP_PARTIAL):
                since = e.t_ms
        if self._last is not None:
            self._last = dataclasses.replace(self._last, rep_count=assessment.rep_count)

    def record(self, a: Assessment) -> None:
        t = float(a.t_ms)
        n = len(self.t_ms)
        self.t_ms.append(t)
        for name, value in a.measurements.items():
            column = self._series.get(name)
            if column is None:
                column = self._series[name] = [math.nan] * n
            column.append(float(value) if value is not None else math.nan)
        for column in self._series.values():
            if len(column) == n:  # this frame did not measure it
                column.append(math.nan)

        has_person = a.pose is not None
        self._person.append(has_person)
        if has_person:
            self._frames_with_pose += 1
            self._view_ok[a.view.ok] += 1
            self._in_position += bool(a.in_position)
            if a.view.side:
                self._view_side[a.view.side] += 1
            if not a.view.ok and a.view.problem:
                self._view_problem[str(a.view.problem)] += 1
            self._unjudged.update(a.unjudged)

        self._track_faults(a, t)
        if self._last is not None:  # a checker reset (live `r`, a routine's next set) restarts its counters
            if a.rep_count < self._last.rep_count:
                self._count_banked += self._last.rep_count
            # From zero: the hold timer also takes back time it bridged over a gap that turned
            # out too long, and that is no reset (banking it counted the hold twice).
            if a.hold_s < self._last.hold_s - 1e-6 and a.hold_s <= 1e-6:
                self._hold_banked += self._last.hold_s
                self._cut_open_hold(self._last.t_ms)
        self._track_events(a)
        self._hold_running.append(a.hold_s)
        self._last = a

    def _track_faults(self, a: Assessment, t: float) -> None:
        active = {f.code: f for f in a.faults}
        for code in [c for c in self._open_faults if c not in active]:
            self._closed_faults.setdefault(code, []).append(self._open_faults.pop(code))
        for code, fault in active.items():
            if code in self._open_faults:
                self._open_faults[code].last_ms = t
                continue
            closed = self._closed_faults.get(code)
            previous = closed[-1] if closed else None
            if previous is not None and t - previous.last_ms <= self.merge_gap_ms:
                closed.pop()  # a short flicker: the same episode continues
                previous.last_ms = t
                self._open_faults[code] = previous
                continue
            floor = previous.last_ms if previous is not None else self.t_ms[0]
            start = max(min(fault.since_ms, t), floor)
            self._open_faults[code] = _OpenFault(start, t, fault.message, fault.severity)

    def _add_rep_faults(
        self, codes: tuple[str, ...], start_ms: float, end_ms: float, since_ms: float
    ) -> None:
        """Report the rep's faults over start..end, unless an episode already showed one
        between since_ms (where the checker began gathering the rep's faults) and end."""
        spec = find_spec(self.exercise)
        infos = {f.code: f for f in spec.faults} if spec is not None else {}
        for code in codes:
            episodes = list(self._closed_faults.get(code, []))
            if code in self._open_faults:
                episodes.append(self._open_faults[code])
            if any(o.start_ms <= end_ms and o.last_ms >= since_ms for o in episodes):
                continue  # already reported in this rep's time
            info = infos.get(code)
            message, severity = (info.message, info.severity) if info else (code, Severity.MINOR)
            self._closed_faults.setdefault(code, []).append(_OpenFault(start_ms, end_ms, message, severity))

    def _cut_open_hold(self, last_ms: float) -> None:
        """A reset ended the checker's hold without a stop event: it lasted to `last_ms`, the
        last frame before the reset (otherwise the next hold's start would overwrite it)."""
        if self._hold_open_ms is not None:
            self._holds_cut.append((self._hold_open_ms, last_ms))
            self._hold_open_ms = None

    def _track_events(self, a: Assessment) -> None:
        for e in a.events:
            start_ms = e.start_ms if e.start_ms is not None else e.t_ms
            if e.kind is EventKind.REP_COMPLETED:
                self._reps.append(
                    RepRecord(
                        e.rep_index or len(self._reps) + 1,
                        start_ms / 1000,
                        e.t_ms / 1000,
                        tuple(e.faults),
                        dict(e.metrics),
                    )
                )
            elif e.kind is EventKind.REP_PARTIAL:
                self._partials.append(
                    RepRecord(
                        0, start_ms / 1000, e.t_ms / 1000, tuple(e.faults), dict(e.metrics), partial=True
                    )
                )
            elif e.kind is EventKind.HOLD_STARTED:
                self._hold_open_ms = e.t_ms
            elif e.kind is EventKind.HOLD_STOPPED:
                begin = e.start_ms if e.start_ms is not None else self._hold_open_ms
                if begin is not None:
                    self._holds.append((begin, e.t_ms, tuple(e.faults)))
                self._hold_open_ms = None

    # -- report ---------------------------------------------------------------------------
    def frame_period_ms(self) -> float:
        if len(self.t_ms) < 2:
            return 1000.0 / 30.0
        return float(np.median(np.diff(self.t_ms)))

    def report(self, duration_s: float | None = None, partial: bool = False) -> Report:
        period = self.frame_period_ms()
        first = self.t_ms[0] if self.t_ms else 0.0
        last = self.t_ms[-1] if self.t_ms else 0.0
        if duration_s is None:
            duration_s = (last - first + period) / 1000 if self.t_ms else 0.0

        faults = self._fault_intervals(period)
        fault_time: dict[str, float] = {}
        for f in faults:
            fault_time[f.code] = fault_time.get(f.code, 0.0) + f.duration_s
        holds = self._hold_records(faults, last, period)
        last_a = self._last
        hold_s = self._hold_banked + (last_a.hold_s if last_a else 0.0)
        rep_count = max(len(self._reps), self._count_banked + (last_a.rep_count if last_a else 0))
        view = self._view_summary(period)
        signals = [s for s in self.main_signals if s in self._series] or list(self._series)
        return Report(
            exercise=self.exercise,
            video=self.video,
            duration_s=duration_s,
            frames=len(self.t_ms),
            frames_with_pose=self._frames_with_pose,
            rep_count=rep_count,
            hold_s=hold_s,
            best_hold_s=max((h.duration_s for h in holds), default=0.0),
            in_position_s=self._in_position * period / 1000,
            not_judged_s={k: n * period / 1000 for k, n in self._unjudged.most_common()},
            reps=list(self._reps),
            partial_reps=list(self._partials),
            faults=faults,
            fault_time_s=fault_time,
            holds=holds,
            no_person=self._gaps(period),
            view=view,
            main_signals=tuple(signals),
            t_s=[t / 1000 for t in self.t_ms],
            series={k: list(v) for k, v in self._series.items()},
            title=self.title,
            partial=partial,
            thresholds=self.thresholds,
        )

    def _fault_intervals(self, period: float) -> list[FaultInterval]:
        """Every fault episode (ended or still open), in order of start."""
        faults = [
            FaultInterval(
                code,
                o.start_ms / 1000,
                (o.last_ms + period) / 1000,
                o.message,
                Severity(o.severity).name.lower(),
            )
            for code, o in [
                *((c, o) for c, intervals in self._closed_faults.items() for o in intervals),
                *self._open_faults.items(),
            ]
        ]
        faults.sort(key=lambda f: (f.start_s, f.code))
        return faults

    def _hold_records(self, faults: list[FaultInterval], last: float, period: float) -> list[HoldRecord]:
        """The holds with the faults during each (one still open at the end included)."""
        holds = [HoldRecord(s / 1000, e / 1000, codes) for s, e, codes in self._holds]
        for s, e in self._holds_cut:  # held up to the reset: through its last frame
            start_s, end_s = s / 1000, (e + period) / 1000
            holds.append(HoldRecord(start_s, end_s, _codes_within(faults, start_s, end_s), ended=False))
        holds.sort(key=lambda h: h.start_s)
        if self._hold_open_ms is not None:
            start_s, end_s = self._hold_open_ms / 1000, (last + period) / 1000
            holds.append(HoldRecord(start_s, end_s, _codes_within(faults, start_s, end_s), ended=False))
        if not holds:
            holds = [
                HoldRecord(i.start_s, i.end_s, _codes_within(faults, i.start_s, i.end_s))
                for i in self._holds_from_timer(period)
            ]
        return holds

    def _view_summary(self, period: float) -> ViewSummary:
        judged = sum(self._view_ok.values())
        ok_fraction = self._view_ok[True] / judged if judged else 0.0
        return ViewSummary(
            side=self._view_side.most_common(1)[0][0] if self._view_side else None,
            ok=judged > 0 and ok_fraction >= 0.5,
            ok_fraction=round(ok_fraction, 3),
            problems_s={k: n * period / 1000 for k, n in self._view_problem.most_common()},
        )

    def _gaps(self, period: float) -> list[Interval]:
        gaps: list[Interval] = []
        start: float | None = None
        for t, seen in zip(self.t_ms, self._person, strict=True):
            if not seen and start is None:
                start = t
            elif seen and start is not None:
                gaps.append(Interval(start / 1000, t / 1000))
                start = None
        if start is not None:
            gaps.append(Interval(start / 1000, (self.t_ms[-1] + period) / 1000))
        return gaps

    def _holds_from_timer(self, period: float) -> list[Interval]:
        """Hold runs from the hold timer itself, for checkers that emit no hold events."""
        holds: list[Interval] = []
        start: float | None = None
        for i in range(1, len(self._hold_running)):
            running = self._hold_running[i] > self._hold_running[i - 1] + 1e-9
            if running and start is None:
                start = self.t_ms[i - 1]
            elif not running and start is not None:
                holds.append(Interval(start / 1000, self.t_ms[i - 1] / 1000))
                start = None
        if start is not None:
            holds.append(Interval(start / 1000, self.t_ms[-1] / 1000))
        return holds
