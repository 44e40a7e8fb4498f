"""Pipeline benchmark: hipdrop's analysis, offline over an hour of landmarks and live per frame.

Offline: ``hipdrop.pipeline.analysis.analyze`` (frame signals -> zero-phase smoothing -> stance labels
and phases -> obliquity estimator -> phase measures -> reps -> verdict) on an hour of 30 fps
synthetic landmarks (108,000 frames: a scripted person with 1.5-3 px noise, a camera that
changes every 5 minutes, short and long pose gaps, unsure feet, a waist cue of varying
confidence), against a straightforward per-frame Python loop (``_reference.py``) that computes
the same thing with the same Gaussian. Both are run on the same landmarks; the benchmark
checks they agree (same labels, phases and reps, every per-frame signal to 1e-9) before it
reports a speed.

Live: the per-frame cost of ``StreamAnalyzer.update`` (what `hipdrop live` runs after the pose
model) and of the whole post-processing of the live loop (``LiveSession.update``: analyzer,
framing advice, guide), early and late in a long session; the waist-line image cue apart; all
against one inference of the full model, at the issue's figure (23-28 ms, 640x480) and as
measured here.

    python benchmarks/pipeline.py            # the hour; ~1 min, most of it the Python loop
    python benchmarks/pipeline.py --quick    # 10 minutes of landmarks
    python benchmarks/pipeline.py --no-model # without timing the pose model

Prints a table, then as the last line one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _reference as ref
from _speed import (
    ISSUE_FULL_MS,
    best_of,
    clip_paths,
    emit,
    inference_ms,
    log,
    machine,
    model_or_none,
    pcts,
    synthetic_hour,
    table,
)

from hipdrop.core.measures import LegScale, frame_signals, smooth_offline
from hipdrop.core.obliquity import estimate_obliquity
from hipdrop.core.reps import find_reps
from hipdrop.core.stance import find_phases, measure_phases, stance_labels
from hipdrop.core.verdict import make_verdict
from hipdrop.pipeline.analysis import analyze, analyze_signals
from hipdrop.settings import Settings

GOAL_HOUR_S, GOAL_SPEEDUP, GOAL_LIVE_SHARE = 0.2, 50.0, 0.01


def stage_times(series, settings: Settings, repeat: int) -> dict[str, float]:
    """Best-of-``repeat`` seconds of each stage of ``analyze``, called as it calls them."""
    out: dict[str, float] = {}

    def timed(name, fn):
        best, result = best_of(fn, repeat)
        out[name] = best
        return result

    scale = timed("leg scale", lambda: LegScale.of(series.image, series.world))
    raw = timed("frame signals", lambda: frame_signals(series.image, series.world, series.t, scale,
                                                        settings, series.waist))
    sig = timed("smoothing", lambda: smooth_offline(raw, series.fps, settings))
    labels = timed("stance labels", lambda: stance_labels(
        sig.lift_left, sig.lift_right, sig.upright, settings.lift_fraction,
        sig.knee_flexion_left_deg, sig.knee_flexion_right_deg, settings.max_stance_knee_deg))
    found = timed("stance phases", lambda: find_phases(labels, sig.t, series.fps,
                                                       settings.min_stance_s))
    obl, _readings, _source = timed("estimator", lambda: estimate_obliquity(sig, labels, found))
    phases, _ = timed("phase measures", lambda: measure_phases(
        obl, sig.trunk_lean_left_deg, labels, found, sig.t, series.fps, settings))
    timed("reps", lambda: find_reps(sig.abduction_left_deg, sig.abduction_right_deg, sig.t,
                                    series.fps, settings))
    timed("verdict", lambda: make_verdict(phases, settings))
    timed("analyze_signals (all rules)", lambda: analyze_signals(series, sig, settings))
    return out


def agreement(a, r: ref.Result) -> dict:
    """How the vectorised analysis ``a`` and the loop's result ``r`` compare."""
    s = a.signals
    worst = 0.0
    nan_mismatch = 0
    for name in ref.COLUMNS:
        x, y = getattr(s, name), np.array(r.columns[name])
        nan_mismatch += int((np.isnan(x) != np.isnan(y)).sum())
        both = np.isfinite(x) & np.isfinite(y)
        if both.any():
            worst = max(worst, float(np.max(np.abs(x[both] - y[both]))))
    drop_x, drop_y = a.drop, np.array(r.drop)
    nan_mismatch += int((np.isnan(drop_x) != np.isnan(drop_y)).sum())
    both = np.isfinite(drop_x) & np.isfinite(drop_y)
    if both.any():
        worst = max(worst, float(np.max(np.abs(drop_x[both] - drop_y[both]))))
    phase_diff = 0.0
    same_phases = [(p.start, p.stop, p.stance) for p in a.phases] == [
        (p.start, p.stop, ref_side(p.side)) for p in r.phases]
    if same_phases:
        for p, q in zip(a.phases, r.phases, strict=True):
            for k in ("baseline_deg", "peak_drop_deg", "mean_drop_deg", "peak_trunk_lean_deg",
                      "peak_lean_change_deg"):
                u, v = getattr(p, k), getattr(q, k)
                if math.isnan(u) != math.isnan(v):
                    nan_mismatch += 1
                elif not math.isnan(u):
                    phase_diff = max(phase_diff, abs(u - v))
    same_reps = [(x.leg, x.peak_index, x.complete) for x in a.reps] == [
        (x.leg, x.peak_index, x.complete) for x in r.reps]
    rep_diff = max((max(abs(x.start_s - y.start_s), abs(x.end_s - y.end_s),
                        abs(x.peak_deg - y.peak_deg), abs(x.held_s - y.held_s))
                    for x, y in zip(a.reps, r.reps, strict=True)), default=0.0) if same_reps else math.inf
    return {
        "labels_equal": bool(np.array_equal(a.labels, np.array(r.labels))),
        "upright_equal": bool(np.array_equal(s.upright, np.array(r.upright))),
        "pose_equal": bool(np.array_equal(s.pose, np.array(r.pose))),
        "phases_equal": same_phases, "reps_equal": same_reps,
        "max_abs_diff_signals": worst, "max_abs_diff_phase_measures": phase_diff,
        "max_abs_diff_reps": rep_diff, "nan_mismatches": nan_mismatch,
        "phases": len(a.phases), "reps": len(a.reps),
        "agree": bool(np.array_equal(a.labels, np.array(r.labels)) and same_phases and same_reps
                      and np.array_equal(s.pose, np.array(r.pose))
                      and np.array_equal(s.upright, np.array(r.upright))
                      and nan_mismatch == 0 and max(worst, phase_diff, rep_diff) <= 1e-9),
    }


def ref_side(side: int) -> str:
    return {ref.LEFT: "left", ref.RIGHT: "right"}[side]


def live_costs(series, settings: Settings, frames: int) -> dict:
    """Per-frame ms of StreamAnalyzer.update and LiveSession.update over ``frames`` frames of
    ``series`` (repeated as needed), reported for the first and the last minute."""
    from hipdrop.io.pose import PoseFrame
    from hipdrop.live.app import LiveSession
    from hipdrop.pipeline.stream import StreamAnalyzer

    image, world, waist = series.image, series.world, series.waist
    seen = np.isfinite(image[:, :, 0]).any(axis=1)
    n = len(series)

    def run(kind: str) -> np.ndarray:
        if kind == "analyzer":
            target = StreamAnalyzer(settings, series.width, series.height, series.fps, "bench")
        else:
            target = LiveSession("stance", settings, series.width, series.height, series.fps,
                                 "bench")
        times = np.empty(frames)
        for k in range(frames):
            i = k % n
            img, wld = (image[i], world[i]) if seen[i] else (None, None)
            cue = (float(waist[i, 0]), float(waist[i, 1])) if seen[i] else None
            t = k / series.fps
            start = time.perf_counter()
            if kind == "analyzer":
                target.update(img, wld, t, cue)
            else:
                target.update(PoseFrame(img, wld), t, _cue(cue))
            times[k] = time.perf_counter() - start
        return 1e3 * times

    out = {}
    minute = round(60 * series.fps)
    for kind in ("analyzer", "session"):
        ms = run(kind)
        out[kind] = {"all": pcts(ms, (50, 95, 99)) | {"mean": float(ms.mean())},
                     "first_minute": pcts(ms[:minute]) | {"mean": float(ms[:minute].mean())},
                     "last_minute": pcts(ms[-minute:]) | {"mean": float(ms[-minute:].mean())},
                     "frames": frames}
    return out


def _cue(cue):
    from hipdrop.vision.cues import WaistCue

    return None if cue is None else WaistCue(*cue)


def waist_cost(frames: int = 60) -> dict:
    """ms of the waist-line image cue (hipdrop.vision.cues.waist_line) on a real clip's frames at their
    size and resized to 960x540, with the clip's landmarks from the full model."""
    import cv2

    from hipdrop.io.pose import PoseEstimator
    from hipdrop.vision.cues import waist_line

    model = model_or_none("full")
    paths = clip_paths()
    if model is None or not paths:
        return {}
    out = {}
    for size in (None, (960, 540)):
        cap = cv2.VideoCapture(str(paths[0]))
        times = []
        with PoseEstimator(model) as est:
            for i in range(frames):
                ok, frame = cap.read()
                if not ok:
                    break
                if size is not None:
                    frame = cv2.resize(frame, size)
                pose = est.detect(frame, i / 25.0)
                if pose.image is None:
                    continue
                start = time.perf_counter()
                waist_line(frame, pose.image)
                times.append(time.perf_counter() - start)
        cap.release()
        key = "native" if size is None else f"{size[0]}x{size[1]}"
        out[key] = 1e3 * float(np.median(times)) if times else math.nan
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=60.0, help="length of the landmarks (60)")
    p.add_argument("--quick", action="store_true", help="10 minutes, fewer repeats")
    p.add_argument("--no-model", action="store_true", help="do not time the pose model")
    p.add_argument("--repeat", type=int, default=5, help="best of N for the vectorised timings")
    p.add_argument("--live-frames", type=int, default=18000,
                   help="frames fed to the live path (18000 = 10 min at 30 fps)")
    args = p.parse_args(argv)
    minutes = 10.0 if args.quick else args.minutes
    repeat = 3 if args.quick else args.repeat
    live_frames = 3600 if args.quick else args.live_frames
    settings = Settings()

    log(f"building {minutes:g} min of 30 fps landmarks ...")
    series, _ = synthetic_hour(minutes)
    n = len(series)
    log("timing the vectorised pipeline ...")
    analyze(series)  # warm up: imports, caches
    total_s, analysis = best_of(lambda: analyze(series), repeat)
    stages = stage_times(series, settings, repeat)

    log("running the per-frame Python loop (the reference) ...")
    image, world = series.image.tolist(), series.world.tolist()
    waist, t = series.waist.tolist(), series.t.tolist()
    start = time.perf_counter()
    result = ref.run(image, world, waist, t, series.fps, settings)
    loop_s = time.perf_counter() - start
    check = agreement(analysis, result)

    log("timing the live path ...")
    live = live_costs(series, settings, live_frames)
    infer = {"issue_640x480": list(ISSUE_FULL_MS)}
    cue = {}
    if not args.no_model:
        model = model_or_none("full")
        if model is not None and clip_paths():
            infer["here_640x480"] = inference_ms(model, 640, 480)
            infer["here_640x360"] = inference_ms(model, 640, 360)
            cue = waist_cost()
    hour_s = total_s * (108000 / n)
    speedup = loop_s / total_s

    rows = [[name, 1e3 * s, 1e6 * s / n] for name, s in stages.items()]
    rows.append([f"analyze (whole, best of {repeat})", 1e3 * total_s, 1e6 * total_s / n])
    rows.append(["per-frame Python loop", 1e3 * loop_s, 1e6 * loop_s / n])
    print(f"hipdrop pipeline benchmark: {n} frames ({n / series.fps / 60:.0f} min at "
          f"{series.fps:g} fps), {machine()['cpu']}, {machine()['cores']} cores")
    print(table(["offline stage", "ms", "us/frame"], rows))
    print(f"\nvectorised: {total_s:.3f} s for these frames = {hour_s:.3f} s per hour of 30 fps "
          f"(goal <= {GOAL_HOUR_S} s); the loop: {loop_s:.1f} s; speed-up {speedup:.0f}x "
          f"(goal >= {GOAL_SPEEDUP:.0f}x)")
    worst = max(check["max_abs_diff_signals"], check["max_abs_diff_phase_measures"],
                check["max_abs_diff_reps"])
    print(f"agreement with the loop: labels {'equal' if check['labels_equal'] else 'DIFFER'}, "
          f"phases {'equal' if check['phases_equal'] else 'DIFFER'} ({check['phases']}), reps "
          f"{'equal' if check['reps_equal'] else 'DIFFER'} ({check['reps']}), max |diff| "
          f"{worst:.2e}, NaN mismatches {check['nan_mismatches']} -> "
          f"{'AGREE' if check['agree'] else 'DISAGREE'}")
    ref_ms = {"issue full 640x480 (23 ms)": ISSUE_FULL_MS[0]}
    if "here_640x480" in infer:
        ref_ms["full here 640x480"] = infer["here_640x480"]
        ref_ms["full here 640x360"] = infer["here_640x360"]
    live_rows = []
    for kind, label in (("analyzer", "StreamAnalyzer.update"),
                        ("session", "LiveSession.update (live post-processing)")):
        c = live[kind]
        row = [label, c["all"]["p50"], c["all"]["p95"], c["first_minute"]["mean"],
               c["last_minute"]["mean"]]
        row += [100 * c["all"]["p50"] / v for v in ref_ms.values()]
        live_rows.append(row)
    for key, ms in cue.items():
        live_rows.append([f"waist cue (cues.waist_line) {key}", ms, math.nan, math.nan, math.nan]
                         + [100 * ms / v for v in ref_ms.values()])
    print()
    print(table(["live per frame", "p50 ms", "p95 ms", "1st min mean", "last min mean"]
                + [f"% of {k}" for k in ref_ms], live_rows,
                f"live path over {live_frames} frames (goal: p50 <= 1% of a full inference)"))
    if "here_640x480" in infer:
        print(f"full model inference here: {infer['here_640x480']:.1f} ms at 640x480, "
              f"{infer['here_640x360']:.1f} ms at 640x360 (median, one pose)")
    emit({"benchmark": "pipeline", "machine": machine(), "frames": n, "fps": series.fps,
          "minutes": n / series.fps / 60, "vectorised_s": total_s, "per_hour_s": hour_s,
          "loop_s": loop_s, "speedup": speedup, "stages_s": stages, "agreement": check,
          "live_ms": live, "waist_cue_ms": cue, "inference_ms": infer,
          "goals": {"hour_s": GOAL_HOUR_S, "speedup": GOAL_SPEEDUP, "live_share": GOAL_LIVE_SHARE},
          "met": {"hour": hour_s <= GOAL_HOUR_S, "speedup": speedup >= GOAL_SPEEDUP,
                  "live_issue": live["analyzer"]["all"]["p50"] <= GOAL_LIVE_SHARE * ISSUE_FULL_MS[0],
                  "live_here": (live["analyzer"]["all"]["p50"]
                                <= GOAL_LIVE_SHARE * infer.get("here_640x360", math.nan)),
                  "agree": check["agree"]}})
    return 0 if check["agree"] else 1


if __name__ == "__main__":
    sys.exit(main())
