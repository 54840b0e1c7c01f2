"""The exercise recogniser on synthetic pose tracks (tests/synthetic.py): each exercise, its
look-alikes, segmentation of a routine and the live recogniser's switching delay."""

from __future__ import annotations

import numpy as np

from exercises.recognise import OTHER, Recogniser, frame_features, recognise
from tests.synthetic import (
    FPS,
    STANDING,
    Camera,
    Render,
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
    return recognise(feats, t), t


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


def test_a_bird_dog_reach_read_as_a_plank_posture_is_no_cat_cow():
    from exercises.recognise import FEATURES, Posture, classify, posture_of

    fours = frame_features(track(hold(quadruped(), 0.1))[0][0])
    straight = frame_features(track(hold(plank(), 0.1))[0][0])
    assert posture_of(fours) is Posture.ALL_FOURS and posture_of(straight) is Posture.PLANK
    reach = straight.copy()
    reach[FEATURES.index("wrist_h")] = 0.9  # a hand held forward off the floor
    for other_rows, label in ((straight, "cat-cow"), (reach, OTHER)):
        window = np.array([fours] * 25 + [other_rows] * 8)
        # Hands and knees for most of the window either way; the reach is a bird-dog's.
        assert classify(window).label == label


def _shots(*shots):
    """Clips joined end to end (a cut between each): (postures, camera) pairs -> features, t."""
    frames, t0 = [], 0.0
    for postures, camera in shots:
        part = track(postures, Render(camera=camera), t0_ms=t0)
        frames += part
        t0 = part[-1][1] + 1000.0 / FPS
    return np.array([frame_features(p) for p, _, _ in frames]), np.array([t for _, t, _ in frames])


def test_cuts_are_found_where_the_person_jumps_in_the_image_not_in_fast_movement():
    from exercises.recognise import cut_frames

    feats, _ = _shots(
        (hinge_reps(2), Camera()),
        (hold(STANDING, 2.0), Camera(px_per_m=150.0, centre_x=360.0)),
        (cycle(STANDING, squat(1.25), 0.4, 0.4) * 3, Camera(px_per_m=170.0)),
    )
    first = len(track(hinge_reps(2)))
    assert list(cut_frames(feats)) == [first, first + round(2.0 * FPS)]


def test_a_plank_ends_at_a_cut_to_another_clip_that_starts_in_the_same_posture():
    # A plank held 6 s, then a cut to another recording that starts in the plank position for
    # 0.8 s before kneeling up: the posture never says where the first plank ended, the cut does.
    def shots(second: Camera):
        return _shots(
            (hold(plank(), 6.0), Camera()),
            (
                hold(plank(), 0.8) + move(plank(), kneeling_upright(), 0.6) + hold(kneeling_upright(), 4.0),
                second,
            ),
        )

    feats, t = shots(Camera(px_per_m=160.0, centre_x=280.0))
    segs = recognise(feats, t)
    assert [s.label for s in segs] == ["plank", OTHER]
    assert segs[0].end == round(6.0 * FPS)
    feats, t = shots(Camera())  # the same camera: no cut, the plank runs on to the kneeling
    assert recognise(feats, t)[0].end > round(6.5 * FPS)


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


# -- analyze without --exercise: segments judged as if cut out --------------------------------


def _routine_backends(postures, start: int = 0):
    """Backends whose 'video' is len(postures) grey frames and whose estimator renders the
    synthetic posture of each frame (from frame `start` of the routine on); real checkers."""
    import contextlib

    from exercises.registry import create_checker
    from feedback.analysis import Backends
    from tests.feedback_fakes import FakeSource, times
    from tests.synthetic import render

    class Estimator:
        def estimate(self, image, t_ms, frame_index):
            return render(postures[start + frame_index], t_ms=t_ms, index=frame_index)

    return Backends(
        open_video=lambda path, max_size=None: FakeSource(times(len(postures) - start)),
        create_checker=create_checker,
        resolve_model=lambda explicit=None: "fake.task",
        make_estimator=lambda model_path, **kw: contextlib.nullcontext(Estimator()),
        make_smoother=lambda: lambda pose: pose,
    )


def test_analyze_without_exercise_judges_each_segment_as_its_own_clip(tmp_path):
    import json

    from feedback.analysis import AnalysisOutputs, analyze_video
    from feedback.segmented import analyze_segments

    routine = (
        hold(STANDING, 4.0)
        + hinge_reps(3)
        + move(STANDING, kneeling_upright(), 1.0)
        + hold(kneeling_upright(), 4.0)
        + move(kneeling_upright(), plank(), 1.0)
        + hold(plank(), 8.0)
    )
    video = tmp_path / "routine.mp4"
    video.write_bytes(b"not read: the fake source makes the frames")
    outputs = AnalysisOutputs(report=tmp_path / "routine_report.json")
    result = analyze_segments(video, outputs, backends=_routine_backends(routine))
    doc = json.loads((tmp_path / "routine_report.json").read_text())
    assert [s["exercise"] for s in doc["segments"]] == [OTHER, "hip-hinge", OTHER, "plank"]
    assert [s["judged"] for s in doc["segments"]] == [False, True, False, True]
    hinge_seg = result.segments[1]
    assert doc["segments"][1]["reps"] == 3
    assert (tmp_path / "routine_report_01_hip-hinge.json").exists()
    assert (tmp_path / "routine_report_02_plank.json").exists()

    # The same stretch cut out and analysed with --exercise gives the same report.
    a, b = hinge_seg.segment.start, hinge_seg.segment.end
    alone = analyze_video(
        video,
        "hip-hinge",
        AnalysisOutputs(report=tmp_path / "alone.json"),
        backends=_routine_backends(routine[:b], start=a),
    )
    seg_report = json.loads((tmp_path / "routine_report_01_hip-hinge.json").read_text())
    alone_report = json.loads((tmp_path / "alone.json").read_text())
    for key in ("rep_count", "hold_s", "faults", "reps", "partial_reps"):
        assert seg_report[key] == alone_report[key], key
    assert alone.report.rep_count == 3


def test_a_segments_last_frame_shows_the_count_settled_at_its_end(tmp_path, monkeypatch):
    import dataclasses

    from exercises.base import Event, EventKind
    from exercises.registry import create_checker
    from feedback import segmented
    from feedback.analysis import AnalysisOutputs

    def ends_in_a_rep(name, *args, **kwargs):
        # A checker that learns only at the end of its stream that the last movement was a rep.
        checker = create_checker(name, *args, **kwargs)
        finish = checker.finish
        checker.finish = lambda t_ms: (*finish(t_ms), Event(EventKind.REP_COMPLETED, t_ms, 0, t_ms - 500.0))
        return checker

    shown = []
    monkeypatch.setattr(segmented, "write_segments_video", lambda _f, _w, segs, *a: shown.extend(segs))
    routine = hold(STANDING, 3.0) + hinge_reps(3) + hold(STANDING, 2.0)
    video = tmp_path / "routine.mp4"
    video.write_bytes(b"x")
    backends = dataclasses.replace(_routine_backends(routine), create_checker=ends_in_a_rep)
    outputs = AnalysisOutputs(report=tmp_path / "r.json", video=tmp_path / "r_annotated.mp4")
    result = segmented.analyze_segments(video, outputs, backends=backends)
    hinge = next(s for s in shown if s.label == "hip-hinge")
    counts = [hinge.assessments[i].rep_count for i in sorted(hinge.assessments)]
    reps = next(r for r in result.segments if r.judged).summary["reps"]
    assert reps == 4 and counts[-1] == 4 and counts[-2] == 3


def test_only_one_exercise_skips_the_others(tmp_path):
    import json

    from feedback.analysis import AnalysisOutputs
    from feedback.segmented import analyze_segments

    routine = hinge_reps(3) + move(STANDING, plank(), 1.0) + hold(plank(), 8.0)
    video = tmp_path / "v.mp4"
    video.write_bytes(b"x")
    analyze_segments(
        video, AnalysisOutputs(report=tmp_path / "r.json"), only="plank", backends=_routine_backends(routine)
    )
    doc = json.loads((tmp_path / "r.json").read_text())
    by = {s["exercise"]: s for s in doc["segments"]}
    assert by["hip-hinge"]["judged"] is False and by["hip-hinge"]["note"].startswith("skipped")
    assert by["plank"]["judged"] is True and by["plank"]["hold_s"] > 5.0


def test_cli_analyze_without_exercise_prints_the_segments(tmp_path, monkeypatch, capsys):
    import json

    from tests.cli_helpers import run_main

    routine = hinge_reps(3) + move(STANDING, kneeling_upright(), 1.0) + hold(kneeling_upright(), 4.0)
    monkeypatch.setattr("feedback.analysis.default_backends", lambda: _routine_backends(routine))
    video = tmp_path / "routine.mp4"
    video.write_bytes(b"x")
    code, stdout, err = run_main(["analyze", video, "--no-video", "--report", tmp_path / "r.json"], capsys)
    assert code == 0, err
    assert "Exercises found" in stdout and "hip-hinge" in stdout
    doc = json.loads((tmp_path / "r.json").read_text())
    assert [s["exercise"] for s in doc["segments"]] == ["hip-hinge", OTHER]
    assert doc["segments"][0]["reps"] == 3
    assert (tmp_path / "r_01_hip-hinge.json").exists()


def test_analyze_with_exercise_skips_the_segments_of_another_exercise(tmp_path):
    from feedback.analysis import AnalysisOutputs, analyze_video

    plank_then_hinge = hold(plank(), 8.0) + move(plank(), STANDING, 1.0) + hinge_reps(3)
    video = tmp_path / "v.mp4"
    video.write_bytes(b"x")

    def run(skip: bool):
        return analyze_video(
            video,
            "plank",
            AnalysisOutputs(report=None),
            backends=_routine_backends(plank_then_hinge),
            skip_other_exercises=skip,
        ).report

    judged_all, skipping = run(False), run(True)
    skipped = skipping.extra["skipped_segments"]
    assert [s["exercise"] for s in skipped] == ["hip-hinge"]
    hinge_from = (len(plank_then_hinge) - len(hinge_reps(3))) / FPS
    assert abs(skipped[0]["start_s"] - hinge_from) <= 1.0
    assert skipped[0]["end_s"] >= len(plank_then_hinge) / FPS - 0.2
    # The hinge's frames are not judged: fewer frames, none of them inside the skipped span.
    assert skipping.frames < judged_all.frames
    assert all(not skipped[0]["start_s"] <= t <= skipped[0]["end_s"] for t in skipping.t_s)
    assert skipping.hold_s > 5.0

    # A batch's summary row says so.
    from feedback.batch import BatchJob, JobOptions, row_from_report

    job = BatchJob(0, video, "plank", AnalysisOutputs(report=tmp_path / "r.json"), JobOptions())
    note = row_from_report(job, skipping.to_dict(), "done", []).note
    assert note.startswith("skipped hip-hinge ") and note.endswith(" s")


def test_analyze_with_exercise_changes_nothing_without_another_exercise(tmp_path):
    from feedback.analysis import AnalysisOutputs, analyze_video

    routine = hold(STANDING, 2.0) + move(STANDING, plank(), 1.0) + hold(plank(), 8.0)
    video = tmp_path / "v.mp4"
    video.write_bytes(b"x")
    reports = [
        analyze_video(
            video,
            "plank",
            AnalysisOutputs(report=None),
            backends=_routine_backends(routine),
            skip_other_exercises=skip,
        ).report.to_dict()
        for skip in (False, True)
    ]
    assert reports[1].pop("skipped_segments") == []
    for key in ("processing",):
        reports[0].pop(key, None), reports[1].pop(key, None)
    assert reports[0] == reports[1]


def test_one_annotated_video_shows_the_whole_recording_with_the_exercise_recognised(tmp_path):
    import json

    import cv2

    from feedback.analysis import AnalysisOutputs
    from feedback.segmented import analyze_segments

    routine = hold(STANDING, 3.0) + hinge_reps(3) + move(STANDING, plank(), 1.0) + hold(plank(), 6.0)
    video = tmp_path / "routine.mp4"
    video.write_bytes(b"x")
    outputs = AnalysisOutputs(report=tmp_path / "r.json", video=tmp_path / "r_annotated.mp4")
    result = analyze_segments(video, outputs, backends=_routine_backends(routine))
    assert result.annotated == tmp_path / "r_annotated.mp4"
    assert sorted(p.name for p in tmp_path.glob("*.mp4")) == ["r_annotated.mp4", "routine.mp4"]
    assert json.loads((tmp_path / "r.json").read_text())["annotated_video"] == "r_annotated.mp4"
    cap = cv2.VideoCapture(str(result.annotated))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == len(routine)  # every frame, other ones too
    # The tag names the exercise of the moment: compare the corner of an "other" frame and a
    # plank frame (the grey fake frames differ only in their blue channel elsewhere).
    corners = {}
    for name, k in (("other", int(1.0 * FPS)), ("plank", len(routine) - int(1.0 * FPS))):
        cap.set(cv2.CAP_PROP_POS_FRAMES, k)
        ok, image = cap.read()
        assert ok
        h, w = image.shape[:2]
        corners[name] = image[h - h // 8 :, w // 2 :].astype(int)
    assert np.abs(corners["other"] - corners["plank"]).mean() > 3


def test_a_batch_without_exercise_gives_one_summary_row_per_exercise_segment(tmp_path, monkeypatch):
    import csv
    import os
    import re

    from feedback.batch import JobOptions, run_job_in_place
    from feedback.batch_inputs import AUTO, ExerciseChoice
    from feedback.batch_run import BatchRequest, plan_batch
    from feedback.batch_summary import write_summary_csv

    routine = hinge_reps(3) + move(STANDING, plank(), 1.0) + hold(plank(), 6.0)
    monkeypatch.setattr("feedback.analysis.default_backends", lambda: _routine_backends(routine))
    video = tmp_path / "in" / "routine.mp4"
    video.parent.mkdir()
    video.write_bytes(b"x")
    old = video.stat().st_mtime - 100
    os.utime(video, (old, old))
    out = tmp_path / "out"
    out.mkdir()
    request = BatchRequest([video], ExerciseChoice.parse([]), out, JobOptions())
    plan = plan_batch(request, [video])
    (job,) = plan.jobs
    assert job.exercise == AUTO and job.outputs.csv is None and job.outputs.html is None
    row = run_job_in_place(job)
    assert row.status == "done" and row.exercise == AUTO
    assert [(s.exercise, s.reps) for s in row.segments] == [("hip-hinge", 3), ("plank", 0)]
    assert row.segments[1].hold_s > 4.0
    assert sorted(p.name for p in out.iterdir()) == [
        "routine_annotated.mp4",
        "routine_report.json",
        "routine_report_01_hip-hinge.csv",
        "routine_report_01_hip-hinge.json",
        "routine_report_01_hip-hinge.png",
        "routine_report_02_plank.csv",
        "routine_report_02_plank.json",
        "routine_report_02_plank.png",
    ]  # committed, no staging folder left
    write_summary_csv([row], out / "summary.csv")
    lines = list(csv.DictReader((out / "summary.csv").open()))
    assert [(r["file"], r["exercise"], r["status"]) for r in lines] == [
        ("routine.mp4", "hip-hinge", "done"),
        ("routine.mp4", "plank", "done"),
    ]
    assert lines[0]["reps"] == "3" and re.fullmatch(r"\d+\.\d-\d+\.\d s", lines[1]["note"])

    # Run again: the set is up to date and gives the same rows.
    again = plan_batch(request, [video])
    assert again.jobs == [] and [(s.exercise, s.reps, s.status) for s in again.rows[0].segments] == [
        ("hip-hinge", 3, "up to date"),
        ("plank", 0, "up to date"),
    ]
    os.remove(out / "routine_report_02_plank.png")  # a segment's file gone: redone
    assert plan_batch(request, [video]).jobs != []


def test_a_plank_segment_takes_in_the_still_setup_on_hands_and_knees_from_standing():
    from tests.synthetic import quadruped

    # Standing 3 s, down onto hands and knees (1 s), 1.4 s still there, up into the plank.
    routine = (
        hold(STANDING, 3.0)
        + move(STANDING, quadruped(), 1.0)
        + hold(quadruped(), 1.4)
        + move(quadruped(), plank(), 0.4)
        + hold(plank(), 8.0)
    )
    segs, _ = _labels(routine)
    assert [s.label for s in segs] == [OTHER, "plank"]
    # The whole set-up, further back than extend_max_s (0.5 s), but not the standing before it.
    assert 3.0 < segs[1].start_ms / 1000.0 <= 4.0


def test_features_of_a_whole_video_equal_the_features_frame_by_frame():
    """The analysis gathers landmarks and turns them into features a chunk at a time
    (feedback.other_exercises.FeatureRows); nobody found and a collapsed pose stay NaN rows."""
    from dataclasses import replace

    from exercises.recognise import features_of_landmarks, landmarks_of
    from feedback.other_exercises import FeatureRows

    frames = track(hinge_reps(2) + hold(plank(), 1.0))
    poses = [p for p, _, _ in frames]
    collapsed = replace(poses[3], world=np.zeros_like(np.asarray(poses[3].world)))
    poses = [*poses[:5], None, collapsed, *poses[5:]]
    one_by_one = np.array([frame_features(p) for p in poses])
    assert np.isnan(one_by_one[5]).all() and np.isnan(one_by_one[6][:4]).all()
    whole = features_of_landmarks(np.array([landmarks_of(p) for p in poses]))
    np.testing.assert_allclose(whole, one_by_one, rtol=0, atol=1e-9)

    rows = FeatureRows()
    assert len(poses) > rows.CHUNK  # the chunk boundary is crossed
    for i, pose in enumerate(poses):
        rows.add(pose, i * 1000.0 / FPS)
    np.testing.assert_allclose(rows.features(), one_by_one, rtol=0, atol=1e-9)
    assert len(rows) == len(rows.times) == len(poses)
