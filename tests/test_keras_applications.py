"""Every keras.applications model (weights=None): cnncalc's total, trainable and non-trainable parameters equal
Keras's own, and every layer's output shape equals the one Keras inferred.

Each model is built once (on PyTorch's meta device, as ``cnncalc keras:NAME`` builds it). A representative set
covering every layer class the applications use runs by default; the rest are marked slow (they still run in
CI: `pytest -m slow`).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

from cnncalc import ArgumentError  # noqa: E402
from cnncalc.adapters.keras import from_keras  # noqa: E402
from cnncalc.adapters.keras.source import application, application_names  # noqa: E402

#: together these use every layer class (and Keras operation) met in keras.applications
REPRESENTATIVE = ("VGG16", "ResNet50", "MobileNetV3Small", "EfficientNetB0", "InceptionResNetV2", "MobileNetV2",
                  "ConvNeXtTiny", "Xception")
#: Keras refuses to build these on the PyTorch backend ("not available with the torch backend")
NOT_ON_TORCH = ("NASNetMobile",)
#: built with unknown spatial sizes by default: given keras:NAME's documented size
UNKNOWN_SIZE = ("MobileNetV3Large", "MobileNetV3Small")
#: classes with no core kind, measured (with the reason); everything else must be modelled. Add and Multiply
#: are Keras operations with a constant operand (MobileNetV3's hard sigmoid: ``x + 3.0``, ``x * (1/6)``)
MEASURED = {"LayerScale", "CustomScaleLayer", "Normalization", "Rescaling", "Add", "Multiply"}
ALL = application_names(keras)


def _count(variables: list[Any]) -> int:
    unique = {id(v): v for v in variables}
    total = 0
    for v in unique.values():
        n = 1
        for d in v.shape:
            n *= int(d)
        total += n
    return total


def check_application(name: str) -> None:
    if name in NOT_ON_TORCH and keras.backend.backend() == "torch":
        with pytest.raises(ArgumentError, match="not available with the torch backend"):
            application(name, {})
        return
    model = application(name, {"input_shape": (224, 224, 3)} if name in UNKNOWN_SIZE else {})
    r = from_keras(model)
    assert (r.totals.trainable_params, r.totals.non_trainable_params) == (
        _count(model.trainable_weights), _count(model.non_trainable_weights)), name
    assert r.totals.params == model.count_params()
    for layer in model.layers:
        if len(layer._inbound_nodes) != 1:
            continue
        row = r[layer.name]
        assert row.output_shape.dims == tuple(layer.output.shape[1:]), (name, layer.name)
    measured = {row.kind for row in r.rows if row.unmodelled and not row.is_container}
    assert measured <= MEASURED, (name, measured - MEASURED)
    assert r.totals.macs > 0


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_representative_application(name: str) -> None:
    check_application(name)
    keras.backend.clear_session()


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in ALL if n not in REPRESENTATIVE])
def test_every_other_application(name: str) -> None:
    check_application(name)
    keras.backend.clear_session()


def test_the_representative_set_is_in_keras() -> None:
    assert set(REPRESENTATIVE) <= set(ALL) and len(ALL) >= 40
