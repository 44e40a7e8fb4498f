"""The bundled rendered clips (sample_videos/) through `hipdrop analyze`: each reads as its
truth JSON says (rendered with `sample_videos/make.sh`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hipdrop.io.extract import extract_landmarks
from hipdrop.pipeline.analysis import analyze

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"


def _run(name: str, pose_model):
    truth = json.loads((SAMPLES / f"{name}.json").read_text())
    return analyze(extract_landmarks(SAMPLES / f"{name}.mp4", pose_model).series), truth


def test_stance_test_flags_the_rendered_drop_on_its_side(pose_model):
    a, truth = _run("stance_test", pose_model)
    assert [p.stance for p in a.phases] == [p["stance"] for p in truth["phases"]]
    for phase, true in zip(a.phases, truth["phases"], strict=True):
        assert phase.peak_drop_deg == pytest.approx(true["drop_deg"], abs=1.5)
        assert phase.significant == (true["drop_deg"] >= 4.0)
        assert phase.start_s == pytest.approx(true["start_s"], abs=0.6)
        assert phase.end_s == pytest.approx(true["end_s"], abs=0.6)
    dropped = next(p["stance"] for p in truth["phases"] if p["drop_deg"] > 0)
    assert getattr(a.verdict, dropped).code == "drop"
    # The raw landmark line would have missed it (SYNTH-NOTES: it reads about a quarter).
    raw = analyze(a.series, estimator="landmarks")
    assert not any(p.significant for p in raw.phases)


@pytest.mark.parametrize("name", ["abduction_standing", "abduction_side_lying", "abduction_hold"])
def test_abduction_clips_count_their_reps(name, pose_model):
    a, truth = _run(name, pose_model)
    for leg in ("left", "right"):
        assert sum(r.leg == leg for r in a.reps) == sum(r["leg"] == leg for r in truth["reps"])
    for rep in a.reps:
        true = min(truth["reps"], key=lambda r: abs(r["start_s"] - rep.start_s))
        assert rep.peak_deg == pytest.approx(true["peak_deg"], abs=4.0)
    for hold in truth["holds"]:
        (rep,) = [r for r in a.reps if r.leg == hold["leg"]]
        assert rep.held_s == pytest.approx(hold["end_s"] - hold["start_s"], abs=1.5)
    assert not any(p.significant for p in a.phases)
