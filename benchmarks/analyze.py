"""Analyze benchmark: `hipdrop analyze` end to end against the pose model's raw limit.

For each real clip in ../shared/videos (and a long video made by playing one clip back to back),
three commands are run as fresh processes, alternately, ``--repeat`` times each:

* raw: decode + inference only, one after the other, same model (``_speed.raw_limit``), and
  nothing else: the limit on these frames, including the interpreter and model start-up that
  every command pays;
* ``hipdrop analyze CLIP`` (default outputs, annotated.mp4 included);
* ``hipdrop analyze CLIP --no-video``.

Throughput is frames / wall time of the whole process; the ratio is raw wall / analyze wall on
the same frames (goal >= 0.95). Peak RSS is each process's own (``os.wait4``); the long video
shows whether memory grows with the length of a video. One clip is also run in-process with
each stage timed (pass 1: decode on a thread + pose + waist cue; analysis; files; plot;
pass 2: annotated.mp4), to say where the time goes.

    python benchmarks/analyze.py            # all clips x3 + a 10x long video; ~5 min
    python benchmarks/analyze.py --quick    # two clips x1 + a 3x long video

Prints tables, then as the last line one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _speed import (
    VIDEO_DIR,
    clip_paths,
    emit,
    log,
    long_video,
    machine,
    model_or_none,
    raw_limit,
    table,
)

GOAL = 0.95
LONG_SOURCE = "alternating_knee_lift_front_01.mp4"


def run_measured(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB, the child's own, from os.wait4) and stdout of ``cmd``."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.stdout.close()
    if status != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed (status {status})")
    return wall, usage.ru_maxrss / 1024.0, out


def bench_clip(path: Path, model: str, repeat: int, tmp: Path) -> dict:
    """Raw limit and analyze (with and without video) on one video, interleaved."""
    here = Path(__file__).resolve()
    cmds = {
        "raw": [sys.executable, str(here), "--raw-child", str(path), "--model", model],
        "analyze": [sys.executable, "-m", "hipdrop", "analyze", str(path), "--model", model,
                    "--out", str(tmp / "out"), "-q"],
        "analyze_no_video": [sys.executable, "-m", "hipdrop", "analyze", str(path), "--model",
                             model, "--out", str(tmp / "out"), "-q", "--no-video"],
    }
    walls: dict[str, list[float]] = {k: [] for k in cmds}
    rss: dict[str, list[float]] = {k: [] for k in cmds}
    raw_parts = []
    for _ in range(repeat):
        for k, cmd in cmds.items():
            shutil.rmtree(tmp / "out", ignore_errors=True)
            wall, peak, out = run_measured(cmd)
            walls[k].append(wall)
            rss[k].append(peak)
            if k == "raw":
                raw_parts.append(json.loads(out.strip().splitlines()[-1]))
    n = raw_parts[0]["frames"]
    med = {k: statistics.median(v) for k, v in walls.items()}
    return {
        "clip": path.name, "frames": n, "wall_s": med, "walls_s": walls,
        "fps": {k: n / v for k, v in med.items()},
        "ratio": med["raw"] / med["analyze"], "ratio_no_video": med["raw"] / med["analyze_no_video"],
        "peak_rss_mb": {k: max(v) for k, v in rss.items()},
        "raw_infer_ms": statistics.median(p["infer_ms"] for p in raw_parts),
        "raw_decode_ms": statistics.median(p["decode_ms"] for p in raw_parts),
    }


def stages(path: Path, model_name: str) -> dict:
    """Seconds of each stage of one in-process `hipdrop analyze` of ``path``."""
    from hipdrop import offline

    times: dict[str, float] = {}

    def timed(name: str, label: str):
        f = getattr(offline, name)

        def g(*a, **k):
            start = time.perf_counter()
            try:
                return f(*a, **k)
            finally:
                times[label] = times.get(label, 0.0) + time.perf_counter() - start

        setattr(offline, name, g)
        return f

    originals = {name: timed(name, label) for name, label in (
        ("extract_landmarks", "pass 1: decode + pose + waist cue"),
        ("analyze", "analysis"), ("write_summary", "summary.json"),
        ("write_frames", "frames.csv"), ("plot_obliquity", "obliquity.png"),
        ("write_annotated", "pass 2: annotated.mp4"))}
    model = model_or_none(model_name)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = offline.analyze_source(path, Path(tmp), model=lambda: model)
        total = time.perf_counter() - start
    for name, f in originals.items():
        setattr(offline, name, f)
    times["total (in-process)"] = total
    return {"clip": path.name, "frames": result.summary["frames"], "stages_s": times}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="two clips once, a 3x long video")
    p.add_argument("--model", default="full", help="pose model (default full)")
    p.add_argument("--repeat", type=int, default=3, help="runs of each command (median)")
    p.add_argument("--long", type=int, default=10, help="times the long video repeats its clip")
    p.add_argument("--raw-child", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--stages-child", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.raw_child:  # the raw limit, in a process of its own
        print(json.dumps(raw_limit(args.raw_child, model_or_none(args.model))))
        return 0
    if args.stages_child:
        print(json.dumps(stages(args.stages_child, args.model)))
        return 0
    if model_or_none(args.model) is None:
        log(f"model {args.model} not found: nothing to measure")
        return 1
    repeat = 1 if args.quick else args.repeat
    clips = clip_paths(args.quick)
    long_src = VIDEO_DIR / LONG_SOURCE
    reps = 3 if args.quick else args.long
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        longv = long_video(long_src, Path(tempfile.gettempdir()) / f"hipdrop-long-x{reps}.mp4", reps)
        results = []
        for path in [*clips, longv]:
            log(f"{path.name}: raw limit and analyze, {repeat}x each ...")
            results.append(bench_clip(path, args.model, repeat, tmp))
        here = Path(__file__).resolve()
        _, _, out = run_measured([sys.executable, str(here), "--stages-child", str(clips[0]),
                                  "--model", args.model])
        stage = json.loads(out.strip().splitlines()[-1])
    rows = [[r["clip"], r["frames"], r["fps"]["raw"], r["fps"]["analyze"],
             r["fps"]["analyze_no_video"], r["ratio"], r["ratio_no_video"],
             r["peak_rss_mb"]["raw"], r["peak_rss_mb"]["analyze"]] for r in results]
    total_frames = sum(r["frames"] for r in results[:-1])
    agg = {k: sum(r["wall_s"][k] for r in results[:-1]) for k in ("raw", "analyze", "analyze_no_video")}
    rows.append(["all clips (sum)", total_frames, total_frames / agg["raw"],
                 total_frames / agg["analyze"], total_frames / agg["analyze_no_video"],
                 agg["raw"] / agg["analyze"], agg["raw"] / agg["analyze_no_video"], "", ""])
    print(f"hipdrop analyze benchmark: model {args.model}, {machine()['cpu']}, "
          f"{machine()['cores']} cores; whole processes, median of {repeat}")
    print(table(["video", "frames", "raw fps", "analyze fps", "no-video fps", "ratio",
                 "ratio no-video", "raw RSS MB", "analyze RSS MB"], rows))
    short, long_ = results[0], results[-1]
    growth = ((long_["peak_rss_mb"]["analyze"] - short["peak_rss_mb"]["analyze"])
              / max(1, long_["frames"] - short["frames"]))
    print(f"\nmemory: peak RSS {short['peak_rss_mb']['analyze']:.0f} MB on {short['frames']} frames, "
          f"{long_['peak_rss_mb']['analyze']:.0f} MB on {long_['frames']} frames: "
          f"{1024 * growth:.1f} KB a frame (the landmarks kept for the analysis; frames are "
          "never held)")
    srows = [[k, v, 1e3 * v / stage["frames"]] for k, v in stage["stages_s"].items()]
    print()
    print(table(["stage", "s", "ms/frame"], srows,
                f"where the time goes: {stage['clip']}, {stage['frames']} frames, in-process"))
    emit({"benchmark": "analyze", "machine": machine(), "model": args.model, "repeat": repeat,
          "clips": results, "all_clips": {"frames": total_frames, "wall_s": agg,
                                          "ratio": agg["raw"] / agg["analyze"],
                                          "ratio_no_video": agg["raw"] / agg["analyze_no_video"]},
          "rss_growth_kb_per_frame": 1024 * growth, "stages": stage, "goal": GOAL,
          "met": {"with_video": agg["raw"] / agg["analyze"] >= GOAL,
                  "no_video": agg["raw"] / agg["analyze_no_video"] >= GOAL}})
    return 0


if __name__ == "__main__":
    sys.exit(main())
