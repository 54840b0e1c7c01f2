"""Weeks of generated sessions for the history tests, written as backform writes them.

Each session is a real `Report` (feedback.session) saved as report.json in a session folder
named for its time, so the history imports them exactly as it imports what `live` saved.
The numbers follow simple trends (more good-form reps, deeper hinges, longer planks, pain
easing or not) with seeded noise.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np

from feedback.report import write_json
from feedback.session import FaultInterval, Report, RepRecord, ViewSummary

# Main signal per exercise (the checkers' first main signal) and the fault each one shows.
SIGNALS = {"hip-hinge": "trunk_inclination_deg", "cat-cow": "spine_curvature", "plank": "body_line_deg"}
FAULTS = {"hip-hinge": "rounded_back", "cat-cow": "elbows_bent", "plank": "hips_sagging"}


def make_report(
    exercise: str,
    reps: int = 0,
    good: int = 0,
    hold_s: float = 0.0,
    duration_s: float = 60.0,
    low: float = 0.0,
    high: float = 1.0,
    seed: int = 0,
) -> Report:
    """A report with `reps` reps of which `good` have no fault, a main signal swinging
    between `low` and `high`, and `hold_s` seconds of hold."""
    rng = np.random.default_rng(seed)
    n = 200
    t = [duration_s * i / n for i in range(n)]
    cycles = max(reps, 1)
    values = [low + (high - low) * (0.5 - 0.5 * math.cos(2 * math.pi * cycles * i / n)) for i in range(n)]
    values = [v + float(rng.normal(0, 0.002 * max(abs(high - low), 1e-3))) for v in values]
    fault = FAULTS[exercise]
    rep_len = duration_s / cycles
    records = [
        RepRecord(i + 1, i * rep_len, (i + 1) * rep_len, () if i < good else (fault,)) for i in range(reps)
    ]
    faults = [
        FaultInterval(fault, r.start_s, r.start_s + 1.0, "fault", "warning") for r in records if r.faults
    ]
    if exercise == "plank" and hold_s < duration_s * 0.8:
        faults.append(FaultInterval(fault, hold_s, hold_s + 2.0, "fault", "warning"))
    fault_time: dict[str, float] = {}
    for f in faults:
        fault_time[f.code] = fault_time.get(f.code, 0.0) + f.duration_s
    return Report(
        exercise=exercise,
        video="camera 0",
        duration_s=duration_s,
        frames=n,
        frames_with_pose=n,
        rep_count=reps,
        hold_s=hold_s,
        best_hold_s=hold_s,
        reps=records,
        partial_reps=[],
        faults=faults,
        fault_time_s=fault_time,
        holds=[],
        no_person=[],
        view=ViewSummary("left", True, 1.0, {}),
        main_signals=(SIGNALS[exercise],),
        t_s=t,
        series={SIGNALS[exercise]: values},
        title=exercise,
    )


def write_session(
    sessions: Path,
    at: datetime,
    reports: list[Report],
    kind: str = "live",
    comfort: dict | None = None,
) -> Path:
    """A session folder as backform writes it; `comfort=None` and kind live: no session.json,
    like the folders `live` wrote before the history existed."""
    folder = sessions / at.strftime("%Y-%m-%d_%H-%M-%S")
    folder.mkdir(parents=True)
    if len(reports) == 1:
        write_json(reports[0], folder / "report.json")
    else:
        for i, report in enumerate(reports, 1):
            sub = folder / f"{i}-{report.exercise}"
            sub.mkdir()
            write_json(report, sub / "report.json")
    if comfort is not None or kind != "live":
        meta = {"kind": kind, "source": "camera 0", "comfort": comfort or {}}
        (folder / "session.json").write_text(json.dumps(meta))
    return folder


@dataclass
class Generated:
    sessions: list[Path] = field(default_factory=list)
    journal: list[Path] = field(default_factory=list)
    exercise_results: int = 0
    pains_before: list[tuple[date, int]] = field(default_factory=list)


def generate_weeks(
    root: Path,
    first_monday: date,
    weeks: int = 6,
    days: tuple[int, ...] = (0, 2, 4, 5),
    pain: str = "easing",
    seed: int = 1,
) -> Generated:
    """Weeks of practice into data folder `root`: hinge every practice day (with pain before
    and after), a plank session on the first two days, a routine (cat-cow, hinge, plank) on
    the last, and a journal entry each Sunday. pain: "easing" or "flat"."""
    rng = np.random.default_rng(seed)
    out = Generated()
    sessions = root / "sessions"
    for week in range(weeks):
        for k, weekday in enumerate(days):
            day = first_monday + timedelta(days=7 * week + weekday)
            base = 6.5 - 0.9 * week if pain == "easing" else 5.0
            before = int(np.clip(round(base + rng.integers(-1, 2) * 0.5), 0, 10))
            after = max(0, before - 1)
            at = datetime.combine(day, time(8, 15)) + timedelta(minutes=int(rng.integers(0, 30)))
            good = min(8, 3 + week)
            depth = 55.0 + 4.0 * week + float(rng.normal(0, 1.5))
            hinge = make_report("hip-hinge", 8, good, 0.0, 90.0, 5.0, depth, seed=week * 10 + k)
            if week == 0 and k == 0:  # a folder from before the history existed
                out.sessions.append(write_session(sessions, at, [hinge]))
            elif k == len(days) - 1:
                cat = make_report(
                    "cat-cow", 8, min(8, 4 + week), 0.0, 80.0, -0.1 - 0.01 * week, 0.1 + 0.01 * week
                )
                plank = make_report("plank", 0, 0, 20.0 + 4 * week, 40.0 + 4 * week, 170.0, 178.0)
                comfort = {"pain_before": before, "pain_after": after, "sleep": "same"}
                out.sessions.append(write_session(sessions, at, [cat, hinge, plank], "routine", comfort))
                out.exercise_results += 2
            else:
                comfort = {"pain_before": before, "pain_after": after, "note": f"week {week + 1}"}
                out.sessions.append(write_session(sessions, at, [hinge], "live", comfort))
            out.exercise_results += 1
            out.pains_before.append((day, before))
            if k < 2:
                plank = make_report("plank", 0, 0, 15.0 + 5 * week, 35.0 + 5 * week, 170.0, 178.0)
                out.sessions.append(write_session(sessions, at + timedelta(hours=9), [plank], "live", {}))
                out.exercise_results += 1
        sunday = first_monday + timedelta(days=7 * week + 6)
        journal = root / "journal"
        journal.mkdir(parents=True, exist_ok=True)
        path = journal / f"{sunday:%Y-%m-%d}_20-00-00.json"
        entry = {
            "at": f"{sunday}T20:00:00",
            "pain": max(0, 5 - week) if pain == "easing" else 5,
            "note": "rest day",
        }
        path.write_text(json.dumps({**entry, "daily_tasks": "better" if pain == "easing" else "same"}))
        out.journal.append(path)
    return out
