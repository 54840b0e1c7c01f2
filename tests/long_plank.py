"""A long continuous plank built from samples/plank_good.mp4, for playing a routine's 20 s holds.

The sample is 7 s: 2 s getting into a high plank, then a 5 s good hold. The hold is made as
long as asked by playing its frames forwards, then backwards, then forwards again
(ping-pong): the body barely moves while held, and reversing a slow motion keeps it
continuous, so there is no jump a checker could read as a new movement. Written at the
sample's own frame rate; where the hold starts comes from the sample's labels (the
scenario's kneel and rise times), not from a number typed here.
"""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import SAMPLES

from feedback.video_out import VideoWriter
from vision.sources import open_video

PLANK_SAMPLE = SAMPLES / "plank_good.mp4"


def ping_pong(n: int, held_from: int, total: int) -> list[int]:
    """`total` frame numbers: 0..n-1 once, then back and forth over held_from..n-1."""
    if not 0 <= held_from < n - 1:
        raise ValueError(f"the held stretch {held_from}..{n - 1} is too short to play back and forth")
    order = list(range(min(n, total)))
    backwards = True
    while len(order) < total:
        stretch = range(n - 2, held_from - 1, -1) if backwards else range(held_from + 1, n)
        order += list(stretch)[: total - len(order)]
        backwards = not backwards
    return order


def held_from_frame(sample: Path = PLANK_SAMPLE) -> tuple[int, float]:
    """(first frame of the held plank, frame rate) from the sample's labels."""
    labels = json.loads(sample.with_suffix(".labels.json").read_text())
    motion, fps = labels["scenario"]["motion"], float(labels["fps"])
    return round((motion["kneel_s"] + motion["rise_s"]) * fps), fps


def write_long_plank(out: Path, seconds: float, sample: Path = PLANK_SAMPLE) -> Path:
    """The sample's way into the plank, then its hold ping-ponged to `seconds` in all."""
    held_from, fps = held_from_frame(sample)
    with open_video(sample) as video:
        images = [frame.image for frame in video]
    # crf 18, so the copy looks as the sample does to the pose model (it is re-encoded once).
    with VideoWriter(out, fps=fps, crf=18, preset="ultrafast") as writer:
        for i, k in enumerate(ping_pong(len(images), held_from, round(seconds * fps))):
            writer.write(images[k], i * 1000.0 / fps)
    return out
