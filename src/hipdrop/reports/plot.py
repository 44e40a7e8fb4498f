"""obliquity.png: obliquity and contralateral drop over time, phases shaded, threshold drawn.

Drawn with OpenCV rather than matplotlib: importing matplotlib and laying out a figure took
0.4 s of every `hipdrop analyze`, more than 10% of the run on a 10 s clip (benchmarks/analyze.py),
for a chart of a few lines and boxes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from hipdrop.errors import OutputError
from hipdrop.io.outputs import write_bytes

if TYPE_CHECKING:
    from hipdrop.pipeline.analysis import Analysis

WIDTH, HEIGHT = 1100, 680
CHART_WIDTH, CHART_HEIGHT = 820, 520  # report.html's chart
LABELLED_PHASES = 60
_FONT = cv2.FONT_HERSHEY_DUPLEX
_INK, _GRID, _MUTED = (40, 40, 40), (225, 225, 225), (130, 130, 130)
_RED = (40, 40, 200)
_PHASE = {"left": (246, 130, 59), "right": (22, 115, 249)}  # BGR: blue, orange


@dataclass(frozen=True)
class _Axes:
    """A plotting box in the image and the data ranges it shows."""

    x0: int
    y0: int
    x1: int
    y1: int
    t0: float
    t1: float
    v0: float
    v1: float

    def x(self, t: np.ndarray | float) -> np.ndarray:
        return self.x0 + (np.asarray(t) - self.t0) / (self.t1 - self.t0) * (self.x1 - self.x0)

    def y(self, v: np.ndarray | float) -> np.ndarray:
        return self.y1 - (np.asarray(v) - self.v0) / (self.v1 - self.v0) * (self.y1 - self.y0)


def _text(img: np.ndarray, text: str, org: tuple[float, float], size: float = 0.45,
          colour: tuple[int, int, int] = _INK, anchor: str = "left") -> None:
    (w, h), _ = cv2.getTextSize(text, _FONT, size, 1)
    x, y = org
    x = x - w if anchor == "right" else x - w / 2 if anchor == "center" else x
    cv2.putText(img, text, (round(x), round(y + h / 2)), _FONT, size, colour, 1, cv2.LINE_AA)


def _step(span: float, target: int = 8) -> float:
    """A round tick step giving about ``target`` ticks over ``span``."""
    raw = max(span, 1e-9) / target
    base = 10 ** math.floor(math.log10(raw))
    return next(m * base for m in (1, 2, 5, 10) if m * base >= raw)


def _range(*series: np.ndarray, floor: float = 5.0) -> tuple[float, float]:
    finite = np.concatenate([s[np.isfinite(s)] for s in series] + [np.zeros(1)])
    lo, hi = float(finite.min()), float(finite.max())
    pad = max(0.1 * (hi - lo), 1.0)
    lo, hi = lo - pad, hi + pad
    if hi - lo < floor:
        mid = 0.5 * (lo + hi)
        lo, hi = mid - floor / 2, mid + floor / 2
    return lo, hi


def _frame(img: np.ndarray, ax: _Axes, ylabel: str, ticks_x: bool) -> None:
    step = _step(ax.v1 - ax.v0, 6)
    for v in np.arange(math.ceil(ax.v0 / step) * step, ax.v1, step):
        y = round(float(ax.y(v)))
        cv2.line(img, (ax.x0, y), (ax.x1, y), _GRID, 1)
        _text(img, f"{v:g}", (ax.x0 - 8, y), 0.4, _MUTED, "right")
    step = _step(ax.t1 - ax.t0, 10)
    for t in np.arange(math.ceil(ax.t0 / step) * step, ax.t1 + 1e-9, step):
        x = round(float(ax.x(t)))
        cv2.line(img, (x, ax.y0), (x, ax.y1), _GRID, 1)
        if ticks_x:
            _text(img, f"{t:g}", (x, ax.y1 + 14), 0.4, _MUTED, "center")
    cv2.rectangle(img, (ax.x0, ax.y0), (ax.x1, ax.y1), _MUTED, 1)
    for i, line in enumerate(ylabel.split("\n")):
        _text(img, line, (12, ax.y0 + 10 + 18 * i), 0.42, _INK)


# A line of more samples than this many per pixel column is drawn as each column's min and
# max: the same picture, where an hour's 108,000 samples (with every NaN gap a segment of its
# own, and a dashed line a cv2.line a pair) took seconds to draw.
_PER_PX = 4


def _envelope(t: np.ndarray, v: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """(t, v) as they are, or, beyond _PER_PX samples a column, each of ``columns`` runs of
    samples as its min and max at the run's first time (NaN where a run has no finite
    sample, so a gap stays a gap)."""
    n = len(t)
    if n <= _PER_PX * columns or len(v) != n:
        return t, v
    starts = np.linspace(0, n, columns + 1).astype(np.intp)[:-1]
    v = np.asarray(v, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        lo, hi = np.fmin.reduceat(v, starts), np.fmax.reduceat(v, starts)
    return np.repeat(np.asarray(t)[starts], 2), np.column_stack([lo, hi]).ravel()


def _curve(img: np.ndarray, ax: _Axes, t: np.ndarray, v: np.ndarray,
           colour: tuple[int, int, int], thick: int = 2, dashed: bool = False) -> None:
    """Polyline through the finite samples; NaN breaks the line."""
    t, v = _envelope(t, v, ax.x1 - ax.x0)
    ok = np.isfinite(v)
    pts = np.stack([ax.x(t), ax.y(np.clip(v, ax.v0, ax.v1))], axis=1)
    breaks = np.flatnonzero(np.diff(ok.astype(np.int8)) != 0) + 1
    for seg_ok, seg in zip(np.split(ok, breaks), np.split(pts, breaks), strict=True):
        if not seg_ok[0] or len(seg) < 2:
            continue
        seg = np.round(seg).astype(np.int32)
        if dashed:
            for a, b in zip(seg[:-1:2], seg[1::2], strict=False):
                cv2.line(img, tuple(a), tuple(b), colour, thick, cv2.LINE_AA)
        else:
            cv2.polylines(img, [seg], False, colour, thick, cv2.LINE_AA)


def _shade(img: np.ndarray, ax: _Axes, spans: list[tuple[float, float, tuple[int, int, int]]]
           ) -> None:
    """Tint the axes' columns from t0 to t1 of each (t0, t1, colour) span, in one blend: a
    column two spans share (an hour's 3,273 phases on 700 px) takes the later one's tint."""
    left = ax.x0 + 1
    tint = np.zeros((ax.x1 - left, 3), np.uint8)
    covered = np.zeros(ax.x1 - left, bool)
    for t0, t1, colour in spans:
        a, b = max(left, round(float(ax.x(t0)))) - left, min(ax.x1, round(float(ax.x(t1)))) - left
        if b > a:  # else a phase narrower than a pixel: nothing to tint
            tint[a:b] = colour
            covered[a:b] = True
    if not covered.any():
        return
    roi = img[ax.y0 + 1:ax.y1, left:ax.x1]
    blended = cv2.addWeighted(roi, 0.82, np.ascontiguousarray(np.broadcast_to(tint, roi.shape)),
                              0.18, 0.0)
    roi[:, covered] = blended[:, covered]


def _legend(img: np.ndarray, x: int, y: int, items: list[tuple[str, tuple[int, int, int], str]]
            ) -> None:
    for label, colour, kind in items:
        if kind == "box":
            cv2.rectangle(img, (x, y - 6), (x + 22, y + 6), colour, -1)
        else:
            cv2.line(img, (x, y), (x + 22, y), colour, 2, cv2.LINE_AA)
        _text(img, label, (x + 30, y), 0.42)
        y += 20


def render_obliquity(analysis: Analysis, title: str = "") -> np.ndarray:
    """The chart as a (HEIGHT, WIDTH, 3) BGR image."""
    s = analysis.signals
    t = s.t
    img = np.full((HEIGHT, WIDTH, 3), 255, np.uint8)
    t0, t1 = (float(t[0]), float(t[-1])) if len(t) > 1 else (0.0, 1.0)
    t1 = max(t1, t0 + 1.0)
    threshold = analysis.settings.drop_threshold_deg
    top = _Axes(150, 60, 860, 330, t0, t1, *_range(s.obliquity_deg, s.landmark_obliquity_deg))
    bottom = _Axes(150, 370, 860, 630, t0, t1,
                   *_range(analysis.drop, np.array([threshold + 1.0, -1.0])))
    for ax in (top, bottom):
        _shade(img, ax, [(p.start_s, p.end_s, _PHASE[p.stance]) for p in analysis.phases])
    _frame(img, top, "obliquity\n(deg)\n+ = right\nhip lower", ticks_x=False)
    _frame(img, bottom, "drop\n(deg)\n- = hike", ticks_x=True)
    _text(img, "time (s)", ((bottom.x0 + bottom.x1) / 2, bottom.y1 + 34), 0.45, _INK, "center")
    for p in analysis.phases:  # each phase's baseline, over the phase
        y = round(float(top.y(np.clip(p.baseline_deg, top.v0, top.v1))))
        cv2.line(img, (round(float(top.x(p.start_s))), y), (round(float(top.x(p.end_s))), y),
                 _PHASE[p.stance], 1, cv2.LINE_AA)
    if not np.allclose(s.obliquity_deg, s.landmark_obliquity_deg, equal_nan=True):
        _curve(img, top, t, s.landmark_obliquity_deg, _MUTED, 1, dashed=True)
    _curve(img, top, t, s.obliquity_deg, _INK, 2)
    y = round(float(bottom.y(threshold)))
    for x in range(bottom.x0, bottom.x1, 8):
        cv2.line(img, (x, y), (min(x + 4, bottom.x1), y), _RED, 1)
    y0 = round(float(bottom.y(0.0)))
    cv2.line(img, (bottom.x0, y0), (bottom.x1, y0), _MUTED, 1)
    # The pose model's hip points alone give no number hipdrop stands behind: drawn faint.
    _curve(img, bottom, t, analysis.drop, _MUTED, 1, dashed=True)
    _curve(img, bottom, t, analysis.shown_drop(), _RED, 2)
    for r in analysis.reps:
        x0, x1 = round(float(bottom.x(r.start_s))), round(float(bottom.x(r.end_s)))
        cv2.rectangle(img, (x0, bottom.y1 - 9), (x1, bottom.y1 - 3), _PHASE[r.leg], -1)
    # Beyond LABELLED_PHASES the labels would overlap into a smear: none is drawn.
    for p in analysis.phases if len(analysis.phases) <= LABELLED_PHASES else []:
        xm = float(bottom.x(0.5 * (p.start_s + p.end_s)))
        lo, hi = p.drop_interval_deg
        label = ("can't tell" if p.finding == "inconclusive" or not math.isfinite(lo)
                 else f"{p.finding} {lo:+.0f}..{hi:+.0f}")
        _text(img, p.stance, (xm, bottom.y0 + 12), 0.4, _INK, "center")
        _text(img, label, (xm, bottom.y0 + 28), 0.4, _RED if p.significant else _INK, "center")
    _text(img, title or "Pelvic obliquity and contralateral drop", ((top.x0 + top.x1) / 2, 28),
          0.62, _INK, "center")
    _legend(img, 880, 80, [("obliquity (hipdrop)", _INK, "line")]
            + ([("landmark 23/24 line", _MUTED, "line")]
               if not np.allclose(s.obliquity_deg, s.landmark_obliquity_deg, equal_nan=True)
               else [])
            + [("pelvic drop (CPD)", _RED, "line"), (f"threshold {threshold:g} deg", _RED, "line"),
               ("left stance / rep", _PHASE["left"], "box"),
               ("right stance / rep", _PHASE["right"], "box")])
    return img


def plot_obliquity(analysis: Analysis, out: Path, title: str = "") -> None:
    """Write the chart of :func:`render_obliquity` to ``out`` (PNG), complete or not at all."""
    ok, png = cv2.imencode(".png", render_obliquity(analysis, title))
    if not ok:
        raise OutputError(f"cannot encode {out}")
    write_bytes(out, png.tobytes())


def render_drop_chart(frames: dict[str, np.ndarray], phases: list[dict], threshold_deg: float,
                      labelled_phases: int = LABELLED_PHASES) -> np.ndarray:
    """report.html's chart as a (CHART_HEIGHT, CHART_WIDTH, 3) BGR image: obliquity (hipdrop's
    and the hip landmarks' line) and the drop over time, from frames.csv's columns ``t_s``,
    ``obliquity_deg``, ``drop_deg`` (and ``landmark_obliquity_deg`` when present), stance
    ``phases`` (summary.json's dicts) shaded and, up to ``labelled_phases`` of them, labelled
    with their peak drop; the threshold dashed."""
    t = np.asarray(frames["t_s"], np.float64)
    obliquity = np.asarray(frames["obliquity_deg"], np.float64)
    drop = np.asarray(frames["drop_deg"], np.float64)
    landmark = frames.get("landmark_obliquity_deg")
    landmark = None if landmark is None else np.asarray(landmark, np.float64)
    if landmark is not None and (len(landmark) != len(t) or np.allclose(landmark, obliquity,
                                                                         equal_nan=True)):
        landmark = None  # no cue but the landmarks: the two lines are one
    img = np.full((CHART_HEIGHT, CHART_WIDTH, 3), 255, np.uint8)
    finite_t = t[np.isfinite(t)]
    t0, t1 = (float(finite_t[0]), float(finite_t[-1])) if len(finite_t) > 1 else (0.0, 1.0)
    t1 = max(t1, t0 + 1.0)
    lines = [obliquity] if landmark is None else [obliquity, landmark]
    top = _Axes(130, 52, 790, 256, t0, t1, *_range(*lines))
    bottom = _Axes(130, 282, 790, 470, t0, t1,
                   *_range(drop, np.array([threshold_deg + 1.0, -1.0])))
    shown = [p for p in phases if p.get("start_s") is not None and p.get("end_s") is not None]
    for ax in (top, bottom):
        _shade(img, ax, [(float(p["start_s"]), float(p["end_s"]),
                          _PHASE.get(str(p.get("stance")), (200, 200, 200))) for p in shown])
    _frame(img, top, "obliquity\n(deg)\n+ = right\nhip lower", ticks_x=False)
    _frame(img, bottom, "drop\n(deg)\n- = hike", ticks_x=True)
    _text(img, "time (s)", ((bottom.x0 + bottom.x1) / 2, bottom.y1 + 32), 0.45, _INK, "center")
    if landmark is not None:
        _curve(img, top, t, landmark, _MUTED, 1, dashed=True)
    _curve(img, top, t, obliquity, _INK, 2)
    y = round(float(bottom.y(np.clip(threshold_deg, bottom.v0, bottom.v1))))
    for x in range(bottom.x0, bottom.x1, 8):
        cv2.line(img, (x, y), (min(x + 4, bottom.x1), y), _RED, 1)
    y0 = round(float(bottom.y(0.0)))
    cv2.line(img, (bottom.x0, y0), (bottom.x1, y0), _MUTED, 1)
    _curve(img, bottom, t, drop, _RED, 2)
    for p in shown if len(shown) <= labelled_phases else []:
        if p.get("peak_drop_deg") is None:
            continue
        xm = float(bottom.x(0.5 * (float(p["start_s"]) + float(p["end_s"]))))
        _text(img, str(p.get("stance")), (xm, bottom.y0 + 12), 0.4, _INK, "center")
        _text(img, f"{float(p['peak_drop_deg']):+.1f}", (xm, bottom.y0 + 28), 0.4, _INK,
              "center")
    _legend(img, 560, 12, [("hipdrop", _INK, "line")]
            + ([("hip landmark line", _MUTED, "line")] if landmark is not None else []))
    _legend(img, 130, CHART_HEIGHT - 14, [(f"threshold {threshold_deg:g} deg / pelvic drop",
                                           _RED, "line")])
    return img


def png(img: np.ndarray) -> bytes:
    """``img`` (H, W, 3 uint8 BGR) encoded as PNG."""
    ok, data = cv2.imencode(".png", img)
    if not ok:
        raise OutputError("cannot encode a chart as PNG")
    return data.tobytes()
