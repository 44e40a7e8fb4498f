"""History and report benchmark: what recording a session and writing report.html add to a run.

On a scripted session's landmarks (the stance test plus abduction reps, 30 fps, no model needed):

* whole processes, alternately, ``--repeat`` times each: the analysis and its files alone
  (``hipdrop.offline.analyze_source``) against the same plus the history record and report.html
  (``hipdrop.history.sessionlog.log_session``), each a fresh interpreter as `hipdrop analyze` is;
* in one process, warm: analyze_source, log_session, and its parts (the history record, the
  drop chart, the trend chart);
* the history with many sessions: adding one and listing a person's sessions with 1,000 and
  10,000 sessions in the database.

    python benchmarks/report.py            # ~1 min
    python benchmarks/report.py --quick

Prints tables, then as the last line one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _speed import best_of, emit, log, machine, table

PLAIN = """
import sys
from pathlib import Path
from hipdrop.offline import analyze_source
analyze_source(Path(sys.argv[1]), Path(sys.argv[2]))
"""
LOGGED = PLAIN + """
from hipdrop.history.sessionlog import log_session
import json
summary = json.loads((Path(sys.argv[2]) / "summary.json").read_text())
log_session(summary, Path(sys.argv[2]), command="analyze", person="bench")
"""


def landmarks(path: Path) -> None:
    from hipdrop.testing import scripted

    series, _ = scripted.landmarks(scripted.sample_session(), fps=30.0, noise_px=1.0, seed=1)
    series.save(path)


def processes(npz: Path, tmp: Path, repeat: int) -> dict:
    env_root = tmp / "proc-data"
    times: dict[str, list[float]] = {"plain": [], "logged": []}
    for i in range(repeat):
        for name, code in (("plain", PLAIN), ("logged", LOGGED)):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code, str(npz), str(tmp / f"{name}{i}")],
                           check=True, env={"HIPDROP_DATA_DIR": str(env_root),
                                            **_env()})
            times[name].append(time.perf_counter() - start)
    plain, logged = statistics.median(times["plain"]), statistics.median(times["logged"])
    return {"plain_s": plain, "logged_s": logged, "added_s": logged - plain,
            "ratio": logged / plain}


def _env() -> dict:
    import os

    return {k: v for k, v in os.environ.items() if k != "HIPDROP_DATA_DIR"}


def warm(npz: Path, tmp: Path, repeat: int) -> dict:
    import os

    os.environ["HIPDROP_DATA_DIR"] = str(tmp / "warm-data")
    from hipdrop.history.sessionlog import log_session
    from hipdrop.history.store import History, session_from_summary
    from hipdrop.history.trend import trend_png
    from hipdrop.offline import analyze_source
    from hipdrop.reports.html import drop_chart_png
    from hipdrop.reports.keyframes import read_frames_csv

    out = tmp / "warm"
    t_analyze, result = best_of(lambda: analyze_source(npz, out), repeat)
    summary = result.summary
    log_session(summary, out, command="analyze", person="warm")  # imports matplotlib
    t_log, _ = best_of(lambda: log_session(summary, out, command="analyze", person="warm"), repeat)

    def record() -> None:
        with History() as h:
            h.add(session_from_summary(summary, person="warm", command="analyze", out_dir=out))

    t_record, _ = best_of(record, repeat)
    frames = read_frames_csv(out / "frames.csv")
    t_drop, _ = best_of(lambda: drop_chart_png(frames, summary["stance_phases"], 4.0), repeat)
    with History() as h:
        records = h.sessions(person="warm")
    t_trend, _ = best_of(lambda: trend_png(records), repeat)
    return {"analyze_s": t_analyze, "log_session_s": t_log, "record_s": t_record,
            "drop_chart_s": t_drop, "trend_chart_s": t_trend, "sessions_in_trend": len(records),
            "log_vs_analyze": t_log / t_analyze}


def many(tmp: Path, sizes: list[int]) -> list[dict]:
    from hipdrop.history.store import History, session_from_summary

    summary = json.loads((tmp / "warm" / "summary.json").read_text())
    rows = []
    for n in sizes:
        db = tmp / f"many{n}.sqlite3"
        t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
        with History(db) as h:
            for i in range(n):
                h.add(session_from_summary(summary, person=f"p{i % 50}", command="analyze",
                                           out_dir=tmp, when=t0 + timedelta(hours=i)))
            t_add, _ = best_of(lambda h=h: h.add(session_from_summary(
                summary, person="p0", command="analyze", out_dir=tmp)), 5)
            t_list, got = best_of(lambda h=h: h.sessions(person="p7"), 5)
        rows.append({"sessions": n, "add_ms": 1000 * t_add, "list_one_person_ms": 1000 * t_list,
                     "listed": len(got), "db_mb": db.stat().st_size / 1e6})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=None)
    args = parser.parse_args()
    repeat = args.repeat or (2 if args.quick else 5)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        npz = tmp / "session.npz"
        landmarks(npz)
        log(f"processes x{repeat} ...")
        proc = processes(npz, tmp, repeat)
        log("warm ...")
        hot = warm(npz, tmp, repeat)
        log("history size ...")
        sizes = many(tmp, [1000] if args.quick else [1000, 10000])
    print(table(["fresh process", "analysis + files", "+ history + report.html", "added", "ratio"],
                [["median wall s", proc["plain_s"], proc["logged_s"], proc["added_s"],
                  proc["ratio"]]]))
    print()
    print(table(["warm, in one process", "s"],
                [[k, v] for k, v in hot.items() if k.endswith("_s")]))
    print()
    print(table(["sessions in the db", "add one (ms)", "list one person (ms)", "listed", "MB"],
                [[r["sessions"], r["add_ms"], r["list_one_person_ms"], r["listed"], r["db_mb"]]
                 for r in sizes]))
    emit({"machine": machine(), "repeat": repeat, "process": proc, "warm": hot, "history": sizes})


if __name__ == "__main__":
    main()
