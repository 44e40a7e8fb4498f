"""The speaker of `hipdrop live`: says :class:`hipdrop.live.cues.Cue` values off the frame loop.

:meth:`Speaker.say` only queues: a worker thread speaks, one cue at a time, so the frame loop
never waits for a voice. A cue that has waited longer than it stays worth saying
(:attr:`Cue.expires_s`) is dropped, a newer countdown number replaces one still queued, and a
full queue drops its oldest cue: the voice keeps up with the person rather than lag behind.
Every cue's outcome (spoken, beeped, muted, dropped) is kept in :attr:`Speaker.log` for the
session's cue log.

Speech is the platform's offline eSpeak NG, run as the ``espeak-ng`` program (Debian package
``espeak-ng``) with the text on its standard input. Not a Python binding: pyttsx3 (the maintained
one) drives the same library through ctypes but plays its audio by ``os.system("aplay ...")``
and is known to hang on a second ``runAndWait`` (pyttsx3 issues 126, 131); a child process
cannot hang or crash the loop, is killed to cut a cue short at the end, and needs no
dependency. Without it, a tone through the first sound player found (``paplay``, ``pw-play``,
``aplay``, ``afplay``), else the terminal bell, marks each cue.
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

import numpy as np

from hipdrop.live.cues import COUNT, RESULT, Cue

ESPEAK = "espeak-ng"
WORDS_PER_MINUTE = 150  # a little slower than espeak's 175: heard from 2-3 m, while moving
PLAYERS = ("paplay", "pw-play", "aplay", "afplay")
SPEAK_TIMEOUT_S = 15.0

# Outcomes in the cue log.
SPOKEN, SOUNDED, MUTED, STALE, SUPERSEDED, OVERFLOW, FAILED, CLOSED = (
    "spoken", "sounded", "muted", "dropped: stale", "dropped: superseded",
    "dropped: queue full", "failed", "dropped: session ended")


class Backend(Protocol):
    """Makes one cue heard; blocks until done (it runs on the speaker's thread)."""

    name: str
    outcome: str  # what a success is logged as (SPOKEN or SOUNDED)

    def speak(self, text: str, kind: str) -> None: ...

    def stop(self) -> None:
        """Cut the current cue short (called from another thread)."""


class _ProcessBackend:
    """A backend that runs one child process per cue."""

    name = "process"
    outcome = SPOKEN

    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._stopped = False

    def _run(self, argv: list[str], stdin: bytes | None = None) -> None:
        with self._lock:
            if self._stopped:
                return
            self._proc = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin is not None
                                          else subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL)
        proc = self._proc
        try:
            proc.communicate(stdin, timeout=SPEAK_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        finally:
            with self._lock:
                self._proc = None
        if proc.returncode not in (0, -9):
            raise OSError(f"{argv[0]} exited with {proc.returncode}")

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._proc is not None and self._proc.poll() is None:
                self._proc.kill()


class EspeakBackend(_ProcessBackend):
    """Speech by the ``espeak-ng`` program (the text on stdin: no quoting, no option injection).
    Without a sound card espeak-ng reports ALSA errors on stderr and exits 0: silenced."""

    name = ESPEAK

    def __init__(self, exe: str, voice: str = "en", wpm: int = WORDS_PER_MINUTE) -> None:
        super().__init__()
        self.argv = [exe, "-v", voice, "-s", str(wpm), "--stdin"]

    def speak(self, text: str, kind: str) -> None:
        self._run(self.argv, text.encode("utf-8"))


def tone_wav(freq_hz: float = 880.0, duration_s: float = 0.15, rate: int = 22050,
             beeps: int = 1) -> bytes:
    """A short sine beep (``beeps`` of them, 0.1 s apart) as 16-bit mono WAV bytes, faded in
    and out (no click)."""
    n = int(rate * duration_s)
    t = np.arange(n) / rate
    fade = np.minimum(1.0, np.minimum(t, duration_s - t) / 0.01)
    beep = 0.4 * np.sin(2 * math.pi * freq_hz * t) * fade
    gap = np.zeros(int(rate * 0.1))
    signal = np.concatenate([x for _ in range(beeps) for x in (beep, gap)][:-1])
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((signal * 32767).astype("<i2").tobytes())
    return buf.getvalue()


class ToneBackend(_ProcessBackend):
    """A beep through a sound player: one for a count, two for anything else, three for the
    result."""

    name = "tone"
    outcome = SOUNDED

    def __init__(self, player: str) -> None:
        super().__init__()
        self.player = player
        self._dir = Path(tempfile.mkdtemp(prefix="hipdrop-tones-"))
        self._files = {}
        for beeps in (1, 2, 3):
            path = self._dir / f"beep{beeps}.wav"
            path.write_bytes(tone_wav(beeps=beeps))
            self._files[beeps] = path

    def speak(self, text: str, kind: str) -> None:
        beeps = 1 if kind == COUNT else 3 if kind == RESULT else 2
        self._run([self.player, str(self._files[beeps])])

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self._dir, ignore_errors=True)


class BellBackend:
    """The terminal bell, where a terminal is there to ring it (else nothing: logged as such)."""

    name = "bell"
    outcome = SOUNDED

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr

    def speak(self, text: str, kind: str) -> None:
        if not self.stream.isatty():
            raise OSError("no terminal to ring the bell in")
        self.stream.write("\a")
        self.stream.flush()

    def stop(self) -> None:
        pass


def default_backend(which: Callable[[str], str | None] = shutil.which) -> Backend:
    """eSpeak NG if installed, else a tone through a sound player, else the terminal bell."""
    exe = which(ESPEAK)
    if exe:
        return EspeakBackend(exe)
    for player in PLAYERS:
        path = which(player)
        if path:
            return ToneBackend(path)
    return BellBackend()


@dataclass
class Said:
    """One cue given to the speaker and what became of it."""

    cue: Cue
    outcome: str
    backend: str

    def to_json(self) -> dict:
        return self.cue.to_json() | {"outcome": self.outcome, "backend": self.backend}


class Speaker:
    """Says cues on a worker thread (``threaded=False``: in :meth:`say` itself, for tests).

    ``clock`` (seconds, monotonic) times how long a cue waited; tests inject one.
    """

    def __init__(self, backend: Backend | None = None, *, muted: bool = False,
                 clock: Callable[[], float] = time.monotonic, max_queue: int = 3,
                 threaded: bool = True) -> None:
        self.backend = backend if backend is not None else default_backend()
        self.muted = muted
        self.clock = clock
        self.max_queue = max_queue
        self.log: list[Said] = []
        self._queue: deque[tuple[Cue, float]] = deque()
        self._cond = threading.Condition()
        self._closing = False
        self._busy = False
        self._thread: threading.Thread | None = None
        if threaded:
            self._thread = threading.Thread(target=self._work, name="hipdrop-voice", daemon=True)
            self._thread.start()

    @property
    def name(self) -> str:
        return self.backend.name

    def toggle_mute(self) -> bool:
        """The mute key: flips and returns ``muted``; muting drops what is queued."""
        with self._cond:
            self.muted = not self.muted
            if self.muted:
                while self._queue:
                    self._record(self._queue.popleft()[0], MUTED)
        return self.muted

    def say(self, cue: Cue) -> None:
        """Queue ``cue`` (never blocks on the voice)."""
        if not cue.say:
            return
        with self._cond:
            if self.muted or self._closing:
                self._record(cue, MUTED if self.muted else CLOSED)
                return
            if self._thread is None:
                self._speak(cue)
                return
            if cue.kind == COUNT:  # "2" is pointless once "1" is due
                for old in [e for e in self._queue if e[0].kind == COUNT]:
                    self._queue.remove(old)
                    self._record(old[0], SUPERSEDED)
            self._queue.append((cue, self.clock()))
            while len(self._queue) > self.max_queue:
                victim = next((e for e in self._queue if e[0].kind != RESULT), self._queue[0])
                self._queue.remove(victim)
                self._record(victim[0], OVERFLOW)
            self._cond.notify()

    def _record(self, cue: Cue, outcome: str) -> None:
        self.log.append(Said(cue, outcome, self.backend.name))

    def _speak(self, cue: Cue) -> None:
        assert cue.say is not None
        try:
            self.backend.speak(cue.say, cue.kind)
        except OSError:
            outcome = FAILED
        else:
            outcome = self.backend.outcome
        with self._cond:
            self._record(cue, outcome)

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._cond.wait()
                if not self._queue:
                    return
                cue, queued = self._queue.popleft()
                if self.clock() - queued > cue.expires_s:
                    self._record(cue, STALE)
                    continue
                self._busy = True
            try:
                self._speak(cue)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def drain(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for the queue to be said; True when it was."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._thread is not None and (self._queue or self._busy):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self, drain_s: float = 0.0) -> None:
        """Say what is queued (up to ``drain_s``), then stop; what is left is logged as
        dropped. Safe to call twice."""
        if drain_s > 0:
            self.drain(drain_s)
        with self._cond:
            self._closing = True
            while self._queue:
                self._record(self._queue.popleft()[0], CLOSED)
            self._cond.notify_all()
        self.backend.stop()
        if self._thread is not None:
            self._thread.join(timeout=2.0)

    def __enter__(self) -> Speaker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RecordingBackend:
    """A backend that says nothing and keeps the words (tests, ``--mute`` runs' dry runs)."""

    name = "recording"
    outcome = SPOKEN

    def __init__(self) -> None:
        self.said: list[str] = []

    def speak(self, text: str, kind: str) -> None:
        self.said.append(text)

    def stop(self) -> None:
        pass

