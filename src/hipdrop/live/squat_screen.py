"""The live squat screen (``hipdrop live --mode squat``): the count and each rep's shift.

The reps screen's pattern (:mod:`hipdrop.live.screens`): the title, the framing advice, a
panel with the count and a gauge of how far down the person is, and the last rep in words; all
panels, placed off the body.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from hipdrop.core.squat import ENTER, EXIT, SquatRep, SquatTracker
from hipdrop.live.screens import AMBER, DARK, GREEN, WHITE, Screen, _advice, _title
from hipdrop.reports.layout import Box
from hipdrop.reports.panels import SOFT, Line, Panel

SIDE_WORDS = {"left": "toward your LEFT", "right": "toward your RIGHT", "even": "even"}


def rep_words(rep: SquatRep) -> str:
    """The last rep in words: depth and shift (the side is the person's own)."""
    depth = f"{rep.depth_deg:.0f} deg deep" if math.isfinite(rep.depth_deg) else "depth --"
    if not math.isfinite(rep.lateral_shift_pct) or rep.shift_side is None:
        return f"last squat: {depth}; shift not measured ({rep.reason})"
    return (f"last squat: {depth}; pelvis {abs(rep.lateral_shift_pct):.0f}% of hip width "
            f"{SIDE_WORDS[rep.shift_side]}")


def squat_panels(screen: Screen) -> list[Panel]:
    """The squat counter's panels, most important first (placed off the body by
    :func:`hipdrop.live.screens.render`)."""
    tracker: SquatTracker | None = screen.squat
    top = [_title("Squats: face the camera", "hips down, then back up"),
           *_advice(screen.issues, None)]
    if tracker is None or screen.state is None:
        return top
    lowering = tracker.lowering

    def bar(canvas: np.ndarray, box: Box, u: float) -> None:
        # How far down the hips are: ticks where a squat counts and where it ends.
        bx0, bx1 = round(box.x0), round(box.x1)
        by0, by1 = round(box.y0 + 4 * u), round(box.y1 - 4 * u)
        full = 0.4
        cv2.rectangle(canvas, (bx0, by0), (bx1, by1), DARK, -1)
        if math.isfinite(lowering):
            fill = bx0 + int((bx1 - bx0) * min(max(lowering, 0.0), full) / full)
            cv2.rectangle(canvas, (bx0, by0), (fill, by1),
                          GREEN if lowering > ENTER else AMBER, -1)
        for mark in (EXIT, ENTER):
            mx = bx0 + int((bx1 - bx0) * mark / full)
            cv2.line(canvas, (mx, by0 - 5), (mx, by1 + 5), SOFT, max(2, round(2 * u)))

    panels = [Panel("squats", [Line("SQUATS", "body", WHITE),
                               Line(str(len(tracker.reps)), "big", WHITE, "center"),
                               Line("how far down", "body", SOFT)],
                    prefer=(0.0, 0.0), graphic=(150.0, 22.0), draw=bar, wraps=(0.3,)), *top]
    if tracker.reps:
        panels.append(Panel("last-squat", [Line(rep_words(tracker.reps[-1]), "body")],
                            prefer=(0.5, 1.0), optional=True, wraps=(1.0, 0.6, 0.4)))
    return panels
