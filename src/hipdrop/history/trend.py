"""Progress over sessions: which changes of the drop are larger than the measurement's noise,
and the trend chart (drop per side with its interval, reps per leg, best hold).

The chart is drawn with matplotlib (Agg, imported only when a chart is drawn: never on the live
loop's path, and not by `hipdrop history` listing sessions).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hipdrop.history.store import SIDES, SessionRecord

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Minimal detectable change of the static single-leg stance test's pelvic drop, degrees: a
# change between two sessions smaller than this is within what retesting the same person gives.
MDC_DEG = 4.0


@dataclass(frozen=True)
class Change:
    """The peak drop of one side from one session to the next that measured it."""

    side: str
    before: SessionRecord
    after: SessionRecord
    delta_deg: float  # after - before; negative = less drop (better)

    @property
    def real(self) -> bool:
        """True when the change is larger than the minimal detectable change."""
        return abs(self.delta_deg) > MDC_DEG

    def words(self) -> str:
        if not self.real:
            return (f"{self.delta_deg:+.1f} deg, within the measurement's noise "
                    f"(changes under {MDC_DEG:g} deg are not detectable)")
        better = "less drop: better" if self.delta_deg < 0 else "more drop: worse"
        return f"{self.delta_deg:+.1f} deg, a real change ({better})"


def measured(records: list[SessionRecord], side: str) -> list[SessionRecord]:
    """The sessions with a peak drop on ``side``, in order."""
    return [r for r in records if r.side(side).peak_drop_deg is not None]


def changes(records: list[SessionRecord], side: str) -> list[Change]:
    """Each session's change of ``side``'s peak drop from the previous session that had one."""
    have = measured(records, side)
    return [Change(side, a, b, _peak(b, side) - _peak(a, side)) for a, b in pairwise(have)]


def since_first(records: list[SessionRecord], side: str) -> Change | None:
    """The change of ``side``'s peak drop from the first session that measured it to the last:
    small steps from session to session can add up to a real change."""
    have = measured(records, side)
    if len(have) < 2:
        return None
    a, b = have[0], have[-1]
    return Change(side, a, b, _peak(b, side) - _peak(a, side))


def _peak(record: SessionRecord, side: str) -> float:
    value = record.side(side).peak_drop_deg
    assert value is not None  # callers pass only measured() records
    return float(value)


_COLOUR = {"left": "#3b82f6", "right": "#f97316"}  # as plot.py: the person's left blue, right orange


def new_figure(**kwargs: Any) -> Figure:
    """A matplotlib Figure drawn by Agg into files only. Not pyplot: no global state, no GUI
    backend even under a display, and a third less import time."""
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def png_bytes(fig: Figure, dpi: int = 100) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _figure(records: list[SessionRecord], threshold_deg: float, title: str) -> Figure:
    import matplotlib.dates as mdates


    extra = [(key, label) for key, label in (("reps", "abduction reps"),
                                             ("best_hold_s", "best hold (s)"))
             if any(getattr(r.side(side), key) not in (None, 0) for r in records for side in SIDES)]
    fig = new_figure(figsize=(9, 3.6 + 1.9 * len(extra)))
    axes = fig.subplots(1 + len(extra), 1, sharex=True, squeeze=False,
                        gridspec_kw={"height_ratios": [2.2] + [1] * len(extra)})
    rows = list(axes[:, 0])
    ax_drop = rows[0]
    ax_drop.axhline(threshold_deg, color="#c62828", lw=1, ls="--",
                    label=f"threshold {threshold_deg:g} deg")
    ax_drop.axhline(0, color="#999", lw=0.8)
    for k, side in enumerate(SIDES):
        have = measured(records, side)
        if not have:
            continue
        when = [r.recorded_at for r in have]
        peak = [float(r.side(side).peak_drop_deg) for r in have]  # type: ignore[arg-type]
        low = [r.side(side).drop_low_deg for r in have]
        high = [r.side(side).drop_high_deg for r in have]
        err = [[p - lo if lo is not None else 0.0 for p, lo in zip(peak, low, strict=True)],
               [hi - p if hi is not None else 0.0 for p, hi in zip(peak, high, strict=True)]]
        ax_drop.errorbar(when, peak, yerr=err, color=_COLOUR[side], marker="o", ms=5, capsize=3,
                         lw=1.5, label=f"standing on the {side} leg")
        for c in changes(records, side):
            if c.real:
                ax_drop.annotate(f"{c.delta_deg:+.1f}", (c.after.recorded_at,
                                                         c.after.side(side).peak_drop_deg),
                                 xytext=(6, 8 - 20 * k), textcoords="offset points",
                                 color=_COLOUR[side], fontsize=9, fontweight="bold")
                ax_drop.plot([c.after.recorded_at], [c.after.side(side).peak_drop_deg], marker="*",
                             ms=15, color=_COLOUR[side], mec="black", mew=0.8, ls="none")
        total = since_first(records, side)
        if total is not None and len(have) > 2:
            ax_drop.annotate(f"{total.delta_deg:+.1f} since first" + (" (real)" if total.real else ""),
                             (total.after.recorded_at, total.after.side(side).peak_drop_deg),
                             xytext=(-8, 14 if k == 0 else -18), textcoords="offset points",
                             ha="right", color=_COLOUR[side], fontsize=9,
                             fontweight="bold" if total.real else "normal",
                             bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                                   "alpha": 0.85})
    ax_drop.plot([], [], marker="*", ms=12, color="white", mec="black", ls="none",
                 label=f"change > {MDC_DEG:g} deg (real)")
    ax_drop.set_ylabel("peak pelvic drop (deg)\nbars: 90% interval")
    # Above the axes, so it never covers a point.
    ax_drop.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), fontsize=8, ncol=4, frameon=False)
    for ax, (key, label) in zip(rows[1:], extra, strict=True):
        for side in SIDES:
            pts = [(r.recorded_at, getattr(r.side(side), key)) for r in records
                   if getattr(r.side(side), key) not in (None, 0)]
            if pts:
                ax.plot(*zip(*pts, strict=True), marker="o", ms=4, color=_COLOUR[side],
                        label=f"{side} leg")
        ax.set_ylabel(label)
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), fontsize=8, ncol=2, frameon=False)
    for ax in rows:
        ax.grid(True, color="#e5e5e5", lw=0.8)
        ax.spines[["top", "right"]].set_visible(False)
    rows[-1].xaxis.set_major_formatter(mdates.ConciseDateFormatter(rows[-1].xaxis.get_major_locator()))
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    return fig


def trend_png(records: list[SessionRecord], *, threshold_deg: float = 4.0, title: str = "") -> bytes:
    """The trend chart of ``records`` (one person's sessions, in order) as PNG bytes."""
    return png_bytes(_figure(records, threshold_deg, title or "Pelvic drop, reps and holds over time"))


def write_trend(records: list[SessionRecord], out: Path, **kwargs) -> None:
    """Write :func:`trend_png` to ``out`` atomically."""
    from hipdrop.io.outputs import write_bytes

    write_bytes(out, trend_png(records, **kwargs))
