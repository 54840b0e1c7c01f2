"""The randomized stress set: the generator's stress mode (deterministic per seed, balanced,
valid labels from the rig's truth) and the committed set in samples/stress/.

Rendering (pyrender/OSMesa) is not exercised here; labels are measured on the posed rig.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest

from samples.synth.labels import off_side_on_deg, seen_from
from samples.synth.motions import Timeline, Window, trimmed
from samples.synth.scenario import Look
from samples.synth.sensor import degrade
from samples.synth.stress import GOOD, KIND_CYCLE, VIEW, plan, stress_scenario, stress_scenarios
from tests.test_generator import FAULTS, TRUTH_KEYS

STRESS = Path(__file__).resolve().parent.parent / "samples" / "stress"


# ---------------------------------------------------------------- the generator
def test_every_fault_of_every_exercise_is_in_the_cycle_and_balanced_with_good_form() -> None:
    for exercise, cycle in KIND_CYCLE.items():
        faults = [k for k in cycle if k not in (GOOD, VIEW)]
        assert set(faults) == FAULTS[exercise], exercise
        assert 0.6 <= cycle.count(GOOD) / len(faults) <= 1.5  # roughly as many good clips as faulty
        assert cycle.count(VIEW) >= 1
    kinds = Counter((p.exercise, p.kind) for p in plan(66))
    assert sum(n for (_, k), n in kinds.items()) == 66
    assert {e for e, _ in kinds} == set(FAULTS)
    for exercise, codes in FAULTS.items():
        assert all(kinds[(exercise, c)] >= 2 for c in codes), (exercise, kinds)


def test_stress_scenarios_are_deterministic_per_seed_and_independent_of_n() -> None:
    a = stress_scenarios(6, seed=7)
    assert a == stress_scenarios(6, seed=7)
    assert stress_scenarios(3, seed=7) == a[:3]  # clip i depends on (seed, i) only
    b = stress_scenarios(6, seed=8)
    assert [s.name for s in a] == [s.name for s in b]  # same plan ...
    assert all(x != y for x, y in zip(a, b, strict=True))  # ... other draws
    json.dumps(a[0].to_dict())


def test_stress_draws_cover_what_is_randomized() -> None:
    scenarios = stress_scenarios(66, seed=12)
    views = Counter(seen_from(s.camera.yaw_deg) for s in scenarios)
    assert views["side"] >= 50 and views["front"] >= 2 and views["behind"] >= 2
    sides = Counter(s.camera.yaw_deg > 90 or s.camera.yaw_deg < -90 for s in scenarios if VIEW not in s.name)
    assert sides[True] >= 10 and sides[False] >= 10  # filmed from the left and from the right
    for s in scenarios:
        off = off_side_on_deg(s.camera.yaw_deg)
        assert (off > 60) == s.name.endswith("_view"), s.name
        assert 320 <= s.look.width <= 480 and s.look.height == s.look.width * 3 // 4
    assert {s.subject.name for s in scenarios} >= {"m1", "f1", "m2"}
    assert {s.subject.clothing.sleeves for s in scenarios} == {"none", "short", "long"}
    for kind in ("dowel", "dumbbells", "barbell"):  # each prop meets good form and a fault
        holders = {s.name.split("_", 3)[-1] for s in scenarios if any(p.kind == kind for p in s.look.props)}
        assert GOOD in holders and holders - {GOOD, VIEW}, (kind, holders)
    assert any(s.start_s > 0 for s in scenarios)  # some start mid-movement
    assert any(getattr(s.motion, "setup_s", 1.0) == 0.0 and s.start_s == 0 for s in scenarios)
    assert min(s.look.light for s in scenarios) < 0.5 < max(s.look.light for s in scenarios)
    assert any(s.look.noise for s in scenarios) and any(s.look.blur_px for s in scenarios)
    assert any(s.look.jpeg_quality for s in scenarios) and any(s.look.clutter for s in scenarios)


def test_props_sit_on_the_body_and_clear_the_floor() -> None:
    from samples.synth.body import build_body
    from samples.synth.postures import HingePosture, build_skeleton, pose_hinge
    from samples.synth.props import DOWEL_RADIUS, dowel_pose, palm_centres, plate_radius_for

    body = build_body({"macrodetails/caucasian-female-young": 1.0})
    sk = build_skeleton(body)
    for spine in (4.0, 45.0):  # flat and rounded back
        posed = pose_hinge(sk, HingePosture(trunk_deg=70.0, spine_flexion_deg=spine, knee_flexion_deg=18.0))
        pose, length = dowel_pose(body, posed)
        axis, start = pose[:3, 2], pose[:3, 3]
        back = posed.vertices[body.surface.back_midline]
        chord = back[-1] - back[0]
        assert np.dot(axis, chord / np.linalg.norm(chord)) == pytest.approx(1.0)
        # every back point lies in front of the dowel (no point pokes through it) ...
        rel = back - start
        off_axis = rel - np.outer(rel @ axis, axis)
        dorsal = -off_axis.mean(0) / np.linalg.norm(off_axis.mean(0))
        assert ((start - back) @ dorsal).min() >= DOWEL_RADIUS
        # ... and it touches the back: the closest point is within 2 cm of the dowel's surface
        assert np.linalg.norm(off_axis, axis=1).min() <= DOWEL_RADIUS + 0.02
        assert length > np.linalg.norm(chord) + 0.3  # reaches past the head
        left, right = palm_centres(sk, posed)
        assert left[0] > 0 > right[0] and 0.0 < left[2] < 0.7
    assert plate_radius_for(0.5) == 0.225 and plate_radius_for(0.15) == pytest.approx(0.13)
    assert plate_radius_for(0.02) == 0.10


def test_generate_stress_command_lists_and_refuses_bad_arguments(capsys) -> None:
    from samples.generate import main

    assert main(["--stress", "4", "--seed", "12", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [s.name for s in stress_scenarios(4, 12)]
    assert main(["--stress", "4", "--seed", "12", "--only", "1", "3", "--list"]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()] == [
        lines[1].split()[0],
        lines[3].split()[0],
    ]
    for bad in (
        ["--stress", "3"],
        ["--seed", "3"],
        ["--stress", "3", "--seed", "1", "hinge_good"],
        ["--stress", "3", "--seed", "1", "--only", "3"],
        ["--stress", "3", "--seed", "1", "--fps", "0"],
    ):
        with pytest.raises(SystemExit) as exit_info:
            main(bad)
        assert exit_info.value.code == 2
        assert "error:" in capsys.readouterr().err


def test_off_side_on_and_seen_from() -> None:
    assert off_side_on_deg(0) == 0 and off_side_on_deg(180) == 0 and off_side_on_deg(-180) == 0
    assert off_side_on_deg(150) == pytest.approx(30) and off_side_on_deg(-20) == pytest.approx(20)
    assert off_side_on_deg(90) == 90 and off_side_on_deg(-95) == pytest.approx(85)
    assert [seen_from(y) for y in (10, 170, 80, 100, -80, -110)] == [
        "side",
        "side",
        "front",
        "front",
        "behind",
        "behind",
    ]


def test_trimmed_timeline_drops_the_rep_under_way_and_retimes() -> None:
    fps = 10.0
    t = np.arange(60) / fps
    timeline = Timeline(t, tuple(range(60)), (Window(0.0, 2.5, 0), Window(3.0, 5.5, 1)), hold_from_s=None)
    cut = trimmed(timeline, 1.2, fps)
    assert len(cut.times) == 48 and cut.times[0] == 0.0 and cut.postures[0] == 12
    assert cut.windows == (Window(pytest.approx(1.8), pytest.approx(4.3), 1),)
    assert trimmed(timeline, 0.0, fps) is timeline
    with pytest.raises(ValueError):
        trimmed(timeline, 6.0, fps)


def test_degrade_is_seeded_and_changes_the_frame() -> None:
    frame = np.full((48, 64, 3), 128, np.uint8)
    frame[10:30, 20:40] = (200, 40, 40)
    look = Look(noise=4.0, blur_px=1.0, jpeg_quality=40)
    a = degrade(frame, look, np.random.default_rng(3))
    b = degrade(frame, look, np.random.default_rng(3))
    assert a.shape == frame.shape and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert not np.array_equal(a, frame)
    assert np.array_equal(degrade(frame, Look(), np.random.default_rng(0)), frame)


def _check_labels(doc: dict, clip: str) -> None:
    """The sample labels schema (what `backform evaluate` reads) and internal consistency."""
    n, fps = doc["frames"], doc["fps"]
    assert doc["clip"] == f"{clip}.mp4"
    assert 320 <= doc["width"] <= 480 and doc["height"] == doc["width"] * 3 // 4
    assert doc["duration_s"] == pytest.approx(n / fps, abs=1e-3)
    assert set(doc["truth"]) == TRUTH_KEYS and all(len(v) == n for v in doc["truth"].values())
    assert doc["truth"]["t_s"][0] == 0.0
    expected = doc["expected"]
    assert set(expected) >= {"view_ok", "view_problem", "near_side", "rep_count", "partial_reps", "hold_s"}
    assert expected["view_ok"] == (expected["view_problem"] is None)
    assert expected["rep_count"] == sum(not r["partial"] for r in doc["reps"])
    assert expected["partial_reps"] == sum(r["partial"] for r in doc["reps"])
    assert 0.0 <= expected["hold_s"] <= doc["duration_s"]
    codes = {f["code"] for f in expected["faults"]}
    assert codes <= FAULTS[doc["exercise"]]
    for fault in expected["faults"]:
        assert 0.0 <= fault["start_s"] <= fault["end_s"] <= doc["duration_s"]
    for rep in doc["reps"]:
        assert 0.0 <= rep["start_s"] < rep["end_s"] <= doc["duration_s"] + 1.0 / fps  # ends within a frame
    kind = clip.split("_", 3)[-1]
    if kind == VIEW:
        assert not expected["view_ok"] and not expected["faults"] and expected["rep_count"] == 0
    elif kind == GOOD:
        assert expected["view_ok"] and not expected["faults"], clip
    else:  # a fault clip shows its fault (moving from the arms may also come with a small range)
        assert kind in codes, clip
        assert codes <= {kind, "small_range"} if kind == "moving_from_arms" else codes == {kind}, clip
    if doc["exercise"] != "plank" and expected["view_ok"]:
        assert 1 <= expected["rep_count"] <= 10


@pytest.mark.parametrize("index", [6, 53])  # a hinge starting mid-rep, a cat-cow starting mid-cycle
def test_stress_clip_labels_come_from_the_truth(index: int) -> None:
    from samples.synth.clip import measure_clip

    p = plan(index + 1)[index]
    scenario = stress_scenario(12, p)
    assert scenario.start_s > 0  # the draws of seed 12 these indices were picked for
    tiny = replace(scenario, fps=6.0)  # few frames: the labelling, not the detail, is tested
    doc = measure_clip(tiny)
    _check_labels(doc, scenario.name)
    assert doc["scenario"]["start_s"] == scenario.start_s
    # the rep / cycle under way at the first frame is not labelled
    motion = doc["scenario"]["motion"]
    shown = len(motion.get("reps") or motion.get("cycles"))
    assert len(doc["reps"]) == shown - 1 or not doc["expected"]["view_ok"]


# ---------------------------------------------------------------- the committed set
def _committed() -> list[Path]:
    return sorted(STRESS.glob("*.labels.json"))


def _recorded_seed() -> tuple[int, int]:
    text = (STRESS / "README.md").read_text()
    m = re.search(r"python -m samples\.generate --stress (\d+) --seed (\d+)", text)
    assert m, "samples/stress/README.md must give the command that regenerates the set"
    return int(m.group(1)), int(m.group(2))


def test_committed_stress_set_is_the_recorded_seed_and_small() -> None:
    n, seed = _recorded_seed()
    paths = _committed()
    assert len(paths) == n >= 60
    assert Counter(json.loads(p.read_text())["exercise"] for p in paths) == Counter(
        p.exercise for p in plan(n)
    )
    total = sum(p.stat().st_size for p in STRESS.iterdir() if p.is_file())
    assert total < 15 * 2**20
    for path, scenario in zip(paths, stress_scenarios(n, seed), strict=True):
        doc = json.loads(path.read_text())
        assert path.name == f"{scenario.name}.labels.json"
        # the committed clip is exactly what the recorded command draws
        assert doc["scenario"] == json.loads(json.dumps(scenario.to_dict()))


@pytest.mark.parametrize("path", _committed(), ids=lambda p: p.name.removesuffix(".labels.json"))
def test_committed_stress_labels_follow_the_schema(path: Path) -> None:
    doc = json.loads(path.read_text())
    _check_labels(doc, path.name.removesuffix(".labels.json"))
    with av.open(str(STRESS / doc["clip"])) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (doc["width"], doc["height"])
        assert stream.frames in (0, doc["frames"])


# ---------------------------------------------------------------- the committed set, judged
# Issue 12's targets are reps exact on 95% of the clips with reps, fault precision and recall
# 0.9, views 95%, no fault on good form; `backform evaluate samples/stress/` prints where the
# checkers stand (docs/EVALUATION.md). This gate holds what they reach today, with a margin for
# MediaPipe's run-to-run jitter, so a change that loses accuracy on unseen renders fails here.
# Measured (Dec 2 2026, after the knee-clearance plank gate, the rep-end and yaw-corrected depth
# fixes and the plank head-noise gate): reps exact 33/36 side-on hinge and cat-cow clips
# (51/54 with reps), precision 0.88 (38/43), recall 0.86 (38/44), views 65/66, 2 of 24
# good-form clips with a false positive. Then the back is no longer judged from behind at an
# angle: precision 0.97 (36/37), recall 0.82 (36/44), 1 of 24 good-form clips with a fault.
# The same after the fourth session's outline-noise and head_drop gates; the gates were raised
# to that with a margin of two clips (reps 31/36, precision 36/40, two good-form clips). Then
# the zoomed second look finds the small cat-cow of stress_011 (no person found before): its
# reps and view are right, and it brings a small_range false positive (precision 36/38, 2 of
# 24 good-form clips with a fault; the allowance keeps a margin of one).
# The hinge's head_drop read from the face turned to the chest as well as from the head line
# finds the head drops of stress_024 and stress_057 (recall 41/44, precision 0.98); the
# gates stay where they were. The plank keeping the knees up while the body is held straight
# and raised (a noisy floor line is no knee on the floor) brings stress_061's hold into its
# range (6.1 -> 7.9 s for 7.1-9.1; holds in range 18/18 on the cached poses).
# The hinge judging the head over a back outline it does not trust (twenty-third session:
# head drops found 134 -> 141 of 184 over 231 cached hinge clips of every set) cues the heads
# of stress_003's and stress_036's rounded backs, which it reports as not judged: precision
# 40/44 = 0.91 here, recall 40/44. The precision gate keeps a margin of two false claims (40/46).
REPS_EXACT_MIN = 0.85  # of the clips with reps (side-on hinge and cat-cow)
FAULT_PRECISION_MIN = 0.86
FAULT_RECALL_MIN = 0.75
VIEW_CORRECT_MIN = 0.95
GOOD_FORM_WITH_FAULTS_MAX = 3


@pytest.fixture(scope="module")
def stress_results(model_path, tmp_path_factory) -> list:
    """Every committed stress clip through the real pipeline, scored against its labels."""
    from feedback.evaluate import analyze_for_evaluation, evaluate_folder

    analyze = analyze_for_evaluation(model=model_path, workdir=tmp_path_factory.mktemp("stress"))
    return evaluate_folder(STRESS, analyze)


def test_committed_stress_set_holds_its_measured_accuracy(stress_results) -> None:
    from feedback.evaluate import VIEW_OK, totals

    results = stress_results
    assert len(results) == len(_committed())
    with_reps = [r for r in results if r.expected_view == VIEW_OK and r.exercise != "plank"]
    good = [r for r in results if r.expected_view == VIEW_OK and r.faults.labelled == 0]
    t = totals(results)
    failures = {
        "reps": [f"{r.clip} {r.expected_reps}->{r.found_reps}" for r in with_reps if not r.reps_exact],
        "view": [f"{r.clip} {r.expected_view}->{r.found_view}" for r in results if not r.view_correct],
        "faults on good form": [f"{r.clip} {r.faults.false_positives}" for r in good if r.faults.reported],
        "missed": [f"{r.clip} {r.faults.missed}" for r in results if r.faults.missed],
        "false positives": [
            f"{r.clip} {r.faults.false_positives}" for r in results if r.faults.false_positives
        ],
    }
    figures = (
        f"reps exact {sum(r.reps_exact for r in with_reps)}/{len(with_reps)}, "
        f"precision {t.faults.precision}, recall {t.faults.recall}, view {t.view_correct}/{t.clips}"
    )
    report = figures + "\n" + "\n".join(f"{k}: {v}" for k, v in failures.items() if v)
    assert with_reps and good and t.faults.labelled
    assert sum(r.reps_exact for r in with_reps) >= REPS_EXACT_MIN * len(with_reps), report
    assert (t.faults.precision or 0.0) >= FAULT_PRECISION_MIN, report
    assert (t.faults.recall or 0.0) >= FAULT_RECALL_MIN, report
    assert t.view_correct >= VIEW_CORRECT_MIN * t.clips, report
    assert len(failures["faults on good form"]) <= GOOD_FORM_WITH_FAULTS_MAX, report
