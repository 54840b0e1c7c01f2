"""The view gate: judge only what the camera can see.

Side-view angles are only meaningful when the body's sagittal plane faces the camera. The gate
decides, per frame but with memory:
- whether the person is side-on (the shoulder/hip line must point roughly at the camera),
- whether the joints the exercise needs are in the frame and visible,
- whether several people are in view (a warning: the tracked person is still judged, because a
  physiotherapist standing by is the common case; the message asks the others to step out),
- which body side is nearer the camera (the side whose landmarks are measured),
- which way the person faces (decided over seconds, never from one frame: a dropped head or
  a turned foot must not flip it).
The reported problem changes only after the new situation has lasted a moment, so messages
do not flicker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from exercises.base import ViewProblem, ViewVerdict
from vision.landmarks import Joint, Landmark, Side
from vision.pose import Pose

_SIDES: tuple[Side, Side] = ("left", "right")


@dataclass(frozen=True, slots=True)
class ViewRule:
    """What an exercise needs to see."""

    key_joints: Sequence[Joint] = (Joint.SHOULDER, Joint.HIP, Joint.KNEE, Joint.ANKLE)
    # Yaw of the shoulder/hip line away from the camera axis (0 = exactly side-on, 90 = facing the
    # camera). Side-view angles shrink with cos(yaw) and the far side starts hiding the near one; up to
    # ~40 deg the errors stay a few degrees, so judging continues at 35 deg. MediaPipe's world depth is
    # noisy, so the gate uses a smoothed estimate with hysteresis. Measured (10th-90th percentile of the
    # raw estimate): real side views 3-29 deg, real views a physio would refuse (45-60 deg front-oblique,
    # front) 48-88; a rendered 35 deg camera 37-42. Real ~45 deg oblique views also read 34-43: the depth
    # alone cannot tell them from a 35 deg view (the knees can: turned_yaw_deg below). Other landmark cues
    # (10th-90th percentile per clip) overlap the same way: shoulder/hip image separation per world metre
    # against the largest limb or trunk image scale, judged up to 0.55-0.72 (the 35 deg render), those two
    # obliques 0.40-0.65; trunk foreshortening (its image scale against that largest), judged planks down
    # to 0.68-0.74, the oblique plank 0.65-0.71; ear separation against ear-to-nose, judged up to
    # 1.17-1.44 (a 27 deg plank seen from the head side), obliques 0.29-0.68; far-side visibility, judged
    # hinges up to 0.77-0.82, the oblique RDL 0.81-0.87; the yaw of the bent trunk's horizontal part (a 4x
    # longer lever than the shoulders), the oblique RDL 30-42, the 35 deg render 32-41. The head is not
    # the body: at a webcam one looks at the screen, so a face turned to the camera refuses nothing. A
    # head-on render can also be fitted as a side plank outright (far arm taken for the legs, depth 20-22
    # deg, width 0.34-0.38): its 2-D and 3-D landmarks and the mask then agree with each other.
    not_side_on_deg: float = 46.0
    side_on_again_deg: float = 41.0
    # MediaPipe's depth can also be far off where the picture is not: a side-on plank on a
    # blurred, compressed 400 px clip read 48-60 deg for 1-2 s at a time while its shoulders
    # and hips stayed within 0.13-0.21 torso lengths of each other in the image. A turn opens
    # that image width by sin(yaw) x ~0.7 (facing the camera: 0.68-0.75 on the rendered
    # front views; refused views, real 45-60 deg and rendered 70-110 deg, read 0.42-5 while
    # their depth says > 46 deg). So a frame's depth yaw is capped at the turn its image width
    # allows, plus image_yaw_margin_deg for 2D jitter and body proportions: the cap reaches
    # the 46 deg gate at a width of 0.36, between the two.
    facing_width: float = 0.7
    image_yaw_margin_deg: float = 15.0
    # Real obliques read low: 45-60 deg views give a depth yaw of 35-43 (per-clip medians).
    # What else shows such a turn is the knees standing apart in the picture: a turn spreads
    # them by the stance width x sin(yaw), while side-on the far knee hides behind the near
    # one. Each cue alone overlaps (the 35 deg render reads 39 deg; a single-leg RDL filmed
    # side-on spreads its knees 0.56), so the two together are a turn: a depth yaw over
    # turned_yaw_deg while the knees stand over turned_knee_spread of a leg's image length
    # apart. Per-clip medians of the spread: real side views 0.01-0.14 (that RDL aside),
    # renders up to 30 deg off p90 0.06-0.14; real obliques to refuse 0.21-0.46; knees 0.3 m
    # apart at the 35 deg limit 0.19-0.23 (tests/synthetic.py). Distributions: exercises/README.md.
    turned_yaw_deg: float = 32.0
    turned_knee_spread: float = 0.25
    # Joints a side view shows whenever they are in the picture, though the exercise need not
    # have them in it: hidden there (seen under min_seen on both sides), the body is facing
    # the camera and hides them itself. On hands and knees the feet lie behind the knees, in
    # view from the side and from behind, behind the body from the front, where MediaPipe can
    # still fit a side view (a head-on cat-cow: depth 25-40 deg, shoulders 0.17-0.35 torso
    # lengths apart). Share of frames whose ankles were hidden inside the picture (survey of
    # every cat-cow clip, cached MediaPipe): judged renders and real clips at most 0.12 (129
    # clips, 127 none), front views 0.20-1.0 (11 of 13 over 0.5). Over `hidden_share` of the
    # recent frames (smoothed over yaw_tau_ms) is a turn.
    shown_side_on: Sequence[Joint] = ()
    hidden_share: float = 0.5
    min_seen: float = 0.5  # landmark visibility x presence needed to measure it
    edge_margin: float = 0.01  # fraction of the frame a key joint may sit outside it (rounding)
    show_ms: float = 300.0  # a problem must last this long before it is reported
    clear_ms: float = 300.0  # and be gone this long before it is cleared
    yaw_tau_ms: float = 300.0  # smoothing of the yaw estimate
    side_tau_ms: float = 700.0  # evidence memory for the near side
    facing_tau_ms: float = 3000.0  # evidence memory for the facing direction


def _yaw_world(pose: Pose) -> float | None:
    """Angle (deg) between the shoulder and hip lines and the camera's depth axis.

    World landmarks are camera-aligned metres; a side-on body has its left-right axis along
    depth (z). Using the full image-plane component (x and y) keeps it valid when the body is
    horizontal (plank) or twisted.
    """
    yaws, weights = [], []
    for left, right in (
        (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
        (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
    ):
        v = pose.world[left].astype(float) - pose.world[right].astype(float)
        n = float(np.linalg.norm(v))
        if n < 1e-3 or not np.isfinite(n):
            continue
        yaws.append(float(np.degrees(np.arctan2(np.hypot(v[0], v[1]), abs(v[2])))))
        weights.append(n)
    if not yaws:
        return None
    return float(np.average(yaws, weights=weights))


def width_ratio(pose: Pose) -> float:
    """Image distance between left and right shoulders (and hips) relative to torso length:
    ~0 side-on, ~0.7 facing the camera. Diagnostic; foreshortening makes it exercise-dependent."""
    sh = np.linalg.norm(pose.xy[Landmark.LEFT_SHOULDER] - pose.xy[Landmark.RIGHT_SHOULDER])
    hp = np.linalg.norm(pose.xy[Landmark.LEFT_HIP] - pose.xy[Landmark.RIGHT_HIP])
    mid_s = (pose.xy[Landmark.LEFT_SHOULDER] + pose.xy[Landmark.RIGHT_SHOULDER]) / 2
    mid_h = (pose.xy[Landmark.LEFT_HIP] + pose.xy[Landmark.RIGHT_HIP]) / 2
    torso = float(np.linalg.norm(mid_s - mid_h))
    return float(max(sh, hp) / max(torso, 1e-6))


def knee_spread(pose: Pose) -> float | None:
    """Image distance between the knees relative to a leg's image length (hip-knee-ankle):
    ~0 side-on with the knees level, stance width x sin(yaw) / leg length when turned."""
    xy = pose.xy
    legs = [
        float(np.linalg.norm(xy[j.on(s)] - xy[k.on(s)]))
        for s in _SIDES
        for j, k in ((Joint.HIP, Joint.KNEE), (Joint.KNEE, Joint.ANKLE))
    ]
    leg = sum(legs) / 2
    if not np.isfinite(leg) or leg < 1e-6:
        return None
    return float(np.linalg.norm(xy[Landmark.LEFT_KNEE] - xy[Landmark.RIGHT_KNEE]) / leg)


def side_evidence(pose: Pose) -> float:
    """> 0 when the left side looks nearer the camera, < 0 for the right.

    Two cues: world depth (the near side has smaller z) and visibility (the far side is
    partly hidden by the body).
    """
    depth = 0.0
    vis = 0.0
    for j in (Joint.SHOULDER, Joint.HIP, Joint.KNEE, Joint.ANKLE, Joint.ELBOW, Joint.EAR):
        lm_l, lm_r = j.on("left"), j.on("right")
        depth += float(pose.world[lm_r, 2] - pose.world[lm_l, 2])
        vis += float(pose.visibility[lm_l] - pose.visibility[lm_r])
    # ~0.3 m summed depth difference side-on at 0 deg; visibility differences ~0.1-0.3 each.
    return float(np.clip(depth / 0.3, -3, 3) + np.clip(vis / 0.6, -3, 3))


def facing_evidence(pose: Pose, side: Side) -> float:
    """> 0 when the person faces image +x. The nose is ahead of the ears and (in every exercise
    here) ahead of the hips; feet point forward when standing. Scaled by torso length."""
    xy = pose.xy
    hip = (xy[Landmark.LEFT_HIP] + xy[Landmark.RIGHT_HIP]) / 2
    sh = (xy[Landmark.LEFT_SHOULDER] + xy[Landmark.RIGHT_SHOULDER]) / 2
    torso = max(float(np.linalg.norm(sh - hip)), 1e-6)
    ears = (xy[Landmark.LEFT_EAR] + xy[Landmark.RIGHT_EAR]) / 2
    nose = xy[Landmark.NOSE]
    e = np.clip((nose[0] - ears[0]) / (0.15 * torso), -1, 1)
    e += np.clip((nose[0] - hip[0]) / (0.3 * torso), -1, 1)
    knee, ankle = xy[Joint.KNEE.on(side)], xy[Joint.ANKLE.on(side)]
    standing = hip[1] < knee[1] < ankle[1] and abs(hip[0] - ankle[0]) < 0.6 * torso
    if standing:
        foot = xy[Joint.FOOT_INDEX.on(side)] - xy[Joint.HEEL.on(side)]
        if abs(foot[0]) > 2 * abs(foot[1]):
            e += np.clip(foot[0] / (0.2 * torso), -1, 1)
    return float(e)


def _inside_picture(pose: Pose, landmarks: np.ndarray | int, margin: float = 0.0) -> np.ndarray:
    """Per landmark (or for one): inside the frame, give or take `margin` of its size."""
    w, h = pose.image_size
    xy = pose.xy[landmarks]
    x, y = xy[..., 0], xy[..., 1]
    return (-margin * w <= x) & (x <= (1 + margin) * w) & (-margin * h <= y) & (y <= (1 + margin) * h)


def _best_side_seen(pose: Pose, pairs: np.ndarray) -> np.ndarray:
    """Per joint of `pairs` (2 sides x joints), min(visibility, presence) of its better-seen side."""
    return np.minimum(pose.visibility[pairs], pose.presence[pairs]).astype(np.float64).max(axis=0)


def landmark_in_view(pose: Pose, landmark: int, min_seen: float = 0.5, margin: float = 0.01) -> bool:
    """The landmark is inside the frame (within `margin` of its size) and seen."""
    return bool(_inside_picture(pose, landmark, margin)) and pose.seen(landmark) >= min_seen


class _Debounced:
    """A value that changes only after a new candidate has persisted."""

    def __init__(self) -> None:
        self.value: ViewProblem | None = None
        self.started = False
        self._cand: ViewProblem | None = None
        self._since: float | None = None

    def update(self, cand: ViewProblem | None, t_ms: float, show_ms: float, clear_ms: float) -> None:
        if not self.started:
            self.value, self.started = cand, True
            return
        if cand == self.value:
            self._since = None
            return
        if self._since is None or cand != self._cand:
            self._cand, self._since = cand, t_ms
        if t_ms - self._since >= (clear_ms if cand is None else show_ms):
            self.value, self._since = cand, None


class _Smoothed:
    """An exponential moving average over time that keeps its value through missing samples."""

    def __init__(self, tau_ms: float) -> None:
        self.tau_ms = tau_ms
        self.value: float | None = None
        self._t: float | None = None

    def update(self, sample: float | None, t_ms: float) -> float | None:
        if sample is None:
            return self.value
        if self.value is None or self._t is None:
            self.value = sample
        else:
            a = 1.0 - float(np.exp(-max(0.0, t_ms - self._t) / self.tau_ms))
            self.value += a * (sample - self.value)
        self._t = t_ms
        return self.value


class _Leaky:
    """Exponentially forgetting sum of evidence with a sign decision and hysteresis."""

    def __init__(self, tau_ms: float, switch_at: float) -> None:
        self.tau_ms = tau_ms
        self.switch_at = switch_at
        self.reset()

    def reset(self) -> None:
        self.total = 0.0
        self.sign = 0
        self._t: float | None = None

    def update(self, evidence: float, t_ms: float) -> int:
        dt = 0.0 if self._t is None else max(0.0, t_ms - self._t)
        self._t = t_ms
        self.total = self.total * float(np.exp(-dt / self.tau_ms)) + evidence
        if self.sign == 0 and self.total != 0:
            self.sign = 1 if self.total > 0 else -1
        elif self.sign * self.total < -self.switch_at:
            self.sign = -self.sign
        return self.sign


class ViewGate:
    """Per-frame view verdicts with memory. One instance per checker."""

    def __init__(self, rule: ViewRule = ViewRule()) -> None:
        self.rule = rule
        self._side = _Leaky(rule.side_tau_ms, switch_at=3.0)
        self._facing = _Leaky(rule.facing_tau_ms, switch_at=8.0)
        # The key joints' landmark indices per side, so a frame's checks are array operations.
        self._keys = {s: np.array([j.on(s) for j in rule.key_joints], np.intp) for s in _SIDES}
        self._key_pairs = np.stack([self._keys[s] for s in _SIDES])
        self._shown = np.array([[j.on(s) for j in rule.shown_side_on] for s in _SIDES], np.intp)
        self.reset()

    def reset(self) -> None:
        self._side.reset()
        self._facing.reset()
        self._problem = _Debounced()
        self._yaw = _Smoothed(self.rule.yaw_tau_ms)
        self._spread = _Smoothed(self.rule.yaw_tau_ms)
        self._hidden = _Smoothed(self.rule.yaw_tau_ms)
        self._not_side_on = False
        self.frame_problem: ViewProblem | None = None
        self.yaw_deg: float | None = None
        self.width_ratio: float | None = None

    @property
    def side(self) -> Side | None:
        return None if self._side.sign == 0 else ("left" if self._side.sign > 0 else "right")

    @property
    def facing(self) -> int:
        return self._facing.sign

    def _frame_yaw(self, pose: Pose, width: float) -> float | None:
        """MediaPipe's depth yaw, no larger than the image width allows (see ViewRule)."""
        yaw = _yaw_world(pose)
        if yaw is None or not np.isfinite(width):
            return yaw
        r = self.rule
        allowed = float(np.degrees(np.arcsin(min(1.0, width / r.facing_width)))) + r.image_yaw_margin_deg
        return min(yaw, allowed)

    def _in_frame(self, pose: Pose, side: Side) -> bool:
        return bool(np.all(_inside_picture(pose, self._keys[side], self.rule.edge_margin)))

    def _hidden_in_picture(self, pose: Pose) -> float | None:
        """1 when a `shown_side_on` joint lies in the picture on both sides yet is seen on
        neither, 0 when they are seen, None when there are none or they are out of the picture."""
        if self._shown.size == 0:
            return None
        inside = np.all(_inside_picture(pose, self._shown), axis=0)  # on both sides
        if not inside.any():
            return None
        return float(np.any(inside & (_best_side_seen(pose, self._shown) < self.rule.min_seen)))

    def _seen(self, pose: Pose, side: Side) -> bool:
        """Each key joint seen on at least one side (seen = min(visibility, presence))."""
        return bool(np.all(_best_side_seen(pose, self._key_pairs) >= self.rule.min_seen))

    def update(self, pose: Pose | None, t_ms: float) -> ViewVerdict:
        """The verdict for this frame. `frame_problem` holds this frame's own (undebounced)
        problem: a checker should not measure a frame whose own problem is blocking."""
        r = self.rule
        if pose is None:
            cand: ViewProblem | None = ViewProblem.NO_PERSON
        else:
            side = "left" if self._side.update(side_evidence(pose), t_ms) > 0 else "right"
            self._facing.update(facing_evidence(pose, side), t_ms)
            self.width_ratio = width_ratio(pose)
            self.yaw_deg = self._yaw.update(self._frame_yaw(pose, self.width_ratio), t_ms)
            spread = self._spread.update(knee_spread(pose), t_ms)
            hidden = self._hidden.update(self._hidden_in_picture(pose), t_ms)
            if self.yaw_deg is not None:
                limit = r.not_side_on_deg
                if spread is not None and spread > r.turned_knee_spread:
                    limit = min(limit, r.turned_yaw_deg)
                if self._not_side_on:
                    limit -= r.not_side_on_deg - r.side_on_again_deg
                self._not_side_on = self.yaw_deg > limit or (hidden is not None and hidden > r.hidden_share)
            # Joints inside the picture but hidden are what a front view does (the torso hides
            # the legs): that asks for turning side-on, not for stepping back.
            if not self._in_frame(pose, side) or (not self._not_side_on and not self._seen(pose, side)):
                cand = ViewProblem.BODY_NOT_VISIBLE
            elif self._not_side_on:
                cand = ViewProblem.NOT_SIDE_ON
            elif pose.people > 1:
                cand = ViewProblem.SEVERAL_PEOPLE
            else:
                cand = None
        self.frame_problem = cand
        self._problem.update(cand, t_ms, r.show_ms, r.clear_ms)
        problem = self._problem.value
        ok = problem in (None, ViewProblem.SEVERAL_PEOPLE) and self._side.sign != 0
        return ViewVerdict(ok=ok, side=self.side, problem=problem, facing=self.facing)

    @property
    def frame_ok(self) -> bool:
        """This frame by itself can be measured."""
        return self.frame_problem in (None, ViewProblem.SEVERAL_PEOPLE)
