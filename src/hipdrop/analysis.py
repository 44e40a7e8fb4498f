"""The offline pipeline: a landmark series in, signals, stance phases, reps and a verdict out."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hipdrop.errors import NoPoseError
from hipdrop.landmarks import LandmarkSeries
from hipdrop.measures import LegScale, Signals, frame_signals, smooth_offline
from hipdrop.obliquity import estimate_obliquity
from hipdrop.reps import Rep, find_reps, running_counts
from hipdrop.settings import Settings
from hipdrop.stance import (
    DOUBLE,
    LEFT,
    RIGHT,
    StancePhase,
    find_phases,
    measure_phases,
    stance_labels,
)
from hipdrop.verdict import Verdict, make_verdict


@dataclass
class Analysis:
    """Everything hipdrop measured on one recording.

    ``signals`` are smoothed, one row a frame; ``labels`` (T,) the stance label of each frame
    (see :mod:`hipdrop.stance`); ``drop`` (T,) the contralateral pelvic drop in degrees inside
    stance phases, NaN elsewhere.
    """

    series: LandmarkSeries
    settings: Settings
    signals: Signals
    labels: np.ndarray
    drop: np.ndarray
    phases: list[StancePhase]
    reps: list[Rep]
    verdict: Verdict
    waist_weight: np.ndarray | None = None  # (T,) the waist line's share in the obliquity
    warnings: list[str] = field(default_factory=list)
    estimator: str = "hipdrop"  # how the drop was read (see analyze_signals)

    @property
    def rep_counts(self) -> np.ndarray:
        """(T, 2) running rep counts [left, right]."""
        return running_counts(self.reps, self.signals.t)

    def trunk_lean_deg(self) -> np.ndarray:
        """(T,) trunk lean, positive toward the stance side in a phase, else toward the left."""
        lean = self.signals.trunk_lean_left_deg.copy()
        right = self.labels == RIGHT
        in_phase = np.isfinite(self.drop)
        lean[right & in_phase] *= -1.0
        return lean


ESTIMATORS = ("hipdrop", "landmarks")


def analyze_signals(series: LandmarkSeries, signals: Signals, settings: Settings,
                    estimator: str = "hipdrop") -> Analysis:
    """Stance phases, reps and verdict from already smoothed ``signals`` of ``series``.

    ``estimator`` "hipdrop" reads the drop with :mod:`hipdrop.obliquity` (waist line and
    calibrated landmark line); "landmarks" with the raw line through hip landmarks 23/24, the
    reading of peer tools, exact when the landmarks sit on the true hip joints.
    """
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {ESTIMATORS}, not {estimator!r}")
    warnings = []
    labels = stance_labels(signals.lift_left, signals.lift_right, signals.upright,
                           settings.lift_fraction)
    found = find_phases(labels, signals.t, series.fps, settings.min_stance_s)
    if estimator == "hipdrop":
        obliquity, weight = estimate_obliquity(signals, labels, found)
    else:
        obliquity, weight = signals.landmark_obliquity_deg.copy(), np.zeros(len(labels))
    signals = signals.with_matrix(signals.matrix())
    signals.obliquity_deg = obliquity
    phases, drop = measure_phases(obliquity, signals.trunk_lean_left_deg, labels, found,
                                  signals.t, series.fps, settings, weight)
    if phases and not (labels == DOUBLE).any():
        warnings.append("no double-leg stance in the recording: drops are measured against a "
                        "level pelvis (baseline 0), so camera roll is not removed")
    reps = find_reps(signals.abduction_left_deg, signals.abduction_right_deg, signals.t,
                     series.fps, settings)
    verdict = make_verdict(phases, settings)
    return Analysis(series, settings, signals, labels, drop, phases, reps, verdict, weight,
                    warnings, estimator)


def analyze(series: LandmarkSeries, settings: Settings | None = None,
            estimator: str = "hipdrop") -> Analysis:
    """Run the whole offline analysis on a landmark series (``estimator``: see
    :func:`analyze_signals`).

    Raises NoPoseError when no frame has the landmarks hipdrop needs.
    """
    settings = settings or Settings()
    if len(series) == 0 or not series.has_pose.any():
        raise NoPoseError("no person was found in any frame")
    scale = LegScale.of(series.image, series.world)
    raw = frame_signals(series.image, series.world, series.t, scale, settings, series.waist)
    if not raw.pose.any():
        raise NoPoseError("a person was found but never with hips, shoulders and ankles in view: "
                          "step back so the whole body is in the frame")
    signals = smooth_offline(raw, series.fps, settings)
    analysis = analyze_signals(series, signals, settings, estimator)
    seen = raw.pose.mean()
    if seen < 0.5:
        analysis.warnings.append(f"the whole body was in view in only {seen:.0%} of the frames")
    return analysis


__all__ = ["LEFT", "RIGHT", "Analysis", "analyze", "analyze_signals"]
