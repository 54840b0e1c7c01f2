"""The HTML report: its fault stills, a self-contained page, and the page in real headless Chromium."""

from __future__ import annotations

import io
import json
from html.parser import HTMLParser
from pathlib import Path

import cv2
import numpy as np
import pytest

from exercises.base import Assessment, Event, EventKind, Fault, Severity, ViewVerdict
from exercises.registry import spec_for
from feedback.analysis import AnalysisOutputs, analyze_video
from feedback.html_report import CSP, dump_html
from feedback.overlay import PALETTE, SkeletonAnnotator, display_for
from feedback.session import SessionRecorder
from feedback.stills import FaultStillSink
from tests.browser import load_page
from tests.cli_helpers import N_FRAMES
from tests.feedback_fakes import FakeFrame, fake_backends, hinge_schedule, stick_pose, write_fake_video

OK = ViewVerdict(True, "left", None, 1)
ROUNDED = Fault("rounded_back", Severity.MAJOR, "Keep your back flat", 0.0)


def _skeleton() -> SkeletonAnnotator:
    """The hip hinge's skeleton, as its overlay draws it: its faults' joints turn red."""
    return SkeletonAnnotator(display_for(spec_for("hip-hinge")).fault_joints)


def _frames(n: int, size=(960, 540)):
    """Plain grey frames of a stick figure (the picture itself is not drawn, only the pose)."""
    w, h = size
    for i in range(n):
        t = i * 100.0
        yield FakeFrame(np.full((h, w, 3), 120, np.uint8), t, i), stick_pose(40.0, t, i, size)


def _run_sink(sink: FaultStillSink, episodes: dict[int, float]) -> None:
    """Frames 0..99; rounded_back active on the frames in `episodes` (frame -> since_ms)."""
    for frame, pose in _frames(100):
        since = episodes.get(frame.index)
        faults = (
            () if since is None else (Fault("rounded_back", Severity.MAJOR, "Keep your back flat", since),)
        )
        sink.consume(
            frame, Assessment("hip-hinge", frame.t_ms, frame.index, OK, "hinged", {}, faults, pose=pose)
        )
    sink.close()


def test_still_comes_from_the_middle_of_the_longest_episode_with_few_copies(monkeypatch):
    sink = FaultStillSink((_skeleton(),))
    copies: list[int] = []
    picture = sink._picture
    monkeypatch.setattr(sink, "_picture", lambda image, a: copies.append(a.frame_index) or picture(image, a))
    short = {i: 1000.0 for i in range(10, 20)}  # 10 frames
    long = {i: 4000.0 for i in range(40, 80)}  # 40 frames: its middle is frame 60
    _run_sink(sink, short | long)
    [still] = sink.stills()
    assert (still.code, still.message, still.severity) == ("rounded_back", "Keep your back flat", "major")
    assert still.episode_start_s == 4.0 and still.episode_end_s == pytest.approx(7.9)
    assert 5.0 <= still.t_s <= 7.0  # near the middle (copies at 1, 2, 4, ... frames in)
    assert len(copies) <= 2 * 7, copies  # log2 of each episode's length, not one per frame
    image = cv2.imdecode(np.frombuffer(still.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape[:2] == (still.height, still.width) and max(image.shape[:2]) <= 640 + 200


def test_still_shows_the_fault_joints_in_red_and_the_correction_below_the_picture():
    sink = FaultStillSink((_skeleton(),))
    _run_sink(sink, {i: 0.0 for i in range(20, 40)})
    [still] = sink.stills()
    image = cv2.imdecode(np.frombuffer(still.jpeg, np.uint8), cv2.IMREAD_COLOR).astype(int)

    def near(colour, part):
        return (np.abs(part - np.array(colour)).sum(axis=2) < 60).sum()

    grey = (np.abs(image - 120).sum(axis=2) < 12).mean(axis=1)  # the plain frame's grey, per row
    picture_rows = int(np.flatnonzero(grey > 0.5)[-1]) + 1
    picture, strip = image[:picture_rows], image[picture_rows:]
    assert near(PALETTE.fault, picture) > 30  # shoulder and hip, the joints of a rounded back
    assert near(PALETTE.joint_ok, picture) > 30  # the other joints
    major = PALETTE.severity[2]
    assert near(major, strip) > 500  # the banner, below the picture where it hides nothing
    banner_rows = (np.abs(picture - np.array(major)).sum(axis=2) < 60).mean(axis=1) > 0.3
    assert not banner_rows.any()
    # Cropped to the person: the stick figure (about 330 px tall in 540) fills most of the height.
    assert picture_rows > 0.6 * still.width


def test_sink_keeps_one_still_per_fault_and_none_without_faults():
    sink = FaultStillSink((_skeleton(),))
    _run_sink(sink, {})
    assert sink.stills() == []
    two = FaultStillSink((_skeleton(),))
    for frame, pose in _frames(30):
        faults = (ROUNDED, Fault("head_drop", Severity.MINOR, "Keep your head in line", 500.0))
        active = faults if frame.index >= 5 else faults[:1]
        two.consume(frame, Assessment("hip-hinge", frame.t_ms, frame.index, OK, "x", {}, active, pose=pose))
    two.close()
    assert [s.code for s in two.stills()] == ["rounded_back", "head_drop"]  # in time order


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _plank_report():
    rec = SessionRecorder("plank", "clips/plank.mp4", ("body_line_deg",), title="Plank")
    sag = Fault("hip_sag", Severity.MAJOR, "Lift your hips", 3000.0)
    for i in range(80):
        t = i * 100.0
        events = []
        if i == 10:
            events.append(Event(EventKind.HOLD_STARTED, t, start_ms=t))
        if i == 40:
            events.append(Event(EventKind.HOLD_STOPPED, t, None, 1000.0, ("hip_sag",)))
        faults = (sag,) if 30 <= i < 40 else ()
        rec.record(
            Assessment(
                "plank",
                t,
                i,
                OK,
                "holding",
                {"body_line_deg": 5.0 + i % 7},
                faults,
                tuple(events),
                hold_s=max(0.0, min(i, 40) - 10) / 10,
                pose=stick_pose(80.0, t, i),
            )
        )
    report = rec.report()
    report.extra.update({"counts": "hold", "target_hold_s": 30.0, "warnings": ["Some frames <damaged>"]})
    return report


def test_page_is_self_contained_and_says_what_happened():
    out = io.StringIO()
    dump_html(_plank_report(), out, plot_png=b"\x89PNG fake")
    page = out.getvalue()
    parser = _Tags()
    parser.feed(page)
    links = [(tag, k, v) for tag, attrs in parser.tags for k, v in attrs.items() if k in ("src", "href")]
    assert links and all(v.startswith("data:") for _, _, v in links), links
    assert ("meta", {"http-equiv": "Content-Security-Policy", "content": CSP}) in parser.tags
    assert "http:" not in page and "https:" not in page and "<script" not in page
    assert "3.0 s</b> of 30 s" in page  # time held, and the target given
    assert "<h2>Holds</h2>" in page and "Hip sag" in page and "Lift your hips" in page
    assert "Some frames &lt;damaged&gt;" in page  # warnings shown, and escaped


def _analysed(tmp_path: Path, **outputs) -> tuple[AnalysisOutputs, dict]:
    """The fake hinge track, the first rep with a rounded back, through the real analysis."""
    clip = tmp_path / "clip.mp4"
    write_fake_video(clip, N_FRAMES)
    flags = lambda t: {"rounded_back": 1.6 <= t < 2.4, "head_drop": 3.5 <= t < 3.9}  # noqa: E731
    result = analyze_video(
        clip,
        "hip-hinge",
        AnalysisOutputs(**outputs),
        backends=fake_backends(hinge_schedule(2), flags),
        target_reps=4,
    )
    return result, json.loads(outputs["report"].read_text())


def test_analysis_writes_the_page_in_its_output_set(tmp_path):
    o = {k: tmp_path / f"r.{k}" for k in ("csv", "html")} | {"report": tmp_path / "r.json"}
    result, report = _analysed(tmp_path, **o)
    assert result.written == {"report": o["report"], "csv": o["csv"], "html": o["html"]}
    page = o["html"].read_text()
    assert page.count('src="data:image/jpeg;base64,') == 2  # rounded back, head drop
    assert page.count('src="data:image/png;base64,') == 1  # the plot, though no PNG file was asked for
    assert "<b>2</b> of 4" in page and report["target_reps"] == 4


def test_report_renders_in_headless_chromium(tmp_path):
    o = {"report": tmp_path / "r.json", "plot": tmp_path / "r.png", "html": tmp_path / "r.html"}
    _analysed(tmp_path, **o)
    page = load_page(o["html"])
    assert page.errors == []
    assert page.title == "Hip hinge - clip.mp4"
    assert len(page.images) == 3  # the plot and two stills
    for image in page.images:
        assert image["complete"] and image["naturalWidth"] > 0 and image["naturalHeight"] > 0, image
    assert all(url.startswith(("file:", "data:")) for url in page.requests), page.requests
    shot = cv2.imdecode(np.frombuffer(page.screenshot_png, np.uint8), cv2.IMREAD_COLOR)
    assert shot.shape[1] == 1100 and shot.shape[0] > 1500  # the whole page, not one screen
    assert shot.std() > 20  # not blank
    # The stills are on screen in colour: the major fault's red banner is in the screenshot.
    major = np.array(PALETTE.severity[2])
    assert (np.abs(shot.astype(int) - major).sum(axis=2) < 40).sum() > 2000


def test_the_browser_check_sees_broken_images_console_errors_and_refused_urls(tmp_path):
    broken = tmp_path / "broken.html"
    broken.write_text(
        '<!DOCTYPE html><html><head><title>t</title></head><body><img alt="a" src="missing.png">'
        '<img alt="b" src="data:image/png;base64,AAAA"><script>console.error("boom")</script></body></html>'
    )
    page = load_page(broken)
    assert [i["naturalWidth"] for i in page.images] == [0, 0]
    assert any("boom" in e for e in page.errors) and any("missing.png" in e for e in page.errors)
    # The report's policy refuses anything from outside the page (here a local port: nothing leaves).
    o = {"report": tmp_path / "r.json", "html": tmp_path / "r.html"}
    _analysed(tmp_path, **o)
    foreign = tmp_path / "foreign.html"
    foreign.write_text(
        o["html"].read_text().replace("<h1>", '<img alt="x" src="http://127.0.0.1:9/x.png"><h1>', 1)
    )
    page = load_page(foreign)
    assert any("Content Security Policy" in e for e in page.errors), page.errors


def test_faults_judged_on_whole_reps_are_in_the_summary():
    """A cat-cow's small range has no time span, only the reps it marked: never "none found"."""
    rec = SessionRecorder("cat-cow", "c.mp4", title="Cat-cow")
    for i, t in enumerate((0.0, 1000.0, 2000.0, 3000.0)):
        events = ()
        if t in (1000.0, 3000.0):
            faults = ("small_range",) if t == 1000.0 else ()
            events = (Event(EventKind.REP_COMPLETED, t, 1 + (t == 3000.0), t - 900, faults),)
        rec.record(Assessment("cat-cow", t, i, OK, "cat", {}, (), events, rep_count=1 + (t >= 3000)))
    out = io.StringIO()
    dump_html(rec.report(), out)
    page = out.getvalue()
    assert "none found" not in page and "No faults found" not in page
    assert "Small range</span> in 1 of 2 reps" in page
    assert "small range judged on whole reps" in page


def test_no_fault_found_says_what_could_not_be_judged():
    """A back seen from behind is not a flat back: "none found" says what was not judged."""
    rec = SessionRecorder("hip-hinge", "h.mp4", title="Hip hinge")
    behind = (("rounded_back", "seen from behind at an angle"),)
    for i in range(30):
        t = i * 100.0
        rec.record(
            Assessment("hip-hinge", t, i, OK, "hinged", {}, pose=stick_pose(80.0, t, i), unjudged=behind)
        )
    out = io.StringIO()
    dump_html(rec.report(), out)
    page = out.getvalue()
    assert "none found</span> (not judged: rounded back for 3.0 s)" in page
    assert "No faults found in what could be judged (not judged: rounded back for 3.0 s)." in page
