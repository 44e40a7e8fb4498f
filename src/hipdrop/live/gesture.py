"""The hands-free "go on": both hands raised above the head and held there about a second.

Two parts, both pure: :func:`hands_up` reads one frame's landmarks (with hysteresis: once up,
the hands must come clearly down before they count as down), and :class:`HandsUp` turns the
per-frame reading into one trigger per raise, after it has been held ``hold_s``. Nothing in a
single-leg stance or an abduction rep puts both wrists above the head, so the gesture cannot be
mistaken for the exercise; a wave of one hand is not both.
"""

from __future__ import annotations

import math

import numpy as np

from hipdrop.core.kinematics import norm_one

NOSE, L_SHOULDER, R_SHOULDER, L_WRIST, R_WRIST = 0, 11, 12, 15, 16

# Heights above the nose, in shoulder widths (the body's own scale: it does not change with the
# distance to the camera). The top of the head is ~0.35 shoulder widths above the nose (12 of
# 35 cm); wrists "up" must be above it, and count as "down" again only below the nose. On the
# real clips (tests/test_gesture.py): arms straight up 0.9-1.5, an overhead squat's arms
# (forward, foreshortened) 0.15-0.55, hands clasped behind the head at most 0.15.
UP_ABOVE_NOSE = 0.35
DOWN_ABOVE_NOSE = 0.0
MIN_VISIBILITY = 0.5


def hands_up(image: np.ndarray | None, was_up: bool = False,
             min_visibility: float = MIN_VISIBILITY, points: list | None = None) -> bool:
    """Whether both wrists are above the head in this frame.

    Parameters
    ----------
    image : (33, 4) ndarray or None
        One frame's landmarks: x px, y px (down), z, visibility; None or NaN: no pose.
    was_up : bool
        The previous frame's answer: the hysteresis. Going up needs both wrists more than
        UP_ABOVE_NOSE shoulder widths above the nose; staying up, only above the nose.
    points : list or None
        ``image.tolist()``, when the caller has it (the live loop lists each frame once).

    >>> pose = np.full((33, 4), 1.0); pose[:, :2] = [[100.0, 200.0]]
    >>> pose[NOSE, :2] = [100, 100]; pose[L_SHOULDER, :2] = [140, 150]; pose[R_SHOULDER, :2] = [60, 150]
    >>> pose[L_WRIST, :2] = [150, 40]; pose[R_WRIST, :2] = [50, 40]   # 60 px above the nose
    >>> hands_up(pose), hands_up(pose, was_up=True)
    (True, True)
    >>> pose[[L_WRIST, R_WRIST], 1] = 80   # 20 px above: not high enough to rise, enough to stay
    >>> hands_up(pose), hands_up(pose, was_up=True)
    (False, True)
    """
    if image is None:
        return False
    # The five points as Python floats (one tolist): NumPy's per-call overhead on five rows is
    # most of what this costs otherwise; the arithmetic is the same, so the same answer.
    if points is None:
        nose, ls, rs, lw, rw = image[_POINTS].tolist()
    else:
        nose, ls, rs, lw, rw = (points[NOSE], points[L_SHOULDER], points[R_SHOULDER],
                                points[L_WRIST], points[R_WRIST])
    for p in (nose, ls, rs, lw, rw):
        if not (math.isfinite(p[0]) and math.isfinite(p[1])):
            return False
    if not (lw[3] >= min_visibility and rw[3] >= min_visibility):  # NaN compares False
        return False
    width = norm_one(ls[0] - rs[0], ls[1] - rs[1])  # np.linalg.norm's, to the bit
    if not (math.isfinite(width) and width > 0):
        return False
    need = DOWN_ABOVE_NOSE if was_up else UP_ABOVE_NOSE
    # Wrists above the nose, shoulder widths.
    return (nose[1] - lw[1]) / width > need and (nose[1] - rw[1]) / width > need


_POINTS = np.array([NOSE, L_SHOULDER, R_SHOULDER, L_WRIST, R_WRIST])


class HandsUp:
    """One trigger per raise of both hands held ``hold_s`` seconds.

    Call :meth:`update` once a frame with the frame's landmarks and time; it returns True on
    the frame the raise has lasted ``hold_s``, then not again until the hands have been down.
    A frame without a pose (``None``) pauses nothing: it counts as hands down, so a raise
    must be seen whole.
    """

    def __init__(self, hold_s: float = 1.0) -> None:
        if not hold_s >= 0:
            raise ValueError("hold_s must be 0 or more seconds")
        self.hold_s = hold_s
        self.up = False  # both hands are up now (with hysteresis)
        self._since: float | None = None  # when they went up
        self._fired = False
        self._progress = 0.0

    @property
    def progress(self) -> float:
        """0..1 of the hold of the raise in progress (0 when the hands are down)."""
        return 0.0 if self._since is None else self._progress

    def reset(self) -> None:
        self.up, self._since, self._fired = False, None, False

    def update(self, image: np.ndarray | None, t: float, points: list | None = None) -> bool:
        """One frame's landmarks (``points``: their ``tolist()``, when the caller has it) at
        ``t`` seconds; True on the frame the raise has lasted ``hold_s``."""
        self.up = hands_up(image, self.up, points=points)
        if not self.up:
            self._since, self._fired, self._progress = None, False, 0.0
            return False
        if self._since is None or t < self._since:
            self._since = t
        held = t - self._since
        self._progress = 1.0 if self.hold_s == 0 else min(1.0, held / self.hold_s)
        if not self._fired and held >= self.hold_s - 1e-9:
            self._fired = True
            return True
        return False
