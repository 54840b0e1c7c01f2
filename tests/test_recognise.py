"""The exercise recogniser on synthetic pose tracks (tests/synthetic.py): each exercise, its
look-alikes, segmentation of a routine and the live recogniser's switching delay."""

from __future__ import annotations

import numpy as np

from exercises.recognise import OTHER, Recogniser, frame_features, label_frames, segments
from tests.synthetic import (
    FPS,
    STANDING,
    cycle,
    hinge,
    hold,
    kneeling_upright,
    move,
    plank,
    quadruped,
    squat,
    track,
)


def _labels(postures):
    frames = track(postures)
    t = np.array([t for _, t, _ in frames])
    feats = np.array([frame_features(p) for p, _, _ in frames])
    return segments(label_frames(feats, t), t), t


def _only(postures) -> str:
    segs, _ = _labels(postures)
    return max(segs, key=lambda s: s.end - s.start).label


def hinge_reps(n: int = 3, knee: float = 20.0, trunk: float = 75.0):
    return (
        hold(STANDING, 1.0) + (cycle(STANDING, hinge(trunk, knee), 1.3, 1.3, 0.3) + hold(STANDING, 0.5)) * n
    )


def test_hinge_reps_are_a_hinge():
    assert _only(hinge_reps()) == "hip-hinge"


def test_squats_and_standing_still_are_other():
    assert _only(hold(STANDING, 1.0) + cycle(STANDING, squat(1.25), 1.0, 1.0, 0.2) * 4) == OTHER
    assert _only(hold(STANDING, 6.0)) == OTHER


def test_plank_hold_is_a_plank_on_hands_or_forearms():
    assert _only(hold(plank(), 6.0)) == "plank"
    assert _only(hold(plank(forearm=True), 6.0)) == "plank"


def test_cat_cow_and_kneeling_upright():
    cats = (
        cycle(quadruped(), quadruped(spine=0.08), 1.0, 1.0)
        + cycle(quadruped(), quadruped(spine=-0.06), 1.0, 1.0)
    ) * 2
    assert _only(hold(quadruped(), 1.0) + cats) == "cat-cow"
    assert _only(hold(kneeling_upright(), 6.0)) == OTHER


def test_a_routine_splits_at_the_changes_within_a_second():
    routine = (
        hold(STANDING, 4.0)
        + hinge_reps(3)
        + move(STANDING, kneeling_upright(), 1.0)
        + hold(kneeling_upright(), 4.0)
        + move(kneeling_upright(), plank(), 1.0)
        + hold(plank(), 8.0)
    )
    segs, t = _labels(routine)
    assert [s.label for s in segs] == [OTHER, "hip-hinge", OTHER, "plank"]
    hinge_start = 4.0 + 1.0  # the first rep begins after a second of standing
    assert abs(segs[1].start_ms / 1000.0 - hinge_start) <= 1.0
    plank_start = t[-1] / 1000.0 - 8.0
    assert abs(segs[3].start_ms / 1000.0 - plank_start) <= 1.0
    assert all(0.0 <= s.confidence <= 1.0 for s in segs)


def test_live_recogniser_switches_only_after_the_new_exercise_holds():
    rec = Recogniser(switch_s=1.5)
    frames = track(hold(plank(), 5.0) + hold(kneeling_upright(), 0.5) + hold(plank(), 2.0))
    labels = [rec.update(p, t).label for p, t, _ in frames]
    first_plank = labels.index("plank")
    # The window must fill with plank for the majority, then the new label must hold 1.5 s.
    assert 1.5 * FPS <= first_plank <= 3.5 * FPS
    assert all(x == "plank" for x in labels[first_plank:])  # half a second kneeling is no switch
