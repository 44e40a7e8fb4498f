"""Figures and tables of the validity benchmark, from per-clip records (see _validity_eval).

CPD figures of a group of stance clips, for one measure:

* ``n``: clips; ``found``: clips whose true phase was matched by a phase on the true side;
  ``missed``: clips where no stance phase was found at all; ``wrong_side``: clips where only a
  phase on the wrong side overlaps the true one;
* ``slope``, ``offset``, ``mae``: least-squares fit of read vs true drop (deg) and mean
  absolute error, over the matched clips, for the peak drop as reported (``peak``) and for
  the mean CPD over the full-drop window (``mean``), and the same over the true drops >= 0
  only (``peak_drops``, ``mean_drops``: for a hike the peak drop reads the phase's edges, not
  the hike, and the landmark line reads hikes about fully but drops about half);
* ``detect``: share of true drops >= 6 deg flagged significant on the correct stance side (an
  unmatched clip counts as not detected); ``false_flag``: share of true drops <= 0 with any
  phase flagged significant;
* ``sd_base``, ``sd_full``: median over clips of the SD of the smoothed obliquity over the
  still double stance and over the full-drop window (deg; goal <= 0.5).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np
from _validity_eval import MEASURES

DETECT_FROM_DEG = 6.0
MIN_SPREAD_DEG = 1.0  # a slope needs true values at least this far apart
CLOTHES = ("plain", "band", "loose", "all")


def fit(true: Iterable[float], read: Iterable[float]) -> dict[str, float]:
    """Least-squares read = slope * true + offset, and the mean absolute error (deg)."""
    x, y = np.asarray(list(true), float), np.asarray(list(read), float)
    mae = float(np.mean(np.abs(y - x))) if x.size else math.nan
    if x.size < 2 or np.ptp(x) < MIN_SPREAD_DEG:
        return {"slope": math.nan, "offset": math.nan, "mae": mae}
    slope, offset = np.polyfit(x, y, 1)
    return {"slope": float(slope), "offset": float(offset), "mae": mae}


def _rate(flags: list[bool]) -> float:
    return float(np.mean(flags)) if flags else math.nan


def _median(values: list) -> float:
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], float)
    return float(np.median(v)) if v.size else math.nan


def cpd_figures(records: list[dict], measure: str) -> dict:
    """The CPD figures (module docstring) of ``records`` for ``measure``."""
    reads = [(r, r[measure]) for r in records]
    matched = [(r, m) for r, m in reads if m["matched"]]
    out = {"n": len(records), "found": len(matched),
           "missed": sum(m["phases"] == 0 for _, m in reads),
           "wrong_side": sum(m["wrong_side"] for _, m in reads)}
    for key in ("peak", "mean"):
        pairs = [(r["true"], m[key]) for r, m in matched if m[key] is not None]
        out[key] = fit([p[0] for p in pairs], [p[1] for p in pairs])
        # The peak drop is the largest drop of a phase, so for a hike it reads the phase's
        # edges rather than the hike, and the landmark line reads hikes nearly fully but drops
        # half: the fit over the drops alone (true >= 0) is the one that matters for a sign.
        pairs = [p for p in pairs if p[0] >= 0]
        out[f"{key}_drops"] = fit([p[0] for p in pairs], [p[1] for p in pairs])
    pos = [m["significant"] for r, m in reads if r["true"] >= DETECT_FROM_DEG]
    neg = [m["any_significant"] for r, m in reads if r["true"] <= 0]
    out.update(detect=_rate(pos), n_detect=len(pos), false_flag=_rate(neg), n_false=len(neg),
               sd_base=_median([m["sd_base"] for _, m in reads]),
               sd_full=_median([m["sd_full"] for _, m in reads]))
    return out


def cpd_table(stance: list[dict], splits: list[str]) -> dict:
    """{measure: {split: {clothing: figures}}}, clothing "all" included."""
    return {m: {s: {c: cpd_figures([r for r in stance if r["split"] == s
                                    and (c == "all" or r["clothing"] == c)], m)
                    for c in CLOTHES}
                for s in splits}
            for m in MEASURES}


def _height_bin(r: dict) -> str:
    h = r["camera_height_m"]
    return "<0.8" if h < 0.8 else "0.8-1.1" if h <= 1.1 else ">1.1"


def _distance_bin(r: dict) -> str:
    d = r["distance_m"]
    return "<2.6" if d < 2.6 else "2.6-3.2" if d <= 3.2 else ">3.2"


def _roll_bin(r: dict) -> str:
    return "|roll|<=3" if abs(r["roll_deg"]) <= 3 else "|roll|>3"


FACTORS: dict[str, Callable[[dict], str]] = {
    "lift_style": lambda r: r["lift_style"],
    "body": lambda r: r["body"],
    "camera_height_m": _height_bin,
    "distance_m": _distance_bin,
    "roll": _roll_bin,
    "room": lambda r: r["room"],
    "stance_side": lambda r: r["side"],
}


def breakdown(stance: list[dict], splits: list[str]) -> dict:
    """{measure: {split: {factor: {level: fit of the mean read + n, bias}}}}: where the reading
    goes wrong. ``bias`` is the mean of (read - true) over the matched clips."""
    out: dict = {}
    for m in MEASURES:
        out[m] = {}
        for s in splits:
            rows = [r for r in stance if r["split"] == s]
            out[m][s] = {}
            for name, key in FACTORS.items():
                levels = sorted({key(r) for r in rows})
                out[m][s][name] = {}
                for level in levels:
                    group = [r for r in rows if key(r) == level]
                    pairs = [(r["true"], r[m]["mean"]) for r in group
                             if r[m]["matched"] and r[m]["mean"] is not None]
                    f = fit([p[0] for p in pairs], [p[1] for p in pairs])
                    f["bias"] = float(np.mean([b - a for a, b in pairs])) if pairs else math.nan
                    f["n"], f["found"] = len(group), len(pairs)
                    out[m][s][name][level] = f
    return out


def abduction_figures(records: list[dict]) -> dict:
    """Rep peak read vs truth (fit over matched reps) and per-clip count correctness."""
    pairs = [p for r in records for p in r["pairs"]]
    out = fit([p[0] for p in pairs], [p[1] for p in pairs])
    out.update(clips=len(records), counts_correct=sum(r["count_correct"] for r in records),
               true_reps=sum(r.get("true_reps", 0) for r in records), matched_reps=len(pairs))
    return out


def abduction_table(abd: list[dict], splits: list[str]) -> dict:
    """{split | "all": {"all" | scenario: figures}}."""
    out = {}
    for s in [*splits, "all"]:
        rows = [r for r in abd if s == "all" or r["split"] == s]
        out[s] = {k: abduction_figures([r for r in rows if k == "all" or r["scenario"] == k])
                  for k in ("all", "abduction-standing", "abduction-side-lying")}
    return out


# ---- printing -------------------------------------------------------------------------------

def _f(x: float, fmt: str = "5.2f") -> str:
    return format(x, fmt) if x is not None and np.isfinite(x) else "  -  ".rjust(len(format(0.0, fmt)))


FITS = (("peak", "peak drop, all"), ("peak_drops", "peak, drops>=0"), ("mean", "mean, all"),
        ("mean_drops", "mean, drops>=0"))


def format_cpd(table: dict, labels: dict[str, str]) -> list[str]:
    """Per measure: the fit table (read vs true), then detection, phases found and noise."""
    lines = []
    fit_head = (f"{'split':8} {'clothing':8} {'N':>4} | "
                + " | ".join(f"{'slope':>5} {'offs':>5} {'MAE':>5}" for _ in FITS))
    det_head = (f"{'split':8} {'clothing':8} {'N':>4} {'found':>5} {'missed':>6} {'wrong':>5} | "
                f"{'det>=6':>10} {'false<=0':>10} | {'sdBase':>6} {'sdFull':>6}")
    for m, by_split in table.items():
        lines += ["", f"CPD read vs true drop (deg), {labels[m]}",
                  f"{'':{fit_head.index('|')}}| " + " | ".join(f"{t:^17}" for _, t in FITS),
                  fit_head, "-" * len(fit_head)]
        for s, by_cloth in by_split.items():
            for c, f in by_cloth.items():
                if not f["n"]:
                    continue
                lines.append(f"{s:8} {c:8} {f['n']:>4} | " + " | ".join(
                    f"{_f(f[k]['slope'])} {_f(f[k]['offset'])} {_f(f[k]['mae'])}" for k, _ in FITS))
        lines += ["", f"Stance phases, detection and quiet-stance noise, {labels[m]}", det_head,
                  "-" * len(det_head)]
        for s, by_cloth in by_split.items():
            for c, f in by_cloth.items():
                if not f["n"]:
                    continue
                det = f"{_f(f['detect'], '4.0%')} /{f['n_detect']:>3}"
                fal = f"{_f(f['false_flag'], '4.0%')} /{f['n_false']:>3}"
                lines.append(
                    f"{s:8} {c:8} {f['n']:>4} {f['found']:>5} {f['missed']:>6} {f['wrong_side']:>5} | "
                    f"{det:>10} {fal:>10} | {_f(f['sd_base'], '6.2f')} {_f(f['sd_full'], '6.2f')}")
    return lines


def format_breakdown(table: dict, labels: dict[str, str]) -> list[str]:
    lines = []
    for m, by_split in table.items():
        lines += ["", f"Where it goes wrong ({labels[m]}; mean CPD over the full-drop window; "
                  "bias = mean read - true)"]
        head = (f"{'split':8} {'factor':16} {'level':14} {'N':>4} {'found':>5} {'slope':>6} "
                f"{'offset':>6} {'bias':>6} {'MAE':>5}")
        lines += [head, "-" * len(head)]
        for s, factors in by_split.items():
            for name, levels in factors.items():
                for level, f in levels.items():
                    lines.append(f"{s:8} {name:16} {level:14} {f['n']:>4} {f['found']:>5} "
                                 f"{_f(f['slope'], '6.2f')} {_f(f['offset'], '6.2f')} "
                                 f"{_f(f['bias'], '6.2f')} {_f(f['mae'])}")
    return lines


def format_abduction_clips(abd: list[dict]) -> list[str]:
    """One line a clip: true and read rep counts per leg [left, right]."""
    lines = ["", "Rep counts per abduction clip (left, right): true -> read"]
    for r in abd:
        t, c = r["true_counts"], r["read_counts"]
        lines.append(f"  {r['name']:48} {t['left']},{t['right']} -> {c['left']},{c['right']}"
                     f"{'' if r['count_correct'] else '  WRONG'}")
    return lines


def format_abduction(table: dict) -> list[str]:
    head = (f"{'split':8} {'scenario':22} {'clips':>5} {'counts ok':>9} {'reps':>5} {'matched':>7} "
            f"{'slope':>6} {'offset':>6} {'MAE':>5}")
    lines = ["", "Abduction: rep peak read vs truth (DESIGN.md midline angle), rep counts per clip",
             head, "-" * len(head)]
    for s, by_kind in table.items():
        for k, f in by_kind.items():
            if not f["clips"]:
                continue
            lines.append(f"{s:8} {k:22} {f['clips']:>5} {f['counts_correct']:>9} {f['true_reps']:>5} "
                         f"{f['matched_reps']:>7} {_f(f['slope'], '6.2f')} {_f(f['offset'], '6.2f')} "
                         f"{_f(f['mae'])}")
    return lines
