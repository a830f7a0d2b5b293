"""The .cnn text format: ``parse`` text into a Network, ``load`` a file (or stdin), ``dump`` a Network back.

>>> net = parse('''
... input 32x32x3
... CONV1: conv 8 f=5
... FC: dense 10 softmax
... ''')
>>> [(n.name, n.layer.kind, n.inputs) for n in net.nodes]
[('input_1', 'input', ()), ('CONV1', 'conv', ('input_1',)), ('FC', 'dense', ('CONV1',))]
>>> print(dump(net), end="")
network network
input_1: input 32x32x3
CONV1: conv 8 5
FC: dense 10 activation=softmax
>>> [(n.name, n.layer) for n in parse(dump(net)).nodes] == [(n.name, n.layer) for n in net.nodes]
True

The syntax is documented in docs/text-format.md.
"""

from __future__ import annotations

import os

from ..limits import read_text
from ..network import Network
from .expand import build_network
from .lexer import source_lines
from .syntax import parse_program
from .writer import dump

__all__ = ["dump", "load", "parse", "source_line"]


def parse(text: str, file: str = "<input>") -> Network:
    """The network a .cnn text describes; every node carries its Source(file, line, column).

    Raises ParseError (with file:line:col, the line, a caret, the rule and a hint) for any mistake.
    """
    return build_network(parse_program(text, file), file)


def load(path: str) -> Network:
    """Parse a .cnn file; ``-`` reads standard input. A network with no ``network`` line is named after the file."""
    text, file = read_text(path), ("<stdin>" if path == "-" else path)
    default = "network" if path == "-" else os.path.splitext(os.path.basename(path))[0]
    return build_network(parse_program(text, file), file, default)


def source_line(text: str, line: int) -> str | None:
    r"""Line ``line`` (1-based) of a .cnn text as the parser numbered it (for a caret under a node's
    ``Source``), or None when there is no such line.

    >>> source_line("\ufeffinput 8x8x3\nc: conv 8 3", 2)
    'c: conv 8 3'
    """
    lines = source_lines(text)
    return lines[line - 1] if 1 <= line <= len(lines) else None
