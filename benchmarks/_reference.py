"""The reference: hipdrop's offline pipeline as a straightforward per-frame Python loop.

Plain ``math`` and lists, one frame at a time, written from the definitions (DESIGN.md and the
docstrings of hipdrop.core.kinematics, filters, measures, stance, obliquity and reps), not from the
vectorised code: it is what the vectorised pipeline must agree with, and what it is timed
against. It uses the same zero-phase Gaussian as ``smooth_offline`` (a normalised convolution
computed per output sample), so the two are compared end to end, smoothing included.

Only hipdrop's constants are imported (settings, the tiers' coverage rule): no hipdrop
function. The data it is run on has no markers and no waist heights, so of the tiers
(hipdrop.core.tiers) only the waist and the landmarks are written out here.
"""

from __future__ import annotations

import bisect
import math
import struct
from dataclasses import dataclass

from hipdrop.core.tiers import MIN_COVERAGE
from hipdrop.settings import Settings

NAN = math.nan
L_SH, R_SH, L_HIP, R_HIP, L_KNEE, R_KNEE, L_ANK, R_ANK = 11, 12, 23, 24, 25, 26, 27, 28
FOOT = ((27, 29, 31), (28, 30, 32))
CORE = (L_SH, R_SH, L_HIP, R_HIP, L_ANK, R_ANK)
UNKNOWN, DOUBLE, LEFT, RIGHT = -1, 0, 1, 2
WAIST_MIN_CONFIDENCE = 0.3
COLUMNS = ("obliquity_deg", "landmark_obliquity_deg", "trunk_lean_left_deg",
           "abduction_left_deg", "abduction_right_deg", "lift_left", "lift_right",
           "waist_obliquity_deg", "waist_confidence", "knee_flexion_left_deg",
           "knee_flexion_right_deg")
SLOW = (0, 1, 2, 7)


def finite(x: float) -> bool:
    return not (math.isnan(x) or math.isinf(x))


def fmax(*xs: float) -> float:
    """Largest of the non-NaN values; NaN when all are NaN."""
    vals = [x for x in xs if not math.isnan(x)]
    return max(vals) if vals else NAN


def median(xs: list[float]) -> float:
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2.0


_DEG = 180.0 / math.pi


def deg(x: float) -> float:
    return x * _DEG


# ---------------------------------------------------------------------------------------------
# Per-frame angles


def f32(x: float) -> float:
    """``x`` rounded to float32 (exact emulation of one float32 operation on float32 inputs)."""
    return struct.unpack("f", struct.pack("f", x))[0] if finite(x) else x


def leg_length(p: list, hip: int, ankle: int) -> float:
    """Hip-to-ankle distance in float32 arithmetic, as hipdrop measures the leg on the stored
    float32 landmarks (LegScale.of): each step rounded to float32."""
    total = 0.0
    for a, h in zip(p[ankle], p[hip], strict=True):
        d = f32(a - h)
        total = f32(total + f32(d * d))
    return f32(math.sqrt(total))


def scales(image: list, world: list) -> tuple[float, float]:
    """Median hip-to-ankle length over every leg of every frame: world m, image px."""
    w = [leg_length(f, h, a) for f in world for h, a in ((L_HIP, L_ANK), (R_HIP, R_ANK))]
    i = [leg_length([p[:2] for p in f], h, a) for f in image for h, a in ((L_HIP, L_ANK), (R_HIP, R_ANK))]
    w, i = [x for x in w if finite(x)], [x for x in i if finite(x)]
    return (median32(w) if w else NAN), (median32(i) if i else NAN)


def median32(xs: list[float]) -> float:
    """The median of float32 values in float32 arithmetic."""
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else f32(f32(s[n // 2 - 1] + s[n // 2]) / 2.0)


def frame_row(img: list, wld: list, waist: tuple[float, float], world_m: float, image_px: float,
              s: Settings) -> tuple[list[float], bool, bool]:
    """One frame's raw signals (COLUMNS order), pose and uprightness."""
    seen = [p[3] >= s.min_visibility for p in img]
    xy = [(p[0], p[1]) if ok else (NAN, NAN) for p, ok in zip(img, seen, strict=True)]
    w = [tuple(q) if ok else (NAN, NAN, NAN) for q, ok in zip(wld, seen, strict=True)]
    pose = all(finite(xy[k][0]) and finite(xy[k][1]) for k in CORE)
    (xl, yl), (xr, yr) = xy[L_HIP], xy[R_HIP]
    oblique = deg(math.atan2(yr - yl, abs(xl - xr)))
    # Trunk: mid-hip -> mid-shoulder, + toward the person's left.
    mhx, mhy = 0.5 * (xl + xr), 0.5 * (yl + yr)
    msx, msy = 0.5 * (xy[L_SH][0] + xy[R_SH][0]), 0.5 * (xy[L_SH][1] + xy[R_SH][1])
    sign = 1.0 if xl >= xr else -1.0
    lean = deg(math.atan2((msx - mhx) * sign, -(msy - mhy)))
    # Abduction against the midline.
    dx, dy = mhx - msx, mhy - msy
    n = math.sqrt(dx * dx + dy * dy)
    dx, dy = dx / n, dy / n
    ox, oy = xl - xr, yl - yr
    k = ox * dx + oy * dy
    ox, oy = ox - k * dx, oy - k * dy
    n = math.sqrt(ox * ox + oy * oy)
    ox, oy = ox / n, oy / n
    abd = []
    for hip, ank, out_sign in ((L_HIP, L_ANK, 1.0), (R_HIP, R_ANK, -1.0)):
        vx, vy = xy[ank][0] - xy[hip][0], xy[ank][1] - xy[hip][1]
        abd.append(deg(math.atan2((vx * ox + vy * oy) * out_sign, vx * dx + vy * dy)))
    # Foot lift: world where present, else pixels.
    def lift(points: list, unit: float) -> float:
        low_l = fmax(*(points[j][1] for j in FOOT[0]))
        low_r = fmax(*(points[j][1] for j in FOOT[1]))
        return (low_r - low_l) / unit

    diff = lift(w, world_m)
    if not finite(diff):
        diff = lift(xy, image_px)
    # Uprightness.
    knee_y, ank_y = fmax(xy[L_KNEE][1], xy[R_KNEE][1]), fmax(xy[L_ANK][1], xy[R_ANK][1])
    up = pose and abs(lean) <= s.max_trunk_deg and mhy < knee_y and knee_y < ank_y
    # Waist cue.
    wo, wc = waist[0], waist[1]
    waist_obl = wo if (wc >= WAIST_MIN_CONFIDENCE and pose) else NAN
    waist_conf = wc if pose else NAN
    # Knee flexion, 3-D from world landmarks when the whole world pose is there.
    limbs = w if all(finite(q[0]) for q in w) else [(p[0], p[1], 0.0) for p in xy]
    knees = []
    for hip, knee, ank in ((L_HIP, L_KNEE, L_ANK), (R_HIP, R_KNEE, R_ANK)):
        a = [limbs[knee][c] - limbs[hip][c] for c in range(3)]
        b = [limbs[ank][c] - limbs[knee][c] for c in range(3)]
        cos = sum(x * y for x, y in zip(a, b, strict=True)) / (
            math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(x * x for x in b)))
        knees.append(NAN if math.isnan(cos) else deg(math.acos(min(1.0, max(-1.0, cos)))))
    return ([oblique, oblique, lean, abd[0], abd[1], diff, -diff, waist_obl, waist_conf,
             knees[0], knees[1]], pose, up)


# ---------------------------------------------------------------------------------------------
# Smoothing


def bridge(col: list[float], t: list[float], max_gap_s: float) -> list[float]:
    """Linear interpolation over NaN runs whose valid neighbours are at most max_gap_s apart."""
    out = list(col)
    n = len(col)
    i = 0
    while i < n:
        if finite(col[i]):
            i += 1
            continue
        j = i
        while j < n and not finite(col[j]):
            j += 1
        p, q = i - 1, j
        if p >= 0 and q < n and t[q] - t[p] <= max_gap_s + 1e-9:
            for m in range(i, j):
                wq = (t[m] - t[p]) / (t[q] - t[p]) if t[q] > t[p] else 0.0
                out[m] = col[p] * (1 - wq) + col[q] * wq
        i = j
    return out


def gaussian(col: list[float], fps: float, sigma_s: float) -> list[float]:
    """Zero-phase Gaussian that ignores NaN: each output the weighted mean of valid neighbours."""
    sigma = sigma_s * fps
    n = len(col)
    if sigma <= 0 or n == 0:
        return list(col)
    half = max(1, math.ceil(3 * sigma))
    kernel = [math.exp(-0.5 * ((j - half) / sigma) ** 2) for j in range(2 * half + 1)]
    out = [NAN] * n
    for i in range(n):
        if not finite(col[i]):
            continue
        num = den = 0.0
        for j, kj in enumerate(kernel):
            m = i + j - half
            if 0 <= m < n and finite(col[m]):
                num += kj * col[m]
                den += kj
        out[i] = num / den
    return out


# ---------------------------------------------------------------------------------------------
# Stance, drop, reps


def label(lift_l: float, lift_r: float, up: bool, fraction: float, knee_l: float, knee_r: float,
          max_knee: float) -> int:
    if not (up and finite(lift_l) and finite(lift_r)):
        return UNKNOWN
    if lift_r > fraction and not knee_l > max_knee:  # standing on the left knee, not squatting
        return LEFT
    if lift_l > fraction and not knee_r > max_knee:
        return RIGHT
    return DOUBLE


def frame_end(t: list[float], stop: int, fps: float) -> float:
    return t[stop] if stop < len(t) else t[-1] + 1.0 / fps


def phases_of(labels: list[int], t: list[float], fps: float, min_s: float) -> list[tuple]:
    out, start = [], 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            v = labels[start]
            if v in (LEFT, RIGHT) and frame_end(t, i, fps) - t[start] >= min_s - 1e-9:
                out.append((v, start, i))
            start = i
    return out


class Baselines:
    """The double-stance baseline of a series before a frame: the last DOUBLE run with >= 3
    measured frames, else all DOUBLE frames of the series, else 0."""

    def __init__(self, x: list[float], labels: list[int]) -> None:
        self.x, self.labels = x, labels
        self._clip: tuple[float, str] | None = None

    def at(self, start: int) -> tuple[float, str]:
        x, labels = self.x, self.labels
        i = start - 1
        while i >= 0:
            v, j = labels[i], i
            while j >= 0 and labels[j] == v:
                j -= 1
            if v == DOUBLE:
                seg = [x[m] for m in range(j + 1, i + 1) if finite(x[m])]
                if len(seg) >= 3:
                    return median(seg), "before"
            i = j
        if self._clip is None:
            every = [a for a, lab in zip(x, labels, strict=True) if lab == DOUBLE and finite(a)]
            self._clip = (median(every), "clip") if len(every) >= 3 else (0.0, "none")
        return self._clip


def held_peak(x: list[float], fps: float, window_s: float) -> float:
    finite_x = [v for v in x if finite(v)]
    if not finite_x:
        return NAN
    w = max(1, round(window_s * fps))
    if len(x) <= w:
        return median(finite_x)
    best = NAN
    for i in range(len(x) - w + 1):
        vals = [v for v in x[i:i + w] if finite(v)]
        if vals:
            m = median(vals)
            best = m if not finite(best) or m > best else best
    return best


def estimate(cols: dict, labels: list[int], found: list[tuple]) -> list[float]:
    """hipdrop's obliquity: in each phase the waist line where it was read in most of the phase
    and in the double stance before, shifted to the landmark line's baseline; else the
    landmark line, uncorrected."""
    lm, wo = cols["landmark_obliquity_deg"], cols["waist_obliquity_deg"]
    out = list(lm)
    base_lm, base_w = Baselines(lm, labels), Baselines(wo, labels)
    for _side, start, stop in found:
        theta0, _ = base_lm.at(start)
        w0, source = base_w.at(start)
        seen = sum(finite(wo[i]) for i in range(start, stop)) / max(1, stop - start)
        if seen >= MIN_COVERAGE and source != "none":
            for i in range(start, stop):
                out[i] = wo[i] - w0 + theta0
    return out


@dataclass
class Phase:
    side: int
    start: int
    stop: int
    baseline_deg: float
    peak_drop_deg: float
    mean_drop_deg: float
    peak_trunk_lean_deg: float
    peak_lean_change_deg: float


def measure(theta: list[float], lean: list[float], labels: list[int], found: list[tuple],
            t: list[float], fps: float, s: Settings) -> tuple[list[Phase], list[float]]:
    drop = [NAN] * len(t)
    base_theta, base_lean = Baselines(theta, labels), Baselines(lean, labels)
    phases = []
    for side, start, stop in found:
        theta0, _ = base_theta.at(start)
        lean0, _ = base_lean.at(start)
        sign = 1.0 if side == LEFT else -1.0
        cpd = [sign * (theta[i] - theta0) for i in range(start, stop)]
        drop[start:stop] = cpd
        toward = [sign * lean[i] for i in range(start, stop)]
        change = [sign * (lean[i] - lean0) for i in range(start, stop)]
        ok = [v for v in cpd if finite(v)]
        phases.append(Phase(side, start, stop, theta0, held_peak(cpd, fps, s.peak_window_s),
                            sum(ok) / len(ok) if ok else NAN,
                            held_peak(toward, fps, s.peak_window_s),
                            held_peak(change, fps, s.peak_window_s)))
    return phases, drop


@dataclass
class Rep:
    leg: str
    start_s: float
    end_s: float
    peak_deg: float
    held_s: float
    complete: bool
    peak_index: int


def resting(alpha: list[float], fps: float, s: Settings) -> list[float]:
    """The leg's resting splay as of each frame: the median of the finite samples so far up to
    a window of them, then the lowest window median so far, within [0, down]."""
    w = max(1, round(fps))
    out, vals, window, low = [], [], [], math.inf
    for a in alpha:
        if finite(a):
            vals.append(a)
            # A sliding window kept sorted: one removal and one insertion a step.
            if len(vals) > w:
                del window[bisect.bisect_left(window, vals[-w - 1])]
            bisect.insort(window, a)
            if len(vals) >= w:
                low = min(low, median(window))
        if not vals:
            out.append(0.0)
            continue
        value = median(window) if len(vals) <= w else low
        out.append(min(s.rep_down_deg, max(0.0, value)))
    return out


def leg_reps(alpha_abs: list[float], other_abs: list[float], t: list[float], fps: float,
             leg: str, s: Settings, rest: list[float], other_rest: list[float]) -> list[Rep]:
    n = len(alpha_abs)
    alpha = [a - r for a, r in zip(alpha_abs, rest, strict=True)]
    other = [o - r for o, r in zip(other_abs, other_rest, strict=True)]
    reps, up, last_below, peak_i, held = [], False, -1, -1, 0.0
    rise_below = -1
    for i in range(n + 1):
        a = alpha[i] if i < n else NAN
        new = up
        if i < n and a > s.rep_up_deg:
            new = True
        elif i < n and a < s.rep_down_deg:
            new = False
        if i == n:
            new = False  # the series ends: an open rep closes here
        if not up and new:  # a rise: the rep starts at the last sample below ``down``
            rise_below, peak_i, held = last_below, i, 0.0
        if up and not new:
            start, stop = max(rise_below, 0), min(i, n - 1)
            peak = alpha[peak_i]
            if t[stop] - t[start] >= s.min_rep_s and not (
                    finite(other[peak_i]) and other[peak_i] >= 0.5 * peak):
                reps.append(Rep(leg, t[start], t[stop], alpha_abs[peak_i], held, i < n, peak_i))
        if new and i < n:
            if finite(a) and (not finite(alpha[peak_i]) or a > alpha[peak_i]):
                peak_i = i
            if a > s.rep_up_deg:
                held += (t[i + 1] if i + 1 < n else t[i] + 1.0 / fps) - t[i]
        if i < n and a < s.rep_down_deg:
            last_below = i
        up = new
    return reps


# ---------------------------------------------------------------------------------------------
# The whole pipeline


@dataclass
class Result:
    columns: dict[str, list[float]]  # smoothed, with obliquity_deg the estimator's
    pose: list[bool]
    upright: list[bool]
    labels: list[int]
    drop: list[float]
    phases: list[Phase]
    reps: list[Rep]


def run(image: list, world: list, waist: list, t: list[float], fps: float, s: Settings) -> Result:
    """The offline analysis of lists: image (T, 33, 4), world (T, 33, 3), waist (T, 2)."""
    world_m, image_px = scales(image, world)
    rows, pose, up = [], [], []
    for img, wld, wst in zip(image, world, waist, strict=True):
        row, p, u = frame_row(img, wld, wst, world_m, image_px, s)
        rows.append(row)
        pose.append(p)
        up.append(u)
    columns = {}
    for c, name in enumerate(COLUMNS):
        col = gaussian(bridge([r[c] for r in rows], t, s.max_gap_s), fps, s.smooth_sigma_s)
        if c in SLOW:
            col = gaussian(col, fps, s.angle_sigma_s)
        columns[name] = col
    upright = bridge([(1.0 if u else 0.0) if p else NAN for u, p in zip(up, pose, strict=True)],
                     t, s.max_gap_s)
    upright = [finite(u) and u >= 0.5 for u in upright]
    labels = [label(a, b, u, s.lift_fraction, kl, kr, s.max_stance_knee_deg)
              for a, b, u, kl, kr in zip(columns["lift_left"], columns["lift_right"], upright,
                                         columns["knee_flexion_left_deg"],
                                         columns["knee_flexion_right_deg"], strict=True)]
    found = phases_of(labels, t, fps, s.min_stance_s)
    columns["obliquity_deg"] = estimate(columns, labels, found)
    phases, drop = measure(columns["obliquity_deg"], columns["trunk_lean_left_deg"], labels, found,
                           t, fps, s)
    al, ar = columns["abduction_left_deg"], columns["abduction_right_deg"]
    rest_l, rest_r = resting(al, fps, s), resting(ar, fps, s)
    reps = (leg_reps(al, ar, t, fps, "left", s, rest_l, rest_r)
            + leg_reps(ar, al, t, fps, "right", s, rest_r, rest_l))
    reps.sort(key=lambda r: r.start_s)
    return Result(columns, pose, upright, labels, drop, phases, reps)
