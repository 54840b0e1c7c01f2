"""A writable config/cache folder for matplotlib, so a read-only home stays quiet.

Matplotlib keeps its font cache under ~/.config/matplotlib and ~/.cache/matplotlib. When it
cannot write there (a read-only home, a locked-down service account) it warns on stderr at
import - several lines that are not backform's. Before matplotlib loads, this points
MPLCONFIGDIR at a private folder in the temp directory instead, kept between runs so the font
cache is built once.
"""

from __future__ import annotations

import atexit
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path

ENV = "MPLCONFIGDIR"


def _default_dirs() -> list[Path]:
    """Where matplotlib would keep its config and cache (mirrors matplotlib.get_configdir)."""
    if sys.platform.startswith(("linux", "freebsd")):
        home = Path.home()
        config = os.environ.get("XDG_CONFIG_HOME") or home / ".config"
        cache = os.environ.get("XDG_CACHE_HOME") or home / ".cache"
        return [Path(config) / "matplotlib", Path(cache) / "matplotlib"]
    return [Path.home() / ".matplotlib"]


def _usable(folder: Path) -> bool:
    """Matplotlib's own test: the folder exists (or can be made) and is writable."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK) and folder.is_dir()


def _private_folder() -> Path:
    """<tmp>/backform-matplotlib-<uid>, if it is this user's own folder; else a fresh one."""
    shared = Path(tempfile.gettempdir()) / f"backform-matplotlib-{os.getuid()}"
    try:
        shared.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(shared)
        # Anyone may create a name in /tmp first: use it only if it is a folder only we control.
        private = stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077
        if private and os.access(shared, os.W_OK):
            return shared
    except OSError:
        pass
    fresh = Path(tempfile.mkdtemp(prefix="backform-matplotlib-"))
    atexit.register(shutil.rmtree, fresh, ignore_errors=True)
    return fresh


def use_writable_matplotlib_dirs() -> None:
    """Set MPLCONFIGDIR to a private temp folder when matplotlib's defaults are not writable."""
    if os.environ.get(ENV) or "matplotlib" in sys.modules or sys.platform == "win32":
        return  # chosen by the user, too late, or not the Linux/macOS layout
    try:
        if all(_usable(folder) for folder in _default_dirs()):
            return
    except RuntimeError:  # no home folder at all
        pass
    os.environ[ENV] = str(_private_folder())
