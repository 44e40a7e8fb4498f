"""The hip bump drill as a live mode that finishes: bumps counted frame by frame
(:class:`hipdrop.core.bump.BumpCounter` on :func:`hipdrop.core.bump.bump_shift`) to a target.

Live, the hip width that scales the shift is the median of the widths seen so far (offline it is
the whole recording's), and the shift is smoothed by a short causal mean (offline a centred
Gaussian): a bump is a push of ~0.5 s or more, three frames at 10 fps do not blur it.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from hipdrop.core.bump import Bump, BumpCounter
from hipdrop.core.landmarks import L_ANKLE, L_HIP, R_ANKLE, R_HIP
from hipdrop.pipeline.stream import FrameState

DEFAULT_BUMPS = 10
SMOOTH_FRAMES = 3
LOST_S = 1.0  # out of view this long, the person comes back somewhere new: a new neutral


class BumpSet:
    """Counts hip bumps toward ``side`` (either side when None) to ``target``."""

    def __init__(self, target: int = DEFAULT_BUMPS, side: str | None = None,
                 lift_fraction: float = 0.06) -> None:
        if target < 1:
            raise ValueError("target must be at least 1")
        self.target, self.side, self.lift_fraction = target, side, lift_fraction
        self.counter = BumpCounter()
        self.done = False
        self._widths: list[float] = []
        self._recent: deque[float] = deque(maxlen=SMOOTH_FRAMES)
        self._seen_t = math.nan

    @property
    def count(self) -> int:
        """The bumps that count toward the target."""
        return sum(self.side is None or b.side == self.side for b in self.counter.bumps)

    def shift(self, state: FrameState) -> float:
        """This frame's lateral shift, hip widths, + toward the person's left (NaN: unseen)."""
        p = state.image
        if p is None or not state.pose:
            return math.nan
        lift_l, lift_r = state.signals.first("lift_left"), state.signals.first("lift_right")
        width = math.hypot(p[L_HIP, 0] - p[R_HIP, 0], p[L_HIP, 1] - p[R_HIP, 1])
        if math.isfinite(width) and width > 0:
            self._widths.append(width)
        if not self._widths:
            return math.nan
        ref = 0.5 * (p[L_ANKLE, 0] + p[R_ANKLE, 0])
        if lift_r > self.lift_fraction:
            ref = p[L_ANKLE, 0]
        elif lift_l > self.lift_fraction:
            ref = p[R_ANKLE, 0]
        left = 1.0 if p[L_HIP, 0] >= p[R_HIP, 0] else -1.0
        hip = 0.5 * (p[L_HIP, 0] + p[R_HIP, 0])
        return float((hip - ref) * left / float(np.median(self._widths)))

    def update(self, state: FrameState) -> Bump | None:
        """One frame; the bump that just ended, or None."""
        if state.pose and not state.t - self._seen_t < LOST_S and math.isfinite(self._seen_t):
            # Back in view after walking (to the wall, say): the standing neutral and the hip
            # width are the new position's, the bumps counted stay.
            self.counter = BumpCounter(bumps=self.counter.bumps)
            self._widths, self._recent = [], deque(maxlen=SMOOTH_FRAMES)
        if state.pose:
            self._seen_t = state.t
        x = self.shift(state)
        if math.isfinite(x):
            self._recent.append(x)
        smooth = float(np.mean(self._recent)) if self._recent and math.isfinite(x) else math.nan
        bump = self.counter.update(state.t, smooth)
        if bump is not None and self.count >= self.target:
            self.done = True
        return bump

    def to_json(self) -> dict:
        c = self.counter.counts()
        return {"target": self.target, "side": self.side, "left": c["left"],
                "right": c["right"], "counted": self.count, "finished": self.done,
                "items": [b.to_json() for b in self.counter.bumps]}


__all__ = ["DEFAULT_BUMPS", "BumpSet"]
