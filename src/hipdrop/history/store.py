"""The local history of sessions: one SQLite database, every `analyze` and `live` run in it.

The database lives in ``$HIPDROP_DATA_DIR`` or the platform's user data folder
(``~/.local/share/hipdrop/history.sqlite3`` on Linux). It is meant to be shared by several
hipdrop processes at once (a physiotherapist analysing clips while a live session ends): WAL
journal, a busy timeout, and every write in one ``BEGIN IMMEDIATE`` transaction. The schema has
a version table and a list of migrations from the first release, so a database written by an
older hipdrop is brought up to date in place, and one written by a newer hipdrop is refused
rather than damaged.

Every failure of the database (corrupt, locked for longer than the timeout, unwritable) raises
:class:`hipdrop.errors.HistoryError`; the CLI turns it into one warning line and a session's own
outputs are written regardless.

What is stored comes from the session's summary dict (summary.json), read with fallbacks so that
summaries from before and after the measurement tiers (DESIGN.md: ``finding``,
``drop_interval_deg``, ``obliquity_source``, ``inconclusive_reason``) both work. The whole
summary is kept too, so a later migration can fill a new column from it.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from hipdrop import __version__
from hipdrop.errors import HistoryError

DB_NAME = "history.sqlite3"
BUSY_TIMEOUT_S = 5.0  # how long a writer waits for another one before giving up
SIDES = ("left", "right")
FINDINGS = ("drop", "no drop", "compensated", "inconclusive", "not tested")


def data_dir() -> Path:
    """Where hipdrop keeps its history: ``$HIPDROP_DATA_DIR``, else the user data folder."""
    env = os.environ.get("HIPDROP_DATA_DIR")
    if env:
        return Path(env).expanduser()
    home = Path.home()
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", home / "AppData" / "Local")) / "hipdrop"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "hipdrop"
    return Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share") / "hipdrop"


def default_path() -> Path:
    return data_dir() / DB_NAME


# ---------------------------------------------------------------------------------------------
# Records


@dataclass
class SideRecord:
    """One side of a session. ``side`` is the person's anatomical side: for the drop, the
    STANCE leg (a drop standing on the left leg points to the left gluteus medius); for reps
    and holds, the leg that moved."""

    side: str
    finding: str = "not tested"
    peak_drop_deg: float | None = None
    mean_drop_deg: float | None = None
    drop_low_deg: float | None = None  # the peak drop's 90% interval, when the summary has one
    drop_high_deg: float | None = None
    obliquity_source: str | None = None  # markers / waist / landmarks: what carried the drop
    peak_lean_deg: float | None = None  # trunk lean beyond the double-stance posture
    stance_s: float | None = None  # the longest single-leg stance on this leg
    phases: int = 0
    reps: int = 0  # abduction reps of this leg
    best_hold_s: float | None = None  # the longest abduction hold of this leg
    inconclusive_reason: str | None = None


@dataclass
class SessionRecord:
    """One recorded session."""

    person: str
    recorded_at: datetime  # UTC, aware
    command: str  # analyze | live
    mode: str  # stance | reps | hold
    source: str
    out_dir: str | None
    left: SideRecord
    right: SideRecord
    settings: dict = field(default_factory=dict)
    verdict_text: str = ""
    hipdrop_version: str = __version__
    model: str = ""
    estimator: str = ""
    summary: dict = field(default_factory=dict)
    id: int | None = None

    def side(self, name: str) -> SideRecord:
        return self.left if name == "left" else self.right

    def to_row(self) -> dict:
        """A flat dict for tables, CSV and JSON (no summary, settings as JSON)."""
        row: dict = {"id": self.id, "person": self.person,
                     "recorded_at": iso(self.recorded_at), "command": self.command,
                     "mode": self.mode, "source": self.source, "out_dir": self.out_dir}
        for s in (self.left, self.right):
            for k, v in asdict(s).items():
                if k != "side":
                    row[f"{s.side}_{k}"] = v
        row.update({"verdict": self.verdict_text, "hipdrop_version": self.hipdrop_version,
                    "model": self.model, "estimator": self.estimator,
                    "settings": json.dumps(self.settings, sort_keys=True)})
        return row


def iso(when: datetime) -> str:
    """UTC ISO 8601 to the second, with a Z: sorts as text in the order of time."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_when(text: str, end_of_day: bool = False) -> datetime:
    """A date (YYYY-MM-DD, local) or an ISO date-time; a bare date given as an upper bound
    means the end of that day. Raises ValueError."""
    text = text.strip()
    if len(text) == 10:
        day = datetime.strptime(text, "%Y-%m-%d")
        if end_of_day:
            day = day.replace(hour=23, minute=59, second=59)
        return day.astimezone()
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.astimezone()


def _num(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _interval(phase: dict) -> tuple[float | None, float | None]:
    iv = phase.get("drop_interval_deg")
    if isinstance(iv, (list, tuple)) and len(iv) == 2:
        return _num(iv[0]), _num(iv[1])
    return None, None


def _carrying_phase(phases: list[dict], finding: str) -> dict | None:
    """The phase behind a side's finding: among the phases with that finding (when phases
    carry one), the one with the largest peak drop, as the verdict chooses it."""
    if not phases:
        return None
    same = [p for p in phases if p.get("finding") == finding] or phases
    def peak(p: dict) -> float:
        value = _num(p.get("peak_drop_deg"))
        return -1e9 if value is None else value

    return max(same, key=peak)


def side_from_summary(summary: dict, side: str) -> SideRecord:
    """The :class:`SideRecord` of ``side`` in a summary dict (old or new keys)."""
    phases = [p for p in summary.get("stance_phases") or [] if p.get("stance") == side]
    verdict = summary.get("verdict") or {}
    finding = verdict.get(side) or ("not tested" if not phases else "inconclusive")
    phase = _carrying_phase(phases, finding)
    reps = summary.get("reps") or {}
    listed = reps.get(side)
    count = listed if isinstance(listed, int) else sum(
        r.get("leg") == side for r in reps.get("items") or [])
    holds = summary.get("best_hold_s") or {}
    best = _num(holds.get(side))
    if best is None:
        held = [_num(r.get("held_s")) for r in reps.get("items") or [] if r.get("leg") == side]
        best = max((h for h in held if h is not None), default=None)
    record = SideRecord(side, finding, phases=len(phases), reps=int(count), best_hold_s=best)
    if phase is not None:
        record.peak_drop_deg = _num(phase.get("peak_drop_deg"))
        record.mean_drop_deg = _num(phase.get("mean_drop_deg"))
        record.drop_low_deg, record.drop_high_deg = _interval(phase)
        record.obliquity_source = phase.get("obliquity_source")
        lean = phase.get("peak_lean_change_deg", phase.get("peak_trunk_lean_deg"))
        record.peak_lean_deg = _num(lean)
        record.stance_s = max((_num(p.get("duration_s")) or 0.0) for p in phases)
        reason = phase.get("inconclusive_reason") or verdict.get(f"{side}_reason")
        record.inconclusive_reason = reason if finding == "inconclusive" else None
    return record


def infer_mode(summary: dict) -> str:
    """The live mode, or for `analyze` what the recording holds: stance, reps or hold."""
    mode = summary.get("mode")
    if isinstance(mode, str) and mode:
        return mode
    if summary.get("stance_phases"):
        return "stance"
    return "reps" if (summary.get("reps") or {}).get("items") else "stance"


def session_from_summary(summary: dict, *, person: str, command: str, out_dir: Path | str | None,
                         when: datetime | None = None) -> SessionRecord:
    """The record of a finished session, from its summary dict (summary.json's content)."""
    return SessionRecord(
        person=person, recorded_at=(when or datetime.now(timezone.utc)).astimezone(timezone.utc),
        command=command, mode=infer_mode(summary), source=str(summary.get("source", "")),
        out_dir=str(Path(out_dir).resolve()) if out_dir is not None else None,
        left=side_from_summary(summary, "left"), right=side_from_summary(summary, "right"),
        settings=dict(summary.get("settings") or {}),
        verdict_text=str((summary.get("verdict") or {}).get("text", "")),
        model=str(summary.get("model", "")), estimator=str(summary.get("obliquity_estimator", "")),
        summary=summary)


# ---------------------------------------------------------------------------------------------
# Schema and migrations


def _v1(conn: sqlite3.Connection) -> None:
    """The first schema: sessions and their two sides (before measurement tiers existed)."""
    # Statement by statement: executescript() would commit the migration's transaction.
    script = """
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            person TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            command TEXT NOT NULL,
            mode TEXT NOT NULL,
            source TEXT NOT NULL,
            out_dir TEXT,
            hipdrop_version TEXT NOT NULL,
            model TEXT NOT NULL,
            estimator TEXT NOT NULL,
            settings_json TEXT NOT NULL,
            verdict_text TEXT NOT NULL,
            summary_json TEXT NOT NULL
        );
        CREATE INDEX sessions_person_time ON sessions (person, recorded_at);
        CREATE TABLE sides (
            session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            side TEXT NOT NULL CHECK (side IN ('left', 'right')),
            finding TEXT NOT NULL,
            peak_drop_deg REAL,
            mean_drop_deg REAL,
            peak_lean_deg REAL,
            stance_s REAL,
            phases INTEGER NOT NULL,
            reps INTEGER NOT NULL,
            best_hold_s REAL,
            PRIMARY KEY (session_id, side)
        )
    """
    for statement in script.split(";"):
        conn.execute(statement)


_V2_COLUMNS = ("drop_low_deg", "drop_high_deg", "obliquity_source", "inconclusive_reason")


def _v2(conn: sqlite3.Connection) -> None:
    """Measurement tiers: the peak drop's interval, what carried it, why a side is
    inconclusive. Filled for old rows from the summary kept with them."""
    for name, kind in zip(_V2_COLUMNS, ("REAL", "REAL", "TEXT", "TEXT"), strict=True):
        conn.execute(f"ALTER TABLE sides ADD COLUMN {name} {kind}")
    for sid, text in conn.execute("SELECT id, summary_json FROM sessions").fetchall():
        summary = json.loads(text)
        for side in SIDES:
            rec = side_from_summary(summary, side)
            conn.execute(
                "UPDATE sides SET drop_low_deg = ?, drop_high_deg = ?, obliquity_source = ?, "
                "inconclusive_reason = ? WHERE session_id = ? AND side = ?",
                (rec.drop_low_deg, rec.drop_high_deg, rec.obliquity_source,
                 rec.inconclusive_reason, sid, side))


# Append only: MIGRATIONS[i] brings a database from version i to version i + 1.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2]
SCHEMA_VERSION = len(MIGRATIONS)

_SIDE_COLUMNS = ("finding", "peak_drop_deg", "mean_drop_deg", "peak_lean_deg", "stance_s",
                 "phases", "reps", "best_hold_s", *_V2_COLUMNS)


# ---------------------------------------------------------------------------------------------
# The database


def _explain(path: Path, exc: BaseException, timeout_s: float) -> str:
    text = str(exc)
    if isinstance(exc, sqlite3.OperationalError) and "locked" in text:
        return (f"the history database {path} is locked by another program "
                f"(waited {timeout_s:g} s)")
    if isinstance(exc, sqlite3.DatabaseError) and ("not a database" in text or "malformed" in text):
        return (f"the history database {path} is damaged or not a hipdrop database ({text}); "
                "move it away and hipdrop starts a new one")
    if isinstance(exc, OSError):
        return f"the history database {path} cannot be written ({exc.strerror or exc})"
    return f"the history database {path} failed: {text}"


class History:
    """A connection to the history database; use as a context manager.

    Raises HistoryError from every method (and from the constructor) instead of sqlite3 or OS
    errors.
    """

    def __init__(self, path: Path | None = None, *, timeout_s: float | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.timeout_s = timeout = BUSY_TIMEOUT_S if timeout_s is None else timeout_s
        self.conn: sqlite3.Connection | None = None
        try:
            self._open(timeout)
        except HistoryError:
            self.close()
            raise

    def _open(self, timeout: float) -> None:
        with self._guard():
            if not self.path.parent.is_dir():
                # Health data of people: the folder is the user's alone.
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # isolation_level=None: no implicit transactions; every write opens its own.
            self.conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            self.conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            # forget() should leave no trace of a person in the file's free pages.
            self.conn.execute("PRAGMA secure_delete = ON")
            self._migrate()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            if self.conn is not None and self.conn.in_transaction:
                try:
                    self.conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            raise HistoryError(_explain(self.path, exc, self.timeout_s)) from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: taken before any read, so two writers never deadlock."""
        assert self.conn is not None, "the history database is closed"
        with self._guard():
            self.conn.execute("BEGIN IMMEDIATE")
            yield self.conn
            self.conn.execute("COMMIT")

    def _migrate(self) -> None:
        with self._write() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            version = row[0] if row else 0
            if version > SCHEMA_VERSION:
                raise sqlite3.DatabaseError(
                    f"schema version {version} was written by a newer hipdrop (this one knows "
                    f"up to {SCHEMA_VERSION}): upgrade hipdrop")
            for step in MIGRATIONS[version:]:
                step(conn)
            if row is None:
                conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
            elif version < SCHEMA_VERSION:
                conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))

    @property
    def version(self) -> int:
        assert self.conn is not None
        with self._guard():
            return int(self.conn.execute("SELECT version FROM schema_version").fetchone()[0])

    # -- writing

    def add(self, record: SessionRecord) -> int:
        """Store ``record``; sets and returns its id."""
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO sessions (person, recorded_at, command, mode, source, out_dir, "
                "hipdrop_version, model, estimator, settings_json, verdict_text, summary_json) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (record.person, iso(record.recorded_at), record.command, record.mode,
                 record.source, record.out_dir, record.hipdrop_version, record.model,
                 record.estimator, json.dumps(record.settings, sort_keys=True),
                 record.verdict_text, json.dumps(record.summary, allow_nan=False)))
            sid = int(cur.lastrowid or 0)
            for s in (record.left, record.right):
                conn.execute(
                    f"INSERT INTO sides (session_id, side, {', '.join(_SIDE_COLUMNS)}) "
                    f"VALUES (?, ?, {', '.join('?' * len(_SIDE_COLUMNS))})",
                    (sid, s.side, *(getattr(s, c) for c in _SIDE_COLUMNS)))
        record.id = sid
        return sid

    def forget(self, person: str) -> int:
        """Delete every session of ``person``; returns how many. The file keeps no trace
        (secure_delete, and the WAL is checkpointed into the database and truncated)."""
        with self._write() as conn:
            n = conn.execute("DELETE FROM sessions WHERE person = ?", (person,)).rowcount
        with self._guard():
            assert self.conn is not None
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return int(n)

    # -- reading

    def sessions(self, person: str | None = None, since: datetime | None = None,
                 until: datetime | None = None, mode: str | None = None) -> list[SessionRecord]:
        """Sessions in the order they were recorded. ``mode`` matches the mode (stance, reps,
        hold) or the command (analyze, live)."""
        where, args = [], []
        if person is not None:
            where.append("person = ?")
            args.append(person)
        if since is not None:
            where.append("recorded_at >= ?")
            args.append(iso(since))
        if until is not None:
            where.append("recorded_at <= ?")
            args.append(iso(until))
        if mode is not None:
            where.append("(mode = ? OR command = ?)")
            args += [mode, mode]
        sql = ("SELECT id, person, recorded_at, command, mode, source, out_dir, hipdrop_version, "
               "model, estimator, settings_json, verdict_text, summary_json FROM sessions"
               + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY recorded_at, id")
        assert self.conn is not None, "the history database is closed"
        with self._guard():
            rows = self.conn.execute(sql, args).fetchall()
            sides = self._sides([r[0] for r in rows])
        return [SessionRecord(
            person=r[1], recorded_at=datetime.strptime(r[2], "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=timezone.utc), command=r[3], mode=r[4], source=r[5], out_dir=r[6],
            left=sides.get((r[0], "left"), SideRecord("left")),
            right=sides.get((r[0], "right"), SideRecord("right")),
            settings=json.loads(r[10]), verdict_text=r[11], hipdrop_version=r[7], model=r[8],
            estimator=r[9], summary=json.loads(r[12]), id=r[0]) for r in rows]

    def _sides(self, ids: list[int]) -> dict[tuple[int, str], SideRecord]:
        assert self.conn is not None
        out: dict[tuple[int, str], SideRecord] = {}
        for i in range(0, len(ids), 500):  # SQLite's limit on bound parameters
            chunk = ids[i:i + 500]
            rows = self.conn.execute(
                f"SELECT session_id, side, {', '.join(_SIDE_COLUMNS)} FROM sides "
                f"WHERE session_id IN ({', '.join('?' * len(chunk))})", chunk).fetchall()
            for row in rows:
                out[(row[0], row[1])] = SideRecord(row[1], **dict(zip(_SIDE_COLUMNS, row[2:],
                                                                      strict=True)))
        return out

    def people(self) -> list[tuple[str, int]]:
        """(person, number of sessions), by name."""
        assert self.conn is not None
        with self._guard():
            return [(p, int(n)) for p, n in self.conn.execute(
                "SELECT person, COUNT(*) FROM sessions GROUP BY person ORDER BY person")]


def previous_session(sessions: list[SessionRecord], current: SessionRecord) -> SessionRecord | None:
    """The same person's latest session of the same mode recorded before ``current``."""
    earlier = [s for s in sessions if s.person == current.person and s.mode == current.mode
               and s.id != current.id and (s.recorded_at, s.id or 0)
               < (current.recorded_at, current.id or 1 << 62)]
    return earlier[-1] if earlier else None
