"""The process-pool driver: one worker process a CPU on this machine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from hipdrop.batch.jobs import FAILED, BatchOptions, Job, Outcome
from hipdrop.batch.run import (
    BatchResult,
    BatchRun,
    cpus,
    locked,
    prepare_out,
    sigterm_as_interrupt,
)
from hipdrop.batch.work import first_line, pool_init, pool_task
from hipdrop.io.models import ResolvedModel
from hipdrop.io.signals import signum_of
from hipdrop.progress import Progress


def run_pool(sources: list[Path], out: Path, *, options: BatchOptions | None = None,
             model: Callable[[], ResolvedModel] | None = None, jobs: int | None = None,
             force: bool = False, progress: Progress | None = None,
             task: Callable[..., Outcome] = pool_task) -> BatchResult:
    """Analyse ``sources`` into ``out`` on ``jobs`` worker processes (default: one a core).

    A worker process that dies (a native crash on some file) breaks the pool, and which of the
    sources in flight killed it is unknown: each of them is retried alone in a new pool, and a
    source whose worker dies twice is recorded as failed (its neighbours, run alone, go through).
    ``task`` is the per-source function (tests give one that crashes).
    """
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool
    from multiprocessing import get_context

    out = Path(out)
    prepare_out(out)
    jobs = jobs or cpus()
    options = options or BatchOptions()
    with locked(out), sigterm_as_interrupt():
        batch = BatchRun(out, sources, options, model, force, progress)
        queue = list(batch.pending)
        deaths: dict[str, int] = {}
        interrupted = 0

        def died(job: Job) -> None:
            batch.live.pop(job.name, None)
            deaths[job.name] = deaths.get(job.name, 0) + 1
            if deaths[job.name] >= 2:
                batch.finish(Outcome(job.source, job.name, FAILED,
                                     error="the worker process died twice on it"))
            else:
                queue.insert(0, job)

        def may_submit(running: dict[Future, Job]) -> bool:
            # At most one source a worker in flight, so that the sources in flight when the pool
            # breaks are those that were running; a suspect runs alone.
            if not queue or len(running) >= jobs:
                return False
            alone = any(deaths.get(j.name) for j in running.values())
            return not alone and not (running and deaths.get(queue[0].name))

        while queue and not interrupted:
            context = get_context("spawn")
            # A queue a pool: a worker killed while writing to it may leave it unusable.
            frames_queue = context.Queue() if progress is not None else None
            pool = ProcessPoolExecutor(min(jobs, len(queue)), mp_context=context,
                                       initializer=pool_init, initargs=(frames_queue,))
            running: dict[Future, Job] = {}
            try:
                while queue or running:
                    while may_submit(running):
                        future = pool.submit(task, queue[0], options, batch.model,
                                             str(batch.staging_root))
                        running[future] = queue.pop(0)
                    finished, _ = wait(running, timeout=0.5, return_when=FIRST_COMPLETED)
                    batch.flush()
                    if frames_queue is not None:
                        batch.running_frames(frames_queue)
                    for future in finished:
                        job = running.pop(future)
                        try:
                            outcome = future.result()
                        except BrokenProcessPool:
                            died(job)
                        except Exception as exc:  # e.g. an outcome that did not unpickle
                            batch.finish(Outcome(job.source, job.name, FAILED,
                                                 error=f"internal error ({type(exc).__name__}): "
                                                       f"{first_line(exc)}"))
                        else:
                            batch.finish(outcome)
            except BrokenProcessPool:  # from submit: the pool broke between two waits
                pass
            except KeyboardInterrupt as exc:
                interrupted = signum_of(exc)
            finally:
                _stop_pool(pool)
                if frames_queue is not None:
                    frames_queue.close()
                    frames_queue.cancel_join_thread()
            if not interrupted:
                for job in running.values():  # broken: the rest of the in-flight ones
                    died(job)
        return batch.result(interrupted)


def _stop_pool(pool: Any) -> None:
    """Cancel what has not started and end the workers now (their sources stay unfinished)."""
    terminate = getattr(pool, "terminate_workers", None)  # Python >= 3.14
    if terminate is not None:
        terminate()
    else:  # before 3.14: the processes, taken before shutdown() forgets them
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)
