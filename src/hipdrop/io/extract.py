"""A video file in, a landmark series out: decoding and pose inference, nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hipdrop.core.landmarks import LandmarkSeries, SeriesRecorder
from hipdrop.io.models import ResolvedModel
from hipdrop.io.pose import PoseEstimator
from hipdrop.io.signals import signum_of
from hipdrop.io.video import VideoReader
from hipdrop.progress import POSE, Progress
from hipdrop.vision.cues import waist_line, waist_row
from hipdrop.vision.markers import MarkerTracker


@dataclass
class Extraction:
    """The landmarks of a video, and how the reading ended."""

    series: LandmarkSeries
    truncated: bool  # the file stopped decoding before its announced end
    interrupted: bool  # Ctrl-C: the series holds the frames read until then
    announced_frames: int
    signum: int = 0  # the stop signal behind ``interrupted`` (hipdrop.io.signals)
    warnings: list[str] = field(default_factory=list)  # e.g. the video's timestamps


def extract_landmarks(path: Path, model: ResolvedModel, *, num_poses: int = 1,
                      progress: Progress | None = None) -> Extraction:
    """Run the pose model over every frame of the video at ``path``, and read the image cues.

    ``progress("pose", frames_done, frames_announced)`` is called after each frame (the
    container's count, 0 when unknown). Ctrl-C stops the reading and returns what was
    measured so far, flagged ``interrupted``.
    """
    with VideoReader(path) as reader, PoseEstimator(model, num_poses=num_poses) as estimator:
        info = reader.info
        # The container's frame count is a claim, not a fact (a damaged header says 2**31):
        # the recorder starts small and grows geometrically with the frames actually read.
        recorder = SeriesRecorder(info.width, info.height, info.fps, model.name,
                                  capacity=min(max(info.frames, 16), 4096))
        interrupted, signum = False, 0
        markers = MarkerTracker()
        try:
            for index, t, frame in reader:
                pose = estimator.detect(frame, t)
                cue = waist_line(frame, pose.image) if pose.image is not None else None
                marks = markers(frame, pose.image)
                recorder.append(pose.image, pose.world, t,
                                waist_row(cue),
                                marks.as_row())
                if progress is not None:
                    progress(POSE, index + 1, info.frames)
        except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM, SIGHUP: keep what was measured
            interrupted, signum = True, signum_of(exc)
        truncated = reader.truncated and not interrupted
        series = recorder.series(reader.fps())
        notes = reader.timestamp_warnings()
    return Extraction(series, truncated, interrupted, info.frames, signum, notes)
