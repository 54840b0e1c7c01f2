"""The history as a table for the terminal and as a CSV for a clinician."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

from rich.table import Table

from feedback.atomic import atomic_open, check_writable
from feedback.history.records import ExerciseResult, JournalEntry, SessionEntry
from vision.errors import ConfigError

_RELATIVE = re.compile(r"^\s*(\d+)\s*([dw])\s*$", re.IGNORECASE)


def parse_since(text: str, today: date | None = None) -> datetime:
    """`--since`: a date (2026-11-01) or a span back from today (10d, 3w)."""
    today = today or date.today()
    if m := _RELATIVE.match(text):
        days = int(m.group(1)) * (7 if m.group(2).lower() == "w" else 1)
        return datetime.combine(today - timedelta(days=days), datetime.min.time())
    try:
        return datetime.combine(date.fromisoformat(text.strip()), datetime.min.time())
    except ValueError:
        raise ConfigError(
            f"--since takes a date (2026-11-01) or a span like 10d or 3w, not '{text}'."
        ) from None


def only_exercise(sessions: Sequence[SessionEntry], exercise: str | None) -> list[SessionEntry]:
    """With an exercise named, each session keeps only that exercise's results."""
    if exercise is None:
        return list(sessions)
    from dataclasses import replace

    kept = [replace(s, results=tuple(r for r in s.results if r.exercise == exercise)) for s in sessions]
    return [s for s in kept if s.results]


def _words(code: str | None) -> str:
    return code.replace("_", " ").replace("-", " ") if code else ""


def _good_form(results: Sequence[ExerciseResult]) -> str:
    reps = sum(r.reps for r in results)
    return f"{sum(r.good_reps for r in results)}/{reps}" if reps else "-"


def _hold(results: Sequence[ExerciseResult]) -> str:
    hold = sum(r.hold_s for r in results)
    return f"{hold:.0f} s" if hold > 0 else "-"


def _main_fault(results: Sequence[ExerciseResult]) -> str:
    faults = [_words(r.main_fault) for r in results if r.main_fault]
    return ", ".join(dict.fromkeys(faults)) or "none"


def pain_text(before: int | None, after: int | None) -> str:
    if before is None and after is None:
        return "-"
    return f"{'?' if before is None else before} → {'?' if after is None else after}"


def sessions_table(sessions: Sequence[SessionEntry], title: str = "Recent sessions") -> Table:
    partial = any(s.partial for s in sessions)
    table = Table(title=title, caption="* stopped early" if partial else None)
    for name, justify in (
        ("session", "left"),
        ("date", "left"),
        ("exercises", "left"),
        ("good form", "right"),
        ("hold", "right"),
        ("main fault", "left"),
        ("pain", "center"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for s in sessions:
        exercises = ", ".join(dict.fromkeys(_words(r.exercise) for r in s.results))
        if s.kind != "live":
            exercises += f" ({s.kind})"
        table.add_row(
            s.uid,
            f"{s.started_at:%a %d %b %H:%M}",
            exercises + (" *" if s.partial else ""),
            _good_form(s.results),
            _hold(s.results),
            _main_fault(s.results),
            pain_text(s.comfort.pain_before, s.comfort.pain_after),
        )
    return table


CSV_COLUMNS = (
    "date",
    "time",
    "session",
    "kind",
    "exercise",
    "reps",
    "good_form_reps",
    "hold_s",
    "best_hold_s",
    "duration_s",
    "main_fault",
    "range_signal",
    "range_low",
    "range_high",
    "pain_before",
    "pain_after",
    "journal_pain",
    "daily_tasks",
    "sleep",
    "stopped_for_pain",
    "partial",
    "note",
)


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return value


def csv_rows(sessions: Sequence[SessionEntry], journal: Sequence[JournalEntry]) -> list[dict[str, object]]:
    """One row per exercise of each session and one per journal entry, in time order."""
    rows: list[tuple[datetime, dict[str, object]]] = []
    for s in sessions:
        c = s.comfort
        for r in s.results:
            rows.append(
                (
                    s.started_at,
                    {
                        "session": s.uid,
                        "kind": s.kind,
                        "exercise": r.exercise,
                        "reps": r.reps,
                        "good_form_reps": r.good_reps,
                        "hold_s": r.hold_s,
                        "best_hold_s": r.best_hold_s,
                        "duration_s": r.duration_s,
                        "main_fault": r.main_fault,
                        "range_signal": r.range_signal,
                        "range_low": r.range_low,
                        "range_high": r.range_high,
                        "pain_before": c.pain_before,
                        "pain_after": c.pain_after,
                        "daily_tasks": c.daily_tasks,
                        "sleep": c.sleep,
                        "stopped_for_pain": c.stopped_for_pain,
                        "partial": s.partial,
                        "note": c.note,
                    },
                )
            )
    for j in journal:
        row = {"session": j.uid, "kind": "journal", "journal_pain": j.pain, "note": j.note}
        rows.append((j.at, {**row, "daily_tasks": j.daily_tasks, "sleep": j.sleep}))
    rows.sort(key=lambda item: item[0])
    return [
        {
            **dict.fromkeys(CSV_COLUMNS, ""),
            **{k: _cell(v) for k, v in row.items()},
            "date": f"{at:%Y-%m-%d}",
            "time": f"{at:%H:%M:%S}",
        }
        for at, row in rows
    ]


def write_csv(path: Path, sessions: Sequence[SessionEntry], journal: Sequence[JournalEntry]) -> Path:
    path = check_writable(Path(path))
    with atomic_open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(csv_rows(sessions, journal))
    return path
