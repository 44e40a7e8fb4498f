"""One video frame: the shaded body over the room with its shadows.

:class:`FrameRenderer` holds what is fixed for a clip (camera, room picture, shadow maps,
colours) and turns a posed body into an 8-bit BGR frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from hipdrop.synth import studio
from hipdrop.synth.appearance import MAT_SKIN, Painter
from hipdrop.synth.camera import Camera
from hipdrop.synth.markers import disc_coverage, draw_disc
from hipdrop.synth.raster import Raster, rasterise, vertex_normals
from hipdrop.synth.scene import Room, Shadows, room_geometry, room_image

#: Rendering families: "lambert" (the default look) and "studio" (:mod:`hipdrop.synth.studio`).
STYLES: tuple[str, ...] = ("lambert", "studio")

#: Key light direction (toward the light, scene frame): from the front, above, a little to
#: the subject's right, like a window or ceiling light behind the camera.
KEY_LIGHT = np.array([-0.35, -0.75, 0.65]) / np.linalg.norm([-0.35, -0.75, 0.65])


def lighting(normals: np.ndarray) -> np.ndarray:
    """(V,) light reaching each vertex: a Lambert key light plus a sky/floor hemisphere fill
    (so the side away from the key is dim, not black).

    normals : (V, 3) unit outward normals in the scene frame.
    """
    key = np.clip(normals @ KEY_LIGHT, 0.0, None)
    sky = 0.5 + 0.5 * normals[:, 2]
    return (0.30 + 0.62 * key + 0.18 * sky).astype(np.float32)


@dataclass(frozen=True)
class MarkerDraw:
    """Two pelvic markers to draw in a frame.

    centres, normals : (2, 3) scene frame, left first. radius_m : disc radius.
    colour : (3,) RGB in [0, 1].
    """

    centres: np.ndarray
    normals: np.ndarray
    radius_m: float
    colour: tuple[float, float, float]


def body_raster(
    cam: Camera, scale: int, vertices: np.ndarray, faces: np.ndarray, inflation: np.ndarray
) -> tuple[np.ndarray, np.ndarray, Raster]:
    """((V, 3) normals, (V, 3) drawn skin (inflated), raster at ``scale`` x the camera size)."""
    normals = vertex_normals(vertices, faces)
    skin = vertices + inflation[:, None] * normals
    xy, z = cam.project(skin)
    return normals, skin, rasterise(xy * scale, z, faces, cam.width * scale, cam.height * scale)


def marker_visibility(cam: Camera, scale: int, depth: np.ndarray, markers: MarkerDraw) -> np.ndarray:
    """(2,) share of each marker's disc that the camera sees (facing it, not hidden by the
    body whose depth buffer is ``depth`` at ``scale``)."""
    return np.array(
        [
            disc_coverage(cam, scale, depth, c, n, markers.radius_m).visible_fraction
            for c, n in zip(markers.centres, markers.normals, strict=True)
        ]
    )


class FrameRenderer:
    """Renders frames of one clip.

    vertex_area : (V,) m^2 of skin per vertex (``scene.vertex_area``), for the shadows.
    supersample : render this many times larger and shrink (2 = 4 samples a pixel).
    style : "lambert" or "studio" (:data:`STYLES`); look : the studio's lights and grade
        (drawn from ``rng`` after the room when None).
    """

    def __init__(
        self,
        cam: Camera,
        room: Room,
        rng: np.random.Generator,
        vertex_area: np.ndarray,
        supersample: int = 1,
        style: str = "lambert",
        look: studio.StudioLook | None = None,
    ) -> None:
        if supersample not in (1, 2, 3):
            raise ValueError("supersample must be 1, 2 or 3")
        if style not in STYLES:
            raise ValueError(f"unknown style {style!r}; choose one of {STYLES}")
        self.style = style
        self.cam = cam
        self.ss = supersample
        geo = room_geometry(cam, room, supersample)
        self.room = room_image(geo, room, rng)
        self.shadows = Shadows(geo, room, cam, vertex_area)
        self.w, self.h = cam.width * supersample, cam.height * supersample
        self.last_mask: np.ndarray | None = None
        self.last_marker_visibility: np.ndarray | None = None
        self.look = None
        self.shadow_map = None
        if style == "studio":
            self.look = look or studio.StudioLook.draw(rng)
            self.shadow_map = studio.ShadowMap()

    def render(
        self, vertices: np.ndarray, faces: np.ndarray, painter: Painter, markers: MarkerDraw | None = None
    ) -> np.ndarray:
        """(H, W, 3) uint8 BGR frame of the body ``vertices`` (V, 3, scene frame) in the room.

        faces : (F, 3) the body's triangles; painter : its colours and garment inflation;
        markers : stickers to draw (their visibility is left in ``last_marker_visibility``).
        """
        normals, skin, r = body_raster(self.cam, self.ss, vertices, faces, painter.inflation)
        m = r.mask
        if self.style == "studio":
            colour = self._studio_body(r, faces, normals, skin, painter)
        else:
            values = np.concatenate([lighting(normals)[:, None], painter.vertex_colour, painter.rest], axis=1)
            px = r.interpolate(faces, values)
            albedo = painter.paint(painter.face_zone[r.face[m]], px[:, 4:7], px[:, 1:4])
            colour = albedo * px[:, :1]
        # Kept for tests and callers that want the silhouette: (H, W) bool at output size.
        self.last_mask = (
            m
            if self.ss == 1
            else cv2.resize(
                m.astype(np.uint8), (self.cam.width, self.cam.height), interpolation=cv2.INTER_AREA
            )
            > 0
        )
        img = self.room * self.shadows.darkening(vertices)[..., None]
        img[m] = np.clip(colour, 0.0, 1.0)
        if markers is not None:
            self.last_marker_visibility = self._draw_markers(img, r.depth, markers)
        if self.ss > 1:
            img = cv2.resize(img, (self.cam.width, self.cam.height), interpolation=cv2.INTER_AREA)
        else:
            # A touch of blur softens the aliased silhouette, as a real lens and codec would.
            img = cv2.GaussianBlur(img, (3, 3), 0.55)
        if self.look is not None:
            img = studio.colour_grade(self.look, studio.soften(img))
        # The colours are chosen as displayed values, so only quantise.
        return (np.clip(img[..., ::-1], 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)

    def _studio_body(
        self, r: Raster, faces: np.ndarray, normals: np.ndarray, skin: np.ndarray, painter: Painter
    ) -> np.ndarray:
        """(N, 3) RGB of the N body pixels in the studio family."""
        assert self.look is not None and self.shadow_map is not None
        m = r.mask
        values = np.concatenate([normals, skin, painter.vertex_colour, painter.rest], axis=1)
        px = r.interpolate(faces, values)
        albedo, material = painter.paint_material(painter.face_zone[r.face[m]], px[:, 9:12], px[:, 6:9])
        cloth = material != MAT_SKIN
        albedo[cloth] *= studio.fabric_texture(self.look, px[cloth, 9:12])[:, None]
        self.shadow_map.update(skin, faces)
        points = px[:, 3:6]
        lit = self.shadow_map.lit(points)
        n = px[:, :3] / np.maximum(np.linalg.norm(px[:, :3], axis=1, keepdims=True), 1e-9)
        return studio.shade(self.look, albedo, n, points, material, lit, self.cam.centre)

    def _draw_markers(self, img: np.ndarray, depth: np.ndarray, markers: MarkerDraw) -> np.ndarray:
        out = []
        for c, n in zip(markers.centres, markers.normals, strict=True):
            disc = disc_coverage(self.cam, self.ss, depth, c, n, markers.radius_m)
            base = np.asarray(markers.colour, np.float64)[None]
            if self.look is not None:
                rgb = studio.shade(
                    self.look, base, n[None], c[None], np.zeros(1, np.int8), np.ones(1), self.cam.centre
                )[0]
            else:
                rgb = base[0] * lighting(n[None])[0]
            draw_disc(img, disc, np.clip(rgb, 0.0, 1.0))
            out.append(disc.visible_fraction)
        return np.array(out)
