"""Skin markers on the pelvis: two small stickers found and tracked near the hip landmarks.

2-D clinical video analysis of pelvic drop puts a marker on each anterior superior iliac spine
(ASIS, the bony points at the front of the hips) or, seen from behind, on each posterior one
(PSIS, the dimples above the buttocks). Both pairs are fixed to the pelvis, so the line through
their centroids tilts exactly as the pelvis does: the obliquity is DESIGN.md's formula on the two
centroids, with no fitted constant (what the pose model reads of the hips is not involved, except
to say where to look and which marker is the person's left).

:func:`find_markers` looks in one frame for two blobs that could be the pair: a small saturated
colour (a green, pink, blue or orange sticker) or a small dark or bright dot, of about the same
size and colour, one each side of the body's midline, between hip and waist height;
:class:`MarkerTracker` keeps following the pair it found, so a similar blob elsewhere (a
button, a logo) does not steal it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from hipdrop.core.landmarks import L_HIP, L_SHOULDER, R_HIP, R_SHOULDER

# Below this hip-landmark separation a 4 cm sticker is under ~3 px across: not findable.
MIN_HIP_SEPARATION_PX = 14.0
# Marker diameter, in units of the hip-landmark separation w (~18 cm on an adult): stickers of
# about 1 to 7 cm.
_MIN_DIAMETER, _MAX_DIAMETER = 0.05, 0.40
# Where the pair may sit, in units of w around the mid-hip point: ASIS are 1.1-1.5 w apart and
# 0.3-0.5 w above the hip joints; PSIS 0.4-0.6 w apart and 0.5-0.7 w above.
_MIN_SPAN, _MAX_SPAN = 0.3, 2.2
_MAX_OFF_MIDLINE = 0.4
_ABOVE, _BELOW = 1.1, 0.4
_MAX_PAIR_TILT_DEG = 25.0  # relative to the hip-landmark line; a pelvis tilts well under this
# The two stickers of a pair: hues within this (OpenCV 0-180 units), areas within this ratio
# (small stickers' areas differ more than their sizes: anti-aliasing, a similar shirt
# eating into one's rim). _pair_score and its pre-filter _may_pair both test them.
_MAX_PAIR_HUE_DIFF = 15.0
_MAX_PAIR_AREA_RATIO = 3.5
# A tracked marker moves less than this (units of w) between frames.
_TRACK_RADIUS = 0.3
# Colour candidates: OpenCV HSV saturation and value (0-255).
_MIN_SATURATION, _MIN_VALUE = 140, 25  # a sticker in shadow on a black belt: V 41
# A sticker stands out from the ring around it: that ring lies mostly outside the candidate
# mask, and differs from the blob by this CIELAB distance (OpenCV's 8-bit Lab units).
_MAX_RING_IN_MASK = 0.25
_MIN_RING_CONTRAST = 30.0
# What surrounds a sticker and the body a little nearer the midline differ by less than this
# (CIELAB, OpenCV's 8-bit units): the same skin or garment, shaded.
_MAX_BODY_CONTRAST = 40.0
# A pixel counts toward a sticker's centroid only if its colour lies within this fraction of the
# sticker's contrast from the background-to-sticker colour line (a mix of the two).
_MAX_OFF_MIX = 0.5


@dataclass(frozen=True)
class MarkerCue:
    """The pelvis markers of one frame.

    left, right : (2,) px centroids of the markers on the person's left and right (NaN where
        not found); confidence in [0, 1] (0: none).
    """

    left: np.ndarray
    right: np.ndarray
    confidence: float

    @property
    def found(self) -> bool:
        return self.confidence > 0.0

    @property
    def obliquity_deg(self) -> float:
        """DESIGN.md's obliquity of the marker pair, degrees (NaN when not found)."""
        if not self.found:
            return math.nan
        return math.degrees(math.atan2(self.right[1] - self.left[1],
                                       abs(self.left[0] - self.right[0])))

    def as_row(self) -> tuple[float, float, float, float, float]:
        """(xL, yL, xR, yR, confidence), the row of LandmarkSeries.markers."""
        if self is NO_MARKERS:  # most frames (no stickers): its row, made once
            return _NO_MARKERS_ROW
        # tolist: the elements as Python floats, the same numbers as float() of each, in two
        # calls instead of four indexings (the live loop makes this row every frame).
        (xl, yl), (xr, yr) = self.left.tolist(), self.right.tolist()
        return (xl, yl, xr, yr, self.confidence)


_NAN2 = np.array([np.nan, np.nan])
NO_MARKERS = MarkerCue(_NAN2, _NAN2, 0.0)
_NO_MARKERS_ROW = (*_NAN2.tolist(), *_NAN2.tolist(), 0.0)  # NO_MARKERS.as_row(), made once


@dataclass(frozen=True)
class _Blob:
    centre: np.ndarray  # (2,) px in the frame
    area: float  # px
    kind: int  # 0 colour, 1 dark, 2 bright
    hue: float  # OpenCV hue 0-180 (colour blobs), else 0
    ring_lab: np.ndarray  # (3,) the median CIELAB colour just around the blob


def _median0(values: np.ndarray) -> np.ndarray:
    """``np.median(values, axis=0)`` of (N, C) float32 integer values (CIELAB bytes), N >= 1:
    the same float32 result (the mean of two integers below 2**24 is exact) without
    np.median's overhead, which dominates on a few dozen pixels."""
    s = np.sort(values, axis=0)
    half = len(s) // 2
    if len(s) % 2:
        return s[half]
    return (s[half - 1] + s[half]) / np.float32(2.0)


def _norm3(v: np.ndarray) -> np.ndarray:
    """``np.linalg.norm(v, axis=-1)`` of (..., 3) float32: the squares added in its order,
    (0 + 1) + 2, so the same bits, without its overhead (cues._magnitude's reading)."""
    a, b, c = v[..., 0], v[..., 1], v[..., 2]
    return np.sqrt(a * a + b * b + c * c)


def _percentile75(values: np.ndarray) -> np.floating:
    """``np.percentile(values, 75)`` of (N,) float32, N >= 1: numpy's linear method (its float32
    virtual index and two-sided lerp, same float32 result) without its overhead."""
    s = np.sort(values)
    index = np.float32(0.75) * np.float32(len(s) - 1)
    lo = int(np.floor(index))
    hi = min(lo + 1, len(s) - 1)
    gamma = np.float32(index - lo)
    a, b = s[lo], s[hi]
    d = b - a
    return b - d * (np.float32(1.0) - gamma) if gamma >= 0.5 else a + d * gamma


class _Lab:
    """The CIELAB conversion (OpenCV's 8-bit) of a BGR region, converted where it is read.

    ``lab[y0:y1, x0:x1]`` is ``cv2.cvtColor(roi, cv2.COLOR_BGR2LAB)[y0:y1, x0:x1]``: the
    conversion is per pixel, so a patch converted alone has the same bytes. The marker search
    reads CIELAB only around the few blobs that pass the mask tests and at two 3x3 spots each,
    a few percent of the region, whose whole conversion cost 70-160 us a frame (720p-1080p);
    once the patches asked for add up to the region, it is converted whole.
    """

    def __init__(self, roi: np.ndarray) -> None:
        self.roi = roi
        self.shape = roi.shape
        self._whole: np.ndarray | None = None
        self._budget = roi.shape[0] * roi.shape[1]  # pixels converted apart before going whole

    def __getitem__(self, index: tuple[slice, slice]) -> np.ndarray:
        if self._whole is None:
            patch = self.roi[index]
            self._budget -= patch.shape[0] * patch.shape[1]
            if self._budget >= 0:
                return cv2.cvtColor(patch, cv2.COLOR_BGR2LAB)
            self._whole = cv2.cvtColor(self.roi, cv2.COLOR_BGR2LAB)
        return self._whole[index]


class _Weight:
    """Pixel weights ``max(values - floor, 0)`` in float32, computed where they are read:
    ``weight[y0:y1, x0:x1]`` has the bytes of the whole array's slice (the same per-pixel
    arithmetic), for the few patches around blobs instead of the whole region."""

    def __init__(self, values: np.ndarray, floor: float) -> None:
        self.values, self.floor = values, floor

    def __getitem__(self, index: tuple[slice, slice]) -> np.ndarray:
        return np.clip(self.values[index].astype(np.float32) - self.floor, 0.0, None)


_SQUARES: dict[int, np.ndarray] = {}


def _square(k: int) -> np.ndarray:
    """The (k, k) uint8 structuring element of ones (kept: the same few sizes every frame)."""
    ones = _SQUARES.get(k)
    if ones is None:
        ones = _SQUARES[k] = np.ones((k, k), np.uint8)
    return ones


def _label_dots(mask: np.ndarray, min_area: float, max_area: float
                ) -> tuple[np.ndarray, list[tuple[int, tuple[int, int, int, int, int]]]]:
    """The (H, W) int32 labels of ``mask`` (``cv2.connectedComponents``, 8-connected) and its
    components whose size and shape may be a dot, as (label, (left, top, width, height,
    area)) in Python ints: area in [min_area, max_area], neither side over 3 times the other,
    and at least 0.4 of the bounding box filled (a ring, a stroke or a corner is not a dot).

    The statistics are those of ``cv2.connectedComponentsWithStats``, taken only for the
    labels whose area may be a dot's: OpenCV's statistics pass costs ~0.3 ms on a 130x85 px
    mask where the labelling takes ~15 us, and a mask's labels are mostly specks.
    """
    n, labels = cv2.connectedComponents(mask, connectivity=8)
    if n <= 1:
        return labels, []
    # The foreground in raster order (cv2.findNonZero: several times faster than np.nonzero).
    xy = cv2.findNonZero(mask).reshape(-1, 2)
    lab = labels[xy[:, 1], xy[:, 0]]
    area = np.bincount(lab, minlength=n)
    dots = []
    for i in np.flatnonzero((min_area <= area) & (area <= max_area)).tolist():
        if i == 0:
            continue  # the background
        pix = xy[lab == i]  # raster order: its first pixel is on its top row, its last on the bottom
        xs = pix[:, 0]
        x, y = int(xs.min()), int(pix[0, 1])
        w, h, a = int(xs.max()) - x + 1, int(pix[-1, 1]) - y + 1, int(area[i])
        # The shape tests, on Python numbers.
        if max(w, h) > 3.0 * max(1, min(w, h)) or a < 0.4 * w * h:
            continue
        dots.append((i, (x, y, w, h, a)))
    return labels, dots


# Outcomes of _layer_parts' tests that depend on a component's pixels alone (not on the rest
# of the mask): a component seen again with the same pixels (in the next, overlapping hue band)
# gets the same outcome, and an accepted one would be dropped as a duplicate.
_FINAL = "final"


@dataclass(frozen=True)
class _Part:
    """A component of a candidate mask that passed the tests on its own pixels and on the mask
    around it (size, shape, ring mostly outside the mask): what :func:`_blob` needs to finish
    it, and what :func:`_may_pair` needs to tell, before that, whether it can be in a pair.

    ``box`` (x0, y0, x1, y1) is the patch around it in the region; ``sub``, ``near`` and
    ``ring`` are (y1 - y0, x1 - x0) bool: its pixels, them grown by one pixel, and the ring
    around; ``bbox`` (x, y, w, h) and ``area`` its statistics (px); ``hue`` its mean hue
    (OpenCV 0-180; 0 for a dot).
    """

    kind: int
    box: tuple[int, int, int, int]
    bbox: tuple[int, int, int, int]
    area: int
    sub: np.ndarray
    near: np.ndarray
    ring: np.ndarray
    weight: _Weight
    hue: float


_Dots = list[tuple[int, tuple[int, int, int, int, int]]]  # (label, (x, y, w, h, area))


@dataclass(frozen=True)
class _Layer:
    """One candidate mask (uint8, the region's shape), its labels and dots
    (:func:`_label_dots`), and what its parts carry: their kind, weights and hue (uint8
    OpenCV hue; None for a dot mask)."""

    mask: np.ndarray
    labels: np.ndarray
    dots: _Dots
    kind: int
    weight: _Weight
    hue: np.ndarray | None


def _layer(mask: np.ndarray, weight: _Weight, kind: int, hue: np.ndarray | None,
           min_area: float, max_area: float) -> _Layer | None:
    """``mask`` labelled, with its components whose size and shape may be a dot's (sizes in
    [min_area, max_area] px); None when no component can be large enough."""
    if cv2.countNonZero(mask) < min_area:
        return None  # not worth labelling
    labels, dots = _label_dots(mask, min_area, max_area)
    return _Layer(mask, labels, dots, kind, weight, hue)


def _layer_parts(layer: _Layer, seen: dict | None = None,
                 wanted: list[bool] | None = None) -> list[_Part]:
    """The dots of ``layer`` (those ``wanted``, per dot, if given) whose ring just outside lies
    mostly outside the mask (fragments of a larger patch of the same colour fail that).

    ``seen`` (shared by calls on masks of one ``weight``, ``hue`` and region) records the
    components whose outcome did not depend on the mask around them; an identical component
    is skipped the next time (in the next, overlapping hue band: an accepted one would be
    dropped as a duplicate).
    """
    mask, labels, hue = layer.mask, layer.labels, layer.hue
    parts = []
    for k, (i, (x, y, w, h, area)) in enumerate(layer.dots):
        if wanted is not None and not wanted[k]:
            continue
        pad = max(2, round(0.6 * max(w, h)))
        x0, y0 = max(0, x - pad), max(0, y - pad)
        x1, y1 = min(mask.shape[1], x + w + pad), min(mask.shape[0], y + h + pad)
        sub = labels[y0:y1, x0:x1] == i
        key = (x, y, w, h, area)
        if seen is not None:
            before = seen.get(key)
            if before is not None and np.array_equal(before, sub):
                continue
        sub8 = sub.astype(np.uint8)
        grown = cv2.dilate(sub8, _square(2 * pad + 1)) > 0
        near = cv2.dilate(sub8, _square(3)).astype(bool)
        ring = grown & ~near
        ring_n = np.count_nonzero(ring)
        if ring_n < 4:
            continue
        # The share of the ring in the mask (a 0/1 mask: the mean of its values there).
        if np.count_nonzero(mask[y0:y1, x0:x1][ring]) / ring_n > _MAX_RING_IN_MASK:
            continue  # depends on the mask: another band's may pass
        if seen is not None:
            seen[key] = sub
        h_mean = 0.0
        if hue is not None:
            ang = hue[y0:y1, x0:x1][sub].astype(np.float64) * (np.pi / 90.0)
            h_mean = (math.degrees(math.atan2(np.sin(ang).mean(), np.cos(ang).mean())) / 2.0) % 180.0
        parts.append(_Part(layer.kind, (x0, y0, x1, y1), (x, y, w, h), area, sub, near, ring,
                           layer.weight, h_mean))
    return parts


def _blob(part: _Part, lab: _Lab, offset: np.ndarray) -> _Blob | None:
    """The blob of ``part`` if it stands out in colour from the ring around it (CIELAB,
    ``lab`` of the region, a :class:`_Lab`) by _MIN_RING_CONTRAST, with its centroid to a
    fraction of a pixel (``offset`` added: the region's corner in the frame); else None."""
    x0, y0, x1, y1 = part.box
    sub, near, ring = part.sub, part.near, part.ring
    patch = lab[y0:y1, x0:x1].astype(np.float32)
    background = _median0(patch[ring])
    wpatch = part.weight[y0:y1, x0:x1]
    core = wpatch >= _percentile75(wpatch[sub])
    fg = patch[sub & core].mean(axis=0) - background
    contrast = float(np.sqrt(fg.dot(fg)))  # np.linalg.norm(fg)'s arithmetic, without its checks
    if contrast < _MIN_RING_CONTRAST:
        return None
    # Each pixel's coverage by the sticker, from where its colour lies between the
    # background's and the sticker's: the centroid of an anti-aliased disc on its
    # surroundings is then unbiased to a small fraction of a pixel (a centroid weighted by
    # saturation pulls toward a coloured background).
    d = patch - background
    along = (d @ fg) / (contrast * contrast)
    alpha = np.clip(along, 0.0, 1.0)
    # A pixel that is part sticker and part background lies on the line between their
    # colours; one far off it is something else (a hem over the sticker's edge, a
    # highlight) and covers nothing of the sticker, whatever the threshold let in.
    off = _norm3(d - along[..., None] * fg)
    wgt = np.where(near & (off <= _MAX_OFF_MIX * contrast), alpha, 0.0)
    total = float(wgt.sum())
    if total <= 0:
        return None
    xs, ys = np.arange(x0, x1)[None, :], np.arange(y0, y1)[:, None]
    centre = np.array([(wgt * xs).sum() / total, (wgt * ys).sum() / total]) + offset
    return _Blob(centre, float(part.area), part.kind, part.hue, background)


# A blob's centroid is a weighted mean of the pixels of its component grown by one (``near``):
# within one pixel of its bounding box; and this much more, for the rounding of that mean.
_CENTRE_MARGIN = 0.01


def _span(lo: tuple[float, float], hi: tuple[float, float], axis: tuple[float, float]
          ) -> tuple[float, float]:
    """The range of v . axis over the box lo <= v <= hi (2-D, componentwise)."""
    ax, ay = axis[0] * lo[0], axis[0] * hi[0]
    bx, by = axis[1] * lo[1], axis[1] * hi[1]
    return min(ax, ay) + min(bx, by), max(ax, ay) + max(bx, by)


def _least(span: tuple[float, float]) -> float:
    """The least |v| over the range ``span``."""
    lo, hi = span
    return 0.0 if lo <= 0.0 <= hi else min(abs(lo), abs(hi))


_Box = tuple[int, tuple[int, int, int, int], int, float | None]  # kind, (x, y, w, h), area, hue


def _may_pair(parts: list[_Box], offset: np.ndarray, centre: np.ndarray, u: np.ndarray,
              up: np.ndarray, sep: float) -> list[bool]:
    """Per part (kind, bounding box x, y, w, h in the region, area px, mean hue or None where
    not known yet), whether it could be one of a pair :func:`_pair_score` scores above 0, or could
    decide, as an earlier blob of the same place, whether such a part is kept (the duplicate
    test of colour blobs, 1 px): the others need no colour analysis.

    Conservative: a part's centroid is not known before :func:`_blob`, only that it lies in
    its bounding box grown by 1 + _CENTRE_MARGIN px; the pair's span, offset from the
    midline, height and tilt are tested on the ranges those boxes allow (interval
    arithmetic), its kind, hue (when known) and areas exactly as _pair_score tests them.
    Plain floats: a
    frame has a few parts, for which NumPy's per-call cost is most of the work.
    """
    n = len(parts)
    m = 1.0 + _CENTRE_MARGIN
    ox, oy = float(offset[0]), float(offset[1])
    # The box each centroid lies in, frame px: (x lo, y lo), (x hi, y hi).
    lo = [(x - m + ox, y - m + oy) for _, (x, y, _, _), _, _ in parts]
    hi = [(x + w - 1 + m + ox, y + h - 1 + m + oy) for _, (x, y, w, h), _, _ in parts]
    uu, vv = (float(u[0]), float(u[1])), (float(up[0]), float(up[1]))
    cx, cy = float(centre[0]), float(centre[1])
    tilt = math.tan(math.radians(_MAX_PAIR_TILT_DEG))
    keep = [False] * n
    for i in range(n):
        kind, _, area, hue = parts[i]
        for j in range(i + 1, n):
            kind_j, _, area_j, hue_j = parts[j]
            if kind != kind_j:
                continue
            if kind == 0 and hue is not None and hue_j is not None:
                dh = abs(hue - hue_j)
                if min(dh, 180.0 - dh) > _MAX_PAIR_HUE_DIFF:
                    continue
            if max(area, area_j) / min(area, area_j) > _MAX_PAIR_AREA_RATIO:
                continue
            # The difference of the two centroids and their midpoint (from the body centre).
            dlo = (lo[i][0] - hi[j][0], lo[i][1] - hi[j][1])
            dhi = (hi[i][0] - lo[j][0], hi[i][1] - lo[j][1])
            mlo = (0.5 * (lo[i][0] + lo[j][0]) - cx, 0.5 * (lo[i][1] + lo[j][1]) - cy)
            mhi = (0.5 * (hi[i][0] + hi[j][0]) - cx, 0.5 * (hi[i][1] + hi[j][1]) - cy)
            du = _span(dlo, dhi, uu)
            most = max(abs(du[0]), abs(du[1]))
            if most < _MIN_SPAN * sep or _least(du) > _MAX_SPAN * sep:
                continue
            if _least(_span(mlo, mhi, uu)) > _MAX_OFF_MIDLINE * sep:
                continue
            height = _span(mlo, mhi, vv)
            if height[1] < -_BELOW * sep or height[0] > _ABOVE * sep:
                continue
            if _least(_span(dlo, dhi, vv)) > tilt * most:
                continue
            keep[i] = keep[j] = True
    # A colour blob is dropped when an earlier one lies within 1 px: keep every colour part
    # whose box comes within 1 px of a kept one's, and so on, so those decisions are the same.
    todo = [i for i in range(n) if keep[i] and parts[i][0] == 0]
    while todo:
        i = todo.pop()
        for j in range(n):
            if (not keep[j] and parts[j][0] == 0
                    and lo[i][0] - hi[j][0] <= m and lo[j][0] - hi[i][0] <= m
                    and lo[i][1] - hi[j][1] <= m and lo[j][1] - hi[i][1] <= m):
                keep[j] = True
                todo.append(j)
    return keep


# Per band of hue (30 of OpenCV's 0-180, starting every 15), a lookup table from a pixel's
# "colour hue" (its hue where it counts as colour, else 255) to 1 inside the band.
_BAND_STARTS = tuple(range(0, 180, 15))
_HUES = np.arange(256)
_BAND_LUTS = tuple(((((_HUES - lo) % 180) < 30) & (_HUES < 180)).astype(np.uint8)
                   for lo in _BAND_STARTS)
_BAND_HUES = np.stack([lut[:180] > 0 for lut in _BAND_LUTS])  # (bands, 180) bool: their hues
# Per value V, the saturation a pixel must exceed to count as colour: S >= 140 + 1.5 (60 - V)+
# (S is an integer, so S > ceil(that) - 1), and nothing below V 25 (S > 255 never holds).
_SAT_ABOVE = np.where(_HUES >= _MIN_VALUE,
                      np.ceil(_MIN_SATURATION + 1.5 * np.clip(60 - _HUES, 0, None)) - 1,
                      255).astype(np.uint8)


def _candidates(roi: np.ndarray, offset: np.ndarray, sep: float, lab: _Lab | None = None,
                body: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> list[_Blob]:
    """Colour, dark and bright dot candidates in ``roi`` (H, W, 3 uint8 BGR) at ``offset`` (2,)
    px in the frame; ``lab`` is its CIELAB conversion (:class:`_Lab`) when the caller has it.

    ``body`` (the mid-hip point, the unit vectors right-to-left hip and up the body, frame px):
    only the blobs that could be in a pair there are returned (:func:`_may_pair`); the others
    could not change what :func:`find_markers` finds.
    """
    d_min, d_max = _MIN_DIAMETER * sep, _MAX_DIAMETER * sep
    min_area = max(4.0, math.pi / 4.0 * d_min * d_min)
    max_area = math.pi / 4.0 * d_max * d_max
    hsv = cv2.cvtColor(roi, cv2.COLOR_BGR2HSV)
    if lab is None:
        lab = _Lab(roi)
    hue8, sat8, val8 = cv2.split(hsv)
    # Dark pixels' saturation is noisy (a codec's colour fringe along a shadow line): the darker
    # the pixel, the more saturated it must be to count (a green sticker in shadow: S 243, V 41).
    colour = cv2.compare(sat8, cv2.LUT(val8, _SAT_ABOVE), cv2.CMP_GT)
    # Weights: saturation above the threshold, so the anti-aliased rim counts less.
    weight = _Weight(sat8, _MIN_SATURATION - 40)  # for the core
    colour_hue = np.where(colour > 0, hue8, np.uint8(255))
    present = np.bincount(colour_hue.ravel(), minlength=256)[:180] > 0
    layers: list[_Layer] = []
    # Components per band of hue (30 of OpenCV's 180, overlapping by half), so a sticker
    # touching a saturated garment of another colour (a pink dot at the hem of an orange top)
    # stays a blob of its own.
    # The bands with a colour pixel, all at once (two calls where one band at a time took 24).
    in_band: list[bool] = np.asarray(np.logical_and(_BAND_HUES, present).any(axis=1)).tolist()
    for band_lut, band_present in zip(_BAND_LUTS, in_band, strict=True):
        if not band_present:
            continue
        mask = cv2.LUT(colour_hue, band_lut)
        if d_min * 3.0 >= 6.0:
            # Stickers ~6 px across or more survive a 3x3 opening; thin bridges do not.
            mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        if (layer := _layer(mask, weight, 0, hue8, min_area, max_area)) is not None:
            layers.append(layer)
    # Dots darker or brighter than their surroundings by a clear margin (a marker pen dot, a
    # black or white sticker): against the local mean over a few dot diameters.
    grey = cv2.cvtColor(roi, cv2.COLOR_BGR2GRAY).astype(np.float32)
    k = max(3, round(3.0 * d_max) | 1)
    local = cv2.blur(grey, (k, k))
    for kind, diff in ((1, local - grey), (2, grey - local)):
        mask = (diff >= 45.0).astype(np.uint8)
        if (layer := _layer(mask, _Weight(diff, 20.0), kind, None, min_area, max_area)) is not None:
            layers.append(layer)
    # The ring tests (~10 calls a dot) only for the dots that could be in a pair, from their
    # boxes and areas (their hues are not known yet), and the colour analysis (CIELAB, ~0.1 ms
    # a part) only for the parts that still could, hues known.
    seen: dict = {}
    parts: list[_Part] = []
    if body is None:
        for layer in layers:
            parts += _layer_parts(layer, seen if layer.kind == 0 else None)
        wanted = [True] * len(parts)
    else:
        boxes: list[_Box] = [(layer.kind, (x, y, w, h), area, None)
                             for layer in layers for _, (x, y, w, h, area) in layer.dots]
        may = iter(_may_pair(boxes, offset, *body, sep))
        for layer in layers:
            parts += _layer_parts(layer, seen if layer.kind == 0 else None,
                                  [next(may) for _ in layer.dots])
        wanted = _may_pair([(p.kind, p.bbox, p.area, p.hue) for p in parts], offset, *body, sep)
    blobs: list[_Blob] = []
    for part, want in zip(parts, wanted, strict=True):
        if not want or (b := _blob(part, lab, offset)) is None:
            continue
        # The same sticker is seen in two overlapping bands: keep it once (the colour parts
        # come first, so ``blobs`` holds colour blobs only while they are tested).
        if part.kind != 0 or all(np.hypot(*(b.centre - o.centre)) > 1.0 for o in blobs):
            blobs.append(b)
    return blobs


def _on_body(blob: _Blob, lab: _Lab, offset: np.ndarray, toward: np.ndarray) -> bool:
    """A sticker sits on the body: what is just around it looks like the body a little further
    in, toward the midline (the same skin or garment). A blob on the wall between an arm and
    the trunk (a brick between mortar lines, seen on the Blender renders) does not."""
    h, w = lab.shape[:2]
    for f in (0.3, 0.5):
        x, y = (blob.centre + f * (toward - blob.centre) - offset).round().astype(int)
        if not (1 <= x < w - 1 and 1 <= y < h - 1):
            continue
        inner = _median0(lab[y - 1:y + 2, x - 1:x + 2].reshape(-1, 3).astype(np.float32))
        if float(np.linalg.norm(inner - blob.ring_lab)) <= _MAX_BODY_CONTRAST:
            return True
    return False


def _pair_score(a: _Blob, b: _Blob, centre: np.ndarray, u: np.ndarray, up: np.ndarray,
                sep: float) -> float:
    """How much the blobs ``a``, ``b`` look like the marker pair (0 = not at all, <= 1)."""
    if a.kind != b.kind:
        return 0.0
    if a.kind == 0:
        dh = abs(a.hue - b.hue)
        dh = min(dh, 180.0 - dh)
        if dh > _MAX_PAIR_HUE_DIFF:
            return 0.0
        hue_term = 1.0 - dh / (2 * _MAX_PAIR_HUE_DIFF)
    else:
        hue_term = 0.9  # a dot's colour says less than a sticker's
    ratio = max(a.area, b.area) / min(a.area, b.area)
    if ratio > _MAX_PAIR_AREA_RATIO:
        return 0.0
    d = a.centre - b.centre
    span = abs(float(d @ u)) / sep
    if not _MIN_SPAN <= span <= _MAX_SPAN:
        return 0.0
    mid = 0.5 * (a.centre + b.centre) - centre
    off = abs(float(mid @ u)) / sep
    height = float(mid @ up) / sep
    if off > _MAX_OFF_MIDLINE or not -_BELOW <= height <= _ABOVE:
        return 0.0
    tilt = math.degrees(math.atan2(abs(float(d @ up)), abs(float(d @ u))))
    if tilt > _MAX_PAIR_TILT_DEG:
        return 0.0
    return hue_term * (1.0 - (ratio - 1.0) / 5.0) * (1.0 - off / (2 * _MAX_OFF_MIDLINE))


def _body_axes(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float] | None:
    """Mid-hip point, the unit vector from the right hip to the left, the unit vector up the
    body (toward the shoulders) and the hip separation, px; None when the hips are not seen."""
    left, right = points[L_HIP, :2].astype(np.float64), points[R_HIP, :2].astype(np.float64)
    if not (np.isfinite(left).all() and np.isfinite(right).all()):
        return None
    sep = float(np.hypot(*(left - right)))
    if sep < MIN_HIP_SEPARATION_PX:
        return None
    centre = 0.5 * (left + right)
    u = (left - right) / sep
    shoulders = 0.5 * (points[L_SHOULDER, :2] + points[R_SHOULDER, :2]).astype(np.float64)
    up = shoulders - centre
    norm = float(np.hypot(*up))
    if not np.isfinite(norm) or norm < 0.5 * sep:
        # No trunk direction: take the normal of the hip line that points up the image.
        up = np.array([-u[1], u[0]])
        up = up if up[1] < 0 else -up
    else:
        up = up / norm
    return centre, u, up, sep


def find_markers(frame: np.ndarray, points: np.ndarray,
                 previous: MarkerCue | None = None) -> MarkerCue:
    """The pelvis marker pair in ``frame`` (H, W, 3 uint8 BGR) near the hips of ``points``
    (33, >=2) px.

    ``previous`` is the last frame's pair, if found: a pair near it is preferred to a better
    looking one elsewhere, so that the markers are tracked rather than re-chosen each frame.
    Returns :data:`NO_MARKERS` when no pair is found.
    """
    axes = _body_axes(points)
    if axes is None:
        return NO_MARKERS
    centre, u, up, sep = axes
    height, width = frame.shape[:2]
    reach = 1.1 * _MAX_SPAN / 2.0 * sep + _MAX_DIAMETER * sep
    corners = np.array([centre + s * reach * u + h * sep * up
                        for s in (-1, 1) for h in (-_BELOW - 0.3, _ABOVE + 0.3)])
    x0, y0 = np.floor(corners.min(axis=0)).astype(int)
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return NO_MARKERS
    roi = frame[y0:y1, x0:x1]
    offset = np.array([x0, y0], np.float64)
    lab = _Lab(roi)
    mid = centre + 0.4 * sep * up  # between the hips and the waist: on the body
    blobs = [b for b in _candidates(roi, offset, sep, lab, (centre, u, up))
             if _on_body(b, lab, offset, mid)]
    return _best_pair(blobs, centre, u, up, sep, previous)


def _best_pair(blobs: list[_Blob], centre: np.ndarray, u: np.ndarray, up: np.ndarray,
               sep: float, previous: MarkerCue | None) -> MarkerCue:
    """The best scoring pair of ``blobs`` (:func:`_pair_score`; near ``previous``, when found,
    preferred by a margin) as a cue, or :data:`NO_MARKERS`; the first of equal scores wins."""
    if len(blobs) < 2:
        return NO_MARKERS
    best, best_score = None, 0.0
    for i in range(len(blobs)):
        for j in range(i + 1, len(blobs)):
            score = _pair_score(blobs[i], blobs[j], centre, u, up, sep)
            if score <= 0.0:
                continue
            a, b = (blobs[i], blobs[j]) if float(blobs[i].centre @ u) > float(blobs[j].centre @ u) \
                else (blobs[j], blobs[i])
            if previous is not None and previous.found:
                # Tracking: the pair that moved least since the last frame wins by a margin.
                moved = max(np.hypot(*(a.centre - previous.left)),
                            np.hypot(*(b.centre - previous.right))) / sep
                score *= 1.5 if moved <= _TRACK_RADIUS else 0.6
            if score > best_score:
                best, best_score = (a, b), score
    if best is None:
        return NO_MARKERS
    left, right = best
    return MarkerCue(left.centre, right.centre, float(min(1.0, best_score)))


class MarkerTracker:
    """Finds the pelvis markers frame after frame, following the pair once found.

    A pair is reported once it has been found in ``confirm`` frames in a row with a steady
    span (stickers on the pelvis keep their distance; two chance blobs rarely do), and dropped
    when its span jumps by more than ``max_span_change`` of its running value.
    """

    def __init__(self, confirm: int = 3, max_span_change: float = 0.15) -> None:
        self.confirm = confirm
        self.max_span_change = max_span_change
        self.reset()

    def reset(self) -> None:
        self._last: MarkerCue | None = None
        self._streak = 0
        self._span = math.nan

    def __call__(self, frame: np.ndarray, points: np.ndarray | None) -> MarkerCue:
        if points is None:
            self.reset()
            return NO_MARKERS
        cue = find_markers(frame, points, self._last)
        if not cue.found:
            self.reset()
            return NO_MARKERS
        span = float(np.hypot(*(cue.left - cue.right)))
        if self._streak and abs(span - self._span) > self.max_span_change * self._span:
            self._streak, self._span = 0, span  # another pair: start confirming it afresh
        self._span = span if not self._streak else 0.8 * self._span + 0.2 * span
        self._streak += 1
        self._last = cue
        return cue if self._streak >= self.confirm else NO_MARKERS
