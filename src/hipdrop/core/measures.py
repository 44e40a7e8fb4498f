"""Per-frame signals of a landmark series, and their smoothing.

The pipeline is: landmarks -> :func:`frame_signals` (vectorised angles, one row a frame) ->
smoothing (zero-phase offline, One Euro live) -> stance and rep rules. Live and offline get the
same signals; only the smoother differs. Live, a frame at a time, they come from
:func:`frame_row`, the one-frame twin of :func:`frame_signals` in Python floats (the same
numbers to the bit, pinned by tests/test_frame_row.py): on one frame NumPy's per-call overhead
is most of the cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np

from hipdrop.core import kinematics as kin
from hipdrop.core.filters import OneEuroFilter, bridge_gaps, gaussian_smooth
from hipdrop.core.landmarks import (
    L_ANKLE,
    L_FOOT,
    L_HEEL,
    L_HIP,
    L_KNEE,
    L_SHOULDER,
    R_ANKLE,
    R_FOOT,
    R_HEEL,
    R_HIP,
    R_KNEE,
    R_SHOULDER,
)  # fmt: skip
from hipdrop.core.side import Side
from hipdrop.settings import Settings

# Landmarks without which no angle can be measured.
_CORE = np.array([L_SHOULDER, R_SHOULDER, L_HIP, R_HIP, L_ANKLE, R_ANKLE])


@dataclass
class LegScale:
    """Median hip-to-ankle distance, the unit of foot lift: world metres and image pixels."""

    world_m: float
    image_px: float

    @classmethod
    def of(cls, image: np.ndarray, world: np.ndarray) -> LegScale:
        """From (T, 33, >=2) image and (T, 33, 3) world landmarks (NaN ignored)."""
        return cls.of_lengths(kin.leg_lengths(world), kin.leg_lengths(image[..., :2]))

    @classmethod
    def of_lengths(cls, world: np.ndarray, image: np.ndarray) -> LegScale:
        """From (T, 2) world (m) and image (px) hip-to-ankle lengths of each leg (NaN ignored)."""
        def med(lengths: np.ndarray) -> float:
            lengths = lengths[np.isfinite(lengths)]
            return float(np.median(lengths)) if lengths.size else float("nan")

        return cls(med(world), med(image))


@dataclass
class Signals:
    """Per-frame signals, each a (T,) float64 array (degrees, or a fraction of leg length).

    ``upright`` is the (T,) bool of :func:`hipdrop.core.kinematics.upright`; ``pose`` (T,) bool
    marks frames with the core landmarks seen.
    """

    t: np.ndarray
    pose: np.ndarray
    upright: np.ndarray
    obliquity_deg: np.ndarray
    landmark_obliquity_deg: np.ndarray
    trunk_lean_left_deg: np.ndarray
    abduction_left_deg: np.ndarray
    abduction_right_deg: np.ndarray
    lift_left: np.ndarray
    lift_right: np.ndarray
    waist_obliquity_deg: np.ndarray  # the waist-line cue, NaN where not confidently seen
    waist_confidence: np.ndarray
    waist_height: np.ndarray  # the waist line above the mid-hip point, hip separations
    knee_flexion_left_deg: np.ndarray  # from world landmarks (3-D) where present
    knee_flexion_right_deg: np.ndarray
    marker_obliquity_deg: np.ndarray  # the pelvis markers' line, NaN where not found
    marker_confidence: np.ndarray
    thigh_elevation_left_deg: np.ndarray  # kinematics.thigh_elevation_deg, 3-D where present
    thigh_elevation_right_deg: np.ndarray
    # The three readings of the obliquity as measured, before smoothing: their frame-to-frame
    # scatter is the noise term of a phase's interval (hipdrop.core.tiers).
    landmark_obliquity_raw_deg: np.ndarray
    waist_obliquity_raw_deg: np.ndarray
    marker_obliquity_raw_deg: np.ndarray
    marker_span_px: np.ndarray  # the distance between the two markers as measured, px

    # The continuous signals, in the column order of :meth:`matrix`.
    CONTINUOUS = (
        "obliquity_deg", "landmark_obliquity_deg", "trunk_lean_left_deg",
        "abduction_left_deg", "abduction_right_deg", "lift_left", "lift_right",
        "waist_obliquity_deg", "waist_confidence", "waist_height", "knee_flexion_left_deg",
        "knee_flexion_right_deg", "marker_obliquity_deg", "marker_confidence",
        "thigh_elevation_left_deg", "thigh_elevation_right_deg",
    )  # fmt: skip
    # Signals that change slowly in a held stance and are noisy: smoothed more.
    SLOW = ("obliquity_deg", "landmark_obliquity_deg", "trunk_lean_left_deg", "waist_obliquity_deg",
            "marker_obliquity_deg")
    RAW = ("landmark_obliquity_raw_deg", "waist_obliquity_raw_deg", "marker_obliquity_raw_deg",
           "marker_span_px")

    def __len__(self) -> int:
        return len(self.t)

    def leg(self, name: str, side: Side) -> np.ndarray:
        """(T,) the per-leg signal ``name`` (a key of :data:`PER_LEG`: "lift", "abduction",
        "knee_flexion", "thigh_elevation") of ``side``."""
        return getattr(self, PER_LEG[name][side.column])

    def legs(self, name: str) -> np.ndarray:
        """(T, 2) the per-leg signal ``name`` of both legs, columns [left, right]."""
        left, right = PER_LEG[name]
        return np.stack([getattr(self, left), getattr(self, right)], axis=-1)

    def matrix(self) -> np.ndarray:
        """(T, len(CONTINUOUS)) the continuous signals side by side."""
        out = np.empty((len(self.t), len(self.CONTINUOUS)))
        for i, name in enumerate(self.CONTINUOUS):  # cheaper than np.stack for one frame
            out[:, i] = getattr(self, name)
        return out

    def with_matrix(self, values: np.ndarray) -> Signals:
        """A copy whose continuous signals are the columns of ``values`` (T, len(CONTINUOUS))."""
        kept = {name: getattr(self, name) for name in _FIELDS}
        kept.update({name: values[:, i] for i, name in enumerate(self.CONTINUOUS)})
        return Signals(**kept)

    @classmethod
    def of_row(cls, row: list) -> Signals:
        """A one-frame Signals from a :data:`ROW` list (:func:`frame_row`): its length-1
        arrays (float64; pose, upright bool) are made when first read.

        The live loop makes one a frame for the screens, which read a few of its 23 signals;
        making all 23 arrays cost more than the rest of the frame's bookkeeping.
        """
        out = cls.__new__(cls)
        out.__dict__["_row"] = row
        return out

    if not TYPE_CHECKING:  # (for mypy, Signals has its fields only)

        def __getattr__(self, name: str) -> np.ndarray:
            # Only called for a field not made yet (of an of_row Signals).
            row, at = self.__dict__.get("_row"), ROW_AT.get(name)
            if row is None or at is None:
                raise AttributeError(name)
            value = np.array([row[at]], dtype=bool if at in (1, 2) else np.float64)
            self.__dict__[name] = value
            return value

    def first(self, name: str) -> float:
        """Frame 0's signal ``name`` as a Python float (pose, upright: bool); of an
        :meth:`of_row` Signals, read from its row without making the array."""
        row = self.__dict__.get("_row")
        if row is not None and name not in self.__dict__:
            return row[ROW_AT[name]]
        value = getattr(self, name)[0]
        return bool(value) if name in ("pose", "upright") else float(value)

    def row(self) -> list:
        """Frame 0 as a :data:`ROW` list of Python floats (pose, upright: bool)."""
        out = [float(getattr(self, name)[0]) for name in ROW]
        out[1], out[2] = bool(self.pose[0]), bool(self.upright[0])
        return out

    @classmethod
    def concatenate(cls, parts: list[Signals]) -> Signals:
        return cls(**{name: np.concatenate([getattr(p, name) for p in parts])
                      for name in _FIELDS})


# The per-leg signals of Signals: their fields for [left, right] (Side.column).
PER_LEG = {
    "lift": ("lift_left", "lift_right"),
    "abduction": ("abduction_left_deg", "abduction_right_deg"),
    "knee_flexion": ("knee_flexion_left_deg", "knee_flexion_right_deg"),
    "thigh_elevation": ("thigh_elevation_left_deg", "thigh_elevation_right_deg"),
}
# The field names of Signals, once (dataclasses.fields costs more than the live path's copies).
_FIELDS = tuple(f.name for f in fields(Signals))
# One frame's signals as a flat list (the live path's :func:`frame_row`): t, pose, upright, then
# the continuous signals in the column order of Signals.matrix, then the raw readings.
ROW = ("t", "pose", "upright", *Signals.CONTINUOUS, *Signals.RAW)
assert sorted(ROW) == sorted(_FIELDS)
ROW_AT = {name: i for i, name in enumerate(ROW)}  # a signal's place in a ROW list
_FIRST, _STOP = 3, 3 + len(Signals.CONTINUOUS)  # the continuous signals' span of a ROW list


def mask_unseen(image: np.ndarray, world: np.ndarray, min_visibility: float
                ) -> tuple[np.ndarray, np.ndarray]:
    """Copies of (T, 33, 4) image and (T, 33, 3) world landmarks with unseen points set to NaN."""
    unseen = ~(image[..., 3] >= min_visibility)
    image = np.where(unseen[..., None], np.nan, image)
    world = np.where(unseen[..., None], np.nan, world)
    return image, world


# Below these confidences the waist cue and the markers are not used at all (see
# hipdrop.vision.cues.waist_line and hipdrop.vision.markers.find_markers).
WAIST_MIN_CONFIDENCE = 0.3
MARKER_MIN_CONFIDENCE = 0.3
# frame_signals works through a long series this many frames at a time: its float64
# temporaries then stay in the CPU's cache (an hour at once streams ~0.5 GB of them through
# memory and takes a third longer), and every signal of a frame depends on that frame alone.
_CHUNK = 2048
_NO_WAIST = np.array([np.nan, 0.0, np.nan])
# A waist line this far above the mid-hip point at least (hip separations): a waistband on the
# iliac crests sits 0.2-0.6 above; an edge at or below the hip joints is a hem hanging over
# them (measured: a T-shirt hem over leggings at -0.01, a hoodie's at -0.1), not the pelvis.
MIN_WAIST_HEIGHT = 0.12
_NO_MARKERS = np.array([np.nan, np.nan, np.nan, np.nan, 0.0])


def frame_signals(image: np.ndarray, world: np.ndarray, t: np.ndarray, scale: LegScale,
                  settings: Settings, waist: np.ndarray | None = None,
                  markers: np.ndarray | None = None) -> Signals:
    """Unsmoothed signals of each frame.

    Parameters
    ----------
    image : (T, 33, 4) ndarray, pixels (+ z, visibility); NaN where no pose.
    world : (T, 33, 3) ndarray, metres; NaN where none.
    t : (T,) ndarray, seconds.
    scale : LegScale, the leg length that foot lift is a fraction of.
    waist : (T, 3) ndarray or None, the waist cue (obliquity deg, confidence, height).
    markers : (T, 5) ndarray or None, the pelvis markers (xL, yL, xR, yR px, confidence).
    """
    n = len(t)
    if n > _CHUNK:
        return Signals.concatenate([
            frame_signals(image[i:i + _CHUNK], world[i:i + _CHUNK], t[i:i + _CHUNK], scale,
                          settings, None if waist is None else waist[i:i + _CHUNK],
                          None if markers is None else markers[i:i + _CHUNK])
            for i in range(0, n, _CHUNK)])
    # The landmarks as float64, unseen points (below min_visibility) NaN, masked in place through
    # the indices of the unseen points (few): a contiguous copy and a scatter cost a fraction of
    # copying out x, y (a strided copy) and masking with a (n, 33) boolean.
    image = image.astype(np.float64, order="C")  # C order: the reshapes below are views
    world = world.astype(np.float64, order="C")
    unseen = np.flatnonzero(~(image[..., 3] >= settings.min_visibility))  # of the (n * 33)
    image.reshape(-1, 4)[unseen] = np.nan
    world.reshape(-1, 3)[unseen] = np.nan
    xy = image[..., :2]  # the angle functions read x, y only
    core = np.take(image, _CORE, axis=1)
    pose = (np.isfinite(core[..., 0]) & np.isfinite(core[..., 1])).all(axis=1)
    oblique = kin.obliquity_deg(xy[:, L_HIP], xy[:, R_HIP])
    abduction = kin.abduction_deg(xy)
    # Foot heights from world landmarks where present (DESIGN.md: a foot further from the camera
    # looks lifted in pixels), pixels only as a fallback.
    lift = kin.foot_lift(world, scale.world_m)
    no_world = ~np.isfinite(lift[:, 0])
    if no_world.any():
        lift[no_world] = kin.foot_lift(xy[no_world], scale.image_px)
    waist = _NO_WAIST[None, :] if waist is None else np.asarray(waist, dtype=np.float64)
    if waist.shape[1] == 2:  # a cue without the line's height
        waist = np.concatenate([waist, np.full((len(waist), 1), np.nan)], axis=1)
    with np.errstate(invalid="ignore"):
        high = ~(waist[:, 2] < MIN_WAIST_HEIGHT)  # NaN height (older files): not judged
    confident = (waist[:, 1] >= WAIST_MIN_CONFIDENCE) & pose & high
    # Knee flexion in 3-D from world landmarks: how the lifted leg is held, which biases the
    # landmark hip line (hipdrop.core.obliquity); in pixels (2-D, the same angle as 3-D with z = 0)
    # where the world pose is not whole.
    knee_flex = kin.knee_flexion_deg(world)
    flat = ~np.isfinite(world[..., 0]).all(axis=1)
    if flat.any():
        knee_flex[flat] = kin.knee_flexion_deg(xy[flat])
    lean = kin.trunk_lean_left_deg(xy)
    thigh = kin.thigh_elevation_deg(world)
    if flat.any():
        thigh[flat] = kin.thigh_elevation_deg(xy[flat])
    marks = (_NO_MARKERS[None, :] if markers is None
             else np.asarray(markers, dtype=np.float64))
    marked = (marks[:, 4] >= MARKER_MIN_CONFIDENCE) & pose
    marker_line = np.where(marked, kin.marker_obliquity_deg(marks), np.nan)
    waist_line = np.where(confident, waist[:, 0], np.nan)
    return Signals(
        t=np.asarray(t, dtype=np.float64),
        pose=pose,
        upright=kin.upright(xy, settings.max_trunk_deg, lean) & pose,
        obliquity_deg=oblique,
        landmark_obliquity_deg=oblique.copy(),
        trunk_lean_left_deg=lean,
        abduction_left_deg=abduction[:, 0],
        abduction_right_deg=abduction[:, 1],
        lift_left=lift[:, 0],
        lift_right=lift[:, 1],
        waist_obliquity_deg=waist_line,
        waist_confidence=np.where(pose, waist[:, 1], np.nan),
        waist_height=np.where(confident, waist[:, 2], np.nan),
        knee_flexion_left_deg=knee_flex[:, 0],
        knee_flexion_right_deg=knee_flex[:, 1],
        marker_obliquity_deg=marker_line,
        marker_confidence=np.where(pose, marks[:, 4], np.nan),
        marker_span_px=np.where(marked, np.hypot(marks[:, 0] - marks[:, 2], marks[:, 1] - marks[:, 3]),
                                np.nan),
        thigh_elevation_left_deg=thigh[:, 0],
        thigh_elevation_right_deg=thigh[:, 1],
        landmark_obliquity_raw_deg=oblique.copy(),
        waist_obliquity_raw_deg=waist_line.copy(),
        marker_obliquity_raw_deg=marker_line.copy(),
    )


_NAN_POINT: tuple[float, ...] = (math.nan, math.nan, math.nan)
_NAN_ROWS = [[math.nan] * 4] * 33
_NAN_IMAGE = np.full((1, 33, 4), np.nan)
_NAN_WORLD = np.full((1, 33, 3), np.nan)
# frame_row reads the shoulders and hips to feet (23-32) as two slices of the landmarks.
assert (L_SHOULDER + 1, L_HIP, R_HIP, L_KNEE, R_KNEE, L_ANKLE, R_ANKLE, L_HEEL, R_HEEL, L_FOOT,
        R_FOOT) == (R_SHOULDER, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32)


def frame_row(image: np.ndarray | None, world: np.ndarray | None, t: float, scale: LegScale,
              settings: Settings, waist: tuple[float, ...] | None = None,
              markers: tuple[float, ...] | None = None, rows: list | None = None,
              world_rows: list | None = None) -> list:
    """:func:`frame_signals` of one frame, as a :data:`ROW` list of Python floats (pose and
    upright bool): the same numbers to the bit (tests/test_frame_row.py), ~10 times faster.

    Parameters
    ----------
    image : (33, 4) ndarray or None, pixels (+ z, visibility).
    world : (33, 3) ndarray or None, metres.
    t : float, seconds.
    waist : (obliquity deg, confidence[, height]) or None, the waist cue.
    markers : (xL, yL, xR, yR px, confidence) or None, the pelvis markers.
    rows, world_rows : ``image.tolist()`` and ``world.tolist()``, when the caller has them.

    The frame's numbers are read out as floats once (``tolist``) and the angles taken by the
    scalar twins of :mod:`hipdrop.core.kinematics`: a one-frame NumPy call costs ~1 us of
    overhead, and :func:`frame_signals` makes ~150 of them.
    """
    try:
        return _frame_row(image, world, t, scale, settings, waist, markers, rows, world_rows)
    except ZeroDivisionError:  # coincident points: NumPy gives inf or NaN by IEEE rules
        with np.errstate(divide="ignore", invalid="ignore"):
            return frame_signals(_NAN_IMAGE if image is None else image[None],
                                 _NAN_WORLD if world is None else world[None], np.array([t]),
                                 scale, settings,
                                 None if waist is None else np.array([waist], np.float64),
                                 None if markers is None else np.array([markers], np.float64)
                                 ).row()


def _frame_row(image: np.ndarray | None, world: np.ndarray | None, t: float, scale: LegScale,
               settings: Settings, waist: tuple[float, ...] | None,
               markers: tuple[float, ...] | None, rows: list | None, world_rows: list | None
               ) -> list:
    nan = math.nan
    mv = settings.min_visibility
    if image is None:
        rows = _NAN_ROWS
    elif rows is None:
        rows = image.tolist()
    # The points the angles read, (x, y, 0.0) px; unseen ones (visibility below
    # min_visibility, or NaN) NaN, as frame_signals masks them.
    read = rows[L_SHOULDER:R_SHOULDER + 1] + rows[L_HIP:R_FOOT + 1]
    px = [(r[0], r[1], 0.0) if r[3] >= mv else _NAN_POINT for r in read]
    ls, rs, lh, rh, lk, rk, la, ra, lhe, rhe, lf, rf = px
    core = (ls[0], ls[1], rs[0], rs[1], lh[0], lh[1], rh[0], rh[1], la[0], la[1], ra[0], ra[1])
    # A NaN or inf makes the sum non-finite; a finite sum means every term is (one look).
    pose = math.isfinite(sum(core)) or all(map(math.isfinite, core))
    # The world points; the world pose is whole when all 33 points are seen and have an x
    # (frame_signals' ``flat`` is its opposite).
    if world is None or image is None:
        wp = [_NAN_POINT] * 12
        whole = False
    else:
        if world_rows is None:
            world_rows = world.tolist()
        # Seen where the image point is (px holds _NAN_POINT itself for an unseen one).
        w_read = world_rows[L_SHOULDER:R_SHOULDER + 1] + world_rows[L_HIP:R_FOOT + 1]
        wp = [_NAN_POINT if px[j] is _NAN_POINT else w_read[j] for j in range(12)]
        w_x = [w[0] for w in world_rows]
        whole = (all([r[3] >= mv for r in rows])  # NaN: False
                 and (math.isfinite(sum(w_x)) or all(map(math.isfinite, w_x))))  # as pose
    oblique = kin.obliquity_deg_one(lh, rh)
    abd_l, abd_r = kin.abduction_deg_one(ls, rs, lh, rh, la, ra)
    # Foot heights from world landmarks where present (DESIGN.md), pixels as a fallback.
    lift_l, lift_r = kin.foot_lift_one((wp[6], wp[8], wp[10]), (wp[7], wp[9], wp[11]),
                                       scale.world_m)
    if not math.isfinite(lift_l):
        lift_l, lift_r = kin.foot_lift_one((la, lhe, lf), (ra, rhe, rf), scale.image_px)
    if waist is None:
        w_line, w_conf, w_height = nan, 0.0, nan
    else:
        w_line, w_conf = float(waist[0]), float(waist[1])
        w_height = float(waist[2]) if len(waist) > 2 else nan
    confident = w_conf >= WAIST_MIN_CONFIDENCE and pose and not w_height < MIN_WAIST_HEIGHT
    # Knee flexion and thigh elevation in 3-D where the world pose is whole, else in pixels.
    p_ls, p_rs, p_lh, p_rh, p_lk, p_rk, p_la, p_ra = (wp if whole else px)[:8]
    knee_l = kin.knee_flexion_deg_one(p_lh, p_lk, p_la)
    knee_r = kin.knee_flexion_deg_one(p_rh, p_rk, p_ra)
    thigh_l, thigh_r = kin.thigh_elevation_deg_one(p_ls, p_rs, p_lh, p_rh, p_lk, p_rk)
    lean = kin.trunk_lean_left_deg_one(ls, rs, lh, rh)
    if markers is None:
        m_conf = 0.0
        marked = False
    else:
        xl, yl, xr, yr, m_conf = map(float, markers[:5])
        marked = m_conf >= MARKER_MIN_CONFIDENCE and pose
    if marked:
        m_line = kin.obliquity_deg_one((xl, yl), (xr, yr))
        # np.hypot (the C library's), not math.hypot: CPython's own differs in the last bit.
        m_span = float(np.hypot(xl - xr, yl - yr))
    else:
        m_line = m_span = nan
    w_line = w_line if confident else nan
    up = pose and kin.upright_one(lh, rh, lk, rk, la, ra, settings.max_trunk_deg, lean)
    return [float(t), pose, up,
            oblique, oblique, lean, abd_l, abd_r, lift_l, lift_r,
            w_line, w_conf if pose else nan, w_height if confident else nan, knee_l, knee_r,
            m_line, m_conf if pose else nan, thigh_l, thigh_r,
            oblique, w_line, m_line, m_span]


def smooth_offline(signals: Signals, fps: float, settings: Settings) -> Signals:
    """Bridge short gaps, then zero-phase Gaussian smoothing of the continuous signals.

    Obliquity and trunk lean change slowly in a held stance and are the noisiest signals, so
    they get ``angle_sigma_s`` on top of ``smooth_sigma_s``.
    """
    names = Signals.CONTINUOUS
    # obliquity_deg is a copy of the landmark line until the estimator (hipdrop.core.obliquity) sets
    # it: smoothed once, then copied.
    own = [i for i, n in enumerate(names) if n != "obliquity_deg"]
    values = signals.matrix()
    values[:, own] = gaussian_smooth(bridge_gaps(values[:, own], signals.t, settings.max_gap_s),
                                     fps, settings.smooth_sigma_s)
    slow = [names.index(n) for n in Signals.SLOW if n != "obliquity_deg"]
    values[:, slow] = gaussian_smooth(values[:, slow], fps, settings.angle_sigma_s)
    values[:, names.index("obliquity_deg")] = values[:, names.index("landmark_obliquity_deg")]
    # Uprightness is bridged like the rest, so a short dropout does not split a stance phase.
    upright = np.where(signals.pose, signals.upright.astype(np.float64), np.nan)
    with np.errstate(invalid="ignore"):
        upright = bridge_gaps(upright, signals.t, settings.max_gap_s) >= 0.5
    out = signals.with_matrix(values)
    out.upright = upright
    return out


class StreamSmoother:
    """The live counterpart of :func:`smooth_offline`: One Euro filters over each frame's signals.

    The One Euro speed coefficient is per unit of the signal, so the lift columns (fractions of
    leg length, moving ~2 /s) get a beta 50 times that of the angle columns (~100 deg/s) for the
    cutoff to open as much when a foot lifts as when a leg swings.
    """

    _LIFT_BETA_SCALE = 50.0

    def __init__(self, settings: Settings) -> None:
        names = Signals.CONTINUOUS
        beta = np.array([settings.one_euro_beta * (self._LIFT_BETA_SCALE
                                                   if n.startswith("lift") or n.endswith("confidence")
                                                   else 1.0) for n in names])
        # The slow angles get a lower cutoff at rest, as offline they get a wider kernel.
        slow_ratio = settings.smooth_sigma_s / (settings.smooth_sigma_s + settings.angle_sigma_s)
        cutoff = np.array([settings.one_euro_min_cutoff_hz * (slow_ratio if n in Signals.SLOW
                                                              else 1.0) for n in names])
        self._filter = OneEuroFilter(cutoff, beta, settings.one_euro_d_cutoff_hz,
                                     settings.max_gap_s)
        self._max_gap_s = settings.max_gap_s
        self._last: list | None = None
        self._last_t = -np.inf

    def row(self, frame: list) -> list:
        """Smooth a one-frame :data:`ROW` list (:func:`frame_row`): a new list.

        A frame without a pose, up to ``max_gap_s`` after the last one with a pose, repeats the
        last smoothed values (its own t and pose): the causal counterpart of the offline gap
        bridging. A frame without a pose after that is returned as it is.
        """
        t = frame[0]
        if frame[1]:
            out = frame[:_FIRST] + self._filter.step(frame[_FIRST:_STOP], t) + frame[_STOP:]
            self._last, self._last_t = out, t
            return out
        if self._last is not None and t - self._last_t <= self._max_gap_s:
            return [t, frame[1], *self._last[2:]]
        return frame
