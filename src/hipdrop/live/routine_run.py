"""`hipdrop live --mode routine`: the loop of :mod:`hipdrop.live.app` running the plan of
:mod:`hipdrop.live.routine` one step at a time.

Each step is a :class:`hipdrop.live.app.LiveSession` of the step's mode, with a Coach set to the
step's target and working leg. A step is done when the stance test's guide reaches its result,
or the counter mode's coach is finished, or the person goes on (SPACE, or both hands raised in
a counter mode); 'n' skips it, 'r' runs it again. Each step is saved as it ends, in its own
folder of the session folder (step-01-stance-test/: landmarks.npz, summary.json, frames.csv,
obliquity.png, result.png, as a session of that mode), and the session folder's summary.json
is the routine: mode "routine", ``routine`` (every step, the before/after verdicts) and the
last stance test's verdict and phases, so the history records one entry. However the session ends, what was
measured is saved: the steps done and the step in progress (status "stopped").
"""

from __future__ import annotations

import sys
from pathlib import Path

from hipdrop.errors import CameraError, InputError
from hipdrop.io.capture import Frame
from hipdrop.live import routine as rt
from hipdrop.live.app import (
    NEXT,
    RESTART,
    SKIP,
    LiveResult,
    LiveSession,
    _Runner,
    save_session,
)
from hipdrop.live.coach import Coach
from hipdrop.live.cues import STEP, Cue
from hipdrop.live.guide import Step
from hipdrop.live.screens import Screen
from hipdrop.reports.files import write_summary
from hipdrop.reports.routine_html import step_outcome, verdict_words

ROUTINE_KEYS = "SPACE next  N skip  R repeat"


def step_folder(number: int, plan: rt.StepPlan) -> str:
    """step-01-stance-test, step-02-side-lying-abduction-right, ..."""
    side = f"-{plan.side}" if plan.side else ""
    return f"step-{number:02d}-{plan.kind.replace(' ', '-')}{side}"


def step_title(plan: rt.StepPlan, number: int, total: int) -> str:
    """The screen's step line; the total once it is known (the exercises are planned from the
    first stance test's result)."""
    side = f", {plan.side} leg" if plan.side else ""
    of = f" of {total}" if total > 1 else ""
    return f"Step {number}{of}: {plan.kind}{side}"


class RoutineRunner(_Runner):
    """The capture loop with one LiveSession per routine step."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        side = self.options.side
        self.routine = rt.Routine(side if side in rt.SIDES else None)
        self.first_t: float | None = None
        self.t = 0.0  # routine seconds of the last frame
        self.cues: list[Cue] = []  # of the steps before the current one
        self.step_dirs: list[str] = []  # each record's folder ("" when skipped)
        self._saved = False  # the current session's step is saved (it stays for the screen)

    # -- the step in progress -----------------------------------------------------------------

    def _open(self, frame: Frame) -> LiveSession:
        plan = self.routine.current
        assert plan is not None
        if self.first_t is None:
            self.first_t = frame.t
            self.routine.start(0.0)
        h, w = frame.image.shape[:2]
        opts = self.options
        target: float | None = plan.target_reps
        if plan.mode == "hold":
            target = None  # the settings' hold target: a minute is "typically" the most
        if opts.target is not None and plan.mode != "stance":
            target = opts.target if plan.mode != "hold" else None
        number = self.routine.index + 1
        say = f"Step {number}: {plan.instruction()}"
        coach = Coach(plan.mode, opts.settings, target, 1, side=plan.side, instruction=say,
                      marks_s=plan.hold_marks_s or None)
        self.session = LiveSession(plan.mode, opts.settings, w, h, self.source.fps, self.model,
                                   coach)
        self._saved = False
        return self.session

    def over(self, session: LiveSession) -> bool:
        """After each frame: the step done goes to the next; True when the routine is over."""
        assert self.last is not None
        self.t = self.last.t - (self.first_t or 0.0)
        if session is not self.session or self._saved:  # skipped or repeated by a key
            return self.routine.done
        if session.guide is not None:
            done = session.guide.step == Step.RESULT
        else:
            done = session.coach.finished or session.go_on
        if done:
            self._finish_step()
        return self.routine.done

    def act(self, session: LiveSession, action: str | None) -> str | None:
        if self.routine.done:
            return action
        if action == SKIP:
            self._event(f"step {self.routine.index + 1} skipped")
            self._close_session()
            self.routine.skip(self.t)
            self.step_dirs.append("")
            return action
        if action == RESTART:
            self._event(f"step {self.routine.index + 1} repeated")
            self._close_session()
            self.routine.repeat(self.t)
            self.restarts += 1
            return action
        if action == NEXT and session.guide is None:
            session.go_on = True
            return action
        return super().act(session, action)

    def _event(self, text: str) -> None:
        """A log-only event of the routine (its time is the step's, as the step's cues)."""
        session = self.session
        t = session.state.t if session is not None and session.state is not None else 0.0
        self.announce([Cue(t, STEP, None, text)])

    def announce(self, cues: list[Cue]) -> None:
        """As the single modes, the event lines on the routine's clock (a step's cues are on
        the step's: cues.jsonl has both, with each step's start)."""
        offset = self.routine.started_s if self.first_t is not None else 0.0
        for c in cues:
            if self.speaker is not None:
                self.speaker.say(c)
            if self.events and c.log:
                print(f"{c.t + offset:7.1f} s  {c.log}", file=sys.stderr, flush=True)

    def _close_session(self) -> None:
        """The step in progress ends without a result (skipped or repeated): its cues are
        kept, its measurement is not."""
        if self.session is not None:
            self.cues += self.session.coach.cues
        self.session = None

    def _save_step(self, session: LiveSession) -> tuple[str, dict]:
        """The step's files in its folder of the session folder; its folder and summary."""
        plan = self.routine.current
        assert plan is not None and self.plan is not None
        session.finish_test()
        self.announce(session.coach.take())
        folder = step_folder(self.routine.index + 1, plan)
        name = self.source.name if self.source.live else self.options.source
        extra = {"live": {"routine_step": self.routine.index + 1}}
        result = save_session(session, self.plan.out_dir / folder, name, extra,
                              self.last.image if self.last is not None else None,
                              self.stats.hud(), self.mirror)
        return folder, result.summary or {}

    def _finish_step(self) -> None:
        session = self.session
        assert session is not None
        folder, data = self._save_step(session)
        self.cues += session.coach.cues
        self._saved = True
        number = self.routine.index + 1
        self._event(f"step {number} done: {self._step_words(data)}")
        self.step_dirs.append(folder)
        self.routine.finish(self.t, data)
        if self.routine.done:  # the last session stays, for the result screen
            self.announce([Cue(0.0, STEP, None,
                               f"routine done: {before_after(self.routine.to_json())}")])
        else:
            self.session = None

    def _step_words(self, data: dict) -> str:
        plan = self.routine.current
        return step_outcome({"mode": plan.mode if plan else "", "summary": data})

    # -- the screen ---------------------------------------------------------------------------

    def titled(self, screen: Screen) -> Screen:
        plan = self.routine.current
        if plan is not None:
            title = step_title(plan, self.routine.index + 1, len(self.routine.plan))
            # The step's counter is the screen's progress panel (read from across the room).
            screen.footer = f"{title}    {ROUTINE_KEYS}"
        else:
            body = self.routine.to_json()
            # The result screen: the retest's result above, before and after below (the HUD
            # leaves room for no more: any key closes, as the single modes say).
            screen.footer = (f"Before: {short_verdict(body['before'])}   After: "
                             f"{short_verdict(body['after'])}")
        return screen

    # -- the end ------------------------------------------------------------------------------

    def all_cues(self) -> list[Cue]:
        current = self.session.coach.cues if self.session is not None and not self._saved else []
        return self.cues + current

    def save(self, reason: str, error: CameraError | None) -> LiveResult:
        """Save the step in progress (status "stopped") and the routine's summary.json."""
        live = self.stats.to_json(self.source) | {"ended": reason, "restarts": self.restarts}
        session = self.session
        if session is not None and len(session.analyzer) > 0 and not self._saved:
            folder, data = self._save_step(session)
            self.cues += session.coach.cues
            self._saved = True
            self.routine.stop(self.t, data)
            self.step_dirs.append(folder)
        if not self.routine.records:
            if error is None and reason == "end of file" and self.stats.frames == 0:
                raise InputError(f"{self.options.source} has no frames that can be decoded")
            if self.plan is not None:
                self.plan.discard()
            return LiveResult(reason, None, None, "", error, live)
        assert self.plan is not None
        out_dir = self.plan.out_dir
        data = routine_summary(self.routine, self.step_dirs, live)
        write_summary(Path(out_dir) / "summary.json", data)
        text = routine_text(data)
        line = f"Saved the routine to {out_dir}/: {before_after(data['routine'])}"
        return LiveResult(reason, Path(out_dir), data, line, error, live, text=text)


# ---------------------------------------------------------------------------------------------
# The routine's summary


def routine_summary(routine: rt.Routine, folders: list[str], live: dict) -> dict:
    """summary.json of the routine: the last stance test's summary (its verdict and phases are
    the session's, for the history and the report), with mode "routine" and ``routine``."""
    records = routine.records
    stance = [r for r in records if r.plan.mode == "stance" and r.status != rt.SKIPPED
              and r.summary]
    base = stance[-1] if stance else next((r for r in reversed(records) if r.summary), None)
    data = dict(base.summary) if base is not None else {"warnings": []}
    for key in ("tests", "sets", "earlier", "hold", "best_hold_s", "bumps", "squats"):
        data.pop(key, None)  # the steps' own, kept in their records
    if not stance:  # no stance test measured: no verdict is the session's
        data.pop("verdict", None)
        data.pop("stance_phases", None)
    body = routine.to_json()
    for step, folder in zip(body["steps"], folders, strict=True):
        step["folder"] = folder or None
    # The history's reps and holds: the routine's, summed over its exercise steps.
    done = [r for r in records if r.status != rt.SKIPPED]
    reps = [r.summary.get("reps") or {} for r in done if r.plan.mode == "reps"]
    data["reps"] = {side: sum(int(x.get(side) or 0) for x in reps) for side in rt.SIDES}
    holds = [r.summary.get("best_hold_s") or {} for r in done if r.plan.mode == "hold"]
    if holds:
        data["best_hold_s"] = {side: max(float(h.get(side) or 0.0) for h in holds)
                               for side in rt.SIDES}
    data["mode"] = "routine"
    data["routine"] = body
    data["live"] = live
    data.setdefault("disclaimer", "")
    return data


def short_verdict(verdict: dict | None) -> str:
    """A verdict in a few characters, for the result screen's footer: "L drop +7.7 R no drop"."""
    if not verdict:
        return "not tested"
    sides = verdict.get("sides") or {}
    parts = []
    for side in rt.SIDES:
        peak = (sides.get(side) or {}).get("peak_drop_deg")
        deg = f" {peak:+.1f}" if isinstance(peak, int | float) else ""
        parts.append(f"{side[0].upper()} {verdict.get(side) or 'not tested'}{deg}")
    return " ".join(parts)


def before_after(body: dict) -> str:
    """One line: the first stance test's verdict and the retest's."""
    return (f"before: {verdict_words(body.get('before'))} | after: "
            f"{verdict_words(body.get('after'))}")


def routine_text(data: dict) -> str:
    """The printed summary: each step's status and outcome, then before and after."""
    body = data["routine"]
    total = len(body["steps"]) + len(body["remaining"])
    lines = [f"Routine: {len(body['steps'])} step(s) of {total}"
             f"{', complete' if body['complete'] else ''}; working side(s): "
             f"{', '.join(body['working_sides']) or 'both legs'}"]
    for i, step in enumerate(body["steps"], 1):
        side = f" ({step['side']} leg)" if step["side"] else ""
        words = step_outcome(step)
        lines.append(f"  {i}. {step['step']}{side}: {step['status']}"
                     f"{' - ' + words if words else ''}")
    for kind in body["remaining"]:
        lines.append(f"  - {kind}: not done")
    lines.append(f"Before: {verdict_words(body['before'])}")
    lines.append(f"After:  {verdict_words(body['after'])}")
    if data.get("disclaimer"):
        lines.append(data["disclaimer"])
    return "\n".join(lines)


__all__ = ["RoutineRunner", "before_after", "routine_summary", "routine_text", "step_folder"]
