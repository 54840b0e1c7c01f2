"""`backform routine`: the routine model and its TOML file, the runner, the saved session.

Fast tests drive `run_routine` with scripted poses (tests/feedback_fakes.py: a hip-hinge
stand-in) and a fake live source, so the spoken sequence, keys and files are exact. The
end-to-end test at the bottom plays three sample clips one after another as one camera
through MediaPipe in a real window under Xvfb, and compares with `backform analyze`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import backform_command, cli_env, one_line_error
from feedback_fakes import fake_backends, hinge_schedule
from test_live import FPS, FakeLiveSource, ScriptedWindow, _sample

from exercises.registry import spec_for
from feedback.history.records import Comfort
from feedback.live import READY
from feedback.routine_camera import ClipsAsCamera, split_cameras
from feedback.routine_keys import RoutineCommand
from feedback.routine_plan import (
    DEFAULT_ROUTINE,
    PAIN_ADVICE,
    PAIN_STOP,
    ROUTINE_COMPLETE,
    Routine,
    Step,
    exercise_announcement,
    parse_routine,
    rest_calls,
)
from feedback.routine_run import RoutineOptions, run_routine
from feedback.voice import FakeEngine
from feedback.window import Command
from vision.errors import ConfigError

HINGE_START = spec_for("hip-hinge").start_cue


# -- the plan -------------------------------------------------------------------------------------
def test_default_routine_is_the_gentle_back_routine():
    steps = DEFAULT_ROUTINE.steps
    assert [(s.exercise, s.sets, s.reps, s.hold_s) for s in steps] == [
        ("cat-cow", 1, 8, None),
        ("hip-hinge", 1, 8, None),
        ("plank", 3, None, 20.0),
    ]
    # 30 s between the plank's holds, none after the routine's last one.
    assert [DEFAULT_ROUTINE.rest_after(2, n) for n in (1, 2, 3)] == [30.0, 30.0, 0.0]
    assert DEFAULT_ROUTINE.rest_after(0, 1) == 0.0
    assert exercise_announcement(steps[1], first=False) == f"Next: hip hinge, 8 reps. {HINGE_START}"
    assert exercise_announcement(steps[2], first=False).startswith("Next: plank, 3 holds of 20 seconds. ")
    assert exercise_announcement(steps[0], first=True).startswith("First: cat-cow, 8 reps. ")


def test_rest_is_counted_down_every_ten_seconds_and_the_last_three():
    assert [(c.at_s, c.text) for c in rest_calls(30)] == [
        (0.0, "Rest 30 seconds"),
        (10.0, "20"),
        (20.0, "10"),
        (27.0, "3"),
        (28.0, "2"),
        (29.0, "1"),
    ]
    assert [c.text for c in rest_calls(2)] == ["Rest 2 seconds", "1"]


GOOD_TOML = """
name = "Monday"

[[exercise]]
exercise = "plank"
hold_s = 15
sets = 2
rest_s = 20

[[exercise]]
exercise = "hip-hinge"
reps = 10
"""


def test_a_physio_file_sets_any_sequence():
    routine = parse_routine(GOOD_TOML, "monday.toml")
    assert routine == Routine(
        "Monday", (Step("plank", 2, None, 15.0, 20.0), Step("hip-hinge", 1, 10, None, 0.0))
    )


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[[exercise]]\nexercise = "hip-hinge"\nrepz = 8', "'repz'"),
        ('[[exercise]]\nexercise = "plank"\nreps = 8', "'reps' does not apply"),
        ('[[exercise]]\nexercise = "plank"', "'hold_s' is missing"),
        ('[[exercise]]\nexercise = "squat"\nreps = 8', "'exercise' must be one of"),
        ('[[exercise]]\nexercise = "hip-hinge"\nreps = 8\nsets = 0', "'sets'"),
        ('[[exercise]]\nexercise = "hip-hinge"\nreps = "eight"', "'reps'"),
        ('[[exercise]]\nexercise = "plank"\nhold_s = 20\nrest_s = -5', "'rest_s'"),
        ('name = "x"', "no exercises"),
        ('colour = "red"\n[[exercise]]\nexercise = "plank"\nhold_s = 5', "'colour'"),
        ("[[exercise]\n", "not valid TOML"),
    ],
)
def test_a_mistake_in_the_file_names_the_key(text: str, named: str):
    with pytest.raises(ConfigError, match=r"^r\.toml: ") as err:
        parse_routine(text, "r.toml")
    assert named in str(err.value)
    assert "\n" not in str(err.value)


def test_cli_a_wrong_routine_file_is_one_line_and_records_nothing(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[exercise]]\nexercise = "plank"\nhold_s = 20\nsetz = 3\n')
    data = tmp_path / "data"
    run = subprocess.run(
        backform_command("routine", bad, "--pain-before", "3"),
        env=cli_env(BACKFORM_DATA_DIR=str(data)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = one_line_error(run.returncode, run.stderr, expected_code=2)
    assert "bad.toml: [[exercise]] 1 (plank): unknown key 'setz'" in line
    assert not data.exists() or not any(data.rglob("*.json"))


def test_several_cameras_are_clips_one_after_another():
    assert split_cameras(["a.mp4,b.mp4", "c.mp4"]) == ["a.mp4", "b.mp4", "c.mp4"]
    assert split_cameras(["0"]) == ["0"]


class _ListSource:
    """A live source of `n` frames stamped on its own clock, one value per frame in the image."""

    def __init__(self, first: int, n: int) -> None:
        from test_live import FakeInfo

        self.first, self.n, self.info = first, n, FakeInfo(live=True)
        self.dropped, self.closed = 0, False

    def clock_ms(self) -> float:
        return 0.0

    def __iter__(self):
        from vision.sources import Frame

        for i in range(self.n):
            yield Frame(np.full((4, 4, 3), self.first + i, np.uint8), i * 33.0, i, i)

    def close(self) -> None:
        self.closed = True


def test_clips_as_one_camera_play_in_order_and_carry_on_after_a_stop():
    opened: list[_ListSource] = []

    def open_clip(path: Path) -> _ListSource:
        opened.append(_ListSource(int(path.stem), 5))
        return opened[-1]

    camera = ClipsAsCamera([Path("10.mp4"), Path("100.mp4")], open_clip=open_clip)
    seen = []
    for frame in camera:  # a set that ends after 3 frames
        seen.append(int(frame.image[0, 0, 0]))
        if len(seen) == 3:
            break
    seen += [int(f.image[0, 0, 0]) for f in camera]  # the next pass carries on
    assert seen == [10, 11, 12, 13, 14, 100, 101, 102, 103, 104]
    assert len(opened) == 2 and all(s.closed for s in opened)
    assert list(camera) == []  # played out: the camera has ended


# -- the runner, with scripted poses ------------------------------------------------------------
TWO_HINGE_STEPS = Routine("test", (Step("hip-hinge", sets=2, reps=2, rest_s=2.0), Step("hip-hinge", reps=1)))


def _run(tmp_path: Path, routine: Routine = TWO_HINGE_STEPS, window=None, frames: int = int(20 * FPS)):
    engine = FakeEngine()
    source = FakeLiveSource(frames)
    lines: list[str] = []
    result = run_routine(
        RoutineOptions(routine, show_window=window is not None, sessions_dir=tmp_path / "sessions"),
        backends=fake_backends(hinge_schedule(10)),
        speech=engine,
        source_factory=lambda: source,
        window=window,
        say=lines.append,
        estimator_warmup=False,
    )
    return result, engine


def test_sets_rests_and_next_exercise_are_said_in_order(tmp_path: Path):
    result, engine = _run(tmp_path)
    first = f"First: hip hinge, 2 sets of 2 reps. {HINGE_START}"
    assert engine.spoken == [
        first, READY, "1", "2", "Set complete",
        "Rest 2 seconds", "1",
        "Set 2 of 2", READY, "1", "2", "Set complete",
        "Rest 2 seconds", "1",
        f"Next: hip hinge, 1 rep. {HINGE_START}", READY, "1", "Set complete",
        ROUTINE_COMPLETE,
    ]  # fmt: skip
    assert result.complete and result.pain is None
    assert [(o.sets_done, o.report.rep_count) for o in result.outcomes] == [(2, 4), (1, 1)]
    # The rests are on the timeline: 2 s between the sets, not judged.
    t = np.asarray(result.outcomes[0].report.t_s)
    assert 1.9 < np.max(np.diff(t)) < 2.5


def test_the_session_folder_has_a_report_per_exercise_and_the_totals(tmp_path: Path):
    result, _ = _run(tmp_path)
    folder = result.folder
    assert sorted(p.name for p in folder.iterdir()) == ["01_hip-hinge", "02_hip-hinge", "routine.json"]
    for sub in ("01_hip-hinge", "02_hip-hinge"):
        assert {p.name for p in (folder / sub).iterdir()} == {"report.json", "report.csv", "report.png"}
    first = json.loads((folder / "01_hip-hinge" / "report.json").read_text())
    assert first["rep_count"] == 4 and first["routine"]["sets_done"] == 2
    totals = json.loads((folder / "routine.json").read_text())
    assert totals["complete"] and totals["stopped_for_pain"] is None
    assert totals["totals"]["reps"] == 5 and totals["totals"]["sets_done"] == 3
    assert [e["good_reps"] for e in totals["exercises"]] == [4, 1]
    assert not [p for p in folder.rglob("*") if p.name.startswith(".")]  # no temporary files left


def test_stop_for_pain_ends_at_once_and_logs_the_moment(tmp_path: Path):
    from rich.console import Console

    from feedback.routine_summary import print_routine_summary

    window = ScriptedWindow({100: [RoutineCommand.PAIN]})  # ~3.3 s in: during the first set
    result, engine = _run(tmp_path, window=window)
    assert result.pain is not None and not result.complete
    assert (result.pain.exercise, result.pain.set_no) == ("hip-hinge", 1)
    assert result.pain.session_s == pytest.approx(result.outcomes[0].report.t_s[-1], abs=0.01)
    assert engine.spoken[-1] == PAIN_STOP
    assert ROUTINE_COMPLETE not in engine.spoken
    assert result.outcomes[0].report.frames == 100  # nothing judged after the key
    assert len(result.outcomes) == 1
    saved = json.loads((result.folder / "routine.json").read_text())
    assert saved["stopped_for_pain"]["exercise"] == "hip-hinge" and saved["stopped_for_pain"]["set"] == 1
    console = Console(record=True, width=120)
    print_routine_summary(result, console)
    text = console.export_text()
    assert "Stopped for pain during hip-hinge, set 1" in text
    assert PAIN_ADVICE.split(".")[0] in text


def test_skip_moves_to_the_next_exercise_and_r_repeats_the_set(tmp_path: Path):
    # n at 2 s (before rep 1 of set 1 is done): on to exercise 2.
    result, engine = _run(tmp_path, window=ScriptedWindow({60: [RoutineCommand.SKIP]}))
    assert result.outcomes[0].skipped and result.outcomes[0].sets_done == 0
    assert result.outcomes[1].sets_done == 1 and result.complete
    assert engine.spoken[0].startswith("First: ") and engine.spoken[2].startswith("Next: hip hinge, 1 rep")

    # r at 4 s (after rep 1): the set starts again, so it needs two more reps.
    result, engine = _run(tmp_path, window=ScriptedWindow({120: [Command.RESET]}))
    assert engine.spoken[:3] == [engine.spoken[0], READY, "1"]
    assert engine.spoken[3:7] == [READY, "1", "2", "Set complete"]
    assert result.outcomes[0].report.rep_count == 5  # every rep done is kept
    assert result.complete


class SignalWindow(ScriptedWindow):
    """Sends this process `signum` on the given show() call (Ctrl+C, or a service manager's SIGTERM)."""

    def __init__(self, signum: int, at: int) -> None:
        super().__init__({})
        self.signum, self.at = signum, at

    def show(self, image: np.ndarray, wait_ms: int = 1) -> list[Command]:
        commands = super().show(image, wait_ms)
        if self.calls - 1 == self.at:
            os.kill(os.getpid(), self.signum)
        return commands


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_signal_saves_the_session_so_far(tmp_path: Path, signum: int):
    from feedback.stopping import stop_signals_raise

    with stop_signals_raise():  # as the CLI runs it: SIGTERM is a stop request, not a kill
        result, _ = _run(tmp_path, window=SignalWindow(signum, at=90))
    assert result.interrupted and result.stop_signal == signum and not result.complete
    assert result.outcomes[0].report.partial and result.outcomes[0].report.frames == 90
    assert (result.folder / "routine.json").is_file()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers restored


def test_cli_a_missing_routine_file_or_mixed_cameras_is_one_line(tmp_path: Path):
    from typer.testing import CliRunner

    from feedback.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["routine", str(tmp_path / "nope.toml"), "--sessions-dir", str(tmp_path)])
    assert res.exit_code == 2
    assert (
        res.output.startswith("backform: Cannot read the routine file") and len(res.output.splitlines()) == 1
    )
    clip = str(_sample("plank_good.mp4"))
    res = runner.invoke(app, ["routine", "--camera", f"{clip},1", "--sessions-dir", str(tmp_path)])
    assert res.exit_code == 2
    assert "several values must all be video files" in res.output and len(res.output.splitlines()) == 1
    assert not any(tmp_path.iterdir())


def test_the_camera_ending_early_ends_the_routine(tmp_path: Path):
    result, engine = _run(tmp_path, frames=int(7 * FPS))
    assert result.camera_ended and not result.complete
    assert ROUTINE_COMPLETE not in engine.spoken
    assert result.folder is not None


def test_the_session_goes_into_the_history_with_pain_and_the_pain_stop(tmp_path: Path, monkeypatch):
    from feedback.history.paths import sessions_dir
    from feedback.history.store import HistoryStore
    from feedback.routine_cli import record_routine

    monkeypatch.setenv("BACKFORM_DATA_DIR", str(tmp_path / "data"))
    engine = FakeEngine()
    result = run_routine(
        RoutineOptions(TWO_HINGE_STEPS, show_window=True, sessions_dir=sessions_dir()),
        backends=fake_backends(hinge_schedule(10)),
        speech=engine,
        source_factory=lambda: FakeLiveSource(int(20 * FPS)),
        window=ScriptedWindow({250: [RoutineCommand.PAIN]}),
        estimator_warmup=False,
    )
    assert result.pain is not None and result.pain.set_no == 2
    with HistoryStore.open(write=True) as store:
        entry = record_routine(store, result, Comfort(pain_before=4, pain_after=6))
    with HistoryStore.open(write=False) as store:
        (stored,) = store.sessions()
    assert stored.uid == entry.uid == result.folder.name and stored.kind == "routine"
    assert (stored.comfort.pain_before, stored.comfort.pain_after) == (4, 6)
    assert stored.comfort.stopped_for_pain
    assert [r.exercise for r in stored.results] == ["hip-hinge"]


# -- end to end: three sample clips as one camera, MediaPipe, a real window under Xvfb -----------
E2E_CLIPS = (("catcow_good.mp4", "cat-cow"), ("hinge_good.mp4", "hip-hinge"), ("plank_good.mp4", "plank"))
PLANK_HOLD_S, PLANK_SETS = 1.0, 2


def _structure(spoken: list[str]) -> list[str]:
    """The routine's own words: announcements, counts, rests, set and routine complete."""
    keep = ("First: ", "Next: ", "Set ", "Rest ", ROUTINE_COMPLETE, READY)
    return [p for p in spoken if p.isdigit() or p.startswith(keep)]


def test_routine_from_clips_as_one_camera_matches_analyze(
    x_display: str, model_path: Path, tmp_path: Path, monkeypatch
):
    from test_live import PacedClip

    from feedback.analysis import AnalysisOutputs, analyze_video
    from feedback.history.paths import sessions_dir
    from feedback.history.store import HistoryStore
    from feedback.routine_cli import record_routine
    from feedback.routine_keys import RoutineWindow

    clips = [_sample(name) for name, _ in E2E_CLIPS]
    offline = {
        ex: analyze_video(clip, ex, AnalysisOutputs(report=None), model=model_path).report
        for clip, (_, ex) in zip(clips, E2E_CLIPS, strict=True)
    }
    cat_reps, hinge_reps = offline["cat-cow"].rep_count, offline["hip-hinge"].rep_count
    assert cat_reps >= 2 and hinge_reps >= 2 and offline["plank"].hold_s >= PLANK_SETS * PLANK_HOLD_S + 1
    routine = parse_routine(
        f"""
        name = "Clips"
        [[exercise]]
        exercise = "cat-cow"
        reps = {cat_reps}
        rest_s = 2
        [[exercise]]
        exercise = "hip-hinge"
        reps = {hinge_reps}
        [[exercise]]
        exercise = "plank"
        hold_s = {PLANK_HOLD_S}
        sets = {PLANK_SETS}
        rest_s = 1
        """
    )
    monkeypatch.setenv("BACKFORM_DATA_DIR", str(tmp_path / "data"))
    engine = FakeEngine()
    # Every other frame, by count (see test_live.PacedClip): the same frames on any machine.
    camera = lambda: ClipsAsCamera(clips, open_clip=lambda p: PacedClip(p, keep=2))  # noqa: E731
    options = RoutineOptions(routine, clips=tuple(clips), model=model_path, sessions_dir=sessions_dir())
    result = run_routine(
        options, speech=engine, source_factory=camera, window=RoutineWindow("backform-routine-e2e")
    )

    assert result.complete, (engine.spoken, result)
    # Each clip is the exercise announced: the recogniser notices no other exercise.
    assert not [p for p in engine.spoken if p.startswith("That looks like")], engine.spoken
    assert [o.mismatch for o in result.outcomes] == [[], [], []]
    cat_words = exercise_announcement(routine.steps[0], first=True)
    hinge_words = exercise_announcement(routine.steps[1], first=False)
    plank_words = exercise_announcement(routine.steps[2], first=False)
    assert _structure(engine.spoken) == [
        cat_words, READY, *map(str, range(1, cat_reps + 1)), "Set complete",
        "Rest 2 seconds", "1",
        hinge_words, READY, *map(str, range(1, hinge_reps + 1)), "Set complete",
        plank_words, READY, "Set complete",
        "Rest 1 second",
        "Set 2 of 2", READY, "Set complete",
        ROUTINE_COMPLETE,
    ], engine.spoken  # fmt: skip

    cat, hinge, plank = (o.report for o in result.outcomes)
    # Reps as `analyze` finds them on the same clips; faults only those it finds.
    assert cat.rep_count == cat_reps and hinge.rep_count == hinge_reps
    for live, ex in ((cat, "cat-cow"), (hinge, "hip-hinge")):
        assert set(live.fault_time_s) <= set(offline[ex].fault_time_s), ex
    # The plank: both holds reached, and no more held than `analyze` finds in the whole clip.
    assert [o.sets_done for o in result.outcomes] == [1, 1, PLANK_SETS]
    assert PLANK_SETS * PLANK_HOLD_S <= plank.hold_s <= offline["plank"].hold_s + 0.2

    saved = json.loads((result.folder / "routine.json").read_text())
    assert [e["reps"] for e in saved["exercises"]] == [cat_reps, hinge_reps, 0]
    assert saved["totals"]["reps"] == cat_reps + hinge_reps and saved["complete"]
    assert [e["mismatch"] for e in saved["exercises"]] == [[], [], []]
    with HistoryStore.open(write=True) as store:
        record_routine(store, result, Comfort(pain_before=3, pain_after=2))
        (stored,) = store.sessions()
    assert stored.kind == "routine" and [r.exercise for r in stored.results] == [
        "cat-cow",
        "hip-hinge",
        "plank",
    ]
    assert [r.reps for r in stored.results] == [cat_reps, hinge_reps, 0]
    assert (stored.comfort.pain_before, stored.comfort.pain_after) == (3, 2)
    assert os.environ["DISPLAY"] == x_display


def test_the_readme_example_file_is_a_valid_routine():
    from conftest import REPO

    readme = (REPO / "README.md").read_text()
    section = readme.split("## A routine", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    routine = parse_routine(example, "monday.toml")
    assert [s.exercise for s in routine.steps] == ["cat-cow", "plank", "hip-hinge"]
    error = section.split("e.g. `backform: ", 1)[1].split("`", 1)[0].replace("\n", " ")
    with pytest.raises(ConfigError) as err:
        parse_routine(example.replace("hold_s = 15", "reps = 15"), "monday.toml")
    assert str(err.value) == error


def test_cli_plays_clips_as_one_camera_and_records_the_session(x_display: str, tmp_path: Path):
    """`backform routine` as a user runs it: two clips (a comma list and a repeated --camera),
    real-time, a window under Xvfb; the session is saved and in the history."""
    from feedback.history.store import HistoryStore

    plan = tmp_path / "short.toml"
    plan.write_text(
        'name = "Short"\n[[exercise]]\nexercise = "hip-hinge"\nreps = 1\n'
        '[[exercise]]\nexercise = "plank"\nhold_s = 1\n'
    )
    data = tmp_path / "data"
    hinge, plank = _sample("hinge_good.mp4"), _sample("plank_good.mp4")
    run = subprocess.run(
        backform_command(
            "routine", plan, "--camera", f"{hinge},{plank}", "--camera", plank,
            "--no-voice", "--pain-before", "3", "--pain-after", "2",
        ),
        env=cli_env(BACKFORM_DATA_DIR=str(data), DISPLAY=x_display),
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "Short - " in run.stdout and "Totals: " in run.stdout
    assert "recorded (pain 3 → 2)" in run.stdout
    (folder,) = (data / "sessions").iterdir()
    saved = json.loads((folder / "routine.json").read_text())
    assert saved["routine"] == "Short" and [e["exercise"] for e in saved["exercises"]][:1] == ["hip-hinge"]
    with HistoryStore.open(root=data, write=False) as store:
        (stored,) = store.sessions()
    assert stored.kind == "routine" and stored.uid == folder.name
    assert stored.source is not None and stored.source.count(".mp4") == 3


def test_the_banner_shows_what_comes_next_until_ready(monkeypatch):
    import feedback.routine_screen as screen

    drawn: list[list[str]] = []
    monkeypatch.setattr(screen, "draw_box", lambda image, lines: drawn.append([t for t, _, _ in lines]))
    ready = False
    banner = screen.RoutineBanner(ready=lambda: ready)
    banner.show("Exercise 2 of 3: Hip hinge", "Set 1 of 1: 8 reps", "Next: 8 reps - get into position")
    frame = type("F", (), {"image": np.zeros((480, 640, 3), np.uint8)})()
    banner.consume(frame, None)
    ready = True
    banner.consume(frame, None)
    assert [lines[:2] for lines in drawn] == [
        ["Exercise 2 of 3: Hip hinge", "Next: 8 reps - get into position"],
        ["Exercise 2 of 3: Hip hinge", "Set 1 of 1: 8 reps"],
    ]
    assert all(lines[2].startswith("p: stop for pain") for lines in drawn)


def test_pain_key_at_the_camera_ends_the_session_at_once(x_display: str, model_path: Path, tmp_path: Path):
    """MediaPipe and the real window: `p` pressed on the 60th judged frame of cat-cow."""
    from test_live import PacedClip

    from feedback.routine_keys import RoutineWindow

    class PainAt60(RoutineWindow):
        calls = 0

        def show(self, image, wait_ms=1):
            commands = super().show(image, wait_ms)
            self.calls += 1  # call 1 is the "Starting..." screen
            return [*commands, RoutineCommand.PAIN] if self.calls == 61 else commands

    clips = (_sample("catcow_good.mp4"), _sample("hinge_good.mp4"))
    engine = FakeEngine()
    result = run_routine(
        RoutineOptions(DEFAULT_ROUTINE, clips=clips, model=model_path, sessions_dir=tmp_path / "sessions"),
        speech=engine,
        source_factory=lambda: ClipsAsCamera(clips, open_clip=lambda p: PacedClip(p, keep=2)),
        window=PainAt60("backform-routine-pain"),
    )
    assert result.pain is not None and (result.pain.exercise, result.pain.set_no) == ("cat-cow", 1)
    (outcome,) = result.outcomes
    assert outcome.report.frames == 60  # nothing judged after the key
    assert result.pain.session_s == pytest.approx(outcome.report.t_s[-1], abs=0.01)
    assert engine.spoken[0].startswith("First: cat-cow, 8 reps. ") and engine.spoken[-1] == PAIN_STOP
    saved = json.loads((result.folder / "routine.json").read_text())
    assert saved["stopped_for_pain"]["exercise"] == "cat-cow" and not saved["complete"]
    assert saved["stopped_for_pain"]["advice"] == PAIN_ADVICE


def test_pause_holds_the_rest_countdown(tmp_path: Path):
    # Set 1 ends at ~5 s (frame ~150); its 2 s rest is paused for 1 s of frames from frame 170.
    window = ScriptedWindow({170: [Command.PAUSE], 200: [Command.PAUSE]})
    result, engine = _run(tmp_path, window=window)
    assert result.complete
    t = np.asarray(result.outcomes[0].report.t_s)
    assert 2.9 < np.max(np.diff(t)) < 3.4  # 2 s of rest + 1 s paused between the two sets
    assert engine.spoken.count("Rest 2 seconds") == 2


def test_a_camera_failing_as_a_rest_begins_keeps_what_was_done(tmp_path: Path, monkeypatch):
    from feedback import routine_run
    from vision.errors import CameraError

    def camera_gone(self, seconds, next_text):
        raise CameraError("Camera 0 stopped delivering frames for 2 s (unplugged?).")

    monkeypatch.setattr(routine_run._Player, "_rest", camera_gone)
    result, _ = _run(tmp_path)
    assert result.camera_ended and not result.complete
    assert result.outcomes[0].sets_done == 1 and result.outcomes[0].report.rep_count == 2
    assert (result.folder / "01_hip-hinge" / "report.json").is_file()


def test_clips_as_one_camera_join_on_the_clips_timing_not_the_machines():
    # A loaded machine reaches the end of a clip late; the next clip's stamps must still carry
    # on one frame after the last (a gap there reads as a pause to a rest or a checker).
    import time

    def open_clip(path: Path) -> _ListSource:
        if path.stem == "100":
            time.sleep(0.3)  # opened late
        return _ListSource(int(path.stem), 5)

    camera = ClipsAsCamera([Path("10.mp4"), Path("100.mp4")], open_clip=open_clip)
    stamps = [f.t_ms for f in camera]
    assert len(stamps) == 10
    steps = np.diff(stamps)
    assert np.allclose(steps, 33.0, atol=1.0), steps
