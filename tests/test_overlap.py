"""annotated.mp4 written on a thread beside report.html and the history (issue 15): the
session is recorded and the report written only once the video is complete; a failed video
leaves neither; a stopped one leaves no file; a signal still reaches the main thread."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from conftest import clip_path
from strict import assert_complete_or_absent
from test_history import record, summary

from hipdrop.errors import HistoryError, OutputError
from hipdrop.history import sessionlog
from hipdrop.history.store import History
from hipdrop.io.signals import deferred, stop_on_signals

TREE = "single_leg_stance_tree_front_01.mp4"  # 72 frames


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("HIPDROP_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data" / "history.sqlite3"


def _count(db: Path) -> int:
    """Sessions committed, read by a plain reader (a History would wait for the writer)."""
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM sessions").fetchone()[0])


def test_adding_is_seen_inside_committed_after_and_rolled_back_on_an_error(db):
    first = record(summary(5.0, 1.0))
    with History(db) as h:
        with h.adding(first) as sid:
            assert first.id == sid and [s.id for s in h.sessions()] == [sid]
            assert _count(db) == 0  # another connection: not committed yet
        assert _count(db) == 1
        for error in (ValueError, KeyboardInterrupt):
            later = record(summary(6.0, 1.0), days=1)
            with pytest.raises(error), h.adding(later):
                assert len(h.sessions()) == 2
                raise error
            assert later.id is None and [s.id for s in h.sessions()] == [sid]
        h.add(record(summary(7.0, 1.0), days=2))  # the connection is usable after a rollback
    assert _count(db) == 2


def test_report_and_record_wait_for_until(tmp_path, db, monkeypatch):
    """``until`` comes after the report is made and before anything is kept; when it raises,
    no session and no report.html."""
    order = []
    made = sessionlog.report_page

    def page(*args, **kwargs):
        order.append("page")
        return made(*args, **kwargs)

    monkeypatch.setattr(sessionlog, "report_page", page)

    def failing():
        order.append("until")
        assert _count(db) == 0 and not (tmp_path / "out" / "report.html").exists()
        raise OutputError("cannot write annotated.mp4: the encoder failed")

    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(OutputError):
        sessionlog.log_session(summary(5.0, 1.0), out, command="analyze", until=failing)
    assert order == ["page", "until"]
    assert _count(db) == 0 and list(out.iterdir()) == []
    order.clear()
    done = sessionlog.log_session(summary(5.0, 1.0), out, command="analyze",
                                  until=lambda: order.append("until"))
    assert order == ["page", "until"] and done.record is not None and done.warnings == []
    assert _count(db) == 1 and done.report == out / "report.html" and done.report.is_file()


@pytest.mark.parametrize("history", [True, False], ids=["broken-history", "no-history"])
def test_until_is_waited_for_without_a_history(tmp_path, history, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("HIPDROP_DATA_DIR", str(blocker / "data"))  # cannot be created
    waited = []
    out = tmp_path / "out"
    out.mkdir()
    done = sessionlog.log_session(summary(5.0, 1.0), out, command="analyze", history=history,
                                  until=lambda: waited.append(1))
    assert waited == [1] and done.record is None and done.report.is_file()
    assert len(done.warnings) == history
    assert ("not in the history" in " ".join(done.warnings)) == history
    page = done.report.read_text()
    assert ("The history was not available" in page) == history
    with pytest.raises(HistoryError):
        History()


def test_a_section_on_another_thread_holds_no_signal():
    """deferred() on a worker thread: the main thread's signal is raised there at once, and
    never on the worker."""
    entered, release, raised = threading.Event(), threading.Event(), []

    def work():
        try:
            with deferred():
                entered.set()
                release.wait(10)
        except BaseException as exc:  # noqa: BLE001 - what the test looks for
            raised.append(exc)

    worker = threading.Thread(target=work)
    with stop_on_signals():
        worker.start()
        assert entered.wait(10)
        start = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        assert time.monotonic() - start < 4
    release.set()
    worker.join(10)
    assert raised == []


# -- the real model -----------------------------------------------------------------------------


@pytest.mark.model
def test_cancelled_video_leaves_no_file(tmp_path, clip_landmarks):
    from hipdrop.pipeline.analysis import analyze
    from hipdrop.reports.annotate import InBackground

    analysis = analyze(clip_landmarks(TREE))
    reached = threading.Event()

    def progress(stage, done, total):
        if done == 10:
            reached.set()
            time.sleep(0.3)  # cancelled meanwhile: stops before the next frame

    out = tmp_path / "annotated.mp4"
    pending = InBackground(clip_path(TREE), analysis, out, progress)
    assert reached.wait(60)
    pending.cancel()
    assert list(tmp_path.iterdir()) == []
    whole = InBackground(clip_path(TREE), analysis, out)
    assert whole.wait() == 72 and out.is_file()


@pytest.mark.model
@pytest.mark.parametrize("fail", ["video", "report"])
def test_analyze_records_nothing_when_the_video_fails(tmp_path, db, pose_model, monkeypatch,
                                                      fail):
    """annotated.mp4 failing (written beside the report) fails the command as before: no
    session in the history, no report.html, no video; the other outputs complete. An error
    in the report's making, in turn, stops the video."""
    import hipdrop.cli
    from hipdrop.reports import annotate

    if fail == "video":
        def broken(path, expected, name=None):
            raise OutputError(f"cannot write {name}: the encoder failed (0 of {expected} frames "
                              "decode)")

        monkeypatch.setattr(annotate, "check_decodes", broken)
    else:
        def broken_log(*args, **kwargs):
            raise RuntimeError("the report broke")

        monkeypatch.setattr(hipdrop.cli, "_log_session", broken_log)
    out = tmp_path / "out"
    argv = ["analyze", str(clip_path(TREE)), "--out", str(out), "-q"]
    if fail == "video":
        assert hipdrop.cli.main(argv) == OutputError.exit_status
    else:
        with pytest.raises(RuntimeError):
            hipdrop.cli.main(argv)
    found = assert_complete_or_absent(out, frames=72)
    assert set(found) == {"landmarks.npz", "summary.json", "frames.csv"}
    assert not (out / "annotated.mp4").exists() and not (out / "report.html").exists()
    assert _count(db) == 0
