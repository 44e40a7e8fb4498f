"""The one shape of a progress callback in hipdrop: ``progress(stage, done, total)``.

``stage`` names the work: "download" (bytes of a pose model), "pose" (frames through the pose
model), "video" (frames drawn into annotated.mp4), "files" (a batch's sources finished).
``done`` counts the units finished so far, ``total`` the units announced, 0 when unknown; a
video container's frame count is a claim, so ``done`` may end below or above it.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]

DOWNLOAD, POSE, VIDEO, FILES = "download", "pose", "video", "files"
