"""Build the held-out domain dataset: render every clip of benchmarks/_domains.py and run
the pose model (full) over it once.

    python benchmarks/domains_build.py --data DIR --jobs 1            # everything
    python benchmarks/domains_build.py --data DIR --domain webcam     # one domain
    python benchmarks/domains_build.py --data DIR --quick             # first 2 clips a domain

Layout of DIR::

    manifest.json                  every clip: name, domain, true drop, stance, spec
    clips/<name>.mp4, <name>.json  the clip and its truth (the .json is written last)
    landmarks/<name>.full.npz      DESIGN.md's landmarks file
    build-log.jsonl                one line per clip: seconds rendering and extracting, frames

Every output is written to a temporary name and moved into place, and whatever exists is
skipped, so a stopped build resumes. The domains are built in DOMAIN_NAMES order (train
last). The last line printed is one JSON object: per domain, clips built and the render and
pose-model seconds per frame.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _domains import DOMAIN_NAMES, DomainClip, domain_clips

from hipdrop.errors import HipdropError


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def paths(data: Path, clip: DomainClip, model: str = "full") -> tuple[Path, Path, Path]:
    """(video, truth, landmarks) of ``clip`` under ``data``."""
    return (data / "clips" / f"{clip.name}.mp4", data / "clips" / f"{clip.name}.json",
            data / "landmarks" / f"{clip.name}.{model}.npz")


def build_clip(clip: DomainClip, data: Path, model_spec: str) -> dict:
    """Render and extract ``clip`` unless present; returns what was done and its seconds."""
    from hipdrop.io.extract import extract_landmarks
    from hipdrop.io.models import resolve
    from hipdrop.synth import render

    model = resolve(model_spec, download=False)
    video, truth_file, lm = paths(data, clip, model.name)
    out: dict = {"name": clip.name, "domain": clip.domain, "render_s": 0.0, "extract_s": 0.0}
    if not (video.is_file() and truth_file.is_file()):
        t0 = time.perf_counter()
        tmp_dir = data / "clips" / f".tmp-{clip.name}"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        truth = render(clip.spec, tmp_dir, name=clip.name, progress=False)
        truth.params["domain"] = {"domain": clip.domain, "drop_deg": clip.drop_deg,
                                  "stance": clip.stance}
        truth.write(tmp_dir / f"{clip.name}.json")
        os.replace(tmp_dir / f"{clip.name}.mp4", video)
        os.replace(tmp_dir / f"{clip.name}.json", truth_file)  # last: the clip is complete
        tmp_dir.rmdir()
        out["render_s"] = time.perf_counter() - t0
        out["frames"] = truth.frames
    if not lm.is_file():
        t0 = time.perf_counter()
        extraction = extract_landmarks(video, model)
        lm.parent.mkdir(parents=True, exist_ok=True)
        tmp = lm.with_name(f".{lm.stem}.tmp.npz")
        extraction.series.save(tmp)
        os.replace(tmp, lm)
        out["extract_s"] = time.perf_counter() - t0
        out["frames"] = len(extraction.series)
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, required=True, help="output folder")
    p.add_argument("--jobs", type=int, default=1, help="processes (default 1)")
    p.add_argument("--domain", choices=DOMAIN_NAMES, action="append",
                   help="build only this domain (repeatable; default all)")
    p.add_argument("--model", default="full", help="pose model (default full)")
    p.add_argument("--quick", action="store_true", help="only the first 2 clips of each domain")
    p.add_argument("--seed", type=int, default=0,
                   help="the domains' seed (default 0); another seed draws other clips of the same domains")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.jobs < 1:
        print("domains_build: --jobs must be >= 1", file=sys.stderr)
        return 2
    data: Path = args.data
    try:
        from hipdrop.io.models import resolve

        resolve(args.model, download=False)
    except HipdropError as exc:
        print(f"domains_build: {exc}", file=sys.stderr)
        return 2
    if data.exists() and not data.is_dir():
        print(f"domains_build: {data} is not a folder", file=sys.stderr)
        return 2
    (data / "clips").mkdir(parents=True, exist_ok=True)
    (data / "landmarks").mkdir(parents=True, exist_ok=True)
    domains = {d: domain_clips(d, args.seed) for d in DOMAIN_NAMES}
    manifest = {"domains": {d: [c.as_dict() for c in domains[d]] for d in DOMAIN_NAMES}}
    _atomic_text(data / "manifest.json", json.dumps(manifest, indent=1) + "\n")
    names = args.domain or list(DOMAIN_NAMES)
    summary: dict = {}
    with open(data / "build-log.jsonl", "a") as journal:
        for domain in (d for d in DOMAIN_NAMES if d in names):
            clips = domains[domain][:2] if args.quick else domains[domain]
            results = []
            if args.jobs == 1:
                it = (build_clip(c, data, args.model) for c in clips)
            else:
                pool = ProcessPoolExecutor(args.jobs)
                it = pool.map(build_clip, clips, [data] * len(clips), [args.model] * len(clips))
            for i, r in enumerate(it, 1):
                journal.write(json.dumps(r) + "\n")
                journal.flush()
                results.append(r)
                print(f"[{domain} {i}/{len(clips)}] {r['name']}: render {r['render_s']:.1f} s, "
                      f"pose {r['extract_s']:.1f} s, {r.get('frames', 0)} frames", flush=True)
            if args.jobs > 1:
                pool.shutdown()
            rendered = [r for r in results if r["render_s"] > 0]
            frames = sum(r.get("frames", 0) for r in rendered)
            posed = [r for r in results if r["extract_s"] > 0]
            pframes = sum(r.get("frames", 0) for r in posed)
            render_s = sum(r["render_s"] for r in rendered)
            pose_s = sum(r["extract_s"] for r in posed)
            summary[domain] = {
                "clips": len(clips),
                "rendered": len(rendered),
                "render_s_per_frame": round(render_s / frames, 3) if frames else None,
                "pose_s_per_frame": round(pose_s / pframes, 3) if pframes else None,
            }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
