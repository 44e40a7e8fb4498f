"""The Ray driver: the same per-source function as Ray tasks on a cluster."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hipdrop.batch.jobs import FAILED, BatchError, BatchOptions, Job, Outcome
from hipdrop.batch.run import (
    BatchResult,
    BatchRun,
    cpus,
    locked,
    prepare_out,
    sigterm_as_interrupt,
)
from hipdrop.batch.work import first_line, ray_task
from hipdrop.io.models import ResolvedModel
from hipdrop.io.signals import signum_of
from hipdrop.progress import Progress


def run_ray(sources: list[Path], out: Path, *, address: str | None = None,
            options: BatchOptions | None = None, model: Callable[[], ResolvedModel] | None = None,
            jobs: int | None = None, force: bool = False,
            progress: Progress | None = None,
            task: Callable[..., Outcome] = ray_task) -> BatchResult:
    """The same batch as Ray tasks, on the cluster at ``address`` or a local one (``jobs`` CPUs).

    The model bundle is put in the object store once; each task loads its landmarker from those
    bytes, writes into a temporary folder on its node and returns the files, which the driver
    moves into ``out``: workers need neither model files nor a shared output folder (the sources
    must be readable at the same path on every node). A task whose worker dies is retried once by
    Ray (``max_retries=1``); dying twice, the source is recorded as failed. ``task`` is the
    per-source function (tests give one that crashes).
    """
    try:
        import ray
    except ImportError:
        raise BatchError("--ray needs Ray: pip install 'hipdrop[cluster]'") from None

    out = Path(out)
    prepare_out(out)
    options = options or BatchOptions()
    with locked(out), sigterm_as_interrupt():
        batch = BatchRun(out, sources, options, model, force, progress)
        if not batch.pending:
            return batch.result(0)
        try:
            # Quiet: the workers' MediaPipe chatter and Ray's INFO lines would bury the bar.
            quiet: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR}
            if address:
                ray.init(address=address, **quiet)
            else:
                ray.init(num_cpus=jobs or cpus(), object_store_memory=200 * 2**20,
                         include_dashboard=False, **quiet)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = f"the Ray cluster at {address}" if address else "a local Ray cluster"
            raise BatchError(f"cannot start or reach {where}: {first_line(exc)}") from None
        interrupted = 0
        refs: dict[Any, Job] = {}
        try:
            data = batch.model.path.read_bytes() if batch.model is not None else None
            model_ref = ray.put(data)
            remote = ray.remote(num_cpus=1, max_retries=1)(task)
            name = batch.model.name if batch.model is not None else ""
            refs = {remote.remote(job, options, name, model_ref): job for job in batch.pending}
            while refs:
                ready, _ = ray.wait(list(refs), num_returns=1, timeout=1.0)
                batch.flush()
                for ref in ready:
                    job = refs.pop(ref)
                    try:
                        outcome = ray.get(ref)
                    except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError) as exc:
                        outcome = Outcome(job.source, job.name, FAILED,  # retried, died again
                                          error=f"the Ray worker died twice on it: {first_line(exc)}")
                    except ray.exceptions.RayError as exc:  # e.g. hipdrop missing on a node
                        outcome = Outcome(job.source, job.name, FAILED,
                                          error=f"Ray task failed: {first_line(exc)}")
                    batch.finish(outcome)
        except KeyboardInterrupt as exc:
            interrupted = signum_of(exc)
            for ref in refs:
                with contextlib.suppress(Exception):
                    ray.cancel(ref, force=True)
        finally:
            ray.shutdown()
        return batch.result(interrupted)
