"""Ground truth: DESIGN.md's angles on the projected true joints, and the truth JSON.

The angles are DESIGN.md's, computed by hipdrop's own functions (hipdrop.core.kinematics) on the
projected true joints, so a perfect landmark detector would read exactly these values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hipdrop.core import kinematics as kin
from hipdrop.synth.body import Body, Posed

TRUTH_VERSION = 1
#: Height of the waist probe above the hip joint centres (m): the iliac crests, where the
#: shorts' top edge sits (appearance.WAIST_ABOVE_HIP_M is 8.5 cm).
WAIST_PROBE_ABOVE_HIP_M = 0.08


def _pose(shoulder_l, shoulder_r, hip_l, hip_r, ankle_l=None, ankle_r=None) -> np.ndarray:
    """(..., 33, 2) landmark array holding the given (..., 2) points at MediaPipe's indices."""
    points = np.broadcast_arrays(*(np.asarray(p, float) for p in (shoulder_l, shoulder_r, hip_l,
                                                                   hip_r)))
    out = np.full((*points[0].shape[:-1], 33, 2), np.nan)
    for index, p in zip((11, 12, 23, 24), points, strict=True):
        out[..., index, :] = p
    if ankle_l is not None:
        out[..., 27, :], out[..., 28, :] = ankle_l, ankle_r
    return out


def obliquity_deg(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """DESIGN.md's pelvic obliquity atan2(y_R - y_L, |x_L - x_R|) in degrees: the one
    implementation, :func:`hipdrop.core.kinematics.obliquity_deg`.

    left, right : (..., 2) pixel x, y of the left and right points (y down).

    >>> float(obliquity_deg(np.array([300.0, 500.0]), np.array([200.0, 510.0])).round(3))
    5.711
    """
    return kin.obliquity_deg(np.asarray(left, float), np.asarray(right, float))


def midline_abduction_deg(
    shoulder_l: np.ndarray,
    shoulder_r: np.ndarray,
    hip_l: np.ndarray,
    hip_r: np.ndarray,
    ankle_l: np.ndarray,
    ankle_r: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """DESIGN.md's hip abduction of each leg against the body's midline, degrees
    (:func:`hipdrop.core.kinematics.abduction_deg`). All inputs (..., 2) pixels.

    >>> sl, sr = np.array([120.0, 0.0]), np.array([80.0, 0.0])
    >>> hl, hr = np.array([110.0, 100.0]), np.array([90.0, 100.0])
    >>> al, ar = midline_abduction_deg(sl, sr, hl, hr, np.array([210.0, 200.0]), hr + [0, 100])
    >>> round(float(al), 3), round(float(ar), 3) + 0.0
    (45.0, 0.0)
    """
    both = kin.abduction_deg(_pose(shoulder_l, shoulder_r, hip_l, hip_r, ankle_l, ankle_r))
    return both[..., 0], both[..., 1]


def trunk_lean_deg(
    shoulder_l: np.ndarray,
    shoulder_r: np.ndarray,
    hip_l: np.ndarray,
    hip_r: np.ndarray,
    toward: np.ndarray,
) -> np.ndarray:
    """Angle (deg) of the mid-hip -> mid-shoulder vector from image vertical, positive when it
    leans toward the person's side ``toward`` (..., values "left"/"right"), by
    :func:`hipdrop.core.kinematics.trunk_lean_left_deg`. Inputs (..., 2) pixels; holds seen from the
    front or the back.
    """
    lean_left = kin.trunk_lean_left_deg(_pose(shoulder_l, shoulder_r, hip_l, hip_r))
    return np.where(np.asarray(toward) == "right", -1.0, 1.0) * lean_left


def waist_vertices(body: Body) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the skin vertices on each flank at iliac-crest height: the rest mesh's
    trunk/leg vertices within 1 cm of that height and within 1 cm of the widest point."""
    v = body.rest.vertices
    j, bi = body.rest.joints, body.bone_index
    z0 = j[bi["upperleg01.L"], 2] + WAIST_PROBE_ABOVE_HIP_M
    arm_ids = [
        bi[n]
        for n in body.bone_names
        if n.startswith(("upperarm", "lowerarm", "wrist", "finger", "metacarpal"))
    ]
    near = (np.abs(v[:, 2] - z0) < 0.01) & ~np.isin(body.dominant_bone, arm_ids)
    out = []
    for sign in (1.0, -1.0):
        side = near & (sign * v[:, 0] > 0)
        x = sign * v[:, 0]
        out.append(np.flatnonzero(side & (x > x[side].max() - 0.01)))
    return out[0], out[1]


@dataclass
class Truth:
    """Everything the truth JSON holds.

    Beyond the brief's schema: ``camera`` also has ``target_height_m`` and ``pitch_deg``;
    ``per_frame`` also has ``joints_world_m`` (the same points in metres, scene frame: +X
    the subject's left, -Y their front, +Z up, floor z = 0; indices 0, 13-16 are extra) and
    ``trunk_lean_left_deg`` (the lean signed toward the subject's left in every frame;
    ``trunk_lean_deg`` is signed toward the stance side, toward the left when there is
    none). ``cpd_deg`` is null outside stance phases. Phases carry ``full_drop_s`` (when the
    drop is fully applied) and ``trunk_lean_deg``; reps carry ``posed_peak_deg`` (the rig's
    angle) beside ``peak_deg`` (DESIGN.md's midline angle on the projected truth, which adds
    the legs' rest splay and the trunk lean) and ``top_s`` (the plateau); holds carry
    ``midline_angle_deg``. ``files`` names the video and the codec used.

    ``squats`` (scenario ``squat``): start_s, end_s, bottom_s ([from, to] of the bottom),
    depth_deg, shift_deg (the rig's) and ``lateral_shift_pct``: hipdrop.core.squat's shift on
    the projected true joints (mid-hip against mid-ankle, image x, + toward the subject's
    left), its median over the bottom against its median over the second standing before
    the squat, in % of the standing true hip width. ``bumps`` (``hip-bump``): side, start_s,
    end_s, top_s and ``peak_shift_pct``, the same shift at the top against the second
    before, in % of the hip width. ``per_frame.lateral_shift_px`` is that shift a frame (in these two
    scenarios only).

    With markers (``SynthSpec.markers``), ``per_frame`` also has ``markers_px`` ((T, 2, 2):
    [[xL, yL], [xR, yR]] per frame, the discs' projected centres, the person's left first),
    ``markers_visible`` ((T, 2) bool: at least half of the disc is seen),
    ``markers_visible_fraction``, ``markers_world_m`` ((T, 2, 3), scene frame) and
    ``marker_obliquity_deg`` (DESIGN.md's formula on ``markers_px``). In the back view the
    scene frame is the person's turned about the vertical (their front is +Y).
    """

    scenario: str
    seed: int
    params: dict[str, Any]
    width: int
    height: int
    fps: float
    camera: dict[str, float]
    per_frame: dict[str, Any] = field(default_factory=dict)
    phases: list[dict[str, Any]] = field(default_factory=list)
    reps: list[dict[str, Any]] = field(default_factory=list)
    holds: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    squats: list[dict[str, Any]] = field(default_factory=list)
    bumps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def frames(self) -> int:
        return len(self.per_frame.get("t_s", []))

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": TRUTH_VERSION,
            "scenario": self.scenario,
            "seed": self.seed,
            "params": self.params,
            "width": self.width,
            "height": self.height,
            "fps": self.fps,
            "frames": self.frames,
            "camera": self.camera,
            "per_frame": self.per_frame,
            "phases": self.phases,
            "reps": self.reps,
            "holds": self.holds,
            "squats": self.squats,
            "bumps": self.bumps,
            "files": self.files,
        }

    def write(self, path: Path) -> None:
        """Write the JSON (floats rounded to 4 decimals, NaN as null; compact, since the per-frame
        arrays are data: `python -m json.tool` shows it indented)."""
        path.write_text(json.dumps(_clean(self.as_dict()), separators=(",", ":")) + "\n")


def _clean(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, np.ndarray):
        return _clean(x.tolist())
    if isinstance(x, (float, np.floating)):
        return None if not np.isfinite(x) else round(float(x), 4)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def load_truth(path: Path) -> dict[str, Any]:
    """The truth JSON as a dict (a convenience for tests and benchmarks)."""
    return json.loads(Path(path).read_text())


def foot_clearance_m(body: Body, posed: Posed) -> dict[str, float]:
    """Height (m) of each foot's lowest vertex above the floor (z = 0)."""
    out = {}
    for side, s in (("left", "L"), ("right", "R")):
        ids = [
            body.bone_index[n]
            for n in body.bone_names
            if n.endswith(f".{s}") and n.startswith(("foot", "toe"))
        ]
        mask = np.isin(body.dominant_bone, ids)
        out[side] = float(posed.vertices[mask, 2].min())
    return out


#: Height of the visible waist edge above the hip joint centres (m), as painted
#: (appearance.WAIST_ABOVE_HIP_M).
WAIST_EDGE_ABOVE_HIP_M = 0.085


def waist_line_vertices(body: Body, front: bool = True) -> np.ndarray:
    """Indices of the rest mesh's trunk/leg skin vertices within 8 mm of the waist edge's
    height, on the front (or the back) half of the body: the skin a waistband lies on."""
    v = body.rest.vertices
    j, bi = body.rest.joints, body.bone_index
    z0 = j[bi["upperleg01.L"], 2] + WAIST_EDGE_ABOVE_HIP_M
    names = np.array(body.bone_names)[body.dominant_bone]
    trunk = np.array([n.startswith(("root", "pelvis", "spine", "upperleg")) for n in names])
    near = trunk & (np.abs(v[:, 2] - z0) < 0.008)
    y_mid = np.median(v[near, 1])
    half = v[:, 1] < y_mid if front else v[:, 1] > y_mid
    return np.flatnonzero(near & half)


def waist_edge_obliquity_deg(xy: np.ndarray, x_left_greater: bool = True) -> float:
    """The obliquity (DESIGN.md's sign: positive when the person's right side is lower) of
    the straight line fitted to the projected waist-edge points ``xy`` (N, 2) pixels.

    x_left_greater : the person's left is on the image's right (a front view).

    >>> pts = np.array([[100.0, 210.0], [200.0, 200.0], [300.0, 190.0]])
    >>> round(waist_edge_obliquity_deg(pts), 3)  # image left (the right side) lower
    5.711
    """
    slope = np.polyfit(xy[:, 0], xy[:, 1], 1)[0]
    return float(np.degrees(np.arctan(slope)) * (-1.0 if x_left_greater else 1.0))


def lateral_shift_truth(hip_l: np.ndarray, hip_r: np.ndarray, ankle_l: np.ndarray,
                        ankle_r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T,) the mid-hip's shift over the mid-ankle, px, + toward the person's left
    (:func:`hipdrop.core.squat.lateral_shift_px`), and (T,) the hip width, px; inputs (T, 2)."""
    from hipdrop.core.squat import lateral_shift_px

    pose = _pose(hip_l, hip_r, hip_l, hip_r, ankle_l, ankle_r)  # shoulders unused
    return lateral_shift_px(pose), np.hypot(*(np.asarray(hip_l) - np.asarray(hip_r)).T)


def shift_pct(t: np.ndarray, shift_px: np.ndarray, width_px: np.ndarray, start_s: float,
              window: tuple[float, float]) -> float:
    """The shift's median over ``window`` (s) against its median over the second before
    ``start_s``, in % of the hip width there (the definition hipdrop.core.squat reads)."""
    pre = (t >= start_s - 1.0) & (t <= start_s)
    at = (t >= window[0]) & (t <= window[1])
    if not pre.any() or not at.any():
        return float("nan")
    return float(100.0 * (np.median(shift_px[at]) - np.median(shift_px[pre]))
                 / np.median(width_px[pre]))
