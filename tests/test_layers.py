"""The package's layers, as README's Development section draws them: the pure core and the
image measurements know nothing of files, cameras, reports or the apps; the pipeline runs the
core and nothing else; the pose and video edges do not reach up into the pipeline or the apps.
A new import that crosses a line fails here, not in a review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "hipdrop"

# What each layer may import from hipdrop (its own subpackage always).
ALLOWED = {
    "core": {"errors", "settings"},
    "vision": {"core", "errors", "settings"},
    "pipeline": {"core", "vision", "errors", "settings"},
    "io": {"core", "vision", "errors", "settings", "progress"},
    "testing": {"core"},
}
# The one crossing kept on purpose: LandmarkSeries.save writes its .npz through the
# complete-or-absent writer, so no caller can leave half a landmarks file.
EXCEPTIONS = {("core/landmarks.py", "io.outputs")}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("hipdrop."):
            found.add(node.module.removeprefix("hipdrop."))
        elif isinstance(node, ast.ImportFrom) and node.module == "hipdrop":
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name.removeprefix("hipdrop.") for a in node.names
                         if a.name.startswith("hipdrop."))
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_what_it_may(layer):
    files = sorted((PACKAGE / layer).glob("*.py"))
    assert files, layer
    crossing = []
    for f in files:
        rel = f"{layer}/{f.name}"
        for module in _imports(f):
            top = module.split(".")[0]
            if top != layer and top not in ALLOWED[layer] and (rel, module) not in EXCEPTIONS:
                crossing.append(f"{rel} imports hipdrop.{module}")
    assert not crossing, "\n".join(crossing)


def test_the_checker_sees_a_crossing(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from hipdrop.live.app import run_live\nimport hipdrop.reports.files\n")
    assert _imports(bad) == {"live.app", "reports.files"}
