"""PoseEstimator with the real model: blank frames, a sample clip, downscaled inference, two people."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from vision.errors import ModelUnavailableError
from vision.estimator import PersonTracker, PoseEstimator, PoseEstimatorOptions
from vision.landmarks import Landmark
from vision.sources import open_video

REPO = Path(__file__).resolve().parent.parent
# A clip with one person in full view throughout (override to try another clip).
CLIP = Path(os.environ.get("BACKFORM_TEST_CLIP", REPO / "samples" / "hinge_good.mp4"))


@pytest.fixture(scope="module")
def clip_frames():
    if not CLIP.is_file():
        pytest.fail(f"sample clip {CLIP} is missing (samples/ ships it; regenerate with samples.generate)")
    # The first 4 s: standing, then a full first rep (keeps the test around 4 s of CPU).
    with open_video(CLIP) as video:
        return [(f.image, f.t_ms, f.index) for f in video if f.t_ms < 4000.0]


@pytest.fixture(scope="module")
def clip_poses(clip_frames, model_path):
    with PoseEstimator(PoseEstimatorOptions(model_path)) as estimator:
        return [estimator.estimate(img, t, i) for img, t, i in clip_frames]


def test_blank_frame_has_no_person(model_path):
    with PoseEstimator(PoseEstimatorOptions(model_path)) as estimator:
        for i in range(3):
            assert estimator.estimate(np.full((480, 640, 3), 40, np.uint8), i * 33.3, i) is None


def test_person_is_tracked_through_the_clip(clip_frames, clip_poses):
    found = [p for p in clip_poses if p is not None]
    assert len(found) > 0.95 * len(clip_poses)
    h, w = clip_frames[0][0].shape[:2]
    for pose, (_, t_ms, index) in zip(clip_poses, clip_frames, strict=True):
        if pose is None:
            continue
        assert pose.t_ms == t_ms and pose.frame_index == index
        assert pose.image_size == (w, h) and pose.people == 1
        assert pose.xy.dtype == np.float32 and pose.world.dtype == np.float32
        seen = pose.visibility > 0.5
        assert seen.sum() >= 20
        inside = (pose.xy[seen] >= -0.02 * w) & (pose.xy[seen] <= [1.02 * w, 1.02 * h])
        assert inside.all()
        for scores in (pose.visibility, pose.presence):
            assert scores.shape == (33,) and np.all((scores >= 0) & (scores <= 1))
    assert np.all(np.diff([p.t_ms for p in found]) > 0)
    assert len({p.track_id for p in found}) == 1


def test_mask_covers_the_person(clip_poses):
    pose = next(p for p in clip_poses if p is not None)
    mask = pose.mask
    w, h = pose.image_size
    assert mask is not None and mask.dtype == np.float32 and mask.shape == (h, w)
    assert mask.min() >= 0.0 and mask.max() <= 1.0
    # The mask is high between the hips and shoulders, low in the frame corners.
    torso = np.mean(pose.xy[[Landmark.LEFT_HIP, Landmark.LEFT_SHOULDER]], axis=0).astype(int)
    assert mask[torso[1], torso[0]] > 0.8
    assert mask[:20, :20].mean() < 0.1 and mask[:20, -20:].mean() < 0.1


def test_world_landmarks_are_metric(clip_poses):
    pose = next(p for p in clip_poses if p is not None)
    hips = pose.world[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP]]
    assert np.linalg.norm(hips.mean(axis=0)) < 0.1  # origin between the hips
    trunk = np.linalg.norm(pose.world[Landmark.LEFT_SHOULDER] - pose.world[Landmark.LEFT_HIP])
    assert 0.3 < trunk < 0.8  # metres, an adult trunk


def test_downscaled_inference_maps_back_to_frame_pixels(clip_frames, model_path):
    frames = clip_frames[:8]
    h, w = frames[0][0].shape[:2]
    with PoseEstimator(PoseEstimatorOptions(model_path, max_inference_side=None)) as native:
        ref = [native.estimate(img, t, i) for img, t, i in frames]
    with PoseEstimator(PoseEstimatorOptions(model_path, max_inference_side=max(w, h))) as scaled:
        big = [scaled.estimate(cv2.resize(img, (2 * w, 2 * h)), t, i) for img, t, i in frames]
    for a, b in zip(ref, big, strict=True):
        assert a is not None and b is not None
        assert b.image_size == (2 * w, 2 * h)
        assert b.mask.shape == (h, w)  # the mask stays at inference resolution
        seen = a.visibility > 0.5
        assert np.median(np.abs(b.xy[seen] - 2 * a.xy[seen])) < 3.0


def test_repeated_timestamps_are_accepted(clip_frames, model_path):
    img, t, _ = clip_frames[0]
    with PoseEstimator(PoseEstimatorOptions(model_path, segmentation=False)) as estimator:
        first = estimator.estimate(img, t, 0)
        again = estimator.estimate(img, t, 1)  # MediaPipe itself rejects a repeated timestamp
    assert first is not None and again is not None
    assert again.t_ms == t and again.mask is None


def test_keeps_following_the_first_person_when_another_appears(clip_frames, model_path):
    def scene(img, second_person):
        h, w = img.shape[:2]
        canvas = np.full((h, 2 * w, 3), 200, np.uint8)
        canvas[:, w:] = img
        if second_person:
            canvas[:, :w] = img[:, ::-1]  # a mirrored copy on the left
        return canvas

    w = clip_frames[0][0].shape[1]
    # Count on every frame (no longer interval while alone), so the count follows the scene exactly.
    options = PoseEstimatorOptions(
        model_path, max_inference_side=None, people_check_ms=0.0, people_idle_check_ms=None
    )
    with PoseEstimator(options) as estimator:
        poses = [estimator.estimate(scene(img, i >= 3), t, i) for img, t, i in clip_frames[:8]]
    assert all(p is not None for p in poses)
    assert [p.people for p in poses] == [1, 1, 1] + [2] * 5
    assert all(p.xy[Landmark.LEFT_HIP, 0] > w for p in poses)  # always the right-hand person
    assert len({p.track_id for p in poses}) == 1


def _two_people(img):
    h, w = img.shape[:2]
    canvas = np.full((h, 2 * w, 3), 200, np.uint8)
    canvas[:, w:] = img
    canvas[:, :w] = img[:, ::-1]
    return canvas


def test_people_are_counted_once_per_interval_and_carried_between(clip_frames, model_path):
    frames = [(_two_people(img), t, i) for img, t, i in clip_frames[:4]]
    with PoseEstimator(PoseEstimatorOptions(model_path, max_inference_side=None)) as estimator:
        poses = [estimator.estimate(img, t, i) for img, t, i in frames]
    # Only the first frame is counted (default: once a second); the count holds after it.
    assert [p.people_counted is not None for p in poses] == [True, False, False, False]
    assert [p.people for p in poses] == [2, 2, 2, 2]


def test_people_are_counted_when_the_person_is_found_again_and_otherwise_seldom(clip_frames, model_path):
    blank = np.full_like(clip_frames[0][0], 128)
    frames = [(img, t, i) for img, t, i in clip_frames[:4]]
    frames[2] = (blank, frames[2][1], 2)  # nobody for a frame: the next pose is a new finding
    with PoseEstimator(PoseEstimatorOptions(model_path, max_inference_side=None)) as estimator:
        poses = [estimator.estimate(img, t, i) for img, t, i in frames]
        assert poses[2] is None
        # One person, track holding: the next count waits for the idle interval (15 s).
        later = [estimator.estimate(img, t, i) for img, t, i in clip_frames[4:40]]
    assert [p.people_counted is not None for p in (poses[0], poses[1], poses[3])] == [True, False, True]
    assert all(p.people_counted is None for p in later)


def test_background_count_arrives_without_holding_up_frames(clip_frames, model_path):
    frames = [(_two_people(img), t, i) for img, t, i in clip_frames[:30]]
    options = PoseEstimatorOptions(model_path, max_inference_side=None, people_check_background=True)
    with PoseEstimator(options) as estimator:
        poses = [estimator.estimate(img, t, i) for img, t, i in frames]
    assert poses[0].people == 1  # the count is still running when the first frame is returned
    arrived = next(i for i, p in enumerate(poses) if p.people_counted is not None)
    assert 0 < arrived < 10
    assert all(p.people == 2 for p in poses[arrived:])


def test_without_a_people_count_only_the_tracked_person_is_seen(clip_frames, model_path):
    frames = [(_two_people(img), t, i) for img, t, i in clip_frames[:3]]
    with PoseEstimator(PoseEstimatorOptions(model_path, people_check_ms=None)) as estimator:
        poses = [estimator.estimate(img, t, i) for img, t, i in frames]
    assert [p.people for p in poses] == [1, 1, 1]


def test_a_broken_model_is_a_clear_error(tmp_path):
    fake = tmp_path / "fake.task"
    with zipfile.ZipFile(fake, "w") as bundle:
        bundle.writestr("pose_detector.tflite", b"not a tflite model")
        bundle.writestr("pose_landmarks_detector.tflite", b"nor this")
    with pytest.raises(ModelUnavailableError, match="cannot load the pose model"):
        PoseEstimator(PoseEstimatorOptions(fake))


def test_mediapipe_keeps_the_terminal_clean(clip_frames, model_path, tmp_path):
    img, _, _ = clip_frames[0]
    frame = tmp_path / "frame.png"
    cv2.imwrite(str(frame), img)
    code = (
        "import cv2, sys\n"
        "from vision.estimator import PoseEstimator, PoseEstimatorOptions\n"
        f"img = cv2.imread({str(frame)!r})\n"
        f"with PoseEstimator(PoseEstimatorOptions({str(model_path)!r})) as e:\n"
        "    poses = [e.estimate(img, i * 33.3, i) for i in range(5)]\n"
        "print(sum(p is not None for p in poses))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("BACKFORM_DEBUG", None)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "5"
    assert done.stderr == ""


# ------------------------------------------------------------------ tracker logic (no model)


def _people(*hips_and_sizes):
    """(people, 33, 2) landmark arrays: each person a box of the given size around its hip centre."""
    out = []
    for (x, y), size in hips_and_sizes:
        person = np.zeros((33, 2))
        person[:] = (x, y)
        person[0] = (x - size / 2, y - size)  # head corner
        person[32] = (x + size / 2, y + size)  # foot corner
        out.append(person)
    return np.array(out)


def test_tracker_starts_with_the_largest_then_follows_the_nearest():
    tracker = PersonTracker()
    image = (1280, 720)
    assert tracker.choose(_people(((300, 400), 100), ((900, 400), 300)), 0, image) == (1, 1)
    # The tracked person moves a little while the other one grows: stay with the tracked one.
    assert tracker.choose(_people(((900, 300), 600), ((920, 410), 300)), 33, image) == (1, 1)
    assert tracker.choose(
        _people(
            ((940, 420), 300),
        ),
        66,
        image,
    ) == (0, 1)


def test_tracker_starts_a_new_track_after_a_jump_or_a_long_absence():
    tracker = PersonTracker(lost_after_ms=1000)
    image = (640, 480)
    assert tracker.choose(
        _people(
            ((100, 240), 100),
        ),
        0,
        image,
    ) == (0, 1)
    assert tracker.choose(
        _people(
            ((550, 240), 100),
        ),
        33,
        image,
    ) == (0, 2)  # 450 px in one frame
    assert tracker.choose(
        _people(
            ((560, 240), 100),
        ),
        900,
        image,
    ) == (0, 2)  # short dropout
    assert tracker.choose(
        _people(
            ((570, 240), 100),
        ),
        2500,
        image,
    ) == (0, 3)  # gone too long


def test_a_kept_people_counter_counts_as_a_new_one(clip_frames, model_path, monkeypatch):
    """A batch worker keeps the counting model between videos (keep_people_counters): the next
    estimator reuses it, and counts the same as one with its own."""
    import vision.estimator as estimator_module

    frames = [(_two_people(img), t, i) for img, t, i in clip_frames[:8]]
    options = PoseEstimatorOptions(model_path, max_inference_side=None, people_check_ms=100.0)

    def counts(estimator: PoseEstimator) -> list[tuple[int | None, int]]:
        poses = [estimator.estimate(img, t, i) for img, t, i in frames]
        return [(p.people_counted, p.people) for p in poses]

    with PoseEstimator(options) as own:
        expected = counts(own)
    assert any(counted == 2 for counted, _ in expected)
    monkeypatch.setattr(estimator_module, "_spare_counters", None)
    estimator_module.keep_people_counters()
    with PoseEstimator(options) as first:
        kept = first._counter
        assert counts(first) == expected
    with PoseEstimator(options) as second:
        assert second._counter is kept
        assert counts(second) == expected
    shelved = [c for spares in estimator_module._spare_counters.values() for c in spares]
    assert shelved == [kept]  # back on the shelf for the next one
    kept.close()


def test_a_small_person_the_whole_frame_misses_is_found_in_its_middle(model_path):
    # A committed stress render: a small person on hands and knees in a dim 320 px picture,
    # whom MediaPipe's person detector never finds in the whole frame. Looking again at the
    # middle 2/3 of the frame (the person ~1.5x larger) finds them and tracks them there.
    clip = REPO / "samples" / "stress" / "stress_011_catcow_good.mp4"
    with open_video(clip) as video:
        frames = [(f.image, f.t_ms, f.index) for f in video if f.t_ms < 2500.0]
    plain = PoseEstimatorOptions(model_path, zoom_crop=None, people_check_ms=None)
    with PoseEstimator(plain) as estimator:
        assert all(estimator.estimate(*f) is None for f in frames)
    with PoseEstimator(PoseEstimatorOptions(model_path, people_check_ms=None)) as estimator:
        poses = [estimator.estimate(*f) for f in frames]
    found = [p for p in poses if p is not None]
    assert len(found) >= 10
    h, w = frames[0][0].shape[:2]
    for p in found:
        assert p.image_size == (w, h)
        hips = p.xy[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP]]
        assert np.all((w / 6 - 5 <= hips[:, 0]) & (hips[:, 0] <= w - w / 6 + 5))  # mapped back
        # The mask covers the whole frame, empty outside the crop, the person inside it.
        assert p.mask is not None and p.mask.shape[1] / p.mask.shape[0] == pytest.approx(w / h, rel=0.02)
        edge = round(p.mask.shape[1] / 7)
        assert p.mask[:, :edge].max() == 0.0 and p.mask.max() > 0.5


@pytest.mark.parametrize("turn", [1, -1])
def test_a_look_at_the_frame_turned_a_quarter_maps_back_onto_the_frame(model_path, turn):
    # The same plank found in the frame and in the frame turned a quarter: mapped back, the
    # landmarks, the world axes and the person mask agree with the whole frame's.
    from vision.estimator import _import_mediapipe, _Look

    mp = _import_mediapipe()[0]
    with open_video(REPO / "samples" / "plank_good.mp4") as video:
        frames = [(f.image, f.t_ms, f.index) for f in video if f.t_ms < 1000.0]
    options = PoseEstimatorOptions(model_path, zoom_crop=None, turned_looks=False, people_check_ms=None)
    look = _Look(turn=turn)
    with PoseEstimator(options) as estimator:
        for image, t_ms, index in frames:
            whole = estimator.estimate(image, t_ms, index)
            result = look.detect(mp, image, cv2.cvtColor(image, cv2.COLOR_BGR2RGB), round(t_ms) + 1, options)
            assert whole is not None and result.pose_landmarks
            h, w = image.shape[:2]
            uv = np.array([[(p.x, p.y) for p in result.pose_landmarks[0]]])
            xy = look.to_frame_uv(uv)[0] * (w, h)
            body = [Landmark.LEFT_SHOULDER, Landmark.LEFT_HIP, Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE]
            assert np.median(np.linalg.norm(xy[body] - whole.xy[body], axis=1)) < 0.02 * w
            world = look.to_frame_world(np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks[0]]))
            assert np.median(np.abs(world[body, :2] - whole.world[body, :2])) < 0.08  # metres
            mask = look.to_frame_mask(result.segmentation_masks[0].numpy_view().squeeze())
            assert mask.shape == whole.mask.shape
            both = (mask > 0.5) & (whole.mask > 0.5)
            assert both.sum() / max(1, ((mask > 0.5) | (whole.mask > 0.5)).sum()) > 0.7
    look.close()


def test_a_lying_person_the_whole_frame_misses_is_found_in_the_frame_turned(model_path):
    # A committed stress render: a small person on hands and knees, seen from behind at an
    # angle, whom the whole frame's person detector misses for its first half second. Looking
    # at the frame turned a quarter finds them at once (a search started without delay
    # here), where the whole frame finds them later.
    clip = REPO / "samples" / "stress" / "stress_065_catcow_view.mp4"
    with open_video(clip) as video:
        frames = [(f.image, f.t_ms, f.index) for f in video if f.index < 30]
    plain = PoseEstimatorOptions(model_path, zoom_crop=None, turned_looks=False, people_check_ms=None)
    with PoseEstimator(plain) as estimator:
        whole = [estimator.estimate(*f) for f in frames]
    missed = [p is None for p in whole]
    assert sum(missed[:6]) >= 4 and not all(missed)
    turned = PoseEstimatorOptions(model_path, zoom_crop=None, zoom_after_ms=0.0, people_check_ms=None)
    with PoseEstimator(turned) as estimator:
        poses = [estimator.estimate(*f) for f in frames]
    found = [p for p, m in zip(poses, missed, strict=True) if m and p is not None]
    assert len(found) >= sum(missed) - 2
    h, w = frames[0][0].shape[:2]
    first = next(p for p in whole if p is not None)
    for p in found:
        assert p.image_size == (w, h) and p.mask is not None
        assert p.mask.shape[1] / p.mask.shape[0] == pytest.approx(w / h, rel=0.02)
        # Where the whole frame finds the same person a few frames later (mapped back).
        for joints in (
            [Landmark.LEFT_HIP, Landmark.RIGHT_HIP],
            [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER],
        ):
            gap = p.xy[joints].mean(axis=0) - first.xy[joints].mean(axis=0)
            assert np.linalg.norm(gap) < 0.05 * w


def test_a_crop_mask_is_placed_where_the_crop_was():
    from vision.estimator import _uncrop_mask

    crop = np.ones((4, 6), np.float32)
    full = _uncrop_mask(crop, x0=3, crop_w=6, frame_w=12)
    assert full.shape == (4, 12)
    assert full[:, 3:9].min() == 1.0 and full[:, :3].max() == 0.0 and full[:, 9:].max() == 0.0
    half = _uncrop_mask(np.ones((2, 3), np.float32), x0=4, crop_w=6, frame_w=12)  # mask at 1/2 scale
    assert half.shape == (2, 6) and half[:, 2:5].min() == 1.0 and half[:, :2].max() == 0.0
