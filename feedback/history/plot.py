"""Trends over weeks as one PNG: good-form reps, range reached, hold time, pain.

Each session is a faint dot; the line through each week's average is the trend to read.
Range reached is shown as a percentage of the first week's range, so exercises whose
signals have different units share one panel.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO

from feedback.atomic import atomic_open, check_writable
from feedback.history.records import JournalEntry, SessionEntry

COLOURS = ("#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#17becf")
PAIN_BEFORE, PAIN_AFTER, PAIN_JOURNAL = "#d62728", "#ff7f0e", "#7f7f7f"


def week_of(day: date) -> date:
    """The Monday starting the week of `day`."""
    return day - timedelta(days=day.weekday())


def weekly_means(points: Iterable[tuple[datetime, float]]) -> list[tuple[datetime, float]]:
    """(middle of the week, mean) for each week with at least one point, in order."""
    weeks: dict[date, list[float]] = defaultdict(list)
    for at, value in points:
        weeks[week_of(at.date())].append(value)
    return [
        (datetime.combine(monday, datetime.min.time()) + timedelta(days=3, hours=12), statistics.fmean(v))
        for monday, v in sorted(weeks.items())
    ]


def series(sessions: Sequence[SessionEntry]) -> dict[str, dict[str, list[tuple[datetime, float]]]]:
    """{"good_reps"|"range"|"hold": {exercise: [(time, value)]}} from the sessions.

    Reps and range for exercises that count reps (any session with a rep); hold for those
    with a hold. Range is the span of the main signal, as % of the first week's mean span.
    """
    counts_reps = {r.exercise for s in sessions for r in s.results if r.reps > 0}
    holds = {r.exercise for s in sessions for r in s.results if r.hold_s > 0}
    out: dict[str, dict[str, list[tuple[datetime, float]]]] = {"good_reps": {}, "range": {}, "hold": {}}
    spans: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    for s in sessions:
        for r in s.results:
            if r.exercise in counts_reps:
                out["good_reps"].setdefault(r.exercise, []).append((s.started_at, float(r.good_reps)))
                if r.range_span is not None and r.range_span > 0:
                    spans[r.exercise].append((s.started_at, r.range_span))
            if r.exercise in holds:
                out["hold"].setdefault(r.exercise, []).append((s.started_at, r.hold_s))
    for exercise, points in spans.items():
        base = weekly_means(points)[0][1]
        out["range"][exercise] = [(t, 100.0 * v / base) for t, v in points]
    return out


def dump_plot(sessions: Sequence[SessionEntry], journal: Sequence[JournalEntry], out: IO[bytes]) -> None:
    from feedback.matplotlib_dirs import use_writable_matplotlib_dirs

    use_writable_matplotlib_dirs()  # before matplotlib loads: it warns on stderr otherwise
    import matplotlib.dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    data = series(sessions)
    exercises = sorted({e for kind in data.values() for e in kind})
    colour = {e: COLOURS[i % len(COLOURS)] for i, e in enumerate(exercises)}
    fig = Figure(figsize=(10, 9), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(4, 1, sharex=True)
    _progress_panels(axes[:3], data, colour)
    _pain_panel(axes[3], sessions, journal)
    for ax in axes:
        ax.grid(alpha=0.3)
    axes[-1].xaxis.set_major_locator(mdates.WeekdayLocator(byweekday=mdates.MO))
    axes[-1].xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    axes[-1].set_xlabel("week (Mondays)")
    times = [s.started_at for s in sessions] + [j.at for j in journal]
    if times:
        first, last = min(times), max(times)
        axes[-1].set_xlim(first - timedelta(days=1), max(last, first + timedelta(days=6)) + timedelta(days=1))
    days = len({s.started_at.date() for s in sessions})
    fig.suptitle(f"backform progress: {len(sessions)} sessions on {days} days (lines: weekly averages)")
    fig.savefig(out, format="png")


def _progress_panels(axes, data: dict, colour: dict[str, str]) -> None:
    """Good-form reps, range reached and hold time: a weekly trend line per exercise."""
    panels = (
        ("good_reps", "good-form reps per session"),
        ("range", "range reached\n(% of first week)"),
        ("hold", "hold time (s)"),
    )
    for ax, (key, label) in zip(axes, panels, strict=False):
        for exercise, points in sorted(data[key].items()):
            _trend(ax, points, colour[exercise], exercise.replace("-", " "))
        ax.set_ylabel(label)
        if data[key]:
            ax.legend(loc="upper left", fontsize=8, frameon=False)
        else:
            ax.text(
                0.5, 0.5, "nothing recorded", ha="center", va="center", transform=ax.transAxes, color="#888"
            )
        if key != "range":  # counts and seconds from zero; range zoomed on its change
            ax.set_ylim(bottom=0)
    if data["range"]:
        axes[1].axhline(100, color="#bbbbbb", linewidth=0.8, zorder=0)


def _pain_panel(pain, sessions: Sequence[SessionEntry], journal: Sequence[JournalEntry]) -> None:
    """Pain before and after sessions (trend lines) and journal entries (crosses), 0-10."""
    before = [
        (s.started_at, float(s.comfort.pain_before)) for s in sessions if s.comfort.pain_before is not None
    ]
    after = [
        (s.started_at, float(s.comfort.pain_after)) for s in sessions if s.comfort.pain_after is not None
    ]
    diary = [(j.at, float(j.pain)) for j in journal if j.pain is not None]
    _trend(pain, before, PAIN_BEFORE, "before a session")
    _trend(pain, after, PAIN_AFTER, "after a session")
    if diary:
        pain.scatter(
            [t for t, _ in diary],
            [v for _, v in diary],
            marker="x",
            color=PAIN_JOURNAL,
            s=22,
            label="journal",
        )
    pain.set_ylim(0, 10.3)
    pain.set_ylabel("pain (0-10)")
    if before or after or diary:
        pain.legend(loc="upper right", fontsize=8, frameon=False, ncols=3)
    else:
        pain.text(
            0.5, 0.5, "no pain scores", ha="center", va="center", transform=pain.transAxes, color="#888"
        )


def _trend(ax, points: Sequence[tuple[datetime, float]], colour: str, label: str) -> None:
    if not points:
        return
    ax.scatter([t for t, _ in points], [v for _, v in points], color=colour, alpha=0.3, s=14, linewidths=0)
    weekly = weekly_means(points)
    ax.plot(
        [t for t, _ in weekly], [v for _, v in weekly], color=colour, linewidth=2, marker="o", label=label
    )


def write_plot(path: Path, sessions: Sequence[SessionEntry], journal: Sequence[JournalEntry]) -> Path:
    path = check_writable(Path(path))
    with atomic_open(path, "wb") as f:
        dump_plot(sessions, journal, f)
    return path
