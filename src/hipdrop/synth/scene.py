"""The room: a wall behind the subject, a floor, and the shadows the body casts on them.

The room does not move, so its picture is computed once per clip by casting one ray per
pixel (:func:`room_image`); each frame only darkens it with shadows (:class:`Shadows`), which
are splatted on a coarse grid on each plane, blurred, and looked up with ``cv2.remap``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from hipdrop.synth.camera import Camera

RGB = tuple[float, float, float]
WallKind = Literal["paint", "brick", "panel"]
FloorKind = Literal["wood", "tiles", "carpet"]


@dataclass(frozen=True)
class Room:
    """A wall at ``y = wall_y_m`` behind the subject and the floor z = 0."""

    name: str
    wall: RGB
    wall_kind: WallKind
    floor: RGB
    floor_kind: FloorKind
    wall_y_m: float = 1.2

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "wall_rgb": list(self.wall),
            "wall_kind": self.wall_kind,
            "floor_rgb": list(self.floor),
            "floor_kind": self.floor_kind,
            "wall_distance_m": self.wall_y_m,
        }


ROOMS: dict[str, Room] = {
    "living-room": Room("living-room", (0.80, 0.74, 0.64), "paint", (0.55, 0.38, 0.24), "wood"),
    "clinic": Room("clinic", (0.86, 0.87, 0.86), "paint", (0.62, 0.64, 0.66), "tiles"),
    "gym": Room("gym", (0.55, 0.57, 0.60), "panel", (0.20, 0.20, 0.22), "carpet"),
    "bedroom": Room("bedroom", (0.55, 0.64, 0.72), "paint", (0.62, 0.56, 0.50), "carpet"),
    "studio": Room("studio", (0.62, 0.36, 0.28), "brick", (0.50, 0.40, 0.30), "wood"),
}


def resolve_room(name: str, rng: np.random.Generator) -> Room:
    """A room by name, or ``"random"`` for one drawn from ``rng``."""
    if name == "random":
        name = str(rng.choice(list(ROOMS)))
    try:
        return ROOMS[name]
    except KeyError:
        raise ValueError(f"unknown background {name!r}; choose one of {[*ROOMS, 'random']}") from None


@dataclass(frozen=True)
class RoomGeometry:
    """Where each pixel's ray meets the room (arrays at the rendered resolution).

    floor : (H, W) bool, the ray hits the floor first. points : (H, W, 3) scene point hit.
    depth : (H, W) camera-space z of that point (m).
    """

    floor: np.ndarray
    points: np.ndarray
    depth: np.ndarray


def room_geometry(cam: Camera, room: Room, scale: int = 1) -> RoomGeometry:
    """Cast the camera's rays (``scale`` times the image size) at the wall and the floor."""
    d = cam.rays(scale)
    c = cam.centre
    with np.errstate(divide="ignore", invalid="ignore"):
        t_floor = np.where(d[..., 2] < 0, -c[2] / d[..., 2], np.inf)
        t_wall = np.where(d[..., 1] > 0, (room.wall_y_m - c[1]) / d[..., 1], np.inf)
    floor = t_floor < t_wall
    t = np.minimum(t_floor, t_wall)
    t = np.where(np.isfinite(t), t, 100.0)
    points = c + t[..., None] * d
    depth = cam.to_camera(points)[..., 2]
    return RoomGeometry(floor=floor, points=points, depth=depth)


def _noise(rng: np.random.Generator, size: int = 256) -> np.ndarray:
    """(size, size) float32 smooth value noise in [-1, 1] that tiles."""
    base = rng.uniform(-1, 1, (size // 8, size // 8)).astype(np.float32)
    big = cv2.resize(np.tile(base, (3, 3)), (size * 3, size * 3), interpolation=cv2.INTER_CUBIC)
    return big[size : 2 * size, size : 2 * size]


def _lookup(table: np.ndarray, u: np.ndarray, v: np.ndarray, cell_m: float) -> np.ndarray:
    """Sample a tiling ``table`` at world coordinates (metres) with ``cell_m`` per texel."""
    n = table.shape[0]
    mx = np.mod(u / cell_m, n).astype(np.float32)
    my = np.mod(v / cell_m, n).astype(np.float32)
    return cv2.remap(table, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)


def room_image(geo: RoomGeometry, room: Room, rng: np.random.Generator) -> np.ndarray:
    """(H, W, 3) float32 RGB picture of the empty room, lit from the front and above."""
    p = geo.points
    x, y, z = p[..., 0], p[..., 1], p[..., 2]
    fine, coarse = _noise(rng), _noise(rng)
    wall: np.ndarray = np.empty(z.shape, np.float32)
    # Wall: texture, a skirting board, a soft light pool behind the subject, and the corner
    # darkening where the wall meets the floor.
    tex = 1.0 + 0.015 * _lookup(fine, x, z, 0.004) + 0.012 * _lookup(coarse, x, z, 0.05)
    if room.wall_kind == "brick":
        row = np.floor(z / 0.075)
        col = np.floor(x / 0.22 + 0.5 * np.mod(row, 2))
        mortar = (np.mod(z, 0.075) < 0.011) | (np.mod(x / 0.22 + 0.5 * np.mod(row, 2), 1) < 0.05)
        brick_var = _lookup(coarse, col * 0.37, row * 0.53, 0.01)
        tex = np.where(mortar, 1.45, tex + 0.12 * brick_var)
    elif room.wall_kind == "panel":
        tex = tex * np.where(np.mod(x, 0.6) < 0.008, 0.75, 1.0)
    light = 0.78 + 0.32 * np.exp(-((x / 1.6) ** 2 + ((z - 1.3) / 1.4) ** 2))
    corner = 1.0 - 0.25 * np.exp(-z / 0.12)
    wall = np.asarray(room.wall, np.float32) * (tex * light * corner)[..., None]
    skirting = (~geo.floor) & (z < 0.09)
    wall[skirting] = np.array([0.93, 0.92, 0.90], np.float32) * (0.8 + 0.15 * (z[skirting] / 0.09))[:, None]
    # Floor: planks, tiles or carpet; darker toward the wall and the far sides.
    if room.floor_kind == "wood":
        plank = np.floor(x / 0.14)
        offset = _lookup(coarse, plank * 0.7, plank * 0.3, 0.01)
        grain = _lookup(fine, x * 8.0, y * 0.5 + offset, 0.01)
        ftex = 1.0 + 0.12 * offset + 0.06 * grain
        ftex = np.where(np.mod(x, 0.14) < 0.004, 0.7, ftex)
    elif room.floor_kind == "tiles":
        ftex = 1.0 + 0.03 * _lookup(fine, x, y, 0.004)
        ftex = np.where((np.mod(x, 0.4) < 0.006) | (np.mod(y, 0.4) < 0.006), 0.8, ftex)
    else:
        ftex = 1.0 + 0.08 * _lookup(fine, x, y, 0.002) + 0.04 * _lookup(coarse, x, y, 0.03)
    fall = np.clip(1.0 - 0.05 * x * x - 0.1 * np.clip(y, 0, None), 0.55, 1.0)
    wall_occlusion = 1.0 - 0.2 * np.exp(-(room.wall_y_m - y) / 0.15)
    floor = np.asarray(room.floor, np.float32) * (ftex * fall * wall_occlusion)[..., None]
    out = np.where(geo.floor[..., None], floor, wall)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


class Shadows:
    """Soft shadows of the body on the floor (a contact shadow under what nears the floor and
    a faint wide one) and on the wall (cast by a light above and behind the camera).

    Each vertex is splatted onto a 1 cm grid on the plane with its share of the skin's area,
    so a grid cell holds the skin area above it (about twice the silhouette area: front and
    back), independent of the mesh's density; the grids are blurred and looked up per pixel.
    Built once per clip; :meth:`darkening` gives the (H, W) float32 multiplier for a frame.
    """

    def __init__(
        self, geo: RoomGeometry, room: Room, cam: Camera, vertex_area: np.ndarray, cell_m: float = 0.01
    ) -> None:
        self.cell = cell_m
        self.weight = vertex_area / (cell_m * cell_m)
        self.floor_mask = geo.floor
        self.x0, self.x1 = -2.0, 2.0
        self.y0 = -1.5
        self.wall_y = room.wall_y_m
        p = geo.points.astype(np.float32)
        # Pixel -> grid cell maps, fixed for the clip.
        self.floor_map = ((p[..., 0] - self.x0) / cell_m, (p[..., 1] - self.y0) / cell_m)
        self.wall_map = ((p[..., 0] - self.x0) / cell_m, p[..., 2] / cell_m)
        nx = int((self.x1 - self.x0) / cell_m)
        self.floor_shape = (int((room.wall_y_m - self.y0) / cell_m), nx)
        self.wall_shape = (int(2.5 / cell_m), nx)
        self.light_from = cam.centre + np.array([-0.8, -1.0, 1.4])

    def _splat(
        self, u: np.ndarray, v: np.ndarray, w: np.ndarray, shape: tuple[int, int], sigma_cells: float
    ) -> np.ndarray:
        iu, iv = np.floor(u).astype(np.int64), np.floor(v).astype(np.int64)
        ok = (iu >= 0) & (iu < shape[1]) & (iv >= 0) & (iv < shape[0])
        flat = np.bincount(iv[ok] * shape[1] + iu[ok], weights=w[ok], minlength=shape[0] * shape[1])
        return cv2.GaussianBlur(flat.reshape(shape).astype(np.float32), (0, 0), sigma_cells)

    def darkening(self, vertices: np.ndarray) -> np.ndarray:
        """(H, W) float32 in (0, 1]: multiply the room picture by this for ``vertices`` (V, 3)."""
        v = vertices
        u = (v[:, 0] - self.x0) / self.cell
        g = (v[:, 1] - self.y0) / self.cell
        h = np.clip(v[:, 2], 0.0, None)
        contact = self._splat(u, g, self.weight * np.exp(-h / 0.03), self.floor_shape, 4.0)
        ambient = self._splat(u, g, self.weight * np.exp(-h / 0.4), self.floor_shape, 16.0)
        # Cast: each vertex travels from the light to the floor (falls behind the person).
        lf = self.light_from
        tf = lf[2] / np.maximum(lf[2] - v[:, 2], 1e-3)
        fh = lf + tf[:, None] * (v - lf)
        cast = self._splat(
            (fh[:, 0] - self.x0) / self.cell,
            (fh[:, 1] - self.y0) / self.cell,
            self.weight / tf**2,
            self.floor_shape,
            5.0,
        )
        floor_dark = (
            0.45 * np.tanh(0.8 * contact) + 0.25 * np.tanh(0.5 * ambient) + 0.25 * np.tanh(0.7 * cast)
        )
        # Wall: each vertex travels from the light to the wall plane; the farther the body
        # from the wall, the softer the shadow.
        t = (self.wall_y - lf[1]) / (v[:, 1] - lf[1])
        hit = lf + t[:, None] * (v - lf)
        gap = float(np.mean(self.wall_y - v[:, 1]))
        # The shadow's skin area is magnified by t; divide so coverage stays ~2 inside it.
        w = self.weight / np.maximum(t, 1e-3) ** 2
        wall = self._splat(
            (hit[:, 0] - self.x0) / self.cell, hit[:, 2] / self.cell, w, self.wall_shape, 3.0 + 8.0 * gap
        )
        wall_dark = 0.3 * np.tanh(0.7 * wall)
        fd = cv2.remap(
            floor_dark.astype(np.float32),
            *self.floor_map,
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0,
        )
        wd = cv2.remap(
            wall_dark.astype(np.float32),
            *self.wall_map,
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0,
        )
        return 1.0 - np.where(self.floor_mask, fd, wd)


def vertex_area(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(V,) a third of the area (m^2) of the faces around each vertex."""
    tri = vertices[faces]
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    return np.bincount(faces.ravel(), weights=np.repeat(area / 3.0, 3), minlength=len(vertices))
