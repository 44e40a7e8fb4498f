"""The live squat screen (``hipdrop live --mode squat``): the count and each rep's shift.

The reps screen's pattern (:mod:`hipdrop.live.screens`): the title band, the framing advice,
a panel with the count, a gauge of how far down the person is, and the last rep in words.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from hipdrop.core.squat import ENTER, EXIT, SquatRep, SquatTracker
from hipdrop.live.screens import (
    AMBER,
    DARK,
    GREEN,
    GREY,
    WHITE,
    Screen,
    _advice,
    _title_band,
    draw_text,
    fit,
    shade,
)

SIDE_WORDS = {"left": "toward your LEFT", "right": "toward your RIGHT", "even": "even"}


def rep_words(rep: SquatRep) -> str:
    """The last rep in words: depth and shift (the side is the person's own)."""
    depth = f"{rep.depth_deg:.0f} deg deep" if math.isfinite(rep.depth_deg) else "depth --"
    if not math.isfinite(rep.lateral_shift_pct) or rep.shift_side is None:
        return f"last squat: {depth}; shift not measured ({rep.reason})"
    return (f"last squat: {depth}; pelvis {abs(rep.lateral_shift_pct):.0f}% of hip width "
            f"{SIDE_WORDS[rep.shift_side]}")


def draw_squat_screen(canvas: np.ndarray, screen: Screen) -> None:
    """Draw the squat counter onto ``canvas`` (the displayed BGR image), in place."""
    tracker: SquatTracker | None = screen.squat
    y = _title_band(canvas, "Squats: face the camera, feet planted",
                    "counted when your hips go down and come back up; the pelvis's shift "
                    "sideways is measured at the bottom")
    y = _advice(canvas, y, screen.issues, None) + 14
    if tracker is None or screen.state is None:
        return
    x, pw, ph = 24, 300, 200
    shade(canvas, x, y, x + pw, y + ph, 0.55)
    draw_text(canvas, "SQUATS", (x + 16, y + 40), 0.75, WHITE, outline=False)
    draw_text(canvas, str(len(tracker.reps)), (x + pw - 16, y + 70), 2.2, WHITE, anchor="right",
              outline=False)
    # A bar of how far down the hips are: ticks where a squat counts and where it ends.
    u = tracker.lowering
    bx0, bx1, by = x + 16, x + pw - 16, y + 120
    full = 0.4
    cv2.rectangle(canvas, (bx0, by), (bx1, by + 16), DARK, -1)
    if math.isfinite(u):
        fill = bx0 + int((bx1 - bx0) * min(max(u, 0.0), full) / full)
        cv2.rectangle(canvas, (bx0, by), (fill, by + 16), GREEN if u > ENTER else AMBER, -1)
    for mark in (EXIT, ENTER):
        mx = bx0 + int((bx1 - bx0) * mark / full)
        cv2.line(canvas, (mx, by - 6), (mx, by + 22), GREY, 2)
    draw_text(canvas, "down", (bx0, by + 46), 0.5, GREY, outline=False)
    if tracker.reps:
        text = rep_words(tracker.reps[-1])
        w = canvas.shape[1]
        size = fit(canvas, text, 0.7, w - pw - 90)
        shade(canvas, x + pw + 20, y, w - 24, y + 44, 0.55)
        draw_text(canvas, text, (x + pw + 36, y + 22), size, WHITE, outline=False)
