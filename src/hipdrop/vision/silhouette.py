"""The person's silhouette at the pelvis and the feet, from the pose model's segmentation mask.

A pose model's hip landmarks are placed from the whole body and follow a sideways shift of the
pelvis poorly (on one real squat they moved 5 px where the pelvis moved 50, issue 14). The
segmentation mask shows the body's outline itself; :func:`silhouette_cue` reads three points off
it, each the mid-point of two edges the picture shows:

- the **pelvis centre**: the mid-point of the silhouette's lateral contours (the left and right
  edge of the run of body pixels that holds the body axis) in a band of rows at the pelvis,
  from the hip landmarks' height up ``BAND_ABOVE`` hip-landmark separations (the hip joints sit
  at the bottom of the pelvis; the band stays above the thighs, which in a deep squat fan out
  at and below the joints' height). Its breadth is the silhouette's breadth at the hips.
- the **crotch apex**: the top of the gap between the thighs (the background region between
  the knees that opens downward), its x the mean mid-point of that region's top rows; none when that
  top is no single point (flat, or two pockets: a wide squat's thighs).
- the **feet centre**: the mid-point of the outer edges of the two shoes (the outermost body
  pixels from the higher ankle's height down).

Rows whose run is implausibly narrow or wide for a pelvis (outside ``BREADTH_RANGE`` hip
landmark separations: an arm touching the side, a leg in the band) are left out; a band with
no plausible row gives NaN. NumPy (and one OpenCV connected-components call) on a boolean
mask; the mask's pixels are the frame's.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from hipdrop.core.landmarks import L_ANKLE, L_HIP, L_KNEE, R_ANKLE, R_HIP, R_KNEE

# The pelvis band: from the hip joints' height up this many hip-landmark separations w (the
# iliac crests are 0.5-0.9 w above the joints, :mod:`hipdrop.vision.cues`; the band stays
# below the waist, where the elbows of hanging arms meet the body).
BAND_ABOVE = 0.35
# A pelvis's silhouette breadth against the hip-joint separation: bi-trochanteric breadth is
# ~1.7 times the joint separation in adults, clothing adds some; the range admits 0.6x-1.7x
# that and excludes a run that takes in an arm or a thigh.
BREADTH_RANGE = (1.0, 3.0)
APEX_ROWS = 0.05  # the gap's top rows that must be one point: this many w (at least 2 px)
MASK_THRESHOLD = 0.5  # the mask's probability of a body pixel

# A frame's silhouette row when none was read: pelvis x, crotch x, feet x, breadth (px).
NO_SILHOUETTE_ROW = (float("nan"),) * 4


@dataclass(frozen=True)
class SilhouetteCue:
    """One frame's silhouette points, pixels (image x), NaN where not read.

    pelvis_x : mid-point of the lateral contours at the pelvis.
    crotch_x : x of the top of the gap between the thighs.
    feet_x : mid-point of the outer edges of the shoes.
    breadth_px : the silhouette's breadth at the pelvis (between the lateral contours).
    """

    pelvis_x: float
    crotch_x: float
    feet_x: float
    breadth_px: float

    def as_row(self) -> tuple[float, float, float, float]:
        return (self.pelvis_x, self.crotch_x, self.feet_x, self.breadth_px)


def _run_around(row: np.ndarray, x: int) -> tuple[int, int] | None:
    """The [first, last] index of the run of True in ``row`` (W,) bool that holds ``x``."""
    if not 0 <= x < len(row) or not row[x]:
        return None
    off = np.flatnonzero(~row)
    left = off[off < x]
    right = off[off > x]
    return (int(left[-1]) + 1 if left.size else 0,
            int(right[0]) - 1 if right.size else len(row) - 1)


def pelvis_contours(body: np.ndarray, hip_l: np.ndarray, hip_r: np.ndarray
                    ) -> tuple[float, float]:
    """(centre x, breadth) px of the silhouette's lateral contours at the pelvis.

    body : (H, W) bool mask. hip_l, hip_r : (>=2,) the hip landmarks, px.
    The medians over the band's plausible rows (module docstring); NaN, NaN if none.
    """
    h = body.shape[0]
    w = float(np.hypot(*(hip_l[:2] - hip_r[:2])))
    if not w >= 2.0:
        return float("nan"), float("nan")
    cx, cy = 0.5 * (hip_l[:2] + hip_r[:2])
    bottom = round(float(cy))
    top = round(float(cy - BAND_ABOVE * w))
    centres, breadths = [], []
    lo_b, hi_b = BREADTH_RANGE[0] * w, BREADTH_RANGE[1] * w
    for y in range(max(top, 0), min(bottom, h - 1) + 1):
        run = _run_around(body[y], round(float(cx)))
        if run is None:
            continue
        breadth = run[1] - run[0] + 1
        if lo_b <= breadth <= hi_b:
            centres.append(0.5 * (run[0] + run[1]))
            breadths.append(breadth)
    if not centres:
        return float("nan"), float("nan")
    return float(np.median(centres)), float(np.median(breadths))


def crotch_apex(body: np.ndarray, hip_l: np.ndarray, hip_r: np.ndarray, knee_l: np.ndarray,
                knee_r: np.ndarray, ankle_l: np.ndarray, ankle_r: np.ndarray) -> float:
    """x px of the top of the gap between the thighs, NaN if there is none.

    The gap: background pixels in the box between the knees' x, from a hip separation above
    the hips down to the higher ankle, in the columns where background reaches the box's
    bottom row (the gap opens downward, between the legs; in a wide squat the knees come up
    to the hips' height and the gap is between the shanks); its top is the highest row where
    it is, and its x the mean of the mid-points of its top ``APEX_ROWS`` rows.
    """
    h, w_img = body.shape
    w = float(np.hypot(*(hip_l[:2] - hip_r[:2])))
    x0, x1 = sorted((knee_l[0], knee_r[0]))
    y_hip = 0.5 * (hip_l[1] + hip_r[1])
    y_knee = min(ankle_l[1], ankle_r[1])
    if not (w >= 2.0 and x1 - x0 >= 2.0 and y_knee > y_hip):
        return float("nan")
    xa, xb = max(int(np.ceil(x0)), 0), min(int(np.floor(x1)), w_img - 1)
    ya, yb = max(round(float(y_hip - w)), 0), min(round(float(y_knee)), h - 1)
    if xb <= xa or yb <= ya:
        return float("nan")
    gap = ~body[ya:yb + 1, xa:xb + 1]
    # The background regions of the box that reach its bottom row (the gap opens downward,
    # between the legs; there is background outside a leg too, when a knee is further out
    # than its foot): of those, the one at or nearest to the body axis on that row.
    _, labels = cv2.connectedComponents(gap.astype(np.uint8), connectivity=4)
    bottom = labels[-1]
    found = np.unique(bottom[bottom > 0])
    if not found.size:
        return float("nan")
    axis = 0.5 * (hip_l[0] + hip_r[0]) - xa

    def distance(label: int) -> float:
        cols = np.flatnonzero(bottom == label)
        return 0.0 if cols[0] <= axis <= cols[-1] else float(np.min(np.abs(cols - axis)))

    from_bottom = labels == min(found, key=distance)
    rows = np.flatnonzero(from_bottom.any(axis=1))
    first = int(rows[0])
    if first == 0:  # the gap reaches the box's top: no crotch inside it
        return float("nan")
    n = max(2, round(float(APEX_ROWS * w)))
    _, xs = np.nonzero(from_bottom[first:first + n])
    # An apex is one point where the thighs' inner contours meet, within the hip joints'
    # spacing: a top that is flat or has two pockets (a wide squat's thighs, higher at the
    # knees than at the groin) has no apex to read.
    span = np.unique(xs)
    if not span.size or np.any(np.diff(span) > 1) or span[-1] - span[0] + 1 > w:
        return float("nan")
    # The apex itself: the mean of those rows' mid-points (the mid-point, not the mean of
    # the pixels: the thighs' inner contours slant apart unevenly when the pelvis is shifted
    # over the feet, and the mean would lean toward the wider side).
    mids = [0.5 * (c[0] + c[-1]) for c in (np.flatnonzero(r) for r in from_bottom[first:first + n])
            if c.size]
    x = float(xa + np.mean(mids))
    # ... and the crotch lies between the two hip joints, whatever the pose.
    return x if min(hip_l[0], hip_r[0]) <= x <= max(hip_l[0], hip_r[0]) else float("nan")


def feet_centre(body: np.ndarray, ankle_l: np.ndarray, ankle_r: np.ndarray, hip_width: float
                ) -> float:
    """x px of the mid-point of the shoes' outer edges, NaN if not seen.

    The outermost body pixels from the higher ankle down to the mask's bottom, within a hip
    separation outside either ankle (so another body part further out is not taken).
    """
    h, w_img = body.shape
    if not hip_width >= 2.0:
        return float("nan")
    x0, x1 = sorted((ankle_l[0], ankle_r[0]))
    xa = max(round(float(x0 - hip_width)), 0)
    xb = min(round(float(x1 + hip_width)), w_img - 1)
    ya = max(round(float(min(ankle_l[1], ankle_r[1]))), 0)
    if xb <= xa or ya >= h:
        return float("nan")
    cols = np.flatnonzero(body[ya:, xa:xb + 1].any(axis=0))
    if not cols.size:
        return float("nan")
    return float(xa + 0.5 * (cols[0] + cols[-1]))


def may_squat(landmarks: np.ndarray) -> bool:
    """Whether the frame's pose (33, >=2) px can be part of a squat (standing or down): the
    hips, knees and ankles seen, the hips above the ankles and the trunk within
    :data:`hipdrop.core.squat.UPRIGHT_DEG` of the image vertical. The cue is read only there
    (a lying or kneeling frame has no squat to read it for)."""
    from hipdrop.core.squat import UPRIGHT_DEG, compact

    c = compact(np.asarray(landmarks)[None])[0]  # shoulders, hips, knees, ankles
    if not np.isfinite(c).all():
        return False
    hip, shoulder = c[2:4].mean(axis=0), c[0:2].mean(axis=0)
    up = hip - shoulder
    lean = np.degrees(np.arctan2(abs(up[0]), up[1]))
    return bool(c[6:8, 1].max() > hip[1] and lean <= UPRIGHT_DEG)


def silhouette_cue(mask: np.ndarray | None, landmarks: np.ndarray | None) -> SilhouetteCue:
    """The silhouette points of one frame.

    mask : (H, W) float person probability (or bool), the frame's pixels; None: no mask.
    landmarks : (33, >=2) px of the same frame, or None.
    """
    none = SilhouetteCue(*NO_SILHOUETTE_ROW)
    if mask is None or landmarks is None:
        return none
    p = np.asarray(landmarks, dtype=np.float64)
    need = p[[L_HIP, R_HIP, L_KNEE, R_KNEE, L_ANKLE, R_ANKLE], :2]
    if not np.isfinite(need).all():
        return none
    body = mask if mask.dtype == bool else np.asarray(mask) >= MASK_THRESHOLD
    centre, breadth = pelvis_contours(body, p[L_HIP], p[R_HIP])
    w = float(np.hypot(*(p[L_HIP, :2] - p[R_HIP, :2])))
    return SilhouetteCue(centre, crotch_apex(body, p[L_HIP], p[R_HIP], p[L_KNEE], p[R_KNEE],
                                       p[L_ANKLE], p[R_ANKLE]),
                         feet_centre(body, p[L_ANKLE], p[R_ANKLE], w), breadth)


__all__ = ["NO_SILHOUETTE_ROW", "SilhouetteCue", "crotch_apex", "feet_centre", "may_squat",
           "pelvis_contours", "silhouette_cue"]
