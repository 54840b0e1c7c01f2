"""What a batch analyses: videos from files, folders and glob patterns, and the exercise for each.

Kept free of MediaPipe and PyAV so the command can list and check its work in milliseconds.
"""

from __future__ import annotations

import fnmatch
import glob
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vision.errors import ConfigError

# Containers FFmpeg reads that cameras and phones write; a folder's other files are ignored.
VIDEO_SUFFIXES_IN = (".mp4", ".mov", ".m4v", ".mkv", ".avi", ".webm", ".mpg", ".mpeg", ".wmv", ".3gp")
# backform's own annotated videos: never picked up again from a folder or pattern.
ANNOTATED_SUFFIX = "_annotated"
# `--exercise auto` (or none): recognise the exercises and judge each segment on its own.
AUTO = "auto"


def is_batch_request(inputs: Sequence[str | Path]) -> bool:
    """Several inputs, a folder, or a pattern that is not itself the name of a file.

    A folder named like a video (`clip.mp4/`) is taken for a mistaken single video, which
    then fails as such ("is a folder, not a video file").
    """
    if len(inputs) != 1:
        return True
    only = Path(inputs[0]).expanduser()
    if only.is_dir():
        return only.suffix.lower() not in VIDEO_SUFFIXES_IN
    return not only.exists() and glob.has_magic(str(inputs[0]))


def _is_candidate(path: Path) -> bool:
    return (
        path.is_file()
        and path.suffix.lower() in VIDEO_SUFFIXES_IN
        and not path.stem.endswith(ANNOTATED_SUFFIX)
        and not path.name.startswith(".")
    )


def find_videos(inputs: Sequence[str | Path]) -> tuple[list[Path], list[str]]:
    """Absolute video paths in the order given (folders and patterns sorted), without repeats.

    A folder gives its video files (not its subfolders: quote a `**` pattern for those); a
    named file is taken as is, even if missing (it then fails in its own row). Returns the
    videos and one line per folder or pattern that matched nothing.
    """
    found: list[Path] = []
    empty: list[str] = []
    for item in inputs:
        path = Path(item).expanduser()
        if path.is_dir():
            matches = sorted(p for p in path.iterdir() if _is_candidate(p))
        elif path.exists() or not glob.has_magic(str(item)):
            matches = [path]
        else:
            hits = glob.glob(os.path.expanduser(str(item)), recursive=True)
            matches = sorted(p for p in map(Path, hits) if _is_candidate(p))
        if not matches:
            empty.append(f"No videos in {item}")
        found += [Path(os.path.abspath(p)) for p in matches]
    unique = list(dict.fromkeys(found))
    return unique, empty


@dataclass(frozen=True)
class ExerciseChoice:
    """`--exercise` values: a bare name applies to every video; `PATTERN=NAME` to the file names
    matching PATTERN (shell-style, e.g. `plank_*=plank`). The first matching pattern wins."""

    default: str | None
    patterns: tuple[tuple[str, str], ...]

    @staticmethod
    def parse(values: Sequence[str]) -> ExerciseChoice:
        default: str | None = None
        patterns: list[tuple[str, str]] = []
        for value in values:
            if "=" in value:
                pattern, _, name = value.partition("=")
                if not pattern.strip() or not name.strip():
                    raise ConfigError(f"--exercise '{value}': write PATTERN=EXERCISE, e.g. 'plank_*=plank'.")
                patterns.append((pattern.strip(), name.strip()))
            elif default is not None and default != value:
                raise ConfigError(
                    f"--exercise names two exercises for every video ('{default}' and '{value}'); "
                    "give one, or PATTERN=EXERCISE for some files."
                )
            else:
                default = value
        return ExerciseChoice(default, tuple(patterns))

    def names(self) -> list[str]:
        named = [n for _, n in self.patterns] + ([self.default] if self.default else [])
        return list(dict.fromkeys(named))

    def for_video(self, video: Path) -> str | None:
        for pattern, name in self.patterns:
            if fnmatch.fnmatch(video.name, pattern):
                return name
        return self.default

    def in_batch(self, video: Path) -> str | None:
        """The exercise for `video` in a batch: AUTO (recognise) when no --exercise was given at
        all, None when patterns were given and none matches (that video fails)."""
        if self.default is None and not self.patterns:
            return AUTO
        return self.for_video(video)
