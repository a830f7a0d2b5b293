"""The small networks of the parity tests, each written once: in the text format, in PyTorch and in Keras.

Shared by test_four_frontends.py, test_onnx_torch.py and pytorch_models/test_parity.py. The text format names
every layer as PyTorch names its module, so that rows can be matched by name. The frameworks are imported inside
the builders only: this module imports where they are not installed (the suite also runs without PyTorch; each
test file skips itself with ``pytest.importorskip``).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import nn

#: the article's network as the user writes it (a dense layer that flattens, a dense layer with a softmax)
ARTICLE_EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "article.cnn"


@dataclass(frozen=True)
class ParityNetwork:
    """One network: its text form, builders of a fresh PyTorch and Keras model, and its input as (C, H, W)."""

    text: str
    torch_model: Callable[[], nn.Module]
    keras_model: Callable[[], Any]
    chw: tuple[int, int, int]

    def input_size(self, batch: int = 1) -> tuple[int, ...]:
        """PyTorch's input size: (batch, C, H, W)."""
        return (batch, *self.chw)


def randomised(model: nn.Module) -> nn.Module:
    """The model in eval mode with random weights: the ONNX exporter merges initializers of equal values (the ones
    and zeros of an untrained BatchNorm or LayerNorm), which a trained model does not have."""
    import torch

    torch.manual_seed(0)
    with torch.no_grad():
        for t in [*model.parameters(), *(b for b in model.buffers() if b.is_floating_point())]:
            t.uniform_(0.5, 1.5)
    return model.eval()


def _keras() -> tuple[Any, Any]:
    """Keras and its layers module, on the torch backend unless one was chosen before."""
    os.environ.setdefault("KERAS_BACKEND", "torch")  # read when Keras is first imported
    import keras
    from keras import layers

    return keras, layers


# ---- the article's LeNet-style network ----------------------------------------------------------------

ARTICLE_TEXT = """\
network article
input: input 3x32x32 layout=chw
CONV1: conv 8 f=5
POOL1: maxpool f=2 s=2
CONV2: conv 16 f=5
POOL2: maxpool f=2 s=2
flat: flatten
FC3: dense 120
FC4: dense 84
FC5: dense 10
softmax: softmax
"""


def _article_torch() -> nn.Module:
    from torch import nn

    return nn.Sequential(OrderedDict([
        ("CONV1", nn.Conv2d(3, 8, 5)), ("POOL1", nn.MaxPool2d(2)), ("CONV2", nn.Conv2d(8, 16, 5)),
        ("POOL2", nn.MaxPool2d(2)), ("flat", nn.Flatten()), ("FC3", nn.Linear(400, 120)),
        ("FC4", nn.Linear(120, 84)), ("FC5", nn.Linear(84, 10)), ("softmax", nn.Softmax(dim=1)),
    ]))


def _article_keras() -> Any:
    keras, L = _keras()
    return keras.Sequential([keras.Input((32, 32, 3)), L.Conv2D(8, 5), L.MaxPooling2D(2), L.Conv2D(16, 5),
                             L.MaxPooling2D(2), L.Flatten(), L.Dense(120), L.Dense(84), L.Dense(10, "softmax")])


ARTICLE = ParityNetwork(ARTICLE_TEXT, _article_torch, _article_keras, (3, 32, 32))


# ---- a ResNet basic block with BatchNorm (torchvision's BasicBlock(64, 64), its module names) ----------

BASIC_BLOCK_TEXT = """\
network basic
input: input 64x56x56 layout=chw
conv1: conv 64 f=3 p=1 bias=false
bn1: batchnorm
relu: relu
conv2: conv 64 f=3 p=1 bias=false
bn2: batchnorm
add: add <- bn2, input
"relu#2": relu
"""


def _basic_block_torch() -> nn.Module:
    from torchvision.models.resnet import BasicBlock

    return BasicBlock(64, 64)


def _basic_block_keras() -> Any:
    keras, L = _keras()
    x = keras.Input((56, 56, 64))
    y = L.ReLU()(L.BatchNormalization()(L.Conv2D(64, 3, padding="same", use_bias=False)(x)))
    y = L.BatchNormalization()(L.Conv2D(64, 3, padding="same", use_bias=False)(y))
    return keras.Model(x, L.ReLU()(L.Add()([y, x])))


BASIC_BLOCK = ParityNetwork(BASIC_BLOCK_TEXT, _basic_block_torch, _basic_block_keras, (64, 56, 56))


# ---- a depthwise-separable block (MobileNet's: depthwise 3x3, pointwise 1x1, each with BatchNorm and ReLU6) ---

SEPARABLE_TEXT = """\
network separable
input: input 32x28x28 layout=chw
dw: conv 32 f=3 p=1 groups=32 bias=false
dw_bn: batchnorm
dw_relu: relu6
pw: conv 64 f=1 bias=false
pw_bn: batchnorm
pw_relu: relu6
"""


def _separable_torch() -> nn.Module:
    from torch import nn

    return nn.Sequential(OrderedDict([
        ("dw", nn.Conv2d(32, 32, 3, padding=1, groups=32, bias=False)), ("dw_bn", nn.BatchNorm2d(32)),
        ("dw_relu", nn.ReLU6()), ("pw", nn.Conv2d(32, 64, 1, bias=False)), ("pw_bn", nn.BatchNorm2d(64)),
        ("pw_relu", nn.ReLU6()),
    ]))


def _separable_keras() -> Any:
    keras, L = _keras()
    return keras.Sequential([keras.Input((28, 28, 32)), L.DepthwiseConv2D(3, padding="same", use_bias=False),
                             L.BatchNormalization(), L.ReLU(6.0), L.Conv2D(64, 1, use_bias=False),
                             L.BatchNormalization(), L.ReLU(6.0)])


SEPARABLE = ParityNetwork(SEPARABLE_TEXT, _separable_torch, _separable_keras, (32, 28, 28))
