"""Rich progress bar for offline runs: frames done / total, processing fps, ETA."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from feedback.sinks import ProgressSink
from vision.sources import VideoInfo


class FpsColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:5.1f} fps" if speed else "  -  fps", style="progress.data.speed")


def rich_progress(console: Console, label: str = "Analysing") -> Callable[[VideoInfo], ProgressSink]:
    """A ProgressFactory for `analyze_video`: one bar per run; silent when not on a terminal."""

    def factory(info: VideoInfo) -> ProgressSink:
        progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("frames"),
            FpsColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            disable=not console.is_terminal,
            transient=False,
        )
        name = info.path.name if info.path else "video"
        task = progress.add_task(f"{label} {name}", total=info.frame_count)
        progress.start()

        def advance(done: int, t_ms: float) -> None:
            progress.update(task, completed=done)

        def finish() -> None:
            progress.update(task, total=progress.tasks[0].completed)
            progress.stop()

        return ProgressSink(advance, finish)

    return factory
