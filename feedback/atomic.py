"""Atomic file output: write to a temporary name in the target folder, then `os.replace`.

A reader (or a crash) never sees a half-written report or video: the final name either
holds the previous complete file or the new complete one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from vision.errors import OutputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()


def temp_path_beside(path: Path, suffix: str | None = None) -> Path:
    """Reserve a hidden, unique temporary file next to `path` (same filesystem for os.replace).

    The suffix defaults to `path`'s own so tools that sniff the extension (muxers) still work.
    """
    path = Path(path)
    try:
        fd, name = tempfile.mkstemp(
            prefix=f".{path.stem}.",
            suffix=f".tmp{suffix if suffix is not None else path.suffix}",
            dir=path.parent,
        )
    except OSError as err:
        raise OutputError(f"Cannot write to {path.parent}: {err.strerror or err}.") from err
    os.close(fd)
    return Path(name)


def commit(temp: Path, final: Path) -> None:
    """Give the finished temporary file its final name (normal permissions, atomic rename)."""
    try:
        os.chmod(temp, _FILE_MODE)
        os.replace(temp, final)
    except OSError as err:
        discard(temp)
        raise OutputError(f"Cannot write {final}: {err.strerror or err}.") from err


def discard(temp: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temp)


@contextlib.contextmanager
def atomic_open(path: Path, mode: str = "w", **kwargs) -> Iterator[IO]:
    """`open()` for writing that only creates `path` if the block finishes without an exception."""
    path = Path(path)
    temp = temp_path_beside(path)
    try:
        with open(temp, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        discard(temp)
        raise
    commit(temp, path)


def check_writable(path: Path, inputs: tuple[Path, ...] = ()) -> Path:
    """Fail early (before minutes of analysis) if `path` cannot be written or would clobber an input.

    Creates missing parent folders; probes the folder by creating and removing a temp file,
    which is the only check that also holds for root and read-only mounts.
    """
    path = Path(path).expanduser()
    for source in inputs:
        if _same_file(path, Path(source)):
            raise OutputError(f"Output {path} would overwrite the input video; choose another name.")
    if path.is_dir():
        raise OutputError(f"Output {path} is a folder; give a file name.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        # "File exists" would puzzle anyone: name the file that stands where a folder must go.
        blocker = next((p for p in (path.parent, *path.parent.parents) if p.is_file()), None)
        why = f"{blocker} is a file, not a folder" if blocker else err.strerror or err
        raise OutputError(f"Cannot create the output folder {path.parent}: {why}.") from err
    discard(temp_path_beside(path))
    return path


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.expanduser().resolve() == b.expanduser().resolve()
