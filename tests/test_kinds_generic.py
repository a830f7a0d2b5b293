"""Generic properties over every registered kind: the registry is the only list.

For each kind: output dims positive, counts non-negative, every explanation evaluates to its value,
and the frozen flag moves parameters to non-trainable.
"""

from __future__ import annotations

import re

import pytest

import cnncalc as cc
from cnncalc.expr import Quantity
from kind_samples import sample_for


def evaluate_filled(text: str) -> int:
    """Evaluate the filled-in formula text (·, −, ⌊a/b⌋, ⌈a/b⌉, max, min) independently of the code."""
    expr = text.replace("·", "*").replace("−", "-").replace("⌊", "fl(").replace("⌈", "cl(")
    expr = expr.replace("⌋", ")").replace("⌉", ")").replace("/", ",")
    if not re.fullmatch(r"[0-9+\-*(), flcmaxin]*", expr):
        raise AssertionError(f"unexpected characters in {text!r}")
    env = {"fl": lambda a, b: a // b, "cl": lambda a, b: -(-a // b), "max": max, "min": min}
    return int(eval(expr, {"__builtins__": {}}, env))


def quantities(c: cc.layers.Computed) -> list[Quantity]:
    qs = [c.trainable, c.non_trainable, c.state, c.macs, c.bias_flops, c.elementwise_flops]
    return qs + [q for _, q in c.shape_steps]


@pytest.mark.parametrize("name", sorted(cc.KINDS))
def test_every_kind_has_a_sample(name: str) -> None:
    assert sample_for(name) is not None, f"add a sample for kind {name!r} in tests/kind_samples.py"


@pytest.mark.parametrize("name", sorted(cc.KINDS))
@pytest.mark.parametrize("counting", ["torch", "keras"])
def test_kind_properties(name: str, counting: str) -> None:
    sample = sample_for(name)
    assert sample is not None
    args, inputs = sample
    layer = cc.build(name, args)
    c = layer.compute(inputs, counting)  # type: ignore[arg-type]
    assert all(d > 0 for d in c.output.dims)
    for q in quantities(c):
        assert q.value >= 0
        assert evaluate_filled(q.filled) == q.value, q.explain()
        assert q.explain().endswith(str(q.value))


@pytest.mark.parametrize("name", sorted(cc.KINDS))
def test_frozen_layer_counts_non_trainable(name: str) -> None:
    args, inputs = sample_for(name) or ({}, ())
    if name == "input":
        return
    g = cc.Graph()
    names = [g.add(f"in{i}", cc.layers.Input(s.dims, spatial=s.spatial)) for i, s in enumerate(inputs)]
    g.add("x", cc.build(name, {**args, "trainable": False}), *names)
    res = cc.analyze(g.build())
    live = cc.build(name, args).compute(inputs, "torch")
    row = res["x"]
    assert row.trainable.value == 0
    assert row.non_trainable.value == live.trainable.value + live.non_trainable.value


def test_text_round_trip_of_arguments() -> None:
    for name in cc.KINDS:
        args, _ = sample_for(name) or ({}, ())
        layer = cc.build(name, args)
        again = type(layer)(**layer.arguments())
        assert again == layer, name


def test_the_kind_index_names_every_registered_kind_in_its_family() -> None:
    """cnncalc.kinds.index (read before any family is imported) agrees with what each family registers."""
    import importlib

    from cnncalc.kinds import CLASS_MODULES
    from cnncalc.kinds.index import FAMILIES

    for module in FAMILIES:
        importlib.import_module(f"cnncalc.kinds.{module}")
    registered = cc.KINDS.loaded()
    assert sorted(registered) == sorted(n for names in FAMILIES.values() for n in names)
    for module, names in FAMILIES.items():
        for name in names:
            assert cc.KINDS[name].cls.__module__ == f"cnncalc.kinds.{module}", name
    for cls_name, module in CLASS_MODULES.items():
        assert getattr(cc.layers, cls_name).__module__ == f"cnncalc.kinds.{module}", cls_name
    kind_classes = {e.cls.__name__ for e in cc.KINDS.values()}
    assert kind_classes <= set(CLASS_MODULES), kind_classes - set(CLASS_MODULES)


def test_the_registry_refuses_a_name_twice_and_lists_a_users_own_kind_last() -> None:
    from dataclasses import dataclass

    from cnncalc.kinds.base import KindRegistry, register

    with pytest.raises(RuntimeError, match="'relu' is registered twice"):
        register("relu")(type(cc.build("relu", {})))
    registry = KindRegistry()
    assert "conv" in registry and len(registry) == len(cc.KINDS) and list(registry) == list(cc.KINDS)
    with pytest.raises(KeyError):
        registry["no_such_kind"]

    @dataclass(frozen=True)
    class Twice(cc.Layer):
        kind = "twice_for_test"

    from cnncalc.kinds.base import KindEntry

    registry.add(KindEntry("twice_for_test", Twice, {}, "a user's kind"))
    assert list(registry)[-1] == "twice_for_test" and registry["twice_for_test"].cls is Twice
    assert len(registry) == len(cc.KINDS) + 1
