"""Memory analysis: its cost, in fresh processes (docs/benchmarks.md, docs/memory.md).

(a) resnet50 at batch 64 (224²): the analysis with one training step's memory (``Training()``: Adam) against
    the inference-only analysis (the same trace, the inference peak only). Target: at most 2×. Best of
    ``--runs`` in one process after a warm-up, both the whole analysis (trace + memory) and the memory part.
(b) Llama-2-7B (``transformers.LlamaConfig()`` defaults) on the meta device, 4096 tokens, bfloat16 parameters,
    Adam, one training step: wall time (target < 60 s) and peak RSS (target < 2 GB) of a fresh process that
    builds the model on meta and analyses it (imports included in the RSS; the time is the analysis only, and
    also the whole process).

    python benchmarks/bench_memory.py [--runs 5] [--skip-llama]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any

RESNET = """
import json, sys, time
import torch, torchvision
torch.set_num_threads(2)
import cnncalc as cc
from cnncalc.analysis.memory import inference_memory, memory_of
runs = int(sys.argv[1])
with torch.device("meta"):
    model = torchvision.models.resnet50()
size = (64, 3, 224, 224)

def inference():
    r = cc.from_torch(model, size)
    t = time.perf_counter()
    inference_memory(r.rows, r.conventions)
    return r, time.perf_counter() - t

def training():
    r = cc.from_torch(model, size)
    t = time.perf_counter()
    m = memory_of(r.rows, r.conventions, cc.Training())
    return m, time.perf_counter() - t

out = {}
for name, f in (("inference", inference), ("training", training)):
    f()
    best, part = 1e9, 1e9
    for _ in range(runs):
        t = time.perf_counter()
        _, p = f()
        best, part = min(best, time.perf_counter() - t), min(part, p)
    out[name] = {"analysis_s": best, "memory_s": part}
m = training()[0]
out["training_peak_MiB"] = m.training.peak_bytes / 2**20
out["inference_peak_MiB"] = m.inference.peak_bytes / 2**20
print(json.dumps(out))
"""

LLAMA = """
import json, resource, time
t0 = time.perf_counter()
import torch, transformers
import cnncalc as cc
torch.set_num_threads(2)
with torch.device("meta"):
    model = transformers.LlamaForCausalLM(transformers.LlamaConfig()).to(torch.bfloat16)
t = time.perf_counter()
r = cc.from_torch(model, example_inputs=torch.zeros(1, 4096, dtype=torch.long), training=cc.Training(optimizer="adam"))
m = r.memory()
elapsed = time.perf_counter() - t
s = m.training
print(json.dumps({"analysis_s": elapsed, "process_s": time.perf_counter() - t0,
                  "peak_rss_MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "params": r.totals.params, "rows": len(r.rows),
                  "training_peak_GiB": s.peak_bytes / 2**30, "params_GiB": s.params_bytes / 2**30,
                  "optimizer_GiB": s.optimizer_bytes / 2**30, "after_forward_GiB": s.after_forward_bytes / 2**30,
                  "inference_peak_GiB": m.inference.peak_bytes / 2**30}))
"""


def child(code: str, *args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--skip-llama", action="store_true")
    opts = p.parse_args()
    r = child(RESNET, str(opts.runs))
    inf, train = r["inference"], r["training"]
    print(f"resnet50 batch 64: inference-only analysis {inf['analysis_s']:.3f} s (memory part "
          f"{inf['memory_s'] * 1e3:.1f} ms); with the training step {train['analysis_s']:.3f} s (memory part "
          f"{train['memory_s'] * 1e3:.1f} ms); ratio {train['analysis_s'] / inf['analysis_s']:.2f}× "
          f"(target ≤ 2×); training peak {r['training_peak_MiB']:,.0f} MiB, inference peak "
          f"{r['inference_peak_MiB']:,.0f} MiB")
    if not opts.skip_llama:
        t = time.perf_counter()
        ll = child(LLAMA)
        print(f"Llama-2-7B, 4096 tokens, bf16, Adam, on meta: analysis {ll['analysis_s']:.1f} s (target < 60 s), "
              f"whole process {time.perf_counter() - t:.1f} s, peak RSS {ll['peak_rss_MiB']:,.0f} MiB "
              f"(target < 2 GB); {ll['params']:,} params, {ll['rows']} rows; training step peak "
              f"{ll['training_peak_GiB']:.1f} GiB (params {ll['params_GiB']:.1f}, Adam {ll['optimizer_GiB']:.1f}, "
              f"after forward {ll['after_forward_GiB']:.1f}); inference peak {ll['inference_peak_GiB']:.1f} GiB")


if __name__ == "__main__":
    main()
