"""Long recordings built from real landmarks, for benchmarks/cli_long.py.

The pose model is run once on the knee-lift clip (alternating single-leg phases of ~1 s); its
landmarks are then tiled to any length at 30 fps. Variants: as they are (no image cue, as the
clip has none), with a waist cue, with pelvis-marker rows, long holds (every frame repeated so
that each stance phase lasts several seconds), and no double stance (the clip's frames with
both feet down left out: every baseline falls back to the whole recording's). The cues are
made from the clip's own hip landmarks (the hip line plus noise; markers a little above the
hip points), so each phase is read by that tier, as on a recording with a belt or stickers.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from _speed import VIDEO_DIR, log

KNEE_CLIP = "alternating_knee_lift_front_01.mp4"
FPS = 30.0
VARIANTS = ("tiled", "waist", "markers", "holds", "nodouble")
HOLD_REPEAT = 6  # frames of the holds variant per frame of the clip


def clip_landmarks(cache: Path):
    """The knee-lift clip's LandmarkSeries from the full model, extracted once into ``cache``."""
    from hipdrop.core.landmarks import LandmarkSeries

    path = cache / "knee_lift_full.npz"
    if not path.is_file():
        from hipdrop.io.extract import extract_landmarks
        from hipdrop.io.models import resolve

        src = VIDEO_DIR / KNEE_CLIP
        if not src.is_file():
            raise SystemExit(f"cli_long: {src} not found (set HIPDROP_VIDEO_DIR)")
        log(f"extracting the landmarks of {src.name} with the full model (once)")
        series = extract_landmarks(src, resolve("full", download=False)).series
        cache.mkdir(parents=True, exist_ok=True)
        series.save(path)
    return LandmarkSeries.load(path)


def recording(clip, variant: str, minutes: float, seed: int = 0):
    """``minutes`` of 30 fps landmarks made from ``clip`` (a LandmarkSeries), ``variant`` one
    of VARIANTS. Each copy gets its own small jitter (0.5 px) so no two tiles are identical."""
    from hipdrop.core.landmarks import L_HIP, NO_MARKER_ROW, NO_WAIST_ROW, R_HIP, LandmarkSeries

    rng = np.random.default_rng(seed)
    image, world = clip.image, clip.world
    if variant == "holds":
        image, world = np.repeat(image, HOLD_REPEAT, 0), np.repeat(world, HOLD_REPEAT, 0)
    elif variant == "nodouble":
        from hipdrop.core.stance import DOUBLE
        from hipdrop.pipeline.analysis import analyze

        keep = analyze(clip).labels != DOUBLE
        image, world = image[keep], world[keep]
    n = round(minutes * 60 * FPS)
    reps = math.ceil(n / len(image))
    image = np.tile(image, (reps, 1, 1))[:n].copy()
    world = np.tile(world, (reps, 1, 1))[:n].copy()
    image[..., :2] += rng.normal(0.0, 0.5, image[..., :2].shape).astype(np.float32)
    waist = np.tile(NO_WAIST_ROW, (n, 1))
    markers = np.tile(NO_MARKER_ROW, (n, 1))
    left, right = image[:, L_HIP, :2].astype(np.float64), image[:, R_HIP, :2].astype(np.float64)
    seen = np.isfinite(left[:, 0]) & np.isfinite(right[:, 0])
    if variant == "waist":
        line = np.degrees(np.arctan2(right[:, 1] - left[:, 1], np.abs(left[:, 0] - right[:, 0])))
        waist[seen, 0] = line[seen] + rng.normal(0.0, 0.5, seen.sum())
        waist[seen, 1] = 0.8
        waist[seen, 2] = 0.35 + rng.normal(0.0, 0.01, seen.sum())
    elif variant == "markers":
        up = np.array([0.0, -12.0])
        markers[seen, 0:2] = left[seen] + up + rng.normal(0.0, 0.3, (seen.sum(), 2))
        markers[seen, 2:4] = right[seen] + up + rng.normal(0.0, 0.3, (seen.sum(), 2))
        markers[seen, 4] = 0.9
    t = np.arange(n) / FPS
    return LandmarkSeries(image, world, t, clip.width, clip.height, FPS, clip.model, waist, markers)
