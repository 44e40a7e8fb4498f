"""The one container for landmark series, and the .npz file of DESIGN.md.

A series is MediaPipe Pose's 33 landmarks over T frames: image landmarks in pixels, world landmarks
in metres, NaN where no pose was found. Nothing here knows about MediaPipe's own types
(see :mod:`hipdrop.io.pose`).
"""

from __future__ import annotations

import math
import tokenize
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from hipdrop.errors import LandmarksFormatError
from hipdrop.io.outputs import write_file

N_LANDMARKS = 33
# A frame's waist row when no line was found: obliquity, confidence, height.
NO_WAIST_ROW = np.array([np.nan, 0.0, np.nan], np.float32)
# A frame's markers row when none were found: xL, yL, xR, yR, confidence.
NO_MARKER_ROW = np.array([np.nan, np.nan, np.nan, np.nan, 0.0], np.float32)
# A frame's silhouette row when none was read: pelvis x, crotch x, feet x, breadth (px).
NO_SILHOUETTE_ROW = np.full(4, np.nan, np.float32)

# Frame rates a real recording can have, from a time-lapse to a high-speed camera. Outside them
# a container's claim is not believed and a landmarks file is refused: the smoothing's cost
# grows with the frame rate.
MIN_FPS, MAX_FPS = 0.1, 10_000.0
# The longest series a landmarks file may declare (18.5 h at 30 fps, ~1.9 GB in memory): a
# file's claim is checked against this before anything is inflated.
MAX_FRAMES = 2_000_000
MAX_SIZE_PX = 100_000
# A file that inflates to more than this must not inflate more than MAX_RATIO times its
# compressed size: a zip bomb (or a recording of hours with nobody in it) is refused before it
# takes gigabytes, while any file of up to ~2.5 h at 30 fps loads whatever it holds.
FREE_INFLATE_BYTES = 256 << 20
MAX_RATIO = 100

# MediaPipe Pose indices used by hipdrop; left/right are the person's anatomical sides.
L_SHOULDER, R_SHOULDER = 11, 12
L_HIP, R_HIP = 23, 24
L_KNEE, R_KNEE = 25, 26
L_ANKLE, R_ANKLE = 27, 28
L_HEEL, R_HEEL = 29, 30
L_FOOT, R_FOOT = 31, 32

# Each landmark's anatomical twin (a landmark of the midline is its own twin), for mirroring.
MIRROR = np.array(
    [0, 4, 5, 6, 1, 2, 3, 8, 7, 10, 9]
    + [i + 1 if i % 2 == 1 else i - 1 for i in range(11, 33)],
    dtype=np.intp,
)

# Bones drawn by the overlay: (from, to) pairs of landmark indices.
SKELETON = (
    (11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24),
    (23, 25), (25, 27), (27, 29), (29, 31), (27, 31), (24, 26), (26, 28), (28, 30), (30, 32), (28, 32),
)  # fmt: skip


@dataclass
class LandmarkSeries:
    """Landmarks of one person over time.

    Attributes
    ----------
    image : (T, 33, 4) float32 ndarray
        x px, y px, z (MediaPipe's relative depth), visibility; NaN rows where no pose.
    world : (T, 33, 3) float32 ndarray
        World landmarks in metres (origin between the hips, y down); NaN where none.
    t : (T,) float64 ndarray
        Seconds from the first frame, increasing.
    width, height : int
        Frame size in pixels.
    fps : float
        Nominal frame rate of the source.
    model : str
        Name of the pose model that produced the landmarks.
    waist : (T, 3) float32 ndarray or None
        The waist-line image cue of each frame (:mod:`hipdrop.vision.cues`): obliquity in degrees,
        confidence in [0, 1] and the line's height above the mid-hip point in hip separations;
        NaN, 0, NaN where not measured (a file of hipdrop 0.1 has the first two only). Saved as
        ``waist`` in the .npz, a hipdrop addition to DESIGN.md's file; a file without it loads
        with no cue.
    markers : (T, 5) float32 ndarray or None
        The pelvis markers of each frame (:mod:`hipdrop.vision.markers`): xL, yL, xR, yR px of the
        person's left and right marker and the pair's confidence in [0, 1]; NaN, 0 where none
        was found. Saved as ``markers`` (a hipdrop addition); a file without it has none.
    silhouette : (T, 4) float32 ndarray or None
        The silhouette cue of each frame (:mod:`hipdrop.vision.silhouette`): the pelvis centre
        x, the crotch apex x, the feet centre x and the silhouette's breadth at the pelvis, px;
        NaN where not read. Saved as ``silhouette`` (a hipdrop addition); a file without it
        has none (NaN).
    """

    image: np.ndarray
    world: np.ndarray
    t: np.ndarray
    width: int
    height: int
    fps: float
    model: str = "unknown"
    # None on construction means "no such cue"; __post_init__ replaces it with NaN rows, so
    # every reader sees an array.
    waist: np.ndarray | None = None
    markers: np.ndarray | None = None
    silhouette: np.ndarray | None = None

    def __post_init__(self) -> None:
        with np.errstate(over="ignore"):  # float64 beyond float32 becomes inf: refused below
            self.image = np.asarray(self.image, dtype=np.float32)
            self.world = np.asarray(self.world, dtype=np.float32)
        self.t = np.asarray(self.t, dtype=np.float64)
        if self.t.ndim != 1:
            raise LandmarksFormatError(f"timestamps t have shape {self.t.shape}, expected (T,)")
        n = len(self.t)
        if self.image.shape != (n, N_LANDMARKS, 4):
            raise LandmarksFormatError(
                f"image landmarks have shape {self.image.shape}, expected ({n}, 33, 4)"
            )
        if self.world.shape != (n, N_LANDMARKS, 3):
            raise LandmarksFormatError(
                f"world landmarks have shape {self.world.shape}, expected ({n}, 33, 3)"
            )
        if self.waist is None:
            self.waist = np.tile(NO_WAIST_ROW, (n, 1))
        with np.errstate(over="ignore"):
            self.waist = np.asarray(self.waist, dtype=np.float32)
        if self.waist.ndim == 2 and self.waist.shape == (n, 2):  # before the line's height
            self.waist = np.concatenate([self.waist, np.full((n, 1), np.nan, np.float32)], 1)
        if self.waist.shape != (n, 3):
            raise LandmarksFormatError(f"waist cue has shape {self.waist.shape}, expected ({n}, 3)")
        if self.markers is None:
            self.markers = np.tile(NO_MARKER_ROW, (n, 1))
        self.markers = np.asarray(self.markers, dtype=np.float32)
        if self.markers.shape != (n, 5):
            raise LandmarksFormatError(
                f"markers have shape {self.markers.shape}, expected ({n}, 5)")
        if self.silhouette is None:
            self.silhouette = np.tile(NO_SILHOUETTE_ROW, (n, 1))
        with np.errstate(over="ignore"):
            self.silhouette = np.asarray(self.silhouette, dtype=np.float32)
        if self.silhouette.shape != (n, 4):
            raise LandmarksFormatError(
                f"silhouette cue has shape {self.silhouette.shape}, expected ({n}, 4)")
        if n > 1 and not np.all(np.diff(self.t) > 0):
            raise LandmarksFormatError("timestamps t must be a 1-D increasing series")
        if not (0 < self.width <= MAX_SIZE_PX and 0 < self.height <= MAX_SIZE_PX
                and np.isfinite(self.fps) and MIN_FPS <= self.fps <= MAX_FPS):
            raise LandmarksFormatError(
                f"invalid frame size or rate: {self.width}x{self.height} at {self.fps} fps "
                f"(frame rates from {MIN_FPS:g} to {MAX_FPS:g} fps)"
            )
        if n and not np.isfinite(self.t).all():
            raise LandmarksFormatError("timestamps t must be finite")
        if (np.isinf(self.image).any() or np.isinf(self.world).any() or np.isinf(self.waist).any()
                or np.isinf(self.markers).any() or np.isinf(self.silhouette).any()):
            raise LandmarksFormatError("landmarks must be finite numbers or NaN (no pose)")
        self.width, self.height, self.fps = int(self.width), int(self.height), float(self.fps)

    def __len__(self) -> int:
        return len(self.t)

    @property
    def has_pose(self) -> np.ndarray:
        """(T,) bool: a pose was found in the frame."""
        return np.isfinite(self.image[:, :, 0]).any(axis=1)

    @property
    def duration_s(self) -> float:
        return float(self.t[-1] - self.t[0]) if len(self) else 0.0

    def mirrored(self) -> LandmarkSeries:
        """The series the same scene seen in a mirror gives: x -> width - x, sides swapped.

        The mirror image of a person standing on the right leg is a person standing on the left
        leg: the pose model reads sides from anatomy, so what was landmark 23 (left hip) comes
        back as landmark 24 (right hip) at the mirrored position.
        """
        assert self.waist is not None and self.markers is not None  # set by __post_init__
        assert self.silhouette is not None
        image = self.image.copy()
        image[..., 0] = self.width - image[..., 0]
        world = self.world.copy()
        world[..., 0] = -world[..., 0]
        waist = self.waist.copy()
        waist[:, 0] *= -1.0  # the mirror image of a tilted line tilts the other way
        # The person's left marker is seen where their right one was, and the other way.
        markers = self.markers[:, [2, 3, 0, 1, 4]].copy()
        markers[:, [0, 2]] = self.width - markers[:, [0, 2]]
        silhouette = self.silhouette.copy()  # three x positions, and a breadth
        silhouette[:, :3] = self.width - silhouette[:, :3]
        return LandmarkSeries(image[:, MIRROR], world[:, MIRROR], self.t.copy(), self.width,
                              self.height, self.fps, self.model, waist, markers, silhouette)

    def save(self, path: Path) -> None:
        """Write DESIGN.md's landmarks .npz (members stored, not deflated)."""
        # Landmark coordinates are noisy float32: deflating them saves ~9% of the size (an hour
        # at 30 fps: 92 instead of 101 MB) for ~20 s of compression writing it and 0.6 s of
        # inflation each time it is read. Compressed files of earlier versions still load.
        # Through hipdrop.io.outputs: complete or absent, whatever interrupts the writing.
        waist, markers, silhouette = self.waist, self.markers, self.silhouette
        assert waist is not None and markers is not None and silhouette is not None  # __post_init__
        write_file(path, lambda fh: np.savez(
            fh, image=self.image, world=self.world, t=self.t, width=np.int32(self.width),
            height=np.int32(self.height), fps=np.float64(self.fps), model=np.str_(self.model),
            waist=waist, markers=markers, silhouette=silhouette,
        ))

    @classmethod
    def load(cls, path: Path) -> LandmarkSeries:
        """Read a landmarks .npz; raise LandmarksFormatError when it is not one.

        Every member's header (shape, dtype) is checked against the frame count before any
        array is inflated, so a damaged or hostile file costs no more memory than its frames.
        """
        try:
            _check_members(path)
            data = _read_members(path)
            model = str(data["model"]) if "model" in data else "unknown"
            try:
                return cls(data["image"], data["world"], data["t"], int(data["width"]),
                           int(data["height"]), float(data["fps"]), model, data.get("waist"),
                           data.get("markers"), data.get("silhouette"))
            except LandmarksFormatError as exc:
                raise LandmarksFormatError(f"{path}: {exc}") from None
        except (OSError, ValueError, TypeError, OverflowError, zipfile.BadZipFile, EOFError,
                zlib.error, NotImplementedError, SyntaxError, tokenize.TokenError) as exc:
            # SyntaxError, TokenError: a .npy header whose brackets do not match (NumPy parses
            # it as Python, then retries with the tokenizer, which raises that).
            # TypeError: a field of the wrong kind (an array where a scalar belongs, a 0-d t).
            raise LandmarksFormatError(f"{path} is not a readable landmarks .npz ({exc})") from None


# name: (shape with None for the frame count, dtype kinds accepted); scalars have shape ().
_MEMBERS: dict[str, tuple[tuple[int | None, ...], str]] = {
    "image": ((None, N_LANDMARKS, 4), "f"), "world": ((None, N_LANDMARKS, 3), "f"),
    "t": ((None,), "fiu"), "width": ((), "iu"), "height": ((), "iu"), "fps": ((), "fiu"),
    "model": ((), "US"), "waist": ((None, 3), "f"), "markers": ((None, 5), "f"),
    "silhouette": ((None, 4), "f"),
}
_REQUIRED = ("image", "world", "t", "width", "height", "fps")


def _read_header(fh: IO[bytes]) -> tuple[tuple[int, ...], np.dtype, int, bool]:
    """(shape, dtype, header length, Fortran order) of the .npy stream ``fh`` (from its
    current position), reading only its header."""
    fmt = np.lib.format
    start = fh.tell()
    version = fmt.read_magic(fh)
    if version == (1, 0):
        shape, fortran, dtype = fmt.read_array_header_1_0(fh)
    elif version == (2, 0):
        shape, fortran, dtype = fmt.read_array_header_2_0(fh)
    else:
        raise ValueError(f"unsupported .npy version {version}")
    return tuple(shape), dtype, fh.tell() - start, bool(fortran)


def _read_stored(fh: IO[bytes], info: zipfile.ZipInfo, path: Path) -> np.ndarray:
    """The array of the stored (not deflated) .npy member ``info``, read straight into its
    buffer from the open .npz ``fh``, its CRC checked as zipfile checks it."""
    fh.seek(info.header_offset)
    local = fh.read(30)
    if len(local) != 30 or local[:4] != b"PK\x03\x04":
        raise LandmarksFormatError(f"{path}: member {info.filename} is damaged (no local header)")
    start = info.header_offset + 30 + int.from_bytes(local[26:28], "little") + int.from_bytes(
        local[28:30], "little")
    fh.seek(start)
    shape, dtype, header_len, fortran = _read_header(fh)
    fh.seek(start)
    header = fh.read(header_len)
    count = math.prod(shape)
    array = np.fromfile(fh, dtype=dtype, count=count)
    if array.size != count:
        raise LandmarksFormatError(f"{path}: member {info.filename} is truncated")
    if zlib.crc32(array.tobytes() if not array.flags.c_contiguous else memoryview(array).cast("B"),  # type: ignore[arg-type]
                  zlib.crc32(header)) != info.CRC:
        raise LandmarksFormatError(f"{path}: member {info.filename} is damaged (CRC mismatch)")
    return array.reshape(shape, order="F" if fortran else "C")


def _read_members(path: Path) -> dict[str, np.ndarray]:
    """DESIGN.md's members of the .npz at ``path`` (checked by :func:`_check_members`), by
    name. Stored members are read straight into their arrays: through zipfile, np.load copies
    them in 256 KB pieces, ~0.3 s for an hour's 101 MB; deflated ones (files of hipdrop before
    0.3, or written by anything else) go through np.load."""
    out: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        # As np.load looks a name up: the member of that very name, else name.npy.
        infos = {k: zf.getinfo(k if k in names else f"{k}.npy") for k in _MEMBERS
                 if k in names or f"{k}.npy" in names}
    stored = {k: i for k, i in infos.items()
              if i.compress_type == zipfile.ZIP_STORED and not i.flag_bits & 1}
    with open(path, "rb") as fh:
        for name, info in stored.items():
            out[name] = _read_stored(fh, info, path)
    rest = [k for k in infos if k not in out]
    if rest:
        with np.load(path, allow_pickle=False) as data:
            for name in rest:
                out[name] = data[name]
    return out


def _check_members(path: Path) -> None:
    """Raise LandmarksFormatError unless the members of the .npz at ``path`` have the shapes,
    dtypes and sizes of DESIGN.md's layout, for at most MAX_FRAMES frames."""
    headers: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
    with zipfile.ZipFile(path) as zf:
        infos = [i for i in zf.infolist() if i.filename.removesuffix(".npy") in _MEMBERS]
        inflated = sum(i.file_size for i in infos)
        packed = sum(i.compress_size for i in infos)
        if inflated > FREE_INFLATE_BYTES and inflated > MAX_RATIO * max(packed, 1):
            raise LandmarksFormatError(
                f"{path} would inflate {inflated / max(packed, 1):.0f} times, to "
                f"{inflated / 1e9:.1f} GB: a zip bomb, or hours of frames with no pose in them")
        for info in infos:
            name = info.filename.removesuffix(".npy")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise LandmarksFormatError(f"{path}: member {name} has an unexpected compression")
            with zf.open(info) as fh:
                shape, dtype, header, _ = _read_header(fh)
            limit = 4096 if dtype.kind in "US" else 8  # a model name; a number
            if dtype.hasobject or dtype.kind not in _MEMBERS[name][1] or dtype.itemsize > limit:
                raise LandmarksFormatError(f"{path}: {name} has dtype {dtype}, not a number")
            if header + math.prod(shape) * dtype.itemsize != info.file_size:
                raise LandmarksFormatError(f"{path}: member {name} is damaged (its size does "
                                           "not match its header)")
            headers[name] = (shape, dtype)
    missing = [k for k in _REQUIRED if k not in headers]
    if missing:
        raise LandmarksFormatError(
            f"{path} is not a hipdrop landmarks file: missing {', '.join(sorted(missing))}")
    t_shape = headers["t"][0]
    if len(t_shape) != 1:
        raise LandmarksFormatError(f"{path}: timestamps t have shape {t_shape}, expected (T,)")
    n = t_shape[0]
    if n > MAX_FRAMES:
        raise LandmarksFormatError(f"{path}: {n} frames declared, more than hipdrop reads "
                                   f"({MAX_FRAMES})")
    labels = {"image": "image landmarks", "world": "world landmarks", "waist": "waist cue"}
    for name, (shape, _) in headers.items():
        want = tuple(n if d is None else d for d in _MEMBERS[name][0])
        if name == "waist" and shape == (n, 2):
            continue  # a file of hipdrop 0.1: the waist line without its height
        if shape != want:
            what = labels.get(name, name)
            raise LandmarksFormatError(f"{path}: {what} have shape {shape}, expected {want}")


class SeriesRecorder:
    """Collects one frame at a time into a :class:`LandmarkSeries` without reallocating per frame.

    A frame is kept as given until the arrays are read (:meth:`series`), or ``_FLUSH`` frames
    have come, and then written in with the frames since, a column at a time: the live loop
    appends a frame after every inference, when the CPU's caches are cold, and there each of
    the six NumPy assignments of a frame cost ~5 us (half the recorder's cost in the loop).
    """

    _FLUSH = 256  # frames kept before they are written (their arrays are kept alive until then)

    def __init__(self, width: int, height: int, fps: float, model: str, capacity: int = 1024) -> None:
        self.width, self.height, self.fps, self.model = width, height, fps, model
        self._image = np.full((capacity, N_LANDMARKS, 4), np.nan, np.float32)
        self._world = np.full((capacity, N_LANDMARKS, 3), np.nan, np.float32)
        self._t = np.zeros(capacity, np.float64)
        self._waist = np.tile(NO_WAIST_ROW, (capacity, 1))
        self._markers = np.tile(NO_MARKER_ROW, (capacity, 1))
        self._silhouette = np.tile(NO_SILHOUETTE_ROW, (capacity, 1))
        self._n = 0  # frames written into the arrays
        self._pending: list[tuple] = []  # (image, world, t, waist, markers, silhouette) since

    def __len__(self) -> int:
        return self._n + len(self._pending)

    def append(self, image: np.ndarray | None, world: np.ndarray | None, t: float,
               waist: tuple[float, ...] | None = None,
               markers: tuple[float, float, float, float, float] | None = None,
               silhouette: tuple[float, float, float, float] | None = None) -> None:
        """Add a frame: image (33, 4) px, world (33, 3) m, or None for no pose; t in s;
        ``waist`` the frame's (obliquity deg, confidence, height) image cue, ``markers`` its
        (xL, yL, xR, yR, confidence) pelvis markers, ``silhouette`` its (pelvis x, crotch x,
        feet x, breadth) px silhouette cue, if measured. The arrays and rows are kept until
        they are written in (at most ``_FLUSH`` frames): do not change them."""
        self._pending.append((image, world, t, waist, markers, silhouette))
        if len(self._pending) >= self._FLUSH:
            self._flush()

    def _flush(self) -> None:
        """Write the frames kept into the arrays: the same values as one assignment a frame
        (each cast to the column's dtype once, rounding to nearest either way)."""
        pending, n = self._pending, self._n
        if not pending:
            return
        stop = n + len(pending)
        while stop > len(self._t):
            grow = len(self._t)
            self._image = np.concatenate([self._image, np.full_like(self._image[:grow], np.nan)])
            self._world = np.concatenate([self._world, np.full_like(self._world[:grow], np.nan)])
            self._t = np.concatenate([self._t, np.zeros(grow)])
            self._waist = np.concatenate([self._waist, np.tile(NO_WAIST_ROW, (grow, 1))])
            self._markers = np.concatenate([self._markers, np.tile(NO_MARKER_ROW, (grow, 1))])
            self._silhouette = np.concatenate([self._silhouette,
                                               np.tile(NO_SILHOUETTE_ROW, (grow, 1))])
        self._t[n:stop] = [p[2] for p in pending]
        for k, column in ((0, self._image), (1, self._world), (3, self._waist),
                          (4, self._markers), (5, self._silhouette)):
            given = [(n + j, p[k]) for j, p in enumerate(pending) if p[k] is not None]
            if k == 3:  # a waist row without its height (older cues): its values on their own
                for i, row in given:
                    if len(row) != column.shape[1]:
                        column[i, :len(row)] = row
                given = [(i, row) for i, row in given if len(row) == column.shape[1]]
            if given:
                at, values = zip(*given, strict=True)
                column[list(at)] = np.array(values)
        self._n, self._pending = stop, []

    def series(self, fps: float | None = None) -> LandmarkSeries:
        """The frames so far, with t relative to the first frame; ``fps`` replaces the nominal
        rate (the mean rate of a video's timestamps)."""
        self._flush()
        n = self._n
        t = self._t[:n] - (self._t[0] if n else 0.0)
        return LandmarkSeries(self._image[:n].copy(), self._world[:n].copy(), t, self.width,
                              self.height, self.fps if fps is None else fps, self.model,
                              self._waist[:n].copy(), self._markers[:n].copy(),
                              self._silhouette[:n].copy())
