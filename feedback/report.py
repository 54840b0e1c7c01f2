"""Report files: JSON (the full report), CSV (one row per rep) and a PNG plot.

Each `write_*` is atomic on its own; `stage_report_files` writes any of them into an
`OutputSet`, so they appear together with the rest of a run's outputs or not at all.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import IO

import numpy as np

from feedback.atomic import OutputSet, atomic_open
from feedback.session import Report

CSV_BASE_COLUMNS = ("index", "start_s", "end_s", "duration_s", "faults")


def stage_report_files(
    report: Report,
    outputs: OutputSet,
    json_path: Path | None = None,
    csv_path: Path | None = None,
    plot_path: Path | None = None,
) -> dict[str, Path]:
    """Write the requested files into `outputs` (temporary names until it commits).

    Returns {"report"|"csv"|"plot": final path}. A failed write raises OutputError.
    """
    staged: dict[str, Path] = {}
    for kind, path, dump, mode, options in (
        ("report", json_path, dump_json, "w", {"encoding": "utf-8"}),
        ("csv", csv_path, dump_csv, "w", {"encoding": "utf-8", "newline": ""}),
        ("plot", plot_path, dump_plot, "wb", {}),
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
    """One row per completed rep: timing, faults (`;`-separated) and every rep metric."""
    with atomic_open(path, "w", encoding="utf-8", newline="") as f:
        dump_csv(report, f)
    return Path(path)


def dump_csv(report: Report, f: IO[str]) -> None:
    """The CSV of `write_csv` into `f` (opened with newline="")."""
    metric_names = sorted({name for rep in report.reps for name in rep.metrics})
    writer = csv.writer(f)
    writer.writerow([*CSV_BASE_COLUMNS, *metric_names])
    for rep in report.reps:
        metrics = [_cell(rep.metrics.get(name)) for name in metric_names]
        writer.writerow(
            [
                rep.index,
                _cell(rep.start_s),
                _cell(rep.end_s),
                _cell(rep.duration_s),
                ";".join(rep.faults),
                *metrics,
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
    """The plot of `write_plot` as PNG bytes into `out`."""
    from feedback.matplotlib_dirs import use_writable_matplotlib_dirs

    use_writable_matplotlib_dirs()  # before matplotlib loads: it warns on stderr otherwise
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    signals = plot_signals(report, max_signals)
    codes = sorted({f.code for f in report.faults})
    fig = Figure(figsize=(11, 5.5 if codes else 4.5), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    heights = [4, max(1, 0.45 * len(codes))] if codes else [1]
    axes = fig.subplots(len(heights), 1, sharex=True, height_ratios=heights, squeeze=False)[:, 0]
    ax = axes[0]
    t = report.t_s
    for i, name in enumerate(signals):
        target = ax if i == 0 else ax.twinx()
        colour = ("#303030", "#8c564b")[i % 2]
        target.plot(t, report.series[name], color=colour, linewidth=1.6, label=signal_label(name))
        target.set_ylabel(signal_label(name), color=colour)
        target.tick_params(axis="y", colors=colour)
    if not signals:
        ax.text(0.5, 0.5, "no signal measured", ha="center", va="center", transform=ax.transAxes)
    for rep in report.reps:
        ax.axvspan(
            rep.start_s, rep.end_s, facecolor="#2ca02c", alpha=0.12, edgecolor="#2ca02c", linewidth=0.8
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
    for rep in report.partial_reps:
        ax.axvspan(rep.start_s, rep.end_s, facecolor="none", edgecolor="#999999", hatch="..", linewidth=0)
    for hold in report.holds:
        ax.axvspan(hold.start_s, hold.end_s, color="#1f77b4", alpha=0.08, linewidth=0)
    for a in axes:
        for gap in report.no_person:
            a.axvspan(
                gap.start_s, gap.end_s, facecolor="#dddddd", edgecolor="#aaaaaa", hatch="//", linewidth=0
            )
    if signals and report.faults:
        # Mark faults on the main signal itself: the stretch of curve during a fault in its colour.
        times_arr = np.asarray(t)
        values = np.asarray(report.series[signals[0]], dtype=float)
        for f in report.faults:
            inside = (times_arr >= f.start_s) & (times_arr <= f.end_s)
            ax.plot(
                times_arr[inside],
                values[inside],
                color=SEVERITY_COLOURS.get(f.severity, "#d62728"),
                linewidth=3.2,
                solid_capstyle="butt",
            )
    if codes:
        bars = axes[1]
        for row, code in enumerate(codes):
            spans = [(f.start_s, f.duration_s) for f in report.faults if f.code == code]
            severity = next(f.severity for f in report.faults if f.code == code)
            bars.broken_barh(spans, (row - 0.35, 0.7), color=SEVERITY_COLOURS.get(severity, "#d62728"))
        bars.set_yticks(range(len(codes)), [c.replace("_", " ") for c in codes])
        bars.set_ylim(-0.6, len(codes) - 0.4)
        bars.invert_yaxis()
        bars.grid(axis="x", alpha=0.3)
    axes[-1].set_xlabel("time (s)")
    if t:
        axes[-1].set_xlim(t[0], max(t[-1], t[0] + 1e-3))
    ax.grid(alpha=0.3)
    counted = f"{report.rep_count} reps" if report.reps or report.rep_count else f"hold {report.hold_s:.1f} s"
    name = Path(report.video).name if report.video else "session"
    ax.set_title(
        f"{report.title or report.exercise} - {name}: {counted}" + (" (partial)" if report.partial else "")
    )
    fig.savefig(out, format="png")
