"""Every file hipdrop writes goes through here: complete or absent, and never over an input.

A file is written under a hidden temporary name in its own folder, flushed to the disk
(``fsync``) and renamed over its final name (``os.replace``, atomic on POSIX), so an
interruption, a crash or a full disk leaves either the whole new file or none at all.
:class:`OutputPlan` checks and creates the destination folder before any work is done, and
refuses an output that would land on one of the command's inputs.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from hipdrop.errors import OutputError
from hipdrop.io.signals import deferred

_REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EEXIST: "a file of that name is in the way",
    errno.ENAMETOOLONG: "the name is too long",
    errno.ELOOP: "the path is a symlink loop",
    errno.EISDIR: "it is a folder",
    errno.EFBIG: "the file is too large for the file system",
    errno.EIO: "input/output error on the device",
}


def output_error(exc: OSError, path: Path | str) -> OutputError:
    """One line for an OSError met while writing ``path``."""
    reason = _REASONS.get(exc.errno or 0, exc.strerror or type(exc).__name__)
    return OutputError(f"cannot write {path}: {reason}")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename is still atomic
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix) to write; on a clean exit it is
    synced and renamed to ``path``, on any exception (or signal) it is removed.

    For writers that need a file name (a video encoder); :func:`write_file` is simpler.
    """
    path = Path(path)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".part{path.suffix}",
                                    dir=path.parent)
    except OSError as exc:
        raise output_error(exc, path) from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with deferred():
            try:
                with open(tmp, "rb+") as fh:
                    os.fsync(fh.fileno())
                os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; results are not
                os.replace(tmp, path)
            except OSError as exc:
                raise output_error(exc, path) from None
            _fsync_dir(path.parent)
    finally:
        with deferred(), contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_file(path: Path, write: Callable[[IO[Any]], object], *, text: bool = False) -> None:
    """Write ``path`` atomically with ``write(fh)`` (binary file, or UTF-8 text when ``text``)."""
    with atomic_path(path) as tmp:
        try:
            if text:
                with open(tmp, "w", newline="", encoding="utf-8") as fh:
                    write(fh)
            else:
                with open(tmp, "wb") as fh:
                    write(fh)
        except OSError as exc:
            raise output_error(exc, path) from None


def write_bytes(path: Path, data: bytes) -> None:
    write_file(path, lambda fh: fh.write(data))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


@dataclass(frozen=True)
class OutputPlan:
    """A checked, existing, writable output folder and the names that will be written in it."""

    out_dir: Path
    names: tuple[str, ...]
    created: bool = False  # the folder did not exist before prepare()

    @classmethod
    def prepare(cls, out_dir: Path | str, names: Iterable[str], inputs: Iterable[Path | str] = (),
                what: str = "output folder") -> OutputPlan:
        """Check ``out_dir`` and create it, before any work: raises OutputError when it is
        empty, a file, cannot be created or written, or when one of ``names`` in it is (or
        resolves to) one of ``inputs``."""
        if str(out_dir).strip() == "":
            raise OutputError(f"the {what} is an empty name")
        out = Path(out_dir).expanduser()
        names = tuple(names)
        input_paths = [Path(p) for p in inputs]
        for p in input_paths:
            if p.exists() and _same_file(p, out):
                raise OutputError(f"the {what} {out} is the input itself")
        try:
            if out.exists() and not out.is_dir():
                raise OutputError(f"the {what} {out} is a file, not a folder")
            created = not out.is_dir()
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise output_error(exc, out) from None
        for name in names:
            target = out / name
            for p in input_paths:
                if (target.exists() or target.is_symlink()) and p.exists() and _same_file(target, p):
                    raise OutputError(
                        f"{target} would replace the input {p}: choose another folder with --out")
        try:  # writable? (a read-only mount or a folder without write permission)
            fd, probe = tempfile.mkstemp(prefix=".hipdrop-probe.", dir=out)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise output_error(exc, out) from None
        return cls(out, names, created)

    def discard(self) -> None:
        """Remove the folder again if prepare() made it and nothing was written in it."""
        if self.created:
            with contextlib.suppress(OSError):
                self.out_dir.rmdir()  # only succeeds when empty

    def path(self, name: str) -> Path:
        if name not in self.names:
            raise ValueError(f"{name} is not in the output plan {self.names}")
        return self.out_dir / name
