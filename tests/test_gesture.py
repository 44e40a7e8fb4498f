"""The raised-hands gesture: the per-frame reading with its hysteresis, the one trigger per
raise, the guide going on with it (scripted streams), and the reading on the real clips."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hipdrop.io.pose import PoseFrame
from hipdrop.live.app import LiveSession
from hipdrop.live.gesture import L_WRIST, NOSE, R_WRIST, HandsUp, hands_up
from hipdrop.live.guide import Step
from hipdrop.settings import Settings
from hipdrop.testing.scripted import Camera, Segment, landmarks, stance_test

FPS = 30.0


def raise_hands(image: np.ndarray, t: np.ndarray, start: float, end: float,
                height: float = 1.0, which: tuple[int, ...] = (L_WRIST, R_WRIST)) -> np.ndarray:
    """``image`` (T, 33, 4) with the wrists ``height`` shoulder widths above the nose from
    ``start`` to ``end`` s (a copy)."""
    out = image.copy()
    m = (t >= start) & (t < end)
    width = np.linalg.norm(out[:, 11, :2] - out[:, 12, :2], axis=1)
    for j, shoulder in ((L_WRIST, 11), (R_WRIST, 12)):
        if j in which:
            out[m, j, 0] = out[m, shoulder, 0]
            out[m, j, 1] = out[m, NOSE, 1] - height * width[m]
    return out


def triggers(image: np.ndarray, t: np.ndarray, hold_s: float = 1.0) -> list[float]:
    g = HandsUp(hold_s)
    return [float(ti) for frame, ti in zip(image, t, strict=True) if g.update(frame, float(ti))]


def test_nothing_in_the_exercises_raises_both_hands():
    segments = [*stance_test(hold_s=5.0), Segment("abduction", 6.0, "left", reps=3),
                Segment("lying", 6.0, "right", reps=3), Segment("hold", 5.0, "left")]
    series, _ = landmarks(segments, fps=FPS, noise_px=2.0)
    assert not any(hands_up(f) for f in series.image)
    assert triggers(series.image, series.t) == []


@pytest.mark.parametrize("camera", [Camera(), Camera(640, 480, px_per_m=150.0, roll_deg=5.0)])
def test_one_trigger_per_raise_held_a_second(camera):
    series, _ = landmarks([Segment("double", 10.0)], camera, fps=FPS, noise_px=1.0)
    image = raise_hands(series.image, series.t, 2.0, 5.0)
    image = raise_hands(image, series.t, 6.0, 6.6)  # too short
    image = raise_hands(image, series.t, 7.0, 8.5)
    fired = triggers(image, series.t)
    assert fired == [pytest.approx(3.0, abs=1.5 / FPS), pytest.approx(8.0, abs=1.5 / FPS)]


def test_hysteresis_holds_through_jitter_at_the_threshold():
    """Wrists wavering between just above the nose and well above the head: one raise, not
    several; a raise that never clears the head is none."""
    series, _ = landmarks([Segment("double", 6.0)], fps=FPS)
    t = series.t
    image = raise_hands(series.image, t, 1.0, 4.0, height=1.0)
    wobble = (t >= 1.5) & (t < 4.0) & (np.arange(len(t)) % 2 == 0)
    low = raise_hands(series.image, t, 0.0, 6.0, height=0.3)  # above the nose, under the head
    image[wobble] = low[wobble]
    assert triggers(image, t) == [pytest.approx(2.0, abs=1.5 / FPS)]
    assert triggers(low, t) == []


def test_one_hand_or_no_pose_is_not_the_gesture():
    series, _ = landmarks([Segment("double", 4.0)], fps=FPS, gaps=[(2.0, 2.2)])
    one = raise_hands(series.image, series.t, 0.5, 3.5, which=(L_WRIST,))
    assert triggers(one, series.t) == []
    both = raise_hands(series.image, series.t, 1.5, 3.5)  # the gap cuts the raise short
    assert triggers(both, series.t) == [pytest.approx(3.2, abs=1.5 / FPS)]
    hidden = both.copy()
    hidden[:, L_WRIST, 3] = 0.1  # the model does not see that wrist
    assert triggers(hidden, series.t) == []
    assert not hands_up(None) and not hands_up(np.full((33, 4), math.nan))


def test_progress_and_reset():
    g = HandsUp(1.0)
    series, _ = landmarks([Segment("double", 2.0)], fps=10.0)
    image = raise_hands(series.image, series.t, 0.0, 2.0)
    g.update(image[0], 0.0)
    g.update(image[5], 0.5)
    assert g.up and g.progress == pytest.approx(0.5)
    g.reset()
    assert not g.up and g.progress == 0.0
    with pytest.raises(ValueError):
        HandsUp(-1.0)


def feed_session(session: LiveSession, image: np.ndarray, world: np.ndarray, t: np.ndarray
                 ) -> list[Step]:
    steps = []
    for i in range(len(t)):
        seen = bool(np.isfinite(image[i, :, 0]).any())
        session.update(PoseFrame(image[i] if seen else None, world[i] if seen else None),
                       float(t[i]))
        steps.append(session.guide.step if session.guide is not None else None)
    return steps


def test_the_gesture_goes_on_where_the_guide_waits_and_only_there():
    """Standing on both feet, never lifting a foot: the baseline runs by itself, then the
    guide waits at "lift your LEFT foot"; raised hands skip that side, as SPACE would. Raised
    during the baseline, they do nothing (arms overhead would spoil it)."""
    series, _ = landmarks([Segment("double", 12.0)], fps=FPS)
    t = series.t
    image = raise_hands(series.image, t, 2.0, 3.5)  # the baseline: ignored
    image = raise_hands(image, t, 8.0, 9.5)  # waiting for the lift: go on
    session = LiveSession("stance", Settings(), series.width, series.height, FPS, "scripted")
    steps = feed_session(session, image, series.world, t)
    at = {s: float(t[steps.index(s)]) for s in dict.fromkeys(steps)}
    assert at[Step.BASELINE] == pytest.approx(1.0, abs=0.1)
    assert at[Step.LIFT] > 3.5  # the raise at 2-3.5 s did not skip the baseline
    assert session.guide is not None and session.guide.done == {"right"}
    # The left foot (right stance) was skipped at ~9 s: a new baseline for the other side.
    i = int(np.searchsorted(t, 9.0 + 1.5 / FPS))
    assert steps[i - 3] == Step.LIFT and steps[i] == Step.BASELINE
    spoken = [c.say for c in session.coach.cues if c.say]
    assert "Lift your left foot, and hold it up." in spoken
    assert spoken.count("Stand on both feet. Stand still.") == 1


def test_arms_up_on_one_leg_is_exercise_not_the_gesture():
    """On the result screen (a new test on the gesture): a tree pose (arms up, on one leg)
    starts nothing; arms raised standing on both feet start a new test."""
    segments = [Segment("double", 3.0), Segment("stance", 3.0, "left"), Segment("double", 2.0),
                Segment("stance", 3.0, "right"), Segment("double", 2.0),
                Segment("stance", 3.0, "left"), Segment("double", 3.0)]
    series, _ = landmarks(segments, fps=FPS)
    t = series.t
    image = raise_hands(series.image, t, 13.5, 15.5)  # the tree pose
    image = raise_hands(image, t, 16.5, 18.0)  # both feet down
    session = LiveSession("stance", Settings(hold_target_s=2.0), series.width, series.height,
                          FPS, "scripted")
    steps = feed_session(session, image, series.world, t)
    i_result = steps.index(Step.RESULT)
    assert 9.5 < t[i_result] < 11.5  # the second 2 s hold done
    assert all(s == Step.RESULT for s in steps[i_result:int(np.searchsorted(t, 17.0))])
    i_new = next(i for i in range(i_result, len(steps)) if steps[i] != Step.RESULT)
    assert steps[i_new] == Step.READY and len(session.tests) == 1  # a new test
    assert t[i_new] == pytest.approx(17.5, abs=1.5 / FPS)  # raised 1 s, both feet down
    spoken = [c.say for c in session.coach.cues if c.say]
    assert any(s.startswith("Result: standing on the left leg") for s in spoken)


# ---------------------------------------------------------------------------------------------
# The real clips (the pose model's wrists)


@pytest.mark.model
@pytest.mark.clips
def test_real_clips_arms_overhead_and_not(clip_landmarks):
    """MANIFEST: the overhead squat holds the arms up throughout; the tree pose sweeps them
    overhead at 3.0-5.8 s; nobody in the leg-raise, knee-lift or side-lying clips does, and
    hands clasped behind the head (the bodyweight squats) are not raised."""
    def up(name: str) -> tuple[np.ndarray, np.ndarray]:
        s = clip_landmarks(name)
        flags, was = [], False
        for f in s.image:
            was = hands_up(None if not np.isfinite(f[:, 0]).any() else f, was)
            flags.append(was)
        return np.array(flags), s.t

    squat, _ = up("fms_deep_squat_front_shift_01.mov")
    assert squat.mean() > 0.6
    tree, t = up("single_leg_stance_tree_front_01.mp4")
    assert not tree[t < 2.5].any() and tree[(t > 3.5) & (t < 5.3)].mean() > 0.8
    for name in ("side_leg_raise_standing_front_01.mp4", "alternating_knee_lift_front_01.mp4",
                 "side_lying_leg_raise_01.mp4", "opencap_squat_front_01.mp4"):
        flags, t = up(name)
        g = HandsUp()
        s = clip_landmarks(name)
        assert not [ti for f, ti in zip(s.image, t, strict=True)
                    if g.update(None if not np.isfinite(f[:, 0]).any() else f, float(ti))], name
        if name.startswith("alternating"):  # arms pumped overhead, never both for 1 s
            assert flags.mean() > 0.3
        else:
            assert flags.mean() < 0.05, name


def _hands_up_numpy(image, was_up=False, min_visibility=0.5):
    """hands_up as it was in NumPy (before the plain-float form): the reference."""
    if image is None:
        return False
    pts = image[[NOSE, 11, 12, L_WRIST, R_WRIST]].astype(np.float64)
    if not np.isfinite(pts[:, :2]).all():
        return False
    if not (pts[[3, 4], 3] >= min_visibility).all():
        return False
    width = float(np.linalg.norm(pts[1, :2] - pts[2, :2]))
    if not (math.isfinite(width) and width > 0):
        return False
    above = (pts[0, 1] - pts[[3, 4], 1]) / width
    need = 0.0 if was_up else 0.35
    return bool((above > need).all())


_value = st.one_of(st.sampled_from([0.0, 100.0, 140.0, math.nan, math.inf]),
                   st.floats(-1000, 1000))


@settings(max_examples=400, deadline=None)
@given(points=st.lists(st.tuples(_value, _value, st.one_of(st.floats(0, 1),
                                                           st.just(math.nan))),
                       min_size=5, max_size=5),
       was_up=st.booleans(), f32=st.booleans())
def test_hands_up_is_the_numpy_reading(points, was_up, f32):
    image = np.full((33, 4), 1.0)
    for j, (x, y, vis) in zip((NOSE, 11, 12, L_WRIST, R_WRIST), points, strict=True):
        image[j] = (x, y, 0.0, vis)
    if f32:
        image = image.astype(np.float32)
    got = hands_up(image, was_up)
    assert type(got) is bool
    assert got == _hands_up_numpy(image, was_up)
