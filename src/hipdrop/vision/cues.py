"""Image cues of the pelvis read from the pixels around the hip landmarks.

The pose model's hip landmarks follow only about half of a pelvic drop (SYNTH-NOTES.md): the
model places them from the whole leg and trunk. Clothing often draws the pelvis' tilt in plain
sight: the waistband, the top of shorts or leggings, the hem of a tucked top all sit on the iliac
crests and tilt with them. :func:`waist_line` finds that edge: the dominant near-horizontal
colour edge across the body between the hip landmarks and the waist, fitted as one straight line
by RANSAC over several edge candidates per image column (a contrasting band has two parallel
edges; either gives the same angle, where taking each column's strongest edge mixes them).

A loose top hides the waist: then no long straight edge crosses the body, the cue's confidence
is low, and the estimator (:mod:`hipdrop.core.obliquity`) falls back to the calibrated landmark line.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from hipdrop.core.landmarks import L_HIP, L_SHOULDER, R_HIP, R_SHOULDER

# The search box, in units of the hip-landmark separation w: the waist lies 0.3-0.9 w above
# the hip joints; the box spans the torso's width but stops short of the hands at the sides.
_ABOVE, _BELOW, _HALF_WIDTH = 1.1, 0.15, 0.7
_CANDIDATES = 3  # edge candidates kept per column
# Below this hip-landmark separation the pelvis is too small to read an edge on (one pixel is
# then about 2 deg): the real clips at 360 px height have 25-32 px and get no cue.
MIN_HIP_SEPARATION_PX = 30
# A line tilted more than this from square to the body axis loses confidence (none at +10).
_MAX_TILT_DEG = 20.0
# Edge strength (summed Sobel magnitude over BGR) of a full-confidence waist edge.
_FULL_CONTRAST = 120.0


@dataclass(frozen=True)
class WaistCue:
    """The waist line of one frame: its obliquity by DESIGN.md's formula, how sure we are, and
    where it runs.

    ``obliquity_deg`` is NaN when nothing was found; ``confidence`` in [0, 1]; ``height`` is
    how far above the mid-hip point the line crosses the body axis, in hip separations (a
    waistband on the iliac crests sits ~0.3-0.6 above; the edge it follows must stay put).
    """

    obliquity_deg: float
    confidence: float
    height: float = float("nan")  # the line above the mid-hip point, units of hip separation


NO_WAIST = WaistCue(float("nan"), 0.0)


def waist_row(cue: WaistCue | None) -> tuple[float, float, float] | None:
    """The LandmarkSeries.waist row of a cue (None for a frame without a pose)."""
    return None if cue is None else (cue.obliquity_deg, cue.confidence, cue.height)


def _magnitude(g: np.ndarray) -> np.ndarray:
    """(H, W) Euclidean norm over the channels of (H, W, 3) float32, as
    ``np.sqrt((g * g).sum(axis=2))`` gives it: the channels added in the same order, (0 + 1)
    + 2, so the same bits, at a sixth of the cost (numpy's reduction over a 3-long last axis
    costs ~0.1 ms a call on a 720p waist box)."""
    b, gr, r = g[..., 0], g[..., 1], g[..., 2]
    return np.sqrt(b * b + gr * gr + r * r)


def _edge_candidates(roi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column, the rows of the strongest near-horizontal colour edges.

    Returns (cols, rows, strength) of up to ``_CANDIDATES`` local maxima a column.
    """
    cols, rows, strength, _ = _edge_slots(roi)
    return cols, rows, strength


def _edge_slots(roi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_edge_candidates` and, per candidate, its (intp) slot in [0, _CANDIDATES): no
    two of one column share one (:func:`_ransac_line`'s scatter)."""
    roi = cv2.GaussianBlur(roi.astype(np.float32), (0, 0), 1.0)
    gy = cv2.Sobel(roi, cv2.CV_32F, 0, 1, ksize=3)
    gx = cv2.Sobel(roi, cv2.CV_32F, 1, 0, ksize=3)
    my, mx = _magnitude(gy), _magnitude(gx)
    score = np.where(my > 1.5 * mx, my, 0.0)  # keep edges within ~35 deg of horizontal
    # Local maxima along each column (non-maximum suppression in y).
    peak = (score[1:-1] >= score[:-2]) & (score[1:-1] > score[2:])
    inner = score[1:-1] * peak
    score = np.zeros_like(score)
    score[1:-1] = inner
    top = np.argsort(score, axis=0)[-_CANDIDATES:]  # (K, W)
    strength = score[top, np.arange(roi.shape[1])]  # np.take_along_axis(score, top, axis=0)
    # The kept (slot, column)s in row-major order, the order cols[keep] gave.
    slot, cols = np.nonzero(strength > 0)
    return (cols.astype(np.float64), top[slot, cols].astype(np.float64), strength[slot, cols],
            slot)


def _median(values: np.ndarray) -> float:
    """``float(np.median(values))`` of (N,) float32, N >= 1 (the middle value, or the float32
    mean of the middle two as numpy takes it), without np.median's per-call overhead."""
    s = np.sort(values)
    half = len(s) // 2
    return float(s[half] if len(s) % 2 else (s[half - 1] + s[half]) / np.float32(2.0))


def _ransac_line(x: np.ndarray, y: np.ndarray, w: np.ndarray, tol: float, n_cols: int,
                 rng: Callable[[int, int], tuple[np.ndarray, np.ndarray]], tries: int = 64,
                 slot: np.ndarray | None = None) -> tuple[float, float, np.ndarray]:
    """Slope, intercept and inlier mask of the line with the most edge support.

    ``rng(n, tries)`` gives the two (tries,) index draws in [0, n) of the sample pairs
    (:func:`_draws`). ``slot`` (N,) intp: slots in which no two candidates of a column meet
    (:func:`_edge_slots`'); found here when not given.

    Support counts each column once (its best inlier's strength), so a line is chosen for how
    far it runs across the body, not for how many candidates pile up in one spot.
    """
    n = len(x)
    i, j = rng(n, tries)
    dx = x[j] - x[i]
    ok = np.abs(dx) >= 0.25 * n_cols  # pairs far apart define a slope well
    i, j, dx = i[ok], j[ok], dx[ok]
    if len(i) == 0:
        return np.nan, np.nan, np.zeros(n, bool)
    slope = (y[j] - y[i]) / dx
    icpt = y[i] - slope * x[i]
    resid = np.abs(y[None, :] - (slope[:, None] * x[None, :] + icpt[:, None]))  # (tries, n)
    inl = resid <= tol
    col = x.astype(np.intp)
    # Each candidate's slot among its column's (a column has up to _CANDIDATES): the
    # candidates then scatter into a dense (tries, slots, columns) array without collisions,
    # whose max over slots is what np.maximum.at into (tries, columns) gives, at a fraction of
    # its cost.
    # Any slots without collisions give the same maxima (and so the same support, bit for
    # bit): the candidates' own among _CANDIDATES, when given, save finding ranks.
    if slot is None:
        order = np.argsort(col, kind="stable")
        first = np.ones(n, bool)
        first[1:] = col[order][1:] != col[order][:-1]
        rank = np.arange(n) - np.maximum.accumulate(np.where(first, np.arange(n), 0))
        slot = np.empty(n, np.intp)
        slot[order] = rank
    dense = np.zeros((len(slope), int(slot.max()) + 1, n_cols))
    dense[:, slot, col] = inl * w[None, :]
    support = dense.max(axis=1)
    best = int(np.argmax(support.sum(axis=1)))
    mask = inl[best]
    # Refine on the inliers (weighted least squares).
    a, b = _polyfit1(x[mask], y[mask], np.sqrt(w[mask])) if mask.sum() >= 3 else (
        slope[best], icpt[best])
    return float(a), float(b), np.abs(y - (a * x + b)) <= tol


def _polyfit1(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``np.polyfit(x, y, 1, w=w)`` of (N,) float64 x, y and (N,) float32 w: its arithmetic
    step for step (the Vandermonde matrix, the weights, the column scaling, the same
    ``lstsq`` with the same rcond), so the same bits, without its checks and conversions
    (~30 us of its ~50 a frame)."""
    lhs = np.empty((len(x), 2))
    lhs[:, 0], lhs[:, 1] = x, 1.0  # np.vander(x, 2)
    lhs *= w[:, np.newaxis]
    rhs = y * w
    scale = np.sqrt((lhs * lhs).sum(axis=0))
    lhs /= scale
    c, _, rank, _ = np.linalg.lstsq(lhs, rhs, len(x) * np.finfo(np.float64).eps)
    if rank != 2:
        warnings.warn("Polyfit may be poorly conditioned", np.exceptions.RankWarning, stacklevel=2)
    return (c.T / scale).T


@functools.lru_cache(maxsize=4096)
def _draws(seed: int, n: int, tries: int) -> tuple[np.ndarray, np.ndarray]:
    """The RANSAC draws of a fresh ``np.random.default_rng(seed)``: ``integers(0, n, tries)``
    twice (read-only). They depend on ``n`` (the edge candidates, up to 3 a box column) only,
    so they are kept: a new generator costs ~30 us, its draws ~20 us, on every frame."""
    rng = np.random.default_rng(seed)
    i, j = rng.integers(0, n, tries), rng.integers(0, n, tries)
    i.flags.writeable = j.flags.writeable = False
    return i, j


def waist_line(frame: np.ndarray, points: np.ndarray, seed: int = 0) -> WaistCue:
    """The waist line in ``frame`` (H, W, 3 uint8 BGR) near the hips of ``points`` (33, >=2) px.

    Confidence is the fraction of the box's columns crossed by the line, times a contrast term
    (a faint edge counts less), times how square it runs to the body axis (a line more than
    20-30 deg off square is something else: an arm, a lifted thigh).
    """
    left, right = points[L_HIP, :2], points[R_HIP, :2]
    if not (np.isfinite(left).all() and np.isfinite(right).all()):
        return NO_WAIST
    sep = float(np.hypot(*(left - right)))
    if sep < MIN_HIP_SEPARATION_PX:
        return NO_WAIST
    centre = 0.5 * (left + right)
    # "Up" is toward the shoulders, so the box follows a leaning or rolled body.
    shoulders = 0.5 * (points[L_SHOULDER, :2] + points[R_SHOULDER, :2])
    up = shoulders - centre
    norm = np.hypot(*up)
    if not np.isfinite(norm) or norm < sep:
        return NO_WAIST
    up /= norm
    angle = np.degrees(np.arctan2(up[0], -up[1]))  # body axis tilt from image vertical
    # Rotate the frame so the body axis is vertical, then cut an axis-aligned box.
    rot = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, 1.0)
    half_w, above, below = _HALF_WIDTH * sep, _ABOVE * sep, _BELOW * sep
    x0, x1 = int(centre[0] - half_w), int(np.ceil(centre[0] + half_w))
    y0, y1 = int(centre[1] - above), int(np.ceil(centre[1] + below))
    rot[:, 2] -= (x0, y0)
    roi = cv2.warpAffine(frame, rot, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE)
    cols, rows, strength, slot = _edge_slots(roi)
    if len(cols) < 8:
        return NO_WAIST
    slope, icpt, inliers = _ransac_line(cols, rows, strength, tol=max(1.5, 0.02 * sep),
                                        n_cols=roi.shape[1],
                                        rng=lambda n, tries: _draws(seed, n, tries),
                                        slot=slot)
    if not np.isfinite(slope):
        return NO_WAIST
    # The columns the line crosses (np.unique's count, without its sort).
    covered = int(np.count_nonzero(np.bincount(cols[inliers].astype(np.intp),
                                               minlength=roi.shape[1]))) / roi.shape[1]
    contrast = _median(strength[inliers]) if inliers.any() else 0.0
    # The line's tilt across the body (the box is turned to the body axis): a pelvis tilts
    # well under 20 deg from square to the trunk; a steeper line is an arm or a lifted thigh.
    # Not judged against the hip landmarks' line, which reads only part of a drop: that made a
    # real drop look like disagreement and pushed the waist out exactly when it mattered.
    box_tilt = abs(float(np.degrees(np.arctan(slope))))
    square = float(np.clip(1.0 - (box_tilt - _MAX_TILT_DEG) / 10.0, 0.0, 1.0))
    # Back to the frame: the line's tilt in the box plus the box's rotation.
    line_deg = np.degrees(np.arctan(slope)) + angle
    # DESIGN.md's obliquity of two points on the line at the hips' x positions: with the left
    # hip on the image's right (facing the camera), theta = -line tilt; seen from behind, +.
    facing = 1.0 if left[0] >= right[0] else -1.0
    theta = -facing * line_deg
    confidence = covered * float(np.clip(contrast / _FULL_CONTRAST, 0.0, 1.0)) * square
    # Where the line crosses the body axis (the box's middle column), above the mid-hip point
    # (the box's row ``above``).
    height = (above - (slope * (centre[0] - x0) + icpt)) / sep
    return WaistCue(float(theta), confidence, float(height))
