"""Landmark smoothing: the One Euro filter (Casiez, Roussel & Vogel, CHI 2012), vectorised.

A first-order low-pass whose cutoff rises with the signal's speed: still joints get heavy
smoothing (no jitter in angles), moving joints get little (no lag at the bottom of a
rep). Time comes from the frames' timestamps, so dropped frames and variable frame
rates are filtered correctly.
"""

from __future__ import annotations

import math

import numpy as np

from vision.pose import Pose


def _alpha(dt_s: float, cutoff_hz: np.ndarray | float) -> np.ndarray | float:
    """Smoothing factor of an exponential low-pass with the given cutoff for one step of dt."""
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt_s)


class OneEuroFilter:
    """One Euro filter over a whole array at once (any shape; every element independent).

    min_cutoff (Hz): cutoff when still; lower = less jitter, more lag at slow speeds.
    beta: how fast the cutoff grows with speed (per unit of the signal per second).
    d_cutoff (Hz): cutoff of the speed estimate itself.
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 0.0, d_cutoff: float = 1.0) -> None:
        if min_cutoff <= 0 or d_cutoff <= 0 or beta < 0:
            raise ValueError("One Euro filter needs min_cutoff > 0, d_cutoff > 0 and beta >= 0")
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self.reset()

    def reset(self) -> None:
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None

    def __call__(self, x: np.ndarray, t_s: float, confidence: np.ndarray | None = None) -> np.ndarray:
        """Filtered value of `x` observed at time `t_s` (seconds).

        confidence (0..1, broadcastable to x) scales how much this observation may move
        the estimate: 0 holds the previous value, 1 is the plain One Euro update.
        """
        x = np.asarray(x, dtype=np.float64)
        if self._x is None or self._x.shape != x.shape:
            self._x = x.copy()
            self._dx = np.zeros_like(x)
            self._t = t_s
            return x.copy()
        dt = t_s - self._t
        if dt <= 0:  # repeated timestamp: nothing new to filter
            return self._x.copy()
        weight = 1.0 if confidence is None else np.clip(confidence, 0.0, 1.0)
        speed = (x - self._x) / dt
        self._dx += weight * _alpha(dt, self.d_cutoff) * (speed - self._dx)
        cutoff = self.min_cutoff + self.beta * np.abs(self._dx)
        self._x += weight * _alpha(dt, cutoff) * (x - self._x)
        self._t = t_s
        return self._x.copy()


class PoseSmoother:
    """Smooths a stream of `Pose`s: pixel landmarks and world landmarks.

    Pixel coordinates are filtered in units of the frame height, so the defaults behave
    the same at any resolution; world coordinates are in metres. Landmarks MediaPipe is
    unsure about (low visibility/presence) move the estimate less, so an occluded limb
    does not drag it around. The filter restarts after a gap longer than `max_gap_ms`,
    when the tracked person changes (`pose.track_id`), or when the frame size changes.
    Visibility, presence and the mask pass through unfiltered.
    """

    def __init__(
        self,
        min_cutoff: float = 1.0,
        beta: float = 10.0,
        d_cutoff: float = 1.0,
        max_gap_ms: float = 500.0,
        confident_visibility: float = 0.5,
        min_weight: float = 0.1,
    ) -> None:
        self.max_gap_ms = max_gap_ms
        self.confident_visibility = confident_visibility
        self.min_weight = min_weight
        self._xy = OneEuroFilter(min_cutoff, beta, d_cutoff)
        self._world = OneEuroFilter(min_cutoff, beta, d_cutoff)
        self._last: tuple[float, object, tuple[int, int]] | None = None

    def reset(self) -> None:
        self._xy.reset()
        self._world.reset()
        self._last = None

    def __call__(self, pose: Pose | None) -> Pose | None:
        if pose is None:
            return None
        track = pose.track_id
        if self._last is not None:
            last_t, last_track, last_size = self._last
            gap = pose.t_ms - last_t
            if gap > self.max_gap_ms or gap <= 0 or track != last_track or pose.image_size != last_size:
                self.reset()
        self._last = (pose.t_ms, track, pose.image_size)

        seen = np.minimum(pose.visibility, pose.presence).astype(np.float64)
        weight = np.clip(seen / self.confident_visibility, self.min_weight, 1.0)[:, None]
        t_s = pose.t_ms / 1000.0
        height = float(pose.image_size[1])
        xy = self._xy(pose.xy / height, t_s, weight) * height
        world = self._world(pose.world, t_s, weight)
        return pose.replace(xy=xy.astype(np.float32), world=world.astype(np.float32))
