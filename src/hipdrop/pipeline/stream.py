"""The live pipeline: the offline functions fed one frame at a time.

Each frame goes through the same :func:`hipdrop.core.measures.frame_signals` as offline, a One Euro
smoother instead of the zero-phase one, and the same stance and rep rules, applied
incrementally: a stance run's baseline is taken by :func:`hipdrop.core.stance.baseline` when the run
starts, and :func:`hipdrop.core.reps.leg_reps` runs over the frames since the last rest whenever a
leg comes back down. :meth:`StreamAnalyzer.finish` applies the offline rules
(:func:`hipdrop.pipeline.analysis.analyze_signals`) to the session's smoothed signals, so the saved
summary is what the screen showed, measured by the one implementation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hipdrop.core.filters import median
from hipdrop.core.kinematics import leg_lengths
from hipdrop.core.landmarks import LandmarkSeries, SeriesRecorder
from hipdrop.core.measures import LegScale, Signals, StreamSmoother, frame_signals
from hipdrop.core.reps import LEGS, Rep, hysteresis, leg_reps, resting_angle
from hipdrop.core.stance import LEFT, RIGHT, SIDE_NAMES, baseline, lean_toward, stance_labels
from hipdrop.core.tiers import LANDMARKS, MARKERS, WAIST
from hipdrop.errors import NoPoseError
from hipdrop.pipeline.analysis import Analysis, analyze_signals
from hipdrop.settings import Settings

# Until this many frames have a leg length, lift is measured against a typical adult's leg
# (0.8 m, 45% of the frame height), so stance can be judged from the first second.
_SCALE_WARMUP = 15
_SCALE_EVERY = 30
_SCALE_WINDOW = 3000
_REST_EVERY = 15  # frames between updates of the legs' resting splay
_REST_WINDOW_S = 60.0  # how far back the resting splay looks
_NAN_IMAGE = np.full((1, 33, 4), np.nan)
# The tiers in order of trust, and the signal each is read from.
_TIER_SIGNALS = {MARKERS: "marker_obliquity_deg", WAIST: "waist_obliquity_deg",
                 LANDMARKS: "landmark_obliquity_deg"}
_NAN_WORLD = np.full((1, 33, 3), np.nan)


def _nanmedian(x: np.ndarray) -> float:
    """np.nanmedian of a 1-D array (NaN when it has no finite value), without its overhead."""
    if not np.isfinite(x).any():
        return math.nan
    return median(x[~np.isnan(x)])


@dataclass
class FrameState:
    """What the live display needs after one frame (sides anatomical, angles in degrees)."""

    t: float
    image: np.ndarray | None  # (33, 4) px, as measured
    signals: Signals  # this frame's smoothed signals, length 1
    stance: str | None  # current single-leg stance side, or None
    stance_s: float  # how long the current stance has lasted
    drop_deg: float  # contralateral pelvic drop now (NaN outside a stance)
    baseline_deg: float  # the current stance's baseline obliquity (NaN outside)
    reps: tuple[int, int]  # completed reps, left and right
    last_rep: Rep | None
    leg_up: tuple[bool, bool]  # each leg above the rep threshold now
    hold_s: tuple[float, float]  # how long each leg has been held up
    best_hold_s: tuple[float, float]
    lean_baseline_deg: float = math.nan  # the stance's double-stance lean (to the left)
    source: str = LANDMARKS  # the tier drop_deg was read from now (hipdrop.core.tiers)

    @property
    def obliquity_deg(self) -> float:
        """hipdrop's estimate of the obliquity now (DESIGN.md: theta0 + s * CPD), NaN outside a
        stance."""
        if self.stance is None:
            return math.nan
        return self.baseline_deg + (self.drop_deg if self.stance == "left" else -self.drop_deg)

    @property
    def pelvis_seen(self) -> tuple[str, ...]:
        """The reliable tiers read in this frame: MARKERS (both stickers) and/or WAIST."""
        seen = []
        if math.isfinite(float(self.signals.marker_obliquity_deg[0])):
            seen.append(MARKERS)
        if math.isfinite(float(self.signals.waist_obliquity_deg[0])):
            seen.append(WAIST)
        return tuple(seen)

    @property
    def lifted_thigh_deg(self) -> float:
        """How far the lifted thigh is raised from the trunk axis (NaN outside a stance)."""
        if self.stance is None:
            return math.nan
        lifted = "right" if self.stance == "left" else "left"
        return float(getattr(self.signals, f"thigh_elevation_{lifted}_deg")[0])

    @property
    def drop_source(self) -> str:
        """Which tier carries the drop now: "markers", "waist" or "landmarks"."""
        return self.source

    @property
    def pose(self) -> bool:
        """The landmarks every measure needs (shoulders, hips, ankles) were seen."""
        return bool(self.signals.pose[0])

    @property
    def upright(self) -> bool:
        return bool(self.signals.upright[0])

    @property
    def abduction_deg(self) -> tuple[float, float]:
        """Smoothed hip abduction of the left and right leg, degrees."""
        return float(self.signals.abduction_left_deg[0]), float(self.signals.abduction_right_deg[0])

    @property
    def trunk_lean_deg(self) -> float:
        """Smoothed lateral trunk lean toward the stance side (NaN outside a stance), degrees."""
        if self.stance is None:
            return math.nan
        side = LEFT if self.stance == "left" else RIGHT
        return float(lean_toward(self.signals.trunk_lean_left_deg, side)[0])

    @property
    def lean_change_deg(self) -> float:
        """Trunk lean toward the stance side beyond the double-stance posture before it (what
        the verdict judges: a rolled camera is not a lean), degrees; NaN outside a stance."""
        if self.stance is None:
            return math.nan
        side = LEFT if self.stance == "left" else RIGHT
        return float(lean_toward(self.signals.trunk_lean_left_deg - self.lean_baseline_deg,
                                 side)[0])


class _Buffer:
    """Growable columns of per-frame values."""

    def __init__(self, capacity: int = 4096) -> None:
        self._cap = capacity
        self._n = 0
        self._cols: dict[str, np.ndarray] = {}

    def append(self, **values: float | bool | int) -> None:
        if self._n == self._cap:
            self._cap *= 2
            for k, v in self._cols.items():
                grown = np.empty(self._cap, v.dtype)
                grown[: self._n] = v[: self._n]
                self._cols[k] = grown
        for k, v in values.items():
            if k not in self._cols:
                self._cols[k] = np.empty(self._cap, np.asarray(v).dtype)
            self._cols[k][self._n] = v
        self._n += 1

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, key: str) -> np.ndarray:
        return self._cols[key][: self._n]


class StreamAnalyzer:
    """Feed frames with :meth:`update`; read the session with :meth:`finish`."""

    def __init__(self, settings: Settings, width: int, height: int, fps: float,
                 model: str = "unknown") -> None:
        self.settings = settings
        self.recorder = SeriesRecorder(width, height, fps, model)
        self._smoother = StreamSmoother(settings)
        self._buf = _Buffer()
        self._lengths = np.empty((1024, 2, 2))  # world and image leg lengths, per frame seen
        self._n_lengths = 0
        self._scale = LegScale(0.8, 0.45 * height)
        self._t0: float | None = None
        # Stance run in progress.
        self._run_label = -1
        self._run_start = 0
        self._theta0 = math.nan
        self._tier0: dict[str, float] = {}  # each tier's baseline for the run in progress
        self._lean0 = math.nan
        # Reps: hysteresis state per leg, first frame of the open window, committed reps.
        self._up = [False, False]
        self._rest = [0.0, 0.0]  # each leg's resting splay (hipdrop.core.reps.resting_angle)
        self._cursor = 0
        self.reps: list[Rep] = []
        # Counted as they are committed: the per-frame state never walks the session's reps.
        self._counts = {leg: 0 for leg in LEGS}
        self._known: set[tuple[str, float]] = set()  # (leg, start) of the committed reps
        self._hold = [0.0, 0.0]
        self._best = [0.0, 0.0]
        self._last_t: float | None = None

    def __len__(self) -> int:
        return len(self._buf)

    def _update_scale(self, image: np.ndarray | None, world: np.ndarray | None) -> None:
        if image is None or world is None:
            return
        n = self._n_lengths
        if n == len(self._lengths):
            self._lengths = np.concatenate([self._lengths, np.empty_like(self._lengths)])
        self._lengths[n, 0] = leg_lengths(world)
        self._lengths[n, 1] = leg_lengths(image[:, :2])
        self._n_lengths = n = n + 1
        if n == _SCALE_WARMUP or (n > _SCALE_WARMUP and n % _SCALE_EVERY == 0):
            # The median of the recent frames: offline's whole-clip median for any clip under
            # two minutes, and a cost that does not grow with the session.
            recent = self._lengths[max(0, n - _SCALE_WINDOW):n]
            world_m, image_px = (_nanmedian(recent[:, k]) for k in (0, 1))
            self._scale = LegScale(world_m, image_px)

    def update(self, image: np.ndarray | None, world: np.ndarray | None, t: float,
               waist: tuple[float, ...] | None = None,
               markers: tuple[float, float, float, float, float] | None = None) -> FrameState:
        """Add one frame: ``image`` (33, 4) px and ``world`` (33, 3) m, or None; ``t`` seconds;
        ``waist`` the frame's image cue (obliquity deg, confidence) of :mod:`hipdrop.vision.cues`;
        ``markers`` its pelvis markers row (:mod:`hipdrop.vision.markers`)."""
        if self._t0 is None:
            self._t0 = t
        t_rel = t - self._t0
        self.recorder.append(image, world, t, waist, markers)
        self._update_scale(image, world)
        raw = frame_signals(_NAN_IMAGE if image is None else image[None],
                            _NAN_WORLD if world is None else world[None],
                            np.array([t_rel]), self._scale, self.settings,
                            None if waist is None else np.array([waist], np.float64),
                            None if markers is None else np.array([markers], np.float64))
        sig = self._smoother(raw)
        label = int(stance_labels(sig.lift_left, sig.lift_right, sig.upright,
                                  self.settings.lift_fraction)[0])
        i = len(self._buf)
        self._buf.append(
            t=t_rel, pose=bool(sig.pose[0]), upright=bool(sig.upright[0]), label=label,
            **{name: float(getattr(sig, name)[0]) for name in Signals.CONTINUOUS + Signals.RAW})
        if label != self._run_label:
            self._run_label, self._run_start = label, i
            if label in (LEFT, RIGHT):
                labels = self._buf["label"]
                self._tier0 = {}
                for tier, name in _TIER_SIGNALS.items():
                    value, src = baseline(self._buf[name], labels, i)
                    if src != "none" or tier == LANDMARKS:
                        self._tier0[tier] = value
                self._theta0 = self._tier0[LANDMARKS]
                self._lean0, _ = baseline(self._buf["trunk_lean_left_deg"], labels, i)
        in_stance = label in (LEFT, RIGHT)
        drop, source = math.nan, LANDMARKS
        if in_stance:
            # The most trusted tier read in this frame against its own baseline; the saved
            # result (finish) reads each whole phase by one tier, as offline.
            sign = 1.0 if label == LEFT else -1.0
            for tier, name in _TIER_SIGNALS.items():
                value = float(getattr(sig, name)[0])
                if tier in self._tier0 and math.isfinite(value):
                    drop, source = sign * (value - self._tier0[tier]), tier
                    break
        last_rep = self._update_reps(i, sig, t_rel)
        return FrameState(
            t=t_rel, image=image, signals=sig, stance=SIDE_NAMES.get(label),
            stance_s=t_rel - float(self._buf["t"][self._run_start]) if in_stance else 0.0,
            drop_deg=drop, baseline_deg=self._theta0 if in_stance else math.nan,
            reps=(self.count("left"), self.count("right")), last_rep=last_rep,
            leg_up=(self._up[0], self._up[1]), hold_s=(self._hold[0], self._hold[1]),
            best_hold_s=(self._best[0], self._best[1]),
            lean_baseline_deg=self._lean0 if in_stance else math.nan, source=source)

    def _update_reps(self, i: int, sig: Signals, t: float) -> Rep | None:
        s = self.settings
        dt = 0.0 if self._last_t is None else t - self._last_t
        self._last_t = t
        if i % _REST_EVERY == 0 and not any(self._up):
            # The resting splay over the recent past, refreshed while both legs are down.
            b = self._buf
            fps = self.recorder.fps
            lo = max(0, i + 1 - round(_REST_WINDOW_S * fps))
            self._rest = [resting_angle(b[f"abduction_{leg}_deg"][lo:i + 1], fps, s)
                          for leg in LEGS]
        # Both legs through the rule of record in one call: (1 frame, 2 legs).
        alphas = np.concatenate((sig.abduction_left_deg - self._rest[0],
                                 sig.abduction_right_deg - self._rest[1]))[None, :]
        ups = hysteresis(alphas, s.rep_up_deg, s.rep_down_deg, np.array(self._up))[0].tolist()
        fell = False
        for leg, up in enumerate(ups):
            fell |= self._up[leg] and not up
            self._hold[leg] = self._hold[leg] + dt if (up and self._up[leg]) else 0.0
            self._best[leg] = max(self._best[leg], self._hold[leg])
            self._up[leg] = up
        if not fell:
            return None
        # A leg came back down: the rule of record decides on the frames since the last rest.
        new = self._window_reps(self._cursor, i + 1, complete_only=True)
        self.reps.extend(new)
        for r in new:
            self._counts[r.leg] += 1
            self._known.add((r.leg, round(r.start_s, 6)))
        if not any(self._up):
            self._cursor = i
        return new[-1] if new else None

    def _window_reps(self, start: int, stop: int, complete_only: bool) -> list[Rep]:
        b = self._buf
        t = b["t"][start:stop]
        al, ar = b["abduction_left_deg"][start:stop], b["abduction_right_deg"][start:stop]
        fps = self.recorder.fps
        rl, rr = self._rest
        reps = (leg_reps(al, ar, t, fps, "left", self.settings, rl, rr)
                + leg_reps(ar, al, t, fps, "right", self.settings, rr, rl))
        reps = [r for r in reps if (r.leg, round(r.start_s, 6)) not in self._known]
        if complete_only:
            reps = [r for r in reps if r.complete]
        return sorted(reps, key=lambda r: r.end_s)

    @property
    def best_hold_s(self) -> tuple[float, float]:
        """Longest time each leg (left, right) has been held up so far, seconds."""
        return self._best[0], self._best[1]

    def count(self, leg: str) -> int:
        return self._counts[leg]

    def series(self) -> LandmarkSeries:
        return self.recorder.series()

    def signals(self) -> Signals:
        """The session's smoothed signals, one row a frame."""
        b = self._buf
        return Signals(t=b["t"].copy(), pose=b["pose"].copy(), upright=b["upright"].copy(),
                       **{n: b[n].copy() for n in Signals.CONTINUOUS + Signals.RAW})

    def finish(self, require_pose: bool = True) -> Analysis:
        """The session as an :class:`Analysis`, by the offline rules on the live signals.

        Raises NoPoseError when no frame had a pose, unless ``require_pose`` is False (a live
        session is saved even when nobody stepped into view: it then finds nothing).
        """
        if len(self) == 0 or (require_pose and not self._buf["pose"].any()):
            raise NoPoseError("no person was seen during the session")
        return analyze_signals(self.series(), self.signals(), self.settings)


__all__ = ["LEGS", "FrameState", "StreamAnalyzer"]
