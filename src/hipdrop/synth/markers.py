"""Skin markers on the pelvis: two small discs on the left and right ASIS (front) or PSIS
(back), as 2D clinical video analysis of pelvic drop places them.

A marker site is picked once on the rest mesh (a skin vertex at the bony landmark, pushed
3 mm out along the skin normal) and then moves rigidly with the pelvis (the ``root`` bone's
motion, ``Posed.root``), as a sticker on a bony landmark does. Each frame it is drawn as a
flat disc facing its normal: the exact ray-plane intersection is sampled 4 x 4 times per
pixel (anti-aliased), and samples behind a nearer part of the body (a hand, a thigh) are
hidden through the body's depth buffer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from hipdrop.synth.body import Body, Posed
from hipdrop.synth.camera import Camera
from hipdrop.synth.raster import vertex_normals

MarkerKind = Literal["none", "asis", "psis"]
MARKER_KINDS: tuple[str, ...] = ("none", "asis", "psis")
RGB = tuple[float, float, float]
MARKER_COLOURS: dict[str, RGB] = {
    "green": (0.05, 0.85, 0.15),
    "magenta": (0.92, 0.08, 0.75),
    "orange": (1.0, 0.48, 0.04),
    "blue": (0.08, 0.28, 0.95),
    "black": (0.03, 0.03, 0.03),
}
#: Markers stand this far off the skin (m): a sticker's thickness plus clearance from the
#: faceted mesh.
OFFSET_M = 0.003
#: Where each site is, relative to the hip joint centre of its side (m): lateral offset
#: (ASIS) or distance from the midline (PSIS), and height above the hip centres.
ASIS_LATERAL_M, ASIS_ABOVE_HIP_M = 0.025, 0.07
PSIS_MIDLINE_M, PSIS_ABOVE_HIP_M = 0.045, 0.10
#: A sample is hidden when the body's surface is nearer than the disc by more than this (m).
DEPTH_TOLERANCE_M = 0.0015
_SUB = 4  # samples per pixel along each axis


@dataclass(frozen=True)
class MarkerSites:
    """Two markers on the rest body (``Body.rest``'s frame), left first.

    points : (2, 3) disc centres (m). normals : (2, 3) unit outward normals.
    """

    kind: str
    points: np.ndarray
    normals: np.ndarray

    def posed(self, posed: Posed) -> tuple[np.ndarray, np.ndarray]:
        """((2, 3) centres, (2, 3) normals) moved rigidly with ``posed``'s pelvis."""
        if posed.root is None:
            raise ValueError("the posed body has no pelvis motion (Posed.root)")
        r, t = posed.root[:3, :3], posed.root[:3, 3]
        return self.points @ r.T + t, self.normals @ r.T


def surface_point(
    vertices: np.ndarray, faces: np.ndarray, normals: np.ndarray, x: float, z: float, front: bool
) -> tuple[np.ndarray, np.ndarray] | None:
    """((3,) point, (3,) unit normal) where the line through (x, ., z) parallel to Y meets
    the mesh first from the front (-Y, ``front``) or from the back (+Y); None if it misses.

    vertices, normals : (V, 3); faces : (F, 3). The normal is interpolated from the vertices'.
    """
    tri = vertices[faces]  # (F, 3, 3)
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    # Barycentric weights of (x, z) in each face projected on the XZ plane.
    e1, e2 = b - a, c - a
    det = e1[:, 0] * e2[:, 2] - e1[:, 2] * e2[:, 0]
    ok = np.abs(det) > 1e-12
    dx, dz = x - a[:, 0], z - a[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        u = (dx * e2[:, 2] - dz * e2[:, 0]) / det
        w = (dz * e1[:, 0] - dx * e1[:, 2]) / det
    hit = ok & (u >= 0) & (w >= 0) & (u + w <= 1)
    if not hit.any():
        return None
    k = np.flatnonzero(hit)
    bary = np.stack([1 - u[k] - w[k], u[k], w[k]], axis=1)
    y = np.einsum("kj,kj->k", bary, tri[k, :, 1])
    best = int(np.argmin(y) if front else np.argmax(y))
    point = np.array([x, y[best], z])
    n = bary[best] @ normals[faces[k[best]]]
    return point, n / np.linalg.norm(n)


def marker_sites(body: Body, kind: str) -> MarkerSites:
    """The left and right ASIS ("asis": the front skin surface 2.5 cm lateral of each hip
    joint centre and 7 cm above it) or PSIS ("psis": the back surface 4.5 cm from the
    midline, 10 cm above the hip centres) of ``body``, 3 mm off the skin."""
    if kind not in ("asis", "psis"):
        raise ValueError(f"unknown marker kind {kind!r}; choose one of {MARKER_KINDS}")
    v = body.rest.vertices
    j, bi = body.rest.joints, body.bone_index
    names = np.array(body.bone_names)[body.dominant_bone]
    trunk = np.array([n.startswith(("root", "pelvis", "spine", "upperleg")) for n in names])
    # Only the pelvis's own skin: the hanging hands are at this height too.
    faces = body.faces[np.all(trunk[body.faces], axis=1)]
    normals = vertex_normals(v, body.faces)
    points, norms = [], []
    for s in ("L", "R"):
        hip = j[bi[f"upperleg01.{s}"]]
        sign = np.sign(hip[0])
        if kind == "asis":
            x0, z0 = hip[0] + sign * ASIS_LATERAL_M, hip[2] + ASIS_ABOVE_HIP_M
        else:
            x0, z0 = sign * PSIS_MIDLINE_M, hip[2] + PSIS_ABOVE_HIP_M
        found = surface_point(v, faces, normals, float(x0), float(z0), front=kind == "asis")
        if found is None:
            raise ValueError(f"no skin at the {kind.upper()} of this body")
        point, n = found
        points.append(point + OFFSET_M * n)
        norms.append(n)
    return MarkerSites(kind, np.array(points), np.array(norms))


@dataclass(frozen=True)
class DiscCoverage:
    """How much of each pixel of a window one disc covers, after occlusion.

    x0, y0 : the window's top-left pixel (render scale). coverage : (h, w) float32 in [0, 1].
    visible_fraction : the share of the disc's samples that face the camera and are not
        hidden by the body (0 off screen).
    """

    x0: int
    y0: int
    coverage: np.ndarray
    visible_fraction: float


def disc_coverage(
    cam: Camera,
    scale: int,
    depth: np.ndarray,
    centre: np.ndarray,
    normal: np.ndarray,
    radius_m: float,
) -> DiscCoverage:
    """Rasterise a flat disc of ``radius_m`` at ``centre`` (3,) facing ``normal`` (3,) into
    an image ``scale`` times the camera's size whose body depth buffer is ``depth`` (H, W)
    (camera z in metres, inf where no body)."""
    h, w = depth.shape
    empty = DiscCoverage(0, 0, np.zeros((0, 0), np.float32), 0.0)
    o = cam.centre
    if float(np.dot(normal, o - centre)) <= 0.0:
        return empty  # facing away: a sticker seen from behind is hidden by the body
    # The disc's screen footprint: project points on its rim.
    a = np.cross(normal, [0.0, 0.0, 1.0])
    if np.linalg.norm(a) < 1e-6:
        a = np.cross(normal, [1.0, 0.0, 0.0])
    a /= np.linalg.norm(a)
    b = np.cross(normal, a)
    ang = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    rim = centre + radius_m * (np.cos(ang)[:, None] * a + np.sin(ang)[:, None] * b)
    xy, z = cam.project(rim)
    if (z <= 1e-3).any():
        return empty
    xy = xy * scale
    x0 = max(int(np.floor(xy[:, 0].min())) - 1, 0)
    y0 = max(int(np.floor(xy[:, 1].min())) - 1, 0)
    x1 = min(int(np.ceil(xy[:, 0].max())) + 1, w)
    y1 = min(int(np.ceil(xy[:, 1].max())) + 1, h)
    if x1 <= x0 or y1 <= y0:
        return empty
    sub = (np.arange(_SUB) + 0.5) / _SUB
    sx = (np.arange(x0, x1)[:, None] + sub[None, :]).ravel()  # (ww * SUB,)
    sy = (np.arange(y0, y1)[:, None] + sub[None, :]).ravel()
    gx, gy = np.meshgrid(sx, sy)  # (hh * SUB, ww * SUB)
    f = cam.focal_px * scale
    axes = cam._axes
    d = (
        ((gx - cam.width * scale / 2.0) / f)[..., None] * axes[0]
        + ((gy - cam.height * scale / 2.0) / f)[..., None] * axes[1]
        + axes[2]
    )
    t = float(np.dot(normal, centre - o)) / (d @ normal)
    p = o + t[..., None] * d
    inside = np.linalg.norm(p - centre, axis=-1) <= radius_m
    z_disc = t  # d has unit forward component, so t is the camera-space depth
    body = np.repeat(np.repeat(depth[y0:y1, x0:x1], _SUB, axis=0), _SUB, axis=1)
    shown = inside & ~(body < z_disc - DEPTH_TOLERANCE_M)
    hh, ww = y1 - y0, x1 - x0
    cov = shown.reshape(hh, _SUB, ww, _SUB).mean(axis=(1, 3)).astype(np.float32)
    n_in = int(inside.sum())
    return DiscCoverage(x0, y0, cov, float(shown.sum()) / n_in if n_in else 0.0)


def draw_disc(img: np.ndarray, disc: DiscCoverage, colour: np.ndarray) -> None:
    """Blend ``colour`` (3,) over ``img`` (H, W, 3) float by ``disc``'s coverage, in place."""
    hh, ww = disc.coverage.shape
    if not hh or not ww:
        return
    win = img[disc.y0 : disc.y0 + hh, disc.x0 : disc.x0 + ww]
    c = disc.coverage[..., None]
    win[...] = win * (1.0 - c) + np.asarray(colour, np.float32) * c
