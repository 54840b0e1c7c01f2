"""The one frame loop, shared by offline analysis and live mode.

source -> estimator -> (smoother) -> checker -> sinks. The loop knows nothing about drawing,
files or windows: everything that consumes results is a sink with `consume(frame, assessment)`
and `close()`. Sinks run in list order on the same frame, so a sink that draws on
`frame.image` in place (the overlay) must come before the sinks that show or encode it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from exercises.base import Assessment, Checker, EventKind
from feedback.stopping import signum_of, stop_requests
from vision.pose import Pose


@runtime_checkable
class FrameLike(Protocol):
    image: Any  # (H, W, 3) uint8 BGR
    t_ms: float
    index: int


@runtime_checkable
class Sink(Protocol):
    def consume(self, frame: FrameLike, assessment: Assessment) -> None: ...

    def close(self) -> None: ...


class StopPipeline(Exception):
    """Raised by a sink or `on_frame` to end the loop early and cleanly (user pressed `q`)."""


class PoseSource(Protocol):
    """Anything with estimate(); one that also has stream(frames) -> (frame, pose, wait_s)
    (vision.parallel.EstimatorPool) gets the whole source at once and may work ahead."""

    def estimate(self, image_bgr: Any, t_ms: float, frame_index: int) -> Pose | None: ...


def _posed_frames(
    source: Iterable[FrameLike], estimator: PoseSource
) -> Iterator[tuple[Any, Pose | None, float]]:
    stream = getattr(estimator, "stream", None)
    if stream is not None:
        yield from stream(source)
        return
    clock = time.perf_counter
    for frame in source:
        t0 = clock()
        pose = estimator.estimate(frame.image, frame.t_ms, frame.index)
        yield frame, pose, clock() - t0


@dataclass
class StageTimes:
    """Wall time spent per stage, seconds (for benchmarks and the report's processing figures)."""

    estimate_s: float = 0.0
    smooth_s: float = 0.0
    check_s: float = 0.0
    sinks_s: dict[str, float] = field(default_factory=dict)


@dataclass
class PipelineResult:
    frames: int = 0
    frames_with_pose: int = 0
    first_t_ms: float | None = None
    last_t_ms: float | None = None
    interrupted: bool = False  # Ctrl+C: outputs were closed normally and hold a partial session
    stop_signal: int | None = None  # the signal that interrupted it (SIGINT, SIGTERM, SIGHUP)
    stopped: bool = False  # a sink asked to stop (StopPipeline)
    wall_s: float = 0.0
    times: StageTimes = field(default_factory=StageTimes)
    last: Assessment | None = None

    @property
    def fps(self) -> float:
        return self.frames / self.wall_s if self.wall_s > 0 else 0.0


def run_pipeline(
    source: Iterable[FrameLike],
    estimator: PoseSource,
    checker: Checker,
    sinks: Sequence[Sink],
    smoother: Callable[[Pose], Pose] | None = None,
    on_frame: Callable[[FrameLike, Assessment], None] | None = None,
    smoother_reset_after_ms: float = 500.0,
) -> PipelineResult:
    """Run every frame of `source` through the chain; always closes the sinks.

    Ctrl+C (or SIGTERM/SIGHUP, see feedback.stopping) and StopPipeline end the loop and close
    the sinks normally so their outputs stay valid; any other exception aborts sinks that can
    abort (deleting half-written files) and propagates. In the main thread the first stop
    signal lets the current frame reach every sink before stopping (report and video agree
    frame for frame); a second one interrupts at once.
    """
    loop = _FrameLoop(checker, sinks, smoother, on_frame, smoother_reset_after_ms)
    result = loop.result
    started = time.perf_counter()
    try:
        # closing(): worker threads of a parallel estimator stop before the caller closes it.
        with (
            stop_requests() as stop_requested,
            contextlib.closing(_posed_frames(source, estimator)) as posed,
        ):
            for frame, pose, estimate_s in posed:
                loop.step(frame, pose, estimate_s)
                if (signum := stop_requested()) is not None:
                    result.interrupted, result.stop_signal = True, signum
                    break
    except KeyboardInterrupt as stop:
        result.interrupted, result.stop_signal = True, signum_of(stop)
    except StopPipeline:
        result.stopped = True
    except BaseException:
        _abort_all(sinks)
        raise
    finally:
        result.wall_s = time.perf_counter() - started
    _finish(checker, result, sinks)
    _close_all(sinks)
    return result


class _FrameLoop:
    """One frame's way through smoother, checker and sinks, timed per stage into `result`."""

    def __init__(
        self,
        checker: Checker,
        sinks: Sequence[Sink],
        smoother: Callable[[Pose], Pose] | None,
        on_frame: Callable[[FrameLike, Assessment], None] | None,
        smoother_reset_after_ms: float,
    ) -> None:
        self.checker, self.sinks, self.smoother, self.on_frame = checker, sinks, smoother, on_frame
        self.reset_after_ms = smoother_reset_after_ms
        self.result = PipelineResult()
        self.names = [type(s).__name__ for s in sinks]
        for name in self.names:
            self.result.times.sinks_s.setdefault(name, 0.0)
        self.last_pose_ms: float | None = None

    def step(self, frame: FrameLike, pose: Pose | None, estimate_s: float) -> None:
        clock, times, result = time.perf_counter, self.result.times, self.result
        t1 = clock()
        if pose is not None and self.smoother is not None:
            # After a long gap the filter's memory is of another moment: start afresh.
            if self.last_pose_ms is not None and frame.t_ms - self.last_pose_ms > self.reset_after_ms:
                getattr(self.smoother, "reset", lambda: None)()
            pose = self.smoother(pose)
        t2 = clock()
        assessment = self.checker.update(pose, frame.t_ms, frame.index)
        t3 = clock()
        times.estimate_s += estimate_s
        times.smooth_s += t2 - t1
        times.check_s += t3 - t2
        if pose is not None:
            self.last_pose_ms = frame.t_ms
            result.frames_with_pose += 1
        result.frames += 1
        if result.first_t_ms is None:
            result.first_t_ms = frame.t_ms
        result.last_t_ms = frame.t_ms
        result.last = assessment
        for name, sink in zip(self.names, self.sinks, strict=True):
            s0 = clock()
            sink.consume(frame, assessment)
            times.sinks_s[name] += clock() - s0
        if self.on_frame is not None:
            self.on_frame(frame, assessment)


def _finish(checker: Checker, result: PipelineResult, sinks: Sequence[Sink]) -> None:
    """End of stream: the checker's last events (e.g. a cat-cow peak held to the end) go to
    the sinks that keep a record (`consume_final`); nothing is drawn for them."""
    if result.last is None or result.last_t_ms is None:
        return
    events = checker.finish(result.last_t_ms)
    if not events:
        return
    completed = sum(e.kind is EventKind.REP_COMPLETED for e in events)
    final = dataclasses.replace(
        result.last, events=tuple(events), rep_count=result.last.rep_count + completed
    )
    result.last = final
    for sink in sinks:
        consume_final = getattr(sink, "consume_final", None)
        if consume_final is not None:
            consume_final(final)


def _close_all(sinks: Sequence[Sink]) -> None:
    """Close every sink even if one fails; then raise the first failure."""
    first: BaseException | None = None
    for i, sink in enumerate(sinks):
        try:
            sink.close()
        except BaseException as err:
            first = first or err
            _abort_all(sinks[i + 1 :])
            break
    if first is not None:
        raise first


def _abort_all(sinks: Sequence[Sink]) -> None:
    for sink in sinks:
        abort = getattr(sink, "abort", None)
        with contextlib.suppress(Exception):  # already failing; keep tearing down the rest
            abort() if abort is not None else sink.close()
