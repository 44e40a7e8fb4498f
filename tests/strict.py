"""Strict checks of what a run left behind, and helpers to run hipdrop in a real subprocess.

Every output must be complete or absent: :func:`assert_complete_or_absent` opens each file
that is there with a strict reader (JSON without NaN, every CSV row, the .npz by hipdrop's own
loader, the PNG decoded, every frame of the video decoded) and checks they agree on the frame
count, and that no temporary file was left.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from media import decode_all, write_video

from hipdrop.core.landmarks import LandmarkSeries
from hipdrop.reports.files import FRAME_COLUMNS

REPO = Path(__file__).resolve().parents[1]
OUTPUTS = ("landmarks.npz", "summary.json", "frames.csv", "obliquity.png", "annotated.mp4")


def _no_nan(text: str) -> float:
    raise ValueError(f"summary.json holds {text}")


def decoded_frames(path: Path) -> int:
    cap = cv2.VideoCapture(str(path))
    n = 0
    try:
        while cap.isOpened() and cap.grab():
            n += 1
    finally:
        cap.release()
    return n


def assert_complete_or_absent(folder: Path, frames: int | None = None) -> dict[str, int]:
    """Every output in ``folder`` is complete and strict, and they agree on the number of
    frames (``frames`` when given). Returns {file name: frames it holds} of those present."""
    if not folder.exists():
        return {}
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".")]
    assert leftovers == [], f"temporary files left in {folder}: {leftovers}"
    found: dict[str, int] = {}
    if (folder / "summary.json").exists():
        data = json.loads((folder / "summary.json").read_text(encoding="utf-8"),
                          parse_constant=_no_nan)
        assert data["disclaimer"] and "verdict" in data
        found["summary.json"] = data["frames"]
    if (folder / "frames.csv").exists():
        with open(folder / "frames.csv", newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        assert tuple(rows[0]) == FRAME_COLUMNS
        assert all(len(r) == len(FRAME_COLUMNS) for r in rows[1:])
        found["frames.csv"] = len(rows) - 1
    if (folder / "landmarks.npz").exists():
        found["landmarks.npz"] = len(LandmarkSeries.load(folder / "landmarks.npz"))
    if (folder / "obliquity.png").exists():
        image = cv2.imread(str(folder / "obliquity.png"))
        assert image is not None and image.shape[2] == 3, "obliquity.png does not decode"
    if (folder / "result.png").exists():  # a live session's last screen
        image = cv2.imread(str(folder / "result.png"))
        assert image is not None and image.shape[2] == 3, "result.png does not decode"
    if (folder / "annotated.mp4").exists():
        found["annotated.mp4"] = decoded_frames(folder / "annotated.mp4")
    counts = set(found.values())
    assert len(counts) <= 1, f"outputs disagree on the frame count: {found}"
    if frames is not None and counts:
        assert counts == {frames}, found
    return found


def env() -> dict[str, str]:
    """The environment of a hipdrop subprocess: this checkout's src first on the path."""
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), e.get("PYTHONPATH", "")])
    e.pop("DISPLAY", None)
    return e


def start(*argv: object, cwd: Path | None = None, **kw) -> subprocess.Popen:
    """``python -m hipdrop ARGV`` as a real process (its own session: a signal sent to it
    reaches only it)."""
    return subprocess.Popen([sys.executable, "-m", "hipdrop", *map(str, argv)], env=env(),
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, **kw)


def wait_for(condition, timeout: float = 60.0, proc: subprocess.Popen | None = None,
             step: float = 0.02) -> bool:
    """Poll ``condition()`` until true; False if ``proc`` ended first or time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if proc is not None and proc.poll() is not None:
            return bool(condition())
        time.sleep(step)
    return False


@contextlib.contextmanager
def reaped(proc: subprocess.Popen) -> Iterator[subprocess.Popen]:
    """Kill ``proc`` if the test leaves the block while it still runs."""
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def read_position(pid: int, path: Path, below: int | None = None) -> int:
    """How far process ``pid`` has read into ``path`` (its file offset, from /proc): a
    progress indicator that needs no progress bar. 0 when it has not opened the file.
    ``below``: offsets at or past it are not counted."""
    target = os.path.realpath(path)
    best = 0
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return 0
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") != target:
                continue
            with open(f"/proc/{pid}/fdinfo/{fd}") as fh:
                pos = next(int(line.split()[1]) for line in fh if line.startswith("pos:"))
        except (OSError, StopIteration, ValueError):
            continue
        if below is None or pos < below:
            best = max(best, pos)
    return best


def read_past(proc: subprocess.Popen, path: Path, fraction: float, timeout: float = 90.0) -> bool:
    """Wait until ``proc`` has decoded ``fraction`` of the video at ``path``.

    An offset in the file's last 5% is not progress: opening an AVI reads its index, which
    sits at the end (analyze's frame-count probe does, before pass 1 and the model load). Seen
    under load: a stop signal sent then found nothing measured yet, and rightly saved nothing.
    """
    size = path.stat().st_size
    end = int(0.95 * size)
    return wait_for(lambda: read_position(proc.pid, path, below=end) >= fraction * size,
                    timeout, proc)


def repeated_clip(clip: Path, path: Path, times: int) -> Path:
    """``clip`` played ``times`` times in a row, as MJPG .avi: a longer real video."""
    frames, fps = decode_all(clip)
    return write_video(path, (f for _ in range(times) for f in frames), fps, "MJPG")


def npz_frames(path: Path) -> int:
    with np.load(path) as data:
        return int(data["t"].shape[0])
