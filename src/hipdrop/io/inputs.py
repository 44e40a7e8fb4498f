"""Checks on a file the user names as an input, made with ``stat`` before it is opened."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from hipdrop.errors import InputError


def check_regular_file(path: Path, what: str = "file") -> os.stat_result:
    """Stat ``path`` without opening it; InputError unless it is an existing regular file.

    A FIFO, a device or a socket would block or never end when read: refused up front.
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"{path} is a symlink loop") from None
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            if os.path.islink(path):
                raise InputError(f"{path} is a broken symlink") from None
            raise InputError(f"no such file: {path}") from None
        if exc.errno == errno.EACCES:
            raise InputError(f"{path} cannot be read (permission denied)") from None
        raise InputError(f"{path} cannot be read ({exc.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path} is a folder, not a {what}")
    if not stat.S_ISREG(st.st_mode):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode) else
                "a socket" if stat.S_ISSOCK(st.st_mode) else "a device")
        raise InputError(f"{path} is {kind}, not a regular {what}")
    return st
