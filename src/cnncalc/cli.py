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
import os
import re
import sys
from typing import IO, Any, NoReturn

from . import __version__, sources
from .analysis import Result
from .console import OutputError, terminal_columns, tolerate_encoding, write
from .errors import CnnCalcError, UnknownLayerError
from .kinds.describe import kind_arguments, kinds_listing
from .render.escape import printable_block
from .render.registry import FIXED_COLUMNS, RENDERERS, render
from .render.text import render_text, terminal_width, totals_lines
from .sources import Request, lazy, parse_kwargs

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
  cnncalc serve [NET]  a local page: edit a network, see it update as you type (cnncalc serve --help)

exit status: 0 ok · 1 budget exceeded or check failed · 2 user error (bad file, option or network)
"""

_ALL_LAYERS = "\0all"


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """argparse's help layout, sized to the terminal by cnncalc.console (argparse's own sizing imports shutil
    each time a parser is built)."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position, width or terminal_columns() - 2)


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors in cnncalc's form (``cnncalc: error: ...``, exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"cnncalc: error: {message}\n  hint: see `cnncalc --help`\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``cnncalc FILE``."""
    p = _Parser(
        prog="cnncalc",
        usage="cnncalc FILE [options]\n       cnncalc {zoo,kinds,check,solve,serve} ...",
        formatter_class=_Formatter,
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
    from .memory_cli import add_memory_options

    add_memory_options(p)
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
    """Run ``cnncalc`` with ``argv`` (default: the process's arguments); returns the exit status.

    0 ok, 1 budget exceeded or check failed, 2 a user error (or output that cannot be written), 3 an
    internal error: a one-line message asking for a report; ``--debug`` (anywhere) adds the traceback.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    for stream in (sys.stdout, sys.stderr):
        tolerate_encoding(stream)
    try:
        if sys.stdout is None:  # started with stdout closed (`cnncalc ... >&-`)
            raise OutputError("cannot write to standard output: it is closed")
        return _dispatch(args)
    except OutputError as err:
        _silence_stdout()
        _report(f"cnncalc: error: {err}\n")
        return 2
    except CnnCalcError as err:
        _report(f"cnncalc: error: {err}\n")
        return 2
    except SystemExit as done:  # argparse: --help, --version and usage errors
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 2)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `cnncalc big.cnn | head`: the reader went away; not an error
        _silence_stdout()
        return 0
    except Exception as err:  # a bug in cnncalc: say so in one line, the traceback only on request
        return _internal_error(err, debug)


def _internal_error(err: BaseException, debug: bool) -> int:
    """Exit status 3 with a one-line report request (and the traceback under --debug)."""
    if debug:
        import traceback

        _report("".join(traceback.format_exception(err)))
    text = " ".join(str(err).split())
    text = text if len(text) <= 300 else text[:300] + "…"
    rerun = "" if debug else " (run again with --debug for the traceback)"
    _report(
        f"cnncalc: internal error: {type(err).__name__}: {text}; please report this to cnncalc's "
        f"issue tracker with the command and its input{rerun}\n"
    )
    return 3


def _report(text: str) -> None:
    """Write to stderr, ignoring a stderr that cannot be written (there is nowhere left to say so)."""
    with contextlib.suppress(OutputError, BrokenPipeError):
        write(sys.stderr, text, "standard error")


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that Python's exit-time flush does not fail again (Python docs' recipe)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):  # AttributeError: stdout is None (closed)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _dispatch(args: list[str]) -> int:
    command = args[0] if args else ""
    if command == "zoo":
        return _zoo(args[1:])
    if command == "kinds":
        return _kinds(args[1:])
    if command in ("check", "solve", "serve"):
        tool = lazy(f"cnncalc.{command}.cli", f"`cnncalc {command}`", "main")
        return int(tool.main(args[1:]))
    return run(build_parser().parse_args(args))


def run(opts: argparse.Namespace) -> int:
    """Analyse, print and check budgets for parsed options."""
    budget = _budget(opts)
    if opts.columns and opts.format in FIXED_COLUMNS and opts.explain is None:
        _write(sys.stderr, f"cnncalc: note: --columns does not apply to --format {opts.format}\n")
    result = analyze_source(opts)
    if _memory_asked(opts):
        result = _with_memory(result, opts)
    if opts.explain is not None:
        text = explain(result, None if opts.explain == _ALL_LAYERS else opts.explain)
        text += _saved_formulas(result, opts)
    elif opts.memory:
        from .memory_cli import memory_table

        text = memory_table(result)
    else:
        columns = None if opts.format in FIXED_COLUMNS else opts.columns
        width = terminal_width(sys.stdout) if opts.format == "table" else None
        text = render_text(result, columns, width) if width else render(result, opts.format, columns)
        if opts.format == "table" and _use_colour(opts.color, sys.stdout):
            text = colourise(text)
    _write(sys.stdout, text + "\n")
    if opts.train or opts.max_batch or opts.shard:
        from .memory_cli import memory_lines

        _write(sys.stderr, "\n".join(memory_lines(result, opts)) + "\n")
    return _report_budget(budget, result, opts.train)


#: the memory options: the memory model is imported only when one of them is given (a lighter start)
_MEMORY_OPTIONS = ("train", "amp", "master_weights", "checkpoint", "shard", "gpus", "gpu_memory", "max_batch",
                   "memory")


def _memory_asked(opts: argparse.Namespace) -> bool:
    return opts.optimizer != "adam" or any(getattr(opts, k, None) not in (None, False) for k in _MEMORY_OPTIONS)


def _budget(opts: argparse.Namespace) -> Any:
    """The budgets given (a cnncalc.budget.Budget), or None: the budget module is imported only when asked."""
    if opts.max_params is None and opts.max_macs is None and opts.max_memory is None:
        return None
    from .budget import Budget

    return Budget.parse(opts.max_params, opts.max_macs, opts.max_memory)


def _with_memory(result: Result, opts: argparse.Namespace) -> Result:
    """The memory options applied (cnncalc.memory_cli); --max-batch re-analyses at the next batch."""
    from .memory_cli import attach

    def again(batch: int) -> Result:
        request = dataclasses.replace(request_from(opts), batch=batch)
        if request.inputs:  # a framework model's --input holds the batch as its first axis
            request = dataclasses.replace(request, inputs=tuple(re.sub(r"^\d+", str(batch), s.strip())
                                                                for s in request.inputs))
        return sources.analyze_source(opts.source, request)

    return attach(result, opts, again)


def _saved_formulas(result: Result, opts: argparse.Namespace) -> str:
    """With --train: what each explained layer saves for backward, by its kind's rule."""
    if not opts.train:
        return ""
    from .analysis.memory import saved_rule_lines

    return "\n\n" + saved_rule_lines(result, None if opts.explain == _ALL_LAYERS else opts.explain)


def _report_budget(budget: Any, result: Result, training: bool = False) -> int:
    if budget is None or budget.empty:
        return 0
    from .budget import memory_of
    from .memory_cli import peak_of

    peak = peak_of(result, training)
    violations = budget.check(result.totals, peak)
    for v in violations:
        _write(sys.stderr, f"cnncalc: budget exceeded: {v.describe()}\n")
    if not violations:
        t = result.totals
        seen = [
            f"params {t.params:,}" if budget.params is not None else "",
            f"MACs {t.macs:,}" if budget.macs is not None else "",
            f"memory {memory_of(t, peak):,} B" if budget.memory is not None else "",
        ]
        _write(sys.stderr, "cnncalc: within budget: " + ", ".join(s for s in seen if s) + "\n")
    return 1 if violations else 0


def request_from(opts: argparse.Namespace) -> Request:
    """The options of ``cnncalc FILE`` as a source request (the core and the front-end check the values)."""
    if opts.depth is not None and opts.depth < 0:
        raise CnnCalcError(
            f"--depth must be 0 or more, got {opts.depth}",
            hint="1 shows the top level (blocks, a model's direct children), 2 one level deeper, …; 0 the totals only",
        )
    return Request(
        layout=opts.layout, batch=opts.batch, dtype=opts.dtype, counting=opts.convention,
        bias_flops=opts.bias_flops, elementwise_flops=opts.elementwise_flops,
        inputs=tuple(opts.input) if opts.input else None, kwargs=parse_kwargs(opts.kwargs), depth=opts.depth,
        partial=bool(opts.partial),
    )


def analyze_source(opts: argparse.Namespace) -> Result:
    """Load and analyse whatever FILE names, through the front-end that claims it (cnncalc.sources)."""
    return sources.analyze_source(opts.source, request_from(opts))


def explain(result: Result, layer: str | None) -> str:
    """Every number's formula with values (or one layer's, or a block's), then the totals and conventions."""
    try:
        text = result.explain(layer)
    except UnknownLayerError as err:
        raise CnnCalcError(f"--explain: {err.message}", hint=err.hint) from None
    return printable_block(text + "\n\n" + "\n".join(totals_lines(result)))


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
    """Write text (cnncalc.console.write): symbols the stream's encoding lacks get ASCII spellings; a closed
    or full stream is an OutputError."""
    write(stream, text, "standard error" if stream is sys.stderr else "standard output")


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


def _kinds(args: list[str]) -> int:
    if len(args) > 1:
        raise CnnCalcError(f"`cnncalc kinds` takes at most one kind, got {' '.join(args)}")
    lines = kind_arguments(args[0]) if args else kinds_listing() + ["", "use: cnncalc kinds KIND (its arguments)"]
    _write(sys.stdout, "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
