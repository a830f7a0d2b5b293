"""The model is left exactly as it was: what a meta-device forward may change is saved first and put back.

A forward can store tensors as plain attributes or in lists and dicts (torchvision's ``AnchorGenerator`` caches
its anchors; a user's module keeps the last output): on meta those would be meta tensors, and the next real
forward would fail ("Cannot copy out of meta tensor"). Every module's attributes are snapshotted before the
trace — the object each name holds, and the contents of lists, dicts and sets — and restored after it: new
attributes are removed, replaced ones put back, containers refilled. Parameters and buffers are restored by
identity. Models the meta trace cannot handle are refused up front, with the reason.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from ...errors import UnsupportedError

#: torch's own bookkeeping in a module's __dict__ (hooks are added and removed by the tracer itself)
_TORCH_KEYS = frozenset({"_parameters", "_buffers", "_modules", "_non_persistent_buffers_set", "training"})


def _is_torch_key(name: str) -> bool:
    return name in _TORCH_KEYS or name.startswith(("_forward_", "_backward_", "_state_dict_", "_load_state_dict_"))


def _contents(value: Any) -> Any:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, set):
        return set(value)
    return None


Snapshot = list[tuple[nn.Module, dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]]


def snapshot(model: nn.Module) -> Snapshot:
    """Each module's attributes, parameters and buffers, and the contents of its mutable containers."""
    out: Snapshot = []
    for m in model.modules():
        attrs = {k: v for k, v in vars(m).items() if not _is_torch_key(k)}
        contents = {k: c for k, v in attrs.items() if (c := _contents(v)) is not None}
        out.append((m, attrs, contents, dict(m._parameters), dict(m._buffers)))
    return out


def restore(saved: Snapshot) -> None:
    """Put everything back; a module that cannot be restored (a scripted one) is skipped, never a crash."""
    for module, attrs, contents, params, buffers in saved:
        with contextlib.suppress(Exception):
            _restore_one(module, attrs, contents, params, buffers)


def _restore_one(module: nn.Module, attrs: dict[str, Any], contents: dict[str, Any], params: dict[str, Any],
                 buffers: dict[str, Any]) -> None:
    now = vars(module)
    for name in [k for k in now if not _is_torch_key(k) and k not in attrs]:
        del now[name]  # an attribute the forward added (a cache)
    for name, value in attrs.items():
        if now.get(name) is not value:
            now[name] = value
        if name in contents and value != contents[name]:
            _refill(value, contents[name])
    for store, saved in ((module._parameters, params), (module._buffers, buffers)):
        for name in [k for k in store if k not in saved]:
            del store[name]
        for name, value in saved.items():
            if store.get(name) is not value:
                store[name] = value


def _refill(container: Any, contents: Any) -> None:
    if isinstance(container, list):
        container[:] = contents
    else:
        container.clear()
        container.update(contents)


@contextlib.contextmanager
def untouched(model: nn.Module) -> Iterator[None]:
    """Run the block and leave every module of ``model`` as it was before it."""
    saved = snapshot(model)
    try:
        yield
    finally:
        restore(saved)


def refuse_untraceable(model: nn.Module) -> None:
    """TorchScript modules and uninitialised lazy modules cannot be traced on meta: say why and what to do."""
    if isinstance(model, torch.jit.ScriptModule):
        raise UnsupportedError(
            f"{type(model).__name__} is a TorchScript module: its compiled forward cannot be traced on the meta "
            "device, and its submodules are not plain nn.Modules",
            hint="pass the original nn.Module (before torch.jit.script/trace), e.g. the model class built in Python",
        )
    for path, m in model.named_modules():
        if isinstance(m, torch.jit.ScriptModule):
            raise UnsupportedError(f"module '{path}' ({type(m).__name__}) is TorchScript, which cannot be traced on "
                                   "the meta device", hint="build that part as a plain nn.Module")
        if isinstance(m, nn.modules.lazy.LazyModuleMixin) and m.has_uninitialized_params():  # type: ignore[misc]
            raise UnsupportedError(
                f"module '{path or 'model'}' ({type(m).__name__}) is a lazy module whose parameters are not created "
                "yet: their sizes come from the first real forward",
                hint="run one forward on a real input first (model(torch.zeros(...))) or use the non-lazy module "
                     "(e.g. nn.Linear(in_features, …) for nn.LazyLinear)",
            )
