"""The errors cnncalc raises for a user's mistake: a small hierarchy, each message complete.

Every message names where (the layer, or file:line:col), the rule broken with the numbers filled in,
and a hint. The CLI prints ``str(error)`` and never a traceback for these.
"""

from __future__ import annotations

from typing import Any


class CnnCalcError(Exception):
    """Base of every error cnncalc raises on purpose."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(self._text())

    def _where(self) -> str:
        return ""

    def _text(self) -> str:
        text = self._where() + self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def __str__(self) -> str:
        return self._text()


class ArgumentError(CnnCalcError):
    """A layer's hyper-parameter is unknown, of the wrong type or out of range."""

    def __init__(self, message: str, *, hint: str | None = None, layer: str | None = None) -> None:
        self.layer = layer
        super().__init__(message, hint=hint)

    def _where(self) -> str:
        return f"layer '{self.layer}': " if self.layer else ""

    def at_layer(self, layer: str) -> ArgumentError:
        return type(self)(self.message, hint=self.hint, layer=layer)


class ArgumentTypeError(ArgumentError, TypeError):
    """An argument of the wrong type given to a public function: names the parameter and the type expected
    (also a TypeError, as Python's own are)."""


class ShapeError(CnnCalcError):
    """A layer cannot be applied to its input: the rule, the numbers, a hint."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        layer: str | None = None,
        input_shapes: str | None = None,
        fixes: tuple[str, ...] = (),
    ) -> None:
        self.layer = layer
        self.input_shapes = input_shapes
        self.fixes = fixes
        super().__init__(message, hint=hint)

    def _where(self) -> str:
        if not self.layer:
            return ""
        on = f" on input {self.input_shapes}" if self.input_shapes else ""
        return f"layer '{self.layer}'{on}: "

    def _text(self) -> str:
        text = super()._text()
        for fix in self.fixes:
            text += f"\n  fix: {fix}"
        return text

    def at_layer(self, layer: str, input_shapes: str) -> ShapeError:
        return type(self)(
            self.message, hint=self.hint, layer=layer, input_shapes=input_shapes, fixes=self.fixes
        )

    def with_fixes(self, fixes: tuple[str, ...]) -> ShapeError:
        return type(self)(
            self.message,
            hint=self.hint,
            layer=self.layer,
            input_shapes=self.input_shapes,
            fixes=self.fixes + fixes,
        )


class MergeError(ShapeError):
    """Branches joined by add/multiply/concatenate do not fit together."""


class ReshapeError(ShapeError):
    """A reshape whose sizes do not multiply out."""


class GraphError(CnnCalcError):
    """The network's wiring is wrong: unknown input, duplicate name, cycle, no input layer."""


class UnknownLayerError(CnnCalcError, KeyError):
    """No layer of that name in a result (also a KeyError, as a mapping's lookup is)."""


class UnsupportedError(CnnCalcError):
    """Something cnncalc does not model: said so, with the reason, never counted as zero."""


class ParseError(CnnCalcError):
    """A mistake in a network description, located at file:line:col."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        file: str = "<input>",
        line: int = 1,
        column: int = 1,
        source_line: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.source_line = source_line
        super().__init__(message, hint=hint)

    def _where(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: "

    def _text(self) -> str:
        text = self._where() + self.message
        if self.source_line is not None:
            text += f"\n  {self.source_line}\n  {' ' * (self.column - 1)}^"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


def describe(value: Any) -> str:
    """A value as a user would write it, for messages."""
    if isinstance(value, str):
        return repr(value)
    return str(value)
