"""A scripted person squatting or bumping a hip to a wall, as landmark streams with known truth.

The stick figure of :mod:`hipdrop.testing.scripted` (body frame, metres: X the person's left,
Y up, Z toward the camera), projected by its :class:`~hipdrop.testing.scripted.Camera`. The
feet stay planted; the pelvis moves as scripted, so the geometry of
:mod:`hipdrop.core.squat` and :mod:`hipdrop.core.bump` is checked exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hipdrop.core.landmarks import LandmarkSeries
from hipdrop.testing.scripted import HALF_PELVIS, SHANK, THIGH, TRUNK, Camera, project
from hipdrop.testing.scripted import _smoothstep as smoothstep

STAND_S, REP_S, REST_S = 1.5, 2.0, 1.0
RAMP_S = 0.75  # down (and up) in 0.75 s, 0.5 s held at the bottom
FOOT_HALF = 0.17  # ankles 34 cm apart: a little wider than the hips (20 cm)
ANKLE_Y = 0.08


@dataclass
class SquatTruth:
    """The scripted events: each rep's (start_s, bottom_s, end_s), the shift (% hip width, +
    toward the left), the depth (knee flexion, deg) and the lean (deg, + left) at its bottom."""

    t: np.ndarray
    reps: list[tuple[float, float, float]] = field(default_factory=list)
    shift_pct: float = 0.0
    depth_deg: float = 0.0
    lean_deg: float = 0.0


def _bumps(t: np.ndarray, reps: int) -> tuple[np.ndarray, list[tuple[float, float, float]]]:
    """(T,) 0..1 envelope, one per rep (eased down over ``RAMP_S``, held ``HOLD_S`` at the
    bottom, eased up), with rests between; and the reps (start, bottom's middle, end)."""
    env = np.zeros_like(t)
    out = []
    for i in range(reps):
        a = STAND_S + i * (REP_S + REST_S)
        env = np.maximum(env, smoothstep((t - a) / RAMP_S) * smoothstep((a + REP_S - t) / RAMP_S))
        out.append((a, a + REP_S / 2, a + REP_S))
    return env, out


def _figure(n: int) -> np.ndarray:
    body = np.zeros((n, 33, 3))
    body[:, 27] = (FOOT_HALF, ANKLE_Y, 0.0)
    body[:, 28] = (-FOOT_HALF, ANKLE_Y, 0.0)
    for ankle, heel, toe in ((27, 29, 31), (28, 30, 32)):
        body[:, heel] = body[:, ankle] + (0.0, -0.05, -0.05)
        body[:, toe] = body[:, ankle] + (0.0, -0.07, 0.15)
    return body


def _upper_body(body: np.ndarray, centre: np.ndarray, lean: np.ndarray) -> None:
    """Shoulders, arms and head above the mid-hip ``centre`` (T, 3), leaning ``lean`` rad."""
    trunk = np.stack([np.sin(lean), np.cos(lean), np.zeros_like(lean)], -1)
    across = np.stack([np.cos(lean), -np.sin(lean), np.zeros_like(lean)], -1)
    neck = centre + TRUNK * trunk
    body[:, 11], body[:, 12] = neck + 0.18 * across, neck - 0.18 * across
    for s, e, w, sgn in ((11, 13, 15, 1.0), (12, 14, 16, -1.0)):
        body[:, e] = body[:, s] + np.array([0.05 * sgn, -0.28, 0.0])
        body[:, w] = body[:, e] + np.array([0.02 * sgn, -0.26, 0.05])
        body[:, w + 2] = body[:, w + 4] = body[:, w + 6] = body[:, w] + [0, -0.05, 0]
    body[:, 0:11] = (neck + 0.25 * trunk)[:, None, :]


def _series(body: np.ndarray, t: np.ndarray, camera: Camera, fps: float, noise_px: float,
            seed: int) -> LandmarkSeries:
    rng = np.random.default_rng(seed)
    xy = project(body, camera)
    n = len(t)
    image = np.empty((n, 33, 4))
    image[..., :2] = xy + rng.normal(0.0, noise_px, xy.shape)
    image[..., 2] = -body[..., 2]
    image[..., 3] = 0.99
    # World landmarks: metres, origin between the hips, y down, x as the camera sees it.
    world = np.empty((n, 33, 3))
    sign = 1.0 if camera.facing == "camera" else -1.0
    mid = body[:, [23, 24]].mean(axis=1, keepdims=True)
    world[..., 0] = sign * (body[..., 0] - mid[..., 0])
    world[..., 1] = -(body[..., 1] - mid[..., 1])
    world[..., 2] = -body[..., 2]
    return LandmarkSeries(image, world, t, camera.width, camera.height, fps, "scripted")


def squats(reps: int = 3, shift_pct: float = 0.0, depth_deg: float = 90.0,
           valgus_left_m: float = 0.0, lean_deg: float = 0.0, camera: Camera | None = None,
           fps: float = 30.0, noise_px: float = 0.0, seed: int = 0
           ) -> tuple[LandmarkSeries, SquatTruth]:
    """``reps`` squats to ``depth_deg`` of knee flexion, the pelvis moving ``shift_pct`` % of
    the hip width toward the person's left at the bottom (the feet still), the trunk leaning
    ``lean_deg`` toward the left, the left knee ``valgus_left_m`` toward the midline.

    Sagittal geometry: the shank tilts forward by a third of the knee flexion, the thigh back
    by two thirds, so the flexion is exactly their sum; the knees sit on the frontal line from
    their hip to their ankle, so the frontal projection is straight unless ``valgus_left_m``.
    """
    camera = camera or Camera()
    t = np.arange(round((STAND_S + reps * (REP_S + REST_S) + 0.5) * fps)) / fps
    env, windows = _bumps(t, reps)
    k = np.radians(depth_deg) * env
    a, b = k / 3.0, 2.0 * k / 3.0
    body = _figure(len(t))
    d = shift_pct / 100.0 * (2 * HALF_PELVIS) * env
    for side, (hip, knee, ankle) in ((1.0, (23, 25, 27)), (-1.0, (24, 26, 28))):
        an = body[:, ankle]
        ky = an[:, 1] + SHANK * np.cos(a)
        kz = an[:, 2] + SHANK * np.sin(a)
        hy = ky + THIGH * np.cos(b)
        hz = kz - THIGH * np.sin(b)
        hx = side * HALF_PELVIS + d
        kx = an[:, 0] + (hx - an[:, 0]) * (ky - an[:, 1]) / (hy - an[:, 1])
        if side > 0:
            kx = kx - valgus_left_m * env
        body[:, hip] = np.stack([hx, hy, hz], -1)
        body[:, knee] = np.stack([kx, ky, kz], -1)
    centre = body[:, [23, 24]].mean(axis=1)
    _upper_body(body, centre, np.radians(lean_deg) * env)
    series = _series(body, t, camera, fps, noise_px, seed)
    return series, SquatTruth(t, windows, shift_pct, depth_deg, lean_deg)


def hip_bumps(sides: tuple[str, ...] = ("left", "left", "left", "right", "right"),
              shift_pct: float = 40.0, camera: Camera | None = None, fps: float = 30.0,
              noise_px: float = 0.0, seed: int = 0) -> tuple[LandmarkSeries, list[str]]:
    """Hip bumps toward each side of ``sides`` in turn: the pelvis pushed ``shift_pct`` % of
    the hip width sideways and back, feet planted, standing straight. Returns the series and
    the sides bumped."""
    camera = camera or Camera()
    t = np.arange(round((STAND_S + len(sides) * (REP_S + REST_S) + 0.5) * fps)) / fps
    env, _ = _bumps(t, len(sides))
    sign = np.zeros_like(t)
    for i, side in enumerate(sides):
        a = STAND_S + i * (REP_S + REST_S)
        sign[(t >= a) & (t <= a + REP_S)] = 1.0 if side == "left" else -1.0
    d = shift_pct / 100.0 * (2 * HALF_PELVIS) * env * sign
    body = _figure(len(t))
    leg = THIGH + SHANK
    for outward, (hip, knee, ankle) in ((1.0, (23, 25, 27)), (-1.0, (24, 26, 28))):
        hx = outward * HALF_PELVIS + d
        an = body[:, ankle]
        dx = hx - an[:, 0]
        hy = an[:, 1] + np.sqrt(leg ** 2 - dx ** 2)
        body[:, hip] = np.stack([hx, hy, np.zeros_like(t)], -1)
        body[:, knee] = 0.5 * (body[:, hip] + an)
    _upper_body(body, body[:, [23, 24]].mean(axis=1), np.zeros_like(t))
    return _series(body, t, camera, fps, noise_px, seed), list(sides)


__all__ = ["SquatTruth", "hip_bumps", "squats"]
