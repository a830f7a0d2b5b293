"""Exit codes and output failures (issue 14): 0 ok, 1 budget/check failed, 2 user error or unwritable output,
3 internal error (one line asking for a report; the traceback only with --debug). Real processes where the
operating system's streams matter (/dev/full, a closed stdout or stdin, an ASCII terminal)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cnncalc import cli

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = str(ROOT / "examples" / "article.cnn")


def cnncalc(*argv: str, env: dict[str, str] | None = None, **kw: object) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env or {})}
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kw}
    return subprocess.run([sys.executable, "-m", "cnncalc", *argv], text=True,  # type: ignore[call-overload]
                          env=full_env, timeout=60, **streams)


def _boom(args: list[str]) -> int:
    raise ValueError("the core went wrong\nover two lines")


def test_internal_error_is_exit_3_with_one_line(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cli, "_dispatch", _boom)
    assert cli.main([ARTICLE]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("cnncalc: internal error: ValueError: the core went wrong over two lines; please report")
    assert "(run again with --debug for the traceback)" in err


@pytest.mark.parametrize("where", [0, 1])
def test_debug_anywhere_adds_the_traceback(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                           where: int) -> None:
    monkeypatch.setattr(cli, "_dispatch", _boom)
    argv = [ARTICLE]
    argv.insert(where, "--debug")
    assert cli.main(argv) == 3
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "cnncalc: internal error: ValueError" in err


def test_debug_is_not_passed_on(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([ARTICLE, "--debug"]) == 0
    assert cli.main(["solve", "224", "112", "--debug"]) == 0


def test_documented_codes_0_1_2() -> None:
    assert cnncalc(ARTICLE).returncode == 0
    assert cnncalc(ARTICLE, "--max-params", "1K").returncode == 1
    bad = cnncalc("no-such.cnn")
    assert bad.returncode == 2 and "cannot read 'no-such.cnn': no such file" in bad.stderr


HOMEWORK = str(ROOT / "examples" / "homework.tsv")


@pytest.mark.parametrize("argv", [[ARTICLE], ["solve", "224", "112"], ["check", HOMEWORK]])
def test_full_stdout(argv: list[str]) -> None:
    with open("/dev/full", "w") as full:
        done = cnncalc(*argv, stdout=full)
    assert done.returncode == 2
    assert "error: cannot write to standard output: No space left on device" in done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


def test_closed_stdout() -> None:
    done = subprocess.run(f"{sys.executable} -m cnncalc {ARTICLE} >&-", shell=True, capture_output=False,
                          stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert done.returncode == 2 and "cnncalc: error: cannot write to standard output: it is closed" in done.stderr


@pytest.mark.parametrize("argv", [["-"], ["check", "-"]])
def test_closed_stdin(argv: list[str]) -> None:
    done = subprocess.run(f"{sys.executable} -m cnncalc {' '.join(argv)} <&-", shell=True, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert done.returncode == 2 and "cannot read standard input: it is closed" in done.stderr


@pytest.mark.parametrize("argv, shown", [
    (["solve", "224", "112"], "224 -> 112: 11 convolution/pooling windows"),
    (["check", str(ROOT / "examples" / "homework.tsv")], "(28, 28, 8) ok"),
    ([ARTICLE, "--explain", "CONV1"], "params"),
    (["--help"], "exit status"),
])
def test_ascii_terminal(argv: list[str], shown: str) -> None:
    done = cnncalc(*argv, env={"PYTHONIOENCODING": "ascii"})
    assert done.returncode in (0, 1) and shown in done.stdout and "Traceback" not in done.stderr


def test_broken_pipe_is_quiet() -> None:
    done = subprocess.run(f"{sys.executable} -m cnncalc zoo:resnet50 | head -1", shell=True, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert done.stderr == ""
