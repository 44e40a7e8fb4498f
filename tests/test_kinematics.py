"""Exact geometry on synthetic landmark streams (hipdrop.testing.scripted), where the truth is known."""

from __future__ import annotations

import numpy as np
import pytest

from hipdrop.core import kinematics as kin
from hipdrop.core.landmarks import L_HIP, R_HIP
from hipdrop.testing import scripted as sc


def _points(left_hip, right_hip):
    p = np.full((33, 2), np.nan)
    p[L_HIP], p[R_HIP] = left_hip, right_hip
    return p


def test_obliquity_sign_right_hip_lower_is_positive():
    # Facing the camera: the person's left hip on the image's right.
    assert kin.obliquity_deg(np.array([220.0, 400.0]), np.array([180.0, 410.0])) > 0
    assert kin.obliquity_deg(np.array([220.0, 410.0]), np.array([180.0, 400.0])) < 0


def test_obliquity_same_from_front_and_behind():
    # Seen from behind the left hip is on the image's left; |dx| makes the sign anatomical.
    front = kin.obliquity_deg(np.array([220.0, 400.0]), np.array([180.0, 410.0]))
    behind = kin.obliquity_deg(np.array([180.0, 400.0]), np.array([220.0, 410.0]))
    assert front == pytest.approx(behind)
    assert front == pytest.approx(np.degrees(np.arctan2(10, 40)))


@pytest.mark.parametrize("drop", [-8.0, -3.0, 0.0, 5.0, 10.0])
@pytest.mark.parametrize("facing", ["camera", "away"])
def test_obliquity_reads_scripted_pelvis_tilt(drop, facing):
    series, truth = sc.landmarks([sc.Segment("stance", 2.0, "left", drop_deg=drop)],
                                 sc.Camera(facing=facing), fps=10)
    held = np.abs(truth.cpd_deg - drop) < 1e-9  # frames at the full drop
    measured = kin.obliquity_deg(series.image[held, L_HIP], series.image[held, R_HIP])
    np.testing.assert_allclose(measured, drop, atol=1e-4)


@pytest.mark.parametrize("roll", [-6.0, -2.5, 4.0, 6.0])
def test_camera_roll_shifts_obliquity_by_the_roll(roll):
    segs = [sc.Segment("double", 1.0)]
    level, _ = sc.landmarks(segs, sc.Camera(roll_deg=0.0), fps=10)
    rolled, _ = sc.landmarks(segs, sc.Camera(roll_deg=roll), fps=10)
    a = kin.obliquity_deg(level.image[:, L_HIP], level.image[:, R_HIP])
    b = kin.obliquity_deg(rolled.image[:, L_HIP], rolled.image[:, R_HIP])
    np.testing.assert_allclose(np.abs(b - a), abs(roll), atol=1e-4)


def test_pixels_not_normalised_coordinates_on_a_non_square_frame():
    # A 5 deg tilt on a 1280x720 frame: right in pixels, wrong in normalised coordinates.
    series, _ = sc.landmarks([sc.Segment("stance", 2.0, "left", drop_deg=5.0)],
                             sc.Camera(width=1280, height=720), fps=10)
    i = len(series) // 2
    px = kin.obliquity_deg(series.image[i, L_HIP], series.image[i, R_HIP])
    norm = series.image[i, :, :2] / [series.width, series.height]
    wrong = kin.obliquity_deg(norm[L_HIP], norm[R_HIP])
    assert px == pytest.approx(5.0, abs=1e-4)
    assert abs(wrong - 5.0) > 3.0


def test_mirror_negates_obliquity_and_lean_and_swaps_legs():
    segments = [*sc.stance_test(drop_left=6, lean_left=8),
                sc.Segment("abduction", 3.0, "right", reps=1, peak_deg=30)]
    series, _ = sc.landmarks(segments,
                             sc.Camera(roll_deg=3.0), fps=10)
    m = series.mirrored()
    np.testing.assert_allclose(kin.obliquity_deg(m.image[:, L_HIP], m.image[:, R_HIP]),
                               -kin.obliquity_deg(series.image[:, L_HIP], series.image[:, R_HIP]),
                               atol=1e-4)
    np.testing.assert_allclose(kin.trunk_lean_left_deg(m.image),
                               -kin.trunk_lean_left_deg(series.image), atol=1e-4)
    np.testing.assert_allclose(kin.abduction_deg(m.image),
                               kin.abduction_deg(series.image)[:, ::-1], atol=1e-4)
    np.testing.assert_allclose(m.mirrored().image, series.image, atol=1e-4)


@pytest.mark.parametrize("leg", ["left", "right"])
@pytest.mark.parametrize("kind", ["abduction", "lying"])
@pytest.mark.parametrize("roll", [0.0, 7.0])
def test_abduction_standing_and_side_lying(leg, kind, roll):
    series, truth = sc.landmarks([sc.Segment(kind, 3.0, leg, reps=1, peak_deg=40.0)],
                                 sc.Camera(roll_deg=roll), fps=20)
    measured = kin.abduction_deg(series.image)
    i = 0 if leg == "left" else 1
    np.testing.assert_allclose(measured[:, i], truth.abduction_deg[:, i], atol=1e-4)
    assert measured[:, i].max() == pytest.approx(40.0, abs=0.1)
    np.testing.assert_allclose(measured[:, 1 - i], 0.0, atol=1e-4)  # the other leg stays put


def test_abduction_is_against_the_midline_not_the_pelvis():
    # A dropped pelvis does not abduct the standing leg.
    series, _ = sc.landmarks([sc.Segment("stance", 2.0, "left", drop_deg=10.0)], fps=10)
    assert np.abs(kin.abduction_deg(series.image)[:, 0]).max() < 1e-4


def test_trunk_lean_sign_toward_the_persons_left():
    series, _ = sc.landmarks([sc.Segment("stance", 2.0, "left", lean_deg=10.0)], fps=10)
    lean = kin.trunk_lean_left_deg(series.image)
    assert lean.max() == pytest.approx(10.0, abs=1e-4)
    away, _ = sc.landmarks([sc.Segment("stance", 2.0, "left", lean_deg=10.0)],
                           sc.Camera(facing="away"), fps=10)
    np.testing.assert_allclose(kin.trunk_lean_left_deg(away.image), lean, atol=1e-4)


def test_upright_standing_yes_lying_and_bent_no():
    standing, _ = sc.landmarks([sc.Segment("double", 1.0)], fps=10)
    lying, _ = sc.landmarks([sc.Segment("lying", 1.0, "right", reps=1)], fps=10)
    leaning, _ = sc.landmarks([sc.Segment("stance", 2.0, "left", lean_deg=40.0)], fps=10)
    assert kin.upright(standing.image).all()
    assert not kin.upright(lying.image).any()
    assert not kin.upright(leaning.image)[len(leaning) // 2]
    knee_lift, _ = sc.landmarks([sc.Segment("stance", 2.0, "right")], fps=10)
    assert kin.upright(knee_lift.image).all()  # the lifted knee does not make it "not upright"


def test_foot_lift_marks_the_lifted_foot():
    series, _truth = sc.landmarks([sc.Segment("stance", 3.0, "left")], fps=10)
    scale = np.nanmedian(kin.leg_lengths(series.image[..., :2]))
    lift = kin.foot_lift(series.image[..., :2], scale)
    mid = len(series) // 2
    assert lift[mid, 1] > 0.15 and lift[mid, 0] < -0.15  # right foot up, standing on the left
    assert abs(lift[0, 0]) < 1e-9
    np.testing.assert_allclose(lift[:, 0], -lift[:, 1])


def test_nan_in_nan_out():
    p = np.full((4, 33, 2), np.nan)
    assert np.isnan(kin.obliquity_deg(p[:, L_HIP], p[:, R_HIP])).all()
    assert np.isnan(kin.abduction_deg(p)).all()
    assert not kin.upright(p).any()
    assert np.isnan(kin.foot_lowest(p)).all()
