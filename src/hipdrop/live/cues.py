"""What `hipdrop live` says, and when: the spoken cues and the event lines of a session.

Pure: :class:`Announcer` turns what happened on a frame (the guide's step, a countdown, a rep,
a hold mark, the result) into :class:`Cue` values; :mod:`hipdrop.live.voice` says them and
the headless loop prints their ``log`` lines. Nothing here reads a clock or makes a sound, so
a test feeds it scripted states and checks the words.

Each cue says how long it stays worth saying (``expires_s``): a countdown number is stale a
second later, an instruction for a while, the result never. The speaker drops what has gone
stale rather than lag behind the person.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from hipdrop.core.verdict import COMPENSATED, DROP, INCONCLUSIVE, LEVEL, NOT_TESTED, Verdict
from hipdrop.live.guide import GuidedResult, GuideView, Issue, Step
from hipdrop.live.modes import NOTE_WORDS, HoldEvent, HoldTimer, RepEvent, RepSets
from hipdrop.pipeline.stream import FrameState

# Kinds of cue.
STEP, COUNT, REP, HOLD, SET, RESULT, ADVICE, EVENT = (
    "step", "count", "rep", "hold", "set", "result", "advice", "event")
# How long each kind stays worth saying, seconds (math.inf: always said).
EXPIRES_S = {STEP: 6.0, COUNT: 0.9, REP: 1.5, HOLD: 3.0, SET: 20.0, RESULT: math.inf,
             ADVICE: 4.0, EVENT: 0.0}
GESTURE_WORDS = "raise both hands above your head"
ADVICE_EVERY_S = 8.0  # the same framing advice is not repeated sooner


@dataclass(frozen=True)
class Cue:
    """One thing to say (``say``) and/or print (``log``) at session time ``t`` (seconds)."""

    t: float
    kind: str
    say: str | None
    log: str | None = None

    @property
    def expires_s(self) -> float:
        return EXPIRES_S.get(self.kind, 3.0)

    def to_json(self) -> dict:
        return {"t_s": round(self.t, 3), "kind": self.kind, "say": self.say, "log": self.log}


def spoken(text: str) -> str:
    """Screen words as speech: no shouting capitals, no keys a person 2-3 m away cannot press,
    units spelled out."""
    text = text.replace(", or press SPACE to go on", f", or {GESTURE_WORDS} to go on")
    text = text.replace("press SPACE", GESTURE_WORDS)
    words = []
    for w in text.split(" "):
        words.append(w.lower() if w.isupper() and len(w) > 1 else w)
    text = " ".join(words)
    text = re.sub(r"\b1 s\b", "1 second", text)
    text = re.sub(r"(\d) s\b", r"\1 seconds", text)
    return re.sub(r"(\d) deg\b", r"\1 degrees", text)


def _seconds(x: float) -> str:
    n = round(x)
    return f"{n} second" if n == 1 else f"{n} seconds"


# ---------------------------------------------------------------------------------------------
# The result in one sentence

_SIDE = {DROP: "the pelvis dropped", LEVEL: "the pelvis stayed level",
         COMPENSATED: "the pelvis stayed level but the trunk leaned",
         INCONCLUSIVE: "I could not tell", NOT_TESTED: "not tested"}


def result_sentence(verdict: Verdict) -> str:
    """The guided test's outcome in one spoken sentence, per standing leg.

    >>> from hipdrop.core.verdict import SideVerdict
    >>> v = Verdict(SideVerdict("drop", ""), SideVerdict("no drop", ""), "")
    >>> print(result_sentence(v))  # doctest: +NORMALIZE_WHITESPACE
    Result: standing on the left leg, the pelvis dropped; standing on the right leg, the pelvis
    stayed level.
    """
    parts = []
    for side in ("left", "right"):
        code = getattr(verdict, side).code
        if code == NOT_TESTED:
            parts.append(f"the {side} leg was not tested")
        else:
            parts.append(f"standing on the {side} leg, {_SIDE.get(code, code)}")
    if all(getattr(verdict, s).code == NOT_TESTED for s in ("left", "right")):
        return "No leg was held up long enough for a result."
    return "Result: " + "; ".join(parts) + "."


# ---------------------------------------------------------------------------------------------
# The announcer


class Announcer:
    """Cues for one session of ``mode`` ("stance", "reps" or "hold"); call the mode's method
    once a frame, in time order. Stateful only in what it has already said."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self._started = False
        self._step: Step | None = None
        self._note: str | None = None
        self._count: int | None = None  # the countdown second last said
        self._stance: str | None = None
        self._advice: dict[str, float] = {}
        self._result_said = False
        self._hold_logged = [0, 0]  # whole 5 s steps of counted hold time logged per leg

    # -- every mode -------------------------------------------------------------------------

    def start(self, t: float, sets: RepSets | None = None, timer: HoldTimer | None = None
              ) -> list[Cue]:
        """The mode's first instruction (once)."""
        if self._started:
            return []
        self._started = True
        if self.mode == "reps" and sets is not None:
            sets_words = f" in {sets.n_sets} sets" if sets.n_sets > 1 else ""
            text = (f"Lift one leg out to the side and back, {sets.target} times each leg"
                    f"{sets_words}.")
            return [Cue(t, STEP, text, f"reps: {sets.target} per leg, {sets.n_sets} set(s)")]
        if self.mode == "hold" and timer is not None:
            text = (f"Lift one leg out to the side and hold it there, hips level, for "
                    f"{_seconds(timer.target_s)}.")
            return [Cue(t, STEP, text, f"hold: target {timer.target_s:.0f} s a leg")]
        return []

    def events(self, t: float, state: FrameState) -> list[Cue]:
        """Log-only events of the stream: a single-leg stance starting and ending."""
        out: list[Cue] = []
        if self.mode != "stance":  # a standing abduction is a stance too: not news there
            return out
        if state.stance != self._stance:
            if state.stance is not None:
                out.append(Cue(t, EVENT, None, f"stance on the {state.stance} leg started"))
            elif self._stance is not None:
                out.append(Cue(t, EVENT, None, f"stance on the {self._stance} leg ended"))
            self._stance = state.stance
        return out

    def advice(self, t: float, issues: list[Issue]) -> list[Cue]:
        """The most important blocking framing issue, said when it appears (not more often
        than every ADVICE_EVERY_S)."""
        if not issues:  # most frames
            return []
        blocking = [i for i in issues if i.blocking]
        if not blocking:
            return []
        issue = blocking[0]
        if t - self._advice.get(issue.code, -math.inf) < ADVICE_EVERY_S:
            return []
        self._advice[issue.code] = t
        return [Cue(t, ADVICE, spoken(issue.text), f"advice: {issue.text}")]

    # -- the guided stance test -------------------------------------------------------------

    def stance(self, t: float, view: GuideView | None, result: GuidedResult | None,
               final: bool = False) -> list[Cue]:
        """The guided test's cues; ``final``: the session is ending (nothing more to do)."""
        out: list[Cue] = []
        if view is None:
            return out
        # A note (why the step changed: "Well done...", "Foot down after 4 s...") goes first;
        # where it already says what to do next ("lift your LEFT foot again"), it is the step's
        # cue too.
        noted = False
        if view.note != self._note:
            self._note = view.note
            if view.note and view.step != Step.RESULT:
                out.append(Cue(t, STEP, spoken(view.note), f"note: {view.note}"))
                noted = True
        if view.step != self._step:
            self._step, self._count = view.step, None
            if not (noted and view.step == Step.LIFT):
                out += self._step_cues(t, view, result, final)
        elif view.step == Step.RESULT and result is not None and not self._result_said:
            out += self._step_cues(t, view, result, final)
        out += self._countdown(t, view)
        return out

    def _step_cues(self, t: float, view: GuideView, result: GuidedResult | None,
                   final: bool = False) -> list[Cue]:
        if view.step == Step.READY:
            text = "Face the camera, two to three metres away, with your whole body in view."
            return [Cue(t, STEP, text, "step: get into position")]
        if view.step == Step.BASELINE:
            return [Cue(t, STEP, spoken(view.title) + ". Stand still.", f"step: {view.title}")]
        if view.step == Step.LIFT:
            return [Cue(t, STEP, spoken(view.title) + ", and hold it up.", f"step: {view.title}")]
        if view.step == Step.HOLD:
            return [Cue(t, HOLD, "Hold.", f"hold: {view.lift} foot up, on the {view.stance} leg")]
        if result is None:
            return []
        self._result_said = True
        sentence = result_sentence(result.verdict)
        cues = [Cue(t, RESULT, sentence, f"result: {sentence}")]
        if not final:
            cues.append(Cue(t, STEP, f"To test again, {GESTURE_WORDS}."))
        return cues

    def _countdown(self, t: float, view: GuideView) -> list[Cue]:
        """3, 2, 1 at the end of each countdown, and every 10 s left of a hold."""
        left = view.countdown_s
        if left is None or not math.isfinite(left) or view.step not in (Step.BASELINE, Step.HOLD):
            return []
        second = math.ceil(left - 1e-9)
        if self._count is None:  # the countdown just began: its length is not announced
            self._count = second
            return []
        if second >= self._count:
            return []
        self._count = second
        if 1 <= second <= 3:
            return [Cue(t, COUNT, str(second))]
        if view.step == Step.HOLD and second % 10 == 0 and second > 0:
            return [Cue(t, COUNT, f"{second} seconds left", f"hold: {second} s left")]
        return []

    # -- reps ---------------------------------------------------------------------------------

    def reps(self, t: float, event: RepEvent, sets: RepSets) -> list[Cue]:
        out: list[Cue] = []
        rep = event.rep
        if rep is not None:
            note = ", ".join(NOTE_WORDS[n] for n in rep.notes)
            words = f"Rep {rep.number}" + (f": {note}" if note else "")
            log = (f"rep counted: {rep.leg} leg, {rep.number} of {sets.target} (set "
                   f"{rep.set_number})" + (f", {note}" if note else ""))
            out.append(Cue(t, REP, words + ".", log))
        if event.leg_done is not None and event.set_done is None:
            other = "right" if event.leg_done == "left" else "left"
            out.append(Cue(t, SET, f"{sets.target} with the {event.leg_done} leg, well done. "
                                   f"Now the {other} leg.",
                           f"{event.leg_done} leg reached {sets.target}"))
        done = event.set_done
        if done is not None:
            noted = sum(bool(n.notes) for n in done.notes)
            tail = f" {noted} reps with a note." if noted else ""
            if event.all_done:
                text = (f"Set {done.number} done, all {sets.n_sets} sets finished: left "
                        f"{done.counts[0]}, right {done.counts[1]}.{tail} Well done.")
            else:
                text = (f"Set {done.number} of {sets.n_sets} done: left {done.counts[0]}, right "
                        f"{done.counts[1]}.{tail} Rest, then start set {done.number + 1}.")
            out.append(Cue(t, SET, text, f"set {done.number} done: left {done.counts[0]}, "
                                         f"right {done.counts[1]}"))
        return out

    # -- hold ---------------------------------------------------------------------------------

    def hold(self, t: float, event: HoldEvent, timer: HoldTimer) -> list[Cue]:
        out: list[Cue] = []
        if event.started is not None:
            i = ("left", "right").index(event.started)
            self._hold_logged[i] = 0
            out.append(Cue(t, HOLD, "Hold.", f"hold started: {event.started} leg up"))
        if event.level is False and event.leg is not None:
            out.append(Cue(t, HOLD, "Level your hips: the clock waits.",
                           f"hold: {event.leg} leg, pelvis not level, clock paused"))
        elif event.level is True and event.leg is not None:
            out.append(Cue(t, HOLD, None, f"hold: {event.leg} leg, pelvis level again"))
        if event.mark_s is not None:
            text = f"{_seconds(event.mark_s)}, well done."
            if event.mark_s >= timer.target_s and event.mark_s < max(timer.marks_s):
                text += " Keep going, or lower the leg."
            out.append(Cue(t, HOLD, text, f"hold: {event.leg} leg {event.mark_s:.0f} s reached"))
        for i, leg in enumerate(("left", "right")):
            h = timer.current(leg)
            if h is not None and int(h.counted_s // 5) > self._hold_logged[i]:
                self._hold_logged[i] = int(h.counted_s // 5)
                out.append(Cue(t, EVENT, None, f"hold time: {leg} leg {h.counted_s:.0f} s"))
        if event.ended is not None:
            h = event.ended
            out.append(Cue(t, HOLD, f"Down. {_seconds(h.counted_s)} held.",
                           f"hold ended: {h.leg} leg, {h.counted_s:.1f} s counted of "
                           f"{h.up_s:.1f} s up"))
        if event.all_done:
            best = timer.best_s()
            out.append(Cue(t, SET, f"Both legs held {_seconds(timer.target_s)}. Well done: "
                                   f"left {_seconds(best[0])}, right {_seconds(best[1])}.",
                           f"hold done: best left {best[0]:.1f} s, right {best[1]:.1f} s"))
        return out
