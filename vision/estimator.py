"""MediaPipe PoseLandmarker (Tasks API, VIDEO mode) behind a small interface: BGR frame in, `Pose` out.

Nothing MediaPipe-typed leaves this module. Only API present in both mediapipe 0.10.x and
1.x is used: `tasks.python.vision.PoseLandmarker`, `PoseLandmarkerOptions`, `RunningMode`,
`tasks.python.BaseOptions`, `mediapipe.Image` and `Image.numpy_view()`.

Coordinates: `Pose.xy` is in pixels of the frame passed in, even when inference runs on a
downscaled copy (`max_inference_side`). The segmentation mask stays at inference
resolution (scaling it up would cost time and add nothing); `Pose.image_size` is the frame
size, so map frame pixels into the mask with `vision.geometry.scale_to_mask`.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from vision.errors import ModelUnavailableError
from vision.landmarks import NUM_LANDMARKS, Landmark
from vision.model import validate_model
from vision.pose import Pose

# MediaPipe's C++ side logs through glog/absl and TFLite straight to stderr. The env vars
# quiet what honours them; the rest is printed while the graph starts, which
# `_quiet_stderr` swallows. BACKFORM_DEBUG=1 shows everything.
for _name, _value in (("GLOG_minloglevel", "2"), ("TF_CPP_MIN_LOG_LEVEL", "3")):
    os.environ.setdefault(_name, _value)

_HIPS = [Landmark.LEFT_HIP, Landmark.RIGHT_HIP]
_stderr_lock = threading.Lock()

# Counting landmarkers kept between estimators of this process (see keep_people_counters):
# by model file and thresholds. None: each estimator loads and closes its own.
_spare_counters: dict[tuple, list] | None = None
_spare_lock = threading.Lock()


def keep_people_counters() -> None:
    """Keep the people-count landmarkers of closed estimators for the next ones in this
    process (a batch worker analyses video after video). The count runs in IMAGE mode, which
    keeps no state between images, so a kept one counts exactly as a new one would; loading
    one cost ~85 ms of CPU per video (0.3-0.4 ms a frame on the sample clips). The landmarker
    that tracks the person (VIDEO mode) is always new: it carries tracking from frame to frame."""
    global _spare_counters
    with _spare_lock:
        if _spare_counters is None:
            _spare_counters = {}


def _counter_key(options: PoseEstimatorOptions) -> tuple:
    path = Path(options.model_path).resolve()
    stamp = None
    with suppress(OSError):  # the file was validated just before; a replaced file is a new key
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
    return (path, stamp, options.min_detection_confidence, options.min_presence, options.min_tracking)


def _take_counter(key: tuple):
    with _spare_lock:
        spares = _spare_counters.get(key) if _spare_counters is not None else None
        return spares.pop() if spares else None


def _shelve_counter(key: tuple, counter) -> bool:
    """Keep `counter` for a later estimator; False when keeping is off (close it)."""
    with _spare_lock:
        if _spare_counters is None:
            return False
        _spare_counters.setdefault(key, []).append(counter)
        return True


@dataclass
class PoseEstimatorOptions:
    """How to run the pose model.

    num_poses: people MediaPipe tracks per frame. Keep 1: while fewer people than this
        are in view MediaPipe runs its person detector on every frame (measured at 640x480
        on one core: ~34 ms/frame with 2, ~21 ms with 1). Extra people are counted by the
        periodic check below instead.
    people_check_ms: with num_poses=1, a separate two-person pass in IMAGE mode (~40 ms)
        counts who is in view, so the view gate can say "several people": whenever the
        tracked person is found (first pose, after frames with nobody, a jump to someone
        else), and then every people_check_ms (stream time) while others were counted, to
        see them leave. None = never.
    people_idle_check_ms: while only the tracked person was counted and the track holds,
        count again only this often: someone stepping in beside a steady person breaks no
        track, and the tracked person is still the one judged. None = every people_check_ms.
        (A count is ~25 ms of CPU: once a second cost ~1.3 ms a frame at 30 fps, a tenth of
        the pose model; every 5 s 0.15-0.3. Every 15 s, a clip shorter than that is counted
        only when its person is found, as issue 16 asks, and a long recording still notices
        a bystander within 15 s for 0.06 ms a frame.)
    people_check_background: run that pass on a second thread (MediaPipe releases the GIL),
        so live frames never wait for it; counts then arrive a frame or two late.
    min_detection_confidence / min_presence / min_tracking: MediaPipe's three thresholds
        (person detector score, landmark-model presence, ROI tracking).
    segmentation: also return the person mask (needed for the back-contour checks).
    max_inference_side: frames with a longer side are downscaled for inference only;
        landmarks are mapped back to the original pixels. None = never downscale.
    """

    model_path: Path
    num_poses: int = 1
    min_detection_confidence: float = 0.5
    min_presence: float = 0.5
    min_tracking: float = 0.5
    segmentation: bool = True
    max_inference_side: int | None = 960
    people_check_ms: float | None = 1000.0
    people_idle_check_ms: float | None = 15000.0
    people_check_background: bool = False
    # When nobody is found in the whole frame, look again at its middle (this fraction of its
    # width, full height) with a second tracker: a small person (lying in a plank or on hands
    # and knees 3 m away in a 320-480 px picture) can be below what the person detector finds
    # in the whole frame and yet be found in the crop (~1.5x larger) and tracked there. Three
    # rendered clips with nobody found in any frame: 0, 0, 0 -> 164/181, 98/135, 126/126
    # frames. It starts after zoom_after_ms with nobody in the whole frame: the checkers
    # bridge shorter gaps (0.5 s), and a second tracker's poses joined to the first one's
    # jump (a rendered cat-cow whose first two frames came from it gained a too_fast false
    # positive). It runs, one more model run a frame, until the whole frame finds the person
    # again. None = never.
    zoom_crop: float | None = 2.0 / 3.0
    zoom_after_ms: float = 500.0
    # ... and at the frame turned a quarter each way, each with its own tracker: MediaPipe's
    # person detector finds upright people far better than lying ones. On frames of rendered
    # planks and cat-cows (and a few hinges) where the whole frame found nobody, sampled from
    # every set, the whole frame again in IMAGE mode found 20 of 320, turned clockwise 163,
    # counter-clockwise 159, either 209 (a forearm plank with nobody found for its first 3 s:
    # 12 of 12). While nobody is found the looks (the crop, then each turn) take turns, one
    # a frame, so a search costs one more model run a frame, never more; the look that
    # finds the person runs every frame until the whole frame finds them again.
    turned_looks: bool = True


class PeopleCount:
    """When to count the people in view, and the count carried to the frames in between.

    Decisions go by the frames' timestamps only, so a run gives the same counts however
    the work is spread over threads.
    """

    def __init__(self, every_ms: float | None, idle_ms: float | None = None) -> None:
        self.every_ms = every_ms
        self.idle_ms = idle_ms  # the interval while one person was counted (None: every_ms)
        self._last_check_ms: float | None = None
        self.current = 1

    @classmethod
    def for_options(cls, options: PoseEstimatorOptions, idle: bool = True) -> PeopleCount:
        """Counting is only needed while MediaPipe tracks a single person. idle=False: the
        same interval whoever was counted (for callers that cannot see the track)."""
        every = options.people_check_ms if options.num_poses == 1 else None
        return cls(every, options.people_idle_check_ms if idle else None)

    def due(self, t_ms: float, found: bool = False) -> bool:
        """Whether the frame at t_ms gets a count (call in stream order). found: the tracked
        person was just (re)found, which always gets one."""
        if self.every_ms is None:
            return False
        last = self._last_check_ms
        alone = self.current <= 1 and self.idle_ms is not None
        interval = self.idle_ms if alone else self.every_ms
        if found or last is None or not 0 <= t_ms - last < interval:
            self._last_check_ms = t_ms
            return True
        return False

    def apply(self, pose: Pose | None) -> Pose | None:
        """Record a fresh count carried by `pose`, and stamp the latest count on it."""
        if pose is None:
            return None
        checked = pose.people_counted
        if checked is not None:
            self.current = max(1, int(checked))
        people = max(pose.people, self.current)
        return pose if people == pose.people else pose.replace(people=people)


class PoseEstimator:
    """Runs the pose model on successive frames of one stream and tracks one person.

    estimate() must be fed frames in time order (MediaPipe's VIDEO mode tracks across
    frames); timestamps are made strictly increasing integers for it. Use one estimator
    per stream, or call reset() before starting another.
    """

    def __init__(self, options: PoseEstimatorOptions) -> None:
        self.options = options
        validate_model(Path(options.model_path))
        self._landmarker = None
        self._looks = _second_looks(options)  # second looks where the whole frame finds nobody
        self._look: _Look | None = None  # the look that found the person on the last frame
        self._next_look = 0  # while searching, the look to try next
        self._nobody_since: float | None = None  # stream time of the first of the frames with nobody
        self._counter = None  # IMAGE-mode two-person landmarker for the periodic people count
        self._counter_key: tuple = ()
        self._count_thread: ThreadPoolExecutor | None = None
        self._count_future: Future | None = None
        self._rgb: np.ndarray | None = None
        self._tracker = PersonTracker()
        self._people = PeopleCount.for_options(options)
        self._last_ts: int | None = None
        self._last_track: int | None = None  # None after a frame with nobody
        self._quiet_frames = 0
        self._open()

    def _open(self) -> None:
        mp, _, mp_vision = _import_mediapipe()
        self._mp = mp
        opts = landmarker_options(self.options)
        counter_opts = None
        if self._people.every_ms is not None:
            counting = replace(self.options, num_poses=2, segmentation=False)
            counter_opts = landmarker_options(counting, image_mode=True)
            self._counter_key = _counter_key(counting)
            self._counter = _take_counter(self._counter_key)
        try:
            with _quiet_stderr():
                self._landmarker = mp_vision.PoseLandmarker.create_from_options(opts)
                if counter_opts is not None and self._counter is None:
                    self._counter = mp_vision.PoseLandmarker.create_from_options(counter_opts)
        except (RuntimeError, ValueError) as err:
            first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ModelUnavailableError(
                f"MediaPipe cannot load the pose model {self.options.model_path}: {first_line}"
            ) from None
        # The graph logs a few more warnings on its first frames with a person in view.
        self._quiet_frames = 3

    def reset(self) -> None:
        """Forget tracking state and timestamps (a new stream starts)."""
        self.close()
        self._tracker = PersonTracker()
        self._people = PeopleCount.for_options(self.options)
        self._last_ts = None
        self._last_track = None
        self._nobody_since = None
        self._looks = _second_looks(self.options)
        self._look = None
        self._next_look = 0
        self._open()

    def close(self) -> None:
        if self._count_thread is not None:
            self._count_thread.shutdown(wait=True)
            self._count_thread = None
            self._count_future = None
        if self._counter is not None and _shelve_counter(self._counter_key, self._counter):
            self._counter = None
        with _quiet_stderr():  # mediapipe 1.x logs accelerator teardown
            for name in ("_landmarker", "_counter"):
                landmarker = getattr(self, name)
                if landmarker is not None:
                    landmarker.close()
                    setattr(self, name, None)
            for look in self._looks:
                look.close()

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def estimate(self, image_bgr: np.ndarray, t_ms: float, frame_index: int) -> Pose | None:
        """The tracked person's pose in this frame, or None if nobody is detected."""
        return self._people.apply(self.estimate_raw(image_bgr, t_ms, frame_index, None))

    def estimate_raw(
        self, image_bgr: np.ndarray, t_ms: float, frame_index: int, count_people: bool | None = False
    ) -> Pose | None:
        """estimate() without carrying people counts between frames; with count_people the
        pose's `people_counted` holds a fresh count when one finished (for callers that spread
        frames over estimators). count_people=None: count when this estimator's own schedule
        says so (estimate())."""
        if self._landmarker is None:
            raise RuntimeError("PoseEstimator is closed")
        image_bgr = _as_bgr(image_bgr)
        h, w = image_bgr.shape[:2]
        rgb = self._rgb = _inference_rgb(image_bgr, self.options.max_inference_side, self._rgb)
        ts = math.floor(float(t_ms) + 0.5)
        if self._last_ts is not None and ts <= self._last_ts:
            ts = self._last_ts + 1
        self._last_ts = ts

        mp_image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb)
        result, self._quiet_frames = _detect(self._landmarker, mp_image, ts, self._quiet_frames)

        if result.pose_landmarks:
            self._nobody_since = None
        elif self._nobody_since is None:
            self._nobody_since = t_ms
        look = None
        if not result.pose_landmarks and self._look_due(t_ms):
            look = self._look or self._looks[self._next_look]
            look_result = look.detect(self._mp, image_bgr, rgb, ts, self.options)
            if look_result.pose_landmarks:
                result = look_result
            else:
                if self._look is None:  # searching: the next look on the next frame
                    self._next_look = (self._next_look + 1) % len(self._looks)
                look = None
        self._look = look
        people = len(result.pose_landmarks)
        if people == 0:
            self._last_track = None
            return None
        # One list comprehension per person into numpy; None scores (unsupported) read as NaN.
        norm = np.array(
            [[(p.x, p.y, p.visibility, p.presence) for p in person] for person in result.pose_landmarks],
            dtype=np.float64,
        )
        uv = norm[:, :, :2] if look is None else look.to_frame_uv(norm[:, :, :2])
        xy_all = uv * (w, h)
        chosen, track_id = self._tracker.choose(xy_all, t_ms, (w, h))
        found, self._last_track = track_id != self._last_track, track_id
        if count_people is None:
            count_people = self._people.due(t_ms, found)
        counted = None
        if self._counter is not None and look is None:
            counted = self._count_people(mp_image, count_people)

        scores = np.nan_to_num(np.clip(norm[chosen, :, 2:4], 0.0, 1.0), nan=1.0).astype(np.float32)
        world = np.array(
            [(p.x, p.y, p.z) for p in result.pose_world_landmarks[chosen]], dtype=np.float32
        ).reshape(NUM_LANDMARKS, 3)
        mask = None
        if result.segmentation_masks:
            # A read-only view of MediaPipe's mask, not a copy (1.2 MB a 640x480 frame, ~0.15 ms):
            # the view holds its Image, so the pixels stay valid as long as the pose does.
            view = result.segmentation_masks[chosen].numpy_view()
            mask = np.asarray(view, dtype=np.float32).reshape(view.shape[0], view.shape[1])
        if look is not None:
            world = look.to_frame_world(world)
            mask = None if mask is None else look.to_frame_mask(mask)
        return Pose(
            xy=xy_all[chosen].astype(np.float32),
            world=world,
            visibility=scores[:, 0].copy(),
            presence=scores[:, 1].copy(),
            t_ms=float(t_ms),
            frame_index=int(frame_index),
            image_size=(w, h),
            mask=mask,
            people=people,
            track_id=track_id,
            people_counted=counted,
            inference_size=(rgb.shape[1], rgb.shape[0]),
        )

    def _look_due(self, t_ms: float) -> bool:
        """A second look: one found the person on the last frame, or nobody for zoom_after_ms."""
        if not self._looks:
            return False
        if self._look is not None:
            return True
        return self._nobody_since is not None and t_ms - self._nobody_since >= self.options.zoom_after_ms

    def _count_people(self, mp_image, due: bool) -> int | None:
        """How many people are in view, when a count is due (or, in the background, has just
        finished); None otherwise."""
        if not self.options.people_check_background:
            if not due:
                return None
            with _quiet_stderr() if self._quiet_frames else nullcontext():
                return max(1, len(self._counter.detect(mp_image).pose_landmarks))
        done = None
        if self._count_future is not None and self._count_future.done():
            done = self._count_future.result()
            self._count_future = None
        if due and self._count_future is None:
            if self._count_thread is None:
                self._count_thread = ThreadPoolExecutor(1, thread_name_prefix="people-count")
            counter = self._counter
            self._count_future = self._count_thread.submit(
                lambda: max(1, len(counter.detect(mp_image).pose_landmarks))
            )
        return done


class _Look:
    """A second look at a frame the whole-frame tracker found nobody in, with its own VIDEO-mode
    tracker (made when first needed): the middle of the frame (`crop`, a fraction of its width,
    full height) or the frame turned a quarter (`turn` +1 clockwise, -1 counter-clockwise).
    Maps what it finds back to the frame: landmarks (normalised), world axes and the mask."""

    def __init__(self, crop: float | None = None, turn: int = 0) -> None:
        self.crop, self.turn = crop, turn
        self._landmarker = None
        self._quiet = 3
        self._rgb: np.ndarray | None = None
        self._crop_px = (0, 1, 1)  # the last crop's left edge and width, and the frame's width

    def detect(
        self, mp, image_bgr: np.ndarray, frame_rgb: np.ndarray, ts: int, options: PoseEstimatorOptions
    ):
        if self._landmarker is None:
            _, _, mp_vision = _import_mediapipe()
            with _quiet_stderr():
                self._landmarker = mp_vision.PoseLandmarker.create_from_options(landmarker_options(options))
        if self.crop is not None:
            w = image_bgr.shape[1]
            x0 = (w - max(1, round(w * float(self.crop)))) // 2
            crop_w = w - 2 * x0  # the same margin either side
            self._crop_px = (x0, crop_w, w)
            crop = image_bgr[:, x0 : x0 + crop_w]
            rgb = self._rgb = _inference_rgb(crop, options.max_inference_side, self._rgb)
        else:
            code = cv2.ROTATE_90_CLOCKWISE if self.turn > 0 else cv2.ROTATE_90_COUNTERCLOCKWISE
            rgb = cv2.rotate(frame_rgb, code)
        mp_image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
        result, self._quiet = _detect(self._landmarker, mp_image, ts, self._quiet)
        return result

    def to_frame_uv(self, uv: np.ndarray) -> np.ndarray:
        """(..., 2) normalised coordinates in the look -> in the frame."""
        u, v = uv[..., 0], uv[..., 1]
        if self.crop is not None:
            x0, crop_w, w = self._crop_px
            return np.stack([(x0 + u * crop_w) / w, v], axis=-1)
        # Clockwise: the frame's x runs down the turned picture and its y right to left.
        return np.stack([v, 1.0 - u] if self.turn > 0 else [1.0 - v, u], axis=-1)

    def to_frame_world(self, world: np.ndarray) -> np.ndarray:
        """World landmarks (x right, y down in the picture, z depth) -> the frame's axes."""
        if self.crop is not None:
            return world
        x, y, z = world[:, 0], world[:, 1], world[:, 2]
        return np.stack([y, -x, z] if self.turn > 0 else [-y, x, z], axis=-1).astype(np.float32)

    def to_frame_mask(self, mask: np.ndarray) -> np.ndarray:
        if self.crop is not None:
            return _uncrop_mask(mask, *self._crop_px)
        code = cv2.ROTATE_90_COUNTERCLOCKWISE if self.turn > 0 else cv2.ROTATE_90_CLOCKWISE
        return cv2.rotate(np.ascontiguousarray(mask), code)

    def close(self) -> None:
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None


def _second_looks(options: PoseEstimatorOptions) -> list[_Look]:
    looks = [] if options.zoom_crop is None else [_Look(crop=options.zoom_crop)]
    return looks + ([_Look(turn=1), _Look(turn=-1)] if options.turned_looks else [])


def _inference_rgb(image_bgr: np.ndarray, limit: int | None, dst: np.ndarray | None) -> np.ndarray:
    """RGB for MediaPipe, downscaled if the image exceeds `limit`; into `dst` when it has the
    right shape (MediaPipe copies the pixels into its own Image, so one buffer can be reused)."""
    h, w = image_bgr.shape[:2]
    if limit is not None and max(w, h) > limit:
        scale = limit / max(w, h)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        # INTER_AREA only where it matters: for mild downscales (720p -> 960) bilinear has
        # no aliasing to speak of and costs ~4x less (measured ~2 vs ~9 ms per 720p frame).
        interp = cv2.INTER_LINEAR if scale >= 0.5 else cv2.INTER_AREA
        image_bgr = cv2.resize(image_bgr, size, interpolation=interp)
    if dst is None or dst.shape != image_bgr.shape:
        dst = np.empty_like(image_bgr)
    cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB, dst=dst)
    return dst


def _detect(landmarker, mp_image, ts: int, quiet: int):
    """`detect_for_video`, with stderr swallowed while `quiet` frames with a person are still
    due (the graph logs warnings on its first ones); returns the result and those still due."""
    with _quiet_stderr() if quiet else nullcontext():
        result = landmarker.detect_for_video(mp_image, ts)
    return result, quiet - 1 if quiet and result.pose_landmarks else quiet


def _uncrop_mask(mask: np.ndarray, x0: int, crop_w: int, frame_w: int) -> np.ndarray:
    """A crop's person mask placed in a mask of the whole frame (same pixel scale as the
    crop's mask; nobody outside the crop)."""
    mh, mw = mask.shape
    scale = mw / crop_w
    full = np.zeros((mh, max(mw, round(frame_w * scale))), np.float32)
    left = min(round(x0 * scale), full.shape[1] - mw)
    full[:, left : left + mw] = mask
    return full


def landmarker_options(options: PoseEstimatorOptions, image_mode: bool = False):
    """MediaPipe's PoseLandmarkerOptions for `options` (VIDEO mode unless image_mode); also
    what the benchmark's bare-MediaPipe runs use, so both run the same model the same way."""
    _, BaseOptions, mp_vision = _import_mediapipe()
    return mp_vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(options.model_path)),
        running_mode=mp_vision.RunningMode.IMAGE if image_mode else mp_vision.RunningMode.VIDEO,
        num_poses=options.num_poses,
        min_pose_detection_confidence=options.min_detection_confidence,
        min_pose_presence_confidence=options.min_presence,
        min_tracking_confidence=options.min_tracking,
        output_segmentation_masks=options.segmentation,
    )


class PersonTracker:
    """Chooses which detected person to follow from frame to frame.

    Follows the person whose hip centre is nearest the tracked one; with no recent track
    (start, or nobody seen for `lost_after_ms`) it takes the largest person. A new track
    id is issued whenever the followed person may have changed, so smoothing can restart.
    """

    def __init__(self, lost_after_ms: float = 1000.0, max_jump: float = 0.25) -> None:
        self.lost_after_ms = lost_after_ms
        self.max_jump = max_jump  # fraction of the image diagonal per frame that means "someone else"
        self.track_id = 0
        self._hip: np.ndarray | None = None
        self._seen_ms: float | None = None

    def choose(self, xy: np.ndarray, t_ms: float, image_size: tuple[int, int]) -> tuple[int, int]:
        """xy: (people, 33, 2) pixels. Returns (index of the person to follow, track id)."""
        hips = xy[:, _HIPS].mean(axis=1)
        diagonal = float(np.hypot(*image_size))
        recent = self._seen_ms is not None and t_ms - self._seen_ms <= self.lost_after_ms
        chosen = None
        if recent and self._hip is not None:
            dist = np.linalg.norm(hips - self._hip, axis=1)
            nearest = int(np.argmin(dist))
            if dist[nearest] <= self.max_jump * diagonal:
                chosen = nearest
        if chosen is None:
            span = xy.max(axis=1) - xy.min(axis=1)
            chosen = int(np.argmax(span[:, 0] * span[:, 1]))
            self.track_id += 1
        self._hip = hips[chosen]
        self._seen_ms = t_ms
        return chosen, self.track_id


def _as_bgr(image: np.ndarray) -> np.ndarray:
    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got {image.dtype}")
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) BGR image, got shape {image.shape}")
    return image


def _import_mediapipe():
    """Import lazily: MediaPipe takes a second to load and only the estimator needs it."""
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions
    from mediapipe.tasks.python import vision as mp_vision

    return mp, BaseOptions, mp_vision


@contextmanager
def _quiet_stderr():
    """Send file descriptor 2 to /dev/null while MediaPipe's C++ code chatters.

    Used only around graph start-up and the first frames with a person; anything another
    thread writes to stderr in that window is lost too, which is why it is kept short.
    """
    if os.environ.get("BACKFORM_DEBUG"):
        yield
        return
    with _stderr_lock:
        try:
            if sys.stderr is not None:
                sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError):
            saved = None  # no usable stderr: nothing to silence
        if saved is None:
            yield
            return
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.close(devnull)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
