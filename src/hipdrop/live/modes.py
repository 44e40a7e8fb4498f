"""The counter modes of `hipdrop live` as modes that finish: reps in sets to a target, with a note
on each rep where the pelvis hiked or the trunk leaned, and a hold timer that counts only while
the leg is up and the pelvis level.

Pure arithmetic over :class:`hipdrop.pipeline.stream.FrameState` values (fed once a frame, in
time order), so it is tested with synthetic states and no window. Sides are the person's
anatomical sides; angles in degrees, times in seconds of the session clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from hipdrop.pipeline.stream import FrameState

LEGS = ("left", "right")
HIKE, LEAN = "hike", "lean"
NOTE_WORDS = {HIKE: "keep the hips level", LEAN: "keep the trunk upright"}
DEFAULT_REPS = 10  # the usual prescription: 2-3 sets of 10 per leg
DEFAULT_HOLD_S = 30.0
HOLD_MARKS_S = (30.0, 60.0)


def _finite(x: float) -> bool:
    return math.isfinite(x)


def angle_change(a: float, b: float) -> float:
    """|a - b| of two directions in degrees, the short way round (lying on a side, the trunk
    reads about +-180 deg and crosses over): 0..180, NaN if either is."""
    return abs((a - b + 180.0) % 360.0 - 180.0)


@dataclass(frozen=True)
class RepLimits:
    """How much the pelvis or the trunk may move during a rep before the rep gets a note, deg.

    A side-lying or standing abduction done well keeps the pelvis where it was at rest; a hip
    hitched up to help the leg, or a trunk leaned, is the usual cheat of a weak gluteus medius.
    8 deg: on the rendered standing abduction (a true hike of 4.2 deg at 35 deg) hipdrop reads
    6.6-7.7 deg, so less would flag a rep done well; the real side-leg-raise clip, lifted to
    72-75 deg, hikes 19-25 deg by its waistband.
    """

    hike_deg: float = 8.0
    lean_deg: float = 6.0  # as the stance test's lean_threshold_deg


@dataclass
class RepNote:
    """One counted rep and what it did wrong (``notes`` empty: a clean rep)."""

    leg: str
    number: int  # the leg's rep number within its set, from 1
    set_number: int  # from 1
    t: float
    hike_deg: float  # the largest change of the pelvic obliquity from rest during the rep
    lean_deg: float  # the largest change of the trunk lean from rest
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"leg": self.leg, "set": self.set_number, "number": self.number,
                "t_s": round(self.t, 3),
                "hike_deg": round(self.hike_deg, 2) if _finite(self.hike_deg) else None,
                "lean_deg": round(self.lean_deg, 2) if _finite(self.lean_deg) else None,
                "notes": list(self.notes)}


@dataclass
class RepSet:
    """One set: the reps counted per leg and their notes."""

    number: int
    target: int
    counts: list[int] = field(default_factory=lambda: [0, 0])
    notes: list[RepNote] = field(default_factory=list)
    legs: tuple[int, ...] = (0, 1)  # the legs the set is for (one in a one-sided routine step)

    @property
    def complete(self) -> bool:
        """Each leg of the set did the target."""
        return all(self.counts[i] >= self.target for i in self.legs)

    def to_json(self) -> dict:
        return {"set": self.number, "target": self.target, "left": self.counts[0],
                "right": self.counts[1], "complete": self.complete,
                "reps_with_notes": sum(bool(n.notes) for n in self.notes)}


@dataclass
class RepEvent:
    """What one frame changed: a rep counted, a leg reaching the target, a set done."""

    rep: RepNote | None = None
    leg_done: str | None = None  # this leg just reached the set's target
    set_done: RepSet | None = None
    all_done: bool = False


class RepSets:
    """Counts reps into sets of ``target`` per leg; :meth:`update` once a frame.

    The streaming analysis counts the reps (:attr:`FrameState.reps`, cumulative); this splits
    them into sets and reads, while a leg is up, how far the obliquity and the trunk lean move
    from where they were as the leg rose. Reps past the target of the last set still count (they
    are in summary.json's reps), they start no new set.
    """

    def __init__(self, target: int = DEFAULT_REPS, sets: int = 1,
                 limits: RepLimits | None = None, seen: tuple[int, int] = (0, 0),
                 side: str | None = None) -> None:
        """``seen``: the streaming analysis's counts so far (left, right), not this one's.
        ``side``: only that leg's reps complete a set (the other leg's still count)."""
        if target < 1 or sets < 1:
            raise ValueError("target and sets must be at least 1")
        self.target, self.n_sets = target, sets
        self.side = side
        self.legs = (LEGS.index(side),) if side else (0, 1)
        self.limits = limits or RepLimits()
        self.sets = [RepSet(1, target, legs=self.legs)]
        self.done = False
        self._seen = list(seen)  # cumulative counts seen so far
        self._rest: list[tuple[float, float] | None] = [None, None]  # (obliquity, lean) at rest
        # Per leg: the largest (hike, lean) changes of this rep, NaN until one is read.
        self._worst = [[math.nan, math.nan], [math.nan, math.nan]]
        self._last: tuple[float, float] = (math.nan, math.nan)

    @property
    def current(self) -> RepSet:
        return self.sets[-1]

    def update(self, state: FrameState) -> RepEvent:
        ob = state.signals.first("obliquity_deg")
        # The signed lean (to the left), not FrameState.trunk_lean_deg: that one is only read
        # in a single-leg stance, and a standing rep need not be one. Lying on a side the
        # "lean" of a horizontal trunk flips by 180 deg with the hips' order: not read there.
        lean = state.signals.first("trunk_lean_left_deg") if state.upright else math.nan
        event = RepEvent()
        for i in range(2):
            up = state.leg_up[i]
            if up and self._rest[i] is None:
                # The rest values are the last frame's before the leg rose.
                self._rest[i] = self._last
                self._worst[i] = [math.nan, math.nan]
            rest = self._rest[i]
            if up and rest is not None:
                for k, (now, then) in enumerate(((ob, rest[0]), (lean, rest[1]))):
                    change = angle_change(now, then)  # NaN where either is unread
                    if _finite(change) and not change <= self._worst[i][k]:
                        self._worst[i][k] = change
            if state.reps[i] > self._seen[i]:
                self._seen[i] = state.reps[i]
                event = self._counted(i, state.t, event)
            if not up:
                self._rest[i] = None
        self._last = (ob, lean)
        return event

    def _counted(self, i: int, t: float, event: RepEvent) -> RepEvent:
        current = self.current
        hike, lean = self._worst[i]
        notes = tuple(n for n, v, lim in ((HIKE, hike, self.limits.hike_deg),
                                          (LEAN, lean, self.limits.lean_deg)) if v >= lim)  # NaN: no
        current.counts[i] += 1
        note = RepNote(LEGS[i], current.counts[i], current.number, t, hike, lean, notes)
        current.notes.append(note)
        self._worst[i] = [math.nan, math.nan]
        event.rep = note
        if current.counts[i] == self.target:
            event.leg_done = LEGS[i]
        if current.complete and not self.done:
            # A copy: reps past the last set's target go on counting into it.
            event.set_done = RepSet(current.number, current.target, list(current.counts),
                                    list(current.notes), self.legs)
            if current.number >= self.n_sets:
                self.done = event.all_done = True
            else:
                self.sets.append(RepSet(current.number + 1, self.target, legs=self.legs))
        return event

    def to_json(self) -> dict:
        return {"target_per_leg": self.target, "sets_planned": self.n_sets,
                "sets": [s.to_json() for s in self.sets if any(s.counts) or s.number == 1],
                "rep_notes": [n.to_json() for s in self.sets for n in s.notes],
                "finished": self.done}


# ---------------------------------------------------------------------------------------------
# Hold


@dataclass
class Hold:
    """One time a leg was held up: ``counted_s`` only while the pelvis was level."""

    leg: str
    start_s: float
    end_s: float
    counted_s: float = 0.0

    @property
    def up_s(self) -> float:
        return self.end_s - self.start_s

    def to_json(self) -> dict:
        return {"leg": self.leg, "start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
                "up_s": round(self.up_s, 3), "counted_s": round(self.counted_s, 3)}


@dataclass
class HoldEvent:
    started: str | None = None  # this leg went up
    mark_s: float | None = None  # a mark (30 s, 60 s) was just reached
    leg: str | None = None  # the leg of the mark or of the hold that ended
    ended: Hold | None = None
    level: bool | None = None  # the pelvis just became level (True) or not (False)
    all_done: bool = False  # each leg has held the target


class HoldTimer:
    """Times each leg held up (:attr:`FrameState.leg_up`), counting only while the pelvis stays
    within ``level_deg`` of where it was as the leg rose; marks at 30 and 60 s of counted time.

    The mode is finished when each leg (only ``side``, when given) has ended a hold of at least
    ``target_s``.
    """

    def __init__(self, target_s: float = DEFAULT_HOLD_S, level_deg: float = 5.0,
                 marks_s: tuple[float, ...] = HOLD_MARKS_S, side: str | None = None) -> None:
        if not target_s > 0:
            raise ValueError("target_s must be above 0")
        self.target_s, self.level_deg = target_s, level_deg
        self.side = side
        self.marks_s = tuple(sorted(set(marks_s) | {target_s}))
        self.holds: list[Hold] = []
        self.done = False
        self._open: list[Hold | None] = [None, None]
        self._rest = [math.nan, math.nan]
        self._level = [True, True]
        self._t: float | None = None
        self._last_ob = math.nan

    def current(self, leg: str) -> Hold | None:
        return self._open[LEGS.index(leg)]

    def best_s(self) -> tuple[float, float]:
        """Each leg's longest counted hold, including one in progress."""
        best = [0.0, 0.0]
        for h in [*self.holds, *(h for h in self._open if h is not None)]:
            i = LEGS.index(h.leg)
            best[i] = max(best[i], h.counted_s)
        return best[0], best[1]

    def level(self, leg: str) -> bool:
        return self._level[LEGS.index(leg)]

    def update(self, state: FrameState) -> HoldEvent:
        dt = 0.0 if self._t is None else max(0.0, state.t - self._t)
        self._t = state.t
        ob = state.signals.first("obliquity_deg")
        event = HoldEvent()
        for i, leg in enumerate(LEGS):
            hold = self._open[i]
            if state.leg_up[i]:
                if hold is None:
                    hold = self._open[i] = Hold(leg, state.t, state.t)
                    self._rest[i] = self._last_ob if _finite(self._last_ob) else ob
                    self._level[i] = True
                    event.started = leg
                    continue
                hold.end_s = state.t
                # An unreadable obliquity is not held against the person: the pose model
                # losing the hips for a frame is not a hip that moved.
                level = not (_finite(ob) and _finite(self._rest[i])
                             and angle_change(ob, self._rest[i]) > self.level_deg)
                if level != self._level[i]:
                    self._level[i] = level
                    event.level, event.leg = level, leg
                if level:
                    before = hold.counted_s
                    hold.counted_s += dt
                    for mark in self.marks_s:
                        if before < mark <= hold.counted_s:
                            event.mark_s, event.leg = mark, leg
            elif hold is not None:
                self.holds.append(hold)
                self._open[i] = None
                event.ended, event.leg = hold, leg
                if not self.done and all(self._held(g) for g in
                                            ((self.side,) if self.side else LEGS)):
                    self.done = event.all_done = True
        self._last_ob = ob
        return event

    def _held(self, leg: str) -> bool:
        return any(h.leg == leg and h.counted_s >= self.target_s - 1e-9 for h in self.holds)

    def close(self) -> None:
        """The session ends: holds in progress end where they are."""
        for i, hold in enumerate(self._open):
            if hold is not None:
                self.holds.append(hold)
                self._open[i] = None

    def to_json(self) -> dict:
        best = self.best_s()
        return {"target_s": self.target_s, "level_deg": self.level_deg,
                "holds": [h.to_json() for h in self.holds],
                "best_hold_s": {"left": round(best[0], 3), "right": round(best[1], 3)},
                "finished": self.done}
