"""The layer kinds under their public names: ``from cnncalc.layers import Input, Conv, Dense``."""

from __future__ import annotations

from .kinds import *  # noqa: F403
from .kinds import __all__ as __all__
