"""Rotation matrices about the world axes (right-handed, angles in degrees)."""

from __future__ import annotations

import numpy as np


def rx(deg: float) -> np.ndarray:
    """(3, 3) rotation by ``deg`` about +X.

    >>> np.round(rx(90) @ [0, 0, -1], 6).tolist()  # a point below moves to the back (+Y)
    [0.0, 1.0, -0.0]
    """
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def ry(deg: float) -> np.ndarray:
    """(3, 3) rotation by ``deg`` about +Y.

    >>> np.round(ry(90) @ [0, 0, 1], 6).tolist()  # up turns toward +X
    [1.0, 0.0, 0.0]
    """
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def rz(deg: float) -> np.ndarray:
    """(3, 3) rotation by ``deg`` about +Z.

    >>> np.round(rz(90) @ [1, 0, 0], 6).tolist()
    [0.0, 1.0, 0.0]
    """
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
