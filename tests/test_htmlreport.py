"""report.html's page from summaries of both generations (before and after measurement tiers),
without a browser: what each section says, escaping, and the atomic write."""

from __future__ import annotations

import html
import re

import numpy as np
from test_history import record, summary

from hipdrop.io.outputs import write_bytes as atomic_write_bytes
from hipdrop.reports.html import DISCLAIMER, HistoryContext, build_report


def page(s: dict, person: str = "me", history: HistoryContext | None = None,
         frames: dict | None = None) -> str:
    return build_report(s, frames=frames, pictures=[], pictures_note="No key frames: test.",
                        person=person, history=history or HistoryContext(note="no history here"))


def text(html_page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", html_page)))


def test_new_keys_interval_tier_and_inconclusive_reason():
    s = summary(6.2, 1.0, new_keys=True)
    s["stance_phases"][1] |= {"finding": "inconclusive", "obliquity_source": "landmarks",
                              "inconclusive_reason": "Your waist is hidden: tuck in your top."}
    s["verdict"]["right"] = "inconclusive"
    t = text(page(s))
    assert "90% interval +4.7 deg to +7.7 deg" in t
    assert "weak LEFT gluteus medius" in t
    assert "INCONCLUSIVE" in t and "hipdrop could not tell on this leg. Your waist is hidden" in t
    assert "the pose model's hip landmarks (approximate)" in t
    assert "no history here" in t and DISCLAIMER in t


def test_old_summary_and_a_side_not_tested():
    t = text(page(summary(None, 0.8)))
    assert "Standing on the LEFT leg NOT TESTED" in t
    assert "No stance on the left leg was found: lift the right foot" in t
    assert "Standing on the RIGHT leg NO DROP" in t and "not given" in t
    assert "No per-frame data (frames.csv) to chart." in t


def test_comparison_and_trend_from_the_history():
    a, b = record(summary(9.0, 1.0), person="ann", days=0), record(summary(3.5, 1.5), person="ann",
                                                                   days=14)
    a.id, b.id = 1, 2
    p = page(summary(3.5, 1.5), person="ann", history=HistoryContext(b, [a, b]))
    t = text(p)
    assert "The previous stance session of “ann”" in t
    assert "-5.5 deg, a real change (less drop: better)" in t
    assert "+0.5 deg, within the measurement's noise" in t
    assert "Trend: 2 sessions" in t and p.count("data:image/png") == 1


def test_chart_from_frames_and_escaping():
    t_s = np.arange(0, 10, 0.1)
    frames = {"t_s": t_s, "obliquity_deg": np.sin(t_s), "landmark_obliquity_deg": 0.5 * np.sin(t_s),
              "drop_deg": np.where((t_s > 3) & (t_s < 8), 5.0, np.nan)}
    p = page(summary(5.0, None) | {"source": "<img src=x onerror=alert(1)>.mp4"},
             person="<script>alert(1)</script>", frames=frames)
    assert "<script>" not in p and "<img src=x" not in p
    assert "&lt;script&gt;" in p
    assert p.count("data:image/png") == 1  # the obliquity and drop chart


def test_atomic_write_leaves_no_temporary(tmp_path):
    out = tmp_path / "report.html"
    atomic_write_bytes(out, b"one")
    atomic_write_bytes(out, b"two")
    assert out.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_small_steps_that_add_up_are_a_real_change_since_the_first_session():
    recs = [record(summary(peak, 1.0), person="sam", days=7 * i)
            for i, peak in enumerate((9.1, 8.0, 5.2, 3.0))]
    for i, r in enumerate(recs):
        r.id = i + 1
    t = text(page(summary(3.0, 1.0), person="sam", history=HistoryContext(recs[-1], recs)))
    assert "-2.2 deg, within the measurement's noise" in t  # from the previous session
    assert "since the first session (2026-03-01): -6.1 deg, a real change (less drop: better)" in t
    assert "right leg, since the first session (2026-03-01): +0.0 deg, within" in t


def test_a_hike_is_not_called_level_on_the_card():
    """The card says what the printed verdict says (hipdrop.core.verdict.level_words): a pelvis
    whose whole interval is past the threshold the other way hiked; it did not stay level."""
    from hipdrop.history.store import SideRecord
    from hipdrop.reports.html import _finding_card

    hike = SideRecord("left", "no drop", phases=1, reps=0, best_hold_s=None)
    hike.peak_drop_deg, hike.drop_low_deg, hike.drop_high_deg = -10.3, -14.9, -5.7
    level = SideRecord("left", "no drop", phases=1, reps=0, best_hold_s=None)
    level.peak_drop_deg, level.drop_low_deg, level.drop_high_deg = 0.5, -1.0, 2.0
    assert "lifted side rose (a hip hike)" in _finding_card("left", hike, 5.0)
    assert "stayed level" not in _finding_card("left", hike, 5.0)
    assert "pelvis stayed level" in _finding_card("left", level, 5.0)
