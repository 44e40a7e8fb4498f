"""The history database on disk: sessions of one person and of two, migrations from an older
schema, a newer schema refused, a locked database, a corrupt file, concurrent writers, forget."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from hipdrop.errors import HistoryError
from hipdrop.history import store as history
from hipdrop.history.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    History,
    previous_session,
    session_from_summary,
    side_from_summary,
)
from hipdrop.history.trend import MDC_DEG, changes

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


def phase(stance: str, peak: float, **more) -> dict:
    return {"stance": stance, "start_s": 3.0, "end_s": 13.0, "duration_s": 10.0,
            "baseline_deg": 0.1, "peak_drop_deg": peak, "mean_drop_deg": peak - 0.5,
            "peak_trunk_lean_deg": 1.0, "peak_lean_change_deg": 0.5, "significant": peak >= 4,
            "obliquity_source": "waist", **more}


def summary(left: float | None, right: float | None, *, reps=(0, 0), new_keys: bool = False,
            source: str = "clip.mp4") -> dict:
    """A summary.json dict: today's keys, or with issue 8's tiers and intervals."""
    phases = []
    for side, peak in (("left", left), ("right", right)):
        if peak is None:
            continue
        extra = ({"finding": "drop" if peak >= 4 else "no drop",
                  "drop_interval_deg": [peak - 1.5, peak + 1.5]} if new_keys else {})
        phases.append(phase(side, peak, **extra))
    items = [{"leg": leg, "start_s": 20.0 + i, "end_s": 20.5 + i, "peak_deg": 30.0,
              "held_s": 0.2 + i} for leg, n in zip(("left", "right"), reps, strict=True)
             for i in range(n)]
    verdict = {s: ("not tested" if p is None else "drop" if p >= 4 else "no drop")
               for s, p in (("left", left), ("right", right))}
    return {"source": source, "model": "full", "fps": 30.0, "frames": 600,
            "frames_with_pose": 600, "settings": {"drop_threshold_deg": 4.0},
            "obliquity_estimator": "hipdrop", "stance_phases": phases,
            "reps": {"left": reps[0], "right": reps[1], "items": items},
            "verdict": verdict | {"text": "words"}, "warnings": [], "disclaimer": "d"}


def record(s: dict, person: str = "me", days: float = 0.0, out: str = "/tmp/x"):
    return session_from_summary(s, person=person, command="analyze", out_dir=out,
                                when=T0 + timedelta(days=days))


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("HIPDROP_DATA_DIR", str(tmp_path / "data"))
    return history.default_path()


def test_location_follows_hipdrop_data_dir(db, tmp_path):
    assert db == tmp_path / "data" / "history.sqlite3"
    with History() as h:
        assert h.path == db and h.version == SCHEMA_VERSION
    assert db.is_file()
    assert db.parent.stat().st_mode & 0o077 == 0  # a new data folder is private
    with sqlite3.connect(db) as conn:  # WAL, for readers beside a writer
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_two_sessions_of_one_person_round_trip(db):
    first, second = record(summary(8.4, 0.9), days=0), record(summary(3.1, 1.2, reps=(3, 2)), days=7)
    with History() as h:
        h.add(second)  # out of order on purpose: listing is by time
        h.add(first)
    with History() as h:
        got = h.sessions(person="me")
    assert [g.id for g in got] == [first.id, second.id]
    a, b = got
    assert a.recorded_at == T0 and b.recorded_at == T0 + timedelta(days=7)
    assert (a.left.finding, a.left.peak_drop_deg, a.right.finding) == ("drop", 8.4, "no drop")
    assert (b.left.reps, b.right.reps) == (3, 2)
    assert b.left.best_hold_s == pytest.approx(2.2) and b.right.best_hold_s == pytest.approx(1.2)
    assert a.summary == first.summary and a.settings == {"drop_threshold_deg": 4.0}
    assert previous_session(got, b).id == a.id
    assert previous_session(got, a) is None
    # The change of the left drop (-5.3 deg) is larger than the MDC; the right one is noise.
    (left,), (right,) = changes(got, "left"), changes(got, "right")
    assert left.delta_deg == pytest.approx(3.1 - 8.4) and left.real
    assert not right.real and abs(right.delta_deg) < MDC_DEG


def test_two_people_filters_and_forget(db):
    with History() as h:
        for i in range(3):
            h.add(record(summary(5.0 + i, 1.0), person="alice-6f1c", days=i))
        h.add(record(summary(2.0, 2.0), person="bob", days=1.5))
        h.add(record(summary(None, None, reps=(4, 4)) | {"mode": "reps"}, person="bob", days=2))
    with History() as h:
        assert h.people() == [("alice-6f1c", 3), ("bob", 2)]
        assert len(h.sessions()) == 5
        assert [s.person for s in h.sessions(since=T0 + timedelta(days=1),
                                             until=T0 + timedelta(days=1.9))] == ["alice-6f1c", "bob"]
        assert [s.mode for s in h.sessions(person="bob", mode="reps")] == ["reps"]
        assert len(h.sessions(mode="analyze")) == 5
        assert h.forget("alice-6f1c") == 3
        assert h.forget("nobody") == 0
        assert [s.person for s in h.sessions()] == ["bob", "bob"]
        bob = h.sessions(person="bob")[-1]
        assert bob.left.finding == "not tested" and bob.left.peak_drop_deg is None
    # Forgotten means gone from the file too, not only from the queries.
    data = b"".join(p.read_bytes() for p in db.parent.glob("history.sqlite3*"))
    assert b"alice-6f1c" not in data and b"bob" in data


def test_new_summary_keys_are_stored(db):
    s = summary(6.0, 1.0, new_keys=True)
    s["stance_phases"][1] |= {"finding": "inconclusive", "obliquity_source": "landmarks",
                              "inconclusive_reason": "your waist is hidden: tuck in your top"}
    s["verdict"]["right"] = "inconclusive"
    with History() as h:
        h.add(record(s))
        got = h.sessions()[0]
    assert (got.left.drop_low_deg, got.left.drop_high_deg) == (4.5, 7.5)
    assert got.right.finding == "inconclusive" and got.right.obliquity_source == "landmarks"
    assert got.right.inconclusive_reason.startswith("your waist is hidden")
    assert got.left.inconclusive_reason is None


def test_migration_from_version_1(db):
    """A database written by the first schema is brought up to date in place, old rows kept
    and the new columns filled from the summary stored with them."""
    db.parent.mkdir(parents=True)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN")
    MIGRATIONS[0](conn)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (1)")
    old = summary(7.0, 0.5, new_keys=True)
    conn.execute("INSERT INTO sessions VALUES (1, 'me', '2026-01-05T10:00:00Z', 'live', 'stance', "
                 "'0', '/tmp/s', '0.0.9', 'full', 'hipdrop', '{}', 'old words', ?)",
                 (json.dumps(old),))
    for side, peak in (("left", 7.0), ("right", 0.5)):
        conn.execute("INSERT INTO sides VALUES (1, ?, 'drop', ?, NULL, NULL, 10.0, 1, 0, NULL)",
                     (side, peak))
    conn.execute("COMMIT")
    conn.close()
    with History() as h:
        assert h.version == SCHEMA_VERSION > 1
        (s,) = h.sessions()
        assert (s.hipdrop_version, s.verdict_text, s.left.peak_drop_deg) == ("0.0.9", "old words", 7.0)
        assert (s.left.drop_low_deg, s.left.drop_high_deg) == (5.5, 8.5)
        assert s.left.obliquity_source == "waist"
        h.add(record(summary(2.0, 2.0)))
        assert len(h.sessions()) == 2


def test_newer_schema_is_refused_and_left_alone(db):
    with History():
        pass
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    before = db.read_bytes()
    with pytest.raises(HistoryError, match="newer hipdrop"):
        History()
    assert db.read_bytes() == before


def test_corrupt_file_raises_one_clear_error_and_is_not_overwritten(db):
    db.parent.mkdir(parents=True)
    junk = b"this is not a database, but somebody's notes\n" * 200
    db.write_bytes(junk)
    with pytest.raises(HistoryError, match="damaged or not a hipdrop database") as info:
        History()
    assert "\n" not in str(info.value)
    assert db.read_bytes() == junk


def test_locked_database_raises_after_the_timeout(db):
    with History() as h:
        h.add(record(summary(5.0, 1.0)))
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program writing, and not letting go
    try:
        with pytest.raises(HistoryError, match="locked by another program"):
            History(timeout_s=0.2)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with History() as h:  # released: usable again, nothing lost
        assert len(h.sessions()) == 1


def test_concurrent_writers_lose_nothing(db):
    with History():
        pass
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            with History() as h:
                for i in range(15):
                    h.add(record(summary(float(i), 1.0), person=f"p{k}", days=i))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    with History() as h:
        got = h.sessions()
        assert len(got) == 60 and len({s.id for s in got}) == 60
        assert h.people() == [(f"p{k}", 15) for k in range(4)]


def test_side_of_an_old_summary_without_verdict_keys():
    s = summary(None, 2.0)
    del s["verdict"]
    assert side_from_summary(s, "left").finding == "not tested"
    assert side_from_summary(s, "right").finding == "inconclusive"  # a phase but no verdict
    assert side_from_summary(s, "right").peak_drop_deg == 2.0
