"""The offline pipeline: a landmark series in, signals, stance phases, reps and a verdict out."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hipdrop.core import bump as _bump
from hipdrop.core import squat as _squat
from hipdrop.core.baselines import Baselines
from hipdrop.core.landmarks import LandmarkSeries
from hipdrop.core.measures import LegScale, Signals, frame_signals, mask_unseen, smooth_offline
from hipdrop.core.obliquity import estimate_obliquity
from hipdrop.core.reps import Rep, find_reps, hold_times, leg_states, running_counts, running_rest
from hipdrop.core.side import Side
from hipdrop.core.stance import (
    DOUBLE,
    LEFT,
    RIGHT,
    StancePhase,
    contralateral_drop,
    find_phases,
    held_peak,
    measure_phases,
    stance_labels,
)
from hipdrop.core.tiers import GEOMETRY as _GEOMETRY
from hipdrop.core.tiers import (
    LANDMARKS,
    MARKERS,
    MEDIAPIPE,
    MEDIAPIPE_UNMEASURED,
    MIN_COVERAGE,
    TIERS,
    WAIST,
    LandmarkReading,
    PhaseReading,
    drop_interval,
    landmark_reading,
    noise_sd,
)
from hipdrop.core.verdict import DROP, Verdict, make_verdict, phase_finding, plausible_limit
from hipdrop.errors import NoPoseError
from hipdrop.settings import Settings


@dataclass
class Analysis:
    """Everything hipdrop measured on one recording.

    ``signals`` are smoothed, one row a frame; ``labels`` (T,) the stance label of each frame
    (see :mod:`hipdrop.core.stance`); ``drop`` (T,) the contralateral pelvic drop in degrees inside
    stance phases, NaN elsewhere and over a phase judged implausible (a tracking failure: its
    numbers are not a result, so frames.csv leaves them empty; the readings stay in the signals'
    RAW columns).
    """

    series: LandmarkSeries
    settings: Settings
    signals: Signals
    labels: np.ndarray
    drop: np.ndarray
    phases: list[StancePhase]
    reps: list[Rep]
    verdict: Verdict
    source: np.ndarray | None = None  # (T,) str, the tier that gave each frame's obliquity
    warnings: list[str] = field(default_factory=list)
    estimator: str = "hipdrop"  # how the drop was read (see analyze_signals)
    landmarks: LandmarkReading = MEDIAPIPE  # how the hip landmarks were read (hipdrop.core.tiers)
    squats: _squat.SquatSet = field(default_factory=_squat.SquatSet)  # hipdrop.core.squat
    bumps: list[_bump.Bump] | None = None  # the hip bump drill, when settings.hip_bump asks

    @property
    def rep_counts(self) -> np.ndarray:
        """(T, 2) running rep counts [left, right]."""
        return running_counts(self.reps, self.signals.t)

    def hold_s(self) -> np.ndarray:
        """(T, 2) how long each leg [left, right] has been held out at each frame, seconds
        (above the rep threshold from its resting splay; :func:`hipdrop.core.reps.hold_times`)."""
        abduction = self.signals.legs("abduction")
        rest = np.stack([running_rest(a, self.series.fps, self.settings) for a in abduction.T],
                        axis=-1)
        return hold_times(leg_states(abduction, rest, self.settings), self.signals.t)

    @property
    def best_hold_s(self) -> tuple[float, float]:
        """The longest time each leg [left, right] was held out, seconds."""
        if len(self.signals) == 0:
            return 0.0, 0.0
        left, right = self.hold_s().max(axis=0).tolist()
        return left, right

    def in_phase(self) -> np.ndarray:
        """(T,) bool: the frame lies in a stance phase (implausible ones included)."""
        mask = np.zeros(len(self.drop), bool)
        for p in self.phases:
            mask[p.start:p.stop] = True
        return mask

    def shown_drop(self) -> np.ndarray:
        """(T,) the drop where hipdrop stands behind the number, NaN elsewhere: phases read
        from markers, a waist line or landmarks taken as geometry, and not a tracking failure.
        (A MediaPipe bundle's hip points give an interval and a finding, not a number.)"""
        shown = np.full(len(self.drop), np.nan)
        for p in self.phases:
            if p.implausible:
                continue
            if p.obliquity_source in (MARKERS, WAIST) or self.landmarks is _GEOMETRY:
                part = self.drop[p.start:p.stop].copy()
                # A frame beyond what a pelvis can do is a glitch of that frame: not drawn.
                with np.errstate(invalid="ignore"):
                    part[np.abs(part) > plausible_limit(p, self.settings)] = np.nan
                shown[p.start:p.stop] = part
        return shown

    def trunk_lean_deg(self) -> np.ndarray:
        """(T,) trunk lean, positive toward the stance side in a phase, else toward the left."""
        lean = self.signals.trunk_lean_left_deg.copy()
        right = self.labels == RIGHT
        in_phase = self.in_phase()
        lean[right & in_phase] *= -1.0
        return lean


ESTIMATORS = ("hipdrop", "landmarks")


def analyze_signals(series: LandmarkSeries, signals: Signals, settings: Settings,
                    estimator: str = "hipdrop") -> Analysis:
    """Stance phases, reps and verdict from already smoothed ``signals`` of ``series``.

    ``estimator`` "hipdrop" reads each phase from the most trusted tier seen through it
    (:mod:`hipdrop.core.tiers`: markers, waist, landmarks); "landmarks" from the raw line through
    hip landmarks 23/24 only, the reading of peer tools. How the landmarks are read depends on
    the model that made them (``series.model``): a known MediaPipe bundle's are approximate,
    any other source's are read as geometry.
    """
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {ESTIMATORS}, not {estimator!r}")
    warnings = []
    labels = stance_labels(signals.lift_left, signals.lift_right, signals.upright,
                           settings.lift_fraction, signals.knee_flexion_left_deg,
                           signals.knee_flexion_right_deg, settings.max_stance_knee_deg)
    found = find_phases(labels, signals.t, series.fps, settings.min_stance_s)
    signals, phases, drop, source = measure_stance(series.fps, series.model, signals, labels,
                                                   found, settings, estimator)
    reading_of = landmark_reading(series.model)
    if phases and not (labels == DOUBLE).any():
        warnings.append("no double-leg stance in the recording: drops are measured against a "
                        "level pelvis (baseline 0), so camera roll is not removed")
    if phases and reading_of not in (MEDIAPIPE, MEDIAPIPE_UNMEASURED):
        warnings.append(f"landmarks from {series.model!r}, not a MediaPipe bundle hipdrop knows: "
                        "their hip points are read as the hip joint centres (geometry)")
    reps = find_reps(signals.abduction_left_deg, signals.abduction_right_deg, signals.t,
                     series.fps, settings)
    verdict = make_verdict(phases, settings)
    squats, bumps = _squats_and_bumps(series, signals, settings, reading_of)
    return Analysis(series, settings, signals, labels, drop, phases, reps, verdict, source,
                    warnings, estimator, reading_of, squats, bumps)


def _squats_and_bumps(series: LandmarkSeries, signals: Signals, settings: Settings,
                      reading_of: LandmarkReading
                      ) -> tuple[_squat.SquatSet, list[_bump.Bump] | None]:
    """Squats (always looked for: a squat is no stance phase and no abduction rep) and, when
    ``settings.hip_bump`` asks for the drill, hip bumps."""
    squats = _squat.analyze_squats(series.image, series.world, series.t, series.fps,
                                   settings.smooth_sigma_s, settings.max_gap_s, reading_of,
                                   settings.min_visibility, series.silhouette)
    bumps = None
    if settings.hip_bump >= 0.5:
        image, _ = mask_unseen(series.image, series.world, settings.min_visibility)
        bumps = _bump.analyze_bumps(image, signals.lift_left, signals.lift_right,
                                    settings.lift_fraction, series.t, series.fps,
                                    settings.smooth_sigma_s, settings.max_gap_s)
    return squats, bumps


def measure_stance(fps: float, model: str, signals: Signals, labels: np.ndarray,
                   found: list[tuple[int, int, int]], settings: Settings,
                   estimator: str = "hipdrop"
                   ) -> tuple[Signals, list[StancePhase], np.ndarray, np.ndarray]:
    """The phase step: each found phase read, measured and judged.

    Parameters
    ----------
    fps, model : the recording's frame rate and the model that made its landmarks (how its hip
        landmarks are read: :func:`hipdrop.core.tiers.landmark_reading`).
    signals : the smoothed signals (T rows) of the frames so far; labels : (T,) their stance
        labels; found : (label, start, stop) phases among them (all of them, or those wanted).

    Returns the signals with hipdrop's obliquity, the phases (:class:`StancePhase`, each with
    its tier, interval and finding), the (T,) drop (NaN outside the phases, and over a phase
    judged implausible) and the (T,) tier of each frame. The offline analysis runs it once on
    the whole recording; the live path on the frames so far when it shows a result
    (:meth:`hipdrop.pipeline.stream.StreamAnalyzer.so_far`).
    """
    allowed = TIERS if estimator == "hipdrop" else (LANDMARKS,)
    index = Baselines(labels)  # every baseline of the recording from one pass over the labels
    obliquity, readings, source = estimate_obliquity(signals, labels, found, allowed, index)
    signals = signals.with_matrix(signals.matrix())
    signals.obliquity_deg = obliquity
    phases, drop = measure_phases(obliquity, signals.trunk_lean_left_deg, labels, found,
                                  signals.t, fps, settings, index)
    reading_of = landmark_reading(model)
    for phase, reading, (side, start, stop) in zip(phases, readings, found, strict=True):
        _judge(phase, reading, signals, index, side, start, stop, fps, settings,
               drop[start:stop], reading_of)
        if phase.implausible:  # a tracking failure: no per-frame number either (frames.csv)
            drop[start:stop] = np.nan
    return signals, phases, drop, source


def _judge(phase: StancePhase, reading: PhaseReading, signals: Signals, index: Baselines,
           side: int, start: int, stop: int, fps: float, settings: Settings,
           cpd: np.ndarray, reading_of: LandmarkReading) -> None:
    """Set a measured phase's tier, interval and finding (hipdrop.core.tiers, hipdrop.core.verdict)."""
    thigh = signals.leg("thigh_elevation", Side.of_code(side).other)[start:stop]
    thigh_deg = float(np.nanmedian(thigh)) if np.isfinite(thigh).any() else float("nan")
    noise = noise_sd(reading.noise_deg, fps, settings.peak_window_s, reading.baseline_frames)
    other = float("nan")
    if reading.tier == MARKERS and reading.coverage.get(WAIST, 0.0) >= MIN_COVERAGE:
        # Where a waist line was read too, how far it disagrees is recorded (not used to widen
        # the markers' interval: on a real clip a shirt hem over the hips read a 4 deg hike
        # beside painted stickers' 8 deg drop: a lower tier that disagrees is the one off).
        waist = signals.waist_obliquity_deg
        w0, src = index.baseline(waist, start)
        if src != "none":
            other = held_peak(contralateral_drop(waist[start:stop], w0, side), fps,
                              settings.peak_window_s)
    phase.cue_disagreement_deg = abs(other - phase.peak_drop_deg) if np.isfinite(other) \
        else float("nan")
    phase.obliquity_source = reading.tier
    phase.noise_deg = reading.noise_deg
    phase.thigh_elevation_deg = thigh_deg
    phase.coverage = reading.coverage
    phase.landmarks_read_as = reading_of.read_as
    phase.drop_interval_deg = drop_interval(reading.tier, phase.peak_drop_deg, noise, thigh_deg,
                                            reading_of)
    extreme = held_peak(np.abs(cpd), fps, settings.peak_window_s) if np.isfinite(cpd).any() \
        else float("nan")
    landmarks = reading.tier == LANDMARKS
    found = phase_finding(
        phase, settings, extreme_deg=extreme,
        thigh_too_high=landmarks and np.isfinite(thigh_deg) and thigh_deg > reading_of.max_thigh_deg,
        markers_lost=reading.markers_lost,
        landmarks_approximate=landmarks and reading_of is not _GEOMETRY)
    phase.finding, phase.inconclusive_reason = found.finding, found.reason
    phase.implausible = found.implausible
    phase.significant = found.finding == DROP


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
    raw = frame_signals(series.image, series.world, series.t, scale, settings, series.waist,
                        series.markers)
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
