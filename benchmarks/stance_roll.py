"""How camera roll moves the foot-height difference that labels a single-leg stance.

On every rendered clip of the validity datasets (``benchmarks/domains_build.py``), the first
second is a double stance on level feet. Its median foot-height difference (DESIGN.md's foot
lift, left minus right, a fraction of leg length) from the world landmarks and from the
image landmarks is fitted against the camera's true roll. Geometry predicts a slope of the
feet's lateral spacing (as a fraction of leg length) times pi/180 a degree, in the world
landmarks too if MediaPipe's world frame turns with the camera. The hip line's tilt is fitted
as well (a rolled camera turns it one for one).

    python benchmarks/stance_roll.py --data DIR [--data DIR ...]

Prints per view (front, back) the slopes, their correlation, the predicted slope and what is
left once roll is taken out; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from hipdrop.core import kinematics as kin
from hipdrop.core.landmarks import LandmarkSeries
from hipdrop.core.measures import LegScale, mask_unseen


def clip_row(data: Path, landmarks: Path) -> dict:
    name = landmarks.name.replace(".full.npz", "")
    params = json.loads((data / "clips" / f"{name}.json").read_text())["params"]
    s = LandmarkSeries.load(landmarks)
    image, world = mask_unseen(s.image, s.world, 0.5)
    scale = LegScale.of(image, world)
    n = round(s.fps)  # the first second: both feet down
    return {"clip": name, "view": params.get("view", "front"), "roll_deg": params["roll_deg"],
            "world_lift": float(np.nanmedian(kin.foot_lift(world[:n], scale.world_m)[:, 0])),
            "image_lift": float(np.nanmedian(kin.foot_lift(image[:n, :, :2], scale.image_px)[:, 0])),
            "spacing": float(np.nanmedian(np.abs(world[:n, 27, 0] - world[:n, 28, 0])) / scale.world_m),
            "hip_line_deg": float(-np.nanmedian(kin.obliquity_deg(image[:n, 23, :2], image[:n, 24, :2])))}


def fit(x: np.ndarray, y: np.ndarray) -> dict:
    slope, offset = np.polyfit(x, y, 1)
    return {"slope": float(slope), "r": float(np.corrcoef(x, y)[0, 1]),
            "sd": float(np.std(y)), "sd_after_roll": float(np.std(y - (slope * x + offset)))}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, action="append", required=True)
    args = p.parse_args(argv)
    rows = [clip_row(d, lm) for d in args.data for lm in sorted((d / "landmarks").glob("*.full.npz"))]
    out: dict = {"benchmark": "stance_roll", "clips": len(rows), "views": {}}
    for view in sorted({r["view"] for r in rows}):
        mine = [r for r in rows if r["view"] == view]
        roll = np.array([r["roll_deg"] for r in mine])
        got = {k: fit(roll, np.array([r[k] for r in mine]))
               for k in ("world_lift", "image_lift", "hip_line_deg")}
        got["clips"] = len(mine)
        got["predicted_slope"] = float(np.median([r["spacing"] for r in mine]) * np.pi / 180)
        out["views"][view] = got
        print(f"{view}: {len(mine)} clips; foot lift per deg of roll: world "
              f"{got['world_lift']['slope']:+.4f} (r {got['world_lift']['r']:+.2f}), image "
              f"{got['image_lift']['slope']:+.4f} (r {got['image_lift']['r']:+.2f}), predicted "
              f"{got['predicted_slope']:.4f} (feet spacing x pi/180); world lift sd "
              f"{got['world_lift']['sd']:.3f}, {got['world_lift']['sd_after_roll']:.3f} with roll "
              f"taken out; hip line {got['hip_line_deg']['slope']:+.2f} deg a deg")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
