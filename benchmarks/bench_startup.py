"""Start-up of the command line: `cnncalc examples/article.cnn` against `python -c pass` (whole processes).

Run on demand (not a test): ``.venv/bin/python benchmarks/bench_startup.py [RUNS] [--against OTHER/src]``.
Prints the best and the median wall and CPU time of each over RUNS runs, the ratios, and the cnncalc modules the
text path imported. ``--against`` also times another checkout's ``src`` (e.g. a ``git worktree`` of an older
commit), interleaved run by run with this one, so that both see the same load.
Target (issue: a lighter start): the whole process within 8× `python -c pass`.
"""

from __future__ import annotations

import argparse
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
CLI = ["-m", "cnncalc", "examples/article.cnn"]


def timed(argv: list[str], src: Path) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one run. CPU time is the steadier figure on a loaded
    machine: it does not count the time the process waited for a core."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, *argv], check=True, stdout=subprocess.DEVNULL, cwd=ROOT,
                   env={**ENV, "PYTHONPATH": str(src)})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="?", type=int, default=20)
    parser.add_argument("--against", type=Path, help="another checkout's src folder, timed the same way")
    args = parser.parse_args()
    cases = {"python -c pass": (["-c", "pass"], ROOT / "src"), "cnncalc article.cnn": (CLI, ROOT / "src")}
    if args.against:
        cases["cnncalc article.cnn (against)"] = (CLI, args.against.resolve())
    for argv, src in cases.values():
        timed(argv, src)  # writes the bytecode caches
    wall: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, (argv, src) in cases.items():
            w, c = timed(argv, src)
            wall[name].append(w)
            cpu[name].append(c)
    base_wall, base_cpu = min(wall["python -c pass"]), min(cpu["python -c pass"])
    for name in cases:
        print(f"{name:32s} wall best {min(wall[name]):.3f} s  median {statistics.median(wall[name]):.3f} s  "
              f"({min(wall[name]) / base_wall:.1f}×)   CPU best {min(cpu[name]):.3f} s  "
              f"median {statistics.median(cpu[name]):.3f} s  ({min(cpu[name]) / base_cpu:.1f}×)")
    probe = ("import sys, io, contextlib; import cnncalc.cli as c; "
             "contextlib.redirect_stdout(io.StringIO()).__enter__(); c.main(['examples/article.cnn']); "
             "sys.stderr.write(str(sorted(m for m in sys.modules if m.startswith('cnncalc'))))")
    mods = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
                          env={**ENV, "PYTHONPATH": str(ROOT / "src")}).stderr
    print(f"cnncalc modules imported: {mods.count('cnncalc')}")
    heavy = [m for m in ("cnncalc.check", "cnncalc.solve", "cnncalc.adapters", "cnncalc.render.report",
                         "cnncalc.render.diagram", "cnncalc.kinds.norm", "cnncalc.kinds.attention", "torch")
             if f"'{m}" in mods]
    print("heavy modules imported:", heavy or "none")


if __name__ == "__main__":
    main()
