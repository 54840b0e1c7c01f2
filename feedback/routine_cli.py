"""`backform routine [ROUTINE.toml]`: the command-line side of the routine.

Registered on the main app in feedback/cli.py; runs inside the CLI's `user_errors()`, so a
fault is one `backform:` line and its exit code. Heavy modules are imported inside.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from feedback.cli_options import LiveCliOptions, RoutineCliOptions
from feedback.history.commands import ComfortOptions

SHORT_HELP = "A whole routine at the camera: exercise after exercise, sets, rests."


def _cli():
    from feedback import cli

    return cli


def camera_sources(values: list[str]) -> tuple[int | str, tuple[Path, ...]]:
    """`--camera` values: (camera index or URL, ()) or (0, clips played one after another)."""
    from feedback.routine_camera import split_cameras
    from vision.errors import ConfigError

    chosen = [_cli()._camera_choice(v) for v in split_cameras(values)]
    if not chosen:
        raise ConfigError("--camera: give a camera number or video file(s).")
    if len(chosen) == 1:
        index, clip = chosen[0]
        return index, (clip,) if clip is not None else ()
    clips = tuple(clip for _, clip in chosen if clip is not None)
    if len(clips) != len(chosen):
        raise ConfigError("--camera: several values must all be video files (played one after another).")
    return 0, clips


def record_routine(store, result, comfort) -> Any:
    """The routine's session folder into the history, with "stopped for pain" if it was."""
    from dataclasses import replace

    from feedback.history.recording import record_live, record_session

    comfort = replace(comfort, stopped_for_pain=result.stopped_for_pain)
    if result.folder is None:
        return record_live(store, result, comfort)  # nobody seen: the answers go into the journal
    return record_session(store, Path(result.folder), "routine", comfort, result.source)


def routine(
    routine_file: RoutineCliOptions.RoutineFile = None,
    camera: RoutineCliOptions.Cameras = ["0"],  # noqa: B006 (typer reads the default; never mutated)
    voice: LiveCliOptions.Voice = True,
    mirror: LiveCliOptions.Mirror = False,
    debug: LiveCliOptions.Debug = False,
    model: LiveCliOptions.Model = None,
    thresholds: LiveCliOptions.Thresholds = None,
    smooth: LiveCliOptions.Smooth = False,
    sessions_dir: LiveCliOptions.SessionsDir = None,
    pain_before: ComfortOptions.PainBefore = None,
    pain_after: ComfortOptions.PainAfter = None,
    note: ComfortOptions.Note = None,
    tasks: ComfortOptions.Tasks = None,
    sleep: ComfortOptions.Sleep = None,
) -> None:
    """A whole routine in one live session: what comes next and how to get into position,
    sets with rests counted down, a summary per exercise; saved with your journal answers.

    Keys in the window: p stop for pain, n skip the exercise, r repeat the set,
    space pause, v voice, q/Esc finish and save.
    """
    cli = _cli()
    with cli.user_errors():
        with cli.ctrl_c_held():
            from feedback.history.paths import sessions_dir as history_sessions_dir
            from feedback.history.recording import comfort_from_options
            from feedback.routine_plan import DEFAULT_ROUTINE, load_routine
            from feedback.routine_run import RoutineOptions, run_routine
            from feedback.routine_summary import print_routine_summary
        plan = load_routine(routine_file) if routine_file is not None else DEFAULT_ROUTINE
        index, clips = camera_sources(camera)
        comfort, history = cli.start_journal(
            comfort_from_options(pain_before, pain_after, note, tasks, sleep), sessions_dir
        )
        options = RoutineOptions(
            plan,
            camera=index,
            clips=clips,
            voice=voice,
            mirror=mirror,
            debug=debug,
            model=model,
            thresholds=thresholds,
            smoothing=smooth,
            sessions_dir=sessions_dir if sessions_dir is not None else history_sessions_dir(),
        )
        result = run_routine(
            options, say=lambda line: cli.err_console.print(cli.escape(line), soft_wrap=True)
        )
        print_routine_summary(result, cli.out)
        _finish(cli, history, result, comfort)


def _finish(cli, history, result, comfort) -> None:
    """The history (answers asked after the session, then recorded), then the exit code."""
    if history is not None:
        from feedback.history.commands import record_and_advise

        with history:
            record_and_advise(
                history, result, comfort, cli.out, ask=not result.interrupted, record=record_routine
            )
    cli.end_of_session(result)
