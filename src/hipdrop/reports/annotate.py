"""The annotated video: the source re-read, the overlay drawn from a finished analysis."""

from __future__ import annotations

import contextlib
import queue
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from hipdrop.core.stance import SIDE_NAMES
from hipdrop.errors import OutputError
from hipdrop.io.outputs import atomic_path
from hipdrop.io.video import VideoReader
from hipdrop.pipeline.analysis import Analysis
from hipdrop.progress import VIDEO, Progress
from hipdrop.reports.overlay import StatusView, draw_status


def status_views(analysis: Analysis) -> list[StatusView]:
    """The overlay state of every frame of ``analysis``."""
    s = analysis.signals
    counts = analysis.rep_counts
    in_phase = analysis.in_phase()  # the drop itself is NaN over an implausible phase
    drop = analysis.shown_drop()  # only numbers hipdrop stands behind are drawn
    views = []
    for i in range(len(s.t)):
        stance = SIDE_NAMES.get(int(analysis.labels[i])) if in_phase[i] else None
        views.append(StatusView(float(s.t[i]), stance, float(drop[i]),
                                (int(counts[i, 0]), int(counts[i, 1])),
                                (float(s.abduction_left_deg[i]), float(s.abduction_right_deg[i])),
                                float(s.obliquity_deg[i]) if in_phase[i] else float("nan")))
    return views


def write_annotated(video: Path, analysis: Analysis, out: Path,
                    progress: Progress | None = None) -> int:
    """Draw the overlay on each frame of ``video`` into ``out`` (mp4); returns frames written
    (``progress("video", frames_written, frames_analysed)`` after each).

    Stops at the last analysed frame, so an interrupted analysis gives a matching short video.
    The video is written under a temporary name, checked to decode every frame written, and
    only then renamed to ``out``: a full disk or an interruption leaves no ``out`` at all.
    """
    with _opencv_quiet(), atomic_path(out) as tmp:
        written = _draw(video, analysis, tmp, progress)
        check_decodes(tmp, written, out)
    return written


@contextlib.contextmanager
def _opencv_quiet() -> Iterator[None]:
    """OpenCV's own log lines (dozens when a disk fills) are replaced by one OutputError."""
    logging = cv2.utils.logging
    level = logging.getLogLevel()
    logging.setLogLevel(logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        logging.setLogLevel(level)


def check_decodes(path: Path, expected: int, name: Path | None = None) -> None:
    """Raise OutputError unless the video at ``path`` decodes ``expected`` frames."""
    name = name or path
    cap = cv2.VideoCapture(str(path))
    decoded = 0
    try:
        while cap.isOpened() and cap.grab():
            decoded += 1
    finally:
        cap.release()
    if decoded != expected:
        try:
            full = shutil.disk_usage(path.parent).free < 1 << 20
        except OSError:
            full = False
        why = "no space left on the device" if full else "the encoder failed"
        raise OutputError(f"cannot write {name}: {why} ({decoded} of {expected} frames decode)")


def _draw(video: Path, analysis: Analysis, out: Path,
          progress: Progress | None) -> int:
    views = status_views(analysis)
    image = analysis.series.image
    threshold = analysis.settings.drop_threshold_deg
    with VideoReader(video) as reader:
        info = reader.info
        writer = cv2.VideoWriter(str(out), cv2.VideoWriter.fourcc(*"mp4v"), info.fps,
                                 (info.width, info.height))
        if not writer.isOpened():
            raise OutputError(f"cannot write video {out}")
        # Decoding (the reader's thread), drawing (here) and encoding (the encoder's thread)
        # overlap: this second pass costs about the drawing alone.
        encoder = _Encoder(writer)
        written = 0
        memory: dict = {}  # the status panel's place, kept from frame to frame
        try:
            for index, _t, frame in reader:
                if index >= len(views):
                    break
                points = image[index] if np.isfinite(image[index, :, 0]).any() else None
                draw_status(frame, points, views[index], threshold, memory=memory)
                encoder.write(frame)
                written += 1
                if progress is not None:
                    progress(VIDEO, written, len(views))
        finally:
            encoder.close()
    return written


class _Encoder:
    """A cv2.VideoWriter fed from a thread of its own, at most ``depth`` frames behind.

    OpenCV encodes without holding the GIL, so a frame is encoded while the next is drawn.
    :meth:`close` writes what is queued, releases the writer, and raises a write error.
    """

    def __init__(self, writer: cv2.VideoWriter, depth: int = 4) -> None:
        self._writer = writer
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._error: cv2.error | None = None
        self._thread = threading.Thread(target=self._run, name="hipdrop-encode", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (frame := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._writer.write(frame)
                except cv2.error as exc:
                    self._error = exc

    def write(self, frame: np.ndarray) -> None:
        """Queue ``frame`` (not to be modified afterwards) for encoding."""
        if self._error is not None:
            raise self._error
        self._queue.put(frame)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self._writer.release()
        if self._error is not None:
            raise self._error
