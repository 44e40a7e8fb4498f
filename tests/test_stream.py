"""The streaming analyzer: the offline rules fed frame by frame, at a small per-frame cost."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hipdrop.core.landmarks import LandmarkSeries
from hipdrop.core.stance import baseline
from hipdrop.errors import NoPoseError
from hipdrop.pipeline.analysis import analyze
from hipdrop.pipeline.stream import StreamAnalyzer
from hipdrop.settings import Settings


def feed(series: LandmarkSeries, analyzer: StreamAnalyzer | None = None, repeat: int = 1):
    """Feed ``series`` (``repeat`` times back to back, after what ``analyzer`` has seen) into an
    analyzer; returns it and the frame states."""
    analyzer = analyzer or StreamAnalyzer(Settings(), series.width, series.height, series.fps,
                                          series.model)
    states = []
    period = series.duration_s + 1.0 / series.fps
    done = round(len(analyzer) / len(series))
    for k in range(done, done + repeat):
        for i in range(len(series)):
            seen = np.isfinite(series.image[i, :, 0]).any()
            states.append(analyzer.update(series.image[i] if seen else None,
                                          series.world[i] if seen else None,
                                          float(series.t[i]) + k * period))
    return analyzer, states


def assert_same_phases_and_reps(live, offline, frames: float, fps: float) -> None:
    """Same stance sides and rep counts, phase edges within ``frames`` frames."""
    assert [p.stance for p in live.phases] == [p.stance for p in offline.phases]
    for a, b in zip(live.phases, offline.phases, strict=True):
        assert abs(a.start_s - b.start_s) <= frames / fps + 1e-6, (a, b)
        assert abs(a.end_s - b.end_s) <= frames / fps + 1e-6, (a, b)
    for leg in ("left", "right"):
        assert sum(r.leg == leg for r in live.reps) == sum(r.leg == leg for r in offline.reps)


@pytest.mark.model
@pytest.mark.clips
@pytest.mark.parametrize("name", ["side_leg_raise_standing_front_01.mp4",
                                  "alternating_knee_lift_front_01.mp4",
                                  "single_leg_stance_tree_front_01.mp4",
                                  "side_lying_leg_raise_01.mp4", "sumo_squat_front_01.mp4"])
def test_stream_matches_offline_on_the_clips(name, clip_landmarks):
    series = clip_landmarks(name)
    analyzer, states = feed(series)
    assert_same_phases_and_reps(analyzer.finish(), analyze(series), frames=2, fps=series.fps)
    # What the screen counted live (complete reps) is what the summary counts, give or take
    # a rep the recording cut before the leg came down.
    live_counts = states[-1].reps
    final = analyzer.finish()
    for i, leg in enumerate(("left", "right")):
        complete = sum(r.leg == leg and r.complete for r in final.reps)
        assert live_counts[i] == complete


@pytest.mark.model
@pytest.mark.clips
def test_frame_state_for_the_screens(clip_landmarks):
    series = clip_landmarks("side_leg_raise_standing_front_01.mp4")
    analyzer, states = feed(series)
    in_stance = [s for s in states if s.stance is not None]
    out = [s for s in states if s.stance is None]
    assert in_stance and out
    assert all(math.isfinite(s.drop_deg) and math.isfinite(s.trunk_lean_deg)
               and math.isfinite(s.lean_change_deg) for s in in_stance if s.pose)
    assert all(math.isnan(s.drop_deg) and math.isnan(s.trunk_lean_deg)
               and math.isnan(s.lean_change_deg) for s in out)
    # The lean the verdict judges: against the posture of the double stance before the phase.
    # Its reference is the offline one, computed on the same signals by the same function.
    final = analyzer.finish()
    assert final.phases
    for phase in final.phases:
        lean0, _ = baseline(final.signals.trunk_lean_left_deg, final.labels, phase.start)
        assert states[phase.start].lean_baseline_deg == pytest.approx(lean0)
    # The right leg's reps peak at 60-80 deg of abduction; the gauge reads that live.
    assert max(s.abduction_deg[1] for s in states) > 50
    # Holds: a leg held above `up` counts up, and the best is kept.
    best = analyzer.best_hold_s
    assert best == states[-1].best_hold_s and min(best) > 0.5
    assert max(s.hold_s[1] for s in states) == pytest.approx(best[1])


def test_finish_without_a_person():
    analyzer = StreamAnalyzer(Settings(), 640, 360, 25.0)
    for i in range(10):
        analyzer.update(None, None, i / 25.0)
    with pytest.raises(NoPoseError):
        analyzer.finish()
    empty = analyzer.finish(require_pose=False)
    assert empty.phases == [] and empty.reps == [] and len(empty.signals) == 10
    assert empty.verdict.left.code == "not tested"
