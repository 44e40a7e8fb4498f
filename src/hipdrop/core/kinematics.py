"""Angles and distances of DESIGN.md, vectorised over any leading axes of landmark arrays.

Every function takes arrays shaped ``(..., 33, C)`` (C >= 2, pixels: x right, y down) or
``(..., 2)`` points, and returns ``(...)`` arrays; NaN in, NaN out. No loops over frames.
"""

from __future__ import annotations

import numpy as np

from hipdrop.core.landmarks import (
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

# Index arrays of the landmark pairs the angles read, [left, right]: built once, not per call
# (the live path calls these functions on one frame at a time).
_HIPS = np.array([L_HIP, R_HIP])
_KNEES = np.array([L_KNEE, R_KNEE])
_ANKLES = np.array([L_ANKLE, R_ANKLE])
_OUTWARD = np.array([1.0, -1.0])  # abduction is outward: +o for the left leg, -o for the right
_PLUS_MINUS = np.array([1.0, -1.0])


def _pair(points: np.ndarray, index: np.ndarray) -> np.ndarray:
    """(..., 2, C) landmarks ``index`` of ``points`` (..., 33, C).

    ``np.take`` gives the same array as fancy indexing ``points[..., index, :]``, several times
    faster on a contiguous array but several times slower on a strided view (``image[..., :2]``).
    """
    if points.flags.c_contiguous:
        return np.take(points, index, axis=-2)
    return points[..., index, :]


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(...) sum over the last axis of ``a * b``.

    Over many frames a component at a time: NumPy's reduction over a 2- or 3-long axis costs
    more than the arithmetic. Over a frame or two (the live path) one reduction: fewer calls.
    Both add the components in the same order, so they give the same bits.
    """
    if a.size <= _SMALL:
        return np.add.reduce(a * b, axis=-1)
    out = a[..., 0] * b[..., 0]
    for c in range(1, a.shape[-1]):
        out += a[..., c] * b[..., c]
    return out


_SMALL = 256  # elements up to which _dot reduces in one call


def _norm(v: np.ndarray) -> np.ndarray:
    """(...) Euclidean length over the last axis, as ``np.linalg.norm(v, axis=-1)`` computes it."""
    return np.sqrt(_dot(v, v))


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
    xy = np.asarray(points[..., :2], dtype=np.float64)  # a view when already float64
    d = midpoint(xy, L_HIP, R_HIP) - midpoint(xy, L_SHOULDER, R_SHOULDER)
    d /= _norm(d)[..., None]
    o = xy[..., L_HIP, :] - xy[..., R_HIP, :]
    o -= _dot(o, d)[..., None] * d
    o /= _norm(o)[..., None]
    v = _pair(xy, _ANKLES) - _pair(xy, _HIPS)  # (..., 2 legs, 2)
    along = _dot(v, d[..., None, :])
    out = _dot(v, o[..., None, :]) * _OUTWARD
    return np.degrees(np.arctan2(out, along))


def trunk_tilt_deg(points: np.ndarray) -> np.ndarray:
    """(...) unsigned angle of mid-hip -> mid-shoulder from image vertical, degrees."""
    return np.abs(trunk_lean_left_deg(points))


def upright(points: np.ndarray, max_trunk_deg: float = 30.0,
            lean_deg: np.ndarray | None = None) -> np.ndarray:
    """(...) bool: trunk within ``max_trunk_deg`` of vertical and hips above knees above ankles.

    The lower knee and ankle are those of the standing leg (largest y), so a knee lifted to hip
    height in a single-leg stance still counts as upright; a side-lying body does not.
    ``lean_deg``: :func:`trunk_lean_left_deg` of ``points`` when the caller has it already.
    """
    y = points[..., 1]
    hip = 0.5 * (y[..., L_HIP] + y[..., R_HIP])
    knee = np.fmax(y[..., L_KNEE], y[..., R_KNEE])
    ankle = np.fmax(y[..., L_ANKLE], y[..., R_ANKLE])
    tilt = trunk_tilt_deg(points) if lean_deg is None else np.abs(lean_deg)
    with np.errstate(invalid="ignore"):
        return (tilt <= max_trunk_deg) & (hip < knee) & (knee < ankle)


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
    return _norm(_pair(points, _ANKLES) - _pair(points, _HIPS))


def foot_lift(points: np.ndarray, leg_length: float) -> np.ndarray:
    """(..., 2) how much higher each foot is than the other, as a fraction of ``leg_length``.

    [..., 0] > 0 when the left foot is higher (lifted), [..., 1] > 0 when the right one is.
    """
    low = foot_lowest(points)
    diff = (low[..., 1] - low[..., 0]) / leg_length
    return diff[..., None] * _PLUS_MINUS  # [diff, -diff] (a sign flip is exact): no np.stack


def _angle_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(...) angle in degrees between vectors ``a`` and ``b`` (..., C)."""
    cos = _dot(a, b) / (_norm(a) * _norm(b))
    # np.clip as two ufuncs (NaN passes through both): a fraction of np.clip's overhead.
    return np.degrees(np.arccos(np.minimum(np.maximum(cos, -1.0), 1.0)))


def knee_flexion_deg(points: np.ndarray) -> np.ndarray:
    """(..., 2) knee flexion of each leg [left, right]: 0 straight, 90 shank square to thigh."""
    knees = _pair(points, _KNEES)
    thighs = knees - _pair(points, _HIPS)
    shanks = _pair(points, _ANKLES) - knees
    return _angle_between(thighs, shanks)


def thigh_elevation_deg(points: np.ndarray) -> np.ndarray:
    """(..., 2) how far each thigh [left, right] is raised from the trunk's long axis, degrees.

    The angle between the thigh (hip to knee) and the direction from mid-shoulder to mid-hip:
    0 for a thigh in line with the trunk, about the hip flexion for a knee lifted forward, the
    abduction for a leg raised sideways, 90 for a thigh held level. The clinical stance test
    lifts the foot with the knee bent and the thigh raised no more than about 30 deg; higher,
    the lifted thigh pulls the pose model's hip landmark (see hipdrop.core.obliquity).

    points : (..., 33, C) landmarks, C = 2 (px) or 3 (world metres).

    >>> p = np.zeros((33, 2)); p[[11, 12], 1] = -1.0; p[[23, 24], 0] = [0.1, -0.1]
    >>> p[25] = [0.1, 0.5]; p[26] = [-0.6, 0.0]  # left thigh down, right thigh level
    >>> thigh_elevation_deg(p).round(1)
    array([ 0., 90.])
    """
    shoulders = 0.5 * (points[..., L_SHOULDER, :] + points[..., R_SHOULDER, :])
    hips = 0.5 * (points[..., L_HIP, :] + points[..., R_HIP, :])
    down = (hips - shoulders)[..., None, :]
    thighs = _pair(points, _KNEES) - _pair(points, _HIPS)
    return _angle_between(thighs, np.broadcast_to(down, thighs.shape))


def marker_obliquity_deg(markers: np.ndarray) -> np.ndarray:
    """(T,) DESIGN.md's obliquity of (T, >=4) marker rows (xL, yL, xR, yR, ...) px, degrees.

    >>> marker_obliquity_deg(np.array([[100.0, 200.0, 50.0, 205.0, 1.0]])).round(2)
    array([5.71])
    """
    m = np.asarray(markers, dtype=np.float64)
    return np.degrees(np.arctan2(m[:, 3] - m[:, 1], np.abs(m[:, 0] - m[:, 2])))
