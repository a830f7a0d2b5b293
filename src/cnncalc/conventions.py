"""How cnncalc counts: one explicit object, printed beside every total.

>>> c = Conventions()
>>> print(Conventions(batch=8).describe())  # doctest: +NORMALIZE_WHITESPACE
layout HWC · batch 8 · float32 (4 B) · FLOPs = 2×MACs (bias and element-wise work not counted) ·
BatchNorm/RNN counted as PyTorch does
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Literal

from .errors import ArgumentError, ArgumentTypeError
from .limits import check_size

Layout = Literal["hwc", "chw"]
Counting = Literal["torch", "keras"]

DTYPE_BYTES: dict[str, int] = {
    "float64": 8,
    "float32": 4,
    "float16": 2,
    "bfloat16": 2,
    "float8": 1,
    "int64": 8,
    "int32": 4,
    "int16": 2,
    "int8": 1,
    "uint8": 1,
    "bool": 1,
}

DTYPE_ALIASES: dict[str, str] = {
    "fp64": "float64",
    "double": "float64",
    "fp32": "float32",
    "float": "float32",
    "fp16": "float16",
    "half": "float16",
    "bf16": "bfloat16",
    "fp8": "float8",
    "long": "int64",
    "int": "int32",
}


def normalise_dtype(name: str) -> str:
    if not isinstance(name, str):
        raise ArgumentTypeError(f"dtype must be a string, got {type(name).__name__} {name!r}")
    key = DTYPE_ALIASES.get(name.lower(), name.lower())
    if key not in DTYPE_BYTES:
        known = ", ".join(DTYPE_BYTES)
        raise ArgumentError(f"unknown dtype {name!r}", hint=f"use one of {known}")
    return key


def _typed(name: str, value: Any, kind: type, expected: str) -> None:
    """A TypeError (also an ArgumentError) naming the parameter and the type expected; bool is not an int."""
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ArgumentTypeError(f"{name} must be {expected}, got {type(value).__name__} {value!r}")


@dataclass(frozen=True)
class Conventions:
    """The counting conventions (design §2).

    - ``layout``: how shapes are shown, 'hwc' (the article's) or 'chw' (PyTorch's).
    - ``batch``: activations, MACs and memory are per batch of this many samples.
    - ``dtype``: bytes per element for parameters and activations.
    - ``flops_per_mac``: FLOPs = this × MACs (2: one multiply and one add).
    - ``count_bias_flops``, ``count_elementwise_flops``: add bias additions, normalisation,
      activation and pooling work to FLOPs (off by default, as torchvision and fvcore count).
    - ``counting``: 'torch' (BatchNorm running statistics are state, not parameters; recurrent
      layers have two bias vectors) or 'keras' (BatchNorm moving statistics are non-trainable
      parameters; LSTM and SimpleRNN have one bias vector).
    """

    layout: Layout = "hwc"
    batch: int = 1
    dtype: str = "float32"
    flops_per_mac: int = 2
    count_bias_flops: bool = False
    count_elementwise_flops: bool = False
    counting: Counting = "torch"

    def __post_init__(self) -> None:
        for name in ("layout", "dtype", "counting"):
            _typed(name, getattr(self, name), str, "a string")
        for name in ("batch", "flops_per_mac"):
            _typed(name, getattr(self, name), int, "an integer")
        for name in ("count_bias_flops", "count_elementwise_flops"):
            _typed(name, getattr(self, name), bool, "True or False")
        if self.layout not in ("hwc", "chw"):
            raise ArgumentError(f"layout must be 'hwc' or 'chw', got {self.layout!r}")
        if self.batch < 1:
            raise ArgumentError(f"batch must be a positive integer, got {self.batch!r}")
        check_size("batch", self.batch)
        if self.counting not in ("torch", "keras"):
            raise ArgumentError(f"counting must be 'torch' or 'keras', got {self.counting!r}")
        if not 1 <= self.flops_per_mac <= 1000:
            raise ArgumentError(f"flops_per_mac must be a positive integer (at most 1000), got {self.flops_per_mac!r}")
        object.__setattr__(self, "dtype", normalise_dtype(self.dtype))

    @property
    def dtype_bytes(self) -> int:
        return DTYPE_BYTES[self.dtype]

    def but(self, **changes: Any) -> Conventions:
        """A copy with some fields changed (an unknown field is an ArgumentError naming the right one)."""
        known = [f.name for f in fields(self)]
        for key in changes:
            if key not in known:
                from .kinds.base import suggest

                guess = {"convention": "counting", "layout_": "layout"}.get(key) or suggest(key, known)
                raise ArgumentError(
                    f"no convention named '{key}'",
                    hint=(f"did you mean '{guess}'? " if guess else "") + "conventions: " + ", ".join(known),
                )
        return replace(self, **changes)

    def describe(self) -> str:
        extra = [
            name
            for name, on in (("bias", self.count_bias_flops), ("element-wise work", self.count_elementwise_flops))
            if on
        ]
        flops = f"FLOPs = {self.flops_per_mac}×MACs"
        flops += f" + {' + '.join(extra)}" if extra else " (bias and element-wise work not counted)"
        who = "PyTorch" if self.counting == "torch" else "Keras"
        return (
            f"layout {self.layout.upper()} · batch {self.batch} · {self.dtype} ({self.dtype_bytes} B) · "
            f"{flops} · BatchNorm/RNN counted as {who} does"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "layout": self.layout,
            "batch": self.batch,
            "dtype": self.dtype,
            "dtype_bytes": self.dtype_bytes,
            "flops_per_mac": self.flops_per_mac,
            "count_bias_flops": self.count_bias_flops,
            "count_elementwise_flops": self.count_elementwise_flops,
            "counting": self.counting,
        }
