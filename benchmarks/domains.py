"""Validity of the drop reading per held-out DOMAIN and per TIER (issue 8's figures).

Reads datasets of rendered clips with exact truth (each a folder with manifest.json, clips/
and landmarks/, built by ``benchmarks/domains_build.py`` for the NumPy families and
``benchmarks/blender_build.py`` for the Blender one), measures each clip's image cues (waist
line and markers) with the current hipdrop code (cached per code version), runs hipdrop's
analysis, and compares every stance phase with the truth:

- per domain and tier: phases, slope / offset / MAE of the read peak drop against the true
  one and how often the 90% interval holds the truth (over level pelvises and drops, told by
  the script: a hike's peak is read at the phase's edges, where a hike with level edges has a
  true held peak of 0);
- findings: level or hiking pelvises (true <= 1 deg) called "drop" (must be 0 everywhere),
  drops >= 6 deg with markers or a visible waist called "drop" on the right side, and, where
  neither is visible, how many phases are "inconclusive" rather than a wrong verdict. Markers
  count as visible where the camera saw both (the renderer's visibility in most of the
  phase's frames), not where they were worn under a loose top or behind a raised knee.

Only "train" was ever looked at while building the tiers; every other domain is held out (no
constant of hipdrop.core.tiers was fitted to any domain: the tiers' allowances were set from
geometry, and the landmark bounds from SYNTH-NOTES.md and the real clips).

    python benchmarks/domains.py --data /work/data/domains --data /work/data/blender
    python benchmarks/domains.py --quick   # a few clips a domain, a smoke run

Last line: one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import math
import os
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from _cues import measure_frames

from hipdrop.core.landmarks import LandmarkSeries
from hipdrop.core.stance import held_peak
from hipdrop.pipeline.analysis import analyze
from hipdrop.vision import cues, markers

CUE_VERSION = hashlib.sha256((inspect.getsource(cues) + inspect.getsource(markers)).encode()
                             ).hexdigest()[:10]
TIERS = ("markers", "waist", "landmarks")


def default_dirs() -> list[Path]:
    env = os.environ.get("HIPDROP_DOMAINS")
    if env:
        return [Path(p) for p in env.split(os.pathsep)]
    return [Path("/work/data/domains"), Path("/work/data/blender")]


def clips_of(data: Path) -> list[tuple[str, dict]]:
    """(domain, clip entry) of a dataset's manifest."""
    manifest = json.loads((data / "manifest.json").read_text())
    if "domains" in manifest:
        return [(d, c) for d, clips in manifest["domains"].items() for c in clips]
    domain = "blender" if "blender" in manifest.get("renderer", "") else data.name
    return [(domain, c) for c in manifest["clips"]]


def measure_cues(video: Path, series: LandmarkSeries, cache: Path) -> LandmarkSeries:
    """``series`` with the waist and marker cues of the current code (cached)."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{video.stem}.{CUE_VERSION}.npz"
    if path.is_file():
        with np.load(path) as z:
            series.waist, series.markers = z["waist"], z["markers"]
        return series
    waist, marks = measure_frames(video, series, with_markers=True)
    np.savez(path, waist=waist, markers=marks)
    series.waist, series.markers = waist, marks
    return series


def clip_records(data: Path, domain: str, clip: dict, model: str) -> list[dict]:
    name = clip["name"]
    truth_path, video = data / "clips" / f"{name}.json", data / "clips" / f"{name}.mp4"
    lm = data / "landmarks" / f"{name}.{model}.npz"
    if not (truth_path.is_file() and video.is_file() and lm.is_file()):
        return []
    truth = json.loads(truth_path.read_text())
    series = measure_cues(video, LandmarkSeries.load(lm), data / "cues")
    a = analyze(series)
    spec = clip.get("spec", {})
    t = np.asarray(truth["per_frame"]["t_s"], float)
    cpd = np.asarray([np.nan if v is None else v for v in truth["per_frame"]["cpd_deg"]], float)
    # Stickers the camera saw: worn, and each with most of its disc in view (the renderer's
    # visibility), rather than worn under a loose top or behind a raised knee.
    seen = np.asarray(truth["per_frame"].get("markers_visible", np.zeros((len(t), 2), bool)),
                      bool).reshape(len(t), -1)
    out = []
    for p in a.phases:
        tp = min(truth["phases"], key=lambda q: abs(q["start_s"] - p.start_s))
        inside = (t >= p.start_s - 1e-6) & (t < p.end_s - 1e-6)
        true_peak = held_peak(cpd[inside], series.fps, a.settings.peak_window_s) \
            if np.isfinite(cpd[inside]).any() else float(tp["drop_deg"])
        worn = spec.get("markers", "none") != "none"
        markers_seen = worn and inside.any() and bool(seen[inside].all(axis=1).mean() >= 0.6)
        out.append({
            "domain": domain, "clip": name, "stance": p.stance, "true_stance": tp["stance"],
            "scripted_drop_deg": float(tp["drop_deg"]), "true_deg": true_peak,
            "read_deg": p.peak_drop_deg, "low": p.drop_interval_deg[0],
            "high": p.drop_interval_deg[1], "tier": p.obliquity_source, "finding": p.finding,
            "reason": p.inconclusive_reason, "implausible": p.implausible,
            "markers": markers_seen, "markers_worn": worn,
            "visible_waist": spec.get("clothing", "plain") != "loose",
            "lift": spec.get("scenario", {}).get("lift_style", "flexed"),
        })
    return out


def fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    if len(x) < 3 or np.ptp(x) < 1.0:
        return math.nan, math.nan
    slope, offset = np.polyfit(x, y, 1)
    return float(slope), float(offset)


def slope_interval(x: np.ndarray, y: np.ndarray, n: int = 2000) -> tuple[float, float]:
    """A 90% bootstrap interval of the slope of y on x (phases resampled with replacement; a
    fixed seed, so a rerun prints the same): how far a slope on a few phases may be from the
    one more phases of the same domain would give."""
    if len(x) < 3 or np.ptp(x) < 1.0:
        return math.nan, math.nan
    rng = np.random.default_rng(0)
    slopes = []
    for _ in range(n):
        i = rng.integers(len(x), size=len(x))
        if np.ptp(x[i]) >= 1.0:
            slopes.append(np.polyfit(x[i], y[i], 1)[0])
    low, high = np.percentile(slopes, [5, 95])
    return float(low), float(high)


def tier_stats(rows: list[dict]) -> dict:
    # The fit is over level pelvises and drops: a hike's peak "drop" is its least hike, read at
    # the phase's edges where truth and reading are timed differently (hikes are judged by
    # their findings: none may be called a drop). Hikes are told by their script: a hike with
    # level edges has a held peak of 0 and counted as a level pelvis here before.
    ok = [r for r in rows if not r["implausible"] and math.isfinite(r["read_deg"])
          and r["true_deg"] >= -0.5 and r.get("scripted_drop_deg", 0.0) >= 0.0]
    x = np.array([r["true_deg"] for r in ok])
    y = np.array([r["read_deg"] for r in ok])
    slope, offset = fit(x, y) if ok else (math.nan, math.nan)
    covered = [r["low"] <= r["true_deg"] <= r["high"] for r in ok if math.isfinite(r["low"])]
    slope_ci = slope_interval(x, y) if ok else (math.nan, math.nan)
    return {"phases": len(rows), "slope": slope, "slope_90": list(slope_ci), "fitted": len(ok),
            "offset": offset,
            "mae": float(np.mean(np.abs(y - x))) if ok else math.nan,
            "coverage": float(np.mean(covered)) if covered else math.nan,
            "inconclusive": sum(r["finding"] == "inconclusive" for r in rows)}


def finding_stats(rows: list[dict]) -> dict:
    level = [r for r in rows if r["true_deg"] <= 1.0]
    drops = [r for r in rows if r["true_deg"] >= 6.0 and (r["markers"] or r["visible_waist"])]
    hidden = [r for r in rows if not r["markers"] and not r["visible_waist"]]
    return {
        "level_or_hike": len(level),
        "false_drops": sum(r["finding"] == "drop" for r in level),
        "drops_ge6_seen": len(drops),
        "drops_ge6_called": sum(r["finding"] == "drop" and r["stance"] == r["true_stance"]
                                for r in drops),
        "hidden": len(hidden),
        "hidden_inconclusive": sum(r["finding"] == "inconclusive" for r in hidden),
        "hidden_wrong": sum((r["finding"] == "drop") != (r["true_deg"] >= 4.0)
                            and r["finding"] != "inconclusive" for r in hidden),
        "wrong_side": sum(r["stance"] != r["true_stance"] for r in rows),
        # ... of which given a finding ("inconclusive" tells the person nothing wrong)
        "wrong_side_judged": sum(r["stance"] != r["true_stance"] and r["finding"] != "inconclusive"
                                 for r in rows),
    }


def fmt(x: float, nd: int = 2) -> str:
    return "-" if not math.isfinite(x) else f"{x:.{nd}f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, action="append", help="a dataset folder (repeatable)")
    p.add_argument("--model", default="full")
    p.add_argument("--quick", action="store_true", help="three clips a domain")
    p.add_argument("--records", type=Path, help="write the per-phase records here (JSON lines)")
    args = p.parse_args(argv)
    rows: list[dict] = []
    seen: dict[str, int] = defaultdict(int)
    for data in args.data or default_dirs():
        if not (data / "manifest.json").is_file():
            print(f"(no dataset at {data})", file=sys.stderr)
            continue
        for domain, clip in clips_of(data):
            if args.quick and seen[domain] >= 3:
                continue
            seen[domain] += 1
            rows += clip_records(data, domain, clip, args.model)
    if args.records:
        args.records.write_text("".join(json.dumps(r) + "\n" for r in rows))
    domains = sorted({r["domain"] for r in rows}, key=lambda d: (d != "train", d))
    report: dict = {"benchmark": "domains", "cue_version": CUE_VERSION, "domains": {}}
    print(f"{'domain':10s} {'tier':10s} {'phases':>6s} {'slope':>6s} {'offset':>7s} {'MAE':>6s} "
          f"{'cover90':>7s} {'incon.':>6s} {'slope 90% CI':>13s}")
    for d in domains:
        mine = [r for r in rows if r["domain"] == d]
        entry = {"tiers": {}, "findings": finding_stats(mine)}
        for tier in TIERS:
            sub = [r for r in mine if r["tier"] == tier]
            if not sub:
                continue
            st = tier_stats(sub)
            entry["tiers"][tier] = st
            print(f"{d:10s} {tier:10s} {st['phases']:6d} {fmt(st['slope']):>6s} "
                  f"{fmt(st['offset']):>7s} {fmt(st['mae']):>6s} {fmt(st['coverage']):>7s} "
                  f"{st['inconclusive']:6d} {fmt(st['slope_90'][0]):>6s}-{fmt(st['slope_90'][1])}")
        report["domains"][d] = entry
    print()
    print(f"{'domain':10s} {'level/hike':>10s} {'false drop':>10s} {'drops>=6 seen':>13s} "
          f"{'called':>6s} {'hidden':>6s} {'incon.':>6s} {'wrong':>5s} {'wrong side':>10s} "
          f"{'judged':>6s}")
    for d in domains:
        f = report["domains"][d]["findings"]
        print(f"{d:10s} {f['level_or_hike']:10d} {f['false_drops']:10d} {f['drops_ge6_seen']:13d} "
              f"{f['drops_ge6_called']:6d} {f['hidden']:6d} {f['hidden_inconclusive']:6d} "
              f"{f['hidden_wrong']:5d} {f['wrong_side']:10d} {f['wrong_side_judged']:6d}")
    print(json.dumps(report, allow_nan=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
