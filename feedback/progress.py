"""Rich progress bar for offline runs: frames done / total, processing fps, ETA.

One line that fits the terminal (80 columns at least): the bar takes what the fixed parts
leave, and a long file name is shortened in the middle rather than wrapping the line.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from feedback.sinks import ProgressSink
from vision.sources import VideoInfo


class FpsColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:5.1f} fps" if speed else "  -   fps", style="progress.data.speed")


def shorten_middle(text: str, width: int) -> str:
    """`text` in at most `width` characters, cut in the middle (a name's start and extension stay)."""
    if len(text) <= width:
        return text
    if width <= 1:
        return text[:width]
    head = (width - 1) // 2 + (width - 1) % 2
    return text[:head] + "…" + text[len(text) - (width - 1 - head) :]


def layout(label: str, name: str, frames: int | None, width: int) -> tuple[str, int]:
    """(description, bar width) so that one progress line fits in `width` - 1 columns."""
    # One digit spare: a container's frame count is an estimate, the count done may pass it.
    digits = max(len(str(frames)) if frames else 0, 3) + 1
    # Between columns one space each: " M/N", " 123.4 fps", " ETA", " 0:00:00".
    fixed = (1 + 2 * digits + 1) + (1 + 9) + (1 + 3) + (1 + 7) + 1
    room = max(width - 1 - fixed, 24)  # name and bar
    bar = max(10, min(30, room - len(label) - 1 - len(name)))
    name = shorten_middle(name, max(8, room - bar - len(label) - 1))
    return f"{label} {name}", bar


def rich_progress(console: Console, label: str = "Analysing") -> Callable[[VideoInfo], ProgressSink]:
    """A ProgressFactory for `analyze_video`: one bar per run; silent when not on a terminal."""

    def factory(info: VideoInfo) -> ProgressSink:
        name = info.path.name if info.path else "video"
        description, bar = layout(label, name, info.frame_count, console.width)
        progress = Progress(
            TextColumn("[bold]{task.description}", markup=True),
            BarColumn(bar_width=bar),
            MofNCompleteColumn(),
            FpsColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            disable=not console.is_terminal,
            transient=False,
        )
        task = progress.add_task(escape(description), total=info.frame_count)
        progress.start()

        def advance(done: int, t_ms: float) -> None:
            progress.update(task, completed=done)

        def finish() -> None:
            progress.update(task, total=progress.tasks[0].completed)
            progress.stop()

        return ProgressSink(advance, finish)

    return factory
