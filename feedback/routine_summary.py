"""A routine's results in numbers (per exercise and totals, for routine.json) and the
summary printed at the end of the session."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from exercises.spec import Counts
from feedback.live_summary import main_fault, range_reached
from feedback.routine_mismatch import a_title
from feedback.routine_plan import PAIN_ADVICE, target_words

if TYPE_CHECKING:
    from feedback.routine_run import ExerciseOutcome, RoutineResult


def exercise_summary(outcome: ExerciseOutcome) -> dict[str, Any]:
    """One exercise: what was asked, what was done (reps, good-form reps, hold, fault, range)."""
    step, r = outcome.step, outcome.report
    counts = step.spec.counts
    fault = main_fault(r) if r is not None else None
    return {
        "position": outcome.position,
        "exercise": step.exercise,
        "title": step.spec.title,
        "asked": target_words(step),
        "sets": step.sets,
        "sets_done": outcome.sets_done,
        "skipped": outcome.skipped,
        "reps": r.rep_count if r is not None else 0,
        "good_reps": sum(1 for rep in r.reps if not rep.faults) if r is not None else 0,
        "hold_s": round(r.hold_s, 2) if r is not None else 0.0,
        "best_hold_s": round(r.best_hold_s, 2) if r is not None else 0.0,
        "main_fault": None
        if fault is None
        else {"code": fault.code, "advice": fault.message, "s": round(fault.seconds, 2)},
        # The span of a repeated movement; a hold is kept still, so it has none.
        "range": range_reached(r) if r is not None and counts == Counts.REPS else None,
        "duration_s": round(r.duration_s, 2) if r is not None else 0.0,
        # Stretches in which the recogniser saw another exercise done instead (not counted).
        "mismatch": [{"seen": m.seen, "start_s": m.start_s, "end_s": m.end_s} for m in outcome.mismatch],
    }


def routine_summary(result: RoutineResult) -> dict[str, Any]:
    """Everything of the session that is not in an exercise's own report: routine.json."""
    exercises = [exercise_summary(o) for o in result.outcomes]
    pain = result.pain
    return {
        "routine": result.routine.name,
        "plan": [
            {"exercise": s.exercise, "sets": s.sets, "reps": s.reps, "hold_s": s.hold_s, "rest_s": s.rest_s}
            for s in result.routine.steps
        ],
        "complete": result.complete,
        "stopped_for_pain": None
        if pain is None
        else {
            "exercise": pain.exercise,
            "set": pain.set_no,
            "session_s": pain.session_s,
            "at": pain.at.isoformat(timespec="seconds"),
            "advice": PAIN_ADVICE,
        },
        "camera_ended": result.camera_ended,
        "exercises": exercises,
        "totals": {
            "exercises_done": sum(1 for e in exercises if e["sets_done"] == e["sets"]),
            "exercises": len(result.routine.steps),
            "sets_done": sum(e["sets_done"] for e in exercises),
            "sets": sum(s.sets for s in result.routine.steps),
            "reps": sum(e["reps"] for e in exercises),
            "good_reps": sum(e["good_reps"] for e in exercises),
            "hold_s": round(sum(e["hold_s"] for e in exercises), 2),
            "exercise_time_s": round(sum(e["duration_s"] for e in exercises), 2),
            "session_s": round(result.stats.wall_s, 2),
        },
    }


def ending_words(result: RoutineResult) -> str:
    if result.pain is not None:
        p = result.pain
        when = f"{p.at:%H:%M:%S} ({p.session_s:.0f} s in)"
        return f"Stopped for pain during {p.exercise}, set {p.set_no}, at {when}."
    if result.complete:
        return "Routine complete."
    if result.camera_ended:
        return "The camera ended before the routine did."
    return "Finished early."


def mismatch_lines(exercises: list[dict[str, Any]]) -> list[str]:
    """One line per stretch in which another exercise was done than the one announced."""
    return [
        f"During {e['title'].lower()}: looked like {a_title(m['seen'])} "
        f"from {m['start_s']:.1f} s to {m['end_s']:.1f} s (not counted)."
        for e in exercises
        for m in e["mismatch"]
    ]


def print_routine_summary(result: RoutineResult, console) -> None:
    from rich.table import Table

    data = routine_summary(result)
    table = Table(title=f"{result.routine.name} - {ending_words(result)}")
    for name in ("exercise", "sets", "reps (good form)", "hold", "main fault", "range reached"):
        table.add_column(name)
    for e in data["exercises"]:
        counts = result.routine.steps[e["position"] - 1].spec.counts
        table.add_row(
            e["title"] + (" (skipped)" if e["skipped"] else ""),
            f"{e['sets_done']} / {e['sets']}",
            f"{e['reps']} ({e['good_reps']})" if counts == Counts.REPS else "",
            f"{e['hold_s']:.1f} s" if counts == Counts.HOLD else "",
            e["main_fault"]["advice"] if e["main_fault"] else "none",
            e["range"] or "",
        )
    console.print(table)
    t = data["totals"]
    console.print(
        f"Totals: {t['exercises_done']} of {t['exercises']} exercises, {t['sets_done']} of {t['sets']} sets, "
        f"{t['reps']} reps ({t['good_reps']} with good form), {t['hold_s']:.1f} s held.",
        soft_wrap=True,
    )
    for line in mismatch_lines(data["exercises"]):
        console.print(line, soft_wrap=True)
    if result.pain is not None:
        console.print(PAIN_ADVICE, soft_wrap=True)
    if result.folder is not None:
        console.print(f"Saved: {result.folder} (routine.json, a report per exercise)", soft_wrap=True)
    else:
        console.print("Nobody was seen during the session; nothing was saved.")
