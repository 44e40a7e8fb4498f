"""What the live image cues cost a frame at 720p and 1080p, inside a loop like the live one.

Real frames of tree_pose_front_lift_03.mp4 (1280x720; upscaled to 1920x1080 for the second
size), decoded and passed through the full pose model one after the other as the live loop
does (so the caches are as cold as they are there), then the pelvis markers
(:class:`hipdrop.vision.markers.MarkerTracker`) and the waist line (:func:`hipdrop.vision.cues.waist_line`)
timed on that frame and its landmarks. Figures: ms a frame of each cue and of both (p50, p95),
and their share of the inference measured in the same loop. Goal: both together <= 2 ms.

    python benchmarks/cues_cost.py [--quick]

--quick: one pass over the clip instead of three.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _speed import VIDEO_DIR, emit, log, machine, model_or_none, pcts, table

CLIP = "tree_pose_front_lift_03.mp4"
SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}
GOAL_MS = 2.0


def measure(size: tuple[int, int], passes: int, model) -> dict:
    import cv2

    from hipdrop.io.pose import PoseEstimator
    from hipdrop.vision.cues import waist_line
    from hipdrop.vision.markers import MarkerTracker

    markers_ms, waist_ms, both_ms, infer_ms = [], [], [], []
    found = {"markers": 0, "waist": 0}
    with PoseEstimator(model) as est:
        k = 0
        for _ in range(passes):
            cap = cv2.VideoCapture(str(VIDEO_DIR / CLIP))
            tracker = MarkerTracker()
            try:
                while True:
                    ok, frame = cap.read()
                    if not ok:
                        break
                    if frame.shape[1::-1] != size:
                        frame = cv2.resize(frame, size, interpolation=cv2.INTER_LINEAR)
                    a = time.perf_counter()
                    pose = est.detect(frame, k / 25.0)
                    b = time.perf_counter()
                    marks = tracker(frame, pose.image)
                    c = time.perf_counter()
                    cue = waist_line(frame, pose.image) if pose.image is not None else None
                    d = time.perf_counter()
                    k += 1
                    infer_ms.append(1e3 * (b - a))
                    markers_ms.append(1e3 * (c - b))
                    waist_ms.append(1e3 * (d - c))
                    both_ms.append(1e3 * (d - b))
                    found["markers"] += marks.found
                    found["waist"] += cue is not None and cue.confidence > 0
            finally:
                cap.release()
    steady = slice(5, None)  # the model warms up
    out = {"frames": len(both_ms), "markers_ms": pcts(markers_ms[steady]),
           "waist_ms": pcts(waist_ms[steady]), "both_ms": pcts(both_ms[steady]),
           "inference_ms": pcts(infer_ms[steady]), "found": found}
    out["both_share_of_inference_p50"] = out["both_ms"]["p50"] / out["inference_ms"]["p50"]
    out["goal_met"] = out["both_ms"]["p50"] <= GOAL_MS
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="one pass over the clip")
    args = ap.parse_args(argv)
    if not (VIDEO_DIR / CLIP).is_file():
        raise SystemExit(f"cues_cost: {VIDEO_DIR / CLIP} not found (set HIPDROP_VIDEO_DIR)")
    model = model_or_none("full")
    if model is None:
        raise SystemExit("cues_cost: the full pose model is not on this machine")
    figures = {"machine": machine(), "goal_ms": GOAL_MS, "sizes": {}}
    rows = []
    for name, size in SIZES.items():
        log(f"{name}: {CLIP}")
        got = figures["sizes"][name] = measure(size, 1 if args.quick else 3, model)
        rows.append([name, got["markers_ms"]["p50"], got["waist_ms"]["p50"], got["both_ms"]["p50"],
                     got["both_ms"]["p95"], got["inference_ms"]["p50"],
                     100.0 * got["both_share_of_inference_p50"]])
    print(table(["frame", "markers p50 ms", "waist p50 ms", "both p50 ms", "both p95 ms",
                 "inference p50 ms", "cues % of inference"], rows,
                title=f"live image cues, {CLIP}, full model, one frame after another"))
    figures["both_p50_ms_max"] = max(float(np.nan_to_num(v["both_ms"]["p50"], nan=np.inf))
                                     for v in figures["sizes"].values())
    emit(figures)


if __name__ == "__main__":
    main()
