"""Analyze benchmark: `hipdrop analyze` end to end against the pose model's raw limit.

For each real clip in ../shared/videos (and a long video made by playing one clip back to back),
these commands are run as fresh processes, interleaved, ``--repeat`` times each (after one
untimed round that warms the file cache and gives each command's private history a session,
so report.html has its trend chart as a user's does):

* raw: decode + inference only, one after the other, same model (``_speed.raw_limit``), and
  nothing else: the limit on these frames, including the interpreter and model start-up that
  every command pays;
* ``hipdrop analyze CLIP`` (default outputs: annotated.mp4 and report.html included);
* ``hipdrop analyze CLIP --no-video``;
* with ``--against REV``, the same two commands run by the code of git revision REV (its src/
  exported to a temporary folder), in the same rounds.

Throughput is frames / wall time of the whole process; the ratio is raw wall / analyze wall on
the same frames (goal >= 0.95), CPU ratio the same with each process's CPU seconds (user +
system, from ``os.wait4``: what a loaded machine makes a process wait for). The short clips'
ratio is their summed walls', with the range of the per-round ratios. Peak RSS is each
process's own; the long video shows whether memory grows with the length of a video. One clip
is also run in-process with each stage timed (wall and process CPU seconds: imports, model
load, pass 1 and its cues, analysis, each output, pass 2, check_decodes, history and
report.html), to say where the time goes.

    python benchmarks/analyze.py                        # all clips x3 + a 10x long video
    python benchmarks/analyze.py --quick --against main # two clips x3 + a 3x long video x1

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
    REPO,
    VIDEO_DIR,
    clip_paths,
    emit,
    export_src,
    log,
    long_video,
    machine,
    model_or_none,
    raw_limit,
    table,
)

GOAL = 0.95
LONG_SOURCE = "alternating_knee_lift_front_01.mp4"


def run_measured(cmd: list[str], env: dict | None = None) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds (user + system), peak RSS (MiB; the child's own, from
    os.wait4) and stdout of ``cmd``."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=env)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.stdout.close()
    if status != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed (status {status})")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0, out


def commands(path: Path, model: str, tmp: Path, srcs: dict[str, Path]) -> dict[str, tuple]:
    """Each command's argv and environment: its own code on PYTHONPATH, its own history."""
    here = Path(__file__).resolve()
    out = {"raw": ([sys.executable, str(here), "--raw-child", str(path), "--model", model],
                   REPO / "src")}
    for tag, src in srcs.items():
        for suffix, extra in (("", []), ("_no_video", ["--no-video"])):
            out[f"{tag}{suffix}"] = ([sys.executable, "-m", "hipdrop", "analyze", str(path),
                                      "--model", model, "--out", str(tmp / "out"), "-q",
                                      *extra], src)
    return {k: (cmd, dict(os.environ, PYTHONPATH=str(src),
                          HIPDROP_DATA_DIR=str(tmp / f"history-{k}")))
            for k, (cmd, src) in out.items()}


def bench_clip(path: Path, model: str, repeat: int, tmp: Path, srcs: dict[str, Path]) -> dict:
    """The raw limit and each analyze command on one video, interleaved round by round."""
    cmds = commands(path, model, tmp, srcs)
    walls: dict[str, list[float]] = {k: [] for k in cmds}
    cpus: dict[str, list[float]] = {k: [] for k in cmds}
    rss: dict[str, list[float]] = {k: [] for k in cmds}
    raw_parts = []
    for round_ in range(repeat + 1):
        for k, (cmd, env) in cmds.items():
            shutil.rmtree(tmp / "out", ignore_errors=True)
            wall, cpu, peak, out = run_measured(cmd, env)
            if round_ == 0:
                continue  # warm-up: file cache, and a first session in each history
            walls[k].append(wall)
            cpus[k].append(cpu)
            rss[k].append(peak)
            if k == "raw":
                raw_parts.append(json.loads(out.strip().splitlines()[-1]))
    n = raw_parts[0]["frames"]
    med = {k: statistics.median(v) for k, v in walls.items()}
    cpu = {k: statistics.median(v) for k, v in cpus.items()}
    return {
        "clip": path.name, "frames": n, "wall_s": med, "walls_s": walls, "cpu_s": cpu,
        "cpus_s": cpus, "fps": {k: n / v for k, v in med.items()},
        "ratio": {k: med["raw"] / v for k, v in med.items() if k != "raw"},
        "cpu_ratio": {k: cpu["raw"] / v for k, v in cpu.items() if k != "raw"},
        "peak_rss_mb": {k: max(v) for k, v in rss.items()},
        "raw_infer_ms": statistics.median(p["infer_ms"] for p in raw_parts),
        "raw_decode_ms": statistics.median(p["decode_ms"] for p in raw_parts),
    }


def summed(results: list[dict], keys: list[str]) -> dict:
    """The clips together: ratios of summed walls and CPU seconds (medians over the rounds),
    and the range of the ratio round by round."""
    repeat = len(results[0]["walls_s"]["raw"])
    frames = sum(r["frames"] for r in results)
    wall = {k: sum(r["wall_s"][k] for r in results) for k in ["raw", *keys]}
    cpu = {k: sum(r["cpu_s"][k] for r in results) for k in ["raw", *keys]}
    rounds = {k: [sum(r["walls_s"]["raw"][i] for r in results)
                  / sum(r["walls_s"][k][i] for r in results) for i in range(repeat)]
              for k in keys}
    return {"frames": frames, "wall_s": wall, "cpu_s": cpu,
            "ratio": {k: wall["raw"] / wall[k] for k in keys},
            "ratio_range": {k: [min(v), max(v)] for k, v in rounds.items()},
            "cpu_ratio": {k: cpu["raw"] / cpu[k] for k in keys}}


# The stages timed in-process: (module, attribute, class or None, label), outermost first.
STAGES = (
    ("hipdrop.io.pose", "__init__", "PoseEstimator", "model load"),
    ("hipdrop.offline", "read_source", None, "pass 1: decode + pose + cues"),
    ("hipdrop.io.pose", "_infer", "PoseEstimator", "  inference (in MediaPipe's threads)"),
    ("hipdrop.io.extract", "waist_line", None, "  waist cue (cue thread)"),
    ("hipdrop.vision.markers", "__call__", "MarkerTracker", "  markers (cue thread)"),
    ("hipdrop.io.extract", "silhouette_cue", None, "  silhouette (cue thread)"),
    ("hipdrop.reports.annotate", "__call__", "HeldFrames", "  frames kept, skeleton (cue thread)"),
    ("hipdrop.core.landmarks", "save", "LandmarkSeries", "landmarks.npz"),
    ("hipdrop.offline", "analysis_of", None, "analysis"),
    ("hipdrop.reports.files", "write_summary", None, "summary.json"),
    ("hipdrop.reports.files", "write_frames", None, "frames.csv"),
    ("hipdrop.reports.plot", "plot_obliquity", None, "obliquity.png"),
    ("hipdrop.reports.annotate", "write_annotated", None, "pass 2: annotated.mp4"),
    ("hipdrop.reports.annotate", "draw_status", None, "  drawing"),
    ("hipdrop.reports.annotate", "check_decodes", None, "  check_decodes"),
    ("hipdrop.cli", "_log_session", None, "history + report.html"),
    ("hipdrop.reports.html", "key_frames", None, "  key frames"),
    ("hipdrop.reports.html", "trend_png", None, "  trend chart"),
)


def stages(path: Path, model_name: str, out: Path) -> dict:
    """Wall and CPU seconds of each stage of one in-process `hipdrop analyze ``path```, with
    the modules' functions wrapped (the command's own code, whatever it imports)."""
    import importlib

    start = time.perf_counter()
    import mediapipe  # noqa: F401  (its import is the biggest part of start-up)

    import hipdrop.cli

    times: dict[str, list[float]] = {"imports (hipdrop.cli, mediapipe)": [
        time.perf_counter() - start, time.process_time()]}

    def wrap(obj, attr: str, label: str) -> None:
        f = getattr(obj, attr)
        # A part's CPU is its own thread's (others run beside it), a stage's the process's.
        clock = time.thread_time if label.startswith(" ") else time.process_time

        def timed(*a, **k):
            w, c = time.perf_counter(), clock()
            try:
                return f(*a, **k)
            finally:
                t = times.setdefault(label, [0.0, 0.0])
                t[0] += time.perf_counter() - w
                t[1] += clock() - c

        setattr(obj, attr, timed)

    for module, attr, owner, label in STAGES:
        obj = importlib.import_module(module)
        if owner:
            obj = getattr(obj, owner, None)
        if obj is not None and hasattr(obj, attr):  # older code may lack a stage
            wrap(obj, attr, label)
    if not hasattr(hipdrop.cli, "main"):
        raise RuntimeError("hipdrop.cli has no main")
    begin = time.perf_counter()
    hipdrop.cli.main(["analyze", str(path), "--model", model_name, "--out", str(out), "-q"])
    times["total after imports"] = [time.perf_counter() - begin, time.process_time()
                                    - times["imports (hipdrop.cli, mediapipe)"][1]]
    return {"clip": path.name, "frames": int(json.loads((out / "summary.json").read_text())
                                             ["frames"]),
            "stages_s": {k: v[0] for k, v in times.items()},
            "stages_cpu_s": {k: v[1] for k, v in times.items()}}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="two clips, 3 rounds; a 3x long video, 1 round")
    p.add_argument("--model", default="full", help="pose model (default full)")
    p.add_argument("--repeat", type=int, default=3, help="timed rounds of each command (median)")
    p.add_argument("--long", type=int, default=10, help="times the long video repeats its clip")
    p.add_argument("--against", metavar="REV",
                   help="also time the analyze commands of git revision REV, interleaved")
    p.add_argument("--raw-child", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--stages-child", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--stages-out", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.raw_child:  # the raw limit, in a process of its own
        print(json.dumps(raw_limit(args.raw_child, model_or_none(args.model))))
        return 0
    if args.stages_child:
        print(json.dumps(stages(args.stages_child, args.model, args.stages_out)))
        return 0
    if model_or_none(args.model) is None:
        log(f"model {args.model} not found: nothing to measure")
        return 1
    clips = clip_paths(args.quick)
    reps = 3 if args.quick else args.long
    load = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        srcs = {"analyze": REPO / "src"}
        if args.against:
            (tmp / "against").mkdir()
            srcs["old"] = export_src(args.against, tmp / "against")
        keys = [f"{tag}{suffix}" for tag in srcs for suffix in ("", "_no_video")]
        longv = long_video(VIDEO_DIR / LONG_SOURCE,
                           Path(tempfile.gettempdir()) / f"hipdrop-long-x{reps}.mp4", reps)
        results = []
        for path in [*clips, longv]:
            repeat = 1 if args.quick and path == longv else args.repeat
            log(f"{path.name}: raw limit and {', '.join(keys)}, {repeat}x each ...")
            results.append(bench_clip(path, args.model, repeat, tmp, srcs))
        here = Path(__file__).resolve()
        stage = {}
        for tag, src in srcs.items():
            shutil.rmtree(tmp / "out", ignore_errors=True)
            env = dict(os.environ, PYTHONPATH=str(src), HIPDROP_DATA_DIR=str(tmp / f"history-{tag}"))
            _, _, _, out = run_measured([sys.executable, str(here), "--stages-child",
                                         str(clips[0]), "--model", args.model, "--stages-out",
                                         str(tmp / "out")], env)
            stage[tag] = json.loads(out.strip().splitlines()[-1])
    load.append(os.getloadavg()[0])
    short = summed(results[:-1], keys)
    print(f"hipdrop analyze benchmark: model {args.model}, {machine()['cpu']}, "
          f"{machine()['cores']} cores, load {load[0]:.1f} -> {load[1]:.1f}; whole processes, "
          f"median of {args.repeat} rounds" + (f"; old = {args.against}" if args.against else ""))
    header = ["video", "frames", "raw fps"] + [f"{k} fps" for k in keys]
    header += [f"ratio {k}" for k in keys] + [f"CPU ratio {k}" for k in keys]
    rows = [[r["clip"], r["frames"], r["fps"]["raw"], *(r["fps"][k] for k in keys),
             *(r["ratio"][k] for k in keys), *(r["cpu_ratio"][k] for k in keys)]
            for r in results]
    rows.append(["short clips (sum)", short["frames"], short["frames"] / short["wall_s"]["raw"],
                 *(short["frames"] / short["wall_s"][k] for k in keys),
                 *(short["ratio"][k] for k in keys), *(short["cpu_ratio"][k] for k in keys)])
    print(table(header, rows))
    print("short clips, ratio range over the rounds: " + "; ".join(
        f"{k} {lo:.2f}-{hi:.2f}" for k, (lo, hi) in short["ratio_range"].items()))
    first, long_ = results[0], results[-1]
    growth = ((long_["peak_rss_mb"]["analyze"] - first["peak_rss_mb"]["analyze"])
              / max(1, long_["frames"] - first["frames"]))
    print(f"\nmemory: peak RSS {first['peak_rss_mb']['analyze']:.0f} MB on {first['frames']} "
          f"frames (kept for annotated.mp4: a short clip's frames, up to 256 MB), "
          f"{long_['peak_rss_mb']['analyze']:.0f} MB on {long_['frames']} frames (decoded "
          f"twice, none kept): {1024 * growth:.1f} KB a frame")
    tags = list(stage)
    labels = list(dict.fromkeys(k for t in tags for k in stage[t]["stages_s"]))
    srows = [[k, *(v for t in tags for v in (stage[t]["stages_s"].get(k, float("nan")),
                                             stage[t]["stages_cpu_s"].get(k, float("nan"))))]
             for k in labels]
    print()
    print(table(["stage", *(f"{t} {w}" for t in tags for w in ("wall s", "CPU s"))], srows,
                f"where the time goes: {stage['analyze']['clip']}, {stage['analyze']['frames']} "
                "frames, in-process (CPU: an indented part's own thread's, a stage's the "
                "whole process's)"))
    emit({"benchmark": "analyze", "machine": machine(), "model": args.model,
          "repeat": args.repeat, "against": args.against, "load": load, "clips": results,
          "short_clips": short, "rss_growth_kb_per_frame": 1024 * growth, "stages": stage,
          "goal": GOAL, "met": {k: v >= GOAL for k, v in short["ratio"].items()}})
    return 0


if __name__ == "__main__":
    sys.exit(main())
