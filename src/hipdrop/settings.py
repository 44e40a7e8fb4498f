"""Every threshold hipdrop uses, in one typed dataclass whose defaults are the single source of truth.

A settings file (TOML, flat keys named as the fields) and command-line flags are merged into a new
object once, by :func:`load_settings` and :meth:`Settings.replace`.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hipdrop.errors import SettingsError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


def _f(default: float, help: str, lo: float, hi: float) -> Any:
    # Every setting has a physically meaningful range: it also bounds the work it causes
    # (a smoothing of 1e9 s, a window of a year).
    return field(default=default, metadata={"help": help, "range": (lo, hi)})


@dataclass(frozen=True)
class Settings:
    """Thresholds and time constants. Angles in degrees, times in seconds."""

    # Stance (DESIGN.md: stance side).
    lift_fraction: float = _f(
        0.06, "a foot is lifted when higher than the other by this fraction of leg length", 0.0, 1.0)
    min_stance_s: float = _f(0.5, "shortest single-leg stance phase, s", 0.0, 60.0)
    max_stance_knee_deg: float = _f(
        45.0, "a standing knee bent beyond this is a squat on both feet, not a stance, deg",
        0.0, 180.0)
    max_trunk_deg: float = _f(30.0, "upright: trunk within this angle of vertical, deg", 0.0, 90.0)
    # Pelvic drop (DESIGN.md: baseline, CPD, peak drop).
    drop_threshold_deg: float = _f(
        4.0, "a phase is significant when its peak drop reaches this, deg", 0.0, 45.0)
    peak_window_s: float = _f(0.5, "peak drop = max of CPD's moving median over this window, s", 0.0, 10.0)
    lean_threshold_deg: float = _f(
        6.0, "extra trunk lean toward the stance side reported as compensation from this, deg",
        0.0, 90.0)
    hold_target_s: float = _f(30.0, "clinical single-leg hold; shorter phases are reported as short holds, s",
                             0.0, 600.0)
    min_hold_s: float = _f(1.0, "a stance held less than this is too short for a finding, s", 0.0, 600.0)
    max_plausible_drop_deg: float = _f(
        20.0, "a held obliquity change beyond this is a tracking failure, not a result, deg", 1.0, 90.0)
    max_noise_deg: float = _f(
        3.0, "frame-to-frame scatter of the pelvis reading beyond which a phase moved too much, deg",
        0.0, 90.0)
    # Reps (DESIGN.md: rep).
    rep_up_deg: float = _f(16.0, "abduction above this starts a rep, deg", 0.0, 90.0)
    rep_down_deg: float = _f(8.0, "abduction below this ends a rep, deg", -90.0, 90.0)
    min_rep_s: float = _f(0.3, "shortest rep, s", 0.0, 60.0)
    # The hip bump drill (hipdrop.core.bump): off unless asked, as a stance test's weight
    # shift onto the stance leg would read as a bump.
    hip_bump: float = _f(0.0, "1: count hip bumps against a wall (the standing drill), 0: off", 0.0, 1.0)
    # Signal conditioning.
    min_visibility: float = _f(0.5, "landmarks below this visibility count as not seen", 0.0, 1.0)
    max_gap_s: float = _f(0.3, "NaN gaps up to this long are bridged, longer ones stay NaN, s", 0.0, 10.0)
    smooth_sigma_s: float = _f(0.08, "offline zero-phase Gaussian smoothing of landmarks, s", 0.0, 5.0)
    angle_sigma_s: float = _f(0.15, "extra offline smoothing of the obliquity and lean series, s", 0.0, 5.0)
    one_euro_min_cutoff_hz: float = _f(1.5, "live One Euro filter: cutoff at rest, Hz", 1e-3, 100.0)
    one_euro_beta: float = _f(0.02, "live One Euro filter: speed coefficient, 1/px", 0.0, 10.0)
    one_euro_d_cutoff_hz: float = _f(1.0, "live One Euro filter: derivative cutoff, Hz", 1e-3, 100.0)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            lo, hi = f.metadata["range"]
            if (not isinstance(value, (int, float)) or isinstance(value, bool)
                    or not math.isfinite(value) or not lo <= value <= hi):
                raise SettingsError(f"setting {f.name} = {value!r} is not a number in [{lo}, {hi}]")
        if self.rep_down_deg >= self.rep_up_deg:
            raise SettingsError(
                f"rep_down_deg ({self.rep_down_deg}) must be below rep_up_deg ({self.rep_up_deg})"
            )

    def replace(self, **changes: Any) -> Settings:
        """A new Settings with ``changes`` applied; unknown names raise SettingsError."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise SettingsError(f"unknown setting(s): {', '.join(unknown)}")
        return dataclasses.replace(self, **{k: _number(k, v) for k, v in changes.items()})

    def as_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)


def setting_fields() -> list[dataclasses.Field]:
    """The fields of :class:`Settings`, for building command-line flags from them."""
    return list(dataclasses.fields(Settings))


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SettingsError(f"setting {name} = {value!r} is not a number")
    try:
        return float(value)
    except OverflowError:  # an integer of hundreds of digits
        raise SettingsError(f"setting {name} = {str(value)[:20]}... is far too large") from None


MAX_SETTINGS_BYTES = 1 << 20  # a settings file is a few lines; more is not one


def read_settings_file(path: Path) -> dict[str, Any]:
    """The settings in the TOML file at ``path``: flat keys, or a ``[hipdrop]`` table.

    The file is checked with ``stat`` before it is opened (a FIFO or a device would block or
    never end), read with or without a UTF-8 byte-order mark, and must be one of the two
    layouts: flat keys beside a ``[hipdrop]`` table would leave one of them silently unused.
    """
    from hipdrop.errors import InputError
    from hipdrop.io.inputs import check_regular_file

    path = Path(path)
    try:
        st = check_regular_file(path, "settings file")
        if st.st_size > MAX_SETTINGS_BYTES:
            raise SettingsError(f"settings file {path} is {st.st_size} bytes: not a settings file")
        with open(path, "rb") as fh:
            raw = fh.read(MAX_SETTINGS_BYTES + 1)
    except InputError as exc:
        if str(exc).startswith("no such file"):
            raise SettingsError(f"settings file not found: {path}") from None
        raise SettingsError(f"settings file {exc}") from None
    except OSError as exc:
        raise SettingsError(f"settings file {path} cannot be read ({exc.strerror})") from None
    try:
        values = tomllib.loads(raw.decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        one_line = " ".join(str(exc).split())
        raise SettingsError(f"settings file {path} is not valid TOML: {one_line}") from None
    if "hipdrop" in values:
        table = values["hipdrop"]
        if not isinstance(table, dict):
            raise SettingsError(f"settings file {path}: hipdrop must be a [hipdrop] table")
        names = {f.name for f in dataclasses.fields(Settings)}
        flat = sorted(k for k in values if k in names)
        if flat:
            raise SettingsError(f"settings file {path} has {', '.join(flat)} outside its "
                                "[hipdrop] table: put every setting in the table, or none")
        values = table  # a shared config file: the other tables belong to other tools
    bad = [k for k, v in values.items() if not isinstance(v, (int, float)) or isinstance(v, bool)]
    if bad:
        raise SettingsError(f"settings file {path}: {', '.join(bad)} must be numbers")
    return values


def load_settings(path: Path | None = None, **overrides: float | None) -> Settings:
    """Defaults, then the TOML file at ``path``, then the non-None ``overrides``."""
    values: dict[str, Any] = {}
    if path is not None:
        values.update(read_settings_file(path))
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings().replace(**values)
