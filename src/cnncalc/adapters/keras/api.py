"""``from_keras``: a Keras 3 model's table, from its graph and Keras's symbolic shape inference (nothing runs).

Keras counts by default: BatchNorm's moving mean and variance are non-trainable parameters, a layer with
``trainable=False`` holds only non-trainable ones; every layer's count is checked against Keras's own.
Shapes are shown (H, W, C) as Keras shows them (its (None, H, W, C) with the batch axis dropped).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...analysis import Result, assemble, check_depth
from ...conventions import Conventions
from ...errors import ArgumentError, CnnCalcError
from .backend import load_keras
from .graph import Tracer, functional_of
from .rows import KerasMismatchError, RowMaker, dims


def from_keras(model: Any, batch: int = 1, conventions: Conventions | None = None, depth: int | None = None, *,
               input_shape: Sequence[int] | Sequence[Sequence[int]] | None = None) -> Result:
    """Analyse a Keras 3 model (functional or Sequential) without running it.

    ``batch`` is the batch size N the per-sample numbers repeat over (or give ``conventions``);
    ``input_shape`` (batch axis excluded, e.g. ``(224, 224, 3)``; a list of them for several inputs)
    replaces the model's input shapes, needed where the model was built with unknown sizes. ``depth``
    keeps the rows down to that nesting level (nested models roll up what they hide).

    >>> import keras
    >>> m = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(8, 5), keras.layers.ReLU()])
    >>> r = from_keras(m)
    >>> r.totals.params, r.totals.macs, r.rows[1].output_shape.show()
    (608, 470400, '(28, 28, 8)')
    """
    keras = load_keras()
    check_depth(depth)
    conv = _conventions(batch, conventions)
    if not isinstance(model, keras.Model):
        raise ArgumentError(f"from_keras() takes a keras.Model, got {type(model).__name__}",
                            hint="wrap a layer in a model: keras.Sequential([keras.Input(shape), layer])")
    if functional_of(model) is None:
        raise CnnCalcError(
            f"model '{model.name}' has no graph: " + ("it is a Sequential that was never built"
                                                      if isinstance(model, keras.Sequential) else
                                                      "it is a subclassed model, whose call() is Python code"),
            hint="give the Sequential an input: keras.Sequential([keras.Input((32, 32, 3)), …]); build a "
                 "subclassed model functionally (keras.Model(inputs, outputs)), or export it to ONNX")
    specs = _input_specs(keras, model, input_shape)
    for spec in specs:
        dims(spec)
    inputs, calls = Tracer().trace(model, specs)
    maker = RowMaker(conv, conv.batch)
    for call in inputs:
        maker.input_row(call)
    for call in calls:
        maker.emit(call)
    maker.leftover(model)
    rows = tuple(maker.rows)
    shown = rows if depth is None else tuple(r for r in rows if r.depth < depth)
    result = assemble(str(model.name), rows, conv, tuple(f"{r.name}: {w}" for r in shown for w in r.warnings), depth)
    _check_totals(model, result.totals.trainable_params, result.totals.non_trainable_params)
    return result


def _conventions(batch: int, conventions: Conventions | None) -> Conventions:
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ArgumentError(f"batch must be a whole number ≥ 1, got {batch!r}")
    if conventions is None:
        return Conventions(batch=batch, counting="keras")
    if not isinstance(conventions, Conventions):
        raise TypeError(f"from_keras(): conventions must be a cnncalc.Conventions, got {type(conventions).__name__}")
    if conventions.counting != "keras":
        raise ArgumentError(
            f"counting '{conventions.counting}' does not apply to a Keras model: it is counted as Keras holds it "
            "(BatchNorm moving statistics are non-trainable parameters; one bias vector per recurrent gate)",
            hint="leave counting as 'keras' (the default for Keras models)")
    if batch != 1 and batch != conventions.batch:
        raise ArgumentError(f"batch={batch} contradicts conventions.batch={conventions.batch}",
                            hint="give the batch once")
    return conventions


def _input_specs(keras: Any, model: Any, input_shape: Any) -> list[Any]:
    """The model's input tensors, or new ones of the shapes given (batch axis left unknown)."""
    graph = functional_of(model)
    assert graph is not None
    current = list(graph.inputs)
    if input_shape is None:
        return current
    shapes = [input_shape] if all(isinstance(d, int) for d in input_shape) else list(input_shape)
    if len(shapes) != len(current):
        raise ArgumentError(f"model '{model.name}' has {len(current)} input(s); {len(shapes)} shape(s) given",
                            hint="give one shape per input, batch axis excluded, e.g. (224, 224, 3)")
    out = []
    for shape, x in zip(shapes, current):
        if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in shape):
            raise ArgumentError(f"input_shape {tuple(shape)} must hold whole numbers ≥ 1 (batch axis excluded)")
        if len(shape) != len(x.shape) - 1:
            raise ArgumentError(f"input_shape {tuple(shape)} has {len(shape)} axes; the model's input "
                                f"{tuple(x.shape)} has {len(x.shape) - 1} besides the batch")
        out.append(keras.KerasTensor((None, *shape), dtype=x.dtype))
    return out


def _check_totals(model: Any, trainable: int, frozen: int) -> None:
    """The rows' totals against Keras's own count of the model (unique variables)."""
    def count(variables: list[Any]) -> int:
        unique = {id(v): v for v in variables}
        return sum(int(_prod(v.shape)) for v in unique.values())

    theirs = (count(model.trainable_weights), count(model.non_trainable_weights))
    if (trainable, frozen) != theirs:
        raise KerasMismatchError(
            f"model '{model.name}': the rows count {trainable:,} trainable and {frozen:,} non-trainable parameters, "
            f"Keras {theirs[0]:,} and {theirs[1]:,}", hint="please report this with the model")


def _prod(shape: Any) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n
