"""The validity benchmark's own bookkeeping (benchmarks/domains.py): what a slope is fitted over
and which phases count as having stickers the camera saw."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parent.parent / "benchmarks" / "domains.py"


@pytest.fixture(scope="module")
def bench():
    # As when run as a script: its own folder on the path, for its helpers (_cues).
    sys.path.insert(0, str(_PATH.parent))
    try:
        spec = importlib.util.spec_from_file_location("domains_bench", _PATH)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["domains_bench"] = module
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(_PATH.parent))
    return module


def row(true, read, scripted, finding="no drop", markers=True, waist=True):
    return {"true_deg": true, "read_deg": read, "scripted_drop_deg": scripted, "low": read - 1,
            "high": read + 1, "implausible": False, "finding": finding, "markers": markers,
            "visible_waist": waist, "stance": "left", "true_stance": "left"}


def test_a_hike_with_level_edges_is_not_fitted_as_a_level_pelvis(bench):
    """A scripted hike's held true peak is 0 (its level edges); its reading there is timed
    otherwise (-0.5): fitted as a level pelvis it tilted the slope."""
    exact = [row(0.0, 0.0, 0.0), row(3.0, 3.0, 3.0), row(6.0, 6.0, 6.0)]
    hike = row(0.0, -0.5, -6.0)
    st = bench.tier_stats([*exact, hike])
    assert st["slope"] == pytest.approx(1.0) and st["mae"] == pytest.approx(0.0)
    assert st["phases"] == 4  # still counted, and judged by its finding
    # Without the script's word, the same row is a level pelvis read at -0.5.
    del hike["scripted_drop_deg"]
    assert not math.isclose(bench.tier_stats([*exact, hike])["slope"], 1.0)


def test_stickers_worn_but_unseen_count_as_neither_visible(bench):
    rows = [row(6.0, 6.2, 6.0, "drop"), row(8.0, -0.6, 8.0, "inconclusive", markers=False,
                                             waist=False)]
    f = bench.finding_stats(rows)
    assert (f["drops_ge6_seen"], f["drops_ge6_called"]) == (1, 1)
    assert (f["hidden"], f["hidden_inconclusive"], f["hidden_wrong"]) == (1, 1, 0)


def test_the_slope_interval_holds_the_slope_and_widens_with_scatter(bench):
    """The bootstrap interval brackets the fitted slope; with scattered readings it is wider
    than with exact ones (where it is the slope itself)."""
    x = np.array([0.0, 0.0, 3.0, 3.0, 6.0, 6.0, 8.0])
    exact = bench.slope_interval(x, 1.0 * x)
    assert exact == pytest.approx((1.0, 1.0))
    noisy = x + np.array([0.3, -0.2, 0.4, -0.5, 0.2, -0.3, 0.5])
    low, high = bench.slope_interval(x, noisy)
    slope = np.polyfit(x, noisy, 1)[0]
    assert low < slope < high and high - low > 0.02
    assert math.isnan(bench.slope_interval(x[:2], x[:2])[0])  # too few phases for a slope
