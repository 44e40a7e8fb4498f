"""The programme in one session (`hipdrop live --mode routine`): the stance test, the exercises
on the side that needs them, and the stance test again.

Pure logic, no camera and no drawing: a :class:`Routine` holds the plan (a list of
:class:`StepPlan`), which step is current, and the record of every finished or skipped step.
The live loop runs each step as a session of that step's mode and reports back with
:meth:`Routine.finish` (the step's summary), :meth:`Routine.skip` or :meth:`Routine.repeat`.

The order follows the self-test's programme: after the test, lying on the weak side's other
side (the weak leg on top) about 10 abduction lifts, a full contraction held "as long as
possible, typically no more than 30 seconds to a minute", standing drills (the hip bump
against a wall, standing abduction), then the retest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

SideName = Literal["left", "right"]
SIDES: tuple[SideName, SideName] = ("left", "right")

# Step kinds, and the live mode each runs as.
STANCE_TEST, SIDE_LYING, HOLD, HIP_BUMP, STANDING, RETEST = (
    "stance test", "side-lying abduction", "abduction hold", "hip bump", "standing abduction",
    "retest")
MODE_OF = {STANCE_TEST: "stance", SIDE_LYING: "reps", HOLD: "hold", HIP_BUMP: "bump",
           STANDING: "reps", RETEST: "stance"}

DONE, SKIPPED, STOPPED = "done", "skipped", "stopped"  # stopped: the session ended during it
REPS_TARGET = 10  # "about 10" flossing reps
HOLD_MARKS_S = (30.0, 60.0)  # "typically no more than 30 seconds to a minute"
BUMP_TARGET = 10


def other(side: SideName) -> SideName:
    return "right" if side == "left" else "left"


@dataclass(frozen=True)
class StepPlan:
    """One step of the routine: what to do, on which side, and when it is complete."""

    kind: str
    side: SideName | None = None  # the working leg (None: both, or not a one-sided step)
    target_reps: int | None = None
    hold_marks_s: tuple[float, ...] = ()

    @property
    def mode(self) -> str:
        return MODE_OF[self.kind]

    def instruction(self) -> str:
        """What the person is asked to do, in one sentence a speaker can read out."""
        leg = f"{self.side} leg" if self.side else "each leg"
        if self.kind in (STANCE_TEST, RETEST):
            again = "again, to see the change" if self.kind == RETEST else ""
            return (f"Stand facing the camera, feet shoulder-width apart, and lift one foot, "
                    f"then the other {again}".strip() + ".")
        if self.kind == SIDE_LYING:
            lie_on = other(self.side) if self.side else "either"
            return (f"Lie on your {lie_on} side, {leg} on top, and lift it {self.target_reps} "
                    f"times, slowly.")
        if self.kind == HOLD:
            return (f"Lift your {leg} and hold it up with the pelvis level, 30 seconds, "
                    f"up to a minute.")
        if self.kind == HIP_BUMP:
            stand = f"your {self.side} side" if self.side else "one side"
            return (f"Stand with {stand} to a wall and bump your hip to the wall and back, "
                    f"{self.target_reps} times.")
        return f"Stand tall and lift your {leg} out to the side, {self.target_reps} times."


def weak_sides(verdict: dict | None) -> list[SideName]:
    """The stance sides a finished stance test found a drop on (``summary['verdict']`` of
    DESIGN.md: ``left``/``right`` findings, ``sides.<side>.peak_drop_deg``), the larger
    drop first when both dropped."""
    if not verdict:
        return []
    found = [s for s in SIDES if verdict.get(s) == "drop"]
    sides = verdict.get("sides") or {}

    def peak(s: SideName) -> float:
        return float((sides.get(s) or {}).get("peak_drop_deg") or 0.0)

    return sorted(found, key=lambda s: -peak(s))


def plan_exercises(sides: list[SideName]) -> list[StepPlan]:
    """The exercise steps for the working ``sides`` (both legs when empty: the test found no
    drop, or could not tell, and the programme still strengthens both)."""
    work: list[SideName | None] = list(sides) or [None]
    steps: list[StepPlan] = []
    for side in work:
        steps.append(StepPlan(SIDE_LYING, side, target_reps=REPS_TARGET))
    for side in work:
        steps.append(StepPlan(HOLD, side, hold_marks_s=HOLD_MARKS_S))
    for side in work:
        steps.append(StepPlan(HIP_BUMP, side, target_reps=BUMP_TARGET))
    for side in work:
        steps.append(StepPlan(STANDING, side, target_reps=REPS_TARGET))
    return steps


@dataclass
class StepRecord:
    plan: StepPlan
    status: str  # DONE, SKIPPED or STOPPED
    start_s: float
    end_s: float
    summary: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"step": self.plan.kind, "mode": self.plan.mode, "side": self.plan.side,
                "target_reps": self.plan.target_reps, "status": self.status,
                "start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
                "summary": self.summary}


class Routine:
    """The routine's state: the plan, the current step, and what each step gave.

    ``side`` is the user's choice of working side; without it, the side(s) the first stance
    test found a drop on are worked (both legs when it found none or could not tell).
    """

    def __init__(self, side: SideName | None = None) -> None:
        self.chosen_side = side
        self.plan: list[StepPlan] = [StepPlan(STANCE_TEST)]
        self.index = 0
        self.records: list[StepRecord] = []
        self._started_s = 0.0

    @property
    def done(self) -> bool:
        return self.index >= len(self.plan)

    @property
    def started_s(self) -> float:
        """When the current step began (session seconds)."""
        return self._started_s

    @property
    def current(self) -> StepPlan | None:
        return None if self.done else self.plan[self.index]

    @property
    def working_sides(self) -> list[SideName]:
        if self.chosen_side:
            return [self.chosen_side]
        first = next((r for r in self.records if r.plan.kind == STANCE_TEST and r.status == DONE),
                     None)
        return weak_sides(first.summary.get("verdict") if first else None)

    def start(self, t_s: float) -> StepPlan | None:
        """The current step begins at ``t_s`` (session seconds)."""
        self._started_s = t_s
        return self.current

    def finish(self, t_s: float, summary: dict) -> StepPlan | None:
        """The current step ended with ``summary`` (its session summary); go to the next."""
        return self._close(DONE, t_s, summary)

    def skip(self, t_s: float) -> StepPlan | None:
        return self._close(SKIPPED, t_s, {})

    def stop(self, t_s: float, summary: dict) -> None:
        """The session ended during the current step: what it measured is kept, the step
        stays to do (it is in ``remaining``)."""
        plan = self.current
        if plan is not None:
            self.records.append(StepRecord(plan, STOPPED, self._started_s, t_s, summary))

    def repeat(self, t_s: float) -> StepPlan | None:
        """Run the current step again from ``t_s`` (nothing of the attempt is kept)."""
        self._started_s = t_s
        return self.current

    def _close(self, status: str, t_s: float, summary: dict) -> StepPlan | None:
        plan = self.current
        if plan is None:
            return None
        self.records.append(StepRecord(plan, status, self._started_s, t_s, summary))
        self.index += 1
        self._started_s = t_s
        if plan.kind == STANCE_TEST:
            # The exercises are planned from the test's result, then the retest closes it.
            self.plan[self.index:self.index] = [*plan_exercises(self.working_sides),
                                                StepPlan(RETEST)]
        return self.current

    def to_json(self) -> dict:
        """The routine as one history entry: every step in order, and the before/after
        verdicts of the two stance tests."""
        def verdict(kind: str) -> dict | None:
            rec = next((r for r in self.records if r.plan.kind == kind and r.status == DONE),
                       None)
            return rec.summary.get("verdict") if rec else None

        return {"working_sides": self.working_sides, "complete": self.done,
                "steps": [r.to_json() for r in self.records],
                "remaining": [p.kind for p in self.plan[self.index:]],
                "before": verdict(STANCE_TEST), "after": verdict(RETEST)}
