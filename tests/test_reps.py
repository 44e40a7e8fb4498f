"""Abduction reps with hysteresis, holds, and the rules hipdrop adds (bilateral, open at the end)."""

from __future__ import annotations

import numpy as np
import pytest

from hipdrop.core.reps import find_reps, hysteresis, leg_reps, running_counts
from hipdrop.pipeline.analysis import analyze
from hipdrop.settings import Settings
from hipdrop.testing import scripted as sc

S = Settings(rep_up_deg=20.0, rep_down_deg=10.0)


def _series(values, fps=30.0):
    return np.asarray(values, dtype=float), np.arange(len(values)) / fps


def test_hysteresis_holds_between_thresholds_and_over_nan():
    x = np.array([0, 25, 15, 12, np.nan, 11, 5, 15, 22])
    np.testing.assert_array_equal(hysteresis(x, 20, 10),
                                  [0, 1, 1, 1, 1, 1, 0, 0, 1])


def test_wobble_between_thresholds_counts_once():
    up = np.concatenate([np.linspace(0, 30, 15), 30 + 8 * np.sin(np.arange(60)),
                         np.linspace(30, 0, 15)])
    wobble = np.where(up > 20, up - 12 * (np.arange(len(up)) % 2), up)  # dips to ~18, never < 10
    x, t = _series(np.concatenate([np.zeros(10), wobble, np.zeros(10)]))
    reps = leg_reps(x, np.zeros_like(x), t, 30, "left", S)
    assert len(reps) == 1


def test_rep_timing_peak_and_time_held():
    x, t = _series(np.concatenate([np.zeros(30), np.linspace(0, 40, 30), np.full(60, 40.0),
                                   np.linspace(40, 0, 30), np.zeros(30)]))
    (rep,) = leg_reps(x, np.zeros_like(x), t, 30, "right", S)
    assert rep.leg == "right" and rep.complete
    assert rep.peak_deg == 40.0
    assert rep.held_s == pytest.approx(60 / 30 + 2 * 15 / 30, abs=0.1)  # above 20 deg
    assert rep.start_s == pytest.approx(t[37], abs=0.05)  # last frame below 10 deg
    assert rep.end_s == pytest.approx(t[142], abs=0.05)  # first frame back below 10 deg


def test_a_long_hold_counts_once():
    series, _truth = sc.landmarks([sc.Segment("double", 1.0),
                                  sc.Segment("hold", 40.0, "left", peak_deg=30.0),
                                  sc.Segment("double", 1.0)], fps=30, noise_px=1.0)
    a = analyze(series)
    assert [r.leg for r in a.reps] == ["left"]
    assert a.reps[0].held_s == pytest.approx(39.0, abs=1.0)


def test_a_rep_shorter_than_the_minimum_is_ignored():
    x, t = _series([0, 0, 30, 30, 0, 0, 0] + [0] * 10)  # ~0.13 s
    assert leg_reps(x, np.zeros_like(x), t, 30, "left", S) == []


def test_both_legs_spread_together_is_not_a_rep():
    bump = np.concatenate([np.zeros(20), np.linspace(0, 40, 20), np.linspace(40, 0, 20),
                           np.zeros(20)])
    x, t = _series(bump)
    assert find_reps(x, x * 0.9, t, 30, S) == []  # a squat or a jump
    assert len(find_reps(x, x * 0.1, t, 30, S)) == 1  # one leg lifts


def test_open_rep_at_the_end_counts_incomplete_and_one_at_the_start_counts():
    x, t = _series(np.concatenate([np.full(10, 30.0), np.linspace(30, 0, 10), np.zeros(20),
                                   np.linspace(0, 40, 20), np.full(5, 15.0)]))
    reps = leg_reps(x, np.zeros_like(x), t, 30, "left", S)
    assert len(reps) == 2
    assert reps[0].start_s == 0.0 and reps[0].complete
    assert not reps[1].complete and reps[1].end_s == pytest.approx(t[-1])


def test_nan_gap_inside_a_rep_does_not_split_it():
    x, t = _series(np.concatenate([np.zeros(10), np.linspace(0, 40, 15), np.full(5, np.nan),
                                   np.linspace(40, 0, 15), np.zeros(10)]))
    assert len(leg_reps(x, np.zeros_like(x), t, 30, "left", S)) == 1


@pytest.mark.parametrize("kind", ["abduction", "lying"])
def test_scripted_reps_each_leg(kind):
    segs = [sc.Segment("double", 1.0), sc.Segment(kind, 6.0, "right", reps=3, peak_deg=35),
            sc.Segment("double", 1.0), sc.Segment(kind, 4.0, "left", reps=2, peak_deg=25),
            sc.Segment("double", 1.0)]
    series, truth = sc.landmarks(segs, fps=30, noise_px=1.5)
    a = analyze(series)
    assert [r.leg for r in a.reps] == ["right"] * 3 + ["left"] * 2
    for rep, true in zip(a.reps, truth.reps, strict=True):
        assert rep.peak_deg == pytest.approx(true["peak_deg"], abs=2.0)
        assert true["start_s"] - 0.1 <= rep.start_s and rep.end_s <= true["end_s"] + 0.1
    counts = running_counts(a.reps, series.t)
    assert counts[-1].tolist() == [2, 3]
    assert (np.diff(counts, axis=0) >= 0).all()


def test_reps_count_from_a_splayed_rest():
    # A working leg resting 9.7 deg out (feet apart, weight over the other leg) never gets below
    # an absolute 8 deg between reps: measured from its rest, each rep ends.
    rest = np.full(15, 9.7)
    rep = np.r_[np.linspace(9.7, 43, 10), np.linspace(43, 9.7, 10)]
    x, t = _series(np.r_[rest, rep, rest, rep, rest, rep, rest], fps=10)
    reps = find_reps(x, np.zeros_like(x), t, 10, Settings())
    assert len(reps) == 3 and reps[0].peak_deg == pytest.approx(43.0)
    # Both legs spread from a wide rest (a sumo squat) is still no rep.
    assert find_reps(x + 10, x + 10, t, 10, Settings()) == []
