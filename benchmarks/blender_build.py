"""Build the Blender held-out dataset: single-stance clips path-traced by Blender (bpy).

A rendering family hipdrop was never fitted to (issue 8): the same bodies, poses, camera and
truth as hipdrop.synth, but Cycles' shading, lighting, textures and image statistics.

    python benchmarks/blender_build.py --data /work/data/blender          # the 12 clips
    python benchmarks/blender_build.py --data /tmp/bl-quick --quick       # 1 clip, 4 frames

Layout of the data folder::

    manifest.json                  the clips (name, spec), written first
    clips/<name>.mp4, <name>.json  the clip and its truth (hipdrop.synth's truth JSON, plus
                                   params.renderer); each is written under a temporary name
                                   and renamed when complete
    landmarks/<name>.<model>.npz   DESIGN.md's landmarks file of the clip
    build-log.jsonl                one line per clip built: render seconds, seconds a frame

Re-runs skip whatever exists. Needs the synth and render extras and a pose model
(HIPDROP_MODEL_DIR). The last line of output is one JSON object.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hipdrop.synth import ScenarioSettings, SynthSpec
from hipdrop.synth.rig import Side

if TYPE_CHECKING:
    from hipdrop.synth.blender import BlenderOptions

ROOMS = ("living-room", "clinic", "gym", "bedroom", "studio")


@dataclass(frozen=True)
class Clip:
    name: str
    spec: SynthSpec


def _clip(i: int, side: Side, drop: float, body: str, clothing: str, width: int, height: int,
          max_frames: int | None = None) -> Clip:
    sc = ScenarioSettings(
        "single-stance",
        stance_side=side,
        drop_left_stance_deg=drop if side == "left" else 0.0,
        drop_right_stance_deg=drop if side == "right" else 0.0,
        baseline_s=1.5,
    )
    spec = SynthSpec(sc, seed=800 + i, body=body, clothing=clothing,  # type: ignore[arg-type]
                     background=ROOMS[i % len(ROOMS)], width=width, height=height, fps=10.0,
                     max_frames=max_frames)
    return Clip(f"bl-{side}-drop{drop:g}-{body}-{clothing}", spec)


#: (stance side, true drop deg, body, clothing): every drop on both sides, the three
#: bodies and two outfits spread over them, and two loose tops (the waist hidden).
GRID: tuple[tuple[Side, float, str, str], ...] = (
    ("left", 8, "female", "plain"),
    ("right", 8, "male", "band"),
    ("left", 6, "heavy-female", "band"),
    ("right", 6, "female", "plain"),
    ("left", 3, "male", "plain"),
    ("right", 3, "heavy-female", "plain"),
    ("left", 0, "female", "band"),
    ("right", 0, "male", "plain"),
    ("left", -6, "heavy-female", "plain"),
    ("right", -6, "female", "band"),
    ("left", 8, "male", "loose"),
    ("right", 0, "heavy-female", "loose"),
)


def clips(quick: bool) -> list[Clip]:
    if quick:
        return [_clip(0, *GRID[0], width=270, height=480, max_frames=4)]
    return [_clip(i, *row, width=540, height=960) for i, row in enumerate(GRID)]


def _spec_dict(spec: SynthSpec) -> dict:
    d = {k: v for k, v in dataclasses.asdict(spec).items() if k != "scenario"}
    d["scenario"] = spec.scenario.as_dict()
    return d


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def build(data: Path, todo: list[Clip], model_name: str, options: BlenderOptions) -> dict:
    from hipdrop.io.extract import extract_landmarks
    from hipdrop.io.models import resolve
    from hipdrop.synth.blender import render_blender

    model = resolve(model_name, download=False)
    (data / "landmarks").mkdir(parents=True, exist_ok=True)
    _write_text(data / "manifest.json", json.dumps(
        {"renderer": "blender-cycles", "clips": [{"name": c.name, "spec": _spec_dict(c.spec)} for c in todo]},
        indent=1) + "\n")
    per_frame: list[float] = []
    frames = 0
    with open(data / "build-log.jsonl", "a") as journal:
        for i, clip in enumerate(todo, 1):
            out: dict = {"name": clip.name}
            video, truth = data / "clips" / f"{clip.name}.mp4", data / "clips" / f"{clip.name}.json"
            if not (video.is_file() and truth.is_file()):
                t0 = time.perf_counter()
                result = render_blender(clip.spec, data / "clips", clip.name, options=options)
                out["render_s"] = round(time.perf_counter() - t0, 1)
                out["frames"] = result.frames
                out["s_per_frame"] = round(out["render_s"] / result.frames, 2)
                per_frame.append(out["s_per_frame"])
                frames += result.frames
            lm = data / "landmarks" / f"{clip.name}.{model.name}.npz"
            if not lm.is_file():
                t0 = time.perf_counter()
                extraction = extract_landmarks(video, model)
                tmp = lm.with_name(f".{lm.stem}.tmp.npz")
                extraction.series.save(tmp)
                os.replace(tmp, lm)
                out["extract_s"] = round(time.perf_counter() - t0, 1)
            if len(out) > 1:  # something was built
                journal.write(json.dumps(out) + "\n")
                journal.flush()
            print(f"[{i}/{len(todo)}] {clip.name}: {out}", flush=True)
    per_frame.sort()
    return {
        "data": str(data),
        "clips": len(todo),
        "rendered_frames": frames,
        "render_s_per_frame_median": per_frame[len(per_frame) // 2] if per_frame else None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="output folder")
    ap.add_argument("--quick", action="store_true", help="one clip, 4 frames at 270x480")
    ap.add_argument("--model", default="full", help="pose model for the landmarks (default full)")
    ap.add_argument("--samples", type=int, default=1,
                    help="Cycles samples a pixel, denoised (default 1: the shared CPU's budget)")
    ap.add_argument("--threads", type=int, default=0, help="Cycles threads (0: all cores)")
    args = ap.parse_args(argv)
    # A kill (nohup runs, the lead's kill PID) unwinds like Ctrl-C, so no half-written
    # clip keeps its final name and the temporaries are removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        from hipdrop.errors import HipdropError
        from hipdrop.synth.blender import BlenderOptions, import_bpy

        bpy = import_bpy()
        options = BlenderOptions(threads=args.threads)
        if args.samples < 1:
            raise SystemExit("--samples must be >= 1")
        options = dataclasses.replace(options, samples=args.samples)
        t0 = time.perf_counter()
        summary = build(args.data, clips(args.quick), args.model, options)
    except HipdropError as exc:
        print(f"blender_build: {exc}", file=sys.stderr)
        return getattr(exc, "exit_status", 1)
    summary.update(engine="cycles-cpu", bpy=bpy.app.version_string, samples=options.samples,
                   denoise="openimagedenoise" if options.denoise else None, crop=options.crop,
                   wall_s=round(time.perf_counter() - t0, 1))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
