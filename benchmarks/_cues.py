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
from hipdrop.vision import cues, markers

CUE_VERSION = hashlib.sha256(inspect.getsource(cues).encode()).hexdigest()[:10]


def measure_frames(video: Path, series: LandmarkSeries, with_markers: bool = False
                   ) -> tuple[np.ndarray, np.ndarray | None]:
    """The image cues of each frame of ``video`` at ``series``'s landmarks, as `hipdrop
    analyze` reads them: (T, 3) waist rows and, ``with_markers``, (T, 5) marker rows (tracked)."""
    waist = np.tile(np.array([np.nan, 0.0, np.nan], np.float32), (len(series), 1))
    marks = np.tile(np.array([np.nan] * 4 + [0.0], np.float32), (len(series), 1))
    tracker = markers.MarkerTracker() if with_markers else None
    cap = cv2.VideoCapture(str(video))
    try:
        for i in range(len(series)):
            ok, frame = cap.read()
            if not ok:
                break
            points = series.image[i] if np.isfinite(series.image[i, :, 0]).any() else None
            if points is not None:
                c = cues.waist_line(frame, points)
                waist[i] = (c.obliquity_deg, c.confidence, c.height)
            if tracker is not None:
                marks[i] = tracker(frame, points).as_row()
    finally:
        cap.release()
    return waist, marks if with_markers else None


def measure_waist(video: Path, series: LandmarkSeries) -> np.ndarray:
    """(T, 3) the waist cue of each frame of ``video`` at ``series``'s landmarks."""
    return measure_frames(video, series)[0]


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
