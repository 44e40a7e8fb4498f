"""The jobs of a batch: the sources found (files, folders, globs), their output folder names,
the digest of the settings they are analysed with, and the completion marker that says one is done.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hipdrop import __version__
from hipdrop.errors import HipdropError
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
