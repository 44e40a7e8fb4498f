"""Synthetic actors with exact ground truth: render a person performing a scripted
single-leg-stance or hip-abduction scenario to an mp4 plus a truth JSON.

Needs the ``synth`` extra (torch, anny), imported only when rendering::

    from hipdrop.synth import ScenarioSettings, SynthSpec, render
    truth = render(SynthSpec(ScenarioSettings("stance", drop_left_stance_deg=8)), out_dir)

Held-out domains (issue 8): ``SynthSpec`` options for pelvic markers, a rigid pelvis skin,
the trunk's counter-rotation bone and a trunk shift, a "studio" rendering family, camera
degradations and a back view; every default renders as before, byte for byte.
"""

from hipdrop.synth.body import PRESETS, Phenotype
from hipdrop.synth.errors import SynthUnavailable
from hipdrop.synth.grid import GridCondition, default_grid, render_condition, render_grid
from hipdrop.synth.render import SynthSpec, compute_truth, iter_frames, render
from hipdrop.synth.scenarios import SCENARIOS, ScenarioSettings
from hipdrop.synth.truth import Truth, load_truth

__all__ = [
    "PRESETS",
    "SCENARIOS",
    "GridCondition",
    "Phenotype",
    "ScenarioSettings",
    "SynthSpec",
    "SynthUnavailable",
    "Truth",
    "compute_truth",
    "default_grid",
    "iter_frames",
    "load_truth",
    "render",
    "render_condition",
    "render_grid",
]
