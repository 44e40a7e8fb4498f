"""How far the rendered waist tilts per degree of pelvic drop, for anny's skin and the rigid
pelvis skin under each trunk counter-rotation bone (issue 8; SYNTH-NOTES.md "The rig
matters").

For each body, rig and skin, the body is posed in left stance (right foot lifted, flexed)
with true drops -8..8 deg; the skin vertices along the waist edge's height on the front of
the body are projected (720x1280, focal 1300 px, 3 m) and a straight line is fitted to them;
the slope of that line's obliquity against the true drop is the tilt per degree (1.0 = the
waist shows the whole drop).

    python benchmarks/synth_waist_tilt.py            # 2 bodies x 4 rigs x 2 skins
    python benchmarks/synth_waist_tilt.py --quick    # the female body only

Prints a table, then as the last line one JSON object with every slope.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from hipdrop.errors import HipdropError

DROPS = np.array([-8.0, -4.0, 0.0, 4.0, 8.0])
RIGS = (("spine03", 0.0), ("spine02", 0.0), ("spine04", 0.0), ("spine03", 4.0))


def tilt(body, counter: str, shift_cm: float, rigid: bool, back: bool = False) -> float:
    """Waist-edge obliquity per degree of true drop (slope of a line fit over DROPS)."""
    from hipdrop.synth.camera import Camera
    from hipdrop.synth.rig import PoseParams, pose_body
    from hipdrop.synth.truth import waist_edge_obliquity_deg, waist_line_vertices

    cam = Camera(3.0, 0.9, 0.9, 0.0, 1300.0, 720, 1280)
    ix = waist_line_vertices(body, front=not back)
    read = []
    for d in DROPS:
        p = PoseParams(pelvis_drop_deg=float(d), planted="left", counter_bone=counter,  # type: ignore[arg-type]
                       trunk_shift_cm=shift_cm).with_side("right", hip_flex=35.0, knee_flex=75.0)
        v = pose_body(body, p, rigid_pelvis=rigid).vertices
        if back:
            v = v * np.array([-1.0, -1.0, 1.0])
        xy, _ = cam.project(v[ix])
        read.append(waist_edge_obliquity_deg(xy, x_left_greater=not back))
    return float(np.polyfit(DROPS, read, 1)[0])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="the female body only")
    args = p.parse_args(argv)
    try:
        from hipdrop.synth.body import PRESETS, body_for

        bodies = ("female",) if args.quick else ("female", "male")
        out: dict[str, dict[str, float]] = {}
        print(f"{'body':8} {'rig':22} {'anny skin':>10} {'rigid skin':>11}")
        for name in bodies:
            body = body_for(PRESETS[name])
            for counter, shift in RIGS:
                rig = counter + (f" + shift {shift:g} cm" if shift else "")
                row = {skin: round(tilt(body, counter, shift, skin == "rigid"), 3)
                       for skin in ("anny", "rigid")}
                out[f"{name}/{rig}"] = row
                print(f"{name:8} {rig:22} {row['anny']:10.3f} {row['rigid']:11.3f}")
            row = {skin: round(tilt(body, "spine03", 0.0, skin == "rigid", back=True), 3)
                   for skin in ("anny", "rigid")}
            out[f"{name}/spine03 back"] = row
            print(f"{name:8} {'spine03, back edge':22} {row['anny']:10.3f} {row['rigid']:11.3f}")
    except HipdropError as exc:
        print(f"synth_waist_tilt: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"waist_tilt_per_deg": out}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
