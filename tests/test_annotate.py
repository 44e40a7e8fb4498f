"""annotated.mp4 from the frames kept by the first pass (skeleton drawn there, on the cue
thread) is the very video the second pass gives by decoding the source again; frames beyond
the budget are not kept; an error on the cue thread reaches the caller."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import clip_path

from hipdrop.io.extract import extract_landmarks
from hipdrop.pipeline.analysis import analyze
from hipdrop.reports.annotate import HeldFrames, write_annotated

TREE = "single_leg_stance_tree_front_01.mp4"  # 72 frames at 10 fps, 600x338


def _frame(value: int = 0) -> np.ndarray:
    return np.full((4, 5, 3), value, np.uint8)


def test_held_frames_make_the_same_video_as_decoding_again(tmp_path, pose_model):
    video = clip_path(TREE)
    held = HeldFrames()
    series = extract_landmarks(video, pose_model, on_frame=held).series
    assert held.complete and len(held.frames) == len(series) == 72
    assert any(np.isfinite(series.image[i, :, 0]).any() for i in range(len(series)))
    analysis = analyze(series)
    assert write_annotated(video, analysis, tmp_path / "held.mp4", held=held) == 72
    assert held.frames == []  # handed over, not kept after the video is written
    write_annotated(video, analysis, tmp_path / "decoded.mp4")
    over = HeldFrames(budget=3 * 600 * 338 * 3)  # three frames: the video is decoded again
    extract_landmarks(video, pose_model, on_frame=over)
    assert not over.complete and over.frames == []
    write_annotated(video, analysis, tmp_path / "over.mp4", held=over)
    decoded = (tmp_path / "decoded.mp4").read_bytes()
    assert (tmp_path / "held.mp4").read_bytes() == decoded
    assert (tmp_path / "over.mp4").read_bytes() == decoded


def test_held_frames_keep_nothing_beyond_the_budget():
    held = HeldFrames(budget=2 * _frame().nbytes)
    held(0, _frame(1), None)
    held(1, _frame(2), None)
    assert held.complete and [int(f[0, 0, 0]) for f in held.frames] == [1, 2]
    held(2, _frame(3), None)
    held(3, _frame(4), None)
    assert not held.complete and held.frames == [] and held.take(4) is None


def test_held_frames_out_of_order_or_too_few_are_not_used():
    held = HeldFrames()
    held(0, _frame(), None)
    held(2, _frame(), None)  # frame 1 missing
    assert not held.complete and held.take(1) is None
    short = HeldFrames()
    short(0, _frame(), None)
    assert short.take(2) is None


def test_held_frames_draw_the_skeleton_only_where_a_pose_is():
    points = np.full((33, 4), np.nan, np.float32)
    held = HeldFrames()
    held(0, _frame(), points)  # no landmark: as the second pass, no skeleton
    points[11:33, :2] = 2.0
    held(1, np.zeros((40, 40, 3), np.uint8), points)
    assert not held.frames[0].any() and held.frames[1].any()


def test_an_error_on_the_cue_thread_reaches_the_caller(pose_model):
    seen = []

    def sink(index, frame, points):
        seen.append(index)
        if index == 5:
            raise ValueError("a cue failed")

    with pytest.raises(ValueError, match="a cue failed"):
        extract_landmarks(clip_path(TREE), pose_model, on_frame=sink)
    assert seen == list(range(6))  # nothing after the error
