"""Model resolution order, validation, and download logic, with the network replaced by local files."""

from __future__ import annotations

import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from vision import model
from vision.errors import ModelUnavailableError


def make_bundle(path: Path, members=model.REQUIRED_MEMBERS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as bundle:
        for name in members:
            bundle.writestr(name, b"\0" * 1000)
    return path


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Private cache folder, no env overrides, and any real network access fails the test."""
    cache = tmp_path / "cache" / "models"
    monkeypatch.setattr(model, "model_cache_dir", lambda: cache)
    monkeypatch.delenv(model.ENV_MODEL, raising=False)
    monkeypatch.delenv(model.ENV_OFFLINE, raising=False)

    def no_network(*args, **kwargs):
        raise AssertionError("tests must not touch the network")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    return cache


@pytest.fixture
def served(tmp_path, monkeypatch):
    """Google's URL replaced by a file:// URL of a local bundle, fetched by the real urlopen."""
    remote = make_bundle(tmp_path / "remote" / "pose_landmarker_full.task")
    monkeypatch.setattr(model, "MODEL_URL", remote.parent.as_uri() + "/pose_landmarker_{variant}.task")
    opener = urllib.request.build_opener()  # has the file:// handler; urlopen itself is blocked
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: opener.open(url, timeout=timeout))
    return remote


def test_explicit_path_wins(tmp_path, monkeypatch, isolated):
    explicit = make_bundle(tmp_path / "mine.task")
    monkeypatch.setenv(model.ENV_MODEL, str(make_bundle(tmp_path / "env.task")))
    make_bundle(isolated / "pose_landmarker_full.task")
    assert model.resolve_model(explicit) == explicit


def test_explicit_path_must_exist(tmp_path):
    with pytest.raises(ModelUnavailableError, match="Model file not found") as err:
        model.resolve_model(tmp_path / "nope.task")
    assert "--model PATH" in str(err.value)


def test_environment_comes_before_cache(tmp_path, monkeypatch, isolated):
    env = make_bundle(tmp_path / "env.task")
    make_bundle(isolated / "pose_landmarker_full.task")
    monkeypatch.setenv(model.ENV_MODEL, str(env))
    assert model.resolve_model() == env


def test_environment_path_must_exist(tmp_path, monkeypatch):
    monkeypatch.setenv(model.ENV_MODEL, str(tmp_path / "gone.task"))
    with pytest.raises(ModelUnavailableError, match="BACKFORM_MODEL="):
        model.resolve_model()


def test_cache_is_used_without_download(isolated):
    cached = make_bundle(isolated / "pose_landmarker_lite.task")
    assert model.resolve_model(variant="lite") == cached


def test_download_into_cache(served, isolated):
    calls = []
    path = model.resolve_model(progress=lambda done, total: calls.append((done, total)))
    assert path == isolated / "pose_landmarker_full.task"
    assert path.read_bytes() == served.read_bytes()
    assert calls and calls[-1][0] == served.stat().st_size
    assert [p.name for p in isolated.iterdir()] == [path.name]  # no temp file left behind
    # Second call: served from the cache, the opener is not needed.
    assert model.resolve_model() == path


def test_broken_download_leaves_nothing(served, isolated):
    served.write_bytes(b"<html>quota exceeded</html>")
    with pytest.raises(ModelUnavailableError, match="broken"):
        model.resolve_model()
    assert list(isolated.iterdir()) == []


def test_damaged_cache_is_replaced_by_a_download(served, isolated):
    make_bundle(isolated / "pose_landmarker_full.task", members=["pose_detector.tflite"])
    path = model.resolve_model()
    assert path.read_bytes() == served.read_bytes()


def test_network_failure_is_one_clear_line(monkeypatch):
    def unreachable(url, timeout):
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", unreachable)
    with pytest.raises(ModelUnavailableError) as err:
        model.resolve_model()
    text = str(err.value)
    assert "Could not download" in text and "name resolution" in text and "BACKFORM_MODEL" in text
    assert "\n" not in text


@pytest.mark.parametrize("how", ["env", "argument"])
def test_offline_never_downloads(monkeypatch, how):
    kwargs = {}
    if how == "env":
        monkeypatch.setenv(model.ENV_OFFLINE, "1")
    else:
        kwargs["allow_download"] = False
    with pytest.raises(ModelUnavailableError, match="No pose model found") as err:
        model.resolve_model(**kwargs)  # the autouse fixture fails the test on any urlopen
    assert "--model PATH" in str(err.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"definitely not a zip", "not a .task bundle"),
        (None, "missing pose_landmarks_detector.tflite"),
    ],
)
def test_invalid_model_files(tmp_path, content, message):
    path = tmp_path / "model.task"
    if content is None:
        make_bundle(path, members=["pose_detector.tflite"])
    else:
        path.write_bytes(content)
    with pytest.raises(ModelUnavailableError, match=message):
        model.resolve_model(path)


def test_directory_is_not_a_model(tmp_path):
    with pytest.raises(ModelUnavailableError, match="not a file"):
        model.resolve_model(tmp_path)


def test_unknown_variant():
    with pytest.raises(ModelUnavailableError, match="Unknown model variant"):
        model.resolve_model(variant="medium")


def test_shared_model_is_valid(model_path):
    assert model.validate_model(model_path) == model_path


def test_official_url_is_versioned():
    assert model.MODEL_URL.format(variant="heavy") == (
        "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
        "pose_landmarker_heavy/float16/1/pose_landmarker_heavy.task"
    )
