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
        # With the candidates' own slots (as waist_line gives them): the same.
        *same, slot = cues._edge_slots(roi)
        for a, b in zip(same, (cols, rows, strength), strict=True):
            np.testing.assert_array_equal(a, b)
        got = cues._ransac_line(cols, rows, strength, 1.5, w, lambda n, t, k=k: cues._draws(k, n, t),
                                slot=slot)
        np.testing.assert_array_equal(got[:2], want[:2])
        np.testing.assert_array_equal(got[2], want[2])


def test_edge_candidates_are_take_along_axis():
    """cues._edge_slots' gather of the top candidates is np.take_along_axis's and the
    broadcast columns' (as they were), in the same order."""
    rng = np.random.default_rng(21)
    for _ in range(300):
        h, w = int(rng.integers(3, 60)), int(rng.integers(1, 120))
        roi = rng.integers(0, 256, (h, w, 3)).astype(np.uint8)
        roi[h // 2:] //= int(rng.integers(1, 4))
        cols, rows, strength, slot = cues._edge_slots(roi)
        # The reference, from the same score.
        r = cv2.GaussianBlur(roi.astype(np.float32), (0, 0), 1.0)
        my = cues._magnitude(cv2.Sobel(r, cv2.CV_32F, 0, 1, ksize=3))
        mx = cues._magnitude(cv2.Sobel(r, cv2.CV_32F, 1, 0, ksize=3))
        score = np.where(my > 1.5 * mx, my, 0.0)
        peak = (score[1:-1] >= score[:-2]) & (score[1:-1] > score[2:])
        inner = score[1:-1] * peak
        score = np.zeros_like(score)
        score[1:-1] = inner
        top = np.argsort(score, axis=0)[-3:]
        s = np.take_along_axis(score, top, axis=0)
        c = np.broadcast_to(np.arange(w), top.shape)
        keep = s > 0
        np.testing.assert_array_equal(cols, c[keep].astype(np.float64))
        np.testing.assert_array_equal(rows, top[keep].astype(np.float64))
        np.testing.assert_array_equal(strength, s[keep])
        assert len({(int(a), int(b)) for a, b in zip(slot, cols, strict=True)}) == len(cols)


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


def _sticker_scene(rng: np.random.Generator):
    """A textured frame with sticker-like pairs and stray dots near a body's hips: the frame
    (H, W, 3 uint8, JPEG-compressed), and the body's mid-hip point, unit vectors right-to-left
    hip and up, and hip separation (px)."""
    h, w = 220, 300
    small = rng.integers(70, 190, (h // 40, w // 40, 3)).astype(np.uint8)
    frame = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    frame = np.clip(frame + rng.normal(0.0, 4.0, frame.shape), 0, 255).astype(np.uint8)
    sep = float(rng.uniform(30.0, 80.0))
    a = float(rng.uniform(-0.35, 0.35))
    u, up = np.array([np.cos(a), np.sin(a)]), np.array([np.sin(a), -np.cos(a)])
    centre = np.array([w / 2, h / 2]) + rng.uniform(-15.0, 15.0, 2) - 0.3 * sep * up

    def colour() -> tuple[int, int, int]:
        pick = rng.random()
        if pick < 0.2:
            return (20, 20, 25)  # a dark dot
        if pick < 0.35:
            return (245, 245, 240)  # a bright one
        hsv = np.array([[[rng.integers(0, 180), rng.integers(150, 256), rng.integers(60, 256)]]],
                       np.uint8)
        return tuple(int(v) for v in cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0])

    for _ in range(int(rng.integers(1, 4))):  # pairs like stickers, some off the rules
        mid = centre + rng.uniform(-0.6, 1.4) * sep * up + rng.uniform(-0.6, 0.6) * sep * u
        half = 0.5 * rng.uniform(0.1, 2.6) * sep * (u + rng.uniform(-0.5, 0.5) * up)
        c, r = colour(), rng.uniform(0.03, 0.25) * sep
        for p in (mid + half, mid - half):
            rr = r * rng.uniform(0.6, 1.6)
            cv2.circle(frame, (round(p[0] * 16), round(p[1] * 16)), round(rr * 16), c, -1,
                       cv2.LINE_AA, 4)
    for _ in range(int(rng.integers(0, 10))):  # stray dots anywhere
        p = rng.uniform((0, 0), (w, h))
        cv2.circle(frame, (round(p[0] * 16), round(p[1] * 16)),
                   round(rng.uniform(0.03, 0.25) * sep * 16), colour(), -1, cv2.LINE_AA, 4)
    _ok, jpg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return cv2.imdecode(jpg, cv2.IMREAD_COLOR), centre, u, up, sep


def test_pair_prefilter_drops_only_blobs_that_cannot_change_the_pair():
    """markers._candidates with the body's axes skips the colour analysis of the blobs that
    could not be in a pair (markers._may_pair): the blobs it keeps are the full list's, bit for
    bit and in order; it keeps every blob with a partner; and the pair found (tracking or not)
    is the one the full list gives."""
    rng = np.random.default_rng(16)
    pairs = dropped = 0
    for k in range(150):
        frame, centre, u, up, sep = _sticker_scene(rng)
        offset = np.zeros(2)
        full = markers._candidates(frame, offset, sep)
        kept = markers._candidates(frame, offset, sep, body=(centre, u, up))
        at = [next(i for i, b in enumerate(full) if b.centre.tobytes() == c.centre.tobytes())
              for c in kept]
        assert at == sorted(at)
        for b, i in zip(kept, at, strict=True):
            f = full[i]
            assert (b.kind, b.area, b.hue) == (f.kind, f.area, f.hue)
            np.testing.assert_array_equal(b.ring_lab, f.ring_lab)
        for i, b in enumerate(full):
            if any(markers._pair_score(b, o, centre, u, up, sep) > 0 for o in full if o is not b):
                assert i in at
                pairs += 1
        dropped += len(full) - len(kept)
        previous = markers._best_pair(full, centre, u, up, sep, None)
        if k % 2 and previous.found:  # as if tracked from a pair nearby
            shift = rng.normal(0.0, 0.2 * sep, 2)
            previous = markers.MarkerCue(previous.left + shift, previous.right + shift, 0.5)
        for prev in (None, previous):
            want = markers._best_pair(full, centre, u, up, sep, prev).as_row()
            got = markers._best_pair(kept, centre, u, up, sep, prev).as_row()
            assert np.array(got).tobytes() == np.array(want).tobytes()
    assert pairs > 50 and dropped > 100  # the scenes have pairs, and blobs to skip


def test_pair_prefilter_keeps_the_chain_of_colour_duplicates_around_a_pair():
    """A colour blob is dropped when an earlier one lies within 1 px (the same sticker in two
    overlapping hue bands), so the colour parts whose boxes come within 1 px of a kept one's
    are kept too, and theirs in turn; a dot (kind 1) and a far colour part are not."""
    centre, u, up, sep = np.array([100.0, 100.0]), np.array([1.0, 0.0]), np.array([0.0, -1.0]), 50.0

    def part(kind: int, x: int, y: int, size: int, hue: float | None):
        return kind, (x, y, size, size), size * size, hue

    parts = [part(0, 70, 76, 6, 60.0), part(0, 124, 76, 6, 62.0),  # a pair 0.4 w up, 1.08 w apart
             part(0, 77, 76, 6, 100.0),  # 1 px right of the left one's box, another hue
             part(0, 84, 76, 6, 140.0),  # 1 px right of that: the chain goes on
             part(0, 93, 76, 6, 20.0),  # 2 px right of it: out of the chain
             part(1, 77, 84, 6, 0.0),  # a dot touching the pair's box: not a colour duplicate
             part(0, 20, 190, 6, 60.0)]  # far below: no pair
    keep = markers._may_pair(parts, np.zeros(2), centre, u, up, sep)
    assert keep == [True, True, True, True, False, False, False]
    # The pair's own tests decide alone: another hue, an area 4x, a tilt of 40 deg, too close.
    for other in (part(0, 124, 76, 6, 90.0), part(0, 124, 76, 12, 60.0),
                  part(0, 124, 31, 6, 60.0), part(0, 76, 76, 6, 60.0)):
        assert not any(markers._may_pair([parts[0], other], np.zeros(2), centre, u, up, sep))
    # Hues not known yet (the dots, before their ring tests): the hue test is left out.
    assert all(markers._may_pair([part(0, 70, 76, 6, None), part(0, 124, 76, 6, None)],
                                 np.zeros(2), centre, u, up, sep))


def test_line_fit_is_polyfits():
    rng = np.random.default_rng(18)
    for _ in range(2000):
        n = int(rng.integers(3, 300))
        x = rng.integers(0, 200, n).astype(np.float64)
        y = rng.integers(0, 120, n).astype(np.float64) + (x * rng.uniform(-0.5, 0.5) if
                                                          rng.random() < 0.5 else 0.0)
        w = np.sqrt((rng.random(n) * 400.0).astype(np.float32) + np.float32(0.01))
        want = np.polyfit(x, y, 1, w=w)
        got = cues._polyfit1(x, y, w)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_labels_and_dots_are_opencvs_labels_and_the_loops_tests():
    """_label_dots gives OpenCV's labels, and of its statistics the components a loop over
    every label keeps (the tests the marker finder made one component at a time)."""
    rng = np.random.default_rng(19)
    for mask in _masks(rng, 600):
        lo, hi = float(rng.uniform(1.0, 30.0)), float(rng.uniform(30.0, 600.0))
        n, labels0, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        want = []
        for i in range(1, n):
            x, y, w, h, area = (int(v) for v in stats[i])
            if not lo <= area <= hi or max(w, h) > 3.0 * max(1, min(w, h)):
                continue
            if area < 0.4 * w * h:
                continue
            want.append((i, (x, y, w, h, area)))
        labels1, dots = markers._label_dots(mask, lo, hi)
        np.testing.assert_array_equal(labels1, labels0)
        assert dots == want


def test_norms_are_numpys():
    rng = np.random.default_rng(20)
    for _ in range(500):
        shape = tuple(int(v) for v in rng.integers(1, 40, int(rng.integers(1, 3))))
        v = (rng.standard_normal((*shape, 3)) * rng.uniform(0.01, 300.0)).astype(np.float32)
        np.testing.assert_array_equal(markers._norm3(v), np.linalg.norm(v, axis=-1))
        fg = v.reshape(-1, 3)[0]
        assert float(np.sqrt(fg.dot(fg))) == float(np.linalg.norm(fg))
