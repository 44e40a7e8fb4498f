"""What the silhouette cue costs a frame: the pose model asked for its segmentation mask, and
the cue read off it (:func:`hipdrop.vision.silhouette.silhouette_cue`).

Two full-model landmarkers in VIDEO mode, one without and one with
``output_segmentation_masks``, fed the same decoded frames alternately (so the machine's load
falls on both alike); the cue is timed on the masked one's frame. Clips: the three real squat
clips (640x360, 894x1592, 1080x1920). Figures per clip: ms a frame (p50, p95) of the plain
inference, of the inference with the mask (the thresholded mask copied out included), of the
cue, and the ratio (mask + cue) / plain at p50.

    python benchmarks/silhouette_cost.py [--quick]

--quick: the first 60 frames of each clip.
"""

from __future__ import annotations

import argparse
import time

from _speed import VIDEO_DIR, emit, log, machine, model_or_none, pcts, table

CLIPS = ["sumo_squat_front_01.mp4", "opencap_squat_front_01.mp4",
         "fms_deep_squat_front_shift_01.mov"]


def measure(name: str, model, max_frames: int | None) -> dict:
    from hipdrop.io.pose import PoseEstimator
    from hipdrop.io.video import VideoReader
    from hipdrop.vision.silhouette import may_squat, silhouette_cue

    plain_ms, mask_ms, cue_ms = [], [], []
    read = 0
    with (VideoReader(VIDEO_DIR / name) as reader, PoseEstimator(model) as plain,
          PoseEstimator(model, segmentation=True) as masked):
        size = f"{reader.info.width}x{reader.info.height}"
        for index, t, frame in reader:
            if max_frames is not None and index >= max_frames:
                break
            a = time.perf_counter()
            plain.detect(frame, t)
            b = time.perf_counter()
            pose = masked.detect(frame, t)
            c = time.perf_counter()
            if pose.mask is not None and pose.image is not None and may_squat(pose.image):
                cue = silhouette_cue(pose.mask, pose.image)
                read += cue.crotch_x == cue.crotch_x
            d = time.perf_counter()
            plain_ms.append(1e3 * (b - a))
            mask_ms.append(1e3 * (c - b))
            cue_ms.append(1e3 * (d - c))
    steady = slice(5, None)  # the models warm up
    out = {"size": size, "frames": len(plain_ms), "crotch_read": int(read),
           "plain_ms": pcts(plain_ms[steady]), "mask_ms": pcts(mask_ms[steady]),
           "cue_ms": pcts(cue_ms[steady])}
    out["ratio_p50"] = (out["mask_ms"]["p50"] + out["cue_ms"]["p50"]) / out["plain_ms"]["p50"]
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="the first 60 frames of each clip")
    args = ap.parse_args(argv)
    missing = [c for c in CLIPS if not (VIDEO_DIR / c).is_file()]
    if missing:
        raise SystemExit(f"silhouette_cost: {VIDEO_DIR / missing[0]} not found "
                         "(set HIPDROP_VIDEO_DIR)")
    model = model_or_none("full")
    if model is None:
        raise SystemExit("silhouette_cost: the full pose model is not on this machine")
    figures: dict = {"machine": machine(), "clips": {}}
    rows = []
    for name in CLIPS:
        log(name)
        got = figures["clips"][name] = measure(name, model, 60 if args.quick else None)
        rows.append([name, got["size"], got["plain_ms"]["p50"], got["mask_ms"]["p50"],
                     got["cue_ms"]["p50"], got["cue_ms"]["p95"], got["ratio_p50"]])
    print(table(["clip", "size", "plain p50 ms", "with mask p50 ms", "cue p50 ms",
                 "cue p95 ms", "(mask+cue)/plain"], rows,
                title="silhouette cue: full model, plain vs segmentation mask, alternate frames"))
    figures["ratio_p50_max"] = max(v["ratio_p50"] for v in figures["clips"].values())
    emit(figures)


if __name__ == "__main__":
    main()
