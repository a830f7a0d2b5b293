"""``cnncalc check TABLE [--net FILE] [--format text|json]``: verify a claimed table.

Exit status 0 when every cell is correct (convention differences allowed), 1 when any cell is wrong
(so a course can use it as an autograder), 2 on a user error (no table, unreadable file, a network
the table does not describe). Never a traceback for a user's mistake.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import NoReturn

from ..console import write
from ..errors import CnnCalcError
from ..limits import read_text
from . import check

EPILOG = """\
examples:
  cnncalc check article.txt                  the article's text: every table in it is found and checked
  cnncalc check table.md --net net.cnn       the network from a .cnn file instead of the layer column
  cat table.csv | cnncalc check -            read the table from stdin
  cnncalc check table.tsv --format json      the verdicts as JSON (schema cnncalc.check/1)

tables: Markdown, CSV, or tab/space-separated text; columns recognised by their headers (layer,
activation/output shape, activation size, parameters/# params, MACs, FLOPs).
exit status: 0 every cell correct · 1 a cell is wrong · 2 user error
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"cnncalc check: error: {message}\n  hint: see `cnncalc check --help`\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="cnncalc check",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Recompute every cell of a claimed table and name the likely mistake behind each wrong one.",
    )
    p.add_argument("table", metavar="TABLE", help="a file holding the table (Markdown, CSV, TSV, text), or - for stdin")
    p.add_argument("--net", metavar="FILE", help="the network as a .cnn file (default: read from the layer column)")
    p.add_argument("-f", "--format", default="text", choices=("text", "json"), help="output format (default: text)")
    return p


def _read(path: str) -> str:
    return read_text(path)


def main(argv: list[str]) -> int:
    """Run ``cnncalc check`` with the arguments after the subcommand; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        report = check(_read(args.table), args.net)
    except CnnCalcError as err:
        write(sys.stderr, f"cnncalc check: error: {err}\n", "standard error")
        for fix in getattr(err, "fixes", ()):
            if f"fix: {fix}" not in str(err):
                write(sys.stderr, f"  fix: {fix}\n", "standard error")
        return 2
    if args.format == "json":
        write(sys.stdout, json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        write(sys.stdout, f"{report}\n")
    return 0 if report.ok else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
