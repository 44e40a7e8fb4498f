"""pyproject.toml's dependency ranges: each stops before a next major version, and what is
installed here (what the tests ran with) is inside them; the version is written once."""

from __future__ import annotations

import importlib.metadata as metadata
import sys

import pytest
from conftest import REPO

import hipdrop

packaging = pytest.importorskip("packaging", reason="packaging is in hipdrop[dev]")
from packaging.requirements import Requirement  # noqa: E402
from packaging.version import Version  # noqa: E402

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
RUNTIME = [Requirement(r) for r in PROJECT["dependencies"]]
EXTRAS = {name: [Requirement(r) for r in reqs]
          for name, reqs in PROJECT["optional-dependencies"].items()}


def _applies(req: Requirement) -> bool:
    return req.marker is None or req.marker.evaluate()


def _installed(name: str) -> Version | None:
    try:
        return Version(metadata.version(name))
    except metadata.PackageNotFoundError:
        return None


@pytest.mark.parametrize("req", RUNTIME + EXTRAS["dev"] + EXTRAS["synth"], ids=str)
def test_every_range_has_an_upper_bound(req):
    ops = {s.operator for s in req.specifier}
    assert ops & {"<", "==", "~="}, f"{req} has no upper bound"
    if "<" in ops:  # the bound is a major version: X or X.0
        (upper,) = [Version(s.version) for s in req.specifier if s.operator == "<"]
        assert upper.release[1:] in ((), (0,)) or upper.major == 0, f"{req}: {upper}"


@pytest.mark.parametrize("name", ["opencv-contrib-python", "numpy", "mediapipe"])
def test_the_core_libraries_installed_are_inside_their_ranges(name):
    (req,) = [r for r in RUNTIME if r.name == name]
    version = _installed(name)
    assert version is not None, f"{name} is not installed"
    assert req.specifier.contains(version, prereleases=True), f"{name} {version} outside {req}"


def test_the_modules_are_those_packages():
    import cv2
    import mediapipe
    import numpy

    for module, name in ((cv2, "opencv-contrib-python"), (numpy, "numpy"),
                         (mediapipe, "mediapipe")):
        assert Version(module.__version__).major == _installed(name).major, name


@pytest.mark.parametrize("req", RUNTIME + EXTRAS["dev"], ids=str)
def test_every_installed_dependency_is_inside_its_range(req):
    version = _installed(req.name)
    if not _applies(req) or version is None:
        pytest.skip(f"{req.name} not needed or not installed here")
    assert req.specifier.contains(version, prereleases=True), f"{req.name} {version} outside {req}"


def test_the_version_is_written_once():
    assert "version" not in PROJECT and "version" in PROJECT["dynamic"]
    dynamic = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert dynamic["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "hipdrop.__version__"}
    assert metadata.version("hipdrop") == hipdrop.__version__
