"""GPU check for the PyTorch adapter (run on a machine with CUDA): a model on a GPU is analysed without being
moved, copied or run for real.

    python benchmarks/gpu_check.py

It builds torchvision's resnet50 on the GPU (training mode), analyses it at batch 64 (224×224) and checks:
parameters still on the GPU at the same storage, training flag kept, no hooks left, GPU memory allocated
during the analysis below 1 MiB (no activations, no weight copies), and the totals equal the published figures.
"""

from __future__ import annotations

import json
import sys
import time


def hooks_left(model) -> int:  # type: ignore[no-untyped-def]
    count = 0
    for m in model.modules():
        for name in ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_forward_hooks_with_kwargs"):
            count += len(getattr(m, name, {}) or {})
    return count


def main() -> int:
    import torch
    import torchvision

    from cnncalc.adapters.torch import from_torch

    if not torch.cuda.is_available():
        print("no CUDA device")
        return 2
    model = torchvision.models.resnet50().cuda().train()
    before = {n: (p.device, p.data_ptr(), p.requires_grad) for n, p in model.named_parameters()}
    torch.cuda.synchronize()
    base = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    result = from_torch(model, input_size=(64, 3, 224, 224))
    seconds = time.perf_counter() - start
    torch.cuda.synchronize()
    report = {
        "device": torch.cuda.get_device_name(0),
        "seconds": round(seconds, 3),
        "peak_extra_bytes": torch.cuda.max_memory_allocated() - base,
        "allocated_after_minus_before": torch.cuda.memory_allocated() - base,
        "params_unchanged": before == {n: (p.device, p.data_ptr(), p.requires_grad)
                                       for n, p in model.named_parameters()},
        "still_training": model.training,
        "hooks_left": hooks_left(model),
        "params": result.totals.params,
        "macs": result.totals.macs,
        "expected_params": 25_557_032,
        "expected_macs": 64 * 4_089_184_256,
    }
    ok = (report["params_unchanged"] and report["still_training"] and report["hooks_left"] == 0
          and report["peak_extra_bytes"] < 2**20 and report["params"] == report["expected_params"]
          and report["macs"] == report["expected_macs"])
    report["ok"] = ok
    print(json.dumps(report, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
