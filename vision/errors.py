"""User-facing errors. Each carries one plain sentence the CLI prints without a traceback."""

from __future__ import annotations


class BackformError(Exception):
    """Base class: `str(err)` is a complete one-line message for a non-programmer."""

    exit_code = 1


class VideoError(BackformError):
    """The video cannot be opened or decoded (missing, not a video, no frames)."""


class CameraError(BackformError):
    """No camera, camera busy, or it stopped delivering frames."""


class ModelUnavailableError(BackformError):
    """The pose model is not on disk and cannot be downloaded."""


class NoPersonError(BackformError):
    """No person was found anywhere in the input."""


class ViewError(BackformError):
    """A person is in the video, but never in a view the exercise can be judged from."""


class ConfigError(BackformError):
    """A bad option or settings file (unknown exercise, malformed thresholds TOML)."""

    exit_code = 2


class OutputError(BackformError):
    """An output cannot be written (unwritable folder, would overwrite the input)."""
