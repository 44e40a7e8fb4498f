"""The public API (``import hipdrop``): README's example runs, nothing is written unless asked,
and `hipdrop analyze` writes the same bytes as ``hipdrop.analyze(...).write(...)``."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, clip_path

import hipdrop
from hipdrop.cli import main
from hipdrop.errors import InputError, LandmarksFormatError, OutputError
from hipdrop.io.models import ResolvedModel
from hipdrop.offline import analyze_source
from hipdrop.testing import scripted

CLIP = "side_leg_raise_standing_front_01.mp4"


@pytest.fixture(scope="module")
def npz(tmp_path_factory) -> Path:
    """The scripted sample session's landmarks (a stance test and reps), as a .npz file."""
    series, _ = scripted.landmarks(scripted.sample_session(), fps=15.0, noise_px=1.5)
    path = tmp_path_factory.mktemp("api") / "session.npz"
    series.save(path)
    return path


def _listing(folder: Path) -> list[tuple[str, int, int]]:
    return sorted((str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in folder.rglob("*"))


def readme_example() -> str:
    """The first python block of README.md's "Python API" section."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("### Python API", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README's Python API section has no python code block"
    return match.group(1)


def _run_example(code: str, cwd: Path) -> str:
    out = io.StringIO()
    old = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README.md", "exec"), {})
    finally:
        os.chdir(old)
    return out.getvalue()


def test_readme_example_on_a_landmarks_file(npz, tmp_path):
    code = readme_example()
    assert '"clip.mp4"' in code and "hipdrop.analyze(" in code and ".write(" in code
    printed = _run_example(code.replace('"clip.mp4"', repr(str(npz))), tmp_path)
    expected = hipdrop.analyze(npz)
    assert expected.verdict.text in printed
    assert f"{expected.summary()['reps']['left']} left reps" in printed
    written = sorted(p.name for p in (tmp_path / "clip_hipdrop").iterdir())
    assert written == ["frames.csv", "obliquity.png", "summary.json"]  # the input is the .npz
    data = json.loads((tmp_path / "clip_hipdrop" / "summary.json").read_text(encoding="utf-8"))
    assert data == expected.summary()


@pytest.mark.model
@pytest.mark.clips
def test_readme_example_as_written_on_a_real_clip(tmp_path, pose_model):
    (tmp_path / "clip.mp4").symlink_to(clip_path(CLIP))
    printed = _run_example(readme_example(), tmp_path)
    out = tmp_path / "clip_hipdrop"
    names = sorted(p.name for p in out.iterdir())
    assert names == ["annotated.mp4", "frames.csv", "landmarks.npz", "obliquity.png",
                     "summary.json"]
    data = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert data["model"] == "full" and data["frames"] == 285
    assert data["verdict"]["text"] in printed


def test_analyze_writes_nothing(npz, tmp_path, monkeypatch):
    # An empty working folder of its own: the repository's would change under a concurrent
    # editor or test run, and say nothing about this call.
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    before = _listing(npz.parent)
    cwd = _listing(Path.cwd())
    a = hipdrop.analyze(npz)
    assert isinstance(a, hipdrop.Analysis)
    assert a.phases and a.reps and a.verdict.text
    assert _listing(npz.parent) == before and _listing(Path.cwd()) == cwd


def test_cli_and_api_write_the_same_bytes(npz, tmp_path):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        status = main(["analyze", str(npz), "--out", str(tmp_path / "cli"), "-q", "--no-history",
                       "--drop-threshold-deg", "5"])
    assert status == 0
    a = hipdrop.analyze(str(npz), settings=hipdrop.Settings(drop_threshold_deg=5.0))
    files = a.write(tmp_path / "api")
    assert [p.name for p in files] == ["summary.json", "frames.csv", "obliquity.png"]
    for name in ("summary.json", "frames.csv", "obliquity.png"):
        assert (tmp_path / "cli" / name).read_bytes() == (tmp_path / "api" / name).read_bytes(), name
    assert json.loads((tmp_path / "api" / "summary.json").read_bytes()) == a.summary()
    assert a.summary()["settings"]["drop_threshold_deg"] == 5.0


def test_series_and_arrays_in(npz, tmp_path):
    from_file = hipdrop.analyze(npz)
    series = hipdrop.LandmarkSeries.load(npz)
    with np.load(npz) as data:
        arrays = dict(data)
    for a in (hipdrop.analyze(series), hipdrop.analyze(arrays)):
        assert a.path is None and not a.from_video
        got, want = a.summary(), from_file.summary()
        assert got["source"] == "(landmarks in memory)"
        got.pop("source"), want.pop("source")
        assert got == want
    # Landmarks that exist in memory only are written out too.
    files = hipdrop.analyze(series).write(tmp_path / "mem")
    assert [p.name for p in files] == ["landmarks.npz", "summary.json", "frames.csv",
                                       "obliquity.png"]
    assert np.array_equal(hipdrop.LandmarkSeries.load(files[0]).image, series.image,
                          equal_nan=True)
    with pytest.raises(LandmarksFormatError, match="without t"):
        hipdrop.analyze({k: v for k, v in arrays.items() if k != "t"})


def test_write_never_replaces_the_input(npz, tmp_path):
    # A landmarks file that happens to be called summary.json, in the folder written to.
    folder = tmp_path / "out"
    folder.mkdir()
    src = folder / "summary.json"
    src.write_bytes(npz.read_bytes())
    a = hipdrop.analyze(src)
    with pytest.raises(OutputError, match="would replace the input"):
        a.write(folder)
    assert src.read_bytes() == npz.read_bytes()
    assert sorted(p.name for p in folder.iterdir()) == ["summary.json"]


def test_write_warns_of_an_earlier_runs_file(npz, tmp_path):
    (tmp_path / "annotated.mp4").write_bytes(b"old")
    a = hipdrop.analyze(npz)
    with pytest.warns(UserWarning, match="annotated.mp4 is from an earlier run"):
        a.write(tmp_path)
    data = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert any("earlier run" in w for w in data["warnings"])
    assert not any("earlier run" in w for w in a.summary()["warnings"])  # the analysis' own


def test_bad_sources_raise_hipdrop_errors(tmp_path):
    with pytest.raises(InputError):
        hipdrop.analyze(tmp_path / "missing.mp4")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        hipdrop.analyze(empty)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(LandmarksFormatError):
        hipdrop.analyze(bad)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.npz", "empty.mp4"]


def test_analyze_source_takes_a_resolved_model(npz, tmp_path):
    # Was a TypeError: analyze_source called its model. A landmarks file needs none at all.
    model = ResolvedModel("full", tmp_path / "unused.task")
    result = analyze_source(npz, tmp_path / "o", model=model)
    assert [p.name for p in result.files] == ["summary.json", "frames.csv", "obliquity.png"]


@pytest.mark.model
@pytest.mark.clips
def test_video_with_a_resolved_model_and_one_progress_shape(tmp_path, pose_model):
    calls: list[tuple[str, int, int]] = []
    result = analyze_source(clip_path(CLIP), tmp_path / "o", model=pose_model,
                            progress=lambda *a: calls.append(a))
    assert [p.name for p in result.files] == ["landmarks.npz", "summary.json", "frames.csv",
                                              "obliquity.png", "annotated.mp4"]
    stages = {c[0] for c in calls}
    assert stages == {"pose", "video"}
    for stage in stages:
        done = [c[1] for c in calls if c[0] == stage]
        assert done == list(range(1, 286)), stage
        assert {c[2] for c in calls if c[0] == stage} == {285}
    # The API on the same clip (the model given by its path this time): the same numbers.
    a = hipdrop.analyze(clip_path(CLIP), model=pose_model.path)
    assert a.from_video and a.model_path == pose_model.path
    assert a.summary() == result.summary


def test_import_hipdrop_loads_no_heavy_module():
    code = ("import sys, hipdrop; heavy = [m for m in ('numpy', 'cv2', 'mediapipe') "
            "if m in sys.modules]; print(heavy)")
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True, timeout=60)
    assert out.stdout.strip() == "[]"
    from hipdrop import api

    assert hipdrop.analyze is api.analyze and hipdrop.Settings is hipdrop.settings.Settings
    with pytest.raises(AttributeError):
        _ = hipdrop.no_such_name


def test_write_with_the_report(npz, tmp_path):
    a = hipdrop.analyze(npz)
    files = a.write(tmp_path / "o", report=True)
    assert [p.name for p in files] == ["summary.json", "frames.csv", "obliquity.png",
                                       "report.html"]
    page = files[-1].read_text(encoding="utf-8")
    assert "not recorded in the history" in page and "<html" in page.lower()
    assert not any(p.name.startswith(".") for p in (tmp_path / "o").iterdir())  # no temporary
