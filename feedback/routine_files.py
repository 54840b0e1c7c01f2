"""Where a routine session is saved: one new session folder with one sub-folder per exercise
(the same report.json/.csv/.png as `analyze`) and routine.json (the routine's totals), all
written as one set."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from feedback.history.files import new_session_folder
from feedback.report import stage_report_files
from feedback.routine_summary import routine_summary
from feedback.stopping import held

if TYPE_CHECKING:
    from feedback.routine_run import RoutineResult

ROUTINE_NAME = "routine.json"


def exercise_folder_name(position: int, exercise: str) -> str:
    return f"{position:02d}_{exercise}"


def save_routine(result: RoutineResult, sessions_root: Path) -> tuple[Path | None, dict[str, Path]]:
    """The reports of the exercises someone was seen in, and routine.json; nothing at all
    (no folder) when nobody was seen. All or nothing; a stop signal is held until done."""
    from feedback.atomic import OutputSet

    judged = [o for o in result.outcomes if o.report is not None]
    if not judged:
        return None, {}
    written: dict[str, Path] = {}
    folder = None
    made: list[Path] = []
    try:
        with held(), OutputSet() as files:
            folder = new_session_folder(sessions_root)
            for o in judged:
                sub = folder / exercise_folder_name(o.position, o.step.exercise)
                sub.mkdir()
                made.append(sub)
                paths = stage_report_files(
                    o.report, files, sub / "report.json", sub / "report.csv", sub / "report.png"
                )
                written.update({f"{sub.name} {kind}": path for kind, path in paths.items()})
            path = folder / ROUTINE_NAME
            with files.open(path, "w", encoding="utf-8") as f:
                json.dump(routine_summary(result), f, indent=1)
                f.write("\n")
            written["routine"] = path
            files.commit()
    except BaseException:
        for empty in [*reversed(made), folder]:
            if empty is not None:
                with contextlib.suppress(OSError):
                    empty.rmdir()  # only if empty: nothing of the session was kept
        raise
    return folder, written
