"""A video file in, a landmark series out: decoding and pose inference, nothing else."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hipdrop.core.landmarks import LandmarkSeries, SeriesRecorder
from hipdrop.io.models import ResolvedModel
from hipdrop.io.pose import PoseEstimator, PoseFrame
from hipdrop.io.signals import deferred, signum_of
from hipdrop.io.video import VideoReader
from hipdrop.progress import POSE, Progress
from hipdrop.vision.cues import waist_line, waist_row
from hipdrop.vision.markers import MarkerTracker
from hipdrop.vision.silhouette import may_squat, silhouette_cue


@dataclass
class Extraction:
    """The landmarks of a video, and how the reading ended."""

    series: LandmarkSeries
    truncated: bool  # the file stopped decoding before its announced end
    interrupted: bool  # Ctrl-C: the series holds the frames read until then
    announced_frames: int
    signum: int = 0  # the stop signal behind ``interrupted`` (hipdrop.io.signals)
    warnings: list[str] = field(default_factory=list)  # e.g. the video's timestamps


# Called with each frame once its cues are read: (index, frame BGR (H, W, 3) uint8, landmarks
# (33, 4) px or None). The frame is the callee's from then on (it may keep it, draw on it).
FrameSink = Callable[[int, np.ndarray, "np.ndarray | None"], None]


def extract_landmarks(path: Path, model: ResolvedModel, *, num_poses: int = 1,
                      progress: Progress | None = None, silhouette: bool = True,
                      on_frame: FrameSink | None = None) -> Extraction:
    """Run the pose model over every frame of the video at ``path``, and read the image cues.

    ``progress("pose", frames_done, frames_announced)`` is called after each frame's inference
    (the container's count, 0 when unknown). Ctrl-C stops the reading and returns what was
    measured so far, flagged ``interrupted``. ``silhouette``: ask the model for its
    segmentation mask and read the silhouette cue (:mod:`hipdrop.vision.silhouette`; the
    squats' lateral shift) on the frames where the person may be squatting. ``on_frame``
    (:data:`FrameSink`) is given each frame after its cues, in order, on the cue thread.

    The image cues of a frame are read on a thread of their own (:class:`_Cues`) while the
    model looks at the next frame: MediaPipe's inference runs on one core without the GIL, so
    the cues (~4 ms a frame) cost the other core's time, not this loop's.
    """
    with VideoReader(path) as reader, PoseEstimator(model, num_poses=num_poses,
                                                    segmentation=silhouette) as estimator:
        info = reader.info
        # The container's frame count is a claim, not a fact (a damaged header says 2**31):
        # the recorder starts small and grows geometrically with the frames actually read.
        recorder = SeriesRecorder(info.width, info.height, info.fps, model.name,
                                  capacity=min(max(info.frames, 16), 4096))
        interrupted, signum = False, 0
        cues = _Cues(recorder, on_frame)
        try:
            try:
                for index, t, frame in reader:
                    cues.put(frame, t, estimator.detect(frame, t))
                    if progress is not None:
                        progress(POSE, index + 1, info.frames)
            finally:
                with deferred():  # the frames already seen are measured whatever comes now
                    cues.close()
        except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM, SIGHUP: keep what was measured
            interrupted, signum = True, signum_of(exc)
            cues.join()  # a second Ctrl-C outside stop_on_signals cut close() short
        truncated = reader.truncated and not interrupted
        series = recorder.series(reader.fps())
        notes = reader.timestamp_warnings()
    return Extraction(series, truncated, interrupted, info.frames, signum, notes)


class _Cues:
    """The image cues (waist line, markers, silhouette) of each frame, read in order on a
    thread of their own and appended with the frame's pose to ``recorder``; then the frame
    goes to ``on_frame``.

    At most ``depth`` frames wait. :meth:`close` reads what is queued, stops the thread and
    raises the first error a cue raised (:meth:`put` raises it too, as soon as it is seen).
    """

    def __init__(self, recorder: SeriesRecorder, on_frame: FrameSink | None = None,
                 depth: int = 4) -> None:
        self._recorder = recorder
        self._on_frame = on_frame
        self._markers = MarkerTracker()
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="hipdrop-cues", daemon=True)
        self._thread.start()

    def put(self, frame: np.ndarray, t: float, pose: PoseFrame) -> None:
        """Queue ``frame`` (not to be modified afterwards), its time in s and its pose."""
        if self._error is not None:
            raise self._error
        self._queue.put((frame, t, pose))

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def join(self) -> None:
        """Wait until the thread has stopped (after :meth:`close`)."""
        self._thread.join()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._add(*item)
                except BaseException as exc:  # raised in the caller's thread, not lost here
                    self._error = exc

    def _add(self, frame: np.ndarray, t: float, pose: PoseFrame) -> None:
        cue = waist_line(frame, pose.image) if pose.image is not None else None
        marks = self._markers(frame, pose.image)
        body = (silhouette_cue(pose.mask, pose.image).as_row()
                if pose.mask is not None and pose.image is not None
                and may_squat(pose.image) else None)
        index = len(self._recorder)
        self._recorder.append(pose.image, pose.world, t, waist_row(cue), marks.as_row(), body)
        if self._on_frame is not None:
            self._on_frame(index, frame, pose.image)
