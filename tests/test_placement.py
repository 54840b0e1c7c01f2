"""Panel placement: panels go where the body is not, and stay put while the body sways."""

from __future__ import annotations

import numpy as np
import pytest

from exercises.base import Assessment, Fault, Severity, ViewVerdict
from exercises.registry import spec_for
from feedback.cues import CueStage
from feedback.overlay import PALETTE, Overlay, Style, display_for
from feedback.placement import (
    Rect,
    SmoothedBox,
    StablePlacement,
    body_box,
    corners,
    least_covering,
    place,
)
from tests.feedback_fakes import stick_pose
from vision.landmarks import NUM_LANDMARKS

OK = ViewVerdict(True, "left", None, 1)
GREY = 96


def test_rect_overlap_and_area():
    a = Rect(0, 0, 10, 10)
    assert a.area == 100
    assert a.overlap(Rect(5, 5, 20, 20)) == 25
    assert a.overlap(Rect(10, 0, 20, 10)) == 0  # touching edges share nothing
    assert Rect.at(3, 4, 5, 6) == Rect(3, 4, 8, 10)


def test_place_picks_the_candidate_hiding_least_of_the_body_ties_to_the_first():
    spots = corners(720, 1280, 200, 100, 10)  # TL, TR, BL, BR
    assert place(spots, None) == spots[0]
    head_left = Rect(0, 0, 300, 600)  # a body filling the left half of the top
    assert place(spots, head_left) == spots[1]
    everywhere_but_bottom_right = Rect(0, 0, 500, 1280)
    assert place(spots, everywhere_but_bottom_right) == spots[1]  # TR clear too, and earlier
    # A spot taken by another panel counts against it.
    assert place(spots, head_left, taken=[spots[1]]) == spots[2]  # bottom-left, clear of both


def test_least_covering_prefers_partial_to_full_overlap():
    spots = [Rect(0, 0, 100, 100), Rect(200, 0, 300, 100)]
    assert least_covering(spots, Rect(50, 0, 400, 100)) == 0  # half of the first, all of the second


def test_stable_placement_moves_only_after_a_sustained_clear_gain():
    spots = {"left": Rect(0, 0, 100, 100), "right": Rect(300, 0, 400, 100)}
    placer = StablePlacement(margin=0.15, patience=5)
    assert placer.choose(spots, Rect(250, 0, 400, 400)) == "left"
    on_left = Rect(0, 0, 150, 400)
    # A body swaying onto the left spot for fewer frames than the patience: no move.
    for _ in range(4):
        assert placer.choose(spots, on_left) == "left"
    assert placer.choose(spots, Rect(250, 0, 400, 400)) == "left"
    # Sustained: it moves, once.
    moves = [placer.choose(spots, on_left) for _ in range(8)]
    assert moves[:4] == ["left"] * 4 and set(moves[4:]) == {"right"}
    # A small gain (body barely touching the current spot) does not move it back.
    barely = Rect(395, 0, 600, 400)
    assert {placer.choose(spots, barely) for _ in range(20)} == {"right"}
    # No body: stays.
    assert {placer.choose(spots, None) for _ in range(20)} == {"right"}


def test_body_box_covers_the_seen_landmarks_with_room_for_the_head():
    pose = stick_pose(0.0)
    box = body_box(pose)
    seen = pose.xy[np.minimum(pose.visibility, pose.presence) >= 0.5]
    assert box.x0 < seen[:, 0].min() and box.x1 > seen[:, 0].max()
    assert box.y0 < seen[:, 1].min() - 10 and box.y1 > seen[:, 1].max()
    doubled = body_box(pose, (2.0, 2.0))
    assert abs(doubled.x0 - 2 * box.x0) <= 2 and abs(doubled.y1 - 2 * box.y1) <= 2
    assert body_box(None) is None


def test_smoothed_box_follows_slowly_and_keeps_the_last_box_without_a_body():
    s = SmoothedBox(weight=0.25)
    assert s.update(None) is None
    assert s.update(Rect(0, 0, 100, 100)) == Rect(0, 0, 100, 100)
    assert s.update(Rect(100, 0, 200, 100)) == Rect(25, 0, 125, 100)
    assert s.update(None) == Rect(25, 0, 125, 100)


def portrait_pose(w=720, h=1280, x_centre=0.6):
    """A person standing side-on in a portrait phone frame, as phone videos show one: head near
    the top, feet near the bottom, a little right of centre."""
    pose = stick_pose(10.0, size=(w, h))
    xy = pose.xy.copy()
    seen = np.minimum(pose.visibility, pose.presence) >= 0.5
    top, bottom = xy[seen, 1].min(), xy[seen, 1].max()
    # Stretched so the seen landmarks span 12%..94% of the height (and twice as wide).
    k = 0.82 * h / (bottom - top)
    xy[:, 1] = 0.12 * h + (xy[:, 1] - top) * k
    xy[:, 0] = x_centre * w + (xy[:, 0] - w / 2) * k * 0.5
    assert xy.shape == (NUM_LANDMARKS, 2)
    return pose.replace(xy=xy.astype(np.float32))


def on_all_fours_in_portrait(w=720, h=1280):
    """Cat-cow filmed on a phone held upright: the body across the middle of the frame."""
    pose = stick_pose(85.0, size=(w, h))
    xy = pose.xy.copy()
    seen = np.minimum(pose.visibility, pose.presence) >= 0.5
    centre = (xy[seen].min(axis=0) + xy[seen].max(axis=0)) / 2
    # Shrunk to span ~70% of the width, in the middle of the frame.
    k = 0.7 * w / np.ptp(xy[seen, 0])
    xy = np.array([w / 2, h / 2]) + (xy - centre) * k
    return pose.replace(xy=xy.astype(np.float32))


def draw_frames(overlay, pose, exercise, measurements, fault, w, h, frames=3):
    cues = CueStage()
    for i in range(frames):
        a = Assessment(
            exercise,
            1000.0 + i * 33.0,
            30 + i,
            OK,
            "hinged",
            measurements,
            (fault,),
            rep_count=3,
            pose=pose,
        )
        cues.consume(None, a)
        img = np.full((h, w, 3), GREY, np.uint8)
        overlay.draw(img, a, cues.state)
    return img, a


@pytest.mark.parametrize(
    ("exercise", "pose", "measurements", "fault"),
    [
        (
            "hip-hinge",
            portrait_pose(),
            {"hip_angle_deg": 150.0, "knee_flexion_deg": 10.0},
            Fault("rounded_back", Severity.MAJOR, "Keep your back flat — push your hips back", 0.0),
        ),
        (
            "cat-cow",
            on_all_fours_in_portrait(),
            {"spine_curvature": 0.02},
            Fault("moving_from_arms", Severity.MODERATE, "Move from your spine, not your arms", 0.0),
        ),
    ],
)
def test_portrait_frame_panels_do_not_cover_the_body(exercise, pose, measurements, fault):
    w, h = 720, 1280
    body = body_box(pose)
    overlay = Overlay(display_for(spec_for(exercise), target=10))
    img, a = draw_frames(overlay, pose, exercise, measurements, fault, w, h)
    assert {"status", "correction"} <= set(overlay.panels)
    for name, rect in overlay.panels.items():
        assert rect.overlap(body) == 0, (name, rect, body)
        assert rect.x0 >= 0 and rect.y0 >= 0 and rect.x1 <= w and rect.y1 <= h
        for other, rect2 in overlay.panels.items():
            assert other == name or rect.overlap(rect2) == 0, (name, other)
    # The pixels agree: inside the body box only the skeleton and the angle labels were drawn.
    plain = np.full((h, w, 3), GREY, np.uint8)
    overlay.skeleton.annotate(plain, a)
    overlay.angles.annotate(plain, a)
    x0, y0, x1, y1 = max(0, body.x0), max(0, body.y0), min(w, body.x1), min(h, body.y1)
    assert np.array_equal(img[y0:y1, x0:x1], plain[y0:y1, x0:x1])
    # The correction was drawn (in its severity colour), just not on the body.
    colour = PALETTE.severity[fault.severity - 1]
    assert np.all(img == colour, axis=2).sum() > 2000


def test_panels_on_a_fixed_spot_would_have_covered_the_body():
    """The case above is not trivially clear: the old spots (status top-left, correction
    bottom-centre) cover the standing person."""
    pose = portrait_pose()
    body = body_box(pose)
    bottom_band = Rect(int(720 * 0.07), 1280 - 200, int(720 * 0.93), 1280 - 20)
    assert bottom_band.overlap(body) > 0


def test_portrait_panels_are_sized_by_the_shorter_side():
    portrait, landscape = Style.for_frame((1280, 720, 3)), Style.for_frame((720, 1280, 3))
    assert portrait == landscape == Style.for_height(720)


def test_landscape_panels_stay_in_their_usual_corners():
    overlay = Overlay(display_for(spec_for("cat-cow")))
    a = Assessment("cat-cow", 0.0, 0, OK, "cow", {"spine_curvature": 0.02}, pose=stick_pose(85.0))
    overlay.draw(np.full((480, 640, 3), GREY, np.uint8), a)
    status, meter = overlay.panels["status"], overlay.panels["meter"]
    assert status.x0 < 40 and status.y0 < 40  # top-left
    assert meter.x1 > 600 and meter.y0 < 40  # top-right
