"""Abduction reps and holds (DESIGN.md: rep), vectorised with a hysteresis state.

A rep of leg S: its abduction rises above ``up`` and then falls below ``down``. It starts when
the leg last left the rest zone (below ``down``) before crossing ``up`` and ends when it is
back below ``down``; a rep shorter than ``min_rep_s`` is ignored. hipdrop adds two rules to
DESIGN.md's:

- at the rep's peak the other leg must be abducted less than half as much, because a squat or
  a wide stance spreads both legs at once and is not a leg lift (the sumo-squat clip abducts
  both legs 20 -> 40 deg three times);
- the thresholds are measured from the leg's resting splay (:func:`resting_angle`, at most
  ``down``): a person whose feet rest apart, or whose weight shifts over the standing leg, rests
  the working leg at up to ~10 deg from the midline, so an absolute ``down`` of 8 deg is never
  reached between reps (rendered standing abduction: three reps merged into one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hipdrop.settings import Settings

BILATERAL_RATIO = 0.5
LEGS = ("left", "right")
REST_WINDOW_S = 1.0


def resting_angle(alpha: np.ndarray, fps: float, settings: Settings) -> float:
    """The leg's resting splay: the lowest 1 s median of its abduction, within [0, down].

    Parameters
    ----------
    alpha : (T,) abduction of the leg, degrees (NaN where unseen).
    fps : frames per second.

    Returns 0 for a leg that rests along the midline or beyond it (crossed), and never more than
    ``rep_down_deg``, so the thresholds move by at most that much.

    >>> from hipdrop.settings import Settings
    >>> resting_angle(np.r_[np.full(20, 9.0), np.full(20, 40.0)], 10, Settings())
    8.0
    """
    finite = alpha[np.isfinite(alpha)]
    if finite.size == 0:
        return 0.0
    window = max(1, round(REST_WINDOW_S * fps))
    if finite.size <= window:
        low = float(np.median(finite))
    else:
        low = float(np.min(np.median(np.lib.stride_tricks.sliding_window_view(finite, window),
                                     axis=1)))
    return float(np.clip(low, 0.0, settings.rep_down_deg))


def hysteresis(x: np.ndarray, up: float, down: float, initial: bool = False) -> np.ndarray:
    """(T,) bool state: True once ``x`` rises above ``up``, False once it falls below ``down``.

    Between the thresholds, and where ``x`` is NaN, the state stays as it was; before the first
    decisive sample it is ``initial``.

    >>> hysteresis(np.array([0, 15, 25, 15, np.nan, 5, 15]), up=20, down=10)
    array([False, False,  True,  True,  True, False, False])
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        decided = np.where(x > up, 1, np.where(x < down, 0, -1))
    idx = np.where(decided >= 0, np.arange(len(x)), -1)
    last = np.maximum.accumulate(idx) if len(x) else idx
    return np.where(last >= 0, decided[np.clip(last, 0, None)] == 1, initial)


@dataclass
class Rep:
    """One rep (DESIGN.md summary.json ``reps.items`` item)."""

    leg: str
    start_s: float
    end_s: float
    peak_deg: float
    held_s: float  # time above ``up``
    complete: bool  # False when the recording ended before the leg was back down
    peak_index: int

    def to_json(self) -> dict:
        return {"leg": self.leg, "start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
                "peak_deg": round(self.peak_deg, 2), "held_s": round(self.held_s, 3),
                "complete": self.complete}


def leg_reps(alpha: np.ndarray, other: np.ndarray, t: np.ndarray, fps: float, leg: str,
             settings: Settings, rest: float = 0.0, other_rest: float = 0.0) -> list[Rep]:
    """Reps of one leg.

    Parameters
    ----------
    alpha : (T,) abduction of the leg, degrees.
    other : (T,) abduction of the other leg, degrees.
    t : (T,) seconds.
    rest, other_rest : the two legs' resting splays (:func:`resting_angle`), degrees; the
        thresholds and the bilateral rule count from them. Peaks are reported as measured.

    A rep still above ``down`` when the series ends counts, marked incomplete (a recording cut
    mid-rep still shows the lift); one already above ``up`` when it begins counts from the start.
    """
    if len(alpha) == 0:
        return []
    peaks_at = alpha
    alpha, other = alpha - rest, other - other_rest
    state = hysteresis(alpha, settings.rep_up_deg, settings.rep_down_deg)
    edges = np.diff(np.concatenate([[0], state.astype(np.int8), [0]]))
    rises = np.flatnonzero(edges == 1)
    falls = np.flatnonzero(edges == -1)  # first index back in the rest state (or T)
    n = len(alpha)
    with np.errstate(invalid="ignore"):
        below = alpha < settings.rep_down_deg
        above = alpha > settings.rep_up_deg
    last_below = np.maximum.accumulate(np.where(below, np.arange(n), -1))
    dt = np.diff(np.concatenate([t, [t[-1] + 1.0 / fps]]))
    held = np.concatenate([[0.0], np.cumsum(np.where(above, dt, 0.0))])
    reps = []
    for rise, fall in zip(rises, falls, strict=True):
        start = max(int(last_below[rise]), 0)
        stop = min(int(fall), n - 1)
        seg = alpha[rise:fall]
        peak_i = rise + int(np.nanargmax(seg))
        peak = float(alpha[peak_i])  # above the resting splay
        start_s, end_s = float(t[start]), float(t[stop])
        if end_s - start_s < settings.min_rep_s:
            continue
        if np.isfinite(other[peak_i]) and other[peak_i] >= BILATERAL_RATIO * peak:
            continue
        reps.append(Rep(leg, start_s, end_s, float(peaks_at[peak_i]), float(held[fall] - held[rise]),
                        complete=bool(fall < n), peak_index=peak_i))
    return reps


def find_reps(abduction_left: np.ndarray, abduction_right: np.ndarray, t: np.ndarray, fps: float,
              settings: Settings) -> list[Rep]:
    """Reps of both legs, ordered by start time."""
    rest_l = resting_angle(abduction_left, fps, settings)
    rest_r = resting_angle(abduction_right, fps, settings)
    reps = leg_reps(abduction_left, abduction_right, t, fps, "left", settings, rest_l, rest_r)
    reps += leg_reps(abduction_right, abduction_left, t, fps, "right", settings, rest_r, rest_l)
    return sorted(reps, key=lambda r: r.start_s)


def running_counts(reps: list[Rep], t: np.ndarray) -> np.ndarray:
    """(T, 2) int: reps of each leg [left, right] completed by each frame (counted at their end)."""
    counts = np.zeros((len(t), 2), np.int32)
    for i, leg in enumerate(LEGS):
        ends = np.sort([r.end_s for r in reps if r.leg == leg])
        counts[:, i] = np.searchsorted(ends, t, side="right")
    return counts
