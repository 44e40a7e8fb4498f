"""`hipdrop analyze` as a library call: a recorded source in, an output folder of results out.

The steps are the public API's (:mod:`hipdrop.api`: read, analyse, write); what this adds is
the order of a command: the output folder is checked and created before the work starts
(:class:`OutputPlan`), and outputs are written as soon as they exist (landmarks first), each
complete or not at all (:mod:`hipdrop.io.outputs`), so a failure or a stop signal later on
loses nothing that was measured and leaves no half file.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from hipdrop.api import (
    ANNOTATED_MP4,
    LANDMARKS_NPZ,
    OUTPUT_NAMES,
    Analysis,
    ModelSpec,
    analysis_of,
    is_landmarks_file,
    read_source,
    resolve_model,
    write_outputs,
)
from hipdrop.errors import InputError
from hipdrop.io.outputs import OutputPlan
from hipdrop.io.video import check_readable, probe
from hipdrop.progress import Progress
from hipdrop.settings import Settings

if TYPE_CHECKING:
    from hipdrop.reports.annotate import HeldFrames

__all__ = ["OUTPUT_NAMES", "AnalyzeResult", "analyze_source", "default_out_dir",
           "is_landmarks_file"]


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


def analyze_source(source: Path, out_dir: Path | None = None, *, settings: Settings | None = None,
                   model: ModelSpec = None, video: bool = True,
                   num_poses: int = 1, progress: Progress | None = None,
                   estimator: str = "hipdrop", inputs: Iterable[Path] = ()) -> AnalyzeResult:
    """Analyse a video or landmarks .npz at ``source`` into ``out_dir``.

    ``model`` (a name, a .task path, a resolved model or a function returning one: see
    :data:`hipdrop.api.ModelSpec`) is resolved only when the source is a video (a landmarks
    file needs no model); None there is an InputError. ``estimator`` chooses the reading of
    the pelvic tilt (:func:`hipdrop.pipeline.analysis.analyze`). ``progress(stage, done,
    total)``: :mod:`hipdrop.progress`. Ctrl-C while reading the video keeps the frames read so
    far: they are analysed and written, and the result is flagged ``interrupted`` (the caller
    exits with 128 + ``signum``). ``inputs`` are other files the run reads (a settings file):
    no output may replace one of them, nor ``source``.
    """
    source = Path(source)
    check_readable(source)
    out_dir = default_out_dir(source) if out_dir is None else out_dir
    landmarks_only = is_landmarks_file(source)
    held: HeldFrames | None = None
    names = OUTPUT_NAMES[1:4] if landmarks_only else OUTPUT_NAMES[:4] + OUTPUT_NAMES[4:] * video
    if landmarks_only:
        reading = read_source(source)  # a file that is not one fails before the folder exists
        plan = OutputPlan.prepare(out_dir, names, [source, *inputs])
    else:
        if model is None:
            raise InputError("a pose model is needed to analyse a video")
        resolved = resolve_model(model, progress)
        # Before the inference: a destination that cannot be written fails now, not at the end.
        plan = OutputPlan.prepare(out_dir, names, [source, resolved.path, *inputs])
        # The frames are kept (a short clip's, up to HOLD_BYTES) for annotated.mp4, their
        # skeleton drawn meanwhile on the core the model leaves free: not decoded twice.
        try:
            if ANNOTATED_MP4 in names:
                from hipdrop.reports.annotate import HOLD_BYTES, HeldFrames

                # Only a video whose container says it fits: a longer one would fill the
                # budget before running out of it, and raise the peak memory for nothing.
                with warnings.catch_warnings():  # the reading says what is odd, once
                    warnings.simplefilter("ignore")
                    info = probe(source)
                if 0 < info.frames * info.width * info.height * 3 <= HOLD_BYTES:
                    held = HeldFrames()
            reading = read_source(source, resolved, num_poses=num_poses, progress=progress,
                                  on_frame=held)
        except BaseException:
            plan.discard()
            raise
    result = AnalyzeResult(plan.out_dir, None, None, interrupted=reading.interrupted,
                           signum=reading.signum, warnings=list(reading.warnings))
    if not landmarks_only:
        path = plan.path(LANDMARKS_NPZ)
        reading.series.save(path)
        result.files.append(path)
    analysis = analysis_of(reading, settings or Settings(), estimator)
    files, stale, data = write_outputs(analysis, plan, video=video and ANNOTATED_MP4 in names,
                                       progress=progress, held=held)
    result.warnings += stale
    # The analysis as summary.json tells it: its warnings include the earlier run's outputs.
    analysis.warnings[analysis.read_warnings:analysis.read_warnings] = stale
    result.analysis, result.summary = analysis, data
    result.files += files
    return result
