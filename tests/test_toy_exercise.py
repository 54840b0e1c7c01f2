"""A fourth exercise needs only exercises/-style objects: a checker, its threshold table and its
spec, registered. The CLI, the overlay and the report handle it with no change to feedback/."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace

import numpy as np
import pytest

from exercises import registry
from exercises.base import Assessment, Checker, Event, EventKind, Severity, ViewProblem, ViewVerdict
from exercises.faults import FaultTracker, tracked
from exercises.spec import AngleLabel, Counts, ExerciseSpec, FaultInfo, Line, PlotSignal
from feedback.cues import CueStage
from feedback.overlay import PALETTE, Overlay, display_for
from feedback.report import counted_text, plot_panels
from tests.cli_helpers import N_FRAMES, run_main
from tests.feedback_fakes import fake_backends, hinge_schedule, stick_pose, write_fake_video
from vision.landmarks import Joint
from vision.pose import Pose

FAULTS = (
    FaultInfo(
        "too_deep",
        Severity.MODERATE,
        "Not so deep",
        frozenset({Joint.SHOULDER}),
        "lean_deg",
        (Line("max_lean_deg", "too deep"),),
    ),
)


@dataclass(frozen=True)
class BowThresholds:
    start_deg: float = 30.0  # forward lean that starts a bow
    rest_deg: float = 10.0  # ... and back up to this ends it
    max_lean_deg: float = 70.0  # deeper than this is a fault


class BowChecker(Checker):
    """A toy exercise: bow forward from the hips and come back up (trunk lean from vertical)."""

    name = "bow"
    title = "Toy bow"
    main_signals = ("lean_deg",)

    def __init__(self, thresholds: BowThresholds | None = None) -> None:
        self.thresholds = thresholds or BowThresholds()
        self.tracker = FaultTracker(tracked(FAULTS, 0.0, {"too_deep": (0.0, 0.0)}))
        self.reset()

    def reset(self) -> None:
        self.tracker.reset()
        self.reps, self.start_ms, self.rep_faults = 0, None, set()

    def update(self, pose: Pose | None, t_ms: float, frame_index: int) -> Assessment:
        if pose is None:
            view = ViewVerdict(False, None, ViewProblem.NO_PERSON)
            return Assessment(self.name, t_ms, frame_index, view, "setup", {}, rep_count=self.reps)
        shoulder, hip = pose.joint(Joint.SHOULDER, "left"), pose.joint(Joint.HIP, "left")
        lean = math.degrees(math.atan2(abs(shoulder[0] - hip[0]), hip[1] - shoulder[1]))
        th, events = self.thresholds, []
        faults = self.tracker.update(t_ms, {"too_deep": lean > th.max_lean_deg})
        if self.start_ms is None and lean > th.start_deg:
            self.start_ms = t_ms
            events.append(Event(EventKind.REP_STARTED, t_ms))
        self.rep_faults |= {f.code for f in faults}
        if self.start_ms is not None and lean < th.rest_deg:
            self.reps += 1
            done = Event(
                EventKind.REP_COMPLETED, t_ms, self.reps, self.start_ms, tuple(sorted(self.rep_faults))
            )
            events.append(done)
            self.start_ms, self.rep_faults = None, set()
        phase = "bowing" if self.start_ms is not None else "standing"
        view = ViewVerdict(True, "left", None, 1)
        return Assessment(
            self.name,
            t_ms,
            frame_index,
            view,
            phase,
            {"lean_deg": lean},
            faults,
            tuple(events),
            self.reps,
            in_position=True,
            pose=pose,
        )


BOW = ExerciseSpec(
    name="bow",
    title="Toy bow",
    checker=BowChecker,
    thresholds=BowThresholds(),
    counts=Counts.REPS,
    start_cue="Stand side-on to the camera",
    faults=FAULTS,
    angles=(AngleLabel("lean_deg", Joint.HIP, "trunk", positive="forward", negative="back"),),
    plot_signals=(PlotSignal("lean_deg", -10.0, 100.0),),
)


@pytest.fixture
def bow(monkeypatch):
    registry.register(BOW)
    backends = fake_backends(hinge_schedule(2, depth_deg=80.0))
    # The fake backends stand in for MediaPipe and video files; the checker is the registry's.
    monkeypatch.setattr(
        "feedback.analysis.default_backends",
        lambda: replace(backends, create_checker=registry.create_checker),
    )
    yield BOW
    registry.unregister(BOW.name)


def test_cli_analyses_a_registered_fourth_exercise(bow, tmp_path, monkeypatch, capsys):
    clip = tmp_path / "bow.mp4"
    write_fake_video(clip, N_FRAMES)
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(out)
    code, stdout, err = run_main(["analyze", clip, "-e", "bow"], capsys)
    assert code == 0, err
    report = json.loads((out / "bow_report.json").read_text())
    assert (report["exercise"], report["title"], report["rep_count"]) == ("bow", "Toy bow", 2)
    assert {f["code"] for f in report["faults"]} == {"too_deep"}
    assert "Toy bow" in stdout and "Reps" in stdout and "Hold" not in stdout
    assert (out / "bow_report.png").stat().st_size > 10_000
    assert (out / "bow_annotated.mp4").stat().st_size > 1000


def test_overlay_and_plot_follow_the_spec(bow):
    checker = registry.create_checker("bow")
    overlay, cues = Overlay(display_for(bow, checker.thresholds)), CueStage()
    pose = stick_pose(80.0)
    a = checker.update(pose, 0.0, 0)
    a = checker.update(pose, 400.0, 1)  # deep: the fault is on
    assert [f.code for f in a.faults] == ["too_deep"]
    img = np.full((480, 640, 3), 96, np.uint8)
    cues.consume(None, a)
    overlay.draw(img, a, cues.state)
    assert np.all(img == PALETTE.fault, axis=2).sum() > 20  # the shoulder joint and label in red
    assert np.all(img == PALETTE.severity[1], axis=2).sum() > 500  # the moderate correction banner
    assert bow.angles[0].text(80.0) == "trunk 80° forward"

    from feedback.session import SessionRecorder

    recorder = SessionRecorder(
        "bow", None, checker.main_signals, title="Toy bow", thresholds=checker.thresholds
    )
    checker.reset()
    for i in range(N_FRAMES):
        t = i * 1000 / 30
        recorder.consume(None, checker.update(stick_pose(hinge_schedule(1)(t / 1000)), t, i))
    report = recorder.report()
    (panel,) = plot_panels(report, bow)
    assert panel.signal == "lean_deg" and panel.lines == (("too deep", 70.0),)
    assert (panel.low, panel.high) == (-10.0, 100.0)
    assert counted_text(report, bow) == "1 rep"
