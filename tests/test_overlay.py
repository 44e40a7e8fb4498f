"""The overlay's geometry: the drawn pelvis line shows hipdrop's obliquity, mirrored or not."""

from __future__ import annotations

import numpy as np
import pytest

from hipdrop.core.kinematics import obliquity_deg
from hipdrop.reports.overlay import mirror_points, pelvis_line


@pytest.mark.parametrize("theta", [-9.0, 0.0, 4.5, 12.0])
@pytest.mark.parametrize("facing", [1.0, -1.0])
def test_pelvis_line_has_the_estimated_obliquity(theta, facing):
    p = np.full((33, 2), np.nan)
    p[23], p[24] = (300 + 40 * facing, 400.0), (300 - 40 * facing, 403.0)
    left, right = pelvis_line(p, theta)
    assert float(obliquity_deg(left, right)) == pytest.approx(theta, abs=1e-9)
    assert np.hypot(*(left - right)) == pytest.approx(np.hypot(*(p[23] - p[24])))
    shown = mirror_points(p, 640)
    ml, mr = pelvis_line(shown, theta)  # a mirrored display keeps the anatomical tilt
    assert float(obliquity_deg(ml, mr)) == pytest.approx(theta, abs=1e-9)


def test_pelvis_line_is_the_landmark_line_without_an_estimate():
    p = np.zeros((33, 2))
    p[23], p[24] = (340.0, 400.0), (260.0, 410.0)
    left, right = pelvis_line(p, float("nan"))
    np.testing.assert_array_equal(left, p[23])
    np.testing.assert_array_equal(right, p[24])
