"""Angles and distances of DESIGN.md, vectorised over any leading axes of landmark arrays.

Every function takes arrays shaped ``(..., 33, C)`` (C >= 2, pixels: x right, y down) or
``(..., 2)`` points, and returns ``(...)`` arrays; NaN in, NaN out. No loops over frames.
"""

from __future__ import annotations

import numpy as np

from hipdrop.landmarks import (
    L_ANKLE,
    L_FOOT,
    L_HEEL,
    L_HIP,
    L_KNEE,
    L_SHOULDER,
    R_ANKLE,
    R_FOOT,
    R_HEEL,
    R_HIP,
    R_KNEE,
    R_SHOULDER,
)  # fmt: skip


def obliquity_deg(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Pelvic obliquity theta = atan2(y_R - y_L, |x_L - x_R|), in degrees.

    Parameters
    ----------
    left, right : (..., >=2) ndarray
        The person's left and right hip centres, pixels (x right, y down).

    Returns
    -------
    (...) ndarray, degrees; positive when the person's right hip is lower than the left.

    Examples
    --------
    A person facing the camera (their left hip on the image's right), right hip 10 px lower:

    >>> round(float(obliquity_deg(np.array([200.0, 100.0]), np.array([100.0, 110.0]))), 2)
    5.71
    """
    dy = right[..., 1] - left[..., 1]
    dx = np.abs(left[..., 0] - right[..., 0])
    return np.degrees(np.arctan2(dy, dx))


def midpoint(points: np.ndarray, a: int, b: int) -> np.ndarray:
    """(..., C) midpoint of landmarks ``a`` and ``b`` of ``points`` (..., 33, C)."""
    return 0.5 * (points[..., a, :] + points[..., b, :])


def _left_sign(points: np.ndarray) -> np.ndarray:
    """(...) +1 where the person's left is toward image +x (facing the camera), else -1."""
    return np.where(points[..., L_HIP, 0] >= points[..., R_HIP, 0], 1.0, -1.0)


def trunk_lean_left_deg(points: np.ndarray) -> np.ndarray:
    """Lateral trunk lean: mid-hip -> mid-shoulder from image vertical, + toward the person's left.

    Parameters
    ----------
    points : (..., 33, >=2) ndarray, pixels

    Returns
    -------
    (...) ndarray, degrees in (-180, 180]; 0 for an upright trunk.

    Examples
    --------
    >>> p = np.zeros((33, 2)); p[[23, 24], 1] = 200.0; p[23, 0], p[24, 0] = 110.0, 90.0
    >>> p[[11, 12], 1] = 100.0; p[11, 0], p[12, 0] = 120.0, 100.0  # shoulders 10 px to the left
    >>> round(float(trunk_lean_left_deg(p)), 2)
    5.71
    """
    v = midpoint(points, L_SHOULDER, R_SHOULDER)[..., :2] - midpoint(points, L_HIP, R_HIP)[..., :2]
    return np.degrees(np.arctan2(v[..., 0] * _left_sign(points), -v[..., 1]))


def abduction_deg(points: np.ndarray) -> np.ndarray:
    """Hip abduction of each leg against the body midline (DESIGN.md), in degrees.

    d = unit mid-shoulder -> mid-hip; o = unit right hip -> left hip with its component along d
    removed; v = ankle - hip of the leg. alpha_L = atan2(v.o, v.d), alpha_R = atan2(-v.o, v.d).

    Parameters
    ----------
    points : (..., 33, >=2) ndarray, pixels (only x, y are used)

    Returns
    -------
    (..., 2) ndarray, degrees: [..., 0] the left leg, [..., 1] the right leg; 0 when the leg is
    parallel to the midline, positive outward.

    Examples
    --------
    Upright person facing the camera, left ankle 30 deg out from the midline:

    >>> p = np.full((33, 2), np.nan)
    >>> p[11], p[12], p[23], p[24] = (120, 0), (80, 0), (110, 100), (90, 100)
    >>> p[27] = (110 + 100 * np.sin(np.radians(30)), 100 + 100 * np.cos(np.radians(30)))
    >>> p[28] = (90, 200)
    >>> np.round(abduction_deg(p), 6) + 0.0  # + 0.0 turns -0. into 0.
    array([30.,  0.])
    """
    xy = points[..., :2].astype(np.float64)
    d = midpoint(xy, L_HIP, R_HIP) - midpoint(xy, L_SHOULDER, R_SHOULDER)
    d /= np.linalg.norm(d, axis=-1, keepdims=True)
    o = xy[..., L_HIP, :] - xy[..., R_HIP, :]
    o -= np.sum(o * d, axis=-1, keepdims=True) * d
    o /= np.linalg.norm(o, axis=-1, keepdims=True)
    v = xy[..., [L_ANKLE, R_ANKLE], :] - xy[..., [L_HIP, R_HIP], :]  # (..., 2 legs, 2)
    along = np.sum(v * d[..., None, :], axis=-1)
    out = np.sum(v * o[..., None, :], axis=-1) * np.array([1.0, -1.0])
    return np.degrees(np.arctan2(out, along))


def trunk_tilt_deg(points: np.ndarray) -> np.ndarray:
    """(...) unsigned angle of mid-hip -> mid-shoulder from image vertical, degrees."""
    return np.abs(trunk_lean_left_deg(points))


def upright(points: np.ndarray, max_trunk_deg: float = 30.0) -> np.ndarray:
    """(...) bool: trunk within ``max_trunk_deg`` of vertical and hips above knees above ankles.

    The lower knee and ankle are those of the standing leg (largest y), so a knee lifted to hip
    height in a single-leg stance still counts as upright; a side-lying body does not.
    """
    y = points[..., 1]
    hip = 0.5 * (y[..., L_HIP] + y[..., R_HIP])
    knee = np.fmax(y[..., L_KNEE], y[..., R_KNEE])
    ankle = np.fmax(y[..., L_ANKLE], y[..., R_ANKLE])
    with np.errstate(invalid="ignore"):
        return (trunk_tilt_deg(points) <= max_trunk_deg) & (hip < knee) & (knee < ankle)


_FOOT = np.array([[L_ANKLE, L_HEEL, L_FOOT], [R_ANKLE, R_HEEL, R_FOOT]])


def foot_lowest(points: np.ndarray) -> np.ndarray:
    """(..., 2) y of each foot's lowest point (largest y of ankle, heel, foot index): [left, right].

    ``points`` is (..., 33, C) with y at index 1 pointing down: image pixels or MediaPipe world
    metres (whose y also points down).
    """
    # fmax ignores a NaN point (a heel the model lost) but gives NaN when all three are missing.
    return np.fmax.reduce(points[..., _FOOT, 1], axis=-1)


def leg_lengths(points: np.ndarray) -> np.ndarray:
    """(..., 2) hip-to-ankle distance of each leg [left, right], in the units of ``points``."""
    v = points[..., [L_ANKLE, R_ANKLE], :] - points[..., [L_HIP, R_HIP], :]
    return np.linalg.norm(v, axis=-1)


def foot_lift(points: np.ndarray, leg_length: float) -> np.ndarray:
    """(..., 2) how much higher each foot is than the other, as a fraction of ``leg_length``.

    [..., 0] > 0 when the left foot is higher (lifted), [..., 1] > 0 when the right one is.
    """
    low = foot_lowest(points)
    diff = (low[..., 1] - low[..., 0]) / leg_length
    return np.stack([diff, -diff], axis=-1)


def _angle_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(...) angle in degrees between vectors ``a`` and ``b`` (..., C)."""
    cos = np.sum(a * b, axis=-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def knee_flexion_deg(points: np.ndarray) -> np.ndarray:
    """(..., 2) knee flexion of each leg [left, right]: 0 straight, 90 shank square to thigh."""
    thighs = points[..., [L_KNEE, R_KNEE], :] - points[..., [L_HIP, R_HIP], :]
    shanks = points[..., [L_ANKLE, R_ANKLE], :] - points[..., [L_KNEE, R_KNEE], :]
    return _angle_between(thighs, shanks)
