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


def _f(default: float, help: str, lo: float = 0.0, hi: float = math.inf) -> Any:
    return field(default=default, metadata={"help": help, "range": (lo, hi)})


@dataclass(frozen=True)
class Settings:
    """Thresholds and time constants. Angles in degrees, times in seconds."""

    # Stance (DESIGN.md: stance side).
    lift_fraction: float = _f(
        0.06, "a foot is lifted when higher than the other by this fraction of leg length", 0.0, 1.0)
    min_stance_s: float = _f(0.5, "shortest single-leg stance phase, s")
    max_trunk_deg: float = _f(30.0, "upright: trunk within this angle of vertical, deg", 0.0, 90.0)
    # Pelvic drop (DESIGN.md: baseline, CPD, peak drop).
    drop_threshold_deg: float = _f(4.0, "a phase is significant when its peak drop reaches this, deg")
    peak_window_s: float = _f(0.5, "peak drop = max of CPD's moving median over this window, s")
    lean_threshold_deg: float = _f(
        6.0, "extra trunk lean toward the stance side reported as compensation from this, deg")
    hold_target_s: float = _f(30.0, "clinical single-leg hold; shorter phases are reported as short holds, s")
    min_hold_s: float = _f(1.0, "a stance held less than this is too short for a finding, s")
    max_plausible_drop_deg: float = _f(
        20.0, "a held obliquity change beyond this is a tracking failure, not a result, deg", 1.0, 90.0)
    max_noise_deg: float = _f(
        3.0, "frame-to-frame scatter of the pelvis reading beyond which a phase moved too much, deg")
    # Reps (DESIGN.md: rep).
    rep_up_deg: float = _f(16.0, "abduction above this starts a rep, deg", 0.0, 90.0)
    rep_down_deg: float = _f(8.0, "abduction below this ends a rep, deg", -90.0, 90.0)
    min_rep_s: float = _f(0.3, "shortest rep, s")
    # Signal conditioning.
    min_visibility: float = _f(0.5, "landmarks below this visibility count as not seen", 0.0, 1.0)
    max_gap_s: float = _f(0.3, "NaN gaps up to this long are bridged, longer ones stay NaN, s")
    smooth_sigma_s: float = _f(0.08, "offline zero-phase Gaussian smoothing of landmarks, s")
    angle_sigma_s: float = _f(0.15, "extra offline smoothing of the obliquity and lean series, s")
    one_euro_min_cutoff_hz: float = _f(1.5, "live One Euro filter: cutoff at rest, Hz", 1e-3)
    one_euro_beta: float = _f(0.02, "live One Euro filter: speed coefficient, 1/px")
    one_euro_d_cutoff_hz: float = _f(1.0, "live One Euro filter: derivative cutoff, Hz", 1e-3)

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
        return dataclasses.replace(self, **{k: float(v) for k, v in changes.items()})

    def as_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)


def setting_fields() -> list[dataclasses.Field]:
    """The fields of :class:`Settings`, for building command-line flags from them."""
    return list(dataclasses.fields(Settings))


def load_settings(path: Path | None = None, **overrides: float | None) -> Settings:
    """Defaults, then the TOML file at ``path``, then the non-None ``overrides``."""
    values: dict[str, Any] = {}
    if path is not None:
        try:
            values.update(tomllib.loads(Path(path).read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise SettingsError(f"settings file not found: {path}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"settings file {path} is not valid TOML: {exc}") from None
        # A [hipdrop] table is accepted too, so the keys can live in a shared config file.
        values = values.get("hipdrop", values)
        bad = [k for k, v in values.items() if not isinstance(v, (int, float)) or isinstance(v, bool)]
        if bad:
            raise SettingsError(f"settings file {path}: {', '.join(bad)} must be numbers")
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings().replace(**values)
