"""A second rendering family: the same hipdrop.synth scene path-traced by Blender (bpy).

hipdrop's readings were validated only on the NumPy renderer's images; this renders the
same spec (body, posing, camera, timeline, outfit colours, room) with another renderer:
Cycles on the CPU, area and world light with real shadows and inter-reflection, skin with
subsurface scattering, fabric with a knit bump and sheen, textured wall and floor, a film
view transform and denoising. The truth JSON is :func:`hipdrop.synth.render.compute_truth`'s,
so it is exactly the NumPy renderer's for the same spec.

Needs the ``render`` extra (``pip install 'hipdrop[render]'``, Blender as a Python module)
as well as ``synth``; bpy is imported only when a clip is rendered.

Scene frame as in ``camera.py``: +X the subject's left, -Y their front, +Z up, metres.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from hipdrop.synth.appearance import ZONE_ARM
from hipdrop.synth.camera import Camera
from hipdrop.synth.errors import SynthUnavailable
from hipdrop.synth.frame import KEY_LIGHT
from hipdrop.synth.raster import vertex_normals
from hipdrop.synth.render import Scene, SynthSpec, _writer, build_scene, compute_truth
from hipdrop.synth.rig import pose_body
from hipdrop.synth.truth import Truth

RENDER_HINT = "pip install 'hipdrop[render]'"

#: An extra object drawn in every frame: centre (F, 3) scene-frame metres (one row a
#: frame), radius in metres, colour (display RGB in [0, 1]). Hip markers, for example.
Extra = tuple[np.ndarray, float, tuple[float, float, float]]


@dataclass(frozen=True)
class BlenderOptions:
    """How Cycles renders.

    samples : path-traced samples a pixel (adaptive sampling may stop earlier).
    denoise : OpenImageDenoise on the result (with albedo and normal guides).
    threads : CPU threads, 0 for all cores.
    view : Blender's view transform ("AgX" looks like a camera, "Standard" maps albedo
        straight to display values).
    key_w, fill_w : power of the key and fill area lights (W); world : ambient strength.
    crop : path-trace each frame only inside the box the body (and its shadows) covers in
        any frame of the clip, over a plate of the whole first frame rendered once with
        ``plate_samples``; outside that box nothing moves, so the picture is the same, at
        about half the cost.
    """

    samples: int = 2
    denoise: bool = True
    threads: int = 0
    view: str = "Standard"
    key_w: float = 210.0
    fill_w: float = 65.0
    world: float = 0.12
    crop: bool = True
    plate_samples: int = 16

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def import_bpy() -> Any:
    """The bpy module, or SynthUnavailable saying how to install it."""
    try:
        import bpy
    except ImportError as exc:
        raise SynthUnavailable(f"the Blender renderer needs bpy: {RENDER_HINT}") from exc
    return bpy


def camera_matrix(cam: Camera) -> np.ndarray:
    """(4, 4) Blender camera-to-world matrix for ``cam``: Blender's camera looks down its local
    -Z with +Y up, hipdrop's has x right, y down, z forward (rows of ``cam._axes``)."""
    right, down, fwd = cam._axes
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = right, -down, -fwd, cam.centre
    return m


def _look_at(bpy_obj: Any, target: np.ndarray) -> None:
    """Point ``bpy_obj``'s -Z axis (a light's or camera's direction) at ``target``."""
    from mathutils import Vector

    d = Vector(target.tolist()) - bpy_obj.location
    bpy_obj.rotation_euler = d.to_track_quat("-Z", "Y").to_euler()


def _arm_along(scene: Scene) -> np.ndarray:
    """(V,) metres along each vertex's upper arm from its shoulder (the side by the sign of
    x, as ``Painter.paint``); linear in the rest position, so interpolating it per shading
    point equals Painter's per-pixel computation."""
    p = scene.painter
    rest = p.rest.astype(np.float64)
    out = np.zeros(len(rest))
    for s, sign in (("L", 1.0), ("R", -1.0)):
        here = np.sign(rest[:, 0]) == sign
        out[here] = (rest[here] - p.shoulders[s]) @ p.arm_axis[s]
    return out


class BlenderStage:
    """The Blender scene of one clip: built once, then :meth:`frame` moves the body's
    vertices (and any extras) and path-traces one picture.

    silhouette : hide the room and render on a transparent film (tests read the body's alpha).
    region : (x0, y0, x1, y1) pixels, image rows down: with it, each frame is path-traced
        inside that box only and blended over a plate of the first frame (``options.crop``).
    """

    def __init__(self, scene: Scene, options: BlenderOptions, extras: Sequence[Extra] = (),
                 silhouette: bool = False, region: tuple[int, int, int, int] | None = None) -> None:
        from hipdrop.synth import blender_materials as bm

        bpy = import_bpy()
        self.bpy, self.scene, self.options = bpy, scene, options
        self.extras = list(extras)
        for centre, radius, _ in self.extras:
            if np.shape(centre) != (len(scene.times), 3) or not radius > 0:
                raise ValueError(f"an extra needs a centre of shape ({len(scene.times)}, 3) and a "
                                 f"radius > 0, got {np.shape(centre)} and {radius}")
        bpy.ops.wm.read_factory_settings(use_empty=True)
        sc = bpy.context.scene
        self._settings(sc, options, silhouette)
        cam = scene.camera
        self._camera(sc, cam)
        self.body = self._body(sc, bm)
        if not silhouette:
            self._room(sc, bm)
        self._lights(sc, options)
        self.extra_objs = []
        for k, (_, radius, rgb) in enumerate(self.extras):
            bpy.ops.mesh.primitive_uv_sphere_add(radius=radius, segments=24, ring_count=12)
            obj = bpy.context.object
            obj.name = f"extra{k}"
            bpy.ops.object.shade_smooth()
            obj.data.materials.append(bm.flat_material(bpy, f"extra{k}", rgb, 0.5, glow=0.6))
            self.extra_objs.append(obj)
        self.region = None if silhouette else region
        self.plate: np.ndarray | None = None
        self.tmp = Path(tempfile.mkdtemp(prefix="hipdrop-blender-"))

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _settings(self, sc: Any, o: BlenderOptions, silhouette: bool) -> None:
        cam = self.scene.camera
        r = sc.render
        r.engine = "CYCLES"
        r.resolution_x, r.resolution_y, r.resolution_percentage = cam.width, cam.height, 100
        r.pixel_aspect_x = r.pixel_aspect_y = 1.0
        r.film_transparent = silhouette
        r.use_persistent_data = True
        r.threads_mode = "FIXED" if o.threads else "AUTO"
        if o.threads:
            r.threads = o.threads
        # BMP carries no metadata (OpenCV warns about the PNG's duplicate eXIf chunk per frame);
        # the silhouette needs PNG's alpha.
        r.image_settings.file_format = "PNG" if silhouette else "BMP"
        r.image_settings.color_mode = "RGBA" if silhouette else "RGB"
        self.suffix = ".png" if silhouette else ".bmp"
        c = sc.cycles
        c.device = "CPU"
        c.samples = o.samples
        c.use_adaptive_sampling = True
        c.adaptive_threshold = 0.03
        c.use_denoising = o.denoise
        if o.denoise:
            c.denoiser = "OPENIMAGEDENOISE"
            c.denoising_input_passes = "RGB_ALBEDO_NORMAL"
            c.denoising_prefilter = "FAST"
        # A room lit by area lights needs few bounces; glossy caustics only add noise.
        c.max_bounces, c.diffuse_bounces, c.glossy_bounces = 4, 2, 1
        c.transmission_bounces, c.volume_bounces, c.transparent_max_bounces = 2, 0, 2
        c.caustics_reflective = c.caustics_refractive = False
        c.blur_glossy = 1.0
        sc.view_settings.view_transform = o.view
        sc.view_settings.look = "None"
        sc.display_settings.display_device = "sRGB"
        world = self.bpy.data.worlds.new("world")
        world.use_nodes = True
        bg = world.node_tree.nodes["Background"]
        bg.inputs["Color"].default_value = (0.55, 0.5, 0.45, 1.0)
        bg.inputs["Strength"].default_value = o.world
        sc.world = world

    def _camera(self, sc: Any, cam: Camera) -> None:
        from mathutils import Matrix

        data = self.bpy.data.cameras.new("camera")
        # focal_px = lens / sensor_width * width with the sensor fitted to the width; the
        # principal point is the image centre in both (no shift).
        data.sensor_fit = "HORIZONTAL"
        data.sensor_width = 36.0
        data.lens = cam.focal_px * data.sensor_width / cam.width
        data.clip_start, data.clip_end = 0.05, 100.0
        obj = self.bpy.data.objects.new("camera", data)
        sc.collection.objects.link(obj)
        obj.matrix_world = Matrix(camera_matrix(cam).tolist())
        sc.camera = obj

    def _body(self, sc: Any, bm: Any) -> Any:
        s = self.scene
        faces = s.body.faces
        mesh = self.bpy.data.meshes.new("body")
        mesh.from_pydata(s.body.rest.vertices.tolist(), [], faces.tolist())
        mesh.polygons.foreach_set("use_smooth", np.ones(len(faces), bool))
        painter = s.painter
        col = np.ones((len(painter.vertex_colour), 4), np.float32)
        col[:, :3] = bm.srgb_to_linear(painter.vertex_colour)
        mesh.color_attributes.new("base_col", "FLOAT_COLOR", "POINT").data.foreach_set("color", col.ravel())
        mesh.attributes.new("rest", "FLOAT_VECTOR", "POINT").data.foreach_set(
            "vector", painter.rest.astype(np.float32).ravel())
        mesh.attributes.new("arm_along", "FLOAT", "POINT").data.foreach_set(
            "value", _arm_along(s).astype(np.float32))
        zone = np.clip(painter.face_zone, 0, ZONE_ARM).astype(np.float32)
        mesh.attributes.new("zone", "FLOAT", "FACE").data.foreach_set("value", zone)
        mesh.materials.append(bm.body_material(self.bpy, painter))
        obj = self.bpy.data.objects.new("body", mesh)
        sc.collection.objects.link(obj)
        return obj

    def _room(self, sc: Any, bm: Any) -> None:
        room = self.scene.room
        wy = room.wall_y_m
        quads = {
            "floor": ([(-6, -7, 0), (6, -7, 0), (6, wy, 0), (-6, wy, 0)], "floor"),
            "wall": ([(-6, wy, 0), (6, wy, 0), (6, wy, 4), (-6, wy, 4)], "wall"),
        }
        seed = self.scene.spec.seed
        for name, (verts, surface) in quads.items():
            mesh = self.bpy.data.meshes.new(name)
            mesh.from_pydata(verts, [], [(0, 1, 2, 3)])
            mesh.materials.append(bm.room_material(self.bpy, room, surface, seed))
            sc.collection.objects.link(self.bpy.data.objects.new(name, mesh))
        # A skirting board where the wall meets the floor, as in the NumPy room.
        x0, x1, y0, y1, h = -6.0, 6.0, wy - 0.015, wy, 0.09
        box = [(x0, y0, 0), (x1, y0, 0), (x1, y1, 0), (x0, y1, 0),
               (x0, y0, h), (x1, y0, h), (x1, y1, h), (x0, y1, h)]
        sides = [(0, 1, 5, 4), (1, 2, 6, 5), (4, 5, 6, 7), (3, 0, 4, 7)]
        mesh = self.bpy.data.meshes.new("skirting")
        mesh.from_pydata(box, [], sides)
        mesh.materials.append(bm.flat_material(self.bpy, "skirting", (0.93, 0.92, 0.90), 0.35))
        sc.collection.objects.link(self.bpy.data.objects.new("skirting", mesh))

    def _lights(self, sc: Any, o: BlenderOptions) -> None:
        target = np.array([0.0, 0.0, 1.0])
        # Key: the NumPy renderer's key direction (front, above, toward the subject's right),
        # a soft box 1.2 m wide; fill: opposite side, lower and larger, cooler.
        lights = (
            ("key", target + 3.2 * KEY_LIGHT, o.key_w, 1.2, (1.0, 0.96, 0.9)),
            ("fill", target + np.array([1.9, -2.4, 0.3]), o.fill_w, 2.0, (0.9, 0.95, 1.0)),
        )
        for name, where, power, size, colour in lights:
            data = self.bpy.data.lights.new(name, "AREA")
            data.energy, data.size, data.color = power, size, colour
            obj = self.bpy.data.objects.new(name, data)
            obj.location = where.tolist()
            sc.collection.objects.link(obj)
            _look_at(obj, target)

    def frame(self, i: int, vertices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Render frame ``i`` with the body's posed ``vertices`` (V, 3, scene frame).

        Returns ((H, W, 3) uint8 BGR, (H, W) float32 alpha in [0, 1]: 1 everywhere unless
        the stage renders silhouettes).
        """
        s = self.scene
        normals = vertex_normals(vertices, s.body.faces)
        skin = vertices + s.painter.inflation[:, None] * normals  # hair volume, a loose top
        mesh = self.body.data
        mesh.vertices.foreach_set("co", skin.astype(np.float32).ravel())
        mesh.update()
        for obj, (centre, _, _) in zip(self.extra_objs, self.extras, strict=True):
            obj.location = np.asarray(centre[i], float).tolist()
        sc = self.bpy.context.scene
        sc.cycles.seed = int(i)  # the sensor noise changes from frame to frame, reproducibly
        if self.region is None:
            return self._render(sc, None, self.options.samples)
        if self.plate is None:
            self.plate = self._render(sc, None, self.options.plate_samples)[0].astype(np.float32)
        img, alpha = self._render(sc, self.region, self.options.samples)
        w = _feather(self.region, img.shape[:2])[..., None]
        out = self.plate * (1.0 - w) + img.astype(np.float32) * w
        return np.clip(out + 0.5, 0, 255).astype(np.uint8), alpha

    def _render(self, sc: Any, region: tuple[int, int, int, int] | None,
                samples: int) -> tuple[np.ndarray, np.ndarray]:
        """Path-trace the current scene (inside ``region`` only, if given; black outside)."""
        r = sc.render
        r.use_border = region is not None
        if region is not None:
            x0, y0, x1, y1 = region
            w, h = r.resolution_x, r.resolution_y
            r.use_crop_to_border = False
            # Blender's border is a fraction of the image with y up.
            r.border_min_x, r.border_max_x = x0 / w, x1 / w
            r.border_min_y, r.border_max_y = 1.0 - y1 / h, 1.0 - y0 / h
        sc.cycles.samples = samples
        path = self.tmp / f"frame{self.suffix}"
        r.filepath = str(path)
        with _quiet_stdout():  # Cycles prints dozens of progress lines a frame
            self.bpy.ops.render.render(write_still=True)
        img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if img is None:
            raise SynthUnavailable("Blender wrote no frame")
        if img.shape[2] == 4:
            return np.ascontiguousarray(img[..., :3]), img[..., 3].astype(np.float32) / 255.0
        return img, np.ones(img.shape[:2], np.float32)


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Send file descriptor 1 to /dev/null (Blender writes to it from C, past sys.stdout)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


#: Width (px) of the blend from a cropped frame into the plate.
FEATHER_PX = 12


def _feather(region: tuple[int, int, int, int], shape: tuple[int, int]) -> np.ndarray:
    """(H, W) float32 weight of the cropped render: 1 inside ``region`` shrunk by
    FEATHER_PX, falling linearly to 0 two pixels inside its edge (Blender may round the
    border by a pixel)."""
    x0, y0, x1, y1 = region
    h, w = shape
    x, y = np.arange(w) + 0.5, np.arange(h) + 0.5
    wx = np.clip(np.minimum(x - x0 - 2, x1 - 2 - x) / FEATHER_PX, 0.0, 1.0)
    wy = np.clip(np.minimum(y - y0 - 2, y1 - 2 - y) / FEATHER_PX, 0.0, 1.0)
    return (wy[:, None] * wx[None, :]).astype(np.float32)


def body_region(cam: Camera, vertices: np.ndarray, margin_m: float = 0.12, below_m: float = 0.25,
                top_m: float = 0.08) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) pixels covering the body's vertices (F, V, 3) in every frame, plus
    ``margin_m`` at the sides, ``below_m`` under the feet (their contact shadows) and
    ``top_m`` above the head, clipped to the image; None when that is nearly the whole frame
    (cropping would not pay). The soft far shadows outside it barely move in a stance test."""
    xy, z = cam.project(vertices.reshape(-1, 3))
    px_per_m = cam.focal_px / float(np.median(z))
    x0 = int(max(np.floor(xy[:, 0].min() - margin_m * px_per_m), 0))
    x1 = int(min(np.ceil(xy[:, 0].max() + margin_m * px_per_m), cam.width))
    y0 = int(max(np.floor(xy[:, 1].min() - top_m * px_per_m), 0))
    y1 = int(min(np.ceil(xy[:, 1].max() + below_m * px_per_m), cam.height))
    if (x1 - x0) * (y1 - y0) > 0.85 * cam.width * cam.height:
        return None
    return x0, y0, x1, y1


def iter_blender_frames(
    spec: SynthSpec,
    extras: Sequence[Extra] = (),
    options: BlenderOptions | None = None,
    silhouette: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ((H, W, 3) uint8 BGR, (H, W) float32 alpha) per frame of ``spec``, posed exactly
    as :func:`hipdrop.synth.render.iter_frames` poses it."""
    options = options or BlenderOptions()
    scene = build_scene(spec)
    poses = scene.script.timeline.poses(scene.times)
    posed = [pose_body(scene.body, p).vertices for p in poses]  # 17 ms a frame
    points = np.stack(posed)
    if extras:  # markers off the skin still fall inside the box
        centres = np.stack([np.asarray(c, float) for c, _, _ in extras], axis=1)  # (F, E, 3)
        points = np.concatenate([points, centres], axis=1)
    region = body_region(scene.camera, points) if options.crop else None
    stage = BlenderStage(scene, options, extras, silhouette, region)
    try:
        for i, vertices in enumerate(posed):
            yield stage.frame(i, vertices)
    finally:
        stage.close()


def render_blender(
    spec: SynthSpec,
    out_dir: Path,
    name: str | None = None,
    extras: Sequence[Extra] = (),
    options: BlenderOptions | None = None,
    codec: str = "auto",
    progress: bool = False,
) -> Truth:
    """Render ``spec`` with Blender to ``out_dir/<name>.mp4`` and ``<name>.json`` (the truth
    the NumPy renderer writes for the same spec, plus ``params.renderer``). Both files are
    written under temporary names and renamed when complete; returns the truth."""
    options = options or BlenderOptions()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = name or f"{spec.scenario.name}_seed{spec.seed}_blender"
    video, tmp_video = out_dir / f"{stem}.mp4", out_dir / f".{stem}.tmp.mp4"
    truth = compute_truth(spec)
    tmp_video.unlink(missing_ok=True)  # left by a killed run
    writer, used = None, ""
    frames: Iterator[tuple[np.ndarray, np.ndarray]] = iter_blender_frames(spec, extras, options)
    if progress:
        from tqdm import tqdm

        frames = tqdm(frames, total=truth.frames, desc=f"blender {stem}", unit="frame")
    try:
        for frame, _ in frames:
            if writer is None:
                writer, used = _writer(tmp_video, spec.fps, (frame.shape[1], frame.shape[0]), codec)
            writer.write(frame)
    except BaseException:
        if writer is not None:
            writer.release()
        tmp_video.unlink(missing_ok=True)
        raise
    assert writer is not None
    writer.release()
    os.replace(tmp_video, video)
    bpy = import_bpy()
    truth.params["renderer"] = {"name": "blender-cycles", "bpy": bpy.app.version_string,
                                **options.as_dict(), "extras": len(extras)}
    truth.files = {"video": video.name, "codec": used}
    tmp_json = out_dir / f".{stem}.tmp.json"
    truth.write(tmp_json)
    os.replace(tmp_json, out_dir / f"{stem}.json")
    return truth
