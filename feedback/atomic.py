"""Atomic file output: write to a temporary name in the target folder, then `os.replace`.

A reader (or a crash) never sees a half-written report or video: the final name either
holds the previous complete file or the new complete one. `OutputSet` extends that to
several files (video, report, CSV, plot): they appear together or not at all.

Outputs are regular files or new names: a device, FIFO, socket or folder standing at an
output's name is refused, never replaced (the rename would put a file in its place, and as
root `--report /dev/null` would replace /dev/null).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

from vision.errors import OutputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()
_NAME_MAX = 255  # when the file system does not say
_RANDOM_CHARS = 8  # what mkstemp adds to a name
_KINDS = {
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFSOCK: "a socket",
}


def name_max(folder: Path) -> int:
    """Longest file name (bytes) the file system holding `folder` accepts."""
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError):
        return _NAME_MAX


def shown(path: Path, width: int = 60) -> str:
    """`path` for a one-line message: a very long one is shortened in the middle."""
    text = str(path)
    return text if len(text) <= width else f"{text[: width // 2]}...{text[-(width // 2) :]}"


def _clip_name(text: str, max_bytes: int) -> str:
    """`text` cut (whole characters) to at most `max_bytes` bytes as the file system stores it."""
    text = text[: max(max_bytes, 0)]
    while len(os.fsencode(text)) > max_bytes:
        text = text[:-1]
    return text


def _affixes(path: Path, suffix: str) -> tuple[str, str]:
    """(prefix, suffix) for a hidden temporary name beside `path` within the name length limit.

    The stem is shortened as needed: a legal final name must not be refused because the
    temporary one would be too long.
    """
    tail = f".tmp{suffix}"
    limit = name_max(path.parent) - _RANDOM_CHARS
    if len(os.fsencode(tail)) + 2 > limit:
        tail = ".tmp"
    stem = _clip_name(path.stem, limit - len(os.fsencode(tail)) - 2)
    return f".{stem}.", tail


def temp_path_beside(path: Path, suffix: str | None = None) -> Path:
    """Reserve a hidden, unique temporary file next to `path` (same filesystem for os.replace).

    The suffix defaults to `path`'s own so tools that sniff the extension (muxers) still work.
    """
    path = Path(path)
    prefix, tail = _affixes(path, path.suffix if suffix is None else suffix)
    try:
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=tail, dir=path.parent)
    except OSError as err:
        raise OutputError(f"Cannot write to {path.parent}: {err.strerror or err}.") from err
    os.close(fd)
    return Path(name)


def _kind(path: Path) -> str | None:
    """What stands at `path` when it is not a regular file ("a folder", "a socket", ...).

    None for a regular file or a free name (a dangling symlink is a free name).
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as err:
        if err.errno == errno.ENAMETOOLONG:
            raise OutputError(
                f"Cannot write {shown(path)}: the name is too long for the file system."
            ) from None
        if err.errno in (errno.ENOTDIR, errno.ELOOP):
            return None  # reported when the folder is made
        raise OutputError(f"Cannot write {path}: {err.strerror or err}.") from err
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def refuse_non_regular(path: Path) -> None:
    """OutputError unless `path` is a regular file or a free name; nothing is touched."""
    kind = _kind(path)
    if kind == "a folder":
        raise OutputError(f"Output {path} is a folder; give a file name.")
    if kind is not None:
        raise OutputError(f"Output {path} is {kind}, not a regular file; give a file name.")


def commit(temp: Path, final: Path) -> None:
    """Give the finished temporary file its final name (normal permissions, atomic rename)."""
    outputs = OutputSet()
    outputs.adopt(temp, final)
    outputs.commit()


def discard(temp: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temp)


def _write_error(path: Path, err: OSError) -> OutputError:
    return OutputError(f"Cannot write {path}: {err.strerror or err}.")


class OutputSet:
    """Files that appear together or not at all.

    Each is written under a temporary name beside its final one (`open`, or `adopt` for a
    file finished elsewhere, such as the video). `commit()` renames them all into place; if a
    rename fails, the files from before are put back. Leaving a `with` block without
    `commit()` (an exception, a failed write) deletes every temporary file.
    """

    def __init__(self) -> None:
        self._staged: dict[Path, Path] = {}  # final name -> finished temporary file

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()

    @contextlib.contextmanager
    def open(self, path: Path, mode: str = "w", **kwargs) -> Iterator[IO]:
        """`open()` for writing into the set: any OSError while writing becomes an OutputError."""
        path = Path(path)
        temp = temp_path_beside(path)
        try:
            with open(temp, mode, **kwargs) as handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as err:
            discard(temp)
            raise _write_error(path, err) from err
        except BaseException:
            discard(temp)
            raise
        self.adopt(temp, path)

    def adopt(self, temp: Path, final: Path) -> None:
        if (previous := self._staged.get(Path(final))) is not None and previous != Path(temp):
            discard(previous)
        self._staged[Path(final)] = Path(temp)

    def discard(self) -> None:
        for temp in self._staged.values():
            discard(temp)
        self._staged.clear()

    def commit(self) -> list[Path]:
        """Rename every file into place, or none of them (OutputError, previous files kept)."""
        staged = list(self._staged.items())
        kept: dict[Path, Path] = {}  # final name -> a second name for the file it held before
        placed: list[Path] = []
        try:
            for final, temp in staged:
                refuse_non_regular(final)  # checked again: the name may have changed hands
                os.chmod(temp, _FILE_MODE)
            for final, _ in staged:
                if (backup := _keep_previous(final)) is not None:
                    kept[final] = backup
            for final, temp in staged:
                os.replace(temp, final)
                placed.append(final)
        except (OSError, OutputError) as err:
            for final in reversed(placed):
                with contextlib.suppress(OSError):
                    if final in kept:
                        os.replace(kept.pop(final), final)
                    else:
                        os.unlink(final)
            if isinstance(err, OutputError):
                raise
            where = next((f for f, _ in staged if f not in placed), staged[0][0])
            raise _write_error(where, err) from err
        finally:
            for backup in kept.values():
                discard(backup)
            self.discard()
        return [final for final, _ in staged]


def _keep_previous(final: Path) -> Path | None:
    """A second name for what stands at `final` (a hard link, or a copy where links are not
    supported), so a failed commit can put it back; None if the name is free."""
    if not os.path.lexists(final):
        return None
    prefix, tail = _affixes(final, ".old")
    for _ in range(100):
        backup = final.parent / f"{prefix}{secrets.token_hex(_RANDOM_CHARS // 2)}{tail}"
        try:
            if os.path.islink(final):
                os.symlink(os.readlink(final), backup)
            else:
                _link_or_copy(final, backup)
            return backup
        except FileExistsError:
            continue
    raise OutputError(f"Cannot write {final}: no free temporary name beside it.")


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target, follow_symlinks=False)
        return
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS):
            raise
    try:
        with open(target, "xb") as copy, open(source, "rb") as original:
            shutil.copyfileobj(original, copy)
    except FileExistsError:
        raise  # not ours to delete
    except OSError:
        discard(target)
        raise


@contextlib.contextmanager
def atomic_open(path: Path, mode: str = "w", **kwargs) -> Iterator[IO]:
    """`open()` for writing that only creates `path` if the block finishes without an exception."""
    with OutputSet() as outputs:
        with outputs.open(path, mode, **kwargs) as handle:
            yield handle
        outputs.commit()


def check_writable(path: Path, inputs: Mapping[str, Path | None] | None = None) -> Path:
    """Fail early (before minutes of analysis) if `path` cannot be written or would clobber
    one of `inputs` ({"input video": path, "pose model": path, ...}).

    Creates missing parent folders; probes the folder by creating and removing a temp file,
    which is the only check that also holds for root and read-only mounts.
    """
    path = Path(path).expanduser()
    if path.name in ("", ".", ".."):
        raise OutputError(f"Output {path} is a folder; give a file name.")
    size, limit = len(os.fsencode(path.name)), name_max(path.parent)
    if size > limit:
        raise OutputError(
            f"Cannot write {shown(path)}: the name is {size} bytes long; the file system allows {limit}."
        )
    for what, source in (inputs or {}).items():
        if source is not None and _same_file(path, Path(source)):
            raise OutputError(f"Output {path} would overwrite the {what}; choose another name.")
    refuse_non_regular(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        # "File exists" would puzzle anyone: name the file that stands where a folder must go.
        blocker = next((p for p in (path.parent, *path.parent.parents) if os.path.isfile(p)), None)
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
    try:
        return a.expanduser().resolve() == b.expanduser().resolve()
    except OSError:
        return False
