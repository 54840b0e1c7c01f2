"""Why a session counted nothing, in one sentence for the user and the report.

A report with zero reps (or no hold time) is ambiguous: bad form, a camera problem, or a
movement that never got going. The session already knows which; this says it.
"""

from __future__ import annotations

from feedback.session import Report

MIN_NOTABLE_S = 0.5  # shorter stretches are the gate settling, not something to report


def why_nothing_counted(report: Report, counts: str, start_position: str) -> str | None:
    """The reason nothing was counted, or None when something was (or nothing was judged at
    all: that is an error of its own). `counts` is "reps" or "hold"."""
    counted = report.hold_s if counts == "hold" else report.rep_count
    if counted > 0:
        return None
    if not report.frames_with_pose:
        return None
    lead = "No hold time" if counts == "hold" else "No reps counted"
    view = _view_problems(report)
    if report.in_position_s < MIN_NOTABLE_S:
        return f"{lead}: never {start_position} where the camera could judge it{view}."
    where = f"in position for {report.in_position_s:.1f} s"
    if counts == "hold":
        if report.fault_time_s:
            code, seconds = max(report.fault_time_s.items(), key=lambda kv: kv[1])
            return f"{lead}: {where}, but with a fault all along ({code.replace('_', ' ')} {seconds:.1f} s)."
        return f"{lead}: {where}, never still long enough for the hold to start."
    if report.partial_reps:
        n = len(report.partial_reps)
        return (
            f"{lead}: {where}; {n} movement{'s' if n > 1 else ''} started but none went far enough to count."
        )
    return f"{lead}: {where}, but no rep movement was seen{view}."


def _view_problems(report: Report) -> str:
    problems = {k: v for k, v in report.view.problems_s.items() if v >= MIN_NOTABLE_S}
    if not problems:
        return ""
    worst = max(problems, key=problems.__getitem__)
    return f" ({worst.replace('_', ' ')} for {problems[worst]:.1f} s)"
