"""back_bow on synthetic segmentation masks whose back outline bows by a known amount."""

from __future__ import annotations

import numpy as np
import pytest

from tests import synthetic as sy
from vision.landmarks import Landmark
from vision.silhouette import back_bow, back_profile, dorsal_normal

POSTURES = {
    "standing": lambda bow: sy.replace(sy.STANDING, back_bow=bow),
    "hinge": lambda bow: sy.hinge(80.0, 20.0, back_bow=bow),
    "quadruped": lambda bow: sy.quadruped(spine=bow),
    "plank": lambda bow: sy.replace(sy.plank(), back_bow=bow),
}


def measure(posture, facing=1, near="left", scale=1.0, **cam):
    # Supersampled masks: exact soft edges, so the tolerance below is the method's, not the drawing's.
    r = sy.Render(
        camera=sy.Camera(facing=facing, near=near, **cam), mask=True, mask_scale=scale, mask_supersample=4
    )
    p = sy.render(posture, r)
    side = near.upper()
    s, h = p.xy[Landmark[f"{side}_SHOULDER"]], p.xy[Landmark[f"{side}_HIP"]]
    return back_bow(p.mask, s, h, facing, p.image_size), p


@pytest.mark.parametrize("name", list(POSTURES))
@pytest.mark.parametrize("facing", [1, -1])
@pytest.mark.parametrize("bow", [-0.08, -0.04, 0.0, 0.04, 0.08])
def test_bow_is_recovered_in_every_posture_and_facing(name, facing, bow):
    got, _ = measure(POSTURES[name](bow), facing=facing)
    assert got == pytest.approx(bow, abs=0.008)


@pytest.mark.parametrize("bow", [-0.06, 0.0, 0.06])
def test_half_resolution_mask_gives_the_same_answer(bow):
    full, _ = measure(sy.hinge(back_bow=bow))
    half, p = measure(sy.hinge(back_bow=bow), scale=0.5)
    assert p.mask.shape == (240, 320)
    assert half == pytest.approx(bow, abs=0.012)
    assert half == pytest.approx(full, abs=0.012)


def test_wrong_scaling_would_be_caught():
    # Without image_size the half-resolution mask is read at frame coordinates: nonsense.
    _, p = measure(sy.hinge(back_bow=0.06), scale=0.5)
    s, h = p.xy[Landmark.LEFT_SHOULDER], p.xy[Landmark.LEFT_HIP]
    unscaled = back_bow(p.mask, s, h, 1)
    assert unscaled is None or abs(unscaled - 0.06) > 0.02


def test_sign_follows_facing():
    # Telling back_bow the person faces the other way reads the belly outline: a rounded back
    # must then not come out as rounded.
    got, p = measure(sy.hinge(back_bow=0.08), facing=1)
    s, h = p.xy[Landmark.LEFT_SHOULDER], p.xy[Landmark.LEFT_HIP]
    wrong = back_bow(p.mask, s, h, -1, p.image_size)
    assert got == pytest.approx(0.08, abs=0.008)
    assert wrong is None or wrong < 0.03


def test_dorsal_normal_points_out_of_the_back():
    # Standing facing +x: the back is at -x. Hinged facing +x (shoulder ahead of hip): up (-y).
    assert np.allclose(dorsal_normal([0, -10], [0, 0], 1), [-1, 0])
    assert np.allclose(dorsal_normal([10, 0], [0, 0], 1), [0, -1])
    assert np.allclose(dorsal_normal([-10, 0], [0, 0], -1), [0, -1])


def test_profile_offsets_are_behind_the_joint_line():
    _, p = measure(sy.hinge(back_bow=0.0))
    _, off = back_profile(p.mask, p.xy[Landmark.LEFT_SHOULDER], p.xy[Landmark.LEFT_HIP], 1, p.image_size)
    assert np.all(np.isfinite(off))
    # back_depth 0.10 m over a 0.52 m torso
    assert np.median(off) == pytest.approx(0.10 / 0.52, abs=0.02)


def test_unmeasurable_cases_return_none():
    _, p = measure(sy.hinge())
    s, h = p.xy[Landmark.LEFT_SHOULDER], p.xy[Landmark.LEFT_HIP]
    assert back_bow(None, s, h, 1) is None
    assert back_bow(p.mask, s, h, 0, p.image_size) is None  # facing unknown
    assert back_bow(p.mask, h + np.array([3.0, 0.0]), h, 1, p.image_size) is None  # torso of 3 px
    assert back_bow(np.zeros_like(p.mask), s, h, 1, p.image_size) is None  # nobody in the mask
    assert back_bow(np.ones_like(p.mask), s, h, 1, p.image_size) is None  # no edge anywhere


def test_back_running_off_the_frame_is_not_guessed():
    # Crop so the back leaves the top of the image: the cuts hit the border, not skin.
    r = sy.Render(camera=sy.Camera(floor_y=330.0), mask=True)
    p = sy.render(sy.hinge(back_bow=0.06), r)
    m = p.mask.copy()
    s, h = p.xy[Landmark.LEFT_SHOULDER], p.xy[Landmark.LEFT_HIP]
    top = int(min(s[1], h[1])) - 12
    cropped = m[top:, :]
    shift = np.array([0.0, top])
    got = back_bow(cropped, s - shift, h - shift, 1)
    assert got is None


def test_an_arm_behind_the_back_does_not_join_the_outline():
    # A separate blob (a hand resting behind) beyond the skin must not be read as the back.
    bow, p = measure(sy.hinge(back_bow=0.0))
    m = p.mask.copy()
    s, h = p.xy[Landmark.LEFT_SHOULDER], p.xy[Landmark.LEFT_HIP]
    mid = (s + h) / 2
    y = int(mid[1] - 60)
    m[y - 6 : y + 6, int(mid[0]) - 10 : int(mid[0]) + 10] = 1.0
    assert back_bow(m, s, h, 1, p.image_size) == pytest.approx(bow, abs=0.01)


def test_an_outline_broken_by_a_prop_is_not_read_as_a_curve():
    # A weight plate held against the lower back adds a bump no spine has: no bow, rather
    # than a "rounded back" read off the plate's rim.
    flat, p = measure(sy.hinge(back_bow=0.0))
    m = p.mask.copy()
    s, h = p.xy[Landmark.LEFT_SHOULDER], p.xy[Landmark.LEFT_HIP]
    length = float(np.linalg.norm(s - h))
    centre = h + 0.35 * (s - h) + 0.12 * length * dorsal_normal(s, h, 1)
    yy, xx = np.mgrid[0 : m.shape[0], 0 : m.shape[1]]
    m[(xx - centre[0]) ** 2 + (yy - centre[1]) ** 2 <= (0.22 * length) ** 2] = 1.0
    assert flat == pytest.approx(0.0, abs=0.008)
    assert back_bow(m, s, h, 1, p.image_size) is None
