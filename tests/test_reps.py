"""RepCounter, CycleCounter and HoldTimer on hand-made signals."""

from __future__ import annotations

import numpy as np
import pytest

from exercises.reps import CycleCounter, CycleRule, HoldTimer, RepCounter, RepPhase, RepRule

DT = 1000.0 / 30.0
RULE = RepRule(start=20.0, rest=12.0, target=30.0)


def feed(counter, values, t0=0.0):
    """Feed values (None = unjudgeable) at 30 fps; return all outcomes and the end time."""
    out = []
    t = t0
    for v in values:
        out += counter.update(t, v)
        t += DT
    return out, t


def flat(v, seconds):
    return [v] * round(seconds * 30)


def ramp(a, b, seconds):
    n = round(seconds * 30)
    return list(a + (b - a) * (0.5 - 0.5 * np.cos(np.pi * np.arange(1, n + 1) / n)))


def rep(depth=80.0, down=1.0, up=1.0, rest=3.0):
    return ramp(rest, depth, down) + ramp(depth, rest, up)


def kinds(outcomes):
    return [o.kind for o in outcomes]


def test_clean_reps_are_counted_with_their_times():
    c = RepCounter(RULE)
    out, _ = feed(c, flat(3.0, 1.0) + rep() + flat(3.0, 0.5) + rep() + flat(3.0, 0.5))
    assert kinds(out) == ["started", "completed", "started", "completed"]
    assert c.count == 2 and c.partials == 0
    first = out[1]
    assert first.index == 1
    # The rep spans from crossing 20 deg on the way down to crossing 12 deg on the way up.
    assert 1000 < first.start_ms < 1600 and 2400 < first.t_ms < 3000
    assert first.peak == pytest.approx(80.0, abs=0.5)


def test_getting_into_position_is_not_a_rep():
    # Starts bent over (walking in, picking something up), then stands: no rep, no partial.
    c = RepCounter(RULE)
    out, _ = feed(c, flat(70.0, 1.0) + ramp(70.0, 3.0, 1.0) + flat(3.0, 0.3))
    assert out == []
    out, _ = feed(c, flat(3.0, 0.5) + rep() + flat(3.0, 0.5), t0=2400)
    assert kinds(out) == ["started", "completed"] and c.count == 1


def test_partial_rep_is_reported_not_counted():
    c = RepCounter(RULE)
    out, _ = feed(c, flat(3.0, 1.0) + rep(depth=26.0) + flat(3.0, 0.5) + rep() + flat(3.0, 0.5))
    assert kinds(out) == ["started", "partial", "started", "completed"]
    assert c.count == 1 and c.partials == 1
    assert out[1].peak == pytest.approx(26.0, abs=0.5)
    assert out[3].index == 1


@pytest.mark.parametrize("centre", [20.0, 12.0, 30.0])
def test_jitter_around_a_threshold_makes_no_phantom_reps(centre):
    rng = np.random.default_rng(1)
    c = RepCounter(RULE)
    # Alternating +-3 deg around the threshold with noise, for 5 s, after settling at rest.
    jitter = [centre + (3.0 if i % 2 else -3.0) + rng.normal(0, 1) for i in range(150)]
    pre = flat(3.0, 1.0) if centre != 30.0 else flat(3.0, 1.0) + ramp(3.0, 30.0, 0.5)
    _, t = feed(c, pre + jitter)
    assert c.count == 0 and c.partials == 0
    if centre == 30.0:
        # Hovering at the target is one rep in progress that counts once on the way back.
        out2, _ = feed(c, ramp(30.0, 3.0, 0.7) + flat(3.0, 0.5), t0=t)
        assert kinds(out2) == ["completed"] and c.count == 1


def test_noisy_reps_count_exactly():
    rng = np.random.default_rng(7)
    c = RepCounter(RULE)
    values = flat(3.0, 1.0)
    for _ in range(5):
        values += rep(depth=75.0) + flat(3.0, 0.4)
    values = [v + rng.normal(0, 2.5) for v in values]
    out, _ = feed(c, values)
    assert c.count == 5 and c.partials == 0
    assert kinds(out).count("started") == 5


def test_short_dropout_mid_rep_is_bridged():
    c = RepCounter(RULE)
    values = flat(3.0, 1.0) + rep(down=1.5, up=1.5)
    values[45:57] = [None] * 12  # 0.4 s without a person during the descent
    out, _ = feed(c, values + flat(3.0, 0.5))
    assert kinds(out) == ["started", "completed"] and c.count == 1


def test_long_dropout_abandons_the_rep_and_needs_settling_again():
    c = RepCounter(RULE)
    values = flat(3.0, 1.0) + ramp(3.0, 80.0, 1.0) + [None] * 30 + ramp(80.0, 3.0, 1.0) + flat(3.0, 0.3)
    out, _ = feed(c, values)
    assert kinds(out) == ["started", "partial"]
    assert c.count == 0
    out, _ = feed(c, flat(3.0, 0.5) + rep() + flat(3.0, 0.5), t0=5000)
    assert kinds(out) == ["started", "completed"] and c.count == 1


def test_reset_forgets_everything():
    c = RepCounter(RULE)
    feed(c, flat(3.0, 1.0) + rep() + flat(3.0, 0.5))
    assert c.count == 1
    c.reset()
    assert c.count == 0 and c.phase is RepPhase.SETUP and c.partials == 0
    out, _ = feed(c, rep() + flat(3.0, 1.0), t0=10000)
    assert out == []  # needs to settle at rest again before counting


def test_falling_signal():
    c = RepCounter(RepRule(start=150.0, rest=165.0, target=120.0, rising=False))
    out, _ = feed(c, flat(175.0, 1.0) + rep(depth=95.0, rest=175.0) + flat(175.0, 0.5))
    assert kinds(out) == ["started", "completed"]
    assert out[1].peak == pytest.approx(95.0, abs=0.5)


def test_rule_must_have_hysteresis():
    with pytest.raises(ValueError):
        RepRule(start=20.0, rest=25.0, target=30.0)
    with pytest.raises(ValueError):
        RepRule(start=20.0, rest=10.0, target=15.0)


# ------------------------------------------------------------------------- cycles

CYCLE = CycleRule(swing=0.02)


def wave(period_s, cycles, amp_pos=0.08, amp_neg=0.07, first=1):
    n = round(period_s * cycles * 30)
    ph = np.sin(2 * np.pi * np.arange(n) / (period_s * 30)) * first
    return list(np.where(ph > 0, amp_pos * ph, amp_neg * ph))


def test_cycles_in_either_order():
    for first in (1, -1):
        c = CycleCounter(CYCLE)
        out, _ = feed(c, flat(0.0, 1.0) + wave(4.0, 3, first=first) + flat(0.0, 0.5))
        done = [o for o in out if o.kind == "completed"]
        assert len(done) == 3 and c.count == 3 and c.partials == 0
        assert done[0].pos_peak == pytest.approx(0.08, abs=0.002)
        assert done[0].neg_peak == pytest.approx(-0.07, abs=0.002)
        assert done[0].period_ms == pytest.approx(4000.0, abs=70.0)


def test_one_sided_movement_is_partial():
    # Once a full cycle has shown where neutral lies, going back to it is not a cow.
    c = CycleCounter(CYCLE)
    cat_only = [max(v, 0.0) for v in wave(3.0, 2)]
    out, _ = feed(
        c, flat(0.0, 1.0) + wave(4.0, 1) + flat(0.0, 0.6) + cat_only + wave(4.0, 1) + flat(0.0, 0.5)
    )
    assert c.count == 2
    assert kinds(out).count("partial") == 2  # cat, cat (no cow), then cat again with a cow


def test_start_at_an_extreme_or_at_neutral_without_holding_still():
    # Moving straight away from neutral: the start is no cow. Starting in a cow held 1 s (real
    # clips open in a held pose for 0.95-2.4 s): it is. Leaving a cow 0.2 s into the stream:
    # the recording caught the end of a cow under way, which is not counted. Nor where the
    # signal reads still for 0.45 s from the first frame: a still moment that opens the
    # stream shows a start at rest only once it has lasted first_hold_ms.
    for start, held_s, expected in ((0.0, 0.2, 1), (-0.07, 1.0, 2), (-0.07, 0.2, 1), (-0.07, 0.45, 1)):
        c = CycleCounter(CYCLE)
        values = flat(start, held_s) + ramp(start, 0.08, 1.0) + ramp(0.08, -0.07, 2.0)
        values += ramp(-0.07, 0.08, 2.0) + ramp(0.08, 0.0, 1.0)
        _, t = feed(c, values)
        c.finish(t)
        assert c.count == expected, (start, held_s)


def test_a_first_cow_barely_deeper_than_a_still_table_top_counts():
    # Held still at table-top for 1 s, then into a cow that the signal reads only 0.01 deeper
    # (less than `swing`: not seen entered; an outline that shows cows little deeper than the
    # table-top), then cat, cow, cat: the stream began at rest, so that first cow was moved
    # into and counts.
    values = flat(0.0, 1.0) + ramp(0.0, -0.01, 0.4) + ramp(-0.01, 0.08, 0.8) + ramp(0.08, -0.03, 2.0)
    values += ramp(-0.03, 0.08, 2.0) + ramp(0.08, 0.0, 1.0) + flat(0.0, 0.5)
    c = CycleCounter(CYCLE)
    out, t = feed(c, values)
    out += c.finish(t)
    assert c.count == 2 and c.partials == 0


def test_a_recording_that_begins_mid_movement_does_not_start_at_an_extreme():
    # 60% of the way into a cow and rising at speed: the first frame is no cow, though the leg
    # out of it is 80% of a full one. 2.5 cycles from there: cat, cow, cat, cow, cat.
    phase = -np.arcsin(0.6)
    t = np.arange(round(2.5 * 4.0 * 30)) / 30
    values = list(0.08 * np.sin(phase + 2 * np.pi * t / 4.0))
    c = CycleCounter(CYCLE)
    out, end = feed(c, values)
    out += c.finish(end)
    assert c.count == 2
    done = [o for o in out if o.kind == "completed"]
    assert all(o.period_ms == pytest.approx(4000.0, abs=100.0) for o in done)


def test_a_brisk_cycle_recorded_from_its_start_counts_its_first_turn():
    # Straight from the table-top into a 1.1 s cow-first cycle: the cow comes 0.27 s after the
    # first frame, sooner than min_leg_ms, which the first frame does not start.
    c = CycleCounter(CYCLE)
    out, t = feed(c, wave(1.1, 3, first=-1) + flat(0.0, 0.5))
    out += c.finish(t)
    assert c.count == 3 and c.partials == 0


def line(a, b, seconds):
    n = round(seconds * 30)
    return list(np.linspace(a, b, n + 1)[1:])


@pytest.mark.parametrize(
    ("opening", "expected"),
    [
        # Opened just past a cat, the first frames rising 0.025 into it (MediaPipe settling),
        # then cow, cat, cow: the cat was left before the picture began, one cycle is seen.
        (line(0.055, 0.08, 0.2), 1),
        # From the table-top straight into that cat: the leg into it is half the next, so
        # the cat was seen moved into: two cycles.
        (line(0.0, 0.08, 0.8), 2),
    ],
)
def test_a_first_extreme_reached_only_from_the_first_frames_is_not_seen_entered(opening, expected):
    values = [*opening, *ramp(0.08, -0.07, 1.5), *ramp(-0.07, 0.08, 1.5), *ramp(0.08, -0.07, 1.5)]
    values += ramp(-0.07, 0.0, 0.7)
    c = CycleCounter(CYCLE)
    out, t = feed(c, values)
    out += c.finish(t)
    assert c.count == expected


def test_a_wobble_at_a_still_start_does_not_time_the_leg_into_the_first_cow():
    # A table-top held still, its first frames wobbling up by less than `swing` (a camera
    # not quite level moved them that way on a real clip), then a fast drop into a cow held
    # for 1.5 s and one cat: one cycle. The wobble is no turning point the signal was seen
    # moving into, so the cow reached 0.25 s after it is not "too soon".
    values = [0.0, 0.004, 0.008, *line(0.008, -0.07, 0.25), *flat(-0.07, 1.5)]
    values += [*line(-0.07, 0.08, 1.5), *flat(0.08, 1.0), *line(0.08, 0.0, 1.0), *flat(0.0, 0.5)]
    c = CycleCounter(CYCLE)
    out, t = feed(c, values)
    out += c.finish(t)
    assert c.count == 1


def test_a_first_value_passed_through_at_speed_is_no_extreme():
    # Half-way down from a cat at full speed, along straight legs: the signal stays near its
    # first value (within 15% of the next leg) as briefly as near the sharp next turn, 0.2 s,
    # so the ratio alone would take it for a cat held at the start; held for less than
    # min_leg_ms it was passed through. Seen: cow, cat, cow, back to neutral: one cycle.
    values = [0.04, *line(0.04, -0.07, 1.1), *line(-0.07, 0.08, 1.5), *line(0.08, -0.07, 1.5)]
    values += line(-0.07, 0.0, 0.7)
    c = CycleCounter(CYCLE)
    out, t = feed(c, values)
    out += c.finish(t)
    assert c.count == 1
    done = [o for o in out if o.kind == "completed"]
    assert done[0].start_ms == pytest.approx(1100.0, abs=70.0)  # from the cow, not frame 0


def test_a_peak_held_to_the_end_of_the_stream_counts():
    c = CycleCounter(CYCLE)
    out, t = feed(c, flat(0.0, 1.0) + wave(4.0, 2) + ramp(0.0, 0.08, 1.0) + flat(0.08, 0.4))
    assert c.count == 2
    out = c.finish(t)
    assert c.count == 2 and kinds(out) == ["started", "extreme"]  # a cat without its cow
    c = CycleCounter(CYCLE)
    values = flat(0.0, 1.0) + wave(4.0, 2) + ramp(0.0, 0.08, 1.0) + ramp(0.08, -0.07, 1.5)
    _, t = feed(c, [*values, *flat(-0.07, 0.4)])
    c.finish(t)
    assert c.count == 3


def test_a_value_the_stream_stops_at_is_no_peak_unless_held():
    # Cut 0.2 s after the signal stopped rising (less than min_leg_ms): not seen held, it may
    # be a pause on the way back to neutral; no cycle is completed by it.
    c = CycleCounter(CYCLE)
    values = flat(0.0, 1.0) + wave(4.0, 2) + ramp(0.0, 0.08, 1.0) + ramp(0.08, -0.07, 1.5)
    _, t = feed(c, [*values, *flat(-0.07, 0.2)])
    c.finish(t)
    assert c.count == 2


def test_wobbles_while_holding_a_peak_are_one_extreme():
    c = CycleCounter(CYCLE)
    held_cat = [0.08 - 0.012 * (i % 20 < 10) for i in range(60)]  # 0.012 dips, 3 of them
    feed(c, flat(0.0, 1.0) + ramp(0.0, 0.08, 1.0) + held_cat + ramp(0.08, -0.07, 1.5) + ramp(-0.07, 0.0, 1.0))
    assert c.count == 1 and c.partials == 0


def test_one_deep_first_extreme_does_not_set_the_range_for_the_rest():
    # A rushed first cycle whose cow is brief and well over twice as deep as every later one
    # (the range moved through is read from percentiles of the recent signal, not the
    # all-time extremes): the later cows count.
    c = CycleCounter(CYCLE)
    values = ramp(0.0, -0.16, 0.5) + ramp(-0.16, 0.08, 0.9) + ramp(0.08, 0.0, 1.0)
    values += wave(4.0, 4, amp_neg=0.06, first=-1) + flat(0.0, 0.5)  # 10 extremes after the start
    _, t = feed(c, values)
    c.finish(t)
    assert c.count == 5 and c.partials == 0


def test_a_broken_first_reading_is_no_extreme_and_does_not_stall_the_count():
    # 0.3 s of a value the movement never comes near again (a first mask that took in the
    # floor), then small cycles: the outlier is no cow, and the leg out of it (several times
    # the next one) does not ask the next turn to retrace more than the whole movement.
    c = CycleCounter(CYCLE)
    values = flat(-0.3, 0.3) + flat(0.0, 0.5) + wave(4.0, 3, amp_pos=0.04, amp_neg=0.04) + flat(0.0, 0.5)
    out, t = feed(c, values)
    out += c.finish(t)
    assert c.count == 3
    done = [o for o in out if o.kind == "completed"]
    assert all(o.span == pytest.approx(0.08, abs=0.01) for o in done)


def test_small_cycles_after_full_ones_count_though_the_range_asks_more():
    # A still neutral, three full cycles, then two small ones: the range (and the still
    # neutral's reach) still spans the full cycles, so a small cat lies short of what an
    # extreme needs there. Past the neutral with legs of at least 2 x swing into and out of
    # it (between two cows), it is the other half of a small cycle. A return to neutral is
    # not (see the partial test above).
    c = CycleCounter(CYCLE)
    values = flat(0.0, 1.0) + wave(4.0, 3, amp_pos=0.1, amp_neg=0.1, first=-1)
    values += wave(4.0, 2, amp_pos=0.025, amp_neg=0.05, first=-1) + ramp(0.0, -0.05, 1.0) + flat(-0.05, 0.4)
    _, t = feed(c, values)
    c.finish(t)
    assert c.count == 5 and c.partials == 0


def test_a_turn_back_well_short_of_the_other_side_is_reported():
    # Two full cycles, then from the cow the spine rises only part of the way to neutral and
    # sinks back into a cow: the attempt at a cat fell short ("short", side +1, dated from the
    # cow it left). The turns of the full cycles and the last return to neutral are not.
    c = CycleCounter(CYCLE)
    values = flat(0.0, 1.0) + ramp(0.0, 0.08, 1.0) + ramp(0.08, -0.07, 2.0) + ramp(-0.07, 0.08, 2.0)
    values += ramp(0.08, -0.07, 2.0) + ramp(-0.07, -0.01, 1.5) + ramp(-0.01, -0.07, 1.5)
    values += ramp(-0.07, 0.08, 2.0) + ramp(0.08, 0.0, 1.0) + flat(0.0, 0.5)
    out, t = feed(c, values)
    out += c.finish(t)
    short = [o for o in out if o.kind == "short"]
    assert len(short) == 1 and short[0].side == 1
    assert short[0].start_ms == pytest.approx(8000.0, abs=250.0)
    assert short[0].t_ms == pytest.approx(9500.0, abs=250.0)
    assert short[0].half_leg == pytest.approx(0.06, abs=0.005)


def test_small_cycles_count_as_they_happen_not_only_when_the_stream_ends():
    # Peak to peak just over 3 x swing: the movement is established (its 10th-90th
    # percentiles would not be), so the cycles count live, on the frame they end.
    c = CycleCounter(CYCLE)
    feed(c, flat(0.0, 1.0) + wave(4.0, 3, amp_pos=0.031, amp_neg=0.031) + flat(0.0, 0.5))
    assert c.count == 3


def test_a_half_cycle_cut_by_the_end_of_the_stream_is_not_timed():
    c = CycleCounter(CYCLE)
    values = flat(0.0, 1.0) + wave(4.0, 2) + ramp(0.0, 0.08, 1.0) + ramp(0.08, -0.06, 0.4)
    _, t = feed(c, [*values, *flat(-0.06, 0.4)])
    out = c.finish(t)
    last = [o for o in out if o.kind == "extreme"][-1]
    assert last.side == -1 and last.half_ms is None and last.half_leg is None


def test_cycle_counter_ignores_setup_and_bridges_dropouts():
    c = CycleCounter(CYCLE)
    # Getting into position is not measured (None), then a short dropout mid-cycle.
    values = [None] * 45 + flat(0.0, 0.6) + wave(4.0, 2)
    values[90:100] = [None] * 10
    feed(c, values + flat(0.0, 0.5))
    assert c.count == 2 and c.partials == 0


# --------------------------------------------------------------------------- holds


def hold_feed(timer, frames, t0=0.0):
    """frames: list of (judgeable, in_position, valid, faults)."""
    out = []
    t = t0
    for j, pos, ok, faults in frames:
        out += timer.update(t, j, pos, ok, faults)
        t += DT
    return out, t


def seconds(state, s):
    return [state] * round(s * 30)


GOOD = (True, True, True, ())
SAG = (True, True, False, ("hip_sag",))
AWAY = (True, False, False, ())
GONE = (False, False, False, ())


def test_hold_counts_only_valid_time_in_position():
    timer = HoldTimer()
    out, _ = hold_feed(
        timer, seconds(AWAY, 2.0) + seconds(GOOD, 4.0) + seconds(SAG, 1.0) + seconds(GOOD, 2.0)
    )
    assert [o.kind for o in out] == ["started", "stopped", "started"]
    assert timer.total_s == pytest.approx(6.0, abs=0.1)
    assert timer.best_s == pytest.approx(4.0, abs=0.1)
    assert out[1].faults == ("hip_sag",)
    assert out[1].duration_s == pytest.approx(4.0, abs=0.1)
    assert timer.fault_s()["hip_sag"] == pytest.approx(1.0, abs=0.1)


def test_a_paused_hold_goes_on_without_counting():
    # A fault's condition present but not yet confirmed: no good form to count, no break either.
    timer = HoldTimer()
    out, t = hold_feed(timer, seconds(GOOD, 2.0))
    for _ in range(15):
        out += timer.update(t, True, True, True, (), paused=True)
        t += DT
    more, _ = hold_feed(timer, seconds(GOOD, 1.0), t0=t)
    assert [o.kind for o in out + more] == ["started"]
    assert timer.total_s == pytest.approx(3.0, abs=0.1)


def test_hold_bridges_short_dropouts_and_lapses():
    timer = HoldTimer()
    frames = (
        seconds(GOOD, 2.0) + seconds(GONE, 0.3) + seconds(GOOD, 1.0) + seconds(SAG, 0.2) + seconds(GOOD, 1.0)
    )
    out, _ = hold_feed(timer, frames)
    assert [o.kind for o in out] == ["started"]
    # Dropout counted (still holding), the 0.2 s sag lapse not.
    assert timer.total_s == pytest.approx(4.3, abs=0.1)
    assert timer.best_s == pytest.approx(4.3, abs=0.1)


def test_long_dropout_stops_the_hold_and_setup_is_not_counted():
    timer = HoldTimer()
    frames = (
        seconds(GOOD, 2.0) + seconds(GONE, 1.5) + seconds(GOOD, 0.3) + seconds(AWAY, 0.5) + seconds(GOOD, 1.0)
    )
    out, _ = hold_feed(timer, frames)
    assert [o.kind for o in out] == ["started", "stopped", "started"]
    assert out[1].duration_s == pytest.approx(2.0, abs=0.1)
    # 0.3 s in position is shorter than settling: not a hold.
    assert timer.total_s == pytest.approx(3.0, abs=0.1)
    timer.reset()
    assert timer.total_s == 0.0 and not timer.holding


# ------------------------------------------------------------------ recordings cut mid-rep

MID = RepRule(start=20.0, rest=12.0, target=30.0, settle_ms=0.0, start_in_rep=True)


def test_a_recording_that_starts_mid_descent_counts_that_rep():
    c = RepCounter(MID)
    out, _ = feed(c, ramp(40.0, 80.0, 1.0) + ramp(80.0, 3.0, 1.0) + flat(3.0, 0.5) + rep())
    assert c.count == 2 and kinds(out).count("completed") == 2


def test_a_recording_that_starts_between_rest_and_start_counts_the_rep_it_goes_on_into():
    # First seen already leaning a little (16: past rest 12, short of start 20) and hinging on:
    # that rep counts, measured from the least value seen; it never stood still first.
    c = RepCounter(MID)
    out, _ = feed(c, ramp(16.0, 80.0, 1.0) + ramp(80.0, 3.0, 1.0) + flat(3.0, 0.5) + rep())
    assert c.count == 2 and kinds(out).count("completed") == 2
    # ... while first seen in that band and only straightening up from it is no rep.
    c = RepCounter(MID)
    out, _ = feed(c, flat(17.0, 0.3) + ramp(17.0, 3.0, 0.5) + flat(3.0, 0.5) + rep())
    assert c.count == 1 and "partial" not in kinds(out)


def test_judging_that_resumes_mid_rep_after_a_long_gap_counts_that_rep():
    # Unjudgeable for 1.3 s while standing (plates hiding the legs), seen again half-way down:
    # that rep counts as it would at the opening of the stream.
    c = RepCounter(MID)
    gap = [None] * 40
    back = ramp(40.0, 80.0, 1.0) + ramp(80.0, 3.0, 1.0) + flat(3.0, 0.5)
    out, _ = feed(c, rep() + flat(3.0, 0.5) + gap + back)
    assert c.count == 2 and "partial" not in kinds(out)
    # ... and seen again bent over, only straightening up, is no rep.
    c = RepCounter(MID)
    out, _ = feed(c, rep() + flat(3.0, 0.5) + gap + flat(60.0, 0.3) + ramp(60.0, 3.0, 1.0) + flat(3.0, 0.5))
    assert c.count == 1 and "partial" not in kinds(out)


def test_starting_bent_over_and_only_straightening_up_is_no_rep():
    c = RepCounter(MID)
    out, _ = feed(c, flat(60.0, 0.5) + ramp(60.0, 3.0, 1.0) + flat(3.0, 0.5) + rep())
    assert c.count == 1 and "partial" not in kinds(out)


def test_no_settling_needed_before_the_first_rep():
    c = RepCounter(MID)
    feed(c, flat(3.0, 0.05) + rep())  # two frames standing, then straight into a rep
    assert c.count == 1


def test_a_rep_cut_as_the_person_straightens_up_counts_at_the_end():
    c = RepCounter(MID)
    _, t = feed(c, rep() + ramp(3.0, 80.0, 1.0) + ramp(80.0, 15.0, 0.8))
    assert c.count == 1
    assert kinds(c.finish(t, 15.0)) == ["completed"] and c.count == 2
    c = RepCounter(MID)
    _, t = feed(c, rep() + ramp(3.0, 80.0, 1.0) + ramp(80.0, 50.0, 0.5))
    assert c.finish(t, 50.0) == [] and c.count == 1  # still well down: not a rep


def test_a_wobble_too_soon_after_a_turn_does_not_hide_the_next_extreme():
    # A twitch at the start (up by more than `swing`, within the minimum leg time of the first
    # turning point) used to leave the counter waiting for that twitch to be a maximum, so the
    # whole first cow went unseen: two cycles counted as one.
    c = CycleCounter(CYCLE)
    twitch = [0.0, 0.0, 0.025, 0.025, 0.0, 0.0]
    values = twitch + flat(0.0, 0.6) + ramp(0.0, -0.07, 1.0) + flat(-0.07, 0.6) + ramp(-0.07, 0.08, 1.5)
    values += ramp(0.08, -0.07, 1.5) + ramp(-0.07, 0.08, 1.5) + ramp(0.08, 0.0, 1.0) + flat(0.0, 0.5)
    _, t = feed(c, values)
    c.finish(t)
    assert c.count == 2 and c.partials == 0


def test_a_rep_ends_where_it_turns_back_down_near_rest_without_settling():
    # Reps that do not lock out: back to 16 (past rest 12, within start 20) and straight into
    # the next one. The turning point near rest ends the rep: two reps, not one long one.
    c = RepCounter(MID)
    values = ramp(3.0, 80.0, 1.0) + ramp(80.0, 16.0, 1.0) + ramp(16.0, 80.0, 1.0) + ramp(80.0, 3.0, 1.0)
    out, _ = feed(c, flat(3.0, 0.3) + values + flat(3.0, 0.5))
    assert c.count == 2 and kinds(out) == ["started", "completed", "started", "completed"]
    assert 1800 < out[1].t_ms < 2500  # dated to the turn near the top


def test_a_wobble_at_the_bottom_of_a_rep_is_not_a_turn_near_rest():
    c = RepCounter(MID)
    values = ramp(3.0, 80.0, 1.0) + ramp(80.0, 60.0, 0.4) + ramp(60.0, 80.0, 0.4) + ramp(80.0, 3.0, 1.0)
    feed(c, flat(3.0, 0.3) + values + flat(3.0, 0.5))
    assert c.count == 1


def test_one_noisy_frame_is_not_a_recording_that_began_inside_a_rep_going_deeper():
    # Begins on the way up from a rep (a ~4 deg noisy picture): one frame reads deeper than
    # the first by the hysteresis, then the lean falls on. Straightening up is no rep.
    c = RepCounter(MID)
    values = [50.0, 59.0, *ramp(48.0, 3.0, 1.0), *flat(3.0, 0.5), *rep()]
    feed(c, values + flat(3.0, 0.5))
    assert c.count == 1
    c = RepCounter(MID)  # seen going deeper for longer than the dwell: that rep counts
    feed(c, ramp(50.0, 80.0, 0.5) + ramp(80.0, 3.0, 1.0) + flat(3.0, 0.5) + rep() + flat(3.0, 0.5))
    assert c.count == 2
