"""The batch's summary: one table on screen and `summary.csv`, one row per video."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from rich.table import Table

from exercises.registry import spec_for
from exercises.spec import Counts
from feedback.atomic import atomic_open
from feedback.batch import BatchRow
from feedback.batch_inputs import AUTO

CSV_COLUMNS = ("file", "exercise", "reps", "good_form_reps", "hold_s", "main_fault", "view", "status", "note")


def _fault(code: str | None) -> str:
    return code.replace("_", " ") if code else ""


def expanded(rows: Sequence[BatchRow]) -> list[BatchRow]:
    """The rows as shown: a recognised video's row gives way to its segments' rows."""
    return [s for r in rows for s in (r.segments or [r])]


def write_summary_csv(rows: Sequence[BatchRow], path: Path) -> Path:
    with atomic_open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for r in expanded(rows):
            writer.writerow(
                [
                    r.file,
                    r.exercise,
                    "" if r.reps is None else r.reps,
                    "" if r.good_reps is None else r.good_reps,
                    "" if r.hold_s is None else f"{r.hold_s:.1f}",
                    r.main_fault or "",
                    r.view or "",
                    r.status,
                    r.note,
                ]
            )
    return path


def summary_table(rows: Sequence[BatchRow]) -> Table:
    table = Table(title=f"backform analyze: {len(rows)} videos")
    for name, justify in (
        ("file", "left"),
        ("exercise", "left"),
        ("reps", "right"),
        ("good form", "right"),
        ("hold", "right"),
        ("main fault", "left"),
        ("view", "left"),
        ("status", "left"),
    ):
        table.add_column(name, justify=justify)
    for r in expanded(rows):
        holds = r.exercise != AUTO and spec_for(r.exercise).counts == Counts.HOLD
        hold = f"{r.hold_s:.1f} s" if r.hold_s is not None and (r.hold_s or holds) else ""
        status = r.status if not r.note or not r.failed else f"failed: {r.note}"
        # A held exercise counts no reps: its cells stay empty rather than show a misleading 0.
        no_reps = r.reps is None or (holds and not r.reps)
        table.add_row(
            r.file,
            r.exercise,
            "" if no_reps else str(r.reps),
            "" if no_reps else str(r.good_reps),
            hold,
            _fault(r.main_fault),
            r.view or "",
            status,
        )
    return table


def counts_line(rows: Sequence[BatchRow]) -> str:
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    return ", ".join(f"{n} {status}" for status, n in counts.items())
