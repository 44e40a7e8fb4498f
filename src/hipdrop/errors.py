"""Exceptions of the hipdrop library.

The library raises these; only the CLI turns them into a one-line message and an exit status.
"""

from __future__ import annotations


class HipdropError(Exception):
    """Base class: an expected failure that has a one-line explanation for the user."""

    exit_status = 1


class InputError(HipdropError):
    """A source that cannot be read: missing, unreadable, empty, not a video, corrupt."""

    exit_status = 2


class LandmarksFormatError(InputError):
    """A landmarks .npz file that does not follow DESIGN.md's layout."""


class SettingsError(HipdropError):
    """A settings file or flag with an unknown key or an invalid value."""

    exit_status = 2


class ModelError(HipdropError):
    """A pose model that is missing, fails its checksum, or does not load."""

    exit_status = 3


class NoPoseError(HipdropError):
    """A source in which no person was found."""

    exit_status = 4


class CameraError(HipdropError):
    """A camera that cannot be opened, or that stopped delivering frames."""

    exit_status = 5


class DisplayError(HipdropError):
    """No display to open the live window on."""

    exit_status = 6


class HistoryError(HipdropError):
    """The local history database cannot be opened, read or written (corrupt, locked, unwritable).

    A session's own outputs never depend on it: the CLI reports it on one line and carries on.
    """

    exit_status = 8


class OutputError(HipdropError):
    """An output folder or file that cannot be written: not a folder, read-only, full, or one
    that would replace an input."""

    exit_status = 7
