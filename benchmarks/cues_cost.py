"""What the live image cues and the post-processing cost a frame at 720p and 1080p, inside a
loop like the live one.

Real frames of tree_pose_front_lift_03.mp4 (1280x720; upscaled to 1920x1080 for the second
size), decoded and passed through the full pose model one after the other as the live loop
does (so the caches are as cold as they are there), then, on that frame and its landmarks, the
pelvis markers (:class:`hipdrop.vision.markers.MarkerTracker`), the waist line
(:func:`hipdrop.vision.cues.waist_line`) and the live post-processing
(:meth:`hipdrop.live.app.LiveSession.update`: the streaming analysis, framing advice, guide and
coach), in the order `hipdrop live` runs them. Figures: ms a frame of each (p50, p95) and
their share of the inference timed in the same loop. Goals (issue 15): both cues together
<= 2 ms, the post-processing <= 1% of an inference.

``--against REV`` measures the code of git revision REV (its ``src``, exported to a temporary
folder) side by side: the two run as child processes, alternately, ``--repeats`` times each,
on the same frames; the JSON then has both and their ranges over the repeats.

    python benchmarks/cues_cost.py [--quick] [--against main] [--repeats 2]

--quick: one pass over the clip instead of three.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _speed import (
    REPO,
    VIDEO_DIR,
    emit,
    export_src,
    log,
    machine,
    model_or_none,
    pcts,
    sized_frames,
    table,
)

CLIP = "tree_pose_front_lift_03.mp4"
SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}
GOAL_MS = 2.0
GOAL_POST_SHARE = 0.01


def measure(size: tuple[int, int], passes: int, model) -> dict:
    import cv2

    from hipdrop.io.pose import PoseEstimator
    from hipdrop.live.app import LiveSession
    from hipdrop.settings import Settings
    from hipdrop.vision.cues import waist_line
    from hipdrop.vision.markers import MarkerTracker

    markers_ms, waist_ms, both_ms, infer_ms, post_ms = [], [], [], [], []
    found = {"markers": 0, "waist": 0}
    with PoseEstimator(model) as est:
        k = 0
        for _ in range(passes):
            cap = cv2.VideoCapture(str(VIDEO_DIR / CLIP))
            fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
            tracker = MarkerTracker()
            session = LiveSession("stance", Settings(), size[0], size[1], fps, model.name)
            try:
                for frame in sized_frames(cap, size):
                    t = k / fps
                    a = time.perf_counter()
                    pose = est.detect(frame, t)
                    b = time.perf_counter()
                    cue = waist_line(frame, pose.image) if pose.image is not None else None
                    c = time.perf_counter()
                    marks = tracker(frame, pose.image)
                    d = time.perf_counter()
                    session.update(pose, t, cue, marks)
                    e = time.perf_counter()
                    k += 1
                    infer_ms.append(1e3 * (b - a))
                    waist_ms.append(1e3 * (c - b))
                    markers_ms.append(1e3 * (d - c))
                    both_ms.append(1e3 * (d - b))
                    post_ms.append(1e3 * (e - d))
                    found["markers"] += marks.found
                    found["waist"] += cue is not None and cue.confidence > 0
            finally:
                cap.release()
    steady = slice(5, None)  # the model warms up
    out = {"frames": len(both_ms), "markers_ms": pcts(markers_ms[steady]),
           "waist_ms": pcts(waist_ms[steady]), "both_ms": pcts(both_ms[steady]),
           "post_ms": pcts(post_ms[steady]), "inference_ms": pcts(infer_ms[steady]),
           "found": found}
    out["both_share_of_inference_p50"] = out["both_ms"]["p50"] / out["inference_ms"]["p50"]
    out["post_share_of_inference_p50"] = out["post_ms"]["p50"] / out["inference_ms"]["p50"]
    out["goal_met"] = out["both_ms"]["p50"] <= GOAL_MS
    out["post_goal_met"] = out["post_share_of_inference_p50"] <= GOAL_POST_SHARE
    return out


def measure_all(quick: bool) -> dict:
    model = model_or_none("full")
    if model is None:
        raise SystemExit("cues_cost: the full pose model is not on this machine")
    import hipdrop

    sizes = {}
    for name, size in SIZES.items():
        log(f"{name}: {CLIP} ({Path(hipdrop.__file__).parent})")
        sizes[name] = measure(size, 1 if quick else 3, model)
    return sizes


def child(src: Path | None, quick: bool) -> dict:
    """One measurement in a fresh process on the package in ``src`` (None: this checkout)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(src or REPO / "src"), env.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child",
                          *(["--quick"] if quick else [])], env=env, capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _rows(label: str, sizes: dict) -> list[list]:
    return [[label, name, got["markers_ms"]["p50"], got["waist_ms"]["p50"], got["both_ms"]["p50"],
             got["both_ms"]["p95"], got["post_ms"]["p50"], got["inference_ms"]["p50"],
             100.0 * got["both_share_of_inference_p50"],
             100.0 * got["post_share_of_inference_p50"]] for name, got in sizes.items()]


def _span(runs: list[dict], size: str, key: str, stat: str = "p50") -> list[float]:
    values = [r[size][key][stat] if stat else r[size][key] for r in runs]
    return [float(min(values)), float(max(values))]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="one pass over the clip")
    ap.add_argument("--against", metavar="REV", help="also measure git revision REV, alternately")
    ap.add_argument("--repeats", type=int, default=2, help="runs of each with --against (2)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if not (VIDEO_DIR / CLIP).is_file():
        raise SystemExit(f"cues_cost: {VIDEO_DIR / CLIP} not found (set HIPDROP_VIDEO_DIR)")
    if args.child:
        print(json.dumps(measure_all(args.quick)))
        return
    figures: dict = {"machine": machine(), "load": os.getloadavg(), "goal_ms": GOAL_MS,
                     "goal_post_share": GOAL_POST_SHARE}
    header = ["code", "frame", "markers p50 ms", "waist p50 ms", "both p50 ms", "both p95 ms",
              "post p50 ms", "inference p50 ms", "cues % of inference", "post % of inference"]
    if args.against is None:
        figures["sizes"] = sizes = measure_all(args.quick)
        rows = _rows("this", sizes)
    else:
        runs: dict[str, list[dict]] = {"this": [], args.against: []}
        with tempfile.TemporaryDirectory() as tmp:
            old = export_src(args.against, Path(tmp))
            for k in range(args.repeats):
                # Alternate which goes first, so neither always runs on a cooler machine.
                for who in (("this", args.against) if k % 2 == 0 else (args.against, "this")):
                    log(f"run {k + 1}/{args.repeats}: {who}")
                    runs[who].append(child(None if who == "this" else old, args.quick))
        rows = [row for who, got in runs.items() for r in got for row in _rows(who, r)]
        figures["sizes"] = runs["this"][-1]
        figures["runs"] = runs
        figures["against"] = args.against
        figures["ranges"] = {who: {size: {"both_p50_ms": _span(got, size, "both_ms"),
                                          "markers_p50_ms": _span(got, size, "markers_ms"),
                                          "waist_p50_ms": _span(got, size, "waist_ms"),
                                          "post_p50_ms": _span(got, size, "post_ms"),
                                          "inference_p50_ms": _span(got, size, "inference_ms"),
                                          "post_share_of_inference_p50": _span(
                                              got, size, "post_share_of_inference_p50", "")}
                                   for size in SIZES}
                             for who, got in runs.items()}
    figures["load_after"] = os.getloadavg()
    print(table(header, rows,
                title=f"live image cues and post-processing, {CLIP}, full model, one frame "
                      f"after another (load {figures['load'][0]:.1f})"))
    figures["both_p50_ms_max"] = max(float(np.nan_to_num(v["both_ms"]["p50"], nan=np.inf))
                                     for v in figures["sizes"].values())
    figures["post_share_of_inference_p50_max"] = max(
        float(v["post_share_of_inference_p50"]) for v in figures["sizes"].values())
    emit(figures)


if __name__ == "__main__":
    main()
