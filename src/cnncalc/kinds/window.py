"""Sliding-window arithmetic shared by convolution and pooling: output sizes, padding, checks.

>>> w = Window.resolve(inputs=(32, 32), kernel=(5, 5), stride=(1, 1), dilation=(1, 1), padding=0)
>>> [str(e) for _, e in w.steps()]
['⌊(H − f)/s⌋ + 1 = ⌊(32 − 5)/1⌋ + 1 = 28', '⌊(W − f)/s⌋ + 1 = ⌊(32 − 5)/1⌋ + 1 = 28']
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ShapeError
from ..expr import Ceil, Expr, Floor, Num, Quantity, Var, ceil_div, maximum, product, total
from ..shape import axis_names
from .args import PaddingSpec, explicit_padding
from .base import RFStep


def kernel_factors(kernel: tuple[int, ...], square_name: str = "f") -> list[Expr]:
    """The kernel's extents as named factors: f·f for a square kernel, kh·kw otherwise."""
    if len(set(kernel)) == 1:
        return [Var(square_name, k) for k in kernel]
    names = axis_names(len(kernel))
    return [Var(f"k{n.lower()}", k) for n, k in zip(names, kernel)]


def same_padding(i: int, k_eff: int, s: int) -> tuple[int, int]:
    """TF/Keras 'same': output ⌈i/s⌉, the odd pixel of padding at the end."""
    pad = max((-(-i // s) - 1) * s + k_eff - i, 0)
    return pad // 2, pad - pad // 2


@dataclass(frozen=True)
class Window:
    """A window's geometry on every spatial axis, padding resolved to (before, after)."""

    inputs: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    pads: tuple[tuple[int, int], ...]
    same: bool = False
    ceil_mode: bool = False
    #: the dilated kernel, d·(k − 1) + 1 on each axis
    effective_kernel: tuple[int, ...] = ()

    @classmethod
    def resolve(
        cls,
        inputs: tuple[int, ...],
        kernel: tuple[int, ...],
        stride: tuple[int, ...],
        dilation: tuple[int, ...],
        padding: PaddingSpec,
        ceil_mode: bool = False,
    ) -> Window:
        ndim = len(inputs)
        eff = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
        if padding == "same":
            pads = tuple(same_padding(i, e, s) for i, e, s in zip(inputs, eff, stride))
        elif padding == "valid":
            pads = ((0, 0),) * ndim
        else:
            pads = explicit_padding(padding, ndim)
        return cls(inputs, kernel, stride, dilation, pads, padding == "same", ceil_mode, eff)

    def _numerator(self, axis: int) -> Expr:
        name = axis_names(len(self.inputs))[axis]
        i, k, d = self.inputs[axis], self.kernel[axis], self.dilation[axis]
        before, after = self.pads[axis]
        terms: list[Expr] = [Var(name, i)]
        if before == after and before:
            terms.append(Num(2) * Var("p", before))
        elif before or after:
            terms += [Var("p₁", before), Var("p₂", after)]
        fname = "f" if len(set(self.kernel)) == 1 else f"k{name.lower()}"
        kf: Expr = Var(fname, k) if d == 1 else Var("d", d) * (Var(fname, k) - 1) + 1
        return total(terms) - kf

    def output(self, axis: int) -> Expr:
        """Output length on one axis: ⌊(i + p₁ + p₂ − d·(k − 1) − 1)/s⌋ + 1 (⌈⌉ in ceil mode)."""
        s = Var("s", self.stride[axis])
        num = self._numerator(axis)
        if not self.ceil_mode:
            return Floor(num, s) + 1
        out = Ceil(num, s) + 1
        # PyTorch: the last window must start inside the input or the left padding.
        if (out.value - 1) * self.stride[axis] >= self.inputs[axis] + self.pads[axis][0]:
            return out - 1
        return out

    def steps(self) -> list[tuple[str, Quantity]]:
        names = axis_names(len(self.inputs))
        return [(f"{n}_out", Quantity(self.output(a))) for a, n in enumerate(names)]

    def check(self) -> None:
        """Raise ShapeError for a kernel larger than the padded input, with fixes."""
        names = axis_names(len(self.inputs))
        for a, (i, e) in enumerate(zip(self.inputs, self.effective_kernel)):
            before, after = self.pads[a]
            if i + before + after >= e or (self.ceil_mode and self.output(a).value >= 1):
                continue  # in ceil mode a window may overhang the input if it starts inside it
            need = -(-(e - i) // 2)
            raise ShapeError(
                f"the kernel is larger than the padded input on axis {names[a]}: needs "
                f"{names[a]} + p₁ + p₂ ≥ d·(f − 1) + 1, but {i} + {before} + {after} = "
                f"{i + before + after} < {e}",
                hint="pad the input, use a smaller kernel, or remove a downsampling layer before this one",
                fixes=(
                    f"padding={need} on each side (or padding='same')",
                    f"kernel_size ≤ {(i + before + after - 1) // self.dilation[a] + 1}",
                ),
            )

    def check_pool_padding(self) -> None:
        """PyTorch pooling: padding must be at most half the kernel size (dilation not applied)."""
        for (before, after), k in zip(self.pads, self.kernel):
            if max(before, after) > k // 2:
                raise ShapeError(
                    f"padding {max(before, after)} is more than half the kernel: needs p ≤ ⌊f/2⌋ = {k // 2}",
                    hint="PyTorch rejects such pooling; lower the padding",
                )

    def outputs(self) -> tuple[int, ...]:
        return tuple(self.output(a).value for a in range(len(self.inputs)))

    def warnings(self) -> tuple[str, ...]:
        """Input positions that no window reaches, on each axis."""
        if self.ceil_mode:
            return ()
        out: list[str] = []
        for a, n in enumerate(axis_names(len(self.inputs))):
            span = self.inputs[a] + sum(self.pads[a]) - self.effective_kernel[a]
            left = span % self.stride[a]
            if self.effective_kernel[a] < self.stride[a]:
                continue  # windows skip positions by design (e.g. a strided 1×1 projection)
            if left and self.pads[a][1] < left:
                lost = left - self.pads[a][1]
                out.append(
                    f"stride {self.stride[a]} leaves the last {lost} input position(s) on axis {n} unused "
                    f"(({self.inputs[a]} + {sum(self.pads[a])} − {self.effective_kernel[a]}) mod "
                    f"{self.stride[a]} = {left})"
                )
        return tuple(out)

    def positions(self, outputs: tuple[int, ...] | None = None) -> Expr:
        """The product of output lengths as named factors (Ho·Wo)."""
        names = axis_names(len(self.inputs))
        outs = outputs if outputs is not None else self.outputs()
        return product([Var(f"{n}o", o) for n, o in zip(names, outs)])

    def rf(self) -> RFStep:
        return RFStep(self.effective_kernel, self.stride, tuple(p[0] for p in self.pads))

    def padding_step(self) -> list[tuple[str, Quantity]]:
        """For 'same': the total padding on each axis, explained."""
        if not self.same:
            return []
        names = axis_names(len(self.inputs))
        steps = []
        for a, n in enumerate(names):
            i, e, s = Var(n, self.inputs[a]), Var("f", self.effective_kernel[a]), Var("s", self.stride[a])
            steps.append((f"same padding {n}", Quantity(maximum((ceil_div(i, s) - 1) * s + e - i, 0))))
        return steps
