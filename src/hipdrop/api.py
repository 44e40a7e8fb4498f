"""hipdrop as a library: a video or landmarks in, an :class:`Analysis` out, nothing written
unless asked.

    import hipdrop
    a = hipdrop.analyze("clip.mp4", model="full")
    print(a.verdict.text)
    a.write("clip_hipdrop")  # the files `hipdrop analyze` writes

`hipdrop analyze` (:mod:`hipdrop.offline`) is this module's :func:`read_source`,
:func:`analysis_of` and :func:`write_outputs`, with the output folder checked before the
inference and the landmarks written as soon as they exist.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from hipdrop.core.landmarks import LandmarkSeries
from hipdrop.errors import InputError, LandmarksFormatError
from hipdrop.io.models import ResolvedModel
from hipdrop.io.outputs import OutputPlan, output_error
from hipdrop.pipeline import analysis as pipeline
from hipdrop.progress import Progress
from hipdrop.settings import Settings

if TYPE_CHECKING:
    from hipdrop.io.extract import FrameSink
    from hipdrop.reports.annotate import HeldFrames

# A pose model: a registry name ("lite", "full", "heavy"), a .task file, one already resolved
# (hipdrop.io.models.resolve), or a function returning one (called only for a video).
ModelSpec = Union[str, "os.PathLike[str]", ResolvedModel, Callable[[], ResolvedModel], None]
# A video or landmarks .npz file, a LandmarkSeries, or the .npz's arrays by name.
Source = Union[str, "os.PathLike[str]", LandmarkSeries, Mapping[str, Any]]

LANDMARKS_NPZ, SUMMARY_JSON, FRAMES_CSV, OBLIQUITY_PNG, ANNOTATED_MP4 = (
    "landmarks.npz", "summary.json", "frames.csv", "obliquity.png", "annotated.mp4")
OUTPUT_NAMES = (LANDMARKS_NPZ, SUMMARY_JSON, FRAMES_CSV, OBLIQUITY_PNG, ANNOTATED_MP4)
IN_MEMORY = "(landmarks in memory)"  # summary.json's "source" for landmarks given as arrays


@dataclass
class Reading:
    """Landmarks read from a source, and how the reading ended (before any analysis)."""

    series: LandmarkSeries
    path: Path | None  # the file read; None for landmarks given in memory
    name: str  # summary.json's "source"
    video: bool  # the file is a video (the landmarks were measured from it)
    model_path: Path | None = None  # the pose model that measured them
    warnings: list[str] = field(default_factory=list)
    interrupted: bool = False  # a stop signal ended the reading: the frames read until then
    signum: int = 0


@dataclass
class Analysis(pipeline.Analysis):
    """One recording's analysis (:class:`hipdrop.pipeline.analysis.Analysis`: ``series``,
    ``signals``, ``phases``, ``reps``, ``verdict``, ``warnings``...), where it came from, and
    the ways out: :meth:`summary` (summary.json's content) and :meth:`write` (the files)."""

    path: Path | None = None  # the file analysed; None for landmarks given in memory
    name: str = IN_MEMORY  # summary.json's "source"
    from_video: bool = False  # the landmarks were measured from the video at ``path`` here
    model_path: Path | None = None
    interrupted: bool = False  # Ctrl-C or a stop signal: the frames read until then
    signum: int = 0  # that signal's number
    read_warnings: int = 0  # the first warnings are the reading's (before the analysis')

    def summary(self) -> dict:
        """summary.json's content (DESIGN.md), as :meth:`write` and `hipdrop analyze` write it."""
        from hipdrop.reports.files import summary

        return summary(self, self.name)

    def output_names(self, video: bool = True) -> tuple[str, ...]:
        """The files :meth:`write` writes: landmarks.npz unless they came from a file of them,
        annotated.mp4 when ``video`` and they came from a video."""
        names = [SUMMARY_JSON, FRAMES_CSV, OBLIQUITY_PNG]
        if self.from_video or self.path is None:
            names.insert(0, LANDMARKS_NPZ)
        if self.from_video and video:
            names.append(ANNOTATED_MP4)
        return tuple(names)

    def write(self, folder: str | os.PathLike[str], *, video: bool = True, report: bool = False,
              progress: Progress | None = None) -> list[Path]:
        """Write the files of `hipdrop analyze` into ``folder`` (created if need be); returns
        their paths, in the order written.

        Each file is complete or absent (:mod:`hipdrop.io.outputs`), and none may replace the
        source or the model (OutputError). ``video`` draws annotated.mp4 (a video source, not
        interrupted); ``report`` writes report.html too (not recorded in the history, which
        is the CLI's). An output of an earlier run left in ``folder`` is warned about
        (:func:`warnings.warn`): it does not describe this analysis.
        """
        names = self.output_names(video)
        plan = OutputPlan.prepare(os.fspath(folder), names,
                                  [p for p in (self.path, self.model_path) if p])
        written: list[Path] = []
        if LANDMARKS_NPZ in names:
            path = plan.path(LANDMARKS_NPZ)
            self.series.save(path)
            written.append(path)
        files, stale, data = write_outputs(self, plan, video=video, progress=progress)
        written += files
        for w in stale:
            warnings.warn(w, stacklevel=2)
        if report:
            written.append(_write_report(self, plan.out_dir, data))
        return written


def resolve_model(model: ModelSpec, progress: Progress | None = None) -> ResolvedModel:
    """The pose model ``model`` names (see :data:`ModelSpec`; None: the default, "full"),
    downloaded if need be (``progress("download", bytes, total)``)."""
    if isinstance(model, ResolvedModel):
        return model
    if callable(model):
        return model()
    from hipdrop.io.models import resolve

    return resolve(None if model is None else os.fspath(model), progress=progress)


def is_landmarks_file(source: Path) -> bool:
    """True when ``source`` is a zip archive (.npz) rather than a video."""
    with open(source, "rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


def series_of(arrays: Mapping[str, Any]) -> LandmarkSeries:
    """A LandmarkSeries from the arrays of DESIGN.md's landmarks .npz, by name (image, world, t,
    width, height, fps; model, waist, markers optional); LandmarksFormatError when one is
    missing or of the wrong shape."""
    missing = [k for k in ("image", "world", "t", "width", "height", "fps") if k not in arrays]
    if missing:
        raise LandmarksFormatError(f"landmarks without {', '.join(missing)}")
    try:
        return LandmarkSeries(arrays["image"], arrays["world"], arrays["t"], int(arrays["width"]),
                              int(arrays["height"]), float(arrays["fps"]),
                              str(arrays.get("model", "unknown")), arrays.get("waist"),
                              arrays.get("markers"))
    except (TypeError, ValueError) as exc:
        raise LandmarksFormatError(f"landmarks that cannot be read ({exc})") from None


def read_source(source: Source, model: ModelSpec = None, *, num_poses: int = 1,
                progress: Progress | None = None, on_frame: FrameSink | None = None) -> Reading:
    """The landmarks of ``source``: loaded from a landmarks file or arrays, or measured by the
    pose ``model`` over every frame of a video (``progress("pose", frames, announced)``;
    ``on_frame`` is given each decoded frame: :func:`hipdrop.io.extract.extract_landmarks`).

    Ctrl-C (or SIGTERM, SIGHUP) while the video is read keeps the frames read so far, flagged
    ``interrupted``; with no frame read, :class:`hipdrop.io.signals.Interrupted` is raised.
    """
    if isinstance(source, LandmarkSeries):
        return Reading(source, None, IN_MEMORY, False)
    if isinstance(source, Mapping):
        return Reading(series_of(source), None, IN_MEMORY, False)
    from hipdrop.io.video import check_readable

    path = Path(source)
    check_readable(path)
    if is_landmarks_file(path):
        return Reading(LandmarkSeries.load(path), path, str(path), False)
    resolved = resolve_model(model, progress)
    from hipdrop.io.extract import extract_landmarks
    from hipdrop.io.signals import Interrupted

    extraction = extract_landmarks(path, resolved, num_poses=num_poses, progress=progress,
                                   on_frame=on_frame)
    series = extraction.series
    reading = Reading(series, path, str(path), True, resolved.path, list(extraction.warnings),
                      extraction.interrupted, extraction.signum)
    if extraction.truncated:
        reading.warnings.append(
            f"the video stopped decoding after {len(series)} of {extraction.announced_frames} "
            "frames (truncated or damaged file): analysed as far as it reads")
    if extraction.interrupted:
        reading.warnings.append(f"interrupted: analysed the first {len(series)} frames only")
    if len(series) == 0:
        if extraction.interrupted:
            raise Interrupted(extraction.signum)  # nothing measured: not a bad file
        raise InputError(f"{path} has no frames that can be decoded")
    return reading


def analysis_of(reading: Reading, settings: Settings | None = None,
                estimator: str = "hipdrop") -> Analysis:
    """Analyse what :func:`read_source` read (:func:`hipdrop.pipeline.analysis.analyze`); the
    reading's warnings come first. NoPoseError when no frame shows the person."""
    base = pipeline.analyze(reading.series, settings, estimator)
    base.warnings[:0] = reading.warnings
    return Analysis(**{f.name: getattr(base, f.name) for f in fields(pipeline.Analysis)},
                    path=reading.path, name=reading.name, from_video=reading.video,
                    model_path=reading.model_path, interrupted=reading.interrupted,
                    signum=reading.signum, read_warnings=len(reading.warnings))


def analyze(source: Source, *, model: ModelSpec = None, settings: Settings | None = None,
            estimator: str = "hipdrop", num_poses: int = 1,
            progress: Progress | None = None) -> Analysis:
    """Analyse a video, a landmarks .npz, a :class:`~hipdrop.core.landmarks.LandmarkSeries` or
    the .npz's arrays by name; nothing is written (see :meth:`Analysis.write`).

    ``model`` is the pose model for a video (:data:`ModelSpec`; default "full", downloaded if
    missing); ``settings`` the thresholds (:class:`hipdrop.settings.Settings`); ``estimator``
    "hipdrop" or "landmarks" (:func:`hipdrop.pipeline.analysis.analyze_signals`);
    ``num_poses`` how many people the model looks for; ``progress(stage, done, total)``
    (:mod:`hipdrop.progress`). Raises a :class:`hipdrop.errors.HipdropError` for a source that
    cannot be read, a model that cannot be found, or a recording without a person in view.
    """
    return analysis_of(read_source(source, model, num_poses=num_poses, progress=progress),
                       settings, estimator)


def stale_outputs(analysis: Analysis, out_dir: Path, names: tuple[str, ...]) -> list[str]:
    """Warnings for the outputs of an earlier run in ``out_dir`` that writing ``names`` (of
    ``analysis``) leaves alone: they do not describe these results."""
    rewritten = set(names) - ({ANNOTATED_MP4} if analysis.interrupted else set())
    out = []
    for name in OUTPUT_NAMES:
        old = out_dir / name
        if name in rewritten or not old.exists():
            continue
        if analysis.path is not None and old.samefile(analysis.path):
            continue  # the landmarks file analysed, in the output folder
        out.append(f"{old} is from an earlier run, not from this one")
    return out


def write_outputs(analysis: Analysis, plan: OutputPlan, *, video: bool = True,
                  progress: Progress | None = None,
                  held: HeldFrames | None = None) -> tuple[list[Path], list[str], dict]:
    """summary.json, frames.csv, obliquity.png and (``video``, from a video not interrupted)
    annotated.mp4 into ``plan``'s folder: what `hipdrop analyze` and :meth:`Analysis.write`
    share. Returns the paths written, the warnings about an earlier run's outputs (also in the
    summary written, after the reading's warnings) and that summary. ``held``: the video's
    frames kept from the reading (:class:`hipdrop.reports.annotate.HeldFrames`), so that
    annotated.mp4 does not decode it again."""
    from hipdrop.reports.files import write_frames, write_summary
    from hipdrop.reports.plot import plot_obliquity

    stale = stale_outputs(analysis, plan.out_dir, plan.names)
    data = analysis.summary()
    data["warnings"][analysis.read_warnings:analysis.read_warnings] = stale
    title = analysis.path.name if analysis.path is not None else IN_MEMORY
    files = []
    for name, write in ((SUMMARY_JSON, lambda p: write_summary(p, data)),
                        (FRAMES_CSV, lambda p: write_frames(p, analysis)),
                        (OBLIQUITY_PNG, lambda p: plot_obliquity(analysis, p, title))):
        write(plan.path(name))
        files.append(plan.path(name))
    if video and analysis.from_video and analysis.path is not None and not analysis.interrupted:
        from hipdrop.reports.annotate import write_annotated

        path = plan.path(ANNOTATED_MP4)
        write_annotated(analysis.path, analysis, path, progress=progress, held=held)
        files.append(path)
    return files, stale, data


def _write_report(analysis: Analysis, out_dir: Path, data: dict) -> Path:
    from hipdrop.history.sessionlog import DEFAULT_PERSON
    from hipdrop.reports.html import HistoryContext, write_report

    try:
        return write_report(out_dir, data, video=analysis.path if analysis.from_video else None,
                            person=DEFAULT_PERSON,
                            history=HistoryContext(note="This session was not recorded in the "
                                                        "history."))
    except OSError as exc:
        raise output_error(exc, out_dir / "report.html") from None
