"""cnncalc's PyTorch adapter against torchinfo 1.8.0 and fvcore, in whole processes.

Cases: resnet50 at batch 1 and 64 (224²) and vit_b_16 at batch 1. Each (tool, case) runs in a
fresh process several times; we report the medians of the whole-process wall time and peak RSS,
and of the in-process analysis time (after imports and the model build), with ratios against
cnncalc computed from the same run. "baseline" imports torch/torchvision and builds the model,
nothing else: the floor for peak RSS.

    python benchmarks/bench_torch.py [--runs 5] [--tools baseline,cnncalc,torchinfo,fvcore]
        [--cases resnet50:1,resnet50:64,vit_b_16:1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from typing import Any

CASES = [("resnet50", 1), ("resnet50", 64), ("vit_b_16", 1)]
TOOLS = ["baseline", "cnncalc", "torchinfo", "fvcore"]

CHILD = """
import json, resource, sys, time
tool, name, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
import torch, torchvision
torch.set_num_threads(2)
model = torchvision.models.get_model(name, weights=None).eval()
size = (batch, 3, 224, 224)
if tool == "cnncalc":
    from cnncalc.adapters.torch import from_torch
elif tool == "torchinfo":
    from torchinfo import summary
elif tool == "fvcore":
    from fvcore.nn import FlopCountAnalysis
t = time.perf_counter()
macs = None
if tool == "cnncalc":
    macs = from_torch(model, input_size=size).totals.macs
elif tool == "torchinfo":
    macs = summary(model, input_size=size, verbose=0).total_mult_adds
elif tool == "fvcore":
    with torch.no_grad():
        f = FlopCountAnalysis(model, torch.randn(size))
        f.unsupported_ops_warnings(False)
        f.uncalled_modules_warnings(False)
        macs = f.total()
analysis = time.perf_counter() - t
try:  # this process's own peak; ru_maxrss can inherit the forking parent's
    rss = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")][0]
except (OSError, IndexError):
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"analysis": analysis, "rss_mib": rss / 1024,
                  "macs": macs}))
"""


def run_once(tool: str, name: str, batch: int) -> dict[str, Any]:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, tool, name, str(batch)], capture_output=True, text=True,
                         check=True)
    wall = time.perf_counter() - start
    data: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    data["wall"] = wall
    return data


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--tools", default=",".join(TOOLS))
    p.add_argument("--cases", default=",".join(f"{n}:{b}" for n, b in CASES), help="e.g. resnet50:1,vit_b_16:1")
    opts = p.parse_args()
    tools = opts.tools.split(",")
    cases = [(c.split(":")[0], int(c.split(":")[1])) for c in opts.cases.split(",")]
    print("| case | tool | whole process (s) | peak RSS (MiB) | analysis in-process (s) | analysis ×cnncalc | MACs |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, batch in cases:
        med: dict[str, dict[str, float]] = {}
        macs: dict[str, Any] = {}
        for tool in tools:
            runs = [run_once(tool, name, batch) for _ in range(opts.runs)]
            med[tool] = {k: statistics.median(r[k] for r in runs) for k in ("wall", "rss_mib", "analysis")}
            macs[tool] = runs[0]["macs"]
        base = med.get("cnncalc", {}).get("analysis")
        for tool in tools:
            m = med[tool]
            ratio = f"{m['analysis'] / base:.1f}×" if base and tool not in ("baseline", "cnncalc") else "—"
            print(f"| {name} b{batch} | {tool} | {m['wall']:.2f} | {m['rss_mib']:.0f} | "
                  f"{m['analysis']:.3f} | {ratio} | {macs[tool] if macs[tool] is not None else '—'} |", flush=True)


if __name__ == "__main__":
    main()
