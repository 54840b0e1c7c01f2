"""The default routine (issue 14), played whole from sample clips as one camera.

The very `DEFAULT_ROUTINE` object a user gets runs through MediaPipe into the real routine
window under Xvfb, voice through a fake engine. Its targets are longer than any sample, so:
cat-cow and hip hinge play their good clip as many times in a row as the 8 reps need (by
what `analyze` counts in one play), and the plank plays a long hold built from
plank_good.mp4 (tests/long_plank.py) that lasts the three 20 s holds and the two 30 s rests
(the rests take camera frames too). Every other frame is judged, by count
(test_live.PacedClip), so what is judged does not depend on how busy the machine is; it
plays at the clips' real rate, so this takes about as long as the routine: ~3.5 minutes.

Its own file so that pytest-xdist (`--dist loadfile`) can run it beside test_routine.py.
"""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import numpy as np
from cli_helpers import backform_command, cli_env
from long_plank import write_long_plank
from test_live import PacedClip, _sample
from test_routine import _structure

from feedback.history.records import Comfort
from feedback.live import READY
from feedback.routine_camera import ClipsAsCamera
from feedback.routine_plan import DEFAULT_ROUTINE, ROUTINE_COMPLETE, Step, exercise_announcement
from feedback.routine_run import RoutineOptions, run_routine
from feedback.session import Report
from feedback.voice import FakeEngine

REP_CLIPS = {"cat-cow": "catcow_good.mp4", "hip-hinge": "hinge_good.mp4"}
# The long plank: 2 s into the plank, then every set's hold and rest, each set with this much
# more for getting settled (a set starts counting its hold only once in position). Frames
# left over are never played: the routine ends at its last hold.
SETTLE_S = 4.0
KEEP = 2  # every other frame judged (PacedClip)


def plank_seconds(step: Step) -> float:
    return 2.0 + step.sets * ((step.hold_s or 0.0) + SETTLE_S) + (step.sets - 1) * step.rest_s


class LoggedCamera(ClipsAsCamera):
    """ClipsAsCamera noting, for every frame handed out, which clip and which frame of it it
    is: the routine's reports are on the camera's timeline, this maps them back to the clips."""

    def __init__(self, paths, **kw) -> None:
        self.log: list[tuple[float, int, int]] = []  # (camera t_ms, clip number, frame in the clip)
        super().__init__(paths, **kw)

    def __iter__(self):
        for frame in super().__iter__():
            self.log.append((frame.t_ms, self.clip_index, frame.source_index))
            yield frame


class ClipTime:
    """Live report times -> (clip number, seconds into that clip)."""

    def __init__(self, camera: LoggedCamera, first: Report, fps: float) -> None:
        log = np.asarray(camera.log)
        self.t_ms, self.clip, self.frame = log[:, 0], log[:, 1].astype(int), log[:, 2]
        self.fps = fps
        # The session clock is the camera's moved by a constant: the first frame judged is
        # the first the camera handed out.
        self.offset_ms = first.t_s[0] * 1000.0 - self.t_ms[0]

    def __call__(self, t_s: float) -> tuple[int, float]:
        # Checkers may date an event between two judged frames: from the nearest one.
        after_ms = t_s * 1000.0 - (self.t_ms + self.offset_ms)
        i = int(np.argmin(np.abs(after_ms)))
        assert abs(after_ms[i]) <= KEEP * 1000.0 / self.fps, t_s  # by a frame the camera handed out
        return int(self.clip[i]), float(self.frame[i] / self.fps + after_ms[i] / 1000.0)


def _fault_codes(report) -> set[str]:
    if isinstance(report, Report):
        return set(report.fault_time_s) | {c for r in report.reps for c in r.faults}
    return set(report["fault_time_s"]) | {c for r in report["reps"] for c in r["faults"]}


def test_the_default_routine_played_whole_from_sample_clips(
    x_display: str, model_path: Path, tmp_path: Path, monkeypatch
):
    from feedback import routine_run
    from feedback.analysis import AnalysisOutputs, analyze_video
    from feedback.history.paths import sessions_dir
    from feedback.history.store import HistoryStore
    from feedback.routine_cli import record_routine
    from feedback.routine_keys import RoutineWindow

    cat_step, hinge_step, plank_step = DEFAULT_ROUTINE.steps
    assert (cat_step.exercise, hinge_step.exercise, plank_step.exercise) == ("cat-cow", "hip-hinge", "plank")
    plank_clip = write_long_plank(tmp_path / "long_plank.mp4", plank_seconds(plank_step))
    # `analyze` of the long plank takes as long as the routine: in a process of its own meanwhile.
    plank_json = tmp_path / "long_plank.json"
    plank_analysis = subprocess.Popen(
        backform_command(
            "analyze", plank_clip, "-e", "plank", "--no-video", "--no-html", "-r", plank_json,
            "--plot", tmp_path / "long_plank.png",
        ),
        env=cli_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        offline = {
            ex: analyze_video(_sample(name), ex, AnalysisOutputs(report=None), model=model_path).report
            for ex, name in REP_CLIPS.items()
        }
        # As many plays as the 8 reps need: the routine moves on at the target, and the rest
        # of the last play is the next exercise's setup.
        plays = {
            s.exercise: math.ceil(s.reps / offline[s.exercise].rep_count) for s in (cat_step, hinge_step)
        }
        clips = [
            *[_sample(REP_CLIPS["cat-cow"])] * plays["cat-cow"],
            *[_sample(REP_CLIPS["hip-hinge"])] * plays["hip-hinge"],
            plank_clip,
        ]
        rest_screens: list[tuple[int, str]] = []
        rest_shots: dict[int, np.ndarray] = {}
        real_rest_image = routine_run.rest_image

        def rest_image(image, seconds_left, next_text, mirror=False):
            shown = real_rest_image(image, seconds_left, next_text, mirror)
            if seconds_left not in rest_shots:
                rest_shots[seconds_left] = shown
            rest_screens.append((seconds_left, next_text))
            return shown

        monkeypatch.setattr(routine_run, "rest_image", rest_image)
        monkeypatch.setenv("BACKFORM_DATA_DIR", str(tmp_path / "data"))
        cameras: list[LoggedCamera] = []

        def camera() -> LoggedCamera:
            cameras.append(LoggedCamera(clips, open_clip=lambda p: PacedClip(p, keep=KEEP)))
            return cameras[-1]

        engine = FakeEngine()
        options = RoutineOptions(
            DEFAULT_ROUTINE, clips=tuple(clips), model=model_path, sessions_dir=sessions_dir()
        )
        result = run_routine(
            options, speech=engine, source_factory=camera, window=RoutineWindow("backform-routine-default")
        )
        _, plank_err = plank_analysis.communicate(timeout=900)  # a deadline, not a pace
    finally:
        if plank_analysis.poll() is None:
            plank_analysis.kill()
            plank_analysis.wait()
    assert plank_analysis.returncode == 0, plank_err
    offline_plank = json.loads(plank_json.read_text())
    _save_for_review(tmp_path, rest_shots)

    (tmp_path / "spoken.json").write_text(json.dumps(engine.spoken, indent=1))  # to read on failure
    assert result.complete, (engine.spoken, result)
    cat, hinge, plank = (o.report for o in result.outcomes)
    (played,) = cameras
    clip_time = ClipTime(played, cat, fps=played.info.fps)
    # No rest follows cat-cow, and its clip goes on with cat-cow after the 8th rep: the routine
    # notices that during the hip hinge's setup (rightly) until the hinge clip is under way;
    # nothing else is taken for another exercise.
    noticed = [p for p in engine.spoken if p.startswith("That looks like")]
    assert noticed == ["That looks like a cat-cow. Now: hip hinge"], engine.spoken
    hinge_at = engine.spoken.index(exercise_announcement(hinge_step, first=False))
    assert hinge_at < engine.spoken.index(noticed[0]) < engine.spoken.index("1", hinge_at)
    (span,) = result.outcomes[1].mismatch
    assert span.seen == "cat-cow" and hinge.t_s[0] <= span.start_s, span
    assert clip_time(span.start_s)[0] == plays["cat-cow"] - 1, span  # the last cat-cow play
    end_clip, end_s = clip_time(span.end_s)
    assert end_clip == plays["cat-cow"] and end_s < offline["hip-hinge"].reps[0].end_s, (span, end_s)
    assert not result.outcomes[0].mismatch and not result.outcomes[2].mismatch
    # The spoken sequence, in the default routine's own words.
    assert exercise_announcement(cat_step, first=True).startswith("First: cat-cow, 8 reps. ")
    assert exercise_announcement(hinge_step, first=False).startswith("Next: hip hinge, 8 reps. ")
    assert exercise_announcement(plank_step, first=False).startswith("Next: plank, 3 holds of 20 seconds. ")
    counts = [str(n) for n in range(1, 9)]
    rest = ["Rest 30 seconds", "20", "10", "3", "2", "1"]
    assert _structure(engine.spoken) == [
        exercise_announcement(cat_step, first=True), READY, *counts, "Set complete",
        exercise_announcement(hinge_step, first=False), READY, *counts, "Set complete",
        exercise_announcement(plank_step, first=False), READY, "Set complete",
        *rest,
        "Set 2 of 3", READY, "Set complete",
        *rest,
        "Set 3 of 3", READY, "Set complete",
        ROUTINE_COMPLETE,
    ], engine.spoken  # fmt: skip
    # The rest screen counts 30 down to 1 once a second, twice, and says what comes next.
    shown = [s for i, s in enumerate(rest_screens) if i == 0 or s != rest_screens[i - 1]]
    assert shown == [
        *[(n, "Next: plank, set 2 of 3") for n in range(30, 0, -1)],
        *[(n, "Next: plank, set 3 of 3") for n in range(30, 0, -1)],
    ], shown

    assert [o.sets_done for o in result.outcomes] == [1, 1, 3]
    assert not any(o.skipped for o in result.outcomes)
    _reps_are_analyzes(cat, offline["cat-cow"], clip_time, first_clip=0, target=cat_step.reps)
    _reps_are_analyzes(
        hinge, offline["hip-hinge"], clip_time, first_clip=plays["cat-cow"], target=hinge_step.reps
    )
    for live, ex in ((cat, "cat-cow"), (hinge, "hip-hinge")):
        assert _fault_codes(live) <= _fault_codes(offline[ex]), ex
    assert _fault_codes(plank) <= _fault_codes(offline_plank)
    _holds_are_analyzes(plank, offline_plank, clip_time, plank_clip=len(clips) - 1, step=plank_step)

    saved = json.loads((result.folder / "routine.json").read_text())
    assert saved["complete"] and saved["stopped_for_pain"] is None
    assert [e["exercise"] for e in saved["exercises"]] == ["cat-cow", "hip-hinge", "plank"]
    assert [e["reps"] for e in saved["exercises"]] == [8, 8, 0]
    assert saved["totals"]["reps"] == 16 and saved["totals"]["sets_done"] == 5
    with HistoryStore.open(write=True) as store:
        record_routine(store, result, Comfort(pain_before=3, pain_after=2))
    with HistoryStore.open(write=False) as store:
        (stored,) = store.sessions()
    assert stored.kind == "routine" and stored.uid == result.folder.name
    assert [(r.exercise, r.reps) for r in stored.results] == [("cat-cow", 8), ("hip-hinge", 8), ("plank", 0)]
    assert (stored.comfort.pain_before, stored.comfort.pain_after) == (3, 2)


def _reps_are_analyzes(live: Report, offline: Report, clip_time: ClipTime, first_clip: int, target: int):
    """The live reps are `analyze`'s on each play of the clip, in order, up to the target: each
    ends within a few frames of where `analyze` ends it (every other frame is judged live)."""
    assert live.rep_count == target
    per_play = [r.end_s for r in offline.reps]
    expected = [(first_clip + k // len(per_play), per_play[k % len(per_play)]) for k in range(target)]
    ends = [clip_time(r.end_s) for r in live.reps]
    assert [c for c, _ in ends] == [c for c, _ in expected], (ends, expected)
    for (_, at), (_, want) in zip(ends, expected, strict=True):
        assert abs(at - want) <= 0.2, (ends, expected)


def _holds_are_analyzes(live: Report, offline: dict, clip_time: ClipTime, plank_clip: int, step: Step):
    """Three holds of at least 20 s, each inside a hold `analyze` finds in the long plank, and
    no more held in all than `analyze` finds in the part of it that was played."""
    holds = [h for h in live.holds if h.duration_s > 0]
    assert len(holds) == step.sets, live.holds
    found = [(h["start_s"], h["end_s"]) for h in offline["holds"]]
    last_played = 0.0
    for hold in holds:
        assert hold.duration_s >= step.hold_s, live.holds
        # A hold ends one judged frame after its last one (every KEEP-th of the clip's frames).
        (c0, start), (c1, last) = clip_time(hold.start_s), clip_time(hold.end_s - KEEP / clip_time.fps)
        assert c0 == c1 == plank_clip, live.holds
        end = last + KEEP / clip_time.fps
        assert any(s - 0.2 <= start and end <= e + 0.2 for s, e in found), (hold, found)
        last_played = max(last_played, end)
    held_offline = sum(max(0.0, min(e, last_played) - s) for s, e in found)
    assert step.sets * step.hold_s <= live.hold_s <= held_offline + 0.2, (live.hold_s, held_offline)


def _save_for_review(folder: Path, shots: dict[int, np.ndarray]) -> None:
    """The first rest screen drawn for some seconds-left values, as PNG (to look at)."""
    import cv2

    for seconds in (30, 10, 3):
        if seconds in shots:
            cv2.imwrite(str(folder / f"rest_{seconds:02d}.png"), shots[seconds])
