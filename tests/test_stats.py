"""exercises.stats: the same floats as NumPy's median and percentile, bit for bit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from exercises.stats import SortedWindow, median, percentile_of_sorted


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
