"""Text for a person 2-3 m away: the type scale, dark plates, and text panels placed off the body.

One set of sizes for every canvas (the live window at whatever size it has, the annotated
video at the source's size), scaled from the canvas and never from the camera frame.

Type scale (cap height, px, on a 640x480 canvas; ``scale = min(w / 640, h / 480)`` elsewhere):

====== ==== =====================================================================
role    px  for
====== ==== =====================================================================
big     44  the numbers the person watches: countdown, the drop, the rep count
title   28  the instruction ("Lift your RIGHT foot")
body    20  every other line the person reads (details, advice, panel labels)
small   14  the key help and throughput, for whoever is at the keyboard
====== ==== =====================================================================

Why these heights: a 640x480 picture filling the height of a 14-inch 16:9 laptop screen
(17.4 cm tall) has 0.36 mm pixels; seen from 2.5 m, one arcminute is 0.73 mm, so 2 px. A
6/6 (20/20) eye resolves a capital 5 arcmin tall (10 px), and reads fluently only from about
twice its threshold size (the critical print size, Legge et al. 1985), so ``body`` text is
20 px = 10 arcmin, fluent for normal vision; ``title`` (14 arcmin) and ``big`` (22 arcmin) stay
fluent for 6/12 (20/40, the UK driving standard and common after 60), whose threshold is
10 arcmin. ``small`` is read at arm's length (0.6 m: 14 px = 30 arcmin). A bigger window
scales every size up with it; on a smaller canvas than 640x480 they shrink in proportion.

Contrast: all text sits on a dark translucent plate (black at 72%: a white wall behind it
reads about 71/255, so white text keeps a contrast ratio above 7:1), so light scenes never
carry grey or white text directly.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from hipdrop.reports.layout import Box, Placement, place_panels

FONT = cv2.FONT_HERSHEY_DUPLEX
CAP_PER_FONT_SCALE = 20.0  # HERSHEY_DUPLEX: a capital is 20 px tall at fontScale 1
CAP_AT_480 = {"big": 44.0, "title": 28.0, "body": 20.0, "small": 14.0}
SMALLER = {"big": "title", "title": "body", "body": "body", "small": "small"}
REFERENCE = (640, 480)
PLATE_ALPHA = 0.72

WHITE, BLACK = (255, 255, 255), (0, 0, 0)
SOFT = (215, 215, 215)  # secondary text: only ever on a dark plate


def ui_scale(width: int, height: int) -> float:
    """1.0 on a 640x480 canvas, in proportion to the limiting side elsewhere."""
    return min(width / REFERENCE[0], height / REFERENCE[1])


def cap_px(role: str, width: int, height: int) -> float:
    """Cap height (px) of text of ``role`` (see the module's table) on a canvas."""
    return CAP_AT_480[role] * ui_scale(width, height)


def font_of(cap: float) -> tuple[float, int]:
    """OpenCV fontScale and stroke thickness for capitals ``cap`` px tall."""
    s = cap / CAP_PER_FONT_SCALE
    return s, max(1, round(cap / 11.0))


@functools.lru_cache(maxsize=4096)
def text_size(text: str, cap: float) -> tuple[int, int]:
    """(width, cap height) in px of ``text`` drawn with capitals ``cap`` px tall (cached: a
    frame measures every line of every panel at several widths)."""
    s, thick = font_of(cap)
    (w, _), _ = cv2.getTextSize(text, FONT, s, thick)
    return w, round(cap)


def put_text(canvas: np.ndarray, text: str, x: int, baseline: int, cap: float,
             colour: tuple[int, int, int], outline: bool = False) -> None:
    """``text`` with its baseline at ``baseline``, starting at ``x``."""
    s, thick = font_of(cap)
    if outline:
        cv2.putText(canvas, text, (x, baseline), FONT, s, BLACK, thick + 2, cv2.LINE_AA)
    cv2.putText(canvas, text, (x, baseline), FONT, s, colour, thick, cv2.LINE_AA)


def shade(frame: np.ndarray, x0: int, y0: int, x1: int, y1: int, alpha: float = PLATE_ALPHA,
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


@dataclass
class Line:
    """One line of a panel (wrapped to the panel's width when it is too long)."""

    text: str
    role: str = "body"
    colour: tuple[int, int, int] = WHITE
    align: str = "left"  # or "center"


@dataclass
class Panel:
    """Lines of text on a dark plate, optionally with a drawing under them.

    ``graphic`` (width, height) at scale 1 and ``draw`` (canvas, box, scale) paint a dial, a
    ring or a bar in the box under the text. ``prefer`` is where the panel would go on an empty
    canvas (:func:`hipdrop.reports.layout.place_panels`); an ``optional`` panel is left out
    where it cannot be placed clear of the person.
    """

    name: str
    lines: list[Line]
    prefer: tuple[float, float] = (0.0, 0.0)
    accent: tuple[int, int, int] | None = None  # a strip of colour along the top
    plate: tuple[int, int, int] = BLACK
    alpha: float = PLATE_ALPHA  # a coloured plate (dark text on amber) is made more opaque
    optional: bool = False
    graphic: tuple[float, float] | None = None
    draw: Callable[[np.ndarray, Box, float], None] | None = None
    min_width: float = 0.0  # at scale 1
    wraps: Sequence[float] = (1.0, 0.55, 0.4, 0.3)  # text widths tried, of the canvas width
    demote: bool = True  # where no width fits, try again a size smaller (title -> body)


@dataclass
class Typeset:
    """A panel's lines wrapped to one width: what to draw and the size it takes."""

    lines: list[tuple[str, float, tuple[int, int, int], str]]  # text, cap px, colour, align
    width: float
    height: float
    pad: float
    leading: float


def _wrap(text: str, cap: float, width: float) -> list[str]:
    """``text`` in lines no wider than ``width`` px, as measured (a word longer than that
    gets a line of its own). Groups set apart by three spaces ("R restart   Q quit") are
    kept whole where they fit."""
    sep = "   " if "   " in text else " "
    lines: list[str] = []
    for piece in text.split(sep):
        if not piece.strip():
            continue
        if lines and text_size(f"{lines[-1]}{sep}{piece}", cap)[0] <= width:
            lines[-1] = f"{lines[-1]}{sep}{piece}"
        elif sep != " " and text_size(piece, cap)[0] > width:
            lines.extend(_wrap(piece, cap, width))
        else:
            lines.append(piece.strip())
    return lines or [""]


def typeset(panel: Panel, canvas: tuple[int, int], fraction: float, demoted: bool = False,
            zoom: float = 1.0) -> Typeset:
    """``panel``'s lines wrapped to ``fraction`` of the canvas width (less the padding);
    ``demoted``: each line a size smaller (never below ``body``); ``zoom`` scales every size
    (a full-screen text that must fit the height)."""
    cw, ch = canvas
    u = ui_scale(cw, ch) * zoom
    body = cap_px("body", cw, ch) * zoom
    pad, leading = 0.6 * body, 0.55
    limit = max(fraction * cw - 2 * pad, 4 * body)
    lines = []
    for line in panel.lines:
        cap = cap_px(SMALLER[line.role] if demoted else line.role, cw, ch) * zoom
        for part in _wrap(line.text, cap, limit):
            lines.append((part, cap, line.colour, line.align))
    widths = [text_size(t, cap)[0] for t, cap, _, _ in lines]
    width = max([*widths, panel.min_width * u, 0.0]) + 2 * pad
    height = 2 * pad + sum(cap * (1 + leading) for _, cap, _, _ in lines) - (
        leading * lines[-1][1] if lines else 0.0)
    if panel.graphic is not None:
        gw, gh = panel.graphic
        width = max(width, gw * u + 2 * pad)
        height += gh * u + (pad if lines else 0.0)
    if panel.accent is not None:
        height += 0.25 * body
    return Typeset(lines, width, height, pad, leading)


def draw_panel(canvas: np.ndarray, panel: Panel, box: Box, ts: Typeset) -> None:
    """The plate, the accent strip, the lines and the graphic of ``panel`` in ``box``."""
    x0, y0, x1, y1 = box.ints()
    shade(canvas, x0, y0, x1, y1, panel.alpha, panel.plate)
    ch, cw = canvas.shape[:2]
    top = y0 + ts.pad
    if panel.accent is not None:
        strip = max(3, round(0.25 * cap_px("body", cw, ch)))
        cv2.rectangle(canvas, (x0, y0), (x1 - 1, y0 + strip - 1), panel.accent, -1)
        top += strip
    y = top
    for text, cap, colour, align in ts.lines:
        w = text_size(text, cap)[0]
        x = x0 + ts.pad if align == "left" else (x0 + x1 - w) / 2
        put_text(canvas, text, round(x), round(y + cap), cap, colour)
        y += cap * (1 + ts.leading)
    if panel.graphic is not None and panel.draw is not None:
        gy = y - (ts.leading * ts.lines[-1][1] if ts.lines else 0.0) + (ts.pad if ts.lines
                                                                         else 0.0)
        panel.draw(canvas, Box(x0 + ts.pad, gy, x1 - ts.pad, y1 - ts.pad),
                   ui_scale(cw, ch))


@dataclass
class Drawn:
    """A panel as placed on a canvas (for tests, and for the next frame's placement)."""

    name: str
    box: Box
    clear: bool
    lines: list[tuple[str, float]] = field(default_factory=list)  # text, cap px


def lay_out(canvas: np.ndarray, panels: Sequence[Panel], keep_clear: Sequence[Box],
            memory: dict[str, Box] | None = None) -> list[Drawn]:
    """Place ``panels`` (most important first) clear of ``keep_clear`` and draw them.

    ``memory`` (name -> last frame's box), updated in place, keeps a panel where it was while
    that stays clear. Optional panels that cannot be placed clear are left out. Returns what
    was drawn.
    """
    ch, cw = canvas.shape[:2]
    shapes, sets = [], []
    for p in panels:
        options = [typeset(p, (cw, ch), f) for f in p.wraps]
        if p.demote and any(SMALLER[line.role] != line.role for line in p.lines):
            options += [typeset(p, (cw, ch), f, demoted=True) for f in p.wraps]
        sets.append(options)
        shapes.append([(t.width, t.height) for t in options])
    previous = [memory.get(p.name) for p in panels] if memory is not None else None
    margin = max(4.0, 0.4 * cap_px("body", cw, ch))
    placements: list[Placement] = place_panels(
        shapes, (cw, ch), keep_clear, [p.prefer for p in panels], previous, margin=margin,
        gap=margin, step=max(6.0, 1.5 * margin))
    drawn = []
    for panel, options, where in zip(panels, sets, placements, strict=True):
        if panel.optional and not where.clear:
            continue
        ts = options[where.shape]
        draw_panel(canvas, panel, where.box, ts)
        drawn.append(Drawn(panel.name, where.box, where.clear,
                           [(t, cap) for t, cap, _, _ in ts.lines]))
    if memory is not None:
        memory.clear()
        memory.update({d.name: d.box for d in drawn})
    return drawn
