"""obliquity.png: obliquity and contralateral drop over time, phases shaded, threshold drawn."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hipdrop.analysis import Analysis

_PHASE_COLOURS = {"left": "#3b82f6", "right": "#f97316"}


def plot_obliquity(analysis: Analysis, out: Path, title: str = "") -> None:
    """Write a two-panel PNG: pelvic obliquity (top) and drop with reps (bottom)."""
    import matplotlib

    matplotlib.use("Agg")  # files only; never needs a display
    import matplotlib.pyplot as plt

    s = analysis.signals
    threshold = analysis.settings.drop_threshold_deg
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), sharex=True,
                                      gridspec_kw={"height_ratios": [1, 1]})
    top.plot(s.t, s.obliquity_deg, color="black", lw=1.5, label="obliquity (hipdrop)")
    if not np.allclose(s.obliquity_deg, s.landmark_obliquity_deg, equal_nan=True):
        top.plot(s.t, s.landmark_obliquity_deg, color="grey", lw=1, ls="--",
                 label="landmark 23/24 line")
    top.set_ylabel("obliquity (deg)\n+ = right hip lower")
    bottom.plot(s.t, analysis.drop, color="crimson", lw=2, label="pelvic drop (CPD)")
    bottom.axhline(threshold, color="crimson", ls=":", lw=1, label=f"threshold {threshold:g} deg")
    bottom.axhline(0, color="grey", lw=0.8)
    bottom.set_ylabel("drop toward lifted leg (deg)\n- = hip hike")
    for p in analysis.phases:
        for ax in (top, bottom):
            ax.axvspan(p.start_s, p.end_s, color=_PHASE_COLOURS[p.stance], alpha=0.15, lw=0)
        bottom.text((p.start_s + p.end_s) / 2, 1.0, f"{p.stance}\n{p.peak_drop_deg:+.1f}",
                    transform=bottom.get_xaxis_transform(), ha="center", va="top", fontsize=8)
        top.axhline(p.baseline_deg, xmin=0, xmax=1, color=_PHASE_COLOURS[p.stance], lw=0.5, alpha=0.5)
    for r in analysis.reps:
        bottom.plot([r.start_s, r.end_s], [0, 0], color=_PHASE_COLOURS[r.leg], lw=5, alpha=0.6,
                    solid_capstyle="butt")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c, alpha=0.3) for c in _PHASE_COLOURS.values()]
    top.legend(loc="upper right", fontsize=8)
    bottom.legend(handles=bottom.get_legend_handles_labels()[0] + handles,
                  labels=bottom.get_legend_handles_labels()[1] + ["left stance / rep",
                                                                 "right stance / rep"],
                  loc="lower right", fontsize=8)
    bottom.set_xlabel("time (s)")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    top.set_title(title or "Pelvic obliquity and contralateral drop")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
