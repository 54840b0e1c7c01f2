"""The session as one self-contained HTML page, for a physio to review without the video.

Summary, one row per rep or hold, a fault timeline (inline SVG), the plot and a still of each
fault, all in one file: images are data URIs and a Content-Security-Policy forbids fetching
anything, so the page opens offline and nothing about the session leaves the machine. No
script: a static page renders the same in any browser, printed or archived.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import IO

from exercises.registry import find_spec
from exercises.spec import Counts
from feedback.coverage import no_faults_line, not_judged_said
from feedback.report import SEVERITY_COLOURS, SessionRow, session_rows, signal_label
from feedback.session import Report
from feedback.stills import FaultStill

# Nothing may be fetched: images come inline, styles are in the page.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d1f;
       max-width: 1100px; margin: 0 auto; padding: 1.2em; background: #fff; }
h1 { font-size: 1.5em; margin: 0 0 .2em; } h2 { font-size: 1.15em; margin: 1.6em 0 .5em;
     border-bottom: 1px solid #ddd; padding-bottom: .2em; }
.sub { color: #666; margin: 0 0 1em; }
table { border-collapse: collapse; margin: .3em 0; }
th, td { padding: .25em .7em; text-align: left; vertical-align: top; border-bottom: 1px solid #eee; }
th { background: #f5f5f7; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.summary th { background: none; width: 13em; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: .4em .8em; margin: .5em 0; }
.fault { display: inline-block; padding: 0 .45em; border-radius: .7em; color: #fff; font-size: .88em;
         margin: 0 .2em .15em 0; white-space: nowrap; }
.ok { color: #1a7f37; }
img.plot { max-width: 100%; height: auto; border: 1px solid #ddd; }
.stills { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; flex: 0 1 auto; max-width: 520px; }
figure img { max-width: 100%; max-height: 520px; width: auto; height: auto; border: 1px solid #ccc;
             display: block; }
figcaption { font-size: .92em; margin-top: .3em; }
svg.timeline { width: 100%; height: auto; display: block; }
footer { color: #888; font-size: .85em; margin-top: 2em; }
@media print { h2 { break-after: avoid; } figure { break-inside: avoid; } }
"""


def dump_html(
    report: Report, out: IO[str], plot_png: bytes | None = None, stills: Sequence[FaultStill] = ()
) -> None:
    """Write the report page for `report` into `out` (text)."""
    name = Path(report.video).name if report.video else "session"
    title = f"{report.title or report.exercise} - {name}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="sub">Session report{" (stopped early: covers the frames analysed)" * report.partial}'
        f" &middot; {_e(_duration(report.duration_s))} of video</p>",
        _summary(report),
        _rows_section(report),
        _faults_section(report),
    ]
    if plot_png:
        parts += [
            "<h2>Plot</h2>",
            f'<img class="plot" alt="Signals over time with reps and faults" '
            f'src="{_data_uri(plot_png, "image/png")}">',
        ]
    parts += [
        _stills_section(stills),
        f"<footer>Made by backform {_e(_version())} on this computer.</footer>",
    ]
    parts.append("</body></html>")
    out.write("\n".join(p for p in parts if p))
    out.write("\n")


# -- sections ---------------------------------------------------------------------------------
def _counts(r: Report) -> str:
    """What the exercise counts: its spec's word, else the report's (an exercise not registered)."""
    spec = find_spec(r.exercise)
    if spec is not None:
        return spec.counts.value
    return r.extra.get("counts") or ("hold" if r.holds or r.hold_s > 0 else "reps")


def _summary(r: Report) -> str:
    counts = _counts(r)
    rows: list[tuple[str, str]] = [("Exercise", _e(r.title or r.exercise))]
    if r.video:
        rows.append(("Video", _e(Path(r.video).name)))
    seen = r.frames_with_pose / r.frames if r.frames else 0.0
    rows.append(("Person seen", f"{r.frames_with_pose} of {r.frames} frames ({seen:.0%})"))
    view = r.view
    verdict = "good" if view.ok else "<b>not good enough</b> for most frames"
    rows.append(("Camera view", f"{_e(view.side or '?')} side, {verdict} ({view.ok_fraction:.0%} judged)"))
    if counts == Counts.REPS:
        target = r.extra.get("target_reps")
        text = f"<b>{r.rep_count}</b>" + (f" of {int(target)}" if target else "")
        if r.partial_reps:
            text += f" (+{len(r.partial_reps)} not completed)"
        rows.append(("Reps", text))
        if r.reps:
            clean = sum(1 for rep in r.reps if not rep.faults)
            rows.append(("Reps without a fault", f"{clean} of {len(r.reps)}"))
    else:
        target = r.extra.get("target_hold_s")
        text = f"<b>{r.hold_s:.1f} s</b>" + (f" of {target:g} s" if target else "")
        holds = _plural(len(r.holds), "hold")
        rows.append(("Time held", f"{text} (best continuous {r.best_hold_s:.1f} s, {holds})"))
    rows.append(("Faults", _fault_totals(r)))
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    notes = [str(w) for w in r.extra.get("warnings") or ()]
    if reason := r.extra.get("nothing_counted"):
        notes.append(str(reason))
    if r.partial:
        notes.append("The analysis was stopped early; this report covers the frames analysed.")
    notes_html = "".join(f'<p class="note">{_e(n)}</p>' for n in notes)
    return f'<h2>Summary</h2><table class="summary">{body}</table>{notes_html}'


def _fault_totals(r: Report) -> str:
    """Each fault with its time and the reps it marked; some (a small range, too fast) are
    judged on a whole rep and have no time of their own."""
    in_reps: dict[str, int] = {}
    for rep in r.reps:
        for code in rep.faults:
            in_reps[code] = in_reps.get(code, 0) + 1
    codes = sorted(set(r.fault_time_s) | set(in_reps), key=lambda c: (-r.fault_time_s.get(c, 0.0), c))
    if not codes:
        unjudged = not_judged_said(r)
        return '<span class="ok">none found</span>' + (f" (not judged: {_e(unjudged)})" if unjudged else "")
    parts = []
    for code in codes:
        said = [f"{r.fault_time_s[code]:.1f} s"] if code in r.fault_time_s else []
        if code in in_reps:
            said.append(f"in {in_reps[code]} of {len(r.reps)} reps")
        parts.append(f"{_badge(code, r)} {', '.join(said)}")
    return "; ".join(parts)


def _rows_section(r: Report) -> str:
    rows = session_rows(r)
    heading = "Holds" if rows and all(row.kind == "hold" for row in rows) else "Reps"
    if not rows:
        return f"<h2>{heading}</h2><p>None recorded.</p>"
    metric_names = sorted({name for row in rows for name in row.metrics})
    head = ["#", "", "from (s)", "to (s)", "duration (s)", "faults", *map(signal_label, metric_names)]
    lines = ["<tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>"]
    for row in rows:
        cells = [
            "" if row.index is None else str(row.index),
            _e(row.kind),
            _num(row.start_s, 1),
            _num(row.end_s, 1),
            _num(row.duration_s, 1),
            " ".join(_badge(c, r) for c in row.faults) or '<span class="ok">none</span>',
            *(_num(row.metrics.get(n), _digits(n)) for n in metric_names),
        ]
        lines.append(_tr(cells, numeric=(0, 2, 3, 4, *range(6, 6 + len(metric_names)))))
    return f"<h2>{heading}</h2><table>{''.join(lines)}</table>"


def _faults_section(r: Report) -> str:
    per_rep = sorted({c for rep in r.reps for c in rep.faults} - set(r.fault_time_s))
    judged = f"{', '.join(map(_fault_name, per_rep)).lower()} judged on whole reps (see the table)"
    if r.faults:
        lines = [
            "<tr><th>fault</th><th>correction</th><th>from (s)</th><th>to (s)</th><th>lasted (s)</th></tr>"
        ]
        for f in r.faults:
            cells = [
                _badge(f.code, r),
                _e(f.message),
                _num(f.start_s, 1),
                _num(f.end_s, 1),
                _num(f.duration_s, 1),
            ]
            lines.append(_tr(cells, numeric=(2, 3, 4)))
        table = f"<table>{''.join(lines)}</table>"
        if per_rep:
            table += f"<p>Also {_e(judged)}.</p>"
    else:
        table = f"<p>{_e(f'No fault over time; {judged}.' if per_rep else no_faults_line(r))}</p>"
    return f"<h2>Fault timeline</h2>{_timeline(r)}{table}"


def _stills_section(stills: Sequence[FaultStill]) -> str:
    if not stills:
        return ""
    figures = []
    for s in stills:
        name = _fault_name(s.code)
        figures.append(
            f'<figure><img alt="{_e(name)} at {s.t_s:.1f} s" width="{s.width}" height="{s.height}" '
            f'src="{_data_uri(s.jpeg, "image/jpeg")}"><figcaption><b>{_e(name)}</b> ({_e(s.severity)}) at '
            f"{s.t_s:.1f} s, from its longest episode ({s.episode_start_s:.1f}-{s.episode_end_s:.1f} s). "
            f"Correction: {_e(s.message)}</figcaption></figure>"
        )
    return (
        "<h2>Each fault at its longest</h2>"
        "<p>The frame from the middle of each fault's longest episode, around the person. Red joints "
        "are those the fault is about; below is the correction the overlay and the voice gave.</p>"
        f'<div class="stills">{"".join(figures)}</div>'
    )


# -- the timeline ----------------------------------------------------------------------------
Span = tuple[float, float, str, str]  # start s, end s, colour, tooltip


def _timeline(r: Report) -> str:
    """Lanes over the session's time: reps or holds, one per fault code, no-person gaps."""
    end = max(r.duration_s, r.t_s[-1] if r.t_s else 0.0, 1e-3)
    start = r.t_s[0] if r.t_s else 0.0
    left, width, lane, gap = 150, 830, 22, 6
    lanes = _timeline_lanes(r)
    height = len(lanes) * (lane + gap) + 30

    def x(t: float) -> float:
        return left + (min(max(t, start), end) - start) / max(end - start, 1e-3) * width

    svg = [
        f'<svg class="timeline" viewBox="0 0 {left + width + 20} {height}" role="img" '
        f'aria-label="Reps and faults over time">'
    ]
    for i, (label, spans) in enumerate(lanes):
        y = i * (lane + gap) + 4
        svg.append(f'<rect x="{left}" y="{y}" width="{width}" height="{lane}" fill="#f3f3f3"/>')
        svg.append(
            f'<text x="{left - 8}" y="{y + lane * 0.7:.1f}" text-anchor="end" font-size="13" '
            f'font-family="sans-serif">{_e(label)}</text>'
        )
        for a, b, colour, tip in spans:
            x0, x1 = x(a), x(b)
            svg.append(
                f'<rect x="{x0:.1f}" y="{y + 2}" width="{max(x1 - x0, 1.5):.1f}" height="{lane - 4}" '
                f'fill="{colour}" rx="2"><title>{_e(tip)}</title></rect>'
            )
    axis_y = len(lanes) * (lane + gap) + 4
    for t in _ticks(start, end):
        svg.append(
            f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="4" y2="{axis_y}" stroke="#ccc" stroke-width="0.6"/>'
            f'<text x="{x(t):.1f}" y="{axis_y + 14}" text-anchor="middle" font-size="12" '
            f'font-family="sans-serif">{t:g}</text>'
        )
    svg.append(
        f'<text x="{left + width}" y="{axis_y + 26}" text-anchor="end" font-size="12" '
        f'font-family="sans-serif" fill="#666">time (s)</text></svg>'
    )
    return "".join(svg)


def _timeline_lanes(r: Report) -> list[tuple[str, list[Span]]]:
    """The timeline's lanes, top to bottom: reps or holds, each fault (longest first), gaps."""
    codes = sorted({f.code for f in r.faults}, key=lambda c: (-r.fault_time_s.get(c, 0.0), c))
    counted = [
        (row.start_s, row.end_s, "#2ca02c" if row.kind != "partial rep" else "#bbbbbb", _row_title(row))
        for row in session_rows(r)
    ]
    lanes: list[tuple[str, list[Span]]] = [("holds" if r.holds and not r.reps else "reps", counted)]
    for code in codes:
        spans = [
            (
                f.start_s,
                f.end_s,
                SEVERITY_COLOURS.get(f.severity, "#d62728"),
                f"{_fault_name(code)}: {f.start_s:.1f}-{f.end_s:.1f} s",
            )
            for f in r.faults
            if f.code == code
        ]
        lanes.append((_fault_name(code), spans))
    if r.no_person:
        gaps = [
            (g.start_s, g.end_s, "#9e9e9e", f"no person {g.start_s:.1f}-{g.end_s:.1f} s") for g in r.no_person
        ]
        lanes.append(("no person seen", gaps))
    return lanes


def _ticks(start: float, end: float, most: int = 12) -> list[float]:
    span = max(end - start, 1e-3)
    step = next(s for s in (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, math.inf) if span / s <= most)
    if step == math.inf:
        return [start, end]
    first = math.ceil(start / step) * step
    return [round(first + i * step, 3) for i in range(int((end - first) / step) + 1)]


# -- small helpers ---------------------------------------------------------------------------
def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _fault_name(code: str) -> str:
    return code.replace("_", " ").capitalize()


def _badge(code: str, r: Report) -> str:
    severity = next((f.severity for f in r.faults if f.code == code), None)
    if severity is None:  # judged on whole reps, never timed: the spec says how much it matters
        info = spec.fault(code) if (spec := find_spec(r.exercise)) is not None else None
        severity = info.severity.name.lower() if info is not None else "moderate"
    colour = SEVERITY_COLOURS.get(severity, "#d62728")
    name = _e(_fault_name(code))
    return f'<span class="fault" style="background:{colour}" title="{_e(severity)}">{name}</span>'


def _row_title(row: SessionRow) -> str:
    which = row.kind if row.index is None else f"{row.kind} {row.index}"
    faults = ", ".join(map(_fault_name, row.faults)) or "no fault"
    return f"{which}: {row.start_s:.1f}-{row.end_s:.1f} s, {faults}"


def _digits(metric: str) -> int:
    return 0 if metric.endswith("_deg") else 2


def _num(value: float | None, digits: int) -> str:
    if value is None or not math.isfinite(value):
        return ""
    return f"{value:.{digits}f}"


def _tr(cells: Iterable[str], numeric: Iterable[int] = ()) -> str:
    right = set(numeric)
    return (
        "<tr>"
        + "".join(f'<td class="num">{c}</td>' if i in right else f"<td>{c}</td>" for i, c in enumerate(cells))
        + "</tr>"
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _duration(seconds: float) -> str:
    minutes, s = divmod(max(seconds, 0.0), 60)
    return f"{int(minutes)} min {s:.0f} s" if minutes >= 1 else f"{s:.1f} s"


def _version() -> str:
    try:
        return metadata.version("backform")
    except metadata.PackageNotFoundError:
        return "(not installed)"
