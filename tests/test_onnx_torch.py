"""The ONNX front-end against PyTorch: parity networks (text format, PyTorch, ONNX export), torchvision models
exported with torch.onnx.export (MACs and parameters equal the PyTorch path's), and per-node output shapes equal
onnxruntime's on a random input.

Exports use the TorchScript exporter (dynamo=False: several times faster on small machines) and are cached for
the session. Weights are randomised before export: the exporter merges initializers of equal values (the ones
and zeros of an untrained BatchNorm or LayerNorm), which a trained model does not have.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")
onnx = pytest.importorskip("onnx")

from torch import nn  # noqa: E402

import cnncalc as cc  # noqa: E402
from cnncalc.adapters.onnx import from_onnx  # noqa: E402
from cnncalc.adapters.torch import from_torch  # noqa: E402
from parity_networks import ARTICLE, ARTICLE_EXAMPLE, BASIC_BLOCK, SEPARABLE, randomised  # noqa: E402

Export = Callable[..., Path]


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Export:
    """export(key, model, size, fold=False) → the .onnx file, exported once per session."""
    folder = tmp_path_factory.mktemp("onnx_exports")
    done: dict[str, Path] = {}

    def export(key: str, model: nn.Module, size: tuple[int, ...], fold: bool = False) -> Path:
        if key not in done:
            path = folder / f"{key}.onnx"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(model, (torch.randn(*size),), str(path), dynamo=False, do_constant_folding=fold)
            done[key] = path
        return done[key]

    return export


# ---- parity: the text format, PyTorch and ONNX -------------------------------------------------------

KEY_KINDS = {"conv", "maxpool", "dense", "dense+softmax", "batchnorm", "add", "relu", "relu6"}


#: kinds that are modules in PyTorch (a functional relu or a `+` is not a row of its own there)
MODULE_KINDS = {"conv", "maxpool", "dense", "dense+softmax", "batchnorm", "relu6"}


def _key_rows(result: cc.Result, kinds: set[str] = KEY_KINDS
              ) -> list[tuple[str, tuple[int, ...], int, tuple[int | float, ...]]]:
    return [(r.kind.replace("+softmax", ""), r.output_shape.dims, r.macs.value, r.receptive_field.size)
            for r in result.rows if r.kind in kinds and not r.is_container]


def _parity(text: str, model: nn.Module, size: tuple[int, ...], path: Path) -> tuple[cc.Result, ...]:
    """Shapes, MACs and receptive fields row by row: text = ONNX on every key kind, = PyTorch on its modules."""
    net, tor, onx = cc.analyze(cc.parse(text)), from_torch(model, input_size=size), from_onnx(path)
    assert _key_rows(net) == _key_rows(onx)
    assert _key_rows(net, MODULE_KINDS) == _key_rows(tor, MODULE_KINDS)
    assert net.totals.macs == tor.totals.macs == onx.totals.macs
    return net, tor, onx


def test_parity_the_article_network(exported: Export) -> None:
    m, size = randomised(ARTICLE.torch_model()), ARTICLE.input_size()
    net, tor, onx = _parity(ARTICLE_EXAMPLE.read_text(), m, size, exported("article", m, size))
    assert net.totals.params == tor.totals.params == onx.totals.params == 62958


def test_parity_a_resnet_basic_block_and_what_folding_changes(exported: Export) -> None:
    m, size = randomised(BASIC_BLOCK.torch_model()), BASIC_BLOCK.input_size()
    net, tor, onx = _parity(BASIC_BLOCK.text, m, size, exported("basic", m, size))
    assert net.totals.params == tor.totals.params == onx.totals.params == 2 * 64 * 64 * 9 + 4 * 64
    # running statistics: state; PyTorch adds one num_batches_tracked per BatchNorm, which ONNX does not store
    assert tor.totals.state - onx.totals.state == 2 and onx.totals.state == 4 * 64
    folded = from_onnx(exported("basic_folded", m, size, fold=True))
    assert folded.totals.macs == tor.totals.macs and not [r for r in folded.rows if r.kind == "batchnorm"]
    # each folded BatchNorm's 2·C scale/shift and 2·C statistics became C conv biases
    assert tor.totals.params - folded.totals.params == 2 * 64 and folded.totals.state == 0
    assert any("BatchNorm was folded" in w for w in folded.warnings)


def test_parity_a_depthwise_separable_block(exported: Export) -> None:
    m, size = randomised(SEPARABLE.torch_model()), SEPARABLE.input_size()
    net, tor, onx = _parity(SEPARABLE.text, m, size, exported("dwsep", m, size))
    assert net.totals.params == tor.totals.params == onx.totals.params == 9 * 32 + 32 * 64 + 2 * 32 + 2 * 64


# ---- published models: torchvision, exported ---------------------------------------------------------

ZOO = ["resnet50", "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0", "vit_b_16",
       "shufflenet_v2_x0_5", "convnext_tiny"]


def _zoo(name: str, exported: Export) -> tuple[nn.Module, Path]:
    model = randomised(torchvision.models.get_model(name, weights=None))
    return model, exported(name, model, (1, 3, 224, 224))


@pytest.mark.slow
@pytest.mark.parametrize("name", ZOO)
def test_torchvision_exports_give_the_pytorch_paths_macs_and_params(name: str, exported: Export) -> None:
    model, path = _zoo(name, exported)
    onx, tor = from_onnx(path), from_torch(model, input_size=(1, 3, 224, 224))
    assert onx.totals.macs == tor.totals.macs
    assert onx.totals.params == tor.totals.params
    assert not [w for w in onx.warnings if "disagree" in w]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["resnet50", "mobilenet_v3_small", "efficientnet_b0", "vit_b_16",
                                  "shufflenet_v2_x0_5"])
def test_per_node_output_shapes_equal_onnxruntimes(name: str, exported: Export) -> None:
    ort = pytest.importorskip("onnxruntime")
    import numpy as np

    _, path = _zoo(name, exported)
    model = onnx.load(str(path))
    outputs = {n.name.strip("/"): n.output[0] for n in model.graph.node if n.name and n.output}
    known = {o.name for o in model.graph.output}
    for out in outputs.values():
        if out not in known:
            model.graph.output.append(onnx.helper.make_empty_tensor_value_info(out))
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: np.random.rand(1, 3, 224, 224).astype("float32")}
    names = [o.name for o in session.get_outputs()]
    shapes = {n: tuple(v.shape) for n, v in zip(names, session.run(names, feed))}
    result, checked = from_onnx(path), 0
    for row in result.rows:
        if row.name not in outputs or row.is_container:
            continue
        got = shapes[outputs[row.name]]
        expected = got[1:] if len(got) >= 2 else got
        assert row.output_shape.ordered("chw") == (expected or (1,)), (row.name, row.output_shape, got)
        checked += 1
    assert checked >= 50
