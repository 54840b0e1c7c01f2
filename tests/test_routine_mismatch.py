"""`backform routine` notices another exercise done than the one announced (issue 15).

The tracker is tested with recogniser labels written out by hand (exact spans and words),
the sink with the real recogniser fed synthetic poses, and the whole through MediaPipe: a
routine announcing a hip hinge while the camera plays the plank sample, in a real window under
Xvfb, with the fake speech engine. (tests/test_routine.py's end-to-end test plays matching
clips: nothing of this is said there.)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from test_live import PacedClip, _sample

from feedback.routine_camera import ClipsAsCamera
from feedback.routine_mismatch import Mismatch, MismatchTracker, MismatchWatch, mismatch_words
from feedback.routine_plan import Routine, Step
from feedback.routine_run import RoutineOptions, run_routine
from feedback.voice import FakeEngine
from tests.synthetic import STANDING, hold, move, plank, track

PLANK_INSTEAD = "That looks like a plank. Now: hip hinge"


def test_the_words_come_from_the_specs_titles():
    assert mismatch_words("plank", "hip-hinge") == PLANK_INSTEAD
    assert mismatch_words("hip-hinge", "cat-cow") == "That looks like a hip hinge. Now: cat-cow"


def _feed(tracker: MismatchTracker, labels: list[str], t0_ms: float) -> list[str]:
    """The labels at 10 frames a second from t0_ms; the words said."""
    said = [tracker.update(label, t0_ms + 100.0 * i) for i, label in enumerate(labels)]
    tracker.end_set()
    return [w for w in said if w is not None]


def test_the_tracker_logs_each_stretch_of_another_exercise_and_says_it_once():
    tracker = MismatchTracker("hip-hinge", delay_ms=1500.0, min_ms=1500.0)
    # Set 1 from 1.0 s: resting, a plank (2.0-3.9 s), resting, a plank again, the hinge, a
    # moment of cat-cow too short to count (0.5 s), the hinge.
    labels = ["other"] * 10 + ["plank"] * 20 + ["other"] * 10 + ["plank"] * 20 + ["hip-hinge"] * 10
    labels += ["cat-cow"] * 5 + ["hip-hinge"] * 10
    said = [tracker.update(label, 1000.0 + 100.0 * i) for i, label in enumerate(labels)]
    # Said once the recogniser has named it for min_ms: at 3.5 s (frame 25).
    assert [(i, w) for i, w in enumerate(said) if w is not None] == [(25, PLANK_INSTEAD)]
    tracker.end_set()
    # The label runs 1.5 s behind the person: each stretch starts and ends that much earlier,
    # never before the set's first frame.
    assert tracker.spans == [Mismatch("plank", 1.0, 2.5), Mismatch("plank", 3.5, 5.5)]
    assert tracker.seen is None and tracker.notice() is None
    # Set 2 from 20 s: the plank again (not said again), then cat-cow (said), to the set's end.
    said = _feed(tracker, ["hip-hinge"] * 30 + ["plank"] * 20 + ["cat-cow"] * 20, 20000.0)
    assert said == ["That looks like a cat-cow. Now: hip hinge"]
    assert tracker.spans[2:] == [Mismatch("plank", 21.5, 23.5), Mismatch("cat-cow", 23.5, 26.9)]


def test_the_banner_line_lasts_while_the_other_exercise_does():
    tracker = MismatchTracker("plank", min_ms=100.0)
    assert tracker.update("other", 0.0) is None and tracker.notice() is None
    assert tracker.update("cat-cow", 100.0) is None and tracker.notice() is None  # not for a while yet
    assert tracker.update("cat-cow", 200.0) == "That looks like a cat-cow. Now: plank"
    assert tracker.notice() == "Looks like a cat-cow - now: plank"
    assert tracker.update("cat-cow", 250.0) is None  # said once
    assert tracker.update("plank", 300.0) is None and tracker.notice() is None
    assert tracker.spans == [Mismatch("cat-cow", 0.1, 0.25)]  # to its last frame (no delay here)


def test_the_recogniser_fed_a_set_of_plank_poses_says_it_once():
    said: list[str] = []
    watch = MismatchWatch("hip-hinge", said.append)
    frame = type("F", (), {})()
    for pose, t_ms, _ in track(hold(STANDING, 1.0) + move(STANDING, plank(), 1.0) + hold(plank(), 8.0)):
        watch.recognition.update(pose, t_ms)
        frame.t_ms = t_ms
        watch.consume(frame, None)
    watch.close()
    assert said == [PLANK_INSTEAD]
    ((seen, start_s, end_s),) = [(m.seen, m.start_s, m.end_s) for m in watch.tracker.spans]
    assert seen == "plank" and 1.0 <= start_s <= 3.5 and end_s == round(t_ms / 1000.0, 2)


def test_hinge_announced_while_the_camera_plays_a_plank(x_display: str, model_path: Path, tmp_path: Path):
    """MediaPipe, a real window under Xvfb: the plank sample played twice as the camera (every
    other frame, by count: the same frames on any machine) during a hip-hinge set."""
    from rich.console import Console

    from feedback.routine_keys import RoutineWindow
    from feedback.routine_summary import print_routine_summary

    clips = (_sample("plank_good.mp4"), _sample("plank_good.mp4"))  # 2 x 7 s
    engine = FakeEngine()
    result = run_routine(
        RoutineOptions(
            Routine("Wrong", (Step("hip-hinge", reps=3),)),
            clips=clips,
            model=model_path,
            sessions_dir=tmp_path / "sessions",
        ),
        speech=engine,
        source_factory=lambda: ClipsAsCamera(clips, open_clip=lambda p: PacedClip(p, keep=2)),
        window=RoutineWindow("backform-routine-mismatch"),
    )
    assert engine.spoken.count(PLANK_INSTEAD) == 1, engine.spoken
    (outcome,) = result.outcomes
    assert result.camera_ended and outcome.report.rep_count == 0  # what is counted is unchanged
    saved = json.loads((result.folder / "routine.json").read_text())
    spans = saved["exercises"][0]["mismatch"]
    # Seen as a plank (getting into it from hands and knees is not a cat-cow: nothing said
    # of it), for seconds, within the set.
    assert spans and {m["seen"] for m in spans} == {"plank"}, spans
    assert not [p for p in engine.spoken if p.startswith("That looks like") and p != PLANK_INSTEAD]
    t_s = np.asarray(outcome.report.t_s)
    assert sum(m["end_s"] - m["start_s"] for m in spans) >= 4.0, spans
    assert t_s[0] <= spans[0]["start_s"] < spans[-1]["end_s"] <= t_s[-1] + 0.01, spans
    console = Console(record=True, width=120)
    print_routine_summary(result, console)
    assert "During hip hinge: looked like a plank from " in console.export_text()


def test_the_banner_shows_the_notice_under_the_set(monkeypatch):
    import feedback.routine_screen as screen
    from feedback.overlay import PALETTE

    drawn: list[list[tuple[str, tuple]]] = []
    monkeypatch.setattr(screen, "draw_box", lambda image, lines: drawn.append([(t, c) for t, _, c in lines]))
    tracker = MismatchTracker("hip-hinge")
    banner = screen.RoutineBanner(notice=tracker.notice)
    banner.show("Exercise 1 of 1: Hip hinge", "Set 1 of 1: 3 reps")
    frame = type("F", (), {"image": np.zeros((480, 640, 3), np.uint8)})()
    banner.consume(frame, None)
    tracker.update("plank", 0.0)
    banner.consume(frame, None)
    assert [len(lines) for lines in drawn] == [3, 4]
    assert drawn[1][2] == ("Looks like a plank - now: hip hinge", PALETTE.fault)
    assert drawn[1][3][0].startswith("p: stop for pain")
