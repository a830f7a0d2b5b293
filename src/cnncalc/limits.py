"""The documented bounds on what cnncalc reads, so that work and numbers stay small whatever the input says.

Every size or count a user gives (a dimension, a filter count, a kernel, a repetition's layers, a batch,
a budget, a ``solve`` size) is an integer from 0 to ``MAX_SIZE`` = 10¹⁸, checked where it is written
(file:line:col in a .cnn file, the JSON path in a JSON network, the option on the command line). A
computed dimension or element count past the same bound is an error at the layer that computes it.
Inputs are read up to ``MAX_INPUT_BYTES``; a network has at most ``MAX_LAYERS`` layers and JSON at most
``MAX_JSON_DEPTH`` levels of nesting. See docs/text-format.md ("Limits").

>>> check_size("filters", 64)
64
>>> check_size("filters", 10**19)
Traceback (most recent call last):
...
cnncalc.errors.ArgumentError: filters is out of range: 10000000000000000000 > 10**18
  hint: sizes and counts are at most 10**18
>>> short_int(10**40)
'1.000…e+40 (41 digits)'
"""

from __future__ import annotations

import os
import stat
import sys
from typing import IO

from .errors import ArgumentError, CnnCalcError

#: the largest size or count accepted anywhere (far beyond any real network; keeps arithmetic cheap)
MAX_SIZE = 10**18
#: its name in messages
MAX_SIZE_TEXT = "10**18"
#: the most bytes read from a file or stdin before tokenizing (a .cnn file of ResNet-50 is ~6 KB)
MAX_INPUT_BYTES = 16 * 2**20
#: the most layers (nodes) in one network, text or JSON
MAX_LAYERS = 100_000
#: the deepest nesting of arrays/objects in a JSON network (the schema itself needs 5)
MAX_JSON_DEPTH = 32
#: the most digits an integer literal may have before it is even converted (10**18 has 19)
MAX_DIGITS = 40


def check_size(name: str, value: int) -> int:
    """``value`` if it is within ±MAX_SIZE, else an ArgumentError naming ``name`` and the bound."""
    if abs(value) > MAX_SIZE:
        raise ArgumentError(f"{name} is out of range: {short_int(value)} > {MAX_SIZE_TEXT}",
                            hint=f"sizes and counts are at most {MAX_SIZE_TEXT}")
    return value


def short_int(n: int) -> str:
    """An int as text that never hits Python's 4300-digit conversion limit: exact up to 30 digits, else
    its leading digits and exponent (computed without float(), which overflows past 1e308)."""
    if abs(n) < 10**30:
        return str(n)
    sign = "-" if n < 0 else ""
    n = abs(n)
    digits = n.bit_length() * 30103 // 100000  # ⌊bits·log10(2)⌋, at most one below the true exponent
    while 10 ** (digits + 1) <= n:
        digits += 1
    while 10**digits > n:
        digits -= 1
    lead = n // 10 ** max(digits - 3, 0)
    text = str(lead)
    return f"{sign}{text[0]}.{text[1:4]}…e+{digits} ({digits + 1} digits)"


def read_capped(stream: IO[str], name: str) -> str:
    """At most MAX_INPUT_BYTES characters of a text stream; more is an error, not a long wait."""
    text = stream.read(MAX_INPUT_BYTES + 1)
    if len(text) > MAX_INPUT_BYTES:
        raise CnnCalcError(
            f"'{name}' is larger than {MAX_INPUT_BYTES // 2**20} MiB; the most cnncalc reads",
            hint="a network description is a few kilobytes; is this the right file?",
        )
    return text


def read_text(path: str) -> str:
    """A UTF-8 file's text ('-': standard input), refusing FIFOs, devices and files over MAX_INPUT_BYTES.

    Errors are CnnCalcErrors saying why: no such file, a directory, not a regular file, too large,
    not UTF-8.
    """
    if path == "-":
        if sys.stdin is None or sys.stdin.closed:
            raise CnnCalcError("cannot read standard input: it is closed", hint="pipe the text in, or give a file")
        try:
            return read_capped(sys.stdin, "<stdin>")
        except UnicodeDecodeError as err:
            raise CnnCalcError(f"cannot read standard input: not UTF-8 text ({err.reason})") from None
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise CnnCalcError(f"cannot read '{path}': no such file", hint="check the path (use - for stdin)") from None
    except OSError as err:
        raise CnnCalcError(f"cannot read '{path}': {err.strerror or err}") from None
    if stat.S_ISDIR(info.st_mode):
        raise CnnCalcError(f"cannot read '{path}': it is a directory", hint="give a file")
    if not stat.S_ISREG(info.st_mode):
        raise CnnCalcError(
            f"cannot read '{path}': not a regular file (a pipe, socket or device)",
            hint=f"copy it to a file first, or pipe it in: cnncalc ... - < {path}",
        )
    return _read_file(path)


def _read_file(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return read_capped(handle, path)
    except UnicodeDecodeError as err:
        raise CnnCalcError(
            f"cannot read '{path}': not UTF-8 text ({err.reason} at byte {err.start})", hint="save the file as UTF-8"
        ) from None
    except OSError as err:
        raise CnnCalcError(f"cannot read '{path}': {err.strerror or err}") from None
