"""Threshold tables: frozen dataclasses with documented limits, overridable from a TOML file.

Each exercise declares its thresholds as a frozen dataclass whose fields are made with
`limit(default, low, high)`; the bounds are sanity limits for overrides, not physiology.
A settings file has one section per exercise:

    [plank]
    max_sag_deg = 12.0

Everything that can go wrong in such a file becomes a ConfigError naming the file, the
section, the key and what was wrong with it.
"""

from __future__ import annotations

import dataclasses
import difflib
import reprlib
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from vision.errors import ConfigError

T = TypeVar("T")


def limit(default: float, low: float, high: float) -> Any:
    """A numeric threshold with the range an override may take."""
    return dataclasses.field(default=default, metadata={"low": low, "high": high})


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a thresholds file; ConfigError for a missing, unreadable or malformed file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"Thresholds file not found: {path}") from None
    except OSError as err:
        raise ConfigError(f"Cannot read thresholds file {path}: {err.strerror or err}") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path.name} is not a text file (expected TOML)") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path.name} is not valid TOML: {err}") from None
    except RecursionError:  # the parser recurses once per level of nested arrays/tables
        raise ConfigError(f"{path.name} nests arrays or tables too deeply to be a thresholds file") from None


# Short, and safe for values nested thousands of levels deep (plain repr() would recurse).
_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60


def _describe(value: Any) -> str:
    text = _SHORT.repr(value)
    return text if isinstance(value, str) else f"{text} ({type(value).__name__})"


def apply_overrides(defaults: T, values: Mapping[str, Any], where: str) -> T:
    """Return `defaults` with `values` replacing fields; `where` (e.g. "thresholds.toml: [plank]")
    prefixes every error message."""
    fields = {f.name: f for f in dataclasses.fields(defaults)}  # type: ignore[arg-type]
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in fields:
            close = difflib.get_close_matches(key, fields, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f"; known settings: {', '.join(fields)}"
            raise ConfigError(f"{where} has no setting '{key}'{hint}")
        meta = fields[key].metadata
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where} {key} must be a number, got {_describe(value)}")
        low, high = meta.get("low"), meta.get("high")
        if low is not None and not (low <= value <= high):
            raise ConfigError(f"{where} {key} must be between {low:g} and {high:g}, got {value:g}")
        changes[key] = float(value)
    try:
        return dataclasses.replace(defaults, **changes)  # type: ignore[type-var]
    except ValueError as err:  # cross-field checks in __post_init__
        raise ConfigError(f"{where} {err}") from None


def check_consistent(condition: bool, message: str) -> None:
    """For __post_init__ of threshold tables: a ValueError that apply_overrides reports."""
    if not condition:
        raise ValueError(message)


def load_section(path: Path, section: str, defaults: T, all_tables: Mapping[str, Any]) -> T:
    """Thresholds for `section` from the file at `path`, validating every section in it.

    `all_tables` maps each known section name to its default table, so a typo in another
    exercise's section is reported too rather than silently ignored.
    """
    data = read_toml(path)
    name = Path(path).name
    known = ", ".join(f"[{s}]" for s in all_tables)
    for sect, values in data.items():
        if not isinstance(values, dict):
            raise ConfigError(f"{name}: '{sect}' is outside any section; put it under one of {known}")
        if sect not in all_tables:
            raise ConfigError(f"{name}: unknown section [{sect}]; sections are {known}")
        apply_overrides(all_tables[sect], values, f"{name}: [{sect}]")
    return apply_overrides(defaults, data.get(section, {}), f"{name}: [{section}]")


def as_table(thresholds: Any) -> dict[str, float]:
    """Plain {name: value} for reports and `--show-thresholds`."""
    return {f.name: getattr(thresholds, f.name) for f in dataclasses.fields(thresholds)}
