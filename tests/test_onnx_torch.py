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

ROOT = Path(__file__).resolve().parents[1]
Export = Callable[..., Path]


def _randomise(model: nn.Module) -> nn.Module:
    torch.manual_seed(0)
    with torch.no_grad():
        for t in [*model.parameters(), *(b for b in model.buffers() if b.is_floating_point())]:
            t.uniform_(0.5, 1.5)
    return model.eval()


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
    m = _randomise(nn.Sequential(nn.Conv2d(3, 8, 5), nn.MaxPool2d(2, 2), nn.Conv2d(8, 16, 5), nn.MaxPool2d(2, 2),
                                 nn.Flatten(), nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)))
    text = (ROOT / "examples" / "article.cnn").read_text().replace(" softmax", "")
    net, tor, onx = _parity(text, m, (1, 3, 32, 32), exported("article", m, (1, 3, 32, 32)))
    assert net.totals.params == tor.totals.params == onx.totals.params == 62958


RESNET_BLOCK = """
input: input 56x56x64
conv_a: conv 64 f=3 p=1 bias=false
bn_a: batchnorm
relu_a: relu
conv_b: conv 64 f=3 p=1 bias=false
bn_b: batchnorm
sum: add <- bn_b, input
out: relu
"""


class Basic(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv_a, self.bn_a = nn.Conv2d(64, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64)
        self.conv_b, self.bn_b = nn.Conv2d(64, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn_a(self.conv_a(x)))
        return torch.relu(self.bn_b(self.conv_b(y)) + x)


def test_parity_a_resnet_basic_block_and_what_folding_changes(exported: Export) -> None:
    m, size = _randomise(Basic()), (1, 64, 56, 56)
    net, tor, onx = _parity(RESNET_BLOCK, m, size, exported("basic", m, size))
    assert net.totals.params == tor.totals.params == onx.totals.params == 2 * 64 * 64 * 9 + 4 * 64
    # running statistics: state; PyTorch adds one num_batches_tracked per BatchNorm, which ONNX does not store
    assert tor.totals.state - onx.totals.state == 2 and onx.totals.state == 4 * 64
    folded = from_onnx(exported("basic_folded", m, size, fold=True))
    assert folded.totals.macs == tor.totals.macs and not [r for r in folded.rows if r.kind == "batchnorm"]
    # each folded BatchNorm's 2·C scale/shift and 2·C statistics became C conv biases
    assert tor.totals.params - folded.totals.params == 2 * 64 and folded.totals.state == 0
    assert any("BatchNorm was folded" in w for w in folded.warnings)


def test_parity_a_depthwise_separable_block(exported: Export) -> None:
    text = ("input 28x28x32\ndw: conv 32 f=3 p=1 groups=32 bias=false\nbn1: batchnorm\nr1: relu6\n"
            "pw: conv 64 f=1 bias=false\nbn2: batchnorm\nr2: relu6\n")
    m = _randomise(nn.Sequential(nn.Conv2d(32, 32, 3, padding=1, groups=32, bias=False), nn.BatchNorm2d(32),
                                 nn.ReLU6(), nn.Conv2d(32, 64, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU6()))
    size = (1, 32, 28, 28)
    net, tor, onx = _parity(text, m, size, exported("dwsep", m, size))
    assert net.totals.params == tor.totals.params == onx.totals.params == 9 * 32 + 32 * 64 + 2 * 32 + 2 * 64


# ---- published models: torchvision, exported ---------------------------------------------------------

ZOO = ["resnet50", "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0", "vit_b_16",
       "shufflenet_v2_x0_5", "convnext_tiny"]


def _zoo(name: str, exported: Export) -> tuple[nn.Module, Path]:
    model = _randomise(torchvision.models.get_model(name, weights=None))
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
