"""hipdrop.core.baselines gives every phase the baseline stance.baseline and the tiers' look-backs
give it, found from one run-length encoding instead of a scan a phase."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hipdrop.core import tiers
from hipdrop.core.baselines import Baselines
from hipdrop.core.stance import DOUBLE, LEFT, RIGHT, UNKNOWN, baseline

# Runs of labels, each (label, length), and a share of NaN frames in the signal.
_RUNS = st.lists(st.tuples(st.sampled_from([DOUBLE, DOUBLE, LEFT, RIGHT, UNKNOWN]),
                           st.integers(1, 12)), min_size=1, max_size=40)


def _case(spec: list[tuple[int, int]], nan_share: float, seed: int):
    labels = np.concatenate([np.full(n, v, np.int8) for v, n in spec])
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.0, 3.0, len(labels))
    theta[rng.random(len(labels)) < nan_share] = np.nan
    return labels, theta


@settings(max_examples=300, deadline=None)
@given(_RUNS, st.sampled_from([0.0, 0.3, 0.7, 1.0]), st.integers(0, 2**31 - 1),
       st.integers(1, 5), st.sampled_from([2, 5, 17, 4096]))
def test_same_answers_as_the_scans(spec, nan_share, seed, min_frames, look_back):
    labels, theta = _case(spec, nan_share, seed)
    index = Baselines(labels)
    old = tiers._LOOK_BACK
    tiers._LOOK_BACK = look_back  # the tiers' look-back cut inside short series too
    try:
        for start in range(len(labels) + 1):
            assert index.baseline(theta, start, min_frames) == baseline(theta, labels, start,
                                                                       min_frames)
            assert index.run_coverage(theta, start, look_back) == tiers._run_coverage(
                theta, labels, start)
            assert index.baseline_frames(theta, start, look_back) == tiers._baseline_frames(
                theta, labels, start)
    finally:
        tiers._LOOK_BACK = old


def test_each_signal_keeps_its_own_answers():
    labels = np.array([DOUBLE] * 4 + [LEFT] * 3 + [DOUBLE] * 4 + [RIGHT] * 3, np.int8)
    a = np.array([1.0] * 4 + [9.0] * 3 + [2.0] * 4 + [9.0] * 3)
    index = Baselines(labels)
    assert index.baseline(a, 7) == (1.0, "before")
    assert index.baseline(a + 10.0, 11) == (12.0, "before")  # a new array, its own medians
    assert index.baseline(a, 11) == (2.0, "before")


def test_no_double_stance_falls_to_the_clip_then_none():
    labels = np.array([LEFT] * 5 + [RIGHT] * 5, np.int8)
    index = Baselines(labels)
    assert index.baseline(np.zeros(10), 5) == (0.0, "none")
    labels[:3] = DOUBLE
    theta = np.array([4.0, np.nan, 6.0] + [0.0] * 7)
    index = Baselines(labels)
    assert index.baseline(theta, 8, 2) == (5.0, "before")
    assert index.baseline(theta, 8, 3) == (0.0, "none")
    assert index.baseline_frames(theta, 8, 4096) == 2


@pytest.mark.parametrize("look_back", [3, 6, 100])
def test_look_back_cuts_the_run(look_back):
    # The double-stance run [0, 8) seen through a window of ``look_back`` frames before 10.
    labels = np.array([DOUBLE] * 8 + [LEFT] * 2 + [RIGHT] * 2, np.int8)
    theta = np.array([np.nan] * 4 + [1.0] * 4 + [0.0] * 4)
    index = Baselines(labels)
    expected = {3: 0.0, 6: 1.0, 100: 0.5}[look_back]  # [7, 8) too short; [4, 8); [0, 8)
    assert index.run_coverage(theta, 10, look_back) == pytest.approx(expected)
