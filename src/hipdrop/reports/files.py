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
    # json.dump writes an indented document piece by piece (~435,000 writes an hour of
    # phases); one string written once is the same bytes in a third of the time.
    text = json.dumps(data, indent=2, allow_nan=False)
    _atomic_write(path, lambda fh: fh.write(text))


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


# Above this magnitude x 1000 a float is formatted by Python (integer arithmetic below it is exact).
_EXACT_MILLI = 2.0**52


def _digits(n: np.ndarray, width: int) -> np.ndarray:
    """(k, width) uint8: the decimal digits of non-negative integers ``n`` (k,), right-aligned,
    0 (no byte) where a leading digit would be a zero; the units digit is always written."""
    out = np.zeros((len(n), width), np.uint8)
    for k in range(width):
        power = 10 ** (width - 1 - k)
        out[:, k] = np.where((n >= power) | (k == width - 1), n // power % 10 + 48, 0)
    return out


def _width(n: np.ndarray) -> int:
    return len(str(int(n.max()))) if len(n) else 1


def _float_bytes(col: np.ndarray) -> np.ndarray:
    """(k, w) uint8: each value of ``col`` (k,) as ``f"{v:.3f}"`` ("" when not finite), 0 for no
    byte. The value x 1000 is rounded half to even as an integer; where that product lies so
    near a half that its own rounding could decide (or beyond exact integers), Python formats
    the value, so every cell is the correctly rounded decimal that f-string formatting gives."""
    col = np.asarray(col, dtype=np.float64)
    finite = np.isfinite(col)
    with np.errstate(over="ignore", invalid="ignore"):  # beyond 1e305: inf, formatted by Python
        q = np.abs(np.where(finite, col, 0.0)) * 1000.0
        n = np.rint(q)
        near = np.abs(np.abs(q - np.floor(q)) - 0.5) <= 4 * np.spacing(q)
    slow = finite & (near | (q >= _EXACT_MILLI))
    n = np.where(finite & ~slow, n, 0).astype(np.int64)
    whole, milli = n // 1000, n % 1000
    d = _width(whole)
    fast = np.zeros((len(col), 1 + d + 4), np.uint8)
    fast[:, 0] = np.where(np.signbit(col), ord("-"), 0)
    fast[:, 1:1 + d] = _digits(whole, d)
    fast[:, 1 + d] = ord(".")
    for k, power in enumerate((100, 10, 1)):
        fast[:, 2 + d + k] = milli // power % 10 + 48
    fast[~finite | slow] = 0
    if not slow.any():
        return fast
    texts = np.full(len(col), "", dtype=object)
    texts[slow] = [f"{v:.3f}" for v in col[slow].tolist()]
    return _join_columns([fast, _text_bytes(texts.tolist())])


def _int_bytes(col: np.ndarray) -> np.ndarray:
    """(k, w) uint8: integers as ``str(int(v))``, 0 for no byte."""
    col = np.asarray(col).astype(np.int64)
    n = np.abs(col)
    d = _width(n)
    out = np.zeros((len(col), 1 + d), np.uint8)
    out[:, 0] = np.where(col < 0, ord("-"), 0)
    out[:, 1:] = _digits(n, d)
    return out


def _text_bytes(texts: list[str]) -> np.ndarray:
    """(k, w) uint8: each text's UTF-8 bytes, 0-padded (the few distinct ones encoded once)."""
    index: dict[str, int] = {}
    codes = np.array([index.setdefault(t, len(index)) for t in texts], np.int64)
    encoded = [t.encode("utf-8") for t in index]
    table = np.zeros((len(encoded), max([len(b) for b in encoded] + [1])), np.uint8)
    for i, b in enumerate(encoded):
        table[i, :len(b)] = np.frombuffer(b, np.uint8)
    return table[codes]


def _join_columns(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts, axis=1)


def _column_bytes(col: np.ndarray) -> np.ndarray:
    """(k, w) uint8: the frames.csv cells of one column (as :func:`_column_text`), 0 for no byte."""
    if col.dtype.kind == "f":
        return _float_bytes(col)
    if col.dtype.kind in "iu":
        return _int_bytes(col)
    # A text column holds a few distinct values: each is formatted once, then indexed.
    index: dict[tuple[type, object], int] = {}
    try:
        codes = np.array([index.setdefault((type(v), v), len(index)) for v in col.tolist()],
                         np.int64)
    except TypeError:  # an unhashable value: cell by cell
        return _text_bytes(_column_text(col))
    distinct = np.empty(len(index), dtype=object)
    distinct[:] = [v for _, v in index]
    return _text_bytes(_column_text(distinct))[codes]


def _has_nul(col: np.ndarray) -> bool:
    values = col.tolist()
    try:
        values = set(values)
    except TypeError:  # an unhashable value: every one is looked at
        pass
    return any("\0" in str(v) for v in values)


def write_frames(path: Path, analysis: Analysis) -> None:
    """frames.csv, formatted a column at a time into a byte matrix (cell by cell took seconds
    an hour, and Python strings a column at a time half the analysis' time); the bytes are those
    of csv.writer over :func:`frame_rows` (tests/test_frames_csv.py)."""
    columns = frame_columns(analysis)
    n = len(columns[0])
    if any(_has_nul(c) for c in columns if c.dtype.kind not in "fiu"):
        # A NUL byte in a text cell (no hipdrop text has one) would read as padding below.
        return _write_frames_text(path, columns)

    def write(fh) -> None:
        fh.write((",".join(FRAME_COLUMNS) + "\r\n").encode("utf-8"))
        for i in range(0, n, _CSV_CHUNK):
            k = min(n, i + _CSV_CHUNK) - i
            comma = np.full((k, 1), ord(","), np.uint8)
            parts: list[np.ndarray] = []
            for c in columns:
                parts += [_column_bytes(np.asarray(c[i:i + k])), comma]
            parts[-1] = np.tile(np.frombuffer(b"\r\n", np.uint8), (k, 1))
            flat = _join_columns(parts).ravel()
            fh.write(flat[flat != 0].tobytes())

    write_file(path, write)


def _write_frames_text(path: Path, columns: list[np.ndarray]) -> None:
    """frames.csv through Python strings, a column at a time (any text)."""
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


def squat_lines(squats: dict | None, bumps: dict | None) -> list[str]:
    """The squats (when any) and the hip bumps (when asked) for the terminal."""
    lines = []
    if squats and squats["count"]:
        lines.append(f"Squats: {squats['count']}")
        for r in squats["items"]:
            shift = r["lateral_shift_pct"]
            source = f"; from the {r['shift_source']}" if r.get("shift_source") else ""
            said = (f"shift {shift:+.0f}% of hip width ({r['shift_side']}{source})"
                    if shift is not None
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
    lines += squat_lines(data.get("squats"), data.get("hip_bumps"))
    verdict = data["verdict"]
    lines.append(f"Finding: left leg {FINDING_WORDS.get(verdict['left'], verdict['left'])}, "
                 f"right leg {FINDING_WORDS.get(verdict['right'], verdict['right'])}")
    lines.append(f"Verdict: {verdict['text']}")
    for w in data.get("warnings", []):
        lines.append(f"Warning: {w}")
    lines.append(data["disclaimer"])
    return "\n".join(lines)
