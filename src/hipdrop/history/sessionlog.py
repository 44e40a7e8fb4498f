"""After a session's outputs are written: record it in the history, then write its report.html.

Both come after every other output, so neither can cost the session what it measured: a
history that cannot be opened becomes one warning (and the report says the history was not
available), and a report that cannot be written becomes one warning too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hipdrop.errors import HipdropError, HistoryError
from hipdrop.history.store import History, SessionRecord, session_from_summary
from hipdrop.reports.html import HistoryContext, write_report

DEFAULT_PERSON = "me"


@dataclass
class Logged:
    """What :func:`log_session` did."""

    record: SessionRecord | None = None  # as stored, None when not recorded
    report: Path | None = None
    warnings: list[str] = field(default_factory=list)


def log_session(summary: dict, out_dir: Path, *, command: str, person: str = DEFAULT_PERSON,
                history: bool = True, video: Path | None = None, db: Path | None = None,
                frames: dict | None = None) -> Logged:
    """Record the finished session of ``summary`` (written to ``out_dir``) and write its report.

    ``video`` is the recording the session came from (key frames), None for a landmarks file or
    a camera. ``db`` overrides the history's location (default: :func:`hipdrop.history.store.default_path`).
    ``frames``: the session's frames.csv columns, when the caller has them
    (:func:`hipdrop.reports.html.frames_of`), so the report does not read frames.csv back.
    """
    done = Logged()
    context = HistoryContext(note="This session was not recorded in the history (--no-history).")
    if history:
        try:
            with History(db) as h:
                record = session_from_summary(summary, person=person, command=command,
                                              out_dir=out_dir)
                h.add(record)
                context = HistoryContext(record, h.sessions(person=person))
                done.record = record
        except HistoryError as exc:
            done.warnings.append(f"{exc}; this session is not in the history")
            context = HistoryContext(note=f"The history was not available: {exc}.")
    try:
        done.report = write_report(out_dir, summary, video=video, person=person, history=context,
                                   frames=frames)
    except (OSError, HipdropError) as exc:
        done.warnings.append(f"report.html not written: {exc}")
    return done
