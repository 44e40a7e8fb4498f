"""Stance labels, phases, baseline, contralateral drop and verdicts, on scripted streams."""

from __future__ import annotations

import numpy as np
import pytest

from hipdrop.core.landmarks import LandmarkSeries
from hipdrop.core.stance import (
    DOUBLE,
    LEFT,
    RIGHT,
    UNKNOWN,
    baseline,
    contralateral_drop,
    find_phases,
    held_peak,
    runs,
    stance_labels,
)  # fmt: skip
from hipdrop.pipeline.analysis import analyze
from hipdrop.settings import Settings
from hipdrop.testing import scripted as sc


def exact(series, settings=None):
    """The scripted person's hip landmarks sit on the true hip joints, so the exact reading of
    the drop is the landmark line (hipdrop's estimator undoes a pose model's under-reading)."""
    return analyze(series, settings, estimator="landmarks")


def test_labels_from_lift_and_upright():
    lift_l = np.array([0.0, 0.2, -0.2, 0.2, np.nan])
    labels = stance_labels(lift_l, -lift_l, np.array([True, True, True, False, True]), 0.06)
    np.testing.assert_array_equal(labels, [DOUBLE, RIGHT, LEFT, UNKNOWN, UNKNOWN])


def test_a_foot_read_higher_on_a_squatting_knee_is_no_stance():
    lift = np.array([0.08, 0.08, 0.08, -0.2])  # the left foot higher, then the right
    right_knee = np.array([20.0, 60.0, np.nan, 60.0])
    labels = stance_labels(lift, -lift, np.ones(4, bool), 0.06, np.full(4, 20.0), right_knee, 45.0)
    # Standing on a straight right knee; on one bent 60 deg (a squat); on an unknown one; and
    # on the straight left knee, the bent right one lifted.
    np.testing.assert_array_equal(labels, [RIGHT, DOUBLE, RIGHT, LEFT])


def test_find_phases_needs_the_minimum_duration():
    t = np.arange(20) / 10.0
    labels = np.array([0] * 3 + [1] * 6 + [0] * 3 + [2] * 4 + [0] * 4)
    assert find_phases(labels, t, 10, 0.5) == [(LEFT, 3, 9)]  # the right run lasts 0.4 s
    assert find_phases(labels, t, 10, 0.4) == [(LEFT, 3, 9), (RIGHT, 12, 16)]


def test_runs_of_an_empty_series():
    starts, stops, values = runs(np.array([], dtype=np.int8))
    assert len(starts) == len(stops) == len(values) == 0


@pytest.mark.parametrize("side,theta,expected", [(LEFT, 5.0, 4.0), (RIGHT, -3.0, 4.0),
                                                 (LEFT, -3.0, -4.0), (RIGHT, 5.0, -4.0)])
def test_cpd_positive_when_the_pelvis_drops_toward_the_lifted_leg(side, theta, expected):
    # theta0 = 1: left stance (right leg lifted), right hip lower (theta up) is a drop.
    assert contralateral_drop(np.array([theta]), 1.0, side)[0] == pytest.approx(expected)


def test_baseline_prefers_the_double_stance_just_before():
    theta = np.array([1.0] * 5 + [9.0] * 5 + [3.0] * 5 + [9.0] * 5)
    labels = np.array([DOUBLE] * 5 + [LEFT] * 5 + [DOUBLE] * 5 + [RIGHT] * 5)
    assert baseline(theta, labels, 15) == (3.0, "before")
    assert baseline(theta, labels, 5) == (1.0, "before")
    first_lifted = np.array([LEFT] * 5 + [DOUBLE] * 5)
    assert baseline(np.array([9.0] * 5 + [2.0] * 5), first_lifted, 0) == (2.0, "clip")
    assert baseline(theta[:5], np.full(5, LEFT), 0) == (0.0, "none")


def test_held_peak_ignores_a_one_frame_spike():
    x = np.zeros(60)
    x[30] = 20.0
    assert held_peak(x, fps=30, window_s=0.5) == 0.0
    x[20:40] = 6.0
    assert held_peak(x, fps=30, window_s=0.5) == 6.0


@pytest.mark.parametrize("roll", [-6.0, 0.0, 6.0])
def test_seven_degree_drop_with_roll_and_noise_is_read_and_flagged(roll):
    series, truth = sc.landmarks(sc.stance_test(drop_left=7.0, drop_right=0.0, hold_s=10.0),
                                 sc.Camera(roll_deg=roll), fps=30, noise_px=1.5, seed=3)
    a = exact(series)
    assert [p.stance for p in a.phases] == ["left", "right"]
    left, right = a.phases
    assert left.peak_drop_deg == pytest.approx(7.0, abs=1.0)
    assert left.mean_drop_deg == pytest.approx(7.0 * 0.9, abs=1.0)  # ramps in and out
    assert left.significant and not right.significant
    assert abs(right.peak_drop_deg) < 2.0
    assert left.baseline_deg == pytest.approx(-roll, abs=0.5)  # the roll, removed
    assert a.verdict.left.code == "drop" and a.verdict.right.code == "no drop"
    for phase, true in zip(a.phases, truth.phases, strict=True):
        assert phase.start_s == pytest.approx(true["start_s"], abs=0.2)
        assert phase.end_s == pytest.approx(true["end_s"], abs=0.2)


def test_drop_on_the_right_stance_side_flags_the_right():
    series, _ = sc.landmarks(sc.stance_test(drop_left=0.0, drop_right=8.0), fps=30,
                             noise_px=1.0)
    a = exact(series)
    right = next(p for p in a.phases if p.stance == "right")
    assert right.peak_drop_deg == pytest.approx(8.0, abs=1.0) and right.significant
    assert a.verdict.right.code == "drop" and a.verdict.left.code == "no drop"
    assert "dropped more standing on the RIGHT leg" in a.verdict.text


def test_hip_hike_is_negative_and_not_significant():
    series, _ = sc.landmarks(sc.stance_test(drop_left=-6.0, drop_right=-6.0), fps=30)
    a = exact(series)
    assert all(p.peak_drop_deg < -4 and not p.significant for p in a.phases)


def test_resting_asymmetry_is_removed_by_the_baseline():
    # Same drop, camera rolled: CPD is the same once the double-stance baseline is taken.
    plain, _ = sc.landmarks(sc.stance_test(5.0, 5.0), fps=30)
    rolled, _ = sc.landmarks(sc.stance_test(5.0, 5.0), sc.Camera(roll_deg=4.0), fps=30)
    a, b = exact(plain), exact(rolled)
    for p, q in zip(a.phases, b.phases, strict=True):
        assert q.peak_drop_deg == pytest.approx(p.peak_drop_deg, abs=0.2)


def test_compensated_trendelenburg_is_reported():
    series, _ = sc.landmarks(sc.stance_test(drop_left=0.0, lean_left=12.0), fps=30)
    a = exact(series)
    left = next(p for p in a.phases if p.stance == "left")
    assert left.peak_trunk_lean_deg == pytest.approx(12.0, abs=0.5)
    assert a.verdict.left.code == "compensated"


def test_short_gap_does_not_split_a_phase_long_gap_does():
    segs = sc.stance_test(drop_left=7.0, hold_s=10.0)
    short, _ = sc.landmarks(segs, fps=30, gaps=[(7.0, 7.2)])
    long, _ = sc.landmarks(segs, fps=30, gaps=[(7.0, 8.0)])
    assert [p.stance for p in exact(short).phases] == ["left", "right"]
    split = exact(long).phases
    assert [p.stance for p in split] == ["left", "left", "right"]
    assert all(p.significant for p in split[:2])


def test_no_double_stance_warns_and_uses_zero_baseline():
    full, _ = sc.landmarks([sc.Segment("stance", 4.0, "left", drop_deg=6.0)], fps=30)
    cut = slice(15, 105)  # from the foot already up to before it comes down
    series = LandmarkSeries(full.image[cut], full.world[cut], full.t[cut] - full.t[15],
                            full.width, full.height, full.fps)
    a = exact(series)
    assert a.phases and a.phases[0].baseline_source == "none"
    assert any("no double-leg stance" in w for w in a.warnings)


def test_side_lying_is_never_a_stance():
    series, _ = sc.landmarks([sc.Segment("lying", 6.0, "right", reps=3, peak_deg=35)], fps=30)
    a = exact(series)
    assert a.phases == []
    assert len(a.reps) == 3


def test_short_hold_is_reported():
    series, _ = sc.landmarks(sc.stance_test(hold_s=6.0), fps=30)
    a = exact(series, Settings())
    assert all(p.duration_s < 30 for p in a.phases)
    assert "The test was not complete: held 6 of 30 s" in a.verdict.text


