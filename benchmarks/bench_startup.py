"""Start-up of the command line: `cnncalc examples/article.cnn` against `python -c pass` (whole processes).

Run on demand (not a test): ``.venv/bin/python benchmarks/bench_startup.py [runs]``. Prints the best and the
median wall time of each over RUNS runs, the ratio, and the cnncalc modules the text path imported.
Target (issue: a lighter start): the whole process within 8× `python -c pass`.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: as a user's Python runs: with bytecode caches (some sandboxes set PYTHONDONTWRITEBYTECODE, which makes every
#: start compile every module again)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(argv: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (user + system) seconds of each run. CPU time is the steadier figure on a loaded
    machine: it does not count the time the process waited for a core."""
    wall, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, cwd=ROOT, env=ENV)
        wall.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return wall, cpu


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    timed([sys.executable, "-m", "cnncalc", "examples/article.cnn"], 1)  # writes the bytecode caches
    base, base_cpu = timed([sys.executable, "-c", "pass"], runs)
    cli, cli_cpu = timed([sys.executable, "-m", "cnncalc", "examples/article.cnn"], runs)
    probe = ("import sys, runpy; sys.argv=['cnncalc','examples/article.cnn']; import cnncalc.cli as c; "
             "import io, contextlib; contextlib.redirect_stdout(io.StringIO()).__enter__(); c.main(sys.argv[1:]); "
             "sys.stderr.write(str(sorted(m for m in sys.modules if m.startswith('cnncalc'))))")
    mods = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT).stderr
    print(f"python -c pass        best {min(base):.3f} s  median {statistics.median(base):.3f} s")
    print(f"cnncalc article.cnn   best {min(cli):.3f} s  median {statistics.median(cli):.3f} s")
    print(f"ratio (best/best)     {min(cli) / min(base):.1f}×   (median/median "
          f"{statistics.median(cli) / statistics.median(base):.1f}×)")
    print(f"CPU: python -c pass {min(base_cpu):.3f} s, cnncalc {min(cli_cpu):.3f} s, ratio "
          f"{min(cli_cpu) / min(base_cpu):.1f}× (best of each)")
    print(f"cnncalc modules imported: {mods.count('cnncalc')}")
    heavy = [m for m in ("cnncalc.check", "cnncalc.solve", "cnncalc.adapters", "cnncalc.render.report",
                         "cnncalc.render.diagram", "torch") if f"'{m}" in mods]
    print("heavy modules imported:", heavy or "none")


if __name__ == "__main__":
    main()
