"""What the person looks like: skin tone, hair, clothes, as per-vertex colours.

anny ships no full-body texture, so clothing is painted on the rest mesh by height and by
each vertex's dominant skinning bone, and then moves with the skin. Heights are measured
from the rest hip joint centres, so the shorts' top edge sits at iliac-crest height (8.5 cm
above the hip centres, below spine03's joint at 13.6 cm): that edge tilts with the pelvis,
like the real waistband edge that SYNTH-NOTES.md found to be the best pelvic cue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from hipdrop.synth.body import Body

Clothing = Literal["plain", "band", "loose", "navy-khaki", "belt", "leggings"]
#: plain: shorts and a tucked top (the waist edge visible); band: a contrasting waistband;
#: loose: a long loose top hiding the waist; navy-khaki: a navy top tucked over khaki shorts;
#: belt: a dark belt on long trousers; leggings: ankle-length leggings, the top tucked in.
CLOTHING: tuple[Clothing, ...] = ("plain", "band", "loose", "navy-khaki", "belt", "leggings")
#: Clothing whose legs reach the ankles.
LONG_LEGS = ("belt", "leggings")

#: Height of the shorts' top edge above the hip joint centres (m).
WAIST_ABOVE_HIP_M = 0.085

RGB = tuple[float, float, float]
SKIN_TONES: dict[str, RGB] = {
    "light": (0.93, 0.78, 0.67),
    "fair": (0.87, 0.68, 0.55),
    "medium": (0.76, 0.56, 0.41),
    "tan": (0.63, 0.44, 0.30),
    "brown": (0.45, 0.30, 0.20),
    "dark": (0.30, 0.20, 0.14),
}
HAIR: tuple[RGB, ...] = (
    (0.10, 0.08, 0.07),
    (0.22, 0.14, 0.09),
    (0.38, 0.25, 0.14),
    (0.62, 0.48, 0.30),
    (0.55, 0.53, 0.50),
)
TOPS: tuple[RGB, ...] = (
    (0.15, 0.35, 0.62),
    (0.75, 0.20, 0.22),
    (0.92, 0.92, 0.90),
    (0.20, 0.55, 0.40),
    (0.55, 0.35, 0.62),
    (0.95, 0.62, 0.20),
    (0.30, 0.30, 0.33),
)
SHORTS: tuple[RGB, ...] = (
    (0.10, 0.10, 0.12),
    (0.16, 0.20, 0.36),
    (0.35, 0.36, 0.38),
    (0.45, 0.12, 0.15),
    (0.20, 0.32, 0.25),
)
NAVY: tuple[RGB, ...] = ((0.10, 0.13, 0.30), (0.12, 0.16, 0.36))
KHAKI: tuple[RGB, ...] = ((0.70, 0.62, 0.44), (0.64, 0.57, 0.40), (0.76, 0.69, 0.52))
TROUSERS: tuple[RGB, ...] = ((0.22, 0.30, 0.45), (0.68, 0.62, 0.50), (0.45, 0.45, 0.47), (0.30, 0.24, 0.18))
BELTS: tuple[RGB, ...] = ((0.07, 0.05, 0.04), (0.16, 0.09, 0.05), (0.05, 0.05, 0.06))
LEGGINGS: tuple[RGB, ...] = ((0.06, 0.06, 0.07), (0.12, 0.14, 0.28), (0.22, 0.22, 0.24), (0.35, 0.10, 0.16))
#: Footwear: None is barefoot (common in a clinic), else sock colours.
SOCKS: tuple[RGB | None, ...] = (None, None, None, (0.12, 0.12, 0.13), (0.35, 0.36, 0.40))
#: Waistband colours: the one most unlike both the top and the shorts is used.
BANDS: tuple[RGB, ...] = (
    (0.95, 0.95, 0.93),
    (0.08, 0.08, 0.09),
    (0.85, 0.15, 0.15),
    (0.95, 0.80, 0.15),
    (0.10, 0.45, 0.85),
)

_LEG = ("pelvis", "upperleg01", "upperleg02", "lowerleg01", "lowerleg02")
_TRUNK = ("root", "spine01", "spine02", "spine03", "spine04", "spine05", "clavicle", "shoulder01")
_UPPERARM = ("upperarm01", "upperarm02")
_FOOT = ("foot", "toe")


@dataclass(frozen=True)
class Outfit:
    """Colours (linear-ish RGB in [0, 1]) and cut of what the person wears."""

    clothing: Clothing
    skin_tone: str
    top: RGB
    shorts: RGB
    band: RGB
    feet: RGB
    hair: RGB
    long_hair: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "clothing": self.clothing,
            "skin_tone": self.skin_tone,
            "top_rgb": list(self.top),
            "shorts_rgb": list(self.shorts),
            "band_rgb": list(self.band),
            "feet_rgb": list(self.feet),
            "hair_rgb": list(self.hair),
            "long_hair": self.long_hair,
        }


def _band_for(top: RGB, shorts: RGB) -> RGB:
    """The band colour farthest from both garments (the worse of the two distances)."""

    def dist(a: RGB, b: RGB) -> float:
        return float(np.linalg.norm(np.subtract(a, b)))

    return max(BANDS, key=lambda c: min(dist(c, top), dist(c, shorts)))


def choose_outfit(
    clothing: Clothing, rng: np.random.Generator, female: bool, skin_tone: str | None = None
) -> Outfit:
    """Draw colours from ``rng``; the shorts always differ in brightness from the top so the
    waist edge exists (a same-colour outfit hides it, which is the ``loose`` case's job)."""
    if clothing not in CLOTHING:
        raise ValueError(f"unknown clothing {clothing!r}; choose one of {CLOTHING}")
    tone = skin_tone if skin_tone is not None else str(rng.choice(list(SKIN_TONES)))
    if tone not in SKIN_TONES:
        raise ValueError(f"unknown skin tone {tone!r}; choose one of {list(SKIN_TONES)}")
    top = TOPS[rng.integers(len(TOPS))]
    shorts = min(SHORTS, key=lambda s: -abs(np.mean(s) - np.mean(top)) + rng.uniform(0, 0.3))
    band = _band_for(top, shorts)
    if clothing == "navy-khaki":
        top, shorts = NAVY[rng.integers(len(NAVY))], KHAKI[rng.integers(len(KHAKI))]
    elif clothing == "belt":
        shorts, band = TROUSERS[rng.integers(len(TROUSERS))], BELTS[rng.integers(len(BELTS))]
    elif clothing == "leggings":
        shorts = LEGGINGS[rng.integers(len(LEGGINGS))]
        # A top that stands apart from dark leggings, so the tucked edge is visible.
        light = [t for t in TOPS if abs(np.mean(t) - np.mean(shorts)) > 0.25]
        top = light[rng.integers(len(light))]
    return Outfit(
        clothing=clothing,
        skin_tone=tone,
        top=top,
        shorts=shorts,
        band=band,
        feet=sock if (sock := SOCKS[rng.integers(len(SOCKS))]) else SKIN_TONES[tone],
        hair=HAIR[rng.integers(len(HAIR))],
        long_hair=bool(female and rng.uniform() < 0.7),
    )


def _in_group(body: Body, groups: tuple[str, ...]) -> np.ndarray:
    """(V,) bool: the vertex's dominant bone's name starts with one of ``groups``."""
    names = np.array(body.bone_names)[body.dominant_bone]
    return np.array(
        [n.split(".")[0].rstrip("-0123456789") in groups or n.split(".")[0] in groups for n in names]
    )


ZONE_BASE, ZONE_BODY, ZONE_ARM = 0, 1, 2
MAT_SKIN, MAT_FABRIC, MAT_BELT = 0, 1, 2


class Painter:
    """Colours of one body in one outfit.

    Boundaries between garments are decided per pixel from the interpolated rest position
    (so the waist edge is a straight line on the skin, not the zig-zag of mesh edges); the
    head's details and anything outside the garments use per-vertex colours.

    vertex_colour : (V, 3) float32. face_zone : (F,) int8, ZONE_BASE (vertex colour),
        ZONE_BODY (trunk, legs, feet: garments by height) or ZONE_ARM (sleeves by the
        distance along the upper arm). inflation : (V,) metres to push each vertex outward
        (hair volume, a loose top).
    """

    def __init__(self, body: Body, outfit: Outfit) -> None:
        self.outfit = outfit
        v = body.rest.vertices
        self.rest = v.astype(np.float32)
        j, bi = body.rest.joints, body.bone_index
        self.z_hip = float(j[bi["upperleg01.L"], 2])
        z_knee = float(j[bi["lowerleg01.L"], 2])
        self.z_waist = self.z_hip + WAIST_ABOVE_HIP_M
        self.z_hem = self.z_hip - 0.5 * (self.z_hip - z_knee)
        if outfit.clothing in LONG_LEGS:
            self.z_hem = float(j[bi["foot.L"], 2]) + 0.05  # just above the ankle
        self.z_collar = float(j[bi["neck01"], 2]) - 0.03
        self.z_top_hem = self.z_hip - 0.17 if outfit.clothing == "loose" else self.z_waist
        self.z_sock = float(j[bi["foot.L"], 2]) + 0.03  # top of a sock
        self.shoulders = {s: j[bi[f"upperarm01.{s}"]] for s in ("L", "R")}
        self.arm_axis = {}
        for s in ("L", "R"):
            d = j[bi[f"lowerarm01.{s}"]] - self.shoulders[s]
            self.arm_axis[s] = d / np.linalg.norm(d)

        leg, trunk = _in_group(body, _LEG), _in_group(body, _TRUNK)
        arm = _in_group(body, (*_UPPERARM, "lowerarm01"))
        foot = _in_group(body, _FOOT)
        fv = body.faces
        zone = np.full(len(fv), ZONE_BASE, np.int8)
        neck = _in_group(body, ("neck01",))
        zone[np.all((leg | trunk | foot | neck)[fv], axis=1)] = ZONE_BODY
        zone[np.any(arm[fv], axis=1) & np.all((arm | trunk)[fv], axis=1)] = ZONE_ARM
        self.face_zone = zone

        colour = np.tile(np.array(SKIN_TONES[outfit.skin_tone]), (len(v), 1))
        colour[foot] = outfit.feet
        hair = _paint_head(body, outfit, colour)
        self.vertex_colour = colour.astype(np.float32)
        self.inflation = loose_inflation(body, outfit) + _hair_volume(body, hair)

    def paint(self, zone: np.ndarray, rest: np.ndarray, base: np.ndarray) -> np.ndarray:
        """(N, 3) albedo of N pixels.

        zone : (N,) the zone of each pixel's face. rest : (N, 3) the pixel's point on the
        rest mesh (interpolated). base : (N, 3) interpolated vertex colour.
        """
        return self.paint_material(zone, rest, base)[0]

    def paint_material(
        self, zone: np.ndarray, rest: np.ndarray, base: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """((N, 3) albedo, (N,) int8 material) of N pixels, as :meth:`paint`; material is
        MAT_SKIN, MAT_FABRIC or MAT_BELT (for shading other than Lambert's)."""
        o = self.outfit
        out = base.copy()
        z = rest[:, 2]
        body = zone == ZONE_BODY
        top = body & (z >= self.z_top_hem) & (z < self.z_collar)
        shorts = body & (z >= self.z_hem) & (z < self.z_top_hem)
        material = np.zeros(len(z), np.int8)
        out[shorts] = o.shorts
        belt = np.zeros(len(z), bool)
        if o.clothing in ("band", "belt"):
            belt = shorts & (z > self.z_waist - 0.035)
            out[belt] = o.band
        out[top] = o.top
        material[top | shorts] = MAT_FABRIC
        if o.clothing == "belt":
            material[belt] = MAT_BELT
        out[body & (z < self.z_sock)] = o.feet
        armz = zone == ZONE_ARM
        for s, sign in (("L", 1.0), ("R", -1.0)):
            here = armz & (np.sign(rest[:, 0]) == sign)
            along = (rest[here] - self.shoulders[s]) @ self.arm_axis[s]
            sleeve = along < 0.11
            idx = np.flatnonzero(here)
            out[idx[sleeve]] = o.top
            out[idx[~sleeve]] = SKIN_TONES[o.skin_tone]
            material[idx[sleeve]] = MAT_FABRIC
        return out, material


def _hair_volume(body: Body, hair: np.ndarray) -> np.ndarray:
    """(V,) metres: hair stands off the scalp, more on the crown and the back."""
    out = np.zeros(len(hair))
    v = body.rest.vertices
    eye_c = (body.rest.joints[body.bone_index["eye.L"]] + body.rest.joints[body.bone_index["eye.R"]]) / 2.0
    up = np.clip((v[:, 2] - eye_c[2]) / 0.1, 0.0, 1.0)
    out[hair] = 0.006 + 0.012 * up[hair]
    return out


def _paint_head(body: Body, outfit: Outfit, colour: np.ndarray) -> np.ndarray:
    """Paint hair, eyes, brows and lips into ``colour`` (V, 3), placed relative to the eyes
    and the nose tip; returns the (V,) bool hair mask."""
    v = body.rest.vertices
    bi = body.bone_index
    head = _in_group(body, ("head", "neck01", "neck02", "neck03"))
    eye_c = (body.rest.joints[bi["eye.L"]] + body.rest.joints[bi["eye.R"]]) / 2.0
    nose = v[body.skin_landmarks[0]]
    rel = v - eye_c
    # Hairline: 5.5 cm above the eyes at the front, sloping down behind the ears.
    back = np.clip((rel[:, 1] - 0.03) / 0.10, 0.0, 1.0)
    low = -0.13 if outfit.long_hair else -0.045
    hair = head & (rel[:, 2] > 0.055 + back * (low - 0.055))
    colour[hair] = outfit.hair
    eyes = np.isin(body.dominant_bone, [bi["eye.L"], bi["eye.R"]])
    colour[eyes] = (0.80, 0.76, 0.72)  # sclera, toned down: lids are not modelled
    for s in ("L", "R"):
        c = body.rest.joints[bi[f"eye.{s}"]]
        front = v[eyes & (np.sign(v[:, 0] - eye_c[0]) == np.sign(c[0]))]
        tip = front[np.argmin(front[:, 1])]
        iris = eyes & (np.linalg.norm(v - tip, axis=1) < 0.0075)
        colour[iris] = (0.12, 0.08, 0.06)
    face_front = head & (rel[:, 1] < 0.015)
    brow = (
        face_front
        & (np.abs(rel[:, 0]) > 0.01)
        & (np.abs(rel[:, 0]) < 0.05)
        & (rel[:, 2] > 0.013)
        & (rel[:, 2] < 0.022)
    )
    colour[brow] = np.array(outfit.hair) * 0.8
    mouth_z = nose[2] - 0.033
    lips = (
        head
        & (v[:, 1] < nose[1] + 0.035)
        & (np.abs(v[:, 0] - eye_c[0]) < 0.022)
        & (np.abs(v[:, 2] - mouth_z) < 0.007)
    )
    skin = np.array(SKIN_TONES[outfit.skin_tone])
    colour[lips] = skin * np.array([0.85, 0.6, 0.6])
    return hair


def loose_inflation(body: Body, outfit: Outfit) -> np.ndarray:
    """(V,) metres to push each vertex outward along its normal: a loose top hangs away
    from the body, more toward its hem; zero unless the clothing is ``loose``."""
    out = np.zeros(len(body.rest.vertices))
    if outfit.clothing != "loose":
        return out
    v = body.rest.vertices
    j, bi = body.rest.joints, body.bone_index
    z_hip = j[bi["upperleg01.L"], 2]
    z_chest = j[bi["spine01"], 2]
    z_hem = z_hip - 0.17
    region = (
        (_in_group(body, _TRUNK) | _in_group(body, _LEG))
        & (v[:, 2] >= z_hem)
        & (v[:, 2] < j[bi["neck01"], 2] - 0.03)
    )
    t = np.clip((z_chest - v[:, 2]) / (z_chest - z_hem), 0.0, 1.0)
    out[region] = 0.012 + 0.04 * t[region]
    return out
