"""Where backform keeps what it records: the user data folder, or BACKFORM_DATA_DIR."""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "BACKFORM_DATA_DIR"
DATABASE_NAME = "history.db"


def data_dir() -> Path:
    """The platform's user data folder for backform (e.g. ~/.local/share/backform), unless
    BACKFORM_DATA_DIR names another one (tests, a portable install)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_path

    return user_data_path("backform", appauthor=False)


def sessions_dir(root: Path | None = None) -> Path:
    return (root or data_dir()) / "sessions"


def journal_dir(root: Path | None = None) -> Path:
    return (root or data_dir()) / "journal"


def database_path(root: Path | None = None) -> Path:
    return (root or data_dir()) / DATABASE_NAME
