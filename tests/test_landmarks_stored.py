"""landmarks.npz is stored (not deflated) and read straight into its arrays: the same arrays
as np.load gives, for hipdrop's files, deflated files of earlier versions and unusual but
valid .npy members; a damaged member is refused, not read."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from hipdrop.core.landmarks import LandmarkSeries
from hipdrop.errors import LandmarksFormatError
from hipdrop.testing import scripted as sc


@pytest.fixture(scope="module")
def series():
    s, _ = sc.landmarks(sc.stance_test(hold_s=2.0), sc.Camera(), fps=30.0, noise_px=1.0,
                        gaps=[(1.0, 1.2)], seed=4)
    return s


def _same(a: LandmarkSeries, b: LandmarkSeries) -> None:
    for k in ("image", "world", "t", "waist", "markers"):
        np.testing.assert_array_equal(getattr(a, k), getattr(b, k))
    assert (a.width, a.height, a.fps, a.model) == (b.width, b.height, b.fps, b.model)


def test_saved_stored_and_read_back(series, tmp_path):
    path = tmp_path / "landmarks.npz"
    series.save(path)
    with zipfile.ZipFile(path) as zf:
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_STORED}
    _same(LandmarkSeries.load(path), series)


def test_deflated_fortran_and_big_endian_members_read_as_np_load(series, tmp_path):
    fields = dict(image=np.asfortranarray(series.image), world=series.world.astype(">f4"),
                  t=series.t, width=np.int32(series.width), height=np.int32(series.height),
                  fps=np.float64(series.fps), model=np.str_(series.model))
    for save in (np.savez, np.savez_compressed):
        path = tmp_path / f"{save.__name__}.npz"
        save(path, **fields)
        _same(LandmarkSeries.load(path), LandmarkSeries(
            series.image, series.world, series.t, series.width, series.height, series.fps,
            series.model))


def test_a_damaged_stored_member_is_refused(series, tmp_path):
    path = tmp_path / "landmarks.npz"
    series.save(path)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("image.npy")
    data = bytearray(path.read_bytes())
    data[info.header_offset + 30 + len("image.npy") + 200] ^= 0x5A  # inside image's numbers
    path.write_bytes(bytes(data))
    with pytest.raises(LandmarksFormatError, match="damaged"):
        LandmarkSeries.load(path)
