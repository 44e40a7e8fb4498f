"""The synth subpackage's exception."""

from __future__ import annotations

from hipdrop.errors import HipdropError


class SynthUnavailable(HipdropError):
    """The optional synth dependencies (torch, anny) are missing, or the body model won't load."""

    exit_status = 7


INSTALL_HINT = "pip install 'hipdrop[synth]'"
