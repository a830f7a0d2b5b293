"""Every Python block of the README runs as written (from the repository root), and says what it claims."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)


def test_the_readme_has_python_blocks() -> None:
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_python_block_runs(index: int, monkeypatch: pytest.MonkeyPatch) -> None:
    if "torch" in BLOCKS[index]:
        pytest.importorskip("torchvision")
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {}
    for earlier in [b for b in BLOCKS[:index] if "torch" not in b]:  # later blocks use earlier names
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(earlier, "README.md", "exec"), namespace)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(BLOCKS[index], "README.md", "exec"), namespace)
    # each '# …' comment of the form 'a = b' that names a number printed by the block is checked
    for claim in re.findall(r"print\(.*\)\s+#\s*(.*)", BLOCKS[index]):
        for number in re.findall(r"\d{1,3}(?:,\d{3})+|\d+(?=\s*$)", claim):
            assert number in out.getvalue() or number.replace(",", "") in out.getvalue(), (claim, number)
