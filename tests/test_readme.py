"""Every Python block of the README runs as written (from the repository root), and says what it claims."""

from __future__ import annotations

import contextlib
import importlib.util
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


# ---- every shell command of the README runs as written (issue 14: a newcomer's trip-ups) ------------------------

#: what the README's placeholders stand for in the test (files the repository ships)
PLACEHOLDERS = {"NET.cnn": "examples/article.cnn", "TABLE": "examples/homework.tsv", " [LAYER]": "", " [KIND]": ""}
#: sources that need PyTorch
_TORCH = re.compile(r"torchvision:|timm:|\.py:")


def _shell_commands() -> list[tuple[str, list[str]]]:
    """(command, the output lines shown under it) for every `cnncalc ...` line of the README's text blocks."""
    found: list[tuple[str, list[str]]] = []
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for block in re.findall(r"```(?:text|sh|bash|console)\n(.*?)```", text, re.S):
        lines = block.splitlines()
        for i, line in enumerate(lines):
            command = line.removeprefix("$ ").split("  #")[0].strip()
            if not command.startswith("cnncalc "):
                continue
            shown = [x for x in lines[i + 1 :]] if line.startswith("$ ") else []
            shown = shown[: next((j for j, x in enumerate(shown) if x.startswith("$ ")), len(shown))]
            found.append((command, shown))
    return found


COMMANDS = _shell_commands()


def test_the_readme_has_shell_commands() -> None:
    assert len(COMMANDS) >= 15
    assert any("examples/homework.tsv" in c for c, _ in COMMANDS)
    assert any("examples/models.py:make_net" in c for c, _ in COMMANDS)


@pytest.mark.parametrize("command, shown", COMMANDS, ids=[c for c, _ in COMMANDS])
def test_readme_shell_command_runs(
    command: str, shown: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import shlex

    from cnncalc import cli

    if _TORCH.search(command):
        pytest.importorskip("torchvision")
    if ("keras:" in command or ".keras" in command) and importlib.util.find_spec("keras") is None:
        pytest.skip("keras is not installed")  # the adapter picks Keras's backend itself: don't import it here
    if ".onnx" in command and importlib.util.find_spec("onnx") is None:
        pytest.skip("onnx is not installed")
    for placeholder, value in PLACEHOLDERS.items():
        command = command.replace(placeholder, value)
    argv = shlex.split(command)[1:]
    if ">" in argv:  # `> file.svg`: the output is read here instead
        argv = argv[: argv.index(">")]
    for path in [a for a in argv if a.startswith("examples/")]:
        assert (ROOT / path.split(":")[0]).exists(), f"the README uses {path}, which the repository does not ship"
    monkeypatch.chdir(ROOT)
    code = cli.main(argv)
    out, err = capsys.readouterr()
    expected = 1 if "homework" in command else 0  # the homework table has two wrong cells, on purpose
    assert code == expected, (command, err)
    for line in shown:  # what the README shows under a `$ cnncalc ...` line is what it prints (the memory
        assert line.rstrip() in out + err, (command, line)  # lines go to stderr)
