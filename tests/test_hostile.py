"""Hostile inputs: whatever a user (or a damaged disk) hands hipdrop, it answers with one line and
a non-zero exit, or with complete results; never a traceback, a hang, an output over an input,
a half-written file, or memory beyond what the input really holds.

One test class per failure class of issue 9; property-based (hypothesis) where inputs are
data: landmarks files, settings files, truncated and corrupted bytes.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import struct
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import clip_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from media import assert_one_error, hang_guard, landmark_arrays, read_frames, run_cli, write_npz
from strict import assert_complete_or_absent, env

from hipdrop.core.landmarks import MAX_FRAMES, LandmarkSeries
from hipdrop.errors import LandmarksFormatError, ModelError, OutputError, SettingsError
from hipdrop.io import models
from hipdrop.io.outputs import OutputPlan, write_bytes
from hipdrop.io.video import FrameClock, VideoReader
from hipdrop.settings import Settings, load_settings

TREE = "single_leg_stance_tree_front_01.mp4"  # 72 frames at 10 fps, 600x338
FEW = settings(max_examples=40, deadline=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(autouse=True)
def _no_hang():
    with hang_guard(120):
        yield


def analyze(capsys, source, out, *extra):
    return run_cli(capsys, "analyze", source, "--out", out, "-q", *extra)


def _no_inference(monkeypatch):
    """Fail the test if the pose model is asked for a single frame."""
    from hipdrop.io.pose import PoseEstimator

    def refuse(self, frame, t_s):
        raise AssertionError("the work started before the destination was checked")

    monkeypatch.setattr(PoseEstimator, "detect", refuse)


# --- 1. no output ever replaces an input ---------------------------------------------------------


class TestOutputsNeverReplaceInputs:
    @pytest.mark.parametrize("name", ["annotated.mp4", "obliquity.png", "summary.json"])
    def test_a_video_named_like_an_output_in_the_out_folder(self, tmp_path, capsys, monkeypatch,
                                                            pose_model, name):
        folder = tmp_path / "d"
        folder.mkdir()
        source = folder / name
        shutil.copy(clip_path(TREE), source)
        before = source.read_bytes()
        _no_inference(monkeypatch)
        status, _, err = analyze(capsys, source, folder)
        assert status == OutputError.exit_status
        assert "would replace the input" in assert_one_error(err)
        assert source.read_bytes() == before

    def test_a_hard_link_and_a_symlink_to_the_input(self, tmp_path, capsys):
        source = write_npz(tmp_path / "lm.npz", landmark_arrays(30))
        before = source.read_bytes()
        for link in ("hard", "soft"):
            out = tmp_path / link
            out.mkdir()
            if link == "hard":
                os.link(source, out / "frames.csv")
            else:
                (out / "summary.json").symlink_to(source)
            status, _, err = analyze(capsys, source, out)
            assert status == OutputError.exit_status, err
            assert "would replace the input" in assert_one_error(err)
        assert source.read_bytes() == before

    def test_the_settings_file_is_an_input_too(self, tmp_path, capsys):
        source = write_npz(tmp_path / "lm.npz", landmark_arrays(30))
        out = tmp_path / "out"
        out.mkdir()
        (out / "frames.csv").write_text("min_rep_s = 0.4\n")
        status, _, err = analyze(capsys, source, out, "--settings", out / "frames.csv")
        assert status == OutputError.exit_status
        assert "would replace the input" in assert_one_error(err)
        assert (out / "frames.csv").read_text() == "min_rep_s = 0.4\n"

    def test_the_landmarks_file_can_be_reanalysed_in_its_own_folder(self, tmp_path, capsys):
        """landmarks.npz is not among the outputs of a landmarks file's analysis."""
        folder = tmp_path / "clip_hipdrop"
        folder.mkdir()
        source = write_npz(folder / "landmarks.npz", landmark_arrays(30))
        before = source.read_bytes()
        status, _, err = analyze(capsys, source, folder)
        assert status == 0, err
        assert source.read_bytes() == before
        assert_complete_or_absent(folder, frames=30)


    def test_an_earlier_runs_output_not_rewritten_is_said(self, tmp_path, capsys):
        folder = tmp_path / "clip_hipdrop"
        folder.mkdir()
        source = write_npz(folder / "landmarks.npz", landmark_arrays(30))
        (folder / "annotated.mp4").write_bytes(b"an earlier run's video")
        status, _, err = analyze(capsys, source, folder)
        assert status == 0, err
        assert err.splitlines() == [
            f"hipdrop: warning: {folder / 'annotated.mp4'} is from an earlier run, not from this one"]
        assert (folder / "annotated.mp4").read_bytes() == b"an earlier run's video"


# --- 3. the destination is checked before the work ------------------------------------------------


class TestDestinationCheckedFirst:
    def test_out_is_a_file(self, tmp_path, capsys, monkeypatch, pose_model):
        (tmp_path / "taken").write_text("mine\n")
        _no_inference(monkeypatch)
        status, _, err = analyze(capsys, clip_path(TREE), tmp_path / "taken")
        assert status == OutputError.exit_status
        assert "is a file, not a folder" in assert_one_error(err)
        assert (tmp_path / "taken").read_text() == "mine\n"

    def test_out_below_a_file(self, tmp_path, capsys, monkeypatch, pose_model):
        (tmp_path / "taken").write_text("mine\n")
        _no_inference(monkeypatch)
        status, _, err = analyze(capsys, clip_path(TREE), tmp_path / "taken" / "sub")
        assert status == OutputError.exit_status
        assert "cannot write" in assert_one_error(err)

    def test_out_empty(self, tmp_path, capsys):
        status, _, err = run_cli(capsys, "analyze", tmp_path / "x.npz", "--out", "")
        assert status == 2 and "--out" in err and "Traceback" not in err

    def test_live_save_is_a_file(self, tmp_path, capsys, monkeypatch, pose_model):
        (tmp_path / "taken").write_text("mine\n")
        _no_inference(monkeypatch)
        status, _, err = run_cli(capsys, "live", "--headless", "--source", clip_path(TREE),
                                 "--save", tmp_path / "taken")
        assert status == OutputError.exit_status
        assert "session folder" in assert_one_error(err)

    def test_output_plan_refuses_the_input_itself(self, tmp_path):
        source = tmp_path / "in.npz"
        source.write_bytes(b"x")
        with pytest.raises(OutputError, match="is the input itself"):
            OutputPlan.prepare(source, ["summary.json"], [source])
        with pytest.raises(OutputError, match="is a file, not a folder"):
            OutputPlan.prepare(source, ["summary.json"])
        plan = OutputPlan.prepare(tmp_path / "new" / "deeper", ["a.txt"], [source])
        assert plan.created and plan.out_dir.is_dir()
        plan.discard()
        assert not plan.out_dir.exists()


# --- disk full, read-only ----------------------------------------------------------------------------


@pytest.fixture
def tmpfs(tmp_path):
    """``tmpfs(size, ro=False)`` mounts a tiny file system and returns its folder."""
    mounted: list[Path] = []

    def mount(size: str, ro: bool = False) -> Path:
        where = tmp_path / f"disk{len(mounted)}"
        where.mkdir()
        opts = f"size={size}" + (",ro" if ro else "")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


class TestFullAndReadOnlyDisks:
    def test_disk_full_on_the_tables(self, tmp_path, capsys, tmpfs):
        disk = tmpfs("200k")
        source = write_npz(tmp_path / "long.npz", landmark_arrays(4000))
        status, stdout, err = analyze(capsys, source, disk / "out")
        assert status == OutputError.exit_status
        assert "no space left on the device" in assert_one_error(err)
        assert "Results in" not in stdout
        assert_complete_or_absent(disk / "out", frames=4000)

    def test_disk_full_on_the_video(self, capsys, tmpfs, pose_model):
        disk = tmpfs("300k")  # the tables and the plot fit (~170 KB), the video (~380 KB) not
        status, _, err = analyze(capsys, clip_path(TREE), disk / "out")
        assert status == OutputError.exit_status, err
        line = assert_one_error(err)  # and not ~70 lines of OpenCV warnings
        assert "annotated.mp4" in line and "no space left" in line
        found = assert_complete_or_absent(disk / "out", frames=72)
        assert "annotated.mp4" not in found and "landmarks.npz" in found

    def test_read_only_destination_fails_before_the_work(self, capsys, monkeypatch, tmpfs,
                                                         pose_model):
        disk = tmpfs("100k", ro=True)
        _no_inference(monkeypatch)
        status, _, err = analyze(capsys, clip_path(TREE), disk / "out")
        assert status == OutputError.exit_status
        assert "read-only" in assert_one_error(err)

    def test_write_bytes_leaves_nothing_on_enospc(self, tmpfs):
        disk = tmpfs("64k")
        with pytest.raises(OutputError, match="no space left"):
            write_bytes(disk / "big.bin", b"x" * 200_000)
        assert list(disk.iterdir()) == []


# --- settings files --------------------------------------------------------------------------------


def _settings_file(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "s.toml"
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


class TestSettingsFiles:
    @pytest.mark.parametrize("text, message", [
        ("hipdrop = 3\n", "must be a [hipdrop] table"),
        (f"min_rep_s = {'9' * 400}\n", "far too large"),
        ("smooth_sigma_s = 1e9\n", "smooth_sigma_s = 1000000000.0 is not a number in [0.0, 5.0]"),
        ("peak_window_s = 1e300\n", "peak_window_s"),
        ("min_rep_s = 0.4\n[hipdrop]\nrep_up_deg = 20\n", "min_rep_s outside its [hipdrop] table"),
        ("rep_up_deg = inf\n", "rep_up_deg = inf"),
        ("[hipdrop]\nrep_up_deg = { a = 1 }\n", "rep_up_deg must be numbers"),
    ])
    def test_bad_settings_are_one_line(self, tmp_path, capsys, text, message):
        source = write_npz(tmp_path / "lm.npz", landmark_arrays(20))
        status, _, err = analyze(capsys, source, tmp_path / "out", "--settings",
                                 _settings_file(tmp_path, text))
        assert status == SettingsError.exit_status
        assert message in assert_one_error(err)
        assert not (tmp_path / "out").exists()

    def test_a_byte_order_mark_is_accepted(self, tmp_path):
        s = load_settings(_settings_file(tmp_path, "\ufeffmin_rep_s = 0.4\n"))
        assert s.min_rep_s == 0.4

    @pytest.mark.parametrize("kind", ["folder", "fifo", "device", "loop"])
    def test_settings_path_that_is_not_a_file(self, tmp_path, capsys, kind):
        path = tmp_path / "s.toml"
        if kind == "folder":
            path.mkdir()
        elif kind == "fifo":
            os.mkfifo(path)
        elif kind == "device":
            path = Path("/dev/zero")
        else:
            path.symlink_to(tmp_path / "s2.toml")
            (tmp_path / "s2.toml").symlink_to(path)
        source = write_npz(tmp_path / "lm.npz", landmark_arrays(20))
        status, _, err = analyze(capsys, source, tmp_path / "out", "--settings", path)
        assert status == SettingsError.exit_status
        line = assert_one_error(err)
        assert {"folder": "folder", "fifo": "FIFO", "device": "device",
                "loop": "symlink loop"}[kind] in line

    @FEW
    @given(st.lists(st.tuples(
        st.sampled_from(["rep_up_deg", "min_rep_s", "smooth_sigma_s", "hipdrop", "fps", "x y",
                         "lift_fraction", "[hipdrop]", "[other]"]),
        st.one_of(st.integers(-10**30, 10**400).map(str),
                  st.floats(allow_nan=True, allow_infinity=True).map(repr),  # nan, inf: TOML
                  st.booleans().map(lambda b: str(b).lower()),
                  st.text(max_size=8).map(repr), st.just("[1, 2]"), st.just("{ a = 1 }"))),
        max_size=6), st.booleans())
    def test_generated_settings_files(self, tmp_path, entries, bom):
        lines = [key if key.startswith("[") else f"{key} = {value}" for key, value in entries]
        text = ("\ufeff" if bom else "") + "\n".join(lines) + "\n"
        path = _settings_file(tmp_path, text)
        try:
            s = load_settings(path)
        except SettingsError as exc:
            assert "\n" not in str(exc)
        else:
            assert isinstance(s, Settings)

    @FEW
    @given(st.binary(max_size=300))
    def test_random_bytes_as_settings(self, tmp_path, data):
        try:
            load_settings(_settings_file(tmp_path, data))
        except SettingsError as exc:
            assert "\n" not in str(exc)


# --- landmarks files -----------------------------------------------------------------------------


_DTYPES = st.sampled_from(["<f4", "<f8", "<i4", "|u1", "|b1", "<U5", "<c8", ">f4"])


@st.composite
def spoiled_landmarks(draw):
    """A landmarks file's arrays with some members dropped or replaced by arrays of other
    shapes, dtypes and values (NaN, inf, huge)."""
    n = draw(st.integers(1, 30))
    arrays = dict(landmark_arrays(n))
    arrays["waist"] = np.zeros((n, 2), np.float32)
    for key in draw(st.lists(st.sampled_from(sorted(arrays)), max_size=3, unique=True)):
        action = draw(st.sampled_from(["drop", "replace"] + ["values"] * (key != "model")))
        if action == "drop":
            del arrays[key]
        elif action == "replace":
            shape = draw(st.lists(st.integers(0, 40), max_size=3).map(tuple))
            dtype = np.dtype(draw(_DTYPES))
            arrays[key] = np.zeros(shape, dtype)
        else:
            value = draw(st.sampled_from([np.nan, np.inf, -1e300, 0.0, 1e30, -1.0]))
            a = np.array(arrays[key], dtype=np.float64)
            a.flat[draw(st.integers(0, max(a.size - 1, 0)))] = value
            arrays[key] = a
    return arrays


class TestLandmarksFiles:
    @FEW
    @given(spoiled_landmarks())
    def test_generated_landmarks_files(self, tmp_path, capsys, arrays):
        source = tmp_path / "gen.npz"
        with open(source, "wb") as fh:
            np.savez(fh, **arrays)
        try:
            series = LandmarkSeries.load(source)
        except LandmarksFormatError as exc:
            assert "\n" not in str(exc)
        else:
            assert np.isfinite(series.t).all() and 0.1 <= series.fps <= 10_000
        status, _, err = analyze(capsys, source, tmp_path / "out")
        assert "Traceback" not in err
        if status == 0:
            assert_complete_or_absent(tmp_path / "out")
        else:
            assert status in (2, 4), err
            assert_one_error(err, warnings_allowed=True)

    @FEW
    @given(st.data())
    def test_truncated_and_corrupted_bytes(self, tmp_path, data):
        good = tmp_path / "good.npz"
        if not good.exists():
            LandmarkSeries(**_series_kwargs(20)).save(good)
        raw = bytearray(good.read_bytes())
        raw = raw[:data.draw(st.integers(0, len(raw)), label="cut")]
        for _ in range(data.draw(st.integers(0, 4), label="flips")):
            if raw:
                at = data.draw(st.integers(0, len(raw) - 1))
                raw[at] = data.draw(st.integers(0, 255))
        bad = tmp_path / "bad.npz"
        bad.write_bytes(bytes(raw))
        try:
            series = LandmarkSeries.load(bad)
        except LandmarksFormatError as exc:
            assert "\n" not in str(exc)
        else:
            assert len(series) == 20

    def test_header_declaring_a_huge_shape_is_refused_unread(self, tmp_path):
        arrays = landmark_arrays(10)
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            header, {"descr": "<f4", "fortran_order": False, "shape": (10**9, 33, 4)})
        path = tmp_path / "huge.npz"
        with zipfile.ZipFile(path, "w") as zf:
            for key, value in arrays.items():
                buf = io.BytesIO()
                np.save(buf, value)
                zf.writestr(f"{key}.npy", header.getvalue() if key == "image" else buf.getvalue())
        with pytest.raises(LandmarksFormatError, match="damaged"):
            LandmarkSeries.load(path)

    def test_zip_bomb_is_refused_before_it_inflates(self, tmp_path):
        """350 k frames of nothing: ~310 MB once inflated, from a file of ~1 MB."""
        n = 350_000
        path = tmp_path / "bomb.npz"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for key, shape in (("image", (n, 33, 4)), ("world", (n, 33, 3))):
                buf = io.BytesIO()
                np.save(buf, np.full(shape, np.nan, np.float32))
                zf.writestr(f"{key}.npy", buf.getvalue())
            for key, value in landmark_arrays(1).items():
                if key in ("image", "world"):
                    continue
                buf = io.BytesIO()
                np.save(buf, np.arange(n) / 25.0 if key == "t" else value)
                zf.writestr(f"{key}.npy", buf.getvalue())
        assert path.stat().st_size < 5e6
        tracemalloc.start()
        try:
            with pytest.raises(LandmarksFormatError, match="zip bomb"):
                LandmarkSeries.load(path)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 20e6, f"{peak / 1e6:.0f} MB allocated to refuse it"

    @pytest.mark.parametrize("fps", [1e300, 1e7, 0.01, -5.0])
    def test_frame_rate_out_of_range(self, tmp_path, capsys, fps):
        arrays = landmark_arrays(72)
        arrays["fps"] = np.float64(fps)
        status, _, err = analyze(capsys, write_npz(tmp_path / "f.npz", arrays), tmp_path / "out")
        assert status == 2
        assert "fps" in assert_one_error(err)

    def test_limits_are_checked_from_the_header(self):
        assert MAX_FRAMES >= 1_000_000  # 9 h at 30 fps is a real recording


def _series_kwargs(n: int) -> dict:
    a = landmark_arrays(n)
    return {"image": a["image"], "world": a["world"], "t": a["t"], "width": 640, "height": 480,
            "fps": 25.0}


# --- sources that would hang ----------------------------------------------------------------------


class TestSourcesThatAreNotFiles:
    @pytest.mark.parametrize("kind", ["fifo", "socket", "device", "loop", "broken"])
    def test_analyze_source(self, tmp_path, capsys, kind):
        path = _not_a_file(tmp_path, kind)
        status, _, err = analyze(capsys, path, tmp_path / "out")
        assert status == 2
        assert _WORD[kind] in assert_one_error(err)
        assert not (tmp_path / "out").exists()

    @pytest.mark.parametrize("kind", ["fifo", "socket", "device", "loop"])
    def test_live_source(self, tmp_path, capsys, kind):
        path = _not_a_file(tmp_path, kind)
        status, _, err = run_cli(capsys, "live", "--headless", "--source", path,
                                 "--save", tmp_path / "s")
        assert status == 2
        assert _WORD[kind] in assert_one_error(err)
        assert not (tmp_path / "s").exists()


_WORD = {"fifo": "FIFO", "socket": "socket", "device": "device", "loop": "symlink loop",
         "broken": "broken symlink"}


def _not_a_file(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / "clip.mp4"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        sock.close()
    elif kind == "device":
        return Path("/dev/zero")
    elif kind == "loop":
        path.symlink_to(tmp_path / "other.mp4")
        (tmp_path / "other.mp4").symlink_to(path)
    else:
        path.symlink_to(tmp_path / "gone.mp4")
    return path


# --- untrusted sizes and times in video containers ---------------------------------------------------


def _forged_avi(path: Path, frames: int, claim: int) -> Path:
    """An MJPG .avi of ``frames`` frames whose headers claim ``claim`` frames."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10, (160, 120))
    for i in range(frames):
        writer.write(np.full((120, 160, 3), 20 * i % 255, np.uint8))
    writer.release()
    data = bytearray(path.read_bytes())
    for tag, offset in ((b"avih", 16), (b"strh", 32), (b"dmlh", 0)):
        at = data.find(tag)
        if at >= 0:
            struct.pack_into("<I", data, at + 8 + offset, claim)
    path.write_bytes(bytes(data))
    return path


@pytest.fixture(scope="module")
def ffmpeg_clips(tmp_path_factory):
    """Clips with known timestamps, made by ffmpeg: variable rate, 0.5 fps, 2000 fps."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed (apt-get install ffmpeg)")
    folder = tmp_path_factory.mktemp("ffmpeg")

    def make(name, rate, seconds, *vf):
        out = folder / name
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        f"testsrc=size=160x120:rate={rate}", "-t", str(seconds), *vf,
                        "-c:v", "mpeg4", "-pix_fmt", "yuv420p", str(out)], check=True)
        return out

    return {
        # 30 frames 1/30 s apart, then frames 0.1 s apart (variable frame rate)
        "vfr": make("vfr.mp4", 30, 4, "-vf",
                    "setpts='if(lt(N,30),N,30+(N-30)*3)/30/TB'", "-fps_mode", "vfr"),
        "lapse": make("lapse.mp4", 0.5, 20),
        "fast": make("fast.mp4", 2000, 0.1),
    }


class TestVideoContainers:
    def test_a_claimed_frame_count_is_never_preallocated(self, tmp_path, pose_model):
        from hipdrop.io.extract import extract_landmarks

        video = _forged_avi(tmp_path / "forged.avi", 10, 2**31 - 1)
        assert read_frames(video)[:2] == (10, 2**31 - 1)
        tracemalloc.start()
        try:
            extraction = extract_landmarks(video, pose_model)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert len(extraction.series) == 10
        assert peak < 100e6, f"{peak / 1e6:.0f} MB for 10 frames"

    @pytest.mark.parametrize("name, first_steps, fps", [
        ("vfr", None, None), ("lapse", 2.0, 0.5), ("fast", 0.0005, 2000.0)])
    def test_times_are_the_containers(self, ffmpeg_clips, name, first_steps, fps):
        with VideoReader(ffmpeg_clips[name]) as reader:
            t = np.array([t for _, t, _ in reader])
        assert reader.timestamp_warnings() == []
        steps = np.diff(t)
        if name == "vfr":
            assert steps[:29] == pytest.approx(1 / 30, abs=1e-6)
            assert steps[30:] == pytest.approx(0.1, abs=1e-6)  # index/fps would say 1/15
        else:
            assert steps == pytest.approx(first_steps, rel=1e-6)
            assert reader.fps() == pytest.approx(fps)

    def test_live_file_source_uses_the_same_times(self, ffmpeg_clips):
        from hipdrop.io.capture import FileSource

        with FileSource(ffmpeg_clips["vfr"], paced=False) as source:
            t = []
            while (frame := source.read()) is not None:
                t.append(frame.t)
        assert np.diff(t)[30:] == pytest.approx(0.1, abs=1e-6)

    def test_missing_and_backward_timestamps_are_warned(self):
        clock = FrameClock(10.0, "x.mp4")
        got = [clock.t(i, ms) for i, ms in enumerate([0.0, 100.0, float("nan"), 150.0, 400.0])]
        assert got == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
        (warning,) = clock.warnings()
        assert "1 with a timestamp that does not increase" in warning and "of 5 frames" in warning
        assert "without a timestamp" not in warning  # one NaN: the first is never counted


# --- the rest of issue 9's list ---------------------------------------------------------------------


class TestMisc:
    @pytest.mark.parametrize("value", ["0", "-3", "nan", "inf"])
    def test_live_max_seconds_must_be_positive(self, tmp_path, capsys, value):
        status, _, err = run_cli(capsys, "live", "--headless", "--source", tmp_path / "x.mp4",
                                 "--max-seconds", value)
        assert status == 2 and "--max-seconds" in err and "Traceback" not in err

    def test_cache_home_is_a_file(self, tmp_path, capsys, monkeypatch):
        (tmp_path / "cache").write_text("not a folder\n")
        empty = tmp_path / "models"
        empty.mkdir()
        monkeypatch.setenv("HIPDROP_MODEL_DIR", str(empty))
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
        monkeypatch.setattr(models, "_URL", "http://127.0.0.1:9/pose_landmarker_{0}.task")
        for folder in models.search_dirs():
            if (folder / "pose_landmarker_full.task").is_file():
                pytest.skip(f"a model in {folder}: cannot simulate a missing one")
        video = _forged_avi(tmp_path / "v.avi", 5, 5)
        status, _, err = analyze(capsys, video, tmp_path / "out")
        assert status == ModelError.exit_status
        assert "cannot store model" in assert_one_error(err)

    def test_model_that_fails_on_its_first_frame(self, tmp_path, capsys, monkeypatch, pose_model):
        from mediapipe.tasks.python import vision

        def broken(self, image, t_ms):
            raise RuntimeError("input tensor has the wrong shape\nmore native detail")

        monkeypatch.setattr(vision.PoseLandmarker, "detect_for_video", broken)
        status, _, err = analyze(capsys, clip_path(TREE), tmp_path / "out")
        assert status == ModelError.exit_status
        assert "fails on the first frame: input tensor" in assert_one_error(err)
        assert not (tmp_path / "out").exists()


def test_no_native_log_line_on_a_4_3_video_where_the_person_appears_late(tmp_path, pose_model):
    """MediaPipe logs a NORM_RECT warning on the first frame with a person, not on the first
    frame: on a 4:3 video that starts empty it reached stderr."""
    cap = cv2.VideoCapture(str(clip_path(TREE)))
    frames = []
    while (got := cap.read())[0]:
        frames.append(got[1])
    cap.release()
    h, w = frames[0].shape[:2]
    blank = np.full((w * 3 // 4, w, 3), 128, np.uint8)
    writer = cv2.VideoWriter(str(tmp_path / "late.avi"), cv2.VideoWriter.fourcc(*"MJPG"), 10,
                             (w, w * 3 // 4))
    for i in range(15 + len(frames)):
        frame = blank.copy()
        if i >= 15:
            frame[:h] = frames[i - 15]
        writer.write(frame)
    writer.release()
    done = subprocess.run([sys.executable, "-m", "hipdrop", "analyze", str(tmp_path / "late.avi"),
                           "--out", str(tmp_path / "out"), "-q", "--no-video"], env=env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


# --- a long recording: memory follows the frames ---------------------------------------------------


_LONG = """
import sys
import numpy as np
from hipdrop.cli import main
from hipdrop.testing.scripted import Camera, landmarks, sample_session

n, path, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s, _ = landmarks(sample_session(), Camera(width=960, height=540, px_per_m=250.0), fps=30.0,
                 noise_px=1.5, seed=7)
reps = -(-n // len(s))
np.savez(path, image=np.tile(s.image, (reps, 1, 1))[:n], world=np.tile(s.world, (reps, 1, 1))[:n],
         t=np.arange(n) / 30.0, width=s.width, height=s.height, fps=30.0, model="scripted")
del s
def peak_kb():
    # VmHWM is this process image's own peak: ru_maxrss is carried over from the parent
    # through fork and exec, so inside a long test session it reports pytest's size.
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
before = peak_kb()
status = main(["analyze", path, "--out", out, "-q"])
print(status, before, peak_kb())
"""


def test_long_recording_memory_is_bounded_by_its_frames(tmp_path):
    """200 k frames (1.9 h at 30 fps, with 8 s phases narrower than a pixel of the plot)."""
    n = 200_000
    done = subprocess.run([sys.executable, "-c", _LONG, str(n), str(tmp_path / "long.npz"),
                           str(tmp_path / "out")], env=env(), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    status, _, peak_kb = map(int, done.stdout.split()[-3:])
    assert status == 0, done.stderr
    content = n * 33 * 7 * 4  # the landmarks' float32 bytes: what the file really holds
    assert peak_kb * 1024 < 300e6 + 3 * content, f"peak {peak_kb / 1024:.0f} MB"
    assert_complete_or_absent(tmp_path / "out", frames=n)
