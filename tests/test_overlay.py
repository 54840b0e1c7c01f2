"""Overlay annotators: they draw where they should, in the right colours, at any frame size."""

from __future__ import annotations

import numpy as np
import pytest

from exercises.base import Assessment, Fault, Severity, ViewProblem, ViewVerdict
from exercises.registry import spec_for
from exercises.spec import AngleLabel, Meter
from feedback.cues import Cue, CueKind, CueStage
from feedback.overlay import (
    PALETTE,
    AngleAnnotator,
    CueBanner,
    Overlay,
    RangeMeter,
    RangeTracker,
    SkeletonAnnotator,
    StatusInfo,
    StatusPanel,
    Style,
    ViewMessage,
    ascii_text,
    display_for,
    meter_marks,
    pose_points,
    wrap_to_width,
)
from tests.feedback_fakes import stick_pose
from vision.landmarks import Joint

GREY = 96
HINGE_JOINTS = display_for(spec_for("hip-hinge")).fault_joints
OK = ViewVerdict(True, "left", None, 1)


def blank(w=640, h=480):
    return np.full((h, w, 3), GREY, np.uint8)


def changed_box(img):
    ys, xs = np.nonzero(np.any(img != GREY, axis=2))
    if len(xs) == 0:
        return None
    return xs.min(), ys.min(), xs.max(), ys.max()


def assessment(pose=None, faults=(), measurements=None, view=OK, **kw):
    return Assessment(
        "hip-hinge",
        0.0,
        0,
        view,
        "hinged",
        measurements or {},
        tuple(Fault(c, Severity.MAJOR, "m", 0.0) for c in faults),
        pose=pose,
        **kw,
    )


def px(img, xy):
    return tuple(int(v) for v in img[round(float(xy[1])), round(float(xy[0]))])


def test_skeleton_marks_fault_joints_red_others_green():
    pose = stick_pose(40.0)
    img = blank()
    out = SkeletonAnnotator(HINGE_JOINTS).annotate(img, assessment(pose, faults=("rounded_back",)))
    assert out is img  # drawn in place
    assert px(img, pose.joint(Joint.HIP, "left")) == PALETTE.fault
    assert px(img, pose.joint(Joint.SHOULDER, "left")) == PALETTE.fault
    assert px(img, pose.joint(Joint.KNEE, "left")) == PALETTE.joint_ok
    # The back bone between shoulder and hip is red too; the thigh is not.
    mid_back = (pose.joint(Joint.SHOULDER, "left") + pose.joint(Joint.HIP, "left")) / 2
    mid_thigh = (pose.joint(Joint.HIP, "left") + pose.joint(Joint.KNEE, "left")) / 2
    assert px(img, mid_back) == PALETTE.fault
    assert px(img, mid_thigh) == PALETTE.bone


def test_skeleton_skips_unseen_joints_and_missing_pose():
    pose = stick_pose(0.0)
    pose.visibility[Joint.KNEE.on("left")] = 0.1
    img = blank()
    SkeletonAnnotator().annotate(img, assessment(pose))
    assert px(img, pose.joint(Joint.KNEE, "left")) == (GREY, GREY, GREY)
    assert px(img, pose.joint(Joint.HIP, "left")) == PALETTE.joint_ok
    img = blank()
    SkeletonAnnotator().annotate(img, assessment(None))
    assert changed_box(img) is None


def test_pose_from_downscaled_analysis_maps_onto_full_frame():
    pose = stick_pose(30.0, size=(320, 240))
    pts = pose_points(pose, (480, 640, 3))
    np.testing.assert_allclose(pts, pose.xy * 2.0)
    img = blank()
    SkeletonAnnotator().annotate(img, assessment(pose))
    assert px(img, pts[Joint.HIP.on("left")]) == PALETTE.joint_ok


def test_angle_label_near_its_joint_and_only_when_measured():
    pose = stick_pose(60.0)
    spec = AngleLabel(
        "hip_angle_deg", Joint.HIP, "hip", Joint.SHOULDER, Joint.KNEE, frozenset({"rounded_back"})
    )
    img = blank()
    AngleAnnotator([spec]).annotate(img, assessment(pose, measurements={"knee_angle_deg": 170.0}))
    assert changed_box(img) is None
    AngleAnnotator([spec]).annotate(img, assessment(pose, measurements={"hip_angle_deg": 120.0}))
    x0, y0, x1, y1 = changed_box(img)
    hx, hy = pose.joint(Joint.HIP, "left")
    assert x0 - 5 < hx < x1 + 5 and y0 - 5 < hy < y1 + 5
    assert x1 - x0 < 200 and y1 - y0 < 120  # a label and an arc, not a banner
    # Label turns red with its fault.
    img2 = blank()
    AngleAnnotator([spec]).annotate(img2, assessment(pose, ("rounded_back",), {"hip_angle_deg": 120.0}))
    red = np.all(img2 == PALETTE.fault, axis=2).sum()
    assert red > 30 and np.all(img == PALETTE.fault, axis=2).sum() == 0


def test_cue_banner_bottom_centre_in_severity_colour():
    img = blank()
    CueBanner().annotate(img, None)
    assert changed_box(img) is None
    cue = Cue(CueKind.CORRECTION, "rounded_back", "Keep your back flat", 0.0, Severity.MAJOR)
    CueBanner().annotate(img, cue)
    x0, y0, x1, y1 = changed_box(img)
    assert y0 > 480 * 0.6 and y1 < 480  # bottom band, inside the frame
    assert abs((x0 + x1) / 2 - 320) <= 2  # centred
    assert np.all(img == PALETTE.severity[Severity.MAJOR - 1], axis=2).sum() > 2000


@pytest.mark.parametrize("w,h", [(640, 480), (1920, 1080), (480, 640)])
def test_long_cue_wraps_inside_frame(w, h):
    img = blank(w, h)
    text = "Push your hips back and keep your shins nearly vertical while you hinge"
    CueBanner().annotate(img, Cue(CueKind.CORRECTION, "x", text, 0.0, Severity.MODERATE))
    x0, y0, x1, y1 = changed_box(img)
    assert x0 > 0 and x1 < w - 1 and y1 < h - 1
    assert y1 - y0 > 2 * Style.for_height(h).unit * 25  # two lines or more


def test_sizes_scale_with_frame_height():
    info = StatusInfo("Hip hinge", "Reps 3 / 10", "hinged", 0.3)
    small, large = blank(640, 480), blank(1920, 1080)
    StatusPanel().annotate(small, info)
    StatusPanel().annotate(large, info)
    sw, sh = (lambda b: (b[2] - b[0], b[3] - b[1]))(changed_box(small))
    lw, lh = (lambda b: (b[2] - b[0], b[3] - b[1]))(changed_box(large))
    assert lh / sh == pytest.approx(1080 / 480, rel=0.15)
    assert lw / sw == pytest.approx(1080 / 480, rel=0.15)
    # Readable at 480p: the counter line alone is at least ~18 px tall.
    assert sh > 60


def test_status_panel_progress_bar_fills_proportionally():
    def filled(progress):
        img = blank()
        StatusPanel().annotate(img, StatusInfo("Plank", "Hold 10.0 s / 30 s", "holding", progress))
        return np.all(img == PALETTE.joint_ok, axis=2).sum()

    assert filled(0.0) == 0
    assert filled(1.0) == pytest.approx(2 * filled(0.5), rel=0.1)
    assert filled(2.0) == filled(1.0)  # clipped at the target


def test_range_meter_marker_follows_value_and_band_shows_reached_range():
    meter = RangeMeter(Meter("back_bow", "COW", "CAT", -0.1, 0.1))

    def marker_x(value):
        img = blank()
        meter.annotate(img, value, None)
        xs = np.nonzero(np.all(img == PALETTE.text, axis=2))[1]
        return np.median(xs[(xs > 400)])  # the white marker (labels are left and right of the bar too)

    assert marker_x(-0.1) < marker_x(0.0) < marker_x(0.1)
    img = blank()
    meter.annotate(img, 0.0, (-0.05, 0.05))
    band = np.all(img == PALETTE.range_fill, axis=2).sum()
    img = blank()
    meter.annotate(img, 0.0, (-0.1, 0.1))
    assert np.all(img == PALETTE.range_fill, axis=2).sum() > 1.7 * band


def test_range_tracker_resets_on_new_cycle():
    tr = RangeTracker()
    assert tr.update(None) is None
    tr.update(0.02)
    assert tr.update(-0.05) == (-0.05, 0.02)
    assert tr.update(0.01, new_cycle=True) == (0.01, 0.01)


def test_view_message_centred():
    img = blank()
    ViewMessage().annotate(img, Cue(CueKind.VIEW, "view:not_side_on", "Turn side-on to the camera", 0.0))
    x0, y0, x1, y1 = changed_box(img)
    assert abs((x0 + x1) / 2 - 320) <= 2 and abs((y0 + y1) / 2 - 240) <= 2


def test_overlay_draws_everything_in_place():
    pose = stick_pose(70.0)
    overlay, cues = Overlay(display_for(spec_for("hip-hinge"))), CueStage()
    img = blank()
    a = Assessment(
        "hip-hinge",
        5000.0,
        150,
        OK,
        "hinged",
        {"hip_angle_deg": 110.0, "knee_angle_deg": 175.0},
        (Fault("rounded_back", Severity.MAJOR, "Keep your back flat", 4000.0),),
        rep_count=3,
        pose=pose,
    )
    cues.consume(None, a)
    assert overlay.draw(img, a, cues.state) is img
    assert np.all(img[:60, :100] != GREY, axis=2).any()  # status panel
    assert np.all(img == PALETTE.severity[2], axis=2).sum() > 2000  # the cue banner
    assert px(img, pose.joint(Joint.HIP, "left")) == PALETTE.fault
    # A bad view: the view message replaces the correction.
    img = blank()
    bad = ViewVerdict(False, None, ViewProblem.NOT_SIDE_ON)
    for t in (6000.0, 7000.0):
        a = Assessment("hip-hinge", t, int(t // 33), bad, "setup", {}, pose=pose)
        cues.consume(None, a)
        overlay.draw(img, a, cues.state)
    assert np.all(img == PALETTE.view, axis=2).sum() > 100
    assert np.all(img == PALETTE.severity[2], axis=2).sum() == 0


def test_cat_cow_overlay_has_range_meter():
    overlay = Overlay(display_for(spec_for("cat-cow")))
    img = blank()
    for i, bow in enumerate((0.05, -0.05)):
        img = blank()
        overlay.draw(
            img,
            Assessment("cat-cow", i * 33.0, i, OK, "cow", {"spine_curvature": bow}, pose=stick_pose(85.0)),
        )
    assert np.all(img == PALETTE.range_fill, axis=2).any()


def test_cue_text_is_ascii_and_splits_at_dash():
    lines = wrap_to_width("Keep your back flat — push your hips back", 0.8, 2, 10_000)
    assert lines == ["Keep your back flat", "push your hips back"]
    assert ascii_text("“Don’t” 5°") == '"Don\'t" 5 deg'


def test_knee_flexion_shown_as_joint_angle():
    spec = AngleLabel("knee_flexion_deg", Joint.KNEE, "knee", Joint.HIP, Joint.ANKLE, flexion=True)
    pose = stick_pose(30.0)
    drawn = blank()
    AngleAnnotator([spec]).annotate(drawn, assessment(pose, measurements={"knee_flexion_deg": 10.0}))
    expected = blank()
    AngleAnnotator([AngleLabel("knee_angle", Joint.KNEE, "knee", Joint.HIP, Joint.ANKLE)]).annotate(
        expected, assessment(pose, measurements={"knee_angle": 170.0})
    )
    assert np.array_equal(drawn, expected)


def test_cat_cow_meter_targets_follow_thresholds():
    from dataclasses import replace

    cat_cow = spec_for("cat-cow")
    table = replace(cat_cow.thresholds, cat_target_bow=0.08, cow_target_bow=0.05)
    meter = display_for(cat_cow, table).meter
    assert (meter.low_target, meter.high_target) == (-0.05, 0.08)
    assert meter.low_end < -0.08 and meter.high_end > 0.08
    # Without a table of its own the meter marks the default thresholds, not an old constant.
    default = display_for(cat_cow).meter
    assert (default.low_target, default.high_target) == (
        -cat_cow.thresholds.cow_target_bow,
        cat_cow.thresholds.cat_target_bow,
    )
    assert display_for(spec_for("hip-hinge")).meter is None


def test_meter_marks_place_targets_from_the_thresholds_and_both_reached_ranges():
    from dataclasses import replace

    cat_cow = spec_for("cat-cow")
    meter = display_for(cat_cow).meter
    th = cat_cow.thresholds
    marks = meter_marks(meter, 0.0, (-0.01, 0.02), (-0.04, 0.05))

    def frac(v):
        return (v - meter.low_end) / (meter.high_end - meter.low_end)

    assert marks.ticks == pytest.approx((frac(-th.cow_target_bow), frac(th.cat_target_bow)))
    # The goal zones run from each target out to its end of the bar.
    (low_a, low_b), (high_a, high_b) = marks.goals
    assert (low_a, high_b) == (0.0, 1.0)
    assert (low_b, high_a) == pytest.approx((frac(-th.cow_target_bow), frac(th.cat_target_bow)))
    assert marks.value == pytest.approx(0.5)
    assert marks.rep == pytest.approx((frac(-0.01), frac(0.02)))
    assert marks.set == pytest.approx((frac(-0.04), frac(0.05)))
    # A physio's table moves the goal; values past an end sit at that end; nothing reached yet.
    table = replace(th, cat_target_bow=0.06, cow_target_bow=0.02)
    moved = meter_marks(display_for(cat_cow, table).meter, float("nan"), None, (-1.0, 1.0))
    assert moved.ticks[1] - 0.5 == pytest.approx(3 * (0.5 - moved.ticks[0]), rel=1e-6)  # 0.06 vs 0.02
    assert moved.ticks != marks.ticks
    assert moved.value is None and moved.rep is None and moved.set == (0.0, 1.0)


def test_range_meter_draws_goal_zones_the_sets_range_and_a_legend():
    meter = RangeMeter(Meter("back_bow", "COW", "CAT", -0.1, 0.1, -0.05, 0.05))

    def colour_xs(img, colour):
        return np.nonzero(np.all(img == colour, axis=2))[1]

    img = blank()
    meter.annotate(img, 0.0, None)
    goal = colour_xs(img, PALETTE.goal_zone)
    x0, _, x1, _ = changed_box(img)
    bar_mid = (x0 + x1) / 2
    # Goal zones at both ends, none in the middle third of the bar.
    assert (goal < bar_mid - 30).any() and (goal > bar_mid + 30).any()
    assert not (np.abs(goal - bar_mid) < (x1 - x0) / 6).any()
    # The legend swatches use the colours the meter draws with (goal, this rep, set).
    assert colour_xs(img, PALETTE.set_range).size > 0 and colour_xs(img, PALETTE.range_fill).size > 0
    legend_only = colour_xs(img, PALETTE.set_range).size
    # The set's range: a line under the bar, as wide as the range reached in the set.
    narrow, wide = blank(), blank()
    meter.annotate(narrow, 0.0, (-0.01, 0.01), (-0.02, 0.02))
    meter.annotate(wide, 0.0, (-0.01, 0.01), (-0.08, 0.08))
    n = colour_xs(narrow, PALETTE.set_range).size - legend_only
    w = colour_xs(wide, PALETTE.set_range).size - legend_only
    assert n > 0 and w == pytest.approx(4 * n, rel=0.2)


def test_overlay_meter_keeps_the_sets_range_across_reps():
    from exercises.base import Event, EventKind

    overlay = Overlay(display_for(spec_for("cat-cow")))
    values = (0.06, -0.06, 0.0, 0.01)  # the first rep goes wide, the second (after the event) stays small
    for i, bow in enumerate(values):
        events = (Event(EventKind.REP_COMPLETED, i * 33.0, 1, 0.0),) if i == 2 else ()
        img = blank()
        a = Assessment("cat-cow", i * 33.0, i, OK, "cow", {"spine_curvature": bow}, events=events)
        overlay.draw(img, a)
    assert overlay.range.lo == 0.0 and overlay.range.hi == 0.01  # this rep
    assert overlay.set_range.lo == -0.06 and overlay.set_range.hi == 0.06  # the set so far
    overlay.reset()
    assert overlay.set_range.update(None) is None


def test_a_label_in_words_only_gets_no_degree_ring():
    from feedback.overlay import Style, degree_label, degree_text_width, text_size

    style = Style.for_frame((480, 640, 3))
    words = "head in line"
    assert degree_text_width(words, style) == text_size(words, style.font_medium, style.text_thickness)[0]
    ring = degree_label("head 5°", (255, 255, 255), style)
    plain = degree_label("head 5", (255, 255, 255), style)
    assert ring.width > plain.width  # the ring is drawn only where the text has a degree sign


def test_an_angle_label_goes_round_its_joint_to_keep_clear_of_a_panel():
    from feedback.overlay import label_spot
    from feedback.placement import Rect

    joint, up = np.array([100.0, 100.0]), np.array([0.0, -1.0])
    free = label_spot(joint, up, 20.0, 60, 16, ())
    assert free is not None and free[1] + 16 <= 100  # above the joint when nothing is in the way
    panel = Rect.at(0, 0, 300, 90)  # covers everything above the joint
    moved = label_spot(joint, up, 20.0, 60, 16, [panel])
    assert moved is not None and Rect.at(*moved, 60, 16).overlap(panel) == 0
    assert moved[1] > 100  # below the joint, the far side
    assert label_spot(joint, up, 20.0, 60, 16, [Rect.at(0, 0, 400, 400)]) is None  # nowhere clear: left out


def test_labels_and_leg_bones_drawn_on_the_leg_that_was_measured():
    # The checker measured the far (right) leg because MediaPipe misplaced the near one: the
    # knee's label and the shin are drawn there, not at the near knee the number did not come from.
    import dataclasses

    pose = stick_pose(40.0)
    xy, vis = pose.xy.copy(), pose.visibility.copy()
    for joint in (Joint.KNEE, Joint.ANKLE, Joint.HEEL, Joint.FOOT_INDEX):
        xy[joint.on("right")] = xy[joint.on("left")] + np.array([120.0, 0.0])
        vis[joint.on("right")] = 0.95
    pose = dataclasses.replace(pose, xy=xy, visibility=vis)
    spec = AngleLabel("knee_flexion_deg", Joint.KNEE, "knee", Joint.HIP, Joint.ANKLE, flexion=True)
    near_knee, far_knee = pose.joint(Joint.KNEE, "left"), pose.joint(Joint.KNEE, "right")
    boxes = {}
    for leg in (None, "right"):
        img = blank()
        a = assessment(pose, measurements={"knee_flexion_deg": 10.0}, leg_side=leg)
        AngleAnnotator([spec]).annotate(img, a)
        boxes[leg] = changed_box(img)
        skeleton = SkeletonAnnotator(HINGE_JOINTS).annotate(blank(), a)
        drawn_knee, other_knee = (far_knee, near_knee) if leg else (near_knee, far_knee)
        assert px(skeleton, drawn_knee) == PALETTE.joint_ok
        assert px(skeleton, other_knee) == (GREY,) * 3
    # Each label sits beside the knee it measured.
    for leg, knee, other in ((None, near_knee, far_knee), ("right", far_knee, near_knee)):
        x0, y0, x1, y1 = boxes[leg]
        centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
        assert np.linalg.norm(centre - knee) < np.linalg.norm(centre - other)
