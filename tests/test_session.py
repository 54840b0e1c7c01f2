"""SessionRecorder: reps, merged fault intervals, holds, view summary, gaps, series."""

from __future__ import annotations

import math

import pytest

from exercises.base import Assessment, Event, EventKind, Fault, Severity, ViewProblem, ViewVerdict
from feedback.session import SessionRecorder
from tests.feedback_fakes import stick_pose

STEP = 100.0  # ms per frame: 10 fps keeps the arithmetic obvious
OK = ViewVerdict(True, "left", None, 1)
BACK = ("rounded_back", Severity.MAJOR, "Keep your back flat")
HEAD = ("head_drop", Severity.MINOR, "Keep your head in line")


def a(i, faults=(), view=OK, events=(), person=True, reps=0, hold=0.0, measurements=None):
    t = i * STEP
    return Assessment(
        "plank",
        t,
        i,
        view,
        "holding",
        measurements if measurements is not None else {"body_line_deg": float(i)},
        tuple(Fault(c, s, m, since) for (c, s, m), since in faults),
        tuple(events),
        rep_count=reps,
        hold_s=hold,
        pose=stick_pose(0.0, t, i) if person else None,
    )


def record(assessments, **kw):
    rec = SessionRecorder("plank", "clip.mp4", ("body_line_deg",), **kw)
    for x in assessments:
        rec.consume(None, x)
    return rec


def test_fault_interval_from_since_to_last_frame_plus_one():
    frames = [a(i, [(BACK, 250.0)] if 3 <= i <= 7 else []) for i in range(12)]
    rep = record(frames).report()
    [f] = rep.faults
    assert (f.code, f.message, f.severity) == ("rounded_back", "Keep your back flat", "major")
    # The checker dates the episode to 0.25 s; the fault is last seen at 0.7 s, one frame lasts 0.1 s.
    assert f.start_s == pytest.approx(0.25)
    assert f.end_s == pytest.approx(0.8)
    assert rep.fault_time_s == {"rounded_back": pytest.approx(0.55)}


def test_flicker_merged_long_gap_split():
    on = {2, 3, 4, 6, 7, 15, 16}  # one-frame gap at 5 merges, long gap before 15 splits
    frames = [a(i, [(HEAD, i * STEP)] if i in on else []) for i in range(20)]
    rep = record(frames, merge_gap_ms=250).report()
    spans = [(round(f.start_s, 3), round(f.end_s, 3)) for f in rep.faults]
    assert spans == [(0.2, 0.8), (1.5, 1.7)]
    assert rep.fault_time_s["head_drop"] == pytest.approx(0.8)


def test_simultaneous_faults_tracked_separately_and_open_at_end():
    frames = [a(i, [(BACK, 0.0)] + ([(HEAD, 500.0)] if i >= 5 else [])) for i in range(10)]
    rep = record(frames).report()
    assert [(f.code, f.start_s, f.end_s) for f in rep.faults] == [
        ("rounded_back", 0.0, pytest.approx(1.0)),
        ("head_drop", 0.5, pytest.approx(1.0)),
    ]


def test_reps_and_partial_reps_from_events():
    events = {
        10: [Event(EventKind.REP_COMPLETED, 1000, 1, 200, ("rounded_back",), {"depth_deg": 78.5})],
        20: [Event(EventKind.REP_PARTIAL, 2000, None, 1500, (), {"depth_deg": 30.0})],
        30: [Event(EventKind.REP_COMPLETED, 3000, 2, 2300, (), {"depth_deg": 81.0})],
    }
    frames = [a(i, events=events.get(i, ()), reps=(i >= 10) + (i >= 30)) for i in range(35)]
    rep = record(frames).report()
    assert rep.rep_count == 2
    assert [(r.index, r.start_s, r.end_s, r.faults) for r in rep.reps] == [
        (1, 0.2, 1.0, ("rounded_back",)),
        (2, 2.3, 3.0, ()),
    ]
    assert rep.reps[0].metrics == {"depth_deg": 78.5}
    assert len(rep.partial_reps) == 1 and rep.partial_reps[0].partial
    d = rep.to_dict()
    assert d["rep_count"] == 2 and d["partial_rep_count"] == 1
    assert d["reps"][0] == {
        "index": 1,
        "start_s": 0.2,
        "end_s": 1.0,
        "duration_s": 0.8,
        "partial": False,
        "faults": ["rounded_back"],
        "metrics": {"depth_deg": 78.5},
    }


def test_holds_from_events_best_hold_and_open_hold_at_end():
    events = {
        5: [Event(EventKind.HOLD_STARTED, 500)],
        25: [Event(EventKind.HOLD_STOPPED, 2500, start_ms=500)],
        30: [Event(EventKind.HOLD_STARTED, 3000)],
    }
    hold = [0.0] * 5 + [0.1 * k for k in range(20)] + [2.0] * 5 + [2.0 + 0.1 * k for k in range(10)]
    frames = [a(i, events=events.get(i, ()), hold=hold[i]) for i in range(40)]
    rep = record(frames).report()
    assert [(h.start_s, round(h.end_s, 3)) for h in rep.holds] == [(0.5, 2.5), (3.0, 4.0)]
    assert rep.best_hold_s == pytest.approx(2.0)
    assert rep.hold_s == pytest.approx(hold[-1])


def test_a_hold_cut_by_a_checker_reset_is_kept():
    # A routine's set ends at its target mid-hold and the next set resets the checker (so does
    # live's `r`): no stop event, the hold timer starts again. Both holds are the session's.
    events = {5: [Event(EventKind.HOLD_STARTED, 500)], 30: [Event(EventKind.HOLD_STARTED, 3000)]}
    hold = [0.0] * 5 + [0.1 * k for k in range(1, 21)] + [0.0] * 5 + [0.1 * k for k in range(1, 11)]
    rep = record([a(i, events=events.get(i, ()), hold=hold[i]) for i in range(40)]).report()
    assert [(h.start_s, round(h.end_s, 3), h.ended) for h in rep.holds] == [
        (0.5, 2.5, False),
        (3.0, 4.0, False),
    ]
    assert rep.best_hold_s == pytest.approx(2.0)
    assert rep.hold_s == pytest.approx(3.0)


def test_a_hold_that_takes_back_its_bridged_gap_is_not_a_reset():
    # The view is lost mid-hold: the timer bridges the gap, counting it, then takes those
    # 0.4 s back when the gap outlasts max_gap_ms and ends the hold at its last valid frame.
    # One hold of 2.0 s, not a reset that banks 2.4 s and counts the hold twice.
    events = {5: [Event(EventKind.HOLD_STARTED, 500)], 29: [Event(EventKind.HOLD_STOPPED, 2400, None, 500)]}
    hold = [0.0] * 5 + [0.1 * k for k in range(1, 21)] + [2.1, 2.2, 2.3, 2.4] + [2.0] * 11
    rep = record([a(i, events=events.get(i, ()), hold=hold[i]) for i in range(40)]).report()
    assert [(h.start_s, h.end_s, h.ended) for h in rep.holds] == [(0.5, 2.4, True)]
    assert rep.hold_s == pytest.approx(2.0)


def test_holds_from_timer_when_checker_emits_no_events():
    hold = [0.0] * 3 + [0.1 * k for k in range(1, 8)] + [0.7] * 5 + [0.7 + 0.1 * k for k in range(1, 4)]
    rep = record([a(i, hold=h) for i, h in enumerate(hold)]).report()
    assert [(round(h.start_s, 3), round(h.end_s, 3)) for h in rep.holds] == [(0.2, 0.9), (1.4, 1.7)]
    assert rep.best_hold_s == pytest.approx(0.7)


def test_no_person_gaps_and_frames_with_pose():
    person = [True] * 5 + [False] * 4 + [True] * 3 + [False] * 2
    rep = record([a(i, person=p) for i, p in enumerate(person)]).report()
    assert rep.frames == 14 and rep.frames_with_pose == 8
    assert [(g.start_s, round(g.end_s, 3)) for g in rep.no_person] == [(0.5, 0.9), (1.2, 1.4)]


def test_view_summary_majority_side_and_problems():
    bad = ViewVerdict(False, "right", ViewProblem.NOT_SIDE_ON)
    views = [OK] * 6 + [bad] * 4
    rep = record([a(i, view=v) for i, v in enumerate(views)]).report()
    assert rep.view.side == "left" and rep.view.ok and rep.view.ok_fraction == 0.6
    assert rep.view.problems_s == {"not_side_on": pytest.approx(0.4)}
    rep = record([a(i, view=bad) for i in range(5)]).report()
    assert not rep.view.ok and rep.view.side == "right"


def test_series_aligned_with_nan_for_missing():
    frames = [a(0), a(1, measurements={}), a(2, measurements={"body_line_deg": 2.0, "head_line_deg": 5.0})]
    rep = record(frames).report()
    assert rep.t_s == [0.0, 0.1, 0.2]
    assert rep.series["body_line_deg"][0] == 0.0 and math.isnan(rep.series["body_line_deg"][1])
    assert math.isnan(rep.series["head_line_deg"][0]) and rep.series["head_line_deg"][2] == 5.0
    assert rep.to_dict()["series"]["head_line_deg"] == [None, None, 5.0]
    assert rep.main_signals == ("body_line_deg",)


def test_duration_from_timestamps_or_container():
    frames = [a(i) for i in range(10)]
    assert record(frames).report().duration_s == pytest.approx(1.0)
    assert record(frames).report(duration_s=1.25).duration_s == 1.25


def test_checker_reset_keeps_session_totals():
    reps = [0, 1, 2, 2, 0, 1]  # the user pressed reset after two reps
    rep = record([a(i, reps=r) for i, r in enumerate(reps)]).report()
    assert rep.rep_count == 3


def test_partial_flag_and_empty_session():
    rep = SessionRecorder("hip-hinge").report(partial=True)
    assert rep.partial and rep.frames == 0 and rep.duration_s == 0.0
    d = rep.to_dict()
    assert d["partial"] is True and d["reps"] == [] and d["view"]["ok"] is False


def test_a_fault_of_a_rep_completed_at_the_end_of_the_stream_is_reported():
    # The checker completes a rep only when the stream ends (a peak held to the end), so its
    # faults never showed on a frame: they are reported from the rep's start to the end, with
    # the spec's correction; one that a frame already showed then is not reported twice.
    rec = record([a(i, [(HEAD, 500.0)] if 5 <= i <= 8 else []) for i in range(30)])
    final = Event(EventKind.REP_COMPLETED, 1500, 1, 400, ("head_drop", "hip_sag"), {})
    rec.consume_final(a(29, events=[final], reps=1))
    rep = rec.report()
    assert [(f.code, f.start_s, f.end_s) for f in rep.faults] == [
        ("hip_sag", 0.4, pytest.approx(3.0)),
        ("head_drop", 0.5, pytest.approx(0.9)),
    ]
    assert (rep.faults[0].message, rep.faults[0].severity) == ("Lift your hips", "major")
    assert rep.reps[0].faults == ("head_drop", "hip_sag")


def test_a_final_rep_fault_seen_before_the_rep_start_but_after_the_last_rep_is_not_repeated():
    # A cat-cow cycle's start is known only from its first confirmed peak, so the checker gives
    # it the faults seen since the previous rep ended, before that start too: a frame that
    # showed one then already reported it. Seen before the previous rep ended, it was that rep's.
    def run(previous_rep_at: int | None):
        frames = [a(i, [(HEAD, 500.0)] if 5 <= i <= 8 else []) for i in range(30)]
        if previous_rep_at is not None:
            done = Event(EventKind.REP_COMPLETED, previous_rep_at * STEP, 1, 0.0, ("head_drop",), {})
            frames[previous_rep_at] = a(previous_rep_at, events=[done], reps=1)
        rec = record(frames)
        final = Event(EventKind.REP_COMPLETED, 2900, 2 if previous_rep_at else 1, 1500, ("head_drop",), {})
        rec.consume_final(a(29, events=[final], reps=2 if previous_rep_at else 1))
        return [(f.code, f.start_s, round(f.end_s, 3)) for f in rec.report().faults]

    assert run(None) == [("head_drop", 0.5, 0.9)]
    assert run(12) == [("head_drop", 0.5, 0.9), ("head_drop", 1.5, 3.0)]
