"""Which correction to show and say, and when: one at a time, on screen while its fault lasts
(and a moment after, to finish reading), never nagging. Pure logic on timestamps; the overlay
and the voice both read from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from exercises.base import Assessment, EventKind, Fault, Severity


class CueKind(StrEnum):
    CORRECTION = "correction"  # a form fault, e.g. "Keep your back flat"
    VIEW = "view"  # the camera cannot judge, e.g. "Turn side-on to the camera"
    REP = "rep"  # a completed rep's number
    SET_COMPLETE = "set_complete"


# Higher speaks first when several announcements compete for the voice.
ANNOUNCEMENT_PRIORITY = {CueKind.VIEW: 4, CueKind.CORRECTION: 3, CueKind.SET_COMPLETE: 2, CueKind.REP: 1}


@dataclass(frozen=True, slots=True)
class Cue:
    """A message on screen: `key` is the fault code or `view:<problem>`."""

    kind: CueKind
    key: str
    text: str
    shown_ms: float  # when it went on screen
    severity: Severity | None = None


@dataclass(frozen=True, slots=True)
class Announcement:
    """Something worth saying out loud at `t_ms` (rep numbers, new corrections, set complete)."""

    kind: CueKind
    text: str
    t_ms: float

    @property
    def priority(self) -> int:
        return ANNOUNCEMENT_PRIORITY[self.kind]


@dataclass(frozen=True, slots=True)
class CueState:
    t_ms: float
    correction: Cue | None = None
    view: Cue | None = None
    announcements: tuple[Announcement, ...] = ()


@dataclass(frozen=True, slots=True)
class CuePolicyConfig:
    # Once its fault has cleared a correction lingers this long, no longer: a box about a fault
    # that has ended would read as if it were still going on (the fault tracker's own off delay,
    # ~0.3 s, comes before this, so the box is gone within a second of the fault ending).
    linger_ms: float = 600.0
    repeat_gap_ms: float = 5000.0  # no re-issue of the same correction sooner than this
    reminder_ms: float = 8000.0  # a correction still on screen is announced again after this
    min_fault_ms: float = 200.0  # a fault must last this long before it is cued (ignores one-frame flickers)
    view_min_ms: float = 700.0  # a view problem must last this long before it is shown
    view_hold_ms: float = 1000.0
    target_reps: int | None = None  # "Set complete" when the rep count reaches it
    target_hold_s: float | None = None  # ... or when the hold time reaches it


@dataclass
class _Memory:
    correction: Cue | None = None
    correction_gone_ms: float | None = None  # when the shown correction's fault left the frame
    view: Cue | None = None
    last_issued: dict[str, float] = field(default_factory=dict)
    last_spoken: dict[str, float] = field(default_factory=dict)
    view_problem_since: tuple[str, float] | None = None
    set_complete: bool = False
    last_key: tuple[int, float] | None = None
    last_state: CueState | None = None


class CuePolicy:
    """Turns the stream of Assessments into at most one on-screen correction plus voice announcements.

    `update()` is idempotent per frame (the same Assessment gives the same CueState). In the
    frame loop it runs once, in `CueStage`, whose state the overlay, voice and window read.
    """

    def __init__(self, config: CuePolicyConfig | None = None) -> None:
        self.config = config or CuePolicyConfig()
        self._m = _Memory()

    def reset(self) -> None:
        self._m = _Memory()

    @property
    def state(self) -> CueState | None:
        return self._m.last_state

    def update(self, assessment: Assessment) -> CueState:
        key = (assessment.frame_index, assessment.t_ms)
        if self._m.last_key == key and self._m.last_state is not None:
            return self._m.last_state
        t = assessment.t_ms
        said: list[Announcement] = []
        view = self._update_view(assessment, t, said)
        correction = self._update_correction(assessment, t, said)
        self._collect_progress(assessment, t, said)
        state = CueState(t_ms=t, correction=correction, view=view, announcements=tuple(said))
        self._m.last_key, self._m.last_state = key, state
        return state

    # -- corrections -----------------------------------------------------------------------
    def _update_correction(self, a: Assessment, t: float, said: list[Announcement]) -> Cue | None:
        cfg, m = self.config, self._m
        if not a.view.ok:
            # Nothing on screen can be judged from this view; a stale correction would mislead.
            m.correction = None
            return None
        active = {f.code: f for f in a.faults if t - f.since_ms >= cfg.min_fault_ms}
        current = m.correction
        if current is not None:
            rival = self._best_candidate(active, t, exclude=current.key)
            if rival is not None and rival.severity > (current.severity or 0):
                current = None  # a more serious fault takes over at once, held or not
            elif current.key in active:
                m.correction_gone_ms = None
                message = active[current.key].message
                if message != current.text:  # same fault, new advice (e.g. which way the range falls short)
                    current = m.correction = replace(current, text=message)
                    self._say(current, t, said)
                else:
                    self._remind(current, t, said)
                return current
            else:
                if m.correction_gone_ms is None:
                    m.correction_gone_ms = t
                if t - m.correction_gone_ms < cfg.linger_ms:
                    return current  # the fault is gone; the box lingers a moment, no longer
                current = None
        m.correction_gone_ms = None
        best = self._best_candidate(active, t)
        if best is None:
            m.correction = None
            return None
        cue = Cue(CueKind.CORRECTION, best.code, best.message, t, best.severity)
        m.correction = cue
        m.last_issued[cue.key] = t
        self._say(cue, t, said)
        return cue

    def _best_candidate(self, active: dict[str, Fault], t: float, exclude: str | None = None) -> Fault | None:
        gap = self.config.repeat_gap_ms
        eligible = [
            f
            for code, f in active.items()
            if code != exclude and (code not in self._m.last_issued or t - self._m.last_issued[code] >= gap)
        ]
        # Most severe first; among equals the longest-standing fault.
        return min(eligible, key=lambda f: (-int(f.severity), f.since_ms, f.code), default=None)

    # -- view ------------------------------------------------------------------------------
    def _update_view(self, a: Assessment, t: float, said: list[Announcement]) -> Cue | None:
        cfg, m = self.config, self._m
        problem = None if a.view.ok or a.view.problem is None else a.view.problem
        if problem is None:
            m.view_problem_since = None
            if m.view is not None and t - m.view.shown_ms < cfg.view_hold_ms:
                return m.view
            m.view = None
            return None
        key = f"view:{problem}"
        if m.view_problem_since is None or m.view_problem_since[0] != key:
            m.view_problem_since = (key, t)
        if m.view is not None and m.view.key == key:
            self._remind(m.view, t, said)
            return m.view
        if t - m.view_problem_since[1] < cfg.view_min_ms:
            return m.view if m.view is not None and t - m.view.shown_ms < cfg.view_hold_ms else None
        m.view = Cue(CueKind.VIEW, key, a.view.message or str(problem), t)
        if t - m.last_issued.get(key, -1e18) >= cfg.repeat_gap_ms:
            self._say(m.view, t, said)
        m.last_issued[key] = t
        return m.view

    # -- voice bookkeeping -----------------------------------------------------------------
    def _say(self, cue: Cue, t: float, said: list[Announcement]) -> None:
        self._m.last_spoken[cue.key] = t
        said.append(Announcement(cue.kind, cue.text, t))

    def _remind(self, cue: Cue, t: float, said: list[Announcement]) -> None:
        if t - self._m.last_spoken.get(cue.key, cue.shown_ms) >= self.config.reminder_ms:
            self._say(cue, t, said)

    def _collect_progress(self, a: Assessment, t: float, said: list[Announcement]) -> None:
        cfg, m = self.config, self._m
        for event in a.events:
            if event.kind is EventKind.REP_COMPLETED and event.rep_index is not None:
                said.append(Announcement(CueKind.REP, str(event.rep_index), t))
        done = (cfg.target_reps is not None and a.rep_count >= cfg.target_reps) or (
            cfg.target_hold_s is not None and a.hold_s >= cfg.target_hold_s
        )
        if done and not m.set_complete:
            said.append(Announcement(CueKind.SET_COMPLETE, "Set complete", t))
        m.set_complete = done


class CueStage:
    """The cue choice as its own step of the frame loop: it runs before the annotators, the
    voice and the window, which only read `state` (the choice made for this frame)."""

    def __init__(self, policy: CuePolicy | None = None) -> None:
        self.policy = policy or CuePolicy()
        self.state: CueState | None = None

    def reset(self) -> None:
        self.policy.reset()
        self.state = None

    def consume(self, frame: object, assessment: Assessment) -> None:
        self.state = self.policy.update(assessment)

    def close(self) -> None:
        pass
