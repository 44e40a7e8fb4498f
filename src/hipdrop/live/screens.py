"""Drawing the live window: the guided test's steps, the reps and hold screens, the result.

:func:`render` turns a camera frame and a :class:`Screen` (what to show) into the image the
window displays. The frame is scaled to :data:`DISPLAY_HEIGHT` so that the layout and the text
are the same size whatever the camera delivers, then mirrored if asked; landmarks are scaled and
mirrored to match, and every label names the person's anatomical side. Built on
:mod:`hipdrop.reports.overlay` (skeleton, hip line, text); nothing here measures anything.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field

import cv2
import numpy as np

from hipdrop.core.landmarks import L_ANKLE, L_HIP, R_ANKLE, R_HIP
from hipdrop.core.reps import Rep
from hipdrop.core.squat import SquatTracker
from hipdrop.core.tiers import MARKERS, WAIST
from hipdrop.core.verdict import COMPENSATED, DROP, INCONCLUSIVE, LEVEL, OTHER, SOURCE_WORDS
from hipdrop.live.guide import GuidedResult, GuideView, Issue, Step
from hipdrop.pipeline.stream import FrameState
from hipdrop.reports.overlay import (
    AMBER,
    BLACK,
    FONT,
    GREEN,
    GREY,
    LEFT_COLOUR,
    RED,
    RIGHT_COLOUR,
    WHITE,
    draw_hip_line,
    draw_skeleton,
    draw_text,
    hip_colour,
    mirror_points,
    text_scale,
)
from hipdrop.settings import Settings

DISPLAY_HEIGHT = 720
DISPLAY_MIN_WIDTH = 960  # 4:3 at 720 px: narrower frames are pillarboxed
PILLAR = (24, 24, 24)
SIDE_COLOUR = {"left": LEFT_COLOUR, "right": RIGHT_COLOUR}
DARK = (40, 40, 40)
VERDICT_WORDS = {DROP: ("DROP", RED), COMPENSATED: ("COMPENSATED", AMBER),
                 LEVEL: ("NO DROP", GREEN), INCONCLUSIVE: ("CAN'T TELL", AMBER)}


def _readable_drop(state: FrameState | None, settings: Settings) -> float:
    """The live drop where hipdrop stands behind it: read from stickers or a waistband and
    within what a pelvis can do; NaN otherwise (the pose model's hip points alone are not
    shown as a number)."""
    if state is None or state.drop_source not in (MARKERS, WAIST):
        return math.nan
    drop = state.drop_deg
    return drop if math.isfinite(drop) and abs(drop) <= settings.max_plausible_drop_deg else math.nan
KEYS_HELP = "SPACE next   R restart   M mirror   Q quit"
RESULT_KEYS = "SPACE new test   M mirror   Q quit"
COUNTER_KEYS = "R restart   M mirror   Q quit"  # reps and hold: nothing to step through


@dataclass
class Hud:
    """Throughput figures shown in a corner."""

    fps: float = math.nan
    latency_ms: float = math.nan  # capture -> result, recent median


@dataclass
class Screen:
    """Everything one displayed frame shows."""

    mode: str  # "stance", "reps" or "hold"
    settings: Settings
    state: FrameState | None = None
    guide: GuideView | None = None
    result: GuidedResult | None = None
    issues: list[Issue] = field(default_factory=list)
    last_rep: Rep | None = None
    hud: Hud = field(default_factory=Hud)
    mirrored: bool = True
    footer: str = KEYS_HELP
    squat: SquatTracker | None = None  # --mode squat: the counter (hipdrop.live.squat_screen)


# ---------------------------------------------------------------------------------------------
# Primitives


def shade(frame: np.ndarray, x0: int, y0: int, x1: int, y1: int, alpha: float = 0.6,
          colour: tuple[int, int, int] = BLACK) -> None:
    """Blend a rectangle of ``colour`` over the frame (clipped to it), in place."""
    h, w = frame.shape[:2]
    x0, x1, y0, y1 = max(0, x0), min(w, x1), max(0, y0), min(h, y1)
    if x0 >= x1 or y0 >= y1:
        return
    roi = frame[y0:y1, x0:x1]
    if colour[0] == colour[1] == colour[2]:  # grey: one scale-and-offset pass
        roi[:] = cv2.convertScaleAbs(roi, alpha=1.0 - alpha, beta=alpha * colour[0])
    else:
        tint = np.empty_like(roi)
        tint[:] = colour
        roi[:] = cv2.addWeighted(roi, 1.0 - alpha, tint, alpha, 0.0)


def _whole(x: float) -> str:
    """A signed whole number of degrees; "0", not "-0"; "--" for NaN."""
    return "--" if not math.isfinite(x) else f"{round(x):+d}" if round(x) else "0"


def text_width(frame: np.ndarray, text: str, size: float) -> int:
    s, thick = text_scale(frame, size)
    return cv2.getTextSize(text, FONT, s, thick)[0][0]


def fit(frame: np.ndarray, text: str, size: float, max_width: int) -> float:
    """The largest size up to ``size`` at which ``text`` fits in ``max_width`` pixels."""
    w = text_width(frame, text, size)
    return size if w <= max_width else size * max_width / w


def wrap(frame: np.ndarray, text: str, size: float, max_width: int) -> list[str]:
    """``text`` broken into lines that fit ``max_width`` at ``size``."""
    per_char = max(1.0, text_width(frame, "abcdefghij", size) / 10.0)
    return textwrap.wrap(text, max(10, int(max_width / per_char))) or [""]


def ring(frame: np.ndarray, centre: tuple[int, int], radius: int, progress: float,
         colour: tuple[int, int, int], thickness: int = 12) -> None:
    """A progress ring, full circle = 1, clockwise from the top."""
    cv2.circle(frame, centre, radius, DARK, thickness, cv2.LINE_AA)
    sweep = 360.0 * min(max(progress, 0.0), 1.0)
    if sweep > 0:
        cv2.ellipse(frame, centre, (radius, radius), -90.0, 0.0, sweep, colour, thickness,
                    cv2.LINE_AA)


# ---------------------------------------------------------------------------------------------
# The frame and the body


def to_display(frame: np.ndarray, mirrored: bool) -> tuple[np.ndarray, float, int]:
    """The camera frame scaled to DISPLAY_HEIGHT, flipped if ``mirrored``, and set on a dark
    canvas at least DISPLAY_MIN_WIDTH wide; the scale and the frame's x offset on the canvas.

    A portrait frame (a phone video) is pillarboxed: scaled to 720 px high it is only 405 px
    wide, too narrow for the panels, which then take the bars beside it.
    """
    h, w = frame.shape[:2]
    k = DISPLAY_HEIGHT / h
    shown = frame if k == 1.0 else cv2.resize(
        frame, (round(w * k), DISPLAY_HEIGHT), interpolation=cv2.INTER_LINEAR)
    if mirrored:
        shown = cv2.flip(shown, 1)
    width = shown.shape[1]
    if width >= DISPLAY_MIN_WIDTH:
        return (shown.copy() if shown is frame else shown), k, 0
    canvas = np.empty((DISPLAY_HEIGHT, DISPLAY_MIN_WIDTH, 3), np.uint8)
    canvas[:] = PILLAR
    x0 = (DISPLAY_MIN_WIDTH - width) // 2
    canvas[:, x0:x0 + width] = shown
    return canvas, k, x0


def shown_points(points: np.ndarray | None, k: float, width: int, mirrored: bool, x0: int = 0
                 ) -> np.ndarray | None:
    """(33, >=2) landmarks of the camera frame as drawn on the display (scaled, mirrored, and
    shifted by the frame's offset ``x0`` on the canvas; ``width`` the scaled frame's width)."""
    if points is None or not np.isfinite(points[:, :2]).any():
        return None
    p = np.array(points[:, :2], dtype=np.float64) * k
    p = mirror_points(p, width) if mirrored else p
    p[:, 0] += x0
    return p


def screen_side(points: np.ndarray | None, leg: str, mirrored: bool) -> str:
    """Which half of the display ("left"/"right") the person's ``leg`` is drawn on."""
    if points is not None and np.isfinite(points[[L_HIP, R_HIP], 0]).all():
        left_on_right = points[L_HIP, 0] > points[R_HIP, 0]
    else:
        left_on_right = not mirrored  # a person facing an unmirrored camera
    return ("right" if left_on_right else "left") if leg == "left" else (
        "left" if left_on_right else "right")


def _body(canvas: np.ndarray, pts: np.ndarray | None, screen: Screen) -> None:
    if pts is None:
        return
    draw_skeleton(canvas, pts)
    state = screen.state
    in_stance = state is not None and state.stance is not None
    drop = _readable_drop(state, screen.settings)
    obliquity = state.obliquity_deg if in_stance and math.isfinite(drop) else math.nan
    draw_hip_line(canvas, pts, hip_colour(in_stance, drop, screen.settings.drop_threshold_deg),
                  obliquity_deg=obliquity)


def _mark_foot(canvas: np.ndarray, pts: np.ndarray | None, foot: str, t: float) -> None:
    """A pulsing ring and an arrow at the foot the person is asked to lift."""
    if pts is None:
        return
    p = pts[L_ANKLE if foot == "left" else R_ANKLE]
    if not np.isfinite(p).all():
        return
    c = (int(p[0]), int(p[1]))
    r = int(28 + 6 * math.sin(2 * math.pi * 1.5 * t))
    colour = SIDE_COLOUR[foot]
    cv2.circle(canvas, c, r, BLACK, 7, cv2.LINE_AA)
    cv2.circle(canvas, c, r, colour, 4, cv2.LINE_AA)
    base, tip = (c[0], c[1] - r - 8), (c[0], c[1] - r - 78)
    cv2.arrowedLine(canvas, base, tip, BLACK, 9, cv2.LINE_AA, tipLength=0.35)
    cv2.arrowedLine(canvas, base, tip, colour, 5, cv2.LINE_AA, tipLength=0.35)


# ---------------------------------------------------------------------------------------------
# Bands and panels


def _title_band(canvas: np.ndarray, title: str, detail: str,
                colour: tuple[int, int, int] = WHITE) -> int:
    """The step's title in big text across the top; returns the band's bottom y."""
    w = canvas.shape[1]
    bottom = 118 if detail else 84
    shade(canvas, 0, 0, w, bottom, 0.62)
    draw_text(canvas, title, (w // 2, 44), fit(canvas, title, 1.5, w - 60), colour,
              anchor="center", outline=False)
    if detail:
        draw_text(canvas, detail, (w // 2, 94), fit(canvas, detail, 0.8, w - 60), GREY,
                  anchor="center", outline=False)
    return bottom


def _banner(canvas: np.ndarray, y: int, text: str, colour: tuple[int, int, int]) -> int:
    """A coloured strip of dark text below ``y``; returns its bottom y."""
    w = canvas.shape[1]
    size = fit(canvas, text, 0.85, w - 40)
    shade(canvas, 0, y, w, y + 50, 0.85, colour)
    draw_text(canvas, text, (w // 2, y + 25), size, BLACK, anchor="center", outline=False)
    return y + 50


def _advice(canvas: np.ndarray, y: int, issues: list[Issue], note: str | None) -> int:
    """Framing issues (amber) and the guide's note (blue-grey), one strip each."""
    for issue in issues[:2]:
        y = _banner(canvas, y, issue.text, AMBER)
    if note:
        y = _banner(canvas, y, note, (235, 206, 135))
    return y


def _footer(canvas: np.ndarray, screen: Screen) -> None:
    h, w = canvas.shape[:2]
    shade(canvas, 0, h - 38, w, h, 0.55)
    draw_text(canvas, screen.footer, (14, h - 12), 0.55, GREY, outline=False)
    hud = screen.hud
    parts = []
    if math.isfinite(hud.fps):
        parts.append(f"{hud.fps:4.1f} fps")
    if math.isfinite(hud.latency_ms):
        parts.append(f"latency {hud.latency_ms:.0f} ms")
    parts.append("mirrored" if screen.mirrored else "not mirrored")
    draw_text(canvas, "   ".join(parts), (w - 14, h - 12), 0.55, GREY, anchor="right",
              outline=False)


def _countdown(canvas: np.ndarray, y: int, seconds: float, progress: float,
               colour: tuple[int, int, int]) -> None:
    """A ring with the seconds left, at the top right under the bands."""
    w = canvas.shape[1]
    radius = 74
    centre = (w - radius - 36, y + radius + 30)
    shade(canvas, centre[0] - radius - 22, centre[1] - radius - 22, centre[0] + radius + 22,
          centre[1] + radius + 22, 0.45)
    ring(canvas, centre, radius, progress, colour, 14)
    draw_text(canvas, f"{math.ceil(seconds - 1e-9):d}", centre, 2.0, WHITE, anchor="center")


def _drop_panel(canvas: np.ndarray, y: int, state: FrameState, settings: Settings) -> None:
    """The live contralateral pelvic drop, big, with the trunk lean under it."""
    x0, x1 = 24, 24 + 330
    shade(canvas, x0, y + 20, x1, y + 196, 0.55)
    draw_text(canvas, "PELVIC DROP", (x0 + 18, y + 56), 0.7, GREY, outline=False)
    drop = _readable_drop(state, settings)
    if math.isfinite(drop):
        colour = RED if drop >= settings.drop_threshold_deg else GREEN
        draw_text(canvas, f"{drop:+.1f} deg", (x0 + 18, y + 124), 1.7, colour, outline=False)
        word = "drop toward lifted leg" if drop >= settings.drop_threshold_deg else (
            "level" if drop > -settings.drop_threshold_deg else "lifted side hikes")
        word += f" ({SOURCE_WORDS[state.drop_source].replace('your ', '')})"
        draw_text(canvas, word, (x0 + 18, y + 154), fit(canvas, word, 0.55, x1 - x0 - 30), GREY,
                  outline=False)
    elif state.stance is None:
        draw_text(canvas, "foot down", (x0 + 18, y + 118), 1.2, GREY, outline=False)
    else:
        draw_text(canvas, "not readable", (x0 + 18, y + 112), 1.1, AMBER, outline=False)
        draw_text(canvas, "no waistband or stickers seen", (x0 + 18, y + 148), 0.55, GREY,
                  outline=False)
    lean = state.lean_change_deg
    if math.isfinite(lean):
        colour = AMBER if lean >= settings.lean_threshold_deg else GREY
        draw_text(canvas, f"trunk lean {_whole(lean)} deg", (x0 + 18, y + 182), 0.6, colour,
                  outline=False)


# ---------------------------------------------------------------------------------------------
# Screens


def _stance_screen(canvas: np.ndarray, pts: np.ndarray | None, screen: Screen) -> None:
    view, state = screen.guide, screen.state
    if view is None:
        return
    if view.step == Step.RESULT and screen.result is not None:
        _result_screen(canvas, screen.result, screen.settings)
        return
    colour = WHITE
    live_drop = _readable_drop(state, screen.settings)
    if view.step == Step.HOLD and math.isfinite(live_drop):
        colour = RED if live_drop >= screen.settings.drop_threshold_deg else WHITE
    y = _title_band(canvas, view.title, view.detail, colour)
    y = _advice(canvas, y, view.issues, view.note)
    if view.step == Step.LIFT and view.lift is not None and state is not None:
        _mark_foot(canvas, pts, view.lift, state.t)
    if view.countdown_s is not None and view.progress is not None:
        colour = SIDE_COLOUR[view.lift] if view.lift else GREEN
        _countdown(canvas, y, view.countdown_s, view.progress, colour)
    if view.step == Step.HOLD and state is not None:
        _drop_panel(canvas, y, state, screen.settings)


def _result_screen(canvas: np.ndarray, result: GuidedResult, settings: Settings) -> None:
    h, w = canvas.shape[:2]
    shade(canvas, 0, 0, w, h, 0.78)
    draw_text(canvas, "Single-leg stance test", (w // 2, 50), 1.3, WHITE, anchor="center",
              outline=False)
    col_w = min(430, (w - 60) // 2)
    x0 = w // 2 - col_w - 10
    for i, side in enumerate(("left", "right")):
        _result_column(canvas, x0 + i * (col_w + 20), 96, col_w, side, result, settings)
    y = 96 + 336 + 40
    words = " ".join(t for t in (result.comparison, result.verdict.advice) if t)
    for line in wrap(canvas, words, 0.62, 2 * col_w + 20)[:5]:
        draw_text(canvas, line, (x0, y), 0.62, WHITE, outline=False)
        y += 32
    draw_text(canvas, "A self-assessment aid, not a diagnosis: see a physiotherapist or doctor "
              "about pain.", (x0, h - 58), fit(canvas, "x" * 80, 0.5, 2 * col_w + 20), GREY,
              outline=False)


_WHY = {DROP: "the pelvis dropped toward the lifted leg",
        COMPENSATED: "pelvis level, but the trunk leaned over the leg",
        LEVEL: "the pelvis stayed level"}


def _result_column(canvas: np.ndarray, x: int, y: int, width: int, side: str,
                   result: GuidedResult, settings: Settings) -> None:
    sv = getattr(result.verdict, side)
    phase = result.phases.get(side)
    shade(canvas, x, y, x + width, y + 336, 0.5, DARK)
    cv2.rectangle(canvas, (x, y), (x + width, y + 6), SIDE_COLOUR[side], -1)
    title = f"Standing on {side.upper()} leg"
    draw_text(canvas, title, (x + 20, y + 48), fit(canvas, title, 0.85, width - 40), WHITE,
              outline=False)
    draw_text(canvas, f"{OTHER[side]} foot lifted", (x + 20, y + 78), 0.55, GREY, outline=False)
    word, colour = VERDICT_WORDS.get(sv.code, ("NOT TESTED", GREY))
    draw_text(canvas, word, (x + 20, y + 136), fit(canvas, word, 1.5, width - 40), colour,
              outline=False)
    if sv.code == INCONCLUSIVE:
        # The reason, in full: it says what to change for the retest.
        for j, line in enumerate(wrap(canvas, (sv.reason or "").capitalize(), 0.55,
                                      width - 40)[:6]):
            draw_text(canvas, line, (x + 20, y + 174 + 28 * j), 0.55, WHITE, outline=False)
        return
    why = _WHY.get(sv.code, "no hold on this leg" if phase is None else "hips not seen well")
    if sv.code == DROP:  # what it means, in the words of the printed summary
        why = f"dropped toward the lifted leg: a weak {side.upper()} gluteus medius"
    draw_text(canvas, why, (x + 20, y + 168), fit(canvas, why, 0.55, width - 40), colour,
              outline=False)
    if phase is None:
        return
    short = sv.longest_hold_s < settings.hold_target_s
    lo, hi = sv.interval_deg
    source = SOURCE_WORDS.get(sv.source or "", "").replace("your ", "")
    rows = [("drop", f"{sv.peak_drop_deg:+.1f} deg", WHITE),
            ("90% range", f"{lo:+.1f} to {hi:+.1f} deg", WHITE),
            ("read from", source, WHITE),
            ("trunk lean", f"{_whole(phase.peak_lean_change_deg)} deg",
             AMBER if phase.peak_lean_change_deg >= settings.lean_threshold_deg else WHITE),
            ("held", f"{sv.longest_hold_s:.0f} of {settings.hold_target_s:.0f} s"
             + (" (incomplete)" if short else ""), AMBER if short else WHITE)]
    for j, (label, value, c) in enumerate(rows):
        yy = y + 206 + 30 * j
        draw_text(canvas, label, (x + 20, yy), 0.6, GREY, outline=False)
        value = value.replace("+nan", "--").replace("nan", "--")
        draw_text(canvas, value, (x + width - 20, yy), fit(canvas, value, 0.6, width - 160), c,
                  anchor="right", outline=False)


def _dial(canvas: np.ndarray, centre: tuple[int, int], radius: int, angle: float,
          settings: Settings, colour: tuple[int, int, int]) -> None:
    """A half-dial of 0-90 deg abduction with the rep thresholds marked."""
    span = 90.0

    def at(deg: float, r: float) -> tuple[int, int]:
        a = math.radians(180.0 - 180.0 * min(max(deg, 0.0), span) / span)
        return int(centre[0] + r * math.cos(a)), int(centre[1] - r * math.sin(a))

    def arc(lo: float, hi: float, c: tuple[int, int, int], thick: int) -> None:
        a0, a1 = 180.0 + 180.0 * lo / span, 180.0 + 180.0 * hi / span
        cv2.ellipse(canvas, centre, (radius, radius), 0.0, a0, a1, c, thick, cv2.LINE_AA)

    arc(0, settings.rep_down_deg, GREY, 14)
    arc(settings.rep_down_deg, settings.rep_up_deg, AMBER, 14)
    arc(settings.rep_up_deg, span, GREEN, 14)
    for deg in (settings.rep_down_deg, settings.rep_up_deg):
        cv2.line(canvas, at(deg, radius - 16), at(deg, radius + 16), WHITE, 2, cv2.LINE_AA)
    if math.isfinite(angle):
        cv2.line(canvas, centre, at(angle, radius - 4), BLACK, 8, cv2.LINE_AA)
        cv2.line(canvas, centre, at(angle, radius - 4), colour, 4, cv2.LINE_AA)
    cv2.circle(canvas, centre, 8, WHITE, -1, cv2.LINE_AA)


def _leg_panel_x(canvas: np.ndarray, pts: np.ndarray | None, leg: str, mirrored: bool,
                 width: int) -> int:
    half = screen_side(pts, leg, mirrored)
    return 24 if half == "left" else canvas.shape[1] - 24 - width


def _leg_panel(canvas: np.ndarray, x: int, y: int, w: int, h: int, leg: str) -> None:
    shade(canvas, x, y, x + w, y + h, 0.55)
    cv2.rectangle(canvas, (x, y), (x + w, y + 5), SIDE_COLOUR[leg], -1)
    draw_text(canvas, f"{leg.upper()} leg", (x + 16, y + 40), 0.75, WHITE, outline=False)


def _reps_screen(canvas: np.ndarray, pts: np.ndarray | None, screen: Screen) -> None:
    s, state = screen.settings, screen.state
    y = _title_band(canvas, "Reps: lift a leg out to the side",
                    f"counted when it rises {s.rep_up_deg:g} deg out from where it rests and "
                    f"comes back within {s.rep_down_deg:g} deg")
    y = _advice(canvas, y, screen.issues, None) + 14
    if state is None:
        return
    pw, ph = 230, 210
    for i, leg in enumerate(("left", "right")):
        x = _leg_panel_x(canvas, pts, leg, screen.mirrored, pw)
        _leg_panel(canvas, x, y, pw, ph, leg)
        draw_text(canvas, str(state.reps[i]), (x + pw - 16, y + 62), 2.0, WHITE,
                  anchor="right", outline=False)
        angle = state.abduction_deg[i]
        colour = GREEN if state.leg_up[i] else WHITE
        _dial(canvas, (x + pw // 2, y + 176), 84, angle, s, colour)
        label = f"{angle:.0f} deg" if math.isfinite(angle) else "-- deg"
        draw_text(canvas, label, (x + pw // 2, y + 200), 0.6, colour, anchor="center",
                  outline=False)
    rep = screen.last_rep
    if rep is not None:
        text = (f"last rep: {rep.leg.upper()} leg, peak {rep.peak_deg:.0f} deg, "
                f"{rep.end_s - rep.start_s:.1f} s, {rep.held_s:.1f} s up")
        w = canvas.shape[1]
        size = fit(canvas, text, 0.7, w - 2 * pw - 100)
        half = text_width(canvas, text, size) // 2 + 16
        shade(canvas, w // 2 - half, y, w // 2 + half, y + 44, 0.55)
        draw_text(canvas, text, (w // 2, y + 22), size, WHITE, anchor="center", outline=False)


def _hold_screen(canvas: np.ndarray, pts: np.ndarray | None, screen: Screen) -> None:
    s, state = screen.settings, screen.state
    target = s.hold_target_s
    y = _title_band(canvas, "Hold: lift a leg out to the side and keep it up",
                    f"target {target:.0f}-{2 * target:.0f} s; the timer runs while the leg is "
                    f"above {s.rep_up_deg:g} deg")
    y = _advice(canvas, y, screen.issues, None) + 14
    if state is None:
        return
    pw, ph = 290, 190
    for i, leg in enumerate(("left", "right")):
        x = _leg_panel_x(canvas, pts, leg, screen.mirrored, pw)
        _leg_panel(canvas, x, y, pw, ph, leg)
        held, best = state.hold_s[i], state.best_hold_s[i]
        up = state.leg_up[i]
        draw_text(canvas, f"best {best:.1f} s", (x + pw - 16, y + 40), 0.6, GREY,
                  anchor="right", outline=False)
        colour = (GREEN if held >= target else WHITE) if up else GREY
        draw_text(canvas, f"{held:.1f} s" if up else "down", (x + 16, y + 106), 1.6, colour,
                  outline=False)
        # A bar to twice the target: a tick at the target, a white mark at the best hold.
        bx0, bx1, by = x + 16, x + pw - 16, y + 128
        full = 2 * target
        cv2.rectangle(canvas, (bx0, by), (bx1, by + 14), DARK, -1)
        fill = bx0 + int((bx1 - bx0) * min(held if up else 0.0, full) / full)
        cv2.rectangle(canvas, (bx0, by), (fill, by + 14), GREEN if held >= target else AMBER, -1)
        best_x = bx0 + int((bx1 - bx0) * min(best, full) / full)
        cv2.line(canvas, (best_x, by - 4), (best_x, by + 18), WHITE, 2)
        mid = (bx0 + bx1) // 2
        cv2.line(canvas, (mid, by - 6), (mid, by + 20), GREY, 2)
        for xx, text in ((bx0, "0"), (mid, f"{target:.0f}"), (bx1, f"{full:.0f} s")):
            shift = 0 if xx == bx0 else text_width(canvas, text, 0.5) // (2 if xx == mid else 1)
            draw_text(canvas, text, (xx - shift, by + 42), 0.5, GREY, outline=False)


def render(frame: np.ndarray, screen: Screen) -> np.ndarray:
    """The displayed image for camera ``frame`` (unmirrored BGR) and ``screen``."""
    canvas, k, x0 = to_display(frame, screen.mirrored)
    state = screen.state
    pts = shown_points(state.image if state is not None else None, k,
                       round(frame.shape[1] * k), screen.mirrored, x0)
    result_shown = (screen.mode == "stance" and screen.guide is not None
                    and screen.guide.step == Step.RESULT)
    if not result_shown:
        _body(canvas, pts, screen)
    if screen.mode == "stance":
        _stance_screen(canvas, pts, screen)
    elif screen.mode == "reps":
        _reps_screen(canvas, pts, screen)
    elif screen.mode == "squat":
        from hipdrop.live.squat_screen import draw_squat_screen  # it builds on this module

        draw_squat_screen(canvas, screen)
    elif screen.mode == "bump":
        pass  # the hip bump drill: its count is the footer's (Coach.footer)
    else:
        _hold_screen(canvas, pts, screen)
    _footer(canvas, screen)
    return canvas
