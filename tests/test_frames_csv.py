"""frames.csv written a column at a time is byte for byte what csv.writer wrote cell by cell."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from hipdrop.pipeline.analysis import analyze
from hipdrop.reports import files as report
from hipdrop.reports.files import FRAME_COLUMNS, frame_rows, write_frames
from hipdrop.testing import scripted as sc


def _reference(analysis) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(FRAME_COLUMNS)
    w.writerows(frame_rows(analysis))
    return buf.getvalue().encode("utf-8")


@pytest.fixture(scope="module")
def analysis():
    segs = [sc.Segment("double", 1.5), sc.Segment("stance", 3.0, "left", drop_deg=6.0),
            sc.Segment("double", 1.0), sc.Segment("abduction", 4.0, "right", reps=2, peak_deg=35.0),
            sc.Segment("double", 1.0), sc.Segment("stance", 2.5, "right", drop_deg=-2.0),
            sc.Segment("double", 1.0)]
    series, _ = sc.landmarks(segs, sc.Camera(), fps=30.0, noise_px=2.0, gaps=[(2.0, 2.3)], seed=3)
    return analyze(series)


def test_same_bytes_as_cell_by_cell(analysis, tmp_path):
    # Values that format at the edges: -0.000, rounding halves, large, NaN and infinities.
    a = analysis
    n = len(a.signals.t)
    edge = np.array([-0.0001, -0.0, 0.0005, 0.0015, 2.675, -1e-12, 12345.6785, np.nan,
                     np.inf, -np.inf, 1e7 + 0.0005])
    a.signals.abduction_left_deg = np.resize(edge, n)
    path = tmp_path / "frames.csv"
    write_frames(path, a)
    assert path.read_bytes() == _reference(a)


def test_same_bytes_across_chunks(analysis, tmp_path, monkeypatch):
    monkeypatch.setattr(report, "_CSV_CHUNK", 7)  # many chunks, the last one short
    path = tmp_path / "frames.csv"
    write_frames(path, analysis)
    data = path.read_bytes()
    assert data == _reference(analysis)
    assert data.count(b"\r\n") == len(analysis.signals.t) + 1


def test_text_that_needs_quotes_is_quoted(analysis, tmp_path):
    a = analysis
    n = len(a.signals.t)
    a.source = np.array(['a,b', 'say "hi"', "line\nbreak", "plain", None] * n, dtype=object)[:n]
    path = tmp_path / "frames.csv"
    write_frames(path, a)
    assert path.read_bytes() == _reference(a)


def _by_csv_module(path):
    """read_frames_csv as it was: csv.reader's rows, padded, a column at a time."""
    import math

    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        return {}
    out = {}
    for j, name in enumerate(rows[0]):
        col = [r[j] if j < len(r) else "" for r in rows[1:]]
        try:
            out[name] = np.array([float(v) if v != "" else math.nan for v in col], np.float64)
        except ValueError:
            out[name] = np.array(col, dtype=str)
    return out


@pytest.mark.parametrize("text", [
    "", "t_s,stance\r\n", "t_s,stance\r\n0.000,none\r\n0.033,left\r\n",
    "t_s,drop\r\n0.000,\r\n0.033,-0.000\r\n",
    't_s,note\r\n0.000,"a,b"\r\n0.033,plain\r\n',  # quoted: the csv module's way
    "t_s,drop\r\n0.000\r\n0.033,1.5\r\n",  # a short row, padded
    "t_s,drop\r\n0.000,1\r\n\r\n0.033,1.5\r\n",  # a blank line
    "t_s,drop\n0.000,1\n0.033,1.5\n",  # LF line ends
])
def test_read_frames_csv_as_the_csv_module(tmp_path, text):
    from hipdrop.reports.keyframes import read_frames_csv

    path = tmp_path / "frames.csv"
    path.write_bytes(text.encode("utf-8"))
    got, want = read_frames_csv(path), _by_csv_module(path)
    assert got.keys() == want.keys()
    for k, v in want.items():
        assert got[k].dtype == v.dtype
        np.testing.assert_array_equal(got[k], v)


def test_read_frames_csv_reads_what_write_frames_wrote(analysis, tmp_path):
    from hipdrop.reports.keyframes import read_frames_csv

    path = tmp_path / "frames.csv"
    write_frames(path, analysis)
    got, want = read_frames_csv(path), _by_csv_module(path)
    assert list(got) == list(FRAME_COLUMNS)
    for k, v in want.items():
        np.testing.assert_array_equal(got[k], v)
