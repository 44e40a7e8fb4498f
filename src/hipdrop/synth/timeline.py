"""Keyframed pose parameters: smooth tracks that say each joint angle at any time.

A :class:`Timeline` is a set of tracks, one per :class:`~hipdrop.synth.rig.PoseParams` field,
each a list of (time, value) keys eased with a smoothstep, plus the intervals during which a
foot is off the floor (which decide the planted foot). Scenario scripts build it; the
renderer samples it at the frame times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from hipdrop.synth.rig import PoseParams, Side


def smoothstep(u: np.ndarray) -> np.ndarray:
    """Ease from 0 to 1 with zero slope at both ends; clamps outside [0, 1].

    >>> smoothstep(np.array([-1.0, 0.0, 0.5, 1.0, 2.0])).tolist()
    [0.0, 0.0, 0.5, 1.0, 1.0]
    """
    u = np.clip(u, 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


@dataclass
class Track:
    """Piecewise-smooth value over time: holds the first key's value before it, the last
    key's after it, and eases between consecutive keys."""

    keys: list[tuple[float, float]] = field(default_factory=list)

    def to(self, t: float, value: float) -> Track:
        """Append a key; times must not decrease."""
        if self.keys and t < self.keys[-1][0]:
            raise ValueError(f"key at {t} s is before the previous key at {self.keys[-1][0]} s")
        self.keys.append((float(t), float(value)))
        return self

    def value(self, t: np.ndarray) -> np.ndarray:
        """(T,) values at times ``t`` (T,) seconds."""
        t = np.asarray(t, dtype=np.float64)
        if not self.keys:
            return np.zeros_like(t)
        times = np.array([k[0] for k in self.keys])
        vals = np.array([k[1] for k in self.keys])
        out = np.full_like(t, vals[0])
        for i in range(1, len(times)):
            span = times[i] - times[i - 1]
            u = np.ones_like(t) if span <= 0 else (t - times[i - 1]) / span
            seg = t >= times[i - 1]
            out = np.where(seg, vals[i - 1] + (vals[i] - vals[i - 1]) * smoothstep(u), out)
        return out


@dataclass
class Timeline:
    """Tracks per :class:`PoseParams` field, constant fields, and the foot-off intervals.

    lifted : (side, start_s, end_s) while that foot is off the floor.
    sway : (amplitude deg, phase 1, phase 2) of a slow postural sway added to the weight
        shift: the pelvis wanders sideways a little without tilting, as a person balancing.
    """

    duration_s: float = 0.0
    tracks: dict[str, Track] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    lifted: list[tuple[Side, float, float]] = field(default_factory=list)
    sway: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def track(self, name: str) -> Track:
        """The track of a PoseParams field, created empty on first use."""
        if name not in PoseParams.__dataclass_fields__:
            raise KeyError(f"PoseParams has no field {name!r}")
        return self.tracks.setdefault(name, Track())

    def key(self, name: str, t: float, value: float) -> None:
        """Key ``name`` at ``t``, first holding its current value up to ``t`` (so each call
        is the end of a ramp starting from the last key)."""
        self.track(name).to(t, value)

    def ramp(self, name: str, start: float, end: float, value: float) -> None:
        """Ease ``name`` from its last key value (0 if none) at ``start`` to ``value`` at
        ``end``."""
        tr = self.track(name)
        prev = tr.keys[-1][1] if tr.keys else 0.0
        tr.to(start, prev).to(end, value)

    def foot_up(self, t: np.ndarray) -> dict[Side, np.ndarray]:
        """Side -> (T,) bool: that foot is off the floor at ``t`` (start inclusive, end
        exclusive, matching the phase intervals in the truth)."""
        t = np.asarray(t)
        up: dict[Side, np.ndarray] = {"left": np.zeros(t.shape, bool), "right": np.zeros(t.shape, bool)}
        for side, a, b in self.lifted:
            up[side] |= (t > a) & (t < b)
        return up

    def poses(self, t: np.ndarray) -> list[PoseParams]:
        """A PoseParams per time in ``t`` (T,) seconds."""
        values = {name: tr.value(t) for name, tr in self.tracks.items()}
        amp, p1, p2 = self.sway
        if amp:
            sway = amp * (0.7 * np.sin(2 * np.pi * 0.23 * t + p1) + 0.3 * np.sin(2 * np.pi * 0.57 * t + p2))
            values["weight_shift_deg"] = values.get("weight_shift_deg", 0.0) + sway
        up = self.foot_up(t)
        out = []
        for i in range(len(t)):
            planted: Literal["both", "left", "right"] = (
                "right" if up["left"][i] else "left" if up["right"][i] else "both")
            kw: dict[str, Any] = {name: float(v[i]) for name, v in values.items()}
            out.append(PoseParams(planted=planted, **self.constants, **kw))
        return out
