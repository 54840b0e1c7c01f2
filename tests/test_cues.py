"""CuePolicy: one correction at a time, held, rate-limited; announcements for the voice."""

from __future__ import annotations

from dataclasses import replace

from exercises.base import Assessment, Event, EventKind, Fault, Severity, ViewProblem, ViewVerdict
from feedback.cues import CueKind, CuePolicy, CuePolicyConfig, CueStage

OK = ViewVerdict(True, "left", None, 1)
FPS_MS = 1000 / 30

BACK = ("rounded_back", Severity.MAJOR, "Keep your back flat")
HEAD = ("head_drop", Severity.MINOR, "Keep your head in line")
KNEES = ("squatting", Severity.MODERATE, "Less knee bend")


def frame(t_ms, faults=(), view=OK, events=(), reps=0, hold_s=0.0, i=None):
    fs = tuple(Fault(code, sev, msg, since) for (code, sev, msg), since in faults)
    return Assessment(
        "hip-hinge",
        t_ms,
        i if i is not None else round(t_ms / FPS_MS),
        view,
        "hinged",
        {},
        fs,
        tuple(events),
        rep_count=reps,
        hold_s=hold_s,
    )


def run(policy, script, until_ms, step=FPS_MS):
    """script(t) -> list of (fault, since_ms); returns the CueState per frame."""
    states, t = [], 0.0
    while t <= until_ms:
        states.append(policy.update(frame(t, script(t))))
        t += step
    return states


def shown(states, t_from, t_to):
    return {s.correction.key if s.correction else None for s in states if t_from <= s.t_ms < t_to}


def test_one_correction_most_severe_first_then_oldest():
    policy = CuePolicy()
    state = policy.update(frame(1000, [(HEAD, 0.0), (BACK, 500.0), (KNEES, 100.0)]))
    assert state.correction.key == "rounded_back"
    assert state.correction.text == "Keep your back flat"
    policy = CuePolicy()
    a, b = ("a_fault", Severity.MODERATE, "A"), ("b_fault", Severity.MODERATE, "B")
    assert policy.update(frame(1000, [(b, 300.0), (a, 600.0)])).correction.key == "b_fault"


def test_short_flicker_is_not_cued():
    policy = CuePolicy(CuePolicyConfig(min_fault_ms=200))
    assert policy.update(frame(1000, [(BACK, 950.0)])).correction is None
    assert policy.update(frame(1200, [(BACK, 950.0)])).correction.key == "rounded_back"


def test_correction_clears_within_a_second_of_its_fault_ending():
    policy = CuePolicy(CuePolicyConfig(min_fault_ms=0))
    # Fault present 1.0-1.3 s only: the box lingers a moment to finish reading, then goes.
    states = run(policy, lambda t: [(BACK, 1000.0)] if 1000 <= t < 1300 else [], 5000)
    assert shown(states, 1000, 1300 + 500) == {"rounded_back"}
    assert shown(states, 1300 + 1000, 5000) == {None}
    longer = CuePolicy(CuePolicyConfig(min_fault_ms=0, linger_ms=1500))
    states = run(longer, lambda t: [(BACK, 1000.0)] if 1000 <= t < 1300 else [], 5000)
    assert shown(states, 1000, 2790) == {"rounded_back"}
    assert shown(states, 2810, 5000) == {None}


def test_persistent_fault_stays_on_screen():
    policy = CuePolicy(CuePolicyConfig(min_fault_ms=0))
    states = run(policy, lambda t: [(BACK, 0.0)], 10_000)
    assert shown(states, 0, 10_000) == {"rounded_back"}


def test_same_cue_not_reissued_within_repeat_gap():
    cfg = CuePolicyConfig(repeat_gap_ms=5000, min_fault_ms=0)
    policy = CuePolicy(cfg)

    def script(t):  # fault episodes at 0-0.3 s, 2-2.3 s (too soon) and 6-6.3 s (allowed again)
        for start in (0, 2000, 6000):
            if start <= t < start + 300:
                return [(BACK, float(start))]
        return []

    states = run(policy, script, 8000)
    assert shown(states, 0, 290) == {"rounded_back"}
    assert shown(states, 1010, 5990) == {None}
    assert "rounded_back" in shown(states, 6000, 6300)
    issued = [a for s in states for a in s.announcements if a.kind is CueKind.CORRECTION]
    assert len(issued) == 2
    assert issued[0].t_ms == 0 and 6000 <= issued[1].t_ms <= 6000 + FPS_MS


def test_more_severe_fault_preempts_during_hold():
    policy = CuePolicy(CuePolicyConfig(min_fault_ms=0))
    states = run(policy, lambda t: [(HEAD, 0.0)] + ([(BACK, 500.0)] if t >= 500 else []), 1000)
    assert shown(states, 0, 490) == {"head_drop"}
    assert shown(states, 510, 1000) == {"rounded_back"}


def test_less_severe_fault_waits_until_the_shown_one_clears():
    policy = CuePolicy(CuePolicyConfig(min_fault_ms=0, linger_ms=600))
    # Back rounded 0-0.5 s, head drop from 0.2 s on: the back cue keeps the screen while its
    # fault lasts and lingers 0.6 s; then the head cue.
    states = run(
        policy, lambda t: ([(BACK, 0.0)] if t < 500 else []) + ([(HEAD, 200.0)] if t >= 200 else []), 4000
    )
    assert shown(states, 0, 1090) == {"rounded_back"}
    assert shown(states, 1110, 4000) == {"head_drop"}


def test_reminder_announced_while_fault_persists():
    policy = CuePolicy(CuePolicyConfig(min_fault_ms=0, reminder_ms=8000))
    states = run(policy, lambda t: [(BACK, 0.0)], 17_000)
    spoken = [round(a.t_ms / 1000) for s in states for a in s.announcements if a.kind is CueKind.CORRECTION]
    assert spoken == [0, 8, 16]


def test_bad_view_hides_corrections_and_shows_view_message_after_debounce():
    policy = CuePolicy(CuePolicyConfig(view_min_ms=700, min_fault_ms=0))
    bad = ViewVerdict(False, None, ViewProblem.NOT_SIDE_ON)
    s = policy.update(frame(0, [(BACK, 0.0)]))
    assert s.correction is not None
    s = policy.update(frame(100, [(BACK, 0.0)], view=bad))
    assert s.correction is None and s.view is None  # not yet: could be a one-frame glitch
    s = policy.update(frame(900, [], view=bad))
    assert s.view.text == "Turn side-on to the camera"
    assert [a.kind for a in s.announcements] == [CueKind.VIEW]
    s = policy.update(frame(1000, [], view=bad))
    assert s.view is not None and s.announcements == ()
    assert policy.update(frame(3000, [])).view is None


def test_rep_numbers_and_set_complete():
    policy = CuePolicy(CuePolicyConfig(target_reps=2))
    e1 = Event(EventKind.REP_COMPLETED, 1000, 1, 0)
    e2 = Event(EventKind.REP_COMPLETED, 3000, 2, 2000)
    s1 = policy.update(frame(1000, events=[e1], reps=1))
    s2 = policy.update(frame(3000, events=[e2], reps=2))
    s3 = policy.update(frame(3033, reps=2))
    assert [(a.kind, a.text) for a in s1.announcements] == [(CueKind.REP, "1")]
    assert [(a.kind, a.text) for a in s2.announcements] == [
        (CueKind.REP, "2"),
        (CueKind.SET_COMPLETE, "Set complete"),
    ]
    assert s3.announcements == ()


def test_hold_target_set_complete_once():
    policy = CuePolicy(CuePolicyConfig(target_hold_s=30))
    said = [
        a
        for t, h in ((0, 29.9), (100, 30.0), (200, 30.1))
        for a in policy.update(frame(t, hold_s=h)).announcements
    ]
    assert [a.text for a in said] == ["Set complete"]


def test_update_is_idempotent_per_frame():
    """Overlay and voice may both call update() with the same Assessment."""
    policy = CuePolicy(CuePolicyConfig(min_fault_ms=0))
    a = frame(0, [(BACK, 0.0)])
    first, second = policy.update(a), policy.update(a)
    assert first is second
    assert len(first.announcements) == 1


def test_reset_forgets_history():
    policy = CuePolicy(CuePolicyConfig(min_fault_ms=0))
    policy.update(frame(0, [(BACK, 0.0)]))
    policy.update(frame(100, []))
    policy.reset()
    assert policy.update(frame(200, [(BACK, 200.0)])).correction.key == "rounded_back"


def test_more_severe_fault_preempts_a_lingering_cue_whose_fault_cleared():
    policy = CuePolicy(CuePolicyConfig(min_fault_ms=0, linger_ms=600))
    # Head drop 0-0.3 s (its cue lingers to 0.9 s), back rounds from 0.5 s.
    states = run(
        policy, lambda t: ([(HEAD, 0.0)] if t < 300 else []) + ([(BACK, 500.0)] if t >= 500 else []), 2500
    )
    assert shown(states, 0, 490) == {"head_drop"}
    assert shown(states, 500, 2500) == {"rounded_back"}


def test_changed_advice_for_the_same_fault_updates_the_cue_and_is_said():
    policy = CuePolicy(CuePolicyConfig(min_fault_ms=0))
    cat = ("small_range", Severity.MODERATE, "Round up more through your upper back")
    cow = ("small_range", Severity.MODERATE, "Let your belly drop more")
    s1 = policy.update(frame(0, [(cat, 0.0)]))
    s2 = policy.update(frame(100, [(cat, 0.0)]))
    s3 = policy.update(frame(200, [(cow, 0.0)]))
    assert s1.correction.text == s2.correction.text == "Round up more through your upper back"
    assert s3.correction.text == "Let your belly drop more" and s3.correction.shown_ms == 0
    assert [a.text for s in (s1, s2, s3) for a in s.announcements] == [cat[2], cow[2]]


def test_cue_stage_chooses_once_per_frame_and_readers_only_read():
    """The stage runs before the overlay, voice and window; drawing never advances the policy."""
    import numpy as np

    from exercises.registry import spec_for
    from feedback.overlay import PALETTE, Overlay, display_for
    from tests.feedback_fakes import stick_pose

    stage = CueStage(CuePolicy(CuePolicyConfig(min_fault_ms=0)))
    overlay = Overlay(display_for(spec_for("hip-hinge")))
    a = replace(frame(0, [(BACK, 0.0)]), pose=stick_pose(60.0))
    img = np.full((480, 640, 3), 96, np.uint8)
    overlay.draw(img, a, stage.state)  # before the stage ran: nothing chosen, no banner
    assert stage.state is None and not np.all(img == PALETTE.severity[2], axis=2).any()
    stage.consume(None, a)
    assert stage.state.correction.key == "rounded_back" and len(stage.state.announcements) == 1
    overlay.draw(img, a, stage.state)
    assert np.all(img == PALETTE.severity[2], axis=2).sum() > 1000
    stage.reset()
    assert stage.state is None
