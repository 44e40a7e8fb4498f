"""One video frame: the shaded body over the room with its shadows.

:class:`FrameRenderer` holds what is fixed for a clip (camera, room picture, shadow maps,
colours) and turns a posed body into an 8-bit BGR frame.
"""

from __future__ import annotations

import cv2
import numpy as np

from hipdrop.synth.appearance import Painter
from hipdrop.synth.camera import Camera
from hipdrop.synth.raster import rasterise, vertex_normals
from hipdrop.synth.scene import Room, Shadows, room_geometry, room_image

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


class FrameRenderer:
    """Renders frames of one clip.

    vertex_area : (V,) m^2 of skin per vertex (``scene.vertex_area``), for the shadows.
    supersample : render this many times larger and shrink (2 = 4 samples a pixel).
    """

    def __init__(
        self,
        cam: Camera,
        room: Room,
        rng: np.random.Generator,
        vertex_area: np.ndarray,
        supersample: int = 1,
    ) -> None:
        if supersample not in (1, 2, 3):
            raise ValueError("supersample must be 1, 2 or 3")
        self.cam = cam
        self.ss = supersample
        geo = room_geometry(cam, room, supersample)
        self.room = room_image(geo, room, rng)
        self.shadows = Shadows(geo, room, cam, vertex_area)
        self.w, self.h = cam.width * supersample, cam.height * supersample
        self.last_mask: np.ndarray | None = None

    def render(self, vertices: np.ndarray, faces: np.ndarray, painter: Painter) -> np.ndarray:
        """(H, W, 3) uint8 BGR frame of the body ``vertices`` (V, 3, scene frame) in the room.

        faces : (F, 3) the body's triangles; painter : its colours and garment inflation.
        """
        normals = vertex_normals(vertices, faces)
        skin = vertices + painter.inflation[:, None] * normals
        xy, z = self.cam.project(skin)
        r = rasterise(xy * self.ss, z, faces, self.w, self.h)
        m = r.mask
        values = np.concatenate([lighting(normals)[:, None], painter.vertex_colour, painter.rest], axis=1)
        px = r.interpolate(faces, values)
        albedo = painter.paint(painter.face_zone[r.face[m]], px[:, 4:7], px[:, 1:4])
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
        img[m] = np.clip(albedo * px[:, :1], 0.0, 1.0)
        if self.ss > 1:
            img = cv2.resize(img, (self.cam.width, self.cam.height), interpolation=cv2.INTER_AREA)
        else:
            # A touch of blur softens the aliased silhouette, as a real lens and codec would.
            img = cv2.GaussianBlur(img, (3, 3), 0.55)
        # The colours are chosen as displayed values, so only quantise.
        return (np.clip(img[..., ::-1], 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
