"""hipdrop's obliquity of every frame: in each stance phase, the reading of the tier that
carries it (:mod:`hipdrop.core.tiers`: markers, waist, or the hip landmarks); elsewhere the hip
landmark line, which outside a single-leg stance has no lifted thigh pulling at it.

No correction fitted to renders is applied to any reading (the one that used to be applied to
the landmark line read a level pelvis as a 5 deg drop on renders made another way, and a real
25 deg hike as a drop): how much a reading can be trusted is said by its interval instead.
"""

from __future__ import annotations

import numpy as np

from hipdrop.core.baselines import Baselines
from hipdrop.core.tiers import LANDMARKS, TIERS, PhaseReading, read_phase

#: frames.csv's per-frame source outside stance phases, and inside them where the phase's
#: tier was not read in that frame.
NOT_READ = "none"


def estimate_obliquity(signals: object, labels: np.ndarray, phases: list[tuple[int, int, int]],
                       allowed: tuple[str, ...] = TIERS, index: Baselines | None = None
                       ) -> tuple[np.ndarray, list[PhaseReading], np.ndarray]:
    """hipdrop's obliquity of every frame, the reading of each phase, and each frame's source.

    Parameters
    ----------
    signals : hipdrop.core.measures.Signals, smoothed.
    labels : (T,) stance labels.
    phases : (side, start, stop) stance phases of :func:`hipdrop.core.stance.find_phases`.
    allowed : the tiers that may carry a phase (``("landmarks",)`` reads the raw line only).
    index : the labels' :class:`hipdrop.core.baselines.Baselines` (made here when not given).

    Returns
    -------
    obliquity : (T,) degrees; in each phase the carrying tier's obliquity shifted to the
        landmark line's baseline (so DESIGN.md's CPD of it is the tier's drop); elsewhere the
        landmark line. NaN in a phase's frames where its tier was not read.
    readings : one :class:`hipdrop.core.tiers.PhaseReading` a phase.
    source : (T,) str, the tier that gave each frame's obliquity ("landmarks" outside phases).
    """
    landmark = signals.landmark_obliquity_deg  # type: ignore[attr-defined]
    obliquity = landmark.copy()
    source = np.full(len(obliquity), LANDMARKS, dtype=object)
    readings = []
    index = index if index is not None else Baselines(labels)
    for _side, start, stop in phases:
        theta0, _ = index.baseline(landmark, start)
        reading = read_phase(signals, labels, start, stop, theta0, allowed, index)
        obliquity[start:stop] = reading.obliquity_deg
        source[start:stop] = np.where(np.isfinite(reading.obliquity_deg), reading.tier, NOT_READ)
        readings.append(reading)
    return obliquity, readings, source
