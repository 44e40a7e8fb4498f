"""Turning stance phases into a verdict per side, in words a person can act on."""

from __future__ import annotations

import math
from dataclasses import dataclass

from hipdrop.settings import Settings
from hipdrop.stance import StancePhase

DROP, COMPENSATED, LEVEL, NOT_TESTED = "drop", "compensated", "no drop", "not tested"
OTHER = {"left": "right", "right": "left"}


@dataclass
class SideVerdict:
    """The outcome for one stance side: a code (DROP, COMPENSATED, LEVEL, NOT_TESTED) and why."""

    code: str
    text: str
    peak_drop_deg: float = math.nan
    longest_hold_s: float = 0.0


@dataclass
class Verdict:
    left: SideVerdict
    right: SideVerdict
    comparison: str  # the sentences that compare the sides and advise

    @property
    def text(self) -> str:
        """The whole verdict in words: each side, then the comparison."""
        return " ".join(t for t in (self.left.text, self.right.text, self.comparison) if t)

    def to_json(self) -> dict:
        return {"left": self.left.code, "right": self.right.code, "text": self.text}


def _worst(phases: list[StancePhase]) -> StancePhase:
    return max(phases, key=lambda p: p.peak_drop_deg if math.isfinite(p.peak_drop_deg) else -1e9)


def side_verdict(side: str, phases: list[StancePhase], settings: Settings) -> SideVerdict:
    """Verdict for standing on ``side`` ("left"/"right") from that side's phases."""
    mine = [p for p in phases if p.stance == side]
    if not mine:
        return SideVerdict(NOT_TESTED, f"{side.capitalize()} leg: not tested (no single-leg stance "
                           f"on the {side} leg was found).")
    worst = _worst(mine)
    longest = max(p.duration_s for p in mine)
    lifted = OTHER[side]
    # Lean is judged against the double-stance posture, so a rolled camera is not a lean.
    peak, lean = worst.peak_drop_deg, worst.peak_lean_change_deg
    if not math.isfinite(peak):
        return SideVerdict(NOT_TESTED, f"{side.capitalize()} leg: the hips were not seen well "
                           "enough to measure.", peak, longest)
    if worst.significant:
        code = DROP
        text = (f"{side.capitalize()} leg: the pelvis dropped {peak:.1f} deg toward the lifted "
                f"{lifted} leg (threshold {settings.drop_threshold_deg:g} deg), a positive "
                f"Trendelenburg sign that points to a weak {side} gluteus medius.")
    elif math.isfinite(lean) and lean >= settings.lean_threshold_deg:
        code = COMPENSATED
        text = (f"{side.capitalize()} leg: the pelvis stayed level (peak drop {peak:.1f} deg) "
                f"but the trunk leaned {lean:.0f} deg further over the {side} leg, which can hide a drop "
                "(compensated Trendelenburg); retest keeping the shoulders level.")
    else:
        code = LEVEL
        text = (f"{side.capitalize()} leg: the pelvis stayed level (peak drop {peak:.1f} deg, "
                f"threshold {settings.drop_threshold_deg:g} deg).")
    if longest < settings.hold_target_s:
        text += f" (Short hold: {longest:.0f} of {settings.hold_target_s:.0f} s.)"
    return SideVerdict(code, text, peak, longest)


def make_verdict(phases: list[StancePhase], settings: Settings) -> Verdict:
    """Both sides' verdicts and a comparison of the two."""
    left, right = side_verdict("left", phases, settings), side_verdict("right", phases, settings)
    parts = []
    if math.isfinite(left.peak_drop_deg) and math.isfinite(right.peak_drop_deg):
        # Compare drops only: two hikes of different size say nothing about weakness.
        lo, hi = sorted((left, right), key=lambda v: v.peak_drop_deg)
        worse = "left" if hi is left else "right"
        if hi.peak_drop_deg > 0 and hi.peak_drop_deg - max(lo.peak_drop_deg, 0.0) >= 2.0:
            parts.append(f"The {worse} side dropped more ({hi.peak_drop_deg:.1f} vs "
                         f"{lo.peak_drop_deg:.1f} deg).")
        else:
            parts.append("No difference between the sides.")
    if any(v.longest_hold_s < settings.hold_target_s for v in (left, right) if v.code != NOT_TESTED):
        parts.append(f"Hold each leg {settings.hold_target_s:.0f} s for the full test: a drop "
                     "often shows only with fatigue.")
    return Verdict(left, right, " ".join(parts))
