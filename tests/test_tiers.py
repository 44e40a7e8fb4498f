"""Measurement tiers, intervals and findings (DESIGN.md), on scripted streams with exact truth.

The scripted person's hip landmarks sit on the true hip joints; what the tiers do with them is
set by the model name in the series (a MediaPipe bundle's are approximate, anything else is
geometry), and markers are laid on the pelvis as rigidly as stickers on the hip bones.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from hipdrop.core.landmarks import L_HIP, R_HIP
from hipdrop.core.tiers import GEOMETRY, MEDIAPIPE, MEDIAPIPE_UNMEASURED, landmark_reading
from hipdrop.pipeline.analysis import analyze
from hipdrop.reports.files import summary
from hipdrop.settings import Settings
from hipdrop.testing import scripted as sc


def with_markers(series, seen=None):
    """``series`` with markers 0.35 hip widths above each true hip joint, square to the hip
    line (so their line tilts exactly as the pelvis); ``seen`` (T,) bool masks frames."""
    left, right = series.image[:, L_HIP, :2].astype(float), series.image[:, R_HIP, :2].astype(float)
    d = left - right
    sep = np.linalg.norm(d, axis=1, keepdims=True)
    normal = np.stack([d[:, 1], -d[:, 0]], axis=1) / sep  # up the image when facing the camera
    normal *= np.where(normal[:, 1:2] > 0, -1.0, 1.0)
    off = 0.35 * sep * normal
    rows = np.concatenate([left + off, right + off, np.ones((len(series), 1))], axis=1)
    if seen is not None:
        rows[~seen] = [np.nan, np.nan, np.nan, np.nan, 0.0]
    return dataclasses.replace(series, markers=rows.astype(np.float32))


def as_model(series, model):
    return dataclasses.replace(series, model=model)


def test_the_landmark_reading_is_keyed_to_the_model_that_made_the_landmarks():
    assert landmark_reading("full") is MEDIAPIPE and landmark_reading("heavy") is MEDIAPIPE
    assert landmark_reading("lite") is MEDIAPIPE_UNMEASURED
    assert landmark_reading("pose_landmarker_custom") is MEDIAPIPE_UNMEASURED
    for other in ("synthetic", "scripted", "mocap", "unknown", "my-tracker"):
        assert landmark_reading(other) is GEOMETRY


def test_exact_geometry_from_another_source_reads_its_true_drop():
    """A 7 deg drop in left stance and a 1 deg hike on the right, camera rolled 3 deg, 1 px
    noise, in a file whose model is not MediaPipe: read as geometry, within 1 deg."""
    series, _ = sc.landmarks(sc.stance_test(drop_left=7.0, drop_right=-1.0), sc.Camera(roll_deg=3.0),
                             fps=30, noise_px=1.0)
    a = analyze(as_model(series, "synthetic"))
    left, right = (next(p for p in a.phases if p.stance == s) for s in ("left", "right"))
    assert left.peak_drop_deg == pytest.approx(7.0, abs=1.0)
    # A hike's peak "drop" is the phase's least hike, at its edges: at or under zero.
    assert -1.5 <= right.peak_drop_deg <= 0.5
    assert right.mean_drop_deg == pytest.approx(-1.0, abs=0.5)
    assert left.finding == "drop" and left.significant
    assert right.finding == "no drop" and not right.significant
    assert left.obliquity_source == right.obliquity_source == "landmarks"
    assert left.drop_interval_deg[0] <= 7.0 <= left.drop_interval_deg[1]
    assert a.verdict.left.code == "drop" and a.verdict.right.code == "no drop"
    assert any("read as the hip joint centres" in w for w in a.warnings)


def test_a_pose_model_alone_cannot_say_no_drop_for_a_small_reading():
    """The same exact hips labelled as MediaPipe's: a level line could hide a true drop of
    several degrees (the model reads about half of one, toward a hike), so: can't tell."""
    series, _ = sc.landmarks(sc.stance_test(drop_left=0.0, drop_right=0.0), fps=30, noise_px=0.5)
    a = analyze(as_model(series, "full"))
    for p in a.phases:
        lo, hi = p.drop_interval_deg
        assert lo < 0.0 < Settings().drop_threshold_deg < hi
        assert p.finding == "inconclusive" and "waist is hidden" in p.inconclusive_reason
    assert a.verdict.left.code == a.verdict.right.code == "inconclusive"
    assert "can't tell" in a.verdict.text
    # Nothing the product would not stand behind is drawn as a number.
    assert np.isnan(a.shown_drop()).all()


def test_markers_carry_a_phase_and_read_the_true_drop_whatever_the_model():
    series, _ = sc.landmarks(sc.stance_test(drop_left=7.0, drop_right=0.0), sc.Camera(roll_deg=-4.0),
                             fps=30, noise_px=0.3)
    a = analyze(as_model(with_markers(series), "full"))
    left, right = (next(p for p in a.phases if p.stance == s) for s in ("left", "right"))
    assert left.obliquity_source == right.obliquity_source == "markers"
    assert left.peak_drop_deg == pytest.approx(7.0, abs=0.5)
    assert right.peak_drop_deg == pytest.approx(0.0, abs=0.5)
    assert left.finding == "drop" and right.finding == "no drop"
    lo, hi = left.drop_interval_deg
    assert lo <= 7.0 <= hi and hi - lo < 2.5  # a geometric tier: a narrow interval
    assert np.isfinite(a.shown_drop()[left.start:left.stop]).all()
    data = summary(a, "scripted")
    assert [p["obliquity_source"] for p in data["stance_phases"]] == ["markers", "markers"]
    assert data["verdict"]["sides"]["left"]["obliquity_source"] == "markers"


def test_markers_lost_in_the_stance_fall_back_and_say_so():
    series, truth = sc.landmarks(sc.stance_test(drop_left=0.0, drop_right=0.0), fps=30, noise_px=0.5)
    seen = truth.stance == "none"  # seen in double stance only: covered as the foot lifts
    a = analyze(as_model(with_markers(series, seen), "full"))
    for p in a.phases:
        assert p.obliquity_source == "landmarks"
        assert p.finding == "inconclusive" and p.inconclusive_reason.startswith("markers lost")


def test_a_reading_no_pelvis_can_make_is_a_tracking_failure_not_a_result():
    series, _ = sc.landmarks(sc.stance_test(drop_left=28.0, drop_right=0.0), fps=30)
    a = analyze(as_model(series, "synthetic"))
    left = next(p for p in a.phases if p.stance == "left")
    assert left.implausible and left.finding == "inconclusive" and not left.significant
    assert "not tracked" in left.inconclusive_reason
    assert a.verdict.left.code == "inconclusive"
    row = json.loads(json.dumps(summary(a, "x")))["stance_phases"][0]
    assert row["peak_drop_deg"] is None and row["drop_interval_deg"] == [None, None]
    assert np.isnan(a.shown_drop()[left.start:left.stop]).all()


def test_frames_csv_shows_no_drop_over_an_implausible_phase(tmp_path):
    """frames.csv's drop column is empty over the frames of a phase judged a tracking failure
    (the product never shows a number it won't stand behind), filled over a plausible one; the
    frames keep their stance, and the raw reading stays in the signals' RAW column."""
    import csv

    from hipdrop.reports.files import write_frames

    series, _ = sc.landmarks(sc.stance_test(drop_left=28.0, drop_right=6.0), fps=30)
    a = analyze(as_model(series, "synthetic"))
    left, right = (next(p for p in a.phases if p.stance == s) for s in ("left", "right"))
    assert left.implausible and not right.implausible
    write_frames(tmp_path / "frames.csv", a)
    with open(tmp_path / "frames.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(a.signals.t)
    assert all(r["drop_deg"] == "" and r["stance"] == "left" for r in rows[left.start:left.stop])
    assert all(r["drop_deg"] != "" for r in rows[right.start:right.stop])
    assert float(rows[right.start + (right.stop - right.start) // 2]["drop_deg"]) > 4.0
    # The raw labelled reading is still there: over 20 deg of the hip line's tilt.
    raw = a.signals.landmark_obliquity_raw_deg[left.start:left.stop]
    assert np.nanmax(np.abs(raw - left.baseline_deg)) > 20.0
    assert a.in_phase()[left.start:left.stop].all()


def test_too_short_a_hold_is_inconclusive():
    series, _ = sc.landmarks([sc.Segment("double", 2.0), sc.Segment("stance", 1.4, "left", 8.0),
                              sc.Segment("double", 1.0)], fps=30)
    a = analyze(as_model(series, "synthetic"), Settings(min_hold_s=2.0))
    (p,) = a.phases
    assert p.finding == "inconclusive" and p.inconclusive_reason.startswith("too short a hold")


def test_an_interval_straddling_the_threshold_is_borderline_not_a_verdict():
    series, _ = sc.landmarks(sc.stance_test(drop_left=4.0, drop_right=0.0), fps=30, noise_px=0.3)
    a = analyze(as_model(with_markers(series), "full"))
    left = next(p for p in a.phases if p.stance == "left")
    lo, hi = left.drop_interval_deg
    assert lo < 4.0 <= hi
    assert left.finding == "inconclusive" and "close to the 4 deg threshold" in left.inconclusive_reason


@pytest.mark.parametrize("read, thigh", [(-10.0, 30.0), (0.0, 30.0), (2.0, 45.0), (6.0, 10.0)])
def test_the_landmark_interval_holds_every_drop_the_bounds_allow(read, thigh):
    """Any true drop D and (gain, bias) inside the bounds reads as ``read`` only if D lies in
    the interval that ``read`` gives: the interval is the whole set, corners included."""
    lo, hi = MEDIAPIPE.drops(read, read, thigh)
    b_lo = MEDIAPIPE.bias_lo_deg + MEDIAPIPE.bias_lo_per_thigh_deg * thigh
    for g in np.linspace(MEDIAPIPE.gain_lo, MEDIAPIPE.gain_hi, 7):
        for b in np.linspace(b_lo, MEDIAPIPE.bias_hi_deg, 7):
            d = (read - b) / g
            assert lo - 1e-9 <= d <= hi + 1e-9
    assert math.isclose(min((read - b) / g for g in (MEDIAPIPE.gain_lo, MEDIAPIPE.gain_hi)
                            for b in (b_lo, MEDIAPIPE.bias_hi_deg)), lo)


def test_a_swung_leg_may_hike_the_pelvis_beyond_the_clinical_limit_when_read_by_markers():
    """Markers on a pelvis hiking 26 deg with the thigh raised high (a leg swung out): a real
    hike, read as one; the same reading from the pose model's hip points is not a result."""
    from hipdrop.core.verdict import SWING_LIMIT_DEG, plausible_limit

    series, _ = sc.landmarks(sc.stance_test(drop_left=-26.0, drop_right=0.0), fps=30)
    a = analyze(as_model(with_markers(series), "full"))
    left = next(p for p in a.phases if p.stance == "left")
    assert left.obliquity_source == "markers" and left.thigh_elevation_deg < 50
    assert left.implausible  # the scripted lift is a clinical one: 26 deg is beyond a pelvis
    swung = dataclasses.replace(left, thigh_elevation_deg=70.0)
    assert plausible_limit(swung, a.settings) == SWING_LIMIT_DEG
    assert plausible_limit(dataclasses.replace(swung, obliquity_source="landmarks"),
                           a.settings) == a.settings.max_plausible_drop_deg
