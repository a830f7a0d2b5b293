"""`cnncalc solve`: every proposed combination verified by the core's shape arithmetic (a full network
analysed), the list checked complete against brute force, and a sample run through PyTorch."""

from __future__ import annotations

import json
import random

import pytest

import cnncalc as cc
from cnncalc.layers import Conv, ConvTranspose, Input
from cnncalc.solve import Bounds, same_padding, search, solve_size, solve_transposed, undo
from cnncalc.solve.cli import main

CASES = [(224, 112), (32, 28), (28, 14), (15, 6), (7, 1), (100, 33), (5, 5), (64, 8)]


def _core_out(i: int, k: int, s: int, p: int | tuple[tuple[int, int], ...], d: int = 1) -> int:
    net = cc.Network.chain(Input((i, i, 1)), Conv(1, kernel_size=k, stride=s, padding=p, dilation=d))
    return cc.analyze(net).rows[-1].output_shape.dims[0]


def _brute(i: int, o: int, max_kernel: int, dilations: tuple[int, ...]) -> set[tuple[int, int, int, int]]:
    """Every (k, s, p, d) with padding ≤ ⌊eff/2⌋ and stride ≤ i + 2p giving o, by the textbook formula."""
    out = set()
    for k in range(1, max_kernel + 1):
        for d in dilations:
            if d > 1 and k == 1:
                continue
            eff = d * (k - 1) + 1
            for p in range(eff // 2 + 1):
                for s in range(1, i + 2 * p + 2):
                    if i + 2 * p >= eff and (i + 2 * p - eff) // s + 1 == o:
                        out.add((k, s, p, d))
    return out


@pytest.mark.parametrize(("i", "o"), CASES)
def test_every_combination_gives_the_size_by_the_core(i: int, o: int) -> None:
    combos = solve_size(i, o, max_kernel=7, dilations=(1, 2))
    assert combos, f"{i} → {o} has solutions"
    for c in combos:
        assert _core_out(i, c.kernel, c.stride, c.padding, c.dilation) == o
        assert c.output.value == o


@pytest.mark.parametrize(("i", "o"), [c for c in CASES if c[1] > 1])
def test_the_list_is_complete_against_brute_force(i: int, o: int) -> None:
    got = {(c.kernel, c.stride, c.padding, c.dilation) for c in solve_size(i, o, max_kernel=7, dilations=(1, 2))}
    assert got == _brute(i, o, 7, (1, 2))


def test_smallest_kernel_first_and_bounds() -> None:
    combos = solve_size(224, 112, max_kernel=11)
    assert [c.kernel for c in combos] == sorted(c.kernel for c in combos)
    assert (combos[0].kernel, combos[0].stride, combos[0].padding) == (1, 2, 0)
    assert all(c.kernel <= 11 and c.padding <= c.kernel // 2 for c in combos)
    assert all(c.stride <= 2 for c in solve_size(224, 112, max_stride=2))
    assert solve_size(10, 50) == []


def test_same_padding() -> None:
    for k in range(1, 8):
        for d in (1, 2):
            r = same_padding(k, dilation=d)
            eff = d * (k - 1) + 1
            symmetric = [p for p in range(eff) if 40 + 2 * p - eff + 1 == 40]
            assert r.symmetric == bool(symmetric)
            if r.symmetric:
                assert _core_out(40, k, 1, r.pads[0], d) == 40
            else:
                assert "no symmetric padding keeps the size" in r.message and sum(r.pads) == eff - 1
                assert _core_out(40, k, 1, ((r.pads[0], r.pads[1]),) * 2, d) == 40
    for i in (223, 224, 225):
        for k in (1, 2, 3, 4, 5):
            r = same_padding(k, stride=2, i=i)
            pads = ((r.pads[0], r.pads[1]),) * 2
            assert _core_out(i, k, 2, pads) == -(-i // 2)


def test_same_padding_needs_the_input_for_strides() -> None:
    with pytest.raises(cc.ArgumentError, match="depends on the input size"):
        same_padding(3, stride=2)


@pytest.mark.parametrize("i", [223, 224, 225, 31, 7])
@pytest.mark.parametrize(("k", "s", "p"), [(3, 2, 1), (5, 2, 2), (4, 2, 1), (3, 3, 0), (7, 4, 3), (2, 2, 0)])
def test_undo_takes_the_size_back(i: int, k: int, s: int, p: int) -> None:
    u = undo(i, kernel=k, stride=s, padding=p)
    assert u.forward == _core_out(i, k, s, p)
    net = cc.Network.chain(
        Input((u.forward, u.forward, 1)), ConvTranspose(1, k, stride=s, padding=p, output_padding=u.output_padding)
    )
    assert cc.analyze(net).rows[-1].output_shape.dims[0] == i
    assert (u.kernel, u.stride, u.padding) == (k, s, p) and 0 <= u.output_padding < s


def test_transposed_solutions_by_the_core() -> None:
    combos = solve_transposed(7, 28, max_kernel=6)
    assert combos
    for c in combos:
        assert c.output_padding is not None
        net = cc.Network.chain(
            Input((7, 7, 1)),
            ConvTranspose(1, c.kernel, stride=c.stride, padding=c.padding, output_padding=c.output_padding),
        )
        assert cc.analyze(net).rows[-1].output_shape.dims[0] == 28


def test_pytorch_agrees_on_a_sample() -> None:
    torch = pytest.importorskip("torch")
    rng = random.Random(5)
    for i, o in CASES:
        combos = solve_size(i, o, max_kernel=7, dilations=(1, 2))
        for c in rng.sample(combos, min(4, len(combos))):
            conv = torch.nn.Conv2d(
                1, 1, c.kernel, stride=c.stride, padding=c.padding, dilation=c.dilation, device="meta"
            )
            assert conv(torch.empty(1, 1, i, i, device="meta")).shape[-1] == o
    for i, k, s, p in [(224, 3, 2, 1), (225, 3, 2, 1), (31, 4, 2, 1), (7, 3, 3, 0)]:
        u = undo(i, kernel=k, stride=s, padding=p)
        x = torch.empty(1, 1, i, i, device="meta")
        y = torch.nn.Conv2d(1, 1, k, s, p, device="meta")(x)
        back = torch.nn.ConvTranspose2d(1, 1, k, s, p, output_padding=u.output_padding, device="meta")(y)
        assert y.shape[-1] == u.forward and back.shape[-1] == i
    for k in (2, 4):  # even kernels: PyTorch's padding='same' pads (before, after) as the solver says
        r = same_padding(k)
        x = torch.zeros(1, 1, 9, 9)
        x[0, 0, 4, 4] = 1.0
        conv = torch.nn.Conv2d(1, 1, k, padding="same", bias=False)
        torch.nn.init.ones_(conv.weight)
        manual = torch.nn.functional.conv2d(torch.nn.functional.pad(x, (r.pads[0], r.pads[1]) * 2), conv.weight)
        assert torch.equal(conv(x), manual)


def test_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["224", "112", "--limit", "3"]) == 0
    out = capsys.readouterr().out
    assert "224 → 112" in out and "⌊(H + 2·p − f)/s⌋ + 1 = ⌊(224 + 2·1 − 3)/2⌋ + 1 = 112" in out
    assert "more (raise --limit" in out
    assert main(["224", "112", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert all(
        _core_out(224, c["kernel"], c["stride"], c["padding"], c["dilation"]) == 112 for c in data["combinations"]
    )
    assert main(["same", "--kernel", "4"]) == 0
    assert "no symmetric padding keeps the size" in capsys.readouterr().out
    assert main(["undo", "--input", "224", "--kernel", "3", "--stride", "2", "--padding", "1"]) == 0
    assert "output_padding=1" in capsys.readouterr().out
    assert main(["10", "3", "--max-kernel", "1", "--max-stride", "2"]) == 1
    assert "within the bounds" in capsys.readouterr().out
    assert main(["same", "--kernel", "3", "--stride", "2"]) == 2
    assert "--input" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["224", "abc"])
    assert exc.value.code == 2


# ---- bounded: strides solved for, the first --limit built, the rest only counted ----------------------------


def _core_transposed(i: int, k: int, s: int, p: int, op: int, d: int = 1) -> int:
    layer = ConvTranspose(1, k, stride=s, padding=p, output_padding=op, dilation=d)
    return cc.analyze(cc.Network.chain(Input((i, i, 1)), layer)).rows[-1].output_shape.dims[0]


def _brute_transposed(i: int, o: int, max_kernel: int, dilations: tuple[int, ...]) -> set[tuple[int, ...]]:
    """Every (k, s, p, op, d) with p ≤ f_eff − 1, op < max(s, d) and o = (i − 1)·s − 2p + f_eff + op, by the
    textbook formula (a stride beyond o + 2p cannot fit: (i − 1)·s ≤ o + 2p)."""
    out = set()
    for k in range(1, max_kernel + 1):
        for d in dilations:
            eff = d * (k - 1) + 1
            for p in range(eff):
                for s in range(1, o + 2 * p + 2):
                    op = o - ((i - 1) * s - 2 * p + eff)
                    if 0 <= op < max(s, d) and not (k == 1 and d > 1):
                        out.add((k, s, p, op, d))
    return out


@pytest.mark.parametrize(("i", "o"), [(2, 5), (3, 9), (4, 17), (7, 14), (7, 28), (5, 40), (9, 10)])
def test_transposed_list_is_complete_against_brute_force(i: int, o: int) -> None:
    found = search(i, o, Bounds(max_kernel=5, dilations=(1, 2)), transposed=True)
    got = {(c.kernel, c.stride, c.padding, c.output_padding, c.dilation) for c in found.combos}
    assert got == _brute_transposed(i, o, 5, (1, 2)) and found.total == len(got)


def test_a_huge_transposed_output_lists_the_first_few_each_by_the_core() -> None:
    # 5 → 100000 has hundreds of thousands of answers (stride ≈ 25000): only --limit are built
    found = search(5, 100000, Bounds(), transposed=True, limit=3)
    assert len(found.combos) == 3 and found.total > 3
    for c in found.combos:
        assert c.output_padding is not None and 0 <= c.output_padding < max(c.stride, c.dilation)
        assert _core_transposed(5, c.kernel, c.stride, c.padding, c.output_padding, c.dilation) == 100000
    assert [(c.kernel, c.stride) for c in found.combos] == [(1, 20000), (1, 20001), (1, 20002)]


def test_a_large_kernel_search_lists_the_first_by_the_core() -> None:
    found = search(1000, 10, Bounds(max_kernel=200, dilations=(1, 2, 3, 4)), limit=1)
    (c,) = found.combos
    assert (c.kernel, c.stride, c.padding, c.dilation) == (1, 100, 0, 1)  # ⌊999/100⌋ + 1 = 10
    assert _core_out(1000, c.kernel, c.stride, c.padding, c.dilation) == 10


@pytest.mark.parametrize(("i", "o", "transposed"), [(100, 10, False), (64, 8, False), (6, 50, True), (1, 7, True)])
def test_the_limited_list_is_the_start_of_the_full_one(i: int, o: int, transposed: bool) -> None:
    bounds = Bounds(max_kernel=9, dilations=(1, 2, 3))
    full = search(i, o, bounds, transposed=transposed)
    first = search(i, o, bounds, transposed=transposed, limit=7)
    assert first.combos == full.combos[:7] and first.total == full.total == len(full.combos)
    key = [(c.kernel, c.dilation, c.stride, c.padding) for c in full.combos]
    assert key == sorted(key)


def test_transposed_strides_are_bounded_and_a_single_input_lists_one_stride() -> None:
    combos = solve_transposed(5, 1000, max_stride=300)
    assert combos and all(c.stride <= 300 for c in combos)
    assert solve_transposed(5, 1000, max_stride=10) == []  # (5 − 1)·10 + 11 < 1000
    # one input position: the stride does not change the output, so each (k, p, d) is listed once
    single = solve_transposed(1, 7, max_kernel=9)
    assert len({(c.kernel, c.padding, c.dilation) for c in single}) == len(single)
    for c in single:
        assert c.output_padding is not None
        assert _core_transposed(1, c.kernel, c.stride, c.padding, c.output_padding) == 7


def test_cli_limit_holds_for_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["5", "100000", "--limit", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "transposed convolutions" in out[0] and len(out) == 4 and "more (raise --limit" in out[-1]
    assert main(["5", "100000", "--limit", "2", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["combinations"]) == 2 and data["total"] > 2 and data["limit"] == 2
    for c in data["combinations"]:
        assert _core_transposed(5, c["kernel"], c["stride"], c["padding"], c["output_padding"]) == 100000
    assert main(["1000", "10", "--max-kernel", "200", "--dilation", "1,2,3,4", "--limit", "1", "-f", "json"]) == 0
    (c,) = json.loads(capsys.readouterr().out)["combinations"]
    assert _core_out(1000, c["kernel"], c["stride"], c["padding"], c["dilation"]) == 10
    assert main(["7", "14", "--limit", "0", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["combinations"]) == data["total"] == len(_brute_transposed(7, 14, 11, (1,)))
