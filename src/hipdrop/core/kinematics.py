"""Angles and distances of DESIGN.md, vectorised over any leading axes of landmark arrays.

Every function takes arrays shaped ``(..., 33, C)`` (C >= 2, pixels: x right, y down) or
``(..., 2)`` points, and returns ``(...)`` arrays; NaN in, NaN out. No loops over frames.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

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


#: The trunk's largest tilt from vertical that :func:`upright` accepts by default, degrees.
UPRIGHT_MAX_TRUNK_DEG = 30.0


def upright(points: np.ndarray, max_trunk_deg: float = UPRIGHT_MAX_TRUNK_DEG,
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


# ---------------------------------------------------------------------------------------------
# One frame in plain Python floats: the live path's twins of the functions above
#
# The live loop measures one frame at a time, where each NumPy call on a 2-long array costs
# ~1 us of overhead and the functions above make ~150 of them a frame. These twins take the
# points the angles read as (x, y, z) sequences of floats (pixels with z = 0.0, world metres;
# NaN where unseen) and do the same IEEE operations in the same order as the functions above do
# on one frame, so they give the same bits: ``math.atan2``, ``math.acos`` and ``math.sqrt`` are
# the C library's, as NumPy's loops are on a CPU without AVX-512 (with it, NumPy's own atan2 and
# acos may differ in the last bit), ``x * (180 / pi)`` is ``np.degrees``, and a small
# ``np.add.reduce`` adds from 0.0 left to right (-0.0 + -0.0 is 0.0 there; a pixel's z term adds
# 0.0 * 0.0 to a sum that is never -0.0: no change). Python raises where
# NumPy divides by zero: the caller falls back to the functions above on ZeroDivisionError
# (coincident landmarks). tests/test_frame_row.py pins the twins to the functions above.

Point = Sequence[float]  # (x, y, z)
_DEG = 180.0 / math.pi  # np.degrees(x) is x * (180 / pi)


def _angle_between_one(a: Point, b: Point) -> float:
    """:func:`_angle_between` of two 3-vectors, degrees (NaN in, NaN out)."""
    a0, a1, a2 = a
    b0, b1, b2 = b
    # the dot products as a short np.add.reduce makes them: from 0.0, left to right
    cos = (0.0 + a0 * b0 + a1 * b1 + a2 * b2) / (math.sqrt(0.0 + a0 * a0 + a1 * a1 + a2 * a2)
                                                 * math.sqrt(0.0 + b0 * b0 + b1 * b1 + b2 * b2))
    if cos > 1.0:  # np.minimum(np.maximum(cos, -1), 1); NaN fails both tests and stays NaN
        cos = 1.0
    elif cos < -1.0:
        cos = -1.0
    return math.acos(cos) * _DEG


def obliquity_deg_one(left: Point, right: Point) -> float:
    """:func:`obliquity_deg` of one pair of points (x, y, ...), degrees."""
    return math.atan2(right[1] - left[1], abs(left[0] - right[0])) * _DEG


def trunk_lean_left_deg_one(ls: Point, rs: Point, lh: Point, rh: Point) -> float:
    """:func:`trunk_lean_left_deg` from the shoulders and hips (x, y, ...) px, degrees."""
    vx = 0.5 * (ls[0] + rs[0]) - 0.5 * (lh[0] + rh[0])
    vy = 0.5 * (ls[1] + rs[1]) - 0.5 * (lh[1] + rh[1])
    sign = 1.0 if lh[0] >= rh[0] else -1.0  # NaN: -1, as np.where(NaN >= x, ...)
    return math.atan2(vx * sign, -vy) * _DEG


def abduction_deg_one(ls: Point, rs: Point, lh: Point, rh: Point, la: Point, ra: Point
                      ) -> tuple[float, float]:
    """:func:`abduction_deg` from shoulders, hips and ankles (x, y, ...) px: (left, right)
    degrees."""
    dx = 0.5 * (lh[0] + rh[0]) - 0.5 * (ls[0] + rs[0])
    dy = 0.5 * (lh[1] + rh[1]) - 0.5 * (ls[1] + rs[1])
    n = math.sqrt(0.0 + dx * dx + dy * dy)
    dx, dy = dx / n, dy / n
    ox, oy = lh[0] - rh[0], lh[1] - rh[1]
    k = 0.0 + ox * dx + oy * dy
    ox, oy = ox - k * dx, oy - k * dy
    n = math.sqrt(0.0 + ox * ox + oy * oy)
    ox, oy = ox / n, oy / n
    vx, vy = la[0] - lh[0], la[1] - lh[1]
    left = math.atan2((0.0 + vx * ox + vy * oy) * 1.0, 0.0 + vx * dx + vy * dy) * _DEG
    vx, vy = ra[0] - rh[0], ra[1] - rh[1]
    right = math.atan2((0.0 + vx * ox + vy * oy) * -1.0, 0.0 + vx * dx + vy * dy) * _DEG
    return left, right


def norm_one(dx: float, dy: float) -> float:
    """``np.linalg.norm`` of the 2-vector (dx, dy): the root of its dot product, summed from 0.0
    left to right as NumPy does, so the same bits."""
    return math.sqrt(0.0 + dx * dx + dy * dy)


def fmax_one(a: float, b: float) -> float:
    """``np.fmax``: the larger, ignoring one NaN (the first of two equal values, as NumPy)."""
    return a if (a >= b or b != b) else b


def upright_one(lh: Point, rh: Point, lk: Point, rk: Point, la: Point, ra: Point,
                max_trunk_deg: float, lean_deg: float) -> bool:
    """:func:`upright` from hips, knees and ankles (x, y, ...) px and the trunk lean, degrees."""
    hip = 0.5 * (lh[1] + rh[1])
    knee = fmax_one(lk[1], rk[1])
    ankle = fmax_one(la[1], ra[1])
    return abs(lean_deg) <= max_trunk_deg and hip < knee and knee < ankle  # NaN: False


def foot_lift_one(left: tuple[Point, Point, Point], right: tuple[Point, Point, Point],
                  leg_length: float) -> tuple[float, float]:
    """:func:`foot_lift` from each foot's (ankle, heel, foot index) points: (left, right)."""
    low_l = fmax_one(fmax_one(left[0][1], left[1][1]), left[2][1])
    low_r = fmax_one(fmax_one(right[0][1], right[1][1]), right[2][1])
    diff = (low_r - low_l) / leg_length
    return diff * 1.0, diff * -1.0


def knee_flexion_deg_one(hip: Point, knee: Point, ankle: Point) -> float:
    """:func:`knee_flexion_deg` of one leg from its hip, knee and ankle points, degrees."""
    return _angle_between_one((knee[0] - hip[0], knee[1] - hip[1], knee[2] - hip[2]),
                              (ankle[0] - knee[0], ankle[1] - knee[1], ankle[2] - knee[2]))


def thigh_elevation_deg_one(ls: Point, rs: Point, lh: Point, rh: Point, lk: Point, rk: Point
                            ) -> tuple[float, float]:
    """:func:`thigh_elevation_deg` from shoulders, hips and knees: (left, right) degrees."""
    down = (0.5 * (lh[0] + rh[0]) - 0.5 * (ls[0] + rs[0]),
            0.5 * (lh[1] + rh[1]) - 0.5 * (ls[1] + rs[1]),
            0.5 * (lh[2] + rh[2]) - 0.5 * (ls[2] + rs[2]))
    return (_angle_between_one((lk[0] - lh[0], lk[1] - lh[1], lk[2] - lh[2]), down),
            _angle_between_one((rk[0] - rh[0], rk[1] - rh[1], rk[2] - rh[2]), down))
