"""Squats seen from the front: reps, depth, lateral pelvic shift, knee valgus and trunk lean.

Weight symmetry in a squat shows as the pelvis moving sideways over one foot. hipdrop reads it
per rep as the lateral shift of the mid-hip point against the mid-point of the ankles, in % of
the hip width (the distance between the two hip landmarks), positive toward the person's
anatomical LEFT, taken at the bottom of the rep against the same reading in the standing start
just before it: the person's own neutral, so a camera that is not centred on the feet, a
turned stance or a resting asymmetry does not bias it.

Every function is pure NumPy over ``(T, 33, C)`` landmark arrays (pixels: x right, y down;
world metres: y down) and ``(T,)`` times in seconds; NaN in, NaN out.

Rep rule (a geometric reading, no constant fitted to a clip): the hip height ``h`` is the
vertical image distance from the lower ankle up to the mid-hip point, while upright; its
standing value ``h0`` is the
95th percentile over the recording (or the live session so far). The lowering
``u = 1 - h / h0``: with two leg segments of equal length and the shank inclined a third of the
knee flexion, a knee flexion of about 60 deg lowers the hip by 15% of its standing height and
one of 35 deg by 5%. A rep is an excursion of ``u`` above ``ENTER`` (0.15, a squat, not a dip),
from the last frame at or below ``EXIT`` (0.05, standing) before it to the first at or below
``EXIT`` after it, lasting at least ``MIN_REP_S``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from hipdrop.core.filters import bridge_gaps, gaussian_smooth
from hipdrop.core.landmarks import (
    L_ANKLE,
    L_HIP,
    L_KNEE,
    L_SHOULDER,
    R_ANKLE,
    R_HIP,
    R_KNEE,
    R_SHOULDER,
)  # fmt: skip
from hipdrop.core.tiers import GEOMETRY, LandmarkReading

UPRIGHT_DEG = 30.0  # the trunk this close to the image vertical: standing or squatting, not lying
ENTER = 0.15  # lowering (fraction of standing hip height) that makes a squat: knees ~60 deg
EXIT = 0.05  # lowering back at standing: knees below ~35 deg
MIN_REP_S = 0.4  # a squat down and up takes longer than this; shorter is tracking jitter
BOTTOM = 0.9  # the bottom of a rep: frames lowered at least this fraction of the rep's deepest
STANDING_S = 1.0  # the standing reference: up to this long before the rep starts
HIP_HEIGHT_PERCENTILE = 95.0

# The set's finding. A pelvis shifted by d over feet W apart puts 0.5 + d / W of the weight on
# the foot it moved toward (lever rule, the pelvis standing in for the centre of mass). A
# weight-bearing asymmetry |L - R| / (L + R) of 10% or more (55/45) is the usual clinical
# cut-off for an uneven squat, so a shift is called when |d| / W reaches 5%; in % of the hip
# width that is 5% of the person's own stance width over their hip width.
ASYMMETRY = 0.10
# The reading's own allowance, in % of hip width plus a fraction of the reading: the pose
# model's hip and ankle points wander a few % of the hip width from frame to frame, and a turn
# of the body shortens the hip width the shift is divided by (10% for a 25 deg turn).
ALLOWANCE_PCT, ALLOWANCE_REL = 3.0, 0.10
Z90 = 1.645  # two-sided 90% interval of a normal reading
MAX_SCALE_CHANGE = 0.2  # the person's size in the picture changed more: they walked, not squatted
MAX_FEET_MOVE = 0.25  # the feet moved more than this many hip widths: not the same stance
MIN_TURN_RATIO = 0.6  # hip width at the bottom below this of the standing one: turned sideways

EVEN, LEFT_SHIFT, RIGHT_SHIFT, CANT_TELL, NOT_TESTED = (
    "even", "shifts toward the left", "shifts toward the right", "can't tell", "not tested")



@dataclass
class SquatSignals:
    """Per-frame squat signals, each (T,) float64 unless said.

    t : seconds.
    hip_height : vertical distance from the lower ankle up to the mid-hip point, pixels; NaN
        where the person is not upright.
    world : (T,) bool, the knee flexion was read in 3-D from world landmarks.
    shift_px : mid-hip x minus mid-ankle x, pixels, + toward the person's left.
    hip_width_px : distance between the two hip landmarks in the image, pixels.
    stance_px : distance between the two ankles in the image, pixels.
    feet_x_px : the mid-ankle x, pixels (image x, to see the feet move).
    knee_flexion_deg : (T, 2) left, right, 3-D from world landmarks where whole.
    fppa_deg : (T, 2) frontal-plane projection angle of each knee, + valgus.
    trunk_lean_left_deg : mid-hip -> mid-shoulder from image vertical, + toward the left.
    """

    t: np.ndarray
    hip_height: np.ndarray
    world: np.ndarray
    shift_px: np.ndarray
    hip_width_px: np.ndarray
    stance_px: np.ndarray
    feet_x_px: np.ndarray
    knee_flexion_deg: np.ndarray
    fppa_deg: np.ndarray
    trunk_lean_left_deg: np.ndarray

    def __len__(self) -> int:
        return len(self.t)


# The landmarks the squat reads, gathered into a compact (..., 8, C) layout first (the whole
# (T, 33, C) arrays cost 5x as much to copy and mask): shoulders, hips, knees, ankles.
USED = np.array([L_SHOULDER, R_SHOULDER, L_HIP, R_HIP, L_KNEE, R_KNEE, L_ANKLE, R_ANKLE])
_LS, _RS, _LH, _RH, _LK, _RK, _LA, _RA = range(8)
_C_HIPS, _C_KNEES, _C_ANKLES = np.array([_LH, _RH]), np.array([_LK, _RK]), np.array([_LA, _RA])


def compact(points: np.ndarray, dims: int = 2, visibility: np.ndarray | None = None,
            min_visibility: float | None = None) -> np.ndarray:
    """(..., 8, dims) float64: landmarks :data:`USED` of ``points`` (..., 33, >=dims), NaN
    where ``visibility`` (..., 33) is below ``min_visibility`` (when both are given)."""
    out = np.take(np.asarray(points), USED, axis=-2)[..., :dims].astype(np.float64)
    if visibility is not None and min_visibility is not None:
        seen = np.take(np.asarray(visibility), USED, axis=-1) >= min_visibility
        out[~seen] = np.nan
    return out


def _shift(c: np.ndarray) -> np.ndarray:
    hip = 0.5 * (c[..., _LH, 0] + c[..., _RH, 0])
    feet = 0.5 * (c[..., _LA, 0] + c[..., _RA, 0])
    left = np.where(c[..., _LH, 0] >= c[..., _RH, 0], 1.0, -1.0)
    return (hip - feet) * left


def lateral_shift_px(points: np.ndarray) -> np.ndarray:
    """(...) mid-hip x minus mid-ankle x in pixels, + toward the person's anatomical left.

    The person's left is toward image +x when they face the camera (their left hip on the
    image's right, :func:`hipdrop.core.kinematics.trunk_lean_left_deg`'s rule), toward -x
    seen from behind. Along image x, not along the line between the ankles: a foot placed a
    little forward tilts that line by a few degrees, which would leak the hip's 30 cm descent
    into the shift (measured: 18% of hip width on a symmetric squat); a level camera is
    assumed instead (a roll of r leaks sin(r) of the descent: 1 deg, ~3% of hip width).

    points : (..., 33, >=2) pixels.

    >>> p = np.zeros((33, 2)); p[23], p[24] = (220, 500), (180, 500)  # facing the camera
    >>> p[27], p[28] = (235, 900), (185, 900)  # the feet centred 10 px to image-right
    >>> float(lateral_shift_px(p))  # the pelvis 10 px toward the image's left = person's right
    -10.0
    """
    return _shift(compact(points))


def _bend(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(...) angle in degrees between vectors ``a`` and ``b`` (..., C)."""
    cos = np.sum(a * b, axis=-1) / np.sqrt(np.sum(a * a, axis=-1) * np.sum(b * b, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def _flexion(c: np.ndarray) -> np.ndarray:
    """(..., 2) knee flexion [left, right] of compact landmarks (..., 8, C): 0 straight."""
    knees = c[..., _C_KNEES, :]
    return _bend(knees - c[..., _C_HIPS, :], c[..., _C_ANKLES, :] - knees)


def _fppa(c: np.ndarray) -> np.ndarray:
    hips, knees, ankles = c[..., _C_HIPS, :2], c[..., _C_KNEES, :2], c[..., _C_ANKLES, :2]
    bend = _bend(knees - hips, ankles - knees)
    # Which side of the hip-ankle line the knee is on, against the medial direction.
    line = ankles - hips
    medial = hips[..., ::-1, :] - hips
    off = knees - hips

    def cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]

    sign = np.sign(cross(line, off)) * np.sign(cross(line, medial))
    return np.where(sign < 0, -bend, bend)


def fppa_deg(points: np.ndarray) -> np.ndarray:
    """(..., 2) frontal-plane projection angle of each knee [left, right], degrees.

    180 deg minus the image angle hip-knee-ankle: 0 for a knee on the hip-ankle line, positive
    when the knee falls medially of it (valgus, toward the other leg), negative laterally
    (varus). Medial is the direction from the leg's own hip to the other hip.

    points : (..., 33, >=2) pixels.

    >>> p = np.zeros((33, 2)); p[23], p[24] = (220, 500), (180, 500)
    >>> p[25], p[27] = (220 - 100 * np.tan(np.radians(10)), 600), (220, 700)  # left knee in
    >>> p[26], p[28] = (180, 600), (180, 700)
    >>> np.round(fppa_deg(p), 3) + 0.0
    array([20.,  0.])
    """
    return _fppa(compact(points))


def _lean(c: np.ndarray) -> np.ndarray:
    """(...) :func:`hipdrop.core.kinematics.trunk_lean_left_deg` of compact landmarks."""
    v = 0.5 * (c[..., _LS, :2] + c[..., _RS, :2]) - 0.5 * (c[..., _LH, :2] + c[..., _RH, :2])
    left = np.where(c[..., _LH, 0] >= c[..., _RH, 0], 1.0, -1.0)
    return np.degrees(np.arctan2(v[..., 0] * left, -v[..., 1]))


def squat_signals(image: np.ndarray, world: np.ndarray | None, t: np.ndarray,
                  min_visibility: float | None = None) -> SquatSignals:
    """The per-frame squat signals of a series.

    image : (T, 33, >=2) pixels (+ z, visibility), NaN where unseen.
    world : (T, 33, 3) metres (y down) or None; NaN where none.
    t : (T,) seconds.
    min_visibility : landmarks below it (image column 3) count as unseen; None: no masking.

    The hip height is read in pixels, from the lower ankle (the foot on the floor, so a knee
    lift is no squat): seen from the front the hips go straight down the image, while
    MediaPipe's world landmarks put a 90 deg squat's hips 12% of their height lower where the
    picture shows 31% (measured on renders, issue 14). The knee flexion is 3-D from the world
    landmarks where whole (a frontal picture shows a bent knee coming toward the camera as
    nearly straight), in pixels elsewhere.
    """
    image = np.asarray(image)
    vis = image[..., 3] if image.shape[-1] > 3 and min_visibility is not None else None
    xy = compact(image, 2, vis, min_visibility)
    n = len(xy)
    hip_px = 0.5 * (xy[:, _LH, 1] + xy[:, _RH, 1])
    ankle_px = np.fmax(xy[:, _LA, 1], xy[:, _RA, 1])
    flexion = _flexion(xy)
    whole = np.zeros(n, dtype=bool)
    if world is not None:
        wflex = _flexion(compact(world, 3, vis, min_visibility))
        whole = np.isfinite(wflex).all(axis=1)
        flexion = np.where(whole[:, None], wflex, flexion)
    # Upright only (the trunk within UPRIGHT_DEG of the image vertical, the hips above the
    # feet): lying down is no squat. (Not over the shoulder width, against walking toward the
    # camera: raising the arms overhead narrows the shoulder landmarks by 20%; a rep whose
    # scale changes is dropped instead, :func:`find_squats`.)
    lean = _lean(xy)
    with np.errstate(invalid="ignore"):
        upright = (np.abs(lean) <= UPRIGHT_DEG) & (ankle_px > hip_px)
    return SquatSignals(
        t=np.asarray(t, dtype=np.float64),
        hip_height=np.where(upright, ankle_px - hip_px, np.nan),
        world=whole,
        shift_px=_shift(xy),
        hip_width_px=np.hypot(xy[:, _LH, 0] - xy[:, _RH, 0], xy[:, _LH, 1] - xy[:, _RH, 1]),
        stance_px=np.hypot(xy[:, _LA, 0] - xy[:, _RA, 0], xy[:, _LA, 1] - xy[:, _RA, 1]),
        feet_x_px=0.5 * (xy[:, _LA, 0] + xy[:, _RA, 0]),
        knee_flexion_deg=flexion,
        fppa_deg=_fppa(xy),
        trunk_lean_left_deg=lean,
    )


def smooth(s: SquatSignals, fps: float, sigma_s: float, max_gap_s: float) -> SquatSignals:
    """``s`` with gaps up to ``max_gap_s`` bridged and each signal smoothed (zero-phase
    Gaussian of ``sigma_s`` seconds, :mod:`hipdrop.core.filters`), as the stance signals are."""
    cols = [s.hip_height, s.shift_px, s.hip_width_px, s.stance_px, s.feet_x_px,
            s.knee_flexion_deg[:, 0], s.knee_flexion_deg[:, 1], s.fppa_deg[:, 0], s.fppa_deg[:, 1],
            s.trunk_lean_left_deg]
    m = gaussian_smooth(bridge_gaps(np.stack(cols, axis=1), s.t, max_gap_s), fps, sigma_s)
    return SquatSignals(s.t, m[:, 0], s.world, m[:, 1], m[:, 2], m[:, 3], m[:, 4], m[:, 5:7],
                        m[:, 7:9], m[:, 9])


def lowering(hip_height: np.ndarray, standing: float | None = None) -> np.ndarray:
    """(T,) ``1 - h / h0``: 0 standing, 0.3 in a half squat; NaN where ``h`` is.

    hip_height : (T,) any unit; ``standing`` h0 in the same unit, by default the 95th
    percentile of ``hip_height`` (the person stands for part of any squat set).
    """
    h = np.asarray(hip_height, dtype=np.float64)
    if standing is None:
        seen = h[np.isfinite(h)]
        if not seen.size:
            return np.full(len(h), np.nan)
        standing = float(np.percentile(seen, HIP_HEIGHT_PERCENTILE))
    if not standing > 0:
        return np.full(len(h), np.nan)
    return 1.0 - h / standing


def find_rep_windows(u: np.ndarray, t: np.ndarray, enter: float = ENTER, exit: float = EXIT,
                     min_s: float = MIN_REP_S) -> list[tuple[int, int, int]]:
    """(start, bottom, end) frame indices of each squat in the lowering ``u`` (T,).

    A rep rises above ``enter`` and comes back to ``exit`` or below; it starts at the last
    frame at or below ``exit`` before it and ends at the first such frame after it (the last
    frame if the series ends first). A squat starts standing: an excursion with no standing
    frame before it (a series that starts low, someone walking in) is none. NaN frames are
    neither: a gap inside a rep does not split it. ``bottom`` is the deepest frame.
    """
    u = np.asarray(u, dtype=np.float64)
    out: list[tuple[int, int, int]] = []
    with np.errstate(invalid="ignore"):
        up, down = u > enter, u <= exit
    i, n = 0, len(u)
    while i < n:
        if not up[i]:
            i += 1
            continue
        before = np.flatnonzero(down[:i])
        after = np.flatnonzero(down[i:])
        end = i + int(after[0]) if after.size else n - 1
        start = int(before[-1]) if before.size else -1
        if start >= 0 and t[end] - t[start] >= min_s:
            part = u[start:end + 1]
            bottom = start + int(np.nanargmax(part))
            out.append((start, bottom, end))
        i = end + 1
    return out


@dataclass(frozen=True)
class SquatRep:
    """One squat, measured at its bottom against the standing start just before it.

    start_s, bottom_s, end_s : seconds; the bottom is the middle of the frames lowered at
        least ``BOTTOM`` of the rep's deepest.
    depth_deg : knee flexion at the bottom, the mean of both knees (3-D where read so).
    lateral_shift_pct : the mid-hip's shift over the mid-ankle point from the standing start
        to the bottom, % of the standing hip width, + toward the person's left; NaN when not
        measurable (``reason`` says why).
    shift_sd_pct : the frame-to-frame scatter of that reading, % of hip width.
    shift_side : "left", "right", or "even" when within ``threshold_pct``; None when NaN.
    threshold_pct : the shift that makes a 10% weight asymmetry for this stance, % hip width.
    knee_fppa_left_deg, knee_fppa_right_deg : each knee's frontal-plane projection angle at
        the bottom, + valgus.
    trunk_lean_deg : lateral trunk lean at the bottom against the standing start, + toward
        the person's left.
    """

    start_s: float
    bottom_s: float
    end_s: float
    depth_deg: float
    lateral_shift_pct: float
    shift_sd_pct: float
    shift_side: str | None
    threshold_pct: float
    knee_fppa_left_deg: float
    knee_fppa_right_deg: float
    trunk_lean_deg: float
    reason: str | None = None

    def to_json(self) -> dict:
        def num(x: float, digits: int = 2) -> float | None:
            return round(float(x), digits) if math.isfinite(x) else None

        return {"start_s": num(self.start_s, 3), "end_s": num(self.end_s, 3),
                "bottom_s": num(self.bottom_s, 3), "depth_deg": num(self.depth_deg, 1),
                "lateral_shift_pct": num(self.lateral_shift_pct, 1),
                "shift_side": self.shift_side,
                "knee_fppa_left_deg": num(self.knee_fppa_left_deg, 1),
                "knee_fppa_right_deg": num(self.knee_fppa_right_deg, 1),
                "trunk_lean_deg": num(self.trunk_lean_deg, 1),
                "threshold_pct": num(self.threshold_pct, 1),
                "reason": self.reason}


@dataclass(frozen=True)
class SymmetryFinding:
    """The set's weight symmetry: "even", "shifts toward the left/right", "can't tell" (with
    ``reason``) or "not tested" (no squat).

    shift_pct : the mean of the reps' shifts, % hip width, + toward the left.
    interval_pct : [low, high], its 90% interval.
    threshold_pct : the shift that makes a 10% weight asymmetry, % hip width.
    """

    finding: str
    shift_pct: float = float("nan")
    interval_pct: tuple[float, float] = (float("nan"), float("nan"))
    threshold_pct: float = float("nan")
    reason: str | None = None

    def words(self) -> str:
        if self.finding == CANT_TELL:
            return f"can't tell: {self.reason}"
        if self.finding == NOT_TESTED:
            return "no squat found"
        lo, hi = self.interval_pct
        return (f"{self.finding} ({self.shift_pct:+.0f}% of hip width, 90%: {lo:+.0f} to "
                f"{hi:+.0f}; a 10% weight asymmetry is {self.threshold_pct:.0f}%)")


@dataclass
class SquatSet:
    """The squats of a recording and their symmetry finding."""

    reps: list[SquatRep] = field(default_factory=list)
    finding: SymmetryFinding = field(default_factory=lambda: SymmetryFinding(NOT_TESTED))

    def to_json(self) -> dict:
        """summary.json's ``squats``: count, items, finding (+ the finding's numbers)."""
        f = self.finding

        def num(x: float) -> float | None:
            return round(float(x), 1) if math.isfinite(x) else None

        return {"count": len(self.reps), "items": [r.to_json() for r in self.reps],
                "finding": f.finding, "finding_reason": f.reason,
                "shift_pct": num(f.shift_pct),
                "shift_interval_pct": [num(f.interval_pct[0]), num(f.interval_pct[1])],
                "threshold_pct": num(f.threshold_pct)}


def _median(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else float("nan")


def measure_rep(s: SquatSignals, u: np.ndarray, start: int, bottom: int, end: int) -> SquatRep:
    """Measure one squat (frame indices into ``s`` and its lowering ``u``, (T,))."""
    t = s.t
    # The standing start: frames up to STANDING_S before the rep starts (the rep's first frame
    # when the recording starts with it) that are standing (u at or below EXIT).
    pre = np.flatnonzero((t >= t[start] - STANDING_S) & (t <= t[start]))
    with np.errstate(invalid="ignore"):
        pre = pre[u[pre] <= EXIT]
    if not pre.size:  # a set that starts low: the standing end after the rep
        post = np.flatnonzero((t >= t[end]) & (t <= t[end] + STANDING_S))
        with np.errstate(invalid="ignore"):
            pre = post[u[post] <= EXIT]
    deep = u[bottom]
    span = np.arange(start, end + 1)
    with np.errstate(invalid="ignore"):
        low = span[u[span] >= BOTTOM * deep]
    width = _median(s.hip_width_px[pre]) if pre.size else float("nan")
    stance = _median(s.stance_px[pre]) if pre.size else float("nan")
    shift0 = _median(s.shift_px[pre]) if pre.size else float("nan")
    pct = 100.0 * (s.shift_px[low] - shift0) / width
    shift = _median(pct)
    finite = pct[np.isfinite(pct)]
    sd = float(np.std(finite, ddof=1)) if finite.size > 1 else float("nan")
    threshold = 100.0 * (ASYMMETRY / 2.0) * stance / width
    reason = None
    if not pre.size:
        reason = "no standing frames before or after the squat to measure the shift against"
    elif not (width > 0):
        reason = "the hips were not seen standing"
    else:
        feet = np.abs(s.feet_x_px[low] - _median(s.feet_x_px[pre])) / width
        turned = _median(s.hip_width_px[low]) / width
        if _median(feet) > MAX_FEET_MOVE:
            reason = "the feet moved during the squat: keep both feet planted"
        elif turned < MIN_TURN_RATIO:
            reason = "the body turned away from the camera: face it squarely"
    if reason is not None:
        shift = float("nan")
    side = None
    if math.isfinite(shift):
        side = "even" if abs(shift) < threshold else ("left" if shift > 0 else "right")
    fppa = np.array([_median(s.fppa_deg[low, 0]), _median(s.fppa_deg[low, 1])])
    lean0 = _median(s.trunk_lean_left_deg[pre]) if pre.size else float("nan")
    return SquatRep(
        # The bottom's time is the middle of the frames at the bottom: the deepest frame of a
        # held bottom is wherever the noise puts it.
        start_s=float(t[start]), bottom_s=0.5 * float(t[low[0]] + t[low[-1]]) if low.size
        else float(t[bottom]), end_s=float(t[end]),
        depth_deg=_median(s.knee_flexion_deg[low].mean(axis=1)),
        lateral_shift_pct=shift, shift_sd_pct=sd, shift_side=side, threshold_pct=threshold,
        knee_fppa_left_deg=float(fppa[0]), knee_fppa_right_deg=float(fppa[1]),
        trunk_lean_deg=_median(s.trunk_lean_left_deg[low]) - lean0, reason=reason)


def symmetry_finding(reps: list[SquatRep], reading: LandmarkReading = GEOMETRY
                     ) -> SymmetryFinding:
    """The set's finding from its reps' shifts, with a 90% interval.

    The interval of the mean reading adds the spread between reps (over sqrt(n); with one rep,
    that rep's frame-to-frame scatter stands in for it) and the reading's allowance
    (``ALLOWANCE_PCT`` + ``ALLOWANCE_REL`` of the reading); it is then turned into the true
    shifts it can come from through ``reading``'s gains (:mod:`hipdrop.core.tiers`): a pose
    model's hip points are not the pelvis, and MediaPipe's have followed a pelvis tilt with a
    gain of only 0.4-1.05; hipdrop takes a sideways shift of the same points to be followed no
    better (on one real clip they moved 5 px where the pelvis moved 50). "even" needs the whole
    interval within +-threshold, a side the whole of it beyond; anything else is "can't
    tell", with what to do.
    """
    if not reps:
        return SymmetryFinding(NOT_TESTED)
    measured = [r for r in reps if math.isfinite(r.lateral_shift_pct)]
    if not measured:
        return SymmetryFinding(CANT_TELL, reason=reps[0].reason)
    shifts = np.array([r.lateral_shift_pct for r in measured])
    threshold = float(np.median([r.threshold_pct for r in measured]))
    mean = float(shifts.mean())
    if len(shifts) > 1:
        spread = float(np.std(shifts, ddof=1)) / math.sqrt(len(shifts))
    else:
        sd = measured[0].shift_sd_pct
        spread = sd if math.isfinite(sd) else 0.0
    half = Z90 * spread + ALLOWANCE_PCT + ALLOWANCE_REL * abs(mean)
    corners = [r / g for r in (mean - half, mean + half) for g in (reading.gain_lo, reading.gain_hi)]
    lo, hi = min(corners), max(corners)
    if not math.isfinite(threshold):
        return SymmetryFinding(CANT_TELL, mean, (lo, hi), threshold,
                               "the feet were not seen, so the stance width is unknown")
    if -threshold < lo and hi < threshold:
        finding, reason = EVEN, None
    elif lo >= threshold:
        finding, reason = LEFT_SHIFT, None
    elif hi <= -threshold:
        finding, reason = RIGHT_SHIFT, None
    else:
        finding = CANT_TELL
        said = (f"the shift ({mean:+.0f}% of hip width, 90%: {lo:+.0f} to {hi:+.0f}) is too "
                f"close to the {threshold:.0f}% that makes an uneven squat to call")
        if len(measured) < 3:
            reason = f"{said} from so few squats: do a set of 5, facing the camera"
        elif Z90 * spread > ALLOWANCE_PCT:
            reason = f"{said}: it varies from squat to squat; do another set, slowly"
        elif reading.gain_lo < 0.9:
            reason = (f"{said} from the pose model's hip points, which can follow the pelvis "
                      f"by as little as {reading.gain_lo:.0%}")
        else:
            reason = f"{said}: do another set, facing the camera"
    return SymmetryFinding(finding, mean, (lo, hi), threshold, reason)


def find_squats(s: SquatSignals, reading: LandmarkReading = GEOMETRY) -> SquatSet:
    """Every squat of the signals ``s``, measured, and the set's finding (``reading``: how
    the hip landmarks follow the pelvis, :func:`hipdrop.core.tiers.landmark_reading`)."""
    u = lowering(s.hip_height)
    reps = [measure_rep(s, u, a, b, c) for a, b, c in find_rep_windows(u, s.t)
            if not moved_closer(s, a, c)]
    return SquatSet(reps, symmetry_finding(reps, reading))


def moved_closer(s: SquatSignals, start: int, end: int) -> bool:
    """Whether the person's size in the picture (the hip width) changed by more than
    ``MAX_SCALE_CHANGE`` from the second before ``start`` to the second after ``end``: walking
    toward or away from the camera lowers the hips in the picture, and is no squat."""
    t = s.t
    before = s.hip_width_px[(t >= t[start] - STANDING_S) & (t <= t[start])]
    after = s.hip_width_px[(t >= t[end]) & (t <= t[end] + STANDING_S)]
    a, b = _median(before), _median(after)
    return bool(math.isfinite(a) and math.isfinite(b) and abs(b / a - 1.0) > MAX_SCALE_CHANGE)


def analyze_squats(image: np.ndarray, world: np.ndarray | None, t: np.ndarray, fps: float,
                   sigma_s: float, max_gap_s: float, reading: LandmarkReading = GEOMETRY,
                   min_visibility: float | None = None) -> SquatSet:
    """The squats of a series (image (T, 33, >=2) px (+ z, visibility), world (T, 33, 3) m,
    t (T,) s; ``min_visibility`` as in :func:`squat_signals`), smoothed as the stance signals
    are."""
    signals = squat_signals(image, world, t, min_visibility)
    return find_squats(smooth(signals, fps, sigma_s, max_gap_s), reading)


class SquatTracker:
    """Squats counted frame by frame (the live ``--mode squat``), measured as offline.

    ``update(image, world, t)`` takes one frame's (33, >=2) image px and (33, 3) world m
    landmarks (None when no pose) and returns the rep that just ended, or None. The standing
    hip height is the highest seen so far of a 0.1 s moving mean (a live session starts
    standing); each finished rep is measured by :func:`measure_rep` on the frames kept.
    """

    SMOOTH_S = 0.1

    def __init__(self, min_visibility: float = 0.5, reading: LandmarkReading = GEOMETRY) -> None:
        self.min_visibility, self.reading = min_visibility, reading
        self.reps: list[SquatRep] = []
        self._rows: list[SquatSignals] = []
        self._h = float("nan")
        self._h0 = float("nan")
        self._last_t = float("nan")
        self._u: list[float] = []
        self._start: int | None = None
        self._standing = -1  # the last standing frame; a squat starts standing
        self.lowering = float("nan")  # the latest frame's, for the screen

    def _frame(self, image: np.ndarray | None, world: np.ndarray | None, t: float) -> SquatSignals:
        if image is None:
            return squat_signals(np.full((1, 33, 2), np.nan), None, np.array([t]))
        return squat_signals(np.asarray(image)[None], None if world is None else
                             np.asarray(world)[None], np.array([t]), self.min_visibility)

    def update(self, image: np.ndarray | None, world: np.ndarray | None, t: float
               ) -> SquatRep | None:
        row = self._frame(image, world, t)
        self._rows.append(row)
        h = float(row.hip_height[0])
        if math.isfinite(h):
            dt = t - self._last_t if math.isfinite(self._last_t) else 0.0
            a = 1.0 - math.exp(-max(dt, 0.0) / self.SMOOTH_S)
            self._h = h if not math.isfinite(self._h) else self._h + a * (h - self._h)
            self._h0 = self._h if not math.isfinite(self._h0) else max(self._h0, self._h)
            self._last_t = t
        u = 1.0 - self._h / self._h0 if math.isfinite(self._h) and self._h0 > 0 else float("nan")
        self.lowering = u
        self._u.append(u)
        i = len(self._u) - 1
        if self._start is None:
            if u <= EXIT:
                self._standing = i
            elif u > ENTER and self._standing >= 0:
                self._start = self._standing
            return None
        if not u <= EXIT:
            return None
        start, self._start, self._standing = self._start, None, i
        s = self.signals()
        if s.t[i] - s.t[start] < MIN_REP_S:
            return None
        lowered = np.array(self._u)
        bottom = start + int(np.nanargmax(lowered[start:i + 1]))
        rep = measure_rep(s, lowered, start, bottom, i)
        self.reps.append(rep)
        return rep

    def signals(self) -> SquatSignals:
        """The frames so far as one :class:`SquatSignals`."""
        rows = self._rows
        return SquatSignals(*(np.concatenate([getattr(r, f) for r in rows])
                              for f in ("t", "hip_height", "world", "shift_px", "hip_width_px",
                                        "stance_px", "feet_x_px", "knee_flexion_deg",
                                        "fppa_deg", "trunk_lean_left_deg")))

    def finding(self) -> SymmetryFinding:
        return symmetry_finding(self.reps, self.reading)


__all__ = [
    "CANT_TELL",
    "EVEN",
    "LEFT_SHIFT",
    "NOT_TESTED",
    "RIGHT_SHIFT",
    "SquatRep",
    "SquatSet",
    "SquatSignals",
    "SquatTracker",
    "SymmetryFinding",
    "analyze_squats",
    "find_rep_windows",
    "find_squats",
    "fppa_deg",
    "lateral_shift_px",
    "lowering",
    "measure_rep",
    "squat_signals",
    "symmetry_finding",
]
