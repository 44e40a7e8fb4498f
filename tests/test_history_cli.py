"""`hipdrop analyze` records sessions and writes report.html; `hipdrop history` lists, exports,
charts and forgets them. In-process, on scripted landmarks files (no model needed), with a real
database on disk in a temporary HIPDROP_DATA_DIR."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import cv2
import pytest
from media import assert_one_error, run_cli

from hipdrop.history import store as history
from hipdrop.reports.html import meaning
from hipdrop.testing import scripted


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "data"
    monkeypatch.setenv("HIPDROP_DATA_DIR", str(d))
    return d


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    """Scripted stance tests as landmarks files: a 7 deg drop on the left leg, and a level one."""
    root = tmp_path_factory.mktemp("clips")
    out = {}
    for name, drop in (("drop", 7.0), ("level", 0.5)):
        series, _ = scripted.landmarks(scripted.stance_test(drop_left=drop, hold_s=6.0), fps=15.0,
                                       noise_px=0.5, seed=3)
        out[name] = root / f"{name}.npz"
        series.save(out[name])
    return out


def analyze(capsys, clip: Path, out: Path, *more: object) -> tuple[int, str, str, dict]:
    status, stdout, err = run_cli(capsys, "analyze", clip, "--out", out, "-q", *more)
    data = json.loads((out / "summary.json").read_text()) if (out / "summary.json").exists() else {}
    return status, stdout, err, data


def test_two_analyses_of_one_person_in_history_and_report(data_dir, clips, tmp_path, capsys):
    s1, _, err1, first = analyze(capsys, clips["drop"], tmp_path / "one", "--person", "alice")
    s2, _, err2, second = analyze(capsys, clips["level"], tmp_path / "two", "--person", "alice")
    s3, _, _, _ = analyze(capsys, clips["drop"], tmp_path / "bob", "--person", "bob")
    assert (s1, s2, s3) == (0, 0, 0) and err1 == err2 == ""
    assert (data_dir / "history.sqlite3").is_file()

    status, out, err = run_cli(capsys, "history", "--person", "alice", "--json")
    assert status == 0, err
    rows = json.loads(out)
    assert [r["out_dir"] for r in rows] == [str((tmp_path / d).resolve()) for d in ("one", "two")]
    for row, summary in zip(rows, (first, second), strict=True):
        assert row["person"] == "alice" and row["command"] == "analyze"
        assert row["left_finding"] == summary["verdict"]["left"]
        left = [p for p in summary["stance_phases"] if p["stance"] == "left"]
        assert row["left_peak_drop_deg"] == max(p["peak_drop_deg"] for p in left)
    status, table, _ = run_cli(capsys, "history")
    assert status == 0 and len(table.splitlines()) == 4 and "bob" in table  # header + 3

    page1 = (tmp_path / "one" / "report.html").read_text()
    page2 = (tmp_path / "two" / "report.html").read_text()
    assert "The first stance session of &ldquo;alice&rdquo;" in page1
    # The second report compares with the first session of the same person, not bob's.
    assert "The previous stance session of &ldquo;alice&rdquo;" in page2
    prev_left = rows[0]["left_peak_drop_deg"]
    assert f"{rows[0]['left_finding']}, {prev_left:+.1f} deg" in page2
    delta = rows[1]["left_peak_drop_deg"] - prev_left
    assert f"{delta:+.1f} deg" in page2
    assert "Trend: 2 sessions" in page2
    assert "hipdrop is a self-assessment aid, not a diagnosis" in page2
    # A landmarks file has no video: no key frames, and the page says why.
    assert "data:image/jpeg" not in page1 and "No key frames: this session came from a landmarks" in page1
    assert meaning("left", first["verdict"]["left"]).split(".")[0] in page1.replace("&#x27;", "'")

    trend = tmp_path / "trend.png"
    status, out, err = run_cli(capsys, "history", "trend", "--person", "alice", "--out", trend)
    assert status == 0, err
    assert "2 sessions of 'alice'" in out
    image = cv2.imread(str(trend))
    assert image is not None and image.shape[1] >= 800 and image.std() > 10


def test_no_history_records_nothing(data_dir, clips, tmp_path, capsys):
    status, _, err, _ = analyze(capsys, clips["drop"], tmp_path / "o", "--no-history")
    assert status == 0, err
    assert not (data_dir / "history.sqlite3").exists()
    assert "not recorded in the history (--no-history)" in (tmp_path / "o" / "report.html").read_text()
    status, out, _ = run_cli(capsys, "history")
    assert status == 0 and "No sessions recorded yet" in out


def _one_warning(err: str, *words: str) -> None:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("hipdrop: warning: "), err
    assert all(w in lines[0] for w in words), err


def test_corrupt_database_one_line_and_outputs_written(data_dir, clips, tmp_path, capsys):
    data_dir.mkdir()
    junk = b"\x00garbage that is not SQLite" * 100
    (data_dir / "history.sqlite3").write_bytes(junk)
    status, _, err, summary = analyze(capsys, clips["drop"], tmp_path / "o")
    assert status == 0
    _one_warning(err, "history", "damaged", "not in the history")
    assert summary["verdict"]
    for name in ("summary.json", "frames.csv", "obliquity.png", "report.html"):
        assert (tmp_path / "o" / name).stat().st_size > 0
    assert "The history was not available" in (tmp_path / "o" / "report.html").read_text()
    assert (data_dir / "history.sqlite3").read_bytes() == junk  # never overwritten
    status, _, err = run_cli(capsys, "history")
    assert status == 8 and "damaged" in assert_one_error(err)


def test_locked_database_one_line_and_outputs_written(data_dir, clips, tmp_path, capsys,
                                                      monkeypatch):
    monkeypatch.setattr(history, "BUSY_TIMEOUT_S", 0.3)
    with history.History():
        pass
    holder = sqlite3.connect(data_dir / "history.sqlite3", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        status, _, err, _ = analyze(capsys, clips["drop"], tmp_path / "o")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert status == 0
    _one_warning(err, "locked by another program")
    assert (tmp_path / "o" / "report.html").is_file() and (tmp_path / "o" / "summary.json").is_file()
    with history.History() as h:
        assert h.sessions() == []


def test_unwritable_data_dir_one_line_and_outputs_written(clips, tmp_path, capsys, monkeypatch):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("HIPDROP_DATA_DIR", str(blocker / "hipdrop"))
    status, _, err, _ = analyze(capsys, clips["drop"], tmp_path / "o")
    assert status == 0
    _one_warning(err, "cannot be written")
    assert (tmp_path / "o" / "report.html").is_file()
    assert blocker.read_text() == "not a folder"


def test_forget_needs_yes_and_says_what_it_deleted(data_dir, clips, tmp_path, capsys):
    for i in range(2):
        analyze(capsys, clips["drop"], tmp_path / f"a{i}", "--person", "alice")
    analyze(capsys, clips["drop"], tmp_path / "b", "--person", "bob")
    status, _, err = run_cli(capsys, "history", "forget", "--person", "alice")
    assert status == 2 and "--yes" in assert_one_error(err)
    with history.History() as h:
        assert h.people() == [("alice", 2), ("bob", 1)]
    status, out, err = run_cli(capsys, "history", "forget", "--person", "alice", "--yes")
    assert status == 0, err
    assert "Deleted 2 sessions of 'alice'" in out
    with history.History() as h:
        assert h.people() == [("bob", 1)]
    assert (tmp_path / "a0" / "report.html").is_file()  # outputs are the user's: left alone


def test_csv_export_filters_and_bad_input(data_dir, clips, tmp_path, capsys):
    analyze(capsys, clips["drop"], tmp_path / "a", "--person", "alice")
    analyze(capsys, clips["level"], tmp_path / "b", "--person", "bob")
    out = tmp_path / "h.csv"
    status, _, err = run_cli(capsys, "history", "--csv", out, "--since", "2000-01-01",
                             "--mode", "stance")
    assert status == 0, err
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["person"] for r in rows] == ["alice", "bob"]
    assert {"left_finding", "right_peak_drop_deg", "left_reps", "settings"} <= rows[0].keys()
    status, stdout, _ = run_cli(capsys, "history", "--until", "2000-01-01")
    assert status == 0 and "No sessions match" in stdout
    status, _, err = run_cli(capsys, "history", "--since", "last tuesday")
    assert status == 2 and "bad date" in assert_one_error(err)
    db = data_dir / "history.sqlite3"
    before = db.read_bytes()
    status, _, err = run_cli(capsys, "history", "--json", db)
    assert status == 2 and "database itself" in assert_one_error(err)
    assert db.read_bytes() == before
    status, _, err = run_cli(capsys, "history", "trend", "--person", "nobody",
                             "--out", tmp_path / "t.png")
    assert status == 2 and "no sessions of 'nobody'" in assert_one_error(err)
    assert not (tmp_path / "t.png").exists()
