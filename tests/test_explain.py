"""why_nothing_counted: one sentence that tells a zero apart from a zero."""

from __future__ import annotations

from feedback.explain import why_nothing_counted
from feedback.session import Report, RepRecord, ViewSummary


def report(**changes) -> Report:
    base = dict(
        exercise="x",
        video=None,
        duration_s=10.0,
        frames=300,
        frames_with_pose=300,
        rep_count=0,
        hold_s=0.0,
        best_hold_s=0.0,
        reps=[],
        partial_reps=[],
        faults=[],
        fault_time_s={},
        holds=[],
        no_person=[],
        view=ViewSummary("left", True, 1.0, {}),
        main_signals=(),
        t_s=[],
        series={},
    )
    return Report(**(base | changes))


def test_something_counted_needs_no_reason():
    assert why_nothing_counted(report(rep_count=2, in_position_s=9.0), "reps", "standing") is None
    assert why_nothing_counted(report(hold_s=3.0, in_position_s=9.0), "hold", "in a plank") is None


def test_never_in_position_names_the_position_and_the_view():
    view = ViewSummary("left", True, 0.6, {"not_side_on": 8.0})
    text = why_nothing_counted(report(view=view), "reps", "on hands and knees (table-top)")
    assert text == (
        "No reps counted: never on hands and knees (table-top) where the camera could judge it "
        "(not side on for 8.0 s)."
    )


def test_movements_that_never_went_far_enough():
    partial = RepRecord(0, 1.0, 2.0, partial=True)
    text = why_nothing_counted(report(in_position_s=9.0, partial_reps=[partial, partial]), "reps", "standing")
    assert (
        text
        == "No reps counted: in position for 9.0 s; 2 movements started but none went far enough to count."
    )


def test_a_hold_spoiled_by_a_fault_names_it():
    text = why_nothing_counted(
        report(in_position_s=9.0, fault_time_s={"hip_sag": 8.5, "head_drop": 1.0}), "hold", "in a plank"
    )
    assert text == "No hold time: in position for 9.0 s, but with a fault all along (hip sag 8.5 s)."


def test_nobody_seen_is_another_error():
    assert why_nothing_counted(report(frames_with_pose=0), "reps", "standing") is None
