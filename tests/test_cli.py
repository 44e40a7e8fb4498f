"""`hipdrop analyze` end to end, in-process, on a real clip: what the outputs contain.

One clip (side_leg_raise_standing_front_01.mp4, 285 frames) goes through the model once per
module; its landmarks.npz then serves the re-analysis and threshold tests without the model.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import clip_path
from media import assert_one_error, hang_guard, read_frames, run_cli

from hipdrop.cli import main
from hipdrop.io import models
from hipdrop.reports.files import DISCLAIMER

CLIP = "side_leg_raise_standing_front_01.mp4"
FRAMES, FPS, WIDTH, HEIGHT = 285, 25.0, 640, 360
# MANIFEST.md ground truth (+-0.2 s): reps of the lifted leg; the stance leg is the other one.
TRUTH_REPS = [("right", 0.2, 1.4), ("right", 2.6, 3.95),
              ("left", 5.0, 6.3), ("left", 7.5, 8.9), ("left", 10.1, 11.36)]
OTHER = {"left": "right", "right": "left"}
TOL_S = 0.35

FRAME_COLUMNS = ["t_s", "pose", "obliquity_deg", "landmark_obliquity_deg", "stance", "drop_deg",
                 "trunk_lean_deg", "abduction_left_deg", "abduction_right_deg", "rep_left",
                 "rep_right"]
PHASE_KEYS = {"stance": str, "start_s": float, "end_s": float, "duration_s": float,
              "baseline_deg": float, "peak_drop_deg": float, "mean_drop_deg": float,
              "peak_trunk_lean_deg": float, "significant": bool}
REP_KEYS = {"leg": str, "start_s": float, "end_s": float, "peak_deg": float, "held_s": float}


@pytest.fixture(autouse=True)
def _no_hang():
    with hang_guard(120):
        yield


@pytest.fixture(scope="module")
def run(tmp_path_factory, pose_model):
    """`hipdrop analyze CLIP --out DIR` once: (status, stdout, stderr, DIR)."""
    clip = clip_path(CLIP)
    out = tmp_path_factory.mktemp("standing") / "out"
    stdout, stderr = io.StringIO(), io.StringIO()
    with hang_guard(120), contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = main(["analyze", str(clip), "--out", str(out)])
    return status, stdout.getvalue(), stderr.getvalue(), out


@pytest.fixture(scope="module")
def summary(run):
    return json.loads((run[3] / "summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rows(run):
    with open(run[3] / "frames.csv", newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return header, [dict(zip(header, r, strict=True)) for r in reader]


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return min(a1, b1) - max(a0, b0)


# --- the run and its files -------------------------------------------------------------------


def test_analyze_exits_0_and_writes_every_output(run):
    status, stdout, stderr, out = run
    assert status == 0, stderr
    assert "hipdrop: error" not in stderr and "Traceback" not in stderr
    names = {"landmarks.npz", "summary.json", "frames.csv", "obliquity.png", "annotated.mp4",
             "report.html"}
    assert names <= {p.name for p in out.iterdir()}
    assert f"Results in {out}/" in stdout
    assert all(name in stdout for name in names)


def test_summary_follows_design_schema(summary):
    assert summary["source"].endswith(CLIP)
    assert summary["model"] == "full"
    assert summary["fps"] == pytest.approx(FPS)
    assert summary["frames"] == FRAMES
    assert isinstance(summary["frames_with_pose"], int)
    assert 0.9 * FRAMES <= summary["frames_with_pose"] <= FRAMES
    settings = summary["settings"]
    for key in ("lift_fraction", "min_stance_s", "drop_threshold_deg", "peak_window_s",
                "rep_up_deg", "rep_down_deg", "min_rep_s"):
        assert _is_number(settings[key]), key
    for phase in summary["stance_phases"]:
        for key, kind in PHASE_KEYS.items():
            value = phase[key]
            if phase["implausible"] and key in ("peak_drop_deg", "mean_drop_deg"):
                assert value is None  # a tracking failure: no number is shown (DESIGN.md)
                continue
            assert (_is_number(value) if kind is float else isinstance(value, kind)), (key, value)
        # DESIGN.md's tiers, intervals and findings.
        assert phase["obliquity_source"] in ("markers", "waist", "landmarks")
        assert phase["finding"] in ("drop", "no drop", "compensated", "inconclusive")
        assert phase["significant"] == (phase["finding"] == "drop")
        assert (phase["inconclusive_reason"] is None) == (phase["finding"] != "inconclusive")
        lo, hi = phase["drop_interval_deg"]
        if phase["implausible"]:
            assert lo is None and hi is None and phase["finding"] == "inconclusive"
        else:
            assert lo <= phase["peak_drop_deg"] <= hi
        assert phase["stance"] in ("left", "right")
        assert phase["end_s"] - phase["start_s"] == pytest.approx(phase["duration_s"], abs=1e-3)
        assert phase["duration_s"] >= settings["min_stance_s"] - 1e-6
    reps = summary["reps"]
    assert isinstance(reps["left"], int) and isinstance(reps["right"], int)
    assert reps["left"] == sum(r["leg"] == "left" for r in reps["items"])
    assert reps["right"] == sum(r["leg"] == "right" for r in reps["items"])
    for rep in reps["items"]:
        for key, kind in REP_KEYS.items():
            assert (_is_number(rep[key]) if kind is float else isinstance(rep[key], kind)), key
        assert rep["start_s"] < rep["end_s"]
    verdict = summary["verdict"]
    assert isinstance(verdict["left"], str) and isinstance(verdict["right"], str)
    assert isinstance(verdict["text"], str) and verdict["text"]


def test_reps_agree_with_manifest(summary):
    reps = summary["reps"]
    assert (reps["right"], reps["left"]) == (2, 3)
    items = sorted(reps["items"], key=lambda r: r["start_s"])
    assert [r["leg"] for r in items] == [leg for leg, _, _ in TRUTH_REPS]
    for rep, (_, start, end) in zip(items, TRUTH_REPS, strict=True):
        assert rep["start_s"] == pytest.approx(start, abs=TOL_S)
        assert rep["end_s"] == pytest.approx(end, abs=TOL_S)
        assert rep["peak_deg"] > 40  # MANIFEST: 60-80 deg at the peak
    # The last left rep is cut by the clip end: counted, marked incomplete.
    assert [r.get("complete") for r in items] == [True, True, True, True, False]


def test_stance_phases_agree_with_manifest(summary):
    phases = summary["stance_phases"]
    assert phases, "no stance phase found"
    for _, start, end in TRUTH_REPS:  # every lift is a stance on the other leg
        assert any(_overlap(p["start_s"], p["end_s"], start, end) > 0.5 for p in phases)
    for p in phases:
        lifts = [(leg, s, e) for leg, s, e in TRUTH_REPS
                 if _overlap(p["start_s"], p["end_s"], s, e) > 0]
        assert lifts, f"stance phase {p} outside every lift"
        assert all(p["stance"] == OTHER[leg] for leg, _, _ in lifts), p
    assert [p["stance"] for p in phases if p["end_s"] < 4.5] == ["left", "left"]
    assert [p["stance"] for p in phases if p["start_s"] > 4.9] == ["right"] * 3


def test_no_significant_drop(summary):
    """MANIFEST: the raised side hikes; no contralateral drop anywhere."""
    assert not any(p["significant"] for p in summary["stance_phases"])
    assert not any(p["finding"] == "drop" for p in summary["stance_phases"])
    # Where a number is given, it is under the threshold; a tracking failure gives none.
    assert all(p["implausible"] or p["drop_interval_deg"][0] < summary["settings"]["drop_threshold_deg"]
               for p in summary["stance_phases"])
    assert summary["verdict"]["left"] != "drop" and summary["verdict"]["right"] != "drop"
    assert "Trendelenburg sign that points" not in summary["verdict"]["text"]


def test_frames_csv_columns_and_rows(rows, summary):
    header, data = rows
    assert header[: len(FRAME_COLUMNS)] == FRAME_COLUMNS  # DESIGN.md's, in order
    assert header[len(FRAME_COLUMNS):] == ["obliquity_source"]  # hipdrop's addition
    assert {r["obliquity_source"] for r in data} <= {"markers", "waist", "landmarks", "none"}
    assert len(data) == FRAMES == summary["frames"]
    t = np.array([float(r["t_s"]) for r in data])
    np.testing.assert_allclose(t, np.arange(FRAMES) / FPS, atol=1e-3)
    assert {r["pose"] for r in data} <= {"0", "1"}
    assert sum(r["pose"] == "1" for r in data) <= summary["frames_with_pose"]
    assert {r["stance"] for r in data} == {"none", "left", "right"}


def test_frames_csv_drop_only_inside_stance_phases(rows, summary):
    _, data = rows
    phases = summary["stance_phases"]
    for r in data:
        t = float(r["t_s"])
        inside = [p for p in phases if p["start_s"] - 1e-6 <= t < p["end_s"] - 1e-6]
        if r["stance"] == "none":
            assert r["drop_deg"] == "", r
            assert not inside, (t, inside)
        elif r["obliquity_source"] == "none":  # the phase's tier was not read in this frame
            assert r["drop_deg"] == "", r
        else:
            assert r["drop_deg"] != "", r
            float(r["drop_deg"])
            assert len(inside) == 1 and inside[0]["stance"] == r["stance"], (t, r["stance"])
    in_phase = [float(r["drop_deg"]) for r in data if r["drop_deg"]]
    peak = max(p["peak_drop_deg"] for p in phases if p["peak_drop_deg"] is not None)
    assert max(in_phase) >= peak - 1e-3  # the held peak is never above the series


def test_frames_csv_running_rep_counts(rows, summary):
    _, data = rows
    for leg in ("left", "right"):
        counts = np.array([int(r[f"rep_{leg}"]) for r in data])
        assert counts[0] == 0
        assert (np.diff(counts) >= 0).all() and set(np.diff(counts)) <= {0, 1}
        assert counts[-1] == summary["reps"][leg]
    # The right leg's reps are done before the left leg starts.
    at_4_5 = next(r for r in data if float(r["t_s"]) >= 4.5)
    assert (int(at_4_5["rep_right"]), int(at_4_5["rep_left"])) == (2, 0)
    right = np.array([float(r["abduction_right_deg"]) for r in data if float(r["t_s"]) < 4.5])
    assert np.nanmax(right) > summary["settings"]["rep_up_deg"]


def test_landmarks_npz_layout(run, summary):
    with np.load(run[3] / "landmarks.npz", allow_pickle=False) as data:
        assert {"image", "world", "t", "width", "height", "fps", "model"} <= set(data.files)
        assert data["image"].shape == (FRAMES, 33, 4) and data["image"].dtype == np.float32
        assert data["world"].shape == (FRAMES, 33, 3) and data["world"].dtype == np.float32
        assert data["t"].shape == (FRAMES,) and data["t"].dtype == np.float64
        assert data["t"][0] == 0.0
        np.testing.assert_allclose(np.diff(data["t"]), 1 / FPS)
        assert (int(data["width"]), int(data["height"]), float(data["fps"])) == (WIDTH, HEIGHT, FPS)
        assert str(data["model"]) == "full"
        image = data["image"]
        posed = np.isfinite(image[:, :, 0]).any(axis=1)
        assert posed.sum() == summary["frames_with_pose"]
        x, y = image[posed, :, 0], image[posed, :, 1]
        # pixels, not normalised coordinates: the hips are well inside a 640x360 frame
        assert 100 < np.median(x[:, 23]) < WIDTH and 100 < np.median(y[:, 23]) < HEIGHT
        visibility = image[posed, :, 3]
        assert ((visibility >= 0) & (visibility <= 1)).all()


def test_annotated_video_matches_source(run):
    decoded, _, width, height = read_frames(run[3] / "annotated.mp4")
    assert (decoded, width, height) == (FRAMES, WIDTH, HEIGHT)


def test_obliquity_png(run):
    png = (run[3] / "obliquity.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = cv2.imdecode(np.frombuffer(png, np.uint8), 1)
    assert image is not None and image.shape[0] > 200 and image.shape[1] > 200


def test_human_summary_printed(run, summary):
    stdout = run[1]
    assert f"Verdict: {summary['verdict']['text']}" in stdout
    assert DISCLAIMER in stdout.splitlines()
    assert "Abduction reps: left 3, right 2" in stdout
    assert "Single-leg stance:" in stdout


# --- re-analysis from the landmarks file ---------------------------------------------------------


@pytest.fixture
def modelless(tmp_path, monkeypatch):
    """No model can be found, downloaded or loaded."""
    empty = tmp_path / "no-models"
    empty.mkdir()
    monkeypatch.setenv("HIPDROP_MODEL_DIR", str(empty))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(models, "_URL", "http://127.0.0.1:9/pose_landmarker_{0}.task")

    def no_model(*args, **kwargs):
        raise AssertionError("the model was asked for")

    monkeypatch.setattr(models, "resolve", no_model)
    monkeypatch.setattr("hipdrop.io.pose.PoseEstimator.__init__", no_model)


def test_reanalysis_from_landmarks_needs_no_model(run, summary, tmp_path, capsys, modelless):
    out = tmp_path / "again"
    status, stdout, err = run_cli(capsys, "analyze", run[3] / "landmarks.npz", "--out", out)
    assert status == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["frames.csv", "obliquity.png", "report.html",
                                                     "summary.json"]
    again = json.loads((out / "summary.json").read_text())
    assert again["stance_phases"] == summary["stance_phases"]
    assert again["reps"] == summary["reps"]
    assert again["verdict"] == summary["verdict"]
    assert (again["frames"], again["model"]) == (FRAMES, "full")
    assert (out / "frames.csv").read_text() == (run[3] / "frames.csv").read_text()
    assert "Abduction reps: left 3, right 2" in stdout


def _reanalyze(capsys, run, out, *extra):
    status, _, err = run_cli(capsys, "analyze", run[3] / "landmarks.npz", "--out", out, "-q",
                             *extra)
    assert status == 0, err
    return json.loads((out / "summary.json").read_text())


def test_rep_threshold_flag_changes_results(run, summary, tmp_path, capsys):
    again = _reanalyze(capsys, run, tmp_path / "o", "--rep-up-deg", "85")
    assert again["settings"]["rep_up_deg"] == 85.0
    assert (again["reps"]["left"], again["reps"]["right"], again["reps"]["items"]) == (0, 0, [])
    assert again["stance_phases"] == summary["stance_phases"]  # stance does not use it
    with open(tmp_path / "o" / "frames.csv", newline="") as fh:
        assert {(r["rep_left"], r["rep_right"]) for r in csv.DictReader(fh)} == {("0", "0")}


def test_stance_flag_changes_results(run, tmp_path, capsys):
    again = _reanalyze(capsys, run, tmp_path / "o", "--min-stance-s", "5")
    assert again["stance_phases"] == []
    assert again["verdict"]["left"] == again["verdict"]["right"] == "not tested"
    assert (again["reps"]["left"], again["reps"]["right"]) == (3, 2)


def test_settings_file_changes_results(run, tmp_path, capsys):
    toml = tmp_path / "strict.toml"
    # a [hipdrop] table: the other tables of a shared file are not hipdrop's business
    toml.write_text("[hipdrop]\nrep_up_deg = 85\nmin_stance_s = 5.0\n\n[other_tool]\nx = 'y'\n")
    again = _reanalyze(capsys, run, tmp_path / "o", "--settings", toml)
    assert again["settings"]["rep_up_deg"] == 85.0 and again["settings"]["min_stance_s"] == 5.0
    assert again["reps"]["items"] == [] and again["stance_phases"] == []


def test_flags_override_settings_file(run, summary, tmp_path, capsys):
    toml = tmp_path / "s.toml"
    toml.write_text("rep_up_deg = 85\nmin_stance_s = 5\n")
    again = _reanalyze(capsys, run, tmp_path / "o", "--settings", toml, "--rep-up-deg", "16")
    assert again["settings"]["rep_up_deg"] == 16.0 and again["settings"]["min_stance_s"] == 5.0
    assert again["reps"] == summary["reps"] and again["stance_phases"] == []


@pytest.mark.parametrize("content, expected", [
    ("rep_up = 20\n", "unknown setting(s): rep_up"),
    ("rep_up_deg = 'high'\n", "rep_up_deg must be numbers"),
    ("rep_up_deg = [20\n", "is not valid TOML"),
    ("rep_down_deg = 30\n", "rep_down_deg (30.0) must be below rep_up_deg"),
])
def test_bad_settings_file_is_one_line_error(run, tmp_path, capsys, content, expected):
    toml = tmp_path / "bad.toml"
    toml.write_text(content)
    status, _, err = run_cli(capsys, "analyze", run[3] / "landmarks.npz", "--out", tmp_path / "o",
                             "--settings", toml)
    assert status == 2
    assert expected in assert_one_error(err)
    assert not (tmp_path / "o").exists()


def test_missing_settings_file(run, tmp_path, capsys):
    status, _, err = run_cli(capsys, "analyze", run[3] / "landmarks.npz", "--settings",
                             tmp_path / "nope.toml")
    assert status == 2
    assert "settings file not found" in assert_one_error(err)


@pytest.mark.parametrize("flag, value", [("--hold-target-s", "inf"),
                                         ("--drop-threshold-deg", "nan"),
                                         ("--min-rep-s", "-1")])
def test_bad_threshold_flag_is_one_line_error(run, tmp_path, capsys, flag, value):
    status, _, err = run_cli(capsys, "analyze", run[3] / "landmarks.npz", "--out", tmp_path / "o",
                             "-q", flag, value)
    line = assert_one_error(err)
    assert status == 2
    assert flag[2:].replace("-", "_") in line


# --- other runs ----------------------------------------------------------------------------------


def test_default_out_dir_next_to_source(tmp_path, capsys, pose_model):
    """``<stem>_hipdrop`` beside the source; also the tree clip's stance (MANIFEST.md)."""
    source = Path(shutil.copy(clip_path("single_leg_stance_tree_front_01.mp4"),
                              tmp_path / "tree pose.mp4"))
    status, stdout, err = run_cli(capsys, "analyze", source, "--no-video")
    assert status == 0, err
    out = tmp_path / "tree pose_hipdrop"
    assert sorted(p.name for p in out.iterdir()) == [
        "frames.csv", "landmarks.npz", "obliquity.png", "report.html", "summary.json"]
    assert f"Results in {out}/" in stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["frames"] == 72 and summary["fps"] == 10.0
    # MANIFEST: stands on the right leg 0.4-6.5 s, pelvis level.
    phases = summary["stance_phases"]
    assert [p["stance"] for p in phases] == ["right"]
    assert phases[0]["start_s"] <= 1.0 and phases[0]["end_s"] >= 6.0
    assert not phases[0]["significant"]
    assert summary["verdict"]["left"] == "not tested" and summary["verdict"]["right"] != "drop"
    assert DISCLAIMER in stdout


def test_no_command_prints_help(capsys):
    status, out, _ = run_cli(capsys)
    assert status == 2
    assert "usage: hipdrop" in out and "analyze" in out and "models" in out


def test_analyze_does_not_load_the_other_commands_options():
    """history's and synth's options are imported only for their own commands (start-up cost,
    issue 15), and are all there when one of them is the command or help lists them all."""
    import subprocess
    import sys

    code = ("import sys; from hipdrop.cli import build_parser; build_parser({!r}); "
            "print(sorted(m for m in ('hipdrop.synth.cli', 'hipdrop.history.cli') "
            "if m in sys.modules))")
    def loaded(command):
        out = subprocess.run([sys.executable, "-c", code.format(command)], capture_output=True,
                             text=True, check=True).stdout
        return out.strip()
    assert loaded("analyze") == "[]"
    assert loaded("synth") == "['hipdrop.synth.cli']"
    assert loaded(None) == "['hipdrop.history.cli', 'hipdrop.synth.cli']"
    from hipdrop.cli import build_parser
    args = build_parser("history").parse_args(["history", "--person", "ann"])
    assert args.person == "ann" and callable(args.func)
