"""The routine's plan: the stance test first, exercises on the side(s) that dropped (or the
user's choice, or both legs), the retest last; steps can be skipped or repeated, and the
whole routine is one record with every step and the before/after verdicts."""

from __future__ import annotations

from hipdrop.live import routine as rt


def _verdict(left: str, right: str, peaks=(None, None)) -> dict:
    return {"left": left, "right": right, "text": "",
            "sides": {"left": {"finding": left, "peak_drop_deg": peaks[0]},
                      "right": {"finding": right, "peak_drop_deg": peaks[1]}}}


def test_a_right_stance_drop_works_the_right_leg_then_retests():
    r = rt.Routine()
    assert r.start(0.0).kind == rt.STANCE_TEST
    nxt = r.finish(40.0, {"verdict": _verdict("no drop", "drop", (1.0, 7.5))})
    assert nxt.kind == rt.SIDE_LYING and nxt.side == "right" and nxt.target_reps == 10
    assert "Lie on your left side, right leg on top" in nxt.instruction()
    kinds = [p.kind for p in r.plan]
    assert kinds == [rt.STANCE_TEST, rt.SIDE_LYING, rt.HOLD, rt.HIP_BUMP, rt.STANDING, rt.RETEST]
    assert r.plan[2].hold_marks_s == (30.0, 60.0)
    assert {p.side for p in r.plan[1:5]} == {"right"}


def test_both_drops_larger_first_and_no_drop_works_both_legs():
    assert rt.weak_sides(_verdict("drop", "drop", (4.0, 9.0))) == ["right", "left"]
    assert rt.weak_sides(_verdict("drop", "drop", (9.0, 4.0))) == ["left", "right"]
    assert rt.weak_sides(_verdict("inconclusive", "no drop")) == []
    assert rt.weak_sides(None) == []
    r = rt.Routine()
    r.finish(30.0, {"verdict": _verdict("no drop", "inconclusive")})
    assert [p.side for p in r.plan[1:5]] == [None] * 4  # both legs: one step each, not one-sided
    assert "each leg" in r.plan[1].instruction()


def test_the_users_choice_wins_over_the_test():
    r = rt.Routine(side="left")
    r.finish(30.0, {"verdict": _verdict("no drop", "drop", (0.0, 8.0))})
    assert {p.side for p in r.plan[1:5]} == {"left"}


def test_skip_repeat_and_the_one_record():
    r = rt.Routine()
    r.start(0.0)
    r.finish(30.0, {"verdict": _verdict("drop", "no drop", (7.0, 0.5))})
    assert r.current.kind == rt.SIDE_LYING
    r.repeat(35.0)  # a second try of the same step
    r.finish(80.0, {"reps": {"left": 10, "right": 0}})
    r.skip(81.0)  # the hold
    r.finish(120.0, {"bumps": 10})
    r.finish(150.0, {"reps": {"left": 10}})
    assert r.current.kind == rt.RETEST
    assert not r.to_json()["complete"]
    r.finish(190.0, {"verdict": _verdict("no drop", "no drop", (2.0, 0.5))})
    assert r.done and r.current is None and r.finish(200.0, {}) is None
    doc = r.to_json()
    assert doc["complete"] and doc["working_sides"] == ["left"]
    assert [s["status"] for s in doc["steps"]] == ["done", "done", "skipped", "done", "done", "done"]
    assert doc["steps"][1]["start_s"] == 35.0 and doc["steps"][1]["end_s"] == 80.0
    assert doc["before"]["left"] == "drop" and doc["after"]["left"] == "no drop"
    assert doc["remaining"] == []


def test_a_skipped_stance_test_works_both_legs():
    r = rt.Routine()
    r.skip(2.0)
    assert r.current.kind == rt.SIDE_LYING and r.current.side is None
    assert r.to_json()["before"] is None
