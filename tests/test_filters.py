"""Smoothing: gap bridging, the zero-phase Gaussian, the moving median, the One Euro filter."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from hipdrop.core.filters import OneEuroFilter, bridge_gaps, gaussian_smooth, median, sliding_median


def test_bridge_gaps_fills_short_keeps_long_and_ends():
    t = np.arange(12) / 10.0
    x = np.array([np.nan, 1, np.nan, 3, 4, np.nan, np.nan, np.nan, np.nan, 9, 10, np.nan])
    y = bridge_gaps(x, t, max_gap_s=0.25)
    assert np.isnan(y[0]) and np.isnan(y[-1])  # nothing to interpolate from
    assert y[2] == pytest.approx(2.0)
    assert np.isnan(y[5:9]).all()  # 0.5 s between valid samples: too long
    np.testing.assert_array_equal(y[[1, 3, 4, 9, 10]], x[[1, 3, 4, 9, 10]])


def test_bridge_gaps_per_channel_and_uneven_time():
    t = np.array([0.0, 0.1, 0.3, 0.4])
    x = np.array([[0.0, 5.0], [np.nan, 5.0], [3.0, np.nan], [4.0, 5.0]])
    y = bridge_gaps(x, t, 0.35)
    assert y[1, 0] == pytest.approx(1.0)  # linear in time, not in samples
    assert y[2, 1] == pytest.approx(5.0)


def test_gaussian_smooth_keeps_constants_and_nans_and_reduces_noise():
    rng = np.random.default_rng(1)
    x = np.full(300, 3.0)
    np.testing.assert_allclose(gaussian_smooth(x, 30, 0.2), 3.0)
    noisy = rng.normal(0, 1, 3000)
    assert gaussian_smooth(noisy, 30, 0.2).std() < 0.3
    x = 100.0 + np.arange(50.0)
    x[20] = np.nan
    y = gaussian_smooth(x, 30, 0.1)
    assert np.isnan(y[20]) and np.isfinite(np.delete(y, 20)).all()
    assert y[0] == pytest.approx(x[0], abs=3.0)  # ends are not pulled toward zero


def test_gaussian_smooth_is_zero_phase():
    t = np.arange(600) / 30.0
    x = np.sin(2 * np.pi * 0.5 * t)
    y = gaussian_smooth(x, 30, 0.1)
    peaks_x = np.flatnonzero((x[1:-1] > x[:-2]) & (x[1:-1] > x[2:]))
    peaks_y = np.flatnonzero((y[1:-1] > y[:-2]) & (y[1:-1] > y[2:]))
    np.testing.assert_array_equal(peaks_x[1:-1], peaks_y[1:-1])


def test_sliding_median_is_nanmedian_of_each_window():
    rng = np.random.default_rng(5)
    x = rng.normal(0, 3, 200)
    x[rng.integers(0, 200, 40)] = np.nan
    x[50:60] = np.nan  # a whole window of NaN
    for window in (1, 2, 5, 15):
        windows = np.lib.stride_tricks.sliding_window_view(x, window)
        with warnings.catch_warnings():  # all-NaN windows: nanmedian warns, gives NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = np.nanmedian(windows, axis=1)
        np.testing.assert_array_equal(sliding_median(x, window), expected)
    assert median(np.array([4.0, 1.0, 3.0])) == 3.0


def test_one_euro_passes_constants_and_treats_t0_as_a_time():
    f = OneEuroFilter(1.0, 0.0)
    out = [f(np.array([2.0, -1.0]), t)[0] for t in (0.0, 0.033, 0.066)]
    assert out == pytest.approx([2.0, 2.0, 2.0])


def test_one_euro_smooths_noise_and_follows_fast_moves_with_beta():
    rng = np.random.default_rng(0)
    t = np.arange(300) / 30.0
    x = 10 + rng.normal(0, 1, 300)
    f = OneEuroFilter(1.0, 0.0)
    y = np.array([f(np.array([v]), ti)[0] for v, ti in zip(x, t, strict=True)])
    assert y[30:].std() < 0.5 * x[30:].std()
    step = np.where(t < 5, 0.0, 50.0)
    lag = {}
    for beta in (0.0, 0.5):
        f = OneEuroFilter(1.0, beta)
        y = np.array([f(np.array([v]), ti)[0] for v, ti in zip(step, t, strict=True)])
        lag[beta] = np.argmax(y > 45) - np.argmax(step > 45)
    assert lag[0.5] < lag[0.0]


def test_one_euro_gap_restart_and_reset():
    f = OneEuroFilter(0.5, 0.0, max_gap_s=0.3)
    f(np.array([0.0]), 0.0)
    assert np.isnan(f(np.array([np.nan]), 0.1)[0])  # missing stays missing
    assert f(np.array([1.0]), 0.2)[0] < 1.0  # short gap: keeps smoothing
    assert f(np.array([100.0]), 2.0)[0] == 100.0  # long gap: starts afresh
    f.reset()
    assert f(np.array([7.0]), 5.0)[0] == 7.0


def test_one_euro_vectorised_and_validates():
    f = OneEuroFilter(np.array([1.0, 2.0]), np.array([0.0, 0.1]))
    assert f(np.zeros((2,)), 0.0).shape == (2,)
    with pytest.raises(ValueError):
        OneEuroFilter(0.0)
    with pytest.raises(ValueError):
        OneEuroFilter(1.0, -1.0)
