"""The person's anatomical side, one type for every encoding of it.

A side used to be written four ways: the integer stance labels of the per-frame arrays
(:mod:`hipdrop.core.stance`), "left"/"right" strings, tuple and column indices 0/1, and signal
names built as ``f"lift_{leg}"``. :class:`Side` is all of them: it *is* the string (a ``str``
enum, so summary.json, frames.csv and any ``== "left"`` keep working unchanged), and it
converts to and from the others.

>>> Side.LEFT.other, Side.RIGHT.sign, Side.of_code(2), Side("left").column
(<Side.RIGHT: 'right'>, -1.0, <Side.RIGHT: 'right'>, 0)
>>> f"{Side.LEFT} leg", Side.LEFT.label, Side.LEFT.code
('left leg', 'left', 1)
"""

from __future__ import annotations

from enum import Enum


class Side(str, Enum):
    """LEFT or RIGHT, the person's anatomical side (DESIGN.md: never the image's)."""

    LEFT = "left"
    RIGHT = "right"

    # A str enum formats as its name from Python 3.11 on: keep it the string it stands for.
    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return self.value.__format__(spec)

    @property
    def label(self) -> str:
        """"left" or "right", the plain string of the outputs (DESIGN.md)."""
        return self.value

    @property
    def other(self) -> Side:
        return Side.RIGHT if self is Side.LEFT else Side.LEFT

    @property
    def sign(self) -> float:
        """DESIGN.md's s of the contralateral drop in a stance on this side: +1 left, -1 right."""
        return 1.0 if self is Side.LEFT else -1.0

    @property
    def column(self) -> int:
        """The side's column in per-leg (T, 2) arrays and its place in (left, right) pairs:
        0 left, 1 right. (Not ``index``: that is str.index.)"""
        return 0 if self is Side.LEFT else 1

    @property
    def code(self) -> int:
        """The stance label of a single-leg stance on this side (:mod:`hipdrop.core.stance`)."""
        return LEFT_CODE if self is Side.LEFT else RIGHT_CODE

    @classmethod
    def of_code(cls, code: int) -> Side:
        """The side of a LEFT/RIGHT stance label; ValueError for any other label."""
        if code == LEFT_CODE:
            return cls.LEFT
        if code == RIGHT_CODE:
            return cls.RIGHT
        raise ValueError(f"stance label {code} is not a single-leg stance")

    @classmethod
    def of(cls, value: Side | str | int) -> Side:
        """A Side from a Side, "left"/"right", or a LEFT/RIGHT stance label."""
        if isinstance(value, str):
            return cls(value)
        return cls.of_code(int(value))

    @classmethod
    def of_column(cls, column: int) -> Side:
        """The side of column ``column`` (0 or 1) of a per-leg array."""
        return (cls.LEFT, cls.RIGHT)[column]


# The integer stance labels of a single-leg stance (hipdrop.core.stance's LEFT and RIGHT).
LEFT_CODE, RIGHT_CODE = 1, 2
SIDES = (Side.LEFT, Side.RIGHT)
