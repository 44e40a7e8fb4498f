"""Panel placement (hipdrop.reports.layout) and what the live screens draw where, in process:
panels off the person (standing, near the top, side-lying, a raised foot), text sizes at
640x480, the window's size and title. No model, no display."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_guide import standing

from hipdrop.live.guide import GuideView, Step
from hipdrop.live.screens import PILLAR, Screen, loading_screen, render_layout, window_title
from hipdrop.live.window import fit_window, parse_xdpyinfo, parse_xrandr
from hipdrop.pipeline.stream import StreamAnalyzer
from hipdrop.reports.layout import Box, person_box, place_panels
from hipdrop.reports.panels import CAP_AT_480, CAP_PER_FONT_SCALE, cap_px, font_of
from hipdrop.settings import Settings

W, H = 640, 480


# ---------------------------------------------------------------------------------------------
# The pure placement


def test_person_box_holds_every_landmark_and_the_crown():
    p = standing()[:, :2]
    box = person_box(p, 1280, 720)
    assert box is not None
    seen = p[np.isfinite(p).all(axis=1)]
    assert (seen[:, 0] > box.x0).all() and (seen[:, 0] < box.x1).all()
    assert (seen[:, 1] > box.y0).all() and (seen[:, 1] < box.y1).all()
    # The crown, above the nose by more than half the nose-to-shoulders distance.
    assert box.y0 <= p[0, 1] - 0.6 * (p[11, 1] - p[0, 1])
    assert person_box(None, 640, 480) is None
    assert person_box(np.full((33, 2), np.nan), 640, 480) is None


def test_person_box_is_clipped_to_the_canvas():
    p = standing(dy=-150)[:, :2]  # the head above the frame's top
    box = person_box(p, 1280, 720)
    assert box is not None and box.y0 == 0.0 and box.x1 <= 1280


@settings(max_examples=120, deadline=None)
@given(x=st.floats(0, 1), y=st.floats(0, 1), bw=st.floats(40, 300), bh=st.floats(40, 400),
       sizes=st.lists(st.tuples(st.floats(30, 150), st.floats(20, 90)), min_size=1,
                      max_size=4))
def test_panels_avoid_the_person_and_each_other_when_there_is_room(x, y, bw, bh, sizes):
    cw, ch = 1280, 720
    person = Box(x * (cw - bw), y * (ch - bh), x * (cw - bw) + bw, y * (ch - bh) + bh)
    placed = place_panels([[s] for s in sizes], (cw, ch), [person], [(0.5, 0.0)] * len(sizes))
    # Room: the widest strip beside the person holds every panel stacked (4 x 90 + gaps).
    room = max(person.x0, cw - person.x1) >= max(w for w, _ in sizes) + 16
    for i, p in enumerate(placed):
        b = p.box
        assert 0 <= b.x0 and b.x1 <= cw and 0 <= b.y0 and b.y1 <= ch
        assert (b.width, b.height) == pytest.approx(sizes[i])
        if room:
            assert p.clear and b.overlap(person) == 0.0
            assert all(b.overlap(q.box) == 0.0 for q in placed[:i])


def test_a_panel_stays_put_while_clear_and_moves_when_the_person_comes():
    canvas = (1280, 720)
    here = place_panels([[(300, 100)]], canvas, [Box(500, 100, 700, 700)], [(0.5, 0.0)])[0]
    assert here.clear and here.box.y0 < 100  # the top centre is free above the head
    # The person steps to the left a little: the panel, still clear, does not move.
    again = place_panels([[(300, 100)]], canvas, [Box(450, 130, 650, 700)], [(0.5, 0.0)],
                         previous=[here.box])[0]
    assert again.box == here.box
    # The person comes closer, head at the top: the panel moves off them.
    moved = place_panels([[(300, 100)]], canvas, [Box(450, 0, 850, 720)], [(0.5, 0.0)],
                         previous=[here.box])[0]
    assert moved.clear and moved.box != here.box
    assert moved.box.overlap(Box(450, 0, 850, 720)) == 0.0


def test_a_narrower_shape_is_used_where_the_wide_one_cannot_be_clear():
    person = Box(300, 0, 980, 720)  # fills the height: only the side strips are free
    p = place_panels([[(900, 60), (280, 200)]], (1280, 720), [person], [(0.5, 0.0)])[0]
    assert p.clear and p.shape == 1 and p.box.overlap(person) == 0.0


def test_nothing_clear_gives_the_least_overlap():
    p = place_panels([[(600, 300)]], (640, 480), [Box(0, 0, 640, 400)], [(0.5, 0.0)])[0]
    assert not p.clear and p.box.y1 == pytest.approx(472)  # pushed to the bottom


# ---------------------------------------------------------------------------------------------
# The type scale


def test_cap_heights_at_640x480_and_in_proportion():
    assert cap_px("body", W, H) == CAP_AT_480["body"] == 20
    assert cap_px("title", 1280, 960) == 2 * CAP_AT_480["title"]
    assert cap_px("body", 1920, 480) == CAP_AT_480["body"]  # a wide window: the height rules
    # The font scale gives that cap height: measured on drawn capitals.
    import cv2

    for cap in (14.0, 20.0, 44.0):
        s, thick = font_of(cap)
        img = np.zeros((200, 600), np.uint8)
        cv2.putText(img, "HELD", (10, 150), cv2.FONT_HERSHEY_DUPLEX, s, 255, thick, cv2.LINE_AA)
        rows = np.nonzero((img > 127).any(axis=1))[0]
        assert abs((rows.max() - rows.min() + 1) - cap) <= max(2.0, 0.08 * cap), (
            cap, CAP_PER_FONT_SCALE)


# ---------------------------------------------------------------------------------------------
# The screens at 640x480


def person_at(points: np.ndarray, w: int, h: int) -> np.ndarray:
    """``standing()``-style (33, 4) landmarks in a 1280x720 layout, put in a w x h frame."""
    p = points.copy()
    p[:, 0] = (p[:, 0] - 640) * h / 720 + w / 2
    p[:, 1] *= h / 720
    return p


def side_lying() -> np.ndarray:
    """(33, 4): a person lying along the floor, head at image right, one leg raised."""
    p = standing()
    centre = np.array([640.0, 400.0])
    a = math.radians(90)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    p[:, :2] = (p[:, :2] - centre) @ rot.T * 0.9 + centre + (0, 150)
    p[[25, 27, 29, 31], 1] -= np.array([60, 120, 130, 130])  # the top leg raised
    return p


def state_for(points: np.ndarray, w: int, h: int):
    analyzer = StreamAnalyzer(Settings(), w, h, 25.0)
    state = None
    for i in range(5):
        state = analyzer.update(points, None, i / 25)
    return state


VIEWS = {
    "ready": GuideView(Step.READY, "Get into position",
                       "Face the camera, 2-3 m away, whole body in view"),
    "baseline": GuideView(Step.BASELINE, "Stand on both feet", "Stand still, weight on both "
                          "legs", countdown_s=2.2, progress=0.3, note="Hold still a moment"),
    "lift": GuideView(Step.LIFT, "Lift your RIGHT foot", "Bend the knee and lift the foot "
                      "behind you", stance="left"),
    "hold": GuideView(Step.HOLD, "Hold your RIGHT foot up", "Keep the hips level, do not lean",
                      stance="left", countdown_s=12.3, progress=0.6),
}
POSES = {"standing": standing(), "near the top": standing(dy=-90),
         "close": standing(scale=1.25, dy=-40), "off centre": standing(dx=-330),
         "side-lying": side_lying()}
CASES = [("stance", v) for v in VIEWS] + [("reps", None), ("hold", None), ("squat", None)]


def assert_clear(rendered, points: np.ndarray) -> None:
    """No panel covers a landmark as drawn, nor the box kept clear around the person."""
    seen = points[np.isfinite(points).all(axis=1)]
    assert rendered.person is not None
    for d in rendered.panels:
        b = d.box
        inside = ((seen[:, 0] >= b.x0) & (seen[:, 0] < b.x1) & (seen[:, 1] >= b.y0)
                  & (seen[:, 1] < b.y1))
        assert not inside.any(), f"{d.name} covers landmarks {np.nonzero(inside)[0]}"
        assert b.overlap(rendered.person) == 0.0, d.name


@pytest.mark.parametrize("pose", list(POSES))
@pytest.mark.parametrize(("mode", "step"), CASES)
@pytest.mark.parametrize("mirrored", [True, False])
def test_panels_never_cover_the_person(pose, mode, step, mirrored):
    frame = np.full((360, 640, 3), 215, np.uint8)  # a light scene, 16:9 in a 4:3 window
    points = person_at(POSES[pose], 640, 360)
    state = state_for(points, 640, 360)
    screen = Screen(mode, Settings(), state, VIEWS.get(step or ""), mirrored=mirrored)
    r = render_layout(frame, screen, (W, H))
    assert r.image.shape == (H, W, 3)
    assert r.points is not None
    assert_clear(r, r.points)
    names = {d.name for d in r.panels}
    assert "title" in names  # the instruction always finds a place
    if mode in ("reps", "hold"):
        assert {"leg-left", "leg-right"} <= names
    for d in r.panels:  # the person reads everything but the key help from 2-3 m
        floor = CAP_AT_480["small" if d.name in ("keys", "hud") else "body"]
        assert all(cap >= floor - 1e-9 for _, cap in d.lines), d.name


def test_panels_follow_the_person():
    frame = np.full((360, 640, 3), 215, np.uint8)
    memory: dict = {}
    boxes = []
    for dx in (-330, 0, 330):  # the person walks from one side of the picture to the other
        points = person_at(standing(dx=dx), 640, 360)
        screen = Screen("stance", Settings(), state_for(points, 640, 360), VIEWS["lift"],
                        mirrored=False, memory=memory)
        r = render_layout(frame, screen, (W, H))
        assert_clear(r, r.points)
        boxes.append(next(d.box for d in r.panels if d.name == "title"))
    assert boxes[0] != boxes[2]


def test_text_is_drawn_at_its_cap_height(tmp_path):
    """The title's capitals, measured in the pixels of a 640x480 render, are as tall as the
    type scale says (28 px), on a dark plate over a light scene."""
    frame = np.full((480, 640, 3), 230, np.uint8)
    points = person_at(standing(), 640, 480)
    screen = Screen("stance", Settings(), state_for(points, 640, 480),
                    GuideView(Step.READY, "HOLD", ""), mirrored=False)
    r = render_layout(frame, screen, (W, H))
    title = next(d for d in r.panels if d.name == "title")
    x0, y0, x1, y1 = title.box.ints()
    plate = r.image[y0:y1, x0:x1].astype(int)
    text = plate.min(axis=2) > 200
    rows = np.nonzero(text.any(axis=1))[0]
    assert abs((rows.max() - rows.min() + 1) - CAP_AT_480["title"]) <= 2
    background = np.median(plate[~text])
    assert background < 80  # a dark plate: white text on it, never grey on light


def test_widened_and_portrait_windows_letterbox_in_the_background_colour():
    frame = np.full((360, 640, 3), 215, np.uint8)
    wide = render_layout(frame, Screen("reps", Settings()), (1600, 500)).image
    assert wide.shape == (500, 1600, 3)
    assert (wide[250, 5] == PILLAR).all() and (wide[250, -5] == PILLAR).all()
    tall = render_layout(frame, Screen("reps", Settings()), (500, 900)).image
    assert (tall[5, 250] == PILLAR).all() or (tall[5, 250] < 60).all()  # a bar, or a plate


def test_loading_screen_is_not_black_and_names_the_mode():
    img = loading_screen((640, 480), "reps")
    assert img.shape == (480, 640, 3)
    assert (img.min(axis=2) > 200).sum() > 2000  # white text
    assert img.mean() > 20


def test_window_title_has_the_mode_and_step():
    assert window_title(Screen("reps", Settings())) == "hipdrop - reps"
    t = window_title(Screen("stance", Settings(), guide=VIEWS["lift"]))
    assert t == "hipdrop - single-leg stance test - step 3 of 5: Lift your RIGHT foot"


# ---------------------------------------------------------------------------------------------
# The window's size


@pytest.mark.parametrize(("frame", "screen"), [((1280, 720), (1366, 768)),
                                               ((960, 720), (1366, 768)),
                                               ((1280, 720), (3840, 2160)),
                                               ((960, 720), (800, 1280))])
def test_the_window_fits_the_screen(frame, screen):
    w, h = fit_window(*frame, screen)
    assert h <= screen[1] - 72 and w <= screen[0] - 16  # never taller than the screen
    assert abs(w / h - frame[0] / frame[1]) < 0.01
    assert h == screen[1] - 72 or w == screen[0] - 16  # as large as fits


def test_screen_size_from_xrandr_and_xdpyinfo():
    xr = ("Screen 0: minimum 8 x 8, current 3286 x 1080, maximum 32767 x 32767\n"
          "eDP-1 connected 1366x768+0+312 (normal left inverted) 309mm x 174mm\n"
          "HDMI-1 connected primary 1920x1080+1366+0 (normal) 527mm x 296mm\n"
          "DP-1 disconnected (normal left inverted right x axis y axis)\n")
    assert parse_xrandr(xr) == (1920, 1080)
    assert parse_xrandr(xr.replace(" primary", "")) == (1366, 768)
    assert parse_xrandr("Screen 0: minimum 1 x 1, current 1600 x 900, maximum 1600 x 900\n"
                        ) == (1600, 900)
    assert parse_xrandr("") is None
    assert parse_xdpyinfo("screen #0:\n  dimensions:    1600x900 pixels (423x238 mm)\n") == (
        1600, 900)


def test_a_drop_is_never_shown_in_red_text():
    """During a hold with a significant drop, the title stays white and the number is amber:
    red reads as an error."""
    import dataclasses

    from hipdrop.core.tiers import WAIST
    from hipdrop.reports.overlay import AMBER, RED

    frame = np.full((360, 640, 3), 215, np.uint8)
    points = person_at(standing(), 640, 360)
    state = dataclasses.replace(state_for(points, 640, 360), stance="left", drop_deg=8.0,
                                baseline_deg=0.0, source=WAIST)
    r = render_layout(frame, Screen("stance", Settings(), state, VIEWS["hold"]), (W, H))
    red = np.abs(r.image.astype(int) - RED).max(axis=2) < 40
    amber = np.abs(r.image.astype(int) - AMBER).max(axis=2) < 40
    panels = {d.name: d.box.ints() for d in r.panels}
    assert {"title", "drop"} <= set(panels)
    for name, (x0, y0, x1, y1) in panels.items():
        assert not red[y0:y1, x0:x1].any(), name
    x0, y0, x1, y1 = panels["drop"]
    assert amber[y0:y1, x0:x1].sum() > 200  # the drop, in amber


@pytest.mark.parametrize("pose", ["standing", "near the top", "side-lying"])
def test_the_annotated_video_panel_keeps_off_the_person(pose):
    """The annotated video's status panel (the same placement as the window's) is not drawn
    over the person: the darkened plate, found in the pixels, misses the person's box."""
    from hipdrop.reports.overlay import StatusView, draw_status

    frame = np.full((360, 640, 3), 215, np.uint8)
    points = person_at(POSES[pose], 640, 360)
    draw_status(frame, points, StatusView(3.0, "left", 5.0, (1, 2), (4.0, 30.0)), 4.0)
    plate = (frame.max(axis=2) < 100).astype(np.uint8)
    plate = cv2_open(plate, 13)
    assert plate.sum() > 2000
    box = person_box(points[:, :2], 640, 360)
    assert box is not None
    x0, y0, x1, y1 = box.ints()
    assert not plate[y0:y1, x0:x1].any()


def cv2_open(mask: np.ndarray, size: int) -> np.ndarray:
    import cv2

    return cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((size, size), np.uint8))


def test_the_result_screen_says_a_hike_as_the_verdict_does():
    """"No drop" with the whole interval past the threshold the other way is a hike on the
    result screen too, not "the pelvis stayed level" (the printed verdict says hike)."""
    from types import SimpleNamespace

    from hipdrop.live.screens import _result_lines
    from hipdrop.settings import Settings

    def lines(interval):
        sv = SimpleNamespace(code="no drop", interval_deg=interval, reason=None,
                             longest_hold_s=30.0, source="waist", peak_drop_deg=sum(interval) / 2)
        result = SimpleNamespace(verdict=SimpleNamespace(left=sv),
                                 phases={"left": SimpleNamespace(peak_lean_change_deg=0.0)})
        return [line.text for line in _result_lines("left", result, Settings())]

    thr = Settings().drop_threshold_deg
    assert "the pelvis did not drop: the lifted side rose (a hip hike)" in lines((-3 * thr, -thr))
    assert "the pelvis stayed level" in lines((-1.0, 1.0))
