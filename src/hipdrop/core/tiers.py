"""Which reading of the pelvis carries a stance phase, and how sure hipdrop is of it.

Three readings of the obliquity, in order of trust (DESIGN.md, "Measurement tiers"):

- **markers**: two stickers on the hip bones (:mod:`hipdrop.vision.markers`). Fixed to the pelvis, so
  their line tilts as the pelvis does: geometry, no fitted constant.
- **waist**: a belt or waistband edge on the iliac crests (:mod:`hipdrop.vision.cues`). Geometry too:
  read with a gain of 1; the error allowance is wider (a band can ride up, an edge is fuzzier).
- **landmarks**: the pose model's hip landmarks 23/24. For MediaPipe's bundles they are not a
  measurement of the pelvis: the model places them from the whole leg and trunk, reads about
  half of a pelvis-only tilt, and a lifted thigh pulls them toward a hike (SYNTH-NOTES.md; on
  real knee lifts by 20-30 deg). So no correction is applied to them: the reading stays what the
  line shows, and its interval is the set of true drops that such a line could have come from,
  over the range of gains and biases the pose model has shown (:class:`LandmarkReading`). That
  interval is wide, and a verdict needs the whole of it on one side of the threshold. Landmarks
  from anything other than a known MediaPipe bundle (a user's own tracker, mocap, exact
  geometry) are read as geometry.

A phase is carried by the first tier read in most of its frames, with a baseline of its own in
the double stance before; the whole phase is then read by that one tier (no frame-by-frame
switching, which made a reading jump between sources).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hipdrop.core.baselines import Baselines
from hipdrop.core.filters import median
from hipdrop.core.stance import DOUBLE, baseline, runs

MARKERS, WAIST, LANDMARKS = "markers", "waist", "landmarks"
TIERS = (MARKERS, WAIST, LANDMARKS)
# A tier carries a phase when it was read in at least this share of the phase's frames.
MIN_COVERAGE = 0.6
# z for a two-sided 90% interval.
Z90 = 1.645
# A waist line carries a phase only if it is the same edge throughout: its height on the body
# (hip separations) moves less than this from the double stance, and scatters less than this
# within the phase. A waistband on the pelvis moved 0.01 on the renders and 0.02-0.05 on a
# real woman in leggings; a hoodie hem dropped 0.26 as the man squatted, a loose shirt's
# moved 0.10 as the leg lifted.
MAX_WAIST_SHIFT = 0.08
# Markers carry a phase only if their span stays within this fraction of its double-stance value
# (a pelvis turning 25 deg shortens it by 10%).
MAX_SPAN_CHANGE = 0.15


@dataclass(frozen=True)
class TierError:
    """A tier's systematic error as a 90% half-width: ``fixed_deg + per_deg * |drop|``.

    These are allowances from geometry, stated before looking at the held-out domains, not
    fitted: markers, a centroid to a fraction of a pixel over a span of tens of pixels plus a
    sticker that is not exactly on the bone (a constant offset, which the baseline removes) and
    soft tissue that moves a little with the lift (5%); waist, a clothing edge that may ride on
    the skin by a degree or so and follow the crest less than one to one (10%).
    """

    fixed_deg: float
    per_deg: float

    def half_width(self, drop_deg: float) -> float:
        return self.fixed_deg + self.per_deg * abs(drop_deg)


TIER_ERRORS = {MARKERS: TierError(0.4, 0.05), WAIST: TierError(1.0, 0.10)}


@dataclass(frozen=True)
class LandmarkReading:
    """How a hip-landmark line reads a true drop D: read = g D + b, with the gain g in
    [gain_lo, gain_hi] and the bias b in [bias_lo(thigh), bias_hi], where the bias toward a hike
    grows with how high the lifted thigh is raised: bias_lo(thigh) = bias_lo_deg +
    bias_lo_per_thigh_deg * thigh elevation.

    ``read_as`` names the reading in the summary; ``max_thigh_deg`` is the thigh elevation
    above which the line says nothing about the pelvis.
    """

    read_as: str
    gain_lo: float
    gain_hi: float
    bias_lo_deg: float
    bias_lo_per_thigh_deg: float
    bias_hi_deg: float
    max_thigh_deg: float

    def drops(self, read_lo: float, read_hi: float, thigh_deg: float) -> tuple[float, float]:
        """The true drops [low, high] that readings in [read_lo, read_hi] can come from."""
        thigh = 0.0 if not math.isfinite(thigh_deg) else max(0.0, thigh_deg)
        b_lo = self.bias_lo_deg + self.bias_lo_per_thigh_deg * thigh
        b_hi = self.bias_hi_deg
        # D = (read - b) / g is monotonic in each variable: the extremes are at the corners.
        corners = [(r - b) / g for r in (read_lo, read_hi) for b in (b_lo, b_hi)
                   for g in (self.gain_lo, self.gain_hi)]
        return min(corners), max(corners)


# MediaPipe Pose Landmarker, full and heavy bundles (the two measured): on the renders the
# landmark line read slopes 0.50-0.62 and hike biases of 2-5 deg with a flexed lift (figures in
# SYNTH-NOTES.md and README); a whole-body tilt is followed at 0.97-1.02; on real knee lifts the
# lifted thigh pulled the line 10-20 deg further toward a hike. The bounds take all of that in.
MEDIAPIPE = LandmarkReading("pose model's hip landmarks (approximate)", gain_lo=0.4, gain_hi=1.05,
                            bias_lo_deg=-3.0, bias_lo_per_thigh_deg=-0.15, bias_hi_deg=1.5,
                            max_thigh_deg=50.0)
# A MediaPipe bundle never measured here (lite, a custom .task): wider still.
MEDIAPIPE_UNMEASURED = LandmarkReading("pose model's hip landmarks (approximate, model not "
                                       "validated)", gain_lo=0.3, gain_hi=1.1, bias_lo_deg=-4.0,
                                       bias_lo_per_thigh_deg=-0.2, bias_hi_deg=2.0,
                                       max_thigh_deg=45.0)
# Landmarks from any other source: their hip points are taken as the hip joint centres.
GEOMETRY = LandmarkReading("hip joint centres, read as geometry", gain_lo=0.97, gain_hi=1.03,
                           bias_lo_deg=-0.5, bias_lo_per_thigh_deg=0.0, bias_hi_deg=0.5,
                           max_thigh_deg=math.inf)
_BY_MODEL = {"full": MEDIAPIPE, "heavy": MEDIAPIPE}


def landmark_reading(model: str) -> LandmarkReading:
    """How to read the hip landmarks of a series made by ``model`` (the name in its file).

    >>> landmark_reading("full") is MEDIAPIPE, landmark_reading("synthetic") is GEOMETRY
    (True, True)
    """
    if model in _BY_MODEL:
        return _BY_MODEL[model]
    if model == "lite" or model.startswith("pose_landmarker") or model.endswith(".task"):
        return MEDIAPIPE_UNMEASURED
    return GEOMETRY


@dataclass
class PhaseReading:
    """What carried one stance phase's obliquity.

    tier : MARKERS, WAIST or LANDMARKS.
    obliquity_deg : (n,) the tier's obliquity over the phase, shifted to the landmark line's
        baseline (so that DESIGN.md's CPD of it, against that baseline, is the tier's drop).
    noise_deg : robust SD of the tier's frame-to-frame scatter around its smoothed value.
    baseline_frames : frames in the tier's baseline.
    coverage : share of the phase's frames each tier was read in.
    markers_lost : the markers were seen before the phase but not through it.
    """

    tier: str
    obliquity_deg: np.ndarray
    noise_deg: float
    baseline_frames: int
    coverage: dict[str, float]
    markers_lost: bool


_SMOOTHED = {MARKERS: "marker_obliquity_deg", WAIST: "waist_obliquity_deg",
             LANDMARKS: "landmark_obliquity_deg"}
_RAW = {MARKERS: "marker_obliquity_raw_deg", WAIST: "waist_obliquity_raw_deg",
        LANDMARKS: "landmark_obliquity_raw_deg"}


def _robust_sd(x: np.ndarray) -> float:
    """1.4826 x the median absolute deviation of the finite values of ``x`` (NaN if < 3)."""
    x = x[np.isfinite(x)]
    if x.size < 3:
        return math.nan
    # hipdrop.core.filters.median: np.median's number without its overhead (twice a phase).
    return float(1.4826 * median(np.abs(x - median(x))))


def _steady_edge(signals: object, labels: np.ndarray, start: int, stop: int,
                 index: Baselines | None = None) -> bool:
    """The waist line followed one edge fixed to the body from the double stance through the
    phase (see MAX_WAIST_SHIFT); True where its height was not measured (older files)."""
    height = signals.waist_height  # type: ignore[attr-defined]
    inside = height[start:stop]
    if not np.isfinite(inside).any():
        return True
    before, source = (baseline(height, labels, start) if index is None
                      else index.baseline(height, start))
    now = float(np.nanmedian(inside))
    spread = _robust_sd(inside)
    if source != "none" and abs(now - before) > MAX_WAIST_SHIFT:
        return False
    return not (math.isfinite(spread) and spread > MAX_WAIST_SHIFT)


def _steady_pair(signals: object, start: int, stop: int, index: Baselines) -> bool:
    """The markers were the same pair from the double stance through the phase: seen in most of
    the double-stance run before it, and their distance apart within MAX_SPAN_CHANGE of its
    value there (stickers on the pelvis keep their distance, give or take the pelvis turning;
    two chance blobs, such as the ends of a contrasting band, do not)."""
    theta = signals.marker_obliquity_deg  # type: ignore[attr-defined]
    if index.run_coverage(theta, start, _LOOK_BACK) < MIN_COVERAGE:
        return False
    span = signals.marker_span_px  # type: ignore[attr-defined]
    before, source = index.baseline(span, start)
    inside = span[start:stop]
    if source == "none" or not np.isfinite(inside).any() or before <= 0:
        return False
    ratio = inside[np.isfinite(inside)] / before
    # Nearly every frame: a frame or two of another pair (a glitch the smoothing absorbs) does
    # not discard stickers seen through the whole phase.
    return bool(np.mean(np.abs(ratio - 1.0) <= MAX_SPAN_CHANGE) >= 0.9)


_LOOK_BACK = 4096  # frames before a phase that _run_coverage and _baseline_frames look at


def _run_coverage(theta: np.ndarray, labels: np.ndarray, start: int) -> float:
    """Share of the frames of the double-stance run just before ``start`` with ``theta``
    read (0 when there is no such run). One phase's scan: :meth:`Baselines.run_coverage`
    gives the same for every phase of a recording (tests/test_baselines.py)."""
    lo = max(0, start - _LOOK_BACK)
    starts, stops, values = runs(labels[lo:start])
    for s, e, v in zip(starts[::-1], stops[::-1], values[::-1], strict=True):
        if v == DOUBLE and e - s >= 3:
            return float(np.isfinite(theta[lo + s:lo + e]).mean())
    return 0.0


def _baseline_frames(theta: np.ndarray, labels: np.ndarray, start: int) -> int:
    """How many frames the double-stance run before ``start`` gives the tier's baseline
    (one phase's scan; :meth:`Baselines.baseline_frames` is what the pipeline uses)."""
    lo = max(0, start - _LOOK_BACK)
    starts, stops, values = runs(labels[lo:start])
    for s, e, v in zip(starts[::-1], stops[::-1], values[::-1], strict=True):
        if v == DOUBLE:
            n = int(np.isfinite(theta[lo + s:lo + e]).sum())
            if n >= 3:
                return n
    return int(np.isfinite(theta[labels == DOUBLE]).sum())


def read_phase(signals: object, labels: np.ndarray, start: int, stop: int,
               theta0_landmarks: float, allowed: tuple[str, ...] = TIERS,
               index: Baselines | None = None) -> PhaseReading:
    """Choose the tier that carries the phase [start, stop) and read it.

    signals : hipdrop.core.measures.Signals (smoothed, with the RAW columns).
    labels : (T,) stance labels; theta0_landmarks : the landmark line's baseline, degrees.
    allowed : the tiers that may carry it, in order of trust.
    index : the labels' :class:`hipdrop.core.baselines.Baselines`, shared by all the phases of a
        recording (the same answers, found without scanning the series for each phase).
    """
    index = index if index is not None else Baselines(labels)
    coverage = {}
    chosen = None
    for tier in TIERS:
        theta = getattr(signals, _SMOOTHED[tier])
        # The share of finite frames (np.mean's number of the mask, without its overhead).
        coverage[tier] = (np.count_nonzero(np.isfinite(theta[start:stop])) / (stop - start)
                          if stop > start else 0.0)
        if chosen is not None or coverage[tier] < MIN_COVERAGE or tier not in allowed:
            continue
        theta0, source = index.baseline(theta, start)
        if source == "none" and tier != LANDMARKS:
            continue  # never seen in double stance: nothing to measure the phase against
        if tier == WAIST and not _steady_edge(signals, labels, start, stop, index):
            continue
        if tier == MARKERS and not _steady_pair(signals, start, stop, index):
            continue
        chosen = (tier, theta, theta0)
    if chosen is None:  # not even the landmarks over most of the phase: read what there is
        theta = getattr(signals, _SMOOTHED[LANDMARKS])
        chosen = (LANDMARKS, theta, index.baseline(theta, start)[0])
    tier, theta, theta0 = chosen
    raw = getattr(signals, _RAW[tier])
    residual = raw[start:stop] - theta[start:stop]
    markers = getattr(signals, _SMOOTHED[MARKERS])
    seen_before = index.run_coverage(markers, start, _LOOK_BACK) >= MIN_COVERAGE
    return PhaseReading(
        tier=tier,
        obliquity_deg=theta[start:stop] - theta0 + theta0_landmarks,
        noise_deg=_robust_sd(residual),
        baseline_frames=index.baseline_frames(theta, start, _LOOK_BACK),
        coverage=coverage,
        markers_lost=seen_before and coverage[MARKERS] < MIN_COVERAGE,
    )


def noise_sd(noise_deg: float, fps: float, window_s: float, baseline_frames: int) -> float:
    """SD of a phase's peak drop from frame noise: the median of a peak window (with a 1.3
    allowance for taking the largest of several) against the median of the baseline frames.

    >>> round(noise_sd(1.0, 10.0, 0.5, 15), 3)
    0.797
    """
    if not math.isfinite(noise_deg):
        return math.nan
    n_window = max(1, round(window_s * fps))
    peak = 1.3 * 1.2533 * noise_deg / math.sqrt(n_window)
    base = 1.2533 * noise_deg / math.sqrt(max(1, baseline_frames))
    return math.hypot(peak, base)


def drop_interval(tier: str, peak_deg: float, noise: float, thigh_deg: float,
                  landmarks: LandmarkReading) -> tuple[float, float]:
    """The 90% interval [low, high] of a phase's true peak drop, degrees.

    tier : what carried the phase; peak_deg : its held peak drop; noise : :func:`noise_sd`;
    thigh_deg : the lifted thigh's elevation; landmarks : how to read the landmark line.

    The agreement of cues is not a term here: where stickers and a waist line disagree, the
    waist line is the one off (a shirt hem, a band riding up); the disagreement is reported
    beside the interval instead (``cue_disagreement_deg``).

    >>> drop_interval("markers", 8.0, 0.3, 20.0, MEDIAPIPE)
    (7.06, 8.94)
    """
    if not math.isfinite(peak_deg):
        return (math.nan, math.nan)
    n = Z90 * (noise if math.isfinite(noise) else 0.0)
    if tier == LANDMARKS:
        lo, hi = landmarks.drops(peak_deg - n, peak_deg + n, thigh_deg)
        return (round(lo, 3), round(hi, 3))
    half = math.hypot(TIER_ERRORS[tier].half_width(peak_deg), n)
    return (round(peak_deg - half, 3), round(peak_deg + half, 3))
