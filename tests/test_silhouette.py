"""The silhouette cue (hipdrop.vision.silhouette) on drawn masks, its place in the landmarks
file, and the squat's shift read from it in preference to the hip landmarks."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from hipdrop.core import squat as sq
from hipdrop.core.landmarks import LandmarkSeries
from hipdrop.core.measures import mask_unseen
from hipdrop.errors import LandmarksFormatError
from hipdrop.testing.squatting import squats
from hipdrop.vision.silhouette import may_squat, silhouette_cue

FEET = (250.0, 390.0)  # the ankles' x, px (the person's right on the image's left)


def figure(cx: float, arm: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A drawn person facing the camera, the pelvis centred at ``cx`` px, the feet at FEET:
    (mask (800, 640) bool, landmarks (33, 2) px). The pelvis is 120 px broad, the hip joints
    80 px apart; ``arm``: the right arm hangs against the right side of the pelvis."""
    m = np.zeros((800, 640), np.uint8)
    cv2.rectangle(m, (int(cx - 60), 200), (int(cx + 60), 420), 1, -1)  # trunk and pelvis
    for top, foot in ((cx - 40, FEET[0]), (cx + 40, FEET[1])):
        leg = np.array([[top - 25, 420], [top + 25, 420], [foot + 15, 770], [foot - 15, 770]])
        cv2.fillPoly(m, [leg.astype(np.int32)], 1)
        cv2.rectangle(m, (int(foot - 30), 765), (int(foot + 30), 785), 1, -1)  # the shoe
    if arm:
        cv2.rectangle(m, (int(cx - 90), 220), (int(cx - 58), 420), 1, -1)
    p = np.full((33, 2), np.nan)
    p[11], p[12] = (cx + 50, 220), (cx - 50, 220)  # shoulders: left on the image's right
    p[23], p[24] = (cx + 40, 400), (cx - 40, 400)
    p[27], p[28] = (FEET[1], 770), (FEET[0], 770)
    p[25], p[26] = 0.5 * (p[23] + p[27]), 0.5 * (p[24] + p[28])
    return m.astype(bool), p


@pytest.mark.parametrize("dx", [-30.0, 0.0, 12.0, 40.0])
def test_cue_reads_the_drawn_pelvis_over_the_shoes(dx):
    cx = 320.0 + dx
    cue = silhouette_cue(*figure(cx))
    assert cue.feet_x == pytest.approx(320.0, abs=1.0)  # the shoes' outer edges' mid-point
    assert cue.crotch_x == pytest.approx(cx, abs=1.0)
    assert cue.pelvis_x == pytest.approx(cx, abs=1.0)
    assert cue.breadth_px == pytest.approx(121.0, abs=1.0)


def test_cue_leaves_out_an_arm_against_the_side_and_reads_nothing_without_a_mask():
    mask, p = figure(320.0, arm=True)
    cue = silhouette_cue(mask, p)
    # The arm makes the band's rows 153 px wide: still a plausible pelvis breadth (up to 3x
    # the joints' 80 px), so the contours' mid-point moves; the crotch apex does not.
    assert cue.crotch_x == pytest.approx(320.0, abs=1.0)
    assert cue.pelvis_x < 310.0
    assert np.isnan(silhouette_cue(None, p).as_row()).all()
    assert np.isnan(silhouette_cue(mask, None).as_row()).all()
    p[27] = np.nan  # an ankle not seen
    assert np.isnan(silhouette_cue(mask, p).as_row()).all()
    assert np.isnan(silhouette_cue(np.zeros_like(mask), figure(320.0)[1]).as_row()).all()


def test_no_crotch_apex_when_the_gap_top_is_flat_and_wide():
    mask, p = figure(320.0)
    mask[421:440, 230:410] = False  # a wide flat top: a wide squat's thighs
    assert np.isnan(silhouette_cue(mask, p).crotch_x)


def test_may_squat_only_upright():
    _, p = figure(320.0)
    assert may_squat(p)
    lying = p.copy()
    lying[:, [0, 1]] = p[:, [1, 0]]  # the whole figure turned a quarter: lying down
    assert not may_squat(lying)
    p[25] = np.nan
    assert not may_squat(p)


def test_series_keeps_the_silhouette_and_old_files_load_without_it(tmp_path):
    series, _ = squats(reps=1)
    n = len(series)
    body = np.tile(np.array([330.0, 332.0, 320.0, 120.0], np.float32), (n, 1))
    with_cue = dataclasses.replace(series, silhouette=body)
    with_cue.save(tmp_path / "a.npz")
    back = LandmarkSeries.load(tmp_path / "a.npz")
    assert np.array_equal(back.silhouette, body)
    mirrored = with_cue.mirrored()
    assert np.allclose(mirrored.silhouette[:, :3], series.width - body[:, :3])
    assert np.array_equal(mirrored.silhouette[:, 3], body[:, 3])
    # A file of before the cue: no silhouette member, every row NaN.
    arrays = dict(np.load(tmp_path / "a.npz"))
    del arrays["silhouette"]
    np.savez(tmp_path / "old.npz", **arrays)
    assert np.isnan(LandmarkSeries.load(tmp_path / "old.npz").silhouette).all()
    arrays["silhouette"] = body[:, :3]
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(LandmarksFormatError, match="silhouette"):
        LandmarkSeries.load(tmp_path / "bad.npz")


def _with_silhouette(series, crotch_px, contour_px=None, breadth=100.0, bottom_breadth=None):
    """The series' silhouette: the crotch (and contours) ``*_px`` toward the person's left of
    the feet at the bottom of each rep (0 standing), the given breadth."""
    image, _ = mask_unseen(series.image, series.world, 0.5)
    hip_y = 0.5 * (image[:, 23, 1] + image[:, 24, 1])
    env = (hip_y - np.nanmin(hip_y)) / (np.nanmax(hip_y) - np.nanmin(hip_y))  # 0 up, 1 down
    feet = 0.5 * (image[:, 27, 0] + image[:, 28, 0])
    left = np.sign(image[:, 23, 0] - image[:, 24, 0])
    body = np.empty((len(series), 4))
    body[:, 0] = feet + left * env * (crotch_px if contour_px is None else contour_px)
    body[:, 1] = feet + left * env * crotch_px
    body[:, 2] = feet
    grow = breadth if bottom_breadth is None else bottom_breadth
    body[:, 3] = breadth + env * (grow - breadth)
    return body


def _analyze(series, body):
    image, world = mask_unseen(series.image, series.world, 0.5)
    return sq.analyze_squats(image, world, series.t, series.fps, 0.08, 0.3, silhouette=body)


def test_squat_prefers_the_silhouette_and_falls_back_to_the_landmarks():
    # The hip landmarks say 4% of their spacing; the picture's pelvis moves 12 px of 100.
    series, _ = squats(reps=3, shift_pct=4.0)
    found = _analyze(series, _with_silhouette(series, 12.0))
    for r in found.reps:
        assert (r.shift_source, r.shift_point) == (sq.SILHOUETTE, "crotch apex")
        assert r.lateral_shift_pct == pytest.approx(12.0, abs=0.3)
        assert r.to_json()["shift_source"] == "silhouette"
    assert found.finding.finding == sq.LEFT_SHIFT
    # The silhouette's gain is 1: the interval is the allowance, not the landmarks' 1/0.4.
    lo, hi = found.finding.interval_pct
    assert hi - lo < 10.0
    # No crotch apex: the contours' mid-point (facing away too, the left sign from the hips).
    body = _with_silhouette(series, 0.0, contour_px=-9.0)
    body[:, 1] = np.nan
    reps = _analyze(series, body).reps
    assert all(r.shift_point == "lateral contours" for r in reps)
    assert all(r.lateral_shift_pct == pytest.approx(-9.0, abs=0.3) for r in reps)
    # ... unless their breadth at the bottom grew (a thigh or an arm in the band): landmarks.
    body = _with_silhouette(series, 0.0, contour_px=-9.0, bottom_breadth=140.0)
    body[:, 1] = np.nan
    reps = _analyze(series, body).reps
    assert all(r.shift_source == sq.LANDMARKS for r in reps)
    assert all(r.lateral_shift_pct == pytest.approx(4.0, abs=0.3) for r in reps)
    # Nothing read: the landmarks, as before the cue.
    none = _analyze(series, np.full((len(series), 4), np.nan)).reps
    assert [r.lateral_shift_pct for r in none] == pytest.approx([4.0] * 3, abs=0.3)
    assert {r.shift_source for r in none} == {sq.LANDMARKS}


def test_squat_silhouette_is_anatomical_from_behind():
    from hipdrop.testing.scripted import Camera

    series, _ = squats(reps=2, shift_pct=0.0, camera=Camera(facing="away"))
    reps = _analyze(series, _with_silhouette(series, 15.0)).reps
    assert [r.shift_side for r in reps] == ["left", "left"]
    mirrored = series.mirrored()
    reps = _analyze(mirrored, _with_silhouette(mirrored, -15.0)).reps
    assert [r.shift_side for r in reps] == ["right", "right"]


def test_live_tracker_reads_the_silhouette_when_given_it():
    series, _ = squats(reps=2, shift_pct=0.0)
    body = _with_silhouette(series, -14.0)
    tracker = sq.SquatTracker()
    ended = [tracker.update(series.image[i], series.world[i], float(series.t[i]),
                            tuple(body[i])) for i in range(len(series))]
    reps = [r for r in ended if r is not None]
    assert len(reps) == 2 and {r.shift_source for r in reps} == {sq.SILHOUETTE}
    assert all(r.lateral_shift_pct == pytest.approx(-14.0, abs=1.0) for r in reps)
    assert tracker.finding().finding == sq.RIGHT_SHIFT
