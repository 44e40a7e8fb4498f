"""An anatomical pelvis skin: the skin over the pelvis moves rigidly with it.

anny weights the skin at iliac-crest height mostly to spine04/spine05 (and a little to the
thighs), so under a frontal pelvic tilt a drawn waist tilts less than the pelvis
(SYNTH-NOTES.md). On a person the crest is bone, and the skin (and a waistband on it) up to
the crest moves with the pelvis. :class:`RigidPelvis` re-skins those vertices with linear
blend skinning in NumPy from anny's own bone transforms: the weight a vertex gives to the
trunk bones is handed to ``root`` (the pelvis) between hip-joint height and the crest,
blended back to anny's weights over 3 cm above the crest and 3 cm below the hip centres.
Thigh weights are kept below hip-joint height (the buttocks and groin bend with the thigh)
and handed over to the pelvis over the 5 cm above it, where the skin lies on the ilium.
"""

from __future__ import annotations

import numpy as np

#: Top of the rigid region above the hip joint centres (m): the iliac crests.
CREST_ABOVE_HIP_M = 0.10
#: Blend widths (m): above the crest back to anny's weights, below the hip centres, and the
#: thighs' hand-over above the hip centres.
BLEND_ABOVE_M = 0.03
BLEND_BELOW_M = 0.03
THIGH_HANDOVER_M = 0.05
_TRUNK_BONES = ("pelvis.L", "pelvis.R", "spine05", "spine04", "spine03", "spine02", "spine01")
_THIGH_BONES = ("upperleg01.L", "upperleg01.R", "upperleg02.L", "upperleg02.R")
_BODY_GROUPS = ("root", "pelvis", "spine", "upperleg")


def _smooth(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def rigid_fraction(z_above_hip: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """((N,) trunk, (N,) thigh) fraction of each weight handed to the pelvis, for vertices
    at ``z_above_hip`` (N,) metres above the rest hip joint centres.

    >>> t, h = rigid_fraction(np.array([-0.05, 0.0, 0.05, 0.10, 0.13]))
    >>> t.round(2).tolist(), h.round(2).tolist()
    ([0.0, 1.0, 1.0, 1.0, 0.0], [0.0, 0.0, 1.0, 1.0, 0.0])
    """
    z = np.asarray(z_above_hip, float)
    top = 1.0 - _smooth((z - CREST_ABOVE_HIP_M) / BLEND_ABOVE_M)
    trunk = _smooth((z + BLEND_BELOW_M) / BLEND_BELOW_M) * top
    thigh = _smooth(z / THIGH_HANDOVER_M) * top
    return trunk, thigh


class RigidPelvis:
    """The re-skinning of one body: which vertices, and how much of which weight moves.

    rest_model : (V, 3) anny's rest vertices (the frame its bone transforms map from).
    rest_posed : (V, 3) the same body posed with no rotation (``Body.rest``), whose heights
        decide the region. weights, indices : (V, K) anny's skinning weights and bones.
    dominant_bone : (V,) each vertex's strongest bone; bone_names : anny's bone labels.
    """

    def __init__(
        self,
        rest_model: np.ndarray,
        rest_posed: np.ndarray,
        hip_z: float,
        weights: np.ndarray,
        indices: np.ndarray,
        dominant_bone: np.ndarray,
        bone_names: list[str],
    ) -> None:
        names = np.array(bone_names)
        body = np.array([n.startswith(_BODY_GROUPS) for n in names])[dominant_bone]
        trunk_f, thigh_f = rigid_fraction(rest_posed[:, 2] - hip_z)
        trunk_bone = np.isin(names, _TRUNK_BONES)[indices]  # (V, K)
        thigh_bone = np.isin(names, _THIGH_BONES)[indices]
        moved = weights * (trunk_bone * trunk_f[:, None] + thigh_bone * thigh_f[:, None])
        moved[~body] = 0.0
        self.vertices = np.flatnonzero(moved.sum(1) > 1e-6)
        self.moved = moved[self.vertices]  # (n, K) weight handed to root
        self.indices = indices[self.vertices]
        rest = rest_model[self.vertices]
        self.rest_h = np.concatenate([rest, np.ones((len(rest), 1))], axis=1)  # (n, 4)

    def correct(self, vertices: np.ndarray, transforms: np.ndarray) -> np.ndarray:
        """(V, 3) ``vertices`` (anny's LBS with ``transforms`` (B, 4, 4), root first) with the
        moved weights following the root bone instead."""
        diff = transforms[0][None, None] - transforms[self.indices]  # (n, K, 4, 4)
        delta = np.einsum("nk,nkij,nj->ni", self.moved, diff[:, :, :3, :], self.rest_h)
        out = vertices.copy()
        out[self.vertices] += delta
        return out
