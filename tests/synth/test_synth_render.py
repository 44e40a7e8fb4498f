"""The renderer against its own truth, with the real anny body (skipped without it).

Small resolutions keep the whole module to well under a minute once anny's cache exists.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("torch", reason="the synth renderer needs torch: pip install 'hipdrop[synth]'")
pytest.importorskip("anny", reason="the synth renderer needs anny: pip install 'hipdrop[synth]'")

import cv2

from hipdrop.synth import ScenarioSettings, SynthSpec, iter_frames, render
from hipdrop.synth.body import PRESETS, body_for
from hipdrop.synth.camera import Camera
from hipdrop.synth.frame import FrameRenderer
from hipdrop.synth.render import build_scene, compute_truth
from hipdrop.synth.rig import PoseParams, pose_body
from hipdrop.synth.scene import vertex_area
from hipdrop.synth.truth import foot_clearance_m, obliquity_deg, waist_vertices

SMALL = {"width": 270, "height": 480}


@pytest.fixture(scope="module")
def body():
    return body_for(PRESETS["female"])


def _camera(roll: float = 0.0) -> Camera:
    return Camera(
        distance_m=3.0,
        height_m=0.9,
        target_height_m=0.9,
        roll_deg=roll,
        focal_px=600.0,
        width=270,
        height=480,
    )


def _single_stance(drop: float, stance: str = "left") -> PoseParams:
    lifted = "right" if stance == "left" else "left"
    sign = 1.0 if stance == "left" else -1.0
    return PoseParams(pelvis_drop_deg=sign * drop, planted=stance).with_side(
        lifted, hip_flex=35.0, knee_flex=75.0
    )


def _hips_px(body, posed, cam):
    lm = body.landmarks(posed)
    xy, _ = cam.project(np.stack([lm[23], lm[24]]))
    return xy[0], xy[1]


@pytest.mark.parametrize("stance", ["left", "right"])
def test_true_obliquity_equals_posed_drop_without_roll(body, stance):
    cam = _camera()
    for drop in (-6.0, 0.0, 4.0, 10.0):
        p = _single_stance(drop, stance)
        left, right = _hips_px(body, pose_body(body, p), cam)
        assert obliquity_deg(left, right) == pytest.approx(p.pelvis_drop_deg, abs=0.5)


@pytest.mark.parametrize("roll", [-4.0, 6.0])
def test_true_obliquity_follows_camera_roll(body, roll):
    for drop in (0.0, 8.0):
        p = _single_stance(drop)
        posed = pose_body(body, p)
        level = obliquity_deg(*_hips_px(body, posed, _camera()))
        rolled = obliquity_deg(*_hips_px(body, posed, _camera(roll)))
        assert rolled - level == pytest.approx(-roll, abs=0.3)


def test_waist_skin_tracks_the_drop(body):
    """SYNTH-NOTES.md's rig check: with the trunk counter-rotated at spine03, the skin at
    iliac-crest height tilts with the pelvis (slope >= 0.7 per degree)."""
    cam = _camera()
    left_ix, right_ix = waist_vertices(body)
    drops = np.array([-10.0, -5.0, 0.0, 5.0, 10.0])
    skin = []
    for d in drops:
        v = pose_body(body, _single_stance(d)).vertices
        xy, _ = cam.project(np.stack([v[left_ix].mean(0), v[right_ix].mean(0)]))
        skin.append(obliquity_deg(xy[0], xy[1]))
    slope = np.polyfit(drops, np.array(skin), 1)[0]
    assert slope >= 0.7


def test_stance_foot_stays_planted_and_lifted_foot_clears(body):
    rest = foot_clearance_m(body, pose_body(body, PoseParams()))
    assert rest["left"] == pytest.approx(0.0, abs=2e-3)
    for drop in (0.0, 10.0):
        posed = pose_body(body, _single_stance(drop, "left"))
        c = foot_clearance_m(body, posed)
        assert c["left"] == pytest.approx(0.0, abs=5e-3)
        assert c["right"] > 0.1  # flexed lift: hip 35, knee 75 deg
        assert body.joint(posed, "foot.L") == pytest.approx(
            body.joint(pose_body(body, PoseParams()), "foot.L"), abs=1e-6
        )


def test_projected_joints_fall_inside_the_silhouette():
    spec = SynthSpec(ScenarioSettings("stance", hold_s=0.5), fps=5, **SMALL)
    scene = build_scene(spec)
    renderer = FrameRenderer(
        scene.camera,
        scene.room,
        np.random.default_rng(0),
        vertex_area(scene.body.rest.vertices, scene.body.faces),
    )
    poses = scene.script.timeline.poses(scene.times)
    checked = 0
    for i in range(0, len(poses), 4):
        posed = pose_body(scene.body, poses[i])
        renderer.render(posed.vertices, scene.body.faces, scene.painter)
        lm = scene.body.landmarks(posed)
        xy, _ = scene.camera.project(np.stack([lm[k] for k in (23, 24, 25, 26, 27, 28)]))
        px = np.floor(xy).astype(int)
        assert renderer.last_mask[px[:, 1], px[:, 0]].all(), f"frame {i}"
        checked += 1
    assert checked >= 5


def _frames(spec, n):
    out = []
    for i, (frame, _) in enumerate(iter_frames(spec)):
        out.append(frame)
        if i + 1 == n:
            break
    return out


def test_same_seed_same_frames_other_seed_differs():
    spec = SynthSpec(
        ScenarioSettings("stance"), seed=7, body="random", background="random", max_frames=40, fps=10, **SMALL
    )
    a, b = _frames(spec, 3), _frames(spec, 3)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    c = _frames(
        SynthSpec(
            ScenarioSettings("stance"),
            seed=8,
            body="random",
            background="random",
            max_frames=40,
            fps=10,
            **SMALL,
        ),
        3,
    )
    assert not np.array_equal(a[0], c[0])


def test_stance_truth_matches_script():
    spec = SynthSpec(
        ScenarioSettings("stance", drop_left_stance_deg=6.0, drop_right_stance_deg=3.0, hold_s=1.0),
        fps=10,
        max_frames=None,
        width=96,
        height=160,
    )
    truth = compute_truth(spec)
    pf = truth.per_frame
    t = np.asarray(pf["t_s"])
    stance = np.array(pf["stance"])
    assert [p["stance"] for p in truth.phases] == ["right", "left"]
    for ph, drop in zip(truth.phases, (3.0, 6.0), strict=True):
        inside = (t > ph["start_s"]) & (t < ph["end_s"])
        assert (stance[inside] == ph["stance"]).all()
        assert ph["drop_deg"] == drop
        full = (t >= ph["full_drop_s"][0]) & (t <= ph["full_drop_s"][1])
        assert np.asarray(pf["cpd_deg"])[full] == pytest.approx(drop)
        sign = 1.0 if ph["stance"] == "left" else -1.0
        assert sign * np.asarray(pf["obliquity_deg"])[full] == pytest.approx(drop, abs=0.5)
    outside = ~np.any([(t > p["start_s"]) & (t < p["end_s"]) for p in truth.phases], axis=0)
    assert (stance[outside] == "none").all()
    assert np.isnan(np.asarray(pf["cpd_deg"], float)[outside]).all()


def test_abduction_reps_match_script():
    spec = SynthSpec(
        ScenarioSettings("abduction-standing", reps=2, peak_deg=35.0), fps=10, width=96, height=160
    )
    truth = compute_truth(spec)
    t = np.asarray(truth.per_frame["t_s"])
    assert [r["leg"] for r in truth.reps] == ["right", "right", "left", "left"]
    for leg in ("left", "right"):
        ab = np.asarray(truth.per_frame[f"abduction_{leg}_deg"])
        in_rep = np.any(
            [(t >= r["start_s"]) & (t <= r["end_s"]) for r in truth.reps if r["leg"] == leg], axis=0
        )
        assert (ab[~in_rep] < 15.0).all()  # down between reps (rest ~5 deg)
        for r in (r for r in truth.reps if r["leg"] == leg):
            # Midline angle: the posed 35 deg plus the rest splay and the trunk lean.
            assert 30.0 <= r["peak_deg"] <= 48.0


def test_side_lying_reps_and_no_stance():
    spec = SynthSpec(
        ScenarioSettings("abduction-side-lying", reps=2, peak_deg=30.0), fps=8, width=160, height=96
    )
    truth = compute_truth(spec)
    assert set(truth.per_frame["stance"]) == {"none"}
    assert [r["leg"] for r in truth.reps] == ["right", "right"]
    assert all(r["peak_deg"] > 20.0 for r in truth.reps)


def test_tiny_render_writes_readable_mp4_and_json(tmp_path):
    spec = SynthSpec(ScenarioSettings("level"), max_frames=5, width=160, height=288)
    truth = render(spec, tmp_path, name="tiny", progress=False)
    cap = cv2.VideoCapture(str(tmp_path / "tiny.mp4"))
    n = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        assert frame.shape == (288, 160, 3)
        n += 1
    cap.release()
    assert n == 5 == truth.frames
    data = json.loads((tmp_path / "tiny.json").read_text())
    assert data["version"] == 1 and data["frames"] == 5 and data["scenario"] == "level"
    for key in (
        "t_s",
        "joints_px",
        "obliquity_deg",
        "pelvis_drop_deg",
        "waist_skin_obliquity_deg",
        "stance",
        "cpd_deg",
        "abduction_left_deg",
        "abduction_right_deg",
        "trunk_lean_deg",
    ):
        assert key in data["per_frame"]
    assert set(data["per_frame"]["joints_px"]) >= {str(i) for i in (11, 12, *range(23, 33))}
    assert len(data["per_frame"]["joints_px"]["23"]) == 5
    assert data["camera"]["focal_px"] > 0


def test_compensated_leans_toward_stance_with_level_pelvis():
    spec = SynthSpec(ScenarioSettings("compensated", lean_deg=10.0, hold_s=1.0), fps=10, width=96, height=160)
    truth = compute_truth(spec)
    t = np.asarray(truth.per_frame["t_s"])
    for ph in truth.phases:
        full = (t >= ph["full_drop_s"][0]) & (t <= ph["full_drop_s"][1])
        assert np.asarray(truth.per_frame["trunk_lean_deg"])[full] == pytest.approx(10.0, abs=1.0)
        assert np.asarray(truth.per_frame["obliquity_deg"])[full] == pytest.approx(0.0, abs=0.5)


def test_hold_interval_and_angle():
    spec = SynthSpec(
        ScenarioSettings("hold", leg="left", hold_angle_deg=20.0, hold_s=2.0), fps=10, width=96, height=160
    )
    truth = compute_truth(spec)
    (hold,) = truth.holds
    assert hold["leg"] == "left" and hold["end_s"] - hold["start_s"] == pytest.approx(2.0)
    t = np.asarray(truth.per_frame["t_s"])
    ab = np.asarray(truth.per_frame["abduction_left_deg"])
    inside = (t >= hold["start_s"]) & (t <= hold["end_s"])
    assert np.ptp(ab[inside]) < 1.0  # held still
    assert ab[inside].min() > 20.0  # posed 20 deg plus the rest splay, against the midline
    assert (np.array(truth.per_frame["stance"])[inside] == "right").all()


def test_cli_writes_what_the_flags_ask(tmp_path):
    import argparse

    from hipdrop.synth import cli

    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    args = parser.parse_args(
        [
            "stance",
            "--out",
            str(tmp_path),
            "--name",
            "c",
            "--drop-left-stance",
            "6",
            "--width",
            "96",
            "--height",
            "160",
            "--fps",
            "5",
            "--max-frames",
            "3",
            "--roll",
            "2",
            "--clothing",
            "band",
            "--body",
            "male",
            "--weight",
            "0.7",
            "--no-progress",
        ]
    )
    assert cli.run(args) == 0
    data = json.loads((tmp_path / "c.json").read_text())
    assert data["frames"] == 3 and (data["width"], data["height"]) == (96, 160)
    assert data["camera"]["roll_deg"] == 2.0
    assert data["params"]["scenario"]["drop_left_stance_deg"] == 6.0
    assert data["params"]["outfit"]["clothing"] == "band"
    assert data["params"]["phenotype"]["weight"] == 0.7
    assert data["params"]["phenotype"]["gender"] == 0.0
    assert (tmp_path / "c.mp4").stat().st_size > 0


def test_cli_rejects_bad_phenotype(tmp_path):
    import argparse

    from hipdrop.errors import SettingsError
    from hipdrop.synth import cli

    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    args = parser.parse_args(["level", "--out", str(tmp_path), "--age", "1.5"])
    with pytest.raises(SettingsError, match="age"):
        cli.run(args)


def test_grid_condition_truth():
    from hipdrop.synth import default_grid, render_condition

    grid = default_grid()
    assert 150 <= len(grid) <= 250
    assert len({c.name for c in grid}) == len(grid)
    cond = next(c for c in grid if c.drop_deg == 6.0 and c.stance == "right")
    truth = render_condition(cond)  # truth only, nothing drawn
    (phase,) = truth.phases
    assert phase["stance"] == "right" and phase["drop_deg"] == 6.0
    assert phase["end_s"] - phase["start_s"] >= 2.0
    assert truth.fps == 10.0 and truth.params["grid_condition"]["roll_deg"] == cond.roll_deg
    t = np.asarray(truth.per_frame["t_s"])
    full = (t >= phase["full_drop_s"][0]) & (t <= phase["full_drop_s"][1])
    assert np.asarray(truth.per_frame["cpd_deg"])[full] == pytest.approx(6.0)
