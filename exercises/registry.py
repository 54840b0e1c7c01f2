"""The exercises the CLI offers, by name, and how to build a checker with its thresholds."""

from __future__ import annotations

from pathlib import Path

from exercises.base import Checker
from exercises.cat_cow import CatCowChecker, CatCowThresholds
from exercises.hip_hinge import HipHingeChecker, HipHingeThresholds
from exercises.plank import PlankChecker, PlankThresholds
from exercises.thresholds import load_section
from vision.errors import ConfigError

EXERCISES: dict[str, type[Checker]] = {
    "hip-hinge": HipHingeChecker,
    "plank": PlankChecker,
    "cat-cow": CatCowChecker,
}

# Default threshold table of each exercise, by the same names (= the TOML section names).
THRESHOLDS: dict[str, object] = {
    "hip-hinge": HipHingeThresholds(),
    "plank": PlankThresholds(),
    "cat-cow": CatCowThresholds(),
}


def thresholds_for(name: str, thresholds_file: Path | None = None) -> object:
    """The threshold table for exercise `name`, with overrides from `thresholds_file`."""
    _check_name(name)
    if thresholds_file is None:
        return THRESHOLDS[name]
    return load_section(Path(thresholds_file), name, THRESHOLDS[name], THRESHOLDS)


def create_checker(name: str, thresholds_file: Path | None = None) -> Checker:
    """A fresh checker for exercise `name` (ConfigError for an unknown name or a bad file)."""
    table = thresholds_for(name, thresholds_file)
    return EXERCISES[name](table)  # type: ignore[call-arg]


def _check_name(name: str) -> None:
    if name not in EXERCISES:
        raise ConfigError(f"Unknown exercise '{name}'. Choose one of: {', '.join(EXERCISES)}")
