"""A scripted person as landmark streams with known truth: the geometry's test bench.

A stick figure in the body frame (metres; X the person's left, Y up, Z toward the camera) is
posed from a script of segments (double stance, single-leg stance with a pelvic drop and a
trunk lean, abduction reps standing or lying on a side), projected by a camera with roll onto
an image of any size, and given pixel noise and gaps. The truth of every frame comes with it.
Unlike a rendered person (``hipdrop synth``), the hip landmarks here sit exactly on the true hip
joints, so the tests measure hipdrop's arithmetic, not the pose model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from hipdrop.core.landmarks import LandmarkSeries

THIGH, SHANK, HALF_PELVIS, TRUNK = 0.45, 0.45, 0.10, 0.50
HIP_HEIGHT = 0.95
RAMP_S = 0.4  # time to lift or lower a foot, s
# The lifted leg in a stance test: the foot clearly off the floor, as the test asks.
STANCE_HIP_FLEXION, STANCE_KNEE_FLEXION = 45.0, 90.0


@dataclass(frozen=True)
class Segment:
    """One part of a script.

    kind: "double" (both feet down), "stance" (standing on ``side``, the other foot lifted with
    hip flexion 45 deg and knee flexion 90 deg), "abduction" (standing, leg ``side`` lifted
    sideways ``reps`` times to ``peak_deg``), "lying" (lying on the side opposite ``side``,
    facing the camera, top leg ``side`` lifted ``reps`` times), "hold" (leg ``side`` lifted
    sideways to ``peak_deg`` and held).
    ``drop_deg``: true contralateral pelvic drop in a stance; ``lean_deg``: trunk lean toward
    the stance side.
    """

    kind: str
    duration_s: float
    side: str = "left"
    drop_deg: float = 0.0
    lean_deg: float = 0.0
    reps: int = 0
    peak_deg: float = 35.0


@dataclass(frozen=True)
class Camera:
    """Pinhole-free camera: a scale, an in-plane roll and a frame size.

    ``facing``: "camera" (the person's left on the image's right) or "away".
    """

    width: int = 1280
    height: int = 720
    px_per_m: float = 330.0
    roll_deg: float = 0.0
    facing: str = "camera"


@dataclass
class ScriptTruth:
    """Per-frame truth (T,) arrays and the scripted events."""

    t: np.ndarray
    obliquity_deg: np.ndarray  # of the true hip joints as projected, degrees
    stance: np.ndarray  # "none"/"left"/"right"
    cpd_deg: np.ndarray  # true drop within stance phases, NaN outside
    abduction_deg: np.ndarray  # (T, 2) true abduction left, right
    phases: list[dict] = field(default_factory=list)  # stance, start_s, end_s, drop_deg
    reps: list[dict] = field(default_factory=list)  # leg, start_s, end_s, peak_deg


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _envelope(tau: np.ndarray, duration: float) -> np.ndarray:
    """0 -> 1 over RAMP_S, 1, then 1 -> 0 over the last RAMP_S of a segment."""
    return _smoothstep(tau / RAMP_S) * _smoothstep((duration - tau) / RAMP_S)


def _rep_profile(tau: np.ndarray, duration: float, reps: int) -> tuple[np.ndarray, list]:
    """Raised-cosine bumps, one per rep, each filling 70% of its slot; and their intervals."""
    slot = duration / max(reps, 1)
    k = np.floor(tau / slot)
    phase = (tau - k * slot) / (0.7 * slot)
    bump = np.where((phase >= 0) & (phase <= 1), 0.5 - 0.5 * np.cos(2 * np.pi * phase), 0.0)
    bump = np.where(k < reps, bump, 0.0)
    intervals = [(i * slot, i * slot + 0.7 * slot) for i in range(reps)]
    return bump, intervals


def _rot_x(a: np.ndarray) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([o, z, z], -1), np.stack([z, c, -s], -1), np.stack([z, s, c], -1)], -2)


def _rot_z(a: np.ndarray) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1), np.stack([z, z, o], -1)], -2)


def _leg(hip: np.ndarray, outward: float, abduction: np.ndarray, flexion: np.ndarray,
         knee: np.ndarray) -> tuple[np.ndarray, ...]:
    """Knee, ankle, heel, toe (T, 3) of a leg from its hip (T, 3) and angles (T,) in radians.

    ``outward`` is +1 for the left leg (abduction toward +X), -1 for the right.
    """
    down = np.array([0.0, -1.0, 0.0])
    r_thigh = _rot_z(outward * abduction) @ _rot_x(flexion)  # flex forward (+Z), then abduct
    thigh = np.einsum("tij,j->ti", r_thigh, down)
    shank = np.einsum("tij,tjk,k->ti", r_thigh, _rot_x(-knee), down)
    k = hip + THIGH * thigh
    a = k + SHANK * shank
    heel = a + np.einsum("tij,j->ti", r_thigh, np.array([0.0, -0.05, -0.05]))
    toe = a + np.einsum("tij,j->ti", r_thigh, np.array([0.0, -0.07, 0.15]))
    return k, a, heel, toe


def pose_script(segments: list[Segment], fps: float) -> tuple[np.ndarray, ScriptTruth, np.ndarray]:
    """Pose the stick figure for each frame of ``segments``.

    Returns
    -------
    body : (T, 33, 3) ndarray, metres in the body frame (X left, Y up, Z toward the camera).
    truth : ScriptTruth, with obliquity in the body frame (set again after projection).
    lying : (T,) ndarray, radians of whole-body rotation in the image plane (0 standing).
    """
    total = sum(s.duration_s for s in segments)
    t = np.arange(round(total * fps)) / fps
    n = len(t)
    drop = np.zeros(n)  # signed pelvis rotation (+: right hip lower), radians
    lean = np.zeros(n)  # trunk lean toward +X (person's left), radians
    lift = np.zeros((n, 2))  # flexion-lift amount of each leg, 0..1
    abd = np.zeros((n, 2))  # abduction of each leg, radians
    lying = np.zeros(n)
    pivot = np.zeros(n, dtype=int)  # 0: pelvis rotates about the left hip, 1: the right
    stance = np.array(["none"] * n, dtype=object)
    truth_phases, truth_reps = [], []
    start = 0.0
    for seg in segments:
        m = (t >= start - 1e-9) & (t < start + seg.duration_s - 1e-9)
        tau = t[m] - start
        leg = 0 if seg.side == "left" else 1
        other = 1 - leg
        if seg.kind == "stance":
            env = _envelope(tau, seg.duration_s)
            sign = 1.0 if seg.side == "left" else -1.0  # left stance: right hip drops (+)
            drop[m] = sign * np.radians(seg.drop_deg) * env
            lean[m] = sign * np.radians(seg.lean_deg) * env
            lift[m, other] = env
            pivot[m] = leg
            lifted = env > 0.25  # the foot is clearly off the ground
            stance[np.flatnonzero(m)[lifted]] = seg.side
            t_up = tau[lifted]
            truth_phases.append({"stance": seg.side, "start_s": start + float(t_up[0]),
                                 "end_s": start + float(t_up[-1]), "drop_deg": seg.drop_deg})
        elif seg.kind in ("abduction", "lying", "hold"):
            if seg.kind == "hold":
                bump, intervals = _envelope(tau, seg.duration_s), [(0.0, seg.duration_s)]
            else:
                bump, intervals = _rep_profile(tau, seg.duration_s, seg.reps)
            abd[m, leg] = np.radians(seg.peak_deg) * bump
            pivot[m] = other
            if seg.kind == "lying":
                # Lying on the other side: the body axis horizontal, the top leg up in the image.
                lying[m] = np.radians(90.0 if seg.side == "left" else -90.0)
            for a, b in intervals:
                truth_reps.append({"leg": seg.side, "start_s": start + a, "end_s": start + b,
                                   "peak_deg": seg.peak_deg})
        start += seg.duration_s

    body = np.zeros((n, 33, 3))
    pelvis_dir = np.stack([np.cos(drop), np.sin(drop), np.zeros(n)], -1)  # from right to left hip
    fixed = np.where(pivot == 0, 1.0, -1.0)[:, None] * HALF_PELVIS
    fixed_hip = np.stack([fixed[:, 0], np.full(n, HIP_HEIGHT), np.zeros(n)], -1)
    centre = fixed_hip - np.where(pivot == 0, 1.0, -1.0)[:, None] * HALF_PELVIS * pelvis_dir
    hip_l = centre + HALF_PELVIS * pelvis_dir
    hip_r = centre - HALF_PELVIS * pelvis_dir
    trunk = np.stack([np.sin(lean), np.cos(lean), np.zeros(n)], -1)
    neck = centre + TRUNK * trunk
    shoulder_dir = np.stack([np.cos(lean), -np.sin(lean), np.zeros(n)], -1)
    body[:, 11], body[:, 12] = neck + 0.18 * shoulder_dir, neck - 0.18 * shoulder_dir
    body[:, 23], body[:, 24] = hip_l, hip_r
    flex, knee = np.radians(STANCE_HIP_FLEXION) * lift, np.radians(STANCE_KNEE_FLEXION) * lift
    for side, idx, hip in ((0, (25, 27, 29, 31), hip_l), (1, (26, 28, 30, 32), hip_r)):
        outward = 1.0 if side == 0 else -1.0
        for j, p in zip(idx, _leg(hip, outward, abd[:, side], flex[:, side], knee[:, side]),
                        strict=True):
            body[:, j] = p
    # Arms hang, head above the neck: not measured, but a complete 33-point pose.
    for s_idx, e_idx, w_idx, sgn in ((11, 13, 15, 1.0), (12, 14, 16, -1.0)):
        body[:, e_idx] = body[:, s_idx] + np.array([0.05 * sgn, -0.28, 0.0])
        body[:, w_idx] = body[:, e_idx] + np.array([0.02 * sgn, -0.26, 0.05])
        body[:, w_idx + 2] = body[:, w_idx + 4] = body[:, w_idx + 6] = body[:, w_idx] + [0, -0.05, 0]
    head = neck + 0.25 * trunk
    body[:, 0:11] = head[:, None, :] + np.array(
        [[0, 0, 0.1], [0.03, 0.03, 0.08], [0.04, 0.03, 0.08], [0.05, 0.03, 0.07],
         [-0.03, 0.03, 0.08], [-0.04, 0.03, 0.08], [-0.05, 0.03, 0.07], [0.08, 0.0, 0.0],
         [-0.08, 0.0, 0.0], [0.02, -0.05, 0.09], [-0.02, -0.05, 0.09]])
    cpd = np.where(stance == "none", np.nan,
                   np.degrees(drop) * np.where(stance == "left", 1.0, -1.0))
    truth = ScriptTruth(t, np.degrees(drop), stance, cpd, np.degrees(abd), truth_phases, truth_reps)
    return body, truth, lying


def project(body: np.ndarray, camera: Camera, lying: np.ndarray | None = None) -> np.ndarray:
    """(T, 33, 2) pixel coordinates of ``body`` (T, 33, 3) seen by ``camera``.

    The figure is centred in the frame at ``px_per_m`` pixels a metre, turned by ``lying``
    (T,) radians in the image plane, then the camera rolls by ``roll_deg`` (positive:
    the image turns clockwise, so a level line appears to slope down to the right).
    """
    x = body[..., 0] if camera.facing == "camera" else -body[..., 0]
    y = -(body[..., 1] - 0.9)  # image y points down; centre the body vertically
    if lying is not None:
        c, s = np.cos(lying)[:, None], np.sin(lying)[:, None]
        x, y = c * x - s * y, s * x + c * y
    r = np.radians(camera.roll_deg)
    xr = np.cos(r) * x - np.sin(r) * y
    yr = np.sin(r) * x + np.cos(r) * y
    return np.stack([camera.width / 2 + camera.px_per_m * xr,
                     camera.height / 2 + camera.px_per_m * yr], -1)


def landmarks(segments: list[Segment], camera: Camera | None = None, fps: float = 30.0,
              noise_px: float = 0.0, gaps: Sequence[tuple[float, float]] = (), seed: int = 0,
              visibility: float = 0.99) -> tuple[LandmarkSeries, ScriptTruth]:
    """A LandmarkSeries of the scripted person and its truth.

    ``noise_px``: SD of Gaussian noise added to image x and y (world noise scaled alike);
    ``gaps``: (start_s, end_s) intervals with no pose (NaN rows).
    """
    camera = camera or Camera()
    rng = np.random.default_rng(seed)
    body, truth, lying = pose_script(segments, fps)
    xy = project(body, camera, lying)
    true_left, true_right = xy[:, 23], xy[:, 24]
    from hipdrop.core.kinematics import obliquity_deg

    truth.obliquity_deg = obliquity_deg(true_left, true_right)
    n = len(truth.t)
    image = np.empty((n, 33, 4))
    image[..., :2] = xy + rng.normal(0.0, noise_px, xy.shape)
    image[..., 2] = -body[..., 2]
    image[..., 3] = visibility
    # World landmarks: metres, origin between the hips, y down, axes as the camera sees them.
    world = np.empty((n, 33, 3))
    metres = (xy - xy[:, [23, 24]].mean(axis=1, keepdims=True)) / camera.px_per_m
    world[..., :2] = metres + rng.normal(0.0, noise_px / camera.px_per_m, metres.shape)
    world[..., 2] = -body[..., 2]
    for a, b in gaps:
        cut = (truth.t >= a) & (truth.t < b)
        image[cut] = np.nan
        world[cut] = np.nan
    return LandmarkSeries(image, world, truth.t, camera.width, camera.height, fps,
                          "scripted"), truth


def stance_test(drop_left: float = 7.0, drop_right: float = 0.0, hold_s: float = 10.0,
                lean_left: float = 0.0, lean_right: float = 0.0) -> list[Segment]:
    """The self-test: both feet, stand on the left leg, both feet, stand on the right leg."""
    return [Segment("double", 3.0), Segment("stance", hold_s, "left", drop_left, lean_left),
            Segment("double", 2.0), Segment("stance", hold_s, "right", drop_right, lean_right),
            Segment("double", 2.0)]


def sample_session() -> list[Segment]:
    """The bundled example: a stance test with a 7 deg drop standing on the left leg and none
    on the right, then 3 standing abduction reps with each leg."""
    return [*stance_test(drop_left=7.0, drop_right=0.0, hold_s=8.0),
            Segment("abduction", 6.0, "right", reps=3, peak_deg=35.0), Segment("double", 1.0),
            Segment("abduction", 6.0, "left", reps=3, peak_deg=35.0), Segment("double", 1.0)]


def main(argv: list[str] | None = None) -> int:
    """``python -m hipdrop.testing.scripted OUT.npz``: write the sample session's landmarks."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m hipdrop.testing.scripted", description=main.__doc__)
    parser.add_argument("out", help="landmarks .npz to write")
    parser.add_argument("--fps", type=float, default=15.0)
    parser.add_argument("--noise-px", type=float, default=1.5)
    args = parser.parse_args(argv)
    series, _ = landmarks(sample_session(), Camera(width=960, height=540, px_per_m=250.0),
                          fps=args.fps, noise_px=args.noise_px, seed=7)
    series.model = "scripted"
    series.save(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
