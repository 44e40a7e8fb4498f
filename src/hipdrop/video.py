"""Reading video files: checked opening, timestamps, and decoding on a thread of its own.

Decoding runs one frame ahead of the caller, so it overlaps the pose model's inference; only a
few frames are ever held, so a long video is never in memory whole.
"""

from __future__ import annotations

import queue
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from hipdrop.errors import InputError


@dataclass(frozen=True)
class VideoInfo:
    """What a video file says of itself. ``frames`` is the container's count (may be 0: unknown)."""

    path: Path
    width: int
    height: int
    fps: float
    frames: int


def check_readable(path: Path) -> None:
    """Raise InputError unless ``path`` is an existing, non-empty, readable file."""
    if not path.exists():
        raise InputError(f"no such file: {path}")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a video or landmarks file")
    try:
        with open(path, "rb") as fh:
            if not fh.read(1):
                raise InputError(f"{path} is empty")
    except PermissionError:
        raise InputError(f"{path} cannot be read (permission denied)") from None


def open_video(path: Path) -> tuple[cv2.VideoCapture, VideoInfo]:
    """Open ``path`` with OpenCV and read its properties; InputError when it is not a video."""
    path = Path(path)
    check_readable(path)
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        raise InputError(f"{path} is not a video OpenCV can read (corrupt or unsupported format)")
    width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
    height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    fps = float(cap.get(cv2.CAP_PROP_FPS))
    frames = max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
    if width <= 0 or height <= 0:
        cap.release()
        raise InputError(f"{path} has no video stream")
    if not (np.isfinite(fps) and 1.0 <= fps <= 1000.0):
        warnings.warn(f"{path.name}: frame rate unknown ({fps}); assuming 30 fps", stacklevel=2)
        fps = 30.0
    return cap, VideoInfo(path, width, height, fps, frames)


def probe(path: Path) -> VideoInfo:
    """Properties of the video at ``path`` (and a check that it opens)."""
    cap, info = open_video(path)
    cap.release()
    return info


_END = object()


class VideoReader:
    """Iterate ``(index, t_s, frame_bgr)`` over a video file, decoding on a background thread.

    Timestamps are index / fps: a file's frames are evenly spaced, and that is what the pose
    model's VIDEO mode and the filters assume. A file that stops decoding before the count its
    container announced is reported by :attr:`truncated` after iteration.
    """

    def __init__(self, path: Path, prefetch: int = 4) -> None:
        self._cap, self.info = open_video(Path(path))
        self._queue: queue.Queue = queue.Queue(maxsize=prefetch)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.frames_read = 0

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            # Unblock a producer waiting on a full queue, then wait for it.
            while self._thread.is_alive():
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    self._thread.join(timeout=0.05)
        self._cap.release()

    @property
    def truncated(self) -> bool:
        """True when fewer frames decoded than the container announced (beyond rounding)."""
        return self.info.frames > 0 and self.frames_read < self.info.frames - 1

    def _produce(self) -> None:
        try:
            while not self._stop.is_set():
                ok, frame = self._cap.read()
                if not ok or frame is None:
                    break
                self._put(frame)
        finally:
            self._put(_END)

    def _put(self, item: object) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def __iter__(self) -> Iterator[tuple[int, float, np.ndarray]]:
        if self._thread is not None:
            raise RuntimeError("a VideoReader can be iterated once")
        self._thread = threading.Thread(target=self._produce, name="hipdrop-decode", daemon=True)
        self._thread.start()
        while True:
            item = self._queue.get()
            if item is _END:
                return
            index = self.frames_read
            self.frames_read += 1
            yield index, index / self.info.fps, item
