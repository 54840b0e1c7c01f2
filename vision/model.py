"""Finding the PoseLandmarker model bundle: explicit path, environment, user cache, download.

A `.task` bundle is a zip holding the detector and the landmark model. Google publishes
versioned bundles; a download goes to a temporary file in the cache folder, is checked,
and only then renamed into place, so an interrupted download never leaves a broken model.
"""

from __future__ import annotations

import os
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

import platformdirs

from vision.errors import ModelUnavailableError

VARIANTS = ("lite", "full", "heavy")
MODEL_URL = (
    "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
    "pose_landmarker_{variant}/float16/1/pose_landmarker_{variant}.task"
)
REQUIRED_MEMBERS = ("pose_detector.tflite", "pose_landmarks_detector.tflite")
ENV_MODEL = "BACKFORM_MODEL"
ENV_OFFLINE = "BACKFORM_OFFLINE"
_HOW_TO_PROVIDE = "pass --model PATH or set BACKFORM_MODEL to a pose_landmarker .task file"
_DOWNLOAD_TIMEOUT_S = 30.0
_CHUNK = 1 << 16

Progress = Callable[[int, int | None], None]
"""progress(bytes_done, bytes_total or None) during a download."""


def resolve_model(
    explicit: Path | str | None = None,
    variant: str = "full",
    allow_download: bool = True,
    progress: Progress | None = None,
) -> Path:
    """Path of a usable model bundle, or `ModelUnavailableError` saying how to provide one.

    Order: `explicit` (must exist) -> $BACKFORM_MODEL (must exist) -> the user cache ->
    download into the user cache (unless `allow_download` is False or BACKFORM_OFFLINE=1).
    """
    if variant not in VARIANTS:
        raise ModelUnavailableError(
            f"Unknown model variant {variant!r}: choose one of {', '.join(VARIANTS)}."
        )
    if explicit is not None:
        return validate_model(Path(explicit).expanduser())
    env = os.environ.get(ENV_MODEL, "").strip()
    if env:
        return validate_model(Path(env).expanduser(), origin=f"{ENV_MODEL}=")

    cached = cached_model_path(variant)
    if cached.is_file():
        try:
            return validate_model(cached)
        except ModelUnavailableError:
            if not _download_allowed(allow_download):
                raise
            # A damaged cache entry is replaced below.
    if not _download_allowed(allow_download):
        why = "downloads are off (BACKFORM_OFFLINE=1)" if _offline_env() else "downloading is disabled"
        raise ModelUnavailableError(f"No pose model found and {why}: {_HOW_TO_PROVIDE}.")
    return download_model(variant, cached, progress=progress)


def model_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("backform")) / "models"


def cached_model_path(variant: str = "full") -> Path:
    return model_cache_dir() / f"pose_landmarker_{variant}.task"


def validate_model(path: Path, origin: str = "") -> Path:
    """`path` if it is a readable pose-landmarker bundle, else a one-line error naming the problem."""
    shown = f"{origin}{path}"
    if not path.exists():
        raise ModelUnavailableError(f"Model file not found: {shown} ({_HOW_TO_PROVIDE}).")
    if not path.is_file():
        raise ModelUnavailableError(f"Model path {shown} is not a file.")
    problem = _bundle_problem(path)
    if problem:
        raise ModelUnavailableError(f"{shown} is not a pose landmarker model: {problem}.")
    return path


def _bundle_problem(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as bundle:
            names = set(bundle.namelist())
    except zipfile.BadZipFile:
        return "not a .task bundle (zip)"
    except OSError as err:
        return f"cannot be read ({err.strerror or err})"
    missing = [m for m in REQUIRED_MEMBERS if m not in names]
    if missing:
        return f"missing {', '.join(missing)}"
    return None


def download_model(
    variant: str,
    dest: Path,
    progress: Progress | None = None,
    url: str | None = None,
    opener: Callable[..., object] | None = None,
) -> Path:
    """Download Google's bundle to `dest` atomically (temp file in the same folder, then rename)."""
    url = url or MODEL_URL.format(variant=variant)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ModelUnavailableError(
            f"Cannot create the model cache folder {dest.parent} ({err.strerror}): {_HOW_TO_PROVIDE}."
        ) from None
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=dest.stem + ".", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            _fetch(url, out, progress, opener or urllib.request.urlopen)
        problem = _bundle_problem(tmp)
        if problem:
            raise ModelUnavailableError(
                f"The downloaded model from {url} is broken ({problem}): {_HOW_TO_PROVIDE}."
            )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def _fetch(url: str, out, progress: Progress | None, opener) -> None:
    try:
        with opener(url, timeout=_DOWNLOAD_TIMEOUT_S) as response:
            length = response.headers.get("Content-Length") if getattr(response, "headers", None) else None
            total = int(length) if length and length.isdigit() else None
            done = 0
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", None) or err
        reason = getattr(reason, "strerror", None) or reason  # "[Errno -2] Name or ..." -> "Name or ..."
        raise ModelUnavailableError(
            f"Could not download the pose model ({reason}); offline? {_HOW_TO_PROVIDE}."
        ) from None


def _offline_env() -> bool:
    return os.environ.get(ENV_OFFLINE, "").strip().lower() not in ("", "0", "false", "no")


def _download_allowed(allow_download: bool) -> bool:
    return allow_download and not _offline_env()
