"""Report writers: JSON fields, one CSV row per rep, a PNG plot; all written atomically."""

from __future__ import annotations

import csv
import json
import os

import numpy as np
import pytest

from exercises.base import Assessment, Event, EventKind, Fault, Severity, ViewVerdict
from feedback.atomic import atomic_open, check_writable
from feedback.report import plot_signals, write_csv, write_json, write_plot
from feedback.session import SessionRecorder
from tests.feedback_fakes import stick_pose
from vision.errors import OutputError

OK = ViewVerdict(True, "left", None, 1)


def session_report(partial=False):
    rec = SessionRecorder("hip-hinge", "samples/hinge.mp4", ("hip_angle_deg",), title="Hip hinge")
    reps = 0
    for i in range(90):
        t = i * 100.0
        events = []
        if i in (30, 60):
            reps += 1
            events.append(
                Event(
                    EventKind.REP_COMPLETED,
                    t,
                    reps,
                    t - 2000,
                    ("rounded_back",) * (reps == 1),
                    {"depth": 80.0 + reps},
                )
            )
        faults = (
            (Fault("rounded_back", Severity.MAJOR, "Keep your back flat", 1500.0),) if 15 <= i < 22 else ()
        )
        pose = None if 80 <= i < 84 else stick_pose(0.0, t, i)
        rec.record(
            Assessment(
                "hip-hinge",
                t,
                i,
                OK,
                "hinged",
                {"hip_angle_deg": 180.0 - i % 30 * 2},
                faults,
                tuple(events),
                rep_count=reps,
                pose=pose,
            )
        )
    return rec.report(partial=partial)


def test_json_has_the_agreed_fields(tmp_path):
    path = write_json(session_report(), tmp_path / "r.json")
    d = json.loads(path.read_text())
    for key in (
        "exercise",
        "video",
        "duration_s",
        "frames",
        "frames_with_pose",
        "rep_count",
        "hold_s",
        "reps",
        "faults",
        "view",
    ):
        assert key in d
    assert d["exercise"] == "hip-hinge" and d["frames"] == 90 and d["frames_with_pose"] == 86
    assert d["rep_count"] == 2 and len(d["reps"]) == 2
    assert d["reps"][0]["faults"] == ["rounded_back"] and d["reps"][0]["metrics"] == {"depth": 81.0}
    assert d["faults"] == [
        {
            "code": "rounded_back",
            "start_s": 1.5,
            "end_s": 2.2,
            "message": "Keep your back flat",
            "severity": "major",
        }
    ]
    assert d["view"]["side"] == "left" and d["view"]["ok"] is True
    assert d["no_person"] == [{"start_s": 8.0, "end_s": 8.4}]
    assert d["partial"] is False
    assert len(d["series"]["t_s"]) == 90 and len(d["series"]["hip_angle_deg"]) == 90


def test_csv_one_row_per_rep(tmp_path):
    path = write_csv(session_report(), tmp_path / "r.csv")
    with path.open() as f:
        header = next(csv.reader(f))
    assert len(header) == len(set(header)), header  # no column twice (was: duration_s)
    rows = list(csv.DictReader(path.open()))
    assert [(r["kind"], r["index"]) for r in rows] == [("rep", "1"), ("rep", "2")]
    assert rows[0]["faults"] == "rounded_back" and rows[1]["faults"] == ""
    assert float(rows[0]["start_s"]) == 1.0 and float(rows[0]["end_s"]) == 3.0
    assert float(rows[0]["duration_s"]) == 2.0
    assert float(rows[1]["depth"]) == 82.0


def test_csv_rep_metric_named_like_a_column_appears_once(tmp_path):
    rec = SessionRecorder("hip-hinge")
    done = Event(
        EventKind.REP_COMPLETED, 2000.0, 1, 500.0, (), {"duration_s": 1.5, "max_trunk_lean_deg": 60.0}
    )
    for i, t in enumerate((0.0, 1000.0, 2000.0)):
        rec.record(Assessment("hip-hinge", t, i, OK, "hinged", {}, (), (done,) * (t == 2000.0), rep_count=1))
    rows = list(csv.reader(write_csv(rec.report(), tmp_path / "r.csv").open()))
    assert rows[0] == ["kind", "index", "start_s", "end_s", "duration_s", "faults", "max_trunk_lean_deg"]
    assert rows[1] == ["rep", "1", "0.5", "2", "1.5", "", "60"]


def test_csv_lists_plank_holds_with_their_faults(tmp_path):
    """A hold exercise has no reps: its rows are the holds, each with the faults seen in it."""
    rec = SessionRecorder("plank")
    sag = Fault("hip_sag", Severity.MAJOR, "Lift your hips", 3000.0)
    for i in range(80):
        t = i * 100.0
        events = []
        if i == 10:
            events.append(Event(EventKind.HOLD_STARTED, t, start_ms=t))
        if i == 40:
            events.append(Event(EventKind.HOLD_STOPPED, t, None, 1000.0, ("hip_sag",)))
        if i == 50:
            events.append(Event(EventKind.HOLD_STARTED, t, start_ms=t))
        faults = (sag,) if 30 <= i < 40 or 60 <= i < 65 else ()
        rec.record(Assessment("plank", t, i, OK, "holding", {}, faults, tuple(events), hold_s=0.0))
    rows = list(csv.DictReader(write_csv(rec.report(), tmp_path / "r.csv").open()))
    assert [(r["kind"], r["index"], r["start_s"], r["end_s"], r["faults"]) for r in rows] == [
        ("hold", "1", "1", "4", "hip_sag"),
        ("hold", "2", "5", "8", "hip_sag"),  # still held at the end: faults from the intervals
    ]
    assert float(rows[0]["duration_s"]) == 3.0


def test_csv_without_reps_has_header_only(tmp_path):
    rep = SessionRecorder("plank").report()
    path = write_csv(rep, tmp_path / "r.csv")
    assert path.read_text().strip() == "kind,index,start_s,end_s,duration_s,faults"


def test_plot_is_a_png(tmp_path):
    path = write_plot(session_report(partial=True), tmp_path / "r.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    # Also with nothing measured at all.
    assert write_plot(SessionRecorder("plank").report(), tmp_path / "empty.png").stat().st_size > 1000


def test_atomic_write_leaves_previous_file_on_failure(tmp_path):
    target = tmp_path / "r.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_open(target) as f:
        f.write("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["r.json"]  # no temp file left behind


def test_written_files_have_normal_permissions(tmp_path):
    path = write_json(session_report(), tmp_path / "r.json")
    assert path.stat().st_mode & 0o644 == 0o644


def test_check_writable_rejects_input_folder_and_file_parent(tmp_path):
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"x")
    with pytest.raises(OutputError, match="overwrite the input"):
        check_writable(tmp_path / "." / "clip.mp4", inputs={"input video": video})
    with pytest.raises(OutputError, match="folder"):
        check_writable(tmp_path, inputs={"input video": video})
    with pytest.raises(OutputError, match="Cannot create the output folder"):
        check_writable(video / "out.json")
    made = check_writable(tmp_path / "new" / "deeper" / "r.json")
    assert made.parent.is_dir() and list(made.parent.iterdir()) == []


def test_plot_skips_signals_that_mirror_one_already_shown():
    rec = SessionRecorder("hip-hinge", main_signals=("trunk", "hip", "unmeasured", "knee", "bow"))
    for i in range(50):
        trunk = 40 + 30 * np.sin(i / 5)
        m = {"trunk": trunk, "hip": 180 - trunk, "knee": 15 + 5 * np.cos(i / 3), "bow": 0.01 * np.sin(i / 2)}
        rec.record(Assessment("hip-hinge", i * 33.3, i, OK, "hinged", m, pose=stick_pose(0.0)))
    report = rec.report()
    assert plot_signals(report) == ["trunk", "knee"]
    assert plot_signals(report, max_signals=3) == ["trunk", "knee", "bow"]


def test_plot_panels_show_each_faults_own_signal_with_its_threshold():
    from dataclasses import replace

    from exercises.registry import spec_for
    from feedback.report import counted_text, plot_panels

    hinge = spec_for("hip-hinge")
    rec = SessionRecorder(
        "hip-hinge", None, hinge.main_signals, thresholds=replace(hinge.thresholds, squat_knee_deg=50.0)
    )
    for i in range(60):
        t = i * 100.0
        knee = -150.0 if i == 5 else 60.0 * (i >= 30)  # one wild frame: kneeling down
        faults = (Fault("squatting", Severity.MODERATE, "Push your hips back", 3000.0),) if i >= 30 else ()
        events = (Event(EventKind.REP_COMPLETED, t, 1, 0.0),) if i == 59 else ()
        m = {"trunk_inclination_deg": 30.0, "knee_flexion_deg": knee}
        rec.record(Assessment("hip-hinge", t, i, OK, "hinged", m, faults, events, rep_count=int(i == 59)))
    report = rec.report()
    main, knee = plot_panels(report, hinge)
    assert main.signal == "trunk_inclination_deg"
    # The table in use draws the line (a physio's 50, not the default 45), on the judged scale.
    assert knee.signal == "knee_flexion_deg" and ("knees bent into a squat", 50.0) in knee.lines
    assert knee.low > -20 and knee.faults == ("squatting", "locked_knees")
    assert counted_text(report, hinge) == "1 rep"
    assert counted_text(SessionRecorder("plank").report(), spec_for("plank")) == "hold 0.0 s"
    assert counted_text(SessionRecorder("cat-cow").report(), spec_for("cat-cow")) == "0 reps"
