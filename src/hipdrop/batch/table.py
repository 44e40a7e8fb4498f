"""The table of a batch: one row a source, written to batch.csv and batch.json atomically."""

from __future__ import annotations

import csv
import io
import json
import math
import time
from pathlib import Path
from typing import Any

from hipdrop.batch.jobs import DONE, FAILED, PENDING, TABLE_CSV, TABLE_JSON, Job, Outcome
from hipdrop.io.outputs import write_bytes

CSV_COLUMNS = ("source", "folder", "status", "error", "frames", "frames_with_pose", "duration_s",
               "fps", "stance_phases", "findings", "verdict_left", "verdict_right", "reps_left",
               "reps_right", "wall_s", "cpu_s", "frames_per_s", "worker", "resumed")


def _row(outcome: Outcome) -> dict[str, Any]:
    s = outcome.summary or {}
    keys = ("stance", "start_s", "end_s", "peak_drop_deg", "drop_interval_deg", "finding",
            "significant", "obliquity_source")
    phases = [{k: p[k] for k in keys if k in p} for p in s.get("stance_phases", [])]
    frames = s.get("frames")
    fps = s.get("fps")
    return {
        "source": outcome.source, "folder": outcome.name, "status": outcome.status,
        "error": outcome.error, "frames": frames, "frames_with_pose": s.get("frames_with_pose"),
        "duration_s": round(frames / fps, 3) if frames and fps else None, "fps": fps,
        "phases": phases, "verdict_left": s.get("verdict", {}).get("left"),
        "verdict_right": s.get("verdict", {}).get("right"),
        "reps_left": s.get("reps", {}).get("left"), "reps_right": s.get("reps", {}).get("right"),
        "wall_s": round(outcome.wall_s, 3) if outcome.status != PENDING else None,
        "cpu_s": round(outcome.cpu_s, 3) if outcome.status != PENDING else None,
        "frames_per_s": round(frames / outcome.wall_s, 2) if frames and outcome.wall_s else None,
        "worker": outcome.worker, "resumed": outcome.resumed, "warnings": outcome.warnings,
    }


def _findings(phases: list[dict]) -> str:
    parts = []
    for p in phases:
        drop = p.get("peak_drop_deg")
        finding = p.get("finding") or ("drop" if p.get("significant") else "no drop")
        parts.append(f"{p['stance']} {p['start_s']:.1f}-{p['end_s']:.1f}s {finding}"
                     + ("" if drop is None else f" peak {drop:+.1f}deg"))
    return "; ".join(parts)


def _cell(v: Any) -> Any:
    return "" if v is None else v


class BatchTable:
    """The rows of a batch, written to batch.csv and batch.json after every change."""

    def __init__(self, out: Path, jobs: list[Job], meta: dict) -> None:
        self.out = out
        self.meta = meta
        self.outcomes = {j.name: Outcome(j.source, j.name, PENDING) for j in jobs}
        self.dirty = False
        self._last = -math.inf
        self._cost = 0.0

    def record(self, outcome: Outcome) -> None:
        self.outcomes[outcome.name] = outcome

    def rows(self) -> list[dict]:
        return [_row(o) for o in self.outcomes.values()]

    def write(self, force: bool = True) -> None:
        """Rewrite both files; unless ``force``, not more often than every 20 writing times.

        A table of a few hundred rows takes a millisecond: it is rewritten after every source.
        One of tens of thousands takes ~0.1 s, and rewriting it after each of the many sources a
        big cluster finishes a second would cost more than the batch; it then lags by up to 20
        writing times (only a kill -9 sees that: an interrupted batch writes it last).
        """
        start = time.monotonic()
        if not force and start - self._last < 20.0 * self._cost:
            self.dirty = True
            return
        rows = self.rows()
        counts = {s: sum(r["status"] == s for r in rows) for s in (DONE, FAILED, PENDING)}
        doc = self.meta | {"counts": counts, "sources": rows}
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(CSV_COLUMNS)
        for r in rows:
            flat = r | {"stance_phases": len(r["phases"]), "findings": _findings(r["phases"])}
            w.writerow([_cell(flat[c]) for c in CSV_COLUMNS])
        write_bytes(self.out / TABLE_JSON,
                    (json.dumps(doc, indent=1, allow_nan=False) + "\n").encode("utf-8"))
        write_bytes(self.out / TABLE_CSV, buf.getvalue().encode("utf-8"))
        self.dirty = False
        self._last = time.monotonic()
        self._cost = self._last - start
