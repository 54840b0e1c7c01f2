"""`backform evaluate`: how the analysis compares with labelled clips.

Two label schemas go through one scorer (`ClipLabels`, parsed by `parse_labels`):
- the sample schema (`NAME.labels.json` beside each rendered clip): exact reps, fault
  intervals from the rig's truth, per-frame truth signals;
- the partial schema of real clips (one JSON file, clip name -> labels; see
  `../shared/realclips/labels.json` `_about`): reps or null, an accepted hold range, faults
  that must be reported somewhere, faults that must not be reported, the view verdict.

The comparison is pure (a clip's labels + the analysis report dict -> `ClipResult`); running
the analysis over a folder and rendering the table are separate. The table is a measurement,
not a test: it states what was found, including the errors, and hides none of them.

Scoring rules (the same for both schemas):
- reps: the counted reps must equal the labelled reps exactly; reps labelled null are not
  scored. Neither reps nor hold are scored on a clip whose view must be refused: the refusal
  is that clip's whole answer.
- hold: the report's good-hold seconds must lie in the labelled [lo, hi] range; a sample's
  single hold figure accepts +-1 s (plank clips only, as the sample tests do).
- faults: a labelled interval is found when the report has the same code on an overlapping
  interval (recall). A real clip's "faults present" are intervals spanning the whole clip (found
  when reported at least once). A reported interval of a judged code overlapping no labelled
  one of its code is a false positive (precision); a sample judges every code, a real clip only
  the codes it lists as present or absent (the others were deliberately left unlabelled).
- view: a clip labelled `view_ok: false` must be refused (a ViewError) or reported as not ok.
- a clip whose analysis failed (missing, unreadable, unknown exercise, too short, ...) is a
  failed row: every check it has counts as not met, and the totals count it.
- signals (samples only): per frame, matched by timestamp, the checker's measurement minus the
  truth. The raw mean absolute error and the constant offset (mean signed error) are reported,
  and the mean absolute error left after removing that offset: landmarks and rig joints sit a
  few degrees apart, which is an offset, not a tracking error, yet both are shown.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from exercises.registry import find_spec
from exercises.spec import Counts
from vision.errors import BackformError, ConfigError, ModelUnavailableError, ViewError

SIGNAL_COLUMNS: tuple[tuple[str, str, int], ...] = (  # truth key, column title, decimals
    ("trunk_inclination_deg", "trunk°", 1),
    ("hip_angle_deg", "hip°", 1),
    ("body_line_deg", "body line°", 1),
    ("head_line_deg", "head°", 1),
    ("back_bow", "back bow", 3),
)
# A measurement further than this from every truth frame is not compared (fraction of a frame).
_ALIGN_TOLERANCE_FRAMES = 0.5
# A sample's single hold figure is met within this (the tolerance tests/test_samples.py uses).
SAMPLE_HOLD_TOLERANCE_S = 1.0
# Reports round seconds to the millisecond; a hold on a range's edge is inside it.
_HOLD_SLACK_S = 0.001
TABLE_WIDTH = 120

VIEW_OK = "ok"
VIEW_TURN = "turn side-on"
SAMPLE_SCHEMA = "sample"
PARTIAL_SCHEMA = "partial"


# -- labels -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class LabelledFault:
    code: str
    start_s: float
    end_s: float  # math.inf: anywhere in the clip


@dataclass(frozen=True)
class ClipLabels:
    """What a correct analysis of one clip reports, in either schema."""

    clip: str  # file name inside the evaluated folder
    exercise: str
    view_ok: bool
    reps: int | None = None  # None: not scored
    partial_reps: int | None = None  # shown when labelled, not scored
    hold_range_s: tuple[float, float] | None = None  # scored when given
    faults: tuple[LabelledFault, ...] = ()
    judged_codes: frozenset[str] | None = None  # None: every code (an unlabelled report is an FP)
    absent_codes: tuple[str, ...] = ()  # must not be reported (partial schema)
    truth: Mapping[str, Any] | None = None  # per-frame truth signals (sample schema)
    schema: str = SAMPLE_SCHEMA


def parse_labels(entry: Any, name: str | None = None, where: str = "labels") -> ClipLabels:
    """One clip's labels in either schema -> `ClipLabels`; ConfigError naming what is wrong.

    `name` is the clip's file name when the entry is keyed by it (partial schema); a sample
    entry names its clip itself. `where` says which file, for the message.
    """
    try:
        if not isinstance(entry, dict):
            raise _Invalid("is not a JSON object")
        if "expected" in entry:
            return _parse_sample(entry)
        clip = entry.get("clip", name)
        if not isinstance(clip, str):
            raise _Invalid("has neither 'expected' (sample labels) nor a 'clip' name (real-clip labels)")
        return _parse_partial(clip, entry)
    except _Invalid as err:
        label = f"{where}: {name}" if name else where
        raise ConfigError(f"{label} {err}") from None


class _Invalid(Exception):
    """A labels entry is malformed; the message completes '<file>: <clip> ...'."""


def _need(d: dict, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in d:
        raise _Invalid(f"lacks the key '{key}' in {where}")
    value = d[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
        names = "/".join(t.__name__ for t in _as_tuple(kind))
        raise _Invalid(f"has '{key}' of the wrong type in {where} (expected {names})")
    return value


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _Invalid(f"has a {what} that is not a number")
    return float(value)


def _hold_range(value: Any, where: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise _Invalid(f"has 'hold_s' in {where} that is neither a number nor [lo, hi]")
    lo, hi = (_number(v, "hold_s bound") for v in value)
    if lo > hi:
        raise _Invalid(f"has 'hold_s' in {where} with lo > hi")
    return lo, hi


def _codes(d: dict, key: str) -> tuple[str, ...]:
    value = d.get(key, [])
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise _Invalid(f"has '{key}' that is not a list of fault codes")
    return tuple(value)


def _parse_sample(entry: dict) -> ClipLabels:
    clip = _need(entry, "clip", str, "the labels")
    exercise = _need(entry, "exercise", str, "the labels")
    expected = _need(entry, "expected", dict, "the labels")
    view_ok = _need(expected, "view_ok", bool, "'expected'")
    reps = _need(expected, "rep_count", int, "'expected'")
    partial = expected.get("partial_reps")
    if partial is not None and (isinstance(partial, bool) or not isinstance(partial, int)):
        raise _Invalid("has 'partial_reps' of the wrong type in 'expected' (expected int)")
    faults = []
    for f in _need(expected, "faults", list, "'expected'"):
        if not isinstance(f, dict):
            raise _Invalid("has a fault in 'expected' that is not an object")
        code = _need(f, "code", str, "a labelled fault")
        start = _number(_need(f, "start_s", (int, float), "a labelled fault"), "fault start")
        end = _number(_need(f, "end_s", (int, float), "a labelled fault"), "fault end")
        faults.append(LabelledFault(code, start, end))
    hold = expected.get("hold_s")
    hold_range = None
    if isinstance(hold, list):
        hold_range = _hold_range(hold, "'expected'")
    elif hold is not None:
        value = _number(hold, "'hold_s'")
        if _holds(exercise):
            hold_range = (max(0.0, value - SAMPLE_HOLD_TOLERANCE_S), value + SAMPLE_HOLD_TOLERANCE_S)
    truth = entry.get("truth")
    return ClipLabels(
        clip=clip,
        exercise=exercise,
        view_ok=view_ok,
        reps=reps,
        partial_reps=partial,
        hold_range_s=hold_range,
        faults=tuple(faults),
        judged_codes=None,
        truth=truth if isinstance(truth, dict) else None,
        schema=SAMPLE_SCHEMA,
    )


def _parse_partial(name: str, entry: dict) -> ClipLabels:
    where = "its labels"
    exercise = _need(entry, "exercise", str, where)
    view_ok = _need(entry, "view_ok", bool, where)
    if "reps" not in entry:
        raise _Invalid(f"lacks the key 'reps' in {where} (use null when reps are not scored)")
    reps = entry["reps"]
    if reps is not None and (isinstance(reps, bool) or not isinstance(reps, int) or reps < 0):
        raise _Invalid(f"has 'reps' in {where} that is neither a whole number nor null")
    hold = entry.get("hold_s")
    present = _codes(entry, "faults_present")
    absent = _codes(entry, "faults_absent")
    if both := set(present) & set(absent):
        raise _Invalid(f"lists {', '.join(sorted(both))} as both present and absent")
    return ClipLabels(
        clip=name,
        exercise=exercise,
        view_ok=view_ok,
        reps=reps,
        hold_range_s=None if hold is None else _hold_range(hold, where),
        faults=tuple(LabelledFault(code, 0.0, math.inf) for code in present),
        judged_codes=frozenset(present) | frozenset(absent),
        absent_codes=absent,
        schema=PARTIAL_SCHEMA,
    )


# -- results ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SignalError:
    """Measurement minus truth over the frames where both exist."""

    frames: int
    mae: float  # raw mean absolute error
    offset: float  # mean signed error: the constant part
    mae_after_offset: float  # mean absolute error once the offset is removed

    @staticmethod
    def of(errors: np.ndarray) -> SignalError | None:
        errors = np.asarray(errors, dtype=float)
        errors = errors[np.isfinite(errors)]
        if errors.size == 0:
            return None
        offset = float(errors.mean())
        return SignalError(
            int(errors.size), float(np.abs(errors).mean()), offset, float(np.abs(errors - offset).mean())
        )


@dataclass(frozen=True)
class FaultScore:
    labelled: int  # labelled intervals (a real clip's present faults: one each)
    labelled_found: int  # of them, overlapped by a reported interval of the same code
    reported: int  # reported intervals of judged codes
    reported_true: int  # of them, overlapping a labelled interval of the same code
    missed: tuple[str, ...] = ()  # "code start-end" of labelled intervals not found
    false_positives: tuple[str, ...] = ()  # "code start-end" of reported intervals with no label
    absent: int = 0  # codes labelled absent
    absent_reported: tuple[str, ...] = ()  # of them, the ones reported anyway

    @property
    def precision(self) -> float | None:
        return self.reported_true / self.reported if self.reported else None

    @property
    def recall(self) -> float | None:
        return self.labelled_found / self.labelled if self.labelled else None

    @property
    def right(self) -> bool:
        return self.labelled_found == self.labelled and self.reported_true == self.reported


@dataclass(frozen=True)
class ClipResult:
    clip: str
    exercise: str
    expected_reps: int | None  # None: not scored
    found_reps: int
    expected_partial: int
    found_partial: int
    hold_range_s: tuple[float, float] | None  # None: not scored
    found_hold_s: float
    faults: FaultScore
    expected_view: str
    found_view: str
    signals: dict[str, SignalError] = field(default_factory=dict)
    error: str | None = None  # the analysis stopped with this message (a ViewError may be expected)
    failed: bool = False  # the analysis failed (not a view verdict): every check counts as unmet
    schema: str = SAMPLE_SCHEMA

    @property
    def reps_scored(self) -> bool:
        return self.expected_reps is not None and self.expected_view == VIEW_OK

    @property
    def reps_exact(self) -> bool:
        return self.reps_scored and not self.failed and self.expected_reps == self.found_reps

    @property
    def hold_scored(self) -> bool:
        return self.hold_range_s is not None and self.expected_view == VIEW_OK

    @property
    def hold_in_range(self) -> bool:
        if not self.hold_scored or self.failed:
            return False
        lo, hi = self.hold_range_s  # type: ignore[misc]
        return lo - _HOLD_SLACK_S <= self.found_hold_s <= hi + _HOLD_SLACK_S

    @property
    def faults_right(self) -> bool:
        return not self.failed and self.faults.right and not self.faults.absent_reported

    @property
    def view_correct(self) -> bool:
        if self.failed:
            return False
        if self.expected_view == VIEW_OK:
            return self.found_view == VIEW_OK
        return self.found_view != VIEW_OK

    @property
    def wrong(self) -> tuple[str, ...]:
        """The checks this clip does not meet ("analysis" when it failed), in table order."""
        if self.failed:
            return ("analysis",)
        checks = (
            ("reps", self.reps_scored and not self.reps_exact),
            ("hold", self.hold_scored and not self.hold_in_range),
            ("faults", not self.faults_right),
            ("view", not self.view_correct),
        )
        return tuple(name for name, bad in checks if bad)

    @property
    def right(self) -> bool:
        return not self.wrong

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(
            reps_scored=self.reps_scored,
            reps_exact=self.reps_exact,
            hold_scored=self.hold_scored,
            hold_in_range=self.hold_in_range,
            faults_right=self.faults_right,
            view_correct=self.view_correct,
            precision=self.faults.precision,
            recall=self.faults.recall,
            right=self.right,
            wrong=list(self.wrong),
        )
        return out


@dataclass(frozen=True)
class Totals:
    clips: int
    right: int  # clips meeting every check they have
    failed: int  # clips whose analysis failed
    reps_scored: int
    reps_exact: int
    holds_scored: int
    holds_in_range: int
    faults: FaultScore  # pooled over every clip (a failed clip found nothing)
    absent_not_reported: int  # absent codes not reported, on clips that were analysed
    view_correct: int
    signals: dict[str, SignalError]  # pooled over all compared frames of all clips


# -- pure comparison ------------------------------------------------------------------------
def overlaps(a_start: float, a_end: float, b_start: float, b_end: float) -> bool:
    """True when the two intervals share some time (touching ends do not count)."""
    return a_start < b_end and b_start < a_end


def _as_fault(f: LabelledFault | Mapping[str, Any]) -> LabelledFault:
    if isinstance(f, LabelledFault):
        return f
    return LabelledFault(str(f["code"]), float(f["start_s"]), float(f["end_s"]))


def _interval_name(f: LabelledFault) -> str:
    if math.isinf(f.end_s):
        return f.code
    return f"{f.code} {f.start_s:.2f}-{f.end_s:.2f}"


def score_faults(
    labelled: Sequence[LabelledFault | Mapping[str, Any]],
    reported: Sequence[Mapping[str, Any]],
    judged_codes: frozenset[str] | None = None,
    absent_codes: Sequence[str] = (),
) -> FaultScore:
    """Interval recall and precision, and which codes labelled absent were reported.

    judged_codes: reported intervals of other codes are neither true nor false (None: all judged).
    """
    labels = [_as_fault(f) for f in labelled]
    reports = [_as_fault(r) for r in reported]
    if judged_codes is not None:
        reports = [r for r in reports if r.code in judged_codes]

    def same(a: LabelledFault, b: LabelledFault) -> bool:
        return a.code == b.code and overlaps(a.start_s, a.end_s, b.start_s, b.end_s)

    found = [f for f in labels if any(same(f, r) for r in reports)]
    true = [r for r in reports if any(same(r, f) for f in labels)]
    reported_codes = {r.code for r in reports}
    return FaultScore(
        labelled=len(labels),
        labelled_found=len(found),
        reported=len(reports),
        reported_true=len(true),
        missed=tuple(_interval_name(f) for f in labels if f not in found),
        false_positives=tuple(_interval_name(r) for r in reports if r not in true),
        absent=len(absent_codes),
        absent_reported=tuple(c for c in absent_codes if c in reported_codes),
    )


def signal_errors(
    truth_t_s: Sequence[float],
    truth: Sequence[float | None],
    t_s: Sequence[float],
    measured: Sequence[float | None],
) -> SignalError | None:
    """Measured minus truth, each measurement paired with the truth frame nearest in time."""
    tt = np.asarray(truth_t_s, dtype=float)
    tv = np.asarray([math.nan if v is None else v for v in truth], dtype=float)
    mt = np.asarray(t_s, dtype=float)
    mv = np.asarray([math.nan if v is None else v for v in measured], dtype=float)
    if tt.size == 0 or mt.size == 0:
        return None
    period = float(np.median(np.diff(tt))) if tt.size > 1 else math.inf
    right = np.clip(np.searchsorted(tt, mt), 0, tt.size - 1)
    left = np.clip(right - 1, 0, tt.size - 1)
    nearest = np.where(np.abs(tt[left] - mt) <= np.abs(tt[right] - mt), left, right)
    aligned = np.abs(tt[nearest] - mt) <= _ALIGN_TOLERANCE_FRAMES * period + 1e-6
    errors = np.where(aligned, mv - tv[nearest], math.nan)
    return SignalError.of(errors)


def found_view(report: dict | None, error: BackformError | None) -> str:
    """The view verdict found: "ok", "turn side-on" (a ViewError or a view not side-on),
    another view problem, or the error that stopped the analysis."""
    if report is None:
        return VIEW_TURN if isinstance(error, ViewError) else f"error: {type(error).__name__}"
    view = report["view"]
    if view["ok"]:
        return VIEW_OK
    problems = view.get("problems_s") or {}
    worst = max(problems, key=lambda k: problems[k] or 0.0) if problems else None
    return VIEW_TURN if worst in (None, "not_side_on") else f"not ok ({worst})"


def evaluate_clip(
    labels: ClipLabels | dict, report: dict | None, error: BackformError | None = None
) -> ClipResult:
    """Compare one clip's labels with its analysis report (None when analysis raised `error`).

    A ViewError is a verdict (right for a clip that must be refused); any other error means
    the clip could not be analysed: a failed row.
    """
    lab = labels if isinstance(labels, ClipLabels) else parse_labels(labels)
    failed = report is None and not isinstance(error, ViewError)
    reported_faults = report["faults"] if report else []
    signals: dict[str, SignalError] = {}
    if report is not None and lab.view_ok and lab.truth and "series" in report:
        series, truth = report["series"], lab.truth
        spec = find_spec(lab.exercise)
        # Truth series compared with the checker's measurement of the same quantity (the
        # exercise spec lists what its checker measures the same way the truth defines it).
        for key in spec.evaluate_signals if spec is not None else ():
            if key in truth and key in series and "t_s" in truth:
                err = signal_errors(truth["t_s"], truth[key], series["t_s"], series[key])
                if err is not None:
                    signals[key] = err
    return ClipResult(
        clip=lab.clip,
        exercise=lab.exercise,
        expected_reps=lab.reps,
        found_reps=int(report["rep_count"]) if report else 0,
        expected_partial=int(lab.partial_reps or 0),
        found_partial=int(report.get("partial_rep_count", 0)) if report else 0,
        hold_range_s=lab.hold_range_s,
        found_hold_s=float(report.get("hold_s") or 0.0) if report else 0.0,
        faults=score_faults(lab.faults, reported_faults, lab.judged_codes, lab.absent_codes),
        expected_view=VIEW_OK if lab.view_ok else VIEW_TURN,
        found_view=found_view(report, error),
        signals=signals,
        error=None if error is None else str(error),
        failed=failed,
        schema=lab.schema,
    )


def totals(results: Sequence[ClipResult]) -> Totals:
    """Counts over all clips; signal errors pooled over frames (each clip's own offset removed
    for the after-offset figure, so differing offsets do not count as tracking error)."""
    f = [r.faults for r in results]
    pooled: dict[str, SignalError] = {}
    for key, _, _ in SIGNAL_COLUMNS:
        errs = [r.signals[key] for r in results if key in r.signals]
        n = sum(e.frames for e in errs)
        if n:
            pooled[key] = SignalError(
                n,
                sum(e.mae * e.frames for e in errs) / n,
                sum(e.offset * e.frames for e in errs) / n,
                sum(e.mae_after_offset * e.frames for e in errs) / n,
            )
    return Totals(
        clips=len(results),
        right=sum(r.right for r in results),
        failed=sum(r.failed for r in results),
        reps_scored=sum(r.reps_scored for r in results),
        reps_exact=sum(r.reps_exact for r in results),
        holds_scored=sum(r.hold_scored for r in results),
        holds_in_range=sum(r.hold_in_range for r in results),
        faults=FaultScore(
            labelled=sum(s.labelled for s in f),
            labelled_found=sum(s.labelled_found for s in f),
            reported=sum(s.reported for s in f),
            reported_true=sum(s.reported_true for s in f),
            absent=sum(s.absent for s in f),
        ),
        absent_not_reported=sum(
            r.faults.absent - len(r.faults.absent_reported) for r in results if not r.failed
        ),
        view_correct=sum(r.view_correct for r in results),
        signals=pooled,
    )


def summary_line(t: Totals) -> str:
    fp = t.faults.reported - t.faults.reported_true
    parts = [
        f"clips right: {t.right}/{t.clips}",
        f"reps exact: {t.reps_exact}/{t.reps_scored}",
        f"holds in range: {t.holds_in_range}/{t.holds_scored}",
        f"faults present found: {t.faults.labelled_found}/{t.faults.labelled}",
    ]
    if t.faults.absent:
        parts.append(f"faults absent not reported: {t.absent_not_reported}/{t.faults.absent}")
    parts += [
        f"false positives: {fp} (precision {_ratio(t.faults.precision)}, recall {_ratio(t.faults.recall)})",
        f"view: {t.view_correct}/{t.clips}",
        f"failed to analyse: {t.failed}",
    ]
    return ", ".join(parts)


# -- loading ------------------------------------------------------------------------------------
def find_clips(folder: Path) -> list[tuple[Path, dict]]:
    """(video, labels dict) for every `*.labels.json` in `folder`, sorted by name; every file is
    checked (either schema; a real-clip entry then names its `clip`) before anything is analysed."""
    return [(video, entry) for video, _, entry in _folder_labels(folder)]


def _folder_labels(folder: Path) -> list[tuple[Path, ClipLabels, dict]]:
    folder = _folder(folder)
    clips = []
    for path in sorted(folder.glob("*.labels.json")):
        entry = _read_json(path)
        lab = parse_labels(entry, None, path.name)
        clips.append((folder / lab.clip, lab, entry))
    if not clips:
        raise ConfigError(f"No *.labels.json files in {folder}: nothing to evaluate.")
    return clips


def load_labels(folder: Path, labels_file: Path | None = None) -> list[tuple[Path, ClipLabels]]:
    """(video, labels) for every clip to evaluate, all validated before any analysis.

    Without `labels_file`: the `NAME.labels.json` files in `folder`. With it: a JSON object of
    clip name -> labels (keys starting with "_" are notes), or one sample labels object.
    """
    if labels_file is None:
        return [(video, lab) for video, lab, _ in _folder_labels(folder)]
    folder = _folder(folder)
    path = Path(labels_file).expanduser()
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise ConfigError(f"The labels file {path} {what}.")
    data = _read_json(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path.name} is not a valid labels file (not a JSON object of clip labels).")
    if "expected" in data:
        entries: list[tuple[str | None, Any]] = [(None, data)]
    else:
        entries = [(k, v) for k, v in sorted(data.items()) if not k.startswith("_")]
    clips = []
    for name, entry in entries:
        lab = parse_labels(entry, name, path.name)
        clips.append((folder / lab.clip, lab))
    if not clips:
        raise ConfigError(f"{path.name} labels no clips: nothing to evaluate.")
    return clips


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ConfigError(f"{path.name} is not a valid labels file ({_short(err)}).") from None


def _folder(folder: Path) -> Path:
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise ConfigError(f"No folder called '{folder}': give the folder with the clips.")
    return folder


def _short(err: Exception) -> str:
    return str(err).splitlines()[0] if str(err) else type(err).__name__


# -- running ----------------------------------------------------------------------------------
def evaluate_folder(
    folder: Path,
    analyze: Callable[[Path, str], dict],
    on_clip: Callable[[int, int, str], None] | None = None,
    labels_file: Path | None = None,
) -> list[ClipResult]:
    """Analyse every labelled clip with `analyze(video, exercise) -> report dict` and compare.

    All labels are checked first (a malformed file costs nothing). A BackformError from one
    clip (a ViewError for a refused view, a missing or unreadable clip, an unknown exercise) is
    that clip's result, not the end of the evaluation; a missing pose model stops it.
    """
    clips = load_labels(folder, labels_file)
    results: list[ClipResult] = []
    for i, (video, labels) in enumerate(clips, 1):
        if on_clip is not None:
            on_clip(i, len(clips), video.name)
        try:
            report, error = analyze(video, labels.exercise), None
        except ModelUnavailableError:
            raise
        except BackformError as err:
            report, error = None, err
        results.append(evaluate_clip(labels, report, error))
    return results


def analyze_for_evaluation(
    model: Path | None = None, smoothing: bool = False, workdir: Path | None = None
) -> Callable[[Path, str], dict]:
    """`analyze(video, exercise) -> report dict`: the real analysis, report only, in `workdir`."""
    from feedback.analysis import AnalysisOutputs, analyze_video

    def analyze(video: Path, exercise: str) -> dict:
        report = None if workdir is None else Path(workdir) / f"{video.stem}_report.json"
        result = analyze_video(
            video,
            exercise,
            AnalysisOutputs(report=report),
            model=model,
            smoothing=smoothing,
            skip_other_exercises=True,  # as `analyze -e` judges
        )
        return result.report.to_dict()

    return analyze


def results_json(results: Iterable[ClipResult]) -> dict[str, Any]:
    results = list(results)
    t = totals(results)
    return {
        "clips": [r.to_dict() for r in results],
        "totals": {
            **asdict(t),
            "precision": t.faults.precision,
            "recall": t.faults.recall,
        },
        "summary": summary_line(t),
    }


def write_results_json(results: Iterable[ClipResult], path: Path) -> Path:
    from feedback.atomic import atomic_open

    path = Path(path).expanduser()
    with atomic_open(path, "w", encoding="utf-8") as f:
        json.dump(results_json(results), f, indent=1)
        f.write("\n")
    return path


# -- rendering ------------------------------------------------------------------------------
def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _signal_cell(err: SignalError | None, decimals: int) -> str:
    if err is None:
        return ""
    return f"{err.mae:.{decimals}f}/{err.offset:+.{decimals}f}/{err.mae_after_offset:.{decimals}f}"


def _faults_cell(s: FaultScore) -> str:
    return f"{s.labelled_found}/{s.labelled}, {s.reported - s.reported_true} FP"


def _red(text: str, bad: bool) -> str:
    return f"[red]{text}[/red]" if bad else text


def _holds(exercise: str) -> bool:
    """Whether `exercise` is held (timed) rather than counted in reps."""
    spec = find_spec(exercise)
    return spec is not None and spec.counts == Counts.HOLD


def _reps_cell(r: ClipResult) -> str:
    expected = str(r.expected_reps) if r.reps_scored else "-"
    found = "fail" if r.failed else str(r.found_reps)
    cell = f"{expected}→{found}"
    if r.expected_partial or r.found_partial:
        cell += f" (+{r.expected_partial}→{r.found_partial})"
    return _red(cell, r.reps_scored and not r.reps_exact)


def _hold_cell(r: ClipResult) -> str:
    if not r.hold_scored:
        return "" if not _holds(r.exercise) or r.failed else f"-→{r.found_hold_s:.1f}"
    lo, hi = r.hold_range_s  # type: ignore[misc]
    found = "fail" if r.failed else f"{r.found_hold_s:.1f}"
    return _red(f"{lo:.3g}-{hi:.3g}→{found}", r.hold_scored and not r.hold_in_range)


def _view_cell(r: ClipResult) -> str:
    expected = "ok" if r.expected_view == VIEW_OK else "refuse"
    if r.failed:
        found = "fail"
    elif r.found_view == VIEW_OK:
        found = "ok"
    elif r.error is not None:
        found = "refused"
    else:
        found = "not ok"
    return _red(f"{expected}→{found}", not r.view_correct)


def _verdict_cell(r: ClipResult) -> str:
    if r.failed:
        return "[red]FAILED[/red]"
    return "right" if r.right else f"[red]wrong: {', '.join(r.wrong)}[/red]"


def _short_name(clip: str) -> str:
    return clip.removesuffix(".mp4")


def results_table(results: Sequence[ClipResult], width: int = TABLE_WIDTH):
    """The one Rich table for both schemas: a row per clip, a totals row, within `width` columns.

    Nothing is cut to "…": a long clip name or verdict folds onto a second line, and below 110
    columns the exercise column goes (clip names say it; the JSON keeps it).
    """
    from rich import box
    from rich.table import Table

    with_exercise = width >= 110

    table = Table(
        title="backform evaluate: analysis vs labels",
        caption=(
            "reps/hold/view: expected→found ('-' not scored; hold: accepted range in s). faults: labelled "
            "found / labelled, reported where the labels say none (FP). verdict: the checks a clip misses."
        ),
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("clip", overflow="fold", ratio=3, min_width=14)
    if with_exercise:
        table.add_column("exercise", no_wrap=True)
    table.add_column("reps", justify="center", no_wrap=True)
    table.add_column("hold s", justify="center", no_wrap=True)
    table.add_column("faults", justify="right", no_wrap=True)
    table.add_column("view", no_wrap=True)
    table.add_column("verdict", overflow="fold", ratio=2, min_width=12)
    for r in results:
        table.add_row(
            _short_name(r.clip),
            *([r.exercise] if with_exercise else []),
            _reps_cell(r),
            _hold_cell(r),
            _red(_faults_cell(r.faults), not r.faults_right),
            _view_cell(r),
            _verdict_cell(r),
        )
    t = totals(results)
    table.add_section()
    table.add_row(
        "[bold]total[/bold]",
        *([""] if with_exercise else []),
        f"[bold]{t.reps_exact}/{t.reps_scored}[/bold]",
        f"[bold]{t.holds_in_range}/{t.holds_scored}[/bold]",
        f"[bold]{_faults_cell(t.faults)}[/bold]",
        f"[bold]{t.view_correct}/{t.clips}[/bold]",
        f"[bold]{t.right}/{t.clips} right[/bold]" + (f", {t.failed} failed" if t.failed else ""),
    )
    return table


def signals_table(results: Sequence[ClipResult]):
    """Per-signal errors against the truth (clips with truth signals only), or None.

    Only the signals some clip measured get a column, so a set of one exercise stays narrow.
    """
    from rich import box
    from rich.table import Table

    rows = [r for r in results if r.signals]
    if not rows:
        return None
    columns = [c for c in SIGNAL_COLUMNS if any(c[0] in r.signals for r in rows)]
    table = Table(
        title="signals vs truth",
        caption=(
            "raw MAE / offset (mean signed error, measured - truth) / MAE after removing the offset; "
            "degrees, back bow in chord lengths."
        ),
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("clip", overflow="fold", min_width=14)
    for _, title, _ in columns:
        table.add_column(title, justify="right", no_wrap=True)
    for r in rows:
        table.add_row(_short_name(r.clip), *(_signal_cell(r.signals.get(key), d) for key, _, d in columns))
    t = totals(results)
    table.add_section()
    table.add_row("[bold]pooled[/bold]", *(_signal_cell(t.signals.get(key), d) for key, _, d in columns))
    return table


def misses_text(results: Sequence[ClipResult]) -> list[str]:
    """One line per clip that is not fully right: what it missed, and why when known."""
    lines = []
    for r in results:
        parts = []
        if r.failed:
            parts.append(f"analysis failed: {r.error}")
        else:
            if r.reps_scored and not r.reps_exact:
                parts.append(f"reps {r.expected_reps}, counted {r.found_reps}")
            if r.hold_scored and not r.hold_in_range:
                lo, hi = r.hold_range_s  # type: ignore[misc]
                parts.append(f"hold {r.found_hold_s:.1f} s, accepted {lo:g}-{hi:g} s")
            if r.faults.missed:
                parts.append("missed " + ", ".join(r.faults.missed))
            if r.faults.false_positives:
                parts.append("false positive " + ", ".join(r.faults.false_positives))
            if not r.view_correct:
                should = "judged" if r.expected_view == VIEW_OK else "refused"
                said = f": {r.error}" if r.error else ""
                parts.append(f"view should be {should}, found {r.found_view}{said}")
        if parts:
            lines.append(f"{r.clip}: " + "; ".join(parts))
    return lines
