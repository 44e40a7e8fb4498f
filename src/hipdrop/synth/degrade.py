"""Camera degradations applied to finished frames, to imitate cheap cameras and uploads.

- "webcam": Poisson-Gaussian sensor noise, a slight defocus and motion blur, 4:2:0 chroma
  subsampling and a JPEG round trip at quality 35 per frame (the mp4 encoder then adds its
  own loss).
- "phone": the phone's sharpening (an unsharp mask with halos) and strong compression
  (a JPEG round trip at quality 22).

Blur sizes scale with the frame height (defined at 720 px), so a degradation looks alike at
360-1080 px. The random parts come from the generator given per frame.
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

Degrade = Literal["none", "webcam", "phone"]
DEGRADES: tuple[str, ...] = ("none", "webcam", "phone")


def _jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    out = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    assert out is not None  # our own encoder's bytes
    return out


def chroma_subsample(img: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 BGR with its colour kept at half resolution (4:2:0)."""
    ycc = cv2.cvtColor(img, cv2.COLOR_BGR2YCrCb)
    h, w = img.shape[:2]
    for c in (1, 2):
        small = cv2.resize(ycc[..., c], ((w + 1) // 2, (h + 1) // 2), interpolation=cv2.INTER_AREA)
        ycc[..., c] = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.cvtColor(ycc, cv2.COLOR_YCrCb2BGR)


def webcam(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(H, W, 3) uint8 BGR through a webcam: blur, sensor noise, chroma loss, JPEG q35."""
    h = img.shape[0]
    k = h / 720.0
    x: np.ndarray = img.astype(np.float32) / 255.0
    x = cv2.GaussianBlur(x, (0, 0), 0.9 * k)  # defocus
    # Motion blur: a short line kernel in a random direction.
    length = max(round(3 * k), 2)
    kernel = np.zeros((2 * length + 1, 2 * length + 1), np.float32)
    ang = rng.uniform(0, np.pi)
    for s in np.linspace(-length / 2, length / 2, 2 * length + 1):
        kernel[round(length + s * np.sin(ang)), round(length + s * np.cos(ang))] += 1.0
    x = cv2.filter2D(x, -1, kernel / kernel.sum())
    # Poisson-Gaussian noise: shot noise from a full well of ~300 electrons, read noise 1.5%.
    electrons = 300.0
    x = rng.poisson(np.clip(x, 0, 1) * electrons).astype(np.float32) / electrons
    x = x + rng.normal(0.0, 0.015, x.shape).astype(np.float32)
    out = (np.clip(x, 0, 1) * 255.0 + 0.5).astype(np.uint8)
    return _jpeg(chroma_subsample(out), 35)


def phone(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(H, W, 3) uint8 BGR through a phone's pipeline: sharpening, light noise, JPEG q22."""
    k = img.shape[0] / 720.0
    x = img.astype(np.float32)
    blur = cv2.GaussianBlur(x, (0, 0), 1.4 * k)
    x = x + 0.8 * (x - blur)  # unsharp mask
    x = x + rng.normal(0.0, 1.5, x.shape).astype(np.float32)
    out = np.clip(x + 0.5, 0, 255).astype(np.uint8)
    return _jpeg(chroma_subsample(out), 22)


def degrade(img: np.ndarray, kind: str, rng: np.random.Generator) -> np.ndarray:
    """``img`` (H, W, 3) uint8 BGR through the degradation ``kind`` (see the module)."""
    if kind == "none":
        return img
    if kind == "webcam":
        return webcam(img, rng)
    if kind == "phone":
        return phone(img, rng)
    raise ValueError(f"unknown degradation {kind!r}; choose one of {DEGRADES}")
