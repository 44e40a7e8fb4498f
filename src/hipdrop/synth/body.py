"""The anny body model: load it once, pick a phenotype, pose it by named bones.

anny's frame (SYNTH-NOTES.md): metres, +X the subject's left, -Y the subject's front, +Z up,
origin at the pelvis centre. A bone's rotation is given in world-aligned axes about the bone's
head and is carried along by its parent. torch and anny are imported only inside functions so
that ``import hipdrop.synth`` works without them.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from hipdrop.synth.errors import INSTALL_HINT, SynthUnavailable

#: MediaPipe Pose indices whose truth is a bone head (a joint centre).
JOINT_BONES: dict[int, str] = {
    11: "upperarm01.L",
    12: "upperarm01.R",
    13: "lowerarm01.L",
    14: "lowerarm01.R",
    15: "wrist.L",
    16: "wrist.R",
    23: "upperleg01.L",
    24: "upperleg01.R",
    25: "lowerleg01.L",
    26: "lowerleg01.R",
    27: "foot.L",
    28: "foot.R",
}
#: MediaPipe Pose indices whose truth is a skin vertex (chosen on the rest mesh).
SKIN_LANDMARKS = (0, 29, 30, 31, 32)


@dataclass(frozen=True)
class Phenotype:
    """anny's phenotype parameters, each in [0, 1].

    gender: 0 male, 1 female. age: 2/3 is a young adult (about 25 y), 1 old; below 2/3 anny
    makes a child, so the presets stay in [0.68, 0.97]. muscle, weight, height: 0.5 average.
    """

    gender: float = 1.0
    age: float = 0.72
    muscle: float = 0.5
    weight: float = 0.5
    height: float = 0.5

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"phenotype {name} must be in [0, 1], got {value}")


PRESETS: dict[str, Phenotype] = {
    "female": Phenotype(gender=1.0, age=0.72, muscle=0.5, weight=0.5, height=0.5),
    "male": Phenotype(gender=0.0, age=0.72, muscle=0.5, weight=0.5, height=0.5),
    "petite-female": Phenotype(gender=1.0, age=0.7, muscle=0.4, weight=0.4, height=0.25),
    "tall-male": Phenotype(gender=0.0, age=0.75, muscle=0.6, weight=0.55, height=0.8),
    "heavy-female": Phenotype(gender=0.95, age=0.82, muscle=0.4, weight=0.85, height=0.45),
    "older-male": Phenotype(gender=0.05, age=0.95, muscle=0.35, weight=0.62, height=0.45),
    "athletic-male": Phenotype(gender=0.0, age=0.7, muscle=0.85, weight=0.45, height=0.6),
}


def random_phenotype(rng: np.random.Generator) -> Phenotype:
    """An adult phenotype drawn from ``rng``: mostly clearly male or female, weight and
    muscle spread around average (extremes make anny's surface implausible)."""
    gender = float(np.clip(rng.choice([0.0, 1.0]) + rng.normal(0.0, 0.08), 0.0, 1.0))
    return Phenotype(
        gender=round(gender, 3),
        age=round(float(rng.uniform(0.68, 0.95)), 3),
        muscle=round(float(np.clip(rng.normal(0.5, 0.15), 0.15, 0.9)), 3),
        weight=round(float(np.clip(rng.normal(0.5, 0.15), 0.2, 0.9)), 3),
        height=round(float(np.clip(rng.normal(0.5, 0.15), 0.15, 0.85)), 3),
    )


def resolve_phenotype(name: str, rng: np.random.Generator) -> Phenotype:
    """A preset by name, or ``"random"`` for :func:`random_phenotype`."""
    if name == "random":
        return random_phenotype(rng)
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown body {name!r}; choose one of {[*PRESETS, 'random']}") from None


@functools.cache
def load_model() -> Any:
    """The anny model, built once per process (the first build ever takes about 150 s to fill
    anny's cache, which ``ANNY_CACHE_DIR`` moves)."""
    try:
        import torch
    except ImportError as exc:
        raise SynthUnavailable(f"the synth renderer needs torch: {INSTALL_HINT}") from exc
    # Warp prints a banner on import; anny's plain torch skinning needs no Warp and is
    # deterministic, which the byte-identical-frames promise relies on.
    os.environ.setdefault("WARP_QUIET", "1")
    try:
        import anny
    except ImportError as exc:
        raise SynthUnavailable(f"the synth renderer needs anny: {INSTALL_HINT}") from exc
    try:
        model = anny.Anny(skinning_method="lbs")
    except Exception as exc:  # anny raises many kinds while building its cache
        raise SynthUnavailable(f"the anny body model did not load: {exc}") from exc
    model.eval()
    # Posing is a few small matrix products (4 ms on one thread); torch's thread pool only
    # adds overhead, and under CPU contention (tests or a grid in parallel) it made posing
    # ten times slower. hipdrop uses torch for nothing else.
    torch.set_num_threads(1)
    return model


@dataclass(frozen=True)
class Posed:
    """One posed body in anny's frame (metres).

    vertices : (V, 3) float64 skin vertices.
    joints : (B, 3) float64 bone heads, indexed like :attr:`Body.bone_names`.
    root : (4, 4) the pelvis's (``root`` bone's) rigid motion from the rest body
        (:attr:`Body.rest`) to this pose, in this pose's frame; None where unknown. Bony
        landmarks and skin markers on the pelvis move with it.
    """

    vertices: np.ndarray
    joints: np.ndarray
    root: np.ndarray | None = None

    def moved(self, transform: np.ndarray) -> Posed:
        """This pose moved by the rigid ``transform`` (4, 4) (vertices, joints and root)."""
        r, t = transform[:3, :3], transform[:3, 3]
        root = None if self.root is None else transform @ self.root
        if np.array_equal(r, np.eye(3)):  # a plain shift: exact, as before rotations existed
            return Posed(vertices=self.vertices + t, joints=self.joints + t, root=root)
        return Posed(vertices=self.vertices @ r.T + t, joints=self.joints @ r.T + t, root=root)


class Body:
    """One phenotype of anny, ready to pose.

    Holds what does not change with the pose: the triangles, the bone names, each vertex's
    dominant bone (for clothing), the rest mesh, and the vertices that stand for MediaPipe's
    skin landmarks (nose, heels, toes).
    """

    def __init__(self, phenotype: Phenotype) -> None:
        self.phenotype = phenotype
        self._model = load_model()  # raises SynthUnavailable without torch/anny
        import torch

        self._torch = torch
        self.bone_names: list[str] = list(self._model.bone_labels)
        self.bone_index = {name: i for i, name in enumerate(self.bone_names)}
        self.faces: np.ndarray = self._model.faces.numpy().astype(np.int32)
        weights = self._model.vertex_bone_weights.numpy()
        indices = self._model.vertex_bone_indices.numpy()
        self.dominant_bone: np.ndarray = indices[np.arange(len(indices)), weights.argmax(1)]
        self._phenotype_kwargs = {k: float(v) for k, v in asdict(phenotype).items()}
        self._rest_model: dict[str, Any] | None = None
        self._root_rest_inv = np.eye(4)
        self._rigid: Any = None
        rest = self.pose({})
        self.rest = rest
        if rest.root is not None:
            self._root_rest_inv = np.linalg.inv(rest.root)
            self.rest = Posed(rest.vertices, rest.joints, np.eye(4))
        self.skin_landmarks = self._pick_skin_landmarks(rest.vertices)

    def pose(self, rotations: Mapping[str, np.ndarray], rigid_pelvis: bool = False) -> Posed:
        """Pose by named bones.

        rotations : bone name -> (3, 3) rotation in world-aligned axes about the bone's head
            (carried along by the parent), or a (4, 4) transform whose translation (metres,
            the parent's axes) also moves the bone. Missing bones keep their rest orientation.
        rigid_pelvis : re-skin the skin over the pelvis to move rigidly with it
            (:mod:`hipdrop.synth.pelvis_skin`).
        """
        torch = self._torch
        model = self._model
        params = {}
        for name, rot in rotations.items():
            mat = torch.eye(4, dtype=model.dtype)
            rot = np.asarray(rot, dtype=np.float64)
            if rot.shape == (4, 4):
                mat[:3, :] = torch.as_tensor(rot[:3, :])
            else:
                mat[:3, :3] = torch.as_tensor(rot)
            params[name] = mat[None]
        with torch.no_grad():
            rest = self._rest()
            transforms = None
            if rest is None:  # an anny without the split API: the full forward
                if rigid_pelvis:
                    raise SynthUnavailable("the rigid pelvis skin needs anny 0.6's split API")
                out = model(pose_parameters=params or None, phenotype_kwargs=self._phenotype_kwargs)
                verts, bone_poses = out["vertices"], out["bone_poses"]
            else:
                transforms, bone_poses = model.get_bone_transforms(params or None, rest["rest_bone_poses"])
                verts = model.get_skinned_vertices(
                    bone_transforms=transforms,
                    rest_vertices=rest["rest_vertices"].expand(transforms.shape[0], -1, -1),
                )
        vertices = verts[0].numpy().astype(np.float64)
        joints = bone_poses[0, :, :3, 3].numpy().astype(np.float64)
        root = None
        if transforms is not None:
            tr = transforms[0].numpy().astype(np.float64)
            root = tr[0] @ self._root_rest_inv
            if rigid_pelvis and rest is not None:
                vertices = self._rigid_pelvis(rest).correct(vertices, tr)
        return Posed(vertices=vertices, joints=joints, root=root)

    def _rigid_pelvis(self, rest: dict[str, Any]) -> Any:
        """The :class:`~hipdrop.synth.pelvis_skin.RigidPelvis` of this body, built once."""
        if self._rigid is None:
            from hipdrop.synth.pelvis_skin import RigidPelvis

            self._rigid = RigidPelvis(
                rest["rest_vertices"][0].numpy().astype(np.float64),
                self.rest.vertices,
                float(self.rest.joints[self.bone_index["upperleg01.L"], 2]),
                self._model.vertex_bone_weights.numpy().astype(np.float64),
                self._model.vertex_bone_indices.numpy(),
                self.dominant_bone,
                self.bone_names,
            )
        return self._rigid

    def _rest(self) -> dict[str, Any] | None:
        """anny's rest body for this phenotype, built once: its forward rebuilds it on every
        call though it does not change between frames (half the posing time). Uses anny
        0.6's split API (pinned by the synth extra); None where that is missing."""
        if self._rest_model is None:
            model = self._model
            try:
                inputs = model.get_tensor_inputs(None, self._phenotype_kwargs, None, None)
                coeffs = model._get_phenotype_blendshape_coefficients(*inputs[1:])
                self._rest_model = model.get_rest_model(coeffs)
            except AttributeError:
                self._rest_model = {}
        return self._rest_model or None

    def joint(self, posed: Posed, bone: str) -> np.ndarray:
        """(3,) the head of ``bone`` in ``posed``."""
        return posed.joints[self.bone_index[bone]]

    def _pick_skin_landmarks(self, rest: np.ndarray) -> dict[int, int]:
        """Vertex index for MediaPipe's nose (0), heels (29/30) and foot index (31/32)."""
        picks: dict[int, int] = {}
        head = np.flatnonzero(self.dominant_bone == self.bone_index["head"])
        picks[0] = int(head[np.argmin(rest[head, 1])])  # most anterior point of the head
        for side, heel, toe in (("L", 29, 31), ("R", 30, 32)):
            foot_bones = [
                self.bone_index[n]
                for n in self.bone_names
                if n.endswith(f".{side}") and (n.startswith("foot") or n.startswith("toe"))
            ]
            foot = np.flatnonzero(np.isin(self.dominant_bone, foot_bones))
            low = foot[rest[foot, 2] < rest[foot, 2].min() + 0.03]
            picks[heel] = int(low[np.argmax(rest[low, 1])])  # back of the sole
            picks[toe] = int(low[np.argmin(rest[low, 1])])  # front of the toes
        return picks

    def landmarks(self, posed: Posed) -> dict[int, np.ndarray]:
        """MediaPipe index -> (3,) truth point in anny's frame, for the indices in
        :data:`JOINT_BONES` and :data:`SKIN_LANDMARKS`."""
        points = {i: self.joint(posed, b) for i, b in JOINT_BONES.items()}
        points.update({i: posed.vertices[v] for i, v in self.skin_landmarks.items()})
        return dict(sorted(points.items()))


@functools.lru_cache(maxsize=8)
def body_for(phenotype: Phenotype) -> Body:
    """A cached :class:`Body` per phenotype (building one poses the rest mesh)."""
    return Body(phenotype)
