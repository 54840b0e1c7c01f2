"""Report files: JSON (the full report), CSV (one row per rep or hold), a PNG plot and an HTML
page (feedback.html_report) with all of it.

Each `write_*` is atomic on its own; `stage_report_files` writes any of them into an
`OutputSet`, so they appear together with the rest of a run's outputs or not at all.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np

from exercises.registry import find_spec
from exercises.spec import Counts, ExerciseSpec
from feedback.atomic import OutputSet, atomic_open
from feedback.session import Report

if TYPE_CHECKING:
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.figure import Figure

    from feedback.stills import FaultStill

PLOT_WIDTH_IN = 11.0
CSV_BASE_COLUMNS = ("kind", "index", "start_s", "end_s", "duration_s", "faults")


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One rep (complete or partial) or one hold, as the CSV and the HTML table list them."""

    kind: str  # "rep", "partial rep" or "hold"
    index: int | None  # 1-based among its kind; None for a partial rep (not counted)
    start_s: float
    end_s: float
    faults: tuple[str, ...] = ()
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


def session_rows(report: Report) -> list[SessionRow]:
    """Reps, partial reps and holds in time order; metrics that repeat a base column are dropped."""
    rows = [SessionRow("rep", r.index, r.start_s, r.end_s, r.faults, _own(r.metrics)) for r in report.reps]
    rows += [
        SessionRow("partial rep", None, r.start_s, r.end_s, r.faults, _own(r.metrics))
        for r in report.partial_reps
    ]
    rows += [SessionRow("hold", i, h.start_s, h.end_s, h.faults) for i, h in enumerate(report.holds, 1)]
    return sorted(rows, key=lambda r: (r.start_s, r.kind))


def _own(metrics: dict[str, float]) -> dict[str, float]:
    return {k: v for k, v in metrics.items() if k not in CSV_BASE_COLUMNS}


def stage_report_files(
    report: Report,
    outputs: OutputSet,
    json_path: Path | None = None,
    csv_path: Path | None = None,
    plot_path: Path | None = None,
    html_path: Path | None = None,
    stills: Sequence[FaultStill] = (),
) -> dict[str, Path]:
    """Write the requested files into `outputs` (temporary names until it commits).

    Returns {"report"|"csv"|"plot"|"html": final path}. A failed write raises OutputError.
    The HTML page embeds the same plot as the PNG and the fault `stills`.
    """
    from feedback.html_report import dump_html

    plot_png = b""
    if plot_path is not None or html_path is not None:
        buffer = io.BytesIO()
        dump_plot(report, buffer)
        plot_png = buffer.getvalue()
    staged: dict[str, Path] = {}
    for kind, path, dump, mode, options in (
        ("report", json_path, dump_json, "w", {"encoding": "utf-8"}),
        ("csv", csv_path, dump_csv, "w", {"encoding": "utf-8", "newline": ""}),
        ("plot", plot_path, lambda _, f: f.write(plot_png), "wb", {}),
        ("html", html_path, lambda r, f: dump_html(r, f, plot_png, stills), "w", {"encoding": "utf-8"}),
    ):
        if path is not None:
            with outputs.open(path, mode, **options) as handle:
                dump(report, handle)
            staged[kind] = Path(path)
    return staged


def write_json(report: Report, path: Path, include_series: bool = True) -> Path:
    with atomic_open(path, "w", encoding="utf-8") as f:
        dump_json(report, f, include_series)
    return Path(path)


def dump_json(report: Report, f: IO[str], include_series: bool = True) -> None:
    json.dump(report.to_dict(include_series=include_series), f, indent=1, allow_nan=False)
    f.write("\n")


def write_csv(report: Report, path: Path) -> Path:
    """One row per rep (complete or partial) or hold: kind, timing, faults (`;`-separated) and
    every rep metric."""
    with atomic_open(path, "w", encoding="utf-8", newline="") as f:
        dump_csv(report, f)
    return Path(path)


def dump_csv(report: Report, f: IO[str]) -> None:
    """The CSV of `write_csv` into `f` (opened with newline="")."""
    rows = session_rows(report)
    metric_names = sorted({name for row in rows for name in row.metrics})
    writer = csv.writer(f)
    writer.writerow([*CSV_BASE_COLUMNS, *metric_names])
    for row in rows:
        writer.writerow(
            [
                row.kind,
                "" if row.index is None else row.index,
                _cell(row.start_s),
                _cell(row.end_s),
                _cell(row.duration_s),
                ";".join(row.faults),
                *(_cell(row.metrics.get(name)) for name in metric_names),
            ]
        )


def _cell(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return ""
    return f"{value:.4g}" if abs(value) < 1 else f"{value:.3f}".rstrip("0").rstrip(".")


def signal_label(name: str) -> str:
    for suffix, unit in (("_deg", " (°)"), ("_s", " (s)"), ("_m", " (m)")):
        if name.endswith(suffix):
            return name[: -len(suffix)].replace("_", " ") + unit
    return name.replace("_", " ")


# Same meaning as on the overlay: major red, moderate orange, minor blue.
SEVERITY_COLOURS = {"major": "#d62728", "moderate": "#ff7f0e", "minor": "#3a78c2"}


def plot_signals(report: Report, max_signals: int = 2, redundant_corr: float = 0.9) -> list[str]:
    """The checker's main signals worth plotting: measured, and not a near copy of one already chosen.

    (Hip angle and trunk inclination move as mirror images in a hinge; plotting both adds nothing.)
    """
    chosen: list[str] = []
    for name in report.main_signals:
        values = np.asarray(report.series.get(name, []), dtype=float)
        if np.isfinite(values).sum() < 2:
            continue
        if any(
            abs(_corr(values, np.asarray(report.series[c], dtype=float))) >= redundant_corr for c in chosen
        ):
            continue
        chosen.append(name)
        if len(chosen) == max_signals:
            break
    return chosen


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    both = np.isfinite(a) & np.isfinite(b)
    if both.sum() < 3 or np.std(a[both]) == 0 or np.std(b[both]) == 0:
        return 0.0
    return float(np.corrcoef(a[both], b[both])[0, 1])


def write_plot(report: Report, path: Path, max_signals: int = 2) -> Path:
    """Main signal(s) over time; reps shaded and numbered, fault intervals as bars, gaps hatched."""
    with atomic_open(path, "wb") as f:
        dump_plot(report, f, max_signals)
    return Path(path)


def dump_plot(report: Report, out: IO[bytes], max_signals: int = 2) -> None:
    """The plot of `write_plot` as PNG bytes into `out`: one panel per signal (the main one, then
    each reported fault's own), its threshold lines and fault intervals shaded, on the scale
    the exercise is judged in; below, a timeline of the faults."""
    from feedback.matplotlib_dirs import use_writable_matplotlib_dirs

    use_writable_matplotlib_dirs()  # before matplotlib loads: it warns on stderr otherwise
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    spec = find_spec(report.exercise)
    panels = plot_panels(report, spec, max_signals)
    codes = sorted({f.code for f in report.faults})
    heights = [3.0] * max(1, len(panels)) + ([max(0.8, 0.45 * len(codes))] if codes else [])
    fig = Figure(figsize=(PLOT_WIDTH_IN, 1.2 + 1.9 * len(heights)), dpi=100)
    canvas = FigureCanvasAgg(fig)
    axes = fig.subplots(len(heights), 1, sharex=True, height_ratios=heights, squeeze=False)[:, 0]
    _fixed_margins(fig, canvas.get_renderer(), [c.replace("_", " ") for c in codes])
    _draw_reps(axes[0], report)  # first: the legend drawn with the panel lists them
    for ax, panel in zip(axes, panels, strict=False):
        _draw_panel(ax, report, panel)
    if not panels:
        axes[0].text(0.5, 0.5, "no signal measured", ha="center", va="center", transform=axes[0].transAxes)
    for ax in axes:
        for gap in report.no_person:
            ax.axvspan(
                gap.start_s, gap.end_s, facecolor="#dddddd", edgecolor="#aaaaaa", hatch="//", linewidth=0
            )
    if codes:
        _draw_fault_timeline(axes[-1], report, codes)
    axes[-1].set_xlabel("time (s)")
    t = report.t_s
    if t:
        axes[-1].set_xlim(t[0], max(t[-1], t[0] + 1e-3))
    name = Path(report.video).name if report.video else "session"
    # At a fixed height: placed automatically, the title is kept clear of tick labels on top
    # (there are none) by measuring the axes' tick labels on every draw.
    axes[0].set_title(
        f"{report.title or report.exercise} - {name}: {counted_text(report, spec)}"
        + (" (partial)" if report.partial else ""),
        y=1.0,
    )
    fig.savefig(out, format="png")


def _fixed_margins(fig: Figure, renderer: RendererAgg, row_labels: list[str]) -> None:
    """Margins in inches, set once: constrained layout measured every tick label and drew the
    figure twice on `savefig` (about half of the plot's 120-190 ms of CPU a video). What can be
    long is measured: the fault timeline's row labels; the rest has a known size (a two-line
    axis label and tick labels up to ~6 characters fit in 1 in)."""
    from matplotlib import rcParams
    from matplotlib.font_manager import FontProperties

    font = FontProperties(size=rcParams["ytick.labelsize"])
    sizes = (renderer.get_text_width_height_descent(s, font, ismath=False) for s in row_labels)
    widest = max((size[0] for size in sizes), default=0.0)
    width, height = fig.get_size_inches()
    top, bottom, gap = 0.35, 0.55, 0.12
    rows = len(fig.axes)
    mean_axes = (height - top - bottom - gap * (rows - 1)) / rows
    fig.subplots_adjust(
        left=max(1.0, widest / fig.dpi + 0.25) / width,
        right=1 - 0.25 / width,  # room for half an x tick label at the right edge
        top=1 - top / height,
        bottom=bottom / height,
        hspace=gap / mean_axes,  # a fraction of the mean axes height
    )


@dataclass(frozen=True, slots=True)
class PlotPanel:
    """One signal's panel: its fixed scale, threshold lines, and the faults judged on it."""

    signal: str
    label: str  # axis label, with what the sign means where the spec says
    low: float | None  # fixed scale (None: from the data)
    high: float | None
    lines: tuple[tuple[str, float], ...] = ()  # (label, value)
    faults: tuple[str, ...] = ()  # codes judged on this signal


def plot_panels(report: Report, spec: ExerciseSpec | None, max_signals: int = 2) -> list[PlotPanel]:
    """The main signal (two if no fault is reported), then each reported fault's own signal."""
    reported = sorted({f.code for f in report.faults})
    wanted = plot_signals(report, 1 if reported else max_signals)
    infos = [spec.fault(code) for code in reported] if spec is not None else []
    for info in infos:
        if info is not None and info.signal not in wanted and _measured(report, info.signal):
            wanted.append(info.signal)
    if spec is None:
        return [PlotPanel(name, signal_label(name), None, None) for name in wanted]
    table = report.thresholds if report.thresholds is not None else spec.thresholds
    panels = []
    for name in wanted:
        scale = spec.scale_of(name)
        on_it = [f for f in spec.faults if f.signal == name]
        lines = dict.fromkeys((ln.label, ln.value(table)) for f in on_it for ln in f.lines)
        panels.append(
            PlotPanel(
                name,
                _axis_label(name, spec),
                scale.low if scale else None,
                scale.high if scale else None,
                tuple(lines),
                tuple(f.code for f in on_it),
            )
        )
    return panels


def _axis_label(name: str, spec: ExerciseSpec) -> str:
    meter = spec.meter
    if meter is not None and meter.measurement == name:  # its ends say what the sign means
        return f"{signal_label(name)}\n(- {meter.low_word.lower()}, + {meter.high_word.lower()})"
    return signal_label(name)


def _measured(report: Report, name: str | None) -> bool:
    return name is not None and np.isfinite(np.asarray(report.series.get(name, []), dtype=float)).sum() >= 2


def counted_text(report: Report, spec: ExerciseSpec | None) -> str:
    """ "1 rep", "12 reps" or "hold 31.4 s", as the exercise counts."""
    holds = spec.counts == Counts.HOLD if spec is not None else not (report.reps or report.rep_count)
    if holds and not report.reps:
        return f"hold {report.hold_s:.1f} s"
    n = report.rep_count
    return f"{n} rep" if n == 1 else f"{n} reps"


def _draw_panel(ax, report: Report, panel: PlotPanel) -> None:
    from matplotlib.patches import Patch

    t = np.asarray(report.t_s, dtype=float)
    values = np.asarray(report.series[panel.signal], dtype=float)
    ax.plot(t, values, color="#303030", linewidth=1.4, label=signal_label(panel.signal))
    if panel.low is not None and panel.high is not None:
        off = np.isfinite(values) & ((values < panel.low) | (values > panel.high))
        if off.any():  # kneeling down, a lost landmark: noted, not plotted to scale
            note = f"{off.mean():.0%} of frames off this scale"
            ax.text(0.01, 0.03, note, transform=ax.transAxes, fontsize=8, color="#666666")
    ax.set_ylabel(panel.label)
    ax.set_ylim(*_y_range(values, panel))
    for i, (label, value) in enumerate(panel.lines):
        ax.axhline(
            value, color="#7a3db8", linestyle=("--", ":")[i % 2], linewidth=1.2, label=f"{label} ({value:g})"
        )
    handles, _ = ax.get_legend_handles_labels()
    for code in panel.faults:
        spans = [f for f in report.faults if f.code == code]
        if not spans:
            continue
        colour = SEVERITY_COLOURS.get(spans[0].severity, "#d62728")
        for f in spans:
            ax.axvspan(f.start_s, f.end_s, color=colour, alpha=0.22, linewidth=0)
        handles.append(
            Patch(color=colour, alpha=0.4, label=f"{code.replace('_', ' ')} ({spans[0].severity})")
        )
    ax.legend(handles=handles, loc="upper right", fontsize=8, framealpha=0.85)
    ax.grid(alpha=0.3)


def _y_range(values: np.ndarray, panel: PlotPanel) -> tuple[float, float]:
    """The panel's fixed scale, or the data's 2nd-98th percentile; threshold lines always show."""
    finite = values[np.isfinite(values)]
    if panel.low is not None and panel.high is not None:
        lo, hi = panel.low, panel.high
    elif finite.size:
        lo, hi = (float(v) for v in np.percentile(finite, [2, 98]))
    else:
        lo, hi = -1.0, 1.0
    for _, value in panel.lines:
        lo, hi = min(lo, value), max(hi, value)
    pad = 0.08 * (hi - lo) if hi > lo else 1.0
    return lo - pad, hi + pad


def _draw_reps(ax, report: Report) -> None:
    for i, rep in enumerate(report.reps):
        ax.axvspan(
            rep.start_s,
            rep.end_s,
            facecolor="#2ca02c",
            alpha=0.10,
            edgecolor="#2ca02c",
            linewidth=0.8,
            label="rep" if i == 0 else None,
        )
        ax.annotate(
            str(rep.index),
            ((rep.start_s + rep.end_s) / 2, 1.0),
            xycoords=("data", "axes fraction"),
            ha="center",
            va="top",
            fontsize=9,
            color="#1a6e1a",
        )
    for i, rep in enumerate(report.partial_reps):
        label = "partial rep (not counted)" if i == 0 else None
        ax.axvspan(
            rep.start_s,
            rep.end_s,
            facecolor="none",
            edgecolor="#999999",
            hatch="..",
            linewidth=0,
            label=label,
        )
    for i, hold in enumerate(report.holds):
        ax.axvspan(
            hold.start_s,
            hold.end_s,
            color="#1f77b4",
            alpha=0.08,
            linewidth=0,
            label="hold" if i == 0 else None,
        )


def _draw_fault_timeline(bars, report: Report, codes: list[str]) -> None:
    for row, code in enumerate(codes):
        spans = [(f.start_s, f.duration_s) for f in report.faults if f.code == code]
        severity = next(f.severity for f in report.faults if f.code == code)
        bars.broken_barh(spans, (row - 0.35, 0.7), color=SEVERITY_COLOURS.get(severity, "#d62728"))
    bars.set_yticks(range(len(codes)), [c.replace("_", " ") for c in codes])
    bars.set_ylim(-0.6, len(codes) - 0.4)
    bars.invert_yaxis()
    bars.grid(axis="x", alpha=0.3)
