"""Frame sources: newest-frame hand-off, file pacing, and clear errors for lost cameras."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from hipdrop.errors import CameraError, InputError
from hipdrop.io.capture import CameraSource, FileSource, open_source, parse_source


def write_video(path: Path, frames: int, fps: float = 20.0, size: tuple[int, int] = (64, 48)
                ) -> Path:
    """A small mp4 whose frame i has the grey level 20 i mod 240 (so a frame says its index)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, size)
    for i in range(frames):
        writer.write(np.full((size[1], size[0], 3), 20 * i % 240, np.uint8))
    writer.release()
    return path


class FakeCamera:
    """A ``cv2.VideoCapture`` stand-in delivering frames at ``fps``.

    After ``stop_after`` frames it fails (``mode="fail"``: read returns False at once, as a
    unplugged USB camera does) or blocks (``mode="hang"``: a driver that never returns).
    """

    def __init__(self, fps: float = 50.0, stop_after: int | None = None, mode: str = "fail",
                 opened: bool = True, size: tuple[int, int] = (64, 48)) -> None:
        self.fps, self.stop_after, self.mode, self.opened = fps, stop_after, mode, opened
        self.size = size
        self.delivered = 0
        self.released = False
        self._unblock = threading.Event()

    def isOpened(self) -> bool:
        return self.opened

    def get(self, prop: int) -> float:
        return {cv2.CAP_PROP_FRAME_WIDTH: self.size[0], cv2.CAP_PROP_FRAME_HEIGHT: self.size[1],
                cv2.CAP_PROP_FPS: self.fps}.get(prop, 0.0)

    def read(self) -> tuple[bool, np.ndarray | None]:
        if self.stop_after is not None and self.delivered >= self.stop_after:
            if self.mode == "hang":
                self._unblock.wait(30)
            return False, None
        time.sleep(1.0 / self.fps)
        self.delivered += 1
        return True, np.full((self.size[1], self.size[0], 3), self.delivered % 256, np.uint8)

    def release(self) -> None:
        self.released = True
        self._unblock.set()


def test_parse_source(tmp_path):
    clip = write_video(tmp_path / "a.mp4", 3)
    assert parse_source("0") == 0 and parse_source(" 2 ") == 2
    assert parse_source(str(clip)) == clip
    assert parse_source("rtsp://cam.local/stream") == "rtsp://cam.local/stream"
    assert parse_source(str(tmp_path / "missing.mp4")) == tmp_path / "missing.mp4"


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        open_source(str(tmp_path / "missing.mp4"))


def test_file_unpaced_hands_out_every_frame_with_file_times(tmp_path):
    clip = write_video(tmp_path / "a.mp4", 12, fps=20.0)
    with FileSource(clip, paced=False) as src:
        frames = []
        while (f := src.read()) is not None:
            frames.append(f)
            time.sleep(0.01)  # a slow consumer loses nothing when unpaced
        assert src.read() is None  # stays ended
    assert [f.index for f in frames] == list(range(12))
    assert np.allclose([f.t for f in frames], np.arange(12) / 20.0)
    assert src.dropped == 0
    # Frame i really is the i-th frame of the file (grey level 20 i, give or take the codec).
    assert [round(float(f.image.mean()) / 20) for f in frames] == list(range(12))


class FakeClock:
    """Time that moves only when the source waits: pacing checked without the wall clock."""

    def __init__(self, start: float = 100.0) -> None:
        self.now = start
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.now += seconds
        return False  # not being closed


def test_file_paced_plays_at_its_frame_rate(tmp_path):
    clip = write_video(tmp_path / "a.mp4", 20, fps=20.0)
    clock = FakeClock()
    with FileSource(clip, paced=True, clock=clock, wait=clock.wait) as src:
        frames = []
        while (f := src.read()) is not None:
            frames.append(f)
    assert len(frames) == 20 and src.dropped == 0
    # Each frame is released at the source's start + its file time, as a camera would deliver
    # it: 20 frames at 20 fps take 0.95 s of the source's clock from the first to the last.
    released = np.array([f.captured for f in frames]) - 100.0
    assert np.allclose(released, np.arange(20) / 20.0)
    assert np.isclose(sum(clock.waits), 19 / 20.0) and len(clock.waits) == 19


def test_a_late_consumer_delays_the_file_clock_instead_of_losing_frames(tmp_path):
    """When the consumer is behind (the clock already past a frame's time), the source does
    not wait for it and does not skip it."""
    clip = write_video(tmp_path / "a.mp4", 10, fps=20.0)
    clock = FakeClock()
    with FileSource(clip, paced=True, clock=clock, wait=clock.wait) as src:
        frames = []
        while (f := src.read()) is not None:
            frames.append(f)
            clock.now += 0.2  # four frame intervals spent on each frame
    assert [f.index for f in frames] == list(range(10))
    # At most the first two frames are waited for (the source runs up to two frames ahead of
    # the consumer, before it falls behind); no frame after that.
    assert sum(clock.waits) <= 2 / 20.0 + 1e-9


def test_a_paced_file_gives_a_slow_consumer_every_frame(tmp_path):
    """A file is paced like a camera but never drops a frame: a consumer slower than real time
    gets every frame, in order, with the file's own times (the result cannot depend on the
    machine's load)."""
    clip = write_video(tmp_path / "a.mp4", 30, fps=30.0)
    with FileSource(clip, paced=True) as src:
        frames = []
        while (f := src.read()) is not None:
            frames.append(f)
            time.sleep(0.05)  # 1.5 frame intervals per frame
    assert [f.index for f in frames] == list(range(30))
    assert src.dropped == 0
    assert np.allclose([f.t for f in frames], np.arange(30) / 30.0)


def test_camera_keeps_only_the_newest_frame():
    fake = FakeCamera(fps=100.0)
    with CameraSource(0, opener=lambda spec: fake) as cam:
        assert (cam.width, cam.height, cam.fps, cam.live) == (64, 48, 100.0, True)
        frames, behind = [], []
        for _ in range(8):
            frames.append(cam.read())
            # How many frames the camera had delivered beyond the one handed out: the newest
            # (0), or the one being grabbed as it was read (1); a queue would fall 5 behind
            # with each read, whatever the machine's speed.
            behind.append(fake.delivered - 1 - frames[-1].index)
            time.sleep(0.05)  # five camera frames per frame read
    t = np.array([f.t for f in frames])
    assert np.all(np.diff(t) > 0)
    assert np.all(np.diff([f.index for f in frames]) >= 2)  # the ones in between were dropped
    assert cam.dropped >= 8
    assert max(behind) <= 1
    assert fake.released


def test_camera_that_cannot_open_is_one_clear_error():
    fake = FakeCamera(opened=False)
    with pytest.raises(CameraError, match=r"cannot open camera 1 \(is a camera connected"):
        CameraSource(1, opener=lambda spec: fake)
    assert fake.released


@pytest.mark.parametrize("mode", ["fail", "hang"])
def test_camera_that_stops_delivering_raises_camera_error(mode):
    fake = FakeCamera(fps=100.0, stop_after=5, mode=mode)
    with CameraSource(0, stall_s=0.5, opener=lambda spec: fake) as cam:
        got = 0
        with pytest.raises(CameraError, match="camera 0 stopped delivering frames"):
            while True:
                cam.read()
                got += 1
        assert 1 <= got <= 5
        start = time.monotonic()
    # Closing does not wait on a hung driver (which blocks for 30 s): a hang check, not speed.
    assert time.monotonic() - start < 20.0


def test_camera_without_a_first_frame():
    fake = FakeCamera(stop_after=0)
    with CameraSource(0, stall_s=0.3, first_frame_s=0.5, opener=lambda spec: fake) as cam:
        with pytest.raises(CameraError, match="camera 0 opened but delivered no frame in 0 s"):
            cam.read()
