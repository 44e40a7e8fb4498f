"""`hipdrop live --mode routine` end to end, headless, on a sequence of rendered clips played as
one camera: the stance test, side-lying abduction, the hold, the hip bump drill, standing
abduction and the retest, each step saved in its folder, one summary.json with every step and
the before/after verdicts, one history entry; keys skip and repeat steps, and a session that
stops mid-routine keeps the steps done and the step in progress."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from media import run_cli
from test_live import ScriptedWindow

from hipdrop.history.sessionlog import log_session
from hipdrop.io.capture import FileSource, Frame
from hipdrop.live import app as live
from hipdrop.live.app import LiveOptions, run_live
from hipdrop.live.routine_run import routine_text
from hipdrop.live.voice import RecordingBackend, Speaker
from hipdrop.settings import Settings

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"
SIZE = 960  # every clip centred on a 960x960 canvas: the portrait and the landscape renders
GAP_S = 2.0  # the person out of view between steps (moving to the floor, to the wall)
FPS = 10.0
STEPS = ["stance test", "side-lying abduction", "abduction hold", "hip bump",
         "standing abduction", "retest"]
SESSION_FILES = {"landmarks.npz", "summary.json", "frames.csv", "obliquity.png", "result.png"}


def _concat(out: Path, clips: list[tuple[Path, float | None]]) -> None:
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (SIZE, SIZE))
    for path, keep_s in clips:
        cap = cv2.VideoCapture(str(path))
        n = 0
        while (got := cap.read())[0] and (keep_s is None or n < keep_s * FPS):
            frame = got[1]
            canvas = np.zeros((SIZE, SIZE, 3), np.uint8)
            h, w = frame.shape[:2]
            y, x = (SIZE - h) // 2, (SIZE - w) // 2
            canvas[y:y + h, x:x + w] = frame
            writer.write(canvas)
            n += 1
        cap.release()
        for _ in range(round(GAP_S * FPS)):
            writer.write(np.full((SIZE, SIZE, 3), 40, np.uint8))
    writer.release()


@pytest.fixture(scope="module")
def sequence(tmp_path_factory) -> Path:
    """The programme as one video: the samples (stance test: 8 deg drop standing on the LEFT;
    the exercises lift the RIGHT leg 3 times / hold it ~10 s), a rendered hip bump drill (3
    bumps toward the right), the standing abduction cut to its 3 right lifts, the stance test
    again."""
    pytest.importorskip("torch", reason="the hip bump render needs the synth extra")
    pytest.importorskip("anny", reason="the hip bump render needs the synth extra")
    tmp = tmp_path_factory.mktemp("routine")
    subprocess.run([sys.executable, "-m", "hipdrop", "synth", "hip-bump", "--bump-sides",
                    "right,right,right", "--fps", "10", "--seed", "5", "--out", str(tmp),
                    "--name", "bump", "--no-progress"], check=True, capture_output=True)
    video = tmp / "routine.mp4"
    _concat(video, [(SAMPLES / "stance_test.mp4", None),
                    (SAMPLES / "abduction_side_lying.mp4", None),
                    (SAMPLES / "abduction_hold.mp4", None), (tmp / "bump.mp4", None),
                    (SAMPLES / "abduction_standing.mp4", 12.0),
                    (SAMPLES / "stance_test.mp4", None)])
    return video


class _Keys(ScriptedWindow):
    """The scripted window, keeping only the images asked for (not every one)."""

    def __init__(self, keys: dict[int, str], keep: tuple[int, ...] = ()) -> None:
        super().__init__(keys)
        self.shown, self.keep, self.kept = 0, keep, {}

    def show(self, image: np.ndarray, wait_ms: int = 1) -> int:
        if self.shown in self.keep:
            self.kept[self.shown] = image
        key = self.keys.get(self.shown)
        self.shown += 1
        return -1 if key is None else ord(key)

    @property
    def closed(self) -> bool:
        return False


def _run(video: Path, out: Path, pose_model, window=None, **kw):
    # A 4 s hold target: the guide's stance holds and the hold step's (the hold clip holds ~10 s).
    options = LiveOptions(source=str(video), mode="routine", side="right", target=3,
                          save_dir=out, paced=False, linger=False, headless=window is None,
                          settings=Settings(hold_target_s=4.0), **kw)
    backend = RecordingBackend()
    result = run_live(options, pose_model, source=FileSource(video, paced=False), window=window,
                      speaker=Speaker(backend, threaded=False))
    return result, backend


@pytest.mark.model
def test_a_routine_runs_end_to_end_and_is_one_history_entry(sequence, tmp_path, pose_model,
                                                            capsys):
    out = tmp_path / "session"
    result, backend = _run(sequence, out, pose_model)
    assert result.reason == "done"
    data = json.loads((out / "summary.json").read_text())
    assert data == result.summary and data["mode"] == "routine"
    body = data["routine"]
    steps = body["steps"]
    assert [s["step"] for s in steps] == STEPS and body["complete"] and body["remaining"] == []
    assert [s["status"] for s in steps] == ["done"] * 6
    assert [s["side"] for s in steps] == [None, "right", "right", "right", "right", None]
    for a, b in itertools.pairwise(steps):  # one after the other, in video time
        assert a["start_s"] < a["end_s"] <= b["start_s"] + 1e-6
    for s in steps:  # each step's files, as a session of its mode
        assert {p.name for p in (out / s["folder"]).iterdir()} == SESSION_FILES
        assert json.loads((out / s["folder"] / "summary.json").read_text()) == s["summary"]
    # The exercises, on the chosen leg, to their targets.
    lying, hold, bump, standing = (s["summary"] for s in steps[1:5])
    assert (lying["reps"]["left"], lying["reps"]["right"]) == (0, 3)
    assert (standing["reps"]["left"], standing["reps"]["right"]) == (0, 3)
    assert lying["sets"]["finished"] and standing["sets"]["finished"]
    assert hold["hold"]["finished"] and hold["best_hold_s"]["right"] >= 4.0
    assert hold["best_hold_s"]["left"] == 0.0
    assert (bump["bumps"]["right"], bump["bumps"]["left"], bump["bumps"]["finished"]) == (3, 0, True)
    # Before and after: the same clip, the same verdict (8 deg drop standing on the left).
    for v in (body["before"], body["after"]):
        assert (v["left"], v["right"]) == ("drop", "no drop")
        assert 5.0 < v["sides"]["left"]["peak_drop_deg"] < 11.0
    assert data["verdict"] == body["after"]  # the session's verdict is the retest's
    assert data["reps"] == {"left": 0, "right": 6}
    # Spoken: each step's instruction, in order.
    steps_said = [s for s in backend.said if re.match(r"Step \d: ", s)]
    assert [s.split(":")[0] for s in steps_said] == [f"Step {i}" for i in range(1, 7)]
    assert "Lie on your left side, right leg on top" in steps_said[1]
    text = routine_text(data)
    assert result.text == text and "Routine: 6 step(s) of 6, complete" in text
    assert "Before: on the left leg drop" in text and "After:  on the left leg drop" in text
    # One history entry, and the report has the routine.
    logged = log_session(data, out, command="live")
    assert logged.record is not None and logged.warnings == []
    html = (out / "report.html").read_text()
    assert "<h2>Routine</h2>" in html and html.count("<td>done</td>") == 6
    status, listing, err = run_cli(capsys, "history")
    assert status == 0, err
    rows = [ln for ln in listing.splitlines() if "live:routine" in ln]
    assert len(rows) == 1 and "drop" in rows[0]


@pytest.mark.model
def test_keys_repeat_and_skip_steps_and_a_stop_keeps_the_step_in_progress(sequence, tmp_path,
                                                                          pose_model):
    """'r' during the side-lying step (before its first lift) runs it again, 'n' skips the hold
    before it starts; the session ends (max seconds) during standing abduction: the steps so
    far and the step in progress are saved, the rest is left to do."""
    out = tmp_path / "session"
    # Frames: the stance test's result at ~15 s, side-lying lifts from ~25 s, its third at
    # ~32.5 s; the hold clip's leg up from ~39 s.
    window = _Keys({170: "r", 345: "n"}, keep=(100, 600))
    footers: list[str] = []
    real_render = live.render
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(live, "render", lambda frame, screen: (
            footers.append(f"{screen.footer} | {screen.progress}"),
            real_render(frame, screen))[1])
        result, _ = _run(sequence, out, pose_model, window=window, max_seconds=68.0)
    assert result.reason == "max seconds"
    body = json.loads((out / "summary.json").read_text())["routine"]
    steps = body["steps"]
    assert [(s["step"], s["status"]) for s in steps] == [
        ("stance test", "done"), ("side-lying abduction", "done"), ("abduction hold", "skipped"),
        ("hip bump", "done"), ("standing abduction", "stopped")]
    assert 16.0 < steps[1]["start_s"] < 18.0  # the repeat started the step again at frame 170
    assert steps[2]["folder"] is None and steps[2]["summary"] == {}
    assert {p.name for p in (out / steps[4]["folder"]).iterdir()} == SESSION_FILES
    assert body["remaining"] == ["standing abduction", "retest"] and not body["complete"]
    assert body["before"]["left"] == "drop" and body["after"] is None
    assert result.summary is not None and result.summary["live"]["restarts"] == 1
    assert "After:  not tested" in result.text
    for i in (100, 600):  # the stance test's screen, the hip bump step's: drawn, not blank
        assert window.kept[i].std() > 10
    cv2.imwrite(str(tmp_path / "bump_step.png"), window.kept[600])
    assert footers[100].startswith("Step 1: stance test    SPACE next")
    assert footers[600].startswith("Step 4 of 6: hip bump, right leg    ")
    assert footers[600].split(" | ")[1].startswith("Hip bumps ")


class _InterruptAt(FileSource):
    """The video until frame ``n``, then Ctrl-C (as hipdrop.io.signals raises it)."""

    def __init__(self, path: Path, n: int) -> None:
        super().__init__(path, paced=False)
        self.n, self.reads = n, 0

    def read(self) -> Frame | None:
        self.reads += 1
        if self.reads > self.n:
            raise KeyboardInterrupt
        return super().read()


@pytest.mark.model
def test_ctrl_c_mid_step_saves_the_steps_so_far_and_the_step_in_progress(sequence, tmp_path,
                                                                         pose_model):
    out = tmp_path / "session"
    options = LiveOptions(source=str(sequence), mode="routine", side="right", target=3,
                          save_dir=out, paced=False, linger=False, headless=True,
                          settings=Settings(hold_target_s=4.0))
    # Frame 260: the side-lying step has counted its first lift (~24.6 s), not its third.
    result = run_live(options, pose_model, source=_InterruptAt(sequence, 260),
                      speaker=Speaker(RecordingBackend(), threaded=False))
    assert result.reason == "interrupted"
    body = json.loads((out / "summary.json").read_text())["routine"]
    assert [(s["step"], s["status"]) for s in body["steps"]] == [
        ("stance test", "done"), ("side-lying abduction", "stopped")]
    lying = body["steps"][1]
    assert lying["summary"]["reps"]["right"] == 1 and not lying["summary"]["sets"]["finished"]
    assert {p.name for p in (out / lying["folder"]).iterdir()} == SESSION_FILES
    assert body["remaining"][0] == "side-lying abduction" and body["remaining"][-1] == "retest"
    assert (out / "cues.jsonl").is_file()


@pytest.mark.model
def test_without_side_the_leg_the_stance_test_found_weak_is_worked(sequence, tmp_path,
                                                                   pose_model):
    """No --side: the sample drops standing on the LEFT leg (a weak left gluteus medius), so
    the exercises are the left leg's: lying on the right side, the left leg on top."""
    out = tmp_path / "session"
    options = LiveOptions(source=str(sequence), mode="routine", save_dir=out, paced=False,
                          linger=False, headless=True, max_seconds=17.0,
                          settings=Settings(hold_target_s=4.0))
    backend = RecordingBackend()
    run_live(options, pose_model, source=FileSource(sequence, paced=False),
             speaker=Speaker(backend, threaded=False))
    body = json.loads((out / "summary.json").read_text())["routine"]
    assert body["working_sides"] == ["left"]
    assert [(s["step"], s["side"], s["status"]) for s in body["steps"]] == [
        ("stance test", None, "done"), ("side-lying abduction", "left", "stopped")]
    assert any(s.startswith("Step 2: Lie on your right side, left leg on top") for s in backend.said)
