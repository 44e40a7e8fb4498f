"""hipdrop's estimate of the pelvic drop in single-leg stance, and so of the obliquity.

The line through the pose model's hip landmarks reads about half of a true pelvic drop and
reads a hike when the foot lifts, because the model places the hip landmark from the lifted
thigh too (SYNTH-NOTES.md). Two readings of the drop are combined, frame by frame:

- the **waist line** (:func:`hipdrop.cues.waist_line`), a clothing edge on the iliac crests,
  which follows the pelvis almost one to one when it is visible;
- the **calibrated landmark line**: the landmark line's drop with the lifted-leg bias removed
  and its gain undone, both learnt from rendered people with a known drop
  (``benchmarks/calibrate.py``, train split only).

Each reading is corrected by its own :class:`Calibration`; the waist line's weight rises from
0 to 1 with its confidence, so a weak or hidden waist (a loose top) falls back to the
calibrated landmark line, and each frame records which reading carried it. Outside stance
phases the obliquity is the landmark line itself: there is no lifted leg to correct for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hipdrop.stance import LEFT, baseline

# A foot this high (fraction of leg length) is fully lifted: the lifted-leg bias has set in.
LIFT_FULL = 0.15


@dataclass(frozen=True)
class Calibration:
    """How a drop reading relates to the true drop, on the train renders:

    read = gain * true + offset + r * (lifted_offset + per_knee_flexion * knee_flexion)

    with r = min(1, foot lift / LIFT_FULL) the lifted foot's share of a full lift and the
    lifted leg's knee flexion in degrees. The bias toward a hike sets in as the foot rises (at
    lift-off the landmark line has not moved yet, and a full correction there would read a
    false drop) and grows with how the foot is lifted (a thigh raised forward pulls the hip
    landmark up more than a foot raised behind a vertical thigh). :meth:`correct` inverts it.
    """

    gain: float
    offset_deg: float
    lifted_offset_deg: float
    per_knee_flexion: float

    def correct(self, read: np.ndarray, lift: np.ndarray, knee_flexion: np.ndarray
                ) -> np.ndarray:
        """(n,) true drop from (n,) readings, the lifted foot's lift and its knee flexion."""
        # np.where rather than np.nan_to_num: the same for NaN, a fraction of the cost.
        r = np.clip(np.where(np.isnan(lift), LIFT_FULL, lift) / LIFT_FULL, 0.0, 1.0)
        knee = np.where(np.isnan(knee_flexion), _KNEE, knee_flexion)
        bias = self.offset_deg + r * (self.lifted_offset_deg + self.per_knee_flexion * knee)
        return (read - bias) / self.gain


# A typical lifted knee's flexion, used where a frame has no landmarks to measure it.
_KNEE = 46.0

# Fitted by `python benchmarks/calibrate.py` on the train split of the validity renders.
LANDMARK_LINE = Calibration(gain=0.563, offset_deg=-0.97, lifted_offset_deg=-4.13,
                            per_knee_flexion=0.0173)
WAIST_LINE = Calibration(gain=0.944, offset_deg=-0.74, lifted_offset_deg=-1.05,
                         per_knee_flexion=0.0127)

# The waist line's weight: 0 at or below WAIST_LOW confidence, 1 at or above WAIST_HIGH.
WAIST_LOW, WAIST_HIGH = 0.3, 0.5

SOURCE_LANDMARKS, SOURCE_WAIST = "landmarks", "waist"


def waist_weight(confidence: np.ndarray) -> np.ndarray:
    """(n,) weight in [0, 1] of the waist reading for its (n,) confidence (NaN -> 0)."""
    w = (np.where(np.isnan(confidence), 0.0, confidence) - WAIST_LOW) / (WAIST_HIGH - WAIST_LOW)
    return np.clip(w, 0.0, 1.0)


@dataclass
class DropEstimate:
    """A stance run's drop, frame by frame."""

    drop_deg: np.ndarray  # (n,) estimated contralateral drop
    waist_weight: np.ndarray  # (n,) weight of the waist reading in it, 0..1
    theta0_deg: float  # the landmark line's baseline


def lifted_leg(side: int) -> str:
    return "right" if side == LEFT else "left"


def estimate_drop(landmark_deg: np.ndarray, waist_deg: np.ndarray, waist_conf: np.ndarray,
                  lift: np.ndarray, knee_flexion: np.ndarray, side: int, theta0_deg: float,
                  waist0_deg: float) -> DropEstimate:
    """The drop over frames of one stance run.

    Parameters
    ----------
    landmark_deg, waist_deg, waist_conf : (n,) the landmark line, the waist line (NaN where
        not seen) and its confidence over the run's frames.
    lift, knee_flexion : (n,) the lifted foot's lift (fraction of leg length) and its knee
        flexion (degrees).
    side : LEFT or RIGHT, the stance leg.
    theta0_deg, waist0_deg : the two lines' double-stance baselines (waist0 NaN if unseen).
    """
    sign = 1.0 if side == LEFT else -1.0
    from_landmarks = LANDMARK_LINE.correct(sign * (landmark_deg - theta0_deg), lift,
                                           knee_flexion)
    from_waist = WAIST_LINE.correct(sign * (waist_deg - waist0_deg), lift, knee_flexion)
    w = np.where(np.isfinite(from_waist), waist_weight(waist_conf), 0.0)
    drop = np.where(w > 0, w * np.where(np.isnan(from_waist), 0.0, from_waist)
                    + (1 - w) * from_landmarks,
                    from_landmarks)
    return DropEstimate(drop, w, theta0_deg)


def run_baselines(landmark_deg: np.ndarray, waist_deg: np.ndarray, labels: np.ndarray,
                  start: int) -> tuple[float, float]:
    """Baselines of the landmark and waist lines for a stance run starting at ``start``."""
    theta0, _ = baseline(landmark_deg, labels, start)
    waist0, source = baseline(waist_deg, labels, start)
    return theta0, (waist0 if source != "none" else float("nan"))


def estimate_obliquity(signals, labels: np.ndarray, phases: list[tuple[int, int, int]]
                       ) -> tuple[np.ndarray, np.ndarray]:
    """hipdrop's obliquity of every frame and the waist line's weight in it.

    Parameters
    ----------
    signals : hipdrop.measures.Signals, smoothed.
    labels : (T,) stance labels.
    phases : (side, start, stop) stance phases of :func:`hipdrop.stance.find_phases`.

    Returns
    -------
    obliquity : (T,) degrees; in each phase theta0 + s * estimated drop, so that DESIGN.md's
        CPD of it is the estimate; elsewhere the landmark line.
    weight : (T,) the waist reading's weight, 0 outside phases.
    """
    obliquity = signals.landmark_obliquity_deg.copy()
    weight = np.zeros(len(obliquity))
    for side, start, stop in phases:
        theta0, waist0 = run_baselines(signals.landmark_obliquity_deg,
                                       signals.waist_obliquity_deg, labels, start)
        leg = lifted_leg(side)
        est = estimate_drop(
            signals.landmark_obliquity_deg[start:stop], signals.waist_obliquity_deg[start:stop],
            signals.waist_confidence[start:stop], getattr(signals, f"lift_{leg}")[start:stop],
            getattr(signals, f"knee_flexion_{leg}_deg")[start:stop], side, theta0, waist0)
        sign = 1.0 if side == LEFT else -1.0
        obliquity[start:stop] = theta0 + sign * est.drop_deg
        weight[start:stop] = est.waist_weight
    return obliquity, weight
