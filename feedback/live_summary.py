"""The one-screen summary printed when a live session ends."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from rich.markup import escape

from exercises.registry import spec_for
from exercises.spec import Counts
from feedback.session import Report

if TYPE_CHECKING:
    from feedback.live import LiveResult


def range_reached(report: Report) -> str | None:
    """The span of the exercise's main signal over the session (2nd to 98th percentile)."""
    for name in report.main_signals:
        values = np.asarray(report.series.get(name, []), dtype=float)
        values = values[np.isfinite(values)]
        if values.size >= 5:
            lo, hi = np.percentile(values, [2, 98])
            if name.endswith("_deg"):
                return f"{name[:-4].replace('_', ' ')} {lo:.0f} to {hi:.0f} deg"
            return f"{name.replace('_', ' ')} {lo:.2f} to {hi:.2f}"
    return None


class MainFault(NamedTuple):
    code: str
    message: str  # the advice
    seconds: float  # how long it was present in all


def main_fault(report: Report) -> MainFault | None:
    """The fault present longest."""
    if not report.fault_time_s:
        return None
    code, total = max(report.fault_time_s.items(), key=lambda kv: kv[1])
    message = next((f.message for f in report.faults if f.code == code), code)
    return MainFault(code, message, total)


def print_live_summary(result: LiveResult, console) -> None:
    from rich.table import Table

    r = result.report
    if r is None:
        console.print("Nobody was seen during the session; nothing was saved.")
        return
    table = Table(title=f"{r.title or r.exercise} - session summary", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("Duration", f"{r.duration_s:.0f} s" + (" (stopped early)" if r.partial else ""))
    counts = spec_for(r.exercise).counts
    if counts == Counts.REPS or r.reps:
        good = sum(1 for rep in r.reps if not rep.faults)
        partial = f", {len(r.partial_reps)} partial" if r.partial_reps else ""
        table.add_row("Reps", f"{r.rep_count} ({good} with good form{partial})")
    if counts == Counts.HOLD or r.hold_s:
        table.add_row("Hold", f"{r.hold_s:.1f} s (best continuous {r.best_hold_s:.1f} s)")
    fault = main_fault(r)
    table.add_row("Main fault", f"{fault.message} ({fault.seconds:.1f} s)" if fault else "none")
    # The span of a repeated movement; a hold is kept still, so it has none.
    reached = range_reached(r) if counts == Counts.REPS else None
    if reached:
        table.add_row("Range reached", reached)
    if not r.view.ok:
        table.add_row("View", f"could judge only {r.view.ok_fraction:.0%} of the frames with you in view")
    s = result.stats
    p50, p95 = s.latency_percentile(50), s.latency_percentile(95)
    if p50 is not None:
        speed = f"{s.fps:.1f} fps, latency {p50:.0f} ms (p95 {p95:.0f} ms)"
        table.add_row("Speed", f"{speed}, {s.dropped_fraction:.0%} of camera frames skipped")
    console.print(table)
    for kind, path in result.written.items():
        console.print(f"{kind:>6}: {escape(str(path))}", soft_wrap=True)
