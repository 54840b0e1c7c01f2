"""The files that are the record: session folders and journal entries.

A session folder (<data>/sessions/<YYYY-MM-DD_HH-MM-SS>[-N]/) holds the exercise's
report.json (a routine: one sub-folder per exercise, each with its report.json) and, when
there is anything to add to the reports, session.json: the kind of session and the comfort
answers. Folders written by `live` before the history existed have no session.json and are
read as live sessions. A journal entry is <data>/journal/<stamp>.json. Every file is written
atomically (temporary name, then rename).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from feedback.atomic import OutputSet, atomic_open
from feedback.history.paths import journal_dir
from feedback.history.records import (
    KINDS,
    STAMP_FORMAT,
    Comfort,
    JournalEntry,
    SessionEntry,
    check_feeling,
    check_pain,
    result_from_report,
    stamp_time,
)
from vision.errors import OutputError

REPORT_NAME = "report.json"
SESSION_NAME = "session.json"


class UnreadableFile(Exception):
    """A session or journal file that cannot be read as one (left on disk as it is)."""


def _load_json(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UnreadableFile(f"{path.name}: {getattr(err, 'strerror', None) or err}") from err


def session_folders(root: Path) -> Iterator[Path]:
    """Session folders in name (so time) order; dot-names are backform's temporary ones."""
    try:
        names = sorted(os.listdir(root))
    except FileNotFoundError:
        return
    for name in names:
        path = root / name
        if not name.startswith(".") and path.is_dir():
            yield path


def journal_files(root: Path) -> Iterator[Path]:
    folder = journal_dir(root)
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return
    for name in names:
        if name.endswith(".json") and not name.startswith("."):
            yield folder / name


def report_files(folder: Path) -> list[Path]:
    """report.json of a one-exercise session, or each exercise's in a routine's sub-folders."""
    single = folder / REPORT_NAME
    if single.is_file():
        return [single]
    return sorted(p for p in folder.glob(f"*/{REPORT_NAME}") if not p.parent.name.startswith("."))


def read_session_folder(folder: Path) -> SessionEntry | None:
    """The history row of a session folder; None for a folder with no report (not a session)."""
    reports = report_files(folder)
    if not reports:
        return None
    meta_path = folder / SESSION_NAME
    meta = _load_json(meta_path) if meta_path.is_file() else {}
    loaded = [_load_json(p) for p in reports]
    try:
        if not isinstance(meta, Mapping) or not all(isinstance(r, Mapping) for r in loaded):
            raise ValueError("not a JSON object")
        results = tuple(result_from_report(r) for r in loaded)
        comfort = Comfort.from_dict(meta.get("comfort") or {})
        kind = meta.get("kind", "live")
        if kind not in KINDS:
            raise ValueError(f"unknown kind of session {kind!r}")
        started = meta.get("started_at")
        started_at = (
            datetime.fromisoformat(started) if isinstance(started, str) else stamp_time(folder.name)
        ) or datetime.fromtimestamp(reports[0].stat().st_mtime)
    except (ValueError, TypeError, OSError) as err:
        raise UnreadableFile(str(err)) from err
    return SessionEntry(
        uid=folder.name,
        kind=kind,
        started_at=started_at,
        results=results,
        comfort=comfort,
        duration_s=round(sum(r.duration_s for r in results), 3),
        folder=str(folder),
        source=meta.get("source") or loaded[0].get("video"),
        partial=any(bool(r.get("partial")) for r in loaded),
    )


def session_meta(kind: str, comfort: Comfort, source: str | None = None) -> dict[str, Any]:
    return {"kind": kind, "source": source, "comfort": comfort.to_dict()}


def write_session_meta(folder: Path, meta: Mapping[str, Any]) -> Path:
    """session.json into an existing session folder (atomic)."""
    path = folder / SESSION_NAME
    with atomic_open(path, "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    return path


def stage_session_meta(outputs: OutputSet, folder: Path, meta: Mapping[str, Any]) -> Path:
    path = folder / SESSION_NAME
    with outputs.open(path, "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    return path


def new_session_folder(root: Path, now: datetime | None = None) -> Path:
    """<root>/<YYYY-MM-DD_HH-MM-SS>[-N], never reused (the naming `live` uses for its folders)."""
    stamp = (now or datetime.now()).strftime(STAMP_FORMAT)
    for n in range(1000):
        folder = root / (stamp if n == 0 else f"{stamp}-{n}")
        try:
            folder.mkdir(parents=True, exist_ok=False)
            return folder
        except FileExistsError:
            continue
        except OSError as err:
            raise OutputError(f"Cannot create the session folder {folder}: {err.strerror or err}.") from err
    raise OutputError(f"Too many sessions named {stamp} in {root}.")


def read_journal_file(path: Path) -> JournalEntry:
    data = _load_json(path)
    try:
        if not isinstance(data, Mapping):
            raise ValueError("not a JSON object")
        at = datetime.fromisoformat(data["at"]) if data.get("at") else stamp_time(path.stem)
        if at is None:
            raise ValueError("no date")
        note = data.get("note")
        return JournalEntry(
            uid=path.stem,
            at=at,
            pain=check_pain(data.get("pain")),
            note=" ".join(str(note).split()) or None if note is not None else None,
            daily_tasks=check_feeling(data.get("daily_tasks")),
            sleep=check_feeling(data.get("sleep")),
        )
    except (ValueError, TypeError, KeyError) as err:
        raise UnreadableFile(str(err)) from err


def write_journal_file(root: Path, entry: JournalEntry) -> JournalEntry:
    """Write a new journal file named for the entry's time ([-N] if that name is taken);
    returns the entry with its final uid."""
    folder = journal_dir(root)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"Cannot create the journal folder {folder}: {err.strerror or err}.") from err
    stamp = entry.at.strftime(STAMP_FORMAT)
    for n in range(1000):
        uid = stamp if n == 0 else f"{stamp}-{n}"
        path = folder / f"{uid}.json"
        if os.path.lexists(path):
            continue
        final = JournalEntry(uid, entry.at, entry.pain, entry.note, entry.daily_tasks, entry.sleep)
        with atomic_open(path, "w", encoding="utf-8") as f:
            json.dump(final.to_dict(), f, indent=1)
            f.write("\n")
        return final
    raise OutputError(f"Too many journal entries named {stamp} in {folder}.")
