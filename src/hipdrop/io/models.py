"""The registry of MediaPipe Pose Landmarker bundles: where they come from, where they are found.

Resolution order for a model named on the command line (``--model``):
1. an existing file path (``--model path/to/x.task``);
2. ``$HIPDROP_MODEL_DIR/<file>``;
3. ``models/<file>`` in the working copy (the folder that holds pyproject.toml);
4. the user cache, ``$XDG_CACHE_HOME/hipdrop/models`` (``~/.cache/hipdrop/models``),
   where a missing model is downloaded on first use when the network allows.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from hipdrop.errors import ModelError
from hipdrop.progress import DOWNLOAD, Progress

DEFAULT_MODEL = "full"
_URL = (
    "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
    "pose_landmarker_{0}/float16/latest/pose_landmarker_{0}.task"
)
_MEMBERS = ("pose_detector.tflite", "pose_landmarks_detector.tflite")


@dataclass(frozen=True)
class ModelInfo:
    """One upstream bundle. ``sha256`` lists every accepted digest (upstream rebuilds)."""

    name: str
    size: int
    sha256: tuple[str, ...]

    @property
    def filename(self) -> str:
        return f"pose_landmarker_{self.name}.task"

    @property
    def url(self) -> str:
        return _URL.format(self.name)


REGISTRY: dict[str, ModelInfo] = {
    m.name: m
    for m in (
        ModelInfo("lite", 5_777_746,
                  ("59929e1d1ee95287735ddd833b19cf4ac46d29bc7afddbbf6753c459690d574a",)),
        ModelInfo("full", 9_398_198,
                  ("4eaa5eb7a98365221087693fcc286334cf0858e2eb6e15b506aa4a7ecdcec4ad",
                   # float16/1: the same two .tflite members, other zip timestamps.
                   "5134a3aad27a58b93da0088d431f366da362b44e3ccfbe3462b3827a839011b1")),
        ModelInfo("heavy", 30_664_242,
                  ("64437af838a65d18e5ba7a0d39b465540069bc8aae8308de3e318aad31fcbc7b",)),
    )
}  # fmt: skip


@dataclass(frozen=True)
class ResolvedModel:
    """A model file ready to load: its registry name (or file stem) and path.

    ``data``, when given, is the bundle's bytes: the landmarker loads from them and ``path`` only
    names the model in messages (a cluster worker that has no model file receives the bytes).
    """

    name: str
    path: Path
    data: bytes | None = field(default=None, repr=False, compare=False)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_bundle(path: Path) -> None:
    """Raise ModelError unless ``path`` is a zip holding the two Pose Landmarker .tflite files."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(f"{path} is not a Pose Landmarker model bundle ({exc})") from None
    missing = [m for m in _MEMBERS if m not in names]
    if missing:
        raise ModelError(f"{path} is not a Pose Landmarker model bundle (no {', '.join(missing)})")


def search_dirs() -> list[Path]:
    """Folders searched for a model by name, in order (see the module docstring)."""
    dirs = []
    if os.environ.get("HIPDROP_MODEL_DIR"):
        dirs.append(Path(os.environ["HIPDROP_MODEL_DIR"]).expanduser())
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file():
        dirs.append(checkout / "models")
    dirs.append(cache_dir())
    return dirs


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "hipdrop" / "models"


def find(info: ModelInfo) -> Path | None:
    """The first file named like ``info`` in :func:`search_dirs`, verified or not."""
    for folder in search_dirs():
        candidate = folder / info.filename
        if candidate.is_file():
            return candidate
    return None


def verify(path: Path, info: ModelInfo) -> None:
    """Raise ModelError unless ``path`` has one of ``info``'s digests."""
    digest = sha256_of(path)
    if digest not in info.sha256:
        raise ModelError(
            f"model file {path} fails its checksum (sha256 {digest[:12]}..., expected "
            f"{info.sha256[0][:12]}...): delete it and run `hipdrop models fetch {info.name}`"
        )


def resolve(spec: str | None = None, *, download: bool = True,
            progress: Progress | None = None) -> ResolvedModel:
    """Find (or download: ``progress("download", bytes, total)``) the model named ``spec``
    (a registry name or a file path)."""
    spec = spec or DEFAULT_MODEL
    if spec not in REGISTRY:
        path = Path(spec).expanduser()
        if not path.is_file():
            names = ", ".join(REGISTRY)
            raise ModelError(f"model {spec!r} is neither a file nor one of: {names}")
        check_bundle(path)
        digest = sha256_of(path)
        known = next((m for m in REGISTRY.values() if digest in m.sha256), None)
        if known is None and path.name in {m.filename for m in REGISTRY.values()}:
            raise ModelError(f"model file {path} fails its checksum (sha256 {digest[:12]}...)")
        return ResolvedModel(known.name if known else path.stem, path)
    info = REGISTRY[spec]
    found = find(info)
    if found is None:
        if not download:
            raise ModelError(missing_message(info))
        found = fetch(info, progress=progress)
    verify(found, info)
    return ResolvedModel(info.name, found)


def missing_message(info: ModelInfo) -> str:
    return (
        f"model {info.name!r} not found: run `hipdrop models fetch {info.name}` on a machine with "
        f"internet access, or put {info.filename} in $HIPDROP_MODEL_DIR or {cache_dir()}"
    )


def fetch(info: ModelInfo, dest_dir: Path | None = None,
          progress: Progress | None = None, timeout: float = 30.0) -> Path:
    """Download ``info`` into ``dest_dir`` (the user cache), check it, and move it into place.

    The file appears under its final name only once complete and verified, so an interrupted
    download never leaves a half file where :func:`find` would pick it up.
    """
    dest_dir = Path(dest_dir) if dest_dir else cache_dir()
    try:  # $XDG_CACHE_HOME may be a file, read-only, full...
        dest_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".download-", suffix=".task", dir=dest_dir)
    except OSError as exc:
        raise ModelError(f"cannot store model {info.name!r} in {dest_dir} ({exc.strerror}): "
                         f"{missing_message(info)}") from None
    target = dest_dir / info.filename
    tmp = Path(tmp_name)
    try:
        try:
            with urllib.request.urlopen(info.url, timeout=timeout) as response, os.fdopen(fd, "wb") as out:
                total = int(response.headers.get("Content-Length") or info.size)
                done = 0
                for block in iter(lambda: response.read(1 << 16), b""):
                    out.write(block)
                    done += len(block)
                    if progress:
                        progress(DOWNLOAD, done, total)
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ModelError(
                f"could not download model {info.name!r} ({reason}); {missing_message(info)}"
            ) from None
        verify(tmp, info)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


@dataclass(frozen=True)
class ModelStatus:
    info: ModelInfo
    path: Path | None
    verified: bool


def status() -> list[ModelStatus]:
    """Each registry model, where it was found, and whether its checksum holds."""
    rows = []
    for info in REGISTRY.values():
        path = find(info)
        ok = path is not None and sha256_of(path) in info.sha256
        rows.append(ModelStatus(info, path, ok))
    return rows
