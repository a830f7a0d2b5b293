"""The article's network built through the Python API (shared by several test files)."""

from __future__ import annotations

import cnncalc as cc
from cnncalc.layers import Conv, Dense, Input, MaxPool


def article_network() -> cc.Network:
    return cc.Network.chain(
        ("Input", Input((32, 32, 3))),
        ("CONV1", Conv(8, kernel_size=5, stride=1)),
        ("POOL1", MaxPool(2, stride=2)),
        ("CONV2", Conv(16, kernel_size=5, stride=1)),
        ("POOL2", MaxPool(2, stride=2)),
        ("FC3", Dense(120)),
        ("FC4", Dense(84)),
        ("Softmax", Dense(10, activation="softmax")),
        name="article",
    )
