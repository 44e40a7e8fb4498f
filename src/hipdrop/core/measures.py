"""Per-frame signals of a landmark series, and their smoothing.

The pipeline is: landmarks -> :func:`frame_signals` (vectorised angles, one row a frame) ->
smoothing (zero-phase offline, One Euro live) -> stance and rep rules. Live and offline use the
same functions; only the smoother differs.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from hipdrop.core import kinematics as kin
from hipdrop.core.filters import OneEuroFilter, bridge_gaps, gaussian_smooth
from hipdrop.core.landmarks import L_ANKLE, L_HIP, L_SHOULDER, R_ANKLE, R_HIP, R_SHOULDER
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
        self._last: Signals | None = None
        self._last_t = -np.inf

    def __call__(self, frame: Signals) -> Signals:
        """Smooth a one-frame :class:`Signals`.

        A frame without a pose, up to ``max_gap_s`` after the last one with a pose, repeats the
        last smoothed values: the causal counterpart of the offline gap bridging.
        """
        t = float(frame.t[0])
        if frame.pose[0]:
            out = frame.with_matrix(self._filter(frame.matrix()[0], t)[None, :])
            self._last, self._last_t = out, t
            return out
        if self._last is not None and t - self._last_t <= self._max_gap_s:
            held = self._last.with_matrix(self._last.matrix())
            held.t, held.pose = frame.t, frame.pose
            return held
        return frame
