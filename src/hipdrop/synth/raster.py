"""A vectorised NumPy z-buffer rasteriser for a triangle mesh with per-vertex colours.

No per-pixel Python loop: every visible triangle's bounding box is expanded into candidate
pixels at once, barycentric weights are evaluated for all of them, the nearest candidate per
pixel wins through ``np.maximum.at`` on inverse depth, and the caller interpolates what it
needs (colours, rest positions) at the winners only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Raster:
    """Which triangle covers each pixel centre, and where in it.

    face : (H, W) int32 index of the nearest covering face, -1 where none.
    bary : (H, W, 3) float32 barycentric weights of the pixel centre in that face (screen
        space; zero where none).
    depth : (H, W) float32 camera-space z (m), inf where none.
    """

    face: np.ndarray
    bary: np.ndarray
    depth: np.ndarray

    @property
    def mask(self) -> np.ndarray:
        """(H, W) bool: the mesh covers the pixel centre."""
        return self.face >= 0

    def interpolate(self, faces: np.ndarray, values: np.ndarray) -> np.ndarray:
        """(N, C) per-vertex ``values`` at the N covered pixels (row-major order of
        :attr:`mask`)."""
        m = self.mask
        f = faces[self.face[m]]
        b = self.bary[m]
        return b[:, 0:1] * values[f[:, 0]] + b[:, 1:2] * values[f[:, 1]] + b[:, 2:3] * values[f[:, 2]]


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(V, 3) unit area-weighted vertex normals of a mesh with outward (CCW) faces."""
    tri = vertices[faces]
    fn = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    idx = faces.ravel()
    n = np.stack(
        [np.bincount(idx, weights=np.repeat(fn[:, k], 3), minlength=len(vertices)) for k in range(3)], axis=1
    )
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)


def rasterise(xy: np.ndarray, depth: np.ndarray, faces: np.ndarray, width: int, height: int) -> Raster:
    """Draw the front faces of a mesh.

    xy : (V, 2) pixel coordinates (pixel centres at integer + 0.5).
    depth : (V,) camera-space z in metres, > 0.
    faces : (F, 3) int vertex indices, counter-clockwise seen from outside (anny's winding);
        faces turned away from the camera are culled.
    """
    p = xy[faces]  # (F, 3, 2)
    x0, y0 = p[:, 0, 0], p[:, 0, 1]
    e1, e2 = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]
    area = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    lo = np.floor(p.min(axis=1) - 0.5).astype(np.int64) + 1  # first pixel whose centre >= min
    hi = np.floor(p.max(axis=1) - 0.5).astype(np.int64)  # last pixel whose centre <= max
    lo = np.maximum(lo, 0)
    hi = np.minimum(hi, [width - 1, height - 1])
    keep = area < -1e-9  # front faces have negative area with y down
    keep = keep & (hi[:, 0] >= lo[:, 0]) & (hi[:, 1] >= lo[:, 1]) & np.all(depth[faces] > 1e-3, axis=1)
    f = np.flatnonzero(keep)
    bw = hi[f, 0] - lo[f, 0] + 1
    bh = hi[f, 1] - lo[f, 1] + 1
    counts = bw * bh
    tri = np.repeat(np.arange(len(f)), counts)
    local = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    px = lo[f, 0][tri] + local % bw[tri]
    py = lo[f, 1][tri] + local // bw[tri]
    # Barycentric weights from the edge vectors: (px, py) = v0 + b1 e1 + b2 e2.
    fi = f[tri]
    dx = px + 0.5 - x0[fi]
    dy = py + 0.5 - y0[fi]
    inv = 1.0 / area[fi]
    b1 = (dx * e2[fi, 1] - dy * e2[fi, 0]) * inv
    b2 = (dy * e1[fi, 0] - dx * e1[fi, 1]) * inv
    b0 = 1.0 - b1 - b2
    inside = (b0 >= 0) & (b1 >= 0) & (b2 >= 0)
    px, py, fi, b0, b1, b2 = px[inside], py[inside], fi[inside], b0[inside], b1[inside], b2[inside]
    # 1/z is affine on screen, so interpolating it gives the true depth of the surface.
    inv_z = 1.0 / depth[faces]
    iz = b0 * inv_z[fi, 0] + b1 * inv_z[fi, 1] + b2 * inv_z[fi, 2]
    pix = py * width + px
    best = np.full(width * height, -np.inf)
    np.maximum.at(best, pix, iz)
    win = iz >= best[pix]
    # Ties (shared edges) are written in a fixed order, so the result is deterministic.
    pix, fi = pix[win], fi[win]
    face = np.full(width * height, -1, np.int32)
    face[pix] = fi
    bary = np.zeros((width * height, 3), np.float32)
    bary[pix] = np.stack([b0[win], b1[win], b2[win]], axis=1)
    dbuf = np.full(width * height, np.inf, np.float32)
    dbuf[pix] = 1.0 / best[pix]
    return Raster(
        face=face.reshape(height, width),
        bary=bary.reshape(height, width, 3),
        depth=dbuf.reshape(height, width),
    )
