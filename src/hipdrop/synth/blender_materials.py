"""Blender node materials for the held-out rendering family (see ``blender.py``).

Kept apart from the render loop because it is only node plumbing. Every function here takes
``bpy`` objects and returns them; nothing is rendered. Colours arrive as hipdrop.synth's
displayed (sRGB) values and are turned into linear albedo, since Blender shades in linear
light and its view transform maps back to display values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hipdrop.synth.appearance import SKIN_TONES, Painter
from hipdrop.synth.scene import Room

RGB = tuple[float, float, float]


def srgb_to_linear(c: np.ndarray) -> np.ndarray:
    """(..., 3) sRGB display values in [0, 1] -> linear light (IEC 61966-2-1)."""
    c = np.clip(np.asarray(c, dtype=np.float64), 0.0, 1.0)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lin(rgb: RGB | np.ndarray, scale: float = 1.0) -> tuple[float, float, float, float]:
    r, g, b = (np.clip(srgb_to_linear(np.asarray(rgb)) * scale, 0.0, 1.0)).tolist()
    return (r, g, b, 1.0)


class _Graph:
    """A thin helper over a material's node tree: ``add`` a node with inputs set, ``link``."""

    def __init__(self, mat: Any) -> None:
        mat.use_nodes = True
        self.tree = mat.node_tree
        self.tree.nodes.clear()

    def add(self, kind: str, **inputs: Any) -> Any:
        node = self.tree.nodes.new(kind)
        for key, value in inputs.items():
            if key.startswith("_"):
                setattr(node, key[1:], value)
            else:
                node.inputs[key].default_value = value
        return node

    def link(self, out: Any, into: Any) -> None:
        self.tree.links.new(out, into)

    def math(self, op: str, a: Any, b: Any) -> Any:
        """A Math node's output: ``a op b``, each a socket or a float."""
        node = self.add("ShaderNodeMath", _operation=op)
        for i, v in enumerate((a, b)):
            if isinstance(v, (int, float)):
                node.inputs[i].default_value = float(v)
            else:
                self.link(v, node.inputs[i])
        return node.outputs[0]

    def band(self, x: Any, low: float, high: float) -> Any:
        """1 where low <= x < high, else 0 (a socket)."""
        return self.math("MULTIPLY", self.math("GREATER_THAN", x, low), self.math("LESS_THAN", x, high))

    def mix(self, fac: Any, a: Any, b: Any) -> Any:
        """Colour ``a`` where fac = 0, ``b`` where fac = 1 (fac a socket or a float; a, b a
        socket or an RGBA tuple)."""
        node = self.add("ShaderNodeMix", _data_type="RGBA")
        if isinstance(fac, (int, float)):
            node.inputs["Factor"].default_value = float(fac)
        else:
            self.link(fac, node.inputs["Factor"])
        for sock, v in ((node.inputs[6], a), (node.inputs[7], b)):
            if isinstance(v, tuple):
                sock.default_value = v
            else:
                self.link(v, sock)
        return node.outputs[2]

    def attribute(self, name: str, out: str = "Fac") -> Any:
        return self.add("ShaderNodeAttribute", _attribute_name=name).outputs[out]


def body_material(bpy: Any, painter: Painter) -> Any:
    """The body's material: the same garments as ``Painter.paint`` (decided per shading point
    from the interpolated rest position, so the waist edge is straight, not the mesh's
    zig-zag), skin with a little subsurface scattering, fabric with a fine bump and sheen.

    Reads the mesh attributes that ``blender.py`` writes: ``base_col`` (point colour),
    ``rest`` (point vector, rest position in m), ``arm_along`` (point float, m along the
    upper arm from the shoulder) and ``zone`` (face float, ``appearance.ZONE_*``).
    """
    o = painter.outfit
    mat = bpy.data.materials.new("body")
    g = _Graph(mat)
    rest = g.attribute("rest", "Vector")
    xyz = g.add("ShaderNodeSeparateXYZ")
    g.link(rest, xyz.inputs[0])
    z = xyz.outputs["Z"]
    zone = g.attribute("zone")
    body = g.band(zone, 0.5, 1.5)
    arm = g.math("GREATER_THAN", zone, 1.5)
    top = g.math("MULTIPLY", body, g.band(z, painter.z_top_hem, painter.z_collar))
    shorts = g.math("MULTIPLY", body, g.band(z, painter.z_hem, painter.z_top_hem))
    feet = g.math("MULTIPLY", body, g.math("LESS_THAN", z, painter.z_sock))
    sleeve = g.math("MULTIPLY", arm, g.math("LESS_THAN", g.attribute("arm_along"), 0.11))
    bare_arm = g.math("SUBTRACT", arm, sleeve)
    # The same order of precedence as Painter.paint.
    col = g.attribute("base_col", "Color")
    col = g.mix(shorts, col, _lin(o.shorts))
    if o.clothing == "band":
        col = g.mix(g.math("MULTIPLY", shorts, g.math("GREATER_THAN", z, painter.z_waist - 0.035)),
                    col, _lin(o.band))
    col = g.mix(top, col, _lin(o.top))
    col = g.mix(feet, col, _lin(o.feet))
    col = g.mix(sleeve, col, _lin(o.top))
    col = g.mix(bare_arm, col, _lin(SKIN_TONES[o.skin_tone]))
    socks = o.feet != SKIN_TONES[o.skin_tone]
    cloth = g.math("MAXIMUM", g.math("MAXIMUM", top, shorts), sleeve)
    if socks:
        cloth = g.math("MAXIMUM", cloth, feet)
    # Knit: a fine noise stuck to the skin (rest coordinates), darker in its pits. A bump
    # node evaluates its height three times, so the height is a single cheap noise.
    knit = g.add("ShaderNodeTexNoise", Scale=900.0, Detail=1.0, Roughness=0.5)
    g.link(rest, knit.inputs["Vector"])
    grain = knit.outputs["Fac"]
    shade = g.add("ShaderNodeMix", _data_type="RGBA", _blend_type="MULTIPLY")
    g.link(g.math("MULTIPLY", cloth, 0.3), shade.inputs["Factor"])
    g.link(col, shade.inputs[6])
    ramp = g.add("ShaderNodeValToRGB")
    ramp.color_ramp.elements[0].color = (0.5, 0.5, 0.5, 1.0)
    ramp.color_ramp.elements[1].color = (1.0, 1.0, 1.0, 1.0)
    g.link(grain, ramp.inputs["Fac"])
    g.link(ramp.outputs["Color"], shade.inputs[7])
    bump = g.add("ShaderNodeBump", Distance=0.002)
    g.link(g.math("MULTIPLY", cloth, 0.3), bump.inputs["Strength"])
    g.link(grain, bump.inputs["Height"])
    bsdf = g.add("ShaderNodeBsdfPrincipled")
    g.link(shade.outputs[2], bsdf.inputs["Base Color"])
    g.link(bump.outputs["Normal"], bsdf.inputs["Normal"])
    skin = g.math("SUBTRACT", 1.0, cloth)
    # Skin: smoother and a little translucent; fabric: rough with a sheen at grazing angles.
    g.link(g.math("ADD", 0.55, g.math("MULTIPLY", cloth, 0.35)), bsdf.inputs["Roughness"])
    g.link(g.math("MULTIPLY", skin, 0.25), bsdf.inputs["Subsurface Weight"])
    bsdf.inputs["Subsurface Radius"].default_value = (1.0, 0.35, 0.2)
    bsdf.inputs["Subsurface Scale"].default_value = 0.006
    g.link(g.math("MULTIPLY", cloth, 0.1), bsdf.inputs["Sheen Weight"])
    g.link(g.math("SUBTRACT", 0.25, g.math("MULTIPLY", cloth, 0.05)), bsdf.inputs["Specular IOR Level"])
    out = g.add("ShaderNodeOutputMaterial")
    g.link(bsdf.outputs[0], out.inputs["Surface"])
    return mat


def _plane_coords(g: _Graph, axes: tuple[str, str]) -> Any:
    """A vector (a, b, 0) from world position components ``axes``, for 2D textures."""
    pos = g.add("ShaderNodeNewGeometry").outputs["Position"]
    sep = g.add("ShaderNodeSeparateXYZ")
    g.link(pos, sep.inputs[0])
    comb = g.add("ShaderNodeCombineXYZ")
    g.link(sep.outputs[axes[0]], comb.inputs["X"])
    g.link(sep.outputs[axes[1]], comb.inputs["Y"])
    return comb.outputs[0]


def _bricks(g: _Graph, vec: Any, c1: RGB, c2: RGB, mortar: tuple[float, float, float, float],
            width: float, row: float, mortar_m: float, offset: float) -> Any:
    node = g.add("ShaderNodeTexBrick", Scale=1.0, **{"Brick Width": width, "Row Height": row,
                                                   "Mortar Size": mortar_m, "Mortar Smooth": 0.1},
                 _offset=offset)
    node.inputs["Color1"].default_value = _lin(c1)
    node.inputs["Color2"].default_value = _lin(c2)
    node.inputs["Mortar"].default_value = mortar
    g.link(vec, node.inputs["Vector"])
    return node


def room_material(bpy: Any, room: Room, surface: str, seed: int) -> Any:
    """The wall's or the floor's material (``surface`` "wall" or "floor"), textured by the
    room's kind: paint, brick or panels; wood planks, tiles or carpet."""
    mat = bpy.data.materials.new(f"{room.name}-{surface}")
    g = _Graph(mat)
    rng = np.random.default_rng([seed, 1 if surface == "wall" else 2])
    base = np.asarray(room.wall if surface == "wall" else room.floor)
    kind = room.wall_kind if surface == "wall" else room.floor_kind
    vec = _plane_coords(g, ("X", "Z") if surface == "wall" else ("Y", "X"))
    noise = g.add("ShaderNodeTexNoise", Scale=float(rng.uniform(3.0, 5.0)), Detail=3.0, Roughness=0.55)
    g.link(vec, noise.inputs["Vector"])
    mottle = g.add("ShaderNodeValToRGB")
    mottle.color_ramp.elements[0].color = _lin(base * 0.9)
    mottle.color_ramp.elements[1].color = _lin(base * 1.06)
    g.link(noise.outputs["Fac"], mottle.inputs["Fac"])
    col = mottle.outputs["Color"]
    # Bump only from the cheap brick pattern (a bump node evaluates its height thrice).
    roughness, bump_strength, height = 0.85, 0.0, None
    if kind == "brick":
        b = _bricks(g, vec, tuple(base * 0.95), tuple(base * 0.8), _lin((0.78, 0.75, 0.7)),
                    0.22, 0.075, 0.011, 0.5)
        col = b.outputs["Color"]
        height, bump_strength = b.outputs["Fac"], 0.5
    elif kind == "panel":
        b = _bricks(g, vec, tuple(base), tuple(base * 0.97), _lin(base * 0.7), 0.6, 5.0, 0.008, 0.0)
        col = g.mix(g.math("SUBTRACT", 1.0, b.outputs["Fac"]), b.outputs["Color"], col)
        height, bump_strength, roughness = b.outputs["Fac"], 0.3, 0.5
    elif kind == "wood":
        b = _bricks(g, vec, tuple(base * 1.08), tuple(base * 0.85), _lin(base * 0.5), 1.6, 0.14, 0.004, 0.37)
        grain = g.add("ShaderNodeTexWave", Scale=6.0, Distortion=8.0, Detail=3.0, _bands_direction="X")
        g.link(vec, grain.inputs["Vector"])
        streak = g.add("ShaderNodeMix", _data_type="RGBA", _blend_type="MULTIPLY")
        g.link(g.math("MULTIPLY", grain.outputs["Fac"], 0.35), streak.inputs["Factor"])
        g.link(b.outputs["Color"], streak.inputs[6])
        streak.inputs[7].default_value = _lin(base * 0.75)
        col = streak.outputs[2]
        height, bump_strength, roughness = b.outputs["Fac"], 0.4, 0.45
    elif kind == "tiles":
        b = _bricks(g, vec, tuple(base), tuple(base * 0.96), _lin(base * 0.75), 0.4, 0.4, 0.006, 0.0)
        col = g.mix(g.math("SUBTRACT", 1.0, b.outputs["Fac"]), b.outputs["Color"], col)
        height, bump_strength, roughness = b.outputs["Fac"], 0.4, 0.3
    elif kind == "carpet":
        fibre = g.add("ShaderNodeTexNoise", Scale=600.0, Detail=1.0)
        g.link(vec, fibre.inputs["Vector"])
        fine = g.add("ShaderNodeValToRGB")
        fine.color_ramp.elements[0].color = _lin(base * 0.8)
        fine.color_ramp.elements[1].color = _lin(base * 1.15)
        g.link(fibre.outputs["Fac"], fine.inputs["Fac"])
        col = g.mix(0.6, col, fine.outputs["Color"])
        roughness = 1.0
    # Matte walls and floors: a diffuse BSDF costs half a Principled one per sample, and the
    # room fills most of the frame.
    bsdf = g.add("ShaderNodeBsdfDiffuse", Roughness=roughness)
    g.link(col, bsdf.inputs["Color"])
    if height is not None:
        bump = g.add("ShaderNodeBump", Strength=bump_strength, Distance=0.003)
        g.link(height, bump.inputs["Height"])
        g.link(bump.outputs["Normal"], bsdf.inputs["Normal"])
    out = g.add("ShaderNodeOutputMaterial")
    g.link(bsdf.outputs[0], out.inputs["Surface"])
    return mat


def flat_material(bpy: Any, name: str, rgb: RGB, roughness: float = 0.6, glow: float = 0.0) -> Any:
    """A plain material (skirting board, markers); ``glow`` adds emission of the same colour
    so a small marker keeps its colour in shade."""
    mat = bpy.data.materials.new(name)
    g = _Graph(mat)
    bsdf = g.add("ShaderNodeBsdfPrincipled", Roughness=roughness)
    bsdf.inputs["Base Color"].default_value = _lin(rgb)
    if glow > 0:
        bsdf.inputs["Emission Color"].default_value = _lin(rgb)
        bsdf.inputs["Emission Strength"].default_value = glow
    out = g.add("ShaderNodeOutputMaterial")
    g.link(bsdf.outputs[0], out.inputs["Surface"])
    return mat
