"""The "studio" rendering family: other shading, lighting, textures and image statistics
than the default Lambert look, so a measure fitted on one family can be tested on another.

- Blinn-Phong: a warm key light from the subject's left, above and in front (the Lambert
  family's key is on their right), a cool rim light from behind, a dim hemisphere fill, and
  specular highlights (skin a soft sheen, fabric a faint one, a belt a sharp one).
- A soft shadow of the body on itself from the key light: a shadow map drawn with the same
  rasteriser from the light (orthographic), sampled with percentage-closer filtering.
- Procedural fabric in the albedo: a weave, fibre noise and folds, on the rest mesh so they
  move with the cloth.
- A colour grade on the finished picture: white balance, a contrast curve, a vignette.

Everything random is drawn once per clip from a generator, so a seed gives the same frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from hipdrop.synth.appearance import MAT_BELT, MAT_FABRIC
from hipdrop.synth.raster import rasterise


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


#: Toward the key light (scene frame): the subject's left (+X), in front (-Y), above.
KEY_DIR = _unit(np.array([0.55, -0.6, 0.6]))
#: Toward the rim light: behind the subject (+Y), to their right, above.
RIM_DIR = _unit(np.array([-0.5, 0.75, 0.45]))
#: Specular strength and Blinn-Phong exponent per material (skin, fabric, belt).
SPECULAR = {0: (0.22, 28.0), MAT_FABRIC: (0.06, 6.0), MAT_BELT: (0.45, 60.0)}
SHADOW_CELL_M = 0.005
SHADOW_BIAS_M = 0.015


@dataclass(frozen=True)
class StudioLook:
    """One clip's lights, fabric pattern and grade (drawn from a generator)."""

    key_rgb: np.ndarray  # (3,)
    rim_rgb: np.ndarray
    fill_rgb: np.ndarray
    wave_dirs: np.ndarray  # (K, 3) unit directions of the fabric noise waves
    wave_len: np.ndarray  # (K,) metres
    wave_phase: np.ndarray  # (K,)
    white_balance: np.ndarray  # (3,) RGB gains
    contrast: float
    vignette: float

    @staticmethod
    def draw(rng: np.random.Generator) -> StudioLook:
        k = 8
        dirs = rng.normal(size=(k, 3))
        warm = rng.uniform(0.0, 1.0)
        return StudioLook(
            key_rgb=np.array([1.0, 0.86 + 0.04 * warm, 0.70 + 0.06 * warm]) * rng.uniform(0.95, 1.1),
            rim_rgb=np.array([0.55, 0.68, 0.95]) * rng.uniform(0.5, 0.8),
            fill_rgb=np.array([0.26, 0.27, 0.30]) * rng.uniform(0.9, 1.1),
            wave_dirs=dirs / np.linalg.norm(dirs, axis=1, keepdims=True),
            wave_len=rng.uniform(0.008, 0.05, k),
            wave_phase=rng.uniform(0, 2 * np.pi, k),
            white_balance=np.array([rng.uniform(0.93, 1.08), 1.0, rng.uniform(0.88, 1.06)]),
            contrast=float(rng.uniform(0.35, 0.65)),
            vignette=float(rng.uniform(0.2, 0.4)),
        )


def fabric_texture(look: StudioLook, rest: np.ndarray) -> np.ndarray:
    """(N,) albedo multiplier of fabric at rest-mesh points ``rest`` (N, 3), about 1: a 5 mm
    weave, fibre noise (a sum of plane waves) and horizontal folds."""
    x, z = rest[:, 0], rest[:, 2]
    weave = np.sin(2 * np.pi * x / 0.005) * np.sin(2 * np.pi * z / 0.005)
    phase = rest @ look.wave_dirs.T * (2 * np.pi / look.wave_len) + look.wave_phase
    noise = np.sin(phase).mean(axis=1)
    # Folds: soft creases every ~4 cm whose course wanders with the noise.
    folds = np.abs(np.sin(2 * np.pi * z / 0.04 + 2.5 * noise)) ** 3
    return (1.0 + 0.04 * weave + 0.12 * noise - 0.12 * folds).astype(np.float32)


class ShadowMap:
    """Depth of the body seen from the key light (orthographic), per frame.

    extent_m : half-size of the square the map covers around the body's centre.
    """

    def __init__(self, direction: np.ndarray = KEY_DIR, extent_m: float = 1.2) -> None:
        fwd = -_unit(direction)  # the light travels along fwd
        down = _unit(np.array([0.0, 0.0, -1.0]) - np.dot([0.0, 0.0, -1.0], fwd) * fwd)
        right = np.cross(down, fwd)
        self.axes = np.stack([right, down, fwd])
        self.n = int(2 * extent_m / SHADOW_CELL_M)
        self.depth: np.ndarray | None = None
        self.centre = np.zeros(3)

    def _coords(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        q = (points - self.centre) @ self.axes.T
        xy = q[..., :2] / SHADOW_CELL_M + self.n / 2.0
        return xy, q[..., 2] + 20.0  # a far eye: depth stays > 0 and 1/z nearly linear

    def update(self, vertices: np.ndarray, faces: np.ndarray) -> None:
        """Draw the body ``vertices`` (V, 3) into the map."""
        self.centre = vertices.mean(axis=0)
        xy, z = self._coords(vertices)
        self.depth = rasterise(xy, z, faces, self.n, self.n).depth

    def lit(self, points: np.ndarray) -> np.ndarray:
        """(N,) in [0, 1]: how much of the key light reaches ``points`` (N, 3) (3 x 3 PCF)."""
        assert self.depth is not None
        xy, z = self._coords(points)
        out = np.zeros(len(points), np.float32)
        for dx in (-1.5, 0.0, 1.5):
            for dy in (-1.5, 0.0, 1.5):
                ix = np.clip((xy[:, 0] + dx).astype(np.int64), 0, self.n - 1)
                iy = np.clip((xy[:, 1] + dy).astype(np.int64), 0, self.n - 1)
                out += (self.depth[iy, ix] > z - SHADOW_BIAS_M).astype(np.float32)
        return out / 9.0


def shade(
    look: StudioLook,
    albedo: np.ndarray,
    normals: np.ndarray,
    points: np.ndarray,
    material: np.ndarray,
    lit: np.ndarray,
    eye: np.ndarray,
) -> np.ndarray:
    """(N, 3) RGB of N surface points: Blinn-Phong under the key (times ``lit`` (N,)), the
    rim and the fill. albedo (N, 3); normals (N, 3) unit; points (N, 3) scene frame;
    material (N,) MAT_*; eye (3,) the camera centre."""
    view = eye - points
    view /= np.maximum(np.linalg.norm(view, axis=1, keepdims=True), 1e-9)
    n = normals
    key = np.clip(n @ KEY_DIR, 0.0, None) * lit
    rim_facing = np.clip(n @ RIM_DIR, 0.0, None)
    # A rim light shows at grazing angles: weight it by how edge-on the surface is.
    rim = rim_facing * (1.0 - np.clip(np.sum(n * view, axis=1), 0.0, 1.0)) ** 1.5
    sky = 0.6 + 0.4 * n[:, 2]
    diffuse = (
        0.85 * key[:, None] * look.key_rgb
        + 0.9 * rim[:, None] * look.rim_rgb
        + sky[:, None] * look.fill_rgb
    )
    ks = np.zeros(len(n), np.float32)
    power = np.ones(len(n), np.float32)
    for mat, (strength, exponent) in SPECULAR.items():
        ks[material == mat] = strength
        power[material == mat] = exponent
    half = KEY_DIR + view
    half /= np.maximum(np.linalg.norm(half, axis=1, keepdims=True), 1e-9)
    spec = ks * np.clip(np.sum(n * half, axis=1), 0.0, 1.0) ** power * (key > 0) * lit
    return (albedo * diffuse + spec[:, None] * look.key_rgb).astype(np.float32)


def colour_grade(look: StudioLook, img: np.ndarray) -> np.ndarray:
    """(H, W, 3) RGB float in [0, 1] graded: white balance, an S contrast curve mixed in by
    ``look.contrast``, lifted blacks and a vignette."""
    out = np.clip(img * look.white_balance.astype(np.float32), 0.0, 1.0)
    s = out * out * (3.0 - 2.0 * out)
    out = (1.0 - look.contrast) * out + look.contrast * s
    out = 0.025 + 0.96 * out
    h, w = out.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
    out = out * (1.0 - look.vignette * 0.5 * r2)[..., None]
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def soften(img: np.ndarray) -> np.ndarray:
    """A lens's slight glow: a little of a wide blur added back (highlights bloom)."""
    glow = cv2.GaussianBlur(img, (0, 0), 6.0)
    return np.clip(0.9 * img + 0.1 * glow, 0.0, 1.0)
