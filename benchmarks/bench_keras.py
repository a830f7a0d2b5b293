"""`cnncalc keras:ResNet50` against its floor, `import keras` plus building the model, in whole processes.

Each case runs in a fresh process several times (alternating); we report the medians of the whole-process
wall time and peak RSS. "baseline" imports Keras and builds keras.applications.ResNet50(weights=None) the way
a user does (on the CPU); "cnncalc" is the CLI, `cnncalc keras:ResNet50 --format json` (it builds the model
on PyTorch's meta device and walks its graph). The target (issue 12): cnncalc within 1.3× of the baseline.

    KERAS_BACKEND=torch python benchmarks/bench_keras.py [--runs 5] [--model ResNet50]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

BASELINE = """
import resource, sys
import keras
model = getattr(keras.applications, sys.argv[1])(weights=None)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
CNNCALC = """
import resource, sys
from cnncalc.cli import main
code = main([f"keras:{sys.argv[1]}", "--format", "json"])
sys.stdout.flush()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""


def run(tool: str, model: str) -> tuple[float, int]:
    """One fresh process: its wall time (s) and peak RSS (KiB)."""
    env = {**os.environ, "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "torch")}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", BASELINE if tool == "baseline" else CNNCALC, model],
                          capture_output=True, text=True, env=env, check=True)
    wall = time.perf_counter() - start
    rss = (done.stdout if tool == "baseline" else done.stderr).strip().splitlines()[-1]
    return wall, int(rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--model", default="ResNet50")
    args = parser.parse_args()
    times: dict[str, list[float]] = {"baseline": [], "cnncalc": []}
    rss: dict[str, list[int]] = {"baseline": [], "cnncalc": []}
    for _ in range(args.runs):
        for tool in times:
            wall, peak = run(tool, args.model)
            times[tool].append(wall)
            rss[tool].append(peak)
    med = {tool: statistics.median(v) for tool, v in times.items()}
    report = {
        "model": args.model,
        "runs": args.runs,
        "wall_s": {tool: round(v, 2) for tool, v in med.items()},
        "peak_rss_mib": {tool: round(statistics.median(v) / 1024, 1) for tool, v in rss.items()},
        "ratio": round(med["cnncalc"] / med["baseline"], 2),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
