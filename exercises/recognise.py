"""Which exercise is this? Hip hinge, plank, cat-cow or "other", from poses over a short window.

Hand-written rules on a few body-relative quantities, not pixels and not a learned model:
the three exercises differ in ways that are plain geometry (on the feet with the trunk
tipping and the knees staying soft; straight body held off the floor on hands or forearms;
hands and knees on the floor), and their look-alikes (squats, push-ups, bird-dog, lying,
kneeling) each break one rule. Rules also say "other" for anything they were not written
for, where a classifier would pick the nearest class.

Per frame (`frame_features`): orientation of trunk, thighs and shins to gravity (MediaPipe
world landmarks: metres, y down, so it holds from any camera yaw), knee and elbow flexion,
and the heights of shoulders, wrists, knees and ankles above the lowest of them (the floor),
in trunk lengths. Per frame a posture (`posture_of`): on the feet, held up on hands or
forearms with straight legs, on hands and knees, or none of these. Per window (`classify`):
the exercise, when the posture holds for most of it and the movement fits (the trunk tips
>= 30 deg in a hinge, without the deep knee bend of a squat; the elbows stay put in a plank,
unlike push-ups; no limb lifted off the floor on hands and knees, unlike bird-dog).
`segments` turns per-frame labels into runs, absorbing runs too short to be an exercise.
Where the posture stays the same across a boundary (a cat-cow, then a bird-dog that starts
still on hands and knees; a plank, then push-ups from the top), no window can place it; a cut
in the video near it (`cut_frames`: the person jumps in the image) is where it lies.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np

from vision.landmarks import Landmark as L
from vision.pose import Pose

OTHER = "other"
EXERCISE_LABELS = ("hip-hinge", "plank", "cat-cow")


class Posture(StrEnum):
    ON_FEET = "on_feet"
    PLANK = "plank"  # straight body held off the floor on hands or forearms
    ALL_FOURS = "all_fours"  # hands and knees
    NONE = "none"  # lying, kneeling upright, sitting, nobody...


# Feature vector layout (one row per frame; NaN = no pose).
FEATURES = (
    "trunk_deg",  # shoulder-hip line from vertical: 0 upright, 90 horizontal, 180 head down
    "thigh_deg",  # hip-knee line from straight down
    "shin_deg",  # knee-ankle line from straight down
    "hip_ankle_deg",  # hip-ankle line from straight down (legs as a whole)
    "knee_flex_deg",  # mean knee flexion, 0 = straight
    "elbow_flex_deg",  # mean elbow flexion, 0 = straight
    "shoulder_h",  # heights above the floor (lowest of wrists, knees, ankles), trunk lengths
    "hip_h",
    "wrist_h",  # the higher wrist: a lifted arm (bird-dog) shows here
    "knee_h",  # the lower knee
    "ankle_h",  # the higher ankle: a lifted leg shows here
    "arm_deg",  # shoulder-wrist line from straight down (supporting arms are near vertical)
    "img_x",  # centre of the limbs' joints in the image (pixels): where the person is...
    "img_y",
    "img_size",  # ...and how big (diagonal of the joints' bounding box): a cut moves both at once
)
_I = {name: i for i, name in enumerate(FEATURES)}


@dataclass(frozen=True)
class Rules:
    """Every threshold of the recogniser, in one place (degrees; heights in trunk lengths)."""

    window_s: float = 2.4  # classification window (centred offline, trailing live)
    majority: float = 0.6  # share of the window's frames in the exercise's posture
    # on the feet: shins and the hip-ankle line near vertical, feet lowest
    feet_shin_max: float = 65.0  # squatting shins lean well forwards: still on the feet
    feet_hip_ankle_max: float = 40.0
    # plank: trunk and legs near horizontal, knees straight, shoulders clear of the floor
    plank_trunk: tuple[float, float] = (55.0, 125.0)
    plank_legs_min: float = 55.0
    plank_knee_max: float = 45.0
    plank_shoulder_min: float = 0.35
    plank_elbow_range_max: float = 35.0  # push-ups bend and straighten the elbows
    # hands and knees: trunk near horizontal, thighs near vertical, shins along the floor
    fours_trunk: tuple[float, float] = (50.0, 130.0)
    fours_thigh_max: float = 45.0
    fours_shin_min: float = 50.0
    fours_hip_min: float = 0.45  # hips above the knees (not sitting back on the heels)
    fours_lifted_h: float = 0.55  # a wrist or ankle this high is off the floor (bird-dog)
    fours_lifted_share: float = 0.15
    fours_knee_down_max: float = 0.15  # the lower knee this low is on the floor (a bird-dog kneels on one)
    # hinge: the trunk tips forwards this far within the window (MediaPipe reads a 35 deg
    # hinge as ~32 from a standing ~10), knees short of a squat
    hinge_range_min: float = 18.0
    hinge_trunk_max_min: float = 28.0
    # a smaller dip (a partial rep) continues a hinge set next to it; alone it is "other"
    weak_hinge_range_min: float = 6.0
    weak_hinge_trunk_max_min: float = 16.0
    squat_knee_min: float = 95.0  # knees bent this far (p90 of the window): a squat, not a hinge
    # segments: runs shorter than this are absorbed by their neighbours...
    min_run_s: float = 1.2
    # ...and an exercise seen for less than this is a pause on the way (a still moment on
    # hands and knees before a bird-dog), not a set: "other"
    min_exercise_s: float = 2.0
    # a held exercise's segment reaches out over its postures this far (see EXTEND_OVER)
    extend_max_s: float = 0.5
    # a cut in the video (an edited recording, or clips joined): the person jumps in the image
    # by this much (of their size) from one frame to the next, and by this many times more
    # than in the frames around it (fast movement jumps in every frame)
    cut_jump_min: float = 0.1
    cut_step_ratio: float = 4.0
    # where the posture stays the same across a boundary (a still start on hands and knees
    # after another exercise on hands and knees), a cut this close to it is where it lies
    cut_snap_s: float = 1.2


RULES = Rules()


def _angles_from_down(v: np.ndarray) -> np.ndarray:
    """Degrees of each vector (rows of `v`, world y down) from straight down; NaN if degenerate."""
    n = np.linalg.norm(v, axis=-1)
    cos = np.divide(v[..., 1], n, out=np.full_like(n, np.nan), where=n >= 1e-6)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def _flexions(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Flexion at b of each a-b-c (0 = straight); NaN where a limb has no length."""
    u, w = a - b, c - b
    n = np.linalg.norm(u, axis=-1) * np.linalg.norm(w, axis=-1)
    cos = np.divide((u * w).sum(axis=-1), n, out=np.full_like(n, np.nan), where=n >= 1e-9)
    return 180.0 - np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def _mean_of_known(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The mean of the sides that are not NaN (NaN if neither): np.nanmean, without its warning
    on a degenerate pose, which would reach the user's terminal."""
    both = np.stack([left, right])
    known = ~np.isnan(both)
    count = known.sum(axis=0)
    total = np.where(known, both, 0.0).sum(axis=0)
    return np.divide(total, count, out=np.full_like(total, np.nan), where=count > 0)


_LIMB_JOINTS = [11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28]  # shoulders to ankles


def features_of_landmarks(landmarks: np.ndarray) -> np.ndarray:
    """The FEATURES of many frames at once: `landmarks` is (frames, 33, 5), each landmark's
    MediaPipe world x, y, z then image x, y (landmarks_of; NaN for a frame with nobody), the
    result (frames, len(FEATURES)). One numpy pass over a whole video: the per-frame cost
    stays off the analysis's hot path."""
    rows = np.asarray(landmarks, float).reshape(-1, len(L), 5)
    w, image = rows[..., :3], rows[..., 3:]
    out = np.full((len(w), len(FEATURES)), np.nan)
    if not len(w):
        return out

    def mid(a: L, b: L) -> np.ndarray:
        return 0.5 * (w[:, a] + w[:, b])

    sh, hip = mid(L.LEFT_SHOULDER, L.RIGHT_SHOULDER), mid(L.LEFT_HIP, L.RIGHT_HIP)
    knee, ankle = mid(L.LEFT_KNEE, L.RIGHT_KNEE), mid(L.LEFT_ANKLE, L.RIGHT_ANKLE)
    wrist = mid(L.LEFT_WRIST, L.RIGHT_WRIST)
    trunk = np.linalg.norm(sh - hip, axis=-1)
    trunk = np.where(trunk == 0.0, 1.0, trunk)
    out[:, _I["trunk_deg"]] = 180.0 - _angles_from_down(sh - hip)
    out[:, _I["thigh_deg"]] = _angles_from_down(knee - hip)
    out[:, _I["shin_deg"]] = _angles_from_down(ankle - knee)
    out[:, _I["hip_ankle_deg"]] = _angles_from_down(ankle - hip)
    out[:, _I["knee_flex_deg"]] = _mean_of_known(
        _flexions(w[:, 23], w[:, 25], w[:, 27]), _flexions(w[:, 24], w[:, 26], w[:, 28])
    )
    out[:, _I["elbow_flex_deg"]] = _mean_of_known(
        _flexions(w[:, 11], w[:, 13], w[:, 15]), _flexions(w[:, 12], w[:, 14], w[:, 16])
    )
    wrists, knees, ankles = w[:, [15, 16], 1], w[:, [25, 26], 1], w[:, [27, 28], 1]
    floor = np.max(np.concatenate([wrists, knees, ankles], axis=1), axis=1)  # y down: the lowest point
    out[:, _I["shoulder_h"]] = (floor - sh[:, 1]) / trunk
    out[:, _I["hip_h"]] = (floor - hip[:, 1]) / trunk
    out[:, _I["wrist_h"]] = (floor - wrists.min(axis=1)) / trunk
    out[:, _I["knee_h"]] = (floor - knees.max(axis=1)) / trunk
    out[:, _I["ankle_h"]] = (floor - ankles.min(axis=1)) / trunk
    out[:, _I["arm_deg"]] = _angles_from_down(wrist - sh)
    joints = image[:, _LIMB_JOINTS]
    lo, hi = joints.min(axis=1), joints.max(axis=1)
    out[:, _I["img_x"]], out[:, _I["img_y"]] = joints.mean(axis=1).T
    out[:, _I["img_size"]] = np.hypot(*(hi - lo).T)
    return out


NOBODY = np.full((len(L), 5), np.nan)  # the landmarks of a frame with nobody found


def landmarks_of(pose: Pose | None) -> np.ndarray:
    """A frame's landmarks for features_of_landmarks: (33, 5), world x, y, z and image x, y
    (NOBODY when nobody was found)."""
    if pose is None:
        return NOBODY
    return np.concatenate([np.asarray(pose.world, float), np.asarray(pose.xy, float)[:, :2]], axis=1)


def frame_features(pose: Pose | None) -> np.ndarray:
    """The FEATURES of one frame (all NaN when nobody was found)."""
    return features_of_landmarks(landmarks_of(pose)[None])[0]


def posture_of(f: np.ndarray, r: Rules = RULES) -> Posture:
    """The posture of one frame's features."""
    if np.isnan(f[_I["trunk_deg"]]):
        return Posture.NONE
    trunk, thigh, shin = f[_I["trunk_deg"]], f[_I["thigh_deg"]], f[_I["shin_deg"]]
    if shin <= r.feet_shin_max and f[_I["hip_ankle_deg"]] <= r.feet_hip_ankle_max and trunk < 110:
        return Posture.ON_FEET
    lo, hi = r.plank_trunk
    if (
        lo <= trunk <= hi
        and f[_I["hip_ankle_deg"]] >= r.plank_legs_min
        and f[_I["knee_flex_deg"]] <= r.plank_knee_max
        and f[_I["shoulder_h"]] >= r.plank_shoulder_min
    ):
        return Posture.PLANK
    lo, hi = r.fours_trunk
    if (
        lo <= trunk <= hi
        and thigh <= r.fours_thigh_max
        and shin >= r.fours_shin_min
        and f[_I["hip_h"]] >= r.fours_hip_min
    ):
        return Posture.ALL_FOURS
    return Posture.NONE


@dataclass(frozen=True)
class Guess:
    label: str  # an exercise name or OTHER
    confidence: float  # 0..1: how clearly the window fits the label
    weak: bool = False  # evidence enough to continue a set of this exercise, not to start one


def classify(window: np.ndarray, postures: Sequence[Posture] | None = None, r: Rules = RULES) -> Guess:
    """The label of a window of frame features (rows = frames), with their postures if known."""
    if len(window) == 0:
        return Guess(OTHER, 0.0)
    if postures is None:
        postures = [posture_of(f, r) for f in window]
    n = len(postures)
    counts = Counter(postures)  # one pass (label_frames calls this for every frame)
    share = {p: counts[p] / n for p in Posture}
    best = max((Posture.ON_FEET, Posture.PLANK, Posture.ALL_FOURS), key=lambda p: share[p])
    if share[best] < r.majority:
        return Guess(OTHER, 1.0 - share[best])
    rows = window[[q is best for q in postures]]
    if best is Posture.PLANK:
        elbow = rows[:, _I["elbow_flex_deg"]]
        spread = float(np.nanpercentile(elbow, 90) - np.nanpercentile(elbow, 10))
        if spread > r.plank_elbow_range_max:
            return Guess(OTHER, min(1.0, spread / (2 * r.plank_elbow_range_max)))
        return Guess("plank", share[best])
    if best is Posture.ALL_FOURS:
        lifted = np.maximum(rows[:, _I["wrist_h"]], rows[:, _I["ankle_h"]]) > r.fours_lifted_h
        # A bird-dog's full reach (leg stretched straight back, a hand forward) reads as a
        # plank posture, so its lifted frames are not among the rows on hands and knees;
        # a plank never has a hand off the floor, so such frames are a reach too.
        n_reach = 0
        if share[Posture.PLANK] > 0.0:
            held = window[[q is Posture.PLANK for q in postures]]
            n_reach = int(np.sum(held[:, _I["wrist_h"]] > r.fours_lifted_h))
        lifted_share = (int(np.sum(lifted)) + n_reach) / (len(rows) + n_reach)
        if lifted_share > r.fours_lifted_share:
            return Guess(OTHER, lifted_share)
        return Guess("cat-cow", share[best])
    trunk = rows[:, _I["trunk_deg"]]
    lo, hi = (float(v) for v in np.nanpercentile(trunk, (5, 95)))
    knee = float(np.nanpercentile(rows[:, _I["knee_flex_deg"]], 90))
    if knee >= r.squat_knee_min:
        return Guess(OTHER, share[best])
    if hi - lo >= r.hinge_range_min and hi >= r.hinge_trunk_max_min:
        return Guess("hip-hinge", share[best])
    if hi - lo >= r.weak_hinge_range_min and hi >= r.weak_hinge_trunk_max_min:
        return Guess("hip-hinge", share[best], weak=True)
    return Guess(OTHER, share[best])


def label_frames(
    features: np.ndarray, t_ms: Sequence[float], r: Rules = RULES, postures: Sequence[Posture] | None = None
) -> list[Guess]:
    """Offline: each frame labelled from the window centred on it."""
    t = np.asarray(t_ms, float)
    half = 500.0 * r.window_s
    lo = np.searchsorted(t, t - half, side="left")
    hi = np.searchsorted(t, t + half, side="right")
    if postures is None:
        postures = [posture_of(f, r) for f in features]
    return [classify(features[a:b], postures[a:b], r) for a, b in zip(lo, hi, strict=True)]


# The postures of a held exercise and of getting into it (a plank often starts on hands and
# knees): its segment's ends move out over them (at most extend_max_s), because a centred
# window's majority flips a fraction of a window inside them. The hinge is defined by
# movement, and its standing start looks like any standing about: no move.
EXTEND_OVER = {
    "plank": (Posture.PLANK, Posture.ALL_FOURS),
    "cat-cow": (Posture.ALL_FOURS,),
}
_GAP_FRAMES = 2  # a frame or two of another posture (a blip of the estimator) does not stop it


def _edge_postures(features: np.ndarray, postures: Sequence[Posture], r: Rules) -> list[Posture | None]:
    """The postures a segment's edge moves over, with None for a bird-dog's reach: a hand or
    foot off the floor while kneeling on the other knee, or a hand up in the plank posture
    (the leg stretched straight back). It is not a cat-cow's or a plank's, and a stretch
    that gives way to it is the bird-dog's own still start, not getting in or out. (Getting
    down onto hands and knees, the hands are up too, but so are the knees.)"""
    wrist, ankle = features[:, _I["wrist_h"]], features[:, _I["ankle_h"]]
    kneeling = features[:, _I["knee_h"]] <= r.fours_knee_down_max
    out: list[Posture | None] = []
    for i, p in enumerate(postures):
        limb_up = max(wrist[i], ankle[i]) > r.fours_lifted_h and kneeling[i]
        lifted = (p is Posture.ALL_FOURS and limb_up) or (p is Posture.PLANK and wrist[i] > r.fours_lifted_h)
        out.append(None if lifted else p)
    return out


def _reach(
    postures: Sequence[Posture | None],
    t: Sequence[float],
    frm: int,
    stop: int,
    step: int,
    want,
    limit_ms: float,
) -> int:
    """The farthest frame from `frm` (exclusive of `stop`) over `want` postures, gaps allowed."""
    best, gap, i = frm, 0, frm + step
    while i != stop and abs(t[i] - t[frm]) <= limit_ms:
        if postures[i] in want:
            best, gap = i, 0
        else:
            gap += 1
            if gap > _GAP_FRAMES:
                break
        i += step
    return best


def _transition(
    postures: Sequence[Posture | None],
    t: Sequence[float],
    frm: int,
    stop: int,
    step: int,
    want,
    limit_ms: float,
) -> int | None:
    """The far end of a run of `want` postures from `frm` that is a transition: it gives way,
    within `limit_ms` (and before `stop`), to standing or to no exercise posture at all (lying,
    kneeling up). None if it runs on, or gives way to another exercise's posture: a bird-dog's
    stretched leg reads as a plank, and its still moments on hands and knees are its own."""
    end = _reach(postures, t, frm, stop, step, want, limit_ms)
    after = [end + step * j for j in range(1, _GAP_FRAMES + 2)]
    if any((i - stop) * step >= 0 or not 0 <= i < len(postures) for i in after):
        return None  # reaches the neighbour's kept frame or the recording's end
    return end if all(postures[i] in (Posture.ON_FEET, Posture.NONE) for i in after) else None


def recognise(features: np.ndarray, t_ms: Sequence[float], r: Rules = RULES) -> list[Segment]:
    """Offline: the segments of a whole recording (frame features and times)."""
    postures = [posture_of(f, r) for f in features]
    segs = segments(label_frames(features, t_ms, r, postures), t_ms, r)
    t = [float(x) for x in t_ms]
    limit = 1000.0 * r.extend_max_s
    setup = 1000.0 * r.min_exercise_s
    edge: list[Posture | None] | None = None
    for k, seg in enumerate(segs):
        want = EXTEND_OVER.get(seg.label)
        if want is None:
            continue
        if edge is None:
            edge = _edge_postures(features, postures, r)
        lo = segs[k - 1].start if k > 0 else -1  # keep a frame of each neighbour
        hi = segs[k + 1].end - 1 if k + 1 < len(segs) else len(postures)
        # Getting into (or out of) the exercise: a stretch of its postures between it and some
        # other posture (standing), too short to be an exercise itself, is all of it;
        # otherwise the segment reaches out at most extend_max_s.
        start = _transition(edge, t, seg.start, lo, -1, want, setup)
        if start is None:
            start = _reach(edge, t, seg.start, lo, -1, want, limit)
        end = _transition(edge, t, seg.end - 1, hi, 1, want, setup)
        if end is None:
            end = _reach(edge, t, seg.end - 1, hi, 1, want, limit)
        end += 1
        if k > 0 and start < seg.start:
            segs[k - 1] = replace(segs[k - 1], end=start, end_ms=t[start - 1])
        if k + 1 < len(segs) and end > seg.end:
            segs[k + 1] = replace(segs[k + 1], start=end, start_ms=t[end])
        segs[k] = replace(seg, start=start, end=end, start_ms=t[start], end_ms=t[end - 1])
    return _snapped_to_cuts(segs, cut_frames(features, r), postures, t, r)


def cut_frames(features: np.ndarray, r: Rules = RULES) -> np.ndarray:
    """Frames that begin a new shot: the person's place and size in the image jump from the
    frame before by at least cut_jump_min (of their size), and cut_step_ratio times more
    than in any of the three frames on either side (movement, however fast, is smooth)."""
    n = len(features)
    if n < 2:
        return np.zeros(0, int)
    xy, size = features[:, [_I["img_x"], _I["img_y"]]], features[:, _I["img_size"]]
    jump = np.full(n + 6, np.nan)  # three NaN frames padded on each side
    with np.errstate(invalid="ignore", divide="ignore"):
        jump[4 : n + 3] = np.hypot(*(xy[1:] - xy[:-1]).T) / size[:-1] + np.abs(np.log(size[1:] / size[:-1]))
    near = np.stack([jump[3 + d : n + 3 + d] for d in (-3, -2, -1, 1, 2, 3)])
    near = np.where(np.isnan(near), 0.0, near).max(axis=0)
    j = jump[3 : n + 3]
    with np.errstate(invalid="ignore"):
        found = (j >= r.cut_jump_min) & (j >= r.cut_step_ratio * np.maximum(near, 1e-3))
    return np.flatnonzero(found)


def _snapped_to_cuts(
    segs: list[Segment], cuts: np.ndarray, postures: Sequence[Posture], t: Sequence[float], r: Rules
) -> list[Segment]:
    """A boundary next to an exercise moves to a cut within cut_snap_s when the frames in
    between keep one posture: there the windows cannot tell where one thing ends (a still
    start on hands and knees after a cat-cow, the top of a push-up before a plank), and a
    cut in the video is where the recording changed."""
    limit = 1000.0 * r.cut_snap_s
    for k in range(len(segs) - 1):
        a, b = segs[k], segs[k + 1]
        if (a.label == OTHER and b.label == OTHER) or not len(cuts):
            continue
        here = b.start
        near = [
            int(c) for c in cuts if a.start < c < b.end - 1 and c != here and abs(t[c] - t[here]) <= limit
        ]
        if not near:
            continue
        c = min(near, key=lambda x: abs(x - here))
        if len({postures[i] for i in range(min(c, here), max(c, here))}) != 1:
            continue
        segs[k] = replace(a, end=c, end_ms=t[c - 1])
        segs[k + 1] = replace(b, start=c, start_ms=t[c])
    return segs


@dataclass(frozen=True)
class Segment:
    label: str
    start: int  # first frame index
    end: int  # one past the last frame
    start_ms: float
    end_ms: float  # time of the last frame
    confidence: float


def segments(guesses: Sequence[Guess], t_ms: Sequence[float], r: Rules = RULES) -> list[Segment]:
    """Runs of equal labels; runs shorter than min_run_s join the longer neighbour."""
    if not guesses:
        return []
    t = [float(x) for x in t_ms]
    weak = "weak"
    runs: list[list] = []  # [label, start, end]
    for i, g in enumerate(guesses):
        label = weak if g.weak else g.label
        if runs and runs[-1][0] == label:
            runs[-1][2] = i + 1
        else:
            runs.append([label, i, i + 1])
    # Weak evidence continues the exercise of a neighbouring run; alone it is "other".
    for k, run in enumerate(runs):
        if run[0] == weak:
            beside = {runs[j][0] for j in (k - 1, k + 1) if 0 <= j < len(runs)}
            strong = guesses[run[1]].label
            run[0] = strong if strong in beside else OTHER
    runs = _joined(runs)

    def dur(run: list) -> float:
        return t[run[2] - 1] - t[run[1]] + (t[1] - t[0] if len(t) > 1 else 0.0)

    changed = True
    while changed and len(runs) > 1:
        changed = False
        k = min(range(len(runs)), key=lambda j: dur(runs[j]))
        if dur(runs[k]) >= 1000.0 * r.min_run_s:
            break
        left = runs[k - 1] if k > 0 else None
        right = runs[k + 1] if k + 1 < len(runs) else None
        into = left if right is None or (left is not None and dur(left) >= dur(right)) else right
        into[1], into[2] = min(into[1], runs[k][1]), max(into[2], runs[k][2])
        del runs[k]
        runs = _joined(runs)
        changed = True
    for run in runs:
        if run[0] != OTHER and dur(run) < 1000.0 * r.min_exercise_s:
            run[0] = OTHER
    out = []
    for label, a, b in _joined(runs):
        agree = [g.confidence if g.label == label else 0.0 for g in guesses[a:b]]
        out.append(Segment(label, a, b, t[a], t[b - 1], round(float(np.mean(agree)), 3)))
    return out


def _joined(runs: list[list]) -> list[list]:
    """Neighbouring runs [label, start, end] of the same label as one."""
    out: list[list] = []
    for run in runs:
        if out and out[-1][0] == run[0]:
            out[-1][2] = run[2]
        else:
            out.append(run)
    return out


class Recogniser:
    """Live: the label of the last `window_s` of poses, switching only when a new label has
    held for `switch_s` (so a stumble does not announce a new exercise)."""

    def __init__(self, rules: Rules = RULES, switch_s: float = 1.5) -> None:
        self.rules, self.switch_ms = rules, 1000.0 * switch_s
        self._window: deque[tuple[float, np.ndarray, Posture]] = deque()
        self.current = Guess(OTHER, 0.0)
        self._candidate: tuple[str, float] | None = None

    def update(self, pose: Pose | None, t_ms: float) -> Guess:
        f = frame_features(pose)
        self._window.append((t_ms, f, posture_of(f, self.rules)))
        while self._window and t_ms - self._window[0][0] > 1000.0 * self.rules.window_s:
            self._window.popleft()
        rows = np.array([f for _, f, _ in self._window])
        guess = classify(rows, [p for _, _, p in self._window], self.rules)
        if guess.weak:  # continues the exercise under way, never starts one
            guess = guess if self.current.label == guess.label else Guess(OTHER, guess.confidence)
        if guess.label == self.current.label:
            self._candidate = None
            self.current = guess
        elif self._candidate is None or self._candidate[0] != guess.label:
            self._candidate = (guess.label, t_ms)
        elif t_ms - self._candidate[1] >= self.switch_ms:
            self.current, self._candidate = guess, None
        return self.current
