"""`hipdrop batch`: many recorded sources, one output folder each, one table for the whole batch.

The unit of work is :func:`analyze_one`: one source analysed (as `hipdrop analyze` does) into a
staging folder, with a completion marker written last. Two drivers run it: :func:`run_pool`, a
process pool on this machine (one worker a core, "spawn" context because MediaPipe's threads do
not survive a fork), and :func:`run_ray`, the same function as Ray tasks on a cluster, the model
bundle travelling as bytes in the object store. Either way the driver alone touches ``out``:

* a finished source's staging folder is renamed into ``out/<stem>-<hash>/`` (so a source's
  folder is complete or absent, and two ``clip.mp4`` in different folders do not collide);
* ``batch.csv`` and ``batch.json`` are rewritten (temp file + rename) after every finished source,
  with SIGINT/SIGTERM held off for those few milliseconds, so a Ctrl-C, a SIGTERM or a kill
  leaves them true (a table so big that writing it takes long is rewritten less often, see
  :meth:`BatchTable.write`, and always last);
* a source whose folder has a marker matching its size, mtime, settings and model is skipped on a
  re-run (unless ``force``): finished work is never recomputed.

Landmarker choice: each source gets a fresh landmarker inside its worker (VIDEO mode tracks from
frame to frame, so a landmarker reused across sources would make a source's result depend on
which source its worker ran before; loading one costs ~0.1 s against seconds of inference).
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import glob
import hashlib
import io
import json
import logging
import math
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hipdrop import __version__
from hipdrop.errors import HipdropError
from hipdrop.models import ResolvedModel, sha256_of
from hipdrop.offline import analyze_source, is_landmarks_file
from hipdrop.settings import Settings

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg",
                            ".wmv", ".mts", ".3gp"})
MARKER = ".complete"
TABLE_CSV = "batch.csv"
TABLE_JSON = "batch.json"
STAGING = ".staging"
LOCK = ".lock"

DONE, FAILED, PENDING = "done", "failed", "pending"


class BatchError(HipdropError):
    """A batch that cannot start: no sources, an output folder in use, Ray missing."""

    exit_status = 2


@dataclass(frozen=True)
class BatchOptions:
    """What every source is analysed with (`hipdrop analyze`'s flags)."""

    settings: Settings = field(default_factory=Settings)
    video: bool = True
    num_poses: int = 1
    estimator: str = "hipdrop"


@dataclass(frozen=True)
class Job:
    """One source to analyse: its absolute path, output folder name and identity on disk."""

    source: str
    name: str
    size: int
    mtime_ns: int
    key: str  # settings + model + options digest (:func:`run_key`)
    video: bool  # whether this job writes annotated.mp4


@dataclass
class Outcome:
    """What became of one source. ``staging`` (pool) or ``files`` (Ray) hold a done one's results."""

    source: str
    name: str
    status: str
    error: str = ""
    summary: dict | None = None
    wall_s: float = 0.0
    cpu_s: float = 0.0  # CPU time of the worker process (all its threads) on this source
    worker: str = ""
    warnings: list[str] = field(default_factory=list)
    resumed: bool = False
    staging: str | None = None
    files: dict[str, bytes] | None = None


# -- sources ----------------------------------------------------------------------------------


def _walk(folder: Path, skip: set[str]) -> Iterator[Path]:
    """Videos under ``folder``, sorted, skipping hidden folders, ``*_hipdrop`` outputs and ``skip``."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not d.endswith("_hipdrop")
                         and os.path.abspath(os.path.join(root, d)) not in skip)
        for name in sorted(files):
            if Path(name).suffix.lower() in VIDEO_SUFFIXES and not name.startswith("."):
                yield Path(root) / name


def discover_sources(specs: Sequence[str | Path], out: Path) -> list[Path]:
    """The sources named by ``specs``: files, folders (searched recursively for videos) and globs.

    Files named explicitly are taken whatever their extension (a landmarks .npz too); folders and
    globs yield videos (and, for globs, .npz files). Paths are absolute, symlinks kept as named,
    duplicates dropped, in the order given. Raises BatchError for a path or pattern that names
    nothing, so a typo does not silently shrink a batch.
    """
    skip = {os.path.abspath(out)}
    found: dict[str, Path] = {}
    for spec in specs:
        text = str(spec)
        path = Path(text).expanduser()
        if path.is_dir():
            hits = list(_walk(path, skip))
            if not hits:
                raise BatchError(f"folder {text} holds no videos")
        elif path.is_file():
            hits = [path]
        elif any(c in text for c in "*?["):
            hits = []
            for match in sorted(glob.glob(os.path.expanduser(text), recursive=True)):
                m = Path(match)
                if m.is_dir():
                    hits.extend(_walk(m, skip))
                elif m.suffix.lower() in VIDEO_SUFFIXES | {".npz"}:
                    hits.append(m)
            if not hits:
                raise BatchError(f"pattern {text} matches no video")
        else:
            raise BatchError(f"no such file or folder: {text}")
        for hit in hits:
            found.setdefault(os.path.abspath(hit), Path(os.path.abspath(hit)))
    if not found:
        raise BatchError("no sources given")
    return list(found.values())


def output_name(source: Path) -> str:
    """``<stem>-<8 hex of the absolute path>``: readable, and unique per source path."""
    digest = hashlib.sha1(os.path.abspath(source).encode("utf-8")).hexdigest()[:8]
    return f"{source.stem}-{digest}"


def run_key(options: BatchOptions, model_name: str, model_digest: str) -> str:
    """Digest of everything a source's result depends on besides the source itself."""
    data = {"settings": options.settings.as_dict(), "estimator": options.estimator,
            "num_poses": options.num_poses, "model": model_name, "model_sha256": model_digest,
            "hipdrop": __version__}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def make_job(source: Path, key: str, video: bool) -> Job:
    st = source.stat()
    return Job(str(source), output_name(source), st.st_size, st.st_mtime_ns, key, video)


def read_marker(folder: Path) -> dict | None:
    try:
        return json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_complete(folder: Path, job: Job) -> bool:
    """True when ``folder`` holds this job's finished results (same file, settings, model)."""
    marker = read_marker(folder)
    return (marker is not None and marker.get("source") == job.source
            and marker.get("size") == job.size and marker.get("mtime_ns") == job.mtime_ns
            and marker.get("key") == job.key and (marker.get("video") or not job.video))


# -- the unit of work ---------------------------------------------------------------------------


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def analyze_one(job: Job, options: BatchOptions, model: ResolvedModel | None, staging: Path,
                worker: str = "", frames_done: Callable[[int], None] | None = None) -> Outcome:
    """Analyse ``job``'s source into ``staging`` and write the completion marker last.

    Never raises for a bad source: the error is the outcome (a batch of thousands goes on past a
    corrupt file, and past a bug that one file triggers, which is then recorded with its type).
    ``frames_done(n)`` is called as the pose model goes through the video.
    """

    def progress(label: str, total: int) -> Callable[[int], None]:
        return frames_done if (frames_done is not None and label == "pose") else (lambda n: None)

    t0, c0 = time.perf_counter(), time.process_time()
    worker = worker or f"{socket.gethostname()}:{os.getpid()}"
    outcome = Outcome(job.source, job.name, FAILED, worker=worker)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = analyze_source(
                Path(job.source), staging, settings=options.settings,
                model=(lambda: model) if model is not None else None, video=job.video,
                num_poses=options.num_poses, estimator=options.estimator,
                progress=progress if frames_done is not None else None)
        except HipdropError as exc:
            outcome.error = str(exc)
        except Exception as exc:  # a bug hit by this file: recorded, the batch goes on
            outcome.error = f"internal error ({type(exc).__name__}): {_first_line(exc)}"
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
        (staging / MARKER).write_text(json.dumps(marker, indent=1), encoding="utf-8")
    return outcome


_FRAMES_QUEUE: Any = None  # in a pool worker: where it reports frames done, (name, frames)


def _pool_init(frames_queue: Any = None) -> None:
    global _FRAMES_QUEUE
    # Ctrl-C reaches the whole process group: only the driver handles it (and ends the workers).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _FRAMES_QUEUE = frames_queue
    if frames_queue is not None:
        frames_queue.cancel_join_thread()  # never let exiting wait on a progress message


def _pool_task(job: Job, options: BatchOptions, model: ResolvedModel | None, staging_root: str) -> Outcome:
    staging = Path(staging_root) / f"{job.name}.{uuid.uuid4().hex[:8]}"
    frames_queue = _FRAMES_QUEUE

    def report(n: int) -> None:
        if n % 16 == 0:
            frames_queue.put_nowait((job.name, n))

    outcome = analyze_one(job, options, model, staging,
                          frames_done=report if frames_queue is not None else None)
    outcome.staging = str(staging)
    return outcome


def _ray_task(job: Job, options: BatchOptions, model_name: str, model_data: bytes | None) -> Outcome:
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


# -- the table ------------------------------------------------------------------------------------

CSV_COLUMNS = ("source", "folder", "status", "error", "frames", "frames_with_pose", "duration_s",
               "fps", "stance_phases", "findings", "verdict_left", "verdict_right", "reps_left",
               "reps_right", "wall_s", "cpu_s", "frames_per_s", "worker", "resumed")


def _row(outcome: Outcome) -> dict[str, Any]:
    s = outcome.summary or {}
    keys = ("stance", "start_s", "end_s", "peak_drop_deg", "drop_interval_deg", "finding",
            "significant", "obliquity_source")
    phases = [{k: p[k] for k in keys if k in p} for p in s.get("stance_phases", [])]
    frames = s.get("frames")
    fps = s.get("fps")
    return {
        "source": outcome.source, "folder": outcome.name, "status": outcome.status,
        "error": outcome.error, "frames": frames, "frames_with_pose": s.get("frames_with_pose"),
        "duration_s": round(frames / fps, 3) if frames and fps else None, "fps": fps,
        "phases": phases, "verdict_left": s.get("verdict", {}).get("left"),
        "verdict_right": s.get("verdict", {}).get("right"),
        "reps_left": s.get("reps", {}).get("left"), "reps_right": s.get("reps", {}).get("right"),
        "wall_s": round(outcome.wall_s, 3) if outcome.status != PENDING else None,
        "cpu_s": round(outcome.cpu_s, 3) if outcome.status != PENDING else None,
        "frames_per_s": round(frames / outcome.wall_s, 2) if frames and outcome.wall_s else None,
        "worker": outcome.worker, "resumed": outcome.resumed, "warnings": outcome.warnings,
    }


def _findings(phases: list[dict]) -> str:
    parts = []
    for p in phases:
        drop = p.get("peak_drop_deg")
        finding = p.get("finding") or ("drop" if p.get("significant") else "no drop")
        parts.append(f"{p['stance']} {p['start_s']:.1f}-{p['end_s']:.1f}s {finding}"
                     + ("" if drop is None else f" peak {drop:+.1f}deg"))
    return "; ".join(parts)


def _cell(v: Any) -> Any:
    return "" if v is None else v


def _atomic_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT/SIGTERM off for a few ms, so a folder move and the table update happen together."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@dataclass
class BatchProgress:
    files_done: int
    files_total: int
    frames_done: int
    frames_total: int  # as the containers announce them (0: unknown)


ProgressCallback = Callable[[BatchProgress], None]


@dataclass
class BatchResult:
    out: Path
    rows: list[dict]
    interrupted: bool = False

    def count(self, status: str) -> int:
        return sum(r["status"] == status for r in self.rows)

    @property
    def failed(self) -> list[dict]:
        return [r for r in self.rows if r["status"] == FAILED]


class BatchTable:
    """The rows of a batch, written to batch.csv and batch.json after every change."""

    def __init__(self, out: Path, jobs: list[Job], meta: dict) -> None:
        self.out = out
        self.meta = meta
        self.outcomes = {j.name: Outcome(j.source, j.name, PENDING) for j in jobs}
        self.dirty = False
        self._last = -math.inf
        self._cost = 0.0

    def record(self, outcome: Outcome) -> None:
        self.outcomes[outcome.name] = outcome

    def rows(self) -> list[dict]:
        return [_row(o) for o in self.outcomes.values()]

    def write(self, force: bool = True) -> None:
        """Rewrite both files; unless ``force``, not more often than every 20 writing times.

        A table of a few hundred rows takes a millisecond: it is rewritten after every source.
        One of tens of thousands takes ~0.1 s, and rewriting it after each of the many sources a
        big cluster finishes a second would cost more than the batch; it then lags by up to 20
        writing times (only a kill -9 sees that: an interrupted batch writes it last).
        """
        start = time.monotonic()
        if not force and start - self._last < 20.0 * self._cost:
            self.dirty = True
            return
        rows = self.rows()
        counts = {s: sum(r["status"] == s for r in rows) for s in (DONE, FAILED, PENDING)}
        doc = self.meta | {"counts": counts, "sources": rows}
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(CSV_COLUMNS)
        for r in rows:
            flat = r | {"stance_phases": len(r["phases"]), "findings": _findings(r["phases"])}
            w.writerow([_cell(flat[c]) for c in CSV_COLUMNS])
        _atomic_text(self.out / TABLE_JSON, json.dumps(doc, indent=1, allow_nan=False) + "\n")
        _atomic_text(self.out / TABLE_CSV, buf.getvalue())
        self.dirty = False
        self._last = time.monotonic()
        self._cost = self._last - start


# -- the drivers ----------------------------------------------------------------------------------


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM ends the batch as Ctrl-C does (finished sources kept, the table true)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    with open(out / LOCK, "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BatchError(f"another hipdrop batch is writing to {out}") from None
        yield


class _Batch:
    """State shared by both drivers: the jobs, the table, the progress, and moving results in."""

    def __init__(self, out: Path, sources: list[Path], options: BatchOptions,
                 model: Callable[[], ResolvedModel] | None, force: bool,
                 progress: ProgressCallback | None) -> None:
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
        self.frames = {j.name: _announced_frames(Path(j.source)) for j in self.pending}
        self.done_files = self.done_frames = 0
        self.live: dict[str, int] = {}
        self.finished: set[str] = set()
        self._tick()

    def _tick(self) -> None:
        if self.progress is not None:
            self.progress(BatchProgress(self.done_files, len(self.pending),
                                        self.done_frames + sum(self.live.values()),
                                        sum(self.frames.values())))

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

    def result(self, interrupted: bool) -> BatchResult:
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


def _is_npz(source: Path) -> bool:
    try:
        return is_landmarks_file(source)
    except OSError:
        return False


def _announced_frames(source: Path) -> int:
    from hipdrop.video import probe

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


def _prepare(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchError(f"cannot create output folder {out} ({exc.strerror})") from None
    if not out.is_dir():
        raise BatchError(f"{out} is not a folder")


def run_pool(sources: list[Path], out: Path, *, options: BatchOptions | None = None,
             model: Callable[[], ResolvedModel] | None = None, jobs: int | None = None,
             force: bool = False, progress: ProgressCallback | None = None,
             task: Callable[..., Outcome] = _pool_task) -> BatchResult:
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
    _prepare(out)
    jobs = jobs or _cpus()
    options = options or BatchOptions()
    with _locked(out), _sigterm_as_interrupt():
        batch = _Batch(out, sources, options, model, force, progress)
        queue = list(batch.pending)
        deaths: dict[str, int] = {}
        interrupted = False

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
                                       initializer=_pool_init, initargs=(frames_queue,))
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
                        else:
                            batch.finish(outcome)
            except BrokenProcessPool:  # from submit: the pool broke between two waits
                pass
            except KeyboardInterrupt:
                interrupted = True
            finally:
                _stop_pool(pool)
                if frames_queue is not None:
                    frames_queue.close()
                    frames_queue.cancel_join_thread()
            if not interrupted:
                for job in running.values():  # broken: the rest of the in-flight ones
                    died(job)
        return batch.result(interrupted)


def _cpus() -> int:
    """The CPUs this process may run on (a container's or taskset's limit, not the machine's)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _stop_pool(pool: Any) -> None:
    """Cancel what has not started and end the workers now (their sources stay unfinished)."""
    terminate = getattr(pool, "terminate_workers", None)  # Python >= 3.14
    if terminate is not None:
        terminate()
    else:  # before 3.14: the processes, taken before shutdown() forgets them
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def run_ray(sources: list[Path], out: Path, *, address: str | None = None,
            options: BatchOptions | None = None, model: Callable[[], ResolvedModel] | None = None,
            jobs: int | None = None, force: bool = False,
            progress: ProgressCallback | None = None,
            task: Callable[..., Outcome] = _ray_task) -> BatchResult:
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
    _prepare(out)
    options = options or BatchOptions()
    with _locked(out), _sigterm_as_interrupt():
        batch = _Batch(out, sources, options, model, force, progress)
        if not batch.pending:
            return batch.result(False)
        try:
            # Quiet: the workers' MediaPipe chatter and Ray's INFO lines would bury the bar.
            quiet = {"log_to_driver": False, "logging_level": logging.ERROR}
            if address:
                ray.init(address=address, **quiet)
            else:
                ray.init(num_cpus=jobs or _cpus(), object_store_memory=200 * 2**20,
                         include_dashboard=False, **quiet)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise BatchError(f"cannot reach the Ray cluster at {address}: {_first_line(exc)}") from None
        interrupted = False
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
                    except ray.exceptions.RayError as exc:
                        outcome = Outcome(job.source, job.name, FAILED,
                                          error=f"Ray task failed twice: {_first_line(exc)}")
                    batch.finish(outcome)
        except KeyboardInterrupt:
            interrupted = True
            for ref in refs:
                with contextlib.suppress(Exception):
                    ray.cancel(ref, force=True)
        finally:
            ray.shutdown()
        return batch.result(interrupted)


def summary_of(result: BatchResult) -> dict:
    """Counts for a one-line report."""
    rows = result.rows
    return {"done": result.count(DONE), "resumed": sum(r["resumed"] for r in rows),
            "failed": result.count(FAILED), "pending": result.count(PENDING), "total": len(rows)}


__all__ = ["BatchError", "BatchOptions", "BatchProgress", "BatchResult", "Job", "Outcome",
           "analyze_one", "discover_sources", "output_name", "run_pool", "run_ray"]
