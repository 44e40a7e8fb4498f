"""report.html from the frames its caller already has: the same columns as frames.csv read
back, and no frames.csv needed."""

from __future__ import annotations

import numpy as np
from test_history import summary

from hipdrop.pipeline.analysis import analyze
from hipdrop.reports.files import FRAME_COLUMNS, write_frames
from hipdrop.reports.html import HistoryContext, frames_of, write_report
from hipdrop.reports.keyframes import read_frames_csv
from hipdrop.testing import scripted as sc


def test_frames_of_an_analysis_are_frames_csv_read_back(tmp_path):
    series, _ = sc.landmarks(sc.stance_test(hold_s=4.0), sc.Camera(), fps=30.0, noise_px=1.0, seed=2)
    a = analyze(series)
    write_frames(tmp_path / "frames.csv", a)
    want, got = read_frames_csv(tmp_path / "frames.csv"), frames_of(a)
    assert list(got) == list(FRAME_COLUMNS)
    for name, col in want.items():
        assert got[name].dtype.kind == col.dtype.kind, name
        if col.dtype.kind == "f":  # frames.csv holds 3 decimals
            np.testing.assert_allclose(got[name], col, atol=5e-4, rtol=0, equal_nan=True)
        else:
            np.testing.assert_array_equal(got[name], col)


def test_the_report_charts_the_frames_it_is_given_without_frames_csv(tmp_path):
    t = np.arange(0.0, 10.0, 0.1)
    frames = {"t_s": t, "obliquity_deg": np.sin(t), "drop_deg": np.where(t > 3, 5.0, np.nan)}
    context = HistoryContext(note="no history here")
    given = write_report(tmp_path, summary(5.0, None), video=None, person="me", history=context,
                         frames=frames).read_text()
    assert "data:image/png" in given and "No per-frame data" not in given
    read = write_report(tmp_path, summary(5.0, None), video=None, person="me",
                        history=context).read_text()  # no frames.csv in tmp_path
    assert "data:image/png" not in read and "No per-frame data (frames.csv) to chart." in read
