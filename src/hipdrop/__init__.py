"""hipdrop: measure pelvic drop and count hip-abduction reps with MediaPipe Pose.

    import hipdrop
    a = hipdrop.analyze("clip.mp4", model="full")  # or a landmarks .npz, or a LandmarkSeries
    print(a.verdict.text)
    a.write("clip_hipdrop")  # nothing is written unless asked

The names below are imported on first use, so ``import hipdrop`` loads neither NumPy nor
OpenCV nor MediaPipe.
"""

import os

# FFmpeg (inside OpenCV) prints a line for every unreadable file; hipdrop reports those itself.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

__version__ = "0.1.0"

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (which costs ~7 ms)
if TYPE_CHECKING:
    from hipdrop.api import Analysis, ModelSpec, analyze, resolve_model
    from hipdrop.core.landmarks import LandmarkSeries
    from hipdrop.errors import HipdropError
    from hipdrop.progress import Progress
    from hipdrop.settings import Settings

# public name: the module that defines it
_LAZY = {
    "analyze": "hipdrop.api", "Analysis": "hipdrop.api", "ModelSpec": "hipdrop.api",
    "resolve_model": "hipdrop.api", "LandmarkSeries": "hipdrop.core.landmarks",
    "Settings": "hipdrop.settings", "HipdropError": "hipdrop.errors", "Progress": "hipdrop.progress",
}

__all__ = ["Analysis", "HipdropError", "LandmarkSeries", "ModelSpec", "Progress", "Settings",
           "__version__", "analyze", "resolve_model"]


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # once: later lookups do not come here
        return value
    raise AttributeError(f"module 'hipdrop' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
