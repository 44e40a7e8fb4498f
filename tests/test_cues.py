"""What is said when, and the modes that finish: pure, on synthetic frame states and the
scripted person (no model, no clock, no sound)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from test_guide import Script, quick_guide, state

from hipdrop.core.verdict import SideVerdict, Verdict
from hipdrop.io.pose import PoseFrame
from hipdrop.live.app import LiveSession
from hipdrop.live.coach import only_measured, summary_text
from hipdrop.live.cues import COUNT, RESULT, Announcer, Cue, result_sentence, spoken
from hipdrop.live.guide import Issue, Step
from hipdrop.live.modes import HIKE, LEAN, HoldTimer, RepSets, angle_change
from hipdrop.settings import Settings
from hipdrop.testing.scripted import Segment, landmarks

FPS = 25.0


def counter_state(t: float, reps=(0, 0), up=(False, False), ob: float = 0.0,
                  lean: float = 0.0, upright: bool = True):
    s = state(t)
    s.signals.obliquity_deg = np.array([ob])
    s.signals.trunk_lean_left_deg = np.array([lean])
    s.signals.upright = np.array([upright])
    return dataclasses.replace(s, reps=tuple(reps), leg_up=tuple(up))


# ---------------------------------------------------------------------------------------------
# Words


def test_screen_words_become_speech():
    assert spoken("Lift your LEFT foot") == "Lift your left foot"
    assert spoken("Foot down after 3 s: lift your RIGHT foot again, or press SPACE to go on") == (
        "Foot down after 3 seconds: lift your right foot again, or raise both hands above your "
        "head to go on")
    assert spoken("Camera tilted 8 deg: please level it") == "Camera tilted 8 degrees: please level it"


def test_the_result_in_one_sentence():
    v = Verdict(SideVerdict("compensated", ""), SideVerdict("inconclusive", ""), "")
    assert result_sentence(v) == (
        "Result: standing on the left leg, the pelvis stayed level but the trunk leaned; "
        "standing on the right leg, I could not tell.")
    v = Verdict(SideVerdict("not tested", ""), SideVerdict("drop", ""), "")
    assert result_sentence(v) == ("Result: the left leg was not tested; standing on the right "
                                  "leg, the pelvis dropped.")
    nothing = Verdict(SideVerdict("not tested", ""), SideVerdict("not tested", ""), "")
    assert result_sentence(nothing) == "No leg was held up long enough for a result."
    assert sum(result_sentence(v).count(c) for c in ".!?") == 1


def test_the_guided_test_is_talked_through():
    """READY, the baseline with its 2-1, the lift, "Hold", 3-2-1 at the end, well done, the next
    side, a foot put down early: each said once, in order."""
    g = quick_guide()
    s = Script(g)
    a = Announcer("stance")
    cues: list[Cue] = []
    n = 0

    def play(seconds: float, stance: str | None = None) -> None:
        nonlocal n
        s.play(seconds, stance)
        for v in s.views[n:]:
            cues.extend(a.stance(v.countdown_s or 0.0, v, None))
        n = len(s.views)

    play(4.5)  # ready, baseline
    play(5.6, "right")  # the LEFT foot up, held the 5 s
    play(3.1)  # the new baseline
    play(2.0, "left")  # the RIGHT foot up 2 s, then down
    play(1.0)
    said = [c.say for c in cues if c.say]
    assert said == [
        "Face the camera, two to three metres away, with your whole body in view.",
        "Stand on both feet. Stand still.", "2", "1",
        "Lift your left foot, and hold it up.",
        "Hold.", "3", "2", "1",
        "Well done: left foot held 5 seconds",
        "Lower your foot: stand on both feet. Stand still.", "2", "1",
        "Lift your right foot, and hold it up.",
        "Hold.",
        "Foot down after 2 seconds: lift your right foot again and hold 5 seconds, or raise both "
        "hands to go on",
    ]
    assert all(c.kind == COUNT for c in cues if c.say in ("1", "2", "3"))


def test_a_long_hold_says_the_time_left_every_10_s():
    g = quick_guide(hold_s=30.0)
    s = Script(g)
    a = Announcer("stance")
    s.play(4.5)
    s.play(31.0, "right")
    said = [c.say for v in s.views for c in a.stance(0.0, v, None) if c.say]
    i = said.index("Hold.")
    assert said[i:i + 7] == ["Hold.", "20 seconds left", "10 seconds left", "3", "2", "1",
                             "Well done: left foot held 30 seconds"]


def test_framing_advice_is_said_when_it_blocks_and_not_on_every_frame():
    a = Announcer("stance")
    feet = Issue("feet_out", "Feet out of view: step back")
    far = Issue("too_far", "Come a little closer", blocking=False)
    said = [c.say for t in np.arange(0.0, 20.0, 0.04) for c in a.advice(float(t), [far, feet])]
    assert said == ["Feet out of view: step back"] * 3  # at 0, 8 and 16 s
    assert a.advice(30.0, [far]) == []


# ---------------------------------------------------------------------------------------------
# Reps in sets


def rep_stream(sets: RepSets, reps: list[tuple[str, float, float]], t0: float = 0.0):
    """Feed ``sets`` one rep after another: (leg, obliquity during it, lean during it); each rep
    is 1 s up, 1 s down. Returns the events."""
    counts = [0, 0]
    events, t = [], t0
    for leg, ob, lean in reps:
        i = 0 if leg == "left" else 1
        for k in range(50):  # 2 s at 25 fps
            upnow = 10 <= k < 35
            if k == 35:
                counts[i] += 1  # counted as the leg comes down
            up = (upnow, False) if i == 0 else (False, upnow)
            events.append(sets.update(counter_state(t, counts, up, ob if upnow else 0.0,
                                                    lean if upnow else 0.0)))
            t += 1 / FPS
    return events


def test_reps_fill_the_sets_with_a_note_where_the_pelvis_hiked_or_the_trunk_leaned():
    sets = RepSets(target=2, sets=2)
    events = rep_stream(sets, [("left", 0.0, 0.0), ("left", 12.0, 0.0), ("right", 0.0, -9.0),
                               ("right", 3.0, 2.0), ("left", 0.0, 0.0)])
    reps = [e.rep for e in events if e.rep is not None]
    assert [(r.leg, r.number, r.set_number, r.notes) for r in reps] == [
        ("left", 1, 1, ()), ("left", 2, 1, (HIKE,)), ("right", 1, 1, (LEAN,)),
        ("right", 2, 1, ()), ("left", 1, 2, ())]
    assert reps[1].hike_deg == pytest.approx(12.0) and reps[2].lean_deg == pytest.approx(9.0)
    assert [e.leg_done for e in events if e.leg_done] == ["left", "right"]
    done = [e for e in events if e.set_done is not None]
    assert len(done) == 1 and done[0].set_done.number == 1 and not done[0].all_done
    assert sets.current.number == 2 and sets.current.counts == [1, 0] and not sets.done
    a = Announcer("reps")
    said = [c.say for e in events for c in a.reps(0.0, e, sets) if c.say]
    assert said[:3] == ["Rep 1.", "Rep 2: keep the hips level.",
                        "2 with the left leg, well done. Now the right leg."]
    assert "Set 1 of 2 done: left 2, right 2. 2 reps with a note. Rest, then start set 2." in said


def test_the_last_set_finishes_the_mode():
    sets = RepSets(target=1, sets=1)
    events = rep_stream(sets, [("right", 0.0, 0.0), ("left", 0.0, 0.0), ("left", 0.0, 0.0)])
    assert [e.all_done for e in events].count(True) == 1 and sets.done
    assert sets.current.counts == [2, 1]  # a rep past the target still counts, in the last set
    said = [c.say for e in events for c in Announcer("reps").reps(0.0, e, sets) if c.say]
    assert "Set 1 done, all 1 sets finished: left 1, right 1. Well done." in said
    with pytest.raises(ValueError):
        RepSets(target=0)


def test_a_side_lying_rep_reads_no_lean_and_angles_wrap():
    sets = RepSets(target=5)
    events = rep_stream(sets, [("left", 0.0, 0.0)])
    assert events[-1].rep is None
    lying = RepSets(target=5)
    counts, t = [0, 0], 0.0
    for k in range(50):
        if k == 35:
            counts[0] = 1
        lying.update(counter_state(t, counts, (10 <= k < 35, False), ob=-88.0,
                                   lean=89.0 if k < 10 or k >= 35 else -89.0, upright=False))
        t += 0.04
    rep = lying.current.notes[0]
    assert rep.notes == () and math.isnan(rep.lean_deg) and rep.hike_deg == pytest.approx(0.0)
    assert angle_change(179.0, -179.0) == pytest.approx(2.0)
    assert angle_change(-88.0, 88.0) == pytest.approx(176.0)


# ---------------------------------------------------------------------------------------------
# The hold timer


def hold_stream(timer: HoldTimer, leg: str, seconds: float, t0: float,
                tilt: tuple[float, float] | None = None, tilt_deg: float = 9.0):
    """One hold of ``leg`` for ``seconds`` from ``t0`` (0.2 s down before and after), the
    pelvis tilted by ``tilt_deg`` between the times ``tilt``."""
    i = 0 if leg == "left" else 1
    events, t = [], t0
    for k in range(round((seconds + 0.4) * FPS)):
        tau = k / FPS
        upnow = 0.2 <= tau < 0.2 + seconds
        ob = tilt_deg if tilt and tilt[0] <= tau - 0.2 < tilt[1] else 1.0
        up = (upnow, False) if i == 0 else (False, upnow)
        events.append(timer.update(counter_state(t, up=up, ob=ob)))
        t += 1 / FPS
    return events, t


def test_the_hold_counts_only_with_the_hips_level_and_marks_30_and_60_s():
    timer = HoldTimer(target_s=30.0)
    events, t = hold_stream(timer, "right", 70.0, 0.0, tilt=(10.0, 15.0))
    (hold,) = timer.holds
    assert hold.up_s == pytest.approx(70.0, abs=0.05)
    assert hold.counted_s == pytest.approx(65.0, abs=0.1)  # the 5 s tilted did not count
    marks = [(e.mark_s, e.leg) for e in events if e.mark_s is not None]
    assert marks == [(30.0, "right"), (60.0, "right")]
    assert [e.level for e in events if e.level is not None] == [False, True]
    a = Announcer("hold")
    said = [c.say for e in events for c in a.hold(0.0, e, timer) if c.say]
    assert said == ["Hold.", "Level your hips: the clock waits.", "30 seconds, well done. Keep "
                    "going, or lower the leg.", "60 seconds, well done.", "Down. 65 seconds held."]
    assert not timer.done
    events, _ = hold_stream(timer, "left", 31.0, t)
    assert timer.done and [e.all_done for e in events].count(True) == 1
    assert timer.best_s() == (pytest.approx(31.0, abs=0.05), pytest.approx(65.0, abs=0.1))


def test_an_unread_pelvis_does_not_stop_the_clock():
    timer = HoldTimer(target_s=5.0)
    hold_stream(timer, "left", 6.0, 0.0, tilt=(1.0, 3.0), tilt_deg=math.nan)
    assert timer.holds[0].counted_s == pytest.approx(6.0, abs=0.05)
    with pytest.raises(ValueError):
        HoldTimer(target_s=0.0)


# ---------------------------------------------------------------------------------------------
# A session of each mode, on the scripted person


def run_session(mode: str, segments: list[Segment], **coach) -> LiveSession:
    series, _ = landmarks(segments, fps=FPS)
    session = LiveSession(mode, Settings(), series.width, series.height, FPS, "scripted")
    if coach:
        from hipdrop.live.coach import Coach

        session.coach = Coach(mode, Settings(), **coach)
    for i in range(len(series)):
        session.update(PoseFrame(series.image[i], series.world[i]), float(series.t[i]))
        if session.coach.finished:
            break
    return session


def test_a_reps_session_finishes_at_its_target_and_saves_only_reps():
    segments = [Segment("double", 2.0), Segment("abduction", 8.0, "right", reps=4),
                Segment("double", 1.0), Segment("abduction", 8.0, "left", reps=4)]
    session = run_session("reps", segments, target=3, sets=1)
    assert session.coach.finished and session.coach.sets is not None
    # The right leg did 4 (one past the target: counted), then the left its 3: done.
    assert session.coach.sets.current.counts == [3, 4]
    assert session.state is not None and session.state.reps == (3, 4)
    said = [c.say for c in session.coach.cues if c.say]
    assert said[0] == "Lift one leg out to the side and back, 3 times each leg."
    assert said.count("Rep 3.") == 2 and said.count("Rep 4.") == 1
    assert said[-1].startswith("Set 1 done, all 1 sets finished: left 3, right 4.")
    # The screen's footer says what the summary saves.
    assert session.coach.footer() == "Set 1 of 1: L 3/3  R 4/3 - all sets done"
    part = session.coach.to_json()
    assert part["sets"]["sets"] == [{"set": 1, "target": 3, "left": 3, "right": 4,
                                     "complete": True, "reps_with_notes": 0}]
    data = only_measured("reps", {"stance_phases": [], "verdict": {}, "reps": {"left": 3,
                                  "right": 4}, "mode": "reps", "disclaimer": "d"} | part)
    assert "verdict" not in data and "stance_phases" not in data
    text = summary_text(data)
    assert text.splitlines() == ["Abduction reps: left 3, right 4 (target 3 a leg, 1 set(s))",
                                 "  set 1: left 3, right 4 (complete)", "d"]


def test_a_hold_session_counts_and_finishes():
    segments = [Segment("double", 2.0), Segment("hold", 6.0, "left", peak_deg=35.0),
                Segment("double", 1.0), Segment("hold", 6.0, "right", peak_deg=35.0),
                Segment("double", 1.0)]
    session = run_session("hold", segments, target=4.0)
    timer = session.coach.timer
    assert timer is not None and session.coach.finished
    best = timer.best_s()
    assert 4.0 <= best[0] < 6.0 and 4.0 <= best[1] < 6.0
    said = [c.say for c in session.coach.cues if c.say]
    assert said.count("4 seconds, well done. Keep going, or lower the leg.") == 2
    assert said[-1].startswith("Both legs held 4 seconds. Well done")
    assert [c for c in session.coach.cues if c.kind == RESULT] == []


# ---------------------------------------------------------------------------------------------
# The guide goes on by itself


def test_a_foot_never_lifted_moves_on_after_the_wait_and_the_test_ends():
    g = quick_guide(wait_s=20.0)
    s = Script(g)
    s.play(4.5)  # ready, baseline: "lift your LEFT foot"
    assert s.view.step == Step.LIFT and s.view.lift == "left"
    s.play(19.0)
    assert s.view.step == Step.LIFT  # still waiting
    s.play(1.2)
    assert s.view.step == Step.BASELINE and g.done == {"right"}
    assert s.view.note == "No LEFT foot lifted for 20 s: going on"
    s.play(3.1)
    assert s.view.step == Step.LIFT and s.view.lift == "right"
    s.play(20.2)
    assert s.view.step == Step.RESULT and g.holds == []


def test_the_wait_starts_again_after_a_foot_put_down_early():
    g = quick_guide(wait_s=20.0)
    s = Script(g)
    s.play(4.5)
    s.play(15.0)  # 15 s of the wait gone
    s.play(2.0, "right")  # a 2 s hold, then down: "lift it again"
    s.play(15.0)
    assert s.view.step == Step.LIFT and s.view.lift == "left"  # a fresh 20 s
    s.play(6.0)
    assert s.view.step == Step.BASELINE and g.done == {"right"}
