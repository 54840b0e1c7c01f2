"""Sample-clip generator: the pure parts (kinematics, postures, truth, labels, scenarios)
and the committed labels files. Rendering itself (pyrender/OSMesa) is not exercised here."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest

from samples.synth.body import Body, build_body
from samples.synth.camera import Camera
from samples.synth.kinematics import forward_kinematics, joint_positions, skin
from samples.synth.labels import (
    FrameTruth,
    Interval,
    build_labels,
    hinge_expectations,
    merge,
    runs,
)
from samples.synth.motions import Timeline, ease, hinge_profile, hinge_timeline
from samples.synth.postures import (
    HingePosture,
    PlankPosture,
    QuadrupedPosture,
    Skeleton,
    build_skeleton,
    pose_hinge,
    pose_plank,
    pose_quadruped,
)
from samples.synth.rotations import rot_x, rot_y, rotation_between, sagittal_angle, twist_part
from samples.synth.scenario import (
    HingeMotion,
    HingeRep,
    load_scenarios,
    parse_scenarios,
)
from samples.synth.truth import back_bow, body_line, image_truth, keypoints, rig_truth
from samples.synth.video import write_h264
from vision.errors import ConfigError

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
FAULTS = {
    "hip-hinge": {"rounded_back", "squatting", "locked_knees", "shallow_hinge", "head_drop"},
    "plank": {"hip_sag", "hip_pike", "head_drop", "shoulders_not_stacked"},
    "cat-cow": {"small_range", "too_fast", "moving_from_arms"},
}
TRUTH_KEYS = {
    "t_s",
    "trunk_inclination_deg",
    "hip_angle_deg",
    "knee_angle_deg",
    "body_line_deg",
    "head_line_deg",
    "spine_flexion_deg",
    "back_bow",
}


@pytest.fixture(scope="module")
def body() -> Body:
    return build_body({"macrodetails/caucasian-male-young": 1.0})


@pytest.fixture(scope="module")
def skeleton(body: Body) -> Skeleton:
    return build_skeleton(body)


# ---------------------------------------------------------------- rotations
def test_rotations_are_orthonormal_and_sagittal_angle_inverts_rot_x() -> None:
    for deg in (-70.0, -5.0, 0.0, 33.0, 120.0):
        r = rot_x(deg) @ rot_y(0.0)
        assert np.allclose(r @ r.T, np.eye(3))
        assert sagittal_angle(rot_x(deg)) == pytest.approx(deg)
    a, b = np.array([0.1, -0.3, -1.0]), np.array([0.0, 1.0, 0.2])
    moved = rotation_between(a, b) @ (a / np.linalg.norm(a))
    assert np.allclose(moved, b / np.linalg.norm(b))


def test_twist_part_takes_the_requested_share_of_a_twist() -> None:
    axis = np.array([0.0, 0.0, 1.0])
    full = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # 90 deg about z
    half = twist_part(full, axis, 0.5)
    assert np.allclose(half @ half, full, atol=1e-9)


# ---------------------------------------------------------------- kinematics
def test_forward_kinematics_keeps_bone_lengths(body: Body) -> None:
    rng = np.random.default_rng(1)
    local = {b: rot_x(rng.uniform(-40, 40)) @ rot_y(rng.uniform(-20, 20)) for b in body.bones[::3]}
    world = {"upperleg01.L": rot_x(-70.0)}
    transforms = forward_kinematics(body, local, world, rot_x(30.0), np.array([0.2, -0.1, 0.5]))
    posed = joint_positions(body, transforms)
    child = np.flatnonzero(body.parent >= 0)
    rest_len = np.linalg.norm(body.head[child] - body.head[body.parent[child]], axis=1)
    posed_len = np.linalg.norm(posed[child] - posed[body.parent[child]], axis=1)
    assert np.allclose(rest_len, posed_len, atol=1e-9)
    assert np.allclose(transforms[body.bone("upperleg01.L"), :3, :3], rot_x(-70.0))


def test_skinning_moves_rigidly_bound_vertices_with_their_bone(body: Body) -> None:
    transforms = forward_kinematics(body, {"head": rot_x(25.0)}, {}, np.eye(3), np.zeros(3))
    eye = body.groups["helper-l-eye"]  # bound 100 % to the head
    moved = skin(body, transforms, eye)
    t = transforms[body.bone("head")]
    assert np.allclose(moved, body.rest[eye] @ t[:3, :3].T + t[:3, 3])
    assert np.allclose(skin(body, np.tile(np.eye(4), (len(body.bones), 1, 1))), body.rest, atol=1e-6)


# ---------------------------------------------------------------- postures and truth
def test_hinge_reaches_the_wanted_trunk_angle_with_feet_on_the_floor(skeleton: Skeleton, body: Body) -> None:
    for trunk, spine, knee in ((3.0, 0.0, 4.0), (75.0, 4.0, 18.0), (75.0, 42.0, 18.0), (36.0, 4.0, 80.0)):
        posed = pose_hinge(
            skeleton, HingePosture(trunk_deg=trunk, spine_flexion_deg=spine, knee_flexion_deg=knee)
        )
        rig = rig_truth(body, posed, keypoints(body, posed))
        assert rig.trunk_inclination_deg == pytest.approx(trunk, abs=0.05)
        assert rig.spine_flexion_deg == pytest.approx(spine, abs=1e-6)
        assert rig.knee_flexion_deg == pytest.approx(knee, abs=0.5)
        assert posed.vertices[body.used, 2].min() == pytest.approx(0.0, abs=1e-9)
        feet = np.concatenate(list(skeleton.feet.values()))
        assert posed.vertices[feet, 2].min() < 0.005  # standing on the feet, not on anything else


def test_rounded_spine_tips_the_pelvis_less_and_bows_the_back(skeleton: Skeleton, body: Body) -> None:
    flat = pose_hinge(skeleton, HingePosture(trunk_deg=75.0, spine_flexion_deg=4.0, knee_flexion_deg=18.0))
    rounded = pose_hinge(
        skeleton, HingePosture(trunk_deg=75.0, spine_flexion_deg=42.0, knee_flexion_deg=18.0)
    )
    pelvis = [sagittal_angle(p.transforms[body.bone("root"), :3, :3]) for p in (flat, rounded)]
    assert pelvis[0] - pelvis[1] > 20.0  # same trunk line, reached by the spine instead of the hips
    assert back_bow(body, rounded.vertices) > back_bow(body, flat.vertices) + 0.03


def test_plank_rests_on_hands_and_toes_and_sag_sign(skeleton: Skeleton, body: Body) -> None:
    hands = np.concatenate(list(skeleton.hands.values()))
    feet = np.concatenate(list(skeleton.feet.values()))
    lines = []
    for bend in (-20.0, 0.0, 20.0):
        posed = pose_plank(skeleton, PlankPosture(hip_bend_deg=bend))
        assert posed.vertices[hands, 2].min() == pytest.approx(0.0, abs=1e-3)
        assert posed.vertices[feet, 2].min() == pytest.approx(0.0, abs=1e-3)
        lines.append(rig_truth(body, posed, keypoints(body, posed)).body_line_deg)
    assert lines[0] < -8 and abs(lines[1]) < 5 and lines[2] > 8


def test_cat_cow_back_bow_and_head_line_follow_the_spine(skeleton: Skeleton, body: Body) -> None:
    cam = Camera(yaw_deg=0.0, height_m=0.9, distance_m=2.75, target=(0.0, 0.1, 0.4))
    knees = np.concatenate(list(skeleton.knees.values()))
    hands = np.concatenate(list(skeleton.hands.values()))
    bows, heads = [], []
    for spine, neck in ((-30.0, -25.0), (0.0, 0.0), (35.0, 30.0)):
        posed = pose_quadruped(skeleton, QuadrupedPosture(spine_flexion_deg=spine, neck_flexion_deg=neck))
        assert posed.vertices[knees, 2].min() == pytest.approx(0.0, abs=1e-3)
        assert posed.vertices[hands, 2].min() == pytest.approx(0.0, abs=1e-3)
        kp = keypoints(body, posed)
        bows.append(rig_truth(body, posed, kp).back_bow)
        heads.append(image_truth(kp, cam).head_line_deg)
    assert bows[0] < bows[1] < bows[2] and bows[0] < 0 < bows[2]
    assert heads[0] < heads[1] < heads[2]


def test_body_line_sign_in_image_coordinates() -> None:
    shoulder, ankle, down = np.array([100.0, 300.0]), np.array([500.0, 300.0]), np.array([0.0, 1.0])
    assert body_line(shoulder, np.array([300.0, 330.0]), ankle, down) > 0  # hip below: sag
    assert body_line(shoulder, np.array([300.0, 270.0]), ankle, down) < 0  # hip above: pike
    assert body_line(shoulder, np.array([300.0, 300.0]), ankle, down) == pytest.approx(0.0)


# ---------------------------------------------------------------- motion and labels
def test_hinge_profile_is_smooth_and_bounded() -> None:
    t = np.arange(0, 4, 1 / 30)
    s = hinge_profile(t, 0.5, 3.0)
    assert s.min() == 0.0 and s.max() == pytest.approx(1.0)
    assert np.abs(np.diff(s)).max() < 0.06  # no jumps between frames at 30 fps
    assert ease(0.0) == 0.0 and ease(1.0) == 1.0 and ease(0.5) == pytest.approx(0.5)


def test_runs_and_merge() -> None:
    assert runs(np.array([0, 1, 1, 0, 1, 0, 0, 1], bool)) == [(1, 2), (4, 4), (7, 7)]
    merged = merge(
        [
            Interval("too_fast", 1.0, 2.5),
            Interval("too_fast", 2.5333, 4.0),
            Interval("small_range", 0.0, 1.0),
        ],
        frame_s=1 / 30,
    )
    assert merged == [Interval("small_range", 0.0, 1.0), Interval("too_fast", 1.0, 4.0)]


def _synthetic_hinge_truth(reps: tuple[HingeRep, ...]) -> tuple[HingeMotion, Timeline, FrameTruth]:
    """Rig truth straight from the motion plan (no body): a stand-in to test the rules."""
    motion = HingeMotion(reps=reps, setup_s=1.0)
    scenario = replace(load_scenarios()["hinge_good"], motion=motion)
    timeline = hinge_timeline(scenario, motion)
    t = timeline.times
    rig = {
        "trunk_inclination_deg": np.array([p.trunk_deg for p in timeline.postures]),
        "spine_flexion_deg": np.array([p.spine_flexion_deg for p in timeline.postures]),
        "knee_flexion_deg": np.array([p.knee_flexion_deg for p in timeline.postures]),
        "neck_flexion_deg": np.array([p.neck_flexion_deg for p in timeline.postures]),
    }
    return motion, timeline, FrameTruth(t, {}, rig)


def test_hinge_fault_intervals_come_from_the_truth() -> None:
    motion, timeline, truth = _synthetic_hinge_truth(
        (
            HingeRep(tempo_s=3.0),
            HingeRep(tempo_s=3.0, rounded_back_deg=40.0),
            HingeRep(tempo_s=2.4, depth_deg=35.0),
            HingeRep(tempo_s=2.0, depth_deg=16.0),
        )
    )
    reps, found = hinge_expectations(motion, timeline, truth)
    assert [r.partial for r in reps] == [False, False, False, True]
    assert [r.faults for r in reps] == [(), ("rounded_back",), ("shallow_hinge",), ()]
    rounded = next(f for f in found if f.code == "rounded_back")
    spine = truth.rig["spine_flexion_deg"]
    inside = (truth.t_s >= rounded.start_s) & (truth.t_s <= rounded.end_s)
    assert spine[inside].min() > 20.0  # everything inside is above half the fault size ...
    w = timeline.windows[1]
    rest = (truth.t_s >= w.start_s) & (truth.t_s <= w.end_s) & ~inside
    assert spine[rest].max() <= 20.0  # ... and nothing in the rep outside it


def test_build_labels_schema_and_front_view_expects_nothing() -> None:
    motion, timeline, truth = _synthetic_hinge_truth((HingeRep(), HingeRep(rounded_back_deg=40.0)))
    n = len(truth.t_s)
    image = {
        k: np.zeros(n)
        for k in (
            "trunk_inclination_deg",
            "hip_angle_deg",
            "knee_angle_deg",
            "body_line_deg",
            "head_line_deg",
        )
    }
    rig = dict(truth.rig, back_bow=np.full(n, 0.01234))
    full = FrameTruth(truth.t_s, image, rig)
    scenario = replace(load_scenarios()["hinge_good"], motion=motion)
    doc = build_labels(scenario, timeline, full, camera_eye_x=2.75)
    assert set(doc["truth"]) == TRUTH_KEYS and all(len(v) == n for v in doc["truth"].values())
    assert doc["frames"] == n and doc["expected"]["rep_count"] == 2
    assert doc["expected"]["near_side"] == "left"
    assert doc["truth"]["back_bow"][0] == 0.012
    json.dumps(doc)  # plain JSON types only
    front = replace(scenario, camera=replace(scenario.camera, yaw_deg=88.0))
    expected = build_labels(front, timeline, full, camera_eye_x=0.1)["expected"]
    assert expected["view_ok"] is False and expected["view_problem"] == "not_side_on"
    assert expected["rep_count"] == 0 and expected["faults"] == []


# ---------------------------------------------------------------- scenarios
def test_committed_scenarios_parse() -> None:
    scenarios = load_scenarios()
    assert {s.exercise for s in scenarios.values()} == {"hip-hinge", "plank", "cat-cow"}
    assert len({s.subject.name for s in scenarios.values()}) >= 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[subjects.a]\ntargets = {}\n[clips.x]\nexercise = "hip-hinge"\nsubject = "a"\nrepz = []\n', "repz"),
        ('[subjects.a]\ntargets = {}\n[clips.x]\nexercise = "yoga"\nsubject = "a"\n', "exercise"),
        ('[clips.x]\nexercise = "plank"\nsubject = "nobody"\nhold_s = 1\n', "nobody"),
        (
            '[subjects.a]\ntargets = {}\n[clips.x]\nexercise = "plank"\nsubject = "a"\nhold_s = 2\n'
            'faults = [{ code = "wobble", size = 1 }]\n',
            "wobble",
        ),
        ("[clips.x\n", "TOML"),
    ],
)
def test_bad_scenarios_are_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_scenarios(text)


# ---------------------------------------------------------------- video and committed clips
def test_write_h264_produces_h264_yuv420p(tmp_path: Path) -> None:
    frames = [np.full((48, 64, 3), 20 * i, np.uint8) for i in range(6)]
    path = tmp_path / "clip.mp4"
    assert write_h264(frames, path, fps=30.0, crf=30, preset="ultrafast") == 6
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]  # no temp file left behind
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert sum(1 for _ in container.decode(stream)) == 6


def _committed_labels() -> list[Path]:
    return sorted(SAMPLES.glob("*.labels.json"))


def test_every_scenario_has_a_committed_clip() -> None:
    names = set(load_scenarios())
    assert {p.name.removesuffix(".labels.json") for p in _committed_labels()} == names
    assert all((SAMPLES / f"{n}.mp4").is_file() for n in names)


@pytest.mark.parametrize("path", _committed_labels(), ids=lambda p: p.name)
def test_committed_labels_follow_the_schema(path: Path) -> None:
    doc = json.loads(path.read_text())
    n, fps = doc["frames"], doc["fps"]
    assert doc["clip"] == path.name.replace(".labels.json", ".mp4")
    assert (doc["width"], doc["height"], fps) == (640, 480, 30.0)
    assert doc["duration_s"] == pytest.approx(n / fps, abs=1e-3)
    assert set(doc["truth"]) == TRUTH_KEYS and all(len(v) == n for v in doc["truth"].values())
    expected = doc["expected"]
    assert expected["view_ok"] == (expected["view_problem"] is None)
    assert expected["rep_count"] == sum(not r["partial"] for r in doc["reps"])
    assert expected["partial_reps"] == sum(r["partial"] for r in doc["reps"])
    assert 0.0 <= expected["hold_s"] <= doc["duration_s"]
    for fault in expected["faults"]:
        assert fault["code"] in FAULTS[doc["exercise"]]
        assert 0.0 <= fault["start_s"] <= fault["end_s"] <= doc["duration_s"]
    for rep in doc["reps"]:
        assert set(rep["faults"]) <= FAULTS[doc["exercise"]]
    with av.open(str(SAMPLES / doc["clip"])) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (640, 480)
        assert stream.frames in (0, n)  # 0 = container does not say


def test_other_footage_postures_touch_the_floor_where_they_should(skeleton: Skeleton, body: Body) -> None:
    from samples.synth.postures import KneelPosture, LyingPosture, pose_kneel, pose_lying

    def z(posed, bone: str) -> float:
        return float(joint_positions(body, posed.transforms)[body.bones.index(bone)][2])

    lying = pose_lying(skeleton, LyingPosture(face_up=True, knee_flexion_deg=0.0))
    assert all(z(lying, b) < 0.25 for b in ("upperleg01.L", "lowerleg01.L", "foot.L", "upperarm01.L"))
    bridge = pose_lying(skeleton, LyingPosture(face_up=True, knee_flexion_deg=90.0, hip_lift_deg=35.0))
    assert z(bridge, "upperleg01.L") > z(bridge, "upperarm01.L") + 0.15  # hips up, shoulders down
    kneel = pose_kneel(skeleton, KneelPosture())
    assert z(kneel, "lowerleg01.L") < 0.15 and z(kneel, "upperarm01.L") > 0.8
    bird = pose_quadruped(skeleton, QuadrupedPosture(reach=1.0))
    assert z(bird, "wrist.L") > 0.45 and z(bird, "foot.R") > 0.4  # opposite arm and leg lifted
    assert z(bird, "wrist.R") < 0.1
    push = pose_plank(skeleton, PlankPosture(elbow_flexion_deg=90.0))
    top = pose_plank(skeleton, PlankPosture())
    assert z(push, "upperarm01.L") < z(top, "upperarm01.L") - 0.15  # the chest goes down
    march = pose_hinge(skeleton, HingePosture(march_deg=50.0))
    assert z(march, "foot.L") > z(march, "foot.R") + 0.05


def test_other_activities_give_one_posture_per_frame() -> None:
    from samples.synth.other import ACTIVITIES, other_clips, other_postures

    t = np.arange(30) / 15.0
    for activity in ACTIVITIES:
        assert len(other_postures(activity, t, np.random.default_rng(0))) == len(t)
    subjects = [s.subject for s in load_scenarios().values()]
    clips = other_clips(18, 5, subjects)
    assert {c.activity for c in clips} == set(ACTIVITIES)
    assert [c.name for c in clips] == [c.name for c in other_clips(18, 5, subjects)]  # seeded


def test_committed_other_clips_are_labelled_other() -> None:
    files = sorted((SAMPLES / "other").glob("*.labels.json"))
    assert len(files) >= 9
    for f in files:
        doc = json.loads(f.read_text())
        assert doc["exercise"] == "other" and (f.parent / doc["clip"]).exists()
