"""What both drivers share: the batch's state (jobs, resumed sources, the table, the progress),
moving a finished source into place with signals held, the lock on the output folder, SIGTERM.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import threading
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hipdrop import __version__
from hipdrop.batch.jobs import (
    DONE,
    FAILED,
    LOCK,
    PENDING,
    STAGING,
    BatchError,
    BatchOptions,
    Job,
    Outcome,
    is_complete,
    make_job,
    read_marker,
    run_key,
)
from hipdrop.batch.table import BatchTable
from hipdrop.errors import HipdropError, OutputError
from hipdrop.io.models import ResolvedModel, sha256_of
from hipdrop.io.signals import Interrupted
from hipdrop.offline import is_landmarks_file
from hipdrop.progress import FILES, POSE, Progress


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Defer SIGINT/SIGTERM for a few ms, so a folder move and the table update happen together.

    Python runs signal handlers in the main thread whichever thread the signal hit, so swapping
    the handlers defers them for sure (a signal mask would not: it is per thread, and tqdm's
    monitor or another thread could take the signal). A deferred signal is delivered after.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def defer(signum: int, frame: object) -> None:
        caught.append(signum)

    previous: dict[int, Any] = {s: signal.signal(s, defer) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        for signum in dict.fromkeys(caught):
            old = previous[signum]
            if callable(old):
                old(signum, None)  # KeyboardInterrupt, for Python's SIGINT and our SIGTERM
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), s)




@dataclass
class BatchResult:
    out: Path
    rows: list[dict]
    interrupted: int = 0  # the signal that stopped the batch (SIGINT for Ctrl-C); 0 if none

    def count(self, status: str) -> int:
        return sum(r["status"] == status for r in self.rows)

    @property
    def failed(self) -> list[dict]:
        return [r for r in self.rows if r["status"] == FAILED]


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM ends the batch as Ctrl-C does (finished sources kept, the table true)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise Interrupted(signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    with open(out / LOCK, "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BatchError(f"another hipdrop batch is writing to {out}") from None
        yield


class BatchRun:
    """State shared by both drivers: the jobs, the table, the progress, and moving results in."""

    def __init__(self, out: Path, sources: list[Path], options: BatchOptions,
                 model: Callable[[], ResolvedModel] | None, force: bool,
                 progress: Progress | None) -> None:
        self.out, self.options, self.progress = out, options, progress
        self.staging_root = out / STAGING
        shutil.rmtree(self.staging_root, ignore_errors=True)  # a killed run's leftovers
        self.staging_root.mkdir(parents=True)
        needs_model = any(not _is_npz(s) for s in sources)
        self.model = model() if (needs_model and model is not None) else None
        digest = sha256_of(self.model.path) if self.model is not None else ""
        key = run_key(options, self.model.name if self.model else "", digest)
        jobs = [make_job(s, key, options.video and not _is_npz(s)) for s in sources]
        self.table = BatchTable(out, jobs, {
            "hipdrop": __version__, "model": self.model.name if self.model else None,
            "settings": options.settings.as_dict(), "estimator": options.estimator,
            "video": options.video, "num_poses": options.num_poses})
        self.pending: list[Job] = []
        for job in jobs:
            folder = out / job.name
            if not force and is_complete(folder, job):
                self.table.record(_resumed(job, folder))
            else:
                self.pending.append(job)
        self.table.write()
        # Frame counts for the bar's time left, read on a thread while the batch starts: opening
        # ten thousand videos on a network volume takes minutes.
        self.frames: dict[str, int] = {}
        self.frames_total = 0
        threading.Thread(target=self._count_frames, args=(list(self.pending),), daemon=True,
                         name="hipdrop-batch-probe").start()
        self.done_files = self.done_frames = 0
        self.live: dict[str, int] = {}
        self.finished: set[str] = set()
        self._tick()

    def _count_frames(self, jobs: list[Job]) -> None:
        frames = {j.name: _announced_frames(Path(j.source)) for j in jobs}
        self.frames, self.frames_total = frames, sum(frames.values())  # whole, once known

    def _tick(self) -> None:
        if self.progress is not None:
            # The batch's files, then its frames (as the containers announce them, 0: unknown).
            self.progress(FILES, self.done_files, len(self.pending))
            self.progress(POSE, self.done_frames + sum(self.live.values()), self.frames_total)

    def running_frames(self, frames_queue: Any) -> None:
        """Take in the frames done by the sources still running (pool workers report them)."""
        import queue as queue_module

        changed = False
        while True:
            try:
                name, n = frames_queue.get_nowait()
            except (queue_module.Empty, OSError, ValueError, EOFError):
                break
            if name not in self.finished:  # a late message for a source already counted
                self.live[name] = max(n, self.live.get(name, 0))
                changed = True
        if changed:
            self._tick()

    def finish(self, outcome: Outcome) -> None:
        """Move a done source's results into place and rewrite the table (signals held)."""
        with _signals_held(), _write_errors(self.out):
            if outcome.status == DONE:
                staging = Path(outcome.staging) if outcome.staging else None
                if outcome.files is not None:
                    staging = self.staging_root / f"{outcome.name}.{uuid.uuid4().hex[:8]}"
                    staging.mkdir()
                    for name, data in outcome.files.items():
                        (staging / name).write_bytes(data)
                assert staging is not None
                _promote(staging, self.out / outcome.name, self.staging_root)
            elif outcome.staging:
                shutil.rmtree(outcome.staging, ignore_errors=True)
            outcome.staging, outcome.files = None, None
            self.table.record(outcome)
            self.table.write(force=False)
        self.done_files += 1
        self.finished.add(outcome.name)
        self.live.pop(outcome.name, None)
        frames = (outcome.summary or {}).get("frames")
        self.done_frames += frames if frames else self.frames.get(outcome.name, 0)
        self._tick()

    def flush(self) -> None:
        """Write a table that a throttled write left behind, once it is due (drivers call this
        between waits, so a long source does not keep the table stale)."""
        if self.table.dirty:
            with _signals_held(), _write_errors(self.out):
                self.table.write(force=False)

    def result(self, interrupted: int) -> BatchResult:
        if self.table.dirty:
            with _signals_held(), _write_errors(self.out):
                self.table.write()
        shutil.rmtree(self.staging_root, ignore_errors=True)
        return BatchResult(self.out, self.table.rows(), interrupted)


@contextlib.contextmanager
def _write_errors(out: Path) -> Iterator[None]:
    """A full disk or a vanished output folder stops the batch with one line."""
    try:
        yield
    except OSError as exc:
        raise BatchError(f"cannot write the results into {out}: {exc.strerror or exc}") from None
    except OutputError as exc:  # the table, written through hipdrop.io.outputs
        raise BatchError(str(exc)) from None


def _is_npz(source: Path) -> bool:
    try:
        return is_landmarks_file(source)
    except OSError:
        return False


def _announced_frames(source: Path) -> int:
    from hipdrop.io.video import probe

    if _is_npz(source):
        return 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return probe(source).frames
        except HipdropError:
            return 0


def _resumed(job: Job, folder: Path) -> Outcome:
    marker = read_marker(folder) or {}
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        summary = None
    return Outcome(job.source, job.name, DONE, summary=summary, wall_s=marker.get("wall_s", 0.0),
                   cpu_s=marker.get("cpu_s", 0.0), worker=marker.get("worker", ""),
                   warnings=marker.get("warnings", []), resumed=True)


def _promote(staging: Path, final: Path, staging_root: Path) -> None:
    """Replace ``final`` with ``staging`` by renames (the old results stay until the new are in)."""
    old = None
    if final.exists():
        old = staging_root / f"{final.name}.old.{uuid.uuid4().hex[:8]}"
        os.rename(final, old)
    os.rename(staging, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def prepare_out(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchError(f"cannot create output folder {out} ({exc.strerror})") from None
    if not out.is_dir():
        raise BatchError(f"{out} is not a folder")


def cpus() -> int:
    """The CPUs this process may run on (a container's or taskset's limit, not the machine's)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def summary_of(result: BatchResult) -> dict:
    """Counts for a one-line report."""
    rows = result.rows
    return {"done": result.count(DONE), "resumed": sum(r["resumed"] for r in rows),
            "failed": result.count(FAILED), "pending": result.count(PENDING), "total": len(rows)}
