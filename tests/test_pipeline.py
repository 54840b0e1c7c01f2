"""run_pipeline: the shared frame loop, with fake source/estimator/checker and real sinks."""

from __future__ import annotations

import math
import os
import signal

import av
import numpy as np
import pytest

from exercises.registry import spec_for
from feedback.overlay import Overlay, display_for
from feedback.pipeline import StopPipeline, run_pipeline
from feedback.session import SessionRecorder
from feedback.sinks import LastFrameSettledVideoSink, OverlaySink, VideoSink
from feedback.video_out import VideoWriter
from tests.feedback_fakes import FakeHingeChecker, FakeSource, TrackEstimator, hinge_schedule, times


class Recording:
    """A sink that remembers what it saw (and whether it was closed or aborted)."""

    def __init__(self, stop_after: int | None = None, abortable: bool = True):
        self.seen: list[tuple[int, float, float]] = []  # (index, t_ms, mean pixel)
        self.assessments = []
        self.closed = self.aborted = False
        self.stop_after = stop_after
        if not abortable:
            self.abort = None

    def consume(self, frame, assessment):
        self.seen.append((frame.index, frame.t_ms, float(frame.image.mean())))
        self.assessments.append(assessment)
        if self.stop_after is not None and len(self.seen) >= self.stop_after:
            raise StopPipeline

    def close(self):
        self.closed = True

    def abort(self):
        self.aborted = True


def decoded_frames(path):
    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(video=0))


def test_full_run_counts_reps_and_writes_annotated_video(tmp_path):
    n = 30 + 3 * 60 + 15  # 1 s upright, three 2 s hinges, 0.5 s upright
    source = FakeSource(times(n))
    estimator = TrackEstimator(hinge_schedule(3))
    recorder = SessionRecorder("hip-hinge", "fake.mp4", ("hip_angle_deg",))
    after_overlay = Recording()
    video = tmp_path / "out.mp4"
    sinks = [
        recorder,
        OverlaySink(Overlay(display_for(spec_for("hip-hinge")))),
        after_overlay,
        VideoSink(VideoWriter(video)),
    ]
    result = run_pipeline(source, estimator, FakeHingeChecker(), sinks)
    assert result.frames == n and result.frames_with_pose == n
    assert not result.interrupted and not result.stopped
    assert result.last.rep_count == 3
    report = recorder.report()
    assert report.rep_count == 3 and [r.index for r in report.reps] == [1, 2, 3]
    # The fake checker starts a rep when the trunk passes 50 deg: 80 sin^2(pi p) = 50.
    p = math.asin(math.sqrt(50 / 80)) / math.pi
    assert report.reps[0].start_s == pytest.approx(1.0 + 2 * p, abs=0.034)
    assert report.reps[2].end_s == pytest.approx(
        1.0 + 4 + 2 * (1 - math.asin(math.sqrt(20 / 80)) / math.pi), abs=0.034
    )
    assert decoded_frames(video) == n
    # The sink after the overlay saw annotated frames (plain frames have mean ~ 96 + blue ramp).
    plain = np.full((480, 640, 3), 96, np.uint8)
    plain[:, :, 0] = 0
    assert after_overlay.seen[0][2] != pytest.approx(plain.mean(), abs=0.01)
    assert set(result.times.sinks_s) == {"SessionRecorder", "OverlaySink", "Recording", "VideoSink"}


def test_frames_without_person_reach_the_checker_as_none():
    estimator = TrackEstimator(lambda t: None if 1.0 <= t < 1.5 else 0.0)
    rec = Recording()
    result = run_pipeline(FakeSource(times(60)), estimator, FakeHingeChecker(), [rec])
    assert result.frames == 60 and result.frames_with_pose == 45
    missing = [a.frame_index for a in rec.assessments if a.pose is None]
    assert missing == list(range(30, 45))


def test_ctrl_c_closes_sinks_normally_and_keeps_partial_output(tmp_path):
    video = tmp_path / "partial.mp4"
    rec = Recording()
    result = run_pipeline(
        FakeSource(times(100), interrupt_at=40),
        TrackEstimator(hinge_schedule(2)),
        FakeHingeChecker(),
        [rec, VideoSink(VideoWriter(video))],
    )
    assert result.interrupted and result.frames == 40
    assert rec.closed and not rec.aborted
    assert decoded_frames(video) == 40


def test_stop_from_a_sink_ends_the_loop_cleanly():
    stopper, other = Recording(stop_after=10), Recording()
    result = run_pipeline(
        FakeSource(times(50)), TrackEstimator(lambda t: 0.0), FakeHingeChecker(), [other, stopper]
    )
    assert result.stopped and result.frames == 10
    assert other.closed and stopper.closed and len(other.seen) == 10


def test_failure_aborts_sinks_and_deletes_partial_video(tmp_path):
    class Broken(TrackEstimator):
        def estimate(self, image, t_ms, index):
            if index == 20:
                raise RuntimeError("model crashed")
            return super().estimate(image, t_ms, index)

    plain, rec = Recording(abortable=False), Recording()
    with pytest.raises(RuntimeError, match="model crashed"):
        run_pipeline(
            FakeSource(times(50)),
            Broken(lambda t: 0.0),
            FakeHingeChecker(),
            [rec, plain, VideoSink(VideoWriter(tmp_path / "out.mp4"))],
        )
    assert rec.aborted and not rec.closed
    assert plain.closed  # sinks without abort() are closed instead
    assert os.listdir(tmp_path) == []


def test_smoother_applied_and_reset_after_a_long_gap():
    class CountingSmoother:
        def __init__(self):
            self.calls, self.resets = 0, []

        def __call__(self, pose):
            self.calls += 1
            return pose.replace(extras={**pose.extras, "smoothed": True})

        def reset(self):
            self.resets.append(self.calls)

    smoother = CountingSmoother()
    # Person gone 1.0-2.0 s (a gap longer than the reset threshold), and 2.5-2.6 s (short).
    estimator = TrackEstimator(lambda t: None if 1.0 <= t < 2.0 or 2.5 <= t < 2.6 else 0.0)
    rec = Recording()
    run_pipeline(FakeSource(times(90)), estimator, FakeHingeChecker(), [rec], smoother=smoother)
    assert smoother.calls == sum(a.pose is not None for a in rec.assessments)
    assert smoother.resets == [30]  # once, before the first pose after the long gap
    assert all(a.pose.extras.get("smoothed") for a in rec.assessments if a.pose is not None)


def test_on_frame_callback_sees_every_frame_and_can_stop():
    seen = []

    def on_frame(frame, assessment):
        seen.append(frame.index)
        if frame.index == 4:
            raise StopPipeline

    result = run_pipeline(
        FakeSource(times(20)), TrackEstimator(lambda t: 0.0), FakeHingeChecker(), [], on_frame=on_frame
    )
    assert seen == [0, 1, 2, 3, 4] and result.stopped and result.frames == 5


class SelfInterrupt(Recording):
    """Sends this process SIGINT (as Ctrl+C would) `times` times while consuming frame `at`."""

    def __init__(self, at: int, times: int):
        super().__init__()
        self.at, self.times = at, times

    def consume(self, frame, assessment):
        if frame.index == self.at:
            for _ in range(self.times):
                os.kill(os.getpid(), signal.SIGINT)
        super().consume(frame, assessment)


def test_first_ctrl_c_finishes_the_frame_in_every_sink():
    first, interrupter, last = Recording(), SelfInterrupt(at=10, times=1), Recording()
    result = run_pipeline(
        FakeSource(times(50)), TrackEstimator(lambda t: 0.0), FakeHingeChecker(), [first, interrupter, last]
    )
    assert result.interrupted and result.frames == 11
    assert [len(s.seen) for s in (first, interrupter, last)] == [11, 11, 11]
    assert last.closed and not last.aborted
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored


def test_second_ctrl_c_stops_at_once():
    interrupter, last = SelfInterrupt(at=10, times=2), Recording()
    result = run_pipeline(
        FakeSource(times(50)), TrackEstimator(lambda t: 0.0), FakeHingeChecker(), [interrupter, last]
    )
    assert result.interrupted and result.frames == 11
    assert len(last.seen) == 10  # frame 10 never reached the last sink
    assert last.closed
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


class _EndsInARep(FakeHingeChecker):
    """A checker that only learns at the end of the stream that the last movement was a rep."""

    def finish(self, t_ms):
        from exercises.base import Event, EventKind

        return (Event(EventKind.REP_COMPLETED, t_ms, self.reps + 1, t_ms - 500.0),)


def test_events_decided_at_the_end_of_the_stream_reach_the_report_not_the_video():
    recorder = SessionRecorder("hip-hinge", "fake.mp4", ("hip_angle_deg",))
    rec = Recording()
    result = run_pipeline(
        FakeSource(times(30 + 60 + 15)), TrackEstimator(hinge_schedule(1)), _EndsInARep(), [recorder, rec]
    )
    report = recorder.report()
    assert report.rep_count == 2 and len(report.reps) == 2
    assert report.reps[-1].end_s == pytest.approx(result.last_t_ms / 1000)
    assert len(rec.seen) == result.frames  # no extra frame drawn for it
    assert result.last.rep_count == 2


class _DrawnCounts:
    """An overlay that writes the rep count it is asked to draw into the picture's first pixel."""

    def draw(self, image, assessment, cue=None):
        image[0, 0, 0] = assessment.rep_count


class _Frames:
    """A writer that keeps what it was given."""

    def __init__(self):
        self.written: list[tuple[int, float]] = []  # (drawn rep count, t_ms)
        self.finished = self.aborted = False

    def write(self, image, t_ms):
        self.written.append((int(image[0, 0, 0]), t_ms))

    def finish(self):
        self.finished = True

    def close(self):
        self.finished = True

    def abort(self):
        self.aborted = True


def test_the_annotated_video_ends_on_the_count_settled_at_the_end_of_the_stream():
    n = 30 + 60 + 15
    writer = _Frames()
    sink = LastFrameSettledVideoSink(writer, _DrawnCounts(), None, in_set=True)
    source = FakeSource(times(n))
    result = run_pipeline(source, TrackEstimator(hinge_schedule(1)), _EndsInARep(), [sink])
    assert writer.finished and len(writer.written) == n == result.frames
    assert [t for _, t in writer.written] == times(n)  # every frame once, in order
    counts = [c for c, _ in writer.written]
    assert counts[-2] == 1 and counts[-1] == 2  # only the last frame shows the settled rep
    assert counts[:-1] == sorted(counts[:-1]) and counts[0] == 0


class _FailsAt(Recording):
    def __init__(self, index: int):
        super().__init__()
        self.index = index

    def consume(self, frame, assessment):
        if frame.index == self.index:
            raise RuntimeError("disk full")
        super().consume(frame, assessment)


def test_a_video_stopped_by_a_failure_drops_the_frame_it_held_back():
    writer = _Frames()
    sink = LastFrameSettledVideoSink(writer, _DrawnCounts(), None)
    with pytest.raises(RuntimeError):
        run_pipeline(
            FakeSource(times(20)),
            TrackEstimator(hinge_schedule(1)),
            FakeHingeChecker(),
            [sink, _FailsAt(10)],
        )
    assert writer.aborted and len(writer.written) == 10  # frame 10 was held, then dropped
