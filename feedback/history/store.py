"""The history database: one SQLite file in the data folder, versioned and migrated.

It is an index of the files (session folders, journal files; see `files`), so it can always
be rebuilt from them:

- a damaged database is renamed aside (never overwritten or deleted) and a new one is built
  from the files, with one warning;
- a database from a newer backform is refused and left exactly as it is;
- a read-only data folder: writing commands fail with one line before changing anything;
  reading commands work on an in-memory copy.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from feedback.history import files
from feedback.history.paths import DATA_DIR_ENV, data_dir, database_path, sessions_dir
from feedback.history.records import Comfort, ExerciseResult, JournalEntry, SessionEntry
from vision.errors import BackformError, ConfigError, OutputError

# MIGRATIONS[n] takes a database from schema version n to n + 1 (PRAGMA user_version).
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        uid TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        started_at TEXT NOT NULL,
        duration_s REAL NOT NULL DEFAULT 0,
        folder TEXT,
        source TEXT,
        partial INTEGER NOT NULL DEFAULT 0,
        pain_before INTEGER CHECK (pain_before BETWEEN 0 AND 10),
        pain_after INTEGER CHECK (pain_after BETWEEN 0 AND 10),
        note TEXT,
        daily_tasks TEXT,
        sleep TEXT,
        stopped_for_pain INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX sessions_by_time ON sessions (started_at);
    CREATE TABLE exercise_results (
        session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        exercise TEXT NOT NULL,
        reps INTEGER NOT NULL DEFAULT 0,
        good_reps INTEGER NOT NULL DEFAULT 0,
        hold_s REAL NOT NULL DEFAULT 0,
        best_hold_s REAL NOT NULL DEFAULT 0,
        duration_s REAL NOT NULL DEFAULT 0,
        main_fault TEXT,
        range_signal TEXT,
        range_low REAL,
        range_high REAL,
        PRIMARY KEY (session_id, position)
    );
    CREATE TABLE journal (
        id INTEGER PRIMARY KEY,
        uid TEXT NOT NULL UNIQUE,
        at TEXT NOT NULL,
        pain INTEGER CHECK (pain BETWEEN 0 AND 10),
        note TEXT,
        daily_tasks TEXT,
        sleep TEXT
    );
    CREATE INDEX journal_by_time ON journal (at);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
BUSY_TIMEOUT_S = 30.0  # another backform (live while `history` runs) holds the lock briefly


class HistoryError(BackformError):
    """The history database cannot be used (newer schema, unreadable)."""


class HistoryUnwritableError(OutputError):
    """The data folder cannot be written: nothing was recorded or changed."""


Warn = Callable[[str], None]


def _guarded(method):
    """SQLite's own errors (damage found mid-query, a lock held too long, a full disk) as one
    HistoryError line instead of a traceback."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as err:
            raise HistoryError(
                f"The history database {database_path(self.root)} failed: {err}. The session folders "
                "and journal files are untouched."
            ) from err

    return wrapper


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to SCHEMA_VERSION, one migration per transaction; returns the
    version found. A newer version is refused before anything is written."""
    found = conn.execute("PRAGMA user_version").fetchone()[0]
    if found > SCHEMA_VERSION:
        raise _newer(found)
    for version in range(found, SCHEMA_VERSION):
        # executescript commits first; BEGIN ... COMMIT keeps each migration all-or-nothing.
        conn.executescript(f"BEGIN;\n{MIGRATIONS[version]}\nPRAGMA user_version = {version + 1};\nCOMMIT;")
    return found


def _newer(found: int, path: Path | None = None) -> HistoryError:
    where = f" {path}" if path else ""
    return HistoryError(
        f"The history database{where} is from a newer backform (schema {found}; this one reads up to "
        f"{SCHEMA_VERSION}): update backform. The file was left as it is."
    )


def _connect(target: str, uri: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(target, timeout=BUSY_TIMEOUT_S, uri=uri, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _check_intact(conn: sqlite3.Connection) -> int:
    """The schema version, after SQLite's own structural check; DatabaseError if damaged."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
    if verdict != "ok":
        raise sqlite3.DatabaseError(verdict)
    return version


def folder_writable(folder: Path) -> tuple[bool, str]:
    """(can write, why not): makes the folder if missing, then probes with a temporary file
    (the only test that also holds for root on a read-only mount)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".backform-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        return False, err.strerror or str(err)
    return True, ""


def set_aside(path: Path, now: datetime | None = None) -> Path:
    """Rename a damaged database (and its rollback journal) to a new name beside it; never
    overwrites anything."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        aside = path.with_name(f"{path.name}.damaged-{stamp}" + (f"-{n}" if n else ""))
        if os.path.lexists(aside) or os.path.lexists(f"{aside}-journal"):
            continue
        journal = Path(f"{path}-journal")
        if journal.exists():
            os.replace(journal, f"{aside}-journal")
        try:
            os.link(path, aside)  # link then unlink: fails rather than replace an existing name
        except FileExistsError:
            continue
        except OSError:  # a file system without hard links: the name was free a moment ago
            os.rename(path, aside)
        else:
            os.unlink(path)
        return aside
    raise HistoryError(f"The history database {path} is damaged and no free name was found to keep it aside.")


class HistoryStore:
    """An open history: query it, add to it, delete from it. Use `HistoryStore.open()`."""

    def __init__(self, conn: sqlite3.Connection, root: Path, writable: bool) -> None:
        self.conn = conn
        self.root = root
        self.writable = writable

    # -- opening --------------------------------------------------------------------------
    @classmethod
    def open(cls, root: Path | None = None, write: bool = True, warn: Warn | None = None) -> HistoryStore:
        """The history in `root` (default: the data folder), with every session folder and
        journal file not yet in it imported. write=False also works on a read-only folder."""
        root = Path(root) if root is not None else data_dir()
        warn = warn or (lambda line: None)
        writable, why = folder_writable(root)
        if write and not writable:
            raise HistoryUnwritableError(
                f"Cannot write to the backform data folder {root}: {why}; nothing was recorded or "
                f"changed (set {DATA_DIR_ENV} to a writable folder)."
            )
        path = database_path(root)
        try:
            conn = cls._open_file(path, warn) if writable else cls._open_copy(path, warn)
        except sqlite3.Error as err:
            raise HistoryError(f"Cannot open the history database {path}: {err}.") from err
        store = cls(conn, root, writable)
        try:
            store.import_files(warn)
        except BaseException:
            conn.close()
            raise
        return store

    @staticmethod
    def _open_file(path: Path, warn: Warn) -> sqlite3.Connection:
        if path.exists():
            conn = _connect(str(path))
            try:
                found = _check_intact(conn)
            except sqlite3.DatabaseError as err:
                conn.close()
                try:
                    aside = set_aside(path)
                except OSError as move_err:
                    raise HistoryError(
                        f"The history database {path} is damaged ({err}) and could not be moved aside "
                        f"({move_err.strerror or move_err}); it was left as it is."
                    ) from move_err
                warn(
                    f"the history database was damaged ({err}); it is kept as {aside} and a new one "
                    "was built from the session folders and journal files"
                )
                conn = _connect(str(path))
            else:
                if found > SCHEMA_VERSION:
                    conn.close()
                    raise _newer(found, path)
        else:
            conn = _connect(str(path))
        migrate(conn)
        return conn

    @staticmethod
    def _open_copy(path: Path, warn: Warn) -> sqlite3.Connection:
        """A read-only folder: the database copied into memory (so it can be migrated and the
        files indexed there); the file itself is never touched."""
        conn = _connect(":memory:")
        if path.exists():
            source = _connect(f"{path.as_uri()}?mode=ro", uri=True)
            try:
                found = _check_intact(source)
                if found > SCHEMA_VERSION:
                    raise _newer(found, path)
                source.backup(conn)
            except sqlite3.DatabaseError as err:
                warn(
                    f"the history database {path} is damaged ({err}) and the folder is read-only: "
                    "showing the session folders and journal files instead"
                )
                conn.close()
                conn = _connect(":memory:")
            finally:
                source.close()
        migrate(conn)
        return conn

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- importing the files ----------------------------------------------------------------
    @_guarded
    def import_files(self, warn: Warn) -> int:
        """Index every session folder and journal file not yet in the database; returns how
        many. Folders that cannot be read are left as they are and named in one warning."""
        known = {row[0] for row in self.conn.execute("SELECT uid FROM sessions")}
        added = 0
        unreadable: list[str] = []
        for folder in files.session_folders(sessions_dir(self.root)):
            if folder.name in known:
                continue
            try:
                entry = files.read_session_folder(folder)
            except files.UnreadableFile as err:
                unreadable.append(f"{folder.name} ({err})")
                continue
            if entry is not None:
                self.add_session(entry)
                added += 1
        known = {row[0] for row in self.conn.execute("SELECT uid FROM journal")}
        for path in files.journal_files(self.root):
            if path.stem in known:
                continue
            try:
                self.add_journal(files.read_journal_file(path))
                added += 1
            except files.UnreadableFile as err:
                unreadable.append(f"{path.name} ({err})")
        if unreadable:
            more = f" and {len(unreadable) - 1} more" if len(unreadable) > 1 else ""
            warn(f"left out of the history (kept as they are): {unreadable[0]}{more}")
        return added

    # -- adding -----------------------------------------------------------------------------
    @_guarded
    def add_session(self, entry: SessionEntry) -> None:
        """Index a session (replacing an older row for the same folder)."""
        c = entry.comfort
        with self._transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE uid = ?", (entry.uid,))
            cursor = conn.execute(
                "INSERT INTO sessions (uid, kind, started_at, duration_s, folder, source, partial, "
                "pain_before, pain_after, note, daily_tasks, sleep, stopped_for_pain) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    entry.uid,
                    entry.kind,
                    entry.started_at.isoformat(timespec="seconds"),
                    entry.duration_s,
                    entry.folder,
                    entry.source,
                    int(entry.partial),
                    c.pain_before,
                    c.pain_after,
                    c.note,
                    c.daily_tasks,
                    c.sleep,
                    int(c.stopped_for_pain),
                ),
            )
            conn.executemany(
                "INSERT INTO exercise_results (session_id, position, exercise, reps, good_reps, hold_s, "
                "best_hold_s, duration_s, main_fault, range_signal, range_low, range_high) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        cursor.lastrowid,
                        i,
                        r.exercise,
                        r.reps,
                        r.good_reps,
                        r.hold_s,
                        r.best_hold_s,
                        r.duration_s,
                        r.main_fault,
                        r.range_signal,
                        r.range_low,
                        r.range_high,
                    )
                    for i, r in enumerate(entry.results)
                ],
            )

    @_guarded
    def add_journal(self, entry: JournalEntry) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO journal (uid, at, pain, note, daily_tasks, sleep) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    entry.uid,
                    entry.at.isoformat(timespec="seconds"),
                    entry.pain,
                    entry.note,
                    entry.daily_tasks,
                    entry.sleep,
                ),
            )

    # -- reading ----------------------------------------------------------------------------
    @_guarded
    def sessions(self, since: datetime | None = None, exercise: str | None = None) -> list[SessionEntry]:
        """Sessions in time order; with `exercise`, those that include it."""
        query = "SELECT * FROM sessions"
        where, args = [], []
        if since is not None:
            where.append("started_at >= ?")
            args.append(since.isoformat(timespec="seconds"))
        if exercise is not None:
            where.append("id IN (SELECT session_id FROM exercise_results WHERE exercise = ?)")
            args.append(exercise)
        if where:
            query += " WHERE " + " AND ".join(where)
        self.conn.row_factory = sqlite3.Row
        try:
            rows = self.conn.execute(query + " ORDER BY started_at, uid", args).fetchall()
            results: dict[int, list[ExerciseResult]] = {}
            for r in self.conn.execute("SELECT * FROM exercise_results ORDER BY session_id, position"):
                results.setdefault(r["session_id"], []).append(
                    ExerciseResult(
                        exercise=r["exercise"],
                        reps=r["reps"],
                        good_reps=r["good_reps"],
                        hold_s=r["hold_s"],
                        best_hold_s=r["best_hold_s"],
                        duration_s=r["duration_s"],
                        main_fault=r["main_fault"],
                        range_signal=r["range_signal"],
                        range_low=r["range_low"],
                        range_high=r["range_high"],
                    )
                )
        finally:
            self.conn.row_factory = None
        return [
            SessionEntry(
                uid=r["uid"],
                kind=r["kind"],
                started_at=datetime.fromisoformat(r["started_at"]),
                results=tuple(results.get(r["id"], ())),
                comfort=Comfort(
                    pain_before=r["pain_before"],
                    pain_after=r["pain_after"],
                    note=r["note"],
                    daily_tasks=r["daily_tasks"],
                    sleep=r["sleep"],
                    stopped_for_pain=bool(r["stopped_for_pain"]),
                ),
                duration_s=r["duration_s"],
                folder=r["folder"],
                source=r["source"],
                partial=bool(r["partial"]),
            )
            for r in rows
        ]

    @_guarded
    def journal(self, since: datetime | None = None) -> list[JournalEntry]:
        args = [since.isoformat(timespec="seconds")] if since is not None else []
        where = " WHERE at >= ?" if since is not None else ""
        return [
            JournalEntry(uid, datetime.fromisoformat(at), pain, note, tasks, sleep)
            for uid, at, pain, note, tasks, sleep in self.conn.execute(
                f"SELECT uid, at, pain, note, daily_tasks, sleep FROM journal{where} ORDER BY at, uid", args
            )
        ]

    # -- deleting ---------------------------------------------------------------------------
    @_guarded
    def delete_session(self, uid: str) -> Path | None:
        """Remove one session from the history and its folder from the disk; returns the folder
        removed (None if it was already gone). An unknown name is a ConfigError."""
        row = self.conn.execute("SELECT folder FROM sessions WHERE uid = ?", (uid,)).fetchone()
        if row is None:
            raise ConfigError(f"No session called '{uid}' in the history (`backform history` lists them).")
        if not self.writable:
            raise HistoryUnwritableError(
                f"Cannot delete session {uid}: the data folder {self.root} is read-only; nothing was changed."
            )
        root = sessions_dir(self.root)
        folder = root / uid
        # Only ever a folder of ours: the name is one path component inside the sessions folder.
        if Path(uid).name != uid or uid.startswith(".") or not folder.is_dir():
            folder = None
        doomed = None
        if folder is not None:
            # Renamed first (atomic): a dot-name is never imported again, even if the removal
            # below stops half-way.
            doomed = root / f".deleting-{uid}"
            try:
                os.replace(folder, doomed)
            except OSError as err:
                raise OutputError(
                    f"Cannot delete {folder}: {err.strerror or err}; nothing was changed."
                ) from err
        try:
            with self._transaction() as conn:
                conn.execute("DELETE FROM sessions WHERE uid = ?", (uid,))
        except BaseException:
            if doomed is not None:
                os.replace(doomed, folder)
            raise
        if doomed is not None:
            shutil.rmtree(doomed, ignore_errors=True)
        return folder
