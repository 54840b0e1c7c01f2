"""What the analysis could not see: warnings and the nothing-judged error, from scripted frames."""

from __future__ import annotations

from exercises.base import Assessment, ViewProblem, ViewVerdict
from feedback.coverage import CoverageSink, coverage_warnings, no_faults_line, nothing_judged, too_short
from feedback.session import SessionRecorder
from tests.feedback_fakes import stick_pose, times
from vision.errors import ViewError

FPS = 30


def session(frames: list[tuple[bool, ViewProblem | None, int, int]]):
    """Record frames (person seen, view problem, people in view, track id) at 30 fps."""
    recorder, coverage = SessionRecorder("plank"), CoverageSink()
    for i, ((seen, problem, people, track), t) in enumerate(zip(frames, times(len(frames)), strict=True)):
        pose = stick_pose(0.0, t, i).replace(people=people, track_id=track) if seen else None
        ok = seen and problem in (None, ViewProblem.SEVERAL_PEOPLE)
        view = ViewVerdict(ok, "left" if seen else None, problem if seen else ViewProblem.NO_PERSON, 1)
        a = Assessment("plank", t, i, view, "holding", {}, pose=pose)
        recorder.consume(None, a)
        coverage.consume(None, a)
    return recorder.report(), coverage


def seconds(s: float, seen: bool = True, problem=None, people: int = 1, track: int = 1):
    return [(seen, problem, people, track)] * round(s * FPS)


def test_a_clean_video_has_nothing_to_say():
    report, coverage = session(seconds(2.0))
    assert coverage_warnings(report, coverage) == []
    assert nothing_judged(report, coverage, "clip.mp4") is None


def test_gaps_without_a_person_are_listed_short_dropouts_are_not():
    frames = seconds(1.0, seen=False) + seconds(2.0) + seconds(0.2, seen=False) + seconds(1.0)
    report, coverage = session(frames)
    assert coverage_warnings(report, coverage) == [
        "Only part of the video shows a person: judged 3.0 of 4.2 s (nobody in view at 0.0-1.0 s)."
    ]
    report, coverage = session(seconds(1.0) + seconds(0.3, seen=False) + seconds(1.0))
    assert coverage_warnings(report, coverage) == []


def test_several_people_and_switches_of_the_person_followed():
    two = seconds(1.0, people=2, track=1) + seconds(1.0, people=2, track=2)
    report, coverage = session(seconds(1.0) + two)
    assert coverage.several_people_frames == 60 and coverage.person_switches == 1
    assert coverage_warnings(report, coverage) == [
        "2 people were in view for 2.0 s: judged one of them (the largest when first seen) and ignored "
        "the other; the person followed changed once, so film one person at a time."
    ]
    report, coverage = session(seconds(1.0, people=3))
    assert "3 people were in view for 1.0 s" in coverage_warnings(report, coverage)[0]
    assert "ignored the others." in coverage_warnings(report, coverage)[0]


def test_moments_that_could_not_be_judged_are_said():
    frames = (
        seconds(1.0)
        + seconds(1.0, problem=ViewProblem.BODY_NOT_VISIBLE)
        + seconds(1.5, problem=ViewProblem.NOT_SIDE_ON)
    )
    report, coverage = session(frames)
    assert coverage_warnings(report, coverage) == [
        "The whole body was not in the picture for 1.0 s: those moments were not judged "
        "(step back so head to feet are visible).",
        "The person was not side-on to the camera for 1.5 s: those moments were not judged "
        "(turn side-on to the camera).",
    ]
    assert nothing_judged(report, coverage, "clip.mp4") is None


def test_nothing_judged_names_the_main_reason():
    report, coverage = session(
        seconds(0.5, problem=ViewProblem.BODY_NOT_VISIBLE) + seconds(1.5, problem=ViewProblem.NOT_SIDE_ON)
    )
    error = nothing_judged(report, coverage, "clip.mp4")
    assert isinstance(error, ViewError)
    assert str(error) == (
        "clip.mp4 cannot be judged: the person is never side-on to the camera. "
        "Turn side-on (film from the side) and record again."
    )
    report, coverage = session(seconds(1.0, problem=ViewProblem.BODY_NOT_VISIBLE))
    assert "the whole body (head to feet) is never in the picture" in str(
        nothing_judged(report, coverage, "clip.mp4")
    )
    report, coverage = session(seconds(1.0, seen=False))
    assert nothing_judged(report, coverage, "clip.mp4") is None  # nobody at all: NoPersonError's case


def test_cut_short_and_damaged_files():
    report, coverage = session(seconds(1.2))
    assert coverage_warnings(report, coverage, truncated=True, claimed_duration_s=2.0) == [
        "The video was truncated: analysed the first 1.2 s of 2.0 s."
    ]
    assert coverage_warnings(report, coverage, truncated=True) == [
        "The video was truncated: analysed the first 1.2 s."
    ]
    assert coverage_warnings(report, coverage, truncated=True, damaged_packets=3) == [
        "Parts of the video could not be decoded (3 damaged packets): analysed the 1.2 s that could be read."
    ]
    lost = [(0.3, 0.5), (0.8, 0.9)]
    assert coverage_warnings(report, coverage, truncated=True, damaged_packets=3, missing_s=lost) == [
        "Parts of the video could not be decoded (3 damaged packets): no frames at 0.3-0.5 s, 0.8-0.9 s; "
        "analysed the other 0.9 s on the video's own timeline."
    ]
    report.partial = True  # stopped by Ctrl+C: the end of the file was never reached
    assert coverage_warnings(report, coverage, truncated=True, claimed_duration_s=2.0) == []


def test_a_clip_shorter_than_a_fault_can_last_is_too_short_to_judge():
    _, coverage = session(seconds(2.0))
    assert too_short(coverage, "clip.mp4") is None
    _, coverage = session(seconds(1 / FPS))
    assert str(too_short(coverage, "still.png")).startswith(
        "still.png is a single picture, too short to judge"
    )
    _, coverage = session(seconds(0.1))
    assert str(too_short(coverage, "blink.mp4")).startswith(
        "blink.mp4 is too short to judge (3 frames over 0.07 s)"
    )


def test_faults_the_checker_could_not_judge_are_said_with_why():
    recorder, coverage = SessionRecorder("hip-hinge"), CoverageSink()
    behind = (("rounded_back", "seen from behind at an angle"),)
    ok = ViewVerdict(True, "left", None, 1)
    # 1 s judged, 2 s without a judgeable back, 0.2 s with a short outline glitch (not worth saying).
    unjudged = [()] * FPS + [behind] * (2 * FPS) + [(("head_drop", "the head hid the neck"),)] * 6
    for i, (why, t) in enumerate(zip(unjudged, times(len(unjudged)), strict=True)):
        a = Assessment("hip-hinge", t, i, ok, "hinged", {}, pose=stick_pose(0.0, t, i), unjudged=why)
        recorder.consume(None, a)
        coverage.consume(None, a)
    report = recorder.report()
    assert report.to_dict()["not_judged"] == [
        {"fault": "rounded_back", "why": "seen from behind at an angle", "s": 2.0},
        {"fault": "head_drop", "why": "the head hid the neck", "s": 0.2},
    ]
    assert coverage_warnings(report, coverage) == [
        "Rounded back could not be judged for 2.0 s: seen from behind at an angle."
    ]
    assert no_faults_line(report) == (
        "No faults found in what could be judged (not judged: rounded back for 2.0 s)."
    )


def test_faults_unjudged_for_one_reason_share_a_line():
    recorder, coverage = SessionRecorder("hip-hinge"), CoverageSink()
    codes = ("squatting", "locked_knees", "head_drop")
    hidden = tuple((code, "the legs could not be seen") for code in codes)
    ok = ViewVerdict(True, "left", None, 1)
    unjudged = [()] * FPS + [hidden] * (2 * FPS)
    for i, (why, t) in enumerate(zip(unjudged, times(len(unjudged)), strict=True)):
        a = Assessment("hip-hinge", t, i, ok, "hinged", {}, pose=stick_pose(0.0, t, i), unjudged=why)
        recorder.consume(None, a)
        coverage.consume(None, a)
    report = recorder.report()
    assert coverage_warnings(report, coverage) == [
        "Squatting, locked knees and head drop could not be judged for 2.0 s: the legs could not be seen."
    ]
    assert no_faults_line(report) == (
        "No faults found in what could be judged "
        "(not judged: squatting, locked knees and head drop for 2.0 s)."
    )


def test_no_faults_line_plain_when_everything_was_judged():
    report, _ = session(seconds(2.0))
    assert no_faults_line(report) == "No faults found."
