"""hipdrop: measure pelvic drop and count hip-abduction reps with MediaPipe Pose."""

import os

# FFmpeg (inside OpenCV) prints a line for every unreadable file; hipdrop reports those itself.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

__version__ = "0.1.0"
