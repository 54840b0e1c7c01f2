"""Putting sessions and journal entries into the history: the files first, then the index.

The files are written before the database is touched, so a database that fails afterwards
(damaged, locked, newer) loses nothing: the next `backform history` imports them.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path
from typing import Any

from feedback.history import files
from feedback.history.paths import sessions_dir
from feedback.history.records import Comfort, JournalEntry, SessionEntry, check_feeling, check_pain
from feedback.history.store import HistoryStore
from vision.errors import ConfigError


def comfort_from_options(
    pain_before: int | None = None,
    pain_after: int | None = None,
    note: str | None = None,
    daily_tasks: str | None = None,
    sleep: str | None = None,
) -> Comfort:
    """The comfort answers given on the command line, checked (one ConfigError line each)."""
    values: dict[str, Any] = {}
    for option, key, value, check in (
        ("--pain-before", "pain_before", pain_before, check_pain),
        ("--pain-after", "pain_after", pain_after, check_pain),
        ("--tasks", "daily_tasks", daily_tasks, check_feeling),
        ("--sleep", "sleep", sleep, check_feeling),
    ):
        try:
            values[key] = check(value)
        except ValueError as err:
            raise ConfigError(f"{option}: {err}.") from None
    text = " ".join(note.split()) if note else None
    return Comfort(note=text or None, **values)


def has_answers(comfort: Comfort) -> bool:
    return any(v is not None for v in (comfort.pain_before, comfort.pain_after, comfort.note))


def record_session(
    store: HistoryStore, folder: Path, kind: str, comfort: Comfort, source: str | None = None
) -> SessionEntry | None:
    """Add a session folder that is already written (live, routine) to the history, with its
    comfort answers saved beside the reports. Folders kept outside the data folder (a
    custom sessions folder) are not the history's: None."""
    if folder.parent.resolve() != sessions_dir(store.root).resolve():
        return None
    files.write_session_meta(folder, files.session_meta(kind, comfort, source))
    entry = files.read_session_folder(folder)
    if entry is not None:
        store.add_session(entry)
    return entry


def record_live(store: HistoryStore, result: Any, comfort: Comfort) -> SessionEntry | JournalEntry | None:
    """After `live`: its session folder into the history. Nobody seen means no session was
    saved; pain scores or a note given all the same become a journal entry."""
    if result.folder is None:
        if not has_answers(comfort):
            return None
        pains = [p for p in (comfort.pain_after, comfort.pain_before) if p is not None]
        return add_journal(
            store,
            pain=pains[0] if pains else None,
            note=comfort.note,
            daily_tasks=comfort.daily_tasks,
            sleep=comfort.sleep,
        )
    source = result.report.video if result.report is not None else None
    return record_session(store, Path(result.folder), "live", comfort, source)


def save_analysis(store: HistoryStore, report: Any, comfort: Comfort | None = None) -> SessionEntry:
    """`analyze --save`: the report's files in a new session folder, then into the history."""
    from feedback.atomic import OutputSet
    from feedback.report import stage_report_files

    folder = files.new_session_folder(sessions_dir(store.root))
    try:
        with OutputSet() as outputs:
            stage_report_files(
                report, outputs, folder / "report.json", folder / "report.csv", folder / "report.png"
            )
            files.stage_session_meta(
                outputs, folder, files.session_meta("analyze", comfort or Comfort(), report.video)
            )
            outputs.commit()
    except BaseException:
        with contextlib.suppress(OSError):
            folder.rmdir()  # only if empty: nothing was kept
        raise
    entry = files.read_session_folder(folder)
    assert entry is not None  # its report.json was just written
    store.add_session(entry)
    return entry


def add_journal(
    store: HistoryStore,
    pain: int | None = None,
    note: str | None = None,
    daily_tasks: str | None = None,
    sleep: str | None = None,
    at: datetime | None = None,
) -> JournalEntry:
    """A journal entry for a day (with or without exercise): its file, then the index."""
    entry = JournalEntry("", at or datetime.now().replace(microsecond=0), pain, note, daily_tasks, sleep)
    entry = files.write_journal_file(store.root, entry)
    store.add_journal(entry)
    return entry
