"""Shared test set-up: the pose model comes from ../shared via BACKFORM_MODEL, never the network."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
_SHARED_MODEL = REPO.parent / "shared" / "models" / "pose_landmarker_full.task"


def _model_path() -> Path:
    env = os.environ.get("BACKFORM_MODEL")
    return Path(env) if env else _SHARED_MODEL


@pytest.fixture(scope="session")
def model_path() -> Path:
    path = _model_path()
    if not path.is_file():
        pytest.fail(f"pose model not found at {path}: set BACKFORM_MODEL (tests never download it)")
    return path


@pytest.fixture(autouse=True, scope="session")
def _model_env() -> None:
    # Every subprocess and library call in the suite resolves the model from here.
    os.environ.setdefault("BACKFORM_MODEL", str(_model_path()))
