"""Joint angles -> bone rotations -> a posed body standing (or lying) on the floor.

The pelvic drop rig follows SYNTH-NOTES.md ("The rig matters"): a frontal pelvic tilt of
``a`` degrees (positive: the right hip lower) is ``root`` = Ry(-a) with the trunk
counter-rotated at ``spine03`` = Ry(+a), 13.6 cm above the hip centres, so the waist and the
top of the shorts tilt with the pelvis while the chest stays upright; the stance thigh gets
Ry(+a) so it stays vertical, and the whole body is then translated so the stance foot does
not move. Counter-rotating at ``spine05`` instead would hide the tilt on the skin.

Output frame ("scene" frame): anny's axes (+X the subject's left, -Y their front, +Z up),
metres, with the floor at z = 0 and the rest-pose pelvis centre above the origin.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from hipdrop.synth.body import Body, Posed
from hipdrop.synth.rotations import rx, ry, rz

Side = Literal["left", "right"]
SIDES: tuple[Side, Side] = ("left", "right")
_SUFFIX = {"left": "L", "right": "R"}
#: spine03 turn per degree of lean of the mid-hip to mid-shoulder line (measured on anny).
TRUNK_LEAN_GAIN = 1.5
#: +1 for the left side: an outward rotation of the left thigh is Ry(-deg), of the right Ry(+deg).
_OUT = {"left": -1.0, "right": 1.0}
CounterBone = Literal["spine03", "spine02", "spine04"]
#: Where the trunk may counter-rotate the pelvic tilt (heads 9, 16 and 26 cm above the hip
#: centres on the female preset: spine04, spine03, spine02).
COUNTER_BONES: tuple[str, ...] = ("spine03", "spine02", "spine04")


@dataclass(frozen=True)
class PoseParams:
    """One frame's pose, in degrees.

    pelvis_drop_deg : frontal pelvic tilt, positive when the right hip is lower.
    planted : which feet keep their rest position: "both", "left" or "right".
    hip_flex_* : hip flexion (thigh forward); negative is extension.
    knee_flex_* : knee flexion (shank back).
    abduction_* : hip abduction relative to the pelvis, positive outward.
    weight_shift_deg : both legs tilted so the pelvis moves over a foot, positive toward the
        subject's left; the pelvis keeps its orientation.
    trunk_lean_deg : lateral trunk lean above the pelvis, positive toward the subject's left.
    arm_down_deg : how far the arms are lowered from anny's A pose (about 42 deg out).
    lying : None standing, or the side the subject lies on (their front to the camera).
    hip_rot_* : external rotation of the hip (about the vertical thigh axis, toes outward).
    counter_bone : the spine bone whose rotation undoes the pelvic tilt for the trunk above.
    trunk_shift_cm : the trunk above ``counter_bone`` translated sideways (cm), positive
        toward the subject's left; the pelvis and legs stay.
    """

    pelvis_drop_deg: float = 0.0
    planted: Literal["both", "left", "right"] = "both"
    hip_flex_left: float = 0.0
    hip_flex_right: float = 0.0
    knee_flex_left: float = 0.0
    knee_flex_right: float = 0.0
    abduction_left: float = 0.0
    abduction_right: float = 0.0
    weight_shift_deg: float = 0.0
    trunk_lean_deg: float = 0.0
    arm_down_deg: float = 34.0
    lying: Side | None = None
    hip_rot_left: float = 0.0
    hip_rot_right: float = 0.0
    counter_bone: CounterBone = "spine03"
    trunk_shift_cm: float = 0.0

    def with_side(self, side: Side, **values: float) -> PoseParams:
        """A copy with per-side fields set, e.g. ``with_side("left", hip_flex=35)``."""
        fields: dict[str, Any] = {f"{k}_{side}": v for k, v in values.items()}
        return replace(self, **fields)


def bone_rotations(p: PoseParams) -> dict[str, np.ndarray]:
    """Bone name -> (3, 3) rotation (world-aligned axes, carried by the parent) for ``p``."""
    a = p.pelvis_drop_deg
    rot: dict[str, np.ndarray] = {"root": ry(-a)}
    # The trunk: undo the tilt above spine03, then lean. The lean bends the lumbar spine
    # above the iliac crests, so the waist keeps the pelvis's tilt; as spine03 is 13.6 cm
    # above the hips, it turns by TRUNK_LEAN_GAIN times the lean for the mid-hip to
    # mid-shoulder line to lean by about ``trunk_lean_deg``. The neck takes back part of it
    # because people keep their eyes level.
    lean = TRUNK_LEAN_GAIN * p.trunk_lean_deg
    if p.counter_bone == "spine03":
        rot["spine03"] = ry(a + lean)
    else:
        if p.counter_bone not in COUNTER_BONES:
            raise ValueError(f"unknown counter bone {p.counter_bone!r}; choose one of {COUNTER_BONES}")
        rot[p.counter_bone] = ry(a)
        rot["spine03"] = ry(lean)
    if p.trunk_shift_cm:
        # The translation is in the parent's axes, which the pelvis has tilted by -a:
        # turn it back so the trunk moves horizontally.
        shift = np.eye(4)
        shift[:3, :3] = rot[p.counter_bone]
        shift[:3, 3] = ry(a) @ np.array([p.trunk_shift_cm / 100.0, 0.0, 0.0])
        rot[p.counter_bone] = shift
    rot["neck01"] = ry(-0.5 * lean)
    for side in SIDES:
        s = _SUFFIX[side]
        abd = getattr(p, f"abduction_{side}")
        flex = getattr(p, f"hip_flex_{side}")
        knee = getattr(p, f"knee_flex_{side}")
        planted = p.planted in ("both", side)
        # A planted thigh is kept vertical in the frontal plane (+a undoes the root's tilt);
        # a lifted one hangs from the tilted pelvis, as its hip muscles are not asked to move.
        frontal = (a if planted else 0.0) + p.weight_shift_deg + _OUT[side] * abd
        rot[f"upperleg01.{s}"] = ry(frontal) @ rx(-flex)
        turn = getattr(p, f"hip_rot_{side}")
        if turn:
            # External rotation first (about the hanging thigh), so the knee bends outward.
            rot[f"upperleg01.{s}"] = rot[f"upperleg01.{s}"] @ rz(-_OUT[side] * turn)
        rot[f"lowerleg01.{s}"] = rx(knee)
        if planted:
            # Keep the sole flat on the floor whatever the leg's tilt (frontal, and sagittal
            # when the knee bends with the foot down, as in a squat).
            rot[f"foot.{s}"] = ry(-(p.weight_shift_deg + _OUT[side] * abd))
            if p.lying is None and (flex or knee):
                rot[f"foot.{s}"] = rx(flex - knee) @ rot[f"foot.{s}"]
        else:
            # A lifted foot is held roughly level rather than hanging toes-down.
            rot[f"foot.{s}"] = rx(-0.6 * max(knee - flex, 0.0))
        # Arms lowered from the A pose toward the body, elbows a little bent.
        rot[f"upperarm01.{s}"] = ry(-_OUT[side] * p.arm_down_deg)
        rot[f"lowerarm01.{s}"] = rx(-12.0)
    if p.lying is not None:
        rot.update(_lying_rotations(p))
    return rot


def _lying_rotations(p: PoseParams) -> dict[str, np.ndarray]:
    """Side-lying: the body turned 90 deg about the camera axis, the bottom arm overhead as a
    pillow, the bottom leg bent for balance, the top arm along the body."""
    assert p.lying is not None
    bottom = p.lying
    top: Side = "right" if bottom == "left" else "left"
    b, t = _SUFFIX[bottom], _SUFFIX[top]
    # Ry(+90) puts the left side down (the head toward +X, the image's right).
    turn = 90.0 if bottom == "left" else -90.0
    out = {"root": ry(turn) @ ry(-p.pelvis_drop_deg)}
    out[f"upperarm01.{b}"] = ry(_OUT[bottom] * 125.0)
    out[f"lowerarm01.{b}"] = rx(-20.0)
    out[f"upperarm01.{t}"] = ry(-_OUT[top] * 36.0)
    return out


def pose_body(body: Body, p: PoseParams, rigid_pelvis: bool = False) -> Posed:
    """Pose ``body`` with ``p`` and place it in the scene frame (floor at z = 0).

    Standing: the planted foot (or the midpoint of both) keeps its rest position, so a foot
    on the floor stays where it was. Lying: the pelvis keeps a fixed place chosen so that the
    body in its reference lying pose rests on the floor. ``rigid_pelvis``: the skin over the
    pelvis moves with it (:mod:`hipdrop.synth.pelvis_skin`).
    """
    posed = body.pose(bone_rotations(p), rigid_pelvis=rigid_pelvis)
    if p.lying is None:
        feet = {"left": ["foot.L"], "right": ["foot.R"], "both": ["foot.L", "foot.R"]}[p.planted]
        now = np.mean([body.joint(posed, f) for f in feet], axis=0)
        then = np.mean([body.joint(body.rest, f) for f in feet], axis=0)
        shift = then - now + np.array([0.0, 0.0, _sole_height(body)])
    else:
        shift = _lying_offset(body, p.lying)
    move = np.eye(4)
    move[:3, 3] = shift
    return posed.moved(move)


def _sole_height(body: Body) -> float:
    """Metres to lift anny's rest body so its lowest vertex touches z = 0."""
    return float(-body.rest.vertices[:, 2].min())


@functools.lru_cache(maxsize=16)
def _lying_offset_cached(body: Body, side: Side) -> tuple[float, float, float]:
    v = body.pose(bone_rotations(PoseParams(lying=side))).vertices
    # Centre the body's length on x = 0 and rest its lowest point on the floor.
    return (-(v[:, 0].min() + v[:, 0].max()) / 2.0, 0.0, float(-v[:, 2].min()))


def _lying_offset(body: Body, side: Side) -> np.ndarray:
    return np.array(_lying_offset_cached(body, side))
