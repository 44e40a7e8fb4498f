"""The model registry: its pinned sizes and digests, where models are found, and downloading.

No test touches the real network: downloads come from a local HTTP server started here, and
every test that could download points ``hipdrop.io.models._URL`` at it or at a closed port.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import REPO
from media import assert_one_error, fake_bundle, hang_guard, run_cli, spoil_one_byte

from hipdrop.errors import ModelError
from hipdrop.io import models

SHARED_MODELS = Path(os.environ.get("HIPDROP_MODEL_DIR", REPO.parent / "shared" / "models"))
FULL_1_DIGEST = "5134a3aad27a58b93da0088d431f366da362b44e3ccfbe3462b3827a839011b1"


@pytest.fixture(autouse=True)
def _no_hang():
    with hang_guard(120):
        yield


def _sources_md() -> str:
    path = SHARED_MODELS / "SOURCES.md"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path.read_text(encoding="utf-8")


@pytest.fixture
def full_bundle() -> Path:
    """The real full bundle (read-only: copy it before changing it)."""
    path = SHARED_MODELS / models.REGISTRY["full"].filename
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    """(HIPDROP_MODEL_DIR, user cache folder), both empty; downloads go to a closed port."""
    env = tmp_path / "env-models"
    env.mkdir()
    monkeypatch.setenv("HIPDROP_MODEL_DIR", str(env))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(models, "_URL", "http://127.0.0.1:9/pose_landmarker_{0}.task")
    cache = tmp_path / "xdg" / "hipdrop" / "models"
    assert models.cache_dir() == cache
    for folder in models.search_dirs():
        if folder not in (env, cache) and any(
                (folder / m.filename).exists() for m in models.REGISTRY.values()):
            pytest.skip(f"{folder} holds a model: the search cannot be isolated")
    return env, cache


class _Server:
    """Files served from memory on 127.0.0.1; counts requests."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, int]] = {}  # path -> (body, announced length)
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                if self.path not in server.files:
                    self.send_error(404)
                    return
                body, length = server.files[self.path]
                self.send_response(200)
                self.send_header("Content-Length", str(length))
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,),
                                       daemon=True)

    def serve(self, name: str, body: bytes, length: int | None = None) -> None:
        self.files[f"/{name}"] = (body, len(body) if length is None else length)


@pytest.fixture
def server(monkeypatch):
    s = _Server()
    s.thread.start()
    monkeypatch.setattr(models, "_URL", s.url + "/pose_landmarker_{0}.task")
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()
    s.thread.join(5)


# --- the registry ----------------------------------------------------------------------------


def test_registry_matches_sources_md():
    text = _sources_md()
    rows = re.findall(r"\|\s*`pose_landmarker_(\w+)\.task`\s*\|\s*([\d,]+)\s*\|\s*`([0-9a-f]{64})`",
                      text)
    assert {name for name, _, _ in rows} == {"lite", "full", "heavy"} == set(models.REGISTRY)
    for name, size, digest in rows:
        info = models.REGISTRY[name]
        assert info.size == int(size.replace(",", "")), name
        assert info.sha256[0] == digest, name
    older = re.search(r"float16/1`\s*\(sha256 `([0-9a-f]{64})`\)", text)
    assert older and older.group(1) == FULL_1_DIGEST
    latest = {name: digest for name, _, digest in rows}["full"]
    assert set(models.REGISTRY["full"].sha256) == {latest, FULL_1_DIGEST}


def test_registry_urls_match_sources_md():
    template = re.search(r"`(https://\S+\{lite\|full\|heavy\}\S+)`", _sources_md()).group(1)
    for name, info in models.REGISTRY.items():
        assert info.url == template.replace("{lite|full|heavy}", name)
        assert info.filename == f"pose_landmarker_{name}.task" == Path(info.url).name


def test_shared_model_files_match_registry():
    present = [m for m in models.REGISTRY.values() if (SHARED_MODELS / m.filename).is_file()]
    if not present:
        pytest.skip(f"no model file in {SHARED_MODELS}")
    for info in present:
        path = SHARED_MODELS / info.filename
        assert path.stat().st_size == info.size
        assert models.sha256_of(path) in info.sha256
        models.check_bundle(path)


def test_alternative_full_digest_is_accepted(tmp_path, monkeypatch, dirs):
    """float16/1 of full: the same members, other zip timestamps (SOURCES.md)."""
    env, _ = dirs
    older = fake_bundle(env / "pose_landmarker_full.task")
    monkeypatch.setattr(models, "sha256_of", lambda path: FULL_1_DIGEST)
    models.verify(older, models.REGISTRY["full"])
    assert models.resolve("full", download=False) == models.ResolvedModel("full", older)
    assert models.resolve(str(older)).name == "full"
    assert [s.verified for s in models.status() if s.info.name == "full"] == [True]
    with pytest.raises(ModelError, match="fails its checksum"):
        models.verify(older, models.REGISTRY["heavy"])


def test_check_bundle_names_the_missing_member(tmp_path):
    half = fake_bundle(tmp_path / "half.task", members=("pose_detector.tflite",))
    with pytest.raises(ModelError, match=r"no pose_landmarks_detector\.tflite"):
        models.check_bundle(half)
    models.check_bundle(fake_bundle(tmp_path / "whole.task"))  # names suffice here


# --- where a model is found ------------------------------------------------------------------------


def test_search_dirs_order(tmp_path, monkeypatch, dirs):
    env, cache = dirs
    found = models.search_dirs()
    assert found[0] == env and found[-1] == cache
    monkeypatch.delenv("HIPDROP_MODEL_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert models.search_dirs()[-1] == tmp_path / "home" / ".cache" / "hipdrop" / "models"
    assert env not in models.search_dirs()


def test_model_dir_beats_user_cache(dirs, full_bundle):
    env, cache = dirs
    cache.mkdir(parents=True)
    shutil.copyfile(full_bundle, env / full_bundle.name)
    spoil_one_byte(full_bundle, cache / full_bundle.name)
    assert models.resolve("full", download=False) == models.ResolvedModel("full", env / full_bundle.name)
    # The other way round, the bad copy in HIPDROP_MODEL_DIR is the one used (and refused).
    spoil_one_byte(full_bundle, env / full_bundle.name)
    shutil.copyfile(full_bundle, cache / full_bundle.name)
    with pytest.raises(ModelError, match=f"model file {re.escape(str(env))}.*fails its checksum"):
        models.resolve("full", download=False)


def test_user_cache_is_searched(dirs, full_bundle):
    _, cache = dirs
    cache.mkdir(parents=True)
    shutil.copyfile(full_bundle, cache / full_bundle.name)
    assert models.resolve("full", download=False).path == cache / full_bundle.name


def test_model_path_beats_names(tmp_path, dirs, full_bundle):
    env, _ = dirs
    spoil_one_byte(full_bundle, env / full_bundle.name)  # the name "full" would fail here
    mine = tmp_path / "elsewhere" / "my pose.task"
    mine.parent.mkdir()
    shutil.copyfile(full_bundle, mine)
    assert models.resolve(str(mine)) == models.ResolvedModel("full", mine)  # known by its digest
    unknown = fake_bundle(tmp_path / "custom.task")
    assert models.resolve(str(unknown)) == models.ResolvedModel("custom", unknown)


def test_model_path_with_a_registry_name_must_match_it(tmp_path, full_bundle):
    bad = spoil_one_byte(full_bundle, tmp_path / full_bundle.name)
    with pytest.raises(ModelError, match="fails its checksum"):
        models.resolve(str(bad))


def test_missing_model_without_download_says_how_to_get_it(dirs):
    with pytest.raises(ModelError) as info:
        models.resolve("heavy", download=False)
    message = str(info.value)
    assert "hipdrop models fetch heavy" in message and "\n" not in message
    assert str(dirs[1]) in message


def test_missing_model_unreachable_download(dirs):
    with pytest.raises(ModelError, match=r"could not download model 'lite'.*hipdrop models fetch lite"):
        models.resolve("lite")
    assert not dirs[1].exists() or list(dirs[1].iterdir()) == []


# --- downloading ---------------------------------------------------------------------------------


def test_fetch_writes_atomically_with_progress(dirs, server, full_bundle):
    _, cache = dirs
    body = full_bundle.read_bytes()
    server.serve(full_bundle.name, body)
    target = cache / full_bundle.name
    calls = []

    def progress(stage: str, done: int, total: int) -> None:
        # Never visible under its final name before it is complete and verified.
        assert stage == "download"
        assert not target.exists()
        assert [p.name for p in cache.iterdir() if p.name.startswith(".download-")]
        calls.append((done, total))

    path = models.fetch(models.REGISTRY["full"], progress=progress)
    assert path == target and path.read_bytes() == body
    assert len(calls) > 1 and calls[-1] == (len(body), len(body))
    assert all(a[0] < b[0] for a, b in itertools.pairwise(calls))
    assert [p.name for p in cache.iterdir()] == [full_bundle.name]  # no temporary left
    assert server.requests == [f"/{full_bundle.name}"]
    assert models.resolve("full", download=False).path == target


@pytest.mark.parametrize("case", ["wrong bytes", "cut short", "not found"])
def test_failed_fetch_leaves_nothing(dirs, server, full_bundle, case):
    _, cache = dirs
    body = full_bundle.read_bytes()
    if case == "wrong bytes":
        server.serve(full_bundle.name, body[:-1] + b"x")
    elif case == "cut short":
        server.serve(full_bundle.name, body[: len(body) // 3], length=len(body))
    with pytest.raises(ModelError) as info:
        models.fetch(models.REGISTRY["full"])
    assert "full" in str(info.value) and "\n" not in str(info.value)
    assert list(cache.iterdir()) == []
    assert server.requests == [f"/{full_bundle.name}"]


# --- the `hipdrop models` command -------------------------------------------------------------


def test_cli_models_lists_status(dirs, capsys, full_bundle):
    env, cache = dirs
    shutil.copyfile(full_bundle, env / full_bundle.name)
    (env / "pose_landmarker_heavy.task").write_bytes(b"not the heavy model")
    status, out, err = run_cli(capsys, "models")
    assert status == 0, err
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert "missing" in lines["lite"] and "(hipdrop models fetch lite)" in lines["lite"]
    assert "5.8MB" in lines["lite"]
    assert "verified" in lines["full"] and str(env / full_bundle.name) in lines["full"]
    assert "(default)" in lines["full"]
    assert "BAD SUM" in lines["heavy"] and str(env / "pose_landmarker_heavy.task") in lines["heavy"]
    assert lines["searched:"].startswith(f"searched: {env}") and str(cache) in lines["searched:"]


def test_cli_models_fetch_when_present_does_not_download(dirs, server, capsys, full_bundle):
    env, cache = dirs
    shutil.copyfile(full_bundle, env / full_bundle.name)
    status, out, err = run_cli(capsys, "models", "fetch", "full")
    assert status == 0, err
    assert out.strip() == f"full: already present and verified at {env / full_bundle.name}"
    assert server.requests == [] and not cache.exists()


def test_cli_models_fetch_downloads(dirs, server, capsys, full_bundle):
    _, cache = dirs
    server.serve(full_bundle.name, full_bundle.read_bytes())
    status, out, err = run_cli(capsys, "models", "fetch")  # full by default
    assert status == 0, err
    assert out.strip() == f"full: verified at {cache / full_bundle.name}"
    assert models.sha256_of(cache / full_bundle.name) in models.REGISTRY["full"].sha256


def test_cli_models_fetch_failure_is_one_line(dirs, server, capsys):
    status, _, err = run_cli(capsys, "models", "fetch", "heavy")  # the server has no file
    assert status == ModelError.exit_status
    line = assert_one_error(err)
    assert "could not download model 'heavy'" in line
