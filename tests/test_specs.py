"""Each exercise's spec agrees with its checker, and what feedback/ draws comes from it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from exercises.registry import SPECS, create_checker, spec_for
from exercises.spec import Counts
from feedback.overlay import display_for


@pytest.mark.parametrize("name", sorted(SPECS))
def test_spec_matches_its_checker(name):
    spec, checker = spec_for(name), create_checker(name)
    assert (checker.name, checker.title, checker.counts) == (spec.name, spec.title, spec.counts)
    assert tuple(checker.main_signals) == spec.main_signals
    judged = {f.code: (f.severity, f.message) for f in checker.fault_specs}
    assert judged == {f.code: (f.severity, f.message) for f in spec.faults}
    assert spec.table_of(checker) == spec.thresholds
    for info in spec.faults:
        for line in info.lines:
            line.value(spec.thresholds)  # names a field of the table


def test_a_spec_naming_a_missing_threshold_is_refused():
    spec = spec_for("plank")
    with pytest.raises(ValueError, match="no threshold named"):
        replace(spec, meter=replace(spec_for("cat-cow").meter))


def test_meter_follows_the_table_in_use():
    cat_cow = spec_for("cat-cow")
    loose = replace(cat_cow.thresholds, cat_target_bow=0.02, cow_target_bow=0.06)
    meter = display_for(cat_cow, loose).meter
    assert (meter.low_target, meter.high_target) == (-0.06, 0.02)


def test_angle_labels_say_what_the_sign_means():
    plank = spec_for("plank")
    hips = next(a for a in plank.angles if a.measurement == "body_line_deg")
    assert hips.text(24.2) == "hips 24° low"
    assert hips.text(-13.0) == "hips 13° high"
    assert hips.text(0.3) == "hips in line"
    knee = next(a for a in spec_for("hip-hinge").angles if a.measurement == "knee_flexion_deg")
    assert knee.text(14.0) == "knee 166°"
    assert spec_for("plank").counts == Counts.HOLD and spec_for("cat-cow").counts == Counts.REPS
