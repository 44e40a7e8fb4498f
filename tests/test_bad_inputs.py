"""Every bad input to `hipdrop analyze` gives one line on stderr and an exit status, never a
traceback; a truncated video and Ctrl-C keep what was measured."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from conftest import clip_path
from media import (
    assert_one_error,
    blank_video,
    fake_bundle,
    hang_guard,
    landmark_arrays,
    mp4_without_moov,
    read_frames,
    run_cli,
    spoil_one_byte,
    truncated_avi,
    write_npz,
)

from hipdrop.errors import InputError, ModelError, NoPoseError
from hipdrop.io import models
from hipdrop.io.pose import PoseEstimator

TREE = "single_leg_stance_tree_front_01.mp4"  # 72 frames at 10 fps: the cheapest real clip


@pytest.fixture(autouse=True)
def _no_hang():
    with hang_guard(120):
        yield


@pytest.fixture
def no_models(tmp_path, monkeypatch):
    """No model anywhere and no network: empty HIPDROP_MODEL_DIR and cache, unreachable URL."""
    empty = tmp_path / "no-models"
    empty.mkdir()
    monkeypatch.setenv("HIPDROP_MODEL_DIR", str(empty))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(models, "_URL", "http://127.0.0.1:9/pose_landmarker_{0}.task")
    for folder in models.search_dirs():
        for info in models.REGISTRY.values():
            if (folder / info.filename).is_file():
                pytest.skip(f"{folder / info.filename} exists: cannot simulate a missing model")
    return empty


def analyze(capsys, source, out, *extra):
    return run_cli(capsys, "analyze", source, "--out", out, "-q", *extra)


# --- sources that are not videos ------------------------------------------------------------


def test_missing_file(tmp_path, capsys):
    status, _, err = analyze(capsys, tmp_path / "nope.mp4", tmp_path / "out")
    line = assert_one_error(err)
    assert status == InputError.exit_status == 2
    assert "no such file" in line and "nope.mp4" in line
    assert not (tmp_path / "out").exists()


def test_folder(tmp_path, capsys):
    folder = tmp_path / "clips.mp4"
    folder.mkdir()
    status, _, err = analyze(capsys, folder, tmp_path / "out")
    assert status == 2
    assert "is a folder" in assert_one_error(err)


def test_empty_file(tmp_path, capsys):
    empty = tmp_path / "empty.mp4"
    empty.touch()
    status, _, err = analyze(capsys, empty, tmp_path / "out")
    assert status == 2
    assert "empty.mp4 is empty" in assert_one_error(err)


def test_traceback_flag_shows_the_traceback(tmp_path, capsys):
    status, _, err = run_cli(capsys, "--traceback", "analyze", tmp_path / "nope.mp4")
    assert status == 2
    assert "Traceback (most recent call last)" in err and "InputError" in err
    assert err.splitlines()[-1].startswith("hipdrop: error: no such file")


@pytest.mark.parametrize("kind", ["text", "random bytes"])
def test_not_a_video(tmp_path, capsys, pose_model, kind):
    fake = tmp_path / "clip.mp4"
    if kind == "text":
        fake.write_text("this is a shopping list, not a video\n" * 20)
    else:
        fake.write_bytes(np.random.default_rng(1).bytes(64_000))
    status, _, err = analyze(capsys, fake, tmp_path / "out")
    assert status == 2
    line = assert_one_error(err)
    assert "clip.mp4" in line and "not a video" in line


def test_mp4_without_moov_atom(tmp_path, capsys, pose_model):
    cut = mp4_without_moov(clip_path("side_lying_leg_raise_03.mp4"), tmp_path / "cut.mp4")
    assert read_frames(cut)[0] == 0  # OpenCV cannot read a single frame of it
    status, _, err = analyze(capsys, cut, tmp_path / "out")
    assert status == 2
    assert "cut.mp4" in assert_one_error(err)


# --- landmark files ----------------------------------------------------------------------------


def _spoil(arrays, case):
    if case == "image (T, 17, 4)":
        arrays["image"] = arrays["image"][:, :17]
    elif case == "world (T, 33, 2)":
        arrays["world"] = arrays["world"][..., :2]
    elif case == "no world, no t":
        del arrays["world"], arrays["t"]
    elif case == "t decreasing":
        arrays["t"] = arrays["t"][::-1].copy()
    elif case == "t a scalar":
        arrays["t"] = np.float64(0.0)
    elif case == "width an array":
        arrays["width"] = np.array([640, 480])
    elif case == "fps zero":
        arrays["fps"] = np.float64(0.0)
    return arrays


@pytest.mark.parametrize("case, expected", [
    ("image (T, 17, 4)", "(10, 17, 4)"),
    ("world (T, 33, 2)", "(10, 33, 2)"),
    ("no world, no t", "missing t, world"),
    ("t decreasing", "increasing"),
    ("t a scalar", "bad.npz"),
    ("width an array", "bad.npz"),
    ("fps zero", "0.0 fps"),
])
def test_bad_landmarks_file(tmp_path, capsys, case, expected):
    source = write_npz(tmp_path / "bad.npz", _spoil(landmark_arrays(10), case))
    status, _, err = analyze(capsys, source, tmp_path / "out")
    line = assert_one_error(err)
    assert status == 2, line
    assert expected in line


def test_truncated_landmarks_file(tmp_path, capsys):
    whole = write_npz(tmp_path / "whole.npz", landmark_arrays(50))
    cut = tmp_path / "cut.npz"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    status, _, err = analyze(capsys, cut, tmp_path / "out")
    assert status == 2
    assert "cut.npz is not a readable landmarks .npz" in assert_one_error(err)


def test_landmarks_file_without_a_pose(tmp_path, capsys):
    arrays = landmark_arrays(10)
    arrays["image"][:] = np.nan
    arrays["world"][:] = np.nan
    status, _, err = analyze(capsys, write_npz(tmp_path / "nobody.npz", arrays), tmp_path / "out")
    assert status == NoPoseError.exit_status == 4
    assert "no person" in assert_one_error(err)


# --- models --------------------------------------------------------------------------------------


def test_model_failing_its_checksum(tmp_path, capsys, monkeypatch, pose_model):
    folder = tmp_path / "models"
    folder.mkdir()
    spoil_one_byte(pose_model.path, folder / "pose_landmarker_full.task")
    monkeypatch.setenv("HIPDROP_MODEL_DIR", str(folder))
    status, _, err = analyze(capsys, clip_path(TREE), tmp_path / "out")
    line = assert_one_error(err)
    assert status == ModelError.exit_status == 3
    assert "fails its checksum" in line and "hipdrop models fetch full" in line
    assert not (tmp_path / "out").exists()


def test_model_path_that_is_not_a_bundle(tmp_path, capsys):
    some = tmp_path / "some.txt"
    some.write_text("a model? no\n")
    status, _, err = analyze(capsys, blank_video(tmp_path / "v.avi"), tmp_path / "out",
                             "--model", some)
    assert status == 3
    assert "some.txt is not a Pose Landmarker model bundle" in assert_one_error(err)


def test_model_bundle_with_garbage_members(tmp_path, capsys):
    bundle = fake_bundle(tmp_path / "garbage.task")
    status, _, err = analyze(capsys, blank_video(tmp_path / "v.avi"), tmp_path / "out",
                             "--model", bundle)
    line = assert_one_error(err)
    assert status == 3
    assert "garbage.task does not load" in line


def test_unknown_model_name(tmp_path, capsys):
    status, _, err = analyze(capsys, blank_video(tmp_path / "v.avi"), tmp_path / "out",
                             "--model", "medium")
    line = assert_one_error(err)
    assert status == 3
    assert "'medium'" in line and "lite, full, heavy" in line


def test_missing_model_without_network(tmp_path, capsys, no_models):
    status, _, err = analyze(capsys, blank_video(tmp_path / "v.avi"), tmp_path / "out")
    line = assert_one_error(err)
    assert status == 3
    assert "could not download model 'full'" in line
    assert "hipdrop models fetch full" in line and "HIPDROP_MODEL_DIR" in line
    cache = tmp_path / "cache" / "hipdrop" / "models"
    assert not cache.exists() or list(cache.iterdir()) == []  # no half download left


def test_people_flag_must_be_positive(tmp_path, capsys, pose_model):
    """``--people 0`` is a bad flag, not a model that "does not load" (over several lines)."""
    status, _, err = analyze(capsys, clip_path(TREE), tmp_path / "out", "--people", "0")
    assert status == 2
    assert "Traceback" not in err and "does not load" not in err
    assert "--people" in err
    assert len([line for line in err.splitlines() if "error" in line]) == 1


# --- videos the model reads -----------------------------------------------------------------------


@pytest.mark.parametrize("noise", [False, True], ids=["grey", "noise"])
def test_video_without_a_person(tmp_path, capsys, pose_model, noise):
    video = blank_video(tmp_path / "nobody.avi", seconds=1.0, fps=10, size=(320, 240), noise=noise)
    status, _, err = analyze(capsys, video, tmp_path / "out")
    assert status == NoPoseError.exit_status == 4
    assert assert_one_error(err).startswith("hipdrop: error: no person was found")


def test_truncated_video(tmp_path, capsys, pose_model):
    video = tmp_path / "cut.avi"
    decoded, announced = truncated_avi(clip_path(TREE), video)
    assert 0 < decoded < announced - 1, (decoded, announced)
    out = tmp_path / "out"
    status, stdout, err = run_cli(capsys, "analyze", video, "--out", out, "-q")
    assert status == 0, err
    assert "Traceback" not in err and "error" not in err
    warnings = [line for line in err.splitlines() if line.startswith("hipdrop: warning:")]
    assert len(warnings) == 1 and f"after {decoded} of {announced} frames" in warnings[0]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["frames"] == decoded
    assert any("truncated" in w for w in summary["warnings"])
    with open(out / "frames.csv", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == decoded
    with np.load(out / "landmarks.npz") as data:
        assert data["image"].shape == (decoded, 33, 4)
    assert read_frames(out / "annotated.mp4")[0] == decoded
    assert "Results in" in stdout


def _interrupt_after(monkeypatch, frames):
    """Make the pose model raise KeyboardInterrupt (Ctrl-C) when asked for frame ``frames``."""
    original = PoseEstimator.detect
    seen = []

    def detect(self, frame, t_s):
        if len(seen) == frames:
            raise KeyboardInterrupt
        seen.append(t_s)
        return original(self, frame, t_s)

    monkeypatch.setattr(PoseEstimator, "detect", detect)
    return seen


def test_ctrl_c_keeps_the_frames_measured(tmp_path, capsys, monkeypatch, pose_model):
    n = 30
    seen = _interrupt_after(monkeypatch, n)
    out = tmp_path / "out"
    status, _, err = run_cli(capsys, "analyze", clip_path(TREE), "--out", out, "-q")
    assert status == 130
    assert len(seen) == n
    assert "Traceback" not in err and "error" not in err
    assert f"interrupted: analysed the first {n} frames" in err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["frames"] == n
    assert any("interrupted" in w for w in summary["warnings"])
    with open(out / "frames.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == n and float(rows[-1]["t_s"]) == pytest.approx((n - 1) / 10)
    with np.load(out / "landmarks.npz") as data:
        assert data["image"].shape == (n, 33, 4) and data["t"].shape == (n,)
        assert np.isfinite(data["image"][:, 23, 0]).all()  # the person was measured
    assert not (out / "annotated.mp4").exists()


def test_ctrl_c_before_the_first_frame(tmp_path, capsys, monkeypatch, pose_model):
    """Ctrl-C before any frame is measured is an interruption (130), not an undecodable file."""
    _interrupt_after(monkeypatch, 0)
    status, _, err = run_cli(capsys, "analyze", clip_path(TREE), "--out", tmp_path / "out", "-q")
    assert "Traceback" not in err
    assert "no frames that can be decoded" not in err
    assert status == 130
    assert "interrupted" in err

