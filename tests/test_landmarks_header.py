"""A landmarks file whose .npy header has unbalanced brackets is refused in one line."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from hipdrop.core.landmarks import LandmarkSeries
from hipdrop.errors import LandmarksFormatError


def test_unbalanced_header_is_a_format_error(tmp_path):
    buf = io.BytesIO()
    np.save(buf, np.zeros((20, 33, 4), np.float32))
    raw = buf.getvalue()
    bad = raw.replace(b"(20, 33", b"(20(C33", 1)  # same length: only the brackets are off
    assert bad != raw
    path = tmp_path / "bad.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("image.npy", bad)
    with pytest.raises(LandmarksFormatError, match="not a readable landmarks"):
        LandmarkSeries.load(path)
