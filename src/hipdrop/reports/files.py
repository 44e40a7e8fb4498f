"""Writing an analysis out: summary.json, frames.csv, landmarks.npz, and the printed summary."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from hipdrop.core.bump import bumps_json
from hipdrop.io.outputs import write_file
from hipdrop.pipeline.analysis import Analysis

DISCLAIMER = ("hipdrop is a self-assessment aid, not a diagnosis: see a physiotherapist or doctor "
              "about pain, or before acting on a result.")

FRAME_COLUMNS = (
    "t_s", "pose", "obliquity_deg", "landmark_obliquity_deg", "stance", "drop_deg",
    "trunk_lean_deg", "abduction_left_deg", "abduction_right_deg", "rep_left", "rep_right",
    "obliquity_source",
)  # fmt: skip


def _num(x: float, digits: int = 3) -> float | None:
    return round(float(x), digits) if math.isfinite(x) else None


def summary(analysis: Analysis, source: str, extra: dict | None = None) -> dict:
    """DESIGN.md's summary.json as a dict (plus hipdrop's additions: warnings, disclaimer...)."""
    series, reps = analysis.series, analysis.reps
    out = {
        "source": source,
        "model": series.model,
        "fps": round(series.fps, 3),
        "frames": len(series),
        "frames_with_pose": int(series.has_pose.sum()),
        "settings": analysis.settings.as_dict(),
        "obliquity_estimator": analysis.estimator,
        # How the pose model's hip landmarks were read (hipdrop.core.tiers): a known MediaPipe
        # bundle's are approximate; any other source's are taken as hip joint centres.
        "landmarks_read_as": analysis.landmarks.read_as,
        "stance_phases": [p.to_json() | {"short_hold": p.duration_s < analysis.settings.hold_target_s}
                          for p in analysis.phases],
        "reps": {
            "left": sum(r.leg == "left" for r in reps),
            "right": sum(r.leg == "right" for r in reps),
            "items": [r.to_json() for r in reps],
        },
        "verdict": analysis.verdict.to_json(),
        "squats": analysis.squats.to_json(),  # hipdrop.core.squat
        "warnings": list(analysis.warnings),
        "disclaimer": DISCLAIMER,
    }
    if analysis.bumps is not None:  # the hip bump drill, when asked (settings.hip_bump)
        out["hip_bumps"] = bumps_json(analysis.bumps)
    out.update(extra or {})
    return out


def frame_columns(analysis: Analysis) -> list[np.ndarray]:
    """frames.csv's columns, in the order of FRAME_COLUMNS: (T,) arrays."""
    s = analysis.signals
    stance = np.array(["none"] * len(s.t), dtype=object)
    for p in analysis.phases:
        stance[p.start:p.stop] = p.stance
    counts = analysis.rep_counts
    lean = analysis.trunk_lean_deg()
    # Which tier gave each frame's obliquity (hipdrop.core.obliquity): DESIGN.md's addition.
    source = (analysis.source if analysis.source is not None
              else np.full(len(s.t), "landmarks", dtype=object))
    return [s.t, s.pose.astype(int), s.obliquity_deg, s.landmark_obliquity_deg, stance,
            analysis.drop, lean, s.abduction_left_deg, s.abduction_right_deg,
            counts[:, 0], counts[:, 1], source]


def frame_rows(analysis: Analysis) -> list[tuple]:
    """One tuple a frame, in the order of FRAME_COLUMNS (cell by cell: what
    :func:`write_frames` writes column-wise, kept as its reference)."""
    rows = []
    for values in zip(*frame_columns(analysis), strict=True):
        rows.append(tuple(_cell(v) for v in values))
    return rows


def _cell(v: object) -> object:
    if isinstance(v, (float, np.floating)):
        return "" if not np.isfinite(v) else f"{float(v):.3f}"
    if isinstance(v, np.integer):
        return int(v)
    return v


def _atomic_write(path: Path, write) -> None:
    """Write via a temporary file in the same folder, so a crash never leaves half a file."""
    write_file(path, write, text=True)


def write_summary(path: Path, data: dict) -> None:
    _atomic_write(path, lambda fh: json.dump(data, fh, indent=2, allow_nan=False))


# frames.csv is formatted this many rows at a time (a bounded amount of text in memory).
_CSV_CHUNK = 1 << 16
_NEEDS_QUOTES = (",", '"', "\r", "\n")


def _column_text(col: np.ndarray) -> list[str]:
    """The cells of one frames.csv column as csv.writer writes :func:`_cell`'s values: floats
    to 3 decimals ("" when not finite), integers in full, text quoted where csv would."""
    if col.dtype.kind == "f":
        # NaN as the only non-finite value, so one comparison tells it apart.
        values = np.where(np.isfinite(col), col, np.nan).tolist()
        return ["" if v != v else f"{v:.3f}" for v in values]
    if col.dtype.kind in "iub":
        return [str(v) for v in col.tolist()]  # Python ints and bools, as csv writes them
    out = []
    seen: dict[object, str] = {}  # a text column holds a few words, each formatted once
    for v in col.tolist():
        if isinstance(v, float):
            out.append("" if not math.isfinite(v) else f"{v:.3f}")
            continue
        text = seen.get(v) if isinstance(v, str) else None
        if text is None:
            text = "" if v is None else str(v)
            if any(c in text for c in _NEEDS_QUOTES):
                text = '"' + text.replace('"', '""') + '"'
            if isinstance(v, str):
                seen[v] = text
        out.append(text)
    return out


def write_frames(path: Path, analysis: Analysis) -> None:
    """frames.csv, formatted a column at a time (cell by cell took seconds an hour); the bytes
    are those of csv.writer over :func:`frame_rows` (tests/test_frames_csv.py)."""
    columns = frame_columns(analysis)
    n = len(columns[0])

    def write(fh) -> None:
        fh.write(",".join(FRAME_COLUMNS) + "\r\n")
        for i in range(0, n, _CSV_CHUNK):
            cells = [_column_text(np.asarray(c[i:i + _CSV_CHUNK])) for c in columns]
            fh.write("".join(",".join(row) + "\r\n" for row in zip(*cells, strict=True)))

    _atomic_write(path, write)


FINDING_WORDS = {"drop": "DROP", "no drop": "no drop", "compensated": "COMPENSATED",
                 "inconclusive": "can't tell", "not tested": "not tested"}


def _phase_line(p: dict) -> str:
    """One stance phase for the terminal: its finding, and a number only where it stands."""
    head = (f"  {p['stance']:>5} leg {p['start_s']:6.1f}-{p['end_s']:.1f} s "
            f"({p['duration_s']:.1f} s): ")
    finding = p.get("finding", "inconclusive")
    lo, hi = (p.get("drop_interval_deg") or [None, None])[:2]
    if finding == "inconclusive" or lo is None or hi is None:
        return head + f"can't tell ({p.get('inconclusive_reason') or 'not measured'})"
    lean = p["peak_trunk_lean_deg"]
    return (head + f"{FINDING_WORDS.get(finding, finding)}, peak drop {p['peak_drop_deg']:+.1f} "
            f"deg (90%: {lo:+.1f} to {hi:+.1f}) from {p.get('obliquity_source', 'landmarks')}, "
            f"trunk lean {'n/a' if lean is None else f'{round(lean):+d} deg'}")


def _squat_lines(squats: dict | None, bumps: dict | None) -> list[str]:
    """The squats (when any) and the hip bumps (when asked) for the terminal."""
    lines = []
    if squats and squats["count"]:
        lines.append(f"Squats: {squats['count']}")
        for r in squats["items"]:
            shift = r["lateral_shift_pct"]
            said = (f"shift {shift:+.0f}% of hip width ({r['shift_side']})" if shift is not None
                    else f"shift not measured ({r.get('reason')})")
            depth = "n/a" if r["depth_deg"] is None else f"{r['depth_deg']:.0f} deg"
            lines.append(f"  {r['start_s']:6.1f}-{r['end_s']:.1f} s: depth {depth}, {said}")
        finding = squats["finding"]
        if finding == "can't tell":
            lines.append(f"Squat symmetry: can't tell ({squats.get('finding_reason')})")
        else:
            lo, hi = squats["shift_interval_pct"]
            lines.append(f"Squat symmetry: {finding} (shift {squats['shift_pct']:+.0f}% of hip "
                         f"width, 90%: {lo:+.0f} to {hi:+.0f})")
    if bumps is not None:
        lines.append(f"Hip bumps: left {bumps['left']}, right {bumps['right']}")
    return lines


def human_summary(data: dict) -> str:
    """A few lines for the terminal: the same findings and words as the screen and report."""
    lines = []
    phases = data["stance_phases"]
    if phases:
        lines.append("Single-leg stance:")
        lines += [_phase_line(p) for p in phases]
    else:
        lines.append("No single-leg stance found.")
    reps = data["reps"]
    lines.append(f"Abduction reps: left {reps['left']}, right {reps['right']}")
    lines += _squat_lines(data.get("squats"), data.get("hip_bumps"))
    verdict = data["verdict"]
    lines.append(f"Finding: left leg {FINDING_WORDS.get(verdict['left'], verdict['left'])}, "
                 f"right leg {FINDING_WORDS.get(verdict['right'], verdict['right'])}")
    lines.append(f"Verdict: {verdict['text']}")
    for w in data.get("warnings", []):
        lines.append(f"Warning: {w}")
    lines.append(data["disclaimer"])
    return "\n".join(lines)
