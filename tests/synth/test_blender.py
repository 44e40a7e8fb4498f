"""The Blender renderer against the synth truth: its camera and mesh must be hipdrop.synth's
exactly, or its clips would validate nothing. One tiny silhouette frame (skipped without
bpy, torch or anny)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch", reason="the synth renderer needs torch: pip install 'hipdrop[synth]'")
pytest.importorskip("anny", reason="the synth renderer needs anny: pip install 'hipdrop[synth]'")
pytest.importorskip("bpy", reason="the Blender renderer needs bpy: pip install 'hipdrop[render]'")

from hipdrop.synth import ScenarioSettings, SynthSpec
from hipdrop.synth.blender import BlenderOptions, BlenderStage, body_region
from hipdrop.synth.frame import FrameRenderer
from hipdrop.synth.render import build_scene, compute_truth
from hipdrop.synth.rig import pose_body
from hipdrop.synth.scene import vertex_area

W, H = 96, 160


def _centroid(weight: np.ndarray) -> np.ndarray:
    """(2,) x, y pixel centroid of an (H, W) weight image (pixel centres at +0.5)."""
    ys, xs = np.mgrid[: weight.shape[0], : weight.shape[1]] + 0.5
    return np.array([(weight * xs).sum(), (weight * ys).sum()]) / weight.sum()


def test_silhouette_and_marker_match_the_synth_camera() -> None:
    # A rolled camera and a dropped pelvis in left stance, so a wrong axis or sign shows.
    spec = SynthSpec(ScenarioSettings("single-stance", drop_left_stance_deg=8.0, baseline_s=0.0),
                     fps=10.0, width=W, height=H, roll_deg=5.0)
    scene = build_scene(spec)
    truth = compute_truth(spec)
    k = len(scene.times) // 2
    posed = pose_body(scene.body, scene.script.timeline.poses(scene.times)[k])
    px, world = truth.per_frame["joints_px"], truth.per_frame["joints_world_m"]
    # Markers on the camera rays through the true pelvis, the left ankle and the right
    # shoulder, 1 m from the camera: each must project onto its truth pixel. The ankle and
    # shoulder are far from the image centre, so a wrong focal length or roll moves them.
    points = {
        "pelvis": ((px["23"][k] + px["24"][k]) / 2.0, (world["23"][k] + world["24"][k]) / 2.0),
        "left ankle": (px["27"][k], world["27"][k]),
        "right shoulder": (px["12"][k], world["12"][k]),
    }
    cam = scene.camera
    markers = []
    for _, p in points.values():
        ray = (p - cam.centre) / np.linalg.norm(p - cam.centre)
        markers.append((np.tile(cam.centre + ray, (len(scene.times), 1)), 0.02, (1.0, 0.0, 0.0)))
    stage = BlenderStage(scene, BlenderOptions(samples=2, denoise=False), markers, silhouette=True)
    try:
        stage.body.hide_render = True
        _, marker_alpha = stage.frame(k, posed.vertices)
        stage.body.hide_render = False
        for obj in stage.extra_objs:
            obj.hide_render = True
        _, body_alpha = stage.frame(k, posed.vertices)
    finally:
        stage.close()
    ys, xs = np.mgrid[:H, :W] + 0.5
    for name, (want, _) in points.items():
        near = (np.hypot(xs - want[0], ys - want[1]) < 10.0) * marker_alpha
        assert near.sum() > 20, f"no {name} marker near its truth pixel"  # a disc ~8 px across
        np.testing.assert_allclose(_centroid(near), want, atol=0.3, err_msg=name)
        marker_alpha = marker_alpha - near
    assert marker_alpha.sum() < 1.0  # nothing drawn anywhere else
    # The body's silhouette is the NumPy renderer's (same mesh, same camera).
    numpy_renderer = FrameRenderer(cam, scene.room, np.random.default_rng(0),
                                   vertex_area(scene.body.rest.vertices, scene.body.faces), 1)
    numpy_renderer.render(posed.vertices, scene.body.faces, scene.painter)
    mask = numpy_renderer.last_mask
    assert mask is not None
    np.testing.assert_allclose(_centroid(body_alpha), _centroid(mask.astype(float)), atol=0.5)
    ours = body_alpha > 0.5
    assert (ours & mask).sum() / (ours | mask).sum() > 0.95


def test_body_region_covers_the_body_and_its_margin() -> None:
    spec = SynthSpec(ScenarioSettings("single-stance", baseline_s=0.0), width=W, height=H)
    scene = build_scene(spec)
    v = pose_body(scene.body, scene.script.timeline.poses(scene.times)[0]).vertices
    region = body_region(scene.camera, v[None])
    assert region is not None
    x0, y0, x1, y1 = region
    xy, _ = scene.camera.project(v)
    assert x0 < xy[:, 0].min() and x1 > xy[:, 0].max() and y0 < xy[:, 1].min()
    assert 0 <= x0 and x1 <= W and 0 <= y0 and y1 <= H
    # A body filling the frame is not worth cropping.
    assert body_region(scene.camera, v[None], margin_m=3.0) is None
