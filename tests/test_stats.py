"""exercises.stats: the same floats as NumPy's median and percentile, bit for bit; the sample clock
that keeps frame-count windows to the time they were calibrated on."""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import pytest

from exercises.stats import SampleClock, SortedWindow, jitter, median, percentile_of_sorted


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 8, 9, 60, 61])
def test_median_is_numpys(n):
    rng = np.random.default_rng(n)
    for _ in range(50):
        values = list(rng.normal(0.05, 0.03, n)) + list(rng.integers(-3, 3, n).astype(float))[: n // 3]
        assert median(values) == float(np.median(values))


def test_median_of_nan_and_of_nothing():
    assert math.isnan(median([1.0, math.nan, 2.0]))
    with pytest.raises(ValueError):
        median([])


@pytest.mark.parametrize("q", [10, 90, 50, 0, 100, 33.3])
def test_percentile_of_a_sliding_window_is_numpys(q):
    rng = np.random.default_rng(7)
    window = SortedWindow(37)
    recent: list[float] = []
    for v in np.round(rng.normal(10.0, 5.0, 400), 1):  # rounded: ties, and removals of them
        window.append(v)
        recent = [*recent, float(v)][-37:]
        assert len(window) == len(recent)
        assert window.percentile(q) == float(np.percentile(recent, q))
    window.clear()
    assert len(window) == 0


def test_percentile_of_one_value():
    assert percentile_of_sorted([4.5], 10) == 4.5


def test_a_window_bounded_by_the_caller_drops_its_oldest_values():
    # Unbounded by count, the caller evicts (a window of the last N seconds at any frame rate).
    rng = np.random.default_rng(3)
    window = SortedWindow(None)
    recent: list[float] = []
    for i, v in enumerate(np.round(rng.normal(0.0, 0.05, 300), 2)):  # ties too
        window.append(v)
        recent.append(float(v))
        while len(recent) > 20 + (i % 7):
            assert window.popleft() == recent.pop(0)
        assert len(window) == len(recent)
        assert window.percentile(10) == float(np.percentile(recent, 10))


def _movement(fps: float, seconds: float = 3.0) -> list[tuple[float, float]]:
    """(t_ms, value) of one movement sampled at `fps`: a 70 deg hinge over 2.5 s plus 0.8 deg of
    noise keyed to the instant, so 60 fps sees the 30 fps samples and new ones between them."""
    out = []
    for i in range(round(seconds * fps)):
        t = 1000.0 * i / fps
        noise = np.random.default_rng(round(t * 1000.0)).normal(0.0, 0.8)
        out.append((t, 35.0 - 35.0 * math.cos(2.0 * math.pi * t / 2500.0) + noise))
    return out


def _noise_over_samples(stream: list[tuple[float, float]]) -> float | None:
    clock, history = SampleClock(), deque(maxlen=60)  # as the checkers' noise gates keep them
    for t, v in stream:
        if clock.take(t):
            history.append(v)
    return jitter(history)


@pytest.mark.parametrize("low, high", [(30.0, 60.0), (25.0, 50.0)])
def test_a_noise_gate_reads_the_same_movement_alike_at_two_frame_rates(low, high):
    calibrated = _noise_over_samples(_movement(low))
    assert calibrated is not None
    assert _noise_over_samples(_movement(high)) == pytest.approx(calibrated, rel=1e-9)
    # Every frame of the faster stream, the last 60 of them, reads another noise: half the
    # time span and a quarter of the movement between samples.
    every_frame = jitter([v for _, v in _movement(high)][-60:])
    assert every_frame != pytest.approx(calibrated, rel=0.05)


def test_the_sample_clock_takes_every_frame_up_to_40_fps():
    for fps in (15.0, 24.0, 25.0, 29.97, 30.0, 40.0):
        clock = SampleClock()
        assert all(clock.take(round(1000.0 * i / fps)) for i in range(300)), fps  # ms stamps
    clock = SampleClock()
    assert [clock.take(1000.0 * i / 60.0) for i in range(6)] == [True, False, True, False, True, False]
    assert clock.take(0.0)  # time going back (a new stream) starts afresh
    clock.reset()
    assert clock.take(90.0)
