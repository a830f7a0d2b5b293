"""Model references of the CLI and --input specs.

- ``torchvision:NAME`` (weights=None), ``timm:NAME`` (pretrained=False), ``path/to/file.py:factory``
  and ``package.module:factory``; --kwargs go to the builder. Models are built under
  ``torch.device("meta")``; a builder that needs real numbers (torchvision's RegNet) is built with
  its parameters and buffers created on meta and its other arithmetic on the CPU. No weights are
  ever loaded or allocated.
- ``--input 1x3x224x224`` (float32), ``1x128:int64`` (token ids), ``name=1x128:int64`` (a keyword input).

>>> parse_input("1x128:int64")
('', (1, 128), torch.int64)
>>> parse_input("pixel_values=2x3x224x224")
('pixel_values', (2, 3, 224, 224), torch.float32)
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ...analysis import Result
from ...conventions import DTYPE_ALIASES, DTYPE_BYTES, Conventions, normalise_dtype
from ...errors import ArgumentError, CnnCalcError
from ...kinds.base import suggest
from ...sources import Request
from .api import analyze_module

#: cnncalc's dtype names whose torch dtype has another name (the rest are torch's own: torch.int64, …)
_TORCH_NAMES = {"float8": "float8_e4m3fn"}
_SPEC = re.compile(r"^(?:([A-Za-z_]\w*)=)?(\d+(?:x\d+)*)(?::(\w+))?$")


def parse_input(spec: str) -> tuple[str, tuple[int, ...], torch.dtype]:
    """One --input: (keyword name or '', shape with the batch axis, dtype)."""
    m = _SPEC.match(spec.strip().replace("×", "x"))
    if not m:
        raise ArgumentError(f"cannot read --input {spec!r}",
                            hint="write the shape with the batch axis as NxCxHxW, e.g. 1x3x224x224; add :int64 "
                                 "for token ids, or name=1x128:int64 for a keyword input")
    name, dims, dtype = m.group(1) or "", tuple(int(d) for d in m.group(2).split("x")), m.group(3)
    if 0 in dims:
        raise ArgumentError(f"--input {spec!r} has an axis of size 0: every axis must be ≥ 1",
                            hint="the first axis is the batch size, e.g. 1x3x224x224")
    return name, dims, torch_dtype(dtype, f"--input {spec!r}") if dtype else torch.float32


def torch_dtype(name: str, where: str) -> torch.dtype:
    """'int64', 'long', 'bf16', … → the torch dtype (cnncalc's dtype names and aliases, one table)."""
    try:
        key = normalise_dtype(name)
    except ArgumentError:
        guess = suggest(name.lower(), [*DTYPE_BYTES, *DTYPE_ALIASES])
        raise ArgumentError(f"unknown dtype {name!r} in {where}",
                            hint=f"did you mean '{guess}'?" if guess else "use one of " + ", ".join(DTYPE_BYTES)
                            ) from None
    return getattr(torch, _TORCH_NAMES.get(key, key))  # type: ignore[no-any-return]


@contextmanager
def meta_parameters() -> Iterator[None]:
    """Build with every new parameter and buffer on meta, other tensor arithmetic on the CPU.

    For builders whose arithmetic needs real numbers (torchvision's RegNet computes its widths
    with tensors): the weights are never allocated, unlike a CPU build moved to meta afterwards.
    """
    register_parameter, register_buffer = nn.Module.register_parameter, nn.Module.register_buffer

    def parameter(self: nn.Module, name: str, param: nn.Parameter | None) -> None:
        if param is not None and not param.is_meta:
            param = nn.Parameter(param.to("meta"), requires_grad=param.requires_grad)
        register_parameter(self, name, param)

    def buffer(self: nn.Module, name: str, tensor: torch.Tensor | None, persistent: bool = True) -> None:
        register_buffer(self, name, tensor.to("meta") if tensor is not None else None, persistent)

    nn.Module.register_parameter = parameter  # type: ignore[method-assign]
    nn.Module.register_buffer = buffer  # type: ignore[method-assign]
    try:
        yield
    finally:
        nn.Module.register_parameter = register_parameter  # type: ignore[method-assign]
        nn.Module.register_buffer = register_buffer  # type: ignore[method-assign]


def _meta_build(build: Callable[[], nn.Module], what: str) -> nn.Module:
    """Build under the meta device; if the builder needs real numbers, on the CPU, then move to meta."""
    try:
        with torch.device("meta"):
            model = build()
    except (TypeError, CnnCalcError, ModuleNotFoundError):
        raise
    except Exception:
        try:
            with meta_parameters():
                model = build().to("meta")
        except (TypeError, CnnCalcError, ModuleNotFoundError):
            raise
        except Exception as err:
            raise CnnCalcError(f"{what} failed to build: {type(err).__name__}: {err}",
                               hint="check the factory and its --kwargs") from None
    if not isinstance(model, nn.Module):
        raise ArgumentError(f"{what} returned {type(model).__name__}, not a torch.nn.Module")
    return model


def _torchvision(name: str, kwargs: dict[str, Any]) -> tuple[nn.Module, list[str]]:
    import torchvision  # type: ignore[import-untyped]

    known = torchvision.models.list_models()
    if name not in known:
        guess = suggest(name, known)
        raise ArgumentError(f"torchvision has no model '{name}'",
                            hint=f"did you mean '{guess}'?" if guess else "see torchvision.models.list_models()")
    builder = torchvision.models.get_model_builder(name)
    # no checkpoint is ever fetched: not the model's weights, nor a detector's or segmenter's backbone
    defaults = {"weights": None}
    if "weights_backbone" in inspect.signature(builder).parameters:
        defaults["weights_backbone"] = None
    model = _meta_build(lambda: builder(**(defaults | kwargs)), f"torchvision:{name}")
    return model, default_inputs(name, builder.__module__)


def default_inputs(name: str, module: str) -> list[str]:
    """The input a torchvision model is evaluated at: its default weights' crop size."""
    import torchvision

    crop = 224
    try:
        weights = torchvision.models.get_model_weights(name).DEFAULT
        size = weights.transforms().crop_size
        crop = int(size[0] if isinstance(size, (list, tuple)) else size)
    except Exception:  # no weights published, or transforms without a crop size
        pass
    if ".video." in module:
        return [f"1x3x16x{crop}x{crop}"]
    if ".optical_flow." in module:
        return ["1x3x512x512", "1x3x512x512"]
    return [f"1x3x{crop}x{crop}"]


def _timm(name: str, kwargs: dict[str, Any]) -> tuple[nn.Module, list[str]]:
    import timm

    model = _meta_build(lambda: timm.create_model(name, pretrained=False, **kwargs), f"timm:{name}")
    size = getattr(model, "default_cfg", {}).get("input_size", (3, 224, 224))
    return model, ["1x" + "x".join(str(d) for d in size)]


def _factory(ref: str, kwargs: dict[str, Any]) -> tuple[nn.Module, list[str]]:
    where, _, attr = ref.rpartition(":")
    if where.endswith(".py"):
        path = Path(where)
        if not path.is_file():
            raise CnnCalcError(f"cannot read '{where}': no such file", hint="give path/to/file.py:factory")
        spec = importlib.util.spec_from_file_location(f"_cnncalc_user_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        try:
            spec.loader.exec_module(module)
        except SyntaxError as err:
            raise CnnCalcError(f"{where}:{err.lineno}:{err.offset}: {err.msg}", hint="fix the Python file") from None
    else:
        module = importlib.import_module(where)
    factory = getattr(module, attr, None)
    if factory is None or not callable(factory):
        names = [n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n))]
        guess = suggest(attr, names)
        raise ArgumentError(f"'{where}' has no callable '{attr}'",
                            hint=f"did you mean '{guess}'?" if guess else "name a function that returns an nn.Module")
    return _meta_build(lambda: factory(**kwargs), ref), []


def resolve(ref: str, kwargs: dict[str, Any]) -> tuple[nn.Module, list[str]]:
    """The model a reference names, built on meta, and its default --input specs (may be empty)."""
    family, _, name = ref.partition(":")
    try:
        if family == "torchvision":
            return _torchvision(name, kwargs)
        if family == "timm":
            return _timm(name, kwargs)
        return _factory(ref, kwargs)
    except TypeError as err:
        raise ArgumentError(f"cannot build '{ref}' with --kwargs {kwargs}: {err}",
                            hint="check the keyword names the builder takes") from None


def analyze_source(source: str, request: Request) -> Result:
    """The PyTorch front-end of the source registry (cnncalc.sources): a model reference with the user's options."""
    conventions = request.conventions("chw")
    return analyze_reference(source, list(request.inputs) if request.inputs else None, dict(request.kwargs),
                             conventions, request.depth, batch=request.batch, dtype=request.dtype,
                             partial=request.partial)


def analyze_reference(ref: str, inputs: list[str] | None, kwargs: dict[str, Any], conventions: Conventions,
                      depth: int | None, *, batch: int | None = None, dtype: str | None = None,
                      partial: bool = False) -> Result:
    """The CLI's entry point: build the referenced model on meta and analyse it at the given inputs.

    ``batch`` and ``dtype`` are the CLI's --batch and --dtype when given (None when not): --batch sets
    the batch axis of the default inputs and must agree with explicit --input shapes; --dtype casts the
    model (free on meta) and the float inputs that do not name their own dtype. ``partial`` keeps the
    rows before an operator that cannot run on meta (a detector's NMS).
    """
    if conventions.counting != "torch":
        raise ArgumentError(
            f"--convention {conventions.counting} does not apply to a PyTorch model: it is counted as PyTorch "
            "stores it (BatchNorm running statistics are buffers, shown as state; recurrent layers have two biases)",
            hint="use --convention keras with a network in the text format",
        )
    model, defaults = resolve(ref, kwargs)
    cast = torch_dtype(dtype, "--dtype") if dtype is not None else None
    if cast is not None:
        if not cast.is_floating_point:
            raise ArgumentError(f"--dtype {dtype} would cast the model's parameters to an integer type",
                                hint="use a floating dtype such as float16 or bfloat16")
        model = model.to(cast)
    specs = inputs or defaults  # none: a forward without arguments runs, otherwise parameters only
    args: list[Any] = []
    named: dict[str, Any] = {}
    for spec in specs:
        key, dims, kind = parse_input(spec)
        if batch is not None and inputs and dims[0] != batch:
            raise ArgumentError(
                f"--batch {batch} disagrees with --input {spec}, whose first (batch) axis is {dims[0]}",
                hint=f"write the batch in the input, e.g. --input {'x'.join(map(str, (batch, *dims[1:])))}, "
                     "and drop --batch",
            )
        if batch is not None and not inputs:
            dims = (batch,) + dims[1:]
        if cast is not None and ":" not in spec and kind.is_floating_point:
            kind = cast
        t = torch.empty(dims, dtype=kind, device="meta")
        if key:
            named[key] = t
        else:
            args.append(t)
    return analyze_module(model, args, named, conventions, depth, name=ref, partial=partial)
