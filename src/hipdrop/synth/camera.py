"""A pinhole camera in front of the subject.

Scene frame (see rig.py): +X the subject's left, -Y the subject's front, +Z up, floor z = 0.
The camera stands at (0, -distance, height), faces the subject (+Y), is pitched to look at a
target height and may be rolled about its optical axis. Image axes: x right, y down, pixels;
the subject's left appears on the image's right, as in an unmirrored front-facing clip.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Camera:
    """Pinhole camera.

    distance_m : horizontal distance from the camera to the subject's plane (y = 0), > 0.
    height_m : camera centre above the floor.
    target_height_m : height of the point at the subject's plane the camera looks at (sets
        the pitch; equal to ``height_m`` for a level camera).
    roll_deg : rotation about the optical axis; > 0 turns the picture clockwise on screen (a
        level line falls to the right), which reads as obliquity - roll for a subject facing
        the camera.
    focal_px : focal length in pixels; width, height : image size in pixels.
    """

    distance_m: float
    height_m: float
    target_height_m: float
    roll_deg: float
    focal_px: float
    width: int
    height: int
    _axes: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.distance_m <= 0 or self.focal_px <= 0 or self.width <= 0 or self.height <= 0:
            raise ValueError("camera distance, focal length and image size must be > 0")
        fwd = np.array([0.0, self.distance_m, self.target_height_m - self.height_m])
        fwd /= np.linalg.norm(fwd)
        right = np.array([1.0, 0.0, 0.0])
        down = np.cross(fwd, right)
        r = np.radians(self.roll_deg)
        right_r = np.cos(r) * right - np.sin(r) * down
        down_r = np.sin(r) * right + np.cos(r) * down
        object.__setattr__(self, "_axes", np.stack([right_r, down_r, fwd]))

    @property
    def centre(self) -> np.ndarray:
        """(3,) the camera centre in the scene frame."""
        return np.array([0.0, -self.distance_m, self.height_m])

    @property
    def pitch_deg(self) -> float:
        """Downward pitch of the optical axis (positive looking down)."""
        return float(np.degrees(np.arctan2(self.height_m - self.target_height_m, self.distance_m)))

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """(..., 3) scene points -> (..., 3) camera coordinates (x right, y down, z forward)."""
        return (np.asarray(points) - self.centre) @ self._axes.T

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(..., 3) scene points -> ((..., 2) pixel x, y; (...,) depth in metres).

        Pixel centres are at integer + 0.5 (pixel (0, 0) covers [0, 1) x [0, 1)).
        """
        pc = self.to_camera(points)
        z = pc[..., 2]
        xy = self.focal_px * pc[..., :2] / z[..., None]
        xy = xy + np.array([self.width / 2.0, self.height / 2.0])
        return xy, z

    def rays(self, scale: int = 1) -> np.ndarray:
        """(H*scale, W*scale, 3) unit ray directions through each pixel centre of the image
        rendered ``scale`` times larger, in the scene frame."""
        h, w = self.height * scale, self.width * scale
        xs = (np.arange(w) + 0.5) / scale - self.width / 2.0
        ys = (np.arange(h) + 0.5) / scale - self.height / 2.0
        gx, gy = np.meshgrid(xs / self.focal_px, ys / self.focal_px)
        d = gx[..., None] * self._axes[0] + gy[..., None] * self._axes[1] + self._axes[2]
        return d / np.linalg.norm(d, axis=-1, keepdims=True)

    def as_dict(self) -> dict[str, float]:
        """The truth JSON's ``camera`` entry."""
        return {
            "distance_m": self.distance_m,
            "height_m": self.height_m,
            "target_height_m": self.target_height_m,
            "pitch_deg": round(self.pitch_deg, 4),
            "roll_deg": self.roll_deg,
            "focal_px": round(self.focal_px, 3),
        }


def framing_focal(extent_m: float, distance_m: float, image_px: int, fill: float) -> float:
    """Focal length (px) that makes ``extent_m`` at ``distance_m`` span ``fill`` of
    ``image_px`` pixels.

    >>> framing_focal(1.7, 3.0, 1000, 0.7)  # doctest: +ELLIPSIS
    1235.29...
    """
    return fill * image_px * distance_m / extent_m
