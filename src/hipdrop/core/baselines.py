"""Every stance phase's baseline from one run-length encoding of the labels.

:func:`hipdrop.core.stance.baseline` answers for one phase by looking back from its start; the
offline pipeline asks it for every phase, tier and signal of a recording (a few per phase), and
where no double stance qualifies each answer fell back to a median over the whole clip: the
cost grew with phases x length (an hour of 3,000 phases took seconds, 200k frames with no
double stance 7 s). :class:`Baselines` encodes the double-stance runs once, counts each
signal's finite frames once (a cumulative sum), and then finds the run before any start with a
binary search; each run's median and the clip-wide median are computed once per signal. The
answers are those of :func:`hipdrop.core.stance.baseline` and of the look-backs of
:mod:`hipdrop.core.tiers`, frame for frame (tests/test_baselines.py compares them).
"""

from __future__ import annotations

import numpy as np

from hipdrop.core.filters import median
from hipdrop.core.stance import DOUBLE, runs


class _Signal:
    """What :class:`Baselines` keeps of one (T,) signal: the signal itself (so that its id
    stays its own), its cumulative count of finite frames, and the medians already taken."""

    def __init__(self, theta: np.ndarray) -> None:
        self.theta = theta
        self.finite = np.isfinite(theta)
        self.count = np.concatenate(([0], np.cumsum(self.finite)))  # (T+1,) int
        self.qualifying: dict[int, np.ndarray] = {}  # min_frames -> indices of whole runs
        self.medians: dict[tuple[int, int], float] = {}
        self.clip: dict[int, tuple[float, str]] = {}  # min_frames -> the clip-wide answer
        self.double: np.ndarray | None = None  # its finite double-stance values


class Baselines:
    """The double-stance runs of one (T,) label array, and each signal's baselines against them.

    The signals passed in must not change while this object is in use (their counts and
    medians are kept, keyed by the array).
    """

    def __init__(self, labels: np.ndarray) -> None:
        self.labels = np.asarray(labels)
        starts, stops, values = runs(self.labels)
        double = values == DOUBLE
        self._s = starts[double].astype(np.int64)
        self._e = stops[double].astype(np.int64)
        self._signals: dict[int, _Signal] = {}
        self._by_length: dict[int, np.ndarray] = {}  # min length -> indices of whole runs
        self._is_double = self.labels == DOUBLE

    def _signal(self, theta: np.ndarray) -> _Signal:
        got = self._signals.get(id(theta))
        if got is None or got.theta is not theta:
            got = self._signals[id(theta)] = _Signal(theta)
        return got

    def _finite_in(self, sig: _Signal, a: int, b: int) -> int:
        return int(sig.count[b] - sig.count[a]) if b > a else 0

    def _last_run(self, sig: _Signal | None, start: int, min_count: int, lo: int = 0
                  ) -> tuple[int, int] | None:
        """The last double-stance run before ``start``, cut to [lo, start), holding at least
        ``min_count`` finite frames of ``sig`` (or frames at all when ``sig`` is None):
        its [a, b) frames, or None."""
        k = int(np.searchsorted(self._s, start, side="left")) - 1  # last run starting before
        if k < 0:
            return None

        def enough(a: int, b: int) -> bool:
            n = (b - a) if sig is None else self._finite_in(sig, a, b)
            return n >= min_count

        a, b = max(int(self._s[k]), lo), min(int(self._e[k]), start)
        if enough(a, b):
            return a, b
        # Else the last whole run before run k that qualifies; cut at ``lo`` it still must.
        # (Any earlier run ends before that one starts, so before ``lo`` when it fails.)
        if sig is None:
            q = self._by_length.get(min_count)
            if q is None:
                q = self._by_length[min_count] = np.flatnonzero(self._e - self._s >= min_count)
        else:
            q = sig.qualifying.get(min_count)
            if q is None:
                whole = sig.count[self._e] - sig.count[self._s]
                q = sig.qualifying[min_count] = np.flatnonzero(whole >= min_count)
        j = int(np.searchsorted(q, k, side="left")) - 1
        if j < 0:
            return None
        a, b = max(int(self._s[q[j]]), lo), int(self._e[q[j]])
        return (a, b) if enough(a, b) else None

    def baseline(self, theta: np.ndarray, start: int, min_frames: int = 3) -> tuple[float, str]:
        """:func:`hipdrop.core.stance.baseline` ``(theta, labels, start, min_frames)``."""
        sig = self._signal(theta)
        run = self._last_run(sig, start, min_frames)
        if run is not None:
            value = sig.medians.get(run)
            if value is None:
                seg = theta[run[0]:run[1]]
                value = sig.medians[run] = median(seg[np.isfinite(seg)])
            return value, "before"
        got = sig.clip.get(min_frames)
        if got is None:
            every = self._double_values(sig)
            got = sig.clip[min_frames] = ((median(every), "clip") if every.size >= min_frames
                                          else (0.0, "none"))
        return got

    def _double_values(self, sig: _Signal) -> np.ndarray:
        if sig.double is None:
            sig.double = sig.theta[self._is_double & sig.finite]
        return sig.double

    def run_coverage(self, theta: np.ndarray, start: int, look_back: int) -> float:
        """Share of the frames of the last double-stance run of at least 3 frames in the
        ``look_back`` frames before ``start`` with ``theta`` read (0 when there is none)."""
        run = self._last_run(None, start, 3, max(0, start - look_back))
        if run is None:
            return 0.0
        sig = self._signal(theta)
        return self._finite_in(sig, *run) / (run[1] - run[0])

    def baseline_frames(self, theta: np.ndarray, start: int, look_back: int) -> int:
        """Finite frames of the last double-stance run with at least 3 of them in the
        ``look_back`` frames before ``start``; else of all double-stance frames."""
        sig = self._signal(theta)
        run = self._last_run(sig, start, 3, max(0, start - look_back))
        if run is not None:
            return self._finite_in(sig, *run)
        return int(self._double_values(sig).size)
