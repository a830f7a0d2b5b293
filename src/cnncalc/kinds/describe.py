"""A kind's description for any interface: the list of kinds with their aliases, one kind's arguments.

>>> kind_arguments("maxpool")[0]
'maxpool: Max pooling: no parameters; stride defaults to the kernel.'
"""

from __future__ import annotations

import dataclasses

from ..errors import ArgumentError
from .base import KINDS, suggest


def kinds_listing() -> list[str]:
    """One line per layer kind: its names (aliases together) and the first line of its docstring."""
    groups: dict[type, list[str]] = {}
    summaries: dict[type, str] = {}
    for name, entry in KINDS.items():
        groups.setdefault(entry.cls, []).append(name)
        summaries.setdefault(entry.cls, entry.summary)
    lines = []
    for cls, names in groups.items():
        names.sort(key=lambda n: (n != getattr(cls, "kind", ""), n))
        label = ", ".join(names)
        if len(label) <= 28:
            lines.append(f"{label:<28}  {summaries[cls]}")
        else:
            lines += [label, f"{'':<28}  {summaries[cls]}"]
    return lines


def kind_arguments(name: str) -> list[str]:
    """One kind's description and its arguments: positional order, defaults and the aliases of each."""
    entry = KINDS.get(name.lower())
    if entry is None:
        guess = suggest(name.lower(), list(KINDS))
        raise ArgumentError(f"unknown layer kind '{name}'",
                           hint=f"did you mean '{guess}'?" if guess else "`cnncalc kinds` lists them")
    cls = entry.cls
    aliases: dict[str, list[str]] = {}
    for alias, target in cls.aliases.items():
        if alias != target:
            aliases.setdefault(target, []).append(alias)
    lines = [f"{entry.name}: {entry.summary}", "", "arguments (positional first):"]
    order = list(cls.positional) + [f.name for f in dataclasses.fields(cls) if f.name not in cls.positional]
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    for arg in order:
        if arg in entry.preset:
            continue
        default = defaults.get(arg, dataclasses.MISSING)
        if arg in cls.positional:
            shown = "positional" + (f", default {default!r}" if default not in (0, None, dataclasses.MISSING) else "")
        else:
            shown = "required" if default is dataclasses.MISSING else f"default {default!r}"
        also = f"  (also: {', '.join(sorted(aliases[arg]))})" if arg in aliases else ""
        lines.append(f"  {arg:<18} {shown}{also}")
    if entry.preset:
        lines.append("fixed by this name: " + ", ".join(f"{k}={v!r}" for k, v in entry.preset.items()))
    return lines


