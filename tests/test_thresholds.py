"""Threshold tables, TOML overrides and the exercise registry."""

from __future__ import annotations

import dataclasses

import pytest

from exercises.cat_cow import CatCowChecker
from exercises.hip_hinge import HipHingeChecker, HipHingeThresholds
from exercises.plank import PlankChecker, PlankThresholds
from exercises.registry import EXERCISES, THRESHOLDS, create_checker, thresholds_for
from exercises.thresholds import as_table
from vision.errors import ConfigError


def write(tmp_path, text, name="thresholds.toml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_registry_names_and_classes():
    assert list(EXERCISES) == ["hip-hinge", "plank", "cat-cow"]
    assert isinstance(create_checker("hip-hinge"), HipHingeChecker)
    assert isinstance(create_checker("plank"), PlankChecker)
    assert isinstance(create_checker("cat-cow"), CatCowChecker)
    for name, cls in EXERCISES.items():
        assert cls.name == name and cls.title and cls.main_signals


def test_unknown_exercise():
    with pytest.raises(ConfigError) as e:
        create_checker("squat")
    assert str(e.value) == "Unknown exercise 'squat'. Choose one of: hip-hinge, plank, cat-cow"


def test_tables_are_frozen_and_documented_by_bounds():
    for table in THRESHOLDS.values():
        with pytest.raises(dataclasses.FrozenInstanceError):
            table.rep_start_deg = 1.0  # type: ignore[attr-defined]
        for f in dataclasses.fields(table):
            assert f.metadata["low"] <= getattr(table, f.name) <= f.metadata["high"], f.name


def test_override_applies_to_its_exercise_only(tmp_path):
    p = write(tmp_path, "[plank]\nmax_sag_deg = 14\n\n[hip-hinge]\ntarget_deg = 50.5\n")
    plank = create_checker("plank", p)
    assert plank.thresholds.max_sag_deg == 14.0
    assert plank.thresholds.max_pike_deg == PlankThresholds().max_pike_deg
    hinge = create_checker("hip-hinge", p)
    assert hinge.thresholds.target_deg == 50.5
    assert create_checker("cat-cow", p).thresholds == THRESHOLDS["cat-cow"]
    assert as_table(thresholds_for("plank", p))["max_sag_deg"] == 14.0


def test_override_changes_behaviour(tmp_path):
    # A looser sag limit: 22 deg of sag is no longer a fault.
    from tests import synthetic as sy

    p = write(tmp_path, "[plank]\nmax_sag_deg = 30\n")
    seq = sy.hold(sy.plank(sag=22.0), 3.0)
    strict = sy.run(create_checker("plank"), sy.track(seq))
    loose = sy.run(create_checker("plank", p), sy.track(seq))
    assert strict.fault_codes == {"hip_sag"} and loose.fault_codes == set()


def test_empty_file_keeps_defaults(tmp_path):
    assert create_checker("hip-hinge", write(tmp_path, "")).thresholds == HipHingeThresholds()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[plank]\nmax_sag_deg = 'ten'\n",
            "thresholds.toml: [plank] max_sag_deg must be a number, got 'ten'",
        ),
        (
            "[plank]\nmax_sag_deg = true\n",
            "thresholds.toml: [plank] max_sag_deg must be a number, got True (bool)",
        ),
        (
            "[plank]\nmax_sag_deg = [1, 2]\n",
            "thresholds.toml: [plank] max_sag_deg must be a number, got [1, 2] (list)",
        ),
        (
            "[plank]\nmax_sag_deg = 90\n",
            "thresholds.toml: [plank] max_sag_deg must be between 2 and 45, got 90",
        ),
        (
            "[plank]\nmax_sagg_deg = 9\n",
            "thresholds.toml: [plank] has no setting 'max_sagg_deg' (did you mean 'max_sag_deg'?)",
        ),
        (
            "[plonk]\nmax_sag_deg = 9\n",
            "thresholds.toml: unknown section [plonk]; sections are [hip-hinge], [plank], [cat-cow]",
        ),
        (
            "max_sag_deg = 9\n",
            "thresholds.toml: 'max_sag_deg' is outside any section;"
            " put it under one of [hip-hinge], [plank], [cat-cow]",
        ),
        (
            "[hip-hinge]\nrep_rest_deg = 30\nrep_start_deg = 20\n",
            "thresholds.toml: [hip-hinge] rep_rest_deg must be below rep_start_deg",
        ),
        # A typo in another exercise's section is caught even when loading the plank.
        (
            "[cat-cow]\nmin_cycle = 2\n",
            "thresholds.toml: [cat-cow] has no setting 'min_cycle' (did you mean 'min_cycle_s'?)",
        ),
    ],
)
def test_bad_values_are_config_errors_naming_key_and_reason(tmp_path, text, message):
    with pytest.raises(ConfigError) as e:
        create_checker("plank", write(tmp_path, text))
    assert str(e.value) == message


def test_malformed_and_missing_files(tmp_path):
    with pytest.raises(ConfigError) as e:
        create_checker("plank", write(tmp_path, "[plank\nmax_sag_deg = 9\n"))
    assert str(e.value).startswith("thresholds.toml is not valid TOML: ")
    with pytest.raises(ConfigError) as e:
        create_checker("plank", tmp_path / "nope.toml")
    assert str(e.value) == f"Thresholds file not found: {tmp_path / 'nope.toml'}"
    binary = tmp_path / "t.toml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ConfigError, match=r"t\.toml is not a text file"):
        create_checker("plank", binary)
