"""The annotated video: the source re-read, the overlay drawn from a finished analysis."""

from __future__ import annotations

import contextlib
import queue
import shutil
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import cv2
import numpy as np

from hipdrop.core.stance import SIDE_NAMES
from hipdrop.errors import OutputError
from hipdrop.io.outputs import atomic_path
from hipdrop.io.video import VideoInfo, VideoReader, probe
from hipdrop.pipeline.analysis import Analysis
from hipdrop.progress import VIDEO, Progress
from hipdrop.reports.overlay import StatusView, draw_skeleton, draw_status, draws_skeleton

# The most decoded frames :class:`HeldFrames` keeps for the second pass, bytes: a 12 s clip at
# 640x360 (~200 MB); longer or larger videos are decoded again.
HOLD_BYTES = 256 << 20


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


class HeldFrames:
    """The frames of the first pass (the pose model's), kept for the annotated video with their
    skeleton already drawn, up to ``budget`` bytes; beyond it none are kept (the second pass
    decodes the video again).

    Called as ``held(index, frame, points)`` once a frame's image cues have been read
    (:func:`hipdrop.io.extract.extract_landmarks`' ``on_frame``, on its cue thread), with
    ``points`` the frame's (33, 4) landmarks in px or None; ``frame`` is drawn on in place.
    The skeleton is the first thing :func:`draw_status` draws, and depends on the landmarks
    alone: drawn here, on the core the model leaves free, it is the same pixels as drawn later.
    """

    def __init__(self, budget: int = HOLD_BYTES) -> None:
        self.budget = budget
        self.frames: list[np.ndarray] = []
        self.complete = True  # False once the budget was exceeded or a frame came out of order
        self._bytes = 0

    def __call__(self, index: int, frame: np.ndarray, points: np.ndarray | None) -> None:
        if not self.complete:
            return
        self._bytes += frame.nbytes
        if self._bytes > self.budget or index != len(self.frames):
            self.complete = False
            self.frames = []
            return
        # As _encode decides from the recorded landmarks (the same float32 values).
        if points is not None and np.isfinite(points[:, 0]).any() and draws_skeleton(points):
            draw_skeleton(frame, points)
        self.frames.append(frame)

    def take(self, count: int) -> list[np.ndarray] | None:
        """The first ``count`` frames, handed over (no longer held here); None when fewer were
        kept."""
        frames, self.frames = self.frames, []
        if not self.complete or len(frames) < count:
            return None
        return frames[:count]


def write_annotated(video: Path, analysis: Analysis, out: Path,
                    progress: Progress | None = None, held: HeldFrames | None = None) -> int:
    """Draw the overlay on each frame of ``video`` into ``out`` (mp4); returns frames written
    (``progress("video", frames_written, frames_analysed)`` after each).

    Stops at the last analysed frame, so an interrupted analysis gives a matching short video.
    ``held``: the frames of the first pass, skeleton drawn (:class:`HeldFrames`), used instead
    of decoding ``video`` again when it kept them all. The video is written under a temporary
    name, checked to decode every frame written, and only then renamed to ``out``: a full disk
    or an interruption leaves no ``out`` at all.
    """
    with _opencv_quiet(), atomic_path(out) as tmp:
        written = _draw(video, analysis, tmp, progress, held)
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


def _draw(video: Path, analysis: Analysis, out: Path, progress: Progress | None,
          held: HeldFrames | None = None) -> int:
    views = status_views(analysis)
    frames = held.take(len(views)) if held is not None else None
    if frames is None:
        with VideoReader(video) as reader:
            return _encode(reader, reader.info, analysis, views, out, progress, skeleton=True)
    return _encode(_handed_over(frames), probe(video), analysis, views, out, progress,
                   skeleton=False)


def _handed_over(frames: list[np.ndarray]) -> Iterator[tuple[int, float, np.ndarray]]:
    """``frames`` in order as a reader yields them (time unused), each let go by the list as
    it is yielded, so that memory falls as the video is written."""
    frames.reverse()
    index = 0
    while frames:
        yield index, 0.0, frames.pop()
        index += 1


def _encode(frames: Iterable[tuple[int, float, np.ndarray]], info: VideoInfo, analysis: Analysis,
            views: list[StatusView], out: Path, progress: Progress | None, skeleton: bool) -> int:
    image = analysis.series.image
    threshold = analysis.settings.drop_threshold_deg
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
        for index, _t, frame in frames:
            if index >= len(views):
                break
            points = image[index] if np.isfinite(image[index, :, 0]).any() else None
            draw_status(frame, points, views[index], threshold, memory=memory, skeleton=skeleton)
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
