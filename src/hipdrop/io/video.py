"""Reading video files: checked opening, timestamps, and decoding on a thread of its own.

Decoding runs one frame ahead of the caller, so it overlaps the pose model's inference; only a
few frames are ever held, so a long video is never in memory whole. Each frame's time is the
container's own timestamp (:class:`FrameClock`), so a variable-frame-rate video, a time-lapse
and a high-speed clip get their true times; only where the container has none is it index / fps.
"""

from __future__ import annotations

import math
import queue
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from hipdrop.core.landmarks import MAX_FPS, MIN_FPS
from hipdrop.errors import InputError
from hipdrop.io.inputs import check_regular_file


@dataclass(frozen=True)
class VideoInfo:
    """What a video file says of itself. ``frames`` is the container's count (may be 0: unknown)."""

    path: Path
    width: int
    height: int
    fps: float
    frames: int


def check_readable(path: Path) -> None:
    """Raise InputError unless ``path`` is an existing, non-empty, readable regular file."""
    st = check_regular_file(path, "video or landmarks file")
    if st.st_size == 0:
        raise InputError(f"{path} is empty")
    try:
        with open(path, "rb") as fh:
            if not fh.read(1):
                raise InputError(f"{path} is empty")
    except PermissionError:
        raise InputError(f"{path} cannot be read (permission denied)") from None
    except OSError as exc:
        raise InputError(f"{path} cannot be read ({exc.strerror})") from None


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
    count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
    frames = int(count) if math.isfinite(count) and 0 < count < 2**62 else 0
    if width <= 0 or height <= 0:
        cap.release()
        raise InputError(f"{path} has no video stream")
    if not (np.isfinite(fps) and MIN_FPS <= fps <= MAX_FPS):
        warnings.warn(f"{path.name}: frame rate unknown ({fps}); times are taken from the "
                      "frames' timestamps (30 fps where there are none)", stacklevel=2)
        fps = 30.0
    return cap, VideoInfo(path, width, height, fps, frames)


def probe(path: Path) -> VideoInfo:
    """Properties of the video at ``path`` (and a check that it opens)."""
    cap, info = open_video(path)
    cap.release()
    return info


class FrameClock:
    """Each frame's time in seconds from the first, from the container's timestamps.

    ``t(index, pos_msec)`` takes ``CAP_PROP_POS_MSEC`` read right after the frame decoded
    (OpenCV's FFmpeg backend reports the frame's own presentation time there). A timestamp that
    is missing (not finite) or does not increase is replaced by the previous time + 1/fps, and
    counted; :meth:`warnings` says so. A timestamp within a microsecond of index / fps is taken
    as exactly that, so constant-rate files give the same times as before.
    """

    def __init__(self, fps: float, name: str) -> None:
        self.nominal_fps, self.name = fps, name
        self._first: float | None = None
        self._last = -math.inf
        self.frames = 0
        self.missing = 0
        self.backwards = 0

    def t(self, index: int, pos_msec: float) -> float:
        ts = pos_msec / 1000.0 if math.isfinite(pos_msec) else math.nan
        if self._first is None and math.isfinite(ts):
            self._first = ts
        t = ts - self._first if self._first is not None and math.isfinite(ts) else math.nan
        if not math.isfinite(t):
            self.missing += 1
            t = self._last + 1.0 / self.nominal_fps if self.frames else 0.0
        elif t <= self._last:
            self.backwards += 1
            t = self._last + 1.0 / self.nominal_fps
        elif abs(t - index / self.nominal_fps) < 1e-6:
            t = index / self.nominal_fps
        self._last = t
        self.frames += 1
        return t

    def fps(self) -> float:
        """The mean frame rate of the frames read (the nominal one when it agrees within 1%)."""
        if self.frames < 2 or self._last <= 0:
            return self.nominal_fps
        measured = (self.frames - 1) / self._last
        if abs(measured / self.nominal_fps - 1.0) < 0.01:
            return self.nominal_fps
        return float(min(max(measured, MIN_FPS), MAX_FPS))

    def warnings(self) -> list[str]:
        bad = []
        if self.missing > 1:  # the first frame's 0 is not missing
            bad.append(f"{self.missing} without a timestamp")
        if self.backwards:
            bad.append(f"{self.backwards} with a timestamp that does not increase")
        if not bad:
            return []
        return [f"{self.name}: {' and '.join(bad)} of {self.frames} frames: their times were "
                f"taken from the frame rate ({self.nominal_fps:g} fps)"]


_END = object()


class VideoReader:
    """Iterate ``(index, t_s, frame_bgr)`` over a video file, decoding on a background thread.

    ``t_s`` is the container's timestamp of the frame (:class:`FrameClock`); :meth:`fps` is the
    mean rate of the frames read. A file that stops decoding before the count its container
    announced is reported by :attr:`truncated` after iteration.
    """

    def __init__(self, path: Path, prefetch: int = 4) -> None:
        self._cap, self.info = open_video(Path(path))
        self._queue: queue.Queue = queue.Queue(maxsize=prefetch)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.clock = FrameClock(self.info.fps, self.info.path.name)
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

    def fps(self) -> float:
        return self.clock.fps()

    def timestamp_warnings(self) -> list[str]:
        return self.clock.warnings()

    @property
    def truncated(self) -> bool:
        """True when fewer frames decoded than the container announced (beyond rounding)."""
        return self.info.frames > 0 and self.frames_read < self.info.frames - 1

    def _produce(self) -> None:
        try:
            index = 0
            while not self._stop.is_set():
                ok, frame = self._cap.read()
                if not ok or frame is None:
                    break
                self._put((self.clock.t(index, self._cap.get(cv2.CAP_PROP_POS_MSEC)), frame))
                index += 1
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
            t, frame = item
            yield index, t, frame
