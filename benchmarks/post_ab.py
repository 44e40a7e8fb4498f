"""The live post-processing of this checkout against another revision's, in one process, inside
a loop like the live one.

Real frames of tree_pose_front_lift_03.mp4 go through the full pose model, the waist line and
the pelvis markers one after the other, as in benchmarks/cues_cost.py; after each frame's cues,
the two revisions' :meth:`hipdrop.live.app.LiveSession.update` both run on them, in a random
order: the first is timed (its caches as cold as in the live loop), the second is not. Both
run in the same process on the same frames, so the machine's load falls on both alike (on a
busy 2-core machine the runs of cues_cost.py --against, one process after the other, differ
by more than the change measured). The old revision's ``src/hipdrop`` (``git archive``) is
loaded as the package ``hipdrop_old``. A few of each frame's results are compared too (the
whole state: benchmarks/live_identity.py).

    python benchmarks/post_ab.py --against main [--passes 10] [--size 1280x720] [--mode stance]

Prints the p50, p95 and mean of each and new/old of the p50.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _speed import VIDEO_DIR, export_src, log, model_or_none, sized_frames

CLIP = "tree_pose_front_lift_03.mp4"


def load_old(rev: str, into: Path) -> None:
    """Revision ``rev``'s package, importable as ``hipdrop_old`` (its imports renamed)."""
    export_src(rev, into, "src/hipdrop")
    (into / "src/hipdrop").rename(into / "src/hipdrop_old")
    for path in (into / "src/hipdrop_old").rglob("*.py"):
        text = path.read_text()
        new = re.sub(r"\bhipdrop\.", "hipdrop_old.", text)
        new = re.sub(r"\bfrom hipdrop import\b", "from hipdrop_old import", new)
        new = re.sub(r"\bimport hipdrop\b(?![_.])", "import hipdrop_old", new)
        if new != text:
            path.write_text(new)
    sys.path.insert(0, str(into / "src"))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--against", required=True, metavar="REV")
    ap.add_argument("--passes", type=int, default=10, help="passes over the clip (10)")
    ap.add_argument("--size", default="1280x720", help="frame size (the clip's own: 1280x720)")
    ap.add_argument("--mode", default="stance")
    args = ap.parse_args(argv)
    size = tuple(int(v) for v in args.size.split("x"))
    model = model_or_none("full")
    if model is None:
        raise SystemExit("post_ab: the full pose model is not on this machine")
    tmp = Path(tempfile.mkdtemp())
    load_old(args.against, tmp)
    import cv2
    from hipdrop_old.io.pose import PoseFrame as OldPose  # type: ignore[import-not-found]
    from hipdrop_old.live.app import LiveSession as OldSession  # type: ignore[import-not-found]
    from hipdrop_old.settings import Settings as OldSettings  # type: ignore[import-not-found]
    from hipdrop_old.vision.cues import WaistCue as OldWaist  # type: ignore[import-not-found]
    from hipdrop_old.vision.markers import NO_MARKERS as OLD_NONE  # type: ignore[import-not-found]
    from hipdrop_old.vision.markers import MarkerCue as OldMarks  # type: ignore[import-not-found]

    from hipdrop.io.pose import PoseEstimator
    from hipdrop.live.app import LiveSession
    from hipdrop.settings import Settings
    from hipdrop.vision.cues import waist_line
    from hipdrop.vision.markers import MarkerTracker

    rng = np.random.default_rng(1)
    ms: dict[str, list[float]] = {"old": [], "new": []}
    differ, load = 0, os.getloadavg()
    with PoseEstimator(model) as est:
        k = 0
        for p in range(args.passes):
            log(f"pass {p + 1}/{args.passes}")
            cap = cv2.VideoCapture(str(VIDEO_DIR / CLIP))
            fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
            tracker = MarkerTracker()
            sessions = {"new": LiveSession(args.mode, Settings(), size[0], size[1], fps,
                                           model.name),
                        "old": OldSession(args.mode, OldSettings(), size[0], size[1], fps,
                                          model.name)}
            for frame in sized_frames(cap, size):
                t = k / fps
                k += 1
                pose = est.detect(frame, t)
                cue = waist_line(frame, pose.image) if pose.image is not None else None
                marks = tracker(frame, pose.image)
                inputs = {"new": (pose, t, cue, marks),
                          "old": (OldPose(pose.image, pose.world), t,
                                  None if cue is None else OldWaist(cue.obliquity_deg,
                                                                    cue.confidence, cue.height),
                                  OLD_NONE if not marks.found else
                                  OldMarks(marks.left, marks.right, marks.confidence))}
                states = {}
                for i, who in enumerate(("old", "new") if rng.random() < 0.5 else ("new", "old")):
                    a = time.perf_counter_ns()
                    states[who] = sessions[who].update(*inputs[who])
                    b = time.perf_counter_ns()
                    if i == 0:
                        ms[who].append((b - a) / 1e3)
                    sessions[who].coach.take()
                old, new = states["old"], states["new"]
                differ += repr((old.t, old.stance, old.drop_deg, old.reps, old.hold_s)) != repr(
                    (new.t, new.stance, new.drop_deg, new.reps, new.hold_s))
            cap.release()
    for who in ("new", "old"):
        v = np.array(ms[who][5:])
        print(f"{'this' if who == 'new' else args.against:>10s}: p50 {np.median(v):6.1f} us  "
              f"p95 {np.percentile(v, 95):6.1f} us  mean {v.mean():6.1f} us  ({len(v)} frames "
              f"first)")
    ratio = np.median(ms["new"][5:]) / np.median(ms["old"][5:])
    print(f"new/old p50 {ratio:.3f}; frames whose results differ: {differ}; load "
          f"{load[0]:.1f} before, {os.getloadavg()[0]:.1f} after")


if __name__ == "__main__":
    main()
