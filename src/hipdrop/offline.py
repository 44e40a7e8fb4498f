"""`hipdrop analyze` as a library call: a recorded source in, an output folder of results out.

Outputs are written as soon as they exist (landmarks first), so a failure or Ctrl-C later on
loses nothing that was measured.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hipdrop.analysis import Analysis, analyze
from hipdrop.annotate import write_annotated
from hipdrop.errors import InputError
from hipdrop.extract import extract_landmarks
from hipdrop.landmarks import LandmarkSeries
from hipdrop.models import ResolvedModel
from hipdrop.plot import plot_obliquity
from hipdrop.report import summary, write_frames, write_summary
from hipdrop.settings import Settings
from hipdrop.video import check_readable

ProgressFactory = Callable[[str, int], Callable[[int], None]]


@dataclass
class AnalyzeResult:
    """What `hipdrop analyze` produced."""

    out_dir: Path
    analysis: Analysis | None
    summary: dict | None
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    interrupted: bool = False


def default_out_dir(source: Path) -> Path:
    """``<folder of source>/<source name>_hipdrop``."""
    return source.parent / f"{source.stem}_hipdrop"


def is_landmarks_file(source: Path) -> bool:
    """True when ``source`` is a zip archive (.npz) rather than a video."""
    with open(source, "rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


def analyze_source(source: Path, out_dir: Path | None = None, *, settings: Settings | None = None,
                   model: Callable[[], ResolvedModel] | None = None, video: bool = True,
                   num_poses: int = 1, progress: ProgressFactory | None = None,
                   estimator: str = "hipdrop") -> AnalyzeResult:
    """Analyse a video or landmarks .npz at ``source`` into ``out_dir``.

    ``model`` is called only when the source is a video (a landmarks file needs no model).
    ``estimator`` chooses the reading of the pelvic tilt (:func:`hipdrop.analysis.analyze`).
    ``progress(label, total)`` returns a callback taking frames done. Ctrl-C while reading the
    video keeps the frames read so far: they are analysed and written, and the result is
    flagged ``interrupted`` (the caller re-raises or exits with 130).
    """
    source = Path(source)
    settings = settings or Settings()
    check_readable(source)
    out_dir = Path(out_dir) if out_dir else default_out_dir(source)
    result = AnalyzeResult(out_dir, None, None)
    landmarks_only = is_landmarks_file(source)
    if landmarks_only:
        series = LandmarkSeries.load(source)
    else:
        if model is None:
            raise InputError("a pose model is needed to analyse a video")
        resolved = model()
        bar: list[Callable[[int], None]] = []  # made on the first frame, once the count is known

        def tick(done: int, total: int) -> None:
            if not bar:
                bar.append(progress("pose", total))
            bar[0](done)

        extraction = extract_landmarks(source, resolved, num_poses=num_poses,
                                       progress=tick if progress else None)
        series = extraction.series
        result.interrupted = extraction.interrupted
        if extraction.truncated:
            result.warnings.append(
                f"the video stopped decoding after {len(series)} of {extraction.announced_frames} "
                "frames (truncated or damaged file): analysed as far as it reads")
        if extraction.interrupted:
            result.warnings.append(f"interrupted: analysed the first {len(series)} frames only")
        if len(series) == 0:
            if extraction.interrupted:
                raise KeyboardInterrupt  # nothing measured yet: an interruption, not a bad file
            raise InputError(f"{source} has no frames that can be decoded")
    out_dir.mkdir(parents=True, exist_ok=True)
    if not landmarks_only:
        path = out_dir / "landmarks.npz"
        series.save(path)
        result.files.append(path)
    analysis = analyze(series, settings, estimator)
    analysis.warnings[:0] = result.warnings
    result.analysis = analysis
    result.summary = summary(analysis, str(source))
    for name, write in (("summary.json", lambda p: write_summary(p, result.summary)),
                        ("frames.csv", lambda p: write_frames(p, analysis)),
                        ("obliquity.png", lambda p: plot_obliquity(analysis, p, source.name))):
        write(out_dir / name)
        result.files.append(out_dir / name)
    if video and not landmarks_only and not result.interrupted:
        path = out_dir / "annotated.mp4"
        tick = progress("video", len(series)) if progress else None
        write_annotated(source, analysis, path, progress=tick)
        result.files.append(path)
    return result
