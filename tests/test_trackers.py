"""One pipeline: the live trackers, frame by frame, give what the batch rules give over the
same signals (no model: scripted streams)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hipdrop.core.kinematics import leg_lengths
from hipdrop.core.measures import LegScale
from hipdrop.core.reps import find_reps, hold_times, leg_reps, leg_states, running_rest
from hipdrop.core.side import SIDES, Side
from hipdrop.core.stance import find_phases, stance_labels
from hipdrop.pipeline.analysis import analyze_signals
from hipdrop.pipeline.stream import StreamAnalyzer
from hipdrop.pipeline.trackers import LegScaleTracker, RepTracker, RestTracker, StanceTracker
from hipdrop.settings import Settings
from hipdrop.testing import scripted as sc

S = Settings()

SCRIPTS = {
    "stance test, noisy, rolled camera": (
        sc.stance_test(drop_left=8.0, drop_right=1.0, hold_s=6.0, lean_left=4.0),
        dict(camera=sc.Camera(roll_deg=3.0), fps=30.0, noise_px=1.5, seed=1)),
    "sample session with gaps": (
        sc.sample_session(),
        dict(camera=sc.Camera(width=960, height=540, px_per_m=250.0), fps=15.0, noise_px=1.5,
             gaps=[(4.0, 4.3), (20.0, 21.5)], seed=7)),
    "side-lying reps and holds": (
        [sc.Segment("double", 2.0), sc.Segment("lying", 8.0, "left", reps=4, peak_deg=30.0),
         sc.Segment("double", 1.5), sc.Segment("hold", 5.0, "right", peak_deg=30.0),
         sc.Segment("double", 1.0), sc.Segment("abduction", 4.0, "left", reps=2, peak_deg=40)],
        dict(fps=25.0, noise_px=2.0, seed=3)),
    "ends mid-rep, in a stance": (
        [sc.Segment("double", 2.0), sc.Segment("abduction", 3.2, "right", reps=2),
         sc.Segment("double", 1.0), sc.Segment("stance", 3.0, "right", 5.0)],
        dict(fps=30.0, noise_px=1.0, seed=5)),
}


def _live(series):
    """Every frame of ``series`` through a StreamAnalyzer: it and the frame states."""
    analyzer = StreamAnalyzer(S, series.width, series.height, series.fps, series.model)
    states = []
    for i in range(len(series)):
        seen = bool(np.isfinite(series.image[i, :, 0]).any())
        states.append(analyzer.update(series.image[i] if seen else None,
                                      series.world[i] if seen else None, float(series.t[i])))
    return analyzer, states


@pytest.fixture(scope="module", params=list(SCRIPTS))
def session(request):
    segments, kwargs = SCRIPTS[request.param]
    series, truth = sc.landmarks(segments, **kwargs)
    analyzer, states = _live(series)
    # The batch rules over the same (live, One Euro smoothed) signals: the session's analysis.
    return SimpleNamespace(series=series, truth=truth, analyzer=analyzer, states=states,
                           batch=analyzer.finish())


def test_same_stance_labels_and_phases_frame_by_frame(session):
    truth, analyzer, states, batch = session.truth, session.analyzer, session.states, session.batch
    assert batch.phases, "the script must have stance phases"
    live_labels = np.array([s.stance.code if s.stance is not None else 0 for s in states])
    batch_side = np.where(np.isin(batch.labels, (1, 2)), batch.labels, 0)
    np.testing.assert_array_equal(live_labels, batch_side)
    assert [p.as_tuple() for p in analyzer.stance.found()] == [
        (p.stance.code, p.start, p.stop) for p in batch.phases]
    # Each phase's stance time, as the screen counts it, is its time since its first frame.
    for p in batch.phases:
        assert states[p.stop - 1].stance_s == pytest.approx(
            float(batch.signals.t[p.stop - 1] - batch.signals.t[p.start]), abs=1e-12)
    # The scripted stances are found (a leg held out far enough is a stance too).
    assert {d["stance"] for d in truth.phases} <= {p.stance for p in batch.phases}


def test_same_drop_frame_by_frame(session):
    states, batch = session.states, session.batch
    live = np.array([s.drop_deg for s in states])
    inside = np.isfinite(batch.drop)
    assert inside.any()
    # Scripted landmarks carry every phase: the live reading of each frame is the batch one
    # (to the rounding of shifting a tier to the landmark line's baseline and back).
    assert all(p.obliquity_source == "landmarks" for p in batch.phases)
    np.testing.assert_allclose(live[inside], batch.drop[inside], rtol=0, atol=1e-9)
    base = np.array([s.baseline_deg for s in states])
    for p in batch.phases:
        assert base[p.start:p.stop] == pytest.approx(np.full(p.stop - p.start, p.baseline_deg))


def test_same_reps_holds_and_counts_frame_by_frame(session):
    series, analyzer, states, batch = (session.series, session.analyzer, session.states, session.batch)
    live = sorted(analyzer.reps + analyzer.legs.open_reps(), key=lambda r: r.start_s)
    assert live == batch.reps  # every field: start, end, peak, time held, complete, peak frame
    counts = np.array([s.reps for s in states])
    complete = [r for r in batch.reps if r.complete]
    for side in SIDES:
        ends = np.sort([r.end_s for r in complete if r.leg == side])
        expected = np.searchsorted(ends, batch.signals.t, side="right")
        np.testing.assert_array_equal(counts[:, side.column], expected)
        assert analyzer.count(side) == analyzer.count(side.label) == expected[-1]
    abduction = batch.signals.legs("abduction")
    rest = np.stack([running_rest(a, series.fps, S) for a in abduction.T], axis=-1)
    up = leg_states(abduction, rest, S)
    np.testing.assert_array_equal(np.array([s.leg_up for s in states]), up)
    np.testing.assert_array_equal(np.array([s.hold_s for s in states]), batch.hold_s())
    assert analyzer.best_hold_s == batch.best_hold_s


def test_scripted_reps_are_found(session):
    truth, batch = session.truth, session.batch
    for side in SIDES:
        scripted = sum(r["leg"] == side for r in truth.reps)
        assert sum(r.leg == side for r in batch.reps) == scripted


def test_a_result_mid_session_is_the_analysis_of_the_frames_so_far(session):
    series = session.series
    n = len(series)
    for stop in (n // 3, n // 2, (3 * n) // 4):
        mid = StreamAnalyzer(S, series.width, series.height, series.fps, series.model)
        for i in range(stop):
            seen = bool(np.isfinite(series.image[i, :, 0]).any())
            mid.update(series.image[i] if seen else None, series.world[i] if seen else None,
                       float(series.t[i]))
        so_far = mid.so_far()
        whole = analyze_signals(mid.series(), mid.signals(), S)
        assert repr(so_far.phases) == repr(whole.phases)  # exact, NaN fields included
        assert sorted(so_far.reps, key=lambda r: r.start_s) == whole.reps


def test_leg_scale_converges_on_the_whole_recording(session):
    series, analyzer = session.series, session.analyzer
    seen = np.isfinite(series.image[:, :, 0]).any(axis=1)
    assert analyzer.scale.final() == LegScale.of(series.image[seen], series.world[seen])


# -- each tracker against its vectorised rule, on streams no script makes ------------------


def _abduction(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, 2) abduction: rests that move, noise, lifts of either or both legs, NaN gaps."""
    base = rng.uniform(-3, 14, 2) + np.cumsum(rng.normal(0, 0.05, (n, 2)), axis=0)
    x = base + rng.normal(0, rng.uniform(0.2, 3), (n, 2))
    for _ in range(rng.integers(0, 8)):
        a, length = rng.integers(0, max(1, n - 5)), rng.integers(2, 40)
        legs = [[0], [1], [0, 1]][int(rng.integers(0, 3))]
        x[a:a + length, legs] += rng.uniform(10, 60) * np.sin(
            np.linspace(0, np.pi, len(x[a:a + length])))[:, None]
    x[rng.random((n, 2)) < 0.05] = np.nan
    return x


@pytest.mark.parametrize("seed", range(40))
def test_rest_and_rep_trackers_are_their_vectorised_rules(seed):
    rng = np.random.default_rng(seed)
    n, fps = int(rng.integers(1, 500)), float(rng.choice([5.0, 12.5, 30.0]))
    t = np.cumsum(rng.uniform(0.5, 1.5, n)) / fps  # uneven frame times
    alpha = _abduction(rng, n)
    rest_tracker, reps_tracker = RestTracker(S, fps), RepTracker(S, fps)
    rests, ups, holds, reps = [], [], [], []
    for i in range(n):
        rest = rest_tracker.update(alpha[i]).copy()
        reps += reps_tracker.update(float(t[i]), alpha[i], rest)
        rests.append(rest)
        ups.append(reps_tracker.up)
        holds.append(reps_tracker.hold_s.copy())
    reps += reps_tracker.open_reps()
    rest_batch = np.stack([running_rest(a, fps, S) for a in alpha.T], axis=-1)
    np.testing.assert_array_equal(np.array(rests).reshape(n, 2), rest_batch)
    up = leg_states(alpha, rest_batch, S)
    np.testing.assert_array_equal(np.array(ups).reshape(n, 2), up)
    np.testing.assert_array_equal(np.array(holds).reshape(n, 2), hold_times(up, t))
    assert sorted(reps, key=lambda r: r.start_s) == find_reps(alpha[:, 0], alpha[:, 1], t, fps, S)
    for side in SIDES:  # and leg by leg, in the order they ended
        mine = [r for r in reps if r.leg == side]
        one = leg_reps(alpha[:, side.column], alpha[:, side.other.column], t, fps, side, S,
                       rest_batch[:, side.column], rest_batch[:, side.other.column])
        assert mine == sorted(one, key=lambda r: r.end_s)


@pytest.mark.parametrize("seed", range(20))
def test_stance_tracker_is_find_phases(seed):
    rng = np.random.default_rng(seed)
    n, fps = int(rng.integers(1, 400)), float(rng.choice([10.0, 30.0]))
    t = np.cumsum(rng.uniform(0.5, 1.5, n)) / fps
    # Runs of lifts of either foot, of random lengths around the 0.5 s a phase needs.
    lifts = np.zeros((n, 2))
    i = 0
    while i < n:
        length = int(rng.integers(1, int(fps)))
        lifts[i:i + length] = [[0.0, 0.0], [0.1, -0.1], [-0.1, 0.1], [np.nan, 0.0]][
            int(rng.integers(0, 4))]
        i += length
    upright = rng.random(n) > 0.03
    # Knees around the squat bound (a standing knee beyond it makes no stance), NaN among them.
    knees = rng.normal(S.max_stance_knee_deg, 20.0, (n, 2))
    knees[rng.random((n, 2)) < 0.05] = np.nan
    tracker = StanceTracker(S, fps)
    labels = []
    for k in range(n):
        tracker.update(float(lifts[k, 0]), float(lifts[k, 1]), bool(upright[k]), float(t[k]),
                       float(knees[k, 0]), float(knees[k, 1]))
        labels.append(tracker.label)
    batch = stance_labels(lifts[:, 0], lifts[:, 1], upright, S.lift_fraction, knees[:, 0],
                          knees[:, 1], S.max_stance_knee_deg)
    assert (batch != stance_labels(lifts[:, 0], lifts[:, 1], upright, S.lift_fraction)).any() \
        or not (batch > 0).any()  # the knees rule bites wherever a foot is up
    np.testing.assert_array_equal(labels, batch)
    assert [p.as_tuple() for p in tracker.found()] == find_phases(batch, t, fps, S.min_stance_s)


def test_side():
    assert [s.label for s in SIDES] == ["left", "right"]
    assert Side.LEFT.other is Side.RIGHT and Side.RIGHT.other is Side.LEFT
    assert (Side.LEFT.sign, Side.RIGHT.sign) == (1.0, -1.0)
    assert [Side.of_code(s.code) for s in SIDES] == list(SIDES)
    assert [Side.of_column(s.column) for s in SIDES] == list(SIDES)
    assert Side.of("right") is Side.RIGHT and Side.of(1) is Side.LEFT
    assert Side.LEFT == "left" and f"{Side.RIGHT}" == "right" and str(Side.LEFT) == "left"
    with pytest.raises(ValueError):
        Side.of_code(0)
    import json

    assert json.dumps({"leg": Side.LEFT}) == '{"leg": "left"}'
    assert not math.isnan(Side.LEFT.sign)


@pytest.mark.parametrize("seed", range(10))
def test_the_running_rest_is_the_resting_angle_of_the_frames_so_far(seed):
    from hipdrop.core.reps import resting_angle

    rng = np.random.default_rng(100 + seed)
    n, fps = int(rng.integers(0, 300)), float(rng.choice([3.0, 10.0, 30.0]))
    alpha = _abduction(rng, max(n, 1))[:n, 0]
    np.testing.assert_array_equal(running_rest(alpha, fps, S),
                                  [resting_angle(alpha[:i + 1], fps, S) for i in range(n)])


_coordinate = st.one_of(st.floats(-1e6, 1e6, width=32), st.sampled_from([0.0, math.nan, 1e30]))


@settings(max_examples=300, deadline=None)
@given(values=st.lists(_coordinate, min_size=4 * 4 + 4 * 3, max_size=4 * 4 + 4 * 3),
       image_dtype=st.sampled_from([np.float32, np.float64]),
       world_dtype=st.sampled_from([np.float32, np.float64]))
def test_leg_scale_lengths_are_leg_lengths_to_the_bit(values, image_dtype, world_dtype):
    """LegScaleTracker's leg lengths, measured over the frames at once, are each frame's
    kinematics.leg_lengths in the landmarks' own precision, bit for bit."""
    image = np.ones((33, 4), image_dtype)
    world = np.ones((33, 3), world_dtype)
    ends = [23, 24, 27, 28]
    image[ends] = np.array(values[:16]).reshape(4, 4)
    world[ends] = np.array(values[16:]).reshape(4, 3)
    tracker = LegScaleTracker(720)
    for _ in range(3):  # a batch of frames
        tracker.update(image, world)
    with np.errstate(all="ignore"):
        expected = np.stack([leg_lengths(world), leg_lengths(image[:, :2])])
        stored = tracker._measured()[2]
    assert stored.dtype == np.result_type(expected[0], expected[1])
    # NaN where NaN; elsewhere equal values are equal bits (a root is never -0.0).
    np.testing.assert_array_equal(stored, expected)


def test_leg_scale_tracker_is_leg_scale_of_the_recorded_series():
    series, _ = sc.landmarks(sc.sample_session(), fps=30.0, noise_px=1.0, gaps=[(3.0, 3.2)])
    for dtype in (np.float32, np.float64):
        image, world = series.image.astype(dtype), series.world.astype(dtype)
        tracker = LegScaleTracker(series.height)
        for i in range(len(series.t)):
            tracker.update(image[i], world[i])
        assert tracker.final() == LegScale.of(image, world)
