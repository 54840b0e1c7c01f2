"""What an analysis could not see, said in plain words.

A recorded video may be cut short, show nobody for a while, show two people, cut off the
feet or film the person from the front. The analysis still judges what it can; this module
turns what it could not into one-line warnings for the user (and the report), and into the
error for a video in which not a single moment could be judged.

`CoverageSink` is a pipeline sink counting what the session report does not keep: frames the
checker could judge, frames with several people, and changes of the person followed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from exercises.base import Assessment, ViewProblem
from exercises.faults import FaultSpec
from feedback.session import Interval, Report
from vision.errors import VideoError, ViewError

# Shorter stretches are detector hiccups or the view gate settling, not something to report.
MIN_NOTABLE_S = 0.5
# A clip shorter than this cannot show any fault (a fault must hold this long, FaultSpec.on_ms):
# "no faults found" would be a statement about nothing.
MIN_JUDGEABLE_S = FaultSpec.__dataclass_fields__["on_ms"].default / 1000.0
_MAX_SPANS_LISTED = 3


@dataclass
class CoverageSink:
    """Counts per frame: judged (the view allowed it), several people, person switches."""

    frames: int = 0
    judged_frames: int = 0
    several_people_frames: int = 0
    most_people: int = 0
    person_switches: int = 0  # the tracker picked someone new while others were in view
    first_t_ms: float | None = None
    last_t_ms: float | None = None
    _track: object = None

    @property
    def span_s(self) -> float:
        """Time from the first frame to the last."""
        if self.first_t_ms is None or self.last_t_ms is None:
            return 0.0
        return (self.last_t_ms - self.first_t_ms) / 1000.0

    def consume(self, frame, assessment: Assessment) -> None:
        self.frames += 1
        if self.first_t_ms is None:
            self.first_t_ms = assessment.t_ms
        self.last_t_ms = assessment.t_ms
        if assessment.view.ok:
            self.judged_frames += 1
        pose = assessment.pose
        if pose is None:
            return
        track = pose.track_id
        if pose.people > 1:
            self.several_people_frames += 1
            self.most_people = max(self.most_people, pose.people)
            if self._track is not None and track != self._track:
                self.person_switches += 1
        self._track = track

    def close(self) -> None:
        pass


def coverage_warnings(
    report: Report,
    coverage: CoverageSink,
    truncated: bool = False,
    damaged_packets: int = 0,
    claimed_duration_s: float | None = None,
    missing_s: Sequence[tuple[float, float]] = (),
) -> list[str]:
    """One sentence per thing the user should know about what was (not) analysed.

    missing_s: (start, end) seconds of the stretches whose frames were lost to damage.
    """
    notes = _damage_notes(report, truncated, damaged_packets, claimed_duration_s, missing_s)
    return notes + _people_notes(report, coverage) + _view_notes(report) + _not_judged_notes(report)


def _damage_notes(
    report: Report,
    truncated: bool,
    damaged_packets: int,
    claimed_duration_s: float | None,
    missing_s: Sequence[tuple[float, float]],
) -> list[str]:
    """What a damaged or cut-short file kept from being analysed (one sentence at most)."""
    total = report.duration_s
    if missing_s:
        packets = f" ({damaged_packets} damaged packets)" if damaged_packets else ""
        lost = sum(end - start for start, end in missing_s)
        return [
            f"Parts of the video could not be decoded{packets}: no frames at "
            f"{_spans([Interval(a, b) for a, b in missing_s])}; analysed the other "
            f"{max(0.0, total - lost):.1f} s on the video's own timeline."
        ]
    if damaged_packets:
        return [
            f"Parts of the video could not be decoded ({damaged_packets} damaged packets): "
            f"analysed the {total:.1f} s that could be read."
        ]
    if truncated and not report.partial:
        of = (
            f" of {claimed_duration_s:.1f} s"
            if claimed_duration_s and claimed_duration_s > total + 0.1
            else ""
        )
        return [f"The video was truncated: analysed the first {total:.1f} s{of}."]
    return []


def _people_notes(report: Report, coverage: CoverageSink) -> list[str]:
    """Stretches with nobody in view, and with several people."""
    notes: list[str] = []
    total = report.duration_s
    period = total / report.frames if report.frames else 0.0
    gaps = [g for g in report.no_person if g.duration_s >= MIN_NOTABLE_S]
    if gaps and report.frames_with_pose:
        seen = total - sum(g.duration_s for g in report.no_person)
        notes.append(
            f"Only part of the video shows a person: judged {seen:.1f} of {total:.1f} s "
            f"(nobody in view at {_spans(gaps)})."
        )
    several_s = coverage.several_people_frames * period
    if several_s >= MIN_NOTABLE_S:
        n = coverage.person_switches
        times = "once" if n == 1 else f"{n} times"
        switched = f"; the person followed changed {times}, so film one person at a time" if n else ""
        others = "the other" if coverage.most_people == 2 else "the others"
        notes.append(
            f"{coverage.most_people} people were in view for {several_s:.1f} s: judged one of them "
            f"(the largest when first seen) and ignored {others}{switched}."
        )
    return notes


def _view_notes(report: Report) -> list[str]:
    """Stretches the camera's view could not be judged from (body cut off, not side-on)."""
    notes: list[str] = []
    problems = report.view.problems_s
    cut_off = problems.get(ViewProblem.BODY_NOT_VISIBLE.value, 0.0)
    if cut_off >= MIN_NOTABLE_S:
        notes.append(
            f"The whole body was not in the picture for {cut_off:.1f} s: those moments were not judged "
            "(step back so head to feet are visible)."
        )
    turned = problems.get(ViewProblem.NOT_SIDE_ON.value, 0.0)
    if turned >= MIN_NOTABLE_S:
        notes.append(
            f"The person was not side-on to the camera for {turned:.1f} s: those moments were not judged "
            "(turn side-on to the camera)."
        )
    return notes


def not_judged_said(report: Report) -> str:
    """'rounded back for 4.7 s, ...': the faults the warnings say could not be judged (the
    same stretches, so the seconds agree), or ''."""
    unjudged: dict[str, float] = {}
    for (code, _), seconds in _notable_not_judged(report):
        unjudged[code] = unjudged.get(code, 0.0) + seconds
    by_time: dict[str, list[str]] = {}
    for code, s in unjudged.items():
        by_time.setdefault(f"{s:.1f}", []).append(code.replace("_", " "))
    return ", ".join(f"{_and(names)} for {s} s" for s, names in by_time.items())


def no_faults_line(report: Report) -> str:
    """'No faults found.', qualified when some fault could not be judged for a while."""
    said = not_judged_said(report)
    return f"No faults found in what could be judged (not judged: {said})." if said else "No faults found."


def _not_judged_notes(report: Report) -> list[str]:
    """Faults the checker could not judge for a while, and why: without this a clip filmed
    from behind at an angle would read as a flat back. Faults unjudged for one reason over the
    same time share a line."""
    groups: dict[tuple[str, str], list[str]] = {}
    for (code, why), seconds in _notable_not_judged(report):
        groups.setdefault((why, f"{seconds:.1f}"), []).append(code.replace("_", " "))
    return [
        f"{_and(names).capitalize()} could not be judged for {seconds} s: {why}."
        for (why, seconds), names in groups.items()
    ]


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _notable_not_judged(report: Report) -> list[tuple[tuple[str, str], float]]:
    """((fault code, why), seconds) for the faults unjudged long enough to mention."""
    return [(key, s) for key, s in report.not_judged_s.items() if s >= MIN_NOTABLE_S]


def too_short(coverage: CoverageSink, video_name: str) -> VideoError | None:
    """The error for a still picture or a clip too short for any fault to show, else None."""
    if coverage.frames > 1 and coverage.span_s >= MIN_JUDGEABLE_S:
        return None
    advice = "record a video of the exercise, a few seconds at least."
    if coverage.frames <= 1:
        return VideoError(f"{video_name} is a single picture, too short to judge: {advice}")
    what = f"{coverage.frames} frames over {coverage.span_s:.2f} s"
    return VideoError(f"{video_name} is too short to judge ({what}): {advice}")


def nothing_judged(report: Report, coverage: CoverageSink, video_name: str) -> ViewError | None:
    """The error for a video with a person in it of whom not one frame could be judged."""
    if coverage.judged_frames or not report.frames_with_pose:
        return None
    problems = {
        k: v
        for k, v in report.view.problems_s.items()
        if k in (ViewProblem.NOT_SIDE_ON.value, ViewProblem.BODY_NOT_VISIBLE.value)
    }
    worst = max(problems, key=problems.__getitem__) if problems else None
    if worst == ViewProblem.NOT_SIDE_ON.value:
        return ViewError(
            f"{video_name} cannot be judged: the person is never side-on to the camera. "
            "Turn side-on (film from the side) and record again."
        )
    if worst == ViewProblem.BODY_NOT_VISIBLE.value:
        return ViewError(
            f"{video_name} cannot be judged: the whole body (head to feet) is never in the picture. "
            "Step back from the camera and record again."
        )
    return ViewError(
        f"{video_name} cannot be judged: the person was never seen clearly enough "
        "(film the whole body side-on in good light)."
    )


def _spans(intervals: list[Interval]) -> str:
    shown = ", ".join(f"{g.start_s:.1f}-{g.end_s:.1f} s" for g in intervals[:_MAX_SPANS_LISTED])
    more = len(intervals) - _MAX_SPANS_LISTED
    return shown + (f" and {more} more" if more > 0 else "")
