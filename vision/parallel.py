"""Pose estimation spread over several cores for offline analysis.

MediaPipe runs a pose model on one core and releases the GIL while it does, so K estimators
in K threads give close to K times the throughput (measured on 2 cores at 640x480: 47 frames/s
with one estimator, 2 x 46 with two). Frames are dealt in runs of CHUNK consecutive frames:
estimator k tracks runs k, k+K, ..., each at the video's own frame rate. (Dealing single
frames round-robin made each tracker see every K-th frame: at 15 fps that is 7.5 fps, and
VIDEO-mode tracking then lost fast hinges and small cat-cow movements on the stress clips.)
Before each run, the estimator is shown the WARMUP frames just before it (results unused),
so it picks the person up where the other tracker was. Results come back in frame order
with a bounded look-ahead, so memory stays flat however long the video is.

Live mode does not use this: a camera delivers one frame at a time and latency matters there,
not throughput.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any, Protocol

from vision.estimator import PeopleCount, PoseEstimator, PoseEstimatorOptions
from vision.pose import Pose


class FrameLike(Protocol):
    image: Any
    t_ms: float
    index: int


CHUNK = 24  # consecutive frames per estimator: 0.8-1.6 s of continuous tracking
WARMUP = 2  # frames before each run shown to its estimator first (~8% more inference)


def default_workers() -> int:
    """One estimator per core, at most two: the rest of the pipeline needs CPU too."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(2, cores))


class EstimatorPool:
    """K PoseEstimators behind the single-estimator interface, plus an ordered `stream()`.

    `estimate()` (one frame at a time) uses the first estimator only; `stream(frames)`
    yields `(frame, pose, wait_s)` in frame order, where wait_s is how long the caller waited
    for that pose (the pipeline's "estimate" time).
    """

    def __init__(
        self,
        options: PoseEstimatorOptions,
        workers: int | None = None,
        factory: Callable[[PoseEstimatorOptions], Any] = PoseEstimator,
    ) -> None:
        self.options = options
        self.workers = workers or default_workers()
        # Only the first estimator counts people (its frames are the candidates), so one
        # counting model is loaded, not one per estimator.
        quiet = replace(options, people_check_ms=None)
        every = [options] + [quiet] * (self.workers - 1)
        # Model loading releases the GIL too: load them side by side.
        with ThreadPoolExecutor(self.workers, thread_name_prefix="pose-load") as loader:
            loading = [loader.submit(factory, o) for o in every]
        self._estimators: list[Any] = [f.result() for f in loading if f.exception() is None]
        failed = next((f.exception() for f in loading if f.exception() is not None), None)
        if failed is not None:
            self.close()
            raise failed
        # Counts are decided as frames are dealt, before any pose is known: on a fixed interval.
        self._people = PeopleCount.for_options(options, idle=False)

    @property
    def estimators(self) -> tuple[Any, ...]:
        return tuple(self._estimators)

    def estimate(self, image_bgr: Any, t_ms: float, frame_index: int) -> Pose | None:
        return self._estimators[0].estimate(image_bgr, t_ms, frame_index)

    def stream(
        self, frames: Iterable[FrameLike], lookahead: int | None = None
    ) -> Iterator[tuple[Any, Pose | None, float]]:
        """Estimate poses for `frames` on all estimators; yield them in order as they finish."""
        k_all = self.workers
        chunk = CHUNK if k_all > 1 else 1
        ahead = lookahead or k_all * chunk + k_all
        executors = [ThreadPoolExecutor(1, thread_name_prefix=f"pose{k}") for k in range(k_all)]
        pending: deque[tuple[Any, Future]] = deque()
        recent: deque[Any] = deque(maxlen=WARMUP)  # the frames just before the current one

        def collect() -> tuple[Any, Pose | None, float]:
            frame, pose, waited = _oldest(pending)
            return frame, self._people.apply(pose), waited

        try:
            for n, frame in enumerate(frames):
                k = (n // chunk) % k_all
                estimator = self._estimators[k]
                if k_all > 1 and n % chunk == 0 and n > 0:
                    for prior in recent:  # warm-up: where the person was, results unused
                        executors[k].submit(
                            estimator.estimate_raw, prior.image, prior.t_ms, prior.index, False
                        )
                count = k == 0 and self._people.due(frame.t_ms)
                future = executors[k].submit(
                    estimator.estimate_raw, frame.image, frame.t_ms, frame.index, count
                )
                pending.append((frame, future))
                recent.append(frame)
                if len(pending) > ahead:
                    yield collect()
            while pending:
                yield collect()
        finally:
            _drop(pending, executors)

    def close(self) -> None:
        for estimator in self._estimators:
            estimator.close()
        self._estimators = []

    def __enter__(self) -> EstimatorPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class WorkAhead:
    """One estimator that can run a few frames ahead on its own thread, behind the same interface.

    MediaPipe infers on its own graph threads while the caller waits, and everything else a
    frame needs (decoding the next frame, judging, drawing, H.264) waits for it in turn, so a
    video runs on one core at a time. That is right while other videos keep the other cores
    busy (a batch worker's CPU time is ~100 % of its wall time, in series), but a batch's last
    video, once it runs alone, leaves a core idle. From the first frame for which `when()` is
    true on, the next frames' poses are estimated on a thread while the caller works on the
    current one. Results are those of the plain estimator, bit for bit: the one estimator sees
    every frame, in order, one call at a time (its tracking and people-count schedule are
    unchanged); only the thread it is called from changes.
    """

    def __init__(self, estimator: Any, when: Callable[[], bool] = lambda: True, lookahead: int = 2) -> None:
        self.inner = estimator
        self.when = when
        # Frames in flight: enough to keep the estimator busy while the caller handles one
        # frame (a frame takes ~4 ms outside inference, a pose ~17 ms); each holds a picture.
        self.lookahead = max(1, lookahead)

    def estimate(self, image_bgr: Any, t_ms: float, frame_index: int) -> Pose | None:
        return self.inner.estimate(image_bgr, t_ms, frame_index)

    def stream(self, frames: Iterable[FrameLike]) -> Iterator[tuple[Any, Pose | None, float]]:
        """`(frame, pose, wait_s)` in frame order; wait_s: how long the caller waited for it."""
        executor: ThreadPoolExecutor | None = None
        pending: deque[tuple[Any, Future]] = deque()
        try:
            for frame in frames:
                if executor is None and not self.when():  # in series, in this thread
                    t0 = time.perf_counter()
                    pose = self.inner.estimate(frame.image, frame.t_ms, frame.index)
                    yield frame, pose, time.perf_counter() - t0
                    continue
                if executor is None:
                    executor = ThreadPoolExecutor(1, thread_name_prefix="pose-ahead")
                future = executor.submit(self.inner.estimate, frame.image, frame.t_ms, frame.index)
                pending.append((frame, future))
                if len(pending) > self.lookahead:
                    yield _oldest(pending)
            while pending:
                yield _oldest(pending)
        finally:
            _drop(pending, [executor] if executor is not None else [])

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, name: str) -> Any:  # reset(), options, ... of the estimator
        return getattr(self.inner, name)

    def __enter__(self) -> WorkAhead:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _oldest(pending: deque[tuple[Any, Future]]) -> tuple[Any, Pose | None, float]:
    """The oldest frame in flight with its pose, and how long the caller waited for it."""
    frame, future = pending.popleft()
    t0 = time.perf_counter()
    pose = future.result()
    return frame, pose, time.perf_counter() - t0


def _drop(pending: deque[tuple[Any, Future]], executors: list[ThreadPoolExecutor]) -> None:
    """Early exit (Ctrl+C, an error downstream): queued frames are dropped, those being
    estimated finish before the estimators can be closed, and no thread is left behind."""
    for _, future in pending:
        future.cancel()
    for executor in executors:
        executor.shutdown(wait=True)
