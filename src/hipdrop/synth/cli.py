"""``hipdrop synth``: render a synthetic actor performing a scripted scenario.

Writes ``<out>/<name>.mp4`` and ``<out>/<name>.json`` (the ground truth). The same
arguments and seed give byte-identical frames. Needs the ``synth`` extra
(``pip install 'hipdrop[synth]'``).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from pathlib import Path

from hipdrop.synth.appearance import CLOTHING, SKIN_TONES
from hipdrop.synth.body import PRESETS, Phenotype
from hipdrop.synth.degrade import DEGRADES
from hipdrop.synth.markers import MARKER_COLOURS, MARKER_KINDS
from hipdrop.synth.rig import COUNTER_BONES
from hipdrop.synth.scenarios import LIFT_STYLES, SCENARIOS, ScenarioSettings
from hipdrop.synth.scene import ROOMS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``hipdrop synth``'s arguments to ``parser``."""
    parser.add_argument("scenario", choices=SCENARIOS, help="what the actor does")
    parser.add_argument(
        "--out", type=Path, default=Path("synth_out"), help="output folder (default: ./synth_out)"
    )
    parser.add_argument("--name", help="file stem (default: <scenario>_seed<seed>)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")

    g = parser.add_argument_group("scenario")
    g.add_argument(
        "--drop-left-stance",
        type=float,
        default=8.0,
        metavar="DEG",
        help="pelvic drop while standing on the left leg, + toward the lifted leg (stance; default 8)",
    )
    g.add_argument(
        "--drop-right-stance",
        type=float,
        default=0.0,
        metavar="DEG",
        help="pelvic drop while standing on the right leg (stance; default 0)",
    )
    g.add_argument(
        "--hold",
        type=float,
        metavar="S",
        help="seconds held at full drop (stance tests, default 4) or at the angle (hold, default 8)",
    )
    g.add_argument(
        "--lift-style",
        choices=list(LIFT_STYLES),
        default="flexed",
        help="how the foot is lifted in stance tests (default flexed: hip 35, knee 75 deg)",
    )
    g.add_argument(
        "--lean",
        type=float,
        default=10.0,
        metavar="DEG",
        help="trunk lean toward the stance side (compensated; default 10)",
    )
    g.add_argument("--reps", type=int, default=3, help="abduction reps per leg (default 3)")
    g.add_argument(
        "--peak", type=float, default=35.0, metavar="DEG", help="abduction rep peak angle (default 35)"
    )
    g.add_argument(
        "--legs", default="right,left", help="leg order for abduction-standing (default right,left)"
    )
    g.add_argument(
        "--leg", choices=["left", "right"], default="right", help="the abducted leg in hold (default right)"
    )
    g.add_argument(
        "--hold-angle", type=float, default=20.0, metavar="DEG", help="abduction angle in hold (default 20)"
    )
    g.add_argument(
        "--lying-side",
        choices=["left", "right"],
        default="left",
        help="side lain on in abduction-side-lying; the top leg moves (default left)",
    )
    g.add_argument(
        "--stance-side",
        choices=["left", "right"],
        default="left",
        help="the standing leg in single-stance (default left; its --drop-*-stance applies)",
    )
    g.add_argument(
        "--baseline",
        type=float,
        default=2.0,
        metavar="S",
        help="still double stance (or rest) at the start (default 2)",
    )
    g.add_argument(
        "--sway",
        type=float,
        default=0.4,
        metavar="DEG",
        help="postural sway amplitude, pelvis kept level (default 0.4; 0 = still)",
    )

    g.add_argument("--squat-depth", type=float, default=90.0, metavar="DEG",
                   help="knee flexion at the bottom of each squat (squat; default 90)")
    g.add_argument("--squat-shift", type=float, default=3.0, metavar="DEG",
                   help="frontal tilt of the legs at the bottom, moving the pelvis sideways, "
                        "+ toward the subject's left (squat; default 3)")
    g.add_argument("--bump-sides", default="left,left,left,right,right",
                   help="the side of each hip bump in turn (hip-bump; default left x3, right x2)")
    g.add_argument("--bump-deg", type=float, default=6.0, metavar="DEG",
                   help="frontal tilt of the legs that pushes the pelvis (hip-bump; default 6)")

    g = parser.add_argument_group("actor")
    g.add_argument(
        "--body",
        choices=[*PRESETS, "random"],
        default="female",
        help="body preset, or random from the seed (default female)",
    )
    for name in ("gender", "age", "muscle", "weight"):
        g.add_argument(
            f"--{name}", type=float, metavar="0..1", help=f"override the phenotype's {name} (anny's scale)"
        )
    g.add_argument(
        "--stature",
        type=float,
        metavar="0..1",
        help="override the phenotype's height (anny's scale, 0.5 average)",
    )
    g.add_argument(
        "--clothing",
        choices=CLOTHING,
        default="plain",
        help="plain shorts+top, band (contrasting waistband), loose (long loose top), navy-khaki "
        "(navy top tucked over khaki shorts), belt (dark belt on trousers), leggings (top tucked in)",
    )
    g.add_argument(
        "--markers", choices=MARKER_KINDS, default="none", help="stickers on both ASIS or PSIS (default none)"
    )
    g.add_argument("--marker-colour", choices=list(MARKER_COLOURS), default="green")
    g.add_argument("--marker-diameter", type=float, default=2.5, metavar="CM", help="(default 2.5)")
    g.add_argument(
        "--pelvis-skin",
        choices=["anny", "rigid"],
        default="anny",
        help="rigid: the skin up to the iliac crests moves with the pelvis (default anny)",
    )
    g.add_argument(
        "--counter-bone",
        choices=COUNTER_BONES,
        default="spine03",
        help="spine bone that undoes the pelvic tilt for the trunk (default spine03)",
    )
    g.add_argument(
        "--trunk-shift",
        type=float,
        default=0.0,
        metavar="CM",
        help="trunk moved sideways over the stance foot during each stance (default 0)",
    )
    g.add_argument("--skin-tone", choices=list(SKIN_TONES), help="skin tone (default: drawn from the seed)")

    g = parser.add_argument_group("camera and scene")
    g.add_argument("--background", choices=[*ROOMS, "random"], default="living-room")
    g.add_argument(
        "--style", choices=["lambert", "studio"], default="lambert", help="rendering family (default lambert)"
    )
    g.add_argument("--degrade", choices=DEGRADES, default="none", help="camera degradation (default none)")
    g.add_argument(
        "--view", choices=["front", "back"], default="front", help="the camera sees the front or the back"
    )
    g.add_argument("--width", type=int, help="pixels (default 540, 960 side-lying)")
    g.add_argument("--height", type=int, help="pixels (default 960, 540 side-lying)")
    g.add_argument("--fps", type=float, default=15.0, help="frames per second (default 15)")
    g.add_argument(
        "--distance", type=float, metavar="M", help="camera distance (default 3.0, 2.8 side-lying)"
    )
    g.add_argument(
        "--camera-height",
        type=float,
        metavar="M",
        help="camera height above the floor (default 0.9, 0.45 side-lying)",
    )
    g.add_argument(
        "--roll",
        type=float,
        default=0.0,
        metavar="DEG",
        help="camera roll; + turns the picture clockwise (default 0)",
    )
    g.add_argument(
        "--focal",
        type=float,
        metavar="PX",
        help="focal length in pixels (default: frame the person to --fill)",
    )
    g.add_argument(
        "--fill",
        type=float,
        default=0.72,
        help="fraction of the frame height the standing person fills (default 0.72)",
    )
    g.add_argument(
        "--supersample", type=int, choices=[1, 2], default=1, help="2 = 4 samples a pixel (about 3x slower)"
    )
    g.add_argument("--codec", default="auto", help="fourcc, or auto (avc1 if this OpenCV has it, else mp4v)")
    g.add_argument("--max-frames", type=int, help="stop after this many frames")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")


def spec_from_args(args: argparse.Namespace):  # -> SynthSpec
    """The :class:`~hipdrop.synth.render.SynthSpec` the parsed arguments describe."""
    from hipdrop.synth.render import SynthSpec

    legs = tuple(s.strip() for s in args.legs.split(",") if s.strip())
    if not legs or any(leg not in ("left", "right") for leg in legs):
        raise ValueError(f"--legs must list left/right, got {args.legs!r}")
    bump_sides = tuple(s.strip() for s in args.bump_sides.split(",") if s.strip())
    if not bump_sides or any(side not in ("left", "right") for side in bump_sides):
        raise ValueError(f"--bump-sides must list left/right, got {args.bump_sides!r}")
    scenario = ScenarioSettings(
        name=args.scenario,
        drop_left_stance_deg=args.drop_left_stance,
        drop_right_stance_deg=args.drop_right_stance,
        hold_s=args.hold,
        lift_style=args.lift_style,
        lean_deg=args.lean,
        reps=args.reps,
        peak_deg=args.peak,
        legs=legs,
        leg=args.leg,
        hold_angle_deg=args.hold_angle,
        lying_side=args.lying_side,
        stance_side=args.stance_side,
        baseline_s=args.baseline,
        sway_deg=args.sway,
        squat_depth_deg=args.squat_depth,
        squat_shift_deg=args.squat_shift,
        bump_sides=bump_sides,
        bump_deg=args.bump_deg,
    )
    overrides = {
        "gender": args.gender,
        "age": args.age,
        "muscle": args.muscle,
        "weight": args.weight,
        "height": args.stature,
    }
    phenotype = None
    if any(v is not None for v in overrides.values()):
        if args.body == "random":
            raise ValueError("phenotype overrides need a preset --body, not random")
        base = PRESETS[args.body]
        phenotype = Phenotype(
            **{
                f.name: overrides[f.name] if overrides[f.name] is not None else getattr(base, f.name)
                for f in fields(Phenotype)
            }
        )
    return SynthSpec(
        scenario=scenario,
        seed=args.seed,
        body=args.body,
        phenotype=phenotype,
        clothing=args.clothing,
        skin_tone=args.skin_tone,
        background=args.background,
        width=args.width,
        height=args.height,
        fps=args.fps,
        distance_m=args.distance,
        camera_height_m=args.camera_height,
        roll_deg=args.roll,
        focal_px=args.focal,
        fill=args.fill,
        supersample=args.supersample,
        max_frames=args.max_frames,
        markers=args.markers,
        marker_colour=args.marker_colour,
        marker_diameter_cm=args.marker_diameter,
        pelvis_skin=args.pelvis_skin,
        counter_bone=args.counter_bone,
        trunk_shift_cm=args.trunk_shift,
        style=args.style,
        degrade=args.degrade,
        view=args.view,
    )


def run(args: argparse.Namespace) -> int:
    """Render what ``args`` describe; prints the two output paths. Returns the exit status.

    Raises SynthUnavailable when torch/anny are missing and SettingsError for bad arguments
    (both HipdropError: the main CLI turns them into a message and an exit status).
    """
    from hipdrop.errors import SettingsError
    from hipdrop.synth.render import render

    try:
        spec = spec_from_args(args)
    except ValueError as exc:
        raise SettingsError(str(exc)) from exc
    truth = render(spec, args.out, name=args.name, codec=args.codec, progress=not args.no_progress)
    video = args.out / truth.files["video"]
    print(
        f"{video}\n{video.with_suffix('.json')}  ({truth.frames} frames, "
        f"{truth.width}x{truth.height} @ {truth.fps:g} fps)"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point (``python -m hipdrop.synth``) until the main CLI mounts it."""
    from hipdrop.errors import HipdropError

    parser = argparse.ArgumentParser(
        prog="hipdrop synth", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except HipdropError as exc:
        print(f"hipdrop synth: {exc}", file=sys.stderr)
        return exc.exit_status
