"""Drawing hipdrop's overlay on a frame: skeleton, hip line, side labels, text panels.

Shared by the annotated video and the live window; both place and size their text panels
with :mod:`hipdrop.reports.panels`. Each function draws in place on a BGR frame
and takes coordinates in that frame's pixels; a mirrored display flips the frame and the points
first (:func:`mirror_points`) and keeps the anatomical labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from hipdrop.core.landmarks import L_HIP, R_HIP, SKELETON
from hipdrop.reports.layout import Box, person_box
from hipdrop.reports.panels import SOFT, Line, Panel, lay_out

# BGR colours.
WHITE, BLACK = (255, 255, 255), (0, 0, 0)
GREY = (170, 170, 170)
GREEN = (80, 200, 60)
RED = (40, 40, 230)
AMBER = (0, 190, 255)
LEFT_COLOUR = (255, 160, 40)  # the person's left side: blue
RIGHT_COLOUR = (60, 140, 255)  # the person's right side: orange
FONT = cv2.FONT_HERSHEY_DUPLEX

# The person's left: eye and ear and mouth corner (1-3, 7, 9), then the odd indices from 11.
_LEFT_IDS = {1, 2, 3, 7, 9} | set(range(11, 33, 2))


def mirror_points(points: np.ndarray, width: int) -> np.ndarray:
    """(33, C) points as drawn on a horizontally flipped frame: x -> width - 1 - x.

    Indices keep their anatomical meaning (landmark 23 is still the person's left hip).
    """
    out = np.array(points, dtype=np.float64, copy=True)
    out[:, 0] = width - 1 - out[:, 0]
    return out


def scale_of(frame: np.ndarray) -> float:
    """Drawing scale: 1.0 for a 720-pixel-high frame."""
    return frame.shape[0] / 720.0


def _pt(p: np.ndarray) -> tuple[int, int]:
    return round(p[0]), round(p[1])


def draw_skeleton(frame: np.ndarray, points: np.ndarray) -> None:
    """Bones and joints of (33, >=2) ``points``; the person's left in blue, right in orange."""
    s = scale_of(frame)
    thick = max(2, round(3 * s))
    ok = np.isfinite(points[:, :2]).all(axis=1)
    for a, b in SKELETON:
        if ok[a] and ok[b]:
            colour = LEFT_COLOUR if a in _LEFT_IDS and b in _LEFT_IDS else (
                RIGHT_COLOUR if a not in _LEFT_IDS and b not in _LEFT_IDS else WHITE)
            cv2.line(frame, _pt(points[a]), _pt(points[b]), colour, thick, cv2.LINE_AA)
    for i in range(11, 33):
        if ok[i]:
            cv2.circle(frame, _pt(points[i]), max(3, round(4 * s)), WHITE, -1, cv2.LINE_AA)


def pelvis_line(points: np.ndarray, obliquity_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """The (left, right) ends of a hip line through the landmark hips' midpoint, as long as
    theirs, tilted to ``obliquity_deg`` (DESIGN.md's sign: + when the right hip is lower).

    With NaN, the landmark hips themselves: hipdrop's estimate replaces them only where it
    exists (in a stance phase).
    """
    left, right = points[L_HIP, :2].astype(np.float64), points[R_HIP, :2].astype(np.float64)
    if not np.isfinite(obliquity_deg):
        return left, right
    mid, half = 0.5 * (left + right), 0.5 * float(np.hypot(*(left - right)))
    facing = 1.0 if left[0] >= right[0] else -1.0  # the person's left on the image's right
    a = np.radians(obliquity_deg)
    d = half * np.array([facing * np.cos(a), -np.sin(a)])
    return mid + d, mid - d


def draw_hip_line(frame: np.ndarray, points: np.ndarray, colour: tuple[int, int, int],
                  labels: bool = True, obliquity_deg: float = float("nan")) -> None:
    """A thick line through the hips, extended beyond them, with L/R anatomical labels.

    With ``obliquity_deg`` (hipdrop's estimate, in a stance phase) the thick line shows that
    tilt and the raw landmark line stays beside it, thin and grey: the model's hip landmarks
    follow only about half of a pelvic drop (hipdrop.core.obliquity).
    """
    raw_left, raw_right = points[L_HIP, :2], points[R_HIP, :2]
    if not (np.isfinite(raw_left).all() and np.isfinite(raw_right).all()):
        return
    s = scale_of(frame)
    left, right = pelvis_line(points, obliquity_deg)
    if np.isfinite(obliquity_deg):
        d = raw_left - raw_right
        cv2.line(frame, _pt(raw_right - 0.6 * d), _pt(raw_left + 0.6 * d), GREY, max(1, round(2 * s)),
                 cv2.LINE_AA)
    d = left - right
    a, b = right - 0.6 * d, left + 0.6 * d
    cv2.line(frame, _pt(a), _pt(b), BLACK, max(6, round(10 * s)), cv2.LINE_AA)
    cv2.line(frame, _pt(a), _pt(b), colour, max(4, round(6 * s)), cv2.LINE_AA)
    if labels:
        for p, text, c in ((left + 0.85 * d, "L", LEFT_COLOUR), (right - 0.85 * d, "R", RIGHT_COLOUR)):
            draw_text(frame, text, _pt(p), 0.9, c, anchor="center")


def text_scale(frame: np.ndarray, size: float) -> tuple[float, int]:
    """OpenCV font scale and stroke for ``size`` (1.0 ~ 30 px high at 720p, never tiny)."""
    s = max(scale_of(frame), 0.6) * size
    return s, max(1, round(1.6 * s))


def draw_text(frame: np.ndarray, text: str, org: tuple[int, int], size: float,
              colour: tuple[int, int, int] = WHITE, anchor: str = "left",
              outline: bool = True) -> None:
    """Text at ``org`` (baseline left, or centre); the outline keeps it readable on any scene."""
    s, thick = text_scale(frame, size)
    (w, h), _ = cv2.getTextSize(text, FONT, s, thick)
    x, y = org
    if anchor == "center":
        x, y = x - w // 2, y + h // 2
    elif anchor == "right":
        x = x - w
    if outline:
        cv2.putText(frame, text, (x, y), FONT, s, BLACK, thick + 2, cv2.LINE_AA)
    cv2.putText(frame, text, (x, y), FONT, s, colour, thick, cv2.LINE_AA)


def hip_colour(in_stance: bool, drop_deg: float, threshold: float) -> tuple[int, int, int]:
    """Grey outside a stance phase; green in one; red while the drop is significant."""
    if not in_stance:
        return GREY
    if np.isfinite(drop_deg) and drop_deg >= threshold:
        return RED
    return GREEN


@dataclass
class StatusView:
    """What the status overlay shows for one frame (all sides anatomical)."""

    t_s: float
    stance: str | None  # "left", "right" or None
    drop_deg: float  # CPD in the current phase, NaN outside one
    reps: tuple[int, int]  # left, right
    abduction: tuple[float, float]  # left, right, degrees
    obliquity_deg: float = float("nan")  # hipdrop's estimate in a stance phase, else NaN


def draws_skeleton(points: np.ndarray | None) -> bool:
    """True when :func:`draw_status` draws a skeleton for ``points`` (33, >=2) px or None."""
    return points is not None and bool(np.isfinite(points[:, :2]).any())


def draw_status(frame: np.ndarray, points: np.ndarray | None, view: StatusView,
                threshold: float, mirrored: bool = False,
                memory: dict[str, Box] | None = None, skeleton: bool = True) -> None:
    """Skeleton, hip line coloured by state, and a status panel off the person's body;
    ``frame`` as displayed.

    ``points`` (33, >=2) are in the unmirrored frame's pixels; with ``mirrored`` the frame has
    already been flipped for display and the points are flipped here to match. The panel is
    placed and sized as the live window's are (:mod:`hipdrop.reports.panels`); ``memory``,
    kept from frame to frame, holds it still while the person moves within the space left.
    ``skeleton=False``: the skeleton is already on ``frame`` (drawn first, as here, by
    :func:`draw_skeleton` where :func:`draws_skeleton` says so), the rest is drawn over it.
    """
    shown = None
    if points is not None and draws_skeleton(points):
        shown = mirror_points(points, frame.shape[1]) if mirrored else points
        if skeleton:
            draw_skeleton(frame, shown)
        draw_hip_line(frame, shown, hip_colour(view.stance is not None, view.drop_deg, threshold),
                      obliquity_deg=view.obliquity_deg)
    lines = [Line(f"{view.t_s:5.1f} s", "body", SOFT)]
    if points is None:
        lines.append(Line("no person in view", "body", AMBER))
    elif view.stance is None:
        lines.append(Line("both feet down", "body"))
    else:
        lines.append(Line(f"standing on {view.stance.upper()} leg", "body"))
        if np.isfinite(view.drop_deg):
            colour = AMBER if view.drop_deg >= threshold else GREEN
            word = "drop" if view.drop_deg >= 0 else "hike"
            lines.append(Line(f"pelvic {word} {abs(view.drop_deg):.1f} deg", "title", colour))
    lines.append(Line(f"reps  L {view.reps[0]}   R {view.reps[1]}", "body"))
    al, ar = view.abduction
    if np.isfinite(al) and np.isfinite(ar):
        lines.append(Line(f"abduction  L {round(al):d}  R {round(ar):d} deg", "body", SOFT))
    h, w = frame.shape[:2]
    person = person_box(None if shown is None else shown[:, :2], w, h)
    lay_out(frame, [Panel("status", lines, prefer=(0.0, 0.0), wraps=(0.6, 0.45, 0.3))],
            [person] if person is not None else [], memory)
