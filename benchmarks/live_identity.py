"""The live post-processing of this checkout against that of another revision, frame for frame,
and its cost without the inference.

:meth:`hipdrop.live.app.LiveSession.update` (the streaming analysis, framing advice, guide and
coach) is replayed over the real landmarks of three clips (a tree pose lift, a knee lift, a
standing side leg raise) in the stance, reps and hold modes. Each frame's state (every field,
every signal of its row and every property the screens read), the guide's view, the guided
result, the framing issues shown, the last rep, the best holds, the coach's footer and the cues
said are hashed; at the end the session is saved (:func:`hipdrop.live.app.save_session`) and
its summary.json, frames.csv and landmarks arrays hashed too. Both revisions must give the same
hash on every frame: a speed change to the per-frame path must change no output.

The inputs come from the full pose model once per clip, with the waist line and the pelvis
markers read as the live loop reads them (cached under ``--cache``): both revisions replay the
same numbers. Each revision runs in a child process on its own ``src`` (``git archive``), so
nothing but the code differs.

Timing: each ``update`` is timed by ``perf_counter_ns`` (the hashing is not timed), the cases
replayed ``--passes`` times, the two revisions alternately ``--repeats`` times each; the p50
per case and over all frames, and the ratio new/old (the machine's noise mostly cancels).

    python benchmarks/live_identity.py --against main [--repeats 3] [--passes 3] [--profile]

--profile: cProfile of this checkout's replay (the stance case of the tree clip), the top
functions by own time.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _speed import REPO, VIDEO_DIR, export_src, log, machine, model_or_none

CLIPS = ["tree_pose_front_lift_03.mp4", "alternating_knee_lift_front_01.mp4",
         "side_leg_raise_standing_front_01.mp4"]
MODES = ["stance", "reps", "hold"]


# ---------------------------------------------------------------------------------------------
# The inputs, once


def extract(name: str, cache: Path) -> Path:
    """The clip's per-frame live inputs (landmarks, waist cue, markers row), cached as .npz."""
    path = cache / f"{Path(name).stem}.live.npz"
    if path.is_file():
        return path
    from hipdrop.io.pose import PoseEstimator
    from hipdrop.io.video import VideoReader
    from hipdrop.vision.cues import waist_line
    from hipdrop.vision.markers import MarkerTracker

    model = model_or_none("full")
    if model is None:
        raise SystemExit("live_identity: the full pose model is not on this machine")
    image, world, seen, waist, has_waist, marks = [], [], [], [], [], []
    tracker = MarkerTracker()
    with VideoReader(VIDEO_DIR / name) as reader, PoseEstimator(model) as est:
        fps = reader.info.fps
        size = None
        for k, (_i, _t, frame) in enumerate(reader):
            size = frame.shape[1::-1]
            pose = est.detect(frame, k / fps)
            cue = waist_line(frame, pose.image) if pose.image is not None else None
            m = tracker(frame, pose.image)
            seen.append(pose.image is not None)
            image.append(np.full((33, 4), np.nan, np.float32) if pose.image is None
                         else pose.image)
            world.append(np.full((33, 3), np.nan, np.float32) if pose.world is None
                         else pose.world)
            has_waist.append(cue is not None)
            waist.append((np.nan, np.nan, np.nan) if cue is None else
                         (cue.obliquity_deg, cue.confidence, cue.height))
            marks.append(m.as_row())
    np.savez(path, image=np.stack(image), world=np.stack(world), seen=np.array(seen),
             waist=np.array(waist, np.float64), has_waist=np.array(has_waist),
             markers=np.array(marks, np.float64), fps=np.float64(fps), size=np.array(size))
    log(f"extracted {name}: {len(seen)} frames, {sum(seen)} with a pose")
    return path


# ---------------------------------------------------------------------------------------------
# The replay (run in a child, on one revision's code)


def _h(x) -> str:
    """A stable text of ``x`` for hashing (floats by repr: -0.0 and every bit of a finite one
    show; arrays by their bytes)."""
    if isinstance(x, np.ndarray):
        return f"a{x.dtype}{x.shape}{hashlib.sha256(np.ascontiguousarray(x).tobytes()).hexdigest()}"
    if isinstance(x, (list, tuple)):
        return "[" + ",".join(_h(v) for v in x) + "]"
    if isinstance(x, dict):
        return "{" + ",".join(f"{k!r}:{_h(v)}" for k, v in x.items()) + "}"
    if isinstance(x, (np.floating, np.integer, np.bool_)):
        return f"{type(x).__name__}:{x.item()!r}"
    return f"{type(x).__name__}:{x!r}"


_STATE_PROPS = ("obliquity_deg", "pelvis_seen", "lifted_thigh_deg", "lifted_thigh_too_high",
                "drop_source", "pose", "upright", "abduction_deg", "trunk_lean_deg",
                "lean_change_deg")


def frame_digest(session, state, cues) -> str:
    from hipdrop.core.measures import ROW

    parts = []
    for f in dataclasses.fields(state):
        if f.name == "signals":
            parts.append(_h([state.signals.first(n) for n in ROW]))
        elif f.name == "points":  # image.tolist(), shared by the readers (image is hashed)
            assert state.points is None or state.points == state.image.tolist()
        else:
            parts.append(_h(getattr(state, f.name)))
    parts += [_h(getattr(state, p)) for p in _STATE_PROPS]
    view = session.view
    if view is not None:
        parts.append(_h([getattr(view, f.name) for f in dataclasses.fields(view)] + [view.lift]))
    else:
        parts.append("no view")
    result = session.result
    parts.append("no result" if result is None else
                 _h([json.dumps(result.to_json(), sort_keys=True), result.comparison,
                     repr(result.phases)]))
    parts += [_h(session.issues), _h(session.last_rep), _h(session._best), _h(session.go_on),
              _h(None if session.guide is None else session.guide.step),
              _h(session.coach.footer()), _h(session.coach.finished),
              _h([json.dumps(c.to_json()) for c in cues])]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _final_digest(session, out_dir: Path) -> str:
    from hipdrop.live.app import save_session

    save_session(session, out_dir, "replay", {})
    parts = [_h([json.dumps(c.to_json()) for c in session.coach.take()])]
    parts.append(hashlib.sha256((out_dir / "summary.json").read_bytes()).hexdigest())
    parts.append(hashlib.sha256((out_dir / "frames.csv").read_bytes()).hexdigest())
    with np.load(out_dir / "landmarks.npz") as z:
        parts += [f"{k}={_h(z[k])}" for k in sorted(z.files)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def replay(path: Path, mode: str, digests: bool = True, out_dir: Path | None = None,
           thrash_mb: float = 0.0) -> tuple[list[str], list[int]]:
    """Replay one clip's inputs through a new LiveSession of ``mode``: per-frame digests (the
    last one: the saved session's) and the ns of each update. ``thrash_mb``: that much memory
    is written between two updates (not timed), so the update finds the CPU's caches as cold
    as after an inference (without it the replay costs ~a fifth of what it does in the loop)."""
    from hipdrop.io.pose import PoseFrame
    from hipdrop.live.app import LiveSession
    from hipdrop.live.coach import Coach
    from hipdrop.settings import Settings
    from hipdrop.vision.cues import WaistCue
    from hipdrop.vision.markers import NO_MARKERS, MarkerCue

    z = np.load(path)
    image, world, seen = z["image"], z["world"], z["seen"]
    waist, has_waist, marks = z["waist"], z["has_waist"], z["markers"]
    fps, (w, h) = float(z["fps"]), z["size"].tolist()
    settings = Settings()
    session = LiveSession(mode, settings, w, h, fps, "pose_landmarker_full",
                          Coach(mode, settings))
    # The frames' inputs made before the timed loop, as the live loop has them by then.
    inputs = []
    for k in range(len(seen)):
        pose = (PoseFrame(image[k].copy(), world[k].copy()) if seen[k]
                else PoseFrame(None, None))
        cue = WaistCue(*waist[k].tolist()) if has_waist[k] else None
        m = marks[k].tolist()
        # The tracker's own answer when it found none (the same row either way).
        mc = (NO_MARKERS if m[4] == 0.0 and not np.isfinite(m[:4]).any()
              else MarkerCue(np.array(m[0:2]), np.array(m[2:4]), m[4]))
        inputs.append((pose, k / fps, cue, mc))
    out, ns = [], []
    clock = time.perf_counter_ns
    scratch = np.zeros(int(thrash_mb * 2**20) // 4, np.float32)
    for pose, t, cue, mc in inputs:
        if scratch.size:
            scratch += 1.0
        a = clock()
        state = session.update(pose, t, cue, mc)
        b = clock()
        ns.append(b - a)
        cues = session.coach.take()
        if digests:
            out.append(frame_digest(session, state, cues))
    if digests and out_dir is not None:
        out.append(_final_digest(session, out_dir))
    return out, ns


def child(paths: list[Path], passes: int, thrash_mb: float) -> dict:
    got: dict = {"digests": {}, "ns": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for p in range(passes):
            for path in paths:
                for mode in MODES:
                    case = f"{path.name.split('.')[0]} {mode}"
                    out_dir = Path(tmp) / f"{p}-{case.replace(' ', '-')}"
                    d, ns = replay(path, mode, digests=p == 0, out_dir=out_dir,
                                   thrash_mb=thrash_mb)
                    if p == 0:
                        got["digests"][case] = d
                    got["ns"].setdefault(case, []).extend(ns[5:])  # warm-up frames left out
    return got


# ---------------------------------------------------------------------------------------------
# The comparison


def run_child(src: Path, paths: list[Path], passes: int, thrash_mb: float) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(src), env.get("PYTHONPATH", "")])
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", out.name,
                        "--passes", str(passes), "--thrash", str(thrash_mb),
                        *map(str, paths)], env=env, check=True)
        return json.loads(Path(out.name).read_text())


def profile(path: Path, mode: str, passes: int, thrash_mb: float) -> None:
    import cProfile
    import pstats

    for _ in range(2):  # warm the imports
        replay(path, mode, digests=False)
    pr = cProfile.Profile()
    pr.enable()
    for _ in range(passes):
        replay(path, mode, digests=False, thrash_mb=thrash_mb)
    pr.disable()
    pstats.Stats(pr).sort_stats("tottime").print_stats(35)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--against", metavar="REV")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--passes", type=int, default=3, help="replays of each case a run (timing)")
    ap.add_argument("--cache", type=Path,
                    default=Path(tempfile.gettempdir()) / "hipdrop_live_replay")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--thrash", type=float, default=32.0, metavar="MB",
                    help="memory written between updates, MB (32; 0: warm caches)")
    ap.add_argument("--src", type=Path, default=REPO / "src",
                    help="the code compared with REV's (this checkout's src)")
    ap.add_argument("--child", metavar="OUT", help=argparse.SUPPRESS)
    ap.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        Path(args.child).write_text(json.dumps(child([Path(p) for p in args.paths],
                                                     args.passes, args.thrash)))
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    paths = [extract(c, args.cache) for c in CLIPS]
    if args.profile:
        profile(paths[0], "stance", args.passes, args.thrash)
        return
    load = os.getloadavg()
    runs: dict[str, list[dict]] = {"this": []}
    with tempfile.TemporaryDirectory() as tmp:
        srcs = {"this": args.src}
        if args.against:
            srcs[args.against] = export_src(args.against, Path(tmp))
            runs[args.against] = []
        for k in range(args.repeats):
            order = list(srcs) if k % 2 == 0 else list(srcs)[::-1]
            for who in order:
                log(f"run {k + 1}/{args.repeats}: {who}")
                runs[who].append(run_child(srcs[who], paths, args.passes, args.thrash))
    cases = list(runs["this"][0]["digests"])
    bad = []
    print(f"{'case':40s} {'frames':>6s} " + " ".join(f"{w[:10] + ' us':>13s}" for w in runs)
          + f" {'new/old':>7s} {'differ':>6s}")

    def p50(who: str, case: str | None) -> float:
        """Median over the runs of each run's p50 (us)."""
        per = [np.median(r["ns"][case] if case else np.concatenate(list(r["ns"].values())))
               for r in runs[who]]
        return float(np.median(per)) / 1e3

    for case in cases:
        new = runs["this"][0]["digests"][case]
        differ = 0
        if args.against:
            old = runs[args.against][0]["digests"][case]
            differ = sum(a != b for a, b in zip(new, old, strict=True)) if len(new) == len(old) \
                else max(len(new), len(old))
            if differ:
                first = next((i for i, (a, b) in enumerate(zip(new, old, strict=False))
                              if a != b), min(len(new), len(old)))
                bad.append(f"{case} (first at frame {first} of {len(new) - 1})")
        times = [p50(w, case) for w in runs]
        ratio = f"{times[0] / times[1]:7.3f}" if len(times) > 1 else ""
        print(f"{case:40s} {len(new) - 1:6d} " + " ".join(f"{x:13.1f}" for x in times)
              + f" {ratio} {differ:6d}")
    times = [p50(w, None) for w in runs]
    ratio = f"{times[0] / times[1]:7.3f}" if len(times) > 1 else ""
    print(f"{'all frames':40s} {'':6s} " + " ".join(f"{x:13.1f}" for x in times) + f" {ratio}")
    print(f"load {load[0]:.2f} {load[1]:.2f} before, {os.getloadavg()[0]:.2f} after; "
          f"{machine()['cpu']}")
    if args.against:
        print("identical" if not bad else f"DIFFER: {bad}")
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
