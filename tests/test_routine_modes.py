"""The routine's one-sided steps: reps and holds that count only the working leg toward the
target, and the live hip bump counter (toward one side, a new neutral after leaving view)."""

from __future__ import annotations

import dataclasses

import numpy as np
from test_cues import counter_state, hold_stream, rep_stream

from hipdrop.core.landmarks import L_ANKLE, L_HIP, R_ANKLE, R_HIP
from hipdrop.live.bump_mode import BumpSet
from hipdrop.live.modes import HoldTimer, RepSets

FPS = 25.0


def test_a_one_sided_set_completes_on_its_leg_alone():
    sets = RepSets(target=2, side="right")
    events = rep_stream(sets, [("left", 0.0, 0.0)] * 3 + [("right", 0.0, 0.0)] * 2)
    done_at = [i for i, e in enumerate(events) if e.all_done]
    assert sets.done and len(done_at) == 1
    assert done_at[0] > len(events) - 50  # with the second right rep, not with the left's
    assert sets.current.counts == [3, 2] and sets.current.complete
    both = RepSets(target=2)
    rep_stream(both, [("right", 0.0, 0.0)] * 2)
    assert not both.done  # both legs: the left has not done its 2


def test_a_one_sided_hold_finishes_on_its_leg_alone():
    timer = HoldTimer(target_s=2.0, side="left")
    hold_stream(timer, "right", 3.0, 0.0)
    assert not timer.done
    hold_stream(timer, "left", 2.5, 5.0)
    assert timer.done
    both = HoldTimer(target_s=2.0)
    hold_stream(both, "left", 2.5, 0.0)
    assert not both.done


def _bump_state(t: float, shift_px: float, seen: bool = True):
    """Standing on both feet, hips 40 px apart centred over the ankles, the pelvis ``shift_px``
    toward image-right (the person's left when facing the camera)."""
    s = counter_state(t)
    p = np.full((33, 4), np.nan)
    if seen:
        p[L_HIP, :2], p[R_HIP, :2] = (220 + shift_px, 500), (180 + shift_px, 500)
        p[L_ANKLE, :2], p[R_ANKLE, :2] = (215, 900), (185, 900)
    s.signals.lift_left = np.array([0.0])
    s.signals.lift_right = np.array([0.0])
    s.signals.pose = np.array([seen])
    return dataclasses.replace(s, image=p)


def _bumps(bumps: BumpSet, pushes: list[float], t0: float = 0.0, rest_s: float = 1.0) -> float:
    """Pushes of ``px`` each (0.8 s out, then back), with ``rest_s`` at rest before each."""
    t = t0
    for px in pushes:
        for k in range(round((rest_s + 0.8) * FPS)):
            bumps.update(_bump_state(t, px if k >= rest_s * FPS else 0.0))
            t += 1 / FPS
    for _ in range(round(rest_s * FPS)):
        bumps.update(_bump_state(t, 0.0))
        t += 1 / FPS
    return t


def test_the_live_bump_set_counts_toward_its_side_to_the_target():
    bumps = BumpSet(target=2, side="right")
    t = _bumps(bumps, [15.0, -15.0])  # 15 px of 40: 0.375 hip widths, left then right
    assert bumps.to_json()["left"] == 1 and bumps.count == 1 and not bumps.done
    _bumps(bumps, [-15.0], t0=t)
    assert bumps.count == 2 and bumps.done
    assert [b["side"] for b in bumps.to_json()["items"]] == ["left", "right", "right"]
    assert all(30 < b["peak_shift_pct"] < 40 for b in bumps.to_json()["items"])


def test_back_in_view_somewhere_new_is_a_new_neutral_not_a_bump():
    bumps = BumpSet(target=5)
    t = _bumps(bumps, [])
    for _ in range(round(2.0 * FPS)):  # out of view 2 s
        bumps.update(_bump_state(t, 0.0, seen=False))
        t += 1 / FPS
    # Back standing 20 px further over (0.5 hip widths): the stance of the drill, not a bump.
    for _ in range(round(2.0 * FPS)):
        bumps.update(_bump_state(t, 20.0))
        t += 1 / FPS
    assert bumps.counter.bumps == []


def test_the_result_screen_footer_says_before_and_after_in_short():
    from hipdrop.live.routine_run import short_verdict

    v = {"left": "drop", "right": "no drop",
         "sides": {"left": {"peak_drop_deg": 7.66}, "right": {"peak_drop_deg": 0.5}}}
    assert short_verdict(v) == "L drop +7.7 R no drop +0.5"
    assert short_verdict(None) == "not tested"
