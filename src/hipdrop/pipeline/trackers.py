"""The incremental trackers: stance phases, reps, holds, resting splay and leg scale.

Each tracker is one rule of DESIGN.md applied as the frames come, the way `hipdrop live` needs
it: :meth:`update` takes one frame and says what is known after it. Offline, the same rules run
over whole arrays, vectorised, in :mod:`hipdrop.core.stance` (:func:`stance_labels`,
:func:`find_phases`) and :mod:`hipdrop.core.reps` (:func:`running_rest`, :func:`leg_reps`,
:func:`leg_states`, :func:`hold_times`); :func:`track` drives these trackers over arrays frame
by frame, and tests/test_trackers.py proves on scripted streams that both give the same labels,
phases, reps, holds and splays, frame for frame. A rule changes in one place: the tracker and
its vectorised twin sit side by side and that test fails on any drift.

The two statistics of a whole recording are estimated as the frames come: the resting splay
is causal by definition (:func:`hipdrop.core.reps.running_rest`), and the leg scale's running
estimate converges on the whole recording's (:meth:`LegScaleTracker.final`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hipdrop.core.filters import median, median_of
from hipdrop.core.kinematics import leg_lengths
from hipdrop.core.measures import LegScale
from hipdrop.core.reps import BILATERAL_RATIO, Rep, rest_window
from hipdrop.core.side import SIDES, Side
from hipdrop.core.stance import LEFT, RIGHT, UNKNOWN, stance_label_one
from hipdrop.settings import Settings

# ---------------------------------------------------------------------------------------------
# Stance phases


@dataclass(frozen=True)
class Phase:
    """A single-leg stance phase found: its side and frames [start, stop) (stop exclusive)."""

    side: Side
    start: int
    stop: int

    def as_tuple(self) -> tuple[int, int, int]:
        """The (label, start, stop) of :func:`hipdrop.core.stance.find_phases`."""
        return self.side.code, self.start, self.stop


class StanceTracker:
    """Stance labels and phases (:func:`stance_labels`, :func:`find_phases`) frame by frame.

    A run of one label is a phase when it lasts ``min_s`` (its end is the next frame's time, or
    the last frame's plus 1/fps when the recording ends in it), known when the run ends.
    """

    def __init__(self, settings: Settings, fps: float) -> None:
        self.lift_fraction, self.min_s, self.fps = settings.lift_fraction, settings.min_stance_s, fps
        self.max_knee = settings.max_stance_knee_deg
        self.label = UNKNOWN  # the label of the frame last seen
        self.run_start = 0  # its run's first frame
        self.run_start_t = math.nan
        self.phases: list[Phase] = []  # every phase closed so far
        self._n = 0
        self._last_t = math.nan

    def update(self, lift_left: float, lift_right: float, upright: bool, t: float,
               knee_left: float = math.nan, knee_right: float = math.nan) -> Phase | None:
        """Add frame ``t`` (lifts as fractions of leg length, knee flexion in degrees, NaN
        where unknown); the phase it closed, if any."""
        label = stance_label_one(lift_left, lift_right, upright, self.lift_fraction, knee_left,
                                 knee_right, self.max_knee)
        i, closed = self._n, None
        if i == 0 or label != self.label:
            if i > 0:
                closed = self._close(i, t)
            self.label, self.run_start, self.run_start_t = label, i, t
        self._n, self._last_t = i + 1, t
        return closed

    def _close(self, stop: int, end_s: float) -> Phase | None:
        if self.label in (LEFT, RIGHT) and end_s - self.run_start_t >= self.min_s - 1e-9:
            phase = Phase(Side.of_code(self.label), self.run_start, stop)
            self.phases.append(phase)
            return phase
        return None

    @property
    def side(self) -> Side | None:
        """The stance side of the last frame, None outside a single-leg stance."""
        return Side.of_code(self.label) if self.label in (LEFT, RIGHT) else None

    def open_phase(self) -> Phase | None:
        """The run in progress as the phase it would be if the recording ended now."""
        if self._n == 0 or self.label not in (LEFT, RIGHT):
            return None
        if self._last_t + 1.0 / self.fps - self.run_start_t < self.min_s - 1e-9:
            return None
        return Phase(Side.of_code(self.label), self.run_start, self._n)

    def found(self) -> list[Phase]:
        """Every phase so far, the run in progress included as :meth:`open_phase`."""
        last = self.open_phase()
        return self.phases + ([last] if last is not None else [])


# ---------------------------------------------------------------------------------------------
# Resting splay


class RestTracker:
    """Each leg's resting splay as of each frame: :func:`hipdrop.core.reps.running_rest`.

    Keeps, per leg, the last window of its finite samples and the lowest window median so far.
    """

    def __init__(self, settings: Settings, fps: float) -> None:
        self.ceiling = settings.rep_down_deg
        self.window = rest_window(fps)
        self._seen: tuple[list[float], list[float]] = ([], [])
        self._count = [0, 0]
        self._low = [math.inf, math.inf]  # the lowest median of a whole window so far
        # The splays as Python floats: the live loop reads them as floats, and an array's
        # element set and read back are the same numbers at several times the cost.
        self._rest = [0.0, 0.0]

    @property
    def rest(self) -> np.ndarray:
        """(2,) the splays [left, right] after the last frame, degrees."""
        return np.array(self._rest)

    def update(self, alpha: np.ndarray | tuple[float, float]) -> np.ndarray:
        """Add one frame's (2,) abduction [left, right], degrees; the (2,) splays after it."""
        return np.array(self.step(alpha))

    def step(self, alpha: np.ndarray | tuple[float, float]) -> list[float]:
        """:meth:`update`, the splays as a list of two floats (kept: do not change it)."""
        w = self.window
        for k in (0, 1):
            a = float(alpha[k])
            if not math.isfinite(a):
                continue
            seen = self._seen[k]
            seen.append(a)
            if len(seen) > w:
                del seen[0]
            self._count[k] = c = self._count[k] + 1
            # Up to a window, the median of what was seen; then the lowest window median (the
            # same number: filters.median is row_medians' formula, the mean of the middle two).
            now = median_of(seen)
            if c >= w:
                self._low[k] = min(self._low[k], now)
            value = now if c <= w else self._low[k]
            self._rest[k] = min(max(value, 0.0), self.ceiling)
        return self._rest


# ---------------------------------------------------------------------------------------------
# Reps and holds


class _Leg:
    """One leg's rep state (the incremental form of :func:`hipdrop.core.reps.leg_reps`)."""

    def __init__(self) -> None:
        self.up = False
        self.above = False  # the last frame was above ``up``
        self.last_below = -1
        self.held = 0.0  # seconds above ``up`` before the current frame (a running cumsum)
        self.rise = -1
        self.start = 0
        self.held_at_rise = 0.0
        self.top = -math.inf  # the largest splay-relative abduction since the rise
        self.peak = -1
        self.peak_deg = math.nan  # abduction as measured at the peak
        self.other_at_peak = math.nan  # the other leg's splay-relative abduction there
        self.up_since_t = 0.0


class RepTracker:
    """Reps and holds of both legs frame by frame: :func:`hipdrop.core.reps.leg_reps` (start at
    the last frame below ``down`` before the rise, end back below ``down``, the first largest
    abduction, time above ``up``, at least ``min_rep_s``, the other leg under half as abducted
    at the peak) and :func:`hipdrop.core.reps.hold_times`."""

    def __init__(self, settings: Settings, fps: float) -> None:
        self.settings, self.fps = settings, fps
        self._legs = (_Leg(), _Leg())
        self._t: list[float] = []  # frame times (a rep's start may be any earlier frame)
        self.reps: list[Rep] = []  # every rep completed so far, in the order they ended
        self.counts = [0, 0]
        # How long each leg has been held up now, and the longest so far, seconds, as Python
        # floats (the live loop reads them as floats every frame: no arrays made and read back).
        self.hold: tuple[float, float] = (0.0, 0.0)
        self.best_hold: tuple[float, float] = (0.0, 0.0)

    @property
    def hold_s(self) -> np.ndarray:
        """(2,) :attr:`hold` as an array [left, right]."""
        return np.array(self.hold)

    @property
    def best_hold_s(self) -> np.ndarray:
        """(2,) :attr:`best_hold` as an array [left, right]."""
        return np.array(self.best_hold)

    @property
    def up(self) -> tuple[bool, bool]:
        return self._legs[0].up, self._legs[1].up

    def update(self, t: float, alpha: np.ndarray | tuple[float, float],
               rest: np.ndarray | list[float]) -> list[Rep]:
        """Add one frame: time ``t``, (2,) abduction and (2,) resting splays [left, right];
        the reps that ended at it."""
        s = self.settings
        i = len(self._t)
        prev_t = self._t[-1] if i else math.nan
        self._t.append(t)
        # Splay-relative abductions in Python floats (the same subtraction as NumPy's).
        rel = (float(alpha[0]) - float(rest[0]), float(alpha[1]) - float(rest[1]))
        ended = []
        hold = list(self.hold)
        for side in SIDES:
            k = side.column
            leg, a, other = self._legs[k], rel[k], rel[1 - k]
            if leg.above:  # the time the last frame spent above ``up`` (DESIGN: held)
                leg.held += t - prev_t
            was = leg.up
            above, below = a > s.rep_up_deg, a < s.rep_down_deg  # NaN: neither
            leg.up = True if above else (False if below else was)
            leg.above = above
            if leg.up and not was:
                leg.rise, leg.start, leg.held_at_rise = i, max(leg.last_below, 0), leg.held
                leg.top, leg.peak, leg.up_since_t = -math.inf, -1, t
            if leg.up and a > leg.top:
                leg.top, leg.peak = a, i
                leg.peak_deg, leg.other_at_peak = float(alpha[k]), other
            if was and not leg.up:
                rep = self._rep(side, leg, t, complete=True, held=leg.held)
                if rep is not None:
                    ended.append(rep)
            if below:
                leg.last_below = i
            hold[k] = t - leg.up_since_t if leg.up else 0.0
        self.hold = (hold[0], hold[1])
        best = self.best_hold
        if hold[0] > best[0] or hold[1] > best[1]:  # np.maximum, new only when it changes
            self.best_hold = (max(best[0], hold[0]), max(best[1], hold[1]))
        for rep in ended:
            self.reps.append(rep)
            self.counts[rep.leg.column] += 1
        return ended

    def _rep(self, side: Side, leg: _Leg, end_s: float, complete: bool, held: float
             ) -> Rep | None:
        start_s = self._t[leg.start]
        other = leg.other_at_peak
        if end_s - start_s < self.settings.min_rep_s or (
                math.isfinite(other) and other >= BILATERAL_RATIO * leg.top):
            return None
        return Rep(side, start_s, end_s, leg.peak_deg, held - leg.held_at_rise, complete,
                   leg.peak)

    def open_reps(self) -> list[Rep]:
        """The reps still in progress, as incomplete reps ending at the last frame (what
        :func:`hipdrop.core.reps.leg_reps` counts when the series ends mid-rep)."""
        if not self._t:
            return []
        t = self._t[-1]
        out = []
        for side in SIDES:
            leg = self._legs[side.column]
            if leg.up:
                held = leg.held + (((t + 1.0 / self.fps) - t) if leg.above else 0.0)
                rep = self._rep(side, leg, t, complete=False, held=held)
                if rep is not None:
                    out.append(rep)
        return out


# ---------------------------------------------------------------------------------------------
# Leg scale

# Until this many frames have a leg length, lift is measured against a typical adult's leg
# (0.8 m, 45% of the frame height), so stance can be judged from the first second.
_SCALE_WARMUP = 15
_SCALE_EVERY = 30
_SCALE_WINDOW = 3000


def _nanmedian(x: np.ndarray) -> float:
    """np.nanmedian of a 1-D array (NaN when it has no finite value), without its overhead."""
    finite = x[np.isfinite(x)]
    return median(finite) if finite.size else math.nan


class LegScaleTracker:
    """The leg length that foot lift is a fraction of (:class:`LegScale`), as frames come.

    Live, the median of the recent frames' leg lengths (offline's whole-recording median for
    any session under two minutes, at a cost that does not grow with the session), refreshed
    every ``_SCALE_EVERY`` frames; :meth:`final` is the whole recording's, :meth:`LegScale.of`.
    The lengths are measured when they are needed (a refresh, the end), over the frames since,
    at once: the frame loop only keeps each frame's landmarks.
    """

    def __init__(self, height: int) -> None:
        self.scale = LegScale(0.8, 0.45 * height)
        # World and image leg lengths, per frame seen, in the landmarks' own precision (so that
        # final() is LegScale.of of the recorded series to the last bit).
        self._lengths: np.ndarray | None = None
        self._n = 0  # frames measured into _lengths
        # The frames seen since: their (world, image) arrays, as given.
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []

    def update(self, image: np.ndarray | None, world: np.ndarray | None) -> LegScale:
        """Add one frame's (33, 4) px and (33, 3) m landmarks (or None); the scale for it.
        The arrays are kept until the next refresh: they must not change."""
        if image is None or world is None:
            return self.scale
        # The arrays themselves: stacked at a refresh (a copy of each frame, or its lists,
        # would cost the frame loop a NumPy call or keep ~300 Python floats a frame alive).
        self._pending.append((world, image))
        n = self._n + len(self._pending)
        if n == _SCALE_WARMUP or (n > _SCALE_WARMUP and n % _SCALE_EVERY == 0):
            recent = self._measured()[max(0, n - _SCALE_WINDOW):n]
            self.scale = LegScale(_nanmedian(recent[:, 0].ravel()),
                                  _nanmedian(recent[:, 1].ravel()))
        return self.scale

    def _measured(self) -> np.ndarray:
        """(frames, 2 [world, image], 2 [left, right]) the leg lengths of every frame so far."""
        pending, n = self._pending, self._n
        start = 0
        while start < len(pending):
            # A run of frames of the same precisions, measured at once.
            dtypes = (pending[start][0].dtype, pending[start][1].dtype)
            stop = start + 1
            while stop < len(pending) and (pending[stop][0].dtype,
                                           pending[stop][1].dtype) == dtypes:
                stop += 1
            run = pending[start:stop]
            # kinematics.leg_lengths over the run at once: its per-frame arithmetic, the same
            # bits as a frame at a time (its sums run a component at a time in both cases).
            world_m = leg_lengths(np.stack([w for w, _ in run]))
            image_px = leg_lengths(np.stack([r for _, r in run])[..., :2])
            if self._lengths is None:  # in the first frame's precision, as leg_lengths gives
                self._lengths = np.empty((1024, 2, 2), np.result_type(world_m, image_px))
            while n + len(run) > len(self._lengths):
                self._lengths = np.concatenate([self._lengths, np.empty_like(self._lengths)])
            self._lengths[n:n + len(run), 0] = world_m
            self._lengths[n:n + len(run), 1] = image_px
            n += len(run)
            start = stop
        self._n, self._pending = n, []
        return (self._lengths if self._lengths is not None else np.empty((0, 2, 2)))[:n]

    def final(self) -> LegScale:
        """The whole recording's scale: :meth:`LegScale.of` of every frame seen."""
        seen = self._measured()
        if self._lengths is None:
            return LegScale(math.nan, math.nan)
        return LegScale.of_lengths(seen[:, 0], seen[:, 1])
