"""Batch benchmark: `hipdrop batch` throughput on one process, two, and Ray on two one-CPU nodes.

The same real clips (../shared/videos, the 640x360 ones, each listed several times through
symlinks so that every config has ~1-2 min of work) are batched with ``--no-video`` by:

* the process pool with 1 worker, then 2 workers (this machine has 2 cores);
* Ray tasks on a local two-node cluster started here (``ray start --head`` and ``ray start
  --address``, one CPU each), the model bundle sent through the object store.

Throughput is frames / wall time of the whole batch call (worker start-up and model loading
included; the Ray cluster's own start is not, a cluster is up before a batch). The ratios
(jobs 2 / jobs 1, Ray / jobs 2) come from this one run; results (summary.json and frames.csv of
every source) are checked identical across the three. The per-frame cost of one worker gives
the on-paper cost of 10,000 one-minute 30 fps videos on a cluster of N CPUs.

    python benchmarks/batch.py            # ~6,000 frames a config; ~5 min
    python benchmarks/batch.py --quick    # ~600 frames a config

Prints a table, then as the last line one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _speed import VIDEO_DIR, log, machine

from hipdrop import batch
from hipdrop.batch import BatchOptions
from hipdrop.io import models

CLIPS = ("side_leg_raise_standing_front_01.mp4", "side_lying_leg_raise_01.mp4",
         "side_lying_leg_raise_03.mp4", "alternating_knee_lift_front_01.mp4",
         "sumo_squat_front_01.mp4")  # 640x360, 1,174 frames in all
VIDEOS_PER_DAY_FRAMES = 10_000 * 60 * 30  # 10,000 one-minute videos at 30 fps


def _children_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _sources(folder: Path, clips: tuple[str, ...], repeat: int) -> list[Path]:
    """Each clip ``repeat`` times, as symlinks (distinct paths: distinct sources)."""
    out = []
    for i in range(repeat):
        for name in clips:
            link = folder / f"r{i:02d}_{name}"
            link.symlink_to(VIDEO_DIR / name)
            out.append(link)
    return out


def _results(out: Path) -> dict[str, bytes]:
    table = json.loads((out / batch.TABLE_JSON).read_text())
    return {r["folder"] + "/" + f: (out / r["folder"] / f).read_bytes()
            for r in table["sources"] for f in ("summary.json", "frames.csv")}


def _run(label: str, call, out: Path) -> dict:
    load = os.getloadavg()[0]
    cpu0 = _children_cpu_s()
    t0 = time.perf_counter()
    result = call(out)
    wall = time.perf_counter() - t0
    frames = sum(r["frames"] or 0 for r in result.rows)
    cpu_sources = sum(r["cpu_s"] or 0.0 for r in result.rows)  # the workers' own CPU time
    failed = result.count("failed")
    row = {"config": label, "sources": len(result.rows), "failed": failed, "frames": frames,
           "wall_s": round(wall, 2), "frames_per_s": round(frames / wall, 2),
           "load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2)}
    cpu = _children_cpu_s() - cpu0
    if cpu > 0:  # pool workers are this process's children (start-up included); Ray's are not
        row["pool_cpu_s"] = round(cpu, 2)
    # Cores this config got: on a shared machine (Linux autogroups give each session an equal
    # share) two workers need not get two cores; frames a CPU-second says what a core does.
    row["source_cpu_s"] = round(cpu_sources, 2)
    row["cores_used"] = round(cpu_sources / wall, 2)
    row["frames_per_cpu_s"] = round(frames / cpu_sources, 2) if cpu_sources else None
    log(f"{label:>14}: {frames} frames in {wall:.1f} s = {frames / wall:.1f} frames/s "
        f"(load {load:.1f} -> {row['load_after']:.1f})")
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="~600 frames a config instead of ~6,000")
    ap.add_argument("--repeat", type=int, help="times each clip is listed [5; --quick 1]")
    ap.add_argument("--no-ray", action="store_true", help="skip the Ray config")
    args = ap.parse_args()
    repeat = args.repeat or (1 if args.quick else 5)
    missing = [n for n in CLIPS if not (VIDEO_DIR / n).is_file()]
    if missing:
        log(f"real clips not found in {VIDEO_DIR}: {', '.join(missing)}")
        return 2
    model = models.resolve("full", download=False)
    options = BatchOptions(video=False)
    clips = CLIPS if not args.quick else CLIPS[2:]
    with tempfile.TemporaryDirectory(prefix="hipdrop-bench-batch-") as tmp:
        root = Path(tmp)
        (root / "in").mkdir()
        sources = _sources(root / "in", clips, repeat)
        rows = []
        for jobs in (1, 2):
            rows.append(_run(f"pool --jobs {jobs}", lambda out, j=jobs: batch.run_pool(
                sources, out, options=options, model=lambda: model, jobs=j), root / f"jobs{jobs}"))
        if not args.no_ray:
            from hipdrop.batch.raycluster import local_cluster

            with local_cluster(nodes=2, cpus_per_node=1) as address:
                rows.append(_run("ray 2x1 CPU", lambda out: batch.run_ray(
                    sources, out, address=address, options=options, model=lambda: model),
                    root / "ray"))
        reference = _results(root / "jobs1")
        identical = all(_results(root / d) == reference
                        for d in ("jobs2", "ray")[: len(rows) - 1])
    by = {r["config"]: r for r in rows}
    j1, j2 = by["pool --jobs 1"], by["pool --jobs 2"]
    figures = {
        "machine": machine(), "clips": list(clips), "repeat": repeat, "configs": rows,
        "identical_results": identical,
        "jobs2_over_jobs1": round(j2["frames_per_s"] / j1["frames_per_s"], 3),
    }
    if "ray 2x1 CPU" in by:
        figures["ray_over_jobs2"] = round(by["ray 2x1 CPU"]["frames_per_s"] / j2["frames_per_s"], 3)
        figures["ray_over_jobs2_per_cpu_s"] = round(
            by["ray 2x1 CPU"]["frames_per_cpu_s"] / j2["frames_per_cpu_s"], 3)
    figures["jobs2_over_jobs1_per_cpu_s"] = round(j2["frames_per_cpu_s"] / j1["frames_per_cpu_s"], 3)
    # On paper, from the CPU time a frame took in the one-worker run (load-independent, unlike
    # its wall time on this shared machine): one worker a CPU, scaling as measured here.
    cpu_s_per_frame = j1.get("pool_cpu_s", j1["source_cpu_s"]) / j1["frames"]
    cpu_hours = VIDEOS_PER_DAY_FRAMES * cpu_s_per_frame / 3600.0
    scaling = min(1.0, figures["jobs2_over_jobs1"] / 2.0) * min(1.0, figures.get("ray_over_jobs2", 1.0))
    figures["cpu_ms_per_frame"] = round(1000.0 * cpu_s_per_frame, 2)
    figures["wall_ms_per_frame_one_worker"] = round(1000.0 / j1["frames_per_s"], 2)
    figures["ten_thousand_minute_videos"] = {
        "frames": VIDEOS_PER_DAY_FRAMES, "cpu_hours": round(cpu_hours, 1),
        "scaling_measured": round(scaling, 3),
        "wall_hours_ideal": {str(n): round(cpu_hours / n, 2) for n in (2, 16, 64, 256)},
        "wall_hours_measured_scaling": {str(n): round(cpu_hours / (n * scaling), 2)
                                        for n in (2, 16, 64, 256)},
    }
    print(f"{'config':>14} {'frames':>7} {'wall s':>7} {'frames/s':>9} {'cores':>6} "
          f"{'frames/cpu-s':>12} load")
    for r in rows:
        print(f"{r['config']:>14} {r['frames']:>7} {r['wall_s']:>7.1f} {r['frames_per_s']:>9.1f} "
              f"{r['cores_used']:>6.2f} {r['frames_per_cpu_s'] or float('nan'):>12.1f} "
              f"{r['load_before']:.1f}->{r['load_after']:.1f}")
    print(f"jobs 2 / jobs 1 = {figures['jobs2_over_jobs1']:.2f}x; "
          + (f"Ray / jobs 2 = {figures['ray_over_jobs2']:.2f}x; " if "ray_over_jobs2" in figures else "")
          + f"results identical: {identical}")
    t = figures["ten_thousand_minute_videos"]
    print(f"10,000 one-minute videos ({t['frames']:,} frames): {t['cpu_hours']} CPU-hours at "
          f"{figures['cpu_ms_per_frame']} CPU-ms a frame; wall hours on N CPUs: "
          f"{t['wall_hours_ideal']} ideally, {t['wall_hours_measured_scaling']} at the scaling measured")
    print(json.dumps(figures))
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
