"""The guided single-leg stance test, and framing advice, as pure logic over live frame states.

:class:`Guide` walks a person through the test: get into view, stand on both feet (the baseline),
lift the LEFT foot and hold, lower it, lift the RIGHT foot and hold, see the result. It follows
what the person does rather than the clock alone: a hold starts when the stance is detected (in
any step before it, so a person who lifts a foot early, or the other foot first, is tested on
that side), a countdown only runs while its condition holds, and a foot put down early sends the
person back to lift it again. Everything here is arithmetic on :class:`hipdrop.pipeline.stream.FrameState`
values, so it is tested with synthetic states and no window.

:func:`framing_issues` reads one frame's landmarks for what would spoil the measurement: a body
partly out of view, too close or too far, not facing the camera, or a camera rolled sideways.
:class:`FramingAdvice` keeps an issue on screen only once it has lasted a moment, so the advice
does not flicker with the pose model's noise.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from hipdrop.core import kinematics as kin
from hipdrop.core.landmarks import (
    L_ANKLE,
    L_FOOT,
    L_HEEL,
    L_HIP,
    L_KNEE,
    L_SHOULDER,
    R_ANKLE,
    R_FOOT,
    R_HEEL,
    R_HIP,
    R_KNEE,
    R_SHOULDER,
)  # fmt: skip
from hipdrop.core.stance import StancePhase
from hipdrop.core.tiers import MARKERS, WAIST
from hipdrop.core.verdict import OTHER, Verdict
from hipdrop.pipeline.analysis import Analysis
from hipdrop.pipeline.stream import FrameState, SessionSoFar, verdict_over
from hipdrop.settings import Settings

# ---------------------------------------------------------------------------------------------
# Framing


@dataclass(frozen=True)
class Issue:
    """One framing problem: a stable ``code`` and the advice shown to the person."""

    code: str
    text: str
    blocking: bool = True  # the test waits until it is fixed
    delay_s: float = 0.6  # shown once it has lasted this long


NO_PERSON = "no_person"
TOO_CLOSE, TOO_FAR = "too_close", "too_far"
FEET_OUT, HEAD_OUT, SIDE_OUT = "feet_out", "head_out", "side_out"
NOT_FACING, TILTED = "not_facing", "tilted"
WAIST_HIDDEN = "waist_hidden"

PELVIS_HIDDEN_TEXT = ("I can't see your waist: tuck in your top, wear a belt, or put two "
                      "stickers on your hip bones")
# The clinical lift: knee bent, foot behind or beside, thigh raised no more than ~30 deg.
CLINICAL_LIFT = "Bend the knee and lift the foot behind you; keep the thigh nearly upright"
# Below this many pixels between the hips the person is too far for a waistband or stickers to
# be read at all: the advice then is to come closer (TOO_FAR), not to change clothes.
_MIN_PELVIS_PX = 30.0
_FEET = [L_ANKLE, R_ANKLE, L_HEEL, R_HEEL, L_FOOT, R_FOOT]
_BODY = [L_SHOULDER, R_SHOULDER, L_HIP, R_HIP, L_KNEE, R_KNEE, *_FEET]
_NOSE = 0
# The top of the head is about this fraction of nose-to-foot height above the nose.
_HEAD_ABOVE_NOSE = 0.08


@dataclass(frozen=True)
class FramingLimits:
    """Thresholds of :func:`framing_issues` (fractions of the frame, ratios, degrees)."""

    margin: float = 0.01  # a point this close to the edge counts as out of view
    max_height: float = 0.95  # body (head top to feet) taller than this: too close
    min_height: float = 0.35  # body length below this (of frame height): too far
    # Shoulder width / trunk length: 0.6-0.7 facing the camera in the clips (0.48 at worst, arms
    # overhead); side-on it is 0.2-0.4.
    min_width_ratio: float = 0.4
    tilt_deg: float = 6.0  # camera roll reported from this
    min_visibility: float = 0.5


def framing_issues(image: np.ndarray | None, width: int, height: int,
                   limits: FramingLimits | None = None,
                   pelvis_seen: bool | None = None, points: list | None = None) -> list[Issue]:
    """What to fix in the framing of one frame, most important first (empty: all good).

    Parameters
    ----------
    image : (33, 4) ndarray or None
        One frame's landmarks: x px, y px, z, visibility (unmirrored frame), or None.
    width, height : int
        Frame size in pixels.
    pelvis_seen : bool or None
        Whether the frame showed the pelvis itself (both hip stickers or a waist line,
        :mod:`hipdrop.core.tiers`), if looked for: without either, only the pose model's rough hip
        points are left, and the test will most likely end in "can't tell", so the person is
        told what to change.
    points : list or None
        ``image.tolist()``, when the caller has it (:attr:`FrameState.points`).

    The facing and tilt checks only apply to an upright person (a side-lying exercise is
    legitimately sideways). Camera roll turns the hip line, the shoulder line, the trunk and
    the whole body by the same angle: obliquity = -roll and lean = +roll, in any view.
    """
    lim = limits or FramingLimits()
    if image is None:
        return [Issue(NO_PERSON, "Step into view: whole body, 2-3 m from the camera")]
    # The landmarks as Python floats (one tolist) and the visibility test in the array's own
    # precision (a float32 array compares with min_visibility in float32): the same answers
    # as NumPy's per-point arrays, without ~60 NumPy calls on 33-long ones.
    pts = image.tolist() if points is None else points
    if not any(math.isfinite(p[0]) or math.isfinite(p[1]) for p in pts):
        return [Issue(NO_PERSON, "Step into view: whole body, 2-3 m from the camera")]
    threshold = _in_precision(lim.min_visibility, image.dtype)
    if threshold is None:
        seen = (image[:, 3] >= lim.min_visibility).tolist()
    else:  # the same test on the listed floats (a NumPy call costs ~10 us with cold caches)
        seen = [p[3] >= threshold for p in pts]
    mx, my = lim.margin * width, lim.margin * height
    right, bottom = width - mx, height - my

    def out_x(k: int) -> bool:
        x = pts[k][0]
        return x < mx or x > right

    # The model places points it cannot see too, often outside the frame: position decides,
    # and which edge a point crosses says which advice to give.
    side_out = any(out_x(k) for k in _BODY)
    feet_out = (any(pts[k][1] > bottom for k in _FEET)
                or not all(seen[k] or out_x(k) for k in (L_ANKLE, R_ANKLE)))
    head_out = (any(pts[k][1] < my for k in (_NOSE, L_SHOULDER, R_SHOULDER))
                or not all(seen[k] or out_x(k) for k in (L_SHOULDER, R_SHOULDER)))
    feet = [pts[k][1] for k in _FEET]
    # np.nanmax of the feet's y (NaN ignored, inf kept), NaN when none is finite
    feet_y = (max(y for y in feet if not math.isnan(y)) if any(map(math.isfinite, feet))
              else math.nan)
    nose = pts[_NOSE]
    top_y = nose[1] - _HEAD_ABOVE_NOSE * (feet_y - nose[1])
    body = (feet_y - top_y) / height  # the frame height the body fills
    # Its length along itself, against the frame height: a person lying down is not far away.
    la, ra = pts[L_ANKLE], pts[R_ANKLE]
    length = kin.norm_one(nose[0] - 0.5 * (la[0] + ra[0]), nose[1] - 0.5 * (la[1] + ra[1])) * (
        1 + _HEAD_ABOVE_NOSE) / height
    issues = []
    if (feet_out and head_out) or body > lim.max_height:  # NaN compares False
        issues.append(Issue(TOO_CLOSE, "Too close: step back until head and feet are in view"))
    elif feet_out:
        issues.append(Issue(FEET_OUT, "Feet out of view: step back or tilt the camera down"))
    elif head_out:
        issues.append(Issue(HEAD_OUT, "Head out of view: step back or tilt the camera up"))
    if side_out and not issues:
        issues.append(Issue(SIDE_OUT, "Move to the middle of the picture"))
    if issues:
        return issues
    if length < lim.min_height:  # NaN (no feet or nose) compares False
        issues.append(Issue(TOO_FAR, "Come a little closer to the camera", blocking=False))
    ls, rs, lh, rh = pts[L_SHOULDER], pts[R_SHOULDER], pts[L_HIP], pts[R_HIP]
    lean = kin.trunk_lean_left_deg_one(ls, rs, lh, rh)
    if kin.upright_one(lh, rh, pts[L_KNEE], pts[R_KNEE], la, ra, kin.UPRIGHT_MAX_TRUNK_DEG,
                       lean):
        issues += _facing_and_tilt(pts, lean, lim)
        hips = kin.norm_one(lh[0] - rh[0], lh[1] - rh[1])
        if pelvis_seen is False and hips >= _MIN_PELVIS_PX:
            # (Too small a pelvis is not the top's fault: that is TOO_FAR's job.)
            issues.append(Issue(WAIST_HIDDEN, PELVIS_HIDDEN_TEXT, blocking=False, delay_s=3.0))
    return issues


@functools.lru_cache(maxsize=16)
def _in_precision(value: float, dtype: np.dtype) -> float | None:
    """``value`` rounded to ``dtype`` (float32, float64) as a Python float: a landmark of that
    dtype, as a Python float, compares with it as the array compares with ``value`` (NumPy
    casts a Python number to the array's float type: both numbers are then exact in float64).
    None for another dtype (compared by NumPy)."""
    if dtype not in (np.float32, np.float64):
        return None
    return float(dtype.type(value))


def _facing_and_tilt(pts: list[list[float]], lean_deg: float, lim: FramingLimits
                     ) -> list[Issue]:
    """Facing and camera roll from one frame's landmarks (``tolist()`` of (33, >= 2) px) and
    its trunk lean (kinematics.trunk_lean_left_deg), degrees."""
    issues = []
    ls, rs, lh, rh = pts[L_SHOULDER], pts[R_SHOULDER], pts[L_HIP], pts[R_HIP]
    la, ra = pts[L_ANKLE], pts[R_ANKLE]
    shoulders = kin.norm_one(ls[0] - rs[0], ls[1] - rs[1])
    mid_s = (0.5 * (ls[0] + rs[0]), 0.5 * (ls[1] + rs[1]))
    trunk = kin.norm_one(mid_s[0] - 0.5 * (lh[0] + rh[0]), mid_s[1] - 0.5 * (lh[1] + rh[1]))
    if trunk > 0 and shoulders / trunk < lim.min_width_ratio:
        issues.append(Issue(NOT_FACING, "Turn to face the camera", delay_s=1.0))
    # A rolled camera turns the hip line, the shoulder line, the trunk and the whole body axis
    # by the same angle; a posture (leaning on a chair, a hip hiked) turns only some of them.
    # All four must agree, for 2 s: the clips' people never do that for more than 1.7 s.
    left_sign = 1.0 if lh[0] >= rh[0] else -1.0
    axis = (mid_s[0] - 0.5 * (la[0] + ra[0]), mid_s[1] - 0.5 * (la[1] + ra[1]))
    rolls = [
        -kin.obliquity_deg_one(lh, rh),
        -kin.obliquity_deg_one(ls, rs),
        lean_deg,
        math.degrees(math.atan2(axis[0] * left_sign, -axis[1])),
    ]  # fmt: skip
    if (all(abs(r) >= 0.7 * lim.tilt_deg for r in rolls)
            and abs(sum((r > 0) - (r < 0) for r in rolls)) == 4):  # np.sign's
        _, mid_lo, mid_hi, _ = sorted(rolls)
        roll = (mid_lo + mid_hi) / 2  # np.median of four
        if abs(roll) >= lim.tilt_deg:
            issues.append(Issue(TILTED, f"Camera tilted {abs(roll):.0f} deg: please level it",
                                blocking=False, delay_s=2.0))
    return issues


# The order issues are shown in, most important first.
_ORDER = {c: i for i, c in enumerate(
    (NO_PERSON, TOO_CLOSE, FEET_OUT, HEAD_OUT, SIDE_OUT, NOT_FACING, TOO_FAR, TILTED))}


class FramingAdvice:
    """Issues that have lasted their ``delay_s``, kept until they have been gone ``hide_s``."""

    def __init__(self, hide_s: float = 0.6) -> None:
        self.hide_s = hide_s
        self._since: dict[str, float] = {}  # code -> first seen (of the current run)
        self._last: dict[str, tuple[float, Issue]] = {}  # code -> (last seen, issue)

    def reset(self) -> None:
        self._since.clear()
        self._last.clear()

    def update(self, issues: list[Issue], t: float) -> list[Issue]:
        if not issues and not self._since:  # nothing seen, nothing to forget: most frames
            return []
        now = {i.code for i in issues}
        for code in list(self._since):
            if code not in now and t - self._last[code][0] > self.hide_s:
                del self._since[code], self._last[code]
        for issue in issues:
            self._since.setdefault(issue.code, t)
            self._last[issue.code] = (t, issue)
        shown = [issue for c, (_, issue) in self._last.items()
                 if t - self._since[c] >= issue.delay_s]
        return sorted(shown, key=lambda i: _ORDER.get(i.code, 99))


# ---------------------------------------------------------------------------------------------
# The guided test


class Step(str, Enum):
    READY = "ready"  # get into view
    BASELINE = "baseline"  # stand on both feet
    LIFT = "lift"  # lift a foot
    HOLD = "hold"  # hold it up, countdown
    RESULT = "result"


# Sides are stance sides: lifting the LEFT foot tests standing on the RIGHT leg.
ORDER = ("right", "left")


@dataclass
class Hold:
    """One attempt at holding a foot up: ``stance`` is the standing leg."""

    stance: str
    start_s: float
    end_s: float
    completed: bool = False  # held for the full target time

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def to_json(self) -> dict:
        return {"stance": self.stance, "lifted": OTHER[self.stance],
                "start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
                "duration_s": round(self.duration_s, 3), "completed": self.completed}


@dataclass(slots=True)
class GuideView:
    """What the screen shows for the guided test on one frame (slots: one is made a frame)."""

    step: Step
    title: str
    detail: str
    stance: str | None = None  # the stance side under test (LIFT, HOLD)
    countdown_s: float | None = None  # seconds left of the current countdown
    progress: float | None = None  # 0..1 of the current countdown
    note: str | None = None  # adaptive advice ("foot down after 4 s: lift it again")
    issues: list[Issue] = field(default_factory=list)

    @property
    def lift(self) -> str | None:
        """The foot to lift (or held up), the other side of the stance under test."""
        return OTHER[self.stance] if self.stance else None


@dataclass(frozen=True)
class GuideTiming:
    """Durations of the guided test, seconds."""

    ready_s: float = 1.0  # in view with no blocking issue this long before the baseline
    baseline_s: float = 3.0
    hold_s: float = 30.0
    start_s: float = 0.5  # a stance must last this long to start a hold (DESIGN: 0.5 s phase)
    grace_s: float = 0.5  # a foot down for less than this does not end a hold
    # A foot not lifted for this long: the side is skipped, so a test nobody is at the keyboard
    # for still reaches its result (what SPACE did).
    wait_s: float = 20.0

    @classmethod
    def of(cls, settings: Settings, **changes: float) -> GuideTiming:
        return cls(hold_s=settings.hold_target_s, start_s=settings.min_stance_s, **changes)


class Guide:
    """The guided stance test. Call :meth:`update` once a frame; :meth:`next` on SPACE."""

    NOTE_S = 5.0  # how long an adaptive note stays up

    def __init__(self, timing: GuideTiming | None = None) -> None:
        self.timing = timing or GuideTiming()
        self.step = Step.READY
        self.holds: list[Hold] = []
        self.done: set[str] = set()  # stance sides finished (held to the end, or skipped)
        self._note: str | None = None
        self._note_until = -math.inf
        self._target = ORDER[0]
        self._t: float | None = None
        self._acc = 0.0  # time accumulated toward the current countdown (READY, BASELINE)
        self._after_hold = False
        self._paused = ""  # why the baseline's countdown is not running ("" while it runs)
        self._paused_s = 0.0  # for how long it has not run
        self._hold: Hold | None = None
        self._seen_t = 0.0  # last time the held stance was seen
        self._pelvis: tuple[str, ...] = ()  # reliable tiers seen in the latest frame
        self._high_since: float | None = None  # the lifted thigh too high since

    @property
    def note(self) -> str | None:
        """The adaptive advice of the moment (it lasts NOTE_S)."""
        return self._note if self._t is None or self._t <= self._note_until else None

    @note.setter
    def note(self, text: str | None) -> None:
        self._note = text
        self._note_until = (0.0 if self._t is None else self._t) + self.NOTE_S

    # -- events ---------------------------------------------------------------------------

    def next(self) -> None:
        """SPACE: move on from the current step (a hold in progress ends and counts as done)."""
        if self.step in (Step.READY, Step.BASELINE):
            self._to_lift()
        elif self.step == Step.LIFT:
            self.done.add(self._target)
            self._after_side()
        elif self.step == Step.HOLD and self._hold is not None:
            self._end_hold(completed=False, move_on=True)

    def finish(self) -> None:
        """The session ends: close a hold in progress and show the result."""
        if self.step == Step.HOLD and self._hold is not None:
            self._hold.completed = self._hold.duration_s >= self.timing.hold_s - 1e-6
            self._hold = None
        self.step = Step.RESULT

    # -- per frame ------------------------------------------------------------------------

    def update(self, state: FrameState, issues: list[Issue]) -> GuideView:
        """Advance with one frame state; ``issues`` are the framing issues shown now."""
        dt = 0.0 if self._t is None else max(0.0, state.t - self._t)
        self._t = state.t
        seen = state.pose  # (a property: read once)
        if seen:
            self._pelvis = state.pelvis_seen
        if self.step != Step.RESULT:
            self._advance(state, issues, dt, seen)
            self._check_lift(state)
        return self._view(issues)

    def _advance(self, state: FrameState, issues: list[Issue], dt: float, seen: bool) -> None:
        """One frame's progress (``seen``: ``state.pose``)."""
        t, tm = state.t, self.timing
        stance = state.stance
        if self.step in (Step.READY, Step.BASELINE, Step.LIFT) and stance is not None:
            if stance not in self.done and state.stance_s >= tm.start_s:
                self._start_hold(stance, t - state.stance_s)
                return
        blocked = bool(issues) and any(i.blocking for i in issues)
        if self.step == Step.READY:
            self._acc = self._acc + dt if seen and not blocked else 0.0
            if self._acc >= tm.ready_s:
                self.step, self._acc = Step.BASELINE, 0.0
        elif self.step == Step.BASELINE:
            upright = state.upright
            if stance is None and seen and upright:
                self._acc += dt
                self._paused, self._paused_s = "", 0.0
            else:
                # Say why the countdown waits rather than freeze it without a word, once it has
                # waited a second (a foot coming down is the title's "stand on both feet").
                self._paused_s += dt
                why = ("I can't see you: step back into view" if not seen else
                       "Stand up straight: the baseline is taken standing" if not upright else "")
                self._paused = why if self._paused_s >= 1.0 else ""
            if self._acc >= tm.baseline_s:
                self._to_lift()
        elif self.step == Step.LIFT:
            if stance is not None and stance in self.done:
                self.note = (f"That is your {OTHER[stance].upper()} foot: lift your "
                             f"{OTHER[self._target].upper()} foot")
            self._acc = 0.0 if stance is not None else self._acc + dt
            if self._acc >= tm.wait_s:
                foot = OTHER[self._target].upper()
                self.done.add(self._target)
                self._after_side(f"No {foot} foot lifted for {tm.wait_s:.0f} s: going on")
        elif self.step == Step.HOLD and self._hold is not None:
            if stance == self._hold.stance:
                self._seen_t = t
                self._hold.end_s = t
            elif t - self._seen_t > tm.grace_s:
                self._end_hold(completed=False, move_on=False)
                return
            if self._hold.duration_s >= tm.hold_s:
                self._end_hold(completed=True, move_on=True)

    def _check_lift(self, state: FrameState) -> None:
        """Tell the person when the lifted thigh is too high for the hip points to be read
        (held 1 s, and only while the drop is read from them)."""
        high = (self.step == Step.HOLD and state.drop_source not in (MARKERS, WAIST)
                and state.lifted_thigh_too_high)
        if not high:
            self._high_since = None
            return
        if self._high_since is None:
            self._high_since = state.t
        elif state.t - self._high_since >= 1.0:
            self.note = ("Lift is too high to read the pelvis: lower the knee and lift the foot "
                         "behind you")

    def _start_hold(self, stance: str, start_s: float) -> None:
        if stance != self._target and not self.done:
            # "now", not "first": after an attempt on the other side that ended early, this is
            # the second foot lifted, and "first" read as wrong (issue 10).
            self.note = (f"You lifted your {OTHER[stance].upper()} foot: testing that side now, "
                         "the other after")
        else:
            self.note = None
        self._target = stance
        self._hold = Hold(stance, start_s, start_s + 1e-9)
        self.holds.append(self._hold)
        self._seen_t = start_s
        self.step = Step.HOLD

    def _end_hold(self, completed: bool, move_on: bool) -> None:
        hold = self._hold
        assert hold is not None
        hold.completed = completed
        self._hold = None
        if move_on:
            self.done.add(hold.stance)
            self._after_side(f"Well done: {OTHER[hold.stance].upper()} foot held "
                             f"{hold.duration_s:.0f} s" if completed else None)
        else:
            self.step, self._acc = Step.LIFT, 0.0
            self.note = (f"Foot down after {hold.duration_s:.0f} s: lift your "
                         f"{OTHER[hold.stance].upper()} foot again and hold "
                         f"{self.timing.hold_s:.0f} s, or raise both hands to go on")

    def _after_side(self, note: str | None = None) -> None:
        """The next side starts from a new baseline (the analysis takes the double stance just
        before each phase as its reference)."""
        remaining = [s for s in ORDER if s not in self.done]
        if not remaining:
            self.step = Step.RESULT
            return
        self._target = remaining[0]
        self._after_hold = True
        self.step, self._acc, self.note = Step.BASELINE, 0.0, note

    def _to_lift(self) -> None:
        remaining = [s for s in ORDER if s not in self.done]
        if not remaining:
            self.step = Step.RESULT
            return
        self._target = remaining[0]
        self.step, self._acc, self.note = Step.LIFT, 0.0, None

    # -- what to show ---------------------------------------------------------------------

    def pelvis_words(self) -> str:
        """What the test can read the pelvis from, said before the hold."""
        if MARKERS in self._pelvis:
            return "I can see both stickers."
        if WAIST in self._pelvis:
            return "I can see your waistband."
        return PELVIS_HIDDEN_TEXT + "."

    def _view(self, issues: list[Issue]) -> GuideView:
        tm = self.timing
        if self.step == Step.READY:
            return GuideView(self.step, "Get into position",
                             "Face the camera, 2-3 m away, whole body in view", issues=issues)
        if self.step == Step.BASELINE:
            left = max(0.0, tm.baseline_s - self._acc)
            title = "Lower your foot: stand on both feet" if self._after_hold else (
                "Stand on both feet")
            return GuideView(self.step, title, f"Stand still, weight on both legs. "
                             f"{self.pelvis_words()}",
                             countdown_s=left, progress=self._acc / tm.baseline_s,
                             note=self._paused or self.note, issues=issues)
        if self.step == Step.LIFT:
            foot = OTHER[self._target].upper()
            return GuideView(self.step, f"Lift your {foot} foot", CLINICAL_LIFT,
                             stance=self._target, note=self.note, issues=issues)
        if self.step == Step.HOLD and self._hold is not None:
            held = self._hold.duration_s
            foot = OTHER[self._hold.stance].upper()
            return GuideView(self.step, f"Hold your {foot} foot up",
                             "Keep the hips level, do not lean", stance=self._hold.stance,
                             countdown_s=max(0.0, tm.hold_s - held),
                             progress=min(1.0, held / tm.hold_s), note=self.note, issues=issues)
        return GuideView(Step.RESULT, "Result", "", issues=[])


# ---------------------------------------------------------------------------------------------
# The result


@dataclass
class GuidedResult:
    """The guided test's outcome: the verdict on the phases held during the test."""

    verdict: Verdict
    phases: dict[str, StancePhase | None]  # per stance side, the phase the verdict rests on
    holds: list[Hold]
    comparison: str  # the verdict's sentences that compare the sides and advise

    def to_json(self) -> dict:
        return {"holds": [h.to_json() for h in self.holds], "verdict": self.verdict.to_json(),
                "text": self.verdict.text}


def guided_result(session: Analysis | SessionSoFar, holds: list[Hold]) -> GuidedResult:
    """The verdict on the stance phases of ``session`` (the finished analysis, or the live
    session so far) that overlap the test's holds (:func:`hipdrop.pipeline.stream.verdict_over`).
    """
    verdict = verdict_over(session.phases, [(h.stance, h.start_s, h.end_s) for h in holds],
                           session.settings)
    chosen: dict[str, StancePhase | None] = {"left": verdict.left.phase,
                                             "right": verdict.right.phase}
    return GuidedResult(verdict, chosen, list(holds), verdict.comparison)
