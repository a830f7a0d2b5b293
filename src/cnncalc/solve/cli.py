"""``cnncalc solve``: which kernel, stride and padding take one size to another (per spatial axis).

    cnncalc solve 224 112 [--max-kernel 11] [--dilation 1,2] [--max-padding N] [--max-stride N] [--limit 20]
    cnncalc solve same --kernel 3 [--stride 2 --input 224] [--dilation 1]
    cnncalc solve undo --input 224 --kernel 3 --stride 2 [--padding 1] [--dilation 1]

Exit status 0 with an answer, 1 when no combination exists within the bounds, 2 on a user error.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, NoReturn

from ..console import write
from ..errors import CnnCalcError
from ..limits import MAX_DIGITS
from .solver import MAX_LISTED, Bounds, Solutions, same_padding, search, undo

EPILOG = """\
examples:
  cnncalc solve 224 112                        kernel/stride/padding taking 224 to 112, smallest kernel first
  cnncalc solve 32 8 --dilation 1,2 --limit 5  allow dilation 2 too; print 5
  cnncalc solve 112 224                        a larger output: transposed convolutions
  cnncalc solve same --kernel 3 --stride 2 --input 224    the padding that keeps the size (⌈i/s⌉)
  cnncalc solve undo --input 224 --kernel 3 --stride 2 --padding 1   the transposed conv that undoes it
sizes are per spatial axis (a square input: solve one axis).
exit status: 0 answered · 1 nothing within the bounds · 2 user error
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"cnncalc solve: error: {message}\n  hint: see `cnncalc solve --help`\n")


def _ints(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers separated by commas, got {text!r}") from None
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"dilations must be ≥ 1, got {text!r}")
    return values


def _count(text: str) -> int:
    """--limit: a whole number ≥ 0 (0: all)."""
    try:
        value = int(text) if len(text) <= MAX_DIGITS else -1
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 0 (0: all), got {text[:40]!r}")
    return value


def _parsers() -> dict[str, argparse.ArgumentParser]:
    size = _Parser(
        prog="cnncalc solve",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="List the (kernel, stride, padding, dilation) that take an input size to an output "
        "size; `solve same` and `solve undo` for 'same' padding and transposed convs.",
    )
    size.add_argument("input", type=int, help="input size on one spatial axis")
    size.add_argument("output", type=int, help="the output size wanted")
    size.add_argument("--max-kernel", type=int, default=11, help="largest kernel tried (default 11)")
    size.add_argument("--dilation", type=_ints, default=(1,), help="dilations to try, e.g. 1,2,3 (default 1)")
    size.add_argument("--max-padding", type=int, help="largest padding tried (default ⌊f_eff/2⌋)")
    size.add_argument("--max-stride", type=int, help="largest stride listed (default: every stride that works)")
    size.add_argument("--limit", type=_count, default=20,
                      help="list at most this many (default 20; 0: all, up to 1,000)")
    size.add_argument("--kernel", "-k", type=int, help="pin the kernel (the others are solved for)")
    size.add_argument("--stride", "-s", type=int, help="pin the stride")
    size.add_argument("--padding", "-p", type=int, help="pin the padding")
    same = _Parser(prog="cnncalc solve same", description="The padding that keeps the size (⌈i/s⌉ for stride s).")
    undo_p = _Parser(
        prog="cnncalc solve undo",
        description="The transposed convolution (kernel, stride, padding, output_padding) that "
        "takes a convolution's output size back to its input size.",
    )
    for p in (same, undo_p):
        p.add_argument("--kernel", "-k", type=int, required=True)
        p.add_argument("--stride", "-s", type=int, default=1)
        p.add_argument("--dilation", "-d", type=int, default=1)
    same.add_argument("--input", "-i", type=int, help="input size (needed for stride > 1)")
    undo_p.add_argument("--input", "-i", type=int, required=True)
    undo_p.add_argument("--padding", "-p", type=int, default=0)
    for p in (size, same, undo_p):
        p.add_argument("-f", "--format", default="text", choices=("text", "json"))
    return {"size": size, "same": same, "undo": undo_p}


def _combo_lines(found: Solutions) -> list[str]:
    transposed = found.transposed
    head = ["kernel", "stride", "padding"] + (["out_pad"] if transposed else []) + ["dilation", "output"]
    rows = []
    for c in found.combos:
        cells = [str(c.kernel), str(c.stride), str(c.padding)]
        cells += [str(c.output_padding)] if transposed else []
        extra = f"  ({c.unused} last input position(s) unused)" if c.unused else ""
        rows.append(cells + [str(c.dilation), c.output.explain() + extra])
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  " + "  ".join(x.ljust(w) for x, w in zip(r, widths)).rstrip() for r in [head, *rows]]
    if found.total > len(found.combos):
        more = found.total - len(found.combos)
        cap = " (at most 1,000 are listed)" if len(found.combos) >= MAX_LISTED else " (raise --limit, or 0 for all)"
        lines.append(f"  … {more} more{cap}")
    return lines


def _limits(a: argparse.Namespace, grow: bool) -> str:
    """The search's bounds as a reader checks them: 'kernel ≤ 11, dilation 1, padding ≤ ⌊f_eff/2⌋'."""
    kernel = f"kernel {a.kernel}" if a.kernel is not None else f"kernel ≤ {a.max_kernel}"
    if a.padding is not None:
        padding = f"padding {a.padding}"
    elif a.max_padding is not None:
        padding = f"padding ≤ {a.max_padding}"
    else:
        padding = "padding ≤ " + ("f_eff − 1" if grow else "⌊f_eff/2⌋")
    parts = [kernel, f"dilation {','.join(map(str, a.dilation))}", padding]
    if a.stride is not None:
        parts.append(f"stride {a.stride}")
    elif a.max_stride is not None:
        parts.append(f"stride ≤ {a.max_stride}")
    return ", ".join(parts)


def _run_size(a: argparse.Namespace) -> tuple[int, Any, str]:
    grow = a.output > a.input + 1
    bounds = Bounds(a.max_kernel, a.dilation, a.max_padding, a.max_stride, a.kernel, a.stride, a.padding)
    found = search(a.input, a.output, bounds, transposed=grow, limit=a.limit if a.limit > 0 else None)
    what = "transposed convolutions" if grow else "convolution/pooling windows"
    limits = _limits(a, grow)
    data = {
        "input": a.input,
        "output": a.output,
        "transposed": grow,
        "total": found.total,
        "limit": a.limit,
        "combinations": [c.as_dict() for c in found.combos],
    }
    if not found.total:
        return 1, data, f"no {what} take {a.input} to {a.output} within the bounds ({limits})"
    lines = [f"{a.input} → {a.output}: {found.total} {what}, smallest kernel first ({limits})"]
    return 0, data, "\n".join(lines + _combo_lines(found))


def _run_same(a: argparse.Namespace) -> tuple[int, Any, str]:
    r = same_padding(a.kernel, stride=a.stride, dilation=a.dilation, i=a.input)
    data = {
        "kernel": r.kernel,
        "stride": r.stride,
        "dilation": r.dilation,
        "padding": list(r.pads),
        "symmetric": r.symmetric,
        "message": r.message,
        "formula": r.output.explain() if r.output is not None else None,
    }
    text = r.message + (f"\n  {r.output.explain()}" if r.output is not None else "")
    return 0, data, text


def _run_undo(a: argparse.Namespace) -> tuple[int, Any, str]:
    u = undo(a.input, kernel=a.kernel, stride=a.stride, padding=a.padding, dilation=a.dilation)
    text = (
        f"conv_transpose kernel={u.kernel} stride={u.stride} padding={u.padding} "
        f"output_padding={u.output_padding}"
        + (f" dilation={u.dilation}" if u.dilation > 1 else "")
        + f" takes {u.forward} back to {u.input}\n  conv:      {u.forward_formula.explain()}"
        f"\n  transpose: {u.back_formula.explain()}"
    )
    data = {
        "input": u.input,
        "conv_output": u.forward,
        "kernel": u.kernel,
        "stride": u.stride,
        "padding": u.padding,
        "dilation": u.dilation,
        "output_padding": u.output_padding,
        "conv_formula": u.forward_formula.explain(),
        "transpose_formula": u.back_formula.explain(),
    }
    return 0, data, text


def main(argv: list[str]) -> int:
    """Run ``cnncalc solve`` with the arguments after the subcommand; returns the exit status."""
    parsers = _parsers()
    mode = argv[0] if argv and argv[0] in ("same", "undo") else "size"
    args = parsers[mode].parse_args(argv[1:] if mode != "size" else argv)
    run = {"size": _run_size, "same": _run_same, "undo": _run_undo}[mode]
    try:
        status, data, text = run(args)
    except CnnCalcError as err:
        write(sys.stderr, f"cnncalc solve: error: {err}\n", "standard error")
        return 2
    write(sys.stdout, (json.dumps(data, indent=2, ensure_ascii=False) if args.format == "json" else text) + "\n")
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
