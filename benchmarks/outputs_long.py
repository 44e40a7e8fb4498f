"""What writing `hipdrop analyze`'s files costs beside the analysis, on an hour of landmarks.

On one long recording (the knee-lift clip's real landmarks tiled to 60 min at 30 fps, with a
waist cue: benchmarks/_long.py), in one process, best of --repeat: the analysis
(hipdrop.analyze on the LandmarkSeries), then each output of Analysis.write: summary.json,
frames.csv, obliquity.png; and frames.csv through Python strings (the writer before the byte
matrix, checked to give the same bytes). Figures: seconds each, and each as a ratio of the
analysis' (issue 11 found frames.csv at 2-3x; the goal is well under 1).

    python benchmarks/outputs_long.py [--quick] [--minutes 60]

--quick: 10 minutes, one repeat. The clip's landmarks are extracted once into --cache.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _long import clip_landmarks, recording
from _speed import best_of, emit, log, machine, table


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="10 minutes, one repeat")
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "hipdrop_bench")
    args = ap.parse_args(argv)
    minutes, repeat = (10.0, 1) if args.quick else (args.minutes, args.repeat)

    import hipdrop
    from hipdrop.reports.files import _write_frames_text, frame_columns, write_frames, write_summary
    from hipdrop.reports.plot import plot_obliquity

    series = recording(clip_landmarks(args.cache), "waist", minutes)
    log(f"{len(series)} frames ({minutes:g} min at 30 fps)")
    t_analysis, a = best_of(lambda: hipdrop.analyze(series), repeat)
    data = a.summary()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        t_summary, _ = best_of(lambda: write_summary(out / "summary.json", data), repeat)
        t_frames, _ = best_of(lambda: write_frames(out / "frames.csv", a), repeat)
        # The writer through Python strings a column at a time (hipdrop's before the byte
        # matrix; still its path for a text with a NUL): the same bytes, for the ratio.
        columns = frame_columns(a)
        t_strings, _ = best_of(lambda: _write_frames_text(out / "strings.csv", columns), repeat)
        if (out / "strings.csv").read_bytes() != (out / "frames.csv").read_bytes():
            raise SystemExit("outputs_long: the two frames.csv writers differ")
        t_plot, _ = best_of(lambda: plot_obliquity(a, out / "obliquity.png", "long"), repeat)
        csv_mb = (out / "frames.csv").stat().st_size / 1e6
    rows = [["analysis", f"{t_analysis:.3f}", "1.00"],
            ["summary.json", f"{t_summary:.3f}", f"{t_summary / t_analysis:.2f}"],
            ["frames.csv", f"{t_frames:.3f}", f"{t_frames / t_analysis:.2f}"],
            ["frames.csv (strings)", f"{t_strings:.3f}", f"{t_strings / t_analysis:.2f}"],
            ["obliquity.png", f"{t_plot:.3f}", f"{t_plot / t_analysis:.2f}"]]
    print(table(["step", "s", "x analysis"], rows,
                f"{minutes:g} min of landmarks, best of {repeat} (frames.csv {csv_mb:.0f} MB)"))
    emit({"minutes": minutes, "frames": len(series), "analysis_s": t_analysis,
          "summary_s": t_summary, "frames_csv_s": t_frames, "plot_s": t_plot,
          "frames_csv_over_analysis": t_frames / t_analysis, "frames_csv_strings_s": t_strings,
          "strings_over_bytes": t_strings / t_frames, "frames_csv_mb": csv_mb,
          "machine": machine()})


if __name__ == "__main__":
    main()
