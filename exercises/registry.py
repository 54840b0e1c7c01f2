"""The exercises the CLI offers: one `ExerciseSpec` each, by name, and how to build a checker
with its thresholds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from exercises import cat_cow, hip_hinge, plank
from exercises.base import Checker
from exercises.spec import ExerciseSpec
from exercises.thresholds import load_section
from vision.errors import ConfigError

SPECS: dict[str, ExerciseSpec] = {}
# By the same names (= the TOML section names): the checker class and default threshold table.
EXERCISES: dict[str, Any] = {}
THRESHOLDS: dict[str, object] = {}


def register(spec: ExerciseSpec) -> ExerciseSpec:
    """Offer `spec`'s exercise everywhere (CLI, overlay, reports) under `spec.name`."""
    SPECS[spec.name] = spec
    EXERCISES[spec.name] = spec.checker
    THRESHOLDS[spec.name] = spec.thresholds
    return spec


def unregister(name: str) -> None:
    for table in (SPECS, EXERCISES, THRESHOLDS):
        table.pop(name, None)


for _spec in (hip_hinge.SPEC, plank.SPEC, cat_cow.SPEC):
    register(_spec)


def spec_for(name: str) -> ExerciseSpec:
    """The spec of exercise `name` (ConfigError for an unknown name)."""
    _check_name(name)
    return SPECS[name]


def find_spec(name: str) -> ExerciseSpec | None:
    """The spec of exercise `name`, or None for a name no exercise has."""
    return SPECS.get(name)


def thresholds_for(name: str, thresholds_file: Path | None = None) -> object:
    """The threshold table for exercise `name`, with overrides from `thresholds_file`."""
    _check_name(name)
    if thresholds_file is None:
        return THRESHOLDS[name]
    return load_section(Path(thresholds_file), name, THRESHOLDS[name], THRESHOLDS)


def create_checker(name: str, thresholds_file: Path | None = None) -> Checker:
    """A fresh checker for exercise `name` (ConfigError for an unknown name or a bad file)."""
    table = thresholds_for(name, thresholds_file)
    return SPECS[name].checker(table)


def _check_name(name: str) -> None:
    if name not in SPECS:
        raise ConfigError(f"Unknown exercise '{name}'. Choose one of: {', '.join(SPECS)}")
