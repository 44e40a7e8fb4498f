"""The landmark container and DESIGN.md's .npz file."""

from __future__ import annotations

import numpy as np
import pytest

from hipdrop.core.landmarks import LandmarkSeries, SeriesRecorder
from hipdrop.errors import LandmarksFormatError
from hipdrop.testing import scripted as sc


def test_npz_round_trip_keeps_everything(tmp_path):
    series, _ = sc.landmarks(sc.stance_test(hold_s=2.0), fps=25, gaps=[(1.0, 1.2)])
    path = tmp_path / "x.npz"
    series.save(path)
    back = LandmarkSeries.load(path)
    np.testing.assert_array_equal(back.image, series.image)
    np.testing.assert_array_equal(back.world, series.world)
    np.testing.assert_array_equal(back.t, series.t)
    assert (back.width, back.height, back.fps, back.model) == (1280, 720, 25.0, "scripted")
    with np.load(path) as raw:  # DESIGN.md's dtypes
        assert raw["image"].dtype == np.float32 and raw["world"].dtype == np.float32
        assert raw["t"].dtype == np.float64
    assert not back.has_pose[int(1.1 * 25)] and back.has_pose[0]


@pytest.mark.parametrize("image_shape,world_shape", [((5, 17, 4), (5, 33, 3)),
                                                     ((5, 33, 3), (5, 33, 3)),
                                                     ((5, 33, 4), (4, 33, 3))])
def test_wrong_shapes_are_rejected(image_shape, world_shape):
    with pytest.raises(LandmarksFormatError):
        LandmarkSeries(np.zeros(image_shape), np.zeros(world_shape), np.arange(5.0), 640, 480, 30)


def test_time_must_increase_and_size_be_positive():
    with pytest.raises(LandmarksFormatError):
        LandmarkSeries(np.zeros((3, 33, 4)), np.zeros((3, 33, 3)), [0.0, 0.0, 1.0], 640, 480, 30)
    with pytest.raises(LandmarksFormatError):
        LandmarkSeries(np.zeros((1, 33, 4)), np.zeros((1, 33, 3)), [0.0], 0, 480, 30)


def test_load_rejects_other_files(tmp_path):
    bad = tmp_path / "bad.npz"
    np.savez(bad, image=np.zeros((2, 33, 4)))
    with pytest.raises(LandmarksFormatError, match="missing"):
        LandmarkSeries.load(bad)
    text = tmp_path / "text.npz"
    text.write_text("hello")
    with pytest.raises(LandmarksFormatError):
        LandmarkSeries.load(text)


def test_recorder_grows_and_rebases_time():
    rec = SeriesRecorder(640, 480, 30, "m", capacity=2)
    pose = np.ones((33, 4))
    for i in range(5):
        rec.append(pose if i != 2 else None, np.ones((33, 3)) if i != 2 else None, 10 + i / 30)
    s = rec.series()
    assert len(s) == 5 and s.t[0] == 0.0
    assert s.has_pose.tolist() == [True, True, False, True, True]
