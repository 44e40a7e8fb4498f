"""frames.csv's byte-matrix formatter: each cell is what f"{v:.3f}" / str() / csv.writer give."""

from __future__ import annotations

import csv
import io

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hipdrop.reports import files
from hipdrop.reports.files import FRAME_COLUMNS, frame_rows, write_frames


def _cells(matrix: np.ndarray) -> list[str]:
    return [bytes(row[row != 0]).decode("utf-8") for row in matrix]


def _want(values) -> list[str]:
    return [f"{v:.3f}" if np.isfinite(v) else "" for v in values]


# Halves at the third decimal (exact in binary: k / 16 + m, and near them), values whose
# product by 1000 rounds to a half, the limits of exact integers, signed zeros, non-finite.
HARD = [0.0625, 0.1875, -0.0625, 1.0625, 2.5625, 0.0005, 0.0015, 0.0025, 1.0005, 2.675, 1.2345,
        -0.0004999, 0.0004999, -0.0, 0.0, -1e-300, 1e-300, 4503599627370.4965, 4.5e12, 9e15,
        1e300, -1e300, np.nan, np.inf, -np.inf, 12345.6785, 1e7 + 0.0005, 359.9995, -179.9995]


def test_hard_floats_format_as_python():
    near = [np.nextafter(v, d) for v in HARD if np.isfinite(v) for d in (-np.inf, np.inf)]
    values = np.array(HARD + near, dtype=np.float64)
    assert _cells(files._float_bytes(values)) == _want(values.tolist())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=1,
                max_size=40))
def test_any_floats_format_as_python(values):
    col = np.array(values, dtype=np.float64)
    assert _cells(files._float_bytes(col)) == _want(col.tolist())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=-2**62, max_value=2**62), min_size=1, max_size=40),
       st.sampled_from([np.int64, np.int32]))
def test_integers_format_as_str(values, dtype):
    col = np.array(values, dtype=np.int64)
    col = col.astype(dtype) if dtype is np.int32 and np.abs(col).max() < 2**31 else col
    assert _cells(files._int_bytes(col)) == [str(int(v)) for v in col.tolist()]


def test_text_cells_keep_utf8_and_quotes():
    texts = ["none", "left", "", "a,b", "ümlaut", "left"]
    col = np.array(texts, dtype=object)
    assert _cells(files._column_bytes(col)) == files._column_text(col)


def test_a_nul_in_a_text_falls_back_to_strings(tmp_path):
    from hipdrop.pipeline.analysis import analyze
    from hipdrop.testing import scripted as sc

    series, _ = sc.landmarks(sc.stance_test(hold_s=2.0), sc.Camera(), fps=15.0)
    a = analyze(series)
    a.source = np.array(["x\0y"] * len(a.signals.t), dtype=object)
    path = tmp_path / "frames.csv"
    write_frames(path, a)
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(FRAME_COLUMNS)
    w.writerows(frame_rows(a))
    assert path.read_bytes() == buf.getvalue().encode("utf-8")
