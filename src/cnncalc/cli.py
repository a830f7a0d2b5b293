"""The command line: ``cnncalc FILE`` prints a network's table, totals and conventions.

A thin layer (design §1): it parses arguments, loads the network, calls the core, renders, and turns
every user mistake into ``cnncalc: error: <message>`` with exit status 2 — never a traceback.
Exit status: 0 ok, 1 a budget (``--max-params``, ``--max-macs``, ``--max-memory``) exceeded or a check
failed, 2 a user error. Usage and examples: docs/cli.md and ``cnncalc --help``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib
import importlib.util
import os
import sys
from typing import IO, NoReturn

from . import __version__
from .analysis import Result, Row, analyze
from .budget import Budget, memory_of
from .conventions import Conventions, Layout
from .errors import ArgumentError, CnnCalcError, ShapeError
from .kinds.base import KINDS, suggest
from .network import Network, Source
from .render.registry import FIXED_COLUMNS, RENDERERS, render
from .render.text import totals_lines
from .sources import is_model_reference, lazy, load_network, parse_kwargs, source_line

EXAMPLES = """\
examples:
  cnncalc examples/article.cnn                     the table, totals and conventions
  cnncalc examples/article.cnn --format article    the article's own table
  cnncalc net.cnn --explain CONV1                  one layer's numbers with their formulas
  cnncalc net.cnn --format json > result.json      machine-readable (schema cnncalc.result/1)
  cnncalc net.cnn --columns name,output,params,macs --layout chw --batch 8 --dtype fp16
  cnncalc net.cnn --max-params 5M --max-memory 24GB   exit status 1 if over budget (for CI)
  cat net.cnn | cnncalc -                          read the network from stdin
  cnncalc zoo:resnet50                             a network from the zoo (list: cnncalc zoo)
  cnncalc torchvision:resnet18 --input 1x3x224x224 a PyTorch model (needs cnncalc[torch])
  cnncalc models.py:make_net --kwargs '{"num_classes": 10}' --input 1x3x32x32

other commands:
  cnncalc zoo          list the networks of the zoo
  cnncalc kinds [KIND] list the layer kinds and their aliases, or one kind's arguments
  cnncalc check ...    verify a claimed table against cnncalc's numbers (cnncalc check --help)
  cnncalc solve ...    solve for an unknown hyper-parameter (cnncalc solve --help)

exit status: 0 ok · 1 budget exceeded or check failed · 2 user error (bad file, option or network)
"""

_ALL_LAYERS = "\0all"
_TORCH_ONLY = ("input", "kwargs", "depth", "partial")


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors in cnncalc's form (``cnncalc: error: ...``, exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"cnncalc: error: {message}\n  hint: see `cnncalc --help`\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``cnncalc FILE``."""
    p = _Parser(
        prog="cnncalc",
        usage="cnncalc FILE [options]\n       cnncalc {zoo,kinds,check,solve} ...",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EXAMPLES,
        description="Shapes, parameters, MACs/FLOPs, receptive field and memory of a neural network, "
        "each number explained.",
    )
    p.add_argument(
        "source",
        metavar="FILE",
        help="a .cnn text file, a .json network, '-' for stdin, zoo:NAME, or a PyTorch model "
        "reference (torchvision:NAME, timm:NAME, path/file.py:factory, package.module:factory)",
    )
    p.add_argument(
        "-f",
        "--format",
        default="table",
        choices=list(RENDERERS),
        metavar="FORMAT",
        help="output format: " + ", ".join(RENDERERS) + " (default: table)",
    )
    p.add_argument(
        "-c", "--columns", help="comma-separated column keys, e.g. name,output,params,macs (keys: see docs/cli.md)"
    )
    p.add_argument(
        "-e",
        "--explain",
        nargs="?",
        const=_ALL_LAYERS,
        metavar="LAYER",
        help="print every number's formula with its values (or only LAYER's)",
    )
    _add_convention_options(p)
    _add_budget_and_reference_options(p)
    p.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the table: auto (a terminal, unless NO_COLOR is set), always or never",
    )
    p.add_argument("-V", "--version", action="version", version=f"cnncalc {__version__}")
    return p


def _add_budget_and_reference_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("budgets (exit status 1 when exceeded)")
    g.add_argument("--max-params", metavar="N", help="most parameters, e.g. 5M, 62958, 2.5G")
    g.add_argument("--max-macs", metavar="N", help="most MACs, e.g. 600M")
    g.add_argument(
        "--max-memory",
        metavar="BYTES",
        help="most parameter + activation bytes, e.g. 24GB, 512MiB (SI or binary units)",
    )
    t = p.add_argument_group("PyTorch model references")
    t.add_argument(
        "--input",
        action="append",
        metavar="SHAPE",
        help="an input's shape with batch, e.g. 1x3x224x224; ':int64' sets its dtype; repeatable",
    )
    t.add_argument("--kwargs", metavar="JSON", help="keyword arguments for the model's factory, as a JSON object")
    t.add_argument("--depth", type=int, metavar="N", help="show module rows down to this nesting depth")
    t.add_argument(
        "--partial", action="store_true", default=None,
        help="when the forward reaches an operator that needs real data (NMS, nonzero), keep the rows before it",
    )


def _add_convention_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("conventions (printed with every report)")
    g.add_argument(
        "--layout",
        choices=("hwc", "chw"),
        help="shape order: hwc (the article's; default for .cnn) or chw (default for PyTorch models)",
    )
    g.add_argument(
        "-b", "--batch", type=int, metavar="N",
        help="batch size (default: 1; a PyTorch model's --input shapes carry their own)",
    )
    g.add_argument(
        "--dtype",
        help="bytes per element: float32 (default), fp16, bf16, int8, ...; a PyTorch model is cast to it",
    )
    g.add_argument(
        "--convention",
        choices=("torch", "keras"),
        help="count BatchNorm statistics and RNN biases as PyTorch (default) or Keras does (.cnn networks only)",
    )
    g.add_argument("--bias-flops", action="store_true", help="add bias additions to FLOPs")
    g.add_argument(
        "--elementwise-flops", action="store_true", help="add normalisation, activation and pooling work to FLOPs"
    )


def main(argv: list[str] | None = None) -> int:
    """Run ``cnncalc`` with ``argv`` (default: the process's arguments); returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return _dispatch(args)
    except CnnCalcError as err:
        _write(sys.stderr, f"cnncalc: error: {err}\n")
        return 2
    except SystemExit as done:  # argparse: --help, --version and usage errors
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 2)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `cnncalc big.cnn | head`: the reader went away; not an error
        _silence_stdout()
        return 0


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that Python's exit-time flush does not fail again (Python docs' recipe)."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _dispatch(args: list[str]) -> int:
    command = args[0] if args else ""
    if command == "zoo":
        return _zoo(args[1:])
    if command == "kinds":
        return _kinds(args[1:])
    if command in ("check", "solve"):
        tool = lazy(f"cnncalc.{command}.cli", f"`cnncalc {command}`", "main")
        return int(tool.main(args[1:]))
    return run(build_parser().parse_args(args))


def run(opts: argparse.Namespace) -> int:
    """Analyse, print and check budgets for parsed options."""
    budget = Budget.parse(opts.max_params, opts.max_macs, opts.max_memory)
    if opts.columns and opts.format in FIXED_COLUMNS and opts.explain is None:
        _write(sys.stderr, f"cnncalc: note: --columns does not apply to --format {opts.format}\n")
    result = analyze_source(opts)
    if opts.explain is not None:
        text = explain(result, None if opts.explain == _ALL_LAYERS else opts.explain)
    else:
        columns = None if opts.format in FIXED_COLUMNS else opts.columns
        text = render(result, opts.format, columns)
        if opts.format == "table" and _use_colour(opts.color, sys.stdout):
            text = colourise(text)
    _write(sys.stdout, text + "\n")
    return _report_budget(budget, result)


def _report_budget(budget: Budget, result: Result) -> int:
    if budget.empty:
        return 0
    violations = budget.check(result.totals)
    for v in violations:
        _write(sys.stderr, f"cnncalc: budget exceeded: {v.describe()}\n")
    if not violations:
        t = result.totals
        seen = [
            f"params {t.params:,}" if budget.params is not None else "",
            f"MACs {t.macs:,}" if budget.macs is not None else "",
            f"memory {memory_of(t):,} B" if budget.memory is not None else "",
        ]
        _write(sys.stderr, "cnncalc: within budget: " + ", ".join(s for s in seen if s) + "\n")
    return 1 if violations else 0


def conventions_from(opts: argparse.Namespace, layout: Layout) -> Conventions:
    """The Conventions object the options ask for (the core checks the values)."""
    return Conventions(
        layout=opts.layout or layout,
        batch=1 if opts.batch is None else opts.batch,
        dtype=opts.dtype or "float32",
        counting=opts.convention or "torch",
        count_bias_flops=opts.bias_flops,
        count_elementwise_flops=opts.elementwise_flops,
    )


def analyze_source(opts: argparse.Namespace) -> Result:
    """Load and analyse whatever FILE names, with the options' conventions."""
    source: str = opts.source
    if is_model_reference(source):
        return _analyze_reference(source, opts)
    given = [f"--{name}" for name in _TORCH_ONLY if getattr(opts, name) is not None]
    if given:
        raise CnnCalcError(
            f"{', '.join(given)} applies to PyTorch model references only, not to '{source}'",
            hint="e.g. cnncalc torchvision:resnet18 --input 1x3x224x224",
        )
    conventions = conventions_from(opts, "hwc")
    return analyze_located(load_network(source), conventions)


def analyze_located(network: Network, conventions: Conventions) -> Result:
    """Analyse; a layer that does not fit its input is reported at the file:line:col where it was written."""
    try:
        return analyze(network, conventions)
    except (ShapeError, ArgumentError) as err:
        node = next((n for n in network.nodes if n.name == err.layer), None)
        if node is None or node.source is None:
            raise
        raise located(err, node.source) from None


def located(err: ShapeError | ArgumentError, where: Source) -> CnnCalcError:
    """The error at file:line:col, with the line and a caret under the layer, then the hint and fixes."""
    text = f"{where}: {err._where()}{err.message}"
    line = source_line(where.file, where.line)
    if line is not None:
        text += f"\n  {line}\n  {' ' * (where.column - 1)}^"
    if err.hint:
        text += f"\n  hint: {err.hint}"
    for fix in getattr(err, "fixes", ()):
        text += f"\n  fix: {fix}"
    return CnnCalcError(text)


def _analyze_reference(ref: str, opts: argparse.Namespace) -> Result:
    if importlib.util.find_spec("torch") is None:
        raise CnnCalcError(
            f"'{ref}' is a PyTorch model reference, but PyTorch is not installed", hint="pip install cnncalc[torch]"
        )
    if opts.depth is not None and opts.depth < 0:
        raise CnnCalcError(
            f"--depth must be 0 or more, got {opts.depth}",
            hint="1 shows the model's direct children, 2 their children, …; 0 the totals only",
        )
    kwargs = parse_kwargs(opts.kwargs)
    adapter = lazy("cnncalc.adapters.torch", "support for PyTorch models", "analyze_reference")
    conventions = conventions_from(opts, "chw")
    try:
        result = adapter.analyze_reference(
            ref, inputs=opts.input, kwargs=kwargs, conventions=conventions, depth=opts.depth,
            batch=opts.batch, dtype=opts.dtype, partial=bool(opts.partial),
        )
    except ModuleNotFoundError as err:
        missing = err.name or "a module"
        raise CnnCalcError(
            f"'{ref}' needs {missing}, which is not installed", hint=f"pip install {missing.split('.')[0]}"
        ) from None
    if not isinstance(result, Result):
        raise TypeError(f"the PyTorch adapter returned {type(result).__name__}, not a Result")
    return result


def explain(result: Result, layer: str | None) -> str:
    """Every number's formula with values (or one layer's, or a block's), then the totals and conventions."""
    if layer is None:
        text = result.explain()
    else:
        rows = explained_rows(result, layer)
        text = "\n\n".join(r.explain(result.conventions.layout) for r in rows)
    return text + "\n\n" + "\n".join(totals_lines(result))


def explained_rows(result: Result, layer: str) -> list[Row]:
    """The row named LAYER (case aside), or every row of the block LAYER (names starting 'LAYER.')."""
    for exact in (True, False):
        rows = [r for r in result.rows if (r.name == layer if exact else r.name.lower() == layer.lower())]
        if rows:
            return rows[:1]
    prefix = layer.lower().rstrip("./") + "."
    rows = [r for r in result.rows if r.name.lower().startswith(prefix)]
    if rows:
        return rows
    names = [r.name for r in result.rows]
    guess = suggest(layer, names)
    hint = f"did you mean '{guess}'?" if guess else "layers: " + ", ".join(names[:20])
    raise CnnCalcError(f"--explain: no layer or block named '{layer}'", hint=hint)


def _use_colour(choice: str, stream: IO[str]) -> bool:
    if choice != "auto":
        return choice == "always"
    return not os.environ.get("NO_COLOR") and stream.isatty()


_BOLD, _DIM, _YELLOW, _RESET = "\033[1m", "\033[2m", "\033[33m", "\033[0m"


def colourise(text: str) -> str:
    """ANSI colour for the terminal table: bold title and header, dim conventions, yellow warnings."""
    out = []
    for i, line in enumerate(text.split("\n")):
        if i < 2:
            line = f"{_BOLD}{line}{_RESET}"
        elif line.startswith("warning:"):
            line = f"{_YELLOW}{line}{_RESET}"
        elif line.startswith("Conventions:"):
            line = f"{_DIM}{line}{_RESET}"
        out.append(line)
    return "\n".join(out)


def _write(stream: IO[str], text: str) -> None:
    """Write text; characters the stream's encoding lacks are replaced rather than crashing."""
    try:
        stream.write(text)
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "ascii"
        stream.write(text.encode(encoding, "replace").decode(encoding))
    stream.flush()


def _zoo(args: list[str]) -> int:
    """``cnncalc zoo`` lists the zoo; ``cnncalc zoo NAME [options]`` analyses zoo:NAME."""
    zoo = lazy("cnncalc.zoo", "the zoo", "names", "describe")
    if args and not args[0].startswith("-"):
        return _dispatch([f"zoo:{args[0]}", *args[1:]])
    if args:
        raise CnnCalcError(
            f"`cnncalc zoo` takes no options, got {args[0]}",
            hint="cnncalc zoo lists the networks; cnncalc zoo:NAME [options] analyses one",
        )
    names = list(zoo.names())
    width = max((len(n) for n in names), default=0)
    lines = [f"{n:<{width}}  {zoo.describe(n)}" for n in names]
    _write(sys.stdout, "\n".join(lines + ["", "use: cnncalc zoo:NAME"]) + "\n")
    return 0


def kinds_listing() -> list[str]:
    """One line per layer kind: its names (aliases together) and the first line of its docstring."""
    groups: dict[type, list[str]] = {}
    summaries: dict[type, str] = {}
    for name, entry in KINDS.items():
        groups.setdefault(entry.cls, []).append(name)
        summaries.setdefault(entry.cls, entry.summary)
    lines = []
    for cls, names in groups.items():
        names.sort(key=lambda n: (n != getattr(cls, "kind", ""), n))
        label = ", ".join(names)
        if len(label) <= 28:
            lines.append(f"{label:<28}  {summaries[cls]}")
        else:
            lines += [label, f"{'':<28}  {summaries[cls]}"]
    return lines


def kind_arguments(name: str) -> list[str]:
    """One kind's description and its arguments: positional order, defaults and the aliases of each."""
    entry = KINDS.get(name.lower())
    if entry is None:
        guess = suggest(name.lower(), list(KINDS))
        raise CnnCalcError(f"unknown layer kind '{name}'",
                           hint=f"did you mean '{guess}'?" if guess else "`cnncalc kinds` lists them")
    cls = entry.cls
    aliases: dict[str, list[str]] = {}
    for alias, target in cls.aliases.items():
        if alias != target:
            aliases.setdefault(target, []).append(alias)
    lines = [f"{entry.name}: {entry.summary}", "", "arguments (positional first):"]
    order = list(cls.positional) + [f.name for f in dataclasses.fields(cls) if f.name not in cls.positional]
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    for arg in order:
        if arg in entry.preset:
            continue
        default = defaults.get(arg, dataclasses.MISSING)
        if arg in cls.positional:
            shown = "positional" + (f", default {default!r}" if default not in (0, None, dataclasses.MISSING) else "")
        else:
            shown = "required" if default is dataclasses.MISSING else f"default {default!r}"
        also = f"  (also: {', '.join(sorted(aliases[arg]))})" if arg in aliases else ""
        lines.append(f"  {arg:<18} {shown}{also}")
    if entry.preset:
        lines.append("fixed by this name: " + ", ".join(f"{k}={v!r}" for k, v in entry.preset.items()))
    return lines


def _kinds(args: list[str]) -> int:
    if len(args) > 1:
        raise CnnCalcError(f"`cnncalc kinds` takes at most one kind, got {' '.join(args)}")
    lines = kind_arguments(args[0]) if args else kinds_listing() + ["", "use: cnncalc kinds KIND (its arguments)"]
    _write(sys.stdout, "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
