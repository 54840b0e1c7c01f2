"""Live without --exercise: the exercise is recognised, said, and the session switches with the
person. Fast tests drive `run_live` with synthetic poses; the end-to-end test plays sample
clips joined into one file as a camera, through MediaPipe, in a window under Xvfb."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from test_live import FakeLiveSource, PacedClip
from test_recognise import hinge_reps
from test_recognise_clips import join_clips

from exercises.registry import create_checker
from feedback.analysis import Backends
from feedback.live import LiveOptions, run_live
from feedback.live_recognition import LiveRecognition, announcement
from feedback.voice import FakeEngine
from tests.synthetic import FPS, STANDING, hold, move, plank, render
from vision.errors import ConfigError


def _backends(postures) -> Backends:
    class Estimator:
        def estimate(self, image, t_ms, frame_index):
            return render(postures[min(frame_index, len(postures) - 1)], t_ms=t_ms, index=frame_index)

    return Backends(
        open_video=None,
        create_checker=create_checker,
        resolve_model=lambda explicit=None: "fake.task",
        make_estimator=lambda model_path, **kw: contextlib.nullcontext(Estimator()),
        make_smoother=lambda: lambda pose: pose,
    )


def _live(tmp_path: Path, postures, **kw):
    engine = FakeEngine()
    result = run_live(
        LiveOptions(None, sessions_dir=tmp_path / "sessions", show_window=False, **kw),
        backends=_backends(postures),
        speech=engine,
        source_factory=lambda: FakeLiveSource(len(postures)),
        say=lambda line: None,
        estimator_warmup=False,
    )
    return result, engine


def test_announcements_come_from_the_spec():
    assert announcement("plank") == "Plank - hold it"
    assert announcement("hip-hinge").startswith("Hip hinge - ")


def test_live_recognises_says_and_switches_exercise(tmp_path: Path):
    routine = hold(STANDING, 2.0) + move(STANDING, plank(), 1.0) + hold(plank(), 7.0)
    routine += move(plank(), STANDING, 1.0) + hinge_reps(4)
    assert FPS == 30  # FakeLiveSource's rate
    result, engine = _live(tmp_path, routine)
    assert result.announced == ["Plank - hold it", announcement("hip-hinge")]
    said = [p for p in engine.spoken if p in result.announced]
    assert said == result.announced  # spoken, in that order
    assert [p.report.exercise for p in result.parts] == ["plank", "hip-hinge"]
    plank_part, hinge_part = (p.report for p in result.parts)
    # Each part begins with the poses its exercise was recognised from (the last window and
    # switching delay, ~3.9 s): the set is judged from its start, every hinge rep counted.
    assert plank_part.hold_s > 5.0 and hinge_part.rep_count == 4
    assert 3.0 <= plank_part.t_s[-1] - hinge_part.t_s[0] <= 4.0
    assert len({p.folder for p in result.parts}) == 2 and all(p.folder.is_dir() for p in result.parts)
    assert result.report is hinge_part


def test_no_exercise_recognised_saves_nothing(tmp_path: Path):
    result, engine = _live(tmp_path, hold(STANDING, 6.0))
    assert result.parts == [] and result.report is None and result.announced == []
    assert not any(p in engine.spoken for p in ("Plank - hold it",))


def test_targets_and_recording_need_an_exercise(tmp_path: Path):
    with pytest.raises(ConfigError, match="need --exercise"):
        _live(tmp_path, hold(STANDING, 1.0), target_reps=3)
    with pytest.raises(ConfigError, match="--record needs --exercise"):
        _live(tmp_path, hold(STANDING, 1.0), record=tmp_path / "r.mp4")


def test_live_recognition_notices_another_exercise_than_the_one_under_way():
    from tests.synthetic import track

    rec = LiveRecognition()
    switches = []
    for pose, t, _ in track(hold(plank(), 5.0) + move(plank(), STANDING, 1.0) + hinge_reps(2)):
        rec.update(pose, t)
        sw = rec.switch_from("plank")
        if sw is not None and (not switches or switches[-1] != sw.exercise):
            switches.append(sw.exercise)
    assert switches == ["hip-hinge"]


# -- end to end: joined sample clips as the camera, MediaPipe, a real window under Xvfb ---------


def test_clip_as_camera_without_exercise_says_each_exercise(x_display: str, model_path: Path, tmp_path: Path):
    from feedback.window import LiveWindow

    clip = tmp_path / "hinge_then_plank.mp4"
    join_clips(["hinge_good.mp4", "plank_good.mp4"], clip)  # 15 fps, ~17 s
    engine = FakeEngine()
    options = LiveOptions(None, clip=clip, model=model_path, sessions_dir=tmp_path / "sessions")
    # Every frame, each no earlier than its time: a loaded machine delivers them later, never fewer.
    result = run_live(
        options,
        speech=engine,
        source_factory=lambda: PacedClip(clip, keep=1),
        window=LiveWindow("backform-e2e-recognise"),
        say=print,
    )
    assert result.announced == [announcement("hip-hinge"), "Plank - hold it"]
    assert [p for p in engine.spoken if p in result.announced] == result.announced
    assert [p.report.exercise for p in result.parts] == ["hip-hinge", "plank"]
    # Judged from the start of each exercise (the poses it was recognised from included), as
    # `analyze -e` judges the clips alone: 3 reps, a hold of ~4.9 s.
    hinge, plank_ = (p.report for p in result.parts)
    assert hinge.rep_count == 3 and plank_.hold_s >= 4.0
