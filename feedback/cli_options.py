"""Command-line options shared by `backform live` and `backform routine`, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


class LiveCliOptions:
    """`backform live`'s options, declared once here so the command reads short."""

    Exercise = Annotated[
        str | None,
        typer.Option(
            "--exercise",
            "-e",
            metavar="EXERCISE",
            help="One of {exercises}. Omitted (or 'auto'): recognise it, say it, switch with you.",
        ),
    ]
    Camera = Annotated[
        str, typer.Option("--camera", "-c", help="Camera number (0 = default webcam) or a video file.")
    ]
    TargetReps = Annotated[
        int | None, typer.Option("--target-reps", help="Reps in the set: 'Set complete' and finish there.")
    ]
    TargetHold = Annotated[
        float | None, typer.Option("--target-hold", help="Held exercises: seconds of good hold for the set.")
    ]
    Voice = Annotated[bool, typer.Option("--voice/--no-voice", help="Spoken cues (offline speech).")]
    Record = Annotated[
        Path | None, typer.Option("--record", help="Also save what the window shows as an H.264 video.")
    ]
    Mirror = Annotated[bool, typer.Option("--mirror", help="Show the picture mirrored.")]
    Debug = Annotated[bool, typer.Option("--debug", help="Show frame rate and latency in a corner.")]
    KeepGoing = Annotated[
        bool, typer.Option("--keep-going", help="Carry on after the target instead of finishing.")
    ]
    Model = Annotated[Path | None, typer.Option("--model", help="Pose model .task file.", readable=False)]
    Thresholds = Annotated[
        Path | None, typer.Option("--thresholds", help="TOML file overriding thresholds.", readable=False)
    ]
    Smooth = Annotated[bool, typer.Option("--smooth", help="Smooth landmarks (One Euro) before judging.")]
    Clip = Annotated[Path | None, typer.Option("--clip", hidden=True)]
    SessionsDir = Annotated[Path | None, typer.Option("--sessions-dir", hidden=True)]


class RoutineCliOptions:
    """`backform routine`'s own argument and camera option (the rest are live's)."""

    RoutineFile = Annotated[
        Path | None,
        typer.Argument(
            metavar="[ROUTINE.toml]",
            help="A routine from your physio (TOML) [default: cat-cow 8, hip hinge 8, plank 3 x 20 s].",
            readable=False,
        ),
    ]
    Cameras = Annotated[
        list[str],
        typer.Option(
            "--camera",
            "-c",
            help="Camera number (0 = default webcam), or video files played one after another as the "
            "camera: repeat --camera or give a comma list.",
        ),
    ]
