"""Helpers shared by the speed benchmarks (pipeline, analyze, live, models).

Timing, tables, peak memory, the real clips, the pose model's raw speed, long videos made by
repeating a clip, and a synthetic hour of landmarks with noise and gaps. Nothing here is timed
by tests: speed lives in the benchmarks only.
"""

from __future__ import annotations

import json
import math
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
VIDEO_DIR = Path(os.environ.get("HIPDROP_VIDEO_DIR", REPO.parent / "shared" / "videos"))
if not os.environ.get("HIPDROP_MODEL_DIR") and (REPO.parent / "shared" / "models").is_dir():
    os.environ["HIPDROP_MODEL_DIR"] = str(REPO.parent / "shared" / "models")

# The real clips, shortest name first; the walking clip is 1280x720, the rest 640x360 or less.
CLIPS = (
    "side_leg_raise_standing_front_01.mp4", "side_lying_leg_raise_01.mp4",
    "side_lying_leg_raise_03.mp4", "single_leg_stance_tree_front_01.mp4",
    "alternating_knee_lift_front_01.mp4", "sumo_squat_front_01.mp4",
    "walking_toward_camera_01.mp4",
)  # fmt: skip
# The issue's figure for the full model on a 640x480 frame with one pose, ms.
ISSUE_FULL_MS = (23.0, 28.0)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def machine() -> dict:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__}


def peak_rss_mb(children: bool = False) -> float:
    """Peak resident memory of this process (or of its waited-for children), MiB."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024.0  # Linux reports KiB


def rss_mb() -> float:
    """Resident memory now, MiB (Linux /proc; NaN elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return math.nan


def export_src(rev: str, into: Path, member: str = "src") -> Path:
    """``member`` (a folder of the repository) of git revision ``rev``, written under ``into``
    by ``git archive``; returns ``into / "src"``, the folder to put on PYTHONPATH."""
    import subprocess
    import tarfile

    tar = into / "src.tar"
    with open(tar, "wb") as fh:
        subprocess.run(["git", "-C", str(REPO), "archive", rev, member], stdout=fh, check=True)
    with tarfile.open(tar) as t:
        t.extractall(into, filter="data")
    tar.unlink()
    return into / "src"


def sized_frames(cap, size: tuple[int, int]):
    """The frames of an open ``cv2.VideoCapture``, resized to ``size`` (w, h) where they differ:
    a clip's frames as the live loop would get them from a camera of that size."""
    import cv2

    while True:
        ok, frame = cap.read()
        if not ok:
            return
        if frame.shape[1::-1] != size:
            frame = cv2.resize(frame, size, interpolation=cv2.INTER_LINEAR)
        yield frame


def pcts(values, ps=(50, 95)) -> dict[str, float]:
    """Percentiles of ``values`` as {"p50": .., "p95": ..} (NaN when empty)."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return {f"p{p}": math.nan for p in ps}
    return {f"p{p}": float(x) for p, x in zip(ps, np.percentile(v, ps), strict=True)}


def best_of(fn, repeat: int) -> tuple[float, object]:
    """The fastest of ``repeat`` calls of ``fn()`` in seconds, and the last result."""
    best, out = math.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def table(header: list[str], rows: list[list], title: str | None = None) -> str:
    """A plain text table, columns right-aligned except the first."""
    cells = [[str(c) for c in header]] + [[_cell(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = [title] if title else []
    for k, r in enumerate(cells):
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths, strict=True))))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(c: object) -> str:
    if isinstance(c, float):
        if not math.isfinite(c):
            return "-"
        return f"{c:.3g}" if abs(c) < 0.01 and c != 0 else f"{c:.2f}" if abs(c) < 1000 else f"{c:.0f}"
    return str(c)


def clean(x):
    """JSON-ready: NaN and infinities as null, floats rounded to 4 significant places."""
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean(v) for v in x]
    if isinstance(x, (float, np.floating)):
        x = float(x)
        return float(f"{x:.4g}") if math.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def emit(figures: dict) -> None:
    """The last line of every benchmark: one JSON object of its figures."""
    print(json.dumps(clean(figures)), flush=True)


def clip_paths(quick: bool = False) -> list[Path]:
    """The real clips that are present (``quick``: the first two)."""
    paths = [VIDEO_DIR / c for c in CLIPS if (VIDEO_DIR / c).is_file()]
    return paths[:2] if quick else paths


# ---------------------------------------------------------------------------------------------
# The pose model alone


def model_or_none(name: str):
    """The resolved model ``name``, or None when it is not on this machine (never downloads)."""
    from hipdrop.errors import ModelError
    from hipdrop.io.models import resolve

    try:
        return resolve(name, download=False)
    except ModelError:
        return None


def raw_limit(path: Path, model, max_frames: int | None = None) -> dict:
    """Decode + inference only, one after the other, on the frames of ``path``: the pose model's
    limit on this machine, and its parts (ms a frame; model load apart).

    Decoding runs in this thread (no overlap), so ``decode_ms + infer_ms`` is the sequential
    cost and ``infer_ms`` the floor that overlapping decode could reach.
    """
    import cv2

    from hipdrop.io.pose import PoseEstimator

    t0 = time.perf_counter()
    with PoseEstimator(model) as est:
        load_s = time.perf_counter() - t0
        cap = cv2.VideoCapture(str(path))
        fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
        decode, infer = [], []
        try:
            while max_frames is None or len(infer) < max_frames:
                a = time.perf_counter()
                ok, frame = cap.read()
                b = time.perf_counter()
                if not ok:
                    break
                est.detect(frame, len(infer) / fps)
                infer.append(time.perf_counter() - b)
                decode.append(b - a)
        finally:
            cap.release()
    decode_ms, infer_ms = 1e3 * np.array(decode), 1e3 * np.array(infer)
    steady = slice(min(5, len(infer) // 4), None)  # the first frames warm the model up
    return {"frames": len(infer), "load_s": load_s, "first_ms": float(infer_ms[0]),
            "decode_ms": float(decode_ms[steady].mean()), "infer_ms": float(infer_ms[steady].mean()),
            "infer_p50_ms": float(np.median(infer_ms[steady])),
            "total_s": float(decode_ms.sum() + infer_ms.sum()) / 1e3}


def inference_ms(model, width: int = 640, height: int = 480, frames: int = 60,
                 clip: Path | None = None) -> float:
    """Median ms of one inference at ``width`` x ``height`` (frames of ``clip`` resized, or of
    the first real clip found), one pose."""
    import cv2

    from hipdrop.io.pose import PoseEstimator

    clip = clip or next(iter(clip_paths()), None)
    if clip is None:
        return math.nan
    cap = cv2.VideoCapture(str(clip))
    images = []
    while len(images) < frames:
        ok, frame = cap.read()
        if not ok:
            break
        images.append(cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA))
    cap.release()
    times = []
    with PoseEstimator(model) as est:
        for i, image in enumerate(images):
            start = time.perf_counter()
            est.detect(image, i / 25.0)
            times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times[5:]))


# ---------------------------------------------------------------------------------------------
# Long videos


def long_video(src: Path, out: Path, repeat: int) -> Path:
    """``src`` played ``repeat`` times back to back, written once to ``out`` (mp4v)."""
    import cv2

    if out.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS)
    w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    cap.release()
    tmp = out.with_name(f".{out.name}.tmp.mp4")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter.fourcc(*"mp4v"), fps, (w, h))
    try:
        for _ in range(repeat):
            cap = cv2.VideoCapture(str(src))
            while True:
                ok, frame = cap.read()
                if not ok:
                    break
                writer.write(frame)
            cap.release()
    finally:
        writer.release()
    os.replace(tmp, out)
    return out


# ---------------------------------------------------------------------------------------------
# A synthetic hour of landmarks


def _chunk_segments(rng: np.random.Generator, minutes: float) -> list:
    """A varied script of about ``minutes``: stance tests (drops, leans, hold lengths),
    standing and side-lying abduction reps, holds, double stance in between."""
    from hipdrop.testing.scripted import Segment

    out, total = [], 0.0
    while total < 60.0 * minutes:
        kind = rng.choice(["stance", "stance", "abduction", "lying", "hold"])
        side = str(rng.choice(["left", "right"]))
        if kind == "stance":
            seg = Segment("stance", float(rng.uniform(2.0, 30.0)), side,
                          drop_deg=float(rng.uniform(-3.0, 10.0)),
                          lean_deg=float(rng.uniform(-2.0, 8.0)))
        elif kind == "hold":
            seg = Segment("hold", float(rng.uniform(3.0, 15.0)), side,
                          peak_deg=float(rng.uniform(25.0, 45.0)))
        else:
            reps = int(rng.integers(2, 11))
            seg = Segment(kind, reps * float(rng.uniform(1.5, 3.0)), side, reps=reps,
                          peak_deg=float(rng.uniform(25.0, 50.0)))
        double = Segment("double", float(rng.uniform(1.5, 5.0)))
        out += [double, seg]
        total += double.duration_s + seg.duration_s
    return [*out, Segment("double", 2.0)]


def _gaps(rng: np.random.Generator, duration_s: float) -> list[tuple[float, float]]:
    """Pose dropouts: many short ones (bridged) and a few long ones (the person out of view)."""
    gaps = []
    for _ in range(int(duration_s / 6)):  # a dropout every ~6 s of 1-8 frames
        a = float(rng.uniform(0, duration_s))
        gaps.append((a, a + float(rng.uniform(0.03, 0.27))))
    for _ in range(int(duration_s / 120)):  # out of view 1-5 s every ~2 min
        a = float(rng.uniform(0, duration_s))
        gaps.append((a, a + float(rng.uniform(1.0, 5.0))))
    return gaps


def synthetic_hour(minutes: float = 60.0, fps: float = 30.0, seed: int = 0, chunk_min: float = 5.0):
    """A LandmarkSeries of ``minutes`` of a scripted person at ``fps``, realistic enough to
    exercise every path of the pipeline: 1.5-3 px landmark noise, a camera that differs every
    ``chunk_min`` minutes (roll, distance, facing), short and long pose gaps, feet whose
    landmarks are sometimes unsure (visibility below the threshold), and a waist-line cue of
    varying confidence. Returns the series and its number of scripted stance phases and reps.
    """
    from hipdrop.core.landmarks import LandmarkSeries
    from hipdrop.testing.scripted import Camera, landmarks

    rng = np.random.default_rng(seed)
    images, worlds, ts, waists = [], [], [], []
    t0, phases, reps = 0.0, 0, 0
    n_chunks = max(1, math.ceil(minutes / chunk_min))
    for k in range(n_chunks):
        segs = _chunk_segments(rng, min(chunk_min, minutes - k * chunk_min))
        cam = Camera(width=1280, height=720, px_per_m=float(rng.uniform(220, 380)),
                     roll_deg=float(rng.uniform(-4, 4)),
                     facing="camera" if rng.random() < 0.8 else "away")
        dur = sum(s.duration_s for s in segs)
        series, truth = landmarks(segs, cam, fps=fps, noise_px=float(rng.uniform(1.5, 3.0)),
                                  gaps=_gaps(rng, dur), seed=int(rng.integers(1 << 31)))
        n = len(series)
        # Unsure feet: now and then heel and toe fall below the visibility threshold.
        unsure = rng.random(n) < 0.05
        series.image[np.ix_(unsure, [29, 30, 31, 32], [3])] = 0.3
        # The waist cue: the true obliquity plus noise, its confidence wandering 0..0.9.
        conf = np.clip(0.45 + 0.35 * np.sin(2 * np.pi * truth.t / float(rng.uniform(20, 90)))
                       + rng.normal(0, 0.05, n), 0.0, 0.9)
        obl = truth.obliquity_deg + rng.normal(0, 0.8, n)
        waist = np.stack([np.where(conf > 0.1, obl, np.nan), conf], -1)
        waist[~np.isfinite(series.image[:, 0, 0])] = (np.nan, 0.0)
        images.append(series.image)
        worlds.append(series.world)
        ts.append(t0 + series.t)
        waists.append(waist)
        t0 += n / fps
        phases += len(truth.phases)
        reps += len(truth.reps)
    total = round(minutes * 60 * fps)
    image = np.concatenate(images)[:total]
    world = np.concatenate(worlds)[:total]
    t = np.arange(len(image)) / fps
    waist = np.concatenate(waists)[:total]
    series = LandmarkSeries(image, world, t, 1280, 720, fps, "scripted", waist)
    return series, {"scripted_phases": phases, "scripted_reps": reps}
