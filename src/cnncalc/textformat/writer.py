"""Writing a Network as .cnn text that parses back to an equal network (names, kinds, arguments, inputs).

The text is flat: one line per node, every node labelled with its name, ``<-`` written only where a
node does not simply follow the line before it.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import CnnCalcError
from ..kinds.base import KINDS, argument_names
from ..network import Network, Node
from .lexer import NAME_RE
from .syntax import KEYWORDS

_QUOTE = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t"}


def quote(text: str) -> str:
    """A string literal that the lexer reads back as ``text``."""
    return '"' + "".join(_QUOTE.get(c) or (c if c.isprintable() else _code(c)) for c in text) + '"'


def _code(c: str) -> str:
    return f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}"


def name_text(name: str) -> str:
    """A label or reference: bare when it is a plain (dotted) name, else quoted."""
    return name if NAME_RE.fullmatch(name) and name.isascii() else quote(name)


def value_text(value: Any) -> str:
    """A value as the parser reads it: true/false/none, numbers, 5x5 sizes, tuples, words or quoted strings."""
    if value is None or isinstance(value, bool):
        return {None: "none", True: "true", False: "false"}[value]
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CnnCalcError(f"cannot write the number {value} in the text format", hint="use a finite number")
        return repr(value)
    if isinstance(value, str):
        plain = NAME_RE.fullmatch(value) and value.isascii() and value.lower() not in KEYWORDS
        return value if plain else quote(value)
    if isinstance(value, (tuple, list)):
        if len(value) >= 2 and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value):
            return "x".join(str(v) for v in value)
        inner = ", ".join(value_text(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    raise CnnCalcError(f"cannot write a value of type {type(value).__name__} in the text format: {value!r}")


def layer_text(kind: str, args: dict[str, Any]) -> str:
    """``kind positional... key=value...`` for a registered kind name and its arguments."""
    entry = KINDS[kind]
    fields = argument_names(entry.cls)
    bare_words = "activation" in fields or "padding" in fields
    parts = [kind]
    rest = dict(args)
    for name in entry.cls.positional:
        if name not in rest or (isinstance(rest[name], str) and bare_words):
            break
        parts.append(value_text(rest.pop(name)))
    parts += [f"{key}={value_text(value)}" for key, value in rest.items()]
    return " ".join(parts)


def node_text(node: Node, previous: str | None) -> str:
    from ..netjson import kind_and_args

    kind, args = kind_and_args(node.layer)
    line = f"{name_text(node.name)}: {layer_text(kind, args)}"
    if node.inputs and node.inputs != (previous,):
        line += " <- " + ", ".join(name_text(i) for i in node.inputs)
    return line


def dump(network: Network) -> str:
    """The network as .cnn text; ``parse(dump(net))`` has the same names, layers and inputs."""
    lines = [f"network {name_text(network.name)}"]
    previous: str | None = None
    for node in network.nodes:
        lines.append(node_text(node, previous))
        previous = node.name
    return "\n".join(lines) + "\n"
