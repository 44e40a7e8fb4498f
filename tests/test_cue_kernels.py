"""The pelvis cues' fast kernels give exactly what the library calls they replace gave.

hipdrop.vision.markers labels masks with cv2.connectedComponents and its own statistics (OpenCV
5's statistics pass cost ~0.3 ms a call), and takes medians and percentiles without numpy's
per-call overhead; hipdrop.vision.cues scatters the RANSAC support without np.maximum.at;
hipdrop.reports.plot shades all phases in one blend. Each is checked here against the call it
replaced, on many random inputs, for equality (not closeness): the cue readings must not move.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from hipdrop.reports import plot
from hipdrop.vision import cues, markers


def _masks(rng: np.random.Generator, count: int):
    for k in range(count):
        h, w = (int(v) for v in rng.integers(1, 120, 2))
        mask = (rng.random((h, w)) < rng.random() * 0.6).astype(np.uint8)
        if k % 3 == 0:
            mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        yield mask


def test_labels_and_statistics_are_opencvs():
    rng = np.random.default_rng(7)
    for mask in _masks(rng, 400):
        n0, labels0, stats0, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        n1, labels1, stats1 = markers._label(mask)
        assert n1 == n0
        np.testing.assert_array_equal(labels1, labels0)
        assert stats1.dtype == stats0.dtype
        np.testing.assert_array_equal(stats1[1:], stats0[1:])  # row 0 (background) unused


def test_median_of_bytes_is_numpys():
    rng = np.random.default_rng(8)
    for _ in range(2000):
        values = rng.integers(0, 256, (int(rng.integers(1, 200)), 3)).astype(np.float32)
        want, got = np.median(values, axis=0), markers._median0(values)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("integer", [True, False])
def test_percentile_is_numpys(integer):
    rng = np.random.default_rng(9)
    for _ in range(3000):
        values = (rng.random(int(rng.integers(1, 300))) * 300.0 - 40.0).astype(np.float32)
        if integer:
            values = np.clip(np.round(values), 0.0, None)
        want, got = np.percentile(values, 75), markers._percentile75(values)
        assert type(got) is type(want) and got == want


def _ransac_reference(x, y, w, tol, n_cols, rng, tries=64):
    """hipdrop.vision.cues._ransac_line as it was, with np.maximum.at."""
    n = len(x)
    i, j = rng.integers(0, n, tries), rng.integers(0, n, tries)
    dx = x[j] - x[i]
    ok = np.abs(dx) >= 0.25 * n_cols
    i, j, dx = i[ok], j[ok], dx[ok]
    if len(i) == 0:
        return np.nan, np.nan, np.zeros(n, bool)
    slope = (y[j] - y[i]) / dx
    icpt = y[i] - slope * x[i]
    inl = np.abs(y[None, :] - (slope[:, None] * x[None, :] + icpt[:, None])) <= tol
    col = x.astype(np.intp)
    support = np.zeros((len(slope), n_cols))
    np.maximum.at(support, (np.repeat(np.arange(len(slope)), n), np.tile(col, len(slope))),
                  (inl * w[None, :]).ravel())
    best = int(np.argmax(support.sum(axis=1)))
    mask = inl[best]
    a, b = np.polyfit(x[mask], y[mask], 1, w=np.sqrt(w[mask])) if mask.sum() >= 3 else (
        slope[best], icpt[best])
    return float(a), float(b), np.abs(y - (a * x + b)) <= tol


def test_ransac_support_is_maximum_at():
    rng = np.random.default_rng(10)
    for k in range(300):
        h, w = int(rng.integers(8, 60)), int(rng.integers(8, 120))
        roi = rng.integers(0, 256, (h, w, 3)).astype(np.uint8)
        roi[h // 2:] //= 3  # an edge across the box
        cols, rows, strength = cues._edge_candidates(roi)
        if len(cols) < 8:
            continue
        # The draws kept by cues._draws against a fresh generator's, as before they were kept.
        got = cues._ransac_line(cols, rows, strength, 1.5, w, lambda n, t, k=k: cues._draws(k, n, t))
        want = _ransac_reference(cols, rows, strength, 1.5, w, np.random.default_rng(k))
        np.testing.assert_array_equal(got[:2], want[:2])
        np.testing.assert_array_equal(got[2], want[2])


def test_shading_in_one_blend_is_the_phase_by_phase_blend():
    ax = plot._Axes(150, 60, 860, 330, 0.0, 100.0, -5.0, 5.0)
    spans = [(2.0, 9.5, (246, 130, 59)), (12.0, 30.0, (22, 115, 249)), (55.5, 99.0, (246, 130, 59)),
             (99.9, 99.95, (22, 115, 249))]  # the last under a pixel wide
    rng = np.random.default_rng(11)
    img = rng.integers(0, 256, (plot.HEIGHT, plot.WIDTH, 3)).astype(np.uint8)
    want = img.copy()
    for t0, t1, colour in spans:  # as each phase was shaded before
        x0, x1 = round(float(ax.x(t0))), round(float(ax.x(t1)))
        roi = want[ax.y0 + 1:ax.y1, max(ax.x0 + 1, x0):min(ax.x1, x1)]
        if roi.size:
            tint = np.empty_like(roi)
            tint[:] = colour
            roi[:] = cv2.addWeighted(roi, 0.82, tint, 0.18, 0.0)
    plot._shade(img, ax, spans)
    np.testing.assert_array_equal(img, want)


def test_waist_median_is_numpys():
    rng = np.random.default_rng(12)
    for _ in range(3000):
        values = (rng.random(int(rng.integers(1, 400))) * 500.0).astype(np.float32)
        assert cues._median(values) == float(np.median(values))


def test_kept_draws_are_a_fresh_generators():
    for seed in (0, 3):
        for n in (1, 2, 7, 64, 301, 999):
            rng = np.random.default_rng(seed)
            want = rng.integers(0, n, 64), rng.integers(0, n, 64)
            for _ in range(2):  # kept, and the same again
                got = cues._draws(seed, n, 64)
                np.testing.assert_array_equal(got[0], want[0])
                np.testing.assert_array_equal(got[1], want[1])
                assert not got[0].flags.writeable


def test_edge_magnitude_is_the_reductions():
    rng = np.random.default_rng(13)
    for _ in range(200):
        h, w = (int(v) for v in rng.integers(1, 90, 2))
        g = (rng.standard_normal((h, w, 3)) * rng.uniform(0.01, 2000.0)).astype(np.float32)
        np.testing.assert_array_equal(cues._magnitude(g), np.sqrt((g * g).sum(axis=2)))


def test_lab_patches_are_the_whole_conversion():
    rng = np.random.default_rng(14)
    for _ in range(200):
        h, w = (int(v) for v in rng.integers(3, 120, 2))
        roi = rng.integers(0, 256, (h, w, 3)).astype(np.uint8)
        whole = cv2.cvtColor(roi, cv2.COLOR_BGR2LAB)
        lab = markers._Lab(roi)
        for _ in range(6):  # patches apart, then (past the budget) cut from the whole
            y0, x0 = int(rng.integers(0, h - 1)), int(rng.integers(0, w - 1))
            y1, x1 = int(rng.integers(y0 + 1, h + 1)), int(rng.integers(x0 + 1, w + 1))
            np.testing.assert_array_equal(lab[y0:y1, x0:x1], whole[y0:y1, x0:x1])


def test_dot_prefilter_is_the_loops():
    rng = np.random.default_rng(15)
    for _ in range(300):
        n = int(rng.integers(1, 40))
        stats = np.column_stack([rng.integers(0, 100, (n, 2)), rng.integers(1, 30, (n, 2)),
                                 rng.integers(1, 500, n)]).astype(np.int32)
        lo, hi = float(rng.uniform(4.0, 40.0)), float(rng.uniform(40.0, 400.0))
        want = []
        for i in range(1, n):  # the loop's tests, as markers._components made them
            x, y, w, h, area = stats[i]
            if not lo <= area <= hi or max(w, h) > 3.0 * max(1, min(w, h)):
                continue
            if area < 0.4 * w * h:
                continue
            want.append((i, (int(x), int(y), int(w), int(h), int(area))))
        assert markers._dots(stats, lo, hi) == want
