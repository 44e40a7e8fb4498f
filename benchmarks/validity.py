"""Validity benchmark: hipdrop's CPD, abduction angles and rep counts against rendered truth.

Renders (once) a grid of synthetic clips with known pelvic drops, abduction peaks and reps,
runs the pose model once per clip and caches the landmarks, then reads every clip with
hipdrop's analysis and compares with the truth, for the raw landmark hip line and for
hipdrop's estimator (whatever src/ computes at run time), separately for the TRAIN
variations (the only ones tuning may look at) and the HELD-OUT ones, per clothing type.
The grid and its split are described in _validity_grid.py; the figures in
_validity_stats.py; the data folder's layout in _validity_data.py.

    python benchmarks/validity.py --data DIR --jobs 2        # build what is missing, evaluate
    python benchmarks/validity.py --no-render --split train  # evaluate the cache only
    python benchmarks/validity.py --quick --data /tmp/vq     # a smoke test in a few minutes

Prints tables, then as the last line one JSON object with every figure. Needs the synth
extra (torch, anny) and a pose model only to build the dataset.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _cues import CUE_VERSION
from _validity_data import (
    build,
    complete,
    landmarks_path,
    truth_path,
    video_path,
    write_manifest,
)
from _validity_eval import MEASURES, clip_record
from _validity_grid import SPLITS, all_clips, quick_subset
from _validity_stats import (
    abduction_table,
    breakdown,
    cpd_table,
    format_abduction,
    format_abduction_clips,
    format_breakdown,
    format_cpd,
)

from hipdrop.io.models import REGISTRY, resolve
from hipdrop.settings import Settings

LABELS = {"landmark": "raw landmark line (23/24)",
          "estimator": "hipdrop's estimator (analyze default)"}


def default_data_dir() -> Path:
    env = os.environ.get("HIPDROP_VALIDITY_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "hipdrop" / "validity"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=default_data_dir(),
                   help="dataset folder (default $HIPDROP_VALIDITY_DIR, else ~/.cache/hipdrop/validity)")
    p.add_argument("--split", choices=["train", "heldout", "all"], default="all",
                   help="which split to build and evaluate (default all)")
    p.add_argument("--quick", action="store_true", help="a small subset of the grid, for smoke tests")
    p.add_argument("--no-render", action="store_true",
                   help="use the cache only: no rendering, no pose model; missing clips are skipped")
    p.add_argument("--jobs", type=int, default=1, help="processes that render and extract (default 1)")
    p.add_argument("--model", default="full", help="pose model name or .task path (default full)")
    p.add_argument("--seed", type=int, default=0, help="the grid's seed (default 0)")
    p.add_argument("--records", type=Path, help="also write the per-clip records here (JSON lines)")
    return p.parse_args(argv)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def evaluate(clips, data: Path, model: str, settings: Settings) -> tuple[list[dict], list[str]]:
    """Per-clip records of the complete clips, and the names of the missing ones."""
    records, missing = [], []
    for clip in clips:
        if not complete(data, clip, model):
            missing.append(clip.name)
            continue
        truth = json.loads(truth_path(data, clip).read_text())
        records.append(clip_record(clip, truth, landmarks_path(data, clip, model),
                                   video_path(data, clip), data / "cues", settings))
    return records, missing


def source_version() -> dict:
    """The git commit of the working copy (and whether it has changes) and the cue version,
    so a figure can be traced to the estimator that produced it."""
    repo = Path(__file__).resolve().parents[1]
    out: dict = {"cue_version": CUE_VERSION}
    try:
        out["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo,
                                       capture_output=True, text=True, check=True).stdout.strip()
        out["dirty_src"] = bool(subprocess.run(["git", "status", "--porcelain", "src"], cwd=repo,
                                               capture_output=True, text=True,
                                               check=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        out["commit"] = None
    return out


def truth_check(stance: list[dict], splits: list[str]) -> dict:
    """How far the nominal drop is from what the projected true hip centres show."""
    out = {}
    for s in splits:
        d = [r["true_projected"] - r["true"] for r in stance if r["split"] == s]
        out[s] = {"mean": sum(d) / len(d), "max_abs": max(map(abs, d))} if d else {}
    return out


def problem_lines(stance: list[dict]) -> list[str]:
    lines = []
    for m in MEASURES:
        bad = [r for r in stance if not r[m]["matched"]]
        if bad:
            lines += ["", f"Clips whose true phase was not matched ({LABELS[m]}):"]
            lines += [f"  {r['name']}: {r[m]['phases']} phase(s) found"
                      + (", wrong side" if r[m]["wrong_side"] else "")
                      + (f", {r['error']}" if "error" in r else "")
                      + f" (lift {r['lift_style']}, pose in {r['pose_frames']:.0%} of frames)"
                      for r in bad]
    return lines


def _clean(x):
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, float):
        return round(x, 4) if math.isfinite(x) else None
    return x


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data = args.data.expanduser()
    grid = all_clips(args.seed)
    splits = list(SPLITS) if args.split == "all" else [args.split]
    clips = [c for c in (quick_subset(grid) if args.quick else grid) if c.split in splits]
    if args.no_render:
        model_name = args.model if args.model in REGISTRY else resolve(args.model).name
    else:
        model = resolve(args.model)
        model_name = model.name
        write_manifest(data, grid, args.seed)
        t0 = time.perf_counter()
        walls = build(clips, grid, data, model, max(1, args.jobs), log)
        log(f"dataset ready in {time.perf_counter() - t0:.0f} s "
            + ", ".join(f"{s} {w:.0f} s" for s, w in walls.items()))
    settings = Settings()
    t0 = time.perf_counter()
    records, missing = evaluate(clips, data, model_name, settings)
    eval_s = time.perf_counter() - t0
    if args.records:
        args.records.write_text("".join(json.dumps(_clean(r)) + "\n" for r in records))
    stance = [r for r in records if r["kind"] == "stance"]
    abd = [r for r in records if r["kind"] == "abduction"]
    cpd = cpd_table(stance, splits)
    by = breakdown(stance, splits)
    abduction = abduction_table(abd, splits)
    counts = {s: {"stance": sum(r["split"] == s for r in stance),
                  "abduction": sum(r["split"] == s for r in abd)} for s in splits}
    version = source_version()
    lines = [f"hipdrop validity benchmark: {data} (seed {args.seed}, model {model_name}"
             f"{', quick subset' if args.quick else ''}; hipdrop {version.get('commit')}"
             f"{' + uncommitted src changes' if version.get('dirty_src') else ''}, cues "
             f"{version['cue_version']})",
             "clips evaluated: " + ", ".join(f"{s} {c['stance']} stance + {c['abduction']} abduction"
                                             for s, c in counts.items())
             + (f"; {len(missing)} not built yet (skipped)" if missing else ""),
             "true drop = the rig's pelvic drop; read = hipdrop's CPD (deg); held-out variations "
             "were never used for tuning"]
    lines += format_cpd(cpd, LABELS)
    lines += format_breakdown(by, LABELS)
    lines += format_abduction(abduction)
    lines += format_abduction_clips(abd)
    lines += problem_lines(stance)
    check = truth_check(stance, splits)
    lines += ["", "Truth check (projected true hip centres minus the nominal drop, deg): "
              + ", ".join(f"{s} mean {c['mean']:+.2f} max |{c['max_abs']:.2f}|"
                          for s, c in check.items() if c)]
    print("\n".join(line.rstrip() for line in lines))
    figures = {"benchmark": "validity", "data": str(data), "seed": args.seed, "model": model_name,
               "quick": args.quick, "source": version, "clips": counts, "missing": len(missing),
               "settings": settings.as_dict(), "cpd": cpd, "cpd_breakdown": by,
               "abduction": abduction, "truth_check": check, "eval_s": eval_s}
    print(json.dumps(_clean(figures)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
