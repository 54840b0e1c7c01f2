"""`backform evaluate`: how the analysis compares with the sample clips' ground truth.

The comparison is pure (a clip's labels + the analysis report dict -> `ClipResult`); running
the analysis over a folder and rendering the table are separate. The table is a measurement,
not a test: it states what was found, including the errors, and hides none of them.

Matching rules:
- reps: the counted reps must equal the labelled `rep_count` exactly;
- faults: a labelled interval is found when the report has the same code on an overlapping
  interval (recall); a reported interval with no overlapping labelled one of its code is a
  false positive (precision);
- view: a clip labelled `view_ok: false` expects "turn side-on"; a ViewError or a report whose
  view is not ok meets it;
- signals: per frame, matched by timestamp, the checker's measurement minus the truth. The
  raw mean absolute error and the constant offset (mean signed error) are reported, and the
  mean absolute error left after removing that offset: landmarks and rig joints sit a few
  degrees apart, which is an offset, not a tracking error, yet both are shown.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vision.errors import BackformError, ConfigError, ViewError

# Truth series -> the checker measurement of the same quantity, per exercise (only what the
# checker measures and the truth defines the same way).
SIGNALS_BY_EXERCISE: dict[str, tuple[str, ...]] = {
    "hip-hinge": ("trunk_inclination_deg", "hip_angle_deg", "head_line_deg", "back_bow"),
    "plank": ("body_line_deg", "head_line_deg"),
    "cat-cow": ("head_line_deg", "back_bow"),
}
SIGNAL_COLUMNS: tuple[tuple[str, str, int], ...] = (  # truth key, column title, decimals
    ("trunk_inclination_deg", "trunk°", 1),
    ("hip_angle_deg", "hip°", 1),
    ("body_line_deg", "body line°", 1),
    ("head_line_deg", "head°", 1),
    ("back_bow", "back bow", 3),
)
# A measurement further than this from every truth frame is not compared (fraction of a frame).
_ALIGN_TOLERANCE_FRAMES = 0.5

VIEW_OK = "ok"
VIEW_TURN = "turn side-on"


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
    labelled: int  # labelled intervals
    labelled_found: int  # of them, overlapped by a reported interval of the same code
    reported: int  # reported intervals
    reported_true: int  # of them, overlapping a labelled interval of the same code
    missed: tuple[str, ...] = ()  # "code start-end" of labelled intervals not found
    false_positives: tuple[str, ...] = ()  # "code start-end" of reported intervals with no label

    @property
    def precision(self) -> float | None:
        return self.reported_true / self.reported if self.reported else None

    @property
    def recall(self) -> float | None:
        return self.labelled_found / self.labelled if self.labelled else None


@dataclass(frozen=True)
class ClipResult:
    clip: str
    exercise: str
    expected_reps: int
    found_reps: int
    expected_partial: int
    found_partial: int
    expected_hold_s: float
    found_hold_s: float
    faults: FaultScore
    expected_view: str
    found_view: str
    signals: dict[str, SignalError] = field(default_factory=dict)
    error: str | None = None  # the analysis stopped with this message (a ViewError may be expected)

    @property
    def reps_exact(self) -> bool:
        return self.expected_reps == self.found_reps

    @property
    def view_correct(self) -> bool:
        if self.expected_view == VIEW_OK:
            return self.found_view == VIEW_OK
        return self.found_view != VIEW_OK and not self.found_view.startswith("error")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(
            reps_exact=self.reps_exact,
            view_correct=self.view_correct,
            precision=self.faults.precision,
            recall=self.faults.recall,
        )
        return out


@dataclass(frozen=True)
class Totals:
    clips: int
    reps_exact: int
    faults: FaultScore
    view_correct: int
    signals: dict[str, SignalError]  # pooled over all compared frames of all clips


# -- pure comparison ------------------------------------------------------------------------
def overlaps(a_start: float, a_end: float, b_start: float, b_end: float) -> bool:
    """True when the two intervals share some time (touching ends do not count)."""
    return a_start < b_end and b_start < a_end


def score_faults(labelled: Sequence[dict], reported: Sequence[dict]) -> FaultScore:
    def same(a: dict, b: dict) -> bool:
        return a["code"] == b["code"] and overlaps(a["start_s"], a["end_s"], b["start_s"], b["end_s"])

    def name(f: dict) -> str:
        return f"{f['code']} {f['start_s']:.2f}-{f['end_s']:.2f}"

    found = [f for f in labelled if any(same(f, r) for r in reported)]
    true = [r for r in reported if any(same(r, f) for f in labelled)]
    return FaultScore(
        labelled=len(labelled),
        labelled_found=len(found),
        reported=len(reported),
        reported_true=len(true),
        missed=tuple(name(f) for f in labelled if f not in found),
        false_positives=tuple(name(r) for r in reported if r not in true),
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


def evaluate_clip(labels: dict, report: dict | None, error: BackformError | None = None) -> ClipResult:
    """Compare one clip's labels with its analysis report (None when analysis raised `error`)."""
    expected = labels["expected"]
    exercise = labels["exercise"]
    reported_faults = report["faults"] if report else []
    signals: dict[str, SignalError] = {}
    if report is not None and expected["view_ok"] and "series" in report:
        series = report["series"]
        truth = labels.get("truth", {})
        for key in SIGNALS_BY_EXERCISE.get(exercise, ()):
            if key in truth and key in series:
                err = signal_errors(truth["t_s"], truth[key], series["t_s"], series[key])
                if err is not None:
                    signals[key] = err
    return ClipResult(
        clip=labels["clip"],
        exercise=exercise,
        expected_reps=int(expected["rep_count"]),
        found_reps=int(report["rep_count"]) if report else 0,
        expected_partial=int(expected.get("partial_reps", 0)),
        found_partial=int(report.get("partial_rep_count", 0)) if report else 0,
        expected_hold_s=float(expected.get("hold_s", 0.0)),
        found_hold_s=float(report.get("hold_s") or 0.0) if report else 0.0,
        faults=score_faults(expected["faults"], reported_faults),
        expected_view=VIEW_OK if expected["view_ok"] else VIEW_TURN,
        found_view=found_view(report, error),
        signals=signals,
        error=None if error is None else str(error),
    )


def totals(results: Sequence[ClipResult], labels: Sequence[dict] | None = None) -> Totals:
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
        reps_exact=sum(r.reps_exact for r in results),
        faults=FaultScore(
            labelled=sum(s.labelled for s in f),
            labelled_found=sum(s.labelled_found for s in f),
            reported=sum(s.reported for s in f),
            reported_true=sum(s.reported_true for s in f),
        ),
        view_correct=sum(r.view_correct for r in results),
        signals=pooled,
    )


def summary_line(t: Totals) -> str:
    return (
        f"reps exact: {t.reps_exact}/{t.clips}, faults: precision {_ratio(t.faults.precision)} "
        f"recall {_ratio(t.faults.recall)} ({t.faults.labelled_found}/{t.faults.labelled} labelled found, "
        f"{t.faults.reported - t.faults.reported_true} false positive), view: {t.view_correct}/{t.clips}"
    )


# -- running ----------------------------------------------------------------------------------
def find_clips(folder: Path) -> list[tuple[Path, dict]]:
    """(video, labels) for every `*.labels.json` in `folder`, sorted by name."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise ConfigError(f"No folder called '{folder}': give the folder with the sample clips.")
    clips: list[tuple[Path, dict]] = []
    for path in sorted(folder.glob("*.labels.json")):
        try:
            labels = json.loads(path.read_text(encoding="utf-8"))
            video = folder / labels["clip"]
            if not isinstance(labels["expected"], dict) or not isinstance(labels["exercise"], str):
                raise TypeError("'expected' or 'exercise' has the wrong type")
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise ConfigError(f"{path.name} is not a valid labels file ({err}).") from None
        clips.append((video, labels))
    if not clips:
        raise ConfigError(f"No *.labels.json files in {folder}: nothing to evaluate.")
    return clips


def evaluate_folder(
    folder: Path,
    analyze: Callable[[Path, str], dict],
    on_clip: Callable[[int, int, str], None] | None = None,
) -> list[ClipResult]:
    """Analyse every labelled clip with `analyze(video, exercise) -> report dict` and compare.

    A BackformError from one clip (e.g. a ViewError for a front view) is that clip's result,
    not the end of the evaluation.
    """
    clips = find_clips(folder)
    results: list[ClipResult] = []
    for i, (video, labels) in enumerate(clips, 1):
        if on_clip is not None:
            on_clip(i, len(clips), video.name)
        try:
            report, error = analyze(video, labels["exercise"]), None
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
            video, exercise, AnalysisOutputs(report=report), model=model, smoothing=smoothing
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


def results_table(results: Sequence[ClipResult]):
    """The one Rich table: a row per clip and a totals row."""
    from rich.table import Table

    table = Table(
        title="backform evaluate: analysis vs ground truth",
        caption=(
            "signal cells: raw MAE / offset (mean signed error, measured - truth) / MAE after removing "
            "the offset; degrees, back bow in chord lengths. faults: labelled intervals found / labelled, "
            "reported intervals matching no label (FP)."
        ),
        show_footer=False,
    )
    table.add_column("clip")
    table.add_column("reps exp→found", justify="center")
    table.add_column("faults", justify="right")
    table.add_column("prec", justify="right")
    table.add_column("recall", justify="right")
    table.add_column("view exp→found")
    for _, title, _ in SIGNAL_COLUMNS:
        table.add_column(title, justify="right")

    for r in results:
        reps = f"{r.expected_reps}→{r.found_reps}"
        if r.expected_partial or r.found_partial:
            reps += f" (+{r.expected_partial}→{r.found_partial} partial)"
        reps = reps if r.reps_exact else f"[red]{reps}[/red]"
        view = f"{r.expected_view}→{r.found_view}"
        view = view if r.view_correct else f"[red]{view}[/red]"
        table.add_row(
            r.clip.removesuffix(".mp4"),
            reps,
            _faults_cell(r.faults),
            _ratio(r.faults.precision),
            _ratio(r.faults.recall),
            view,
            *(_signal_cell(r.signals.get(key), d) for key, _, d in SIGNAL_COLUMNS),
        )
    t = totals(results)
    table.add_section()
    table.add_row(
        "[bold]total[/bold]",
        f"[bold]{t.reps_exact}/{t.clips} exact[/bold]",
        _faults_cell(t.faults),
        f"[bold]{_ratio(t.faults.precision)}[/bold]",
        f"[bold]{_ratio(t.faults.recall)}[/bold]",
        f"{t.view_correct}/{t.clips} correct",
        *(_signal_cell(t.signals.get(key), d) for key, _, d in SIGNAL_COLUMNS),
    )
    return table


def misses_text(results: Sequence[ClipResult]) -> list[str]:
    """One line per clip with missed or false-positive faults or an unexpected error."""
    lines = []
    for r in results:
        parts = []
        if r.faults.missed:
            parts.append("missed " + ", ".join(r.faults.missed))
        if r.faults.false_positives:
            parts.append("false positive " + ", ".join(r.faults.false_positives))
        if r.error and r.expected_view == VIEW_OK:
            parts.append(f"error: {r.error}")
        if parts:
            lines.append(f"{r.clip}: " + "; ".join(parts))
    return lines
