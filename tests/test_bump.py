"""The hip bump drill: bumps counted per side on scripted streams, and only when asked."""

from __future__ import annotations

import numpy as np
import pytest

from hipdrop.core import bump as bp
from hipdrop.pipeline.analysis import analyze
from hipdrop.reports.files import human_summary, summary
from hipdrop.settings import Settings
from hipdrop.testing import scripted as sc
from hipdrop.testing.squatting import hip_bumps


def _bumps(series, lift_fraction=0.06):
    lift = np.zeros(len(series))
    return bp.analyze_bumps(series.image, lift, lift, lift_fraction, series.t, series.fps,
                            0.08, 0.3)


@pytest.mark.parametrize("camera", [sc.Camera(), sc.Camera(facing="away"),
                                    sc.Camera(width=640, height=360, px_per_m=110.0)])
def test_counts_per_anatomical_side(camera):
    series, sides = hip_bumps(("left", "left", "right", "left", "right"), camera=camera,
                              noise_px=0.5, seed=1)
    found = _bumps(series)
    assert [b.side for b in found] == sides
    for b in found:
        assert b.peak_shift == pytest.approx(0.40, abs=0.03)  # 40% of the hip width


def test_mirrored_swaps_sides():
    series, _sides = hip_bumps(("left", "right", "right"))
    assert [b.side for b in _bumps(series.mirrored())] == ["right", "left", "left"]


def test_sway_and_small_pushes_are_not_bumps():
    series, _ = hip_bumps(("left", "right"), shift_pct=15.0, noise_px=1.0)  # under ENTER
    assert _bumps(series) == []


def test_a_step_along_the_wall_changes_nothing():
    series, sides = hip_bumps(("left",) * 4)
    series.image[series.t > 3.8, :, 0] += 30.0  # the whole person 30 px along
    assert [b.side for b in _bumps(series)] == sides


def test_an_offset_held_longer_than_a_bump_is_a_new_neutral():
    """Standing differently (the pelvis held 0.5 hip widths over, longer than any bump) is no
    bump; the bumps from there on are counted from the new neutral."""
    t = np.arange(0, 14, 1 / 30)
    x = np.where(t > 1.0, 0.5, 0.0)
    for a in (6.0, 9.0):
        x = x + np.where((t > a) & (t < a + 1.5), 0.4, 0.0)
    found = bp.find_bumps(t, x)
    assert [(b.side, round(b.start_s)) for b in found] == [("left", 6), ("left", 9)]


def test_stance_foot_is_the_reference_when_one_foot_is_lifted():
    p = np.zeros((2, 33, 2))
    p[:, 23], p[:, 24] = (220, 500), (180, 500)
    p[:, 27], p[:, 28] = (210, 900), (170, 900)
    lift_left, lift_right = np.array([0.0, 0.0]), np.array([0.0, 0.2])  # frame 1: on the left
    got = bp.bump_shift(p, lift_left, lift_right, 0.06)
    assert got[0] == pytest.approx(10 / 40)  # over the ankles' mid-point (190)
    assert got[1] == pytest.approx(-10 / 40)  # over the left ankle (210): 10 px to its right


def test_analyze_reports_bumps_only_when_asked():
    series, sides = hip_bumps(("left", "left", "right"))
    assert "hip_bumps" not in summary(analyze(series), "x")
    data = summary(analyze(series, Settings(hip_bump=1.0)), "x")
    assert data["hip_bumps"]["left"] == 2 and data["hip_bumps"]["right"] == 1
    assert [i["side"] for i in data["hip_bumps"]["items"]] == sides
    assert "Hip bumps: left 2, right 1" in human_summary(data)
    assert data["squats"]["count"] == 0  # standing straight: no squat


def test_counter_ignores_nan_and_short_jitter():
    c = bp.BumpCounter()
    t = np.arange(0, 3, 1 / 30)
    x = np.zeros_like(t)
    x[(t > 1.0) & (t < 1.1)] = 0.5  # 0.1 s: jitter
    x[(t > 2.0) & (t < 2.05)] = np.nan
    for ti, xi in zip(t, x, strict=True):
        c.update(float(ti), float(xi))
    assert c.bumps == []


@pytest.mark.model
@pytest.mark.parametrize(("sides", "seed"), [(("left", "left", "left", "right", "right"), 0),
                                             (("right", "left", "right", "left"), 3)])
def test_rendered_bumps_are_counted_per_side(tmp_path, pose_model, sides, seed):
    from test_squat import render_and_analyze

    from hipdrop.synth import ScenarioSettings

    truth, a = render_and_analyze(tmp_path, pose_model,
                                  ScenarioSettings(name="hip-bump", bump_sides=sides), seed)
    assert [b["side"] for b in truth["bumps"]] == list(sides)
    assert a.bumps is not None and [b.side for b in a.bumps] == list(sides)
    for got, want in zip(a.bumps, truth["bumps"], strict=True):
        assert 100 * got.peak_shift == pytest.approx(abs(want["peak_shift_pct"]), abs=4.0)
        assert want["start_s"] - 0.3 <= got.start_s <= want["top_s"][0]
    assert a.squats.reps == []  # standing straight
