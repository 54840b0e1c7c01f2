"""EstimatorPool: runs of consecutive frames dealt over several estimators, results back in order."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from vision.estimator import PeopleCount, PoseEstimatorOptions
from vision.parallel import EstimatorPool, WorkAhead, default_workers
from vision.pose import Pose
from vision.sources import open_video

REPO = Path(__file__).resolve().parent.parent
CLIP = REPO / "samples" / "hinge_good.mp4"


@dataclass
class F:
    image: np.ndarray
    t_ms: float
    index: int


def frames(n: int, step_ms: float = 33.3) -> list[F]:
    return [F(np.zeros((4, 4, 3), np.uint8), i * step_ms, i) for i in range(n)]


class RecordingEstimator:
    """Returns a pose per frame and records which frames (and threads) it was given."""

    instances: ClassVar[list[RecordingEstimator]] = []

    def __init__(self, options, delay_s: float = 0.0, fail_at: int | None = None) -> None:
        self.options = options
        self.seen: list[tuple[int, bool]] = []
        self.threads: set[str] = set()
        self.delay_s = delay_s
        self.fail_at = fail_at
        self.closed = False
        RecordingEstimator.instances.append(self)

    def estimate_raw(self, image, t_ms, frame_index, count_people=False):
        if frame_index == self.fail_at:
            raise RuntimeError("inference failed")
        time.sleep(self.delay_s * (1 + frame_index % 3))  # uneven: later frames may finish first
        self.seen.append((frame_index, count_people))
        self.threads.add(threading.current_thread().name)
        counted = (2 if frame_index >= 40 else 1) if count_people else None
        z = np.zeros
        xy, world = z((33, 2), np.float32), z((33, 3), np.float32)
        return Pose(xy, world, z(33), z(33), t_ms, frame_index, (4, 4), people_counted=counted)

    def estimate(self, image, t_ms, frame_index):
        return self.estimate_raw(image, t_ms, frame_index)

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def recording():
    RecordingEstimator.instances = []
    yield RecordingEstimator.instances


def make_pool(workers=2, **kw) -> EstimatorPool:
    options = PoseEstimatorOptions(Path("unused.task"))
    return EstimatorPool(options, workers, lambda o: RecordingEstimator(o, **kw))


def test_results_come_back_in_frame_order_from_every_estimator(recording):
    with make_pool(2, delay_s=0.002) as pool:
        out = list(pool.stream(frames(30)))
        first, second = pool.estimators
    assert [f.index for f, _, _ in out] == list(range(30))
    assert [p.frame_index for _, p, _ in out] == list(range(30))
    assert all(wait >= 0 for _, _, wait in out)
    # Each estimator tracks runs of 24 consecutive frames, in time order, on a thread of its
    # own; a run starts with the two frames before it (warm-up, results unused).
    assert [i for i, _ in first.seen] == list(range(24))
    assert [i for i, _ in second.seen] == [22, 23, *range(24, 30)]
    assert first.threads.isdisjoint(second.threads)
    assert all(e.closed for e in recording)


def test_people_counts_are_due_by_time_and_carried_in_order(recording):
    with make_pool(3) as pool:
        out = list(pool.stream(frames(90, step_ms=25.0)))  # 2.25 s
        first, *others = pool.estimators
    # Only the first estimator loads the counting model, and counts on its first own frame
    # after each 1000 ms of stream time (frames 0-23 and 72-89 are its; 70-71 warm it up).
    assert first.options.people_check_ms == 1000.0
    assert all(e.options.people_check_ms is None for e in others)
    assert [i for i, due in first.seen if due] == [0, 72]
    assert not any(due for e in others for _, due in e.seen)
    assert [p.people for _, p, _ in out] == [1] * 72 + [2] * 18


def test_stopping_early_leaves_no_thread_behind(recording):
    before = threading.active_count()
    with make_pool(2, delay_s=0.005) as pool:
        stream = pool.stream(frames(200))
        for n, _ in enumerate(stream):
            if n == 5:
                break
        stream.close()
        assert threading.active_count() == before
        done = sum(len(e.seen) for e in recording)
    assert done < 20  # the look-ahead is bounded: the pool did not run on through the clip


def test_a_failing_estimator_raises_in_the_caller(recording):
    with make_pool(2, fail_at=7) as pool, pytest.raises(RuntimeError, match="inference failed"):
        list(pool.stream(frames(20)))


def test_single_frame_estimate_uses_one_estimator(recording):
    with make_pool(2) as pool:
        assert pool.estimate(np.zeros((4, 4, 3), np.uint8), 0.0, 0).frame_index == 0
        assert [len(e.seen) for e in pool.estimators] == [1, 0]


def test_a_model_that_fails_to_load_closes_the_others(recording):
    calls = []

    def factory(options):
        calls.append(options)
        if len(calls) == 2:
            raise RuntimeError("cannot load")
        return RecordingEstimator(options)

    with pytest.raises(RuntimeError, match="cannot load"):
        EstimatorPool(PoseEstimatorOptions(Path("unused.task")), 2, factory)
    assert len(recording) == 1 and recording[0].closed


def test_default_workers_is_one_per_core_up_to_two():
    assert 1 <= default_workers() <= 2
    assert default_workers() == min(2, len(os.sched_getaffinity(0)))


def test_people_count_schedule():
    count = PeopleCount(1000.0)
    assert [count.due(t) for t in (0, 500, 999, 1000, 1500, 2100)] == [True, False, False, True, False, True]
    assert count.due(50.0)  # time went backwards (a new stream): count again
    assert not PeopleCount(None).due(0.0)


def test_people_count_waits_longer_while_alone_and_always_counts_a_finding():
    count = PeopleCount(1000.0, idle_ms=5000.0)
    assert [count.due(t) for t in (0, 1000, 4900)] == [True, False, False]
    assert count.due(5000)  # alone: every 5 s
    assert count.due(5100, found=True)  # the tracked person was (re)found: count now
    count.current = 2  # others in view: every second, to see them leave
    assert [count.due(t) for t in (5600, 6100, 6200)] == [False, True, False]


def test_work_ahead_runs_one_estimator_in_order_on_its_own_thread(recording):
    inner = RecordingEstimator(None, delay_s=0.001)
    out = list(WorkAhead(inner, lookahead=3).stream(frames(40)))
    assert [f.index for f, _, _ in out] == [p.frame_index for _, p, _ in out] == list(range(40))
    assert [i for i, _ in inner.seen] == list(range(40))  # every frame, in order
    assert len(inner.threads) == 1 and threading.current_thread().name not in inner.threads


def test_work_ahead_runs_in_series_in_the_callers_thread_until_told_to_go_ahead(recording):
    inner = RecordingEstimator(None)
    caller = threading.current_thread().name
    seen_threads: list[str] = []
    inner_estimate = inner.estimate

    def estimate(image, t_ms, frame_index):
        seen_threads.append(threading.current_thread().name)
        return inner_estimate(image, t_ms, frame_index)

    inner.estimate = estimate
    out = list(WorkAhead(inner, when=lambda: len(seen_threads) >= 10).stream(frames(30)))
    assert [p.frame_index for _, p, _ in out] == [i for i, _ in inner.seen] == list(range(30))
    assert seen_threads[:10] == [caller] * 10
    assert len(set(seen_threads[10:])) == 1 and caller not in seen_threads[10:]


def test_work_ahead_stops_early_with_a_bounded_look_ahead_and_no_thread_left(recording):
    before = threading.active_count()
    inner = RecordingEstimator(None, delay_s=0.002)
    with WorkAhead(inner, lookahead=2) as ahead:
        stream = ahead.stream(frames(200))
        for n, _ in enumerate(stream):
            if n == 5:
                break
        stream.close()
        assert threading.active_count() == before
        assert len(inner.seen) <= 6 + 2  # the frames taken and those in flight, no more
    assert inner.closed


def test_work_ahead_raises_an_estimator_failure_in_the_caller(recording):
    with pytest.raises(RuntimeError, match="inference failed"):
        list(WorkAhead(RecordingEstimator(None, fail_at=7)).stream(frames(20)))


# ------------------------------------------------------------------ with the real model


def _clip_and_single_estimator_poses(model_path, until_ms: float) -> tuple[list, list]:
    """The sample clip's frames up to `until_ms` and one plain estimator's poses for them."""
    from vision.estimator import PoseEstimator

    with open_video(CLIP) as video:
        clip = [F(f.image, f.t_ms, f.index) for f in video if f.t_ms < until_ms]
    with PoseEstimator(PoseEstimatorOptions(model_path)) as single:
        return clip, [single.estimate(f.image, f.t_ms, f.index) for f in clip]


def test_work_ahead_gives_the_plain_estimators_poses_bit_for_bit(model_path):
    from vision.estimator import PoseEstimator

    clip, ref = _clip_and_single_estimator_poses(model_path, 1500.0)
    options = PoseEstimatorOptions(model_path)
    asked = []  # in series for 10 frames, then ahead on its thread: the same poses either way
    with WorkAhead(PoseEstimator(options), when=lambda: len(asked) > 10 or asked.append(1)) as ahead:
        got = [p for _, p, _ in ahead.stream(clip)]
    assert all(p is not None for p in ref)
    for a, b in zip(ref, got, strict=True):
        assert np.array_equal(a.xy, b.xy) and np.array_equal(a.world, b.world)
        assert np.array_equal(a.visibility, b.visibility) and np.array_equal(a.mask, b.mask)
        assert (a.people, a.track_id, a.people_counted) == (b.people, b.track_id, b.people_counted)


def test_pool_matches_a_single_estimator_on_a_clip(model_path):
    clip, ref = _clip_and_single_estimator_poses(model_path, 2000.0)
    with EstimatorPool(PoseEstimatorOptions(model_path), workers=2) as pool:
        got = [p for _, p, _ in pool.stream(clip)]
    assert all(p is not None for p in ref + got)
    # Two trackers at 15 fps each see the same body as one at 30 fps: same landmarks within
    # a few pixels, same mask.
    err = [np.median(np.linalg.norm(a.xy - b.xy, axis=1)) for a, b in zip(ref, got, strict=True)]
    assert np.median(err) < 3.0 and max(err) < 8.0
    assert all(a.mask.shape == b.mask.shape for a, b in zip(ref, got, strict=True))
