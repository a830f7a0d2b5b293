"""Benchmarks of the core and the CLI (run on demand, never in the test suite).

    python benchmarks/bench_core.py            # prints a Markdown report
    python benchmarks/bench_core.py --runs 9

1. Whole process: wall time and peak RSS of `cnncalc examples/article.cnn`, beside `python -c pass` and
   `python -c "import torchinfo"` (when installed), median of several runs, measured with os.wait4.
2. In process: analysis time of generated chains of 1k, 2k, 5k and 10k layers and of a wide DAG
   (inception-like blocks of four branches joined by concat), to show linear growth.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_process(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"command failed: {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024


def median_process(cmd: list[str], runs: int) -> tuple[float, float]:
    results = [run_process(cmd) for _ in range(runs)]
    return statistics.median(r[0] for r in results), statistics.median(r[1] for r in results)


def chain(n: int):  # type: ignore[no-untyped-def]
    import cnncalc as cc
    from cnncalc.layers import Activation, BatchNorm, Conv, Input

    layers: list[cc.Layer] = [Input((56, 56, 64))]
    cycle = [Conv(64, 3, padding=1, bias=False), BatchNorm(), Activation("relu")]
    layers += [cycle[i % 3] for i in range(n - 1)]
    return cc.Network.chain(*layers)


def wide_dag(blocks: int):  # type: ignore[no-untyped-def]
    import cnncalc as cc
    from cnncalc.layers import Concat, Conv, Input, MaxPool

    g = cc.Graph()
    x = g.add("in", Input((28, 28, 64)))
    for b in range(blocks):
        branches = [
            g.add(None, Conv(16, 1), x),
            g.add(None, Conv(16, 3, padding=1), g.add(None, Conv(16, 1), x)),
            g.add(None, Conv(16, 5, padding=2), g.add(None, Conv(8, 1), x)),
            g.add(None, Conv(16, 1), g.add(None, MaxPool(3, stride=1, padding=1), x)),
        ]
        x = g.add(f"cat{b}", Concat(), *branches)
    return g.build()


def best_of(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    py = sys.executable
    rows = [("python -c pass", [py, "-c", "pass"]),
            ("cnncalc examples/article.cnn", [py, "-m", "cnncalc", "examples/article.cnn"])]
    # find_spec, not import: a child's peak RSS counts the parent's pages before exec, so the parent stays small
    if importlib.util.find_spec("torchinfo") is not None:
        rows.append(("python -c 'import torchinfo'", [py, "-c", "import torchinfo"]))
    print("## Whole process (median of", args.runs, "runs)\n")
    print("| command | wall s | peak RSS MiB |\n|---|---:|---:|")
    base = None
    for label, cmd in rows:
        wall, rss = median_process(cmd, args.runs)
        base = base or wall
        print(f"| `{label}` | {wall:.3f} | {rss:.1f} |")
    import cnncalc as cc

    print("\n## Analysis time in process (best of 5)\n")
    print("| network | layers | seconds | µs per layer |\n|---|---:|---:|---:|")
    for n in (1000, 2000, 5000, 10000):
        net = chain(n)
        t = best_of(lambda net=net: cc.analyze(net))
        print(f"| chain | {n} | {t:.3f} | {t / n * 1e6:.1f} |")
    for blocks in (100, 400):
        net = wide_dag(blocks)
        t = best_of(lambda net=net: cc.analyze(net))
        print(f"| wide DAG ({blocks} four-branch blocks) | {len(net)} | {t:.3f} | {t / len(net) * 1e6:.1f} |")


if __name__ == "__main__":
    main()
