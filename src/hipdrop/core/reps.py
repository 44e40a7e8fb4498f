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
  reached between reps (rendered standing abduction: three reps merged into one). The splay of
  each frame is that of the recording up to it (:func:`running_rest`), so the rule is causal:
  the live trackers (:mod:`hipdrop.pipeline.trackers`) apply it frame by frame and give the
  same reps as these functions over the whole arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hipdrop.core.filters import median, row_medians
from hipdrop.core.side import SIDES, Side
from hipdrop.settings import Settings

BILATERAL_RATIO = 0.5
LEGS = SIDES
REST_WINDOW_S = 1.0


def rest_window(fps: float) -> int:
    """Samples in the window of the resting splay's medians."""
    return max(1, round(REST_WINDOW_S * fps))


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
    window = rest_window(fps)
    if finite.size <= window:
        low = median(finite)
    else:
        low = _lowest_median(finite, window, settings.rep_down_deg)
    return float(np.clip(low, 0.0, settings.rep_down_deg))


def _lowest_median(x: np.ndarray, window: int, ceiling: float) -> float:
    """The lowest median of ``window`` consecutive samples of ``x`` (no NaN) where it is below
    ``ceiling``; else a value at or above ``ceiling`` (what the caller clips to anyway).

    The exact minimum without sorting every window: the lowest median of every (window // 2)-th
    window bounds it from above; a window can only go lower if at least half its samples are at
    or below that bound (its lower middle sample is), which one cumulative sum tells, and only
    those windows are sorted (an hour at rest has ~10x fewer).
    """
    windows = np.lib.stride_tricks.sliding_window_view(x, window)
    bound = min(float(np.min(row_medians(windows[::max(1, window // 2)]))), ceiling)
    at_or_below = np.concatenate(([0], np.cumsum(x <= bound)))
    counts = at_or_below[window:] - at_or_below[:-window]
    candidates = np.flatnonzero(counts >= (window - 1) // 2 + 1)
    if len(candidates) == 0:  # every median is above the bound, which is then the ceiling
        return ceiling
    return float(np.min(row_medians(windows[candidates])))


def running_rest(alpha: np.ndarray, fps: float, settings: Settings) -> np.ndarray:
    """(T,) the resting splay of each frame: :func:`resting_angle` of ``alpha[:i + 1]``.

    Parameters
    ----------
    alpha : (T,) abduction of the leg, degrees (NaN where unseen).

    Until a window of finite samples is seen, the median of those seen; then the lowest window
    median so far, within [0, down]. It only falls, and its last value is the whole
    recording's :func:`resting_angle`. Found for every frame without sorting every window: the
    lowest median of every (window // 2)-th window so far bounds it from above, and only a
    window with half its samples at or below that bound can be lower (as in
    :func:`_lowest_median`).

    >>> running_rest(np.r_[np.full(3, 9.0), np.full(3, 4.0), np.full(2, 40.0)], 3, Settings())
    array([8., 8., 8., 8., 4., 4., 4., 4.])
    """
    alpha = np.asarray(alpha, dtype=np.float64)
    ceiling = settings.rep_down_deg
    finite = np.isfinite(alpha)
    x = alpha[finite]
    n, window = x.size, rest_window(fps)
    # by_count[c]: the splay once c finite samples are seen (0 before any). Up to a window of
    # them, the median of the first c (row c - 1 holds them, NaN after).
    head = min(n, window)
    by_count = np.zeros(head + 1)
    if head:
        by_count[1:] = row_medians(np.where(np.tri(head, dtype=bool), x[None, :head], np.nan))
    if n > window:
        # Then the lowest median of a whole window so far. As a step function of the window
        # index k: the running minimum over "events", the first window of each level of the
        # bound and each window that can go below it (the only windows sorted).
        windows = np.lib.stride_tricks.sliding_window_view(x, window)
        step = max(1, window // 2)
        bound = np.minimum(np.minimum.accumulate(row_medians(windows[::step])), ceiling)
        levels = np.r_[0, np.flatnonzero(np.diff(bound)) + 1]  # its blocks of one level
        starts = levels * step
        stops = np.r_[starts[1:], len(windows)]
        need = (window - 1) // 2 + 1  # a median below the bound has this many samples below it
        picked = []
        for a, b, level in zip(starts.tolist(), stops.tolist(), bound[levels].tolist(),
                               strict=True):
            at_or_below = (x[a:b + window - 1] <= level).view(np.uint8)
            below = np.concatenate(([0], np.cumsum(at_or_below, dtype=np.intp)))
            picked.append(a + np.flatnonzero(below[window:] - below[:-window] >= need))
        lower = np.concatenate(picked)
        at = np.concatenate((starts, lower))
        value = np.concatenate((bound[levels], row_medians(windows[lower])))
        order = np.argsort(at, kind="stable")
        at, value = at[order], np.minimum.accumulate(value[order])
        last = np.r_[at[1:] != at[:-1], True]  # of the events at one window, the last (lowest)
        at, value = at[last], value[last]
        by_window = np.repeat(value, np.diff(np.r_[at, len(windows)]))  # (K,), at[0] == 0
        # Window k is first seen with window + k samples (window 0 is the median above).
        by_count = np.concatenate((by_count, by_window[1:]))
    by_count = np.clip(by_count, 0.0, ceiling)
    if n == len(alpha):  # every frame measured: frame i has seen i + 1 samples
        return by_count[1:]
    # (A cumulative sum of the mask as bytes: numpy's of a bool array is 20 times slower.)
    return np.take(by_count, np.cumsum(finite.view(np.uint8), dtype=np.intp))


def hysteresis(x: np.ndarray, up: float, down: float, initial: bool | np.ndarray = False
               ) -> np.ndarray:
    """(T, ...) bool state: True once ``x`` rises above ``up``, False once it falls below ``down``.

    ``x`` is (T,) or (T, k): k channels (the live path steps both legs in one call). Between the
    thresholds, and where ``x`` is NaN, the state stays as it was; before the first decisive
    sample it is ``initial`` (one for all channels, or one per channel).

    >>> hysteresis(np.array([0, 15, 25, 15, np.nan, 5, 15]), up=20, down=10)
    array([False, False,  True,  True,  True, False, False])
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        decided = np.where(x > up, 1, np.where(x < down, 0, -1))
    frames = np.arange(len(x)).reshape((-1,) + (1,) * (x.ndim - 1))
    idx = np.where(decided >= 0, frames, -1)
    last = np.maximum.accumulate(idx, axis=0) if len(x) else idx
    state = np.take_along_axis(decided, np.maximum(last, 0), axis=0) == 1
    return np.where(last >= 0, state, initial)


@dataclass
class Rep:
    """One rep (DESIGN.md summary.json ``reps.items`` item)."""

    leg: Side
    start_s: float
    end_s: float
    peak_deg: float
    held_s: float  # time above ``up``
    complete: bool  # False when the recording ended before the leg was back down
    peak_index: int

    def to_json(self) -> dict:
        return {"leg": Side.of(self.leg).label, "start_s": round(self.start_s, 3),
                "end_s": round(self.end_s, 3),
                "peak_deg": round(self.peak_deg, 2), "held_s": round(self.held_s, 3),
                "complete": self.complete}


def leg_reps(alpha: np.ndarray, other: np.ndarray, t: np.ndarray, fps: float, leg: Side | str,
             settings: Settings, rest: float | np.ndarray = 0.0,
             other_rest: float | np.ndarray = 0.0) -> list[Rep]:
    """Reps of one leg.

    Parameters
    ----------
    alpha : (T,) abduction of the leg, degrees.
    other : (T,) abduction of the other leg, degrees.
    t : (T,) seconds.
    rest, other_rest : the two legs' resting splays, degrees, one for the series or (T,) one a
        frame (:func:`running_rest`); the thresholds and the bilateral rule count from them.
        Peaks are reported as measured.

    A rep still above ``down`` when the series ends counts, marked incomplete (a recording cut
    mid-rep still shows the lift); one already above ``up`` when it begins counts from the start.
    """
    if len(alpha) == 0:
        return []
    leg = Side.of(leg)
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
    if len(rises) == 0:
        return []
    peak_i = _first_peaks(alpha, rises, falls)
    start, stop = np.maximum(last_below[rises], 0), np.minimum(falls, n - 1)
    start_s, end_s = t[start], t[stop]
    peak = alpha[peak_i]  # above the resting splay
    with np.errstate(invalid="ignore"):
        keep = ~(end_s - start_s < settings.min_rep_s) & ~(
            np.isfinite(other[peak_i]) & (other[peak_i] >= BILATERAL_RATIO * peak))
    return [Rep(leg, s0, s1, p, h, complete=f < n, peak_index=i)
            for s0, s1, p, h, f, i in zip(
                start_s[keep].tolist(), end_s[keep].tolist(), peaks_at[peak_i[keep]].tolist(),
                (held[falls] - held[rises])[keep].tolist(), falls[keep].tolist(),
                peak_i[keep].tolist(), strict=True)]


def _first_peaks(alpha: np.ndarray, rises: np.ndarray, falls: np.ndarray) -> np.ndarray:
    """Index of the first largest ``alpha`` (NaN ignored) in each [rise, fall): np.nanargmax of
    each rep's frames, for all reps at once (each has a finite sample: it rose above ``up``)."""
    lengths = falls - rises
    offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))  # each rep's start in ``frames``
    frames = np.repeat(rises - offsets, lengths) + np.arange(lengths.sum())
    values = alpha[frames]
    top = np.fmax.reduceat(values, offsets)
    hits = np.flatnonzero(values == np.repeat(top, lengths))
    return frames[hits[np.searchsorted(hits, offsets)]]


def find_reps(abduction_left: np.ndarray, abduction_right: np.ndarray, t: np.ndarray, fps: float,
              settings: Settings) -> list[Rep]:
    """Reps of both legs, ordered by start time (each leg's splay as of each frame)."""
    alpha = (abduction_left, abduction_right)
    rest = [running_rest(a, fps, settings) for a in alpha]
    reps = []
    for side in SIDES:
        i, j = side.column, side.other.column
        reps += leg_reps(alpha[i], alpha[j], t, fps, side, settings, rest[i], rest[j])
    return sorted(reps, key=lambda r: r.start_s)


def leg_states(abduction: np.ndarray, rest: np.ndarray, settings: Settings) -> np.ndarray:
    """(T, 2) bool: each leg [left, right] above the rep threshold (the hysteresis of
    :func:`leg_reps`), from (T, 2) abduction and (T, 2) resting splays, degrees."""
    return hysteresis(abduction - rest, settings.rep_up_deg, settings.rep_down_deg)


def hold_times(up: np.ndarray, t: np.ndarray) -> np.ndarray:
    """(T, 2) seconds each leg has been held up without a break at each frame (0 while down),
    from the (T, 2) states of :func:`leg_states` and (T,) times: t less the time of the run's
    first frame."""
    n = len(t)
    frames = np.arange(n)[:, None]
    began = up & ~np.vstack([np.zeros((1, up.shape[1]), bool), up[:-1]])
    first = np.maximum.accumulate(np.where(began, frames, 0), axis=0)
    return np.where(up, t[:, None] - t[first], 0.0)


def running_counts(reps: list[Rep], t: np.ndarray) -> np.ndarray:
    """(T, 2) int: reps of each leg [left, right] completed by each frame (counted at their end)."""
    counts = np.zeros((len(t), 2), np.int32)
    for side in SIDES:
        ends = np.sort([r.end_s for r in reps if r.leg == side])
        counts[:, side.column] = np.searchsorted(ends, t, side="right")
    return counts
