"""`hipdrop batch`: sources found, results per source identical whatever runs them (one process,
two, a two-node Ray cluster), resume after a kill, a corrupt file among good ones."""

from __future__ import annotations

import csv
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, clip_path
from media import hang_guard, run_cli

from hipdrop import batch
from hipdrop.batch import BatchError, BatchOptions, discover_sources, output_name
from hipdrop.io.models import ResolvedModel
from hipdrop.settings import Settings

# Short real clips (72-153 frames): the result of each is known from MANIFEST.md.
CLIPS = ("single_leg_stance_tree_front_01.mp4", "side_lying_leg_raise_03.mp4",
         "tree_pose_front_lift_03.mp4")
RESULT_FILES = ("summary.json", "frames.csv")
TIMING_COLUMNS = {"wall_s", "cpu_s", "frames_per_s", "worker", "resumed", "warnings"}


def _clips() -> list[Path]:
    return [clip_path(name) for name in CLIPS]


def _table(out: Path) -> dict:
    return json.loads((out / batch.TABLE_JSON).read_text())


def _results(out: Path) -> dict[str, dict[str, bytes]]:
    """Per source folder, the bytes of the result files (the timings live elsewhere)."""
    return {row["folder"]: {name: (out / row["folder"] / name).read_bytes() for name in RESULT_FILES}
            for row in _table(out)["sources"] if row["status"] == "done"}


def _untimed(out: Path) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in TIMING_COLUMNS} for row in _table(out)["sources"]]


def crash_on_marked(job, *args):
    """The pool's per-source task, except that a source named crash* kills its worker process."""
    if Path(job.source).name.startswith("crash"):
        os._exit(3)
    return batch.pool_task(job, *args)


def crash_on_marked_ray(job, *args):
    """The same for Ray tasks."""
    if Path(job.source).name.startswith("crash"):
        os._exit(3)
    return batch.ray_task(job, *args)


def _model_loader():
    from hipdrop.io import models

    return lambda: models.resolve("full", download=False)


# -- sources and names (no model) ---------------------------------------------------------------


def test_discover_files_folders_globs(tmp_path):
    (tmp_path / "a" / "deep").mkdir(parents=True)
    (tmp_path / "b").mkdir()
    for rel in ("a/x.mp4", "a/deep/y.MOV", "a/notes.txt", "b/x.mp4", "b/x.avi", "a/.hidden.mp4"):
        (tmp_path / rel).write_bytes(b"v")
    (tmp_path / "a" / "x_hipdrop").mkdir()  # an analyze output folder: never a source
    (tmp_path / "a" / "x_hipdrop" / "annotated.mp4").write_bytes(b"v")
    out = tmp_path / "a" / "results"
    out.mkdir()
    (out / "old.mp4").write_bytes(b"v")  # inside --out: not a source
    found = discover_sources([tmp_path / "a", str(tmp_path / "b" / "*.mp4"), tmp_path / "a" / "x.mp4",
                              tmp_path / "a" / "notes.txt"], out)
    rel = [str(p.relative_to(tmp_path)) for p in found]
    assert rel == ["a/x.mp4", "a/deep/y.MOV", "b/x.mp4", "a/notes.txt"]
    assert all(p.is_absolute() for p in found)


@pytest.mark.parametrize("spec, message", [("missing.mp4", "no such file or folder"),
                                           ("*.webm", "matches no video"),
                                           ("empty", "holds no videos")])
def test_discover_names_what_is_wrong(tmp_path, spec, message):
    (tmp_path / "empty").mkdir()
    with pytest.raises(BatchError, match=message):
        discover_sources([str(tmp_path / spec)], tmp_path / "out")


def test_same_stem_in_two_folders_gets_two_folders(tmp_path):
    a, b = tmp_path / "a" / "clip.mp4", tmp_path / "b" / "clip.mp4"
    assert output_name(a) != output_name(b)
    assert output_name(a).startswith("clip-") and output_name(a) == output_name(a)
    assert output_name(tmp_path / "a" / "clip.mov") != output_name(a)


def test_completion_marker_must_match_file_and_settings(tmp_path):
    source = tmp_path / "s.mp4"
    source.write_bytes(b"12345")
    job = batch.make_job(source, "key1", video=False)
    folder = tmp_path / job.name
    folder.mkdir()
    assert not batch.is_complete(folder, job)  # no marker
    (folder / batch.MARKER).write_text(json.dumps(
        {"source": job.source, "size": job.size, "mtime_ns": job.mtime_ns, "key": "key1",
         "video": False}))
    assert batch.is_complete(folder, job)
    assert not batch.is_complete(folder, batch.make_job(source, "key2", video=False))  # settings
    assert not batch.is_complete(folder, batch.make_job(source, "key1", video=True))  # no video made
    source.write_bytes(b"123456")  # the source changed
    assert not batch.is_complete(folder, batch.make_job(source, "key1", video=False))


def test_a_slow_table_is_rewritten_less_often_but_always_last(tmp_path):
    sources = [tmp_path / f"{n}.mp4" for n in "ab"]
    for p in sources:
        p.write_bytes(b"v")
    jobs = [batch.make_job(p, "k", video=False) for p in sources]
    table = batch.BatchTable(tmp_path, jobs, {})
    table.write()
    assert [r["status"] for r in _table(tmp_path)["sources"]] == ["pending", "pending"]
    table.record(batch.Outcome(jobs[0].source, jobs[0].name, "failed", error="bad"))
    table._cost = 0.0  # a fast table: written at once
    table.write(force=False)
    assert _table(tmp_path)["counts"] == {"done": 0, "failed": 1, "pending": 1}
    table._cost = 60.0  # as if the last write had taken a minute
    table.record(batch.Outcome(jobs[1].source, jobs[1].name, "failed", error="bad"))
    table.write(force=False)
    assert table.dirty and _table(tmp_path)["counts"]["failed"] == 1
    table.write()
    assert not table.dirty and _table(tmp_path)["counts"]["failed"] == 2
    with open(tmp_path / batch.TABLE_CSV, newline="") as fh:
        assert [r["status"] for r in csv.DictReader(fh)] == ["failed", "failed"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_waits_for_the_folder_move_and_the_table(signum):
    from hipdrop.batch.run import _signals_held, sigterm_as_interrupt

    done = []
    with sigterm_as_interrupt(), pytest.raises(KeyboardInterrupt):
        with _signals_held():
            os.kill(os.getpid(), signum)
            time.sleep(0.05)  # the handler would have run by now
            done.append("moved and written")
    assert done == ["moved and written"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_run_key_follows_settings_and_model():
    base = batch.run_key(BatchOptions(), "full", "abc")
    assert base == batch.run_key(BatchOptions(), "full", "abc")
    assert base != batch.run_key(BatchOptions(Settings(drop_threshold_deg=5.0)), "full", "abc")
    assert base != batch.run_key(BatchOptions(), "heavy", "abc")
    assert base != batch.run_key(BatchOptions(estimator="landmarks"), "full", "abc")


# -- the real model on real clips ---------------------------------------------------------------


@pytest.fixture(scope="module")
def one_process(tmp_path_factory, request):
    """The clips batched by one worker process (the reference for the other drivers)."""
    request.getfixturevalue("pose_model")
    out = tmp_path_factory.mktemp("jobs1")
    ticks: list[tuple[str, int, int]] = []
    with hang_guard(300):
        result = batch.run_pool(_clips(), out, options=BatchOptions(video=False),
                                model=_model_loader(), jobs=1,
                                progress=lambda *tick: ticks.append(tick))
    return out, result, ticks


@pytest.mark.model
@pytest.mark.clips
def test_one_process_results_and_table(one_process):
    out, result, ticks = one_process
    assert not result.interrupted and result.count("done") == len(CLIPS)
    rows = {Path(r["source"]).name: r for r in _table(out)["sources"]}
    # What the clips show (MANIFEST.md): tree pose on the right leg; 2 left side-lying reps.
    tree = rows["single_leg_stance_tree_front_01.mp4"]
    assert [p["stance"] for p in tree["phases"]] == ["right"] and tree["frames"] == 72
    assert (rows["side_lying_leg_raise_03.mp4"]["reps_left"],
            rows["side_lying_leg_raise_03.mp4"]["reps_right"]) == (2, 0)
    assert rows["tree_pose_front_lift_03.mp4"]["phases"][0]["stance"] == "left"
    with open(out / batch.TABLE_CSV, newline="") as fh:
        csv_rows = list(csv.DictReader(fh))
    assert [r["source"] for r in csv_rows] == [str(p) for p in _clips()]
    assert all(r["status"] == "done" and float(r["frames_per_s"]) > 0 for r in csv_rows)
    for row in rows.values():  # each folder holds analyze's files, and the summary is the row's
        folder = out / row["folder"]
        assert {p.name for p in folder.iterdir()} >= {"summary.json", "frames.csv", "landmarks.npz",
                                                       "obliquity.png", batch.MARKER}
        assert json.loads((folder / "summary.json").read_text())["source"] == row["source"]
    assert not (out / batch.STAGING).exists()
    # The progress: files and frames counted up to the whole batch, frames also while a source
    # runs (the worker reports them), never going back.
    # (The one progress shape: ("files", done, total) then ("pose", frames done, announced).)
    assert {t[0] for t in ticks} == {"files", "pose"}
    files = [t[1:] for t in ticks if t[0] == "files"]
    frames = [t[1:] for t in ticks if t[0] == "pose"]
    assert (files[0], files[-1]) == ((0, len(CLIPS)), (len(CLIPS), len(CLIPS)))
    assert len(frames) > len(CLIPS) + 1
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(frames))
    assert frames[-1][0] == frames[-1][1] == sum(r["frames"] for r in rows.values())


@pytest.mark.model
@pytest.mark.clips
def test_two_processes_give_the_same_results_and_resume(one_process, tmp_path):
    ref, _, _ = one_process
    out = tmp_path / "jobs2"
    with hang_guard(300):
        result = batch.run_pool(_clips(), out, options=BatchOptions(video=False),
                                model=_model_loader(), jobs=2)
    assert result.count("done") == len(CLIPS)
    assert len({r["worker"] for r in result.rows}) == 2  # both workers took a share
    assert _results(out) == _results(ref)
    assert _untimed(out) == _untimed(ref)
    # A re-run recomputes nothing: every source resumed, its files untouched.
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("*/summary.json")}
    again = batch.run_pool(_clips(), out, options=BatchOptions(video=False), model=_model_loader(),
                           jobs=2)
    assert all(r["resumed"] and r["status"] == "done" for r in again.rows)
    assert {p: p.stat().st_mtime_ns for p in out.glob("*/summary.json")} == stamps
    # Other settings are other results: nothing resumed; --force too.
    changed = batch.run_pool(_clips()[:1], out, model=_model_loader(), jobs=1,
                             options=BatchOptions(Settings(drop_threshold_deg=5.0), video=False))
    assert not changed.rows[0]["resumed"] and changed.rows[0]["status"] == "done"
    forced = batch.run_pool(_clips()[1:2], out, options=BatchOptions(video=False),
                            model=_model_loader(), jobs=1, force=True)
    assert not forced.rows[0]["resumed"]


@pytest.mark.model
@pytest.mark.clips
def test_landmarks_files_need_no_model(one_process, tmp_path):
    ref, _, _ = one_process
    npz = sorted(ref.glob("*/landmarks.npz"))
    assert len(npz) == len(CLIPS)
    result = batch.run_pool(npz, tmp_path / "out", options=BatchOptions(video=False), model=None, jobs=2)
    assert result.count("done") == len(CLIPS)
    for row in result.rows:  # the same analysis as from the videos, without running the model
        again = json.loads((tmp_path / "out" / row["folder"] / "summary.json").read_text())
        first = json.loads((Path(row["source"]).parent / "summary.json").read_text())
        assert again["stance_phases"] == first["stance_phases"] and again["reps"] == first["reps"]


@pytest.mark.model
@pytest.mark.clips
def test_corrupt_files_among_good_ones(tmp_path, capsys, pose_model):
    good = clip_path(CLIPS[0])
    bad = tmp_path / "inputs"
    bad.mkdir()
    (bad / "text.mp4").write_text("not a video\n")
    (bad / "empty.mov").write_bytes(b"")
    (bad / "cut.mp4").write_bytes(clip_path(CLIPS[1]).read_bytes()[:2000])  # header only
    out = tmp_path / "out"
    with hang_guard(300):
        code, stdout, err = run_cli(capsys, "batch", str(bad), good, "--out", out, "--jobs", "2",
                                    "--no-video", "-q")
    assert code == 1
    rows = {Path(r["source"]).name: r for r in _table(out)["sources"]}
    assert rows[good.name]["status"] == "done" and rows[good.name]["frames"] == 72
    for name in ("text.mp4", "empty.mov", "cut.mp4"):
        assert rows[name]["status"] == "failed" and rows[name]["error"], name
        assert not (out / rows[name]["folder"]).exists()  # a failed source leaves no folder
        assert f"hipdrop: failed: {bad / name}" in err
    assert "is empty" in rows["empty.mov"]["error"]
    assert "Traceback" not in err
    assert "1 of 4 sources done" in stdout


@pytest.mark.model
@pytest.mark.clips
def test_a_worker_that_dies_is_retried_then_recorded(one_process, tmp_path):
    ref, _, _ = one_process
    crash = tmp_path / "crash.mp4"
    crash.write_bytes(b"x")
    out = tmp_path / "out"
    with hang_guard(300):
        result = batch.run_pool([crash, *_clips()[:2]], out, options=BatchOptions(video=False),
                                model=_model_loader(), jobs=2, task=crash_on_marked)
    rows = {Path(r["source"]).name: r for r in result.rows}
    assert rows["crash.mp4"]["status"] == "failed" and "died twice" in rows["crash.mp4"]["error"]
    # The source that shared the broken pool with it was retried alone and went through.
    assert [rows[n]["status"] for n in CLIPS[:2]] == ["done", "done"]
    good = _results(out)
    assert len(good) == 2 and good == {k: v for k, v in _results(ref).items() if k in good}


def test_ray_missing_is_one_clear_error(tmp_path, monkeypatch):
    (tmp_path / "a.mp4").write_bytes(b"x")
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(BatchError, match=r"pip install 'hipdrop\[cluster\]'"):
        batch.run_ray([tmp_path / "a.mp4"], tmp_path / "out")


def test_bad_batch_arguments_are_one_line(tmp_path, capsys):
    code, _, err = run_cli(capsys, "batch", str(tmp_path / "nothing.mp4"), "--out", tmp_path / "o")
    assert code == 2 and err.strip().splitlines() == [f"hipdrop: error: no such file or folder: "
                                                      f"{tmp_path / 'nothing.mp4'}"]


@pytest.mark.model
@pytest.mark.clips
@pytest.mark.parametrize("how", ["sigterm", "ctrl-c", "sigkill-group"])
def test_resume_after_a_kill_mid_batch(tmp_path, pose_model, how):
    # One worker: the kill lands once the first (72 frames) is done, during the second (153).
    clips = _clips()[:2]
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "hipdrop", "batch", *map(str, clips), "--out", str(out),
           "--jobs", "1", "--no-video", "-q"]
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    # A shell may start the tests with SIGINT ignored (a background job): the child must not be.
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if _table(out)["counts"]["done"] >= 1:
                    break
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.05)
        assert proc.poll() is None, "the batch ended before it could be killed"
        if how == "sigterm":  # to the driver only: it ends the workers
            proc.send_signal(signal.SIGTERM)
        elif how == "ctrl-c":  # a terminal's Ctrl-C reaches the whole process group
            os.killpg(proc.pid, signal.SIGINT)
        else:
            os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if how != "sigkill-group":
        # 128 + the signal, as analyze and live exit (SIGTERM 143, Ctrl-C 130).
        expected = 128 + (signal.SIGTERM if how == "sigterm" else signal.SIGINT)
        assert proc.returncode == expected and b"interrupted" in err and b"Traceback" not in err
        assert not (out / batch.STAGING).exists()
    # The table is true: done rows are exactly the complete folders, the rest pending.
    table = _table(out)
    done = [r for r in table["sources"] if r["status"] == "done"]
    assert 1 <= len(done) < len(clips)
    for row in table["sources"]:
        assert (out / row["folder"] / batch.MARKER).is_file() == (row["status"] == "done")
        assert row["status"] in ("done", "pending")
    if how != "sigkill-group":  # the worker processes went with the driver
        time.sleep(0.5)
        for row in done:
            with pytest.raises(ProcessLookupError):
                os.kill(int(row["worker"].rsplit(":", 1)[1]), 0)
    kept = {r["folder"]: (out / r["folder"] / batch.MARKER).stat().st_mtime_ns for r in done}
    with hang_guard(300):
        result = subprocess.run(cmd, env=env, capture_output=True, timeout=280)
    assert result.returncode == 0, result.stderr.decode()
    rows = _table(out)["sources"]
    assert all(r["status"] == "done" for r in rows)
    assert {r["folder"] for r in rows if r["resumed"]} == set(kept)  # skipped, not recomputed
    assert {f: (out / f / batch.MARKER).stat().st_mtime_ns for f in kept} == kept
    assert not (out / batch.STAGING).exists()


# -- Ray ----------------------------------------------------------------------------------------


@pytest.mark.model
def test_landmarker_loads_from_bytes_without_a_file(pose_model):
    from hipdrop.io.pose import PoseEstimator

    model = ResolvedModel("full", Path("/nonexistent/full.task"), pose_model.path.read_bytes())
    with PoseEstimator(model) as estimator:
        assert estimator.model.name == "full"
    with pytest.raises(Exception, match="nonexistent"):
        PoseEstimator(ResolvedModel("full", Path("/nonexistent/full.task")))


@pytest.mark.model
@pytest.mark.clips
def test_ray_two_node_cluster_gives_the_same_table(one_process, tmp_path, monkeypatch):
    pytest.importorskip("ray", reason="needs hipdrop[cluster] (Ray)")
    from hipdrop.batch.raycluster import local_cluster

    ref, _, _ = one_process
    out = tmp_path / "ray"
    crash = tmp_path / "crash.mp4"
    crash.write_bytes(b"x")
    # The nodes' workers import hipdrop and, for the crashing task, this module.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO / "src"), str(REPO / "tests")]))
    clips = _clips()
    with hang_guard(400), local_cluster(nodes=2, cpus_per_node=1) as address:
        result = batch.run_ray([clips[0], crash, *clips[1:]], out, address=address,
                               options=BatchOptions(video=False), model=_model_loader(),
                               task=crash_on_marked_ray)
    rows = {Path(r["source"]).name: r for r in result.rows}
    # A task whose worker dies is retried by Ray once, then recorded as failed; the rest go on.
    assert rows["crash.mp4"]["status"] == "failed" and "died twice" in rows["crash.mp4"]["error"]
    assert result.count("done") == len(CLIPS)
    nodes = {rows[n]["worker"].rsplit("@", 1)[1] for n in CLIPS}
    assert len(nodes) == 2  # both one-CPU nodes ran sources
    assert _results(out) == _results(ref)
    assert [r for r in _untimed(out) if r["source"] != str(crash)] == _untimed(ref)
