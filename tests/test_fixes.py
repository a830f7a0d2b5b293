"""Fixes for impossible networks: each suggested fix, applied, gives a network the core analyses, and
PyTorch runs it (the oracle: the fixed network must work; the broken one must fail in PyTorch too)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import cnncalc as cc
from cnncalc.analysis.fixes import suggest_fixes
from cnncalc.kinds import build
from cnncalc.layers import Conv, Input, MaxPool


def _error(net: cc.Network) -> cc.ShapeError:
    with pytest.raises(cc.ShapeError) as exc:
        cc.analyze(net)
    return exc.value


def _pool_net(with_pools: tuple[str, ...] = ("p1", "p2")) -> cc.Network:
    items: list[tuple[str, cc.Layer]] = [("in", Input((12, 12, 3)))]
    items += [(n, MaxPool(2)) for n in with_pools]
    items.append(("conv", Conv(8, kernel_size=5)))
    return cc.Network.chain(*items)


def test_core_fixes_padding_and_kernel_make_it_valid() -> None:
    err = _error(cc.Network.chain(Input((4, 4, 3)), ("c", Conv(8, kernel_size=7))))
    assert re.search(r"kernel is larger than the padded input", str(err))
    pad = int(re.match(r"padding=(\d+)", err.fixes[0]).group(1))  # type: ignore[union-attr]
    largest = int(re.match(r"kernel_size ≤ (\d+)", err.fixes[1]).group(1))  # type: ignore[union-attr]
    assert cc.analyze(cc.Network.chain(Input((4, 4, 3)), Conv(8, kernel_size=7, padding=pad))).rows[-1]
    assert cc.analyze(cc.Network.chain(Input((4, 4, 3)), Conv(8, kernel_size=largest))).rows[-1]
    with pytest.raises(cc.ShapeError):
        cc.analyze(cc.Network.chain(Input((4, 4, 3)), Conv(8, kernel_size=largest + 1)))
    with pytest.raises(cc.ShapeError):
        cc.analyze(cc.Network.chain(Input((4, 4, 3)), Conv(8, kernel_size=7, padding=pad - 1)))


def test_drop_the_pooling_layer_before_an_oversize_kernel() -> None:
    net = _pool_net()
    fixes = suggest_fixes(net, _error(net))
    # 12 → 6 → 3 < 5: dropping either pooling layer leaves 6 ≥ 5
    assert fixes == [
        "drop 'p2' (maxpool f=2, s=2): 'conv' then sees (6, 6, 3)",
        "drop 'p1' (maxpool f=2, s=2): 'conv' then sees (6, 6, 3)",
    ]
    fixed = _pool_net(("p1",))
    assert cc.analyze(fixed)["conv"].output_shape.dims == (2, 2, 8)


def test_no_drop_suggested_when_none_helps() -> None:
    net = cc.Network.chain(("in", Input((8, 8, 3))), ("p", MaxPool(2)), ("c", Conv(8, kernel_size=9)))
    assert suggest_fixes(net, _error(net)) == []  # even 8 < 9 without the pool


def test_strided_conv_upstream() -> None:
    net = cc.Network.chain(
        ("in", Input((10, 10, 3))), ("down", Conv(4, kernel_size=3, stride=3)), ("c", Conv(8, kernel_size=5))
    )
    assert suggest_fixes(net, _error(net)) == ["set stride=1 on 'down' (now 3): 'c' then sees (8, 8, 4)"]


def _residual(branch_filters: int) -> cc.Network:
    g = cc.Graph()
    g.add("in", Input((8, 8, 16)))
    g.add("a", build("conv", {"filters": 32, "f": 3, "p": 1}), "in")
    g.add("b", build("conv", {"filters": branch_filters, "f": 3, "p": 1}), "a")
    g.add("b_bn", build("batchnorm", {}), "b")
    g.add("sum", build("add", {}), "b_bn", "a")
    return g.build()


def test_merge_needs_a_channel_count() -> None:
    net = _residual(24)
    err = _error(net)
    assert isinstance(err, cc.MergeError)
    fixes = suggest_fixes(net, err)
    assert fixes[0] == "give 'b' 32 filters (now 24) so that 'sum' gets (8, 8, 32) from 'b_bn' as from 'a'"
    assert cc.analyze(_residual(32))["sum"].output_shape.dims == (8, 8, 32)


def test_pytorch_agrees_broken_and_fixed() -> None:
    torch = pytest.importorskip("torch")
    x = torch.empty(1, 3, 12, 12, device="meta")
    pool, conv = torch.nn.MaxPool2d(2), torch.nn.Conv2d(3, 8, 5, device="meta")
    with pytest.raises(RuntimeError):
        conv(pool(pool(x)))
    assert conv(pool(x)).shape == (1, 8, 2, 2)  # one pooling layer dropped, as suggested


def test_check_with_an_impossible_net_prints_graph_fixes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from cnncalc.check.cli import main

    net = tmp_path / "bad.cnn"
    net.write_text("input 12x12x3\np1: maxpool 2\np2: maxpool 2\nc: conv 8 f=5\n", encoding="utf-8")
    table = tmp_path / "t.md"
    table.write_text(
        "| Layer | Params |\n|---|---|\n| in | 0 |\n| p1 | 0 |\n| p2 | 0 |\n| c | 608 |\n", encoding="utf-8"
    )
    assert main([str(table), "--net", str(net)]) == 2
    err = capsys.readouterr().err
    assert "fix: padding=1 on each side" in err
    assert "fix: drop 'p2' (maxpool f=2, s=2): 'c' then sees (6, 6, 3)" in err


def test_a_table_describing_an_impossible_network_names_the_pool_to_drop() -> None:
    from cnncalc.check import check

    table = (
        "| Layer | Shape |\n|---|---|\n| Input | (12, 12, 3) |\n| POOL1 (f=2, s=2) | (6, 6, 3) |\n"
        "| POOL2 (f=2, s=2) | (3, 3, 3) |\n| CONV1 (f=5, s=1) | (1, 1, 8) |\n"
    )
    with pytest.raises(cc.ShapeError, match=r"kernel is larger") as exc:
        check(table)
    assert "drop 'POOL2' (maxpool f=2, s=2): 'CONV1' then sees (6, 6, 3)" in exc.value.fixes
