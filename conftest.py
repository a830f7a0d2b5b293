"""Collection rules for the whole suite (tests/ and the doctests in src/).

Each adapter (``src/cnncalc/adapters/<framework>/``: torch, onnx, ...) imports its framework at the top, so
``--doctest-modules`` cannot import its modules where that framework is not installed. There, each such module is
reported as skipped (with the reason) instead of a collection error, so that ``pip install -e . pytest hypothesis``
is enough for ``pytest`` to pass. Test files that need an optional framework skip themselves with
``pytest.importorskip``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

#: each adapter lives in src/cnncalc/adapters/<framework>/ and its modules import the framework at the top
_ADAPTERS = Path(__file__).resolve().parent / "src" / "cnncalc" / "adapters"
#: the module an adapter folder needs, where it is not the folder's own name ("" for none)
_NEEDS: dict[str, str] = {}


def _missing(module: str) -> bool:
    return importlib.util.find_spec(module) is None


class _Skipped(pytest.File):
    """A module that cannot be imported here: collected as one skip with its reason."""

    reason = ""

    def collect(self) -> Iterator[Any]:
        pytest.skip(self.reason)


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Any:
    collectors = yield
    path = file_path.resolve()
    if file_path.suffix != ".py" or not path.is_relative_to(_ADAPTERS) or path.parent == _ADAPTERS:
        return collectors
    folder = path.relative_to(_ADAPTERS).parts[0]
    module = _NEEDS.get(folder, folder)
    if not module or not _missing(module):
        return collectors
    skipped = _Skipped.from_parent(parent, path=file_path)
    skipped.reason = f"adapters/{folder}/{file_path.name}: {module} is not installed (the adapter imports it)"
    return [skipped]
