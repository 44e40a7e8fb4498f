"""The speaker: it never makes the frame loop wait, drops what has gone stale, logs every cue's
fate, falls back to a tone or the bell; and the real espeak-ng takes the words it is given."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import threading
import wave
from pathlib import Path

import pytest

from hipdrop.live import voice
from hipdrop.live.cues import COUNT, REP, RESULT, STEP, Cue
from hipdrop.live.voice import (
    CLOSED,
    FAILED,
    MUTED,
    OVERFLOW,
    SOUNDED,
    SPOKEN,
    STALE,
    SUPERSEDED,
    BellBackend,
    EspeakBackend,
    RecordingBackend,
    Speaker,
    ToneBackend,
    default_backend,
    tone_wav,
)

WAIT_S = 10.0  # a generous bound on thread hand-offs: never a speed assertion


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class GatedBackend:
    """Blocks in ``speak`` until the test opens the gate; records what it was given."""

    name = "gated"
    outcome = SPOKEN

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.started = threading.Event()
        self.said: list[str] = []

    def speak(self, text: str, kind: str) -> None:
        self.started.set()
        assert self.gate.wait(WAIT_S)
        self.said.append(text)

    def stop(self) -> None:
        self.gate.set()


def outcomes(speaker: Speaker) -> dict[str, str]:
    return {s.cue.say: s.outcome for s in speaker.log if s.cue.say}


def test_say_returns_while_the_voice_is_busy_and_stale_cues_are_dropped():
    clock, backend = Clock(), GatedBackend()
    speaker = Speaker(backend, clock=clock)
    try:
        speaker.say(Cue(0.0, STEP, "Stand on both feet."))
        assert backend.started.wait(WAIT_S)  # speaking now, and blocked
        # These return although the voice is blocked: the frame loop never waits for it.
        speaker.say(Cue(1.0, COUNT, "3"))
        speaker.say(Cue(1.0, COUNT, "2"))  # replaces "3", still queued
        speaker.say(Cue(1.0, REP, "Rep 1."))
        speaker.say(Cue(1.0, RESULT, "Result: fine."))
        clock.now = 5.0  # the voice was stuck 5 s: the count and the rep are stale
        backend.gate.set()
        assert speaker.drain(WAIT_S)
    finally:
        speaker.close()
    assert backend.said == ["Stand on both feet.", "Result: fine."]
    assert outcomes(speaker) == {"Stand on both feet.": SPOKEN, "3": SUPERSEDED, "2": STALE,
                                 "Rep 1.": STALE, "Result: fine.": SPOKEN}


def test_a_full_queue_drops_its_oldest_cue_but_not_the_result():
    backend = GatedBackend()
    speaker = Speaker(backend, max_queue=2)
    try:
        speaker.say(Cue(0.0, STEP, "first"))
        assert backend.started.wait(WAIT_S)
        speaker.say(Cue(0.0, RESULT, "result"))
        for i in range(3):
            speaker.say(Cue(0.0, REP, f"Rep {i + 1}."))
        backend.gate.set()
        assert speaker.drain(WAIT_S)
    finally:
        speaker.close()
    assert outcomes(speaker) == {"first": SPOKEN, "result": SPOKEN, "Rep 1.": OVERFLOW,
                                 "Rep 2.": OVERFLOW, "Rep 3.": SPOKEN}
    assert backend.said == ["first", "result", "Rep 3."]


def test_mute_close_and_a_failing_voice_are_logged():
    backend = RecordingBackend()
    speaker = Speaker(backend, threaded=False)
    speaker.say(Cue(0.0, STEP, "one"))
    assert speaker.toggle_mute() is True
    speaker.say(Cue(0.0, STEP, "two"))
    assert speaker.toggle_mute() is False
    speaker.say(Cue(0.0, STEP, None, "log only"))  # nothing to say: not the speaker's
    speaker.close()
    speaker.say(Cue(0.0, STEP, "three"))
    assert backend.said == ["one"]
    assert outcomes(speaker) == {"one": SPOKEN, "two": MUTED, "three": CLOSED}

    class Broken(RecordingBackend):
        def speak(self, text: str, kind: str) -> None:
            raise OSError("no sound")

    broken = Speaker(Broken(), threaded=False)
    broken.say(Cue(0.0, STEP, "x"))
    assert outcomes(broken) == {"x": FAILED}


def test_closing_with_cues_queued_logs_them_and_stops_the_voice():
    backend = GatedBackend()
    speaker = Speaker(backend)
    speaker.say(Cue(0.0, STEP, "a"))
    assert backend.started.wait(WAIT_S)
    speaker.say(Cue(0.0, STEP, "b"))
    speaker.close()  # GatedBackend.stop opens the gate, as killing espeak-ng ends its cue
    assert outcomes(speaker) == {"a": SPOKEN, "b": CLOSED}


def test_the_backend_is_espeak_then_a_tone_then_the_bell(tmp_path):
    def which(found: set[str]):
        return lambda name: f"/usr/bin/{name}" if name in found else None

    assert isinstance(default_backend(which({"espeak-ng", "aplay"})), EspeakBackend)
    tone = default_backend(which({"aplay"}))
    assert isinstance(tone, ToneBackend) and tone.player == "/usr/bin/aplay"
    tone.stop()
    assert isinstance(default_backend(which(set())), BellBackend)


def test_the_tone_is_a_short_clean_wav():
    data = tone_wav(beeps=2, duration_s=0.15, rate=8000)
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 8000)
        assert w.getnframes() == 2 * 1200 + 800
        samples = w.readframes(w.getnframes())
    assert samples[:2] == b"\x00\x00"  # faded in: no click


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bell_rings_in_a_terminal_only():
    tty = Tty()
    speaker = Speaker(BellBackend(tty), threaded=False)
    speaker.say(Cue(0.0, REP, "Rep 1."))
    assert tty.getvalue() == "\a" and outcomes(speaker) == {"Rep 1.": SOUNDED}
    quiet = Speaker(BellBackend(io.StringIO()), threaded=False)
    quiet.say(Cue(0.0, REP, "Rep 1."))
    assert outcomes(quiet) == {"Rep 1.": FAILED}


def fake_program(tmp_path: Path, name: str) -> Path:
    """An executable that appends its arguments and its stdin to ``name``.log."""
    log = tmp_path / f"{name}.log"
    prog = tmp_path / name
    prog.write_text(f"#!{sys.executable}\nimport sys\n"
                    f"open({str(log)!r}, 'a').write(repr(sys.argv[1:]) + ' ' + "
                    f"sys.stdin.read() + '\\n')\n")
    prog.chmod(0o755)
    return prog


def test_espeak_gets_the_words_on_stdin_and_the_tone_its_file(tmp_path):
    prog = fake_program(tmp_path, "espeak-ng")
    speaker = Speaker(EspeakBackend(str(prog)), threaded=False)
    speaker.say(Cue(0.0, STEP, "-v is not an option here; rep 3"))
    assert (tmp_path / "espeak-ng.log").read_text() == (
        "['-v', 'en', '-s', '150', '--stdin'] -v is not an option here; rep 3\n")
    player = fake_program(tmp_path, "aplay")
    tone = ToneBackend(str(player))
    Speaker(tone, threaded=False).say(Cue(0.0, RESULT, "Result"))
    args = (tmp_path / "aplay.log").read_text()
    assert args.startswith("['") and "beep3.wav" in args
    tone.stop()
    assert not tone._dir.exists()


@pytest.mark.skipif(shutil.which(voice.ESPEAK) is None, reason="espeak-ng is not installed")
def test_the_real_espeak_accepts_our_options(tmp_path):
    """The options the speaker passes make speech (written to a file here: no sound card)."""
    out = tmp_path / "rep.wav"
    argv = [*EspeakBackend(shutil.which(voice.ESPEAK) or "").argv, "-w", str(out)]
    subprocess.run(argv, input=b"Rep 3. Keep the hips level.", check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    with wave.open(str(out)) as w:
        seconds = w.getnframes() / w.getframerate()
    assert 1.0 < seconds < 6.0  # about 2 s of words at 150 words a minute
