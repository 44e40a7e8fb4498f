"""The live window: sized to fit the screen, full screen on F, titled with the mode and step,
and a loading screen while the pose model loads.

The window is drawn at its own size (:func:`hipdrop.live.screens.render` takes it), so the
picture is never stretched, the text is sized from the window, and a widened window shows the
dark background at its sides, not the toolkit's light grey.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import cv2
import numpy as np

from hipdrop.errors import DisplayError
from hipdrop.live.screens import canvas_size, loading_screen

WINDOW = "hipdrop"
FALLBACK_SCREEN = (1280, 800)  # no way to ask (not X11, no xrandr/xdpyinfo): a small laptop
CHROME = (16, 72)  # px of the screen a window cannot use: borders; title bar and a panel


def fit_window(width: int, height: int, screen: tuple[int, int],
               chrome: tuple[int, int] = CHROME) -> tuple[int, int]:
    """The largest (width, height) of aspect ``width:height`` that fits ``screen`` less the
    window manager's ``chrome`` (never taller than the screen), at least 160 px high."""
    sw, sh = max(screen[0] - chrome[0], 160), max(screen[1] - chrome[1], 120)
    k = min(sw / width, sh / height)
    return max(1, int(width * k)), max(1, int(height * k))


_GEOMETRY = re.compile(r"(\d+)x(\d+)\+(\d+)\+(\d+)")


def parse_xrandr(text: str) -> tuple[int, int] | None:
    """The primary monitor's (width, height) in ``xrandr --current`` output (else the first
    connected one, else the whole screen)."""
    monitors = []
    for line in text.splitlines():
        if " connected" in line and (m := _GEOMETRY.search(line)):
            monitors.append((" primary" in line, int(m[1]), int(m[2])))
    if monitors:
        primary = [m for m in monitors if m[0]] or monitors
        return primary[0][1], primary[0][2]
    m = re.search(r"current (\d+) x (\d+)", text)
    return (int(m[1]), int(m[2])) if m else None


def parse_xdpyinfo(text: str) -> tuple[int, int] | None:
    m = re.search(r"dimensions:\s+(\d+)x(\d+) pixels", text)
    return (int(m[1]), int(m[2])) if m else None


def screen_size() -> tuple[int, int]:
    """The screen's (width, height) in px, asked of X (xrandr, then xdpyinfo); elsewhere, or
    when neither answers, :data:`FALLBACK_SCREEN`."""
    if sys.platform.startswith("linux") and os.environ.get("DISPLAY"):
        for argv, parse in ((["xrandr", "--current"], parse_xrandr),
                            (["xdpyinfo"], parse_xdpyinfo)):
            try:
                out = subprocess.run(argv, capture_output=True, text=True, timeout=5).stdout
            except (OSError, subprocess.SubprocessError):
                continue
            if (size := parse(out)) is not None:
                return size
    return FALLBACK_SCREEN


class Window:
    """The OpenCV window; :meth:`show` displays a frame and returns the one key read."""

    def __init__(self, name: str = WINDOW, fullscreen: bool = False,
                 screen: tuple[int, int] | None = None) -> None:
        self.check_display()
        self.name = name
        self.screen = screen or screen_size()
        self.fullscreen = False
        self._fitted_to: tuple[int, int] | None = None
        self._title: str | None = None
        self._unfilled = 0  # frames shown full screen at less than the screen's size
        # FREERATIO: the toolkit never letterboxes (in light grey); the image is drawn at the
        # window's size instead.
        cv2.namedWindow(name, cv2.WINDOW_NORMAL | cv2.WINDOW_FREERATIO | cv2.WINDOW_GUI_NORMAL)
        self.size = fit_window(16, 9, self.screen)
        cv2.resizeWindow(name, *self.size)
        if fullscreen:
            self.toggle_fullscreen()

    @staticmethod
    def check_display() -> None:
        """Raise DisplayError where opening a window would abort the process (Qt without X)."""
        if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
            raise DisplayError("no display to open the window on (DISPLAY is not set): run on "
                               "a desktop, or add --headless")

    def canvas_size(self, frame_shape: tuple[int, ...] | None = None) -> tuple[int, int]:
        """(width, height) to draw at: the window's size now. The first frame (``frame_shape``)
        sizes the window to its aspect, as large as fits the screen."""
        if frame_shape is not None and self._fitted_to is None:
            self._fitted_to = (frame_shape[1], frame_shape[0])
            w, h = canvas_size(frame_shape, None)  # the frame, pillarboxed if portrait
            self.size = fit_window(w, h, self.screen)
            if not self.fullscreen:
                cv2.resizeWindow(self.name, *self.size)
        try:
            _, _, w, h = cv2.getWindowImageRect(self.name)
        except cv2.error:
            w = h = 0
        if w <= 1 or h <= 1:  # not mapped yet
            return self.screen if self.fullscreen else self.size
        if self.fullscreen and (w, h) != self.screen:
            # Without a window manager (or with one that ignores the request) nothing makes
            # the window full screen: after a few frames, make it the screen's size here.
            self._unfilled += 1
            if self._unfilled == 5:
                cv2.moveWindow(self.name, 0, 0)
                cv2.resizeWindow(self.name, *self.screen)
        return w, h

    def toggle_fullscreen(self) -> None:
        """F: full screen, and back to the fitted size."""
        self.fullscreen = not self.fullscreen
        self._unfilled = 0
        cv2.setWindowProperty(self.name, cv2.WND_PROP_FULLSCREEN,
                              cv2.WINDOW_FULLSCREEN if self.fullscreen else cv2.WINDOW_NORMAL)
        if not self.fullscreen:
            cv2.resizeWindow(self.name, *self.size)

    def set_title(self, title: str) -> None:
        if title != self._title:
            cv2.setWindowTitle(self.name, title)
            self._title = title

    def loading(self, mode: str) -> None:
        """Show the loading screen now (the model takes seconds to load, and the window would
        stay black); the toolkit is given a few turns to map and paint it."""
        self.set_title(f"hipdrop - {mode} - loading")
        for _ in range(5):
            cv2.imshow(self.name, loading_screen(self.canvas_size(), mode))
            cv2.waitKey(20)

    def show(self, image: np.ndarray, wait_ms: int = 1) -> int:
        """Display ``image``; the key pressed (``waitKey & 0xFF``) or -1. Read once a frame."""
        cv2.imshow(self.name, image)
        key = cv2.waitKey(wait_ms)
        return -1 if key < 0 else key & 0xFF

    @property
    def closed(self) -> bool:
        """The person closed the window (its close button)."""
        try:
            return cv2.getWindowProperty(self.name, cv2.WND_PROP_VISIBLE) < 1
        except cv2.error:
            return True

    def close(self) -> None:
        try:
            cv2.destroyWindow(self.name)
            cv2.waitKey(1)  # let the GUI thread process the destruction
        except cv2.error:
            pass
