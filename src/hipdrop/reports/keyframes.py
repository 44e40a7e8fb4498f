"""Key frames of a stance test for the report: double stance and each side's held stance, from
the video, with the skeleton and the hip line drawn (as the annotated video draws them).

Frames are grabbed with OpenCV at the phases' mid-times; the pose comes from the session's
landmarks, the hip line's tilt from frames.csv (hipdrop's obliquity, the one the drop was
measured on). Shown as the camera saw them (unmirrored): the person's left is labelled L.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from hipdrop.core.landmarks import LandmarkSeries
from hipdrop.reports.overlay import GREEN, RED, draw_hip_line, draw_skeleton

MAX_HEIGHT = 420  # px of an embedded frame: readable on screen and in print, small in the page


@dataclass
class KeyFrame:
    """One picture for the report."""

    label: str  # "Double stance", "Standing on the left leg"
    t_s: float
    jpeg: bytes
    caption: str


def read_frames_csv(path: Path) -> dict[str, np.ndarray]:
    """frames.csv as columns: numbers as float arrays (NaN for empty cells), text as str arrays."""
    with open(path, newline="", encoding="utf-8") as fh:
        text = fh.read()
    columns = _plain_columns(text)
    if columns is None:  # quoted cells, ragged rows, stray line breaks: the csv module's way
        rows = list(csv.reader(io.StringIO(text, newline="")))
        if not rows:
            return {}
        header, body = rows[0], rows[1:]
        columns = (header, [[r[j] if j < len(r) else "" for r in body]
                            for j in range(len(header))])
    header, cells = columns
    out: dict[str, np.ndarray] = {}
    for name, col in zip(header, cells, strict=True):
        try:
            out[name] = np.array([float(v) if v != "" else math.nan for v in col], np.float64)
        except ValueError:
            out[name] = np.array(col, dtype=str)
    return out


def _plain_columns(text: str) -> tuple[list[str], list[list[str]]] | None:
    """The header and the columns of CSV ``text`` as hipdrop writes it (no quotes, CRLF, every
    row as wide as the header), split at C speed; None for any other CSV (csv.reader's rows
    and transposing them took a second an hour)."""
    if not text or '"' in text:
        return None
    head, _, rest = text.partition("\r\n")
    rest = rest.removesuffix("\r\n")
    if "\r" in head or "\n" in head or not (rest.count("\r\n") == rest.count("\r")
                                              == rest.count("\n")):
        return None
    header = head.split(",")
    width = len(header)
    flat = rest.replace("\r\n", ",").split(",") if rest else []
    n_rows = rest.count("\r\n") + 1 if rest else 0
    if len(flat) != n_rows * width:
        return None
    return header, [flat[j::width] for j in range(width)]


def double_stance_time(frames: dict[str, np.ndarray], before_s: float) -> float | None:
    """Mid-time of the last stretch of double stance with a pose before ``before_s``."""
    t, stance, pose = frames.get("t_s"), frames.get("stance"), frames.get("pose")
    if t is None or stance is None or pose is None or len(t) == 0:
        return None
    ok = (stance == "none") & (pose > 0) & (t < before_s)
    idx = np.flatnonzero(ok)
    if len(idx) == 0:
        return None
    breaks = np.flatnonzero(np.diff(idx) > 1)
    run = idx[breaks[-1] + 1:] if len(breaks) else idx
    return float(np.median(t[run]))


def _grab(cap: cv2.VideoCapture, t_s: float) -> np.ndarray | None:
    """The video's frame at ``t_s`` seconds from its start. By frame number, from the time:
    `analyze` landmarks are one a video frame, while a live session played from a file may
    have skipped frames, so its landmark index is not the video's frame number."""
    fps = cap.get(cv2.CAP_PROP_FPS)
    cap.set(cv2.CAP_PROP_POS_FRAMES, round(t_s * fps) if fps > 0 else 0)
    ok, frame = cap.read()
    return frame if ok else None


def key_frames(video: Path, series: LandmarkSeries, frames: dict[str, np.ndarray],
               moments: list[tuple[str, float, str, bool]]) -> list[KeyFrame]:
    """Draw each ``(label, t_s, caption, drop)`` moment of ``video``; moments whose frame
    cannot be read or has no pose are left out. ``drop`` colours the hip line red."""
    cap = cv2.VideoCapture(str(video))
    out: list[KeyFrame] = []
    try:
        if not cap.isOpened():
            return out
        obliquity = frames.get("obliquity_deg")
        for label, t_s, caption, drop in moments:
            i = int(np.argmin(np.abs(series.t - t_s))) if len(series) else -1
            if i < 0 or not np.isfinite(series.image[i, :, :2]).all(axis=1)[[23, 24]].all():
                continue
            frame = _grab(cap, float(series.t[i]))
            if frame is None:
                continue
            points = series.image[i, :, :2].astype(np.float64)
            tilt = float(obliquity[i]) if obliquity is not None and i < len(obliquity) else math.nan
            draw_skeleton(frame, points)
            draw_hip_line(frame, points, RED if drop else GREEN, obliquity_deg=tilt)
            scale = min(1.0, MAX_HEIGHT / frame.shape[0])
            if scale < 1.0:
                frame = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 82])
            if ok:
                out.append(KeyFrame(label, float(series.t[i]), buf.tobytes(), caption))
    finally:
        cap.release()
    return out
