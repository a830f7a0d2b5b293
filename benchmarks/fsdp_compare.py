"""cnncalc's per-GPU sharding arithmetic against PyTorch's own FSDPMemTracker (FSDP2, fully_shard) run under
FakeTensorMode with a fake process group, on CPU: no GPU, no memory, no communication.

    python benchmarks/fsdp_compare.py gpt2 4        # one model, one world size: a JSON line on stdout
    python benchmarks/fsdp_compare.py --table       # every model × world size (one subprocess each)

Each transformer block is one FSDP unit and the root holds the rest (as torchtitan wraps a model); Adam
(foreach), float32, no autocast; the step is run twice and the second one measured (the first creates
the optimizer's state). cnncalc analyses the same model with ``Training(shard="fsdp", gpus=N)`` and with
``shard="ddp"`` (no sharding) for N = 1. Used for the comparison table in docs/memory.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

SEQ, BATCH, VOCAB = 256, 4, 2000


def build(name: str) -> Any:
    import transformers

    if name == "gpt2":
        gpt = transformers.GPT2Config(n_layer=4, n_embd=256, n_head=4, n_positions=SEQ, vocab_size=VOCAB,
                                      attn_implementation="sdpa", resid_pdrop=0.0, embd_pdrop=0.0,  # type: ignore[call-arg]
                                      attn_pdrop=0.0)
        return transformers.GPT2LMHeadModel(gpt)
    cfg = transformers.LlamaConfig(hidden_size=256, intermediate_size=688, num_hidden_layers=4, num_attention_heads=4,
                                   num_key_value_heads=4, vocab_size=VOCAB, max_position_embeddings=SEQ,
                                   attn_implementation="sdpa")  # type: ignore[call-arg]
    return transformers.LlamaForCausalLM(cfg)


def blocks(model: Any) -> Any:
    return model.transformer.h if hasattr(model, "transformer") else model.model.layers


def tracker(name: str, gpus: int) -> dict[str, Any]:
    import torch
    import torch.distributed as dist
    from torch._subclasses.fake_tensor import FakeTensorMode
    from torch.distributed._tools.fsdp2_mem_tracker import FSDPMemTracker
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard
    from torch.testing._internal.distributed.fake_pg import FakeStore

    dist.init_process_group("fake", rank=0, world_size=gpus, store=FakeStore())
    mesh = init_device_mesh("cpu", (gpus,))  # outside the fake mode: the mesh reads real rank tensors
    with FakeTensorMode():
        torch.manual_seed(0)
        model = build(name)
        for block in blocks(model):
            fully_shard(block, mesh=mesh)
        fully_shard(model, mesh=mesh)
        opt = torch.optim.Adam(model.parameters(), lr=1e-4, foreach=True)
        x = torch.randint(0, VOCAB, (BATCH, SEQ))
        fmt = FSDPMemTracker(model, opt)
        fmt.track_inputs((x,))
        with fmt:
            for i in range(2):
                model(x).logits.float().mean().backward()
                opt.step()
                opt.zero_grad()
                if i == 0:
                    fmt.reset_mod_stats()
        peak = fmt.get_tracker_snapshot("peak")
    dist.destroy_process_group()
    (device,) = peak
    return {str(k.value if hasattr(k, "value") else k): int(v) for k, v in peak[device].items()}


def estimate(name: str, gpus: int) -> dict[str, int]:
    import torch

    import cnncalc as cc

    with torch.device("meta"):
        model = build(name)
    r = cc.from_torch(model, example_inputs=torch.zeros(BATCH, SEQ, dtype=torch.long),
                      training=cc.Training(shard="fsdp", gpus=gpus))
    step = r.memory().training
    # the same arithmetic on the activations measured on the meta device (saved tensors, allocations)
    from dataclasses import replace

    from cnncalc.adapters.torch.memory import measure_memory
    from cnncalc.analysis.memory import shard

    m = measure_memory(model, example_inputs=torch.zeros(BATCH, SEQ, dtype=torch.long))
    measured = replace(step, after_forward_bytes=m.after_forward_bytes, backward_peak_bytes=m.backward_peak_bytes)
    return {"single_gpu_peak": step.peak_bytes, **({f"fsdp_{k}": v for k, v in step.per_gpu.items()}),
            "fsdp_measured_activations_peak_bytes": shard(measured, r.rows, r.training)["peak_bytes"]}


def table() -> None:
    """The comparison table: the whole per-GPU peak, and its model-state part (sharded parameters + optimizer
    state; the unsharded units' parameters) separately, since that part is the sharding arithmetic itself."""
    print("MiB; batch 4 × 256 tokens, float32, Adam")
    print("| model | GPUs | FSDPMemTracker peak | cnncalc peak | err | cnncalc on measured activations | err "
          "| tracker sharded params + opt | cnncalc p/N + o/N | tracker unsharded + all-gather "
          "| cnncalc gathered units |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    mib = 2**20
    for name in ("gpt2", "llama"):
        for gpus in (2, 4, 8):
            out = subprocess.run([sys.executable, __file__, name, str(gpus)], capture_output=True, text=True,
                                 check=True).stdout.strip().splitlines()[-1]
            t, c = (d := json.loads(out))["tracker"], d["cnncalc"]
            states = t["Sharded Param"] + t["OptState"]
            mine = c["fsdp_params_bytes"] - c["fsdp_gathered_bytes"] + c["fsdp_optimizer_bytes"]
            print(f"| {name} | {gpus} | {t['Total'] / mib:,.1f} | {c['fsdp_peak_bytes'] / mib:,.1f} | "
                  f"{100 * (c['fsdp_peak_bytes'] - t['Total']) / t['Total']:+.1f}% | "
                  f"{c['fsdp_measured_activations_peak_bytes'] / mib:,.1f} | "
                  f"{100 * (c['fsdp_measured_activations_peak_bytes'] - t['Total']) / t['Total']:+.1f}% | "
                  f"{states / mib:,.2f} | "
                  f"{mine / mib:,.2f} | {(t['Unsharded Param'] + t['All Gather']) / mib:,.2f} | "
                  f"{c['fsdp_gathered_bytes'] / mib:,.2f} |")


if __name__ == "__main__":
    if sys.argv[1:] == ["--table"]:
        table()
    else:
        model_name, n = sys.argv[1], int(sys.argv[2])
        print(json.dumps({"tracker": tracker(model_name, n), "cnncalc": estimate(model_name, n)}))
