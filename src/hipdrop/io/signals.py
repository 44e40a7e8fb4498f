"""One way for a session to be stopped from outside: SIGINT (Ctrl-C), SIGTERM (``kill``,
``docker stop``) and SIGHUP (the terminal closed) all raise :class:`Interrupted` in the main
thread, which `hipdrop analyze` and `hipdrop live` catch as "stop and save what was measured".

:class:`Interrupted` is a :class:`KeyboardInterrupt`, so every ``except KeyboardInterrupt`` that
already saved on Ctrl-C saves on the other two signals as well. The process then exits with
128 + the signal's number, as a shell reports a process a signal ended.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

# SIGHUP does not exist on Windows.
STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class Interrupted(KeyboardInterrupt):
    """A stop signal arrived; ``signum`` says which."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = int(signum)

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


def signum_of(exc: BaseException) -> int:
    """The signal behind a KeyboardInterrupt (SIGINT for a plain one)."""
    return getattr(exc, "signum", int(signal.SIGINT))


class _State:
    deferring = 0
    pending: int | None = None


def _handler(signum: int, frame: FrameType | None) -> None:
    if _State.deferring:
        _State.pending = signum  # raised when the critical section ends
        return
    raise Interrupted(signum)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, every stop signal raises :class:`Interrupted` (main thread only:
    Python runs signal handlers there, and other threads cannot install them)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    for s in STOP_SIGNALS:
        signal.signal(s, _handler)
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old if old is not None else signal.SIG_DFL)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold stop signals for the few statements of a critical section (a rename and its
    clean-up), then raise the one that came. Nests. Outside :func:`stop_on_signals` it
    changes nothing: a plain Ctrl-C there is Python's own KeyboardInterrupt."""
    _State.deferring += 1
    try:
        yield
    finally:
        _State.deferring -= 1
        if not _State.deferring and _State.pending is not None:
            signum, _State.pending = _State.pending, None
            raise Interrupted(signum)
