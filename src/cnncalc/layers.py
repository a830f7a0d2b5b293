"""The layer kinds under their public names: ``from cnncalc.layers import Input, Conv, Dense``.

Each family is imported when one of its classes is first used (see cnncalc.kinds).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import kinds
from .kinds import __all__ as __all__

if TYPE_CHECKING:
    from .kinds import *  # noqa: F403


def __getattr__(name: str) -> Any:
    return getattr(kinds, name)
