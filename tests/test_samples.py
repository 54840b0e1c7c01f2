"""Every committed sample clip through the real pipeline (model, checker, report): the
report must match the clip's ground-truth labels."""

from __future__ import annotations

import json

import pytest

from feedback.evaluate import VIEW_OK, evaluate_clip, find_clips
from tests.conftest import SAMPLES
from vision.errors import BackformError

CLIPS = find_clips(SAMPLES)


@pytest.mark.parametrize("video,labels", CLIPS, ids=[v.stem for v, _ in CLIPS])
def test_sample_clip_matches_its_labels(video, labels, model_path, tmp_path) -> None:
    from feedback.analysis import AnalysisOutputs, analyze_video

    try:
        result = analyze_video(
            video, labels["exercise"], AnalysisOutputs(report=tmp_path / "r.json"), model=model_path
        )
        report, error = result.report.to_dict(), None
    except BackformError as err:
        report, error = None, err
    scored = evaluate_clip(labels, report, error)
    expected = labels["expected"]

    assert scored.view_correct, (scored.expected_view, scored.found_view, scored.error)
    if scored.expected_view != VIEW_OK:
        return  # nothing may be judged: the view verdict is the whole answer
    assert report is not None
    assert scored.found_reps == expected["rep_count"]
    # every labelled fault found, with an interval overlapping the labelled one
    assert not scored.faults.missed, scored.faults.missed
    # no fault that the clip does not show
    assert not scored.faults.false_positives, scored.faults.false_positives
    if labels["exercise"] == "plank":
        assert report["hold_s"] == pytest.approx(expected["hold_s"], abs=1.0)
    json.dumps(report)  # the report is plain JSON
