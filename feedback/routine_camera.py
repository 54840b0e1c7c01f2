"""Several clips played one after another as one camera, so a whole routine can be run (and
tested) without a camera: one clip per exercise, each at its real frame rate."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from vision.sources import ClipAsCamera, Frame


class ClipsAsCamera:
    """Plays `paths` in order as one live source: one clock, one frame count.

    Each clip is opened when the one before it ends (so it starts playing then); frames
    are stamped on this source's clock, and each clip's stamps carry on one frame after the
    last clip's: the seam has the clips' own timing, not however long the machine took to
    get there (a loaded machine would otherwise open a gap there, which a routine's rest or a
    checker reads as a pause). Like any live source it can be iterated again after a
    consumer stopped (the routine iterates once per set): it carries on where it was.
    """

    def __init__(
        self,
        paths: Sequence[Path],
        realtime: bool = True,
        open_clip: Callable[[Path], Any] | None = None,
    ) -> None:
        if not paths:
            raise ValueError("no clips to play")
        self._paths = list(paths)
        self._open = open_clip or (lambda p: ClipAsCamera(p, realtime=realtime))
        self._t0 = time.monotonic()
        self._retired_dropped = 0
        self.delivered = 0
        self.clip_index = 0
        self._current: Any = None
        self._frames: Iterator[Any] | None = None
        self._offset_ms = 0.0
        self._stamps: list[float] = []  # the last two stamps handed out, for the next seam
        self._first_of_clip = False
        self._fps = 30.0
        self._start(0)
        self.info = self._current.info

    def _start(self, index: int) -> None:
        before_fps = self._fps
        self.clip_index = index
        self._current = self._open(self._paths[index])
        fps = float(getattr(getattr(self._current, "info", None), "fps", 0.0) or 0.0)
        self._fps = fps if fps > 0 else 30.0
        # The clip's stamps are on its own clock, zeroed when it opened: the first clip's go
        # onto ours as they are, the next ones carry on one frame interval after the last.
        if not self._stamps:
            self._offset_ms = self.clock_ms() - self._current.clock_ms()
            return
        step = self._stamps[-1] - self._stamps[0] if len(self._stamps) == 2 else 1000.0 / before_fps
        self._offset_ms = self._stamps[-1] + max(step, 1.0)
        self._first_of_clip = True

    def clock_ms(self) -> float:
        return (time.monotonic() - self._t0) * 1000.0

    @property
    def dropped(self) -> int:
        current = int(getattr(self._current, "dropped", 0)) if self._current is not None else 0
        return self._retired_dropped + current

    def __iter__(self) -> Iterator[Frame]:
        while self._current is not None:
            # One iterator per clip, kept across passes: a consumer that stops (the end of a
            # set) does not close it, so the next pass carries on with the next frame.
            if self._frames is None:
                self._frames = iter(self._current)
            for raw in self._frames:
                if self._first_of_clip:  # the seam: this clip's first stamp lands one step on
                    self._offset_ms -= raw.t_ms
                    self._first_of_clip = False
                t_ms = raw.t_ms + self._offset_ms
                self._stamps = [*self._stamps[-1:], t_ms]
                yield Frame(raw.image, t_ms, self.delivered, raw.source_index)
                self.delivered += 1
            self._retire()
            if self.clip_index + 1 < len(self._paths):
                self._start(self.clip_index + 1)

    def _retire(self) -> None:
        if self._current is not None:
            self._retired_dropped += int(getattr(self._current, "dropped", 0))
            self._current.close()
            self._current = None
            self._frames = None

    def close(self) -> None:
        self._retire()


def split_cameras(values: Sequence[str]) -> list[str]:
    """`--camera` values, each possibly a comma list: the cameras or clips, in order.

    A value that names an existing file is taken whole, so a file name with a comma works.
    """
    out: list[str] = []
    for value in values:
        if "," in value and not Path(value).expanduser().is_file():
            out += [v.strip() for v in value.split(",") if v.strip()]
        else:
            out.append(value)
    return out


class Continuing:
    """A live source iterated once per set: every pass carries on from the frame after the
    last one handed out (one iterator kept across passes), whatever the source does when
    iterated again. Other attributes (info, clock_ms, dropped, close) are the source's."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self._frames: Iterator[Any] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.source, name)

    def __iter__(self) -> Iterator[Any]:
        if self._frames is None:
            self._frames = iter(self.source)
        # Not `yield from`: that would close the kept iterator when this pass is stopped.
        for frame in self._frames:  # noqa: UP028
            yield frame
