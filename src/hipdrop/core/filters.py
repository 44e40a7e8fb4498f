"""Smoothing of per-frame signals: a streaming One Euro filter and a zero-phase offline filter.

Live analysis can only look back, so it uses the One Euro filter (Casiez et al., CHI 2012):
little lag when a signal moves fast, strong smoothing when it rests. Offline analysis has the
whole recording, so it uses a zero-phase Gaussian: no lag at all, so a rep's peak and a phase's
edges stay where they happened. Both bridge short gaps and leave long ones NaN.
"""

from __future__ import annotations

import math

import numpy as np


def bridge_gaps(x: np.ndarray, t: np.ndarray, max_gap_s: float) -> np.ndarray:
    """Fill NaN runs no longer than ``max_gap_s`` by linear interpolation along axis 0.

    Parameters
    ----------
    x : (T, ...) ndarray
        Signals; NaN where missing. Each trailing element is a channel of its own.
    t : (T,) ndarray, seconds, increasing.
    max_gap_s : float
        Longest gap to fill, measured between the valid samples on either side.

    Returns
    -------
    (T, ...) float ndarray; leading, trailing and long gaps stay NaN.

    Examples
    --------
    >>> bridge_gaps(np.array([0.0, np.nan, 2.0, np.nan, np.nan, np.nan, 6.0]), np.arange(7.0), 2)
    array([ 0.,  1.,  2., nan, nan, nan,  6.])
    """
    x = np.asarray(x, dtype=np.float64)
    flat = x.reshape(len(x), -1)
    out = flat.copy()
    missing = ~np.isfinite(flat)
    done: list[tuple[np.ndarray, tuple]] = []  # (missing mask, fill plan) of columns done
    for c in np.flatnonzero(missing.any(axis=0)):
        m = missing[:, c]
        # Most channels go missing together (no pose): plan the fill once per distinct mask.
        plan = next((p for mask, p in done if np.array_equal(mask, m)), None)
        if plan is None:
            plan = _fill_plan(m, t, max_gap_s)
            done.append((m, plan))
        idx, before, after, w = plan
        if len(idx):
            col = flat[:, c]
            out[idx, c] = col[before] * (1 - w) + col[after] * w
    return out.reshape(x.shape)


def _fill_plan(missing: np.ndarray, t: np.ndarray, max_gap_s: float) -> tuple:
    """Where :func:`bridge_gaps` fills a channel whose samples are ``missing`` (T,) bool:
    the indices filled, the valid samples before and after each, and the weight of the after.

    The work is over the gaps, not over every sample (a signal is mostly present).
    """
    n = len(missing)
    change = np.flatnonzero(missing[1:] != missing[:-1]) + 1
    bounds = np.concatenate(([0], change, [n]))
    gap = missing[bounds[:-1]]
    starts, stops = bounds[:-1][gap], bounds[1:][gap]  # NaN runs [start, stop)
    inner = (starts > 0) & (stops < n)  # a valid sample on either side
    starts, stops = starts[inner], stops[inner]
    short = t[stops] - t[starts - 1] <= max_gap_s + 1e-9
    starts, stops = starts[short], stops[short]
    lengths = stops - starts
    offsets = np.repeat(starts - np.cumsum(np.concatenate(([0], lengths[:-1]))), lengths)
    idx = offsets + np.arange(lengths.sum())
    before, after = np.repeat(starts - 1, lengths), np.repeat(stops, lengths)
    tp, tq = t[before], t[after]
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(tq > tp, (t[idx] - tp) / (tq - tp), 0.0)
    return idx, before, after, w


def gaussian_smooth(x: np.ndarray, fps: float, sigma_s: float) -> np.ndarray:
    """Zero-phase Gaussian smoothing along axis 0 that ignores NaN samples.

    A normalised convolution: each output is the Gaussian-weighted mean of the valid samples
    around it, so the ends of the series and the sides of a gap are not pulled toward zero.
    A sample that is NaN stays NaN (bridge gaps first with :func:`bridge_gaps`).

    Parameters
    ----------
    x : (T, ...) ndarray
    fps : float, samples per second (frames are taken as evenly spaced)
    sigma_s : float, standard deviation of the kernel in seconds; 0 returns x unchanged.

    Returns
    -------
    (T, ...) float64 ndarray

    Examples
    --------
    A linear ramp stays a ramp away from its ends (the kernel is symmetric):

    >>> y = gaussian_smooth(np.arange(30.0), fps=10, sigma_s=0.2)
    >>> bool(np.allclose(y[6:24], np.arange(6.0, 24.0)))
    True
    """
    x = np.asarray(x, dtype=np.float64)
    sigma = sigma_s * fps
    if sigma <= 0 or len(x) == 0:
        return x.copy()
    # Taps further than the series is long add nothing: leaving them out changes no result and
    # keeps the cost within T x min(6 sigma fps, 2 T) whatever the settings and frame rate.
    half = max(1, min(math.ceil(3 * sigma), len(x) - 1))
    k = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma) ** 2)
    flat = x.reshape(len(x), -1)
    valid = np.isfinite(flat)
    num = _convolve(np.where(valid, flat, 0.0), k)
    # The weights' sum depends only on which samples are valid: computed once per distinct
    # mask (most channels are missing together), with the same additions as for each channel.
    den = np.empty_like(num)
    masks = np.ascontiguousarray(valid.T)
    done: list[int] = []
    for c, mask in enumerate(masks):
        same = next((d for d in done if np.array_equal(masks[d], mask)), None)
        if same is None:
            den[:, c] = _convolve(mask.astype(np.float64), k)
            done.append(c)
        else:
            den[:, c] = den[:, same]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    return np.where(valid, out, np.nan).reshape(x.shape)


def _convolve(values: np.ndarray, k: np.ndarray) -> np.ndarray:
    """sum_j k[j] * values[i + j - half] along axis 0, terms outside the series left out.

    One shifted multiply-add per kernel tap, a block of rows at a time: the block's arrays
    stay in the CPU's cache for all the taps (over a whole hour each tap would stream ~40 MB
    through memory). Each output's terms are added in the order of the taps whatever the
    blocks, so the blocks change nothing in the result.
    """
    half = len(k) // 2
    n = len(values)
    num = np.zeros_like(values)
    block = max(256, _BLOCK_BYTES // max(1, values[:1].nbytes))
    scratch = np.empty_like(values[:block])
    for b0 in range(0, n, block):
        b1 = min(n, b0 + block)
        for j, kj in enumerate(k):
            s = j - half  # output[i] += k[j] * x[i + s]
            lo, hi = max(b0, -s), min(b1, n - s)
            if lo >= hi:
                continue
            part = scratch[:hi - lo]
            np.multiply(values[lo + s:hi + s], kj, out=part)
            num[lo:hi] += part
    return num


_BLOCK_BYTES = 1 << 18  # rows of a block of _convolve: ~256 KB an array, within L2 cache


def median(x: np.ndarray) -> float:
    """The median of a 1-D array without NaN: ``np.median``'s number (the mean of the two middle
    values), from a sort, without its overhead on the short arrays hipdrop takes it of.

    >>> median(np.array([4.0, 1.0, 3.0, 2.0]))
    2.5
    """
    s = np.sort(x)
    n = len(s)
    return float((s[(n - 1) // 2] + s[n // 2]) / 2)


def median_of(values: list[float]) -> float:
    """:func:`median` of a list of finite floats, sorted by Python (the live trackers' windows of
    ~25 samples: a tenth of the cost of an array and ``np.sort``). The same number: equal
    values sort alike either way (a -0.0 next to a 0.0 aside, whose order no result reads).

    >>> median_of([4.0, 1.0, 3.0, 2.0])
    2.5
    """
    s = sorted(values)
    n = len(s)
    return (s[(n - 1) // 2] + s[n // 2]) / 2


def sliding_median(x: np.ndarray, window: int) -> np.ndarray:
    """Median of each run of ``window`` consecutive samples of a 1-D series, NaN ignored.

    Parameters
    ----------
    x : (T,) ndarray
    window : int, >= 1 and <= T

    Returns
    -------
    (T - window + 1,) float64 ndarray: element i is ``np.nanmedian(x[i:i + window])``, NaN
    where that window has no sample that is not NaN.

    >>> sliding_median(np.array([3.0, 1.0, np.nan, 2.0, 8.0]), 2)
    array([2., 1., 2., 5.])
    """
    x = np.asarray(x, dtype=np.float64)
    return row_medians(np.lib.stride_tricks.sliding_window_view(x, window))


def row_medians(rows: np.ndarray) -> np.ndarray:
    """(k,) ``np.nanmedian`` of each row of ``rows`` (k, w): NaN for a row of NaN only.

    Each row is sorted (NaN sorts last) and the middle sample(s) of its non-NaN ones read: the
    same numbers as ``np.nanmedian(rows, axis=1)``, several times faster (one vectorised sort
    instead of a selection per row, and masked arrays for NaN).
    """
    rows = np.sort(rows, axis=-1)
    width = rows.shape[-1]
    if not np.isnan(rows[:, -1]).any():  # no NaN anywhere: every row is whole
        lo, hi = (width - 1) // 2, width // 2
        return (rows[:, lo] + rows[:, hi]) / 2
    count = width - np.isnan(rows).sum(axis=-1)
    lo = np.maximum(count - 1, 0) // 2
    pair = np.take_along_axis(rows, np.stack([lo, count // 2 - (count == 0)], -1), axis=-1)
    # (a + b) / 2 as np.median averages the two middle samples (a single one: (a + a) / 2 = a).
    out = (pair[:, 0] + pair[:, 1]) / 2
    out[count == 0] = np.nan
    return out


class OneEuroFilter:
    """One Euro filter over an array of signals, called once per frame with its timestamp.

    Parameters
    ----------
    min_cutoff_hz : float or ndarray broadcastable to the signal, > 0
        Cutoff at rest, Hz: lower is smoother and laggier when still.
    beta : float or ndarray broadcastable to the signal, >= 0
        How fast the cutoff rises with speed, Hz per (signal unit / s).
    d_cutoff_hz : float, > 0
        Cutoff of the derivative estimate, Hz.
    max_gap_s : float
        A NaN sample leaves the state as it was; after a gap longer than this the filter starts
        afresh, so an old value is never blended into a new sighting.

    Examples
    --------
    >>> f = OneEuroFilter(min_cutoff_hz=1.0, beta=0.0)
    >>> [round(float(f(np.array([v]), t)[0]), 3) for t, v in [(0.0, 0.0), (0.1, 1.0), (0.2, 1.0)]]
    [0.0, 0.386, 0.623]
    """

    def __init__(self, min_cutoff_hz: float | np.ndarray = 1.0, beta: float | np.ndarray = 0.0,
                 d_cutoff_hz: float = 1.0, max_gap_s: float = 0.3) -> None:
        if np.any(np.asarray(min_cutoff_hz) <= 0) or d_cutoff_hz <= 0:
            raise ValueError("cutoffs must be > 0 Hz")
        if np.any(np.asarray(beta) < 0):
            raise ValueError("beta must be >= 0")
        self.min_cutoff_hz, self.beta, self.d_cutoff_hz = min_cutoff_hz, beta, d_cutoff_hz
        self.max_gap_s = max_gap_s
        self.reset()

    def reset(self) -> None:
        """Forget everything: value, derivative and per-element timestamps."""
        self._x: list[float] | None = None
        self._dx: list[float] = []
        self._t: list[float] = []  # last time each element was seen
        self._params: list[tuple[float, float]] = []  # (min cutoff, beta) of each element

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        """Filter one sample ``x`` (any shape, NaN = missing) taken at ``t`` seconds."""
        x = np.asarray(x, dtype=np.float64)
        if self._x is None:
            self._start(x.shape)
        return np.array(self.step(x.ravel().tolist(), t)).reshape(x.shape)

    def _start(self, shape: tuple[int, ...]) -> None:
        n = math.prod(shape)
        cutoff = np.broadcast_to(np.asarray(self.min_cutoff_hz, np.float64), shape).ravel()
        beta = np.broadcast_to(np.asarray(self.beta, np.float64), shape).ravel()
        self._params = list(zip(cutoff.tolist(), beta.tolist(), strict=True))
        self._x, self._dx, self._t = [math.nan] * n, [0.0] * n, [-math.inf] * n

    def step(self, x: list[float], t: float) -> list[float]:
        """Filter one sample, a flat list of floats (NaN = missing) at ``t`` seconds: the list
        of filtered values (NaN where missing).

        Element by element in Python floats: for the ~16 signals of one frame this costs less
        than NumPy's per-call overhead on 16-long arrays, and gives the same bits (the same
        IEEE operations in the same order as the vectorised form had).
        """
        if self._x is None:
            self._start((len(x),))
        xs, dxs, ts = self._x, self._dx, self._t
        assert xs is not None
        max_gap = self.max_gap_s
        # The smoothing factor is 1 / (1 + tau / dt), tau = 1 / (2 pi cutoff); the
        # derivative's cutoff is the same for every element: its tau once.
        tau_d = 1.0 / (2.0 * math.pi * self.d_cutoff_hz)
        two_pi = 2.0 * math.pi
        params = self._params
        if len(x) != len(params):
            raise ValueError(f"{len(x)} values for a filter of {len(params)}")
        # The output starts as the input: a value seen afresh is its own output, the others
        # are set below. (Indexing the filter's lists, not zipping them with the values and
        # the parameters: with the caches cold after an inference this costs a quarter less.)
        out = list(x)
        isfinite, nan = math.isfinite, math.nan
        for i, v in enumerate(x):
            if not isfinite(v):  # missing: the state stays as it was
                out[i] = nan
                continue
            prev = xs[i]
            dt = t - ts[i]
            ts[i] = t
            if dt > max_gap or dt <= 0 or not isfinite(prev):  # afresh
                xs[i] = v
                dxs[i] = 0.0
                continue
            min_cutoff, beta = params[i]
            a_d = 1.0 / (1.0 + tau_d / dt)
            dx_hat = a_d * ((v - prev) / dt) + (1 - a_d) * dxs[i]
            a = 1.0 / (1.0 + (1.0 / (two_pi * (min_cutoff + beta * abs(dx_hat)))) / dt)
            out[i] = xs[i] = a * v + (1 - a) * prev
            dxs[i] = dx_hat
        return out
