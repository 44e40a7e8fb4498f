"""`hipdrop analyze` writes the same outputs as git revision REV's does, on the real clips.

For each real clip in ../shared/videos, this checkout's `hipdrop analyze CLIP` and REV's (its
src/ exported, as benchmarks/analyze.py --against does) are run twice each, as fresh
processes, into the same output path (moved aside after each run), each with a history of
its own: the second run's report.html has the trend chart and the comparison with the first.
The clock that the history and report.html read is pinned (the first run a day before the
second), so that what they show can be compared byte for byte.

Compared, run by run: stdout; summary.json, frames.csv, obliquity.png, report.html and
annotated.mp4 as bytes (annotated.mp4 frame by frame when its bytes differ, its container
holding no clock but libav's own); landmarks.npz array by array (the .npz's zip entries carry
the time they were written); the history's sessions and sides, the output folder's path aside.

    python benchmarks/outputs_same.py --against main [--no-video] [CLIP ...]

Prints one line a clip and run, exits 1 when anything differs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _speed import CLIPS, VIDEO_DIR, export_src

# Run in the child: the clock of hipdrop.history.store and hipdrop.reports.html pinned at
# argv[1] (ISO, UTC), then the command line argv[2:].
CHILD = r"""
import datetime as dt, sys
FIXED = dt.datetime.fromisoformat(sys.argv[1])

class Pinned(dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return FIXED.astimezone(tz) if tz is not None else FIXED.astimezone().replace(tzinfo=None)

import hipdrop.history.store, hipdrop.reports.html
hipdrop.history.store.datetime = Pinned
hipdrop.reports.html.datetime = Pinned
import hipdrop.cli
sys.exit(hipdrop.cli.main(sys.argv[2:]))
"""
WHEN = ("2024-05-01T10:00:00+00:00", "2024-05-02T10:00:00+00:00")
BYTES = ("summary.json", "frames.csv", "obliquity.png", "report.html")


def run(src: Path, history: Path, when: str, argv: list[str]) -> str:
    env = dict(os.environ, PYTHONPATH=str(src), HIPDROP_DATA_DIR=str(history))
    proc = subprocess.run([sys.executable, "-c", CHILD, when, *argv], env=env, text=True,
                          capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv} with {src} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return proc.stdout


def frames_of(path: Path) -> list[bytes]:
    import cv2

    cap = cv2.VideoCapture(str(path))
    out = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        out.append(frame.tobytes())
    cap.release()
    return out


def npz_same(a: Path, b: Path) -> bool:
    with np.load(a, allow_pickle=False) as x, np.load(b, allow_pickle=False) as y:
        if sorted(x.files) != sorted(y.files):
            return False
        return all(x[k].dtype == y[k].dtype and np.array_equal(x[k], y[k], equal_nan=
                                                               x[k].dtype.kind in "fc")
                   for k in x.files)


def history_rows(folder: Path) -> list:
    """Every session and side row of the history in ``folder``, out_dir left out."""
    dbs = list(folder.rglob("*.sqlite*")) + list(folder.rglob("*.db"))
    dbs = [p for p in dbs if p.suffix in (".sqlite", ".sqlite3", ".db")]
    if not dbs:
        return []
    conn = sqlite3.connect(dbs[0])
    try:
        sessions = conn.execute("SELECT * FROM sessions ORDER BY id").fetchall()
        cols = [c[1] for c in conn.execute("PRAGMA table_info(sessions)")]
        keep = [i for i, c in enumerate(cols) if c != "out_dir"]
        sides = conn.execute("SELECT * FROM sides ORDER BY session_id, side").fetchall()
    finally:
        conn.close()
    return [[tuple(r[i] for i in keep) for r in sessions], sides]


def compare(old: Path, new: Path) -> list[str]:
    """What differs between the output folders ``old`` and ``new``."""
    diffs = []
    names_old = sorted(p.name for p in old.iterdir())
    names_new = sorted(p.name for p in new.iterdir())
    if names_old != names_new:
        diffs.append(f"files {names_old} != {names_new}")
    for name in BYTES:
        if (old / name).is_file() and (new / name).is_file() and \
                (old / name).read_bytes() != (new / name).read_bytes():
            diffs.append(name)
    if (old / "landmarks.npz").is_file() and not npz_same(old / "landmarks.npz",
                                                          new / "landmarks.npz"):
        diffs.append("landmarks.npz")
    video = "annotated.mp4"
    if (old / video).is_file() and (new / video).is_file():
        if (old / video).read_bytes() != (new / video).read_bytes():
            a, b = frames_of(old / video), frames_of(new / video)
            diffs.append(f"{video} bytes" + ("" if a == b else f" and frames ({len(a)}, {len(b)})"))
    return diffs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("clips", nargs="*", help="clip names in the video folder [the real clips]")
    p.add_argument("--against", default="main", metavar="REV")
    p.add_argument("--model", default="full")
    p.add_argument("--no-video", action="store_true", help="compare `analyze --no-video`")
    args = p.parse_args(argv)
    here = Path(__file__).resolve().parents[1] / "src"
    clips = [VIDEO_DIR / c for c in (args.clips or CLIPS) if (VIDEO_DIR / c).is_file()]
    failed = 0
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "against").mkdir()
        srcs = {"old": export_src(args.against, tmp / "against"), "new": here}
        out = tmp / "out"
        for clip in clips:
            for run_no, when in enumerate(WHEN):
                stdout = {}
                for tag, src in srcs.items():
                    argv_ = ["analyze", str(clip), "--model", args.model, "--out", str(out),
                             *(["--no-video"] if args.no_video else [])]
                    stdout[tag] = run(src, tmp / f"history-{tag}-{clip.stem}", when, argv_)
                    shutil.move(out, tmp / f"{tag}-{clip.stem}-{run_no}")
                diffs = compare(tmp / f"old-{clip.stem}-{run_no}", tmp / f"new-{clip.stem}-{run_no}")
                if stdout["old"] != stdout["new"]:
                    diffs.append("stdout")
                rows = history_rows(tmp / f"history-new-{clip.stem}")
                if not rows or len(rows[0]) != run_no + 1:
                    diffs.append(f"history of {len(rows[0]) if rows else 0} sessions")
                elif history_rows(tmp / f"history-old-{clip.stem}") != rows:
                    diffs.append("history")
                if b"Trend: " not in (tmp / f"new-{clip.stem}-{run_no}" / "report.html"
                                      ).read_bytes() and run_no:
                    diffs.append("no trend chart in report.html")
                files = sorted(p.name for p in (tmp / f"new-{clip.stem}-{run_no}").iterdir())
                print(f"{clip.name} run {run_no + 1}: "
                      + (f"DIFFERENT: {', '.join(diffs)}" if diffs else
                         f"same ({', '.join(files)}; stdout, history of {run_no + 1})"), flush=True)
                failed += bool(diffs)
    print(json.dumps({"check": "outputs_same", "against": args.against, "clips": len(clips),
                      "runs_different": failed}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
