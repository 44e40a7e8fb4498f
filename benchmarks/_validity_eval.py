"""What hipdrop reads on one clip of the validity dataset, beside the truth (no pose model).

Each clip's cached landmarks go through ``hipdrop.pipeline.analysis.analyze`` with default settings.
A stance clip is read by two measures:

* ``landmark``: the raw 23/24 hip line, ``analyze(..., estimator="landmarks")``;
* ``estimator``: what ``analyze`` reports to users by default (``estimator="hipdrop"``: its
  phases, CPD series and ``signals.obliquity_deg``), so the benchmark measures what src/
  computes at run time.

The series' image cues (the waist line) are measured afresh from the clip's video by the
current ``hipdrop.vision.cues`` (``_cues.with_fresh_cues``, cached per cue version in
``<data>/cues``), so a change to the cue code never needs the pose model again.

The detected phase that matches the true one is the one on the true stance side that
overlaps it most; the clip's read CPD is that phase's ``peak_drop_deg`` (as reported) and,
less noisy, the mean CPD over the truth's ``full_drop_s`` window.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from _cues import with_fresh_cues

from hipdrop.core.landmarks import LandmarkSeries
from hipdrop.core.stance import StancePhase
from hipdrop.errors import NoPoseError
from hipdrop.pipeline.analysis import Analysis, analyze
from hipdrop.settings import Settings

MEASURES = ("landmark", "estimator")
# analyze()'s estimator argument for each measure.
ESTIMATOR_ARG = {"landmark": "landmarks", "estimator": "hipdrop"}


def analyses(series: LandmarkSeries, settings: Settings) -> dict[str, Analysis]:
    """Per measure, hipdrop's analysis of ``series`` (raises NoPoseError)."""
    return {m: analyze(series, settings, estimator=ESTIMATOR_ARG[m]) for m in MEASURES}


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def match_phase(phases: list[StancePhase], true_phase: dict) -> tuple[StancePhase | None, bool]:
    """The phase on the true side overlapping the true phase most (or None), and whether a
    phase on the wrong side overlaps it instead."""
    t0, t1 = true_phase["start_s"], true_phase["end_s"]
    same = [(p, _overlap(p.start_s, p.end_s, t0, t1)) for p in phases if p.stance == true_phase["stance"]]
    same = [(p, o) for p, o in same if o > 0]
    if same:
        return max(same, key=lambda po: po[1])[0], False
    wrong = any(_overlap(p.start_s, p.end_s, t0, t1) > 0 for p in phases)
    return None, wrong


def _sd(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(np.std(x, ddof=1)) if x.size >= 3 else float("nan")


def _fit(mask: np.ndarray, n: int) -> np.ndarray:
    """``mask`` cut or padded with False to length ``n`` (a video that decodes short)."""
    return np.concatenate([mask[:n], np.zeros(max(0, n - len(mask)), bool)])


def _windows(truth: dict) -> tuple[np.ndarray, np.ndarray, dict]:
    """(T,) bool masks of the still double stance at the start and of the full-drop window,
    and the true phase."""
    t = np.asarray(truth["per_frame"]["t_s"], float)
    phase = truth["phases"][0]
    base = t <= truth["params"]["scenario"]["baseline_s"]
    f0, f1 = phase["full_drop_s"]
    return base, (t >= f0 - 1e-6) & (t <= f1 + 1e-6), phase


def true_projected_cpd(truth: dict) -> float:
    """The CPD of the projected true hip centres (DESIGN.md's formula, baseline = the still
    double stance), mean over the full-drop window: what a perfect landmark model reads."""
    base, full, phase = _windows(truth)
    theta = np.asarray(truth["per_frame"]["obliquity_deg"], float)
    sign = 1.0 if phase["stance"] == "left" else -1.0
    return float(sign * (theta[full].mean() - np.median(theta[base])))


def stance_record(series: LandmarkSeries, truth: dict, settings: Settings) -> dict:
    """Truth and both measures' reads of one single-stance clip."""
    base, full, phase = _windows(truth)
    rec = {"true": float(phase["drop_deg"]), "side": phase["stance"],
           "true_projected": true_projected_cpd(truth)}
    try:
        by_measure = analyses(series, settings)
    except NoPoseError as exc:
        rec["error"] = str(exc)
        for m in MEASURES:
            rec[m] = {"phases": 0, "matched": False, "wrong_side": False, "peak": None,
                      "mean": None, "significant": False, "any_significant": False,
                      "sd_base": None, "sd_full": None}
        return rec
    base, full = _fit(base, len(series)), _fit(full, len(series))
    for m, analysis in by_measure.items():
        phases, drop, theta = analysis.phases, analysis.drop, analysis.signals.obliquity_deg
        found, wrong = match_phase(phases, phase)
        window = drop[full] if found is not None else np.array([])
        window = window[np.isfinite(window)]
        rec[m] = {
            "phases": len(phases),
            "matched": found is not None,
            "wrong_side": wrong,
            "peak": found.peak_drop_deg if found is not None else None,
            "mean": float(window.mean()) if window.size else None,
            "significant": bool(found is not None and found.significant),
            "any_significant": any(p.significant for p in phases),
            "sd_base": _sd(theta[base]),
            "sd_full": _sd(theta[full]),
        }
    return rec


def abduction_record(series: LandmarkSeries, truth: dict, settings: Settings) -> dict:
    """True and read reps of one abduction clip: counts per leg, and matched rep peaks."""
    true_reps = truth["reps"]
    counts = {leg: sum(r["leg"] == leg for r in true_reps) for leg in ("left", "right")}
    try:
        reps = analyze(series, settings).reps
    except NoPoseError as exc:
        return {"error": str(exc), "true_counts": counts, "read_counts": {"left": 0, "right": 0},
                "count_correct": False, "pairs": []}
    read = {leg: sum(r.leg == leg for r in reps) for leg in ("left", "right")}
    pairs, used = [], set()
    for tr in true_reps:
        best, best_o = None, 0.0
        for i, r in enumerate(reps):
            o = _overlap(r.start_s, r.end_s, tr["start_s"], tr["end_s"])
            if r.leg == tr["leg"] and i not in used and o > best_o:
                best, best_o = i, o
        if best is not None:
            used.add(best)
            pairs.append((float(tr["peak_deg"]), float(reps[best].peak_deg)))
    return {"true_counts": counts, "read_counts": read, "count_correct": read == counts,
            "true_reps": len(true_reps), "matched_reps": len(pairs), "pairs": pairs}


def clip_record(clip, truth: dict, landmarks: Path, video: Path, cues_dir: Path,
                settings: Settings) -> dict:
    """The record of one clip: its variations, the truth and the reads."""
    spec = clip.spec
    rec = {"name": clip.name, "split": clip.split, "kind": clip.kind, "clothing": spec.clothing,
           "body": spec.body, "lift_style": spec.scenario.lift_style, "room": spec.background,
           "distance_m": spec.distance_m, "camera_height_m": spec.camera_height_m,
           "roll_deg": spec.roll_deg, "scenario": spec.scenario.name}
    series = with_fresh_cues(LandmarkSeries.load(landmarks), video, cues_dir)
    rec["pose_frames"] = float(series.has_pose.mean()) if len(series) else 0.0
    if clip.kind == "stance":
        rec.update(stance_record(series, truth, settings))
    else:
        rec["peak_posed"] = spec.scenario.peak_deg
        rec.update(abduction_record(series, truth, settings))
    return rec
