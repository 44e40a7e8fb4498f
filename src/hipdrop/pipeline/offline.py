"""`hipdrop analyze` as a library call: a recorded source in, an output folder of results out.

The output folder is checked and created before the work starts (:class:`OutputPlan`), and
outputs are written as soon as they exist (landmarks first), each complete or not at all
(:mod:`hipdrop.io.outputs`), so a failure or a stop signal later on loses nothing that was
measured and leaves no half file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from hipdrop.core.landmarks import LandmarkSeries
from hipdrop.errors import InputError
from hipdrop.io.extract import extract_landmarks
from hipdrop.io.models import ResolvedModel
from hipdrop.io.outputs import OutputPlan
from hipdrop.io.signals import Interrupted
from hipdrop.io.video import check_readable
from hipdrop.pipeline.analysis import Analysis, analyze
from hipdrop.reports.annotate import write_annotated
from hipdrop.reports.files import summary, write_frames, write_summary
from hipdrop.reports.plot import plot_obliquity
from hipdrop.settings import Settings

OUTPUT_NAMES = ("landmarks.npz", "summary.json", "frames.csv", "obliquity.png", "annotated.mp4")

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
    signum: int = 0  # the stop signal when interrupted (hipdrop.io.signals)


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
                   estimator: str = "hipdrop", inputs: Iterable[Path] = ()) -> AnalyzeResult:
    """Analyse a video or landmarks .npz at ``source`` into ``out_dir``.

    ``model`` is called only when the source is a video (a landmarks file needs no model).
    ``estimator`` chooses the reading of the pelvic tilt (:func:`hipdrop.pipeline.analysis.analyze`).
    ``progress(label, total)`` returns a callback taking frames done. Ctrl-C while reading the
    video keeps the frames read so far: they are analysed and written, and the result is
    flagged ``interrupted`` (the caller exits with 128 + ``signum``). ``inputs`` are other
    files the run reads (a settings file): no output may replace one of them, nor ``source``.
    """
    source = Path(source)
    settings = settings or Settings()
    check_readable(source)
    out_dir = default_out_dir(source) if out_dir is None else out_dir
    landmarks_only = is_landmarks_file(source)
    names = OUTPUT_NAMES[1:4] if landmarks_only else OUTPUT_NAMES[:4] + OUTPUT_NAMES[4:] * video
    if landmarks_only:
        series = LandmarkSeries.load(source)
        plan = OutputPlan.prepare(out_dir, names, [source, *inputs])
        result = AnalyzeResult(plan.out_dir, None, None)
    else:
        if model is None:
            raise InputError("a pose model is needed to analyse a video")
        resolved = model()
        # Before the inference: a destination that cannot be written fails now, not at the end.
        plan = OutputPlan.prepare(out_dir, names, [source, resolved.path, *inputs])
        result = AnalyzeResult(plan.out_dir, None, None)
        bar: list[Callable[[int], None]] = []  # made on the first frame, once the count is known

        def tick(done: int, total: int) -> None:
            if not bar:
                bar.append(progress("pose", total))
            bar[0](done)

        try:
            extraction = extract_landmarks(source, resolved, num_poses=num_poses,
                                           progress=tick if progress else None)
        except BaseException:
            plan.discard()
            raise
        series = extraction.series
        result.interrupted = extraction.interrupted
        result.signum = extraction.signum
        result.warnings.extend(extraction.warnings)
        if extraction.truncated:
            result.warnings.append(
                f"the video stopped decoding after {len(series)} of {extraction.announced_frames} "
                "frames (truncated or damaged file): analysed as far as it reads")
        if extraction.interrupted:
            result.warnings.append(f"interrupted: analysed the first {len(series)} frames only")
        if len(series) == 0:
            plan.discard()
            if extraction.interrupted:
                raise Interrupted(extraction.signum)  # nothing measured: not a bad file
            raise InputError(f"{source} has no frames that can be decoded")
    if not landmarks_only:
        path = plan.path("landmarks.npz")
        series.save(path)
        result.files.append(path)
    # An output of an earlier run that this one does not rewrite is left alone, but said: it
    # does not describe these results (a video drawn with other settings, say).
    rewritten = set(names) - ({"annotated.mp4"} if result.interrupted else set())
    for name in OUTPUT_NAMES:
        old = plan.out_dir / name
        if name not in rewritten and old.exists() and not old.samefile(source):
            result.warnings.append(f"{old} is from an earlier run, not from this one")
    analysis = analyze(series, settings, estimator)
    analysis.warnings[:0] = result.warnings
    result.analysis = analysis
    result.summary = summary(analysis, str(source))
    for name, write in (("summary.json", lambda p: write_summary(p, result.summary)),
                        ("frames.csv", lambda p: write_frames(p, analysis)),
                        ("obliquity.png", lambda p: plot_obliquity(analysis, p, source.name))):
        write(plan.path(name))
        result.files.append(plan.path(name))
    if video and not landmarks_only and not result.interrupted:
        path = plan.path("annotated.mp4")
        tick = progress("video", len(series)) if progress else None
        write_annotated(source, analysis, path, progress=tick)
        result.files.append(path)
    return result
