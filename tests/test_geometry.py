"""Geometry on landmark arrays, against values worked out by hand (image y points down)."""

from __future__ import annotations

import numpy as np
import pytest

from vision.geometry import (
    drop_below_line,
    inclination_from_horizontal,
    inclination_from_vertical,
    joint_angle,
    line_deviation,
    midpoint,
    scale_to_mask,
    segment_length,
    signed_bend,
    signed_distance_from_line,
)


@pytest.mark.parametrize(
    ("a", "b", "c", "deg"),
    [
        ((0, 0), (1, 0), (2, 0), 180.0),  # straight
        ((0, 0), (1, 0), (1, 1), 90.0),
        ((1, 1), (0, 0), (1, 0), 45.0),
        ((2, 0), (0, 0), (-1, np.sqrt(3)), 120.0),
        ((0, 0, 0), (0, 0, 1), (0, 1, 1), 90.0),  # 3-D world landmarks
    ],
)
def test_joint_angle(a, b, c, deg):
    assert joint_angle(np.array(a, float), np.array(b, float), np.array(c, float)) == pytest.approx(deg)


def test_joint_angle_broadcasts_over_frames():
    # Knee angles over three frames: straight leg, right angle, 60 degree squat.
    hip = np.array([[0, 0], [0, 0], [0, 0]], float)
    knee = np.array([[0, 1], [0, 1], [0, 1]], float)
    ankle = np.array([[0, 2], [1, 1], [np.sin(np.radians(60)), 1 - np.cos(np.radians(60))]])
    np.testing.assert_allclose(joint_angle(hip, knee, ankle), [180, 90, 60], atol=1e-9)
    np.testing.assert_allclose(line_deviation(hip, knee, ankle), [0, 90, 120], atol=1e-9)


@pytest.mark.parametrize(
    ("lower", "upper", "deg"),
    [
        ((100, 200), (100, 100), 0.0),  # upright trunk
        ((100, 200), (200, 100), 45.0),  # leaning forward to +x
        ((100, 200), (0, 100), 45.0),  # leaning to -x: unsigned
        ((100, 200), (200, 200), 90.0),  # horizontal
        ((100, 200), (100, 300), 180.0),  # upside down
        ((0, 0), (1, -np.sqrt(3)), 30.0),
    ],
)
def test_inclination_from_vertical(lower, upper, deg):
    assert inclination_from_vertical(np.array(lower, float), np.array(upper, float)) == pytest.approx(deg)


@pytest.mark.parametrize(
    ("a", "b", "deg"),
    [((0, 0), (10, 0), 0.0), ((0, 0), (10, 10), 45.0), ((10, 0), (0, 10), 45.0), ((0, 0), (0, -5), 90.0)],
)
def test_inclination_from_horizontal(a, b, deg):
    assert inclination_from_horizontal(np.array(a, float), np.array(b, float)) == pytest.approx(deg)


def test_signed_distance_from_line():
    a, b = np.array([0.0, 0.0]), np.array([10.0, 0.0])  # pointing right on screen
    assert signed_distance_from_line(np.array([5.0, 3.0]), a, b) == pytest.approx(3.0)  # below = right side
    assert signed_distance_from_line(np.array([5.0, -2.0]), a, b) == pytest.approx(-2.0)
    assert signed_distance_from_line(np.array([5.0, 3.0]), b, a) == pytest.approx(-3.0)  # reversed line
    # Diagonal line y = x; the point (0, 2) is sqrt(2) away, on the left of a->b.
    d = signed_distance_from_line(np.array([0.0, 2.0]), np.array([0.0, 0.0]), np.array([1.0, 1.0]))
    assert d == pytest.approx(np.sqrt(2))
    # 3-D inputs use the image plane only.
    assert signed_distance_from_line(np.array([5.0, 3.0, 9.0]), np.r_[a, 0], np.r_[b, 4]) == pytest.approx(
        3.0
    )


def test_drop_below_line_is_order_independent():
    shoulder, ankle = np.array([100.0, 300.0]), np.array([500.0, 300.0])
    sag = np.array([300.0, 320.0])  # hip 20 px below the shoulder-ankle line
    pike = np.array([300.0, 260.0])  # hip 40 px above
    for a, b in ((shoulder, ankle), (ankle, shoulder)):
        assert drop_below_line(sag, a, b) == pytest.approx(20.0)
        assert drop_below_line(pike, a, b) == pytest.approx(-40.0)
    # Sloped line from (0,0) to (4,3): the point (4,0) lies above it by 12/5.
    assert drop_below_line(np.array([4.0, 0.0]), np.array([0.0, 0.0]), np.array([4.0, 3.0])) == pytest.approx(
        -2.4
    )


@pytest.mark.parametrize("facing", [1, -1])
def test_signed_bend_head_forward_is_positive(facing):
    hip, shoulder = np.array([0.0, 100.0]), np.array([0.0, 0.0])
    theta = np.radians(20)
    forward = np.array([facing * np.sin(theta), -np.cos(theta)]) * 30  # ear ahead of the trunk line
    assert signed_bend(hip, shoulder, shoulder + forward, facing) == pytest.approx(20.0)
    backward = np.array([-forward[0], forward[1]])
    assert signed_bend(hip, shoulder, shoulder + backward, facing) == pytest.approx(-20.0)
    assert signed_bend(hip, shoulder, np.array([0.0, -30.0]), facing) == pytest.approx(0.0)


def test_signed_bend_in_plank_head_drop():
    # Plank facing +x: hip -> shoulder points +x; the ear dropping towards the floor (+y) is +.
    hip, shoulder = np.array([100.0, 300.0]), np.array([300.0, 300.0])
    ear = shoulder + 40 * np.array([np.cos(np.radians(30)), np.sin(np.radians(30))])
    assert signed_bend(hip, shoulder, ear, 1) == pytest.approx(30.0)


def test_lengths_and_midpoints():
    assert segment_length(np.array([0.0, 0.0]), np.array([3.0, 4.0])) == pytest.approx(5.0)
    assert segment_length(np.zeros(3), np.array([1.0, 2.0, 2.0])) == pytest.approx(3.0)
    np.testing.assert_allclose(midpoint(np.array([0.0, 2.0]), np.array([4.0, 6.0])), [2.0, 4.0])
    np.testing.assert_allclose(segment_length(np.zeros((2, 2)), np.array([[3, 4], [6, 8]])), [5, 10])


def test_scale_to_mask():
    # A 1920x1080 frame segmented at 960x540: frame pixels halve.
    xy = np.array([[1919.0, 1079.0], [100.0, 50.0]])
    np.testing.assert_allclose(scale_to_mask(xy, (1920, 1080), (540, 960)), [[959.5, 539.5], [50.0, 25.0]])
    np.testing.assert_allclose(scale_to_mask(xy, (640, 480), (480, 640)), xy)
