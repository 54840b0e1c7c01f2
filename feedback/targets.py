"""The set's target a user may give (`--target-reps`, `--target-hold`): checked once, for live and offline."""

from __future__ import annotations

from exercises.spec import Counts
from vision.errors import ConfigError


def check_targets(
    exercise: str, counts: Counts, target_reps: int | None, target_hold_s: float | None
) -> float | None:
    """The target in the exercise's own unit (reps or seconds), None when none was given.

    `counts` is what the exercise counts (its spec's); a target of the other kind, or
    one below its minimum, is a ConfigError.
    """
    if target_reps is not None and counts != Counts.REPS:
        raise ConfigError(f"{exercise} is timed, not counted: use --target-hold SECONDS.")
    if target_hold_s is not None and counts != Counts.HOLD:
        raise ConfigError(f"{exercise} counts reps: use --target-reps N.")
    if target_reps is not None and target_reps < 1:
        raise ConfigError("--target-reps must be at least 1.")
    if target_hold_s is not None and target_hold_s <= 0:
        raise ConfigError("--target-hold must be more than 0 seconds.")
    return target_reps if target_reps is not None else target_hold_s
