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


def test_recorder_batches_are_one_assignment_a_frame():
    # Frames are written in batches (every _FLUSH frames and when read): the same arrays as an
    # assignment a frame, float64 inputs rounded to float32 alike, waist rows without a height.
    rng = np.random.default_rng(0)
    rec = SeriesRecorder(640, 480, 30, "m", capacity=3)
    rec._FLUSH = 4
    n = 11
    image = rng.normal(300, 100, (n, 33, 4))  # float64: rounded on the way in
    world = rng.normal(0, 1, (n, 33, 3)).astype(np.float32)
    waist = [None if i % 5 == 1 else (tuple(rng.normal(0, 3, 2)) if i % 3 == 0
                                      else tuple(rng.normal(0, 3, 3))) for i in range(n)]
    marks = [None if i % 4 == 2 else tuple(rng.normal(300, 50, 5)) for i in range(n)]
    for i in range(n):
        rec.append(image[i] if i != 6 else None, world[i] if i != 7 else None, 5 + i / 30,
                   waist[i], marks[i], (1.0, 2.0, 3.0, float(i)) if i == 9 else None)
        assert len(rec) == i + 1
    s = rec.series()
    want_image = np.full((n, 33, 4), np.nan, np.float32)
    want_waist = np.tile([np.nan, 0.0, np.nan], (n, 1)).astype(np.float32)
    want_marks = np.tile([np.nan, np.nan, np.nan, np.nan, 0.0], (n, 1)).astype(np.float32)
    for i in range(n):
        if i != 6:
            want_image[i] = image[i]
        if waist[i] is not None:
            want_waist[i, :len(waist[i])] = waist[i]
        if marks[i] is not None:
            want_marks[i] = marks[i]
    assert s.image.tobytes() == want_image.tobytes()
    assert np.isnan(s.world[7]).all() and s.world[8].tobytes() == world[8].tobytes()
    assert s.waist.tobytes() == want_waist.tobytes()
    assert s.markers.tobytes() == want_marks.tobytes()
    assert s.silhouette[9].tolist() == [1.0, 2.0, 3.0, 9.0] and np.isnan(s.silhouette[8]).all()
    assert s.t.tolist() == [(5 + i / 30) - 5.0 for i in range(n)]


def test_recorder_grows_and_rebases_time():
    rec = SeriesRecorder(640, 480, 30, "m", capacity=2)
    pose = np.ones((33, 4))
    for i in range(5):
        rec.append(pose if i != 2 else None, np.ones((33, 3)) if i != 2 else None, 10 + i / 30)
    s = rec.series()
    assert len(s) == 5 and s.t[0] == 0.0
    assert s.has_pose.tolist() == [True, True, False, True, True]
