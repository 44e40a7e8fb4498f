"""The live pipeline: the trackers fed one frame at a time.

Each frame goes through :func:`hipdrop.core.measures.frame_row` (offline's ``frame_signals``
for one frame, to the bit) and a One Euro smoother instead of the zero-phase one; then through the trackers of
:mod:`hipdrop.pipeline.trackers` (leg scale, stance phases, resting splay, reps and holds), the
incremental forms of the offline rules, proved to give the same phases and reps as those rules
over the same signals (tests/test_trackers.py). A stance run's baselines are taken by
:func:`hipdrop.core.stance.baseline` when the run starts. The screens read :class:`FrameState`
and, for a result, :meth:`StreamAnalyzer.so_far` (the phases so far through the pipeline's phase
step); :meth:`StreamAnalyzer.finish` is the session's one analysis, run at the end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hipdrop.core.landmarks import LandmarkSeries, SeriesRecorder
from hipdrop.core.measures import PER_LEG, ROW, ROW_AT, Signals, StreamSmoother, frame_row
from hipdrop.core.reps import LEGS, Rep
from hipdrop.core.side import SIDES, Side
from hipdrop.core.stance import StancePhase, baseline, lean_toward
from hipdrop.core.tiers import LANDMARKS, MARKERS, MEDIAPIPE, WAIST
from hipdrop.core.verdict import Verdict, make_verdict
from hipdrop.errors import NoPoseError
from hipdrop.pipeline.analysis import Analysis, analyze_signals, measure_stance
from hipdrop.pipeline.trackers import LegScaleTracker, RepTracker, RestTracker, StanceTracker
from hipdrop.settings import Settings

# The tiers in order of trust, and the signal each is read from.
_TIER_SIGNALS = {MARKERS: "marker_obliquity_deg", WAIST: "waist_obliquity_deg",
                 LANDMARKS: "landmark_obliquity_deg"}


@dataclass(slots=True)
class FrameState:
    """What the live display needs after one frame (sides anatomical, angles in degrees).

    (Slots: one is made every frame, and its 15 values stored in slots rather than a dict.)
    """

    t: float
    image: np.ndarray | None  # (33, 4) px, as measured
    signals: Signals  # this frame's smoothed signals, length 1
    stance: Side | None  # current single-leg stance side, or None
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
    # ``image.tolist()`` (None without a pose), listed once a frame for every reader: the
    # signals, the leg scale, the framing advice and the gesture (do not change it).
    points: list | None = None

    @property
    def obliquity_deg(self) -> float:
        """hipdrop's estimate of the obliquity now (DESIGN.md: theta0 + s * CPD), NaN outside a
        stance."""
        if self.stance is None:
            return math.nan
        return self.baseline_deg + Side.of(self.stance).sign * self.drop_deg

    @property
    def pelvis_seen(self) -> tuple[str, ...]:
        """The reliable tiers read in this frame: MARKERS (both stickers) and/or WAIST."""
        seen = []
        if math.isfinite(self.signals.first("marker_obliquity_deg")):
            seen.append(MARKERS)
        if math.isfinite(self.signals.first("waist_obliquity_deg")):
            seen.append(WAIST)
        return tuple(seen)

    @property
    def lifted_thigh_deg(self) -> float:
        """How far the lifted thigh is raised from the trunk axis (NaN outside a stance)."""
        if self.stance is None:
            return math.nan
        return self.signals.first(PER_LEG["thigh_elevation"][Side.of(self.stance).other.column])

    @property
    def lifted_thigh_too_high(self) -> bool:
        """The lifted thigh is raised too high for the pose model's hip points to say anything
        about the pelvis (:data:`hipdrop.core.tiers.MEDIAPIPE`'s limit)."""
        thigh = self.lifted_thigh_deg
        return math.isfinite(thigh) and thigh > MEDIAPIPE.max_thigh_deg

    @property
    def drop_source(self) -> str:
        """Which tier carries the drop now: "markers", "waist" or "landmarks"."""
        return self.source

    @property
    def pose(self) -> bool:
        """The landmarks every measure needs (shoulders, hips, ankles) were seen."""
        return bool(self.signals.first("pose"))

    @property
    def upright(self) -> bool:
        return bool(self.signals.first("upright"))

    @property
    def abduction_deg(self) -> tuple[float, float]:
        """Smoothed hip abduction of the left and right leg, degrees."""
        return (self.signals.first("abduction_left_deg"),
                self.signals.first("abduction_right_deg"))

    @property
    def trunk_lean_deg(self) -> float:
        """Smoothed lateral trunk lean toward the stance side (NaN outside a stance), degrees."""
        if self.stance is None:
            return math.nan
        return float(lean_toward(self.signals.trunk_lean_left_deg, Side.of(self.stance))[0])

    @property
    def lean_change_deg(self) -> float:
        """Trunk lean toward the stance side beyond the double-stance posture before it (what
        the verdict judges: a rolled camera is not a lean), degrees; NaN outside a stance."""
        if self.stance is None:
            return math.nan
        return float(lean_toward(self.signals.trunk_lean_left_deg - self.lean_baseline_deg,
                                 Side.of(self.stance))[0])


class _Buffer:
    """Growable columns of per-frame values, named once by the first :meth:`append`.

    A frame's values are kept as the list given until a column is read: then the frames since
    the last read are written into the columns, a column at a time (the live loop reads them
    only when a stance run starts, and at the end; writing 27 NumPy scalars a frame cost more
    than the rest of the bookkeeping).
    """

    def __init__(self, capacity: int = 4096) -> None:
        self._cap = capacity
        self._n = 0  # frames written into the columns
        self._cols: dict[str, np.ndarray] = {}
        self._names: tuple[str, ...] = ()
        self._pending: list[list] = []  # frames appended since, their values in _names' order

    def append(self, names: tuple[str, ...], values: list) -> None:
        """Add one frame's ``values`` (floats, bools, ints) of the columns ``names`` (the same
        names, in the same order, every frame; ``values`` is kept: pass a new list)."""
        if not self._names:
            self._names = names
            for k, value in zip(names, values, strict=True):
                self._cols[k] = np.empty(self._cap, np.asarray(value).dtype)
        self._pending.append(values)

    def _flush(self) -> None:
        rows, n = self._pending, self._n
        if not rows:
            return
        stop = n + len(rows)
        if stop > self._cap:
            while stop > self._cap:
                self._cap *= 2
            for k, v in self._cols.items():
                grown = np.empty(self._cap, v.dtype)
                grown[:n] = v[:n]
                self._cols[k] = grown
        for j, k in enumerate(self._names):
            self._cols[k][n:stop] = [r[j] for r in rows]
        self._n, self._pending = stop, []

    def __len__(self) -> int:
        return self._n + len(self._pending)

    def __getitem__(self, key: str) -> np.ndarray:
        self._flush()
        return self._cols[key][: self._n]


# The buffer's columns: t, pose, upright, the stance label, then the signals of a ROW list.
_COLUMNS = ("t", "pose", "upright", "label", *ROW[3:])
# Where the tiers' signals sit in a ROW list.
_TIER_AT = {tier: ROW_AT[name] for tier, name in _TIER_SIGNALS.items()}


class StreamAnalyzer:
    """Feed frames with :meth:`update`; read the session with :meth:`finish`."""

    def __init__(self, settings: Settings, width: int, height: int, fps: float,
                 model: str = "unknown") -> None:
        self.settings = settings
        self.recorder = SeriesRecorder(width, height, fps, model)
        self._smoother = StreamSmoother(settings)
        self._buf = _Buffer()
        self._t0: float | None = None
        self.scale = LegScaleTracker(height)
        self.stance = StanceTracker(settings, fps)
        self.rest = RestTracker(settings, fps)
        self.legs = RepTracker(settings, fps)
        # Baselines of the stance run in progress: each tier's, and the trunk lean's.
        self._tier0: dict[str, float] = {}
        self._theta0 = math.nan
        self._lean0 = math.nan
        self._so_far: tuple[int, SessionSoFar] | None = None

    def __len__(self) -> int:
        return len(self._buf)

    @property
    def reps(self) -> list[Rep]:
        """The reps completed so far, in the order they ended."""
        return self.legs.reps

    def update(self, image: np.ndarray | None, world: np.ndarray | None, t: float,
               waist: tuple[float, ...] | None = None,
               markers: tuple[float, float, float, float, float] | None = None,
               silhouette: tuple[float, float, float, float] | None = None) -> FrameState:
        """Add one frame: ``image`` (33, 4) px and ``world`` (33, 3) m, or None; ``t`` seconds;
        ``waist`` the frame's image cue (obliquity deg, confidence) of :mod:`hipdrop.vision.cues`;
        ``markers`` its pelvis markers row (:mod:`hipdrop.vision.markers`); ``silhouette`` its
        silhouette row (:mod:`hipdrop.vision.silhouette`; squats only), recorded for the save."""
        if self._t0 is None:
            self._t0 = t
        t_rel = t - self._t0
        self.recorder.append(image, world, t, waist, markers, silhouette)
        # The landmarks as lists of floats, once for the signals and the screens' readers.
        rows = None if image is None else image.tolist()
        world_rows = None if world is None else world.tolist()
        scale = self.scale.update(image, world)
        # One frame's signals as a list of floats (frame_row: frame_signals' numbers without
        # its ~150 NumPy calls on one-frame arrays), smoothed, then as length-1 arrays.
        row = self._smoother.row(frame_row(image, world, t_rel, scale, self.settings, waist,
                                           markers, rows, world_rows))
        sig = Signals.of_row(row)
        i = len(self._buf)
        before = self.stance.run_start
        self.stance.update(row[ROW_AT["lift_left"]], row[ROW_AT["lift_right"]], row[2], t_rel,
                           row[ROW_AT["knee_flexion_left_deg"]], row[ROW_AT["knee_flexion_right_deg"]])
        label = self.stance.label
        self._buf.append(_COLUMNS, [t_rel, row[1], row[2], label, *row[3:]])
        side = self.stance.side
        if side is not None and (self.stance.run_start != before or i == 0):
            self._start_run(i)
        drop, source = math.nan, LANDMARKS
        if side is not None:
            # The most trusted tier read in this frame against its own baseline; the saved
            # result (finish) reads each whole phase by one tier, as offline.
            for tier, at in _TIER_AT.items():
                value = row[at]
                if tier in self._tier0 and math.isfinite(value):
                    drop, source = side.sign * (value - self._tier0[tier]), tier
                    break
        alpha = (row[ROW_AT["abduction_left_deg"]], row[ROW_AT["abduction_right_deg"]])
        ended = self.legs.update(t_rel, alpha, self.rest.step(alpha))
        return FrameState(
            t=t_rel, image=image, signals=sig, stance=side,
            stance_s=t_rel - self.stance.run_start_t if side is not None else 0.0,
            drop_deg=drop, baseline_deg=self._theta0 if side is not None else math.nan,
            reps=(self.legs.counts[0], self.legs.counts[1]),
            last_rep=ended[-1] if ended else None, leg_up=self.legs.up,
            hold_s=self.legs.hold, best_hold_s=self.legs.best_hold,
            lean_baseline_deg=self._lean0 if side is not None else math.nan, source=source,
            points=rows)

    def _start_run(self, i: int) -> None:
        """A single-leg stance run starts at frame ``i``: each tier's baseline before it."""
        labels = self._buf["label"]
        self._tier0 = {}
        for tier, name in _TIER_SIGNALS.items():
            value, src = baseline(self._buf[name], labels, i)
            if src != "none" or tier == LANDMARKS:
                self._tier0[tier] = value
        self._theta0 = self._tier0[LANDMARKS]
        self._lean0, _ = baseline(self._buf["trunk_lean_left_deg"], labels, i)

    @property
    def best_hold_s(self) -> tuple[float, float]:
        """Longest time each leg (left, right) has been held up so far, seconds."""
        return self.legs.best_hold

    def count(self, leg: Side | str) -> int:
        return self.legs.counts[Side.of(leg).column]

    def series(self) -> LandmarkSeries:
        return self.recorder.series()

    def signals(self, copy: bool = True) -> Signals:
        """The session's smoothed signals, one row a frame (views of the buffer unless
        ``copy``: valid until the next frame)."""
        b = self._buf
        get = (lambda n: b[n].copy()) if copy else (lambda n: b[n])
        return Signals(t=get("t"), pose=get("pose"), upright=get("upright"),
                       **{n: get(n) for n in Signals.CONTINUOUS + Signals.RAW})

    def so_far(self) -> SessionSoFar:
        """The stance phases so far (the run in progress cut at the last frame), each read,
        measured and judged by the pipeline's phase step, and the reps so far: what a result
        screen shows mid-session, without the whole analysis."""
        n = len(self)
        if self._so_far is not None and self._so_far[0] == n:
            return self._so_far[1]
        phases: list[StancePhase] = []
        found = [p.as_tuple() for p in self.stance.found()]
        if found:
            _, phases, _, _ = measure_stance(self.recorder.fps, self.recorder.model,
                                             self.signals(copy=False), self._buf["label"],
                                             found, self.settings)
        state = SessionSoFar(self.settings, phases, self.legs.reps + self.legs.open_reps())
        self._so_far = (n, state)
        return state

    def finish(self, require_pose: bool = True) -> Analysis:
        """The session as an :class:`Analysis`, by the offline rules on the live signals.

        Raises NoPoseError when no frame had a pose, unless ``require_pose`` is False (a live
        session is saved even when nobody stepped into view: it then finds nothing).
        """
        if len(self) == 0 or (require_pose and not self._buf["pose"].any()):
            raise NoPoseError("no person was seen during the session")
        return analyze_signals(self.series(), self.signals(), self.settings)


@dataclass
class SessionSoFar:
    """The measured stance phases and the reps of a live session so far."""

    settings: Settings
    phases: list[StancePhase]
    reps: list[Rep]


def verdict_over(phases: list[StancePhase], holds: list[tuple[Side | str, float, float]],
                 settings: Settings) -> Verdict:
    """The verdict (:func:`hipdrop.core.verdict.make_verdict`) on the phases that overlap the
    (stance side, start s, end s) ``holds``: a foot lifted while getting into position is not
    the test."""
    eps = 1e-6
    chosen = [p for p in phases
              if any(p.stance == Side.of(side) and p.start_s < end + eps and p.end_s > start - eps
                     for side, start, end in holds)]
    return make_verdict(chosen, settings)


__all__ = ["LEGS", "SIDES", "FrameState", "SessionSoFar", "StreamAnalyzer", "verdict_over"]
