"""Where the text panels go: away from the person, on any canvas.

Pure geometry, no drawing. :func:`person_box` turns the landmarks into the rectangle to keep
clear (the body with room for the top of the head, which has no landmark, and for the raised
foot or a side-lying body, which are in the landmarks); :func:`place_panels` puts each panel
where it overlaps neither that rectangle nor the panels placed before it, as near its preferred
spot as it can, and leaves a panel where it was while that spot stays clear, so the panels move
when the person does and not at every jitter of the landmarks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in canvas pixels: x0 <= x < x1, y0 <= y < y1."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def overlap(self, other: Box) -> float:
        """Area (px^2) shared with ``other``; 0 when they only touch."""
        w = min(self.x1, other.x1) - max(self.x0, other.x0)
        h = min(self.y1, other.y1) - max(self.y0, other.y0)
        return max(w, 0.0) * max(h, 0.0)

    def grown(self, margin: float) -> Box:
        return Box(self.x0 - margin, self.y0 - margin, self.x1 + margin, self.y1 + margin)

    def ints(self) -> tuple[int, int, int, int]:
        return round(self.x0), round(self.y0), round(self.x1), round(self.y1)


# Landmarks (MediaPipe's 33): the nose, the shoulders.
_NOSE, _L_SHOULDER, _R_SHOULDER = 0, 11, 12


def person_box(points: np.ndarray | None, width: int, height: int,
               margin_frac: float = 0.05) -> Box | None:
    """The rectangle of the canvas to keep clear of text: the landmarks' box, raised by half a
    head above the nose (the crown has no landmark) and grown by ``margin_frac`` of the body's
    larger side (at least 6 px), clipped to the ``width`` x ``height`` canvas.

    ``points`` (33, >=2) canvas pixels, NaN where unseen; None (or fewer than 3 points seen)
    gives None: nobody to keep clear.
    """
    if points is None:
        return None
    p = np.asarray(points, dtype=np.float64)[:, :2]
    seen: np.ndarray = np.asarray(np.isfinite(p).all(axis=1), dtype=bool)
    if seen.sum() < 3:
        return None
    x0, y0 = p[seen].min(axis=0)
    x1, y1 = p[seen].max(axis=0)
    size = max(x1 - x0, y1 - y0)
    # The crown is about as far above the nose as the nose is above the shoulders' line,
    # halved (a chin-to-crown head is ~1.5x nose-to-shoulders); without those points, a tenth
    # of the body.
    head = 0.1 * size
    if seen[[_NOSE, _L_SHOULDER, _R_SHOULDER]].all():
        neck = 0.5 * (p[_L_SHOULDER, 1] + p[_R_SHOULDER, 1]) - p[_NOSE, 1]
        head = max(head, 0.6 * abs(neck))
    top = min(y0, p[_NOSE, 1] - head) if seen[_NOSE] else y0 - head
    m = max(6.0, margin_frac * size)
    box = Box(x0 - m, top - m, x1 + m, y1 + m)
    box = Box(max(box.x0, 0.0), max(box.y0, 0.0), min(box.x1, float(width)),
              min(box.y1, float(height)))
    return box if box.x1 > box.x0 and box.y1 > box.y0 else None


@dataclass(frozen=True)
class Placement:
    """Where one panel went: its rectangle, which of its shapes, and whether it is clear of
    everything it had to avoid (False: the least overlap found, the caller may drop it)."""

    box: Box
    shape: int
    clear: bool


def _overlaps(x0: np.ndarray, y0: np.ndarray, w: float, h: float, boxes: Sequence[Box]
              ) -> np.ndarray:
    """(N,) total area each candidate (top-left x0, y0; size w x h) shares with ``boxes``."""
    total = np.zeros(x0.shape)
    for b in boxes:
        # Less than a thousandth of a pixel is rounding (a panel flush against an edge).
        ow = np.minimum(x0 + w, b.x1) - np.maximum(x0, b.x0) - 1e-3
        oh = np.minimum(y0 + h, b.y1) - np.maximum(y0, b.y0) - 1e-3
        total += np.clip(ow, 0.0, None) * np.clip(oh, 0.0, None)
    return total


def _candidates(lo: float, hi: float, size: float, step: float, edges: list[float]
                ) -> np.ndarray:
    """Positions for a panel of ``size`` in [lo, hi]: a grid and the spots flush to ``edges``."""
    if hi - lo < size:
        return np.array([lo])
    last = hi - size
    grid = np.arange(lo, last, step)
    more = [e for e in edges if lo <= e <= last]
    return np.unique(np.concatenate([grid, [last], more]))


def place_panels(shapes: Sequence[Sequence[tuple[float, float]]], canvas: tuple[int, int],
                 keep_clear: Sequence[Box], prefer: Sequence[tuple[float, float]],
                 previous: Sequence[Box | None] | None = None, margin: float = 8.0,
                 gap: float = 8.0, step: float = 8.0, slack: float = 0.25) -> list[Placement]:
    """Rectangles for panels, placed in order (the first is the most important).

    Parameters
    ----------
    shapes : per panel, its possible (width, height) in px, best first (a text panel offers its
        lines wrapped narrower as later shapes, for a side strip beside a person filling the
        height); the first shape that fits clear is used.
    canvas : (width, height) px.
    keep_clear : rectangles no panel may cover (the person; see :func:`person_box`).
    prefer : per panel, where it would go on an empty canvas, as fractions of the free travel:
        (0, 0) top-left, (0.5, 0) top centre, (1, 1) bottom-right.
    previous : per panel, last frame's rectangle or None; a panel stays at its previous
        top-left while that spot is clear and no more than ``slack`` x the canvas diagonal
        further from its preferred spot than the best clear spot.
    margin : px kept free at the canvas edges; gap : px between a panel and what it avoids.

    Returns one :class:`Placement` per panel. Panels never leave the canvas; where nothing is
    clear the placement with the least overlap is returned with ``clear=False``.
    """
    cw, ch = canvas
    avoid = [b.grown(gap) for b in keep_clear]
    placed: list[Box] = []
    out: list[Placement] = []
    diag = float(np.hypot(cw, ch))
    for i, options in enumerate(shapes):
        fx, fy = prefer[i]
        best: tuple[float, Placement] | None = None
        for k, (w, h) in enumerate(options):
            w, h = min(float(w), cw - 2 * margin), min(float(h), ch - 2 * margin)
            obstacles = avoid + [b.grown(gap) for b in placed]
            px = margin + fx * max(cw - 2 * margin - w, 0.0)
            py = margin + fy * max(ch - 2 * margin - h, 0.0)
            prev = previous[i] if previous is not None and i < len(previous) else None
            if prev is not None:
                qx = min(max(prev.x0, margin), max(cw - margin - w, margin))
                qy = min(max(prev.y0, margin), max(ch - margin - h, margin))
                stays = _overlaps(np.array([qx]), np.array([qy]), w, h, obstacles)[0] == 0.0
                # Within the slack of the preferred spot itself: no better spot can be far
                # enough ahead to move for (and the search is skipped: the usual frame).
                if stays and np.hypot(qx - px, qy - py) <= slack * diag:
                    best = (0.0, Placement(Box(qx, qy, qx + w, qy + h), k, True))
                    break
            xs = _candidates(margin, cw - margin, w, step,
                             [e for b in obstacles for e in (b.x1, b.x0 - w)])
            ys = _candidates(margin, ch - margin, h, step,
                             [e for b in obstacles for e in (b.y1, b.y0 - h)])
            gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
            hit = _overlaps(gx, gy, w, h, obstacles)
            dist = np.hypot(gx - px, gy - py)
            j = int(np.argmin(hit * 1e3 + dist))
            clear = bool(hit[j] == 0.0)
            if clear and prev is not None:
                if stays and np.hypot(qx - px, qy - py) <= dist[j] + slack * diag:
                    gx[j], gy[j] = qx, qy
            p = Placement(Box(float(gx[j]), float(gy[j]), float(gx[j]) + w, float(gy[j]) + h),
                          k, clear)
            if clear:
                best = (0.0, p)
                break
            if best is None or hit[j] < best[0]:
                best = (float(hit[j]), p)
        assert best is not None
        out.append(best[1])
        placed.append(best[1].box)
    return out
