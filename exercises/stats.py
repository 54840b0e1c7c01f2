"""Order statistics of short windows, computed per frame without NumPy's per-call overhead.

`np.median` and `np.percentile` cost 50-500 us a call on a deque (conversion, partition,
dispatch); a checker took several per frame. These return the same float, bit for bit, as
`float(np.median(values))` and `float(np.percentile(values, q))` (NumPy's default linear
method) for finite values: the same elements and the same arithmetic in the same order.
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterable, Sequence


def median(values: Iterable[float]) -> float:
    """float(np.median(values)); NaN for a window holding NaN, as NumPy gives."""
    s = sorted(values)
    n = len(s)
    if n == 0:
        raise ValueError("median of nothing")
    total = sum(s)  # NaN if a NaN is in the window (or +inf meets -inf): then look closer
    if total != total and any(v != v for v in s):
        return math.nan
    mid = n // 2
    if n % 2:
        return float(s[mid])
    return (float(s[mid - 1]) + float(s[mid])) / 2.0


def percentile_of_sorted(s: Sequence[float], q: float) -> float:
    """float(np.percentile(s, q)) for values already sorted ascending (NumPy's linear method:
    virtual index (n - 1) q / 100, then its two-sided lerp)."""
    n = len(s)
    if n == 0:
        raise ValueError("percentile of nothing")
    virtual = (n - 1) * (q / 100)
    if virtual >= n - 1:
        return float(s[-1])
    if virtual < 0:
        return float(s[0])
    prev = math.floor(virtual)
    a, b = float(s[prev]), float(s[prev + 1])
    gamma = virtual - prev
    diff = b - a
    return b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma


class SortedWindow:
    """The last `maxlen` values, also kept sorted, so a percentile costs a lookup rather than a
    sort of the whole window every frame. Values must be finite."""

    def __init__(self, maxlen: int | None) -> None:
        self._recent: deque[float] = deque(maxlen=maxlen)  # None: the caller evicts (popleft)
        self._sorted: list[float] = []

    def __len__(self) -> int:
        return len(self._recent)

    def append(self, value: float) -> None:
        value = float(value)
        if len(self._recent) == self._recent.maxlen:
            del self._sorted[bisect_left(self._sorted, self._recent[0])]
        self._recent.append(value)
        insort(self._sorted, value)

    def popleft(self) -> float:
        """Drop the oldest value (for windows bounded by time rather than by count)."""
        value = self._recent.popleft()
        del self._sorted[bisect_left(self._sorted, value)]
        return value

    def clear(self) -> None:
        self._recent.clear()
        self._sorted.clear()

    def percentile(self, q: float) -> float:
        return percentile_of_sorted(self._sorted, q)


# The checkers' windows counted in frames (medians over the last N frames, noise from the
# second differences of the last N frames) were calibrated on 15-30 fps footage (renders at
# 15 and 30 fps, real clips at 25-30). Sampled more densely, N frames span less time and a
# median rides on fewer independent readings: a real 25 fps RDL played as 50 fps (every frame
# twice) halved the standing-outline window and the 5-frame rounding median and reported a
# rounded back the 25 fps clip does not. The histories therefore take a frame only once
# MIN_SAMPLE_MS has passed since the last one they took: at up to 40 fps every frame (as
# calibrated, unchanged), at 50-60 fps every second one, so N samples span the time they
# span at 25-30 fps and second differences see the same movement between samples.
MIN_SAMPLE_MS = 25.0


class SampleClock:
    """Whether a frame is a sample of the histories (see MIN_SAMPLE_MS)."""

    def __init__(self, min_spacing_ms: float = MIN_SAMPLE_MS) -> None:
        self.min_spacing_ms = min_spacing_ms
        self._last_ms: float | None = None

    def take(self, t_ms: float) -> bool:
        """True (and counted) if t_ms is at least min_spacing_ms after the last frame taken; a
        time that goes back (a new stream) starts afresh."""
        last = self._last_ms
        if last is not None and 0.0 <= t_ms - last < self.min_spacing_ms:
            return False
        self._last_ms = t_ms
        return True

    def reset(self) -> None:
        self._last_ms = None


def within_noise(values: Sequence[float], limit: float, *, unknown: bool) -> bool:
    """The signal's own frame-to-frame noise (see `jitter`) is at most `limit`; `unknown` is
    the answer while there are too few values to know it (each gate says which it needs)."""
    noise = jitter(values)
    return unknown if noise is None else noise <= limit


def jitter(values: Sequence[float]) -> float | None:
    """Frame-to-frame noise of a signal: a robust SD from its second differences, which a
    smooth movement leaves near zero (white noise of SD s gives s). None below 8 values."""
    if len(values) < 8:
        return None
    v = [float(x) for x in values]
    d2 = [v[i + 2] - 2.0 * v[i + 1] + v[i] for i in range(len(v) - 2)]
    m = median(d2)
    return 1.4826 * median(abs(d - m) for d in d2) / math.sqrt(6.0)
