"""Size budgets for CI: parse ``5M``, ``2.5G``, ``24GB``, ``512MiB`` and compare them with a result's totals.

A team guards a model's size with ``cnncalc model.cnn --max-params 5M``: the command exits with status 1
when a total exceeds its budget. Counts use SI prefixes (K = 10³, M = 10⁶, G = 10⁹, T = 10¹²). Memory
accepts the same SI prefixes with or without ``B`` (``24GB`` = 24·10⁹ bytes) and binary ones
(``512MiB`` = 512·2²⁰ bytes); a bare number of bytes is also accepted.

>>> parse_count("5M"), parse_count("2.5G"), parse_count("62,958")
(5000000, 2500000000, 62958)
>>> parse_bytes("24GB"), parse_bytes("512MiB"), parse_bytes("1.5k")
(24000000000, 536870912, 1500)
>>> b = Budget(params=50_000)
>>> [v.describe() for v in b.check(Totals(62958, 62958, 0, 0, 1, 2, 3, 4, 5, 0, 6, 7))]
['params 62,958 > budget 50,000 (--max-params)']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, Inexact, InvalidOperation, localcontext

from .analysis import Totals
from .errors import ArgumentError
from .limits import MAX_DIGITS, check_size

SI = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15}
BINARY = {"KI": 2**10, "MI": 2**20, "GI": 2**30, "TI": 2**40, "PI": 2**50}
_NUMBER = re.compile(r"^\s*([0-9][0-9,_]*(?:\.[0-9]*)?|\.[0-9]+)\s*([A-Za-z]*)\s*$")


def _split(text: str, what: str, example: str) -> tuple[Decimal, str]:
    match = _NUMBER.match(text)
    if not match:
        raise ArgumentError(
            f"cannot read {what} {text!r}: expected a number with an optional unit", hint=f"write e.g. {example}"
        )
    digits = match.group(1).replace(",", "").replace("_", "")
    if len(digits.replace(".", "").lstrip("0")) > MAX_DIGITS:
        raise ArgumentError(f"{what} {text[:40]!r}… has more digits than cnncalc reads (at most {MAX_DIGITS})",
                            hint=f"write e.g. {example}")
    try:
        number = Decimal(digits)
    except InvalidOperation:
        raise ArgumentError(f"cannot read {what} {text!r}", hint=f"write e.g. {example}") from None
    return number, match.group(2).upper()


def _whole(number: Decimal, factor: int, text: str, what: str) -> int:
    """number × factor exactly (never rounded to the context's precision), whole and within the bound."""
    with localcontext() as ctx:
        ctx.prec, ctx.traps[Inexact] = 2 * MAX_DIGITS, True
        try:
            number = number * factor
        except Inexact:  # cannot happen within 2·MAX_DIGITS digits; refuse rather than round
            raise ArgumentError(f"{what} {text!r} has more precision than cnncalc holds") from None
    value = number.to_integral_value()
    if value != number:
        raise ArgumentError(
            f"{what} {text!r} is not a whole number ({number})",
            hint="use a larger unit's fraction that comes out whole, e.g. 2.5M",
        )
    return check_size(f"{what} {text!r}", int(value))


def parse_count(text: str) -> int:
    """A count such as params or MACs: ``62958``, ``62,958``, ``60K``, ``5M``, ``2.5G``, ``1T``."""
    number, unit = _split(text, "count", "5M or 2.5G")
    if unit not in SI:
        raise ArgumentError(
            f"unknown unit {unit!r} in count {text!r}", hint="use K, M, G or T (powers of 1000), e.g. 5M"
        )
    return _whole(number, SI[unit], text, "count")


def parse_bytes(text: str) -> int:
    """A memory size: ``24GB`` and ``2.5G`` (powers of 1000), ``512MiB`` (powers of 1024), or bytes."""
    number, unit = _split(text, "memory size", "24GB or 512MiB")
    unit = unit[:-1] if unit.endswith("B") else unit
    factor = SI.get(unit, BINARY.get(unit))
    if factor is None:
        raise ArgumentError(
            f"unknown unit in memory size {text!r}",
            hint="use B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024)",
        )
    return _whole(number, factor, text, "memory size")


@dataclass(frozen=True)
class Violation:
    """One total over its budget."""

    what: str
    value: int
    limit: int
    flag: str

    def describe(self) -> str:
        return f"{self.what} {self.value:,} > budget {self.limit:,} ({self.flag})"


def memory_of(totals: Totals, peak: int | None = None) -> int:
    """The memory a budget guards: the peak given (the CLI gives the training step's peak with --train, else the
    inference peak, cnncalc.analysis.memory); without one, parameter bytes + summed activation bytes."""
    return peak if peak is not None else totals.param_bytes + totals.activation_bytes


@dataclass(frozen=True)
class Budget:
    """Upper limits on totals; None means no limit."""

    params: int | None = None
    macs: int | None = None
    memory: int | None = None

    @classmethod
    def parse(cls, params: str | None, macs: str | None, memory: str | None) -> Budget:
        return cls(
            params=parse_count(params) if params is not None else None,
            macs=parse_count(macs) if macs is not None else None,
            memory=parse_bytes(memory) if memory is not None else None,
        )

    @property
    def empty(self) -> bool:
        return self.params is None and self.macs is None and self.memory is None

    def check(self, totals: Totals, peak: int | None = None) -> list[Violation]:
        """The totals that exceed their budget (an empty list: within budget); ``peak``: the memory to compare."""
        found = []
        for what, value, limit, flag in (
            ("params", totals.params, self.params, "--max-params"),
            ("MACs", totals.macs, self.macs, "--max-macs"),
            ("memory (peak bytes)" if peak is not None else "memory (param + activation bytes)",
             memory_of(totals, peak), self.memory, "--max-memory"),
        ):
            if limit is not None and value > limit:
                found.append(Violation(what, value, limit, flag))
        return found
