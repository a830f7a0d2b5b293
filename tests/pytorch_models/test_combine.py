"""The element-wise merges beyond add and multiply (``subtract``, ``divide``, ``maximum``, ``minimum``,
``average``) against PyTorch: output shapes under broadcasting from a meta forward, and the bytes autograd saves
for backward from torch's own measurement (cnncalc.adapters.torch.memory.measure_memory)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest

torch = pytest.importorskip("torch")
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from torch import Tensor, nn  # noqa: E402

import cnncalc as cc  # noqa: E402
from cnncalc import Shape  # noqa: E402
from cnncalc.adapters.torch.memory import measure_memory  # noqa: E402

TORCH_OPS: dict[str, Callable[[list[Tensor]], Tensor]] = {
    "subtract": lambda xs: xs[0] - xs[1],
    "divide": lambda xs: xs[0] / xs[1],
    "maximum": lambda xs: functools.reduce(torch.maximum, xs),
    "minimum": lambda xs: functools.reduce(torch.minimum, xs),
    "average": lambda xs: functools.reduce(torch.add, xs) / len(xs),
}
#: the merges measured for backward: these, with add and multiply, which were there before
SAVING_OPS = {**TORCH_OPS, "multiply": lambda xs: functools.reduce(torch.mul, xs),
              "add": lambda xs: functools.reduce(torch.add, xs)}
TWO_ONLY = ("subtract", "divide")


def channels_last(t: Tensor) -> tuple[int, ...]:
    return (*t.shape[2:], t.shape[1])


@given(st.sampled_from(sorted(TORCH_OPS)), st.lists(st.integers(1, 5), min_size=1, max_size=3),
       st.integers(1, 6), st.integers(2, 4), st.data())
def test_output_shapes_broadcast_as_torchs(op: str, sizes: list[int], c: int, k: int, data: Any) -> None:
    """Each input takes every spatial size or 1 (a gate); torch's broadcast output is the core's output."""
    k = 2 if op in TWO_ONLY else k
    tensors, shapes = [], []
    for _ in range(k):
        dims = tuple(data.draw(st.sampled_from([1, s])) for s in sizes)
        channels = data.draw(st.sampled_from([1, c]))
        tensors.append(torch.empty(1, channels, *dims, device="meta"))
        shapes.append(Shape((*dims, channels), spatial=len(dims)))
    layer = cc.build(op, {})
    try:
        want = channels_last(TORCH_OPS[op](tensors))
    except RuntimeError:
        with pytest.raises(cc.MergeError):
            layer.compute(tuple(shapes), "torch")  # type: ignore[arg-type]
        return
    out = layer.compute(tuple(shapes), "torch")  # type: ignore[arg-type]
    assert out.output.dims == want


@pytest.mark.parametrize("op", list(TORCH_OPS))
def test_inputs_that_do_not_broadcast_are_refused_as_torch_refuses_them(op: str) -> None:
    a, b = torch.empty(1, 4, 6, 6, device="meta"), torch.empty(1, 4, 5, 6, device="meta")
    with pytest.raises(RuntimeError):
        TORCH_OPS[op]([a, b])
    with pytest.raises(cc.MergeError, match=f"{op} needs inputs of one shape"):
        cc.build(op, {}).compute((Shape.image(6, 6, 4), Shape.image(5, 6, 4)), "torch")  # type: ignore[arg-type]


class Merged(nn.Module):
    """Two or three convolutions of the input (each makes a tensor of its own), merged by ``op``."""

    def __init__(self, op: str, k: int) -> None:
        super().__init__()
        self.op = op
        self.branches = nn.ModuleList(nn.Conv2d(8, 8, 3, padding=1) for _ in range(k))

    def forward(self, x: Tensor) -> Tensor:
        return SAVING_OPS[self.op]([branch(x) for branch in self.branches])


def text_of(op: str, k: int) -> str:
    names = [f"b{i}" for i in range(k)]
    branches = "".join(f"{n}: conv 8 f=3 p=1 <- x\n" for n in names)
    return f"network merged\nx: input 8x16x16 layout=chw\n{branches}m: {op} <- {', '.join(names)}\n"


@pytest.mark.parametrize(("op", "k"), [(op, 2) for op in SAVING_OPS] + [(op, k) for op in ("maximum", "minimum",
                                                                                         "average", "multiply",
                                                                                         "add") for k in (3, 4)])
def test_saved_bytes_for_backward_equal_torchs(op: str, k: int) -> None:
    """The text network's training memory: what the merge keeps for backward (nothing for a sum, a difference
    and a mean; the inputs for a product, a quotient and an extreme, and with k inputs the k − 2 partial results
    of applying it pairwise) is what torch's autograd keeps, to the byte."""
    batch = 4
    core = cc.analyze(cc.parse(text_of(op, k)), batch=batch).memory(cc.Training()).training
    measured = measure_memory(Merged(op, k), (batch, 8, 16, 16))
    assert core is not None
    assert core.saved_bytes == measured.saved_activation_bytes


@pytest.mark.parametrize("op", list(TORCH_OPS))
def test_the_text_form_round_trips(op: str) -> None:
    net = cc.parse(text_of(op, 2))
    again = cc.parse(cc.dump(net))
    assert [n.layer for n in again.nodes] == [n.layer for n in net.nodes]
    assert cc.analyze(again).rows[-1].kind == op


def test_elementwise_flops_of_each_op() -> None:
    """k inputs: k − 1 operations per output element, and k for the mean (k − 1 sums, one scaling)."""
    conv = cc.Conventions(count_elementwise_flops=True)
    for op, k, per in [("subtract", 2, 1), ("divide", 2, 1), ("maximum", 3, 2), ("minimum", 2, 1),
                       ("average", 3, 3)]:
        row = cc.analyze(cc.parse(text_of(op, k)), conventions=conv).rows[-1]
        assert row.flops.value == 8 * 16 * 16 * per, op


def test_subtract_and_divide_take_two_inputs() -> None:
    with pytest.raises(cc.MergeError, match=r"subtract takes exactly 2 inputs .* got 3"):
        cc.analyze(cc.parse(text_of("subtract", 3)))
