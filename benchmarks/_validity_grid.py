"""The validity benchmark's clips and their fixed train / held-out split.

Everything is drawn from one seed (default 0): the same seed gives the same clips, names and
frames. Only the TRAIN split may be used to tune hipdrop (its estimator, thresholds,
smoothing); HELD-OUT is never looked at while tuning and is reported separately.

Single-leg stance clips (``GridCondition``: 1.5 s double stance, a weight shift, one stance
of about 2 s whose drop is held 1.4 s; 540x960, 10 fps). True drops -10, -6, -3, 0, 3, 6, 8,
10 deg, each on the left and on the right stance leg.

TRAIN, 96 clips = 8 drops x 2 sides x 2 bodies x 3 clothing:
  bodies "female", "male" (presets); clothing plain, band, loose, with outfit seeds whose top
  is none of HELDOUT_TOPS; camera distance U(2.6, 3.2) m, height U(0.8, 1.1) m, roll
  N(0, 1.5) deg clipped to +-3; rooms living-room, clinic, gym; lift style flexed, exactly a
  quarter (24, drawn at random) straight-back.

HELD-OUT, 144 clips = 8 drops x 2 sides x 3 bodies x 3 clothing:
  bodies "heavy-female", "tall-male", and a third slot cycling through "petite-female",
  "older-male", "athletic-male" and "random" (an anny phenotype drawn from the clip's seed);
  the three clothing types with a top colour from HELDOUT_TOPS only (orange, purple), so no
  held-out outfit shares its top with a train one; camera distance U(2.0, 2.5) or
  U(3.3, 4.0) m (half each), height U(0.5, 1.4) m, roll U(-5, 5) deg; rooms bedroom,
  studio; lift styles flexed, straight-back, abducted, a third each (drawn at random).

Abduction clips (10 fps, 3 reps a leg), 5 per split:
  abduction-standing with peaks 20, 35, 50 deg (both legs, order alternating), 540x960;
  abduction-side-lying with peaks 25 (lying on the left) and 40 (on the right), 960x540.
  Bodies: train female/male; held-out heavy-female, tall-male, older-male, petite-female,
  athletic-male. Standing cameras as the split's stance clips; lying cameras distance
  U(2.6, 3.0) m, height U(0.4, 0.5) m, roll N(0, 1) clipped to +-3 (train) or distance
  U(2.2, 2.5) / U(3.1, 3.6) m, height U(0.3, 0.7) m, roll U(-5, 5) (held-out).

QUICK (``--quick``): a subset of the same clips, same names: per split the stance clips of
the split's first body in plain clothing with true drops 0 and 8 (4 clips), plus the train
split's standing 35-deg and side-lying 25-deg abduction clips.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hipdrop.synth import GridCondition, ScenarioSettings, SynthSpec
from hipdrop.synth.appearance import choose_outfit

SPLITS = ("train", "heldout")
TRUE_DROPS = (-10.0, -6.0, -3.0, 0.0, 3.0, 6.0, 8.0, 10.0)
SIDES = ("left", "right")
CLOTHING = ("plain", "band", "loose")
TRAIN_BODIES = ("female", "male")
HELDOUT_BODIES = ("heavy-female", "tall-male")
HELDOUT_THIRD = ("petite-female", "older-male", "athletic-male", "random")
TRAIN_ROOMS = ("living-room", "clinic", "gym")
HELDOUT_ROOMS = ("bedroom", "studio")
#: Top colours (appearance.TOPS) reserved for held-out outfits: orange, purple.
HELDOUT_TOPS = ((0.95, 0.62, 0.20), (0.55, 0.35, 0.62))
STAND_PEAKS = (20.0, 35.0, 50.0)
LYING_PEAKS = ((25.0, "left"), (40.0, "right"))
FPS = 10.0
# Seed ranges of each split's clips (seed * SEED_STRIDE is added), far apart so they never meet.
SEED_STRIDE = 100_000
_SEED_BASE = {("train", "stance"): 1_000, ("heldout", "stance"): 20_000,
              ("train", "abduction"): 60_000, ("heldout", "abduction"): 70_000}


@dataclass(frozen=True)
class Clip:
    """One clip of the dataset: its file stem, split, kind ("stance" or "abduction"), the
    spec that renders it, and for stance clips the grid condition (None otherwise)."""

    name: str
    split: str
    kind: str
    spec: SynthSpec
    condition: GridCondition | None = None

    @property
    def clothing(self) -> str:
        return self.spec.clothing

    def as_dict(self) -> dict:
        spec = dataclasses.asdict(self.spec)
        spec["scenario"] = self.spec.scenario.as_dict()
        return {"name": self.name, "split": self.split, "kind": self.kind, "spec": spec,
                "condition": dataclasses.asdict(self.condition) if self.condition else None}


def outfit_top(seed: int, clothing: str) -> tuple[float, float, float]:
    """The top colour a clip with ``seed`` wears.

    Mirrors ``synth.render.build_scene``, which draws the outfit from the stream
    ``default_rng([seed, 1])``; :func:`check_outfits` verifies it against the rendered truth.
    """
    return choose_outfit(clothing, np.random.default_rng([seed, 1]), True).top


def _seeds(start: int, accept: Callable[[int], bool]) -> Callable[[], int]:
    """A counter yielding the next seed from ``start`` on that ``accept`` allows."""
    state = {"next": start}

    def draw() -> int:
        s = state["next"]
        while not accept(s):
            s += 1
        state["next"] = s + 1
        return s

    return draw


def _top_rule(split: str) -> Callable[[int], bool]:
    """Which seeds ``split`` may use: held-out outfits wear a HELDOUT_TOPS top, train ones
    never do (the top does not depend on the clothing type)."""
    held = split == "heldout"
    return lambda s: (tuple(outfit_top(s, "plain")) in HELDOUT_TOPS) == held


def _roll(rng: np.random.Generator, split: str) -> float:
    if split == "train":
        return round(float(np.clip(rng.normal(0.0, 1.5), -3.0, 3.0)), 2)
    return round(float(rng.uniform(-5.0, 5.0)), 2)


def _standing_camera(rng: np.random.Generator, split: str) -> dict[str, float]:
    """Camera distance, height and roll of a standing clip of ``split``."""
    if split == "train":
        distance = rng.uniform(2.6, 3.2)
        height = rng.uniform(0.8, 1.1)
    else:
        distance = rng.uniform(2.0, 2.5) if rng.uniform() < 0.5 else rng.uniform(3.3, 4.0)
        height = rng.uniform(0.5, 1.4)
    return {"distance_m": round(float(distance), 2), "camera_height_m": round(float(height), 2),
            "roll_deg": _roll(rng, split)}


def _lying_camera(rng: np.random.Generator, split: str) -> dict[str, float]:
    if split == "train":
        distance, height = rng.uniform(2.6, 3.0), rng.uniform(0.4, 0.5)
        roll = round(float(np.clip(rng.normal(0.0, 1.0), -3.0, 3.0)), 2)
    else:
        distance = rng.uniform(2.2, 2.5) if rng.uniform() < 0.5 else rng.uniform(3.1, 3.6)
        height, roll = rng.uniform(0.3, 0.7), round(float(rng.uniform(-5.0, 5.0)), 2)
    return {"distance_m": round(float(distance), 2), "camera_height_m": round(float(height), 2),
            "roll_deg": roll}


def _stance_clips(split: str, seed: int) -> list[Clip]:
    rng = np.random.default_rng([seed, 7, SPLITS.index(split)])
    held = split == "heldout"
    next_seed = _seeds(seed * SEED_STRIDE + _SEED_BASE[split, "stance"], _top_rule(split))
    combos = []
    third = 0
    for drop in TRUE_DROPS:
        for side in SIDES:
            bodies = TRAIN_BODIES if not held else (*HELDOUT_BODIES, None)
            for body in bodies:
                if body is None:
                    body = HELDOUT_THIRD[third % len(HELDOUT_THIRD)]
                    third += 1
                for clothing in CLOTHING:
                    combos.append((drop, side, body, clothing))
    n = len(combos)
    if held:
        styles = np.array(["flexed", "straight-back", "abducted"] * (n // 3))
    else:
        styles = np.array(["flexed"] * (n - n // 4) + ["straight-back"] * (n // 4))
    styles = rng.permutation(styles)
    rooms = HELDOUT_ROOMS if held else TRAIN_ROOMS
    clips = []
    for (drop, side, body, clothing), style in zip(combos, styles, strict=True):
        s = next_seed()
        cond = GridCondition(drop_deg=drop, stance=side, body=body, clothing=clothing,
                             background=rooms[int(rng.integers(len(rooms)))],
                             **_standing_camera(rng, split), width=540, height=960, fps=FPS,
                             seed=s, lift_style=str(style))
        name = f"{split}-{side}-{drop_name(drop)}-{body}-{clothing}-s{s}"
        clips.append(Clip(name, split, "stance", cond.spec(), cond))
    return clips


def _abduction_clips(split: str, seed: int) -> list[Clip]:
    rng = np.random.default_rng([seed, 8, SPLITS.index(split)])
    held = split == "heldout"
    next_seed = _seeds(seed * SEED_STRIDE + _SEED_BASE[split, "abduction"], _top_rule(split))
    bodies = (("heavy-female", "tall-male", "older-male", "petite-female", "athletic-male") if held
              else ("female", "male", "female", "male", "female"))
    rooms = HELDOUT_ROOMS if held else TRAIN_ROOMS
    clips = []
    for i, peak in enumerate(STAND_PEAKS):
        legs = ("right", "left") if i % 2 == 0 else ("left", "right")
        scenario = ScenarioSettings("abduction-standing", reps=3, peak_deg=peak, legs=legs)
        clips.append((scenario, _standing_camera(rng, split), 540, 960))
    for peak, lying in LYING_PEAKS:
        scenario = ScenarioSettings("abduction-side-lying", reps=3, peak_deg=peak, lying_side=lying)
        clips.append((scenario, _lying_camera(rng, split), 960, 540))
    out = []
    for body, (scenario, camera, w, h) in zip(bodies, clips, strict=True):
        s = next_seed()
        spec = SynthSpec(scenario=scenario, seed=s, body=body, clothing="plain",
                         background=rooms[int(rng.integers(len(rooms)))], width=w, height=h,
                         fps=FPS, **camera)
        short = "stand" if scenario.name == "abduction-standing" else f"lying{scenario.lying_side[0]}"
        out.append(Clip(f"{split}-abd-{short}-p{scenario.peak_deg:.0f}-{body}-s{s}", split,
                        "abduction", spec))
    return out


def drop_name(deg: float) -> str:
    """-10 -> "m10", 8 -> "p8", 0 -> "0"."""
    return f"{'m' if deg < 0 else 'p' if deg > 0 else ''}{abs(deg):g}"


def all_clips(seed: int = 0) -> list[Clip]:
    """Every clip, TRAIN first (stance, then abduction), then HELD-OUT."""
    return [c for split in SPLITS for c in (*_stance_clips(split, seed), *_abduction_clips(split, seed))]


def quick_subset(clips: list[Clip]) -> list[Clip]:
    """The ``--quick`` clips (see the module docstring)."""
    out = []
    for split in SPLITS:
        first_body = (TRAIN_BODIES if split == "train" else HELDOUT_BODIES)[0]
        out += [c for c in clips if c.split == split and c.kind == "stance"
                and c.condition.body == first_body and c.clothing == "plain"
                and c.condition.drop_deg in (0.0, 8.0)]
    abd = [c for c in clips if c.split == "train" and c.kind == "abduction"]
    out += [c for c in abd if (c.spec.scenario.name, c.spec.scenario.peak_deg)
            in (("abduction-standing", 35.0), ("abduction-side-lying", 25.0))]
    return out


def check_outfits(clip: Clip, truth: dict) -> str | None:
    """A message when the rendered outfit breaks the split's colour rule, else None."""
    top = tuple(truth["params"]["outfit"]["top_rgb"])
    held = top in HELDOUT_TOPS
    if held != (clip.split == "heldout"):
        return f"{clip.name}: top colour {top} is not a {clip.split} colour"
    return None
