"""Held-out rendering domains for the pelvic-drop validation (issue 8).

Each DOMAIN is a list of short single-leg-stance clips (``single-stance``: 1.5 s of double
stance, a weight shift, one stance whose drop is held 1.4 s; 10 fps) with exact truth. The
clips of a domain share what the domain holds out and vary the rest: both stance sides, true
drops -6, 0, 3, 6, 8 deg on each, plus one hike of -12 deg; bodies, cameras (distance
2.4-3.6 m, height 0.7-1.2 m, roll N(0, 2) clipped to +-4 deg), rooms and outfit colours drawn
from fixed seeds. Every domain but "train" uses the anatomical (rigid) pelvis skin.

- train : today's family and rig (Lambert, counter-rotation at spine03, anny's skin), lift
  flexed or straight-back, plain/band/loose, 540x960: the fit domain. Half its clips carry
  green ASIS markers (a marker finder needs clips to be developed on).
- studio : the studio family (Blinn-Phong, fabric texture, other lights, self-shadow, colour
  grade), ASIS markers, navy-khaki/belt/leggings/loose, lift flexed or clinical, 720x1280.
- rig : counter-rotation at spine02 or spine04, a lateral trunk shift of 2-5 cm over the
  stance foot on most clips, markers on half, plain/band, 540x960.
- lifts : the clinical, high-knee, tree and abducted lifts, ASIS markers, plain, 540x960.
- webcam : webcam degradation (noise, blur, 4:2:0, JPEG q35) at 360x640 and 480x854, ASIS
  markers, plain/navy-khaki.
- hd : 1080x1920 portrait, phone degradation (sharpening, strong JPEG), ASIS markers,
  belt/leggings.
- back : the back view, PSIS markers, plain/leggings, 540x960.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from hipdrop.synth import ScenarioSettings, SynthSpec
from hipdrop.synth.appearance import choose_outfit
from hipdrop.synth.markers import MARKER_COLOURS

DROPS = (-6.0, 0.0, 3.0, 6.0, 8.0)
HIKE = -12.0
SIDES = ("left", "right")
FPS = 10.0
BODIES = ("female", "male", "heavy-female", "tall-male", "petite-female", "older-male",
          "athletic-male", "random")
ROOMS = ("living-room", "clinic", "gym", "bedroom", "studio")
DOMAIN_NAMES = ("studio", "rig", "lifts", "webcam", "hd", "back", "train")
#: A marker colour closer than this (RGB distance) to the top or the bottoms is swapped for
#: the candidate farthest from both, as a person told to pick a contrasting sticker would.
MIN_MARKER_CONTRAST = 0.5


def marker_colour(wanted: str, clothing: str, seed: int) -> str:
    """``wanted``, unless it is too like the outfit the clip with ``seed`` wears (drawn as
    ``synth.render.build_scene`` draws it); then the most distinct of MARKER_COLOURS."""
    outfit = choose_outfit(clothing, np.random.default_rng([seed, 1]), True)  # type: ignore[arg-type]

    def contrast(name: str) -> float:
        c = np.array(MARKER_COLOURS[name])
        return min(float(np.linalg.norm(c - np.array(g))) for g in (outfit.top, outfit.shorts))

    if contrast(wanted) >= MIN_MARKER_CONTRAST:
        return wanted
    return max(MARKER_COLOURS, key=contrast)


@dataclass(frozen=True)
class DomainClip:
    """One clip: its file stem, domain, true drop and stance side, and the spec."""

    name: str
    domain: str
    drop_deg: float
    stance: str
    spec: SynthSpec

    def as_dict(self) -> dict[str, Any]:
        spec = dataclasses.asdict(self.spec)
        spec["scenario"] = self.spec.scenario.as_dict()
        return {"name": self.name, "domain": self.domain, "drop_deg": self.drop_deg,
                "stance": self.stance, "spec": spec}


def _conditions(domain: str) -> list[tuple[float, str]]:
    """(drop, stance side) of a domain's clips: five drops on each side and a hike, and in
    "studio" also issue 8's failing case (a level pelvis in left stance, navy over khaki)."""
    out = [(d, s) for d in DROPS for s in SIDES] + [(HIKE, "left")]
    return [*out, (0.0, "left")] if domain == "studio" else out


def _camera(rng: np.random.Generator) -> dict[str, float]:
    return {"distance_m": round(float(rng.uniform(2.4, 3.6)), 2),
            "camera_height_m": round(float(rng.uniform(0.7, 1.2)), 2),
            "roll_deg": round(float(np.clip(rng.normal(0.0, 2.0), -4.0, 4.0)), 2)}


def _drop_name(deg: float) -> str:
    return f"{'m' if deg < 0 else 'p' if deg > 0 else ''}{abs(deg):g}"


class _Picker:
    """Balanced, decorrelated choices for a domain's clips. Clips come in pairs (one drop,
    left then right stance); option ``name`` of clip k is ``options[(perm[k // 2] + k % 2)
    % len(options)]`` with a fixed permutation of the pairs per option, so the two sides of
    a drop get different values, each value appears about equally often, and no option
    follows the drop or the side."""

    def __init__(self, domain: str, seed: int, n: int) -> None:
        self.domain, self.seed, self.n = domain, seed, n

    def __call__(self, name: str, k: int, options: tuple) -> Any:
        key = [self.seed, 32, DOMAIN_NAMES.index(self.domain), sum(map(ord, name))]
        perm = np.random.default_rng(key).permutation((self.n + 1) // 2)
        return options[(int(perm[k // 2]) + k % 2) % len(options)]


def _variant(domain: str, k: int, pick: _Picker) -> tuple[dict[str, Any], str]:
    """The domain's spec fields and lift style for its k-th clip."""
    if domain == "train":
        return ({"clothing": pick("clothing", k, ("plain", "band", "loose")),
                 "markers": pick("markers", k, ("none", "asis"))},
                pick("lift", k, ("flexed", "straight-back")))
    rigid: dict[str, Any] = {"pelvis_skin": "rigid"}
    if domain == "studio":
        return ({**rigid, "style": "studio", "markers": "asis",
                 "marker_colour": pick("colour", k, ("green", "magenta")),
                 "clothing": pick("clothing", k, ("navy-khaki", "belt", "leggings", "loose")),
                 "width": 720, "height": 1280}, pick("lift", k, ("flexed", "clinical")))
    if domain == "rig":
        return ({**rigid, "counter_bone": pick("counter", k, ("spine02", "spine04")),
                 "trunk_shift_cm": pick("shift", k, (0.0, 2.0, 3.5, 5.0)),
                 "markers": pick("markers", k, ("none", "asis")),
                 "marker_colour": pick("colour", k, ("green", "blue")),
                 "clothing": pick("clothing", k, ("plain", "band"))}, "flexed")
    if domain == "lifts":
        return ({**rigid, "markers": "asis", "marker_colour": pick("colour", k, ("green", "orange")),
                 "clothing": "plain"}, pick("lift", k, ("clinical", "high-knee", "tree", "abducted")))
    if domain == "webcam":
        w, h = pick("size", k, ((360, 640), (480, 854)))
        return ({**rigid, "degrade": "webcam", "markers": "asis", "width": w, "height": h,
                 "marker_colour": pick("colour", k, ("green", "magenta")),
                 "clothing": pick("clothing", k, ("plain", "navy-khaki"))},
                pick("lift", k, ("flexed", "clinical")))
    if domain == "hd":
        return ({**rigid, "degrade": "phone", "markers": "asis", "width": 1080, "height": 1920,
                 "marker_colour": pick("colour", k, ("green", "orange")),
                 "clothing": pick("clothing", k, ("belt", "leggings"))},
                pick("lift", k, ("clinical", "flexed")))
    if domain == "back":
        return ({**rigid, "view": "back", "markers": "psis",
                 "marker_colour": pick("colour", k, ("green", "orange")),
                 "clothing": pick("clothing", k, ("plain", "leggings"))},
                pick("lift", k, ("flexed", "clinical")))
    raise KeyError(domain)


def domain_clips(domain: str, seed: int = 0) -> list[DomainClip]:
    """The clips of ``domain`` (one of DOMAIN_NAMES), deterministic for ``seed``."""
    index = DOMAIN_NAMES.index(domain)
    rng = np.random.default_rng([seed, 31, index])
    conditions = _conditions(domain)
    pick = _Picker(domain, seed, len(conditions))
    clips = []
    for k, (drop, side) in enumerate(conditions):
        fields, style = _variant(domain, k, pick)
        if domain == "studio" and k == len(conditions) - 1:
            fields, style = {**fields, "clothing": "navy-khaki"}, "flexed"
        drops = {"drop_left_stance_deg": 0.0, "drop_right_stance_deg": 0.0}
        drops[f"drop_{side}_stance_deg"] = drop
        scenario = ScenarioSettings(name="single-stance", stance_side=side, baseline_s=1.5,
                                    lift_style=style, **drops)
        body = BODIES[(k + index) % len(BODIES)]
        clip_seed = 500_000 + seed * 10_000 + index * 100 + k
        if fields.get("markers", "none") != "none":
            fields["marker_colour"] = marker_colour(fields.get("marker_colour", "green"),
                                                    fields.get("clothing", "plain"), clip_seed)
        spec = SynthSpec(scenario=scenario, seed=clip_seed, body=body, fps=FPS,
                         background=ROOMS[int(rng.integers(len(ROOMS)))], **_camera(rng),
                         **fields)
        name = f"{domain}-{side}-{_drop_name(drop)}-{style}-{body}-s{clip_seed}"
        clips.append(DomainClip(name, domain, drop, side, spec))
    return clips


DOMAINS: dict[str, list[DomainClip]] = {d: domain_clips(d) for d in DOMAIN_NAMES}
