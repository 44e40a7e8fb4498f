"""report.html's routine section (`hipdrop live --mode routine`): every step with its status
and outcome, and the stance test's verdict before and after the exercises."""

from __future__ import annotations

from html import escape


def verdict_words(verdict: dict | None) -> str:
    """One short phrase of a verdict: each side's finding and peak drop."""
    if not verdict:
        return "not tested"
    sides = verdict.get("sides") or {}
    parts = []
    for side in ("left", "right"):
        finding = verdict.get(side) or "not tested"
        peak = (sides.get(side) or {}).get("peak_drop_deg")
        deg = f" {peak:+.1f} deg" if isinstance(peak, int | float) else ""
        parts.append(f"on the {side} leg {finding}{deg}")
    return ", ".join(parts)


def step_outcome(step: dict) -> str:
    """What one step measured, in a few words."""
    s = step.get("summary") or {}
    if not s:
        return ""
    if step.get("mode") == "stance":
        return verdict_words(s.get("verdict"))
    if "sets" in s:
        reps = s.get("reps") or {}
        return (f"reps left {reps.get('left', 0)}, right {reps.get('right', 0)} "
                f"(target {s['sets'].get('target_per_leg')})")
    if "hold" in s:
        best = s.get("best_hold_s") or {}
        return (f"best hold with the hips level: left {best.get('left', 0):.1f} s, right "
                f"{best.get('right', 0):.1f} s (target {s['hold'].get('target_s', 0):.0f} s)")
    if "bumps" in s:
        b = s["bumps"]
        return f"hip bumps left {b.get('left', 0)}, right {b.get('right', 0)} (target {b.get('target')})"
    return ""


def routine_section(summary: dict) -> str:
    """The section's HTML, or "" when the session is not a routine."""
    body = summary.get("routine")
    if not isinstance(body, dict):
        return ""
    rows = []
    for i, step in enumerate(body.get("steps") or [], 1):
        side = step.get("side") or ""
        rows.append(f"<tr><td>{i}</td><td>{escape(str(step.get('step')))}</td>"
                    f"<td>{escape(side)}</td><td>{escape(str(step.get('status')))}</td>"
                    f"<td>{escape(step_outcome(step))}</td></tr>")
    for kind in body.get("remaining") or []:
        rows.append(f"<tr><td></td><td>{escape(str(kind))}</td><td></td><td>not done</td>"
                    "<td></td></tr>")
    table = ("<table><tr><th>#</th><th>step</th><th>leg</th><th>status</th><th>outcome</th></tr>"
             + "".join(rows) + "</table>")
    ba = (f"<p><b>Before:</b> {escape(verdict_words(body.get('before')))}<br>"
          f"<b>After:</b> {escape(verdict_words(body.get('after')))}</p>")
    return (f"<section id='routine'><h2>Routine</h2>{ba}{table}<p class='small'>Each step's "
            "files are in its own folder of the session folder.</p></section>")
