"""The hip bump against a wall: reps of the pelvis pushed sideways and back, counted per side.

The drill: stand side-on to a wall, facing the camera, on the leg next to the wall, and push
that hip sideways to the wall and back. hipdrop reads the lateral shift of the mid-hip point
against the stance foot's ankle (the lower foot when one is lifted, the mid-point of both
ankles when both are down), in hip widths, + toward the person's anatomical left, and counts
an excursion away from the standing neutral as a bump of the side it moves toward.

The neutral follows the person at rest (an exponential mean with a ``NEUTRAL_TAU_S`` time
constant, only while within ``EXIT`` of it), and a "bump" held away for more than
``MAX_BUMP_S`` is a new stance, not a bump: the neutral moves there (standing differently,
moving to the wall's other side). Thresholds from geometry: a bump moves the pelvis several
centimetres (the hip to the wall), a quarter of the hip width is 5-6 cm on an adult's hip landmarks (20-25 cm
apart); quiet standing sways about 1 cm (0.05 hip widths), so a bump starts beyond ``ENTER``
(0.25) and ends back within ``EXIT`` (0.10) of the neutral.

Pure NumPy over (T,) signals; the same loop serves a whole recording and a live stream.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from hipdrop.core.filters import bridge_gaps, gaussian_smooth
from hipdrop.core.landmarks import L_ANKLE, L_HIP, R_ANKLE, R_HIP

ENTER = 0.25  # hip widths from the neutral: a bump
EXIT = 0.10  # back at the neutral
MIN_BUMP_S = 0.3  # shorter is jitter
NEUTRAL_TAU_S = 1.0  # how fast the neutral follows the person at rest
MAX_BUMP_S = 3.0  # a push and return; held away longer, the person moved: a new neutral


def bump_shift(points: np.ndarray, lift_left: np.ndarray, lift_right: np.ndarray,
               lift_fraction: float) -> np.ndarray:
    """(T,) the mid-hip's lateral offset from the stance foot, hip widths, + toward the left.

    points : (T, 33, >=2) pixels. lift_left, lift_right : (T,) foot lifts (fractions of leg
    length, :func:`hipdrop.core.kinematics.foot_lift`); a foot higher than ``lift_fraction``
    is off the floor and the other one is the stance foot. The hip width is the median over
    the series of the hip landmarks' distance.

    >>> p = np.zeros((1, 33, 2)); p[0, 23], p[0, 24] = (220, 500), (180, 500)
    >>> p[0, 27], p[0, 28] = (215, 900), (185, 900)  # both feet down, centred under x = 200
    >>> float(bump_shift(p, np.zeros(1), np.zeros(1), 0.06)[0])
    0.0
    >>> p[0, 23:25, 0] += 10  # the pelvis 10 px toward image-right: the person's left
    >>> float(bump_shift(p, np.zeros(1), np.zeros(1), 0.06)[0])
    0.25
    """
    xy = np.asarray(points[..., :2], dtype=np.float64)
    hip = 0.5 * (xy[:, L_HIP, 0] + xy[:, R_HIP, 0])
    ref = 0.5 * (xy[:, L_ANKLE, 0] + xy[:, R_ANKLE, 0])
    with np.errstate(invalid="ignore"):
        on_left = lift_right > lift_fraction
        on_right = lift_left > lift_fraction
    ref = np.where(on_left, xy[:, L_ANKLE, 0], ref)
    ref = np.where(on_right & ~on_left, xy[:, R_ANKLE, 0], ref)
    left = np.where(xy[:, L_HIP, 0] >= xy[:, R_HIP, 0], 1.0, -1.0)
    width = np.hypot(xy[:, L_HIP, 0] - xy[:, R_HIP, 0], xy[:, L_HIP, 1] - xy[:, R_HIP, 1])
    seen = width[np.isfinite(width)]
    scale = float(np.median(seen)) if seen.size else float("nan")
    return (hip - ref) * left / scale


@dataclass(frozen=True)
class Bump:
    """One bump: the side the pelvis was pushed toward, start/end s, the peak shift from the
    neutral (hip widths, positive, toward ``side``) and when it was reached."""

    side: str
    start_s: float
    end_s: float
    peak_shift: float
    peak_s: float

    def to_json(self) -> dict:
        return {"side": self.side, "start_s": round(self.start_s, 3),
                "end_s": round(self.end_s, 3),
                "peak_shift_pct": round(100.0 * self.peak_shift, 1),
                "peak_s": round(self.peak_s, 3)}


@dataclass
class BumpCounter:
    """Counts bumps frame by frame: ``update(t, shift)`` returns the bump that just ended, or
    None. ``shift`` is :func:`bump_shift`'s value of the frame (NaN: not seen, skipped)."""

    enter: float = ENTER
    exit: float = EXIT
    min_s: float = MIN_BUMP_S
    max_s: float = MAX_BUMP_S
    tau_s: float = NEUTRAL_TAU_S
    neutral: float = float("nan")
    bumps: list[Bump] = field(default_factory=list)
    _side: str | None = None
    _start: float = 0.0
    _rest_t: float = float("nan")  # the last frame at rest, where a bump starts
    _last_t: float = float("nan")
    _peak: float = 0.0
    _peak_t: float = 0.0

    def update(self, t: float, shift: float) -> Bump | None:
        if not math.isfinite(shift):
            return None
        if not math.isfinite(self.neutral):
            self.neutral, self._rest_t, self._last_t = shift, t, t
            return None
        d = shift - self.neutral
        dt = t - self._last_t
        self._last_t = t
        if self._side is None:
            if abs(d) > self.enter:
                self._side = "left" if d > 0 else "right"
                self._start = self._rest_t
                self._peak, self._peak_t = abs(d), t
                return None
            if abs(d) <= self.exit:
                # At rest the neutral follows the person's slow drift; not on the way out to a
                # bump, which would eat into its peak.
                self._rest_t = t
                self.neutral += (1.0 - math.exp(-max(dt, 0.0) / self.tau_s)) * d
            return None
        if t - self._start > self.max_s:  # held away: the person moved, not a bump
            self._side, self.neutral, self._rest_t = None, shift, t
            return None
        toward = d if self._side == "left" else -d
        if toward > self._peak:
            self._peak, self._peak_t = toward, t
        if toward > self.exit:
            return None
        side, self._side = self._side, None
        self._rest_t = t
        if t - self._start < self.min_s:
            return None
        bump = Bump(side, self._start, t, self._peak, self._peak_t)
        self.bumps.append(bump)
        return bump

    def counts(self) -> dict[str, int]:
        return {s: sum(b.side == s for b in self.bumps) for s in ("left", "right")}


def find_bumps(t: np.ndarray, shift: np.ndarray) -> list[Bump]:
    """Every bump of a recording: (T,) seconds and :func:`bump_shift` values."""
    counter = BumpCounter()
    for ti, si in zip(np.asarray(t, float).tolist(), np.asarray(shift, float).tolist(), strict=True):
        counter.update(ti, si)
    return counter.bumps


def analyze_bumps(image: np.ndarray, lift_left: np.ndarray, lift_right: np.ndarray,
                  lift_fraction: float, t: np.ndarray, fps: float, sigma_s: float,
                  max_gap_s: float) -> list[Bump]:
    """The bumps of masked landmarks (image (T, 33, >=2) px, t (T,) s; lifts as in
    :func:`bump_shift`), the shift smoothed as the stance signals are (``sigma_s``) so that a
    peak is not the top of the frame-to-frame noise."""
    shift = bump_shift(image, lift_left, lift_right, lift_fraction)
    shift = gaussian_smooth(bridge_gaps(shift[:, None], t, max_gap_s), fps, sigma_s)[:, 0]
    return find_bumps(t, shift)


def bumps_json(bumps: list[Bump]) -> dict:
    """summary.json's ``hip_bumps``: counts per side and the items."""
    return {"left": sum(b.side == "left" for b in bumps),
            "right": sum(b.side == "right" for b in bumps),
            "items": [b.to_json() for b in bumps]}


__all__ = ["Bump", "BumpCounter", "analyze_bumps", "bump_shift", "bumps_json", "find_bumps"]
