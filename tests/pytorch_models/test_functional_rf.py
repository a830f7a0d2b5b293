"""Receptive field through functional operators (F.conv2d, F.max_pool2d, F.avg_pool2d, adaptive pools,
F.interpolate, F.pad), checked by brute force: perturb one input pixel, see which outputs move.

Oracle: PyTorch itself on the CPU with positive weights (so that no perturbation cancels out), against the
field cnncalc computes on the meta device for the same model.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")
import torch.nn.functional as F  # noqa: E402
import torchvision  # noqa: E402
from torch import nn  # noqa: E402

import cnncalc as cc  # noqa: E402


class Functional(nn.Module):
    """Every functional spatial operator the tracer maps, with no module doing the work."""

    def __init__(self) -> None:
        super().__init__()
        self.w1 = nn.Parameter(torch.full((2, 1, 3, 3), 1.0))
        self.w2 = nn.Parameter(torch.full((2, 2, 3, 3), 1.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.conv2d(x, self.w1, padding=1)
        x = F.max_pool2d(x, 3, stride=2)
        x = F.avg_pool2d(x, 3, stride=1, padding=1)
        x = F.pad(x, (1, 1, 2, 2))
        x = F.conv2d(x, self.w2, dilation=2)
        x = F.adaptive_avg_pool2d(x, (x.shape[-2] // 2, x.shape[-1] // 2))
        return F.conv2d(x, self.w2, stride=2)


class Interpolating(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(F.max_pool2d(x, 2), scale_factor=2, mode="nearest")


def test_interpolate_has_the_field_of_upsample() -> None:
    """F.interpolate gets nn.Upsample's rule (the core's, approximate through a fractional jump: said so)."""
    functional = cc.from_torch(Interpolating(), input_size=(1, 2, 16, 16)).rows[-1].receptive_field
    module = cc.from_torch(nn.Sequential(nn.MaxPool2d(2), nn.Upsample(scale_factor=2)),
                           input_size=(1, 2, 16, 16)).rows[-1].receptive_field
    assert functional.as_dict() == module.as_dict() and functional.status == "local"


def moved_span(model: nn.Module, size: tuple[int, int], channels: int, unit: tuple[int, int]) -> tuple[int, ...]:
    """(first row, last row, first column, last column) of the input pixels whose perturbation moves ``unit``."""
    with torch.no_grad():
        rows, cols = [], []
        for i in range(size[0]):
            x = torch.zeros(1, channels, *size)
            x[0, :, i, size[1] // 2] = 1e3
            if model(x)[0, :, unit[0], unit[1]].abs().sum() > 0:  # any channel: the widest branch counts
                rows.append(i)
        for j in range(size[1]):
            x = torch.zeros(1, channels, *size)
            x[0, :, size[0] // 2, j] = 1e3
            if model(x)[0, :, unit[0], unit[1]].abs().sum() > 0:  # any channel: the widest branch counts
                cols.append(j)
    return rows[0], rows[-1], cols[0], cols[-1]


def test_functional_ops_carry_the_receptive_field() -> None:
    model = Functional().eval()
    size = (66, 66)  # the adaptive pool then halves 32×30 exactly (regular windows)
    result = cc.from_torch(model, input_size=(1, 1, *size))
    rf = result.rows[-1].receptive_field  # the model is one leaf module: its row carries the field
    assert rf.status == "local", rf
    out = model(torch.zeros(1, 1, *size))
    unit = (out.shape[-2] // 2, out.shape[-1] // 2)
    lo = [unit[a] * rf.jump[a] - rf.padding[a] for a in (0, 1)]
    hi = [lo[a] + rf.size[a] - 1 for a in (0, 1)]
    assert all(lo[a] >= 0 and hi[a] < size[a] for a in (0, 1)), "choose a unit whose field is inside the input"
    # the unit's field is centred on the middle row/column only approximately: perturb along lines through it
    moved = moved_span(model, size, 1, unit)
    assert (moved[0], moved[1]) == (lo[0], hi[0])
    assert (moved[2], moved[3]) == (lo[1], hi[1])


def test_inception_v3_field_goes_through_its_functional_pools() -> None:
    model = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=False).eval()
    result = cc.from_torch(model, input_size=(1, 3, 299, 299))
    sizes = {r.name: r.receptive_field for r in result.rows}
    # InceptionA's pool branch is F.avg_pool2d(3, 1, 1) then a 1×1 conv: 31 + 2·8 = 47 at Mixed_5b
    assert sizes["Mixed_5b.branch_pool.conv"].size == (47, 47)
    assert sizes["Mixed_5b"].size == (63, 63)
    assert sizes["Mixed_7c"].status == "local" and sizes["avgpool"].status == "global"


def test_inception_v3_block_field_by_brute_force() -> None:
    model = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=False).eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.fill_(1.0 / m.weight[0].numel())
    stem = nn.Sequential(model.Conv2d_1a_3x3, model.Conv2d_2a_3x3, model.Conv2d_2b_3x3, model.maxpool1,
                         model.Conv2d_3b_1x1, model.Conv2d_4a_3x3, model.maxpool2, model.Mixed_5b).eval()
    size = (151, 151)
    result = cc.from_torch(stem, input_size=(1, 3, *size))
    rf = result.rows[-1].receptive_field
    out = stem(torch.zeros(1, 3, *size))
    unit = (out.shape[-2] // 2, out.shape[-1] // 2)
    lo = [unit[a] * rf.jump[a] - rf.padding[a] for a in (0, 1)]
    moved = moved_span(stem, size, 3, unit)
    assert (moved[2], moved[3]) == (lo[1], lo[1] + rf.size[1] - 1)
    assert rf.size == (63, 63)
