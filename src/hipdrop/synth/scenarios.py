"""Scripted scenarios: what the actor does and when, with the events the truth reports.

Timing conventions (the truth JSON relies on them): a stance phase starts when the lifted
foot leaves the floor and ends when it touches down; a rep starts when the leg starts rising
and ends when it is back down; a hold runs from reaching the angle to starting to lower.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal, get_args

import numpy as np

from hipdrop.synth.rig import Side
from hipdrop.synth.timeline import Timeline

ScenarioName = Literal[
    "stance",
    "level",
    "compensated",
    "abduction-standing",
    "abduction-side-lying",
    "hold",
    "single-stance",
    "squat",
    "hip-bump",
]
SCENARIOS: tuple[str, ...] = get_args(ScenarioName)
LiftStyle = Literal["flexed", "straight-back", "abducted", "clinical", "high-knee", "tree"]
#: Swing-leg angles (deg) for each way of lifting the foot in a stance test. "clinical" is
#: the Trendelenburg test as taught (knee bent, foot behind and beside, hip flexed <= 25,
#: slightly abducted); "tree" puts the foot on the inner stance thigh (hip abducted and
#: turned out, knee bent far).
LIFT_STYLES: dict[str, dict[str, float]] = {
    "flexed": {"hip_flex": 35.0, "knee_flex": 75.0},
    "straight-back": {"hip_flex": -5.0, "knee_flex": 90.0},
    "abducted": {"hip_flex": 10.0, "knee_flex": 40.0, "abduction": 25.0},
    "clinical": {"hip_flex": 15.0, "knee_flex": 90.0, "abduction": 6.0},
    "high-knee": {"hip_flex": 80.0, "knee_flex": 95.0},
    "tree": {"hip_flex": 45.0, "knee_flex": 125.0, "abduction": 35.0, "hip_rot": 80.0},
}
#: How far the legs tilt to bring the pelvis over the stance foot (deg).
WEIGHT_SHIFT_DEG = 4.0
LIFT_S = 0.6  # foot lift and lowering
LYING_REST_DEG = -11.0  # the top leg's abduction at rest, lying: resting on the bottom leg
SHIFT_S = 0.6  # weight shift onto / off the stance leg


def other(side: Side) -> Side:
    """The opposite side."""
    return "right" if side == "left" else "left"


def toward(side: Side) -> float:
    """+1 for the subject's left, -1 for the right (the sign of X in the scene frame)."""
    return 1.0 if side == "left" else -1.0


@dataclass(frozen=True)
class ScenarioSettings:
    """A scenario and its arguments (degrees and seconds).

    drop_left_stance_deg / drop_right_stance_deg : contralateral pelvic drop while standing on
        that leg, positive = the pelvis drops toward the lifted leg.
    hold_s : time held at full drop (stance tests) or at the angle (``hold``); None picks the
        scenario's default (4 s and 8 s).
    lean_deg : trunk lean toward the stance side in ``compensated``.
    reps, peak_deg : abduction reps per leg and their peak angle.
    legs : order of the legs in ``abduction-standing``.
    leg, hold_angle_deg : the leg and angle of ``hold``.
    lying_side : the side the subject lies on in ``abduction-side-lying`` (the top leg moves).
    stance_side : the one stance leg of ``single-stance`` (a short clip for benchmarks: a
        baseline, one lift with that side's drop, lower).
    baseline_s : still double stance (or rest) at the start.
    sway_deg : amplitude of the postural sway (weight shift only; the pelvis stays level).
    squat_depth_deg, squat_shift_deg : ``squat``: knee flexion at the bottom of each of
        ``reps`` squats, and the legs' frontal tilt there that moves the pelvis sideways
        over the planted feet, + toward the subject's left (the truth gives the shift it
        makes, in % of the hip width).
    bump_sides, bump_deg : ``hip-bump``: the side of each bump in turn (the pelvis pushed
        toward it, to a wall on that side) and the legs' frontal tilt that pushes it.
    """

    name: ScenarioName = "stance"
    drop_left_stance_deg: float = 8.0
    drop_right_stance_deg: float = 0.0
    hold_s: float | None = None
    lift_style: LiftStyle = "flexed"
    lean_deg: float = 10.0
    reps: int = 3
    peak_deg: float = 35.0
    legs: tuple[Side, ...] = ("right", "left")
    leg: Side = "right"
    hold_angle_deg: float = 20.0
    lying_side: Side = "left"
    stance_side: Side = "left"
    baseline_s: float = 2.0
    sway_deg: float = 0.4
    squat_depth_deg: float = 90.0
    squat_shift_deg: float = 3.0
    bump_sides: tuple[Side, ...] = ("left", "left", "left", "right", "right")
    bump_deg: float = 6.0

    def __post_init__(self) -> None:
        if self.name not in SCENARIOS:
            raise ValueError(f"unknown scenario {self.name!r}; choose one of {SCENARIOS}")
        if self.lift_style not in LIFT_STYLES:
            raise ValueError(f"unknown lift style {self.lift_style!r}; choose one of {list(LIFT_STYLES)}")
        if self.reps < 0 or (self.hold_s is not None and self.hold_s < 0):
            raise ValueError("reps and hold must be >= 0")

    def as_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["legs"] = list(self.legs)
        d["bump_sides"] = list(self.bump_sides)
        d["hold_s"] = self.effective_hold_s
        return d

    @property
    def effective_hold_s(self) -> float:
        if self.hold_s is not None:
            return self.hold_s
        return {"hold": 8.0, "single-stance": 1.4}.get(self.name, 4.0)


@dataclass
class Script:
    """A timeline and the events it scripts (peak angles are filled in from the truth)."""

    timeline: Timeline
    phases: list[dict[str, object]] = field(default_factory=list)
    reps: list[dict[str, object]] = field(default_factory=list)
    holds: list[dict[str, object]] = field(default_factory=list)
    squats: list[dict[str, object]] = field(default_factory=list)
    bumps: list[dict[str, object]] = field(default_factory=list)


def script(s: ScenarioSettings, rng: np.random.Generator) -> Script:
    """The scripted timeline of scenario ``s``; ``rng`` draws the sway's phases."""
    if s.name in ("stance", "level", "compensated"):
        drops = {"left": s.drop_left_stance_deg, "right": s.drop_right_stance_deg}
        lean = 0.0
        if s.name != "stance":
            drops = {"left": 0.0, "right": 0.0}
        if s.name == "compensated":
            lean = s.lean_deg
        out = _stance_test(s, drops, lean, ("left", "right"))
    elif s.name == "single-stance":
        drops = {"left": s.drop_left_stance_deg, "right": s.drop_right_stance_deg}
        out = _stance_test(s, drops, 0.0, (other(s.stance_side),), tail_s=SHIFT_S + 0.3)
    elif s.name == "abduction-standing":
        out = _standing_abduction(s)
    elif s.name == "abduction-side-lying":
        out = _side_lying(s)
    elif s.name == "squat":
        out = _squats(s)
    elif s.name == "hip-bump":
        out = _hip_bumps(s)
    else:
        out = _hold(s)
    if s.name not in ("abduction-side-lying", "squat", "hip-bump") and s.sway_deg:
        # (No sway in the squat and the bump: the pelvis's sideways movement is their truth.)
        p1, p2 = rng.uniform(0, 2 * np.pi, 2)
        out.timeline.sway = (s.sway_deg, float(p1), float(p2))
    return out


def _stance_test(
    s: ScenarioSettings, drops: dict[str, float], lean: float, lifts: tuple[Side, ...], tail_s: float = 1.5
) -> Script:
    """Double stance, then for each side in ``lifts``: shift the weight, lift that foot,
    hold, lower, shift back, 1.5 s of double stance (``tail_s`` after the last one)."""
    tl = Timeline()
    out = Script(tl)
    style = LIFT_STYLES[s.lift_style]
    hold = s.effective_hold_s
    t = s.baseline_s
    for lifted in lifts:
        stance = other(lifted)
        sign = toward(stance)
        drop = drops[stance]
        tl.ramp("weight_shift_deg", t, t + SHIFT_S, sign * WEIGHT_SHIFT_DEG)
        up = t + SHIFT_S
        top = up + LIFT_S
        for joint, angle in style.items():
            tl.ramp(f"{joint}_{lifted}", up, top, angle)
        # The pelvis gives way as the stance leg takes the weight, and recovers before the
        # foot is back down: positive drop lowers the lifted side's hip.
        tl.ramp("pelvis_drop_deg", up + 0.1, top, sign * drop)
        tl.ramp("trunk_lean_deg", up + 0.1, top, sign * lean)
        lower = top + hold
        down = lower + LIFT_S
        for joint in style:
            tl.ramp(f"{joint}_{lifted}", lower, down, 0.0)
        tl.ramp("pelvis_drop_deg", lower, down - 0.1, 0.0)
        tl.ramp("trunk_lean_deg", lower, down - 0.1, 0.0)
        tl.ramp("weight_shift_deg", down, down + SHIFT_S, 0.0)
        tl.lifted.append((lifted, up, down))
        out.phases.append(
            {
                "stance": stance,
                "start_s": up,
                "end_s": down,
                "drop_deg": drop,
                "trunk_lean_deg": lean,
                "full_drop_s": [top, lower],
            }
        )
        t = down + 0.9
    tl.duration_s = t - 0.9 + tail_s
    return out


def add_trunk_shift(out: Script, shift_cm: float) -> None:
    """Translate the trunk ``shift_cm`` over the stance foot during each stance phase of
    ``out``, ramped with the drop (in as the foot lifts, out before it is back down)."""
    if not shift_cm:
        return
    tl = out.timeline
    for ph in out.phases:
        sign = toward(ph["stance"])  # type: ignore[arg-type]
        top: float
        lower: float
        top, lower = ph["full_drop_s"]  # type: ignore[misc]
        start, end = float(ph["start_s"]), float(ph["end_s"])  # type: ignore[arg-type]
        tl.ramp("trunk_shift_cm", start + 0.1, top, sign * shift_cm)
        tl.ramp("trunk_shift_cm", lower, end - 0.1, 0.0)
        ph["trunk_shift_cm"] = shift_cm


def _rep(
    tl: Timeline,
    out: Script,
    leg: Side,
    t: float,
    peak: float,
    hold: float,
    rise: float,
    hike: bool,
    rest: float = 0.0,
) -> float:
    """One abduction rep of ``leg`` starting at ``t``; returns when it is back down.

    Standing, the pelvis hikes a little toward the lifted leg and the trunk leans over the
    stance leg, as people do (DESIGN.md's midline angle is meant to ignore both)."""
    sign = toward(other(leg))
    top = t + rise
    lower = top + hold
    down = lower + rise
    tl.ramp(f"abduction_{leg}", t, top, peak)
    tl.ramp(f"abduction_{leg}", lower, down, rest)
    if hike:
        tl.ramp("pelvis_drop_deg", t, top, -sign * 0.12 * peak)
        tl.ramp("pelvis_drop_deg", lower, down, 0.0)
        tl.ramp("trunk_lean_deg", t, top, sign * 0.12 * peak)
        tl.ramp("trunk_lean_deg", lower, down, 0.0)
        tl.lifted.append((leg, t, down))
    out.reps.append({"leg": leg, "start_s": t, "end_s": down, "posed_peak_deg": peak, "top_s": [top, lower]})
    return down


def _standing_abduction(s: ScenarioSettings) -> Script:
    tl = Timeline()
    out = Script(tl)
    t = s.baseline_s
    for leg in s.legs:
        sign = toward(other(leg))
        tl.ramp("weight_shift_deg", t, t + SHIFT_S, sign * WEIGHT_SHIFT_DEG)
        t += SHIFT_S
        for _ in range(s.reps):
            t = _rep(tl, out, leg, t, s.peak_deg, 0.4, 1.0, hike=True) + 0.6
        tl.ramp("weight_shift_deg", t - 0.6, t, 0.0)
        t += 0.9
    tl.duration_s = t + 0.6
    return out


def _side_lying(s: ScenarioSettings) -> Script:
    tl = Timeline()
    out = Script(tl)
    tl.constants["lying"] = s.lying_side
    bottom, top_leg = s.lying_side, other(s.lying_side)
    # The bottom leg bent for balance, as the exercise is taught; the top leg rests on it
    # (anny's rest pose has the legs 5 deg apart each, and the top hip is a pelvis width up).
    tl.ramp(f"hip_flex_{bottom}", 0.0, 0.0, 25.0)
    tl.ramp(f"knee_flex_{bottom}", 0.0, 0.0, 50.0)
    tl.ramp(f"abduction_{top_leg}", 0.0, 0.0, LYING_REST_DEG)
    t = s.baseline_s
    for _ in range(s.reps):
        t = _rep(tl, out, top_leg, t, s.peak_deg, 0.5, 1.2, hike=False, rest=LYING_REST_DEG) + 1.0
    tl.duration_s = t + 0.5
    return out


def _hold(s: ScenarioSettings) -> Script:
    tl = Timeline()
    out = Script(tl)
    leg = s.leg
    sign = toward(other(leg))
    t = s.baseline_s
    tl.ramp("weight_shift_deg", t, t + SHIFT_S, sign * WEIGHT_SHIFT_DEG)
    t += SHIFT_S
    down = _rep(tl, out, leg, t, s.hold_angle_deg, s.effective_hold_s, 1.0, hike=True)
    top: float
    lower: float
    top, lower = out.reps[-1]["top_s"]  # type: ignore[misc]
    out.holds.append({"leg": leg, "start_s": top, "end_s": lower, "angle_deg": s.hold_angle_deg})
    tl.ramp("weight_shift_deg", down, down + SHIFT_S, 0.0)
    tl.duration_s = down + SHIFT_S + 1.5
    return out


SQUAT_DOWN_S, SQUAT_BOTTOM_S, SQUAT_REST_S = 1.0, 0.6, 1.0


def _squats(s: ScenarioSettings) -> Script:
    """``reps`` squats, each down in 1 s, 0.6 s at the bottom, up in 1 s, 1 s standing
    between; the legs tilt ``squat_shift_deg`` frontally on the way down (the pelvis moves
    sideways over the planted feet) and back on the way up. The shank leans forward by a
    third of the knee flexion, the thigh by the rest (hip flexion = 2/3 of it)."""
    tl = Timeline()
    out = Script(tl)
    t = s.baseline_s
    k = s.squat_depth_deg
    for _ in range(s.reps):
        bottom = t + SQUAT_DOWN_S
        rise = bottom + SQUAT_BOTTOM_S
        end = rise + SQUAT_DOWN_S
        for side in ("left", "right"):
            tl.ramp(f"knee_flex_{side}", t, bottom, k)
            tl.ramp(f"hip_flex_{side}", t, bottom, 2.0 * k / 3.0)
            tl.ramp(f"knee_flex_{side}", rise, end, 0.0)
            tl.ramp(f"hip_flex_{side}", rise, end, 0.0)
        tl.ramp("weight_shift_deg", t, bottom, s.squat_shift_deg)
        tl.ramp("weight_shift_deg", rise, end, 0.0)
        out.squats.append({"start_s": t, "end_s": end, "bottom_s": [bottom, rise],
                           "depth_deg": k, "shift_deg": s.squat_shift_deg})
        t = end + SQUAT_REST_S
    tl.duration_s = t + 0.5
    return out


BUMP_OUT_S, BUMP_HOLD_S, BUMP_REST_S = 0.6, 0.3, 0.8


def _hip_bumps(s: ScenarioSettings) -> Script:
    """A bump per entry of ``bump_sides``: the legs tilt ``bump_deg`` toward that side in
    0.6 s (the pelvis pushed sideways over the planted feet), 0.3 s there, back in 0.6 s,
    0.8 s standing before the next."""
    tl = Timeline()
    out = Script(tl)
    t = s.baseline_s
    for side in s.bump_sides:
        top = t + BUMP_OUT_S
        back = top + BUMP_HOLD_S
        end = back + BUMP_OUT_S
        tl.ramp("weight_shift_deg", t, top, toward(side) * s.bump_deg)
        tl.ramp("weight_shift_deg", back, end, 0.0)
        out.bumps.append({"side": side, "start_s": t, "end_s": end, "top_s": [top, back]})
        t = end + BUMP_REST_S
    tl.duration_s = t + 0.5
    return out
