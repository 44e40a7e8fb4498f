"""Do hipdrop's hand-written stand-ins for NumPy earn their place? On an hour of landmarks.

core.filters.median (for np.median), core.stance._nanmean (np.nanmean) and
core.kinematics._dot (np.add.reduce(a * b, axis=-1)) are each shadowed during one analysis
(benchmarks/_long.py's knee-lift landmarks tiled to 60 min at 30 fps, as extracted and with a
waist cue): every call runs the stand-in and plain NumPy on the same arguments, checks the
results are identical, and adds up both times. Figures: seconds in each over the analysis,
and NumPy's time as a ratio of the stand-in's (timed call by call, side by side, so the
machine's load affects both alike).

    python benchmarks/standins.py [--quick]

--quick: 10 minutes, one variant.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from _long import clip_landmarks, recording
from _speed import emit, log, machine, table


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="10 minutes, one variant")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "hipdrop_bench")
    args = ap.parse_args(argv)
    minutes, variants = (10.0, ("waist",)) if args.quick else (60.0, ("tiled", "waist"))

    import hipdrop
    from hipdrop.core import baselines, filters, kinematics, reps, stance, tiers

    totals: dict[str, list[float]] = {}
    calls: dict[str, int] = {}

    def shadow(modules, name, mine, plain, key):
        def both(*a):
            t0 = time.perf_counter()
            out = mine(*a)
            t1 = time.perf_counter()
            ref = plain(*a)
            t2 = time.perf_counter()
            if not np.array_equal(out, ref, equal_nan=True):
                raise SystemExit(f"standins: {key} differs from NumPy on {a!r:.200}")
            got = totals.setdefault(key, [0.0, 0.0])
            got[0] += t1 - t0
            got[1] += t2 - t1
            calls[key] = calls.get(key, 0) + 1
            return out

        for m in modules:
            setattr(m, name, both)

    shadow([m for m in (stance, baselines, reps, tiers) if hasattr(m, "median")], "median",
           filters.median, lambda x: float(np.median(x)), "median")
    shadow([stance], "_nanmean", stance._nanmean, lambda x: float(np.nanmean(x)), "nanmean")
    shadow([kinematics], "_dot", kinematics._dot, lambda a, b: np.add.reduce(a * b, axis=-1),
           "dot")
    clip = clip_landmarks(args.cache)
    figures: dict = {"minutes": minutes, "machine": machine()}
    rows = []
    for variant in variants:
        series = recording(clip, variant, minutes)
        totals.clear()
        calls.clear()
        t0 = time.perf_counter()
        hipdrop.analyze(series)
        wall = time.perf_counter() - t0 - sum(p for _, p in totals.values())  # without NumPy's
        log(f"{variant}: analysis {wall:.2f} s")
        for key, (mine, plain) in totals.items():
            rows.append([variant, key, calls[key], f"{mine:.3f}", f"{plain:.3f}",
                         f"{plain / mine:.1f}", f"{(plain - mine) / wall:.0%}"])
            figures[f"{variant}_{key}"] = {"calls": calls[key], "standin_s": mine,
                                           "numpy_s": plain, "numpy_over_standin": plain / mine,
                                           "share_of_analysis_saved": (plain - mine) / wall}
    print(table(["variant", "stand-in", "calls", "its s", "NumPy s", "NumPy x", "saved"], rows,
                f"{minutes:g} min of landmarks: the stand-ins against plain NumPy"))
    emit(figures)


if __name__ == "__main__":
    main()
