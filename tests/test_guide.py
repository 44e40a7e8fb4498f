"""The guided stance test and the framing advice, on synthetic frame states and skeletons."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from hipdrop.core.measures import Signals
from hipdrop.core.verdict import make_verdict
from hipdrop.live import guide as gd
from hipdrop.live.guide import FramingAdvice, Guide, GuideTiming, Hold, Issue, Step
from hipdrop.pipeline.analysis import analyze
from hipdrop.pipeline.stream import FrameState
from hipdrop.settings import Settings

FPS = 25.0
W, H = 1280, 720


def state(t: float, stance: str | None = None, stance_s: float = 0.0, pose: bool = True,
          markers: bool = False, waist: bool = False, thigh_deg: float = 20.0,
          source: str = "landmarks") -> FrameState:
    """A FrameState with what the guide reads: time, stance, whether a person is seen, which
    pelvis cues were read, how high the thighs are and what the drop is read from."""
    signals = Signals(np.array([t]), np.array([pose]), np.array([pose]),
                      *([np.array([0.0])] * (len(Signals.CONTINUOUS) + len(Signals.RAW))))
    signals.marker_obliquity_deg = np.array([0.0 if markers else math.nan])
    signals.waist_obliquity_deg = np.array([0.0 if waist else math.nan])
    signals.thigh_elevation_left_deg = signals.thigh_elevation_right_deg = np.array([thigh_deg])
    return FrameState(t, None, signals, stance, stance_s, math.nan, math.nan, (0, 0), None,
                      (False, False), (0.0, 0.0), (0.0, 0.0), source=source)


class Script:
    """Feeds a guide frames at FPS: ``play(seconds, stance, pose)`` segments in order."""

    def __init__(self, guide: Guide, issues: list[Issue] | None = None) -> None:
        self.guide, self.t, self.issues = guide, 0.0, issues or []
        self._stance: str | None = None
        self._since = 0.0
        self.views = []

    def play(self, seconds: float, stance: str | None = None, pose: bool = True) -> None:
        if stance != self._stance:
            self._stance, self._since = stance, self.t
        for _ in range(round(seconds * FPS)):
            s = state(self.t, stance, self.t - self._since if stance else 0.0, pose)
            self.views.append(self.guide.update(s, self.issues))
            self.t += 1.0 / FPS

    @property
    def view(self):
        return self.views[-1]


def quick_guide(**timing: float) -> Guide:
    return Guide(GuideTiming(**({"hold_s": 5.0} | timing)))


def test_the_whole_test_in_order():
    g = quick_guide()
    s = Script(g)
    s.play(0.5)
    assert s.view.step == Step.READY and s.view.title == "Get into position"
    s.play(0.6)  # in view for 1 s: the baseline starts
    assert s.view.step == Step.BASELINE and s.view.title == "Stand on both feet"
    s.play(1.0)
    assert s.view.countdown_s == pytest.approx(2.0, abs=0.1)
    s.play(2.1)
    assert s.view.step == Step.LIFT and s.view.title == "Lift your LEFT foot"
    assert s.view.stance == "right" and s.view.lift == "left"  # the left foot up: right leg tested
    s.play(1.0, "right")  # the hold starts once the stance has lasted 0.5 s, from its start
    assert s.view.step == Step.HOLD and s.view.title == "Hold your LEFT foot up"
    assert s.view.countdown_s == pytest.approx(4.0, abs=0.1)
    s.play(4.1, "right")
    assert s.view.step == Step.BASELINE and s.view.title.startswith("Lower your foot")
    assert s.view.note == "Well done: LEFT foot held 5 s"
    s.play(3.1)
    assert s.view.step == Step.LIFT and s.view.title == "Lift your RIGHT foot"
    s.play(5.2, "left")
    assert s.view.step == Step.RESULT
    assert [(h.stance, h.completed) for h in g.holds] == [("right", True), ("left", True)]
    assert g.holds[0].start_s == pytest.approx(4.2, abs=0.05)
    assert all(h.duration_s == pytest.approx(5.0, abs=0.05) for h in g.holds)


def test_the_other_foot_first_is_tested_first():
    g = quick_guide()
    s = Script(g)
    s.play(4.5)
    assert s.view.step == Step.LIFT and s.view.lift == "left"
    s.play(1.0, "left")  # the RIGHT foot goes up instead
    assert s.view.step == Step.HOLD and s.view.stance == "left"
    assert s.view.note == "You lifted your RIGHT foot: testing that side now, the other after"
    s.play(5.0, "left")
    s.play(3.1)
    assert s.view.step == Step.LIFT and s.view.lift == "left"  # then the one asked for first


def test_a_foot_lifted_before_the_baseline_is_held_at_once():
    g = quick_guide()
    s = Script(g)
    s.play(0.4)
    s.play(0.6, "right")
    assert s.view.step == Step.HOLD and g.holds[0].start_s == pytest.approx(0.4, abs=0.05)


def test_a_brief_touchdown_does_not_end_the_hold_but_a_real_one_does():
    g = quick_guide()
    s = Script(g)
    s.play(4.5)
    s.play(2.0, "right")
    s.play(0.3)  # under the 0.5 s grace
    s.play(0.5, "right")
    assert s.view.step == Step.HOLD and len(g.holds) == 1
    s.play(0.8)  # down for good
    assert s.view.step == Step.LIFT and s.view.lift == "left"
    assert s.view.note.startswith("Foot down after 3 s: lift your LEFT foot again")
    assert not g.holds[0].completed
    s.play(1.0, "right")  # a new attempt, with a fresh countdown
    assert s.view.step == Step.HOLD and len(g.holds) == 2
    assert s.view.countdown_s == pytest.approx(4.0, abs=0.1)


def test_the_note_goes_away():
    g = quick_guide(hold_s=30.0)
    s = Script(g)
    s.play(4.5)
    s.play(1.0, "left")
    assert s.view.note is not None
    s.play(Guide.NOTE_S, "left")
    assert s.view.step == Step.HOLD and s.view.note is None


def test_lifting_a_finished_side_again_is_pointed_out():
    g = quick_guide()
    s = Script(g)
    s.play(4.5)
    s.play(5.6, "right")
    s.play(3.1)
    assert s.view.step == Step.LIFT and s.view.lift == "right"
    s.play(1.0, "right")  # the left foot again
    assert s.view.step == Step.LIFT
    assert s.view.note == "That is your LEFT foot: lift your RIGHT foot"


def test_baseline_and_ready_wait_for_the_person():
    g = quick_guide()
    s = Script(g)
    s.play(2.0, pose=False)  # nobody yet (before the advice says so)
    assert s.view.step == Step.READY
    s.issues = [Issue(gd.FEET_OUT, "feet out")]
    s.play(3.0)
    assert s.view.step == Step.READY  # a blocking issue keeps it waiting
    s.issues = [Issue(gd.TOO_FAR, "closer", blocking=False)]
    s.play(1.1)
    assert s.view.step == Step.BASELINE
    s.play(1.0)
    left = s.view.countdown_s
    assert 1.5 < left < 2.5
    s.play(2.0, pose=False)  # out of view: the countdown pauses
    assert s.view.step == Step.BASELINE and s.view.countdown_s == left
    assert s.view.issues == s.issues


def test_space_moves_on():
    g = quick_guide()
    s = Script(g)
    s.play(0.2)
    g.next()  # READY -> straight to the lift
    s.play(0.1)
    assert s.view.step == Step.LIFT and s.view.lift == "left"
    g.next()  # skip that side
    s.play(0.1)
    assert s.view.step == Step.BASELINE
    s.play(1.0, "left")
    assert s.view.step == Step.HOLD
    g.next()  # end the hold now: counts, not completed
    s.play(0.1)
    assert s.view.step == Step.RESULT
    assert [(h.stance, h.completed) for h in g.holds] == [("left", False)]


def test_finish_closes_the_hold_in_progress():
    g = quick_guide()
    s = Script(g)
    s.play(4.5)
    s.play(2.0, "right")
    g.finish()
    assert g.step == Step.RESULT and not g.holds[0].completed
    assert g.holds[0].duration_s == pytest.approx(2.0, abs=0.1)


def test_timing_follows_the_settings():
    t = GuideTiming.of(Settings(hold_target_s=45.0, min_stance_s=0.7))
    assert (t.hold_s, t.start_s, t.baseline_s) == (45.0, 0.7, 3.0)


# ---------------------------------------------------------------------------------------------
# Framing


def standing(scale: float = 1.0, dx: float = 0.0, dy: float = 0.0, roll_deg: float = 0.0,
             shoulder_width: float = 130.0) -> np.ndarray:
    """(33, 4) a person facing an unmirrored camera in a 1280x720 frame (their left at +x)."""
    p = np.full((33, 4), np.nan)
    p[:, 3] = 1.0
    half = shoulder_width / 2
    points = {0: (640, 130), 11: (640 + half, 210), 12: (640 - half, 210), 13: (720, 300),
              14: (560, 300), 15: (730, 380), 16: (550, 380), 23: (675, 390), 24: (605, 390),
              25: (678, 520), 26: (602, 520), 27: (680, 640), 28: (600, 640), 29: (682, 655),
              30: (598, 655), 31: (700, 660), 32: (580, 660)}
    for i, (x, y) in points.items():
        p[i, :2] = (x, y)
    centre = np.array([640.0, 400.0])
    a = math.radians(roll_deg)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    p[:, :2] = (p[:, :2] - centre) @ rot.T * scale + centre + (dx, dy)
    return p


def codes(image: np.ndarray | None) -> list[str]:
    return [i.code for i in gd.framing_issues(image, W, H)]


def test_a_well_framed_person_has_no_issue():
    assert codes(standing()) == []


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"dy": 120}, [gd.FEET_OUT]),
    ({"dy": -150}, [gd.HEAD_OUT]),
    ({"scale": 1.4}, [gd.TOO_CLOSE]),
    ({"dx": 600}, [gd.SIDE_OUT]),
    ({"dx": -600}, [gd.SIDE_OUT]),
    ({"scale": 0.4}, [gd.TOO_FAR]),
    ({"shoulder_width": 40}, [gd.NOT_FACING]),
    ({"roll_deg": 9}, [gd.TILTED]),
    ({"roll_deg": -9}, [gd.TILTED]),
    ({"roll_deg": 3}, []),
])  # fmt: skip
def test_framing_issues(kwargs, expected):
    assert codes(standing(**kwargs)) == expected


def test_nobody_and_unseen_feet():
    assert codes(None) == [gd.NO_PERSON]
    p = standing()
    p[[27, 28], 3] = 0.1  # ankles placed but not seen
    assert codes(p) == [gd.FEET_OUT]


def test_tilt_message_says_how_much():
    (issue,) = gd.framing_issues(standing(roll_deg=8), W, H)
    assert issue.text == "Camera tilted 8 deg: please level it" and not issue.blocking


def test_a_person_lying_down_is_not_too_far_nor_turned():
    p = standing(scale=1.3, roll_deg=90, dy=150)  # stretched across the frame
    assert codes(p) == []


def test_advice_waits_before_showing_and_before_hiding():
    advice = FramingAdvice(hide_s=0.6)
    feet = Issue(gd.FEET_OUT, "feet", delay_s=0.6)
    tilt = Issue(gd.TILTED, "tilt", blocking=False, delay_s=2.0)
    assert advice.update([feet, tilt], 0.0) == []
    assert advice.update([feet, tilt], 0.7) == [feet]
    assert advice.update([feet, tilt], 2.1) == [feet, tilt]
    assert advice.update([tilt], 2.5) == [feet, tilt]  # gone for 0.4 s only
    assert advice.update([tilt], 3.5) == [tilt]
    assert advice.update([], 5.0) == []


# ---------------------------------------------------------------------------------------------
# The result


@pytest.mark.model
@pytest.mark.clips
def test_result_rests_on_the_phases_of_the_holds(clip_landmarks):
    analysis = analyze(clip_landmarks("side_leg_raise_standing_front_01.mp4"))
    phases = analysis.phases
    assert {p.stance for p in phases} == {"left", "right"}
    # Only the second left-leg phase and the first right-leg phase were test holds.
    left = [p for p in phases if p.stance == "left"][1]
    right = next(p for p in phases if p.stance == "right")
    holds = [Hold("left", left.start_s, left.end_s - 0.2), Hold("right", right.start_s + 0.1,
                                                               right.end_s)]
    result = gd.guided_result(analysis, holds)
    assert result.phases == {"left": left, "right": right}
    assert result.verdict == make_verdict([left, right], analysis.settings)
    # The comparison is what the verdict says beyond the two sides' own sentences.
    assert result.comparison == result.verdict.comparison
    assert result.verdict.left.text not in result.comparison
    assert result.comparison in " ".join(result.verdict.text.split())
    assert result.to_json()["holds"][0] == {
        "stance": "left", "lifted": "right", "start_s": round(left.start_s, 3),
        "end_s": round(left.end_s - 0.2, 3), "duration_s": round(left.end_s - 0.2
                                                                 - left.start_s, 3),
        "completed": False}
    nothing = gd.guided_result(analysis, [])
    assert nothing.phases == {"left": None, "right": None}
    assert nothing.verdict.left.code == nothing.verdict.right.code == "not tested"


def test_a_hidden_waist_is_advised_only_where_it_could_be_seen():
    from hipdrop.live.guide import WAIST_HIDDEN, framing_issues
    from hipdrop.testing import scripted as sc

    series, _ = sc.landmarks([sc.Segment("double", 0.2)], sc.Camera(1280, 720, 330.0), fps=10)
    image = series.image[0]
    codes = lambda **kw: [i.code for i in framing_issues(image, 1280, 720, **kw)]  # noqa: E731
    assert WAIST_HIDDEN in codes(pelvis_seen=False)
    assert WAIST_HIDDEN not in codes(pelvis_seen=True)
    assert WAIST_HIDDEN not in codes()
    small, _ = sc.landmarks([sc.Segment("double", 0.2)], sc.Camera(640, 360, 110.0), fps=10)
    assert WAIST_HIDDEN not in [i.code for i in framing_issues(small.image[0], 640, 360,
                                                                pelvis_seen=False)]


# ---------------------------------------------------------------------------------------------
# The clinical protocol (issue 8): the lift asked for, what the pelvis is read from, the lift
# too high to read


def _baseline_detail(**cues: bool) -> str:
    g = quick_guide()
    for i in range(40):  # 1.6 s: through READY into the baseline
        view = g.update(state(i / FPS, **cues), [])
    assert view.step == Step.BASELINE
    return view.detail


def test_the_baseline_says_what_the_pelvis_is_read_from():
    assert "I can see both stickers" in _baseline_detail(markers=True, waist=True)
    assert "I can see your waistband" in _baseline_detail(waist=True)
    hidden = _baseline_detail()
    assert "can't see your waist" in hidden and "stickers on your hip bones" in hidden


def test_the_lift_asked_for_is_the_clinical_one():
    g = quick_guide()
    s = Script(g)
    s.play(4.2)
    assert s.view.step == Step.LIFT
    assert "knee" in s.view.detail and "behind" in s.view.detail


def test_a_thigh_lifted_too_high_is_pointed_out_while_read_from_the_hip_points():
    g = quick_guide(hold_s=30.0)
    t = 0.0
    for stance_s in np.arange(0.0, 3.0, 1.0 / FPS):
        view = g.update(state(t, "right", stance_s, thigh_deg=80.0), [])
        t += 1.0 / FPS
    assert view.step == Step.HOLD and view.note and "too high" in view.note
    # Read from stickers, a high thigh does not spoil the reading: nothing is said.
    g = quick_guide(hold_s=30.0)
    for i, stance_s in enumerate(np.arange(0.0, 3.0, 1.0 / FPS)):
        view = g.update(state(i / FPS, "right", stance_s, thigh_deg=80.0, markers=True,
                              source="markers"), [])
    assert view.step == Step.HOLD and not (view.note and "too high" in view.note)


def test_the_baseline_says_why_it_waits():
    """A countdown that stops says why (it froze at 3 without a word for a person lying down)."""
    g = Guide()
    g.step = Step.BASELINE
    for i in range(20):
        lying = state(i * 0.1)
        lying.signals.upright = np.array([False])
        view = g.update(lying, [])
    assert view.countdown_s == g.timing.baseline_s
    assert view.note == "Stand up straight: the baseline is taken standing"
    for i in range(5):
        view = g.update(state(2.0 + i * 0.1), [])
    assert view.note != "Stand up straight: the baseline is taken standing"
    assert view.countdown_s < g.timing.baseline_s


def _framing_numpy(image, width, height, lim=None, pelvis_seen=None):
    """framing_issues as it was in NumPy (before the plain-float form): the reference."""
    from hipdrop.core import kinematics as kin

    lim = lim or gd.FramingLimits()
    if image is None or not np.isfinite(image[:, :2]).any():
        return [gd.NO_PERSON]
    xy = image[:, :2].astype(np.float64)
    mx, my = lim.margin * width, lim.margin * height
    with np.errstate(invalid="ignore"):
        seen = image[:, 3] >= lim.min_visibility
        out_x = (xy[:, 0] < mx) | (xy[:, 0] > width - mx)
        above, below = xy[:, 1] < my, xy[:, 1] > height - my
    feet, body_pts = gd._FEET, gd._BODY
    side_out = bool(out_x[body_pts].any())
    feet_out = bool(below[feet].any() or not (seen | out_x)[[27, 28]].all())
    head_out = bool(above[[0, 11, 12]].any() or not (seen | out_x)[[11, 12]].all())
    feet_y = float(np.nanmax(xy[feet, 1])) if np.isfinite(xy[feet, 1]).any() else math.nan
    top_y = xy[0, 1] - gd._HEAD_ABOVE_NOSE * (feet_y - xy[0, 1])
    body = (feet_y - top_y) / height
    length = float(np.linalg.norm(xy[0] - kin.midpoint(xy, 27, 28))) * (
        1 + gd._HEAD_ABOVE_NOSE) / height
    issues = []
    if (feet_out and head_out) or body > lim.max_height:
        issues.append(gd.TOO_CLOSE)
    elif feet_out:
        issues.append(gd.FEET_OUT)
    elif head_out:
        issues.append(gd.HEAD_OUT)
    if side_out and not issues:
        issues.append(gd.SIDE_OUT)
    if issues:
        return issues
    if length < lim.min_height:
        issues.append(gd.TOO_FAR)
    with np.errstate(invalid="ignore"):
        up = bool(kin.upright(xy))
    if up:
        shoulders = np.linalg.norm(xy[11] - xy[12])
        trunk = np.linalg.norm(kin.midpoint(xy, 11, 12) - kin.midpoint(xy, 23, 24))
        with np.errstate(all="ignore"):
            if trunk > 0 and shoulders / trunk < lim.min_width_ratio:
                issues.append(gd.NOT_FACING)
        left_sign = 1.0 if xy[23, 0] >= xy[24, 0] else -1.0
        axis = kin.midpoint(xy, 11, 12) - kin.midpoint(xy, 27, 28)
        rolls = np.array([-float(kin.obliquity_deg(xy[23], xy[24])),
                          -float(kin.obliquity_deg(xy[11], xy[12])),
                          float(kin.trunk_lean_left_deg(xy)),
                          math.degrees(math.atan2(axis[0] * left_sign, -axis[1]))])
        with np.errstate(invalid="ignore"):
            if np.all(np.abs(rolls) >= 0.7 * lim.tilt_deg) and abs(np.sign(rolls).sum()) == 4:
                roll = float(np.median(rolls))
                if abs(roll) >= lim.tilt_deg:
                    issues.append(f"{gd.TILTED} {abs(roll):.0f}")
        hips = float(np.linalg.norm(xy[23] - xy[24]))
        if pelvis_seen is False and hips >= gd._MIN_PELVIS_PX:
            issues.append(gd.WAIST_HIDDEN)
    return issues


def _codes_with_tilt(issues):
    return [f"{i.code} {i.text.split()[2]}" if i.code == gd.TILTED else i.code for i in issues]


_moves = st.lists(st.tuples(st.sampled_from([0, 11, 12, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
                                             15]),
                            st.sampled_from(["x", "y", "vis", "nan"]),
                            st.one_of(st.floats(-200, 1500),
                                      st.sampled_from([0.0, 12.8, 7.2, 1267.2, 712.8, 0.3]))),
                  max_size=6)


@hyp_settings(max_examples=400, deadline=None)
@given(scale=st.floats(0.3, 1.5), dx=st.floats(-700, 700), dy=st.floats(-200, 200),
       roll=st.floats(-20, 20), width=st.floats(20, 200), moves=_moves,
       f32=st.booleans(), pelvis=st.sampled_from([None, True, False]),
       lim=st.sampled_from([None, gd.FramingLimits(min_visibility=0.3, tilt_deg=4.0)]))
def test_framing_issues_are_the_numpy_ones(scale, dx, dy, roll, width, moves, f32, pelvis,
                                           lim):
    image = standing(scale, dx, dy, roll, width)
    for k, what, value in moves:
        if what == "nan":
            image[k, :2] = np.nan
        else:
            image[k, {"x": 0, "y": 1, "vis": 3}[what]] = value
    if f32:
        image = image.astype(np.float32)
    got = _codes_with_tilt(gd.framing_issues(image, W, H, lim, pelvis_seen=pelvis))
    assert got == _framing_numpy(image, W, H, lim, pelvis_seen=pelvis)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("threshold", [0.7, 0.5, 0.3, 0.1, 1, 0])
def test_visibility_test_on_floats_is_numpys(dtype, threshold):
    # framing_issues tests the listed landmarks' visibility in Python floats: the array's own
    # comparison (a float32 array compares in float32: float32(0.7) < 0.7 is seen at 0.7).
    v = np.float32(threshold)
    values = np.array([v, np.nextafter(v, np.float32(0)), np.nextafter(v, np.float32(2)), 0.7,
                       np.nan, -np.inf, np.inf], dtype)
    limit = gd._in_precision(threshold, values.dtype)
    assert [x >= limit for x in values.tolist()] == (values >= threshold).tolist()


def test_framing_visibility_at_a_threshold_float32_rounds():
    # Visibilities of float32(0.7) are seen at min_visibility 0.7, as NumPy compares a float32
    # array (as Python floats they are 0.699999988 < 0.7: feet and head would be "out").
    lim = gd.FramingLimits(min_visibility=0.7)
    image = standing().astype(np.float32)
    image[:, 3] = np.float32(0.7)
    assert gd.framing_issues(image, W, H, lim) == []
    image[:, 3] = np.nextafter(np.float32(0.7), np.float32(0))
    assert [i.code for i in gd.framing_issues(image, W, H, lim)] == [gd.TOO_CLOSE]
    # the listed points given by the caller: the same answers
    for vis in (0.7, 0.69):
        image[:, 3] = vis
        assert gd.framing_issues(image, W, H, lim) == gd.framing_issues(
            image, W, H, lim, points=image.tolist())
