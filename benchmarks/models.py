"""Models benchmark: speed and accuracy of each pose model, so the default is chosen on evidence.

For lite, full and heavy (a model not on this machine is skipped with a note):

* speed: median ms of one inference (one pose) at 640x480 (a laptop webcam) and at 640x360
  (the real clips), and the raw limit (decode + inference) on one real clip;
* accuracy: the validity benchmark (``validity.py``) on that model's cached landmarks of the
  rendered dataset: the contralateral pelvic drop read by the raw landmark line (23/24) and by
  hipdrop's estimator against the rig's true drop (MAE of the mean drop over the full-drop
  window and of the reported peak drop; detection of drops >= 6 deg; false flags on level
  stances), per split, and the abduction peaks and rep counts.

hipdrop's estimator was calibrated on full-model landmarks (``calibrate.py``, train split), so
its figures for another model show that calibration carried over, not the model's best.

    python benchmarks/models.py --data /work/data/validity
    python benchmarks/models.py --quick     # fewer frames timed, the quick validity subset

Landmarks of a model that are not cached are made by ``python benchmarks/validity.py --data
DIR --model NAME`` (~8 min for heavy on two cores). Prints tables, then as the last line one
JSON object of the figures.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _speed import clip_paths, emit, inference_ms, log, machine, model_or_none, raw_limit, table
from _validity_grid import SPLITS, all_clips, quick_subset
from _validity_stats import abduction_table, cpd_table
from validity import default_data_dir, evaluate

from hipdrop.settings import Settings

MODELS = ("lite", "full", "heavy")


def speed(model, frames: int) -> dict:
    clip = clip_paths()[0]
    raw = raw_limit(clip, model, max_frames=frames)
    return {"ms_640x480": inference_ms(model, 640, 480, frames),
            "ms_640x360": inference_ms(model, 640, 360, frames),
            "raw_clip": clip.name, "raw_fps": raw["frames"] / raw["total_s"],
            "raw_infer_ms": raw["infer_ms"], "load_s": raw["load_s"], "first_ms": raw["first_ms"]}


def accuracy(name: str, data: Path, quick: bool) -> dict:
    grid = all_clips(0)
    clips = quick_subset(grid) if quick else grid
    records, missing = evaluate(clips, data, name, Settings())
    stance = [r for r in records if r["kind"] == "stance"]
    abd = [r for r in records if r["kind"] == "abduction"]
    if not stance:
        return {"missing": len(missing)}
    return {"clips": len(records), "missing": len(missing),
            "cpd": cpd_table(stance, list(SPLITS)), "abduction": abduction_table(abd, list(SPLITS))}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=default_data_dir(), help="validity dataset folder")
    p.add_argument("--quick", action="store_true", help="fewer frames, the quick validity subset")
    p.add_argument("--frames", type=int, default=150, help="frames timed per model (150)")
    args = p.parse_args(argv)
    frames = 40 if args.quick else args.frames
    figures: dict = {}
    notes = []
    for name in MODELS:
        model = model_or_none(name)
        if model is None:
            notes.append(f"{name}: not on this machine (hipdrop models fetch {name}): skipped")
            continue
        log(f"{name}: timing {frames} frames, then the validity figures ...")
        figures[name] = {"speed": speed(model, frames), "accuracy": accuracy(name, args.data, args.quick)}
    speed_rows = [[n, f["speed"]["ms_640x480"], f["speed"]["ms_640x360"], f["speed"]["raw_fps"],
                   f["speed"]["load_s"]] for n, f in figures.items()]
    print(f"hipdrop models benchmark: {machine()['cpu']}, {machine()['cores']} cores; validity "
          f"data {args.data}{' (quick subset)' if args.quick else ''}")
    print(table(["model", "ms 640x480", "ms 640x360", "raw fps (clip)", "load s"], speed_rows,
                "speed: one inference, one pose, median"))
    rows = []
    for n, f in figures.items():
        acc = f["accuracy"]
        if "cpd" not in acc:
            rows.append([n, "no cached landmarks"] + [""] * 7)
            continue
        for split in SPLITS:
            for m, label in (("landmark", "raw line 23/24"), ("estimator", "hipdrop")):
                c = acc["cpd"][m][split]["all"]
                rows.append([n, split, label, f"{c['found']}/{c['n']}", c["mean"]["mae"],
                             c["peak"]["mae"], c["mean_drops"]["slope"], c["detect"],
                             c["false_flag"]])
    print()
    print(table(["model", "split", "drop read by", "phases", "MAE mean", "MAE peak",
                 "slope (drops)", "detect>=6", "false flag"], rows,
                "pelvic drop vs the rig's true drop (deg; all clothing)"))
    abd_rows = [[n, split, f["accuracy"]["abduction"][split]["all"]["mae"],
                 f"{f['accuracy']['abduction'][split]['all']['counts_correct']}/"
                 f"{f['accuracy']['abduction'][split]['all']['clips']}"]
                for n, f in figures.items() if "abduction" in f["accuracy"] for split in SPLITS]
    print()
    print(table(["model", "split", "peak MAE deg", "counts right"], abd_rows, "abduction reps"))
    for note in notes:
        print(note)
    if "full" in figures and "heavy" in figures:
        fs, hs = figures["full"]["speed"], figures["heavy"]["speed"]
        print(f"\nheavy costs {hs['ms_640x480'] / fs['ms_640x480']:.1f}x full a frame; hipdrop's "
              "estimator is calibrated on full landmarks.")
    emit({"benchmark": "models", "machine": machine(), "data": str(args.data), "quick": args.quick,
          "models": figures, "skipped": notes,
          "note": "estimator calibrated on full-model landmarks (benchmarks/calibrate.py)"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
