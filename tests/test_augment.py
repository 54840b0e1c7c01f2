"""bench.augment: mirrored / half-size / half-rate copies of a labelled clip set with labels to match."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from bench.augment import augment, main
from bench.bench_pipeline import decode_rgb, make_scaled_copy
from feedback.evaluate import load_labels

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
FRAMES = 10


def _labelled_folder(folder: Path, height: int) -> Path:
    folder.mkdir()
    make_scaled_copy(SAMPLES / "hinge_good.mp4", folder / "clip.mp4", (height * 4 // 3, height), FRAMES)
    entry = json.loads((SAMPLES / "hinge_good.labels.json").read_text())
    entry["clip"] = "clip.mp4"
    (folder / "clip.labels.json").write_text(json.dumps(entry))
    return folder


def test_copies_are_mirrored_and_halved_with_their_frame_times_and_labels(tmp_path):
    src = _labelled_folder(tmp_path / "src", 480)
    out = tmp_path / "out"
    assert augment(src, out, None, ["reencode", "mirror", "half"]) == 3
    control, t_control = decode_rgb(out / "reencode_clip.mp4")
    mirror, t_mirror = decode_rgb(out / "mirror_clip.mp4")
    half, _ = decode_rgb(out / "half_clip.mp4")
    _, t_src = decode_rgb(src / "clip.mp4")
    assert len(control) == len(mirror) == len(half) == FRAMES
    assert np.allclose(t_control, t_src) and np.allclose(t_mirror, t_src)
    for a, b in zip(control, mirror, strict=True):
        flipped = np.abs(a.astype(int) - b[:, ::-1].astype(int)).mean()
        unflipped = np.abs(a.astype(int) - b.astype(int)).mean()
        assert flipped < 3.0 < unflipped
    assert half[0].shape == (240, 320, 3)
    labels = json.loads((out / "labels.json").read_text())
    assert labels["mirror_clip.mp4"]["expected"]["near_side"] == "right"  # hinge_good is seen from the left
    assert labels["reencode_clip.mp4"]["expected"]["near_side"] == "left"
    names = sorted(v.name for v, _ in load_labels(out, out / "labels.json"))
    assert names == ["half_clip.mp4", "mirror_clip.mp4", "reencode_clip.mp4"]


def test_a_half_rate_copy_keeps_every_other_frame_at_its_own_time(tmp_path):
    src = _labelled_folder(tmp_path / "src", 240)
    out = tmp_path / "out"
    assert augment(src, out, None, ["halfrate"]) == 1
    _, t_src = decode_rgb(src / "clip.mp4")
    kept, t_kept = decode_rgb(out / "halfrate_clip.mp4")
    assert len(kept) == FRAMES // 2
    assert np.allclose(t_kept, t_src[::2])
    assert json.loads((out / "labels.json").read_text())["halfrate_clip.mp4"]["clip"] == "halfrate_clip.mp4"


def test_tilted_copies_turn_the_picture_both_ways_about_its_centre(tmp_path):
    src = _labelled_folder(tmp_path / "src", 240)
    out = tmp_path / "out"
    assert augment(src, out, None, ["tiltcw", "tiltccw"]) == 2
    original, _ = decode_rgb(src / "clip.mp4")
    cw, _ = decode_rgb(out / "tiltcw_clip.mp4")
    ccw, _ = decode_rgb(out / "tiltccw_clip.mp4")
    assert len(cw) == len(ccw) == FRAMES and cw[0].shape == original[0].shape
    h, w = original[0].shape[:2]
    for copy, deg in ((cw, -6.0), (ccw, 6.0)):
        m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), deg, 1.0)
        expected = cv2.warpAffine(original[0], m, (w, h), borderMode=cv2.BORDER_REPLICATE)
        other = cv2.warpAffine(original[0], cv2.getRotationMatrix2D((w / 2.0, h / 2.0), -deg, 1.0), (w, h))
        assert np.abs(copy[0].astype(int) - expected.astype(int)).mean() < 3.0
        assert np.abs(copy[0].astype(int) - other.astype(int)).mean() > 3.0


def test_a_small_clip_gets_no_half_and_a_real_clip_labels_file_is_read(tmp_path):
    src = _labelled_folder(tmp_path / "src", 360)
    label = {"exercise": "hip-hinge", "reps": 3, "faults_present": [], "view_ok": True}
    real = {"_about": "notes", "first": label | {"clip": "clip.mp4"}}
    (tmp_path / "real.json").write_text(json.dumps(real))
    out = tmp_path / "out"
    assert augment(src, out, tmp_path / "real.json", ["mirror", "half"]) == 1
    labels = json.loads((out / "labels.json").read_text())
    assert labels["mirror_clip.mp4"] == label | {"clip": "mirror_clip.mp4"} and "half_clip.mp4" not in labels
    assert [v.name for v, _ in load_labels(out, out / "labels.json")] == ["mirror_clip.mp4"]


def test_bad_arguments_are_one_line_and_an_exit_code(tmp_path, capsys):
    assert main([str(tmp_path / "nowhere"), str(tmp_path / "out")]) == 1
    assert main([str(SAMPLES), str(tmp_path / "out"), "--kinds", "sideways"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "nowhere" in err[0] and "sideways" in err[1]
    assert not (tmp_path / "out").exists()
