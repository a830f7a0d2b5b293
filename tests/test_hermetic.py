"""The suite is hermetic: nothing in the project names a path outside its checkout.

Everything the tests read lives in tests/data (see its README for the source of every file). This is a cheap
guard; ``.ci/run`` proves the same by running the suite from a fresh clone in an empty temporary folder.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("src", "tests", "scripts", "docs", ".ci")
SKIP = {"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis"}

# Built from parts so that this file does not match its own patterns.
_S = "sha" + "red"
OUTSIDE = re.compile(
    "|".join(
        [
            re.escape("../" + _S),  # a sibling folder of the checkout
            re.escape("/work/" + _S),  # an absolute path on the development machines
            re.escape(_S + "/") + "(?:reference|seed)",  # the reference set or the seed article
            r"/\s*[\"']" + _S + r"[\"']",  # a Path joined with that folder's name
        ]
    )
)


def _files() -> list[Path]:
    found = []
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*")):
            parts = path.relative_to(ROOT).parts
            if path.is_file() and not SKIP.intersection(parts) and not any(p.endswith(".egg-info") for p in parts):
                found.append(path)
    return found


def test_files_are_found() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in _files()}
    assert {"tests/test_hermetic.py", "scripts/test", ".ci/run", "tests/data/README.md"} <= names


def test_the_pattern_catches_outside_paths() -> None:
    for text in ["../" + _S + "/seed/x.txt", "/work/" + _S + "/reference", "parents[2] / '" + _S + "' / 'x'"]:
        assert OUTSIDE.search(text), text
    assert not OUTSIDE.search("params are " + _S + " between layers")


def test_no_file_names_a_path_outside_the_checkout() -> None:
    offenders = []
    for path in _files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "paths outside the checkout (copy the file into tests/data):\n" + "\n".join(offenders)


def test_every_data_file_has_its_source() -> None:
    data = ROOT / "tests" / "data"
    readme = (data / "README.md").read_text(encoding="utf-8")
    for path in data.iterdir():
        if path.name != "README.md":
            assert f"`{path.name}`" in readme, f"tests/data/README.md does not say where {path.name} comes from"
