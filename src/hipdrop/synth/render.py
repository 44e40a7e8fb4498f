"""Render a scenario to an mp4 and its truth JSON.

:func:`render` is the Python API behind ``hipdrop synth``; :func:`iter_frames` yields the
frames and the finished truth without writing anything (tests use it). The same spec and
seed give byte-identical frames.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import tempfile
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from hipdrop.synth.appearance import Clothing, Painter, choose_outfit
from hipdrop.synth.body import Body, Phenotype, Posed, body_for, resolve_phenotype
from hipdrop.synth.camera import Camera, framing_focal
from hipdrop.synth.degrade import DEGRADES, Degrade, degrade
from hipdrop.synth.errors import SynthUnavailable
from hipdrop.synth.frame import STYLES, FrameRenderer, MarkerDraw, body_raster, marker_visibility
from hipdrop.synth.markers import MARKER_COLOURS, MARKER_KINDS, MarkerKind, MarkerSites, marker_sites
from hipdrop.synth.rig import COUNTER_BONES, CounterBone, PoseParams, pose_body
from hipdrop.synth.scenarios import ScenarioSettings, Script, add_trunk_shift, script
from hipdrop.synth.scene import Room, resolve_room, vertex_area
from hipdrop.synth.truth import (
    Truth,
    lateral_shift_truth,
    midline_abduction_deg,
    obliquity_deg,
    shift_pct,
    trunk_lean_deg,
    waist_vertices,
)

#: The back view turns the person about the vertical through the origin to face the wall.
TURN_AROUND = np.diag([-1.0, -1.0, 1.0, 1.0])
#: A marker counts as visible when at least this share of its disc is seen.
MARKER_VISIBLE_FRACTION = 0.5
#: MediaPipe Pose indices written to ``joints_px``.
TRUTH_INDICES = (0, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32)


@dataclass(frozen=True)
class SynthSpec:
    """Everything that decides a clip. Fields left None get a per-scenario default.

    body : a preset name from ``body.PRESETS`` or "random" (drawn from the seed);
        ``phenotype`` overrides it when given.
    clothing : "plain" (shorts and a top, the waist edge visible), "band" (a contrasting
        waistband) or "loose" (a long loose top hiding the waist).
    skin_tone : a key of ``appearance.SKIN_TONES``, None draws one from the seed.
    background : a room from ``scene.ROOMS`` or "random".
    width, height : pixels (default 540x960 standing, 960x540 side-lying).
    distance_m, camera_height_m : camera placement (defaults 3.0 m / 0.9 m standing,
        2.8 m / 0.45 m side-lying). roll_deg : camera roll, see ``camera.Camera``.
    focal_px : None frames the person to ``fill`` of the frame height (length when lying).
    supersample : 1 (a slight blur against jaggies) or 2 (4 samples a pixel, about 3x slower).

    Held-out domains (every default keeps the original look, byte for byte):
    markers : "none", "asis" (stickers on both ASIS) or "psis" (both PSIS, for the back
        view), of ``marker_colour`` (``markers.MARKER_COLOURS``) and ``marker_diameter_cm``.
    pelvis_skin : "anny" (anny's weights) or "rigid" (the skin up to the iliac crests moves
        with the pelvis, :mod:`~hipdrop.synth.pelvis_skin`).
    counter_bone : where the trunk undoes the pelvic tilt ("spine03", "spine02", "spine04").
    trunk_shift_cm : during each stance the trunk above ``counter_bone`` moves this far
        sideways over the stance foot.
    style : "lambert" or "studio" (:mod:`~hipdrop.synth.studio`: Blinn-Phong, fabric texture,
        other lights, a self-shadow, a colour grade).
    degrade : "none", "webcam" or "phone" (:mod:`~hipdrop.synth.degrade`).
    view : "front", or "back" (the person turned to face the wall: the camera sees their
        back; left and right in the truth stay anatomical).
    """

    scenario: ScenarioSettings = field(default_factory=ScenarioSettings)
    seed: int = 0
    body: str = "female"
    phenotype: Phenotype | None = None
    clothing: Clothing = "plain"
    skin_tone: str | None = None
    background: str = "living-room"
    width: int | None = None
    height: int | None = None
    fps: float = 15.0
    distance_m: float | None = None
    camera_height_m: float | None = None
    roll_deg: float = 0.0
    focal_px: float | None = None
    fill: float = 0.72
    supersample: int = 1
    max_frames: int | None = None
    markers: MarkerKind = "none"
    marker_colour: str = "green"
    marker_diameter_cm: float = 2.5
    pelvis_skin: Literal["anny", "rigid"] = "anny"
    counter_bone: CounterBone = "spine03"
    trunk_shift_cm: float = 0.0
    style: Literal["lambert", "studio"] = "lambert"
    degrade: Degrade = "none"
    view: Literal["front", "back"] = "front"

    def __post_init__(self) -> None:
        if self.fps <= 0:
            raise ValueError("fps must be > 0")
        if not 0.1 <= self.fill <= 1.0:
            raise ValueError("fill must be in [0.1, 1]")
        choices = {
            "markers": MARKER_KINDS,
            "marker_colour": tuple(MARKER_COLOURS),
            "pelvis_skin": ("anny", "rigid"),
            "counter_bone": COUNTER_BONES,
            "style": STYLES,
            "degrade": DEGRADES,
            "view": ("front", "back"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"unknown {name} {getattr(self, name)!r}; choose one of {allowed}")
        if not 0.5 <= self.marker_diameter_cm <= 10.0:
            raise ValueError("marker_diameter_cm must be in [0.5, 10]")

    @property
    def lying(self) -> bool:
        return self.scenario.name == "abduction-side-lying"


@dataclass
class Scene:
    """What a spec resolves to: the posable body, its colours, the camera, the room and the
    script."""

    spec: SynthSpec
    body: Body
    painter: Painter
    camera: Camera
    room: Room
    script: Script
    times: np.ndarray


def build_scene(spec: SynthSpec) -> Scene:
    """Resolve a spec (draws the random choices from independent streams of the seed, so a
    choice made for one thing does not shift another)."""
    rngs = {
        k: np.random.default_rng([spec.seed, i])
        for i, k in enumerate(("body", "outfit", "room", "texture", "script"))
    }
    phenotype = spec.phenotype or resolve_phenotype(spec.body, rngs["body"])
    body = body_for(phenotype)
    outfit = choose_outfit(spec.clothing, rngs["outfit"], phenotype.gender > 0.5, spec.skin_tone)
    painter = Painter(body, outfit)
    room = resolve_room(spec.background, rngs["room"])
    scr = script(spec.scenario, rngs["script"])
    if spec.counter_bone != "spine03":
        scr.timeline.constants["counter_bone"] = spec.counter_bone
    add_trunk_shift(scr, spec.trunk_shift_cm)
    cam = _camera(spec, body)
    n = int(np.floor(scr.timeline.duration_s * spec.fps)) + 1
    if spec.max_frames is not None:
        n = min(n, spec.max_frames)
    times = np.arange(n) / spec.fps
    return Scene(spec, body, painter, cam, room, scr, times)


def _camera(spec: SynthSpec, body: Body) -> Camera:
    rest = body.rest.vertices
    if spec.lying:
        w, h = spec.width or 960, spec.height or 540
        dist = spec.distance_m or 2.8
        cam_h = spec.camera_height_m if spec.camera_height_m is not None else 0.45
        length = float(np.ptp(rest[:, 2]))  # lying, the body's height runs along x
        # Frame the length across the width, but never so tight that a raised leg leaves.
        focal = spec.focal_px or min(
            framing_focal(length, dist, w, spec.fill), framing_focal(0.95, dist, h, 0.8)
        )
        target = 0.35
    else:
        w, h = spec.width or 540, spec.height or 960
        dist = spec.distance_m or 3.0
        cam_h = spec.camera_height_m if spec.camera_height_m is not None else 0.9
        stature = float(np.ptp(rest[:, 2]))
        # Width needed: the planted foot is 17 cm off centre and the pelvis moves over it,
        # and the other leg may be abducted to the scenario's angle.
        leg = float(body.joint(body.rest, "upperleg01.L")[2] - rest[:, 2].min())
        sc = spec.scenario
        angle = {"abduction-standing": sc.peak_deg, "hold": sc.hold_angle_deg}.get(sc.name, 25.0)
        span = 2.0 * (0.3 + leg * np.sin(np.radians(min(angle, 80.0))))
        focal = spec.focal_px or min(
            framing_focal(stature, dist, h, spec.fill), framing_focal(span, dist, w, 0.95)
        )
        target = stature / 2.0
    return Camera(
        distance_m=float(dist),
        height_m=float(cam_h),
        target_height_m=target,
        roll_deg=float(spec.roll_deg),
        focal_px=float(focal),
        width=int(w),
        height=int(h),
    )


def _params(scene: Scene) -> dict[str, object]:
    spec = scene.spec
    d = {k: v for k, v in dataclasses.asdict(spec).items() if k not in ("scenario", "phenotype")}
    d["scenario"] = spec.scenario.as_dict()
    d["phenotype"] = dataclasses.asdict(scene.body.phenotype)
    d["outfit"] = scene.painter.outfit.as_dict()
    d["room"] = scene.room.as_dict()
    return d


def iter_frames(
    spec: SynthSpec, progress: bool = False, draw: bool = True
) -> Iterator[tuple[np.ndarray | None, Truth]]:
    """Yield (frame (H, W, 3) uint8 BGR, truth so far) per frame; the truth is complete (its
    events filled in) after the last frame. ``draw=False`` skips the drawing (frames are
    None): the truth alone is cheap."""
    scene = build_scene(spec)
    cam, body = scene.camera, scene.body
    renderer = None
    if draw:
        renderer = FrameRenderer(
            cam,
            scene.room,
            np.random.default_rng([spec.seed, 5]),
            vertex_area(body.rest.vertices, body.faces),
            spec.supersample,
            style=spec.style,
        )
    sites: MarkerSites | None = None if spec.markers == "none" else marker_sites(body, spec.markers)
    truth = Truth(
        scenario=spec.scenario.name,
        seed=spec.seed,
        params=_params(scene),
        width=cam.width,
        height=cam.height,
        fps=float(spec.fps),
        camera=cam.as_dict(),
    )
    acc = _Accumulator(body, cam)
    poses = scene.script.timeline.poses(scene.times)
    frames = range(len(scene.times))
    if progress:
        from tqdm import tqdm

        frames = tqdm(frames, desc=f"synth {spec.scenario.name}", unit="frame")
    for i in frames:
        posed = pose_body(body, poses[i], rigid_pelvis=spec.pelvis_skin == "rigid")
        if spec.view == "back":
            posed = posed.moved(TURN_AROUND)
        acc.add(posed, poses[i])
        markers = None
        if sites is not None:
            centres, normals = sites.posed(posed)
            markers = MarkerDraw(
                centres, normals, spec.marker_diameter_cm / 200.0, MARKER_COLOURS[spec.marker_colour]
            )
        frame = None
        if renderer is not None:
            frame = renderer.render(posed.vertices, body.faces, scene.painter, markers)
            if spec.degrade != "none":
                frame = degrade(frame, spec.degrade, np.random.default_rng([spec.seed, 9, i]))
        if markers is not None:
            if renderer is not None:
                seen = renderer.last_marker_visibility
            else:
                _, _, r = body_raster(
                    cam, spec.supersample, posed.vertices, body.faces, scene.painter.inflation
                )
                seen = marker_visibility(cam, spec.supersample, r.depth, markers)
            assert seen is not None
            acc.add_markers(markers.centres, seen)
        if i == len(scene.times) - 1:
            acc.finish(truth, scene)
        yield frame, truth


class _Accumulator:
    """Per-frame truth series, built while rendering."""

    def __init__(self, body: Body, cam: Camera) -> None:
        self.body, self.cam = body, cam
        self.waist = waist_vertices(body)
        self.points: list[np.ndarray] = []  # (K, 3) per frame, TRUTH_INDICES order
        self.waist_pts: list[np.ndarray] = []  # (2, 3) left, right
        self.drop: list[float] = []
        self.markers: list[np.ndarray] = []  # (2, 3) left, right centres
        self.marker_seen: list[np.ndarray] = []  # (2,) share of each disc seen

    def add_markers(self, centres: np.ndarray, seen: np.ndarray) -> None:
        self.markers.append(np.asarray(centres, float))
        self.marker_seen.append(np.asarray(seen, float))

    def add(self, posed: Posed, p: PoseParams) -> None:
        lm = self.body.landmarks(posed)
        self.points.append(np.stack([lm[i] for i in TRUTH_INDICES]))
        self.waist_pts.append(np.stack([posed.vertices[ix].mean(0) for ix in self.waist]))
        self.drop.append(p.pelvis_drop_deg if p.lying is None else 0.0)

    def finish(self, truth: Truth, scene: Scene) -> None:
        pts = np.stack(self.points)  # (T, K, 3)
        xy, _ = self.cam.project(pts)
        col = {idx: xy[:, k] for k, idx in enumerate(TRUTH_INDICES)}
        waist_xy, _ = self.cam.project(np.stack(self.waist_pts))
        t = scene.times
        up = scene.script.timeline.foot_up(t)
        standing = not scene.spec.lying
        stance = np.where(up["left"] & standing, "right", np.where(up["right"] & standing, "left", "none"))
        drop = np.array(self.drop)
        cpd = np.where(stance == "left", drop, np.where(stance == "right", -drop, np.nan))
        obl = obliquity_deg(col[23], col[24])
        ab_l, ab_r = midline_abduction_deg(col[11], col[12], col[23], col[24], col[27], col[28])
        lean_side = np.where(stance == "none", "left", stance)
        truth.per_frame = {
            "t_s": t,
            "joints_px": {str(i): col[i] for i in TRUTH_INDICES},
            "joints_world_m": {str(i): pts[:, k] for k, i in enumerate(TRUTH_INDICES)},
            "obliquity_deg": obl,
            "pelvis_drop_deg": drop,
            "waist_skin_obliquity_deg": obliquity_deg(waist_xy[:, 0], waist_xy[:, 1]),
            "stance": stance.tolist(),
            "cpd_deg": cpd,
            "abduction_left_deg": ab_l,
            "abduction_right_deg": ab_r,
            "trunk_lean_deg": trunk_lean_deg(col[11], col[12], col[23], col[24], lean_side),
            "trunk_lean_left_deg": trunk_lean_deg(
                col[11], col[12], col[23], col[24], np.full(len(t), "left")
            ),
        }
        if self.markers:
            mxy, _ = self.cam.project(np.stack(self.markers))  # (T, 2, 2)
            seen = np.stack(self.marker_seen)
            truth.per_frame["markers_px"] = mxy
            truth.per_frame["markers_visible"] = seen >= MARKER_VISIBLE_FRACTION
            truth.per_frame["markers_visible_fraction"] = seen
            truth.per_frame["markers_world_m"] = np.stack(self.markers)
            truth.per_frame["marker_obliquity_deg"] = obliquity_deg(mxy[:, 0], mxy[:, 1])
        truth.phases = [dict(p) for p in scene.script.phases]
        truth.holds = []
        for h in scene.script.holds:
            h = dict(h)
            ab = ab_l if h["leg"] == "left" else ab_r
            inside = (t >= h["start_s"]) & (t <= h["end_s"])
            # DESIGN.md's midline angle during the hold (the posed angle plus the rest
            # splay of the legs and the lean of the trunk).
            h["midline_angle_deg"] = float(np.median(ab[inside])) if inside.any() else np.nan
            truth.holds.append(h)
        shift, width = lateral_shift_truth(col[23], col[24], col[27], col[28])
        if scene.script.squats or scene.script.bumps:  # (the other truths stay byte for byte)
            truth.per_frame["lateral_shift_px"] = shift
        truth.squats = [dict(q, lateral_shift_pct=shift_pct(t, shift, width, float(q["start_s"]),  # type: ignore[arg-type]
                                                            tuple(q["bottom_s"])))  # type: ignore[arg-type]
                        for q in scene.script.squats]
        truth.bumps = [dict(b, peak_shift_pct=shift_pct(t, shift, width, float(b["start_s"]),  # type: ignore[arg-type]
                                                        tuple(b["top_s"])))  # type: ignore[arg-type]
                       for b in scene.script.bumps]
        truth.reps = []
        for r in scene.script.reps:
            r = dict(r)
            ab = ab_l if r["leg"] == "left" else ab_r
            inside = (t >= r["start_s"]) & (t <= r["end_s"])
            r["peak_deg"] = float(ab[inside].max()) if inside.any() else float("nan")
            truth.reps.append(r)


@functools.cache
def _fourcc_works(fourcc: str) -> bool:
    """Whether this OpenCV build can write mp4 with ``fourcc`` (probed once per process,
    FFmpeg's complaints about a missing encoder silenced)."""
    probe = Path(tempfile.mkdtemp()) / "probe.mp4"
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            w = cv2.VideoWriter(str(probe), cv2.VideoWriter.fourcc(*fourcc), 10.0, (64, 64))
            ok = w.isOpened()
            w.release()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        probe.unlink(missing_ok=True)
        probe.parent.rmdir()
    return ok


def compute_truth(spec: SynthSpec) -> Truth:
    """The truth of ``spec`` without drawing a frame (identical to :func:`render`'s)."""
    last = deque(iter_frames(spec, draw=False), maxlen=1)
    return last[0][1]


def _writer(path: Path, fps: float, size: tuple[int, int], codec: str) -> tuple[cv2.VideoWriter, str]:
    """An open VideoWriter; "auto" prefers H.264 ('avc1') and falls back to 'mp4v'."""
    for fourcc in ("avc1", "mp4v") if codec == "auto" else (codec,):
        if codec == "auto" and not _fourcc_works(fourcc):
            continue
        w = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), fps, size)
        if w.isOpened():
            return w, fourcc
        w.release()
    raise SynthUnavailable(f"this OpenCV cannot write {path.name} with codec {codec!r}")


def render(
    spec: SynthSpec, out_dir: Path, name: str | None = None, codec: str = "auto", progress: bool = True
) -> Truth:
    """Render ``spec`` to ``out_dir/<name>.mp4`` and ``out_dir/<name>.json``; returns the truth.

    name : file stem, default "<scenario>_seed<seed>".
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = name or f"{spec.scenario.name}_seed{spec.seed}"
    video = out_dir / f"{stem}.mp4"
    writer = None
    truth = None
    try:
        for frame, so_far in iter_frames(spec, progress=progress):
            assert frame is not None
            if writer is None:
                writer, used = _writer(video, spec.fps, (frame.shape[1], frame.shape[0]), codec)
            writer.write(frame)
            truth = so_far
    finally:
        if writer is not None:
            writer.release()
    assert truth is not None
    truth.files = {"video": video.name, "codec": used}
    truth.write(out_dir / f"{stem}.json")
    return truth
