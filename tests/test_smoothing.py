"""One Euro filter and PoseSmoother: less jitter when still, little lag when moving, clean restarts."""

from __future__ import annotations

import numpy as np
import pytest

from vision.landmarks import NUM_LANDMARKS
from vision.pose import Pose
from vision.smoothing import OneEuroFilter, PoseSmoother

FPS = 30.0
H = 480


def make_pose(t_ms, xy, visibility=1.0, track_id=1, size=(640, H)) -> Pose:
    xy = np.broadcast_to(np.asarray(xy, np.float32), (NUM_LANDMARKS, 2)).copy()
    vis = np.broadcast_to(np.asarray(visibility, np.float32), (NUM_LANDMARKS,)).copy()
    return Pose(
        xy=xy,
        world=np.zeros((NUM_LANDMARKS, 3), np.float32),
        visibility=vis,
        presence=np.ones(NUM_LANDMARKS, np.float32),
        t_ms=float(t_ms),
        frame_index=0,
        image_size=size,
        track_id=track_id,
    )


def run(smoother, points, times_ms, **kw):
    return np.array([smoother(make_pose(t, p, **kw)).xy[0] for p, t in zip(points, times_ms, strict=True)])


def test_static_point_jitter_is_reduced():
    rng = np.random.default_rng(1)
    n = 150
    noisy = np.array([320.0, 240.0]) + rng.normal(0, 2.0, (n, 2))  # MediaPipe-like jitter, px
    out = run(PoseSmoother(), noisy, np.arange(n) * 1000 / FPS)
    settled = out[30:]
    assert np.std(settled - [320, 240]) < np.std(noisy[30:] - [320, 240]) / 2.5
    assert np.abs(settled.mean(axis=0) - [320, 240]).max() < 1.0  # no bias


def test_moving_point_lags_little():
    # Constant 0.5 frame-heights per second (240 px/s at 480 p): a brisk hip hinge.
    t = np.arange(60) * 1000 / FPS
    truth = np.stack([100 + 240 * t / 1000, np.full_like(t, 200)], axis=1)
    out = run(PoseSmoother(), truth, t)
    lag = np.abs(out[20:, 0] - truth[20:, 0])
    assert lag.max() < 10.0  # about one frame of motion (8 px per frame here)

    # A fixed low-pass with the same stillness smoothing would trail by ~5 frames.
    plain = run(PoseSmoother(beta=0.0), truth, t)
    assert np.abs(plain[20:, 0] - truth[20:, 0]).max() > 3 * lag.max()


def test_irregular_frame_times_use_real_dt():
    # The same motion sampled at uneven times ends at the same place as at even times.
    even = np.arange(0, 1001, 50.0)
    uneven = np.array(sorted({0.0, 1000.0, *np.random.default_rng(3).uniform(0, 1000, 19).round(1)}))
    f = OneEuroFilter(min_cutoff=2.0, beta=0.0)
    a = [f(np.array([t / 10]), t / 1000)[0] for t in even]
    f.reset()
    b = [f(np.array([t / 10]), t / 1000)[0] for t in uneven]
    assert a[-1] == pytest.approx(b[-1], abs=1.5)  # both trail the ramp by ~ v * tau = 8 units


def test_gap_resets_the_filter():
    smoother = PoseSmoother()
    run(smoother, [[100, 100]] * 10, np.arange(10) * 33.3)
    after_short_gap = smoother(make_pose(300 + 200, [110, 110])).xy[0]
    assert 100 < after_short_gap[0] < 109  # same stream: still filtered
    after_long_gap = smoother(make_pose(500 + 800, [120, 120])).xy[0]
    np.testing.assert_allclose(after_long_gap, [120, 120])  # restarted: taken as is


def test_new_person_resets_the_filter():
    smoother = PoseSmoother()
    run(smoother, [[100, 100]] * 5, np.arange(5) * 33.3, track_id=1)
    out = smoother(make_pose(5 * 33.3, [500, 300], track_id=2)).xy[0]
    np.testing.assert_allclose(out, [500, 300])


def test_unseen_landmarks_do_not_drag():
    smoother = PoseSmoother()
    t = np.arange(10) * 33.3
    for ti in t:
        smoother(make_pose(ti, [200, 200]))
    jumped = np.full((NUM_LANDMARKS, 2), 200.0)
    jumped[:] = [300, 200]  # every landmark jumps 100 px ...
    vis = np.ones(NUM_LANDMARKS)
    vis[5] = 0.02  # ... but landmark 5 is barely visible
    out = smoother(make_pose(t[-1] + 33.3, jumped, visibility=vis)).xy
    moved = out[:, 0] - 200
    assert moved[5] < 0.15 * moved[0]
    assert moved[0] > 10


def test_none_passes_through_and_repeated_time_holds():
    smoother = PoseSmoother()
    assert smoother(None) is None
    first = smoother(make_pose(0, [10, 10]))
    np.testing.assert_allclose(first.xy[0], [10, 10])
    f = OneEuroFilter(beta=1.0)
    f(np.array([1.0, 2.0]), 0.0)
    np.testing.assert_allclose(f(np.array([5.0, 5.0]), 0.0), [1.0, 2.0])


def test_filter_is_elementwise_on_any_shape():
    f = OneEuroFilter(min_cutoff=1.0, beta=0.5)
    x0 = np.zeros((4, 33, 3))
    f(x0, 0.0)
    x1 = np.ones((4, 33, 3))
    x1[2] = 10.0
    y = f(x1, 1 / 30)
    assert y.shape == (4, 33, 3)
    assert np.all(y[2] > y[0]) and np.all(y < x1) and np.all(y > 0)
    np.testing.assert_allclose(y[0], y[1])


def test_world_coordinates_are_smoothed_too():
    smoother = PoseSmoother()
    p0 = make_pose(0, [100, 100])
    smoother(p0)
    p1 = make_pose(33.3, [100, 100]).replace(world=np.full((NUM_LANDMARKS, 3), 0.2, np.float32))
    out = smoother(p1)
    assert np.all((out.world > 0) & (out.world < 0.2))
    assert out.visibility is p1.visibility and out.mask is p1.mask


def test_invalid_parameters():
    with pytest.raises(ValueError):
        OneEuroFilter(min_cutoff=0.0)
