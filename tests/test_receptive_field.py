"""Receptive field of plain chains, checked by brute force with PyTorch and against published values.

Brute force: on a 1-D input of zeros, with all-positive weights and no bias, a large value at one input
position moves exactly the outputs whose field contains it (max and average pooling pass it on).
Published: Araujo, Norris & Sim, Distill 2019 (tests/data/receptive_fields.csv).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import cnncalc as cc
from cnncalc.layers import Conv, DepthwiseConv, Input, MaxPool

REFERENCE = Path(__file__).resolve().parent / "data" / "receptive_fields.csv"


def published(model: str, end_point: str) -> dict[str, str]:
    with REFERENCE.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["model"].startswith(model) and row["end_point"] == end_point:
                return row
    raise KeyError((model, end_point))


layer_case = st.tuples(
    st.sampled_from(["conv", "max", "avg"]), st.integers(1, 4), st.integers(1, 3), st.integers(1, 2),
    st.integers(0, 2),
)


@given(st.lists(layer_case, min_size=1, max_size=4))
def test_chain_rf_matches_brute_force(chain: list[tuple[str, int, int, int, int]]) -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    length = 96
    mods, layers = [], []
    for kind, k, s, d, p in chain:
        p = min(p, k // 2)
        if kind == "conv":
            m = nn.Conv1d(1, 1, k, s, p, d, bias=False)
            nn.init.constant_(m.weight, 1.0)
            mods.append(m)
            layers.append(Conv(1, k, stride=s, padding=p, dilation=d))
        elif kind == "max":
            mods.append(nn.MaxPool1d(k, s, p, d))
            layers.append(MaxPool(k, stride=s, padding=p, dilation=d))
        else:
            mods.append(nn.AvgPool1d(k, s, p, count_include_pad=True))
            layers.append(cc.layers.AvgPool(k, stride=s, padding=p))
    model = nn.Sequential(*mods)
    with torch.no_grad():
        try:
            base = model(torch.zeros(1, 1, length))
        except RuntimeError:  # e.g. a kernel larger than what is left of the input: no field to compare
            with pytest.raises(cc.ShapeError):
                cc.analyze(cc.Network.chain(Input((length, 1)), *layers))
            return
        n_out = base.shape[-1]
        if n_out < 3:
            return
        unit = n_out // 2
        moved = [i for i in range(length)
                 if model(torch.zeros(1, 1, length).index_fill_(2, torch.tensor([i]), 1e3))[0, 0, unit] != 0]
    res = cc.analyze(cc.Network.chain(Input((length, 1)), *layers))
    rf = res.rows[-1].receptive_field
    lo = unit * rf.jump[0] - rf.padding[0]
    hi = lo + rf.size[0] - 1
    if lo < 0 or hi >= length:
        return  # the field reaches into padding: brute force sees only the clipped part
    assert (moved[0], moved[-1]) == (lo, hi)  # the field's span
    if all(k >= s and (d == 1 or kind == "avg") for kind, k, s, d, _ in chain):
        assert moved == list(range(int(lo), int(hi) + 1))  # no holes without dilation or skipping strides


def vgg16_tfslim() -> cc.Network:
    g = cc.Graph()
    g.then(Input((224, 224, 3)), name="input")
    for block, (convs, width) in enumerate([(2, 64), (2, 128), (3, 256), (3, 512), (3, 512)], start=1):
        for i in range(1, convs + 1):
            g.then(Conv(width, 3, padding="same", activation="relu"), name=f"conv{block}_{i}")
        g.then(MaxPool(2, stride=2), name=f"pool{block}")
    return g.build("vgg_16")


@pytest.mark.parametrize("end_point", ["conv1_1", "pool1", "conv2_1", "pool2", "conv3_1", "pool3", "pool4", "pool5"])
def test_vgg16_against_published(end_point: str) -> None:
    row = cc.analyze(vgg16_tfslim())[end_point]
    ref = published("vgg_16", end_point)
    assert row.receptive_field.size == (int(ref["receptive_field"]),) * 2
    if ref["effective_stride"]:
        assert row.receptive_field.jump == (int(ref["effective_stride"]),) * 2
        assert row.receptive_field.padding == (int(ref["effective_padding"]),) * 2


def test_alexnet_v2_against_published() -> None:
    net = cc.Network.chain(
        Input((224, 224, 3)),
        Conv(64, 11, stride=4, padding="valid"), MaxPool(3, stride=2),
        Conv(192, 5, padding="same"), MaxPool(3, stride=2),
        Conv(384, 3, padding="same"), Conv(384, 3, padding="same"), Conv(256, 3, padding="same"),
        ("pool5", MaxPool(3, stride=2)),
    )
    ref = published("alexnet_v2", "final")
    rf = cc.analyze(net)["pool5"].receptive_field
    assert (rf.size[0], rf.jump[0], rf.padding[0]) == tuple(
        int(ref[k]) for k in ("receptive_field", "effective_stride", "effective_padding"))


def test_mobilenet_v1_against_published() -> None:
    layers: list[Any] = [Input((224, 224, 3)), Conv(32, 3, stride=2, padding="same")]
    plan = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
    for width, stride in plan:
        layers += [DepthwiseConv(3, stride=stride, padding="same"), Conv(width, 1)]
    rf = cc.analyze(cc.Network.chain(*layers)).rows[-1].receptive_field
    ref = published("mobilenet_v1", "final")
    assert (rf.size[0], rf.jump[0], rf.padding[0]) == tuple(
        int(ref[k]) for k in ("receptive_field", "effective_stride", "effective_padding"))
    # TF 'same' at stride 2 on an even input pads (0, 1): the published 126 is 157 (padding 1 on every
    # 3×3 layer) less 1 + 2 + 4 + 8 + 16 = 31 for the five stride-2 layers. An odd input pads (1, 1).
    rf_odd = cc.analyze(cc.Network.chain(Input((225, 225, 3)), *layers[1:])).rows[-1].receptive_field
    assert rf_odd.padding[0] == int(ref["effective_padding"]) + 31


def test_rf_through_a_residual_merge_takes_the_widest_path() -> None:
    g = cc.Graph()
    x = g.add("in", Input((32, 32, 8)))
    a = g.add("a", Conv(8, 3, padding=1), x)
    b = g.add("b", Conv(8, 3, padding=1), a)
    s = g.add("sum", cc.layers.Add(), b, x)
    rf = cc.analyze(g.build())[s].receptive_field
    assert rf.size == (5, 5)
    assert rf.note and "widest path" in rf.note


def resnet_v1_50_tfslim() -> cc.Network:
    """TF-Slim resnet_v1_50: stride in the last unit of each block, conv2d_same (explicit pad) at stride 2."""
    g = cc.Graph()
    g.then(Input((224, 224, 3)))
    g.then(cc.layers.ZeroPad(3))
    g.then(Conv(64, 7, stride=2))
    g.then(MaxPool(3, stride=2, padding="same"))
    for block, (units, depth, stride) in enumerate([(3, 64, 2), (4, 128, 2), (6, 256, 2), (3, 512, 1)]):
        for u in range(units):
            s = stride if u == units - 1 else 1
            entry = g.last or ""
            g.add(None, Conv(depth, 1), entry)
            if s > 1:
                g.then(cc.layers.ZeroPad(1))
                g.then(Conv(depth, 3, stride=s))
            else:
                g.then(Conv(depth, 3, padding="same"))
            main = g.then(Conv(depth * 4, 1))
            if u == 0:  # projection shortcut
                short = g.add(None, Conv(depth * 4, 1, stride=s), entry)
            else:  # identity, subsampled in the strided unit
                short = g.add(None, MaxPool(1, stride=s), entry) if s > 1 else entry
            g.add(f"block{block + 1}_unit{u + 1}", cc.layers.Add(), main, short)
    return g.build("resnet_v1_50")


def test_resnet_v1_50_against_published() -> None:
    rf = cc.analyze(resnet_v1_50_tfslim())["block4_unit3"].receptive_field
    ref = published("resnet_v1_50", "block4")
    assert (rf.size[0], rf.jump[0], rf.padding[0]) == tuple(
        int(ref[k]) for k in ("receptive_field", "effective_stride", "effective_padding"))
