"""Findings per stance phase and a verdict per side, in words a person can act on.

A phase's finding (DESIGN.md, "Measurement tiers, intervals and findings") comes from its
drop interval, never from the point reading alone: "drop" when the whole 90% interval is at or
above the threshold, "no drop" when the whole of it is below, "compensated" for no drop with a
trunk lean over the stance leg, and "inconclusive", with the reason in words, when the interval
straddles the threshold or the reading cannot be trusted at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hipdrop.core.side import SIDES, Side
from hipdrop.core.stance import StancePhase
from hipdrop.core.tiers import LANDMARKS, MARKERS, WAIST
from hipdrop.settings import Settings

DROP, COMPENSATED, LEVEL, INCONCLUSIVE, NOT_TESTED = (
    "drop", "compensated", "no drop", "inconclusive", "not tested")
FINDINGS = (DROP, LEVEL, COMPENSATED, INCONCLUSIVE, NOT_TESTED)
# The other side, looked up with a Side or "left"/"right" (a Side is its string).
OTHER: dict[str, Side] = {side: side.other for side in SIDES}

# What each reason tells the person to change.
WAIST_HIDDEN = ("your waist is hidden, so only the pose model's rough hip points could be "
                "read: tuck in your top, wear a belt or put two small stickers on your hip bones")
THIGH_TOO_HIGH = ("the thigh was lifted too high to read the pelvis: lift the foot behind you "
                  "with the knee bent, the thigh no more than about 30 deg forward")
TOO_MUCH_MOVEMENT = "too much movement: stand still on the leg and hold the position"
TOO_SHORT = "too short a hold: hold the foot up for at least {min:.0f} s (the full test is {full:.0f} s)"
MARKERS_LOST = ("markers lost: keep both stickers in view (a hand, the lifted thigh or clothing "
                "may have covered one)")
IMPOSSIBLE = ("the hips were not tracked: the reading ({read:+.0f} deg) is more than a pelvis can "
              "tilt, so it is not a result")
NOT_SEEN_LIFTING = ("you were not seen standing on both feet before this lift (a video that "
                    "starts with the foot up): stand still on both feet for a moment first, so "
                    "that the camera's tilt and your resting posture can be taken out")
BORDERLINE = ("the drop is close to the {thr:g} deg threshold (between {lo:.1f} and {hi:.1f} deg): "
              "retest, holding the leg up for the full {full:.0f} s")

SOURCE_WORDS = {MARKERS: "your hip stickers", WAIST: "your waistband line",
                LANDMARKS: "the pose model's hip points (approximate)"}


# In the clinical test (thigh nearly upright) no pelvis tilts beyond settings'
# max_plausible_drop_deg. With the leg swung out or the knee raised high, a real pelvis hikes
# further (18-30 deg by skin markers on a gait-lab subject with the leg swung out, issue 8), so a
# geometric tier (stickers, a waistband) may read up to this before it is called a failure.
SWING_THIGH_DEG = 50.0
SWING_LIMIT_DEG = 35.0


def plausible_limit(phase: StancePhase, settings: Settings) -> float:
    """The largest held |drop| a pelvis can produce in this phase, degrees."""
    swung = math.isfinite(phase.thigh_elevation_deg) and phase.thigh_elevation_deg > SWING_THIGH_DEG
    if swung and phase.obliquity_source in (MARKERS, WAIST):
        return max(settings.max_plausible_drop_deg, SWING_LIMIT_DEG)
    return settings.max_plausible_drop_deg


@dataclass(frozen=True)
class Finding:
    finding: str
    reason: str | None = None  # for INCONCLUSIVE: what to change, in words
    implausible: bool = False  # the reading is a tracking failure: show no number


def phase_finding(phase: StancePhase, settings: Settings, *, extreme_deg: float,
                  thigh_too_high: bool, markers_lost: bool, landmarks_approximate: bool
                  ) -> Finding:
    """The finding of one measured phase.

    extreme_deg : the largest |drop| held for a peak window over the phase (a tracking failure
        beyond :func:`plausible_limit`).
    thigh_too_high : the lifted thigh was raised beyond what the phase's tier can read past.
    markers_lost : markers were seen before the phase, not through it.
    landmarks_approximate : the phase was read from a pose model's hip landmarks.
    """
    thr = settings.drop_threshold_deg
    lo, hi = phase.drop_interval_deg
    implausible = math.isfinite(extreme_deg) and extreme_deg > plausible_limit(phase, settings)
    if thigh_too_high:  # the likeliest cause of an impossible reading too: say what to change
        return Finding(INCONCLUSIVE, THIGH_TOO_HIGH, implausible=implausible)
    if implausible:
        read = phase.peak_drop_deg if math.isfinite(phase.peak_drop_deg) else extreme_deg
        return Finding(INCONCLUSIVE, IMPOSSIBLE.format(read=read), implausible=True)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return Finding(INCONCLUSIVE, "the hips were not seen well enough to measure")
    if phase.baseline_source != "before":
        # Without a double stance before it the phase has no baseline of its own (one taken
        # elsewhere in the clip, or none), and nothing shows the foot was ever put down: a
        # camera rolled 4 deg on a 480x854 render made the world landmarks read a person
        # standing on both feet as standing on one from the first frame.
        return Finding(INCONCLUSIVE, NOT_SEEN_LIFTING)
    if phase.duration_s < settings.min_hold_s:
        return Finding(INCONCLUSIVE, TOO_SHORT.format(min=settings.min_hold_s,
                                                      full=settings.hold_target_s))
    if lo >= thr:
        return Finding(DROP)
    if hi < thr:
        lean = phase.peak_lean_change_deg
        if math.isfinite(lean) and lean >= settings.lean_threshold_deg:
            return Finding(COMPENSATED)
        return Finding(LEVEL)
    if markers_lost:
        return Finding(INCONCLUSIVE, MARKERS_LOST)
    if math.isfinite(phase.noise_deg) and phase.noise_deg > settings.max_noise_deg:
        return Finding(INCONCLUSIVE, TOO_MUCH_MOVEMENT)
    if landmarks_approximate:
        return Finding(INCONCLUSIVE, WAIST_HIDDEN)
    return Finding(INCONCLUSIVE, BORDERLINE.format(thr=thr, lo=lo, hi=hi,
                                                   full=settings.hold_target_s))


@dataclass
class SideVerdict:
    """The outcome for one stance side: a finding (one of FINDINGS), the words, and the phase
    it rests on."""

    code: str
    text: str
    peak_drop_deg: float = math.nan
    longest_hold_s: float = 0.0
    interval_deg: tuple[float, float] = (math.nan, math.nan)
    source: str | None = None
    reason: str | None = None
    complete: bool = False  # held for the full clinical hold
    phase: StancePhase | None = None  # the phase it rests on

    def to_json(self) -> dict:
        shown = self.code in (DROP, LEVEL, COMPENSATED)
        return {"finding": self.code, "reason": self.reason, "obliquity_source": self.source,
                "peak_drop_deg": _r(self.peak_drop_deg) if shown else None,
                "drop_interval_deg": [_r(v) for v in self.interval_deg] if shown else None,
                "longest_hold_s": _r(self.longest_hold_s), "complete": self.complete}


def _r(x: float) -> float | None:
    return round(x, 2) if math.isfinite(x) else None


@dataclass
class Verdict:
    left: SideVerdict
    right: SideVerdict
    comparison: str  # the sentences that compare the sides
    advice: str = ""  # what to do next

    def of(self, side: Side | str) -> SideVerdict:
        """The verdict for standing on ``side``."""
        return self.left if Side.of(side) is Side.LEFT else self.right

    @property
    def text(self) -> str:
        """The whole verdict in words: each side, the comparison, what next."""
        return " ".join(t for t in (self.left.text, self.right.text, self.comparison, self.advice)
                        if t)

    def to_json(self) -> dict:
        return {**{s.label: self.of(s).code for s in SIDES}, "text": self.text,
                "sides": {s.label: self.of(s).to_json() for s in SIDES},
                "advice": self.advice}


# The order in which one side's phases decide its verdict: a drop seen once counts.
_RANK = {DROP: 0, COMPENSATED: 1, LEVEL: 2, INCONCLUSIVE: 3}


def _chosen(phases: list[StancePhase]) -> StancePhase:
    """The phase a side's verdict rests on: the strongest finding, then the longest hold."""
    return min(phases, key=lambda p: (_RANK.get(p.finding, 9), -p.duration_s))


def level_words(interval_deg: tuple[float, float], threshold_deg: float) -> str:
    """What a phase's pelvis did when it did not drop: "stayed level", or, when the whole
    interval is at least the threshold on the other side (the mirror of a drop), "did not
    drop: the lifted side rose" (a hip hike, usual with the leg swung out).

    >>> level_words((-14.9, -5.7), 5.0), level_words((-3.0, 2.0), 5.0)
    ('did not drop: the lifted side rose (a hip hike)', 'stayed level')
    """
    return ("did not drop: the lifted side rose (a hip hike)"
            if interval_deg[1] <= -threshold_deg else "stayed level")


def _interval_words(p: StancePhase) -> str:
    lo, hi = p.drop_interval_deg
    return f"between {lo:.1f} and {hi:.1f} deg"


def side_verdict(side: Side | str, phases: list[StancePhase], settings: Settings
                 ) -> SideVerdict:
    """Verdict for standing on ``side`` from that side's phases."""
    side = Side.of(side)
    mine = [p for p in phases if p.stance == side]
    SIDE, lifted = side.label.upper(), side.other
    if not mine:
        return SideVerdict(NOT_TESTED, f"Standing on the {SIDE} leg: not tested (no single-leg "
                           f"stance on the {side} leg was found).")
    p = _chosen(mine)
    longest = max(q.duration_s for q in mine)
    complete = longest >= settings.hold_target_s
    source = SOURCE_WORDS.get(p.obliquity_source, p.obliquity_source)
    thr = settings.drop_threshold_deg
    if p.finding == DROP:
        text = (f"Standing on the {SIDE} leg: the pelvis dropped toward the lifted {lifted} leg "
                f"by {p.peak_drop_deg:.1f} deg ({_interval_words(p)}, read from {source}; "
                f"threshold {thr:g} deg). That is a positive Trendelenburg sign: it points to a "
                f"weak {SIDE} gluteus medius, the muscle at the side of the hip that holds the "
                "pelvis level.")
    elif p.finding == COMPENSATED:
        text = (f"Standing on the {SIDE} leg: the pelvis "
                f"{level_words(p.drop_interval_deg, thr)} ({_interval_words(p)}, "
                f"read from {source}) but the trunk leaned {p.peak_lean_change_deg:.0f} deg over "
                f"the {side} leg, which can hide a weak {SIDE} gluteus medius (a compensated "
                "Trendelenburg). Retest keeping the shoulders level.")
    elif p.finding == LEVEL:
        moved = level_words(p.drop_interval_deg, thr)
        text = (f"Standing on the {SIDE} leg: no drop; the pelvis {moved.removeprefix('did not drop: ')} "
                f"({_interval_words(p)}, under the {thr:g} deg threshold; read from {source}).")
    else:
        text = f"Standing on the {SIDE} leg: can't tell; {p.inconclusive_reason}."
    if not complete and p.finding != INCONCLUSIVE:
        text += (f" The test was not complete: held {longest:.0f} of "
                 f"{settings.hold_target_s:.0f} s.")
    return SideVerdict(p.finding, text, p.peak_drop_deg, longest, p.drop_interval_deg,
                       p.obliquity_source, p.inconclusive_reason, complete, p)


def make_verdict(phases: list[StancePhase], settings: Settings) -> Verdict:
    """Both sides' verdicts, a comparison where both were measured, and what to do next."""
    left, right = (side_verdict(s, phases, settings) for s in SIDES)
    parts = []
    measured = (DROP, LEVEL, COMPENSATED)
    if left.code in measured and right.code in measured:
        (_, wl), (_, wr) = (left.interval_deg, right.interval_deg)
        lo_l, lo_r = left.interval_deg[0], right.interval_deg[0]
        # A side dropped more only when its interval lies wholly above the other's.
        if lo_l > wr:
            parts.append(f"The pelvis dropped more standing on the LEFT leg "
                         f"({left.peak_drop_deg:.1f} vs {right.peak_drop_deg:.1f} deg).")
        elif lo_r > wl:
            parts.append(f"The pelvis dropped more standing on the RIGHT leg "
                         f"({right.peak_drop_deg:.1f} vs {left.peak_drop_deg:.1f} deg).")
        else:
            parts.append("No clear difference between the sides.")
    weak = [s for s, v in zip(SIDES, (left, right), strict=True) if v.code in (DROP, COMPENSATED)]
    if weak:
        sides = " and ".join(s.label.upper() for s in weak)
        advice = (f"What next: strengthen the {sides} gluteus medius: side-lying hip abduction "
                  "with that side on top (about 10 slow lifts), holds of 30-60 s, standing drills "
                  "such as a hip bump against a wall, then retest. See a physiotherapist if it "
                  "hurts or does not improve.")
    elif INCONCLUSIVE in (left.code, right.code):
        advice = "What next: fix what is said above and retest."
    elif left.code == NOT_TESTED and right.code == NOT_TESTED:
        advice = ""  # nothing was tested: nothing to advise on
    elif NOT_TESTED in (left.code, right.code):
        advice = "What next: test the other leg too: a weakness shows as a difference."
    else:
        advice = ""
    if any(not v.complete for v in (left, right) if v.code in measured):
        parts.append(f"Hold each leg {settings.hold_target_s:.0f} s for the full test: a drop "
                     "often shows only with fatigue.")
    return Verdict(left, right, " ".join(parts), advice)
