"""After a session's outputs are written: record it in the history, then write its report.html.

Both come after every other output, so neither can cost the session what it measured: a
history that cannot be opened becomes one warning (and the report says the history was not
available), and a report that cannot be written becomes one warning too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hipdrop.errors import HipdropError, HistoryError
from hipdrop.history.store import History, SessionRecord, session_from_summary
from hipdrop.io.outputs import write_bytes
from hipdrop.reports.html import REPORT_NAME, HistoryContext, report_page

DEFAULT_PERSON = "me"


@dataclass
class Logged:
    """What :func:`log_session` did."""

    record: SessionRecord | None = None  # as stored, None when not recorded
    report: Path | None = None
    warnings: list[str] = field(default_factory=list)


def log_session(summary: dict, out_dir: Path, *, command: str, person: str = DEFAULT_PERSON,
                history: bool = True, video: Path | None = None, db: Path | None = None,
                frames: dict | None = None, until: Callable[[], object] | None = None) -> Logged:
    """Record the finished session of ``summary`` (written to ``out_dir``) and write its report.

    ``video`` is the recording the session came from (key frames), None for a landmarks file or
    a camera. ``db`` overrides the history's location (default: :func:`hipdrop.history.store.default_path`).
    ``frames``: the session's frames.csv columns, when the caller has them
    (:func:`hipdrop.reports.html.frames_of`), so the report does not read frames.csv back.
    ``until``: the session's last output, still being written on another thread
    (annotated.mp4), waited for once the report is made and before the session is recorded or
    the report written: when it raises, neither is, and its error propagates (as when that
    output was written before this was called); a signal meanwhile rolls the record back too.
    """
    done = Logged()
    context = HistoryContext(note="This session was not recorded in the history (--no-history).")
    page: bytes | None = None
    failed = False  # the page could not be made: said once

    def make(ctx: HistoryContext) -> bytes | None:
        nonlocal failed
        try:
            return report_page(out_dir, summary, video=video, person=person, history=ctx,
                               frames=frames)
        except (OSError, HipdropError) as exc:
            failed = True
            done.warnings.append(f"report.html not written: {exc}")
            return None

    waited = until is None
    if history:
        try:
            with History(db) as h:
                record = session_from_summary(summary, person=person, command=command,
                                              out_dir=out_dir)
                # Committed only once ``until`` says the outputs are all there; the report
                # (its trend chart needs the record) is made meanwhile.
                with h.adding(record):
                    page = make(HistoryContext(record, h.sessions(person=person)))
                    if until is not None:
                        until()
                        waited = True
                done.record = record
        except HistoryError as exc:
            # What was made with the history (a page, its failure) is not what is written.
            done.warnings = [f"{exc}; this session is not in the history"]
            context = HistoryContext(note=f"The history was not available: {exc}.")
            page, failed = None, False
    if page is None and not failed:
        page = make(context)
    if not waited and until is not None:
        until()
    if page is not None:
        path = Path(out_dir) / REPORT_NAME
        try:
            write_bytes(path, page)
            done.report = path
        except (OSError, HipdropError) as exc:
            done.warnings.append(f"report.html not written: {exc}")
    return done
