"""A small PyTorch model for `cnncalc examples/models.py:make_net --input 1x3x32x32` (README)."""

from __future__ import annotations

from torch import nn


def make_net(num_classes: int = 10) -> nn.Module:
    """The article's network in PyTorch: two conv/pool stages and three dense layers."""
    return nn.Sequential(
        nn.Conv2d(3, 8, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, num_classes),
    )
