"""MediaPipe Pose Landmarker in VIDEO mode: frames in, one person's landmark arrays out.

:func:`from_mediapipe` is the only code in hipdrop that touches MediaPipe's result types.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from hipdrop.core.landmarks import L_HIP, L_SHOULDER, N_LANDMARKS, R_HIP, R_SHOULDER
from hipdrop.errors import ModelError
from hipdrop.io.models import ResolvedModel
from hipdrop.io.signals import deferred

MASK_THRESHOLD = 0.5  # the segmentation mask's person probability that makes a body pixel


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[list[str]]:
    """Send what native code writes to fd 2 (LiteRT's INFO/WARNING lines) to a buffer.

    MediaPipe's C++ logs a few dozen lines when a model loads, on the first inference and on
    close; they bury the tool's own messages. Yields a list that receives the captured text.
    """
    captured: list[str] = []
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # stderr replaced (pytest capture, IDEs)
        yield captured
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), fd)
        try:
            yield captured
        finally:
            with deferred():  # fd 2 is given back whatever signal arrives meanwhile
                sys.stderr.flush()
                os.dup2(saved, fd)
                os.close(saved)
            sink.seek(0)
            captured.append(sink.read().decode("utf-8", "replace"))


def from_mediapipe(result: Any, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Convert a ``PoseLandmarkerResult`` into arrays.

    Returns
    -------
    image : (P, 33, 4) float32 ndarray
        x px, y px, z, visibility for each of the P poses found (P may be 0).
    world : (P, 33, 3) float32 ndarray
        World landmarks in metres.
    """
    poses = result.pose_landmarks or []
    worlds = result.pose_world_landmarks or []
    image = np.array(
        [[(lm.x * width, lm.y * height, lm.z, lm.visibility or 0.0) for lm in pose] for pose in poses],
        dtype=np.float32,
    ).reshape(len(poses), N_LANDMARKS, 4)
    world = np.full((len(poses), N_LANDMARKS, 3), np.nan, np.float32)
    for i, pose in enumerate(worlds[: len(poses)]):
        world[i] = [(lm.x, lm.y, lm.z) for lm in pose]
    return image, world


def select_person(candidates: np.ndarray, previous: np.ndarray | None) -> int | None:
    """Index of the candidate pose that continues ``previous``, or of the largest one.

    Parameters
    ----------
    candidates : (P, 33, >=2) ndarray, pixels
    previous : (33, >=2) ndarray or None, pixels; the last pose accepted for this person.

    A candidate continues the person when its torso centre lies within one torso length of the
    previous one; when none does, None (better no pose than a bystander's).
    """
    if len(candidates) == 0:
        return None
    torso = candidates[:, [L_SHOULDER, R_SHOULDER, L_HIP, R_HIP], :2]
    centre = torso.mean(axis=1)
    size = np.linalg.norm(torso[:, :2].mean(axis=1) - torso[:, 2:].mean(axis=1), axis=-1)
    if previous is None or not np.isfinite(previous[:, 0]).any():
        return int(np.nanargmax(size))
    prev = previous[[L_SHOULDER, R_SHOULDER, L_HIP, R_HIP], :2]
    prev_centre = prev.mean(axis=0)
    prev_size = np.linalg.norm(prev[:2].mean(axis=0) - prev[2:].mean(axis=0))
    distance = np.linalg.norm(centre - prev_centre, axis=-1)
    best = int(np.argmin(distance))
    return best if distance[best] <= max(prev_size, 1.0) else None


@dataclass
class PoseFrame:
    """One frame's landmarks for the followed person, or None where no pose was found."""

    image: np.ndarray | None  # (33, 4) px
    world: np.ndarray | None  # (33, 3) m
    mask: np.ndarray | None = None  # (H, W) bool, the person's pixels; when asked for


class PoseEstimator:
    """Pose Landmarker in VIDEO mode; use it as a context manager so it is always closed.

    ``num_poses`` > 1 lets it see bystanders, so that :func:`select_person` can keep following
    the person it started with instead of whoever the detector ranks first after a lost track.
    """

    def __init__(self, model: ResolvedModel, num_poses: int = 1, min_confidence: float = 0.5,
                 reacquire_s: float = 1.0, segmentation: bool = False) -> None:
        from mediapipe.tasks.python import BaseOptions, vision

        base = (BaseOptions(model_asset_buffer=model.data) if model.data is not None
                else BaseOptions(model_asset_path=str(model.path)))
        options = vision.PoseLandmarkerOptions(
            base_options=base,
            running_mode=vision.RunningMode.VIDEO,
            num_poses=num_poses,
            min_pose_detection_confidence=min_confidence,
            min_pose_presence_confidence=min_confidence,
            min_tracking_confidence=min_confidence,
            # The person's silhouette (hipdrop.vision.silhouette): asked for only when a
            # caller reads it, as it costs a mask copy per frame.
            output_segmentation_masks=segmentation,
        )
        try:
            with quiet_native_stderr():
                self._landmarker = vision.PoseLandmarker.create_from_options(options)
        except (RuntimeError, ValueError, OSError) as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"model {model.path} does not load: {first_line}") from None
        self.model = model
        self._warm = False
        self._frames = 0
        self._last_ms = -1
        self._previous: np.ndarray | None = None
        self._previous_t = -np.inf
        self._reacquire_s = reacquire_s

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        # A second Ctrl-C or SIGTERM here would leave the landmarker to its __del__ at exit,
        # which prints a traceback and MediaPipe's log: the signal waits until it is closed.
        with deferred():
            if self._landmarker is not None:
                with quiet_native_stderr():
                    self._landmarker.close()
                self._landmarker = None

    def detect(self, frame_bgr: np.ndarray, t_s: float) -> PoseFrame:
        """Landmarks of the followed person in ``frame_bgr`` (H, W, 3 uint8) at time ``t_s``."""
        import mediapipe as mp

        if self._landmarker is None:
            raise RuntimeError("PoseEstimator used after close()")
        # VIDEO mode needs strictly increasing integer milliseconds.
        t_ms = max(round(t_s * 1000.0), self._last_ms + 1)
        self._last_ms = t_ms
        rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
        # A stop signal raised inside MediaPipe's Image constructor leaves a half-built object
        # whose __del__ prints a traceback (seen under SIGHUP in tests/test_signals.py): the
        # signal waits for this frame's inference (one frame, 11-30 ms) and is raised after.
        with deferred():
            result = self._infer(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), t_ms)
        self._frames += 1
        height, width = frame_bgr.shape[:2]
        poses, worlds = from_mediapipe(result, width, height)
        previous = self._previous if t_s - self._previous_t <= self._reacquire_s else None
        index = select_person(poses, previous)
        if index is None:
            return PoseFrame(None, None)
        self._previous, self._previous_t = poses[index], t_s
        masks = getattr(result, "segmentation_masks", None) or []
        # Thresholded at once: a bool copy of the view is a quarter of a float one.
        mask = (np.asarray(masks[index].numpy_view()).reshape(height, width) >= MASK_THRESHOLD
                if index < len(masks) else None)
        return PoseFrame(poses[index], worlds[index], mask)

    def _infer(self, image: Any, t_ms: int) -> Any:
        assert self._landmarker is not None
        if self._warm:
            result = self._landmarker.detect_for_video(image, t_ms)
        else:
            # A bundle can load and still fail on its first frame (a wrong model inside): that
            # is a bad model, said in one line, not a traceback from deep in MediaPipe.
            try:
                with quiet_native_stderr():
                    result = self._landmarker.detect_for_video(image, t_ms)
            except (RuntimeError, ValueError) as exc:
                if self._frames:
                    raise
                text = str(exc).strip()
                first_line = text.splitlines()[0] if text else type(exc).__name__
                raise ModelError(f"model {self.model.path} fails on the first frame: "
                                 f"{first_line}") from None
            # The landmark stage logs once, natively, on the first frame with a person in it
            # (a NORM_RECT warning on frames that are not 16:9): quiet until then.
            self._warm = bool(result.pose_landmarks)
        return result
