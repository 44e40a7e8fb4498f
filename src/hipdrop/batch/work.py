"""The unit of work of a batch: one source analysed into a staging folder, marker written last;
the same function wrapped for a pool worker and for a Ray task.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hipdrop import __version__
from hipdrop.batch.jobs import DONE, FAILED, MARKER, BatchOptions, Job, Outcome
from hipdrop.errors import HipdropError
from hipdrop.io.models import ResolvedModel
from hipdrop.offline import analyze_source
from hipdrop.progress import POSE


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def analyze_one(job: Job, options: BatchOptions, model: ResolvedModel | None, staging: Path,
                worker: str = "", frames_done: Callable[[int], None] | None = None) -> Outcome:
    """Analyse ``job``'s source into ``staging`` and write the completion marker last.

    Never raises for a bad source: the error is the outcome (a batch of thousands goes on past a
    corrupt file, and past a bug that one file triggers, which is then recorded with its type).
    ``frames_done(n)`` is called as the pose model goes through the video.
    """

    def progress(stage: str, done: int, total: int) -> None:
        if stage == POSE and frames_done is not None:
            frames_done(done)

    t0, c0 = time.perf_counter(), time.process_time()
    worker = worker or f"{socket.gethostname()}:{os.getpid()}"
    outcome = Outcome(job.source, job.name, FAILED, worker=worker)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = analyze_source(
                Path(job.source), staging, settings=options.settings,
                model=model, video=job.video,
                num_poses=options.num_poses, estimator=options.estimator,
                progress=progress if frames_done is not None else None)
        except HipdropError as exc:
            outcome.error = str(exc)
        except Exception as exc:  # a bug hit by this file: recorded, the batch goes on
            outcome.error = f"internal error ({type(exc).__name__}): {first_line(exc)}"
        else:
            if result.interrupted:
                outcome.error = "interrupted"
            else:
                outcome.status, outcome.summary = DONE, result.summary
    outcome.warnings = [str(w.message) for w in caught]
    outcome.wall_s = time.perf_counter() - t0
    outcome.cpu_s = time.process_time() - c0
    if outcome.status == DONE:
        marker = {"source": job.source, "size": job.size, "mtime_ns": job.mtime_ns, "key": job.key,
                  "video": job.video, "hipdrop": __version__, "wall_s": round(outcome.wall_s, 3),
                  "cpu_s": round(outcome.cpu_s, 3), "worker": worker, "warnings": outcome.warnings}
        try:
            (staging / MARKER).write_text(json.dumps(marker, indent=1), encoding="utf-8")
        except OSError as exc:  # a full disk: the results are not complete
            outcome.status, outcome.error = FAILED, f"cannot write {MARKER}: {exc.strerror or exc}"
    return outcome


_FRAMES_QUEUE: Any = None  # in a pool worker: where it reports frames done, (name, frames)


def pool_init(frames_queue: Any = None) -> None:
    global _FRAMES_QUEUE
    # Ctrl-C reaches the whole process group: only the driver handles it (and ends the workers).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _FRAMES_QUEUE = frames_queue
    if frames_queue is not None:
        frames_queue.cancel_join_thread()  # never let exiting wait on a progress message


def pool_task(job: Job, options: BatchOptions, model: ResolvedModel | None, staging_root: str) -> Outcome:
    staging = Path(staging_root) / f"{job.name}.{uuid.uuid4().hex[:8]}"
    frames_queue = _FRAMES_QUEUE

    def report(n: int) -> None:
        if n % 16 == 0:
            frames_queue.put_nowait((job.name, n))

    outcome = analyze_one(job, options, model, staging,
                          frames_done=report if frames_queue is not None else None)
    outcome.staging = str(staging)
    return outcome


def ray_task(job: Job, options: BatchOptions, model_name: str, model_data: bytes | None) -> Outcome:
    """Runs on a cluster worker: results come back as bytes, so workers need no shared output."""
    import ray

    model = ResolvedModel(model_name, Path(model_name), model_data) if model_data else None
    node = ray.get_runtime_context().get_node_id()[:8]
    with tempfile.TemporaryDirectory(prefix="hipdrop-batch-") as tmp:
        staging = Path(tmp) / job.name
        outcome = analyze_one(job, options, model, staging,
                              worker=f"{socket.gethostname()}:{os.getpid()}@node-{node}")
        if outcome.status == DONE:
            outcome.files = {p.name: p.read_bytes() for p in sorted(staging.iterdir()) if p.is_file()}
    return outcome
