"""The sticker detector's centroid on drawn frames with an exact answer (hipdrop.vision.markers)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from hipdrop.vision import markers

NAVY, LIGHT = (70, 28, 22), (165, 172, 178)  # BGR: dark leggings, a light top's hem


def _frame(centre: tuple[float, float], radius: float, colour: tuple[int, int, int],
           hem_y: float | None) -> np.ndarray:
    """A 120x160 navy frame with an anti-aliased disc (drawn 16x larger, then area-averaged)
    centred at ``centre`` in pixel-index coordinates (pixel (0, 0)'s centre is (0, 0)) and,
    above ``hem_y``, a light hem that touches the disc but does not cover it."""
    s = 16
    big = np.empty((120 * s, 160 * s, 3), np.uint8)
    big[:] = NAVY
    if hem_y is not None:
        big[: round(hem_y * s)] = LIGHT
    # Big pixel k's centre is small coordinate (k + 0.5) / s - 0.5 in pixel-index terms.
    cx, cy = ((c + 0.5) * s - 0.5 for c in centre)
    cv2.circle(big, (round(cx), round(cy)), round(radius * s), colour, -1, lineType=cv2.LINE_8)
    return cv2.resize(big, (160, 120), interpolation=cv2.INTER_AREA)


@pytest.mark.parametrize("colour", [(150, 30, 200), (80, 25, 105)],  # lit and shadowed magenta
                         ids=["lit", "shadowed"])
@pytest.mark.parametrize("hem", [False, True], ids=["no-hem", "hem-touching"])
def test_centroid_is_the_disc_centre_beside_a_hem(colour, hem):
    """A light hem right at a sticker's edge is not part of the sticker: it passes the blob's
    one-pixel margin, where its colour, far off the navy-to-sticker mix, must add nothing (it
    had pulled a shadowed sticker's centroid up by a pixel on the studio renders)."""
    centre, radius = (80.3, 60.6), 5.5
    frame = _frame(centre, radius, colour, centre[1] - radius if hem else None)
    blobs = markers._candidates(frame, np.zeros(2), sep=60.0)
    near = [b for b in blobs if b.kind == 0 and np.hypot(*(b.centre - centre)) < 3.0]
    assert len(near) == 1
    assert np.hypot(*(near[0].centre - centre)) < 0.15
