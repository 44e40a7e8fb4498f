"""`hipdrop history`: the sessions recorded on this computer, their trend, and forgetting them.

  hipdrop history [--person NAME] [--since DATE] [--until DATE] [--mode MODE] [--json|--csv [FILE]]
  hipdrop history trend [--person NAME] [--out FILE.png]
  hipdrop history forget --person NAME --yes

The database is $HIPDROP_DATA_DIR/history.sqlite3, else the user data folder
(~/.local/share/hipdrop on Linux). `analyze` and `live` record every session unless
--no-history; --person keeps several people apart (default "me").
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

from hipdrop.errors import InputError, OutputError
from hipdrop.history.sessionlog import DEFAULT_PERSON
from hipdrop.history.store import History, SessionRecord, SideRecord, default_path, parse_when

MODES = ("stance", "reps", "hold", "analyze", "live")


def _filters(p: argparse.ArgumentParser, person_help: str) -> None:
    # SUPPRESS: options given before or after the action word both count (see _get).
    p.add_argument("--person", default=argparse.SUPPRESS, metavar="NAME", help=person_help)
    p.add_argument("--since", default=argparse.SUPPRESS, metavar="DATE",
                   help="sessions from this date (YYYY-MM-DD or an ISO date-time)")
    p.add_argument("--until", default=argparse.SUPPRESS, metavar="DATE",
                   help="sessions up to this date, included")
    p.add_argument("--mode", default=argparse.SUPPRESS, choices=MODES,
                   help="only this mode (stance, reps, hold) or command (analyze, live)")


def add_arguments(p: argparse.ArgumentParser) -> None:
    _filters(p, "only this person's sessions [everyone]")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", nargs="?", const="-", metavar="FILE",
                     help="export as JSON to FILE or stdout")
    out.add_argument("--csv", nargs="?", const="-", metavar="FILE",
                     help="export as CSV to FILE or stdout")
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    t = sub.add_parser("trend", help="chart of the drop per side, reps and holds over time",
                       description="A PNG chart over time of one person's peak drop per side with "
                       "its interval, reps per leg and best hold; changes larger than the minimal "
                       "detectable change (4 deg) are starred.")
    _filters(t, f"whose trend [{DEFAULT_PERSON}]")
    t.add_argument("--out", type=Path, metavar="FILE.png",
                   help="where to write the chart [./hipdrop-trend-PERSON.png]")
    f = sub.add_parser("forget", help="delete every session of a person",
                       description="Delete every recorded session of a person from the history "
                       "(their output folders are left as they are).")
    f.add_argument("--person", required=True, metavar="NAME", help="whose sessions to delete")
    f.add_argument("--yes", action="store_true", help="really delete (required)")


def _get(args: argparse.Namespace, name: str, default: object = None):
    return getattr(args, name, default)


def _select(args: argparse.Namespace, h: History, person: str | None) -> list[SessionRecord]:
    try:
        since = parse_when(args.since) if _get(args, "since") else None
        until = parse_when(args.until, end_of_day=True) if _get(args, "until") else None
    except ValueError as exc:
        raise InputError(f"bad date: {exc} (use YYYY-MM-DD or an ISO date-time)") from None
    return h.sessions(person=person, since=since, until=until, mode=_get(args, "mode"))


def _peak(s: SideRecord) -> str:
    if s.finding == "not tested":
        return "-"
    peak = "" if s.peak_drop_deg is None else f" {s.peak_drop_deg:+.1f}"
    return f"{s.finding}{peak}"


def format_table(records: list[SessionRecord]) -> str:
    """Sessions as a text table, one line each (local time)."""
    head = ("id", "when", "person", "mode", "left leg", "right leg", "reps L/R", "hold L/R", "source")
    rows = []
    for r in records:
        hold = "/".join("-" if s.best_hold_s is None else f"{s.best_hold_s:.0f}s"
                        for s in (r.left, r.right))
        rows.append((str(r.id), r.recorded_at.astimezone().strftime("%Y-%m-%d %H:%M"), r.person,
                     f"{r.command}:{r.mode}", _peak(r.left), _peak(r.right),
                     f"{r.left.reps}/{r.right.reps}", hold, r.source))
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=True)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in [head, *rows]]
    return "\n".join(lines)


def _export(records: list[SessionRecord], kind: str, dest: str, db: Path) -> None:
    rows = [r.to_row() for r in records]
    if kind == "json":
        text = json.dumps(rows, indent=2) + "\n"
    else:
        buf = io.StringIO()
        fields = list(rows[0]) if rows else ["id"]
        w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        text = buf.getvalue()
    if dest == "-":
        sys.stdout.write(text)
        return
    path = Path(dest)
    if path.resolve() == db.resolve():
        raise InputError(f"{path} is the history database itself: choose another file")
    from hipdrop.io.outputs import write_bytes

    try:
        write_bytes(path, text.encode("utf-8"))
    except OutputError as exc:  # hipdrop.io.outputs' one line, as a bad argument's exit status
        raise InputError(str(exc)) from None
    print(f"{len(rows)} sessions written to {path}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """The `hipdrop history` command."""
    action = _get(args, "action")
    db = default_path()
    if action == "forget" and not args.yes:
        raise InputError(f"this deletes every session of {args.person!r} from {db}: "
                         "add --yes to do it")
    if action is None and not db.exists():
        print(f"No sessions recorded yet ({db} does not exist).")
        return 0
    with History(db) as h:
        if action == "forget":
            n = h.forget(args.person)
            print(f"Deleted {n} session{'s' * (n != 1)} of {args.person!r} from {db} "
                  "(their output folders are left as they are).")
            return 0
        if action == "trend":
            person = _get(args, "person") or DEFAULT_PERSON
            records = _select(args, h, person)
            if not records:
                raise InputError(f"no sessions of {person!r} in the history ({db})")
            out = args.out or Path(f"hipdrop-trend-{person}.png")
            from hipdrop.history.trend import write_trend

            threshold = float(records[-1].settings.get("drop_threshold_deg", 4.0))
            try:
                write_trend(records, out, threshold_deg=threshold,
                            title=f"{person}: {len(records)} sessions")
            except OutputError as exc:
                raise InputError(str(exc)) from None
            print(f"Trend of {len(records)} sessions of {person!r} written to {out}")
            return 0
        records = _select(args, h, _get(args, "person"))
    if args.json or args.csv:
        _export(records, "json" if args.json else "csv", args.json or args.csv, db)
    elif records:
        print(format_table(records))
    else:
        print("No sessions match.")
    return 0

