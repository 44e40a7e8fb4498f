"""The live window as a user sees it, under Xvfb: screenshots at each step of the guided test
and in the reps mode, checked for text panels over the person, for text height at 640x480,
for a loading screen that is not black, for a window that fits the screen and goes full
screen with dark (not light-grey) bars, and for a title that names the mode and step.

The camera is a still picture made into a video (a frame of a real clip, repeated), so the
person's landmarks are known for every screenshot: the session's own landmarks.npz, where
every frame shows the same pose. Every wait is for a condition (a title, a size, pixels),
with a deadline only to fail rather than hang; nothing is timed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import clip_path
from media import hang_guard, write_video
from test_live import read_xwd, virtual_screen, x
from test_live import xvfb as xvfb  # the fixture

from hipdrop.core.landmarks import LandmarkSeries
from hipdrop.live.screens import PILLAR, shown_points, to_display
from hipdrop.live.window import CHROME, fit_window
from hipdrop.reports.layout import person_box
from hipdrop.reports.overlay import LEFT_COLOUR, RIGHT_COLOUR

pytestmark = [pytest.mark.model, pytest.mark.clips, pytest.mark.display]

SHOTS = os.environ.get("HIPDROP_SCREENSHOTS")  # a folder to keep the screenshots in


@pytest.fixture(autouse=True)
def _tools_and_guard():
    for tool, package in (("xwd", "x11-apps"), ("xwininfo", "x11-utils"),
                          ("xdotool", "xdotool")):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (apt-get install {package})")
    with hang_guard(240):
        yield


def still_clip(path: Path, clip: str, at_s: float, crop_4x3: bool = False,
               seconds: float = 60.0) -> np.ndarray:
    """Write a video of one frame of ``clip`` (at ``at_s``) held for ``seconds``; return the
    frame as decoded back from the written video."""
    cap = cv2.VideoCapture(str(clip_path(clip)))
    cap.set(cv2.CAP_PROP_POS_MSEC, at_s * 1000)
    ok, frame = cap.read()
    cap.release()
    assert ok
    if crop_4x3:
        h, w = frame.shape[:2]
        cw = h * 4 // 3
        frame = np.ascontiguousarray(frame[:, (w - cw) // 2:(w - cw) // 2 + cw])
    write_video(path, (frame for _ in range(int(seconds * 25))), 25.0)
    cap = cv2.VideoCapture(str(path))
    ok, decoded = cap.read()
    cap.release()
    assert ok
    return decoded


class LiveWindow:
    """A `hipdrop live` process under Xvfb and a way to look at its window."""

    def __init__(self, display: str, argv: list[str], tmp: Path) -> None:
        self.display, self.tmp = display, tmp
        self.proc = subprocess.Popen([sys.executable, "-m", "hipdrop", "live", *argv],
                                     env=os.environ | {"DISPLAY": display},
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.wid = ""

    def find(self) -> tuple[str, str, tuple[int, int, int, int]] | None:
        """(id, title, (x, y, w, h)) of the mapped hipdrop window, or None."""
        tree = x(self.display, "xwininfo", "-root", "-tree")
        for line in tree.splitlines():
            if '"hipdrop' not in line:
                continue
            wid, title = line.split()[0], line.split('"')[1]
            info = x(self.display, "xwininfo", "-id", wid)
            if "IsViewable" not in info:
                continue
            get = {k.strip(): v.strip() for k, v in
                   (row.split(":", 1) for row in info.splitlines() if ":" in row)}
            self.wid = wid
            return wid, title, (int(get["Absolute upper-left X"]),
                                int(get["Absolute upper-left Y"]), int(get["Width"]),
                                int(get["Height"]))
        return None

    def wait(self, what: str, ok: Callable[[str, tuple[int, int, int, int]], bool],
             timeout: float = 120.0) -> tuple[str, tuple[int, int, int, int]]:
        """Poll until ``ok(title, geometry)``; fail (not hang) after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.proc.communicate()[1]
            found = self.find()
            if found is not None and ok(found[1], found[2]):
                return found[1], found[2]
            time.sleep(0.05)
        raise AssertionError(f"the window never showed {what} (last: {self.find()})")

    def shot(self, geometry: tuple[int, int, int, int]) -> np.ndarray:
        x(self.display, "xwd", "-root", "-silent", "-out", str(self.tmp / "screen.xwd"))
        gx, gy, gw, gh = geometry
        return read_xwd(self.tmp / "screen.xwd")[gy:gy + gh, gx:gx + gw]

    def shot_of(self, what: str, ok: Callable[[str, np.ndarray], bool],
                title_ok: Callable[[str], bool], timeout: float = 120.0) -> np.ndarray:
        """A screenshot taken while the title satisfies ``title_ok`` (before and after) and
        whose pixels satisfy ``ok``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            title, geometry = self.wait(what, lambda t, g: title_ok(t), deadline - time.monotonic())
            image = self.shot(geometry)
            again = self.find()
            if again is not None and title_ok(again[1]) and again[2] == geometry and ok(
                    title, image):
                return image
        raise AssertionError(f"no screenshot of {what}")

    def key(self, name: str) -> None:
        x(self.display, "xdotool", "windowfocus", "--sync", self.wid)
        x(self.display, "xdotool", "key", name)

    def finish(self) -> tuple[int, str, str]:
        try:
            out, err = self.proc.communicate(timeout=60)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.communicate()
        return self.proc.returncode, out, err


def count_near(image: np.ndarray, colour: tuple[int, int, int], tol: int = 40) -> int:
    return int((np.abs(image.astype(int) - np.array(colour)).max(axis=2) <= tol).sum())


def skeleton_drawn(_title: str, image: np.ndarray) -> bool:
    return count_near(image, LEFT_COLOUR) > 100 and count_near(image, RIGHT_COLOUR) > 100


def drawn_at_window_size(still: np.ndarray, mirrored: bool = True
                         ) -> Callable[[str, np.ndarray], bool]:
    """A check that a screenshot shows ``still`` drawn for the window's present size (not a
    frame drawn for the size before a resize), with the skeleton on it."""

    def ok(title: str, image: np.ndarray) -> bool:
        h, w = image.shape[:2]
        background = to_display(still, mirrored, (w, h))[0]
        diff = np.abs(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(int)
                      - cv2.cvtColor(background, cv2.COLOR_BGR2GRAY).astype(int))
        return float(np.median(diff)) < 8 and skeleton_drawn(title, image)

    return ok


def plates(shot: np.ndarray, background: np.ndarray) -> np.ndarray:
    """(H, W) bool: where the screenshot is a dark text plate over the picture: darkened to
    under half of the picture's brightness (the plates' 72% black), in blocks bigger than the
    skeleton's lines and outlines (opened away)."""
    lum = cv2.cvtColor(shot, cv2.COLOR_BGR2GRAY).astype(float)
    ref = cv2.cvtColor(background, cv2.COLOR_BGR2GRAY).astype(float)
    dark = ((lum < 0.5 * ref) & (ref > 80)).astype(np.uint8)
    dark = cv2.morphologyEx(dark, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))  # the text
    return cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((13, 13), np.uint8)) > 0


def text_line_heights(shot: np.ndarray, mask: np.ndarray) -> list[int]:
    """Heights (px) of the lines of bright text inside the plates of ``mask``: letters are the
    bright components enclosed by plate (8 px tall or more: not the punctuation); a line,
    letters that share rows; its height, from
    the top of its tallest letter to the bottom of the lowest (capitals and digits: the cap
    height)."""
    grown = cv2.dilate(mask.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    bright = ((shot.min(axis=2) > 170) & grown).astype(np.uint8)
    _, _, stats, _ = cv2.connectedComponentsWithStats(bright, connectivity=8)
    spans = sorted((int(s[1]), int(s[1] + s[3])) for s in stats[1:] if 8 <= s[3] <= 150
                   and s[4] >= 12 and s[2] <= 2.5 * s[3])  # not a dial's needle
    lines: list[list[int]] = []
    for top, bottom in spans:
        if lines and top < lines[-1][1] - 2:
            lines[-1][1] = max(lines[-1][1], bottom)
        else:
            lines.append([top, bottom])
    return [b - t for t, b in lines]


def assert_no_plate_on_the_person(shot: np.ndarray, still: np.ndarray, points: np.ndarray,
                                  mirrored: bool = True) -> np.ndarray:
    h, w = shot.shape[:2]
    background, k, x0, y0 = to_display(still, mirrored, (w, h))
    pts = shown_points(points, k, round(still.shape[1] * k), mirrored, x0, y0)
    box = person_box(pts, w, h)
    assert box is not None
    mask = plates(shot, background)
    assert mask.sum() > 2000, "no text plate found: the check would see nothing"
    bx0, by0, bx1, by1 = box.grown(-4).ints()  # a landmark's jitter between frames
    on = mask[max(by0, 0):by1, max(bx0, 0):bx1]
    assert on.sum() == 0, f"{on.sum()} px of text plate on the person's box {box}"
    return mask


def median_points(session: Path) -> np.ndarray:
    series = LandmarkSeries.load(session / "landmarks.npz")
    return np.nanmedian(series.image[:, :, :2], axis=0)


def keep(name: str, image: np.ndarray) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(Path(SHOTS) / f"{name}.png"), image)


# ---------------------------------------------------------------------------------------------


def test_loading_screen_is_not_black(xvfb, tmp_path):
    code = ("import sys; from hipdrop.live.window import Window; w = Window(); "
            "w.loading('stance'); print('shown', flush=True); sys.stdin.read(); w.close()")
    proc = subprocess.Popen([sys.executable, "-c", code], env=os.environ | {"DISPLAY": xvfb},
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "shown"
        win = LiveWindow.__new__(LiveWindow)
        win.display, win.tmp, win.proc, win.wid = xvfb, tmp_path, proc, ""
        shot = win.shot_of("the loading screen", lambda t, img: img.size > 0 and (
            img.min(axis=2) > 200).sum() > 1000, lambda t: "loading" in t)
    finally:
        proc.communicate("", timeout=30)
    keep("loading", shot)
    assert shot.mean() > 20 and shot.max() == 255  # the background colour and white text
    assert count_near(shot, PILLAR, 4) > 0.5 * shot.shape[0] * shot.shape[1]


def test_guided_test_screens_keep_the_person_clear(xvfb, tmp_path):
    """At each step, in a window resized to 640x480: no panel on the person, text at least
    the type scale's heights, the title naming the step."""
    still = still_clip(tmp_path / "still.avi", "side_leg_raise_standing_front_01.mp4", 0.2,
                       crop_4x3=True)
    session = tmp_path / "session"
    win = LiveWindow(xvfb, ["--source", str(tmp_path / "still.avi"), "--save", str(session)],
                     tmp_path)
    win.wait("the stance test", lambda t, g: "single-leg stance test - step" in t)
    x(xvfb, "xdotool", "windowsize", win.wid, "640", "480")
    drawn = drawn_at_window_size(still)
    shots = {}
    for step in (2, 3):
        shots[step] = win.shot_of(
            f"step {step} at 640x480", lambda t, img: img.shape[:2] == (480, 640)
            and drawn(t, img), lambda t, s=step: f"step {s} of 5" in t)
    win.key("space")  # lift the other foot instead (or, if it is done, the result)
    title, _ = win.wait("the other foot", lambda t, g: "Lift your LEFT foot" in t
                        or "step 5 of 5" in t)
    if "step 5 of 5" not in title:
        win.key("space")  # to the result
    shots[5] = win.shot_of("the result", lambda t, img: img.shape[:2] == (480, 640),
                           lambda t: "step 5 of 5" in t)
    win.key("q")
    status, _, err = win.finish()
    assert status == 0, err
    points = median_points(session)
    for step in (2, 3):
        keep(f"stance-step{step}-640x480", shots[step])
        mask = assert_no_plate_on_the_person(shots[step], still, points)
        heights = text_line_heights(shots[step], mask)
        assert heights and max(heights) >= 27  # the title's capitals: 28 px at 640x480
        assert min(heights) >= 9  # nothing smaller than the small text's lower case
    keep("stance-result-640x480", shots[5])
    mask = shots[5].max(axis=2) < 90  # the result darkens the whole picture
    heights = text_line_heights(shots[5], mask)
    assert len(heights) >= 6 and np.median(heights) >= 19  # body text, 20 px capitals


def test_reps_screen_keeps_a_side_lying_person_clear(xvfb, tmp_path):
    still = still_clip(tmp_path / "still.avi", "side_lying_leg_raise_01.mp4", 4.8)
    session = tmp_path / "session"
    win = LiveWindow(xvfb, ["--source", str(tmp_path / "still.avi"), "--mode", "reps",
                            "--save", str(session)], tmp_path)
    win.wait("the reps mode", lambda t, g: t == "hipdrop - reps")
    x(xvfb, "xdotool", "windowsize", win.wid, "640", "480")
    drawn = drawn_at_window_size(still)
    shot = win.shot_of("reps at 640x480", lambda t, img: img.shape[:2] == (480, 640)
                       and drawn(t, img), lambda t: t == "hipdrop - reps")
    win.key("q")
    status, _, err = win.finish()
    assert status == 0, err
    keep("reps-side-lying-640x480", shot)
    mask = assert_no_plate_on_the_person(shot, still, median_points(session))
    heights = text_line_heights(shot, mask)
    assert max(heights) >= 41  # the rep counts: 44 px digits
    assert min(heights) >= 9


@pytest.fixture
def laptop_xvfb():
    """A virtual 1366x768 screen (a 14-inch laptop's)."""
    with virtual_screen("1366x768") as display:
        yield display


def test_window_fits_a_laptop_screen_and_goes_full_screen(laptop_xvfb, tmp_path):
    still = still_clip(tmp_path / "still.avi", "side_leg_raise_standing_front_01.mp4", 0.2,
                       crop_4x3=True)
    drawn = drawn_at_window_size(still)
    win = LiveWindow(laptop_xvfb, ["--source", str(tmp_path / "still.avi"), "--mode", "hold",
                                   "--save", str(tmp_path / "session")], tmp_path)
    # The first frame sizes the window to the picture (4:3 here), as large as the screen
    # allows less the room for a title bar and a panel.
    want = fit_window(960, 720, (1366, 768))
    _, geometry = win.wait(f"the window at {want}", lambda t, g: g[2:] == want)
    assert geometry[3] <= 768 - CHROME[1]
    fitted = win.shot_of("the hold screen", drawn, lambda t: t == "hipdrop - hold")
    win.key("f")
    win.wait("full screen", lambda t, g: g[2:] == (1366, 768))
    shot = win.shot_of("the full screen", lambda t, img: img.shape[:2] == (768, 1366)
                       and drawn(t, img), lambda t: t == "hipdrop - hold")
    win.key("q")
    status, _, err = win.finish()
    assert status == 0, err
    keep("hold-fitted", fitted)
    keep("hold-fullscreen-1366x768", shot)
    # A 4:3 picture on a 16:9 screen: bars at the sides, in the background colour.
    bar = (1366 - 1024) // 2
    for strip in (shot[:, 2:bar - 2], shot[:, -bar + 2:-2]):
        background = (np.abs(strip.astype(int) - PILLAR).max(axis=2) <= 3)
        # Rows of nothing but the background colour where no panel is; and no row of light
        # grey (a toolkit's letterbox) anywhere.
        assert background.all(axis=1).mean() > 0.2
        assert not (strip.min(axis=2) > 150).all(axis=1).any()
