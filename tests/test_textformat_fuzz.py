"""Fuzzing the .cnn parser with hypothesis: valid programs mutated by inserting, deleting and swapping
characters, tokens and lines, and arbitrary text.

The parser may accept or reject what it is given, but it must never raise anything but a ParseError
(a CnnCalcError), every ParseError must carry a position inside the text (line ≥ 1, column ≥ 1) with the
line and a caret, and whatever it accepts must write back (dump) to text that parses to the same network.
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cnncalc import CnnCalcError, ParseError
from cnncalc.textformat import dump, parse

SEEDS = [
    (Path(__file__).resolve().parents[1] / "examples" / "article.cnn").read_text(encoding="utf-8"),
    """input 16x16x32
c1: conv 32 3 p=1 bias=false
bn1: batchnorm
r1: relu
c2: conv 32 3 p=((1, 1), (1, 1)) bias=false
sum: add <- c2, input_1
out: relu
drop: dropout 0.5
""",
    """input 28x28x192
b1: conv 64 1 relu <- input_1
b2: conv 128 3 p=same activation="relu" <- input_1
b3: conv 32 5x5 p=2 <- input_1
b4p: maxpool 3 s=1 p=1 <- input_1
cat: concat <- b1, b2, b3, b4p
r: reshape (-1, 256)
""",
    """block unit(ch, s=1, m=ch*2):
    a: conv ch 3 s=s p=1 <- in
    b: conv m/2 1
    sum: add <- b, in
block up(ch) <- x, skip:
    t: conv_transpose ch 2 s=2 <- x
    cat: concat <- t, skip
input 3x32x32 layout=chw
"stem 0": conv 16 3 p=1
stage: unit 16 *3 first(s=1)
pool: maxpool 2
mid: unit 16
dec: up 16 <- mid, stage.2.sum
head: dense 10 flatten=true
""",
]

VOCAB = [
    "conv",
    "dense",
    "maxpool",
    "add",
    "concat",
    "block",
    "network",
    "input",
    "relu",
    "first",
    "repeat",
    "in",
    ":",
    "=",
    ",",
    "(",
    ")",
    "<-",
    "*",
    "-",
    "/",
    "+",
    "#",
    '"',
    "\\",
    "x",
    "0",
    "-1",
    "99999999999999999999",
    "1e999",
    "0.5",
    "5x5",
    "((",
    "))",
    "\t",
    "    ",
    "\n",
    "\n    ",
    "f=",
    "s=0",
    "p=sme",
    "*100000",
    "*3",
    "first(",
    "block b(c):\n  conv c 1\n",
    "none",
    "true",
    "\u00e9",
    "\u2028",
    "\r",
    "\x0c",
    "\x00",
    "é",
]

TOKEN = re.compile(r"\s+|[A-Za-z_][A-Za-z0-9_.]*|[0-9]+|.", re.S)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        how = draw(st.sampled_from(["insert", "delete", "token", "swap-lines", "chars"]))
        if how == "insert":
            text = text[:pos] + draw(st.sampled_from(VOCAB)) + text[pos:]
        elif how == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 12)) :]
        elif how == "chars":
            text = text[:pos] + draw(st.text(min_size=1, max_size=4)) + text[pos:]
        elif how == "token":
            tokens = TOKEN.findall(text)
            i = draw(st.integers(0, max(len(tokens) - 1, 0)))
            tokens[i : i + 1] = [draw(st.sampled_from([*VOCAB, ""]))]
            text = "".join(tokens)
        else:
            lines = text.split("\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return text


def check(text: str) -> None:
    """The parser's contract on any text."""
    try:
        net = parse(text, "fuzz.cnn")
    except ParseError as err:
        assert err.line >= 1 and err.column >= 1, err
        assert err.line <= max(len(text.splitlines()), 1), err
        assert err.source_line is not None
        shown = str(err)
        assert shown.startswith(f"fuzz.cnn:{err.line}:{err.column}: ")
        assert f"\n  {' ' * (err.column - 1)}^" in shown
        return
    except CnnCalcError as err:  # pragma: no cover - a failure message, not a branch
        raise AssertionError(f"an error without a position: {type(err).__name__}: {err}") from err
    again = parse(dump(net), "dumped.cnn")
    assert [(n.name, n.layer, n.inputs) for n in again.nodes] == [(n.name, n.layer, n.inputs) for n in net.nodes]
    assert again.name == net.name


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
@example("input 8x8x3\nconv 8 3 *100000\n")
@example('input 8x8x3\nc: conv 8 3 activation="\\')
@example("block b(c):\n  x: b c\ninput 8x8x3\nb 3")
@example("input 8x8x3\nrelu *3 first(\n")
@example("\x00")
@example("input 8x8x3\nconv " + "(" * 5000 + "1")
@example("input 8x8x3\nconv 1" + "+1" * 5000)
@example("input 8x8x3\nconv " + "-" * 5000 + "1")
@example("input 8x8x3\nblock b(c):\n  conv c 1\n" + "".join(f"b{i}: b c={i + 1} *10000\n" for i in range(12)))
def test_mutated_programs(text: str) -> None:
    check(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text(text: str) -> None:
    check(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(VOCAB + ["conv 8 3", "input 8x8x3", "a:", "b:", " <- a", " <- a, b"]), max_size=14))
def test_token_soup(parts: list[str]) -> None:
    check(" ".join(parts))
