"""Shared fixtures: the pose model, the real clips, and landmarks extracted once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hipdrop.core.landmarks import LandmarkSeries
from hipdrop.errors import ModelError

REPO = Path(__file__).resolve().parents[1]
VIDEO_DIR = Path(os.environ.get("HIPDROP_VIDEO_DIR", REPO.parent / "shared" / "videos"))
if not os.environ.get("HIPDROP_MODEL_DIR") and (REPO.parent / "shared" / "models").is_dir():
    os.environ["HIPDROP_MODEL_DIR"] = str(REPO.parent / "shared" / "models")


@pytest.fixture(scope="session", autouse=True)
def _private_history(tmp_path_factory):
    """Every test's sessions go to a history of the test run, never the user's own."""
    old = os.environ.get("HIPDROP_DATA_DIR")
    os.environ["HIPDROP_DATA_DIR"] = str(tmp_path_factory.mktemp("hipdrop-data"))
    yield
    if old is None:
        os.environ.pop("HIPDROP_DATA_DIR", None)
    else:
        os.environ["HIPDROP_DATA_DIR"] = old


def clip_path(name: str) -> Path:
    """Path of a real recording in ../shared/videos; skips the test when it is absent."""
    path = VIDEO_DIR / name
    if not path.is_file():
        pytest.skip(f"real clip {name} not found in {VIDEO_DIR} (set HIPDROP_VIDEO_DIR)")
    return path


@pytest.fixture(scope="session")
def pose_model():
    """The default (full) model, found without downloading; skips when it is absent."""
    from hipdrop.io import models

    try:
        return models.resolve("full", download=False)
    except ModelError as exc:
        pytest.skip(f"pose model not available: {exc}")


_LANDMARKS: dict[str, LandmarkSeries] = {}


@pytest.fixture(scope="session")
def clip_landmarks(pose_model):
    """``clip_landmarks(name)`` -> the LandmarkSeries of a real clip, extracted once a session."""
    from hipdrop.io.extract import extract_landmarks

    def get(name: str) -> LandmarkSeries:
        if name not in _LANDMARKS:
            _LANDMARKS[name] = extract_landmarks(clip_path(name), pose_model).series
        return _LANDMARKS[name]

    return get
