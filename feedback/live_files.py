"""Where a live session is saved: one new folder per session, written as one set."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

from feedback.history.files import new_session_folder  # the history owns the folder naming
from feedback.report import stage_report_files
from feedback.session import Report
from feedback.stopping import held
from vision.errors import OutputError


def default_sessions_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path("backform", appauthor=False) / "sessions"


def check_folder_creatable(folder: Path, what: str) -> None:
    """OutputError now if `folder` cannot be made (or written) later; nothing is left behind.

    Probes by making and removing a temporary folder in the nearest existing ancestor, the
    only test that also holds for root and read-only mounts.
    """
    folder = Path(folder).expanduser()
    existing = folder
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not os.path.isdir(existing):
        raise OutputError(f"Cannot create the {what} {folder}: {existing} is not a folder.")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".backform-", dir=existing))
    except OSError as err:
        raise OutputError(f"Cannot create the {what} {folder}: {err.strerror or err}.") from err


def save_session(
    report: Report | None, writer: Any, record: Path | None, sessions_root: Path
) -> tuple[Path | None, dict[str, Path]]:
    """The recording and the session's report files, as one set in a new session folder.

    All or nothing: a failed write leaves neither (and no empty folder). A stop signal while
    they are written is held until they are.
    """
    from feedback.atomic import OutputSet

    written: dict[str, Path] = {}
    folder = None
    try:
        with held(), OutputSet() as files:
            video_temp = writer.finish() if writer is not None else None
            if video_temp is not None:
                files.adopt(video_temp, record)
                written["video"] = record
            if report is not None:
                folder = new_session_folder(sessions_root)
                written.update(
                    stage_report_files(
                        report, files, folder / "report.json", folder / "report.csv", folder / "report.png"
                    )
                )
            files.commit()
    except BaseException:
        if writer is not None:
            writer.abort()
        if folder is not None:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty: nothing of the session was kept
        raise
    return folder, written
