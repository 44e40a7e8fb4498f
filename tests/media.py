"""Small writers of test inputs (videos, landmark files, model bundles) and a hang guard.

Plain functions, not fixtures: tests call them with their own ``tmp_path``.
"""

from __future__ import annotations

import contextlib
import faulthandler
import struct
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np


@contextlib.contextmanager
def hang_guard(seconds: float = 120.0) -> Iterator[None]:
    """Dump every thread's stack and exit if the block takes longer than ``seconds``.

    A test that would hang is a bug: this turns it into a failure that shows where it hung.
    """
    faulthandler.dump_traceback_later(seconds, exit=True, file=sys.__stderr__)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


def write_video(path: Path, frames: list[np.ndarray] | Iterator[np.ndarray], fps: float,
                fourcc: str = "MJPG") -> Path:
    """Write BGR uint8 ``frames`` (all the same size) to ``path`` with OpenCV."""
    frames = iter(frames)
    first = next(frames)
    height, width = first.shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), fps, (width, height))
    assert writer.isOpened(), f"OpenCV cannot write {path} with {fourcc}"
    try:
        writer.write(first)
        for frame in frames:
            writer.write(frame)
    finally:
        writer.release()
    return path


def blank_video(path: Path, seconds: float = 1.0, fps: float = 10.0,
                size: tuple[int, int] = (160, 120), noise: bool = False) -> Path:
    """A video with no person in it: flat grey frames, or uniform noise when ``noise``."""
    width, height = size
    rng = np.random.default_rng(0)
    n = max(round(seconds * fps), 1)
    if noise:
        frames = [rng.integers(0, 256, (height, width, 3), dtype=np.uint8) for _ in range(n)]
    else:
        frames = [np.full((height, width, 3), 128, np.uint8) for _ in range(n)]
    return write_video(path, frames, fps)


def read_frames(path: Path) -> tuple[int, int, int, int]:
    """(frames that decode, frames announced by the container, width, height) of a video."""
    cap = cv2.VideoCapture(str(path))
    try:
        announced = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        decoded = 0
        while True:
            ok, frame = cap.read()
            if not ok or frame is None:
                break
            decoded += 1
    finally:
        cap.release()
    return decoded, announced, width, height


def decode_all(clip: Path) -> tuple[list[np.ndarray], float]:
    """Every frame of ``clip`` (BGR uint8) and its frame rate."""
    cap = cv2.VideoCapture(str(clip))
    try:
        fps = cap.get(cv2.CAP_PROP_FPS)
        frames = []
        while (got := cap.read())[0]:
            frames.append(got[1])
    finally:
        cap.release()
    return frames, fps


def truncated_avi(clip: Path, path: Path, keep: float = 0.5) -> tuple[int, int]:
    """Re-encode ``clip`` as MJPG .avi at ``path``, then keep only the first ``keep`` of its bytes.

    MJPG frames are independent, so the cut file decodes up to the cut and then stops, while its
    header still announces every frame. Returns (frames that decode, frames announced).
    """
    frames, fps = decode_all(clip)
    full = path.with_name(path.stem + "_full.avi")
    write_video(full, frames, fps, "MJPG")
    data = full.read_bytes()
    full.unlink()
    path.write_bytes(data[: int(len(data) * keep)])
    decoded, announced, _, _ = read_frames(path)
    return decoded, announced


def mp4_atoms(path: Path) -> list[tuple[str, int, int]]:
    """Top-level ISO-BMFF boxes of an .mp4: (type, offset, size)."""
    data = Path(path).read_bytes()
    atoms, pos = [], 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
        elif size == 0:
            size = len(data) - pos
        atoms.append((kind.decode("latin-1"), pos, size))
        pos += size
    return atoms


def mp4_without_moov(clip: Path, path: Path) -> Path:
    """A real clip cut in half, where the cut loses its ``moov`` atom (the index at the end)."""
    atoms = {kind: (offset, size) for kind, offset, size in mp4_atoms(clip)}
    data = clip.read_bytes()
    assert "moov" in atoms and "mdat" in atoms, f"{clip.name} is not a plain mp4"
    assert atoms["moov"][0] > atoms["mdat"][0] and atoms["moov"][0] >= len(data) // 2, (
        f"{clip.name} has its moov atom before the media data: cutting it does not lose it")
    path.write_bytes(data[: len(data) // 2])
    return path


def landmark_arrays(frames: int = 10, width: int = 640, height: int = 480,
                    fps: float = 25.0) -> dict[str, np.ndarray]:
    """The arrays of a valid landmarks .npz (random points), to be spoiled by a test."""
    rng = np.random.default_rng(0)
    image = np.empty((frames, 33, 4), np.float32)
    image[..., 0] = rng.uniform(0, width, (frames, 33))
    image[..., 1] = rng.uniform(0, height, (frames, 33))
    image[..., 2] = 0.0
    image[..., 3] = 0.9
    return {
        "image": image,
        "world": rng.normal(0, 0.5, (frames, 33, 3)).astype(np.float32),
        "t": np.arange(frames) / fps,
        "width": np.int32(width), "height": np.int32(height), "fps": np.float64(fps),
        "model": np.str_("full"),
    }


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    np.savez(path, **arrays)
    return path


def fake_bundle(path: Path, members: tuple[str, ...] = ("pose_detector.tflite",
                                                         "pose_landmarks_detector.tflite"),
                content: bytes = b"not a tflite flatbuffer") -> Path:
    """A zip holding ``members`` with ``content``: a .task by its names, not by its contents."""
    with zipfile.ZipFile(path, "w") as zf:
        for name in members:
            zf.writestr(name, content)
    return path


def spoil_one_byte(source: Path, dest: Path, offset: int | None = None) -> Path:
    """Copy ``source`` to ``dest`` with one byte flipped (in the middle by default)."""
    data = bytearray(source.read_bytes())
    offset = len(data) // 2 if offset is None else offset
    data[offset] ^= 0xFF
    dest.write_bytes(bytes(data))
    return dest


def run_cli(capsys, *argv: object) -> tuple[int, str, str]:
    """Run ``hipdrop ARGV`` in-process: (exit status, stdout, stderr).

    argparse's own usage errors exit through SystemExit; they are returned as a status too.
    """
    from hipdrop.cli import main

    try:
        status = main([str(a) for a in argv])
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_error(err: str, *, warnings_allowed: bool = False) -> str:
    """stderr holds exactly one ``hipdrop: error:`` line (warning lines before it only when
    allowed) and no traceback; returns the error line."""
    assert "Traceback" not in err, err
    lines = err.splitlines()
    errors = [line for line in lines if line.startswith("hipdrop: error:")]
    assert len(errors) == 1, f"expected one error line, got:\n{err}"
    others = [line for line in lines if line not in errors]
    if warnings_allowed:
        assert all(line.startswith("hipdrop: warning:") for line in others), err
        assert lines[-1] == errors[0], f"the error must be the last line:\n{err}"
    else:
        assert others == [], f"unexpected stderr lines besides the error:\n{err}"
    return errors[0]
