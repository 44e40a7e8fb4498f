"""Single-leg stance phases and their pelvic drop (DESIGN.md: stance side, baseline, CPD).

Pure functions over per-frame arrays: labels from foot lift, phases from labels, and each
phase's baseline, contralateral pelvic drop, peak drop and trunk lean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hipdrop.core.filters import median, sliding_median
from hipdrop.core.side import LEFT_CODE, RIGHT_CODE, Side
from hipdrop.settings import Settings

if TYPE_CHECKING:
    from hipdrop.core.baselines import Baselines

# Frame labels (a single-leg stance's label is its side's code: Side.of_code converts).
UNKNOWN, DOUBLE, LEFT, RIGHT = -1, 0, LEFT_CODE, RIGHT_CODE
SIDE_NAMES = {LEFT: Side.LEFT, RIGHT: Side.RIGHT}


def stance_labels(lift_left: np.ndarray, lift_right: np.ndarray, upright: np.ndarray,
                  lift_fraction: float, knee_left: np.ndarray | None = None,
                  knee_right: np.ndarray | None = None, max_knee_deg: float = math.inf
                  ) -> np.ndarray:
    """(T,) int8 label of each frame: LEFT/RIGHT single-leg stance, DOUBLE, or UNKNOWN.

    Parameters
    ----------
    lift_left, lift_right : (T,) ndarray
        How much higher each foot is than the other, as a fraction of leg length.
    upright : (T,) bool ndarray
        Stance is only judged while upright; other frames are UNKNOWN.
    lift_fraction : float
        A foot higher than the other by more than this is lifted.
    knee_left, knee_right : (T,) ndarray, optional
        Knee flexion in degrees (NaN where unknown). A frame whose standing knee is bent beyond
        ``max_knee_deg`` is DOUBLE: a single-leg stance stands on a nearly straight knee, and a
        deep squat on both feet can read one foot as lifted (a real phone clip of a squat with
        a lateral shift read 6-9% of leg length, once taken for a 1.3 s stance).

    Examples
    --------
    >>> stance_labels(np.array([0.0, 0.1, -0.1, np.nan]), np.array([0.0, -0.1, 0.1, np.nan]),
    ...               np.array([True, True, True, True]), 0.06)
    array([ 0,  2,  1, -1], dtype=int8)
    >>> stance_labels(np.array([0.1, 0.1]), np.array([-0.1, -0.1]), np.array([True, True]), 0.06,
    ...               np.array([0.0, 0.0]), np.array([20.0, 90.0]), 45.0)  # the second: a squat
    array([2, 0], dtype=int8)
    """
    with np.errstate(invalid="ignore"):
        left_up = lift_left > lift_fraction
        right_up = lift_right > lift_fraction
        if knee_left is not None and knee_right is not None:
            left_up &= ~(knee_right > max_knee_deg)  # standing on the right knee
            right_up &= ~(knee_left > max_knee_deg)
    seen = upright & np.isfinite(lift_left) & np.isfinite(lift_right)
    labels = np.full(len(upright), UNKNOWN, np.int8)
    labels[seen] = DOUBLE
    labels[seen & left_up] = RIGHT  # left foot up: standing on the right leg
    labels[seen & right_up] = LEFT
    return labels


def stance_label_one(lift_left: float, lift_right: float, upright: bool,
                     lift_fraction: float, knee_left: float = math.nan,
                     knee_right: float = math.nan, max_knee_deg: float = math.inf) -> int:
    """:func:`stance_labels` of one frame (the live path: no NumPy call on 1-long arrays).

    >>> stance_label_one(0.1, -0.1, True, 0.06), stance_label_one(0.1, -0.1, False, 0.06)
    (2, -1)
    >>> stance_label_one(0.1, -0.1, True, 0.06, 0.0, 90.0, 45.0)  # standing on a squatting knee
    0
    """
    if not (upright and math.isfinite(lift_left) and math.isfinite(lift_right)):
        return UNKNOWN
    # right foot up (it wins, as labels[seen & right_up] last); NaN knees are not held against
    if lift_right > lift_fraction and not knee_left > max_knee_deg:
        return LEFT
    return RIGHT if lift_left > lift_fraction and not knee_right > max_knee_deg else DOUBLE


def runs(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run-length encoding of a 1-D array: (starts, stops, values), stops exclusive.

    >>> runs(np.array([0, 0, 1, 1, 1, 0]))
    (array([0, 2, 5]), array([2, 5, 6]), array([0, 1, 0]))
    """
    labels = np.asarray(labels)
    if len(labels) == 0:
        empty = np.zeros(0, np.intp)
        return empty, empty, labels[:0]
    change = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    starts = np.concatenate([[0], change])
    stops = np.concatenate([change, [len(labels)]])
    return starts, stops, labels[starts]


def frame_end(t: np.ndarray, stop: int, fps: float) -> float:
    """Time at which a run ending before index ``stop`` (exclusive) ends, seconds."""
    return float(t[stop]) if stop < len(t) else float(t[-1] + 1.0 / fps)


def find_phases(labels: np.ndarray, t: np.ndarray, fps: float, min_s: float
                ) -> list[tuple[int, int, int]]:
    """Single-leg stance phases lasting at least ``min_s``: (side, start, stop), stops exclusive.

    No rule on how high the foot must rise beyond the label's threshold: a pelvis that drops
    toward the lifted leg lowers that foot, so such a rule would lose exactly the positive
    tests (seen on the validity renders: a 10 deg drop cut a flexed lift's clearance from 0.20
    to 0.07 of leg length).
    """
    starts, stops, values = runs(labels)
    phases = []
    for start, stop, value in zip(starts, stops, values, strict=True):
        if value in (LEFT, RIGHT) and frame_end(t, stop, fps) - t[start] >= min_s - 1e-9:
            phases.append((int(value), int(start), int(stop)))
    return phases


_LOOK_BACK = 512  # frames first looked at by :func:`baseline`


def baseline(theta: np.ndarray, labels: np.ndarray, start: int, min_frames: int = 3
             ) -> tuple[float, str]:
    """Baseline obliquity theta0 for a phase starting at ``start``, and where it came from.

    The median obliquity over the double-leg stance just before the phase (the last run of
    DOUBLE frames before ``start`` with at least ``min_frames`` measured frames); else over all
    the double-leg frames of the series ("clip"); else 0 ("none").
    """
    # Look back over a span that grows until it holds such a run whole, or reaches frame 0:
    # the cost is that of the frames looked at, not of everything before ``start`` (an hour
    # has hundreds of phases, and the live path calls this at every change of stance).
    span = _LOOK_BACK
    while True:
        lo = max(0, start - span)
        starts, stops, values = runs(labels[lo:start])
        for s, e, v in zip(starts[::-1], stops[::-1], values[::-1], strict=True):
            if s == 0 and lo > 0:
                break  # this run may begin before ``lo``: look further back
            if v == DOUBLE:
                seg = theta[lo + s:lo + e]
                seg = seg[np.isfinite(seg)]
                if seg.size >= min_frames:
                    return median(seg), "before"
        else:
            break  # every run before ``start`` was looked at
        span *= 4
    every = theta[(labels == DOUBLE) & np.isfinite(theta)]
    if every.size >= min_frames:
        return median(every), "clip"
    return 0.0, "none"


def contralateral_drop(theta: np.ndarray, theta0: float, side: int | Side) -> np.ndarray:
    """CPD = s (theta - theta0), s = +1 in left-leg stance, -1 in right-leg stance (degrees).

    Positive: the pelvis drops toward the lifted leg; negative: the lifted side hikes.

    >>> contralateral_drop(np.array([5.0, -3.0]), 1.0, LEFT), contralateral_drop(np.array([5.0]), 1.0, RIGHT)
    (array([ 4., -4.]), array([-4.]))
    """
    return Side.of(side).sign * (theta - theta0)


def lean_toward(lean_left: np.ndarray, side: int | Side) -> np.ndarray:
    """Trunk lean signed positive toward the stance ``side`` (degrees)."""
    return lean_left if Side.of(side) is Side.LEFT else -lean_left


def held_peak(x: np.ndarray, fps: float, window_s: float) -> float:
    """Largest value held for ``window_s``: the max of the moving median (NaN if none).

    Only whole windows count, so the first and last frames of a phase (the foot lifting off
    and touching down) are not "held" on their own; a phase shorter than the window gives
    its median.
    """
    return float(held_peaks([x], fps, window_s)[0])


def held_peaks(xs: list[np.ndarray], fps: float, window_s: float) -> np.ndarray:
    """(len(xs),) :func:`held_peak` of each 1-D array of ``xs``, in one pass over all of them.

    A recording has hundreds of phases, each measured three times: their windows are sorted
    together (:func:`hipdrop.core.filters.sliding_median` over the arrays laid end to end, the
    windows that straddle two arrays left out), not array by array.
    """
    window = max(1, round(window_s * fps))
    out = np.full(len(xs), np.nan)
    long = []
    for i, x in enumerate(xs):
        if len(x) > window:
            long.append(i)
        elif np.isfinite(x).any():
            out[i] = median(x[np.isfinite(x)])
    if not long:
        return out
    lengths = np.array([len(xs[i]) for i in long])
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    medians = sliding_median(np.concatenate([xs[i] for i in long]), window)
    # Window j of array k starts at starts[k] + j, j < lengths[k] - window + 1; the window - 1
    # after those straddle the next array: NaN, which fmax passes over.
    straddle = (starts[1:, None] - np.arange(1, window)).ravel()
    medians[straddle] = np.nan
    # An array with no finite sample has no finite window: NaN, as held_peak says.
    out[long] = np.fmax.reduceat(medians, starts)
    return out


def _nanmean(x: np.ndarray) -> float:
    """``np.nanmean`` of a 1-D array with a finite value: its sum (NaN as 0) over its count,
    without its overhead."""
    missing = np.isnan(x)
    return float(np.add.reduce(np.where(missing, 0.0, x)) / (len(x) - np.count_nonzero(missing)))


@dataclass
class StancePhase:
    """One single-leg stance phase (DESIGN.md summary.json ``stance_phases`` item)."""

    stance: Side
    start_s: float
    end_s: float
    duration_s: float
    baseline_deg: float
    peak_drop_deg: float
    mean_drop_deg: float
    peak_trunk_lean_deg: float  # from image vertical, + toward the stance side (DESIGN.md)
    peak_lean_change_deg: float  # the same, less the double-stance lean (camera roll removed)
    significant: bool
    baseline_source: str  # "before", "clip" or "none" (see :func:`baseline`)
    start: int  # frame indices [start, stop)
    stop: int
    # Set by hipdrop.pipeline.analysis from hipdrop.core.tiers and hipdrop.core.verdict:
    obliquity_source: str = "landmarks"  # "markers", "waist" or "landmarks"
    drop_interval_deg: tuple[float, float] = (float("nan"), float("nan"))  # 90%, of peak drop
    finding: str = "inconclusive"  # hipdrop.core.verdict.FINDINGS
    inconclusive_reason: str | None = None
    noise_deg: float = float("nan")  # the tier's frame-to-frame scatter
    thigh_elevation_deg: float = float("nan")  # the lifted thigh's, median over the phase
    implausible: bool = False  # a tracking failure: no number is a result
    coverage: dict[str, float] | None = None  # share of frames each tier was read in
    landmarks_read_as: str = ""  # how the hip landmarks were read (hipdrop.core.tiers)
    cue_disagreement_deg: float = float("nan")  # |waist - markers| peak, where both were read

    def to_json(self) -> dict:
        keys = ("stance", "start_s", "end_s", "duration_s", "baseline_deg", "peak_drop_deg",
                "mean_drop_deg", "peak_trunk_lean_deg", "peak_lean_change_deg", "significant",
                "baseline_source", "obliquity_source", "finding", "inconclusive_reason",
                "noise_deg", "thigh_elevation_deg", "implausible", "cue_disagreement_deg")
        out = {k: _round(getattr(self, k)) for k in keys}
        out["stance"] = self.stance.label
        out["drop_interval_deg"] = [_round(float(v)) for v in self.drop_interval_deg]
        out["tier_coverage"] = ({k: round(v, 3) for k, v in self.coverage.items()}
                                if self.coverage else None)
        if self.implausible:  # never shown as a result (DESIGN.md)
            out["peak_drop_deg"] = out["mean_drop_deg"] = None
            out["drop_interval_deg"] = [None, None]
        return out


def _round(value: object) -> object:
    return round(value, 3) if isinstance(value, float) and np.isfinite(value) else (
        None if isinstance(value, float) else value)


def measure_phases(theta: np.ndarray, lean_left: np.ndarray, labels: np.ndarray,
                   found: list[tuple[int, int, int]], t: np.ndarray, fps: float,
                   settings: Settings, index: Baselines | None = None
                   ) -> tuple[list[StancePhase], np.ndarray]:
    """Measure each stance phase; also the (T,) CPD series (NaN outside phases).

    Parameters
    ----------
    theta : (T,) obliquity, degrees.
    lean_left : (T,) trunk lean toward the person's left, degrees.
    labels : (T,) stance labels of :func:`stance_labels`.
    found : the (side, start, stop) phases of :func:`find_phases`.
    t : (T,) seconds.
    index : the labels' :class:`hipdrop.core.baselines.Baselines` (made here when not given):
        every phase's baseline found without scanning the series for each.
    """
    from hipdrop.core.baselines import Baselines  # it builds on this module

    index = index if index is not None else Baselines(labels)
    drop = np.full(len(t), np.nan)
    measured, series = [], []
    for side, start, stop in found:
        theta0, source = index.baseline(theta, start)
        lean0, _ = index.baseline(lean_left, start)
        cpd = contralateral_drop(theta[start:stop], theta0, side)
        drop[start:stop] = cpd
        series += [cpd, lean_toward(lean_left[start:stop], side),
                   lean_toward(lean_left[start:stop] - lean0, side)]
        measured.append((side, start, stop, theta0, source, cpd))
    # The held peaks of drop, lean and lean change of every phase, in one pass.
    peaks = held_peaks(series, fps, settings.peak_window_s).reshape(-1, 3)
    phases = []
    for (side, start, stop, theta0, source, cpd), (peak, lean, change) in zip(
            measured, peaks.tolist(), strict=True):
        end_s = frame_end(t, stop, fps)
        phases.append(StancePhase(
            stance=Side.of_code(side), start_s=float(t[start]), end_s=end_s,
            duration_s=end_s - float(t[start]), baseline_deg=theta0, peak_drop_deg=peak,
            mean_drop_deg=_nanmean(cpd) if np.isfinite(cpd).any() else float("nan"),
            peak_trunk_lean_deg=lean, peak_lean_change_deg=change,
            significant=bool(peak >= settings.drop_threshold_deg), baseline_source=source,
            start=start, stop=stop,
        ))
    return phases, drop
