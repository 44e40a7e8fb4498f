"""Short single-leg-stance clips over a grid of conditions, for a validity benchmark.

One condition: 1.5 s of double stance, a weight shift, then one single-leg stance of about
2 s (foot off the floor; the drop held 1.4 s) on a given side with a given drop, at 10 fps,
under given body, clothing and camera variations. About 50 frames, a few seconds each to
render at 540x960; :func:`default_grid` lists ~200 of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hipdrop.synth.appearance import Clothing
from hipdrop.synth.render import SynthSpec, compute_truth, render
from hipdrop.synth.rig import Side
from hipdrop.synth.scenarios import LiftStyle, ScenarioSettings
from hipdrop.synth.truth import Truth


@dataclass(frozen=True)
class GridCondition:
    """One benchmark clip.

    drop_deg : contralateral pelvic drop (positive toward the lifted leg; negative = hike).
    stance : the standing leg. Camera fields as in :class:`~hipdrop.synth.render.SynthSpec`.
    """

    drop_deg: float
    stance: Side
    body: str = "female"
    clothing: Clothing = "plain"
    background: str = "living-room"
    distance_m: float = 3.0
    camera_height_m: float = 0.9
    roll_deg: float = 0.0
    width: int = 540
    height: int = 960
    fps: float = 10.0
    seed: int = 0
    lift_style: LiftStyle = "flexed"

    @property
    def name(self) -> str:
        """A file stem that identifies the condition."""
        return (
            (f"{self.stance}_{self.drop_deg:+.1f}_{self.body}_{self.clothing}_s{self.seed}")
            .replace("+", "p")
            .replace("-", "m")
            .replace(".", "d")
        )

    def spec(self) -> SynthSpec:
        drops: dict[str, Any] = {"drop_left_stance_deg": 0.0, "drop_right_stance_deg": 0.0}
        drops[f"drop_{self.stance}_stance_deg"] = self.drop_deg
        scenario = ScenarioSettings(
            name="single-stance", stance_side=self.stance, baseline_s=1.5, lift_style=self.lift_style, **drops
        )
        return SynthSpec(
            scenario=scenario,
            seed=self.seed,
            body=self.body,
            clothing=self.clothing,
            background=self.background,
            width=self.width,
            height=self.height,
            fps=self.fps,
            distance_m=self.distance_m,
            camera_height_m=self.camera_height_m,
            roll_deg=self.roll_deg,
        )


def render_condition(cond: GridCondition, out_dir: Path | None = None) -> Truth:
    """Render one condition to ``out_dir/<name>.mp4`` and ``.json``; with ``out_dir`` None
    only compute the truth (no drawing, about 10 ms a frame)."""
    if out_dir is not None:
        truth = render(cond.spec(), Path(out_dir), name=cond.name, progress=False)
    else:
        truth = compute_truth(cond.spec())
    truth.params["grid_condition"] = dataclasses.asdict(cond)
    if out_dir is not None:
        truth.write(Path(out_dir) / f"{cond.name}.json")
    return truth


def default_grid(seed: int = 0) -> list[GridCondition]:
    """~200 conditions: drops -4..10 deg on both stance legs, four bodies, three kinds of
    clothing, with the camera (distance 2.4-3.6 m, height 0.6-1.3 m, roll SD 2 deg) and the
    room drawn per condition from ``seed``."""
    rng = np.random.default_rng([seed, 99])
    rooms = ("living-room", "clinic", "gym", "bedroom", "studio")
    out = []
    i = 0
    for drop in (-4.0, 0.0, 2.0, 4.0, 6.0, 8.0, 10.0):
        for stance in ("left", "right"):
            for body in ("female", "male", "heavy-female", "tall-male"):
                for clothing in ("plain", "band", "loose"):
                    out.append(
                        GridCondition(
                            drop_deg=drop,
                            stance=stance,
                            body=body,
                            clothing=clothing,
                            background=rooms[int(rng.integers(len(rooms)))],
                            distance_m=round(float(rng.uniform(2.4, 3.6)), 2),
                            camera_height_m=round(float(rng.uniform(0.6, 1.3)), 2),
                            roll_deg=round(float(rng.normal(0.0, 2.0)), 2),
                            seed=seed * 1000 + i,
                        )
                    )
                    i += 1
    # Plus a few with other ways of lifting the foot.
    for k in range(32):
        base = out[int(rng.integers(len(out)))]
        out.append(
            dataclasses.replace(base, lift_style=("straight-back", "abducted")[k % 2], seed=seed * 1000 + i)
        )
        i += 1
    return out


def _render_one(args: tuple[GridCondition, Path | None]) -> Truth:
    return render_condition(*args)


def render_grid(
    conditions: Iterable[GridCondition],
    out_dir: Path | None,
    jobs: int = 1,
    progress: bool = True,
) -> Iterator[Truth]:
    """Render each condition (in ``jobs`` processes when > 1), yielding truths in order."""
    conds = list(conditions)
    work = [(c, out_dir) for c in conds]
    if progress:
        from tqdm import tqdm
    else:

        def tqdm(x, **_):
            return x

    if jobs <= 1:
        for w in tqdm(work, desc="synth grid", unit="clip"):
            yield _render_one(w)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(jobs) as pool:
        yield from tqdm(pool.map(_render_one, work), total=len(work), desc="synth grid", unit="clip")
