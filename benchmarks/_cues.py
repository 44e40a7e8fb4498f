"""Image cues of the validity clips, recomputed from the videos when the cue code changes.

A clip's landmarks are cached once (the pose model is slow); its waist-line cue is cheap to
measure but changes whenever hipdrop.vision.cues does, so it is cached apart, keyed by a hash of the
cue module's source, and swapped into the series before analysis.
"""

from __future__ import annotations

import hashlib
import inspect
from pathlib import Path

import cv2
import numpy as np

from hipdrop.core.landmarks import LandmarkSeries
from hipdrop.vision import cues

CUE_VERSION = hashlib.sha256(inspect.getsource(cues).encode()).hexdigest()[:10]


def measure_waist(video: Path, series: LandmarkSeries) -> np.ndarray:
    """(T, 2) the waist cue of each frame of ``video`` at ``series``'s landmarks."""
    waist = np.tile(np.array([np.nan, 0.0, np.nan], np.float32), (len(series), 1))
    cap = cv2.VideoCapture(str(video))
    try:
        for i in range(len(series)):
            ok, frame = cap.read()
            if not ok:
                break
            if np.isfinite(series.image[i, :, 0]).any():
                cue = cues.waist_line(frame, series.image[i])
                waist[i] = (cue.obliquity_deg, cue.confidence, cue.height)
    finally:
        cap.release()
    return waist


def with_fresh_cues(series: LandmarkSeries, video: Path, cache_dir: Path) -> LandmarkSeries:
    """``series`` with its waist cue measured by the current hipdrop.vision.cues (cached)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"{video.stem}.{CUE_VERSION}.npy"
    if path.is_file():
        waist = np.load(path)
    else:
        waist = measure_waist(video, series)
        np.save(path, waist)
    series.waist = waist
    return series
