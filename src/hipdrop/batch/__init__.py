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

from hipdrop.batch.cluster import run_ray
from hipdrop.batch.jobs import (
    DONE,
    FAILED,
    MARKER,
    PENDING,
    STAGING,
    TABLE_CSV,
    TABLE_JSON,
    BatchError,
    BatchOptions,
    Job,
    Outcome,
    discover_sources,
    is_complete,
    make_job,
    output_name,
    read_marker,
    run_key,
)
from hipdrop.batch.pool import run_pool
from hipdrop.batch.run import BatchResult, summary_of
from hipdrop.batch.table import BatchTable
from hipdrop.batch.work import analyze_one, pool_task, ray_task

__all__ = [
    "DONE", "FAILED", "MARKER", "PENDING", "STAGING", "TABLE_CSV", "TABLE_JSON", "BatchError",
    "BatchOptions", "BatchResult", "BatchTable", "Job", "Outcome", "analyze_one",
    "discover_sources", "is_complete", "make_job", "output_name", "pool_task", "ray_task",
    "read_marker", "run_key", "run_pool", "run_ray", "summary_of",
]
