"""Input files that are damaged, unreadable, not files at all, or too short to judge.

Each is run as a user runs it (`backform analyze` in a subprocess): a damaged file is analysed
on its own timeline with one warning naming the lost stretch; everything else is one
`backform: ...` line, exit code 1, and nothing written.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import av
import cv2
import pytest

from tests.cli_helpers import SAMPLES, backform_command, cli_env, one_line_error
from tests.odd_clips import sample_frames, write_clip

EXIT_FAILED = 1
SMALL = (320, 240)
NOT_A_FILE = "not a regular file; save the stream to a file first."


def run(
    *args, cwd: Path, stdin=subprocess.DEVNULL, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*prefix, *backform_command(*args)],
        cwd=cwd,
        env=cli_env(),
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=600,
    )


def remux(src: Path, dst: Path) -> Path:
    """The same H.264 packets in another container (MPEG-TS keeps timestamps in the stream itself)."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        stream = inp.streams.video[0]
        copy = out.add_stream_from_template(stream)
        for packet in inp.demux(stream):
            if packet.dts is None:  # the demuxer's final flush packet
                continue
            packet.stream = copy
            out.mux(packet)
    return dst


def damage_middle(path: Path, fraction: float = 0.05, seed: int = 1) -> Path:
    """Overwrite `fraction` of the file's bytes, a little before its middle, with random bytes."""
    data = bytearray(path.read_bytes())
    n = int(fraction * len(data))
    start = len(data) // 2 - n // 2 - 2 * n // 3
    data[start : start + n] = random.Random(seed).randbytes(n)
    path.write_bytes(bytes(data))
    return path


# -- damaged bytes in the middle: the timeline stays true to the container -------------------------
def test_damaged_middle_keeps_the_timeline_and_names_the_lost_stretch(tmp_path, model_path):
    labels = json.loads((SAMPLES / "hinge_good.labels.json").read_text())
    video = damage_middle(remux(SAMPLES / "hinge_good.mp4", tmp_path / "hinge.ts"))
    proc = run("analyze", video, "-e", "hip-hinge", "--no-video", "-r", tmp_path / "r.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    # The clip lasts 9.9 s; a late frame taken as a restart of the timeline stretched it to 11-14 s.
    assert report["duration_s"] == pytest.approx(labels["duration_s"], abs=0.1)
    truth = labels["reps"]
    first, last = report["reps"][0], report["reps"][-1]
    # Reps before and after the damage are where they are in the video (the damage may merge
    # or lose the rep it falls in, never move the later ones).
    assert first["start_s"] == pytest.approx(truth[0]["start_s"], abs=0.5)
    assert last["end_s"] == pytest.approx(truth[-1]["end_s"], abs=0.5)
    assert all(r["end_s"] <= report["duration_s"] for r in report["reps"])
    warnings = report["warnings"]
    assert len(warnings) == 1 and warnings[0].startswith("Parts of the video could not be decoded"), warnings
    lost = warnings[0].split("no frames at ")[1].split(" s;")[0]
    start_s, end_s = (float(x) for x in lost.split("-"))
    assert 3.0 < start_s < end_s < 7.0 and end_s - start_s < 3.0, warnings[0]
    assert f"backform: warning: {warnings[0]}" in proc.stderr


# -- not a readable regular file: one line, exit 1 ------------------------------------------------------
def _without_root_powers() -> tuple[str, ...]:
    """Root reads any file: run as root without the capabilities that bypass permissions."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a file root cannot read cannot be made")
    caps = "-dac_override,-dac_read_search"
    return (setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}")


@pytest.mark.parametrize(
    ("which", "code", "message"),
    [
        ("video", 1, "{path} cannot be read (permission denied)."),
        ("--model", 1, "{path} is not a pose landmarker model: cannot be read (Permission denied)."),
        ("--thresholds", 2, "Cannot read thresholds file {path}: Permission denied"),
    ],
)
def test_an_unreadable_input_is_one_line_not_a_usage_error(which, code, message, tmp_path, model_path):
    source = {"video": SAMPLES / "plank_good.mp4", "--model": model_path}.get(which)
    locked = tmp_path / f"locked{source.suffix if source else '.toml'}"
    if source is None:
        locked.write_text("[plank]\n")
    else:
        shutil.copy(source, locked)
    locked.chmod(0)
    video = locked if which == "video" else SAMPLES / "plank_good.mp4"
    extra = [] if which == "video" else [which, locked]
    args = ("analyze", video, "-e", "plank", "-r", tmp_path / "r.json", *extra)
    proc = run(*args, cwd=tmp_path, prefix=_without_root_powers())
    line = one_line_error(proc.returncode, proc.stderr, code)  # click's 4-line usage error had exit 2
    assert line == "backform: " + message.format(path=locked)
    assert sorted(p.name for p in tmp_path.iterdir()) == [locked.name]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux device files")
@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda d: (os.mkfifo(d / "stream.mp4"), d / "stream.mp4")[1], "a pipe (FIFO)"),
        (lambda d: Path("/dev/zero"), "a character device"),
        (lambda d: Path("/dev/stdin"), "a pipe (FIFO)"),
    ],
    ids=["fifo", "dev-zero", "dev-stdin-pipe"],
)
def test_a_stream_or_device_as_input_says_what_it_is(make, kind, tmp_path):
    source = make(tmp_path)
    proc = run(
        "analyze", source, "-e", "plank", "-r", tmp_path / "r.json", cwd=tmp_path, stdin=subprocess.PIPE
    )
    line = one_line_error(proc.returncode, proc.stderr, EXIT_FAILED)
    assert line == f"backform: {source} is {kind}, {NOT_A_FILE}"
    assert not (tmp_path / "r.json").exists()


# -- too short to judge: its own answer, never "No faults found" ------------------------------------
def _still_png(d: Path) -> Path:
    path = d / "photo.png"
    cv2.imwrite(str(path), sample_frames("plank_good.mp4", 4.0, 0.02, SMALL)[0])
    return path


def _one_frame_mp4(d: Path) -> Path:
    return write_clip(d / "one.mp4", sample_frames("plank_good.mp4", 4.0, 0.02, SMALL))


def _three_frames_mp4(d: Path) -> Path:
    return write_clip(d / "three.mp4", sample_frames("plank_good.mp4", 4.0, 0.09, SMALL))


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (_still_png, "photo.png is a single picture, too short to judge"),
        (_one_frame_mp4, "one.mp4 is a single picture, too short to judge"),
        (_three_frames_mp4, "three.mp4 is too short to judge (3 frames over 0.07 s)"),
    ],
    ids=["png", "one-frame-video", "three-frames"],
)
def test_a_still_or_a_blink_is_too_short_to_judge(make, expected, tmp_path, model_path):
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    out.mkdir()
    video = make(inputs)
    proc = run("analyze", video, "-e", "plank", "-o", out / "a.mp4", "-r", out / "r.json", cwd=out)
    line = one_line_error(proc.returncode, proc.stderr, EXIT_FAILED)
    assert line == f"backform: {expected}: record a video of the exercise, a few seconds at least."
    assert "No faults found" not in proc.stdout
    assert sorted(p.name for p in out.iterdir()) == []  # no report, no video, no temporary file
