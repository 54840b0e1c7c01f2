"""FaultTracker: debouncing fault conditions, and conditions present but not yet shown."""

from __future__ import annotations

from exercises.base import Severity
from exercises.faults import FaultSpec, FaultTracker

SPECS = (
    FaultSpec("sag", Severity.MAJOR, "Lift your hips", on_ms=600.0),
    FaultSpec("pike", Severity.MODERATE, "Lower your hips", on_ms=200.0),
)


def feed(tracker, conditions, n, t0=0.0, dt=100.0):
    shown = ()
    for i in range(n):
        shown = tracker.update(t0 + i * dt, conditions)
    return shown, t0 + n * dt


def test_a_condition_shows_once_held_its_own_time_dated_from_its_onset():
    tracker = FaultTracker(SPECS)
    shown, t = feed(tracker, {"sag": True, "pike": True}, 4)  # 0.3 s held
    assert [f.code for f in shown] == ["pike"]
    shown, _ = feed(tracker, {"sag": True, "pike": True}, 4, t0=t)  # 0.7 s held
    assert [f.code for f in shown] == ["sag", "pike"]  # most severe first
    assert all(f.since_ms == 0.0 for f in shown)


def test_pending_is_a_condition_present_past_a_time_but_not_yet_shown():
    tracker = FaultTracker(SPECS)
    _, t = feed(tracker, {"sag": True}, 2)  # 0.1 s
    assert tracker.pending({"sag"}) and not tracker.pending({"sag"}, held_ms=200.0)
    _, t = feed(tracker, {"sag": True}, 2, t0=t)  # 0.3 s
    assert tracker.pending({"sag"}, held_ms=200.0) and not tracker.pending({"pike"})
    feed(tracker, {"sag": True}, 4, t0=t)  # shown now: no longer pending
    assert not tracker.pending({"sag"})
    tracker = FaultTracker(SPECS)  # gone before it showed: nothing pending
    feed(tracker, {"sag": True}, 3)
    tracker.update(300.0, {})
    assert not tracker.pending({"sag", "unknown"})
