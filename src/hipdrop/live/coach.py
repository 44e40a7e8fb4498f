"""The hands-free layer of a live session: the raised-hands gesture, the modes that finish
(:mod:`hipdrop.live.modes`) and the cues of :mod:`hipdrop.live.cues`, fed once a frame.

Pure like its parts (no clock, no sound, no window): :class:`hipdrop.live.app.LiveSession`
calls :meth:`Coach.frame` after the analysis and the guide, acts on the gesture, and hands
:meth:`Coach.take`'s cues to the speaker and, headless, to stderr.
"""

from __future__ import annotations

import math

import numpy as np

from hipdrop.live.bump_mode import DEFAULT_BUMPS, BumpSet
from hipdrop.live.cues import REP, STEP, Announcer, Cue
from hipdrop.live.gesture import HandsUp
from hipdrop.live.guide import GuidedResult, GuideView, Issue, Step
from hipdrop.live.modes import DEFAULT_REPS, HOLD_MARKS_S, NOTE_WORDS, HoldTimer, RepSets
from hipdrop.pipeline.stream import FrameState
from hipdrop.reports.files import human_summary, squat_lines
from hipdrop.settings import Settings

# Steps where the guide waits for the person: there the gesture is SPACE. Elsewhere (the
# baseline, a hold) arms overhead would spoil the measurement, and the guide goes on by itself.
GESTURE_STEPS = (Step.READY, Step.LIFT, Step.RESULT)


class Coach:
    """Gesture, finishing modes and cues of one session of ``mode``."""

    def __init__(self, mode: str, settings: Settings, target: float | None = None,
                 sets: int = 1, side: str | None = None, instruction: str | None = None,
                 marks_s: tuple[float, ...] | None = None) -> None:
        """``side``: only that leg counts toward the target (a routine's one-sided step);
        ``instruction``: said at the start instead of the mode's own; ``marks_s``: the hold's
        marks."""
        self.mode = mode
        self.target, self.n_sets = target, sets
        self.side, self.instruction, self.marks_s = side, instruction, marks_s
        self.lift_fraction = settings.lift_fraction
        self.bumps: BumpSet | None = None
        self.hold_target_s = float(target) if mode == "hold" and target else settings.hold_target_s
        self.announcer = Announcer(mode)
        self.gesture = HandsUp()
        self.sets: RepSets | None = None
        self.timer: HoldTimer | None = None
        self.past: list[RepSets | HoldTimer] = []  # before a restart
        self._new_counters()
        self.cues: list[Cue] = []  # every cue of the session, in order
        self._pending: list[Cue] = []
        self._t = math.nan

    def _new_counters(self, seen: tuple[int, int] = (0, 0)) -> None:
        if self.mode == "reps":
            self.sets = RepSets(max(1, round(self.target or DEFAULT_REPS)), self.n_sets,
                                seen=seen, side=self.side)
        elif self.mode == "hold":
            marks = HOLD_MARKS_S if self.marks_s is None else self.marks_s
            self.timer = HoldTimer(self.hold_target_s, marks_s=marks, side=self.side)
        elif self.mode == "bump":
            self.bumps = BumpSet(max(1, round(self.target or DEFAULT_BUMPS)), self.side,
                                 self.lift_fraction)

    @property
    def finished(self) -> bool:
        """The mode's goal is reached: every set done, or each leg held the target."""
        return bool((self.sets is not None and self.sets.done)
                    or (self.timer is not None and self.timer.done)
                    or (self.bumps is not None and self.bumps.done))

    def frame(self, state: FrameState, image: np.ndarray | None, view: GuideView | None,
              result: GuidedResult | None, issues: list[Issue]) -> bool:
        """One frame; True when the raised-hands gesture stands in for SPACE now."""
        t = self._t = state.t
        a = self.announcer
        if self.instruction is not None:
            out = [] if a._started else [Cue(t, STEP, self.instruction, self.instruction)]
            a._started = True
        else:
            out = a.start(t, self.sets, self.timer)
        out += a.events(t, state) + a.advice(t, issues)
        if view is not None:
            out += a.stance(t, view, result)
        if self.sets is not None:
            out += a.reps(t, self.sets.update(state), self.sets)
        if self.timer is not None:
            out += a.hold(t, self.timer.update(state), self.timer)
        if self.bumps is not None:
            bump = self.bumps.update(state)
            if bump is not None and (self.bumps.side is None or bump.side == self.bumps.side):
                n = self.bumps.count
                say = "Done." if self.bumps.done else str(n)
                out.append(Cue(t, REP, say, f"hip bump {n} of {self.bumps.target} "
                               f"({bump.side}, {100 * bump.peak_shift:.0f}% of hip width)"))
        if out:  # most frames say nothing
            self._add(out)
        # Made standing on both feet: arms swung overhead in a knee lift or held up in a tree
        # pose are exercise, not a request (the real knee-lift clip has both wrists above the
        # head for up to ~0.9 s at a time).
        if state.stance is None:
            # The frame's landmarks as listed by the analysis, when they are these.
            fired = self.gesture.update(image, t, state.points if image is state.image else None)
        else:
            fired = self.gesture.update(None, t)
        return fired and (view is None or view.step in GESTURE_STEPS)

    def closing(self, view: GuideView | None, result: GuidedResult | None) -> None:
        """The session ends: the guided test's result is said, holds in progress end."""
        t = self._t if math.isfinite(self._t) else 0.0
        if view is not None:
            self._add(self.announcer.stance(t, view, result, final=True))
        if self.timer is not None:
            self.timer.close()

    def restart(self, reps: tuple[int, int]) -> None:
        """R: the counters start again (the reps counted so far are not this set's)."""
        current = self.sets if self.sets is not None else self.timer
        if self.bumps is not None:
            self._new_counters(reps)
            return
        if current is not None:
            if isinstance(current, HoldTimer):
                current.close()
            self.past.append(current)
        self._new_counters(reps)
        self.gesture.reset()

    def _add(self, cues: list[Cue]) -> None:
        self.cues += cues
        self._pending += cues

    def take(self) -> list[Cue]:
        """The cues made since the last call."""
        out, self._pending = self._pending, []
        return out

    def footer(self) -> str | None:
        """One line of where the counter modes are, for the screen's footer."""
        if self.sets is not None:
            s = self.sets.current
            done = " - all sets done" if self.sets.done else ""
            return (f"Set {s.number} of {self.sets.n_sets}: L {s.counts[0]}/{s.target}  "
                    f"R {s.counts[1]}/{s.target}{done}")
        if self.bumps is not None:
            b = self.bumps
            return f"Hip bumps {b.count}/{b.target}{' toward the ' + b.side if b.side else ''}"
        if self.timer is not None:
            best = self.timer.best_s()
            return (f"Held (hips level) L {best[0]:.0f} s  R {best[1]:.0f} s of "
                    f"{self.timer.target_s:.0f} s")
        return None

    # -- what is saved ------------------------------------------------------------------------

    def to_json(self) -> dict:
        """summary.json's part for this mode (nothing for the stance test: the guide's)."""
        every = [*self.past, *(x for x in (self.sets, self.timer) if x is not None)]
        if self.mode == "reps":
            return {"sets": [x.to_json() for x in every if isinstance(x, RepSets)][-1],
                    "earlier": [x.to_json() for x in every[:-1] if isinstance(x, RepSets)]}
        if self.mode == "hold":
            timers = [x for x in every if isinstance(x, HoldTimer)]
            best = [max(t.best_s()[i] for t in timers) for i in (0, 1)]
            return {"hold": timers[-1].to_json(),
                    "best_hold_s": {"left": round(best[0], 3), "right": round(best[1], 3)}}
        if self.bumps is not None:
            return {"bumps": self.bumps.to_json()}
        return {}


# What each mode measured: the rest of `analyze`'s summary does not belong in its summary.json.
NOT_MEASURED = {"reps": ("stance_phases", "verdict"),
                "hold": ("stance_phases", "verdict", "reps"),
                "squat": ("stance_phases", "verdict", "reps"),
                "bump": ("stance_phases", "verdict", "reps")}


def only_measured(mode: str, data: dict) -> dict:
    """``data`` (summary.json) without what ``mode`` did not measure."""
    return {k: v for k, v in data.items() if k not in NOT_MEASURED.get(mode, ())}


def summary_text(data: dict) -> str:
    """The printed multi-line summary of a live session: `analyze`'s for the stance test, the
    sets or the holds for the counter modes (the same words as the screen's footer)."""
    mode = data.get("mode", "stance")
    if mode == "stance" or "verdict" in data:
        return human_summary(data)
    lines = []
    if mode == "squat":
        lines += squat_lines(data.get("squats"), None) or ["No squat was counted."]
    elif mode == "bump":
        b = data["bumps"]
        toward = f" toward the {b['side']}" if b["side"] else ""
        lines.append(f"Hip bumps: {b['counted']}{toward} (target {b['target']}; left "
                     f"{b['left']}, right {b['right']})")
    elif mode == "reps":
        sets = data["sets"]
        reps = data["reps"]
        lines.append(f"Abduction reps: left {reps['left']}, right {reps['right']} "
                     f"(target {sets['target_per_leg']} a leg, {sets['sets_planned']} set(s))")
        for s in sets["sets"]:
            lines.append(f"  set {s['set']}: left {s['left']}, right {s['right']}"
                         f"{' (complete)' if s['complete'] else ' (incomplete)'}")
        for n in sets["rep_notes"]:
            if n["notes"]:
                words = ", ".join(NOTE_WORDS[k] for k in n["notes"])
                lines.append(f"  {n['leg']} rep {n['number']} of set {n['set']}: {words}")
    else:
        hold = data["hold"]
        for leg in ("left", "right"):
            holds = [h for h in hold["holds"] if h["leg"] == leg]
            if not holds:
                lines.append(f"Hold, {leg} leg: not held")
                continue
            best = max(holds, key=lambda h: h["counted_s"])
            reached = ("reached" if best["counted_s"] >= hold["target_s"] - 1e-6
                       else "not reached")
            lines.append(f"Hold, {leg} leg: {best['counted_s']:.1f} s with the hips level "
                         f"({best['up_s']:.1f} s up), the {hold['target_s']:.0f} s target {reached}")
    for w in data.get("warnings", []):
        lines.append(f"Warning: {w}")
    lines.append(data["disclaimer"])
    return "\n".join(lines)
