"""report.html: one self-contained page per session, for the person and for a clinician.

Everything is in the one file (images as data: URIs, the stylesheet inline, no script, no
font or request to any server), so it can be mailed, archived, and printed to a clean PDF
(a print stylesheet). Built from what the session wrote (summary dict, frames.csv,
landmarks.npz, the video when there is one) and from the history, after every other output is
written: nothing here runs on the live loop's path. Written atomically.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from hipdrop.core.verdict import level_words
from hipdrop.history.store import SIDES, SessionRecord, SideRecord, previous_session, side_from_summary
from hipdrop.history.trend import MDC_DEG, Change, since_first, trend_png
from hipdrop.io.outputs import write_bytes
from hipdrop.reports.keyframes import KeyFrame, double_stance_time, key_frames, read_frames_csv

if TYPE_CHECKING:
    from hipdrop.pipeline.analysis import Analysis

REPORT_NAME = "report.html"
DISCLAIMER = "hipdrop is a self-assessment aid, not a diagnosis"
OTHER = {"left": "right", "right": "left"}
TIER_WORDS = {
    "markers": "stickers on the hip bones (the most direct reading)",
    "waist": "the waist line: belt, waistband or top of the shorts",
    "landmarks": "the pose model's hip landmarks (approximate)",
}


@dataclass
class HistoryContext:
    """What the history knows when the report is written."""

    current: SessionRecord | None = None  # this session as recorded (None: not recorded)
    sessions: list[SessionRecord] = field(default_factory=list)  # the person's, in order
    note: str = ""  # why there is no history, when there is none


# ---------------------------------------------------------------------------------------------
# Words


def _deg(x: float | None, signed: bool = True) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x:+.1f} deg" if signed else f"{x:.1f} deg"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def meaning(side: str, finding: str, reason: str | None = None, hiked: bool = False) -> str:
    """What a side's finding means, in plain words (``hiked``: the whole interval past the
    threshold the other way, :func:`hipdrop.core.verdict.level_words`)."""
    up, lifted = side.upper(), OTHER[side]
    level = "did not drop: the lifted side rose (a hip hike)" if hiked else "stayed level"
    if finding == "drop":
        return (f"Standing on your {up} leg, your pelvis dropped toward the lifted {lifted} leg: "
                f"a positive Trendelenburg sign. It points to a weak {up} gluteus medius, the "
                "muscle on the outside of the hip that holds the pelvis level when you stand on "
                "one leg. Hip-abduction exercises (side-lying and standing leg raises, holds) "
                "strengthen it; retest in a few weeks.")
    if finding == "no drop":
        return (f"Standing on your {up} leg, your pelvis {level}: your {side} gluteus "
                "medius held it.")
    if finding == "compensated":
        return (f"Standing on your {up} leg, the pelvis {level} but your trunk leaned over "
                f"the {side} leg. Leaning can hide a weak {side} gluteus medius (a compensated "
                "Trendelenburg): retest keeping the shoulders level.")
    if finding == "inconclusive":
        return "hipdrop could not tell on this leg. " + (reason or "Retest with the waist visible.")
    return f"No stance on the {side} leg was found: lift the {lifted} foot and hold to test it."


def _finding_card(side: str, rec: SideRecord, threshold_deg: float) -> str:
    klass = {"drop": "bad", "no drop": "good", "compensated": "warn", "inconclusive": "warn"}.get(
        rec.finding, "none")
    peak = "" if rec.peak_drop_deg is None else (
        f"<div class='big'>{_deg(rec.peak_drop_deg)}</div><div class='small'>peak drop"
        + (f", 90% interval {_deg(rec.drop_low_deg)} to {_deg(rec.drop_high_deg)}"
           if rec.drop_low_deg is not None and rec.drop_high_deg is not None else "") + "</div>")
    hiked = (rec.drop_high_deg is not None
             and level_words((-math.inf, rec.drop_high_deg), threshold_deg) != "stayed level")
    return (f"<div class='card {klass}'><h3>Standing on the {side.upper()} leg</h3>"
            f"<div class='finding'>{_e(rec.finding.upper())}</div>{peak}"
            f"<p>{_e(meaning(side, rec.finding, rec.inconclusive_reason, hiked))}</p></div>")


# ---------------------------------------------------------------------------------------------
# Pictures


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _img(data: bytes, mime: str, alt: str, klass: str = "") -> str:
    return f"<img class='{klass}' alt='{_e(alt)}' src='{_data_uri(data, mime)}'>"


# Beyond this many phases their labels would overlap into a smear on the chart: none is drawn.
MAX_LABELLED_PHASES = 60


def drop_chart_png(frames: dict[str, np.ndarray], phases: list[dict], threshold_deg: float) -> bytes:
    """Obliquity (hipdrop's and the raw landmark line) and the drop over time, stance phases
    shaded, the threshold drawn: the report's version of obliquity.png."""
    # Drawn with OpenCV, as obliquity.png is: matplotlib's import and layout were ~1.2 s of
    # every report (the larger part of `hipdrop analyze` on a landmarks file).
    from hipdrop.reports.plot import png, render_drop_chart

    return png(render_drop_chart(frames, phases, threshold_deg, MAX_LABELLED_PHASES))


def _moments(summary: dict, frames: dict[str, np.ndarray]) -> list[tuple[str, float, str, bool]]:
    phases = [p for p in summary.get("stance_phases") or []
              if p.get("start_s") is not None and p.get("end_s") is not None]
    out: list[tuple[str, float, str, bool]] = []
    if phases:
        t0 = double_stance_time(frames, min(p["start_s"] for p in phases))
        if t0 is not None:
            out.append(("Double stance", t0, "Both feet down: the pelvis's resting tilt, the "
                        "baseline each drop is measured from.", False))
    for side in SIDES:
        rec = side_from_summary(summary, side)
        mine = [p for p in phases if p.get("stance") == side]
        if not mine:
            continue
        best = max(mine, key=lambda p: p.get("peak_drop_deg") if p.get("peak_drop_deg")
                   is not None else -1e9)
        mid = 0.5 * (best["start_s"] + best["end_s"])
        out.append((f"Standing on the {side} leg", mid,
                    f"Mid-hold on the {side} leg ({rec.finding}; peak drop "
                    f"{_deg(best.get('peak_drop_deg'))}). Thick line: hipdrop's hip line; "
                    "thin grey: the pose model's hip landmarks.", rec.finding == "drop"))
    return out


# ---------------------------------------------------------------------------------------------
# Sections


def _table(head: list[str], rows: Sequence[Sequence[object]]) -> str:
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _section(ident: str, title: str, body: str) -> str:
    return f"<section id='{ident}'><h2>{_e(title)}</h2>{body}</section>"


def _drop_section(summary: dict, threshold: float) -> str:
    rows = []
    for side in SIDES:
        r = side_from_summary(summary, side)
        interval = (f"{_deg(r.drop_low_deg)} to {_deg(r.drop_high_deg)}"
                    if r.drop_low_deg is not None and r.drop_high_deg is not None
                    else "not given")
        held = "n/a" if r.stance_s is None else f"{r.stance_s:.1f} s"
        rows.append([f"<b>{side}</b>", _e(r.finding), _e(_deg(r.peak_drop_deg)), _e(interval),
                     _e(_deg(r.mean_drop_deg)), _e(TIER_WORDS.get(r.obliquity_source or "",
                                                                   r.obliquity_source or "n/a")),
                     _e(_deg(r.peak_lean_deg)), _e(held)])
    body = _table(["stance leg", "finding", "peak drop", "90% interval", "mean drop",
                   "what carried it", "trunk lean", "longest hold"], rows)
    body += (f"<p class='small'>The drop is the pelvis's tilt toward the lifted leg, against its "
             f"tilt with both feet down; a drop of {threshold:g} deg or more is significant. "
             "Negative values are a hike (the lifted side rises). The interval is the range the "
             "true peak drop lies in with 90% confidence, from how reliable the reading was. "
             "A clinical hold is 30 s; a drop often shows only with fatigue.</p>")
    return _section("drop", "The drop, measured", body)


def _reps_section(summary: dict) -> str:
    reps = summary.get("reps") or {}
    items = reps.get("items") or []
    rows = []
    for side in SIDES:
        r = side_from_summary(summary, side)
        peaks = [it.get("peak_deg") for it in items if it.get("leg") == side and
                 it.get("peak_deg") is not None]
        rows.append([f"<b>{side}</b>", r.reps, _e(_deg(max(peaks), False) if peaks else "n/a"),
                     _e("n/a" if r.best_hold_s is None else f"{r.best_hold_s:.1f} s")])
    body = _table(["leg", "abduction reps", "highest lift", "best hold"], rows)
    if items:
        body += "<details><summary>Every rep</summary>" + _table(
            ["leg", "start", "end", "peak", "held above the threshold"],
            [[_e(it.get("leg")), f"{it.get('start_s', 0):.1f} s", f"{it.get('end_s', 0):.1f} s",
              _e(_deg(it.get("peak_deg"), False)), f"{it.get('held_s', 0):.1f} s"]
             for it in items]) + "</details>"
    return _section("reps", "Reps and holds", body)


def _comparison_section(ctx: HistoryContext) -> str:
    if ctx.current is None:
        return _section("compare", "Compared with the previous session",
                        f"<p>{_e(ctx.note or 'This session was not recorded in the history.')}</p>")
    prev = previous_session(ctx.sessions, ctx.current)
    if prev is None:
        return _section("compare", "Compared with the previous session",
                        f"<p>The first {_e(ctx.current.mode)} session of "
                        f"&ldquo;{_e(ctx.current.person)}&rdquo; in the history: the next one "
                        "will be compared with it.</p>")
    rows = []
    for side in SIDES:
        a, b = prev.side(side), ctx.current.side(side)
        if a.peak_drop_deg is not None and b.peak_drop_deg is not None:
            words = Change(side, prev, ctx.current, b.peak_drop_deg - a.peak_drop_deg).words()
        else:
            words = "not measured in both"
        rows.append([f"<b>{side}</b>", _e(f"{a.finding}, {_deg(a.peak_drop_deg)}"),
                     _e(f"{b.finding}, {_deg(b.peak_drop_deg)}"), _e(words),
                     f"{a.reps} &rarr; {b.reps}"])
    when = prev.recorded_at.astimezone().strftime("%Y-%m-%d %H:%M")
    body = (f"<p>The previous {_e(prev.mode)} session of &ldquo;{_e(prev.person)}&rdquo;: {_e(when)} "
            f"({_e(prev.source)}).</p>"
            + _table(["stance leg", "previous", "now", "change of the peak drop", "reps"], rows)
            + f"<p class='small'>Changes under {MDC_DEG:g} deg (the minimal detectable change of "
            "the single-leg stance test) are within what retesting gives.</p>")
    return _section("compare", "Compared with the previous session", body)


def _trend_section(ctx: HistoryContext, threshold: float) -> str:
    if ctx.current is None:
        return _section("trend", "Trend", f"<p>{_e(ctx.note or 'No history.')}</p>")
    if len(ctx.sessions) < 2:
        return _section("trend", "Trend", "<p>One session so far: the trend needs two.</p>")
    same = [s for s in ctx.sessions if s.mode == ctx.current.mode]
    lines = []
    for side in SIDES:
        total = since_first(same, side)
        if total is not None and total.before.id != (previous_session(ctx.sessions, ctx.current)
                                                     or total.before).id:
            when = total.before.recorded_at.astimezone().strftime("%Y-%m-%d")
            lines.append(f"<li>Standing on the {side} leg, since the first session ({when}): "
                         f"{_e(total.words())}</li>")
    png = trend_png(ctx.sessions, threshold_deg=threshold,
                    title=f"{ctx.current.person}: {len(ctx.sessions)} sessions")
    body = ((f"<ul>{''.join(lines)}</ul>" if lines else "")
            + _img(png, "image/png", "trend chart", "chart")
            + "<p class='small'>Stars mark changes of the peak drop larger than "
            f"{MDC_DEG:g} deg from the previous session: real changes rather than noise. "
            "<code>hipdrop history</code> lists the sessions.</p>")
    return _section("trend", f"Trend: {len(ctx.sessions)} sessions", body)


_CSS = """
:root { --ink: #1f2328; --muted: #59636e; --line: #d0d7de; --bad: #c62828; --good: #2e7d32;
        --warn: #b26a00; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: var(--ink); margin: 0; background: #f6f8fa; }
main { max-width: 980px; margin: 0 auto; padding: 24px 28px 40px; background: #fff; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 28px 0 10px;
     border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 0 0 6px; color: var(--muted); text-transform: uppercase;
     letter-spacing: .04em; }
.meta { color: var(--muted); margin: 0 0 10px; }
.disclaimer { border-left: 4px solid var(--warn); background: #fff8e6; padding: 8px 12px;
              margin: 12px 0; }
.cards { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.card { border: 1px solid var(--line); border-top: 6px solid var(--muted); border-radius: 6px;
        padding: 12px 16px; }
.card.bad { border-top-color: var(--bad); } .card.good { border-top-color: var(--good); }
.card.warn { border-top-color: var(--warn); }
.finding { font-size: 28px; font-weight: 700; }
.card.bad .finding { color: var(--bad); } .card.good .finding { color: var(--good); }
.card.warn .finding { color: var(--warn); }
.big { font-size: 20px; font-weight: 600; } .small { font-size: 13px; color: var(--muted); }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin: 6px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left;
         vertical-align: top; }
th { background: #f6f8fa; }
.frames { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; flex: 1 1 280px; max-width: 100%; }
figure img { width: 100%; height: auto; border-radius: 4px; border: 1px solid var(--line); }
figcaption { font-size: 13px; color: var(--muted); }
img.chart { width: 100%; height: auto; }
dl.settings { columns: 3 220px; font-size: 13px; margin: 0; }
dl.settings div { display: flex; justify-content: space-between; gap: 8px; break-inside: avoid;
                  border-bottom: 1px solid var(--line); padding: 2px 0; }
dl.settings dt { color: var(--muted); } dl.settings dd { margin: 0; font-variant-numeric: tabular-nums; }
code { background: #f6f8fa; padding: 1px 4px; border-radius: 3px; }
footer { margin-top: 30px; font-size: 13px; color: var(--muted); }
@media (max-width: 700px) { .cards { grid-template-columns: 1fr; } }
@media print {
  @page { size: A4; margin: 14mm; }
  body { background: #fff; font-size: 11pt; }
  main { max-width: none; padding: 0; }
  section, .card, figure, table, img { break-inside: avoid; page-break-inside: avoid; }
  h2 { break-after: avoid; }
  details > *:not(summary) { display: block; }
  .card { border-width: 1px; }
}
"""


def build_report(summary: dict, *, frames: dict[str, np.ndarray] | None, pictures: list[KeyFrame],
                 pictures_note: str, person: str, history: HistoryContext,
                 created: datetime | None = None) -> str:
    """The page as a string (pure: every input already read)."""
    settings = summary.get("settings") or {}
    threshold = float(settings.get("drop_threshold_deg", 4.0))
    created = created or datetime.now().astimezone()
    verdict = summary.get("verdict") or {}
    cards = "".join(_finding_card(side, side_from_summary(summary, side), threshold)
                    for side in SIDES)
    parts = [
        "<header><h1>hipdrop report</h1>",
        f"<p class='meta'>{_e(person)} &middot; {_e(created.strftime('%Y-%m-%d %H:%M'))} &middot; "
        f"{_e(summary.get('source', ''))} &middot; {_e(summary.get('mode', 'analyze'))} &middot; "
        f"model {_e(summary.get('model', '?'))}</p>",
        f"<p class='disclaimer'><b>{DISCLAIMER}.</b> See a physiotherapist or doctor about pain, "
        "or before acting on a result.</p></header>",
        _section("findings", "Finding per side", f"<div class='cards'>{cards}</div>"
                 + (f"<p>{_e(verdict.get('text'))}</p>" if verdict.get("text") else "")),
        _drop_section(summary, threshold),
    ]
    from hipdrop.reports.routine_html import routine_section  # the routine's steps, if one

    parts.insert(-1, routine_section(summary))
    if pictures:
        figs = "".join(f"<figure>{_img(k.jpeg, 'image/jpeg', k.label)}<figcaption><b>"
                       f"{_e(k.label)}</b>, t = {k.t_s:.1f} s. {_e(k.caption)}</figcaption></figure>"
                       for k in pictures)
        parts.append(_section("frames", "Key frames", f"<div class='frames'>{figs}</div>"
                              "<p class='small'>As the camera saw it (not mirrored): the "
                              "person's left side is drawn in blue, the right in orange; the hip "
                              "line is red where the drop reached the threshold.</p>"))
    else:
        parts.append(_section("frames", "Key frames", f"<p>{_e(pictures_note)}</p>"))
    if frames and {"t_s", "obliquity_deg", "drop_deg"} <= frames.keys() and len(frames["t_s"]):
        png = drop_chart_png(frames, summary.get("stance_phases") or [], threshold)
        parts.append(_section("chart", "Obliquity and drop over time",
                              _img(png, "image/png", "obliquity and drop chart", "chart")))
    else:
        parts.append(_section("chart", "Obliquity and drop over time",
                              "<p>No per-frame data (frames.csv) to chart.</p>"))
    parts += [_reps_section(summary), _comparison_section(history), _trend_section(history, threshold)]
    warnings = summary.get("warnings") or []
    if warnings:
        parts.append(_section("warnings", "Warnings",
                              "<ul>" + "".join(f"<li>{_e(w)}</li>" for w in warnings) + "</ul>"))
    items = [*settings.items(), ("obliquity estimator", summary.get("obliquity_estimator", "n/a")),
             ("model", summary.get("model", "n/a")), ("frames", summary.get("frames", "n/a")),
             ("fps", summary.get("fps", "n/a"))]
    parts.append(_section("settings", "Settings", "<dl class='settings'>" + "".join(
        f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in items) + "</dl>"))
    parts.append(f"<footer><p><b>{DISCLAIMER}.</b> It measures what a camera sees of the pelvis "
                 "and can be wrong; a physiotherapist or doctor can tell what a result means for "
                 "you.</p></footer>")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>hipdrop report: {_e(person)}</title><style>{_CSS}</style></head>"
            f"<body><main>{''.join(parts)}</main></body></html>")


def frames_of(analysis: Analysis) -> dict[str, np.ndarray]:
    """frames.csv's columns as :func:`read_frames_csv` returns them (numbers as float arrays,
    text as str arrays), straight from ``analysis`` (unrounded): what a caller that has the
    analysis passes to :func:`write_report` instead of having it read back (0.4 s an hour)."""
    from hipdrop.reports.files import FRAME_COLUMNS, frame_columns

    out: dict[str, np.ndarray] = {}
    for name, col in zip(FRAME_COLUMNS, frame_columns(analysis), strict=True):
        col = np.asarray(col)
        out[name] = col.astype(np.float64) if col.dtype.kind in "fiub" else col.astype(str)
    return out


def write_report(out_dir: Path, summary: dict, *, video: Path | None, person: str,
                 history: HistoryContext, frames: dict[str, np.ndarray] | None = None) -> Path:
    """Write ``out_dir``/report.html from the session's outputs in ``out_dir``; returns its path.

    ``video`` is the recording the session came from, for the key frames (None for a landmarks
    file or a camera: the page says why there are none). ``frames`` are the session's
    frames.csv columns when the caller has them (:func:`frames_of`); else frames.csv is read
    (a session re-rendered from the history).
    """
    out_dir = Path(out_dir)
    frames_path = out_dir / "frames.csv"
    if frames is None:
        frames = read_frames_csv(frames_path) if frames_path.is_file() else None
    pictures: list[KeyFrame] = []
    lm_path = out_dir / "landmarks.npz"
    if video is None:
        note = ("No key frames: this session came from a landmarks file or a camera, so there is "
                "no video to take pictures from.")
    elif not lm_path.is_file() or frames is None:
        note = "No key frames: the session's landmarks.npz or frames.csv is missing."
    else:
        from hipdrop.core.landmarks import LandmarkSeries

        pictures = key_frames(video, LandmarkSeries.load(lm_path), frames, _moments(summary, frames))
        note = "No key frames: no stance test (or no readable frame of it) in this video."
    page = build_report(summary, frames=frames, pictures=pictures, pictures_note=note,
                        person=person, history=history)
    path = out_dir / REPORT_NAME
    write_bytes(path, page.encode("utf-8"))
    return path
