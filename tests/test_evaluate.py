"""`backform evaluate`: the comparison maths on hand-made labels and reports, and one real run."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from feedback.evaluate import (
    TABLE_WIDTH,
    VIEW_OK,
    VIEW_TURN,
    SignalError,
    evaluate_clip,
    evaluate_folder,
    found_view,
    load_labels,
    misses_text,
    overlaps,
    parse_labels,
    results_table,
    score_faults,
    signal_errors,
    summary_line,
    totals,
)
from tests.cli_helpers import SAMPLES, backform
from vision.errors import ConfigError, NoPersonError, VideoError, ViewError


def fault(code: str, start: float, end: float) -> dict:
    return {"code": code, "start_s": start, "end_s": end}


def labels(exercise="hip-hinge", reps=2, faults=(), view_ok=True, truth=None, clip="c.mp4") -> dict:
    return {
        "clip": clip,
        "exercise": exercise,
        "expected": {
            "view_ok": view_ok,
            "view_problem": None if view_ok else "not_side_on",
            "rep_count": reps,
            "partial_reps": 0,
            "hold_s": 0.0,
            "faults": list(faults),
        },
        "truth": truth or {"t_s": []},
    }


def report(reps=2, faults=(), view_ok=True, problems=None, series=None) -> dict:
    return {
        "rep_count": reps,
        "partial_rep_count": 0,
        "hold_s": 0.0,
        "faults": list(faults),
        "view": {"side": "left", "ok": view_ok, "ok_fraction": 1.0, "problems_s": problems or {}},
        "series": series or {"t_s": []},
    }


# -- faults ---------------------------------------------------------------------------------------
def test_overlap_needs_shared_time():
    assert overlaps(1.0, 2.0, 1.9, 3.0)
    assert overlaps(1.0, 3.0, 1.5, 2.0)
    assert not overlaps(1.0, 2.0, 2.0, 3.0)  # touching ends share no time
    assert not overlaps(1.0, 2.0, 2.5, 3.0)


def test_fault_precision_and_recall():
    labelled = [
        fault("rounded_back", 4.3, 5.7),
        fault("rounded_back", 7.2, 8.6),
        fault("head_drop", 1.0, 2.0),
    ]
    reported = [
        fault("rounded_back", 5.0, 6.0),  # finds the first
        fault("rounded_back", 5.5, 5.9),  # a second hit on the same label: still a true report
        fault("squatting", 7.3, 8.0),  # overlaps in time but another code: false positive
        fault("head_drop", 3.0, 3.5),  # right code, wrong time: false positive
    ]
    s = score_faults(labelled, reported)
    assert (s.labelled, s.labelled_found, s.reported, s.reported_true) == (3, 1, 4, 2)
    assert s.recall == pytest.approx(1 / 3)
    assert s.precision == pytest.approx(2 / 4)
    assert s.missed == ("rounded_back 7.20-8.60", "head_drop 1.00-2.00")
    assert s.false_positives == ("squatting 7.30-8.00", "head_drop 3.00-3.50")


def test_no_faults_either_side_has_undefined_precision_and_recall():
    s = score_faults([], [])
    assert s.precision is None and s.recall is None
    only_reported = score_faults([], [fault("hip_sag", 0, 1)])
    assert only_reported.precision == 0.0 and only_reported.recall is None


# -- signal errors ----------------------------------------------------------------------------------
def test_offset_and_error_after_offset_are_separate():
    truth = [10.0, 20.0, 30.0, 40.0]
    measured = [13.0, 22.0, 34.0, 43.0]  # +3 offset with ±1 wobble
    err = SignalError.of(np.subtract(measured, truth))
    assert err.frames == 4
    assert err.mae == pytest.approx(3.0)
    assert err.offset == pytest.approx(3.0)
    assert err.mae_after_offset == pytest.approx(0.5)


def test_errors_of_opposite_sign_show_in_mae_not_offset():
    err = SignalError.of(np.array([2.0, -2.0, 2.0, -2.0]))
    assert err.offset == pytest.approx(0.0)
    assert err.mae == pytest.approx(2.0)
    assert err.mae_after_offset == pytest.approx(2.0)


def test_signal_alignment_by_timestamp_skips_unmeasured_and_unmatched_frames():
    truth_t = [0.0, 0.033, 0.067, 0.1, 0.133]
    truth = [1.0, 2.0, 3.0, None, 5.0]
    # Measurements with slightly jittered stamps, one missing, one far outside the clip.
    t = [0.001, 0.034, 0.066, 0.099, 0.134, 0.5]
    measured = [2.0, None, 5.0, 7.0, 6.0, 100.0]
    err = signal_errors(truth_t, truth, t, measured)
    # Pairs compared: (2-1), (5-3), (6-5); 0.099 meets a truth gap; 0.5 matches no frame.
    assert err.frames == 3
    assert err.offset == pytest.approx(4 / 3)
    assert err.mae == pytest.approx(4 / 3)
    assert err.mae_after_offset == pytest.approx((1 / 3 + 2 / 3 + 1 / 3) / 3)


def test_nothing_comparable_gives_no_error():
    assert signal_errors([0.0, 0.033], [None, None], [0.0, 0.033], [1.0, 2.0]) is None
    assert signal_errors([], [], [0.0], [1.0]) is None


# -- whole clips ---------------------------------------------------------------------------------------
def test_clip_result_compares_reps_faults_view_and_only_the_exercise_signals():
    t = [0.0, 0.033, 0.067]
    truth = {
        "t_s": t,
        "trunk_inclination_deg": [10.0, 20.0, 30.0],
        "body_line_deg": [0.0, 0.0, 0.0],  # a plank quantity: not compared for a hinge
    }
    series = {"t_s": t, "trunk_inclination_deg": [12.0, 22.0, 32.0], "body_line_deg": [9.0, 9.0, 9.0]}
    lab = labels(reps=3, faults=[fault("rounded_back", 1.0, 2.0)], truth=truth)
    rep = report(reps=2, faults=[fault("rounded_back", 1.5, 2.5)], series=series)
    r = evaluate_clip(lab, rep)
    assert (r.expected_reps, r.found_reps, r.reps_exact) == (3, 2, False)
    assert r.wrong == ("reps",) and not r.right
    assert r.faults.precision == 1.0 and r.faults.recall == 1.0
    assert r.view_correct and r.found_view == VIEW_OK
    assert set(r.signals) == {"trunk_inclination_deg"}
    assert r.signals["trunk_inclination_deg"].offset == pytest.approx(2.0)
    assert r.signals["trunk_inclination_deg"].mae_after_offset == pytest.approx(0.0)


def test_front_view_counts_as_correct_when_refused_or_not_ok():
    lab = labels(reps=0, view_ok=False)
    refused = evaluate_clip(lab, None, ViewError("x cannot be judged"))
    assert refused.expected_view == VIEW_TURN and refused.found_view == VIEW_TURN
    # The refusal is the whole answer: reps are not scored on a clip that must be refused.
    assert refused.view_correct and not refused.reps_scored and refused.right
    not_ok = evaluate_clip(lab, report(reps=0, view_ok=False, problems={"not_side_on": 4.0}))
    assert not_ok.view_correct
    judged = evaluate_clip(lab, report(reps=0, view_ok=True))
    assert not judged.view_correct
    # Another failure is not the verdict asked for.
    other = evaluate_clip(lab, None, NoPersonError("nobody"))
    assert other.found_view == "error: NoPersonError" and not other.view_correct
    assert other.failed and other.wrong == ("analysis",)


def test_a_side_on_clip_refused_is_wrong():
    r = evaluate_clip(labels(reps=2), None, ViewError("never side-on"))
    assert not r.view_correct and not r.reps_exact and r.error == "never side-on"
    assert found_view(report(view_ok=False, problems={"body_not_visible": 2.0}), None) == (
        "not ok (body_not_visible)"
    )


def test_totals_pool_counts_and_frames():
    a = evaluate_clip(
        labels(reps=2, faults=[fault("squatting", 1, 2)]), report(2, [fault("squatting", 1, 2)])
    )
    b = evaluate_clip(
        labels(reps=1, faults=[fault("squatting", 1, 2)]), report(2, [fault("head_drop", 1, 2)])
    )
    t = totals([a, b])
    assert (t.clips, t.right, t.reps_exact, t.view_correct, t.failed) == (2, 1, 1, 2, 0)
    assert t.faults.precision == 0.5 and t.faults.recall == 0.5
    line = summary_line(t)
    assert line.startswith(
        "clips right: 1/2, reps exact: 1/2, holds in range: 0/0, faults present found: 1/2"
    )
    assert "false positives: 1 (precision 0.50, recall 0.50)" in line and line.endswith(
        "failed to analyse: 0"
    )


def test_pooled_signal_errors_weight_clips_by_frames():
    from feedback.evaluate import ClipResult, FaultScore

    def clip(err: SignalError) -> ClipResult:
        return ClipResult(
            "c",
            "plank",
            0,
            0,
            0,
            0,
            None,
            0.0,
            FaultScore(0, 0, 0, 0),
            VIEW_OK,
            VIEW_OK,
            {"head_line_deg": err},
        )

    t = totals([clip(SignalError(10, 4.0, 4.0, 1.0)), clip(SignalError(30, 2.0, -2.0, 0.5))])
    pooled = t.signals["head_line_deg"]
    assert pooled.frames == 40
    assert pooled.mae == pytest.approx((40 + 60) / 40)
    assert pooled.offset == pytest.approx((40 - 60) / 40)
    assert pooled.mae_after_offset == pytest.approx((10 + 15) / 40)


def test_folder_evaluation_keeps_going_after_a_refused_clip(tmp_path):
    (tmp_path / "a.labels.json").write_text(json.dumps(labels(reps=1, clip="a.mp4")))
    (tmp_path / "b.labels.json").write_text(json.dumps(labels(reps=0, view_ok=False, clip="b.mp4")))

    def analyze(video, exercise):
        if video.name == "b.mp4":
            raise ViewError("b.mp4 cannot be judged")
        return report(reps=1)

    results = evaluate_folder(tmp_path, analyze)
    assert [r.clip for r in results] == ["a.mp4", "b.mp4"]
    assert all(r.view_correct and r.right for r in results)
    assert results[0].reps_exact and not results[1].reps_scored


def test_folder_without_labels_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"No \*\.labels\.json"):
        evaluate_folder(tmp_path, lambda v, e: report())
    (tmp_path / "bad.labels.json").write_text("{not json")
    with pytest.raises(ConfigError, match=r"bad\.labels\.json is not a valid labels file"):
        evaluate_folder(tmp_path, lambda v, e: report())


# -- the real-clip (partial) schema through the same scorer ---------------------------------------
def real(exercise="plank", reps=None, hold=None, present=(), absent=(), view_ok=True) -> dict:
    entry = {
        "exercise": exercise,
        "reps": reps,
        "faults_present": list(present),
        "faults_absent": list(absent),
        "view_ok": view_ok,
        "notes": "by eye",
    }
    if hold is not None:
        entry["hold_s"] = list(hold)
    return entry


def test_real_labels_score_present_faults_anywhere_and_absent_faults_never():
    lab = parse_labels(real(present=["hip_pike"], absent=["hip_sag"]), "p.mp4")
    found = evaluate_clip(lab, report(reps=0, faults=[fault("hip_pike", 7.0, 9.0)]))
    assert found.faults_right and found.faults.recall == 1.0 and found.right
    # An unlabelled code (neither present nor absent) is left alone; an absent one is a false positive.
    other = evaluate_clip(lab, report(reps=0, faults=[fault("hip_pike", 1, 2), fault("head_drop", 1, 2)]))
    assert other.right and other.faults.reported == 1
    sag = evaluate_clip(lab, report(reps=0, faults=[fault("hip_pike", 1, 2), fault("hip_sag", 3, 4)]))
    assert sag.wrong == ("faults",) and sag.faults.absent_reported == ("hip_sag",)
    assert sag.faults.false_positives == ("hip_sag 3.00-4.00",)
    missed = evaluate_clip(lab, report(reps=0))
    assert missed.wrong == ("faults",) and missed.faults.missed == ("hip_pike",)


def test_real_labels_score_reps_only_when_given_and_the_hold_range():
    hinge = parse_labels(real("hip-hinge", reps=3), "h.mp4")
    assert evaluate_clip(hinge, report(reps=3)).right
    assert evaluate_clip(hinge, report(reps=2)).wrong == ("reps",)
    unscored = evaluate_clip(parse_labels(real("hip-hinge", reps=None), "h.mp4"), report(reps=7))
    assert not unscored.reps_scored and unscored.right
    plank = parse_labels(real(hold=[5.0, 6.5]), "p.mp4")
    held = {**report(reps=0), "hold_s": 6.5}
    assert evaluate_clip(plank, held).hold_in_range
    short = evaluate_clip(plank, {**report(reps=0), "hold_s": 4.9})
    assert short.wrong == ("hold",)
    assert misses_text([short]) == ["p.mp4: hold 4.9 s, accepted 5-6.5 s"]


def test_sample_hold_is_scored_within_a_second_on_planks():
    lab = labels(exercise="plank", reps=0)
    lab["expected"]["hold_s"] = 5.0
    assert parse_labels(lab).hold_range_s == (4.0, 6.0)
    assert evaluate_clip(lab, {**report(reps=0), "hold_s": 5.6}).right
    assert evaluate_clip(lab, {**report(reps=0), "hold_s": 3.9}).wrong == ("hold",)
    assert parse_labels(labels(exercise="hip-hinge")).hold_range_s is None  # hinge: 0 s, not scored


def test_a_view_to_refuse_is_right_when_refused_whatever_the_reps():
    lab = parse_labels(real("hip-hinge", reps=1, view_ok=False), "rear.mp4")
    assert evaluate_clip(lab, None, ViewError("seen from behind")).right
    judged = evaluate_clip(lab, report(reps=1))
    assert judged.wrong == ("view",)
    assert misses_text([judged]) == ["rear.mp4: view should be refused, found ok"]


@pytest.mark.parametrize(
    "error",
    [
        VideoError("Video file not found: gone.mp4"),
        VideoError("gone.mp4 cannot be read (permission denied)."),
        ConfigError("Unknown exercise 'squat'. Choose one of: hip-hinge, plank, cat-cow"),
    ],
    ids=["missing", "unreadable", "unknown-exercise"],
)
def test_a_clip_that_failed_to_analyse_is_a_failed_row_never_reps_exact(error):
    # Expected 0 reps, found none: before, this counted as "reps exact".
    r = evaluate_clip(labels(reps=0), None, error)
    assert r.failed and not r.reps_exact and not r.view_correct and not r.right
    assert r.wrong == ("analysis",)
    t = totals([r, evaluate_clip(labels(reps=2), report(reps=2))])
    assert (t.right, t.failed, t.reps_exact, t.reps_scored) == (1, 1, 1, 2)
    assert summary_line(t).endswith("failed to analyse: 1")
    assert misses_text([r]) == [f"c.mp4: analysis failed: {error}"]
    partial = evaluate_clip(parse_labels(real(absent=["hip_sag"]), "p.mp4"), None, error)
    assert totals([partial]).absent_not_reported == 0  # nothing was shown absent


def test_real_labels_file_of_a_folder_is_checked_before_any_analysis(tmp_path):
    (tmp_path / "a.mp4").write_bytes(b"")
    good = {"_about": "notes", "a.mp4": real(reps=None, hold=[1, 2]), "b.mp4": real("hip-hinge", reps=2)}
    (tmp_path / "labels.json").write_text(json.dumps(good))
    clips = load_labels(tmp_path, tmp_path / "labels.json")
    assert [(v.name, lab.exercise, lab.reps) for v, lab in clips] == [
        ("a.mp4", "plank", None),
        ("b.mp4", "hip-hinge", 2),
    ]

    analysed = []

    def analyze(video, exercise):
        analysed.append(video.name)
        if not video.exists():
            raise VideoError(f"Video file not found: {video}")
        return {**report(reps=0), "hold_s": 1.5}

    results = evaluate_folder(tmp_path, analyze, labels_file=tmp_path / "labels.json")
    assert analysed == ["a.mp4", "b.mp4"]
    assert results[0].right and results[1].failed

    bad = {**good, "c.mp4": {"exercise": "plank", "faults_present": [], "view_ok": True}}
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    analysed.clear()
    with pytest.raises(ConfigError, match=r"^bad\.json: c\.mp4 lacks the key 'reps'"):
        evaluate_folder(tmp_path, analyze, labels_file=tmp_path / "bad.json")
    assert analysed == []


@pytest.mark.parametrize(
    ("drop", "message"),
    [
        ("rep_count", "lacks the key 'rep_count' in 'expected'"),
        ("view_ok", "lacks the key 'view_ok' in 'expected'"),
        ("faults", "lacks the key 'faults' in 'expected'"),
    ],
)
def test_sample_labels_lacking_a_key_fail_before_any_analysis(tmp_path, drop, message):
    (tmp_path / "a.labels.json").write_text(json.dumps(labels(clip="a.mp4")))
    broken = labels(clip="b.mp4")
    del broken["expected"][drop]
    (tmp_path / "b.labels.json").write_text(json.dumps(broken))
    analysed = []
    with pytest.raises(ConfigError) as err:
        evaluate_folder(tmp_path, lambda v, e: analysed.append(v) or report())
    assert str(err.value) == f"b.labels.json {message}"
    assert analysed == []


def test_table_fits_120_columns_without_folding():
    from rich.console import Console

    rows = [
        evaluate_clip(labels(reps=2, clip="plank_shoulders_not_stacked.mp4"), report(reps=1)),
        evaluate_clip(
            parse_labels(real(hold=[27.0, 32.5], view_ok=False), "kk_plank_correct_002.webm"),
            None,
            NoPersonError("nobody"),
        ),
        evaluate_clip(
            parse_labels(real(hold=[2.2, 3.77], absent=["hip_sag"]), "x.gif"),
            {**report(reps=0, faults=[fault("hip_sag", 1, 2)]), "hold_s": 1.0},
        ),
    ]
    console = Console(width=TABLE_WIDTH, record=True)
    console.print(results_table(rows))
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= TABLE_WIDTH
    names = ("plank_shoulders_not_stacked", "kk_plank_correct_002", "x.gif")
    body = [line for line in lines if any(name in line for name in names)]
    assert len(body) == 3  # one line per clip: nothing folded onto a second line
    assert "wrong: reps" in body[0] and "FAILED" in body[1] and "wrong: hold, faults" in body[2]


def test_evaluate_command_with_a_labels_key_missing_says_one_line(tmp_path):
    clips = tmp_path / "clips"
    clips.mkdir()
    broken = labels(clip="x.mp4")
    del broken["expected"]["rep_count"]
    (clips / "x.labels.json").write_text(json.dumps(broken))
    proc = backform("evaluate", clips, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == "backform: x.labels.json lacks the key 'rep_count' in 'expected'"
    assert "[1/" not in proc.stderr


# -- the real command on two short clips --------------------------------------------------------------
def test_evaluate_command_prints_the_table_and_totals(tmp_path, model_path):
    clips = tmp_path / "clips"
    clips.mkdir()
    for name in ("hinge_good", "plank_front"):
        for suffix in (".mp4", ".labels.json"):
            shutil.copy(SAMPLES / f"{name}{suffix}", clips / f"{name}{suffix}")
    result = backform("evaluate", clips, "--json", tmp_path / "eval.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "analysis vs labels" in out and "signals vs truth" in out
    assert "hinge_good" in out and "plank_front" in out
    assert "refuse→refused" in out  # the front view is refused, as labelled
    names = {"clip", "hinge_good", "plank_front"}
    rows = [line for line in out.splitlines() if line.split()[:1] and line.split()[0] in names]
    assert len(rows) == 5 and max(map(len, rows)) <= TABLE_WIDTH  # two tables: headers and rows
    last = out.strip().splitlines()[-1]
    assert last.startswith("clips right: ") and "/2, reps exact: " in last
    saved = json.loads((tmp_path / "eval.json").read_text())
    by_clip = {c["clip"]: c for c in saved["clips"]}
    assert by_clip["plank_front.mp4"]["view_correct"] is True
    hinge = by_clip["hinge_good.mp4"]
    assert hinge["expected_reps"] == 3 and hinge["view_correct"] is True
    # The hinge's trunk angle was compared with the truth over most of the clip's 297 frames.
    assert hinge["signals"]["trunk_inclination_deg"]["frames"] > 200
    assert saved["summary"] == last


def _many_rows() -> list:
    """A stress-set-like evaluation: long clip names, every exercise, misses of every kind."""
    rows = []
    kinds = ("hinge_rounded_back", "plank_shoulders_not_stacked", "catcow_moving_from_arms")
    for i in range(12):
        kind = kinds[i % 3]
        name = f"stress_{i:03d}_{kind}.mp4"
        if kind.startswith("plank"):
            entry = real(hold=[1.867, 3.867], present=["shoulders_not_stacked"], view_ok=i != 4)
            found = {**report(reps=0, faults=[fault("hip_sag", 1, 2)]), "hold_s": 1.0 + i}
            rows.append(evaluate_clip(parse_labels(entry, name), found))
        else:
            exercise = "hip-hinge" if kind.startswith("hinge") else "cat-cow"
            code = kind.split("_", 1)[1]
            expected = labels(exercise, reps=3, faults=[fault(code, 1, 2)], clip=name)
            rows.append(evaluate_clip(expected, report(reps=3 + i % 2, faults=[fault("head_drop", 5, 6)])))
    return rows


@pytest.mark.parametrize("width", [TABLE_WIDTH, 100, 80])
def test_results_table_fits_the_width_without_cutting_names(width):
    """Within `width` columns every clip name is whole and every verdict readable: a narrow
    terminal loses the exercise column (the names say it) before anything is cut short."""
    from rich.console import Console

    rows = _many_rows()
    console = Console(width=width, record=True)
    console.print(results_table(rows, width=width))
    text = console.export_text()
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    assert "…" not in text
    header = next(line for line in lines if line.lstrip().startswith("clip"))
    assert ("exercise" in header) == (width >= 110)
    # The clip column read top to bottom, and the verdict column: folded, but whole.
    second, verdict = header.index("exercise" if width >= 110 else "reps"), header.index("verdict")
    clips = "".join(line[:second].strip() for line in lines)
    verdicts = "".join(line[verdict:].strip() for line in lines).replace(" ", "")
    for r in rows:
        assert r.clip.removesuffix(".mp4") in clips
        assert r.right or f"wrong:{','.join(r.wrong)}" in verdicts
    if width == TABLE_WIDTH:  # wide enough: one line per clip
        body = [line for line in lines if line.lstrip().startswith("stress_")]
        assert len(body) == len(rows)
