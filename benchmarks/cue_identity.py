"""The pelvis image cues of this checkout against those of another revision, row for row.

Every frame's waist row (:func:`hipdrop.vision.cues.waist_line`) and markers row
(:class:`hipdrop.vision.markers.MarkerTracker`, tracked over the clip) must be bit-identical
(NaN where NaN) before and after a speed change. Cases: the 11 real clips in
HIPDROP_VIDEO_DIR; the 720p clips (the two tree clips and the walking one) upscaled to
1920x1080; and green, pink, blue and orange stickers (and dark dots) painted on several clips
as tests/test_pelvis_real.py paints them, JPEG-compressed afterwards like a camera's frames.

The landmarks come from the full pose model once per clip (cached under ``--cache``); both
revisions then read the same frames at the same points, in one process, so nothing but the cue
code differs. The old revision's ``hipdrop/vision/{cues,markers}.py`` are loaded from
``git show REV:...`` under other module names.

Alone timing: each frame's cues are timed for both, alternately first, in this one run; the
ratio new/old of the per-case medians is printed (the machine's noise cancels out of it).

    python benchmarks/cue_identity.py --against 6cbb2ad [--cases real,up1080,painted] [--only TEXT]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
from _speed import REPO, VIDEO_DIR, log, model_or_none

sys.path.insert(0, str(REPO / "tests"))

REAL = ["side_leg_raise_standing_front_01.mp4", "side_lying_leg_raise_01.mp4",
        "side_lying_leg_raise_03.mp4", "single_leg_stance_tree_front_01.mp4",
        "alternating_knee_lift_front_01.mp4", "sumo_squat_front_01.mp4",
        "walking_toward_camera_01.mp4", "tree_pose_front_lift_03.mp4",
        "tree_pose_front_release_05.mp4", "opencap_squat_front_01.mp4",
        "fms_deep_squat_front_shift_01.mov"]
UP1080 = ["tree_pose_front_lift_03.mp4", "tree_pose_front_release_05.mp4",
          "walking_toward_camera_01.mp4"]
# (clip, colour BGR or "dark", upscaled to 1080p): stickers on several people and sizes.
PAINTED = [("tree_pose_front_lift_03.mp4", (60, 210, 40), False),  # the test's green
           ("tree_pose_front_release_05.mp4", (180, 60, 230), False),  # pink
           ("walking_toward_camera_01.mp4", (220, 120, 20), False),  # blue
           ("alternating_knee_lift_front_01.mp4", (30, 140, 250), False),  # orange
           ("sumo_squat_front_01.mp4", (60, 210, 40), False),
           ("opencap_squat_front_01.mp4", "dark", False),
           ("fms_deep_squat_front_shift_01.mov", (180, 60, 230), False),
           ("side_leg_raise_standing_front_01.mp4", (220, 120, 20), False),
           ("tree_pose_front_lift_03.mp4", (60, 210, 40), True),
           ("tree_pose_front_release_05.mp4", (30, 140, 250), True)]
UP = (1920, 1080)


def frames(name: str, up: bool = False) -> Iterator[np.ndarray]:
    from hipdrop.io.video import VideoReader

    with VideoReader(VIDEO_DIR / name) as reader:
        for _i, _t, frame in reader:
            if up:
                frame = cv2.resize(frame, UP, interpolation=cv2.INTER_LINEAR)
            yield frame


def landmarks(name: str, up: bool, cache: Path) -> np.ndarray:
    """(T, 33, 4) px image landmarks of the clip (NaN: no pose), cached."""
    path = cache / f"{Path(name).stem}{'.1080' if up else ''}.npy"
    if path.is_file():
        return np.load(path)
    from hipdrop.io.pose import PoseEstimator
    from hipdrop.io.video import VideoReader

    model = model_or_none("full")
    if model is None:
        raise SystemExit("cue_identity: the full pose model is not on this machine")
    out = []
    with VideoReader(VIDEO_DIR / name) as reader, PoseEstimator(model) as est:
        for _i, t, frame in reader:
            if up:
                frame = cv2.resize(frame, UP, interpolation=cv2.INTER_LINEAR)
            pose = est.detect(frame, t)
            out.append(np.full((33, 4), np.nan, np.float32) if pose.image is None
                       else np.asarray(pose.image, np.float32))
    points = np.stack(out)
    np.save(path, points)
    return points


def painted(name: str, colour, up: bool, points: np.ndarray) -> Iterator[np.ndarray]:
    """The clip with two stickers 0.4 hip widths above the hip landmarks (smoothed), 1.15 apart,
    tilting 0 -> 8 deg over the clip's middle third (tests/test_pelvis_real.py's painting);
    JPEG (q 90) afterwards. ``colour`` "dark": near-black dots."""
    from test_pelvis_real import _disc

    from hipdrop.core.landmarks import L_HIP, R_HIP

    left, right = points[:, L_HIP, :2].astype(float), points[:, R_HIP, :2].astype(float)
    k = np.ones(5) / 5.0
    def sm(x: np.ndarray) -> np.ndarray:
        return np.convolve(np.pad(x, 2, mode="edge"), k, "valid")
    left = np.stack([sm(left[:, 0]), sm(left[:, 1])], 1)
    right = np.stack([sm(right[:, 0]), sm(right[:, 1])], 1)
    mid, sep = 0.5 * (left + right), np.linalg.norm(left - right, axis=1)
    n = len(points)
    ramp = np.clip((np.arange(n) - n / 3) / (n / 3), 0.0, 1.0)
    a = np.radians(8.0 * ramp)
    across = 0.575 * sep[:, None] * np.stack([np.cos(a), -np.sin(a)], 1)
    centre = mid - np.stack([np.zeros_like(sep), 0.4 * sep], 1)
    bgr = (25, 25, 30) if colour == "dark" else colour
    for i, frame in enumerate(frames(name, up)):
        if i < n and np.isfinite(centre[i]).all() and np.isfinite(sep[i]):
            r = 0.11 * sep[i]
            _disc(frame, centre[i] + across[i], r, bgr)
            _disc(frame, centre[i] - across[i], r, bgr)
        _ok, jpg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
        yield cv2.imdecode(jpg, cv2.IMREAD_COLOR)


def load_old(rev: str, tmp: Path) -> tuple:
    """hipdrop.vision.cues and .markers of revision ``rev``, as modules of their own."""
    mods = []
    for name in ("cues", "markers"):
        src = subprocess.run(["git", "-C", str(REPO), "show", f"{rev}:src/hipdrop/vision/{name}.py"],
                             check=True, capture_output=True, text=True).stdout
        path = tmp / f"old_{name}.py"
        path.write_text(src)
        spec = importlib.util.spec_from_file_location(f"_old_{name}", path)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod
        spec.loader.exec_module(mod)
        mods.append(mod)
    return tuple(mods)


def _bits(rows: list) -> np.ndarray:
    return np.asarray(rows, np.float64).view(np.uint64)


def compare(case: str, source: Iterator[np.ndarray], points: np.ndarray, old: tuple,
            new: tuple) -> dict:
    """Both revisions' cues on every frame; the rows that differ and the alone timings."""
    (oc, om), (nc, nm) = old, new
    trackers = {"old": om.MarkerTracker(), "new": nm.MarkerTracker()}
    waists: dict[str, Callable] = {"old": oc.waist_line, "new": nc.waist_line}
    rows: dict[str, dict[str, list]] = {w: {"waist": [], "markers": []} for w in ("old", "new")}
    ms: dict[str, dict[str, list]] = {w: {"waist": [], "markers": []} for w in ("old", "new")}
    for i, frame in enumerate(source):
        k = i % len(points)  # --passes: the clip again
        p = points[k] if np.isfinite(points[k, :, 0]).any() else None
        for who in (("old", "new") if i % 2 == 0 else ("new", "old")):
            a = time.perf_counter()
            cue = waists[who](frame, p) if p is not None else None
            b = time.perf_counter()
            marks = trackers[who](frame, p)
            c = time.perf_counter()
            rows[who]["waist"].append((np.nan, np.nan, np.nan) if cue is None else
                                      (cue.obliquity_deg, cue.confidence, cue.height))
            rows[who]["markers"].append(marks.as_row())
            if p is not None:
                ms[who]["waist"].append(1e3 * (b - a))
                ms[who]["markers"].append(1e3 * (c - b))
    out: dict = {"case": case, "frames": len(rows["old"]["waist"])}
    for cue in ("waist", "markers"):
        o, n = _bits(rows["old"][cue]), _bits(rows["new"][cue])
        out[f"{cue}_differ"] = int((o != n).any(axis=1).sum())
        found = np.asarray(rows["old"][cue], np.float64)[:, -1 if cue == "markers" else 1] > 0
        out[f"{cue}_found"] = int(found.sum())
        for who in ("old", "new"):
            out[f"{cue}_{who}_ms"] = float(np.median(ms[who][cue])) if ms[who][cue] else np.nan
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--against", required=True, metavar="REV")
    ap.add_argument("--cases", default="real,up1080,painted")
    ap.add_argument("--only", default="", metavar="TEXT", help="only the cases whose name has TEXT")
    ap.add_argument("--passes", type=int, default=1, help="passes over each clip (timing)")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "hipdrop_cue_lm")
    args = ap.parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    from hipdrop.vision import cues, markers

    kinds = set(args.cases.split(","))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        old = load_old(args.against, Path(tmp))
        new = (cues, markers)
        todo: list[tuple[str, Callable[[], Iterator[np.ndarray]], np.ndarray]] = []
        if "real" in kinds:
            todo += [(n, (lambda n=n: frames(n)), landmarks(n, False, args.cache)) for n in REAL]
        if "up1080" in kinds:
            todo += [(f"{n} @1080p", (lambda n=n: frames(n, True)), landmarks(n, True, args.cache))
                     for n in UP1080]
        if "painted" in kinds:
            for n, colour, up in PAINTED:
                pts = landmarks(n, up, args.cache)
                todo.append((f"{n} painted {colour}{' @1080p' if up else ''}",
                             (lambda n=n, c=colour, u=up, p=pts: painted(n, c, u, p)), pts))
        for case, source, pts in todo:
            if args.only not in case:
                continue
            got = compare(case, (f for _ in range(args.passes) for f in source()), pts, old, new)
            log(json.dumps(got))
            results.append(got)
    bad = [r["case"] for r in results if r["waist_differ"] or r["markers_differ"]]
    print(f"{'case':58s} {'frames':>6s} {'waist':>5s} {'mark':>5s} {'w old':>6s} {'w new':>6s} "
          f"{'m old':>6s} {'m new':>6s} {'differ':>6s}")
    for r in results:
        print(f"{r['case']:58s} {r['frames']:6d} {r['waist_found']:5d} {r['markers_found']:5d} "
              f"{r['waist_old_ms']:6.3f} {r['waist_new_ms']:6.3f} {r['markers_old_ms']:6.3f} "
              f"{r['markers_new_ms']:6.3f} {r['waist_differ'] + r['markers_differ']:6d}")
    print("identical" if not bad else f"DIFFER: {bad}")
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
