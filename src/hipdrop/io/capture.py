"""Frame sources for the live mode: a camera (index or URL) and a video file played as a camera.

Every source hands out only its newest frame. A grabber thread reads the device as fast as it
delivers and keeps one frame in a slot, overwriting any the consumer did not take in time (counted
in :attr:`FrameSource.dropped`), so nothing queues up and a frame is never older than one frame
interval when the consumer takes it. A video file is released at its own frame rate by the same
machinery, so it stands in for a webcam, except that none of its frames is ever dropped: a
consumer slower than real time falls behind the file's clock instead, so a file gives the same
answer on a busy machine as on an idle one. ``paced=False`` hands out every frame as fast as
the consumer takes them.

Camera problems raise :class:`hipdrop.errors.CameraError`: a camera that cannot be opened, that
delivers no first frame, or that stops delivering frames for ``stall_s`` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from hipdrop.errors import CameraError
from hipdrop.io.inputs import check_regular_file
from hipdrop.io.video import FrameClock, open_video

# A camera may take this long to deliver its first frame (auto exposure, USB negotiation).
FIRST_FRAME_S = 5.0
# A camera silent for longer than this is lost.
STALL_S = 2.0


@dataclass(frozen=True)
class Frame:
    """One frame as the source delivered it.

    ``t`` is the frame's time on the source's clock in seconds, increasing: the capture time
    since the source started for a camera, ``index / fps`` for a file. ``captured`` is the
    :func:`time.monotonic` instant the frame became available, the start of its latency.
    """

    image: np.ndarray  # (H, W, 3) uint8 BGR, unmirrored
    t: float
    captured: float
    index: int


class Capture(Protocol):
    """The part of ``cv2.VideoCapture`` a camera source uses (fakes implement it in tests)."""

    def isOpened(self) -> bool: ...
    def read(self) -> tuple[bool, np.ndarray | None]: ...
    def get(self, prop: int) -> float: ...
    def release(self) -> None: ...


def open_capture(spec: int | str) -> Capture:
    """``cv2.VideoCapture`` of a camera index or URL (replaced in tests by a fake camera).

    OpenCV logs a dozen lines when a camera is missing (every backend it tried); hipdrop says it
    in one, so its logging is silenced while opening.
    """
    logging = cv2.utils.logging
    level = logging.getLogLevel()
    logging.setLogLevel(logging.LOG_LEVEL_SILENT)
    try:
        return cv2.VideoCapture(spec)
    finally:
        logging.setLogLevel(level)


_END = object()


class _Slot:
    """The newest frame, handed from the grabber thread to the consumer.

    ``put`` overwrites a frame not yet taken (a drop) unless ``wait`` is set, in which case it
    waits for the consumer; ``end`` marks the end of the stream, optionally with an error that
    :meth:`take` raises once the frames before it are taken.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: Frame | None = None
        self._end: object | None = None
        self._error: BaseException | None = None
        self._closed = False
        self.dropped = 0

    def put(self, frame: Frame, wait: bool = False) -> bool:
        """Publish ``frame``; False when the slot was closed (the producer should stop)."""
        with self._cond:
            while wait and self._item is not None and not self._closed:
                self._cond.wait(0.1)
            if self._closed:
                return False
            if self._item is not None:
                self.dropped += 1
            self._item = frame
            self._cond.notify_all()
            return True

    def end(self, error: BaseException | None = None) -> None:
        with self._cond:
            self._end, self._error = _END, error
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def take(self, timeout: float) -> Frame | None:
        """The newest frame, waiting up to ``timeout`` s; None at the end of the stream.

        Raises the stream's error after its last frame, and TimeoutError when nothing came.
        """
        with self._cond:
            deadline = time.monotonic() + timeout
            while self._item is None and self._end is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                self._cond.wait(min(left, 0.1))
            if self._item is not None:
                frame, self._item = self._item, None
                self._cond.notify_all()
                return frame
            if self._error is not None:
                raise self._error
            return None


class FrameSource:
    """A source of frames with a grabber thread; use it as a context manager.

    Subclasses provide :meth:`_produce` (the thread's loop) and set ``name``, ``width``,
    ``height``, ``fps`` and ``live`` (a camera, as opposed to a file). The thread starts on the
    first :meth:`read`, so a source opened before the pose model loads loses no frames to it.
    """

    name: str
    width: int
    height: int
    fps: float
    live: bool

    def __init__(self) -> None:
        self._slot = _Slot()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.frames_read = 0

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def dropped(self) -> int:
        """Frames the source delivered that were replaced by a newer one before being read."""
        return self._slot.dropped

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"hipdrop-grab-{self.name}",
                                            daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            self._produce()
        except Exception as exc:  # CameraError, or a bug: raised again in the consumer's thread
            self._slot.end(exc)
        else:
            self._slot.end()

    def _produce(self) -> None:
        raise NotImplementedError

    def _timeout(self) -> float:
        return STALL_S

    def read(self) -> Frame | None:
        """The newest frame not yet read, waiting for it; None at the end of a file."""
        self.start()
        try:
            frame = self._slot.take(self._timeout())
        except TimeoutError:
            raise self._stalled() from None
        if frame is not None:
            self.frames_read += 1
        return frame

    def _stalled(self) -> CameraError:
        return CameraError(f"{self.name} delivered no frame for {self._timeout():.0f} s")

    def close(self) -> None:
        self._stop.set()
        self._slot.close()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        self._release()

    def _release(self) -> None:
        pass


class CameraSource(FrameSource):
    """A camera (``0``, ``1``, ...) or a network stream (URL) through ``cv2.VideoCapture``.

    ``t`` is seconds since the grabber started, from :func:`time.monotonic` when ``read`` returned
    the frame: strictly increasing, which the pose model's VIDEO mode needs.
    """

    live = True

    def __init__(self, spec: int | str, stall_s: float = STALL_S,
                 first_frame_s: float = FIRST_FRAME_S,
                 opener: Callable[[int | str], Capture] | None = None) -> None:
        super().__init__()
        self.name = f"camera {spec}" if isinstance(spec, int) else f"stream {spec}"
        self.stall_s, self.first_frame_s = stall_s, first_frame_s
        self._cap = (opener or open_capture)(spec)
        if not self._cap.isOpened():
            self._cap.release()
            hint = (" (is a camera connected, and not in use by another program?)"
                    if isinstance(spec, int) else "")
            raise CameraError(f"cannot open {self.name}{hint}")
        self.width = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = float(self._cap.get(cv2.CAP_PROP_FPS))
        self.fps = fps if np.isfinite(fps) and 1.0 <= fps <= 240.0 else 30.0
        self._lock = threading.Lock()  # VideoCapture is not to be read and released at once

    def _timeout(self) -> float:
        return self.stall_s if self.frames_read else self.first_frame_s

    def _stalled(self) -> CameraError:
        return self._lost(self.frames_read > 0)

    def _lost(self, delivered: bool) -> CameraError:
        if not delivered:
            return CameraError(f"{self.name} opened but delivered no frame in "
                               f"{self.first_frame_s:.0f} s")
        return CameraError(f"{self.name} stopped delivering frames (none for "
                           f"{self.stall_s:.0f} s): disconnected?")

    def _produce(self) -> None:
        t0 = time.monotonic()
        index = 0
        last_ok = t0
        while not self._stop.is_set():
            with self._lock:
                ok, image = self._cap.read()
            now = time.monotonic()
            if ok and image is not None:
                if not self._slot.put(Frame(image, now - t0, now, index)):
                    return
                index += 1
                last_ok = now
            elif now - last_ok > (self.stall_s if index else self.first_frame_s):
                raise self._lost(index > 0)
            else:
                time.sleep(0.01)  # a failing read returns at once: do not spin

    def _release(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return  # stuck in a driver call: releasing under it could crash; the OS cleans up
        with self._lock:
            self._cap.release()


class FileSource(FrameSource):
    """A video file released at its own frame rate, as a camera would deliver it, every frame
    of it (a late consumer delays the file's clock rather than losing frames).

    ``t`` is the frame's timestamp in the file (:class:`hipdrop.io.video.FrameClock`), as
    `hipdrop analyze` uses. With ``paced=False`` every frame is handed out, as fast as the
    consumer takes them. ``clock`` and ``wait`` (seconds; ``wait`` returns True when the source
    is being closed) are the pacing's time, injectable so that tests check the pacing without
    the wall clock.
    """

    live = False

    def __init__(self, path: Path, paced: bool = True,
                 clock: Callable[[], float] = time.monotonic,
                 wait: Callable[[float], bool] | None = None) -> None:
        super().__init__()
        self._clock = clock
        self._wait = wait or self._stop.wait
        self._cap, info = open_video(Path(path))
        self.name = Path(path).name
        self.width, self.height, self.fps = info.width, info.height, info.fps
        self.frames = info.frames
        self.paced = paced
        self.clock = FrameClock(info.fps, self.name)

    def _produce(self) -> None:
        start = self._clock()
        index = 0
        while not self._stop.is_set():
            ok, image = self._cap.read()
            if not ok or image is None:
                return
            t = self.clock.t(index, self._cap.get(cv2.CAP_PROP_POS_MSEC))
            if self.paced:
                delay = start + t - self._clock()
                if delay > 0 and self._wait(delay):
                    return
            # Every frame of a file is analysed, paced or not: a busy machine only delays the
            # display, it never changes the result (a camera's frames, by contrast, are
            # dropped when the consumer is late, or the picture would lag behind the person).
            if not self._slot.put(Frame(image, t, self._clock(), index), wait=True):
                return
            index += 1

    def _timeout(self) -> float:
        # Decoding a frame never takes this long; a file that does is broken, not slow.
        return 10.0

    def _release(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._cap.release()


def parse_source(spec: str) -> int | str | Path:
    """A ``--source`` value as a camera index (int), a file (Path), or a URL/device (str)."""
    spec = spec.strip()
    if spec.isdigit():
        return int(spec)
    if "://" in spec:
        return spec
    path = Path(spec).expanduser()
    if not (path.exists() or path.is_symlink()):
        return path  # a missing file gets open_video's clear message
    if path.is_char_device() and path.name.startswith("video"):
        return spec  # a V4L2 camera (/dev/video0): OpenCV opens it as a camera
    # Anything else must be a regular file: a FIFO or a device would block the reader forever.
    check_regular_file(path, "video file")
    return path


def open_source(spec: str, paced: bool = True, **camera: Any) -> FrameSource:
    """The frame source named by ``spec``: a camera index, a video file, or a stream URL."""
    target = parse_source(spec)
    if isinstance(target, Path):
        return FileSource(target, paced=paced)
    return CameraSource(target, **camera)
