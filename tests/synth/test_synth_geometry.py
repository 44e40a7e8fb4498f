"""Pure geometry of the synth package: truth formulas, camera, rasteriser, timelines.

These need neither torch nor anny.
"""

from __future__ import annotations

import numpy as np
import pytest

from hipdrop.synth.camera import Camera
from hipdrop.synth.raster import rasterise
from hipdrop.synth.timeline import Timeline
from hipdrop.synth.truth import midline_abduction_deg, obliquity_deg, trunk_lean_deg


def test_obliquity_sign_and_mirror_invariance():
    # Front view: the person's left hip is on the image's right.
    left, right = np.array([300.0, 500.0]), np.array([200.0, 510.0])
    assert obliquity_deg(left, right) == pytest.approx(np.degrees(np.arctan2(10, 100)))
    # Seen from behind (x mirrored), the same tilt reads the same.
    mirrored = obliquity_deg(left * [-1, 1], right * [-1, 1])
    assert mirrored == pytest.approx(obliquity_deg(left, right))


def test_midline_abduction_ignores_pelvis_tilt():
    sh_l, sh_r = np.array([120.0, 0.0]), np.array([80.0, 0.0])
    # Pelvis tilted (left hip higher) but both legs parallel to the midline.
    hip_l, hip_r = np.array([110.0, 95.0]), np.array([90.0, 105.0])
    down = np.array([0.0, 80.0])
    al, ar = midline_abduction_deg(sh_l, sh_r, hip_l, hip_r, hip_l + down, hip_r + down)
    assert al == pytest.approx(0.0, abs=1e-9) and ar == pytest.approx(0.0, abs=1e-9)
    a = np.radians(30)
    al, ar = midline_abduction_deg(
        sh_l,
        sh_r,
        hip_l,
        hip_r,
        hip_l + 80 * np.array([np.sin(a), np.cos(a)]),
        hip_r + 80 * np.array([-np.sin(a), np.cos(a)]),
    )
    assert al == pytest.approx(30.0) and ar == pytest.approx(30.0)


def test_trunk_lean_sign_toward_side():
    hip_l, hip_r = np.array([110.0, 100.0]), np.array([90.0, 100.0])
    # Shoulders shifted toward image right = the person's left (front view).
    sh_l, sh_r = np.array([130.0, 0.0]), np.array([90.0, 0.0])
    toward_left = trunk_lean_deg(sh_l, sh_r, hip_l, hip_r, "left")
    assert toward_left == pytest.approx(np.degrees(np.arctan2(10, 100)))
    assert trunk_lean_deg(sh_l, sh_r, hip_l, hip_r, "right") == pytest.approx(-toward_left)


def _cam(roll: float = 0.0) -> Camera:
    return Camera(
        distance_m=3.0,
        height_m=0.9,
        target_height_m=0.9,
        roll_deg=roll,
        focal_px=1000.0,
        width=400,
        height=600,
    )


def test_camera_projects_centre_and_sides():
    cam = _cam()
    xy, z = cam.project(np.array([[0.0, 0.0, 0.9], [0.3, 0.0, 0.9], [0.0, 0.0, 1.2]]))
    assert xy[0] == pytest.approx([200.0, 300.0])
    assert z[0] == pytest.approx(3.0)
    assert xy[1, 0] == pytest.approx(300.0)  # +X (the subject's left) is image right
    assert xy[2, 1] == pytest.approx(200.0)  # up is image up


@pytest.mark.parametrize("roll", [-5.0, 3.0, 10.0])
def test_camera_roll_turns_level_line(roll):
    cam = _cam(roll)
    xy, _ = cam.project(np.array([[0.1, 0.0, 0.9], [-0.1, 0.0, 0.9]]))
    # A level line through the subject's hips reads obliquity -roll.
    assert obliquity_deg(xy[0], xy[1]) == pytest.approx(-roll, abs=1e-6)


def test_rasterise_covers_triangle_area_and_depth_order():
    # Two squares (two triangles each), the nearer one half covering the farther.
    def square(x0, y0, s):
        return np.array([[x0, y0], [x0 + s, y0], [x0 + s, y0 + s], [x0, y0 + s]], float)

    xy = np.vstack([square(10, 10, 40), square(30, 10, 40)])
    depth = np.array([2.0] * 4 + [1.0] * 4)
    # Counter-clockwise as seen by the camera = negative area with y down.
    faces = np.array([[0, 2, 1], [0, 3, 2], [4, 6, 5], [4, 7, 6]])
    r = rasterise(xy, depth, faces, 80, 60)
    assert r.mask.sum() == 40 * 40 + 20 * 40
    assert np.all(r.face[10:50, 30:70] >= 2)  # the near square wins where they overlap
    assert np.all(np.isin(r.face[10:50, 10:30], [0, 1]))
    assert r.depth[20, 40] == pytest.approx(1.0)
    # The same faces wound the other way are culled.
    assert not rasterise(xy, depth, faces[:, ::-1], 80, 60).mask.any()


def test_timeline_ramps_and_foot_intervals():
    tl = Timeline(duration_s=4.0)
    tl.ramp("hip_flex_right", 1.0, 2.0, 30.0)
    tl.ramp("hip_flex_right", 3.0, 3.5, 0.0)
    tl.lifted.append(("right", 1.0, 3.5))
    t = np.array([0.0, 1.0, 1.5, 2.5, 3.5, 3.9])
    v = tl.track("hip_flex_right").value(t)
    assert v.tolist() == pytest.approx([0.0, 0.0, 15.0, 30.0, 0.0, 0.0])
    poses = tl.poses(t)
    assert [p.planted for p in poses] == ["both", "both", "left", "left", "both", "both"]
    with pytest.raises(ValueError):
        tl.ramp("hip_flex_right", 0.5, 1.0, 5.0)
