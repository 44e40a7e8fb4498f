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
    valid = np.isfinite(flat)
    n = len(t)
    idx = np.arange(n)[:, None]
    prev = np.maximum.accumulate(np.where(valid, idx, -1), axis=0)
    nxt = np.minimum.accumulate(np.where(valid, idx, n)[::-1], axis=0)[::-1]
    fill = ~valid & (prev >= 0) & (nxt < n)
    p, q = np.clip(prev, 0, n - 1), np.clip(nxt, 0, n - 1)
    tp, tq = t[p], t[q]
    fill &= (tq - tp) <= max_gap_s + 1e-9
    cols = np.arange(flat.shape[1])[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(tq > tp, (t[:, None] - tp) / (tq - tp), 0.0)
        interp = flat[p, cols] * (1 - w) + flat[q, cols] * w
    out = np.where(fill, interp, flat)
    return out.reshape(x.shape)


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
    half = max(1, math.ceil(3 * sigma))
    k = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma) ** 2)
    valid = np.isfinite(x)
    values = np.where(valid, x, 0.0)
    weights = valid.astype(np.float64)
    # One shifted add per kernel tap: a handful of vectorised passes over (T, ...) arrays,
    # cheaper in memory than a (T, ..., taps) window view.
    num = np.zeros_like(values)
    den = np.zeros_like(values)
    n = len(x)
    for j, kj in enumerate(k):
        s = j - half  # output[i] += k[j] * x[i + s]
        lo, hi = max(0, -s), min(n, n - s)
        if lo >= hi:
            continue
        num[lo:hi] += kj * values[lo + s : hi + s]
        den[lo:hi] += kj * weights[lo + s : hi + s]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    return np.where(valid, out, np.nan)


def moving_median(x: np.ndarray, window: int) -> np.ndarray:
    """Centred moving median of a 1-D series over ``window`` samples (odd), NaN ignored.

    Returns a (T,) array; near the ends the window is shortened. A series shorter than the
    window gives its overall median everywhere.

    >>> moving_median(np.array([0.0, 0, 9, 0, 0, 5, 5, 5]), 3)
    array([0., 0., 0., 0., 0., 5., 5., 5.])
    """
    x = np.asarray(x, dtype=np.float64)
    window = max(1, int(window) | 1)
    if len(x) == 0:
        return x.copy()
    if len(x) <= window:
        finite = x[np.isfinite(x)]
        return np.full_like(x, np.median(finite) if finite.size else np.nan)
    half = window // 2
    padded = np.pad(x, half, mode="constant", constant_values=np.nan)
    # Ends: reflect-free shortening, by padding with NaN that nanmedian ignores.
    windows = np.lib.stride_tricks.sliding_window_view(padded, window)
    counts = np.isfinite(windows).sum(axis=1)
    out = np.full(len(x), np.nan)
    ok = counts > 0
    out[ok] = np.nanmedian(windows[ok], axis=1)
    return out


def _alpha(cutoff_hz: float | np.ndarray, dt: float) -> float | np.ndarray:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt)


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
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: np.ndarray | None = None  # last time each element was seen

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        """Filter one sample ``x`` (any shape, NaN = missing) taken at ``t`` seconds."""
        x = np.asarray(x, dtype=np.float64)
        if self._x is None:
            self._x = np.full_like(x, np.nan)
            self._dx = np.zeros_like(x)
            self._t = np.full_like(x, -np.inf)
        seen = np.isfinite(x)
        dt = t - self._t
        fresh = seen & (~np.isfinite(self._x) | (dt > self.max_gap_s) | (dt <= 0))
        step = seen & ~fresh
        with np.errstate(invalid="ignore", divide="ignore"):
            dts = np.where(step, dt, 1.0)
            dx = np.where(step, (x - self._x) / dts, 0.0)
            a_d = _alpha(self.d_cutoff_hz, dts)
            dx_hat = a_d * dx + (1 - a_d) * self._dx
            cutoff = self.min_cutoff_hz + self.beta * np.abs(dx_hat)
            a = _alpha(cutoff, dts)
            x_hat = a * x + (1 - a) * self._x
        self._x = np.where(fresh, x, np.where(step, x_hat, self._x))
        self._dx = np.where(fresh, 0.0, np.where(step, dx_hat, self._dx))
        self._t = np.where(seen, t, self._t)
        return np.where(seen, self._x, np.nan)
