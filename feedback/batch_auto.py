"""A batch without `--exercise`: each video is split into the exercises recognised in it.

The job runs `analyze` without `--exercise` (feedback.segmented): a summary report, one
annotated video of the whole recording and a report, CSV and plot per exercise segment. Its
summary rows are one per exercise segment (file, exercise, reps or hold, main fault, view;
the note gives the segment's time span), built from the segments' own reports, or a single
row saying that no exercise was recognised. The same rows come back from a set of outputs
that is already up to date.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from feedback.analysis import AnalysisOutputs
from feedback.batch_inputs import AUTO

SUMMARY_KIND = "report"


def auto_outputs(staged: AnalysisOutputs, video: bool) -> AnalysisOutputs:
    """What `analyze_segments` writes in `staged`'s folder: the summary, the whole video, and
    per segment the report, CSV and plot named after the summary's CSV and plot names."""
    return AnalysisOutputs(staged.report, staged.video if video else None, staged.csv, staged.plot)


def run_auto(
    job: Any, folder: Path, thresholds: Path | None, on_frames: Callable[[int], None] | None = None
) -> tuple[Any, dict[str, Path]]:
    """Analyse `job.video` into `folder`: the row (with one sub-row per segment) and the
    written files by kind (`report` the summary, `video`, and one kind per segment file)."""
    from feedback.analysis import AnalysisOutputs as Outputs
    from feedback.segmented import analyze_segments

    opts = job.options
    outputs = auto_outputs(Outputs.defaults(job.video, folder), opts.video)
    started = time.monotonic()
    result = analyze_segments(
        job.video,
        outputs,
        None,
        opts.model,
        thresholds,
        opts.max_size,
        opts.smoothing,
        video_height=opts.video_height,
        on_frames=on_frames,
    )
    doc = json.loads(outputs.report.read_text(encoding="utf-8"))
    row = rows_from_summary(job, doc, folder, "done", frames=result.frames, wall_s=time.monotonic() - started)
    return row, written_files(doc, folder)


def written_files(doc: dict[str, Any], folder: Path) -> dict[str, Path]:
    """Every file of a summary's set, by kind; the segments' files named by their file name."""
    files: dict[str, Path] = {SUMMARY_KIND: folder / _summary_name(doc)}
    if doc.get("annotated_video"):
        files["video"] = folder / Path(doc["annotated_video"]).name
    for n, seg in enumerate(doc.get("segments", []), 1):
        for kind, name in (seg.get("outputs") or {}).items():
            files[f"segment {n} {kind}"] = folder / Path(name).name
    return files


def _summary_name(doc: dict[str, Any]) -> str:
    return Path(doc["video"]).stem + "_report.json"


def rows_from_summary(
    job: Any, doc: dict[str, Any], folder: Path, status: str, frames: int = 0, wall_s: float = 0.0
) -> Any:
    """The video's row: one sub-row per judged segment, from the segment's own report."""
    from feedback.batch import BatchRow, row_from_report

    segments = []
    for seg in doc.get("segments", []):
        name = (seg.get("outputs") or {}).get("report")
        if not seg.get("judged") or not name:
            continue
        report = json.loads((folder / Path(name).name).read_text(encoding="utf-8"))
        row = row_from_report(job, report, status)
        span = f"{seg['start_s']:.1f}-{seg['end_s']:.1f} s"
        row.note = span + (f"; {row.note}" if row.note else "")
        segments.append(row)
    frames = frames or sum(r.frames for r in segments)
    note = "" if segments else "no hip hinge, plank or cat-cow recognised"
    return BatchRow(job.label, AUTO, status, note=note, frames=frames, wall_s=wall_s, segments=segments)


def up_to_date_auto(job: Any) -> Any | None:
    """The video's row if its summary set is complete and newer than the video, made with the
    current settings; else None."""
    folder = job.outputs.report.parent
    try:
        doc = json.loads(job.outputs.report.read_text(encoding="utf-8"))
        files = written_files(doc, folder)
        mtimes = {kind: path.stat().st_mtime_ns for kind, path in files.items()}
        oldest_allowed = job.video.stat().st_mtime_ns
    except (OSError, ValueError, KeyError):
        return None
    if min(mtimes.values()) < oldest_allowed or max(mtimes.values()) > mtimes[SUMMARY_KIND]:
        return None
    processing = doc.get("processing") or {}
    opts = job.options
    same = (
        doc.get("exercise") == AUTO
        and doc.get("video") == str(job.video)
        and doc.get("partial") is False
        and processing.get("max_size") == opts.max_size
        and processing.get("smoothing") == opts.smoothing
        and (not opts.video or processing.get("video_height") == opts.video_height)
        and (not opts.video or "video" in files or not any(s.get("judged") for s in doc["segments"]))
    )
    return rows_from_summary(job, doc, folder, "up to date") if same else None
