"""Fakes for the feedback tests: a frame source, a pose track and a small but real checker.

They stand in for the camera/MediaPipe/exercise checkers so the pipeline, overlay, session
recording and reports can be tested fast and exactly: the track's hip angle follows a
known schedule, so the expected reps and fault intervals follow from the script.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from exercises.base import (
    Assessment,
    Checker,
    Event,
    EventKind,
    Fault,
    Severity,
    ViewProblem,
    ViewVerdict,
)
from vision.geometry import joint_angle
from vision.landmarks import NUM_LANDMARKS, Joint, Landmark
from vision.pose import Pose


@dataclass(frozen=True)
class FakeFrame:
    image: np.ndarray
    t_ms: float
    index: int


@dataclass
class FakeInfo:
    path: object = None
    width: int = 640
    height: int = 480
    fps: float = 30.0
    frame_count: int | None = None
    duration_s: float | None = None
    rotation: int = 0
    live: bool = False


class FakeSource:
    """`n` frames of a plain grey image (a fresh array each, like a decoder) at the given times."""

    def __init__(
        self, times_ms: Sequence[float], size: tuple[int, int] = (640, 480), interrupt_at: int | None = None
    ):
        self.times_ms = list(times_ms)
        self.size = size
        self.interrupt_at = interrupt_at
        self.info = FakeInfo(
            width=size[0], height=size[1], frame_count=len(self.times_ms), duration_s=len(self.times_ms) / 30
        )
        self.truncated = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        pass

    def __iter__(self) -> Iterator[FakeFrame]:
        w, h = self.size
        for i, t in enumerate(self.times_ms):
            if self.interrupt_at is not None and i == self.interrupt_at:
                raise KeyboardInterrupt
            image = np.full((h, w, 3), 96, np.uint8)
            image[:, :, 0] = (i * 7) % 256  # frames differ, so an encoder has something to do
            yield FakeFrame(image, t, i)


def times(n: int, fps: float = 30.0, start_ms: float = 0.0) -> list[float]:
    return [start_ms + i * 1000.0 / fps for i in range(n)]


# -- a side-view stick figure -----------------------------------------------------------------
def stick_pose(
    trunk_deg: float,
    t_ms: float = 0.0,
    index: int = 0,
    size: tuple[int, int] = (640, 480),
    facing: int = 1,
    extras: dict | None = None,
) -> Pose:
    """Person standing side-on, left side to the camera, trunk tilted `trunk_deg` from vertical."""
    w, h = size
    s = h / 480.0
    hip = np.array([w / 2, 0.55 * h])
    knee = hip + np.array([0.0, 95 * s])
    ankle = knee + np.array([0.0, 95 * s])
    rad = math.radians(trunk_deg)
    trunk = np.array([facing * math.sin(rad), -math.cos(rad)]) * 110 * s
    shoulder = hip + trunk
    ear = shoulder + trunk * 0.35
    elbow = shoulder + np.array([0.0, 60 * s])
    wrist = elbow + np.array([0.0, 55 * s])
    heel = ankle + np.array([-facing * 10 * s, 8 * s])
    toe = ankle + np.array([facing * 30 * s, 8 * s])
    xy = np.zeros((NUM_LANDMARKS, 2), np.float32)
    vis = np.full(NUM_LANDMARKS, 0.2, np.float32)
    joints = {
        Joint.EAR: ear,
        Joint.SHOULDER: shoulder,
        Joint.ELBOW: elbow,
        Joint.WRIST: wrist,
        Joint.HIP: hip,
        Joint.KNEE: knee,
        Joint.ANKLE: ankle,
        Joint.HEEL: heel,
        Joint.FOOT_INDEX: toe,
    }
    for joint, p in joints.items():
        xy[joint.on("left")] = p
        xy[joint.on("right")] = p + np.array([-facing * 4 * s, 0])
        vis[joint.on("left")] = 0.95
    xy[Landmark.NOSE] = ear + np.array([facing * 15 * s, 0])
    return Pose(
        xy=xy,
        world=np.zeros((NUM_LANDMARKS, 3), np.float32),
        visibility=vis,
        presence=np.ones(NUM_LANDMARKS, np.float32),
        t_ms=t_ms,
        frame_index=index,
        image_size=size,
        extras=extras or {},
    )


@dataclass
class TrackEstimator:
    """Returns the pose scripted for each frame time: `trunk(t_s)` degrees, or None (no person)."""

    trunk: Callable[[float], float | None]
    flags: Callable[[float], dict] = field(default=lambda t: {})
    calls: int = 0

    def estimate(self, image_bgr: np.ndarray, t_ms: float, frame_index: int) -> Pose | None:
        self.calls += 1
        angle = self.trunk(t_ms / 1000.0)
        if angle is None:
            return None
        h, w = image_bgr.shape[:2]
        return stick_pose(angle, t_ms, frame_index, (w, h), extras=self.flags(t_ms / 1000.0))


def hinge_schedule(reps: int, rep_s: float = 2.0, lead_s: float = 1.0, depth_deg: float = 80.0):
    """Trunk angle over time: upright for `lead_s`, then `reps` smooth hinges of `rep_s` each."""

    def trunk(t: float) -> float:
        if t < lead_s or t >= lead_s + reps * rep_s:
            return 0.0
        phase = ((t - lead_s) % rep_s) / rep_s
        return depth_deg * math.sin(math.pi * phase) ** 2

    return trunk


class FakeHingeChecker(Checker):
    """Enough of a hip-hinge checker to drive the feedback code with real geometry.

    Hip angle (shoulder-hip-knee) below 130 starts a rep, back above 160 completes it
    (hysteresis). Faults come from the pose's `extras` flags, set by the test's script.
    """

    name = "hip-hinge"
    title = "Hip hinge"
    main_signals = ("hip_angle_deg",)

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.reps = 0
        self.rep_start: float | None = None
        self.rep_faults: set[str] = set()
        self.fault_since: dict[str, float] = {}
        self.min_angle = 180.0

    def update(self, pose: Pose | None, t_ms: float, frame_index: int) -> Assessment:
        if pose is None:
            view = ViewVerdict(False, None, ViewProblem.NO_PERSON)
            return Assessment("hip-hinge", t_ms, frame_index, view, "setup", {}, rep_count=self.reps)
        side = "left"
        hip = float(
            joint_angle(
                pose.joint(Joint.SHOULDER, side), pose.joint(Joint.HIP, side), pose.joint(Joint.KNEE, side)
            )
        )
        flags = pose.extras
        problem = flags.get("view_problem")
        view = ViewVerdict(problem is None, side, problem, facing=1)
        events: list[Event] = []
        if self.rep_start is None and hip < 130:
            self.rep_start = t_ms
            self.rep_faults = set()
            self.min_angle = hip
            events.append(Event(EventKind.REP_STARTED, t_ms))
        faults = []
        for code, sev, msg in (
            ("rounded_back", Severity.MAJOR, "Keep your back flat"),
            ("head_drop", Severity.MINOR, "Keep your head in line"),
        ):
            if flags.get(code):
                since = self.fault_since.setdefault(code, t_ms)
                faults.append(Fault(code, sev, msg, since))
                if self.rep_start is not None:
                    self.rep_faults.add(code)
            else:
                self.fault_since.pop(code, None)
        if self.rep_start is not None:
            self.min_angle = min(self.min_angle, hip)
            if hip > 160:
                self.reps += 1
                events.append(
                    Event(
                        EventKind.REP_COMPLETED,
                        t_ms,
                        self.reps,
                        self.rep_start,
                        tuple(sorted(self.rep_faults)),
                        {"min_hip_angle_deg": self.min_angle},
                    )
                )
                self.rep_start = None
        phase = "hinged" if self.rep_start is not None else "standing"
        return Assessment(
            "hip-hinge",
            t_ms,
            frame_index,
            view,
            phase,
            {"hip_angle_deg": hip, "trunk_inclination_deg": 180 - hip},
            tuple(sorted(faults, key=lambda f: -f.severity)),
            tuple(events),
            rep_count=self.reps,
            in_position=True,
            pose=pose,
        )


# -- stand-ins for the analysis backends ---------------------------------------------------------
FAKE_VIDEO_MAGIC = b"FAKEVIDEO"


def write_fake_video(path, frames: int) -> None:
    """A file the fake `open_video` accepts: the magic word and a frame count."""
    path.write_bytes(FAKE_VIDEO_MAGIC + f" {frames}".encode())


def fake_backends(
    trunk: Callable[[float], float | None], flags: Callable[[float], dict] = lambda t: {}, **source_kw
):
    """Backends for `analyze_video` that never touch MediaPipe: fake files, scripted poses."""
    import contextlib

    from feedback.analysis import Backends
    from vision.errors import ConfigError, VideoError

    def open_video(path, max_size=None):
        data = path.read_bytes()
        if not data.startswith(FAKE_VIDEO_MAGIC):
            raise VideoError(f"{path.name} is not a video file FFmpeg can read (invalid data).")
        source = FakeSource(times(int(data.split()[1])), **source_kw)
        source.info.path = path
        return source

    def create_checker(name, thresholds=None):
        if name != "hip-hinge":
            raise ConfigError(f"Unknown exercise '{name}'; choose one of: hip-hinge")
        return FakeHingeChecker()

    return Backends(
        open_video=open_video,
        create_checker=create_checker,
        resolve_model=lambda explicit=None: explicit or "fake.task",
        make_estimator=lambda model_path, **kw: contextlib.nullcontext(TrackEstimator(trunk, flags)),
        make_smoother=lambda: lambda pose: pose,
    )
