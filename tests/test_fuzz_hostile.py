"""Fuzzing every input surface with hostile input (issue 14): the text format, the JSON form, check tables and
solve arguments, fed huge literals, growth through repetition, deep nesting, control characters and random
bytes. Every example runs under a time and memory bound (tests/bounds.py), so a hang or a blow-up is a
failure; the only acceptable outcomes are an answer or a CnnCalcError (exit status 0, 1 or 2, never 3).

The CI profile runs 300 examples per surface; ``HYPOTHESIS_PROFILE=long`` runs 100,000 (docs/fuzzing.md).
"""

from __future__ import annotations

import contextlib
import io
import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bounds import bounded
from cnncalc import CnnCalcError, analyze, cli
from cnncalc.netjson import loads
from cnncalc.render.registry import RENDERERS, render
from cnncalc.textformat import parse

LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
#: examples per surface: 300 in CI, 100,000 for the long profile; FUZZ_EXAMPLES=N overrides either
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 100_000 if LONG else 300))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                database=None if LONG else settings.default.database)
#: per example
SECONDS, MEGABYTES = 10.0, 300.0

#: huge literals, as text (an int of 5000 digits has no str() in Python 3.11)
huge = st.one_of(st.integers(0, 10**20).map(str), st.integers(10**17, 10**19).map(str),
                 st.integers(0, 30).map(lambda n: "9" * (n * 200 + 1)))
control = st.sampled_from(["\x1b[31m", "\x1b]0;t\x07", "\x00", "\r", "\x0b", "\u202e", "\ufeff", "\t", "\\"])
words = st.sampled_from([
    "input", "conv", "dense", "maxpool", "avgpool", "adaptive_avgpool", "upsample", "groupnorm", "lstm", "gru",
    "concat", "add", "reshape", "flatten", "relu", "softmax", "batchnorm", "conv_transpose", "embedding",
    "attention", "block", "b", "x", "in", "<-", ":", "=", "*", "(", ")", ",", "/", "-", "+", "groups=",
    "num_layers=", "trainable=", "s=", "p=", "f=", "same", "valid", "yes", "no", "true", "1e308", "0", "#",
    "\n", "\n  ", "x3x3", "8x8x3", "1x1x1",
])


def _program(parts: list[object]) -> str:
    return " ".join(str(p) for p in parts)


texts = st.one_of(
    st.lists(st.one_of(words, huge.map(str), control, st.integers(-3, 600).map(lambda n: f"*{n}")), max_size=40)
    .map(_program).map(lambda t: "input 8x8x3\n" + t),
    st.integers(1, 120).map(lambda n: "input 8x8x3\n" + "".join(
        f"block b{i}:\n  {'relu' if i == 0 else f'b{i - 1}'}\n" for i in range(n)) + f"x: b{n - 1}\n"),
    st.tuples(st.sampled_from(["upsample 2", "conv_transpose 4 2 s=2", "dense 1000000000", "zero_padding 1000"]),
              st.integers(1, 300)).map(lambda t: f"input 1x1x1\nl: {t[0]} *{t[1]}\n"),
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
    st.text(max_size=200),
)


def _analyse_and_render(text: str) -> None:
    try:
        result = analyze(parse(text))
    except CnnCalcError:
        return
    for fmt in RENDERERS:
        if fmt not in ("svg", "html"):
            render(result, fmt, None)


@FUZZ
@given(texts)
def test_fuzz_text_format(text: str) -> None:
    with bounded(SECONDS, MEGABYTES):
        _analyse_and_render(text)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(10**20), 10**20), st.just("@HUGE@"), st.floats(),
              st.text(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=20,
)
kinds = st.sampled_from(["input", "conv", "dense", "adaptive_avgpool", "groupnorm", "lstm", "upsample", "nope"])
json_nodes = st.lists(st.fixed_dictionaries({"name": st.text(max_size=5), "kind": kinds},
                                            optional={"args": st.dictionaries(st.sampled_from(
                                                ["shape", "filters", "kernel_size", "groups", "units", "num_layers",
                                                 "output_size", "scale_factor", "trainable", "bias"]), json_values,
                                                max_size=4), "inputs": st.lists(st.text(max_size=5), max_size=3)}),
                      max_size=8)


def _json_text(draw_nodes: list[dict[str, object]], raw: str | None, depth: int) -> str:
    if raw is not None:
        return raw
    text = json.dumps({"schema": "cnncalc.network/1", "nodes": draw_nodes}, default=str)
    text = text.replace('"@HUGE@"', "9" * 5000)
    return text.replace("[", "[" * depth, 1).replace("]", "]" * depth, 1) if depth > 1 else text


@FUZZ
@given(json_nodes, st.one_of(st.none(), st.text(max_size=100),
                             st.binary(max_size=100).map(lambda b: b.decode("latin-1")),
                             st.integers(1, 200_000).map(lambda n: "[" * n + "]" * n)),
       st.integers(0, 3000))
def test_fuzz_json(nodes: list[dict[str, object]], raw: str | None, depth: int) -> None:
    text = _json_text(nodes, raw, depth)
    with bounded(SECONDS, MEGABYTES):
        try:
            result = analyze(loads(text))
        except CnnCalcError:
            return
        render(result, "table", None)


def _run(argv: list[str], stdin: str = "") -> int:
    out, err = io.StringIO(), io.StringIO()
    old = os.sys.stdin  # type: ignore[attr-defined]
    os.sys.stdin = io.StringIO(stdin)  # type: ignore[attr-defined]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(argv)
    finally:
        os.sys.stdin = old  # type: ignore[attr-defined]
    assert code in (0, 1, 2), err.getvalue()
    assert "Traceback" not in err.getvalue()
    return code


cells = st.one_of(huge.map(str), st.sampled_from(["(28, 28, 8)", "(None, 30, 30, 32)", "5x5x16", "608", "1.2M", "",
                                                  "-", "CONV1 (f=5, s=1)", "Input Layer:", "POOL1", "FC3", "(120, 1)",
                                                  "(1) 2", "  ", "[(None, 32, 32, 3)]"]), control, st.text(max_size=12))
headers = st.lists(st.sampled_from(["Layer", "Activation Shape", "# Parameters", "MACs", "FLOPs", "Output Shape",
                                    "Param #", "", "SL.No", "Activation Size"]), min_size=1, max_size=7)
seps = st.sampled_from(["\t", " | ", ",", "  ", " "])


@FUZZ
@given(headers, st.lists(st.lists(cells, max_size=8), max_size=12), seps, st.booleans(), st.integers(0, 30))
def test_fuzz_check_tables(head: list[str], rows: list[list[str]], sep: str, markdown: bool, repeat: int) -> None:
    lines = [sep.join(head)] + [sep.join(r) for r in rows] * max(repeat, 1)
    if markdown:
        lines = ["| " + line + " |" for line in lines]
    with bounded(SECONDS, MEGABYTES):
        _run(["check", "-"], "\n".join(lines))


solve_args = st.lists(st.one_of(
    huge.map(str), st.integers(-5, 300).map(str),
    st.sampled_from(["same", "undo", "--kernel", "--stride", "--padding", "--dilation", "--max-kernel", "--max-padding",
                     "--max-stride", "--limit", "--input", "-f", "json", "1,2,3", "0", "-1", "", "1e9", "\x1b[2J"]),
), max_size=10)


@FUZZ
@given(solve_args)
def test_fuzz_solve_arguments(args: list[str]) -> None:
    with bounded(SECONDS, MEGABYTES):
        _run(["solve", *args])
