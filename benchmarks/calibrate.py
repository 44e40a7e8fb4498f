"""Fit hipdrop.obliquity's calibrations on the TRAIN split of the validity renders.

    python benchmarks/calibrate.py [--data DIR] [--model full]

For every train stance clip: hipdrop's pipeline with the raw landmark line gives the stance
phases, the smoothed landmark and waist lines, and the lifted foot's lift and knee flexion;
every phase frame is paired with the truth's drop in that frame (lift-off and touch-down
included). Each reading is fitted by least squares as
    read = gain * true + offset + r * (lifted_offset + b * knee_flexion),  r = min(1, lift / 0.15)
each on the frames where hipdrop uses it: the waist line where its weight is full, the
landmark line where it is not (the fallback regime: mostly loose tops). Prints the fits,
leave-one-body-out errors, and the
Calibration lines to paste into src/hipdrop/obliquity.py; last line: one JSON object.
Held-out clips are never read.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _cues import CUE_VERSION, with_fresh_cues
from _validity_grid import all_clips

from hipdrop.analysis import analyze
from hipdrop.landmarks import LandmarkSeries
from hipdrop.obliquity import LIFT_FULL, WAIST_HIGH, lifted_leg, run_baselines
from hipdrop.stance import LEFT

FEATURES = ("lifted", "lifted_knee")  # r and r * knee flexion


def default_data() -> Path:
    env = os.environ.get("HIPDROP_VALIDITY_DIR")
    return Path(env) if env else Path.home() / ".cache" / "hipdrop" / "validity"


def clip_frames(name: str, data: Path, model: str) -> list[dict]:
    """Rows (one per full-drop frame of the clip's stance phase) of readings and truth."""
    series = LandmarkSeries.load(data / "landmarks" / f"{name}.{model}.npz")
    series = with_fresh_cues(series, data / "clips" / f"{name}.mp4", data / "cues")
    truth = json.loads((data / "clips" / f"{name}.json").read_text())
    analysis = analyze(series, estimator="landmarks")
    sig, labels = analysis.signals, analysis.labels
    true_cpd = np.array([np.nan if v is None else v for v in truth["per_frame"]["cpd_deg"]])
    true_drop = truth["params"]["grid_condition"]["drop_deg"]
    rows = []
    for phase in analysis.phases:
        side = LEFT if phase.stance == "left" else 2
        if phase.stance != truth["phases"][0]["stance"]:
            continue
        theta0, waist0 = run_baselines(sig.landmark_obliquity_deg, sig.waist_obliquity_deg,
                                       labels, phase.start)
        sign = 1.0 if side == LEFT else -1.0
        leg = lifted_leg(side)
        for i in range(phase.start, min(phase.stop, len(true_cpd))):
            if not np.isfinite(true_cpd[i]):
                continue  # the truth's foot is still down: no drop is defined
            r = min(1.0, max(0.0, float(getattr(sig, f"lift_{leg}")[i]) / LIFT_FULL))
            knee = float(getattr(sig, f"knee_flexion_{leg}_deg")[i])
            rows.append({
                "name": name, "body": truth["params"]["body"],
                "clothing": truth["params"]["clothing"], "true": float(true_cpd[i]),
                "full": bool(np.isclose(true_cpd[i], true_drop)),
                "landmarks": sign * (sig.landmark_obliquity_deg[i] - theta0),
                "waist": sign * (sig.waist_obliquity_deg[i] - waist0),
                "confidence": sig.waist_confidence[i],
                "lifted": r, "lifted_knee": r * knee,
            })
    return rows


def fit(rows: list[dict], reading: str) -> np.ndarray:
    """[gain, offset, lifted_offset, b] of ``reading`` (see the module docstring)."""
    x = np.array([[r["true"], 1.0, *(r[f] for f in FEATURES)] for r in rows])
    y = np.array([r[reading] for r in rows])
    ok = np.isfinite(x).all(axis=1) & np.isfinite(y)
    return np.linalg.lstsq(x[ok], y[ok], rcond=None)[0]


def invert(coef: np.ndarray, rows: list[dict], reading: str) -> np.ndarray:
    f = np.array([[r[k] for k in FEATURES] for r in rows])
    y = np.array([r[reading] for r in rows])
    return (y - coef[1] - f @ coef[2:]) / coef[0]


def leave_one_body_out(rows: list[dict], reading: str) -> float:
    errors = []
    for body in sorted({r["body"] for r in rows}):
        train = [r for r in rows if r["body"] != body]
        test = [r for r in rows if r["body"] == body]
        est = invert(fit(train, reading), test, reading)
        errors.append(np.abs(est - np.array([r["true"] for r in test])))
    return float(np.nanmean(np.concatenate(errors)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=default_data())
    parser.add_argument("--model", default="full")
    args = parser.parse_args(argv)
    names = [c.name for c in all_clips() if c.split == "train" and c.kind == "stance"]
    missing = [n for n in names if not (args.data / "landmarks" / f"{n}.{args.model}.npz").is_file()]
    if missing:
        print(f"{len(missing)} train clips not built in {args.data}: run "
              "`python benchmarks/validity.py --split train` first", file=sys.stderr)
        return 1
    rows = [r for n in names for r in clip_frames(n, args.data, args.model)]
    waist_rows = [r for r in rows if np.isfinite(r["waist"]) and r["confidence"] >= WAIST_HIGH]
    fallback_rows = [r for r in rows if r not in waist_rows]
    out = {"cue_version": CUE_VERSION, "clips": len(names), "frames": len(rows),
           "waist_frames": len(waist_rows)}
    print(f"train split: {len(names)} clips, {len(rows)} stance frames "
          f"({len(waist_rows)} with a confident waist line)")
    for reading, subset, const in (("landmarks", fallback_rows, "LANDMARK_LINE"),
                                   ("waist", waist_rows, "WAIST_LINE")):
        coef = fit(subset, reading)
        lobo = leave_one_body_out(subset, reading)
        est = invert(coef, subset, reading)
        mae = float(np.nanmean(np.abs(est - np.array([r["true"] for r in subset]))))
        print(f"{reading:9}: read = {coef[0]:.3f} true {coef[1]:+.2f} + r ({coef[2]:+.2f} "
              f"{coef[3]:+.4f} knee) on {len(subset)} frames; frame MAE after correction "
              f"{mae:.2f} deg, leave-one-body-out {lobo:.2f} deg")
        print(f"    {const} = Calibration(gain={coef[0]:.3f}, offset_deg={coef[1]:.2f}, "
              f"lifted_offset_deg={coef[2]:.2f}, per_knee_flexion={coef[3]:.4f})")
        out[reading] = {"gain": round(float(coef[0]), 4), "offset_deg": round(float(coef[1]), 3),
                        "lifted_offset_deg": round(float(coef[2]), 3),
                        "per_knee_flexion": round(float(coef[3]), 5), "frames": len(subset),
                        "frame_mae_deg": round(mae, 3), "lobo_mae_deg": round(lobo, 3)}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
