#!/usr/bin/env bash
# Re-render the sample clips (needs `pip install torch==2.13.0 -e ".[synth]"`; deterministic).
set -euo pipefail
cd "$(dirname "$0")"
common=(--fps 10 --out . --no-progress)
hipdrop synth stance --drop-left-stance 8 --drop-right-stance 0 --hold 5 --body female --pelvis-skin rigid \
    --clothing plain --seed 21 --name stance_test "${common[@]}"
hipdrop synth abduction-standing --reps 3 --peak 35 --body male --clothing band --seed 22 \
    --name abduction_standing "${common[@]}"
hipdrop synth abduction-side-lying --reps 3 --peak 35 --body female --seed 23 \
    --name abduction_side_lying "${common[@]}"
hipdrop synth hold --leg right --hold-angle 25 --hold 10 --body heavy-female --clothing plain \
    --seed 24 --name abduction_hold "${common[@]}"
