"""The validity dataset on disk: render what is missing, run the pose model once per clip.

Layout of the data folder::

    manifest.json                 every clip of the grid (name, split, kind, spec), written first
    clips/<name>.mp4, <name>.json the rendered clip and its truth; the .json is written last, so
                                  a clip is complete when its .json exists
    landmarks/<name>.<model>.npz  DESIGN.md's landmarks file of the clip
    build-log.jsonl               one line per clip built: seconds spent rendering and extracting
    READY-train, READY-heldout    written when every clip of that split (the whole grid, not a
                                  --quick subset) has its video, truth and landmarks

Re-runs skip whatever exists. The videos are kept: estimators may read image cues from them.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from _validity_grid import SPLITS, Clip, check_outfits

from hipdrop.io.models import ResolvedModel


def video_path(data: Path, clip: Clip) -> Path:
    return data / "clips" / f"{clip.name}.mp4"


def truth_path(data: Path, clip: Clip) -> Path:
    return data / "clips" / f"{clip.name}.json"


def landmarks_path(data: Path, clip: Clip, model: str) -> Path:
    return data / "landmarks" / f"{clip.name}.{model}.npz"


def rendered(data: Path, clip: Clip) -> bool:
    return truth_path(data, clip).is_file() and video_path(data, clip).is_file()


def complete(data: Path, clip: Clip, model: str) -> bool:
    return rendered(data, clip) and landmarks_path(data, clip, model).is_file()


def write_manifest(data: Path, grid: list[Clip], seed: int) -> None:
    """Write manifest.json; refuse a folder that holds another seed's grid."""
    path = data / "manifest.json"
    manifest = {"seed": seed, "clips": [c.as_dict() for c in grid]}
    if path.is_file():
        old = json.loads(path.read_text())
        if old.get("seed") != seed or [c["name"] for c in old["clips"]] != [c.name for c in grid]:
            raise SystemExit(f"{path} describes another grid (seed {old.get('seed')}): "
                             "use another --data folder")
    data.mkdir(parents=True, exist_ok=True)
    _write_text(path, json.dumps(manifest, indent=1) + "\n")


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def build_clip(clip: Clip, data: Path, model: ResolvedModel) -> dict:
    """Render ``clip`` and extract its landmarks unless cached; returns the seconds spent."""
    from hipdrop.io.extract import extract_landmarks
    from hipdrop.synth import render

    out = {"name": clip.name, "render_s": 0.0, "extract_s": 0.0}
    if not rendered(data, clip):
        t0 = time.perf_counter()
        truth = render(clip.spec, data / "clips", name=clip.name, progress=False)
        if clip.condition is not None:  # as synth.grid.render_condition records it
            from dataclasses import asdict

            truth.params["grid_condition"] = asdict(clip.condition)
        truth.params["validity"] = {"split": clip.split, "kind": clip.kind}
        tmp = truth_path(data, clip).with_name(f".{clip.name}.json.tmp")
        truth.write(tmp)
        os.replace(tmp, truth_path(data, clip))
        out["render_s"] = time.perf_counter() - t0
        out["frames"] = truth.frames
        out["warning"] = check_outfits(clip, json.loads(truth_path(data, clip).read_text()))
    path = landmarks_path(data, clip, model.name)
    if not path.is_file():
        t0 = time.perf_counter()
        extraction = extract_landmarks(video_path(data, clip), model)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.tmp.npz")
        extraction.series.save(tmp)
        os.replace(tmp, path)
        out["extract_s"] = time.perf_counter() - t0
        out["frames"] = len(extraction.series)
    return out


def build(clips: list[Clip], grid: list[Clip], data: Path, model: ResolvedModel, jobs: int,
          log: Callable[[str], None] = print) -> dict[str, float]:
    """Build ``clips`` split by split (TRAIN first) in ``jobs`` processes; write the READY
    markers of every split of ``grid`` that is then complete. Returns wall seconds a split."""
    walls = {}
    for split in SPLITS:
        todo = [c for c in clips if c.split == split and not complete(data, c, model.name)]
        t0 = time.perf_counter()
        if todo:
            log(f"building {len(todo)} {split} clips in {jobs} process(es)")
            _run(todo, data, model, jobs, log)
        walls[split] = time.perf_counter() - t0
        members = [c for c in grid if c.split == split]
        marker = data / f"READY-{split}"
        if all(complete(data, c, model.name) for c in members) and not marker.is_file():
            _write_text(marker, json.dumps({"clips": len(members), "model": model.name,
                                            "finished": time.strftime("%Y-%m-%dT%H:%M:%S")}) + "\n")
            log(f"{split} split complete: wrote {marker}")
    return walls


def _run(todo: list[Clip], data: Path, model: ResolvedModel, jobs: int,
         log: Callable[[str], None]) -> None:
    with open(data / "build-log.jsonl", "a") as journal:
        def done(i: int, result: dict) -> None:
            journal.write(json.dumps(result) + "\n")
            journal.flush()
            warning = f"  WARNING {result['warning']}" if result.get("warning") else ""
            log(f"  [{i}/{len(todo)}] {result['name']}: render {result['render_s']:.1f} s, "
                f"pose {result['extract_s']:.1f} s{warning}")

        if jobs <= 1:
            for i, clip in enumerate(todo, 1):
                done(i, build_clip(clip, data, model))
            return
        with ProcessPoolExecutor(jobs) as pool:
            futures = [pool.submit(build_clip, c, data, model) for c in todo]
            for i, future in enumerate(as_completed(futures), 1):
                done(i, future.result())
