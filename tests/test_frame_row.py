"""The live path's one-frame signals (frame_row, its kinematics twins, the One Euro step, the
stance label) against the vectorised functions they stand in for: the same numbers, NaN where
NaN, booleans equal."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hipdrop.core.filters import OneEuroFilter
from hipdrop.core.measures import ROW, LegScale, Signals, frame_row, frame_signals
from hipdrop.core.stance import stance_label_one, stance_labels
from hipdrop.settings import Settings
from hipdrop.testing.scripted import landmarks, sample_session

SETTINGS = Settings()
# Where NumPy's atan2/acos loops are its own AVX-512 ones (not the C library's, which
# math uses) the two may differ in the last bit: there the brief's 1e-9 deg, here the bits.
try:
    from numpy._core._multiarray_umath import __cpu_features__ as _CPU
except ImportError:  # pragma: no cover (NumPy < 2)
    _CPU = {}
_ATOL = 1e-9 if _CPU.get("AVX512_SKX") else 0.0


def _reference(image, world, t, scale, waist=None, markers=None) -> Signals:
    """frame_signals of one frame, as the live loop called it before frame_row."""
    with np.errstate(all="ignore"):
        return frame_signals(np.full((1, 33, 4), np.nan) if image is None else image[None],
                             np.full((1, 33, 3), np.nan) if world is None else world[None],
                             np.array([t]), scale, SETTINGS,
                             None if waist is None else np.array([waist], np.float64),
                             None if markers is None else np.array([markers], np.float64))


def _assert_row_is(row: list, ref: Signals, i: int = 0) -> None:
    assert len(row) == len(ROW)
    for value, name in zip(row, ROW, strict=True):
        expected = getattr(ref, name)[i]
        if name in ("pose", "upright"):
            assert type(value) is bool and value == bool(expected), name
        else:
            # The same float: NaN where NaN, and the same bits otherwise (a -0.0 for 0.0 aside,
            # which no comparison downstream tells apart).
            assert type(value) is float, name
            np.testing.assert_allclose(value, expected, rtol=0, atol=_ATOL, err_msg=name)


def _series_cases(series) -> list[tuple]:
    cases = []
    waist = series.waist if series.waist is not None else None
    markers = series.markers if series.markers is not None else None
    for i in range(len(series.t)):
        w = None if waist is None else tuple(waist[i].tolist())
        m = None if markers is None else tuple(markers[i].tolist())
        cases.append((series.image[i], series.world[i], w, m))
    return cases


def test_frame_row_is_frame_signals_on_the_scripted_session_with_gaps_and_noise():
    series, _ = landmarks(sample_session(), fps=30.0, noise_px=1.5, gaps=[(4.0, 4.2)], seed=3)
    series.image[::7, 25:29, 3] = 0.2  # knees and ankles unseen now and then
    series.world[::11] = np.nan  # no world pose: lift in pixels, knee and thigh in 2-D
    scale = LegScale.of(series.image, series.world)
    whole = frame_signals(series.image, series.world, series.t, scale, SETTINGS)
    for i, (image, world, _, _) in enumerate(_series_cases(series)):
        row = frame_row(image, world, float(series.t[i]), scale, SETTINGS)
        _assert_row_is(row, whole, i)  # the vectorised pass over the whole series
        _assert_row_is(row, _reference(image, world, float(series.t[i]), scale))
    assert whole.pose.sum() < len(whole) and whole.pose.any()


def test_frame_row_is_frame_signals_on_a_real_clip(clip_landmarks):
    series = clip_landmarks("tree_pose_front_lift_03.mp4")
    scale = LegScale.of(series.image, series.world)
    rng = np.random.default_rng(0)
    for i, (image, world, _, _) in enumerate(_series_cases(series)):
        t = float(series.t[i])
        # The clip's landmarks with made-up cues of every kind (the extraction keeps none).
        waist = (float(rng.normal(0, 3)), float(rng.uniform(0, 1)), float(rng.uniform(-0.2, 0.6)))
        markers = (*rng.uniform(300, 900, 4).tolist(), float(rng.uniform(0, 1)))
        for w, m in ((None, None), (waist, markers), (waist[:2], None)):
            _assert_row_is(frame_row(image, world, t, scale, SETTINGS, w, m),
                           _reference(image, world, t, scale, w, m))
        _assert_row_is(frame_row(image, None, t, scale, SETTINGS),
                       _reference(image, None, t, scale))


# Coordinates from a few exact values (coincident points: the divisions by zero) or anywhere.
_coord = st.one_of(st.sampled_from([0.0, 1.0, -1.0, 100.0, math.nan]),
                   st.floats(-2000.0, 2000.0, allow_nan=False))
_vis = st.one_of(st.sampled_from([0.0, 0.5, 1.0, math.nan]), st.floats(0.0, 1.0))


@st.composite
def _frame(draw):
    n = 33
    # A base pose with every point, then a few of them replaced by drawn values.
    base = draw(st.sampled_from(["scripted", "random"]))
    if base == "scripted":
        series, _ = landmarks(sample_session(), fps=10.0)
        k = draw(st.integers(0, len(series.t) - 1))
        image, world = series.image[k].copy(), series.world[k].copy()
    else:
        image = np.array(draw(st.lists(st.floats(-500, 1500), min_size=n * 4, max_size=n * 4))
                         ).reshape(n, 4)
        image[:, 3] = 0.9
        world = np.array(draw(st.lists(st.floats(-1, 1), min_size=n * 3, max_size=n * 3))
                         ).reshape(n, 3)
    for _ in range(draw(st.integers(0, 8))):
        j = draw(st.sampled_from([11, 12, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 0, 15]))
        c = draw(st.integers(0, 3))
        image[j, c] = draw(_vis if c == 3 else _coord)
        if c < 3 and draw(st.booleans()):
            world[j, c] = draw(_coord)
    if draw(st.booleans()):
        image = image.astype(np.float32)
        world = world.astype(np.float32)
    kind = draw(st.sampled_from(["both", "no world", "no pose"]))
    return (None if kind == "no pose" else image), (None if kind != "both" else world)


_cue = st.one_of(st.sampled_from([math.nan, 0.0, 0.3, 0.12]), st.floats(-30, 30))


@settings(max_examples=300, deadline=None)
@given(frame=_frame(),
       waist=st.one_of(st.none(), st.tuples(_cue, _cue), st.tuples(_cue, _cue, _cue)),
       markers=st.one_of(st.none(), st.tuples(_coord, _coord, _coord, _coord, _cue)),
       scale=st.sampled_from([LegScale(0.8, 300.0), LegScale(0.0, 0.0),
                              LegScale(math.nan, 250.0)]),
       t=st.floats(0, 100))
def test_frame_row_is_frame_signals_on_any_frame(frame, waist, markers, scale, t):
    image, world = frame
    with np.errstate(all="ignore"):
        row = frame_row(image, world, t, scale, SETTINGS, waist, markers)
    _assert_row_is(row, _reference(image, world, t, scale, waist, markers))


def test_a_row_as_signals_and_back_round_trips():
    series, _ = landmarks(sample_session(), fps=10.0)
    scale = LegScale.of(series.image, series.world)
    one = Signals.of_row(frame_row(series.image[40], series.world[40], 4.0, scale, SETTINGS))
    assert len(one) == 1 and one.pose.dtype == bool and one.t.dtype == np.float64
    _assert_row_is(one.row(), _reference(series.image[40], series.world[40], 4.0, scale))
    np.testing.assert_array_equal(np.array(Signals.of_row(one.row()).row(), float),
                                  np.array(one.row(), float))


class _OldOneEuro:
    """The vectorised One Euro filter that OneEuroFilter.step replaced (as it was)."""

    def __init__(self, min_cutoff_hz, beta, d_cutoff_hz, max_gap_s):
        self.min_cutoff_hz, self.beta, self.d_cutoff_hz = min_cutoff_hz, beta, d_cutoff_hz
        self.max_gap_s = max_gap_s
        self._x = None

    @staticmethod
    def _alpha(cutoff_hz, dt):
        tau = 1.0 / (2.0 * math.pi * cutoff_hz)
        return 1.0 / (1.0 + tau / dt)

    def __call__(self, x, t):
        x = np.asarray(x, dtype=np.float64)
        if self._x is None:
            self._x, self._dx, self._t = (np.full_like(x, np.nan), np.zeros_like(x),
                                          np.full_like(x, -np.inf))
        seen = np.isfinite(x)
        dt = t - self._t
        fresh = seen & (~np.isfinite(self._x) | (dt > self.max_gap_s) | (dt <= 0))
        step = seen & ~fresh
        with np.errstate(invalid="ignore", divide="ignore"):
            dts = np.where(step, dt, 1.0)
            dx = np.where(step, (x - self._x) / dts, 0.0)
            a_d = self._alpha(self.d_cutoff_hz, dts)
            dx_hat = a_d * dx + (1 - a_d) * self._dx
            cutoff = self.min_cutoff_hz + self.beta * np.abs(dx_hat)
            a = self._alpha(cutoff, dts)
            x_hat = a * x + (1 - a) * self._x
        self._x = np.where(fresh, x, np.where(step, x_hat, self._x))
        self._dx = np.where(fresh, 0.0, np.where(step, dx_hat, self._dx))
        self._t = np.where(seen, t, self._t)
        return np.where(seen, self._x, np.nan)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31), beta=st.floats(0, 2), cutoff=st.floats(0.05, 5),
       gap=st.floats(0.05, 1.0))
def test_one_euro_step_is_the_vectorised_filter(seed, beta, cutoff, gap):
    rng = np.random.default_rng(seed)
    n = 16
    mins = cutoff * rng.uniform(0.2, 1.0, n)
    betas = beta * rng.choice([1.0, 50.0], n)
    new, old = OneEuroFilter(mins, betas, 1.0, gap), _OldOneEuro(mins, betas, 1.0, gap)
    t = 0.0
    for _ in range(120):
        t += float(rng.choice([1 / 30, 1 / 25, 0.5, 0.0, -0.01]))  # gaps, repeats, backwards
        x = rng.normal(0, 20, n)
        x[rng.uniform(size=n) < 0.15] = rng.choice([np.nan, np.inf])
        got = np.array(new.step(x.tolist(), t))
        np.testing.assert_array_equal(got, old(x, t))
    np.testing.assert_array_equal(new(np.zeros(n), t + 0.04), old(np.zeros(n), t + 0.04))


@settings(max_examples=300, deadline=None)
@given(left=st.one_of(st.floats(-0.3, 0.3), st.just(math.nan), st.just(0.06)),
       right=st.one_of(st.floats(-0.3, 0.3), st.just(math.nan), st.just(0.06)),
       upright=st.booleans(),
       knee_left=st.one_of(st.floats(0.0, 120.0), st.just(math.nan), st.just(45.0)),
       knee_right=st.one_of(st.floats(0.0, 120.0), st.just(math.nan), st.just(45.0)))
def test_stance_label_one_is_stance_labels(left, right, upright, knee_left, knee_right):
    expected = stance_labels(np.array([left]), np.array([right]), np.array([upright]), 0.06)[0]
    assert stance_label_one(left, right, upright, 0.06) == int(expected)
    expected = stance_labels(np.array([left]), np.array([right]), np.array([upright]), 0.06,
                             np.array([knee_left]), np.array([knee_right]), 45.0)[0]
    assert stance_label_one(left, right, upright, 0.06, knee_left, knee_right, 45.0) == int(expected)


def test_a_degenerate_frame_falls_back_to_numpy_and_gives_its_nan():
    series, _ = landmarks(sample_session(), fps=10.0)
    image, world = series.image[5].copy(), series.world[5].copy()
    image[[11, 12, 23, 24], :2] = 100.0  # shoulders on the hips: the midline has no direction
    with np.errstate(all="ignore"):
        row = frame_row(image, world, 0.5, LegScale(0.8, 300.0), SETTINGS)
    _assert_row_is(row, _reference(image, world, 0.5, LegScale(0.8, 300.0)))
    assert math.isnan(row[ROW.index("abduction_left_deg")])
    with pytest.raises(ZeroDivisionError):  # why the fallback is there
        from hipdrop.core.kinematics import abduction_deg_one
        p = (100.0, 100.0, 0.0)
        abduction_deg_one(p, p, p, p, p, p)
