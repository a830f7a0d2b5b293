"""The lexer of the .cnn text format: one list of tokens per logical line, with exact positions.

A line's tokens remember whether whitespace came before them (``spaced``): arguments are separated
by whitespace, so ``width*4`` is one expression while ``512 *4`` is a value and a repetition.

>>> [t.text for t in tokenize_line("CONV1: conv 8 f=5x5 <- in  # comment", 1, "<input>")]
['CONV1', ':', 'conv', '8', 'f', '=', '5x5', '<-', 'in']
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..errors import ParseError
from ..limits import MAX_DIGITS, MAX_SIZE

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*")
_DIMS = re.compile(r"[0-9]+(?:x[0-9]+)+")
_FLOAT = re.compile(r"[0-9]+\.[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+")
_INT = re.compile(r"[0-9]+")
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_OPS = ("<-", ":", "=", ",", "(", ")", "*", "+", "-", "/")
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
#: the largest integer literal accepted (far beyond any real network; keeps arithmetic cheap)
MAX_INT = MAX_SIZE
#: the byte order mark some editors (Windows Notepad) write at the start of a UTF-8 file
BOM = "\ufeff"


class Token(NamedTuple):
    """One token: its type (NAME, INT, FLOAT, DIMS, STRING, OP), text, value and 1-based position."""

    type: str
    text: str
    value: Any
    line: int
    column: int
    spaced: bool = True

    @property
    def end(self) -> int:
        return self.column + len(self.text)


@dataclass(frozen=True)
class Line:
    """A non-blank source line: its number, indentation, tokens and raw text (for carets)."""

    number: int
    indent: str
    tokens: tuple[Token, ...]
    text: str


def error(message: str, file: str, line: int, column: int, text: str, hint: str | None = None) -> ParseError:
    return ParseError(message, hint=hint, file=file, line=line, column=column, source_line=text)


_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)")


def _unescape(tok: Token, raw: str, file: str) -> str:
    """The text of a string literal: escapes \\n \\t \\" \\\\ \\uXXXX \\UXXXXXXXX; any other is an error."""

    def one(m: re.Match[str]) -> str:
        code = m.group(1)
        if code in _ESCAPES:
            return _ESCAPES[code]
        if len(code) > 1 and int(code[1:], 16) <= 0x10FFFF:
            return chr(int(code[1:], 16))
        col = tok.column + 1 + m.start()
        raise error(
            f"unknown escape '\\{code}' in a string", file, tok.line, col, raw, hint='use \\" \\\\ \\n \\t or \\uXXXX'
        )

    return _ESCAPE_RE.sub(one, tok.text[1:-1])


def _number(m: re.Match[str], kind: str, where: tuple[str, int, int, str]) -> Token:
    text = m.group(0)
    file, line, col, raw = where
    value: Any
    if any(len(part.lstrip("0")) > MAX_DIGITS for part in re.split(r"[x.eE+-]", text)):
        raise error(f"number {text[:20]}… is out of range (at most {MAX_INT})", file, line, col, raw[:200])
    if kind == "DIMS":
        value = tuple(int(p) for p in text.split("x"))
    elif kind == "FLOAT":
        value = float(text)
        if not math.isfinite(value):
            raise error(f"number {text} is out of range", file, line, col, raw)
    else:
        value = int(text)
    if any(v > MAX_INT for v in (value if isinstance(value, tuple) else (value,))):
        raise error(f"number {text} is out of range (at most {MAX_INT})", file, line, col, raw)
    return Token(kind, text, value, line, col)


def _one(raw: str, pos: int, where: tuple[str, int, str]) -> Token:
    """The token starting at ``raw[pos]`` (not whitespace, not a comment)."""
    file, line, _ = where
    col = pos + 1
    loc = (file, line, col, raw)
    if raw.startswith('"', pos):
        m = _STRING.match(raw, pos)
        if not m:
            raise error("unterminated string", file, line, col, raw, hint='close it with " on the same line')
        tok = Token("STRING", m.group(0), "", line, col)
        return Token("STRING", m.group(0), _unescape(tok, raw, file), line, col)
    for regex, kind in ((_DIMS, "DIMS"), (_FLOAT, "FLOAT"), (_INT, "INT")):
        m = regex.match(raw, pos)
        if m:
            tok = _number(m, kind, loc)
            after = raw[m.end() : m.end() + 1]
            if after and (after.isalnum() or after in '_."'):
                raise error(
                    f"a number runs into '{after}'",
                    file,
                    line,
                    m.end() + 1,
                    raw,
                    hint="separate values with a space; sizes are written like 32x32x3",
                )
            return tok
    m = NAME_RE.match(raw, pos)
    if m:
        return Token("NAME", m.group(0), m.group(0), line, col)
    for op in _OPS:
        if raw.startswith(op, pos):
            return Token("OP", op, op, line, col)
    ch = raw[pos]
    raise error(
        f"unexpected character {ch!r}",
        file,
        line,
        col,
        raw,
        hint="a statement is `LABEL: kind args... <- inputs`; `#` starts a comment",
    )


_FAST = re.compile(r"(?P<ws>[ \t\r\f\v]+)|(?P<NAME>" + NAME_RE.pattern + r")|(?P<OP><-|[:=,()*+\-/])")


def tokenize_line(raw: str, number: int, file: str) -> list[Token]:
    """The tokens of one line, comments dropped. Names and operators take a fast path."""
    tokens: list[Token] = []
    pos, spaced, end = 0, True, len(raw)
    while pos < end:
        m = _FAST.match(raw, pos)
        kind = m.lastgroup if m else None
        if m is not None and kind == "ws":
            pos, spaced = m.end(), True
            continue
        if m is not None and kind is not None:
            text = m.group(0)
            tokens.append(Token(kind, text, text, number, pos + 1, spaced))
            pos, spaced = m.end(), False
            continue
        if raw[pos] == "#":
            break
        tok = _one(raw, pos, (file, number, raw))
        tokens.append(Token(tok.type, tok.text, tok.value, tok.line, tok.column, spaced))
        pos, spaced = pos + len(tok.text), False
    return tokens


def source_lines(text: str) -> list[str]:
    """The lines of a text as the parser numbers them (1-based) and shows them: a leading BOM is dropped."""
    return text.removeprefix(BOM).splitlines()


def tokenize(text: str, file: str) -> list[Line]:
    """Every line that holds a statement, with its indentation."""
    lines: list[Line] = []
    for number, raw in enumerate(source_lines(text), start=1):
        tokens = tokenize_line(raw, number, file)
        if tokens:
            indent = raw[: len(raw) - len(raw.lstrip(" \t\r\f\v"))]
            lines.append(Line(number, indent, tuple(tokens), raw))
    return lines
