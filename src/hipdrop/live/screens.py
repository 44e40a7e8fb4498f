"""Drawing the live window: the guided test's steps, the reps and hold screens, the result.

:func:`render` turns a camera frame and a :class:`Screen` (what to show) into the image the
window displays, at the window's own size: the frame is scaled to fit it (letterboxed in the
background colour, never stretched), mirrored if asked, and every text is sized from the
window (:mod:`hipdrop.reports.panels`), so a person 2-3 m away reads it at any window size.
Text panels are placed off the person's body (:mod:`hipdrop.reports.layout`) and move when the
person does. Landmarks are scaled and mirrored with the frame; every label names the person's
anatomical side. Nothing here measures anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from hipdrop.core.landmarks import L_ANKLE, L_HIP, R_ANKLE, R_HIP
from hipdrop.core.reps import Rep
from hipdrop.core.squat import SquatTracker
from hipdrop.core.tiers import MARKERS, WAIST
from hipdrop.core.verdict import COMPENSATED, DROP, INCONCLUSIVE, LEVEL, SOURCE_WORDS, level_words
from hipdrop.live.guide import GuidedResult, GuideView, Issue, Step
from hipdrop.pipeline.stream import FrameState
from hipdrop.reports.layout import Box, person_box
from hipdrop.reports.overlay import (
    AMBER,
    BLACK,
    GREEN,
    GREY,
    LEFT_COLOUR,
    RIGHT_COLOUR,
    WHITE,
    draw_hip_line,
    draw_skeleton,
    hip_colour,
    mirror_points,
)
from hipdrop.reports.panels import (
    SOFT,
    Drawn,
    Line,
    Panel,
    Typeset,
    cap_px,
    draw_panel,
    lay_out,
    put_text,
    shade,
    text_size,
    typeset,
    ui_scale,
)
from hipdrop.settings import Settings

DISPLAY_HEIGHT = 720  # the canvas without a window to fit (tests, a first frame)
DISPLAY_MIN_WIDTH = 960  # 4:3 at 720 px: narrower frames are pillarboxed
PILLAR = (24, 24, 24)  # the background: letterbox and pillarbox bars, the loading screen
SIDE_COLOUR = {"left": LEFT_COLOUR, "right": RIGHT_COLOUR}
DARK = (40, 40, 40)
NOTE = (235, 206, 135)  # the guide's advice: light blue plate, dark text
# A drop is a finding, not a fault: amber, never the red of an error.
VERDICT_WORDS = {DROP: ("DROP", AMBER), COMPENSATED: ("COMPENSATED", AMBER),
                 LEVEL: ("NO DROP", GREEN), INCONCLUSIVE: ("CAN'T TELL", SOFT)}
STEP_NUMBER = {Step.READY: 1, Step.BASELINE: 2, Step.LIFT: 3, Step.HOLD: 4, Step.RESULT: 5}
MODE_NAMES = {"stance": "single-leg stance test", "reps": "reps", "hold": "hold",
              "squat": "squats"}


def _readable_drop(state: FrameState | None, settings: Settings) -> float:
    """The live drop where hipdrop stands behind it: read from stickers or a waistband and
    within what a pelvis can do; NaN otherwise (the pose model's hip points alone are not
    shown as a number)."""
    if state is None or state.drop_source not in (MARKERS, WAIST):
        return math.nan
    drop = state.drop_deg
    return drop if math.isfinite(drop) and abs(drop) <= settings.max_plausible_drop_deg else math.nan


KEYS_HELP = "SPACE next   R restart   M mirror   V voice   F full screen   Q quit"
RESULT_KEYS = "SPACE new test   M mirror   V voice   F full screen   Q quit"
COUNTER_KEYS = "R restart   M mirror   V voice   F full screen   Q quit"  # no steps to go through


@dataclass
class Hud:
    """Throughput figures shown in a corner."""

    fps: float = math.nan
    latency_ms: float = math.nan  # capture -> result, recent median


@dataclass
class Screen:
    """Everything one displayed frame shows.

    ``memory`` (panel name -> last frame's box), kept by the caller from frame to frame, holds
    the panels still while the person moves within the space left to them.
    """

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
    memory: dict[str, Box] | None = None
    squat: SquatTracker | None = None  # --mode squat: the counter (hipdrop.live.squat_screen)
    progress: str | None = None  # a counter mode's sets or holds ("Set 1 of 3: L 4/10 R 0/10")


def window_title(screen: Screen) -> str:
    """The window's title: the mode and, in the guided test, the step."""
    title = f"hipdrop - {MODE_NAMES.get(screen.mode, screen.mode)}"
    view = screen.guide
    if screen.mode == "stance" and view is not None:
        title += f" - step {STEP_NUMBER[view.step]} of {len(STEP_NUMBER)}: {view.title}"
    return title


# ---------------------------------------------------------------------------------------------
# Small helpers


def _whole(x: float) -> str:
    """A signed whole number of degrees; "0", not "-0"; "--" for NaN."""
    return "--" if not math.isfinite(x) else f"{round(x):+d}" if round(x) else "0"


def ring(frame: np.ndarray, centre: tuple[int, int], radius: int, progress: float,
         colour: tuple[int, int, int], thickness: int = 12) -> None:
    """A progress ring, full circle = 1, clockwise from the top."""
    cv2.circle(frame, centre, radius, DARK, thickness, cv2.LINE_AA)
    sweep = 360.0 * min(max(progress, 0.0), 1.0)
    if sweep > 0:
        cv2.ellipse(frame, centre, (radius, radius), -90.0, 0.0, sweep, colour, thickness,
                    cv2.LINE_AA)


def _centred(canvas: np.ndarray, text: str, cx: float, cy: float, cap: float,
             colour: tuple[int, int, int]) -> None:
    w = text_size(text, cap)[0]
    put_text(canvas, text, round(cx - w / 2), round(cy + cap / 2), cap, colour)


# ---------------------------------------------------------------------------------------------
# The frame and the body


def canvas_size(frame_shape: tuple[int, ...], size: tuple[int, int] | None) -> tuple[int, int]:
    """(width, height) of the canvas: ``size`` (the window's), or the frame at 720 px high and
    at least 960 px wide."""
    if size is not None:
        return max(1, int(size[0])), max(1, int(size[1]))
    h, w = frame_shape[:2]
    return max(round(w * DISPLAY_HEIGHT / h), DISPLAY_MIN_WIDTH), DISPLAY_HEIGHT


def to_display(frame: np.ndarray, mirrored: bool, size: tuple[int, int] | None = None
               ) -> tuple[np.ndarray, float, int, int]:
    """The camera frame scaled to fit the canvas (:func:`canvas_size`), flipped if
    ``mirrored``, centred on the background colour; the scale and the frame's offset.

    A portrait frame (a phone video) is pillarboxed, a wide window letterboxed: the bars are
    the dark background, never a light grey, and the panels may use them.
    """
    cw, ch = canvas_size(frame.shape, size)
    h, w = frame.shape[:2]
    k = min(cw / w, ch / h)
    sw, sh = min(cw, max(1, round(w * k))), min(ch, max(1, round(h * k)))
    shown = cv2.flip(frame, 1) if mirrored else frame  # flipped while small: cheaper
    if (sw, sh) != (w, h):
        shown = cv2.resize(shown, (sw, sh),
                           interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR)
    x0, y0 = (cw - sw) // 2, (ch - sh) // 2
    if (sw, sh) == (cw, ch):
        return (shown.copy() if shown is frame else shown), k, 0, 0
    canvas = cv2.copyMakeBorder(shown, y0, ch - sh - y0, x0, cw - sw - x0, cv2.BORDER_CONSTANT,
                                value=PILLAR)
    return canvas, k, x0, y0


def shown_points(points: np.ndarray | None, k: float, width: int, mirrored: bool, x0: int = 0,
                 y0: int = 0) -> np.ndarray | None:
    """(33, >=2) landmarks of the camera frame as drawn on the display (scaled, mirrored, and
    shifted by the frame's offset ``x0, y0`` on the canvas; ``width`` the scaled frame's
    width)."""
    if points is None or not np.isfinite(points[:, :2]).any():
        return None
    p = np.array(points[:, :2], dtype=np.float64) * k
    p = mirror_points(p, width) if mirrored else p
    p[:, 0] += x0
    p[:, 1] += y0
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
    obliquity = (state.obliquity_deg if state is not None and in_stance and math.isfinite(drop)
                 else math.nan)
    draw_hip_line(canvas, pts, hip_colour(in_stance, drop, screen.settings.drop_threshold_deg),
                  obliquity_deg=obliquity)


def _mark_foot(canvas: np.ndarray, pts: np.ndarray | None, foot: str, t: float) -> None:
    """A pulsing ring and an arrow at the foot the person is asked to lift."""
    if pts is None:
        return
    p = pts[L_ANKLE if foot == "left" else R_ANKLE]
    if not np.isfinite(p).all():
        return
    u = ui_scale(canvas.shape[1], canvas.shape[0])
    c = (int(p[0]), int(p[1]))
    r = int(u * (20 + 4 * math.sin(2 * math.pi * 1.5 * t)))
    colour = SIDE_COLOUR[foot]
    cv2.circle(canvas, c, r, BLACK, max(3, round(5 * u)), cv2.LINE_AA)
    cv2.circle(canvas, c, r, colour, max(2, round(3 * u)), cv2.LINE_AA)
    base, tip = (c[0], c[1] - r - round(6 * u)), (c[0], c[1] - r - round(55 * u))
    cv2.arrowedLine(canvas, base, tip, BLACK, max(4, round(7 * u)), cv2.LINE_AA, tipLength=0.35)
    cv2.arrowedLine(canvas, base, tip, colour, max(2, round(4 * u)), cv2.LINE_AA,
                    tipLength=0.35)


# ---------------------------------------------------------------------------------------------
# Panels common to the screens


def _title(title: str, detail: str) -> Panel:
    lines = [Line(title, "title", WHITE, "center")]
    if detail:
        lines.append(Line(detail, "body", SOFT, "center"))
    return Panel("title", lines, prefer=(0.5, 0.0))


def _advice(issues: list[Issue], note: str | None) -> list[Panel]:
    """Framing issues (amber) and the guide's note (light blue), dark text on each."""
    panels = [Panel(f"issue{i}", [Line(issue.text, "body", BLACK, "center")], prefer=(0.5, 0.0),
                    plate=AMBER, alpha=0.88) for i, issue in enumerate(issues[:2])]
    if note:
        panels.append(Panel("note", [Line(note, "body", BLACK, "center")], prefer=(0.5, 0.0),
                            plate=NOTE, alpha=0.88))
    return panels


def _footer(screen: Screen) -> list[Panel]:
    hud = screen.hud
    parts = []
    if math.isfinite(hud.fps):
        parts.append(f"{hud.fps:4.1f} fps")
    if math.isfinite(hud.latency_ms):
        parts.append(f"latency {hud.latency_ms:.0f} ms")
    parts.append("mirrored" if screen.mirrored else "not mirrored")
    # The sets' or holds' progress is read from across the room: body size, its own panel,
    # placed before the key help (which was all that carried it, and was the first left out).
    progress = ([Panel("progress", [Line(screen.progress, "body", WHITE)], prefer=(0.5, 1.0),
                       optional=True, wraps=(1.0, 0.6))] if screen.progress else [])
    return [*progress, Panel("keys", [Line(screen.footer, "small", SOFT)], prefer=(0.0, 1.0),
                  optional=True, wraps=(1.0, 0.5)),
            Panel("hud", [Line("   ".join(parts), "small", SOFT)], prefer=(1.0, 1.0),
                  optional=True, wraps=(1.0,))]


def _countdown(seconds: float, progress: float, colour: tuple[int, int, int]) -> Panel:
    """A ring with the seconds left."""

    def draw(canvas: np.ndarray, box: Box, u: float) -> None:
        thick = max(4, round(10 * u))
        radius = round(min(box.width, box.height) / 2 - thick / 2)
        centre = (round((box.x0 + box.x1) / 2), round((box.y0 + box.y1) / 2))
        ring(canvas, centre, radius, progress, colour, thick)
        cw, ch = canvas.shape[1], canvas.shape[0]
        _centred(canvas, f"{math.ceil(seconds - 1e-9):d}", centre[0], centre[1],
                 cap_px("big", cw, ch), WHITE)

    return Panel("countdown", [], prefer=(1.0, 0.0), graphic=(120.0, 120.0), draw=draw)


def _drop_panel(state: FrameState, settings: Settings) -> Panel:
    """The live contralateral pelvic drop, big, with the trunk lean under it."""
    lines = [Line("PELVIC DROP", "body", SOFT)]
    drop = _readable_drop(state, settings)
    if math.isfinite(drop):
        big = drop >= settings.drop_threshold_deg
        lines.append(Line(f"{drop:+.1f}", "big", AMBER if big else GREEN))  # "deg": below
        word = "toward the lifted leg" if big else (
            "level" if drop > -settings.drop_threshold_deg else "lifted side higher")
        lines.append(Line(f"deg, {word}", "body", SOFT))
        lines.append(Line(f"from {SOURCE_WORDS[state.drop_source].replace('your ', '')}",
                          "body", SOFT))
    elif state.stance is None:
        lines.append(Line("foot down", "title", SOFT))
    else:
        lines.append(Line("not readable", "title", AMBER))
        lines.append(Line("no waistband or stickers seen", "body", SOFT))
    lean = state.lean_change_deg
    if math.isfinite(lean):
        colour = AMBER if lean >= settings.lean_threshold_deg else SOFT
        lines.append(Line(f"trunk lean {_whole(lean)} deg", "body", colour))
    return Panel("drop", lines, prefer=(0.0, 0.0), min_width=190.0, wraps=(0.5, 0.36, 0.28))


# ---------------------------------------------------------------------------------------------
# Screens: each returns its panels, most important first


def _stance_panels(canvas: np.ndarray, pts: np.ndarray | None, screen: Screen) -> list[Panel]:
    view, state = screen.guide, screen.state
    if view is None:
        return []
    panels = [_title(view.title, view.detail), *_advice(view.issues, view.note)]
    if view.step == Step.LIFT and view.lift is not None and state is not None:
        _mark_foot(canvas, pts, view.lift, state.t)
    if view.countdown_s is not None and view.progress is not None:
        colour = SIDE_COLOUR[view.lift] if view.lift else GREEN
        panels.append(_countdown(view.countdown_s, view.progress, colour))
    if view.step == Step.HOLD and state is not None:
        panels.append(_drop_panel(state, screen.settings))
    return panels


def _dial(canvas: np.ndarray, centre: tuple[int, int], radius: int, angle: float,
          settings: Settings, colour: tuple[int, int, int], u: float) -> None:
    """A half-dial of 0-90 deg abduction with the rep thresholds marked."""
    span = 90.0
    thick = max(4, round(10 * u))

    def at(deg: float, r: float) -> tuple[int, int]:
        a = math.radians(180.0 - 180.0 * min(max(deg, 0.0), span) / span)
        return int(centre[0] + r * math.cos(a)), int(centre[1] - r * math.sin(a))

    def arc(lo: float, hi: float, c: tuple[int, int, int]) -> None:
        a0, a1 = 180.0 + 180.0 * lo / span, 180.0 + 180.0 * hi / span
        cv2.ellipse(canvas, centre, (radius, radius), 0.0, a0, a1, c, thick, cv2.LINE_AA)

    arc(0, settings.rep_down_deg, GREY)
    arc(settings.rep_down_deg, settings.rep_up_deg, AMBER)
    arc(settings.rep_up_deg, span, GREEN)
    for deg in (settings.rep_down_deg, settings.rep_up_deg):
        cv2.line(canvas, at(deg, radius - thick), at(deg, radius + thick), WHITE, 2, cv2.LINE_AA)
    if math.isfinite(angle):
        cv2.line(canvas, centre, at(angle, radius - 4), BLACK, max(4, round(6 * u)), cv2.LINE_AA)
        cv2.line(canvas, centre, at(angle, radius - 4), colour, max(2, round(3 * u)),
                 cv2.LINE_AA)
    cv2.circle(canvas, centre, max(3, round(6 * u)), WHITE, -1, cv2.LINE_AA)


def _leg_prefer(pts: np.ndarray | None, leg: str, mirrored: bool) -> tuple[float, float]:
    return (0.0 if screen_side(pts, leg, mirrored) == "left" else 1.0), 0.0


def _reps_panels(pts: np.ndarray | None, screen: Screen) -> list[Panel]:
    s, state = screen.settings, screen.state
    top = [_title("Reps: lift a leg out to the side", "then bring it back down"),
           *_advice(screen.issues, None)]
    if state is None:
        return top
    panels: list[Panel] = []
    for i, leg in enumerate(("left", "right")):
        angle = state.abduction_deg[i]
        colour = GREEN if state.leg_up[i] else WHITE

        def dial(canvas: np.ndarray, box: Box, u: float, angle: float = angle,
                 colour: tuple[int, int, int] = colour) -> None:
            radius = round(min(box.width / 2, box.height - 6 * u))
            centre = (round((box.x0 + box.x1) / 2), round(box.y1 - 4 * u))
            _dial(canvas, centre, radius, angle, s, colour, u)

        # Out from where the leg rests: a few degrees "inward" at rest is noise, not a position
        # to show a person (it read -3 and "-0" beside a leg lying still).
        label = f"{max(round(angle), 0)} deg" if math.isfinite(angle) else "-- deg"
        panels.append(Panel(f"leg-{leg}", [Line(f"{leg.upper()} leg", "body", WHITE),
                                           Line(str(state.reps[i]), "big", WHITE, "center"),
                                           Line(label, "body", colour, "center")],
                            prefer=_leg_prefer(pts, leg, screen.mirrored),
                            accent=SIDE_COLOUR[leg], graphic=(150.0, 64.0), draw=dial,
                            wraps=(0.3,)))
    rep = screen.last_rep
    if rep is not None:
        panels.append(Panel("last-rep", [Line(f"last rep: {rep.leg.upper()} leg, "
                                              f"{rep.peak_deg:.0f} deg", "body")],
                            prefer=(0.5, 1.0), optional=True, wraps=(1.0, 0.5)))
    return panels[:2] + top + panels[2:]  # the legs' panels keep their sides


def _hold_panels(pts: np.ndarray | None, screen: Screen) -> list[Panel]:
    s, state = screen.settings, screen.state
    target = s.hold_target_s
    top = [_title("Hold: lift a leg out to the side", f"and keep it up {target:.0f} s"),
           *_advice(screen.issues, None)]
    if state is None:
        return top
    panels: list[Panel] = []
    for i, leg in enumerate(("left", "right")):
        held, best, up = state.hold_s[i], state.best_hold_s[i], state.leg_up[i]

        def bar(canvas: np.ndarray, box: Box, u: float, held: float = held,
                best: float = best, up: bool = up) -> None:
            # A bar to twice the target: a tick at the target, a white mark at the best hold.
            bx0, bx1 = round(box.x0), round(box.x1)
            by0, by1 = round(box.y0 + 4 * u), round(box.y1 - 4 * u)
            full = 2 * target
            cv2.rectangle(canvas, (bx0, by0), (bx1, by1), DARK, -1)
            fill = bx0 + int((bx1 - bx0) * min(held if up else 0.0, full) / full)
            cv2.rectangle(canvas, (bx0, by0), (fill, by1), GREEN if held >= target else AMBER,
                          -1)
            best_x = bx0 + int((bx1 - bx0) * min(best, full) / full)
            cv2.line(canvas, (best_x, by0 - 3), (best_x, by1 + 3), WHITE, max(2, round(2 * u)))
            mid = (bx0 + bx1) // 2
            cv2.line(canvas, (mid, by0 - 5), (mid, by1 + 5), SOFT, max(2, round(2 * u)))

        colour = (GREEN if held >= target else WHITE) if up else SOFT
        panels.append(Panel(f"leg-{leg}", [Line(f"{leg.upper()} leg", "body", WHITE),
                                           Line(f"{held:.1f} s" if up else "down", "big",
                                                colour),
                                           Line(f"best {best:.1f} s", "body", SOFT)],
                            prefer=_leg_prefer(pts, leg, screen.mirrored),
                            accent=SIDE_COLOUR[leg], graphic=(150.0, 22.0), draw=bar,
                            wraps=(0.3,)))
    return panels + top  # the legs' panels keep their sides


# ---------------------------------------------------------------------------------------------
# The result


_WHY = {DROP: "the pelvis dropped toward the lifted leg",
        COMPENSATED: "pelvis level, but the trunk leaned over the leg",
        LEVEL: "the pelvis stayed level"}


def _result_lines(side: str, result: GuidedResult, settings: Settings) -> list[Line]:
    sv = getattr(result.verdict, side)
    phase = result.phases.get(side)
    word, colour = VERDICT_WORDS.get(sv.code, ("NOT TESTED", SOFT))
    lines = [Line(f"Standing on {side.upper()} leg", "body", WHITE), Line(word, "title", colour)]
    if sv.code == INCONCLUSIVE:  # the reason, in full: it says what to change for the retest
        return [*lines, Line((sv.reason or "").capitalize(), "body", WHITE)]
    why = _WHY.get(sv.code, "no hold on this leg" if phase is None else "hips not seen well")
    level = level_words(sv.interval_deg, settings.drop_threshold_deg)
    if sv.code == LEVEL:  # as the printed verdict says it: a hike is not "level"
        why = f"the pelvis {level}"
    elif sv.code == COMPENSATED and level != "stayed level":
        why = "the pelvis did not drop (it hiked), but the trunk leaned over the leg"
    if sv.code == DROP:  # what it means, in the words of the printed summary
        why = f"dropped toward the lifted leg: a weak {side.upper()} gluteus medius"
    lines.append(Line(why, "body", WHITE))
    if phase is None:
        return lines
    short = sv.longest_hold_s < settings.hold_target_s
    lo, hi = sv.interval_deg
    source = SOURCE_WORDS.get(sv.source or "", "").replace("your ", "")
    rows = [(f"drop {sv.peak_drop_deg:+.1f} deg (90%: {lo:+.1f} to {hi:+.1f})", WHITE),
            (f"trunk lean {_whole(phase.peak_lean_change_deg)} deg",
             AMBER if phase.peak_lean_change_deg >= settings.lean_threshold_deg else SOFT),
            (f"held {sv.longest_hold_s:.0f} of {settings.hold_target_s:.0f} s"
             + (": incomplete" if short else ""), AMBER if short else SOFT),
            (f"read from {source}", SOFT)]
    return lines + [Line(t.replace("+nan", "--").replace("nan", "--"), "body", c)
                    for t, c in rows]


def _result_screen(canvas: np.ndarray, result: GuidedResult, settings: Settings) -> list[Drawn]:
    """Two columns (one a stance leg), the comparison and what to do, the disclaimer; laid out
    in proportion to the canvas, the video darkened under it, made smaller (to 70%) where it
    would not fit the height."""
    ch, cw = canvas.shape[:2]
    shade(canvas, 0, 0, cw, ch, 0.8)
    for zoom in (1.0, 0.9, 0.8, 0.7):
        plan = _result_plan(cw, ch, result, settings, zoom)
        if plan[-1][1].y1 <= ch:
            break
    drawn = []
    for panel, box, ts in plan:
        draw_panel(canvas, panel, box, ts)
        drawn.append(Drawn(panel.name, box, box.y1 <= ch, [(t, c) for t, c, _, _ in ts.lines]))
    return drawn


def _result_plan(cw: int, ch: int, result: GuidedResult, settings: Settings, zoom: float
                 ) -> list[tuple[Panel, Box, Typeset]]:
    margin = round(0.8 * cap_px("body", cw, ch) * zoom)
    head = Panel("result-title", [Line("Single-leg stance test", "title", WHITE, "center")],
                 alpha=0.0)
    ts = typeset(head, (cw, ch), 1.0, zoom=zoom)
    plan = [(head, Box(0, margin / 2, cw, margin / 2 + ts.height), ts)]
    y = plan[0][1].y1
    col_w = (cw - 3 * margin) / 2
    bottom = y
    for i, side in enumerate(("left", "right")):
        col = Panel(f"result-{side}", _result_lines(side, result, settings), plate=DARK,
                    alpha=0.6, accent=SIDE_COLOUR[side])
        ts = typeset(col, (cw, ch), col_w / cw, zoom=zoom)
        x0 = margin + i * (col_w + margin)
        plan.append((col, Box(x0, y, x0 + col_w, y + ts.height), ts))
        bottom = max(bottom, y + ts.height)
    words = " ".join(t for t in (result.comparison, result.verdict.advice) if t)
    foot = Panel("result-advice", [Line(words, "body", WHITE),
                                   Line("A self-assessment aid, not a diagnosis: see a "
                                        "physiotherapist or doctor about pain.", "small", SOFT)],
                 alpha=0.0)
    ts = typeset(foot, (cw, ch), 1.0 - 2 * margin / cw, zoom=zoom)
    plan.append((foot, Box(margin, bottom, cw - margin, bottom + ts.height), ts))
    return plan


# ---------------------------------------------------------------------------------------------


@dataclass
class Rendered:
    """A displayed image and what is on it (for tests and screenshots)."""

    image: np.ndarray
    panels: list[Drawn]
    person: Box | None  # the rectangle kept clear of text
    points: np.ndarray | None  # (33, 2) landmarks as drawn, canvas px


def render_layout(frame: np.ndarray, screen: Screen, size: tuple[int, int] | None = None
                  ) -> Rendered:
    """:func:`render`, with the panels placed and the box of the person they avoid."""
    canvas, k, x0, y0 = to_display(frame, screen.mirrored, size)
    state = screen.state
    pts = shown_points(state.image if state is not None else None, k,
                       round(frame.shape[1] * k), screen.mirrored, x0, y0)
    ch, cw = canvas.shape[:2]
    if (screen.mode == "stance" and screen.guide is not None
            and screen.guide.step == Step.RESULT and screen.result is not None):
        drawn = _result_screen(canvas, screen.result, screen.settings)
        return Rendered(canvas, drawn, None, pts)
    _body(canvas, pts, screen)
    if screen.mode == "stance":
        panels = _stance_panels(canvas, pts, screen)
    elif screen.mode == "reps":
        panels = _reps_panels(pts, screen)
    elif screen.mode == "squat":
        from hipdrop.live.squat_screen import squat_panels  # it builds on this module

        panels = squat_panels(screen)
    elif screen.mode == "bump":
        panels = []  # the hip bump drill: its count is the footer's (Coach.footer)
    else:
        panels = _hold_panels(pts, screen)
    person = person_box(pts, cw, ch)
    drawn = lay_out(canvas, [*panels, *_footer(screen)], [person] if person else [],
                    screen.memory)
    return Rendered(canvas, drawn, person, pts)


def render(frame: np.ndarray, screen: Screen, size: tuple[int, int] | None = None
           ) -> np.ndarray:
    """The displayed image for camera ``frame`` (unmirrored BGR) and ``screen``, ``size``
    (width, height) px: the window's (default: the frame at 720 px high)."""
    return render_layout(frame, screen, size).image


def loading_screen(size: tuple[int, int], mode: str,
                   what: str = "Loading the pose model") -> np.ndarray:
    """What the window shows while the model loads: the background, the mode, what is
    happening and what to do meanwhile, at the window's size."""
    cw, ch = size
    canvas = np.empty((ch, cw, 3), np.uint8)
    canvas[:] = PILLAR
    lines = [Line("hipdrop", "big", WHITE, "center"),
             Line(MODE_NAMES.get(mode, mode), "title", SOFT, "center"),
             Line(f"{what} ...", "body", WHITE, "center"),
             Line("Meanwhile: stand 2-3 m from the camera, whole body in view", "body", SOFT,
                  "center")]
    panel = Panel("loading", lines, plate=DARK, alpha=1.0, wraps=(0.8,))
    ts = typeset(panel, (cw, ch), 0.8)
    w, h = min(ts.width, cw), min(ts.height, ch)
    box = Box((cw - w) / 2, (ch - h) / 2, (cw + w) / 2, (ch + h) / 2)
    draw_panel(canvas, panel, box, ts)
    return canvas

