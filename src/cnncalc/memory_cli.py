"""The CLI's memory options (--train, --optimizer, --amp, --checkpoint, --shard, --gpus, --gpu-memory, --max-batch,
--memory): parsing and checking them, attaching the training step to a result, the largest batch, the breakdown.

The numbers come from the core (``cnncalc.analysis.memory``); this module only reads options and prints.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .analysis import Result
from .errors import ArgumentError

if TYPE_CHECKING:
    from .analysis.memory import Memory
    from .analysis.training import Training


def parse_bytes(text: str) -> int:
    """--gpu-memory's size (cnncalc.budget, imported when used)."""
    from .budget import parse_bytes as parse

    return parse(text)


def add_memory_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("memory (will it fit? see docs/memory.md)")
    g.add_argument("--train", action="store_true", help="memory of one training step (else inference)")
    g.add_argument("--optimizer", default="adam", help="sgd, momentum, adam (default), adamw, adafactor, adam8bit")
    g.add_argument("--amp", metavar="DTYPE", help="autocast: bf16 or fp16")
    g.add_argument("--master-weights", action="store_true",
                   help="with low-precision parameters: a float32 master copy and float32 optimizer state")
    g.add_argument("--checkpoint", action="store_true", help="activation checkpointing per block / top-level module")
    g.add_argument("--shard", choices=None, metavar="HOW", help="per-GPU memory: ddp, zero1, zero2, zero3 or fsdp")
    g.add_argument("--gpus", type=int, metavar="N", help="GPUs for --shard")
    g.add_argument("--gpu-memory", metavar="SIZE", help="memory of one GPU, e.g. 80GB (for --max-batch)")
    g.add_argument("--max-batch", action="store_true", help="the largest batch whose peak fits --gpu-memory")
    g.add_argument("--memory", action="store_true", help="where the bytes go: a table by layer and category")


def training_of(opts: argparse.Namespace) -> Training | None:
    """The Training the options ask for (None without --train and without training options); bad values are
    user errors naming the value."""
    if getattr(opts, "gpus", None) is not None and opts.gpus < 1:
        raise ArgumentError(f"--gpus must be at least 1, got {opts.gpus}")
    if getattr(opts, "shard", None) and getattr(opts, "gpus", None) is None:
        raise ArgumentError(f"--shard {opts.shard} needs --gpus N", hint=f"e.g. --shard {opts.shard} --gpus 8")
    if getattr(opts, "max_batch", False) and not getattr(opts, "gpu_memory", None):
        raise ArgumentError("--max-batch needs --gpu-memory", hint="e.g. --max-batch --gpu-memory 80GB")
    if getattr(opts, "gpu_memory", None):
        parse_bytes(opts.gpu_memory)
    wanted = opts.train or opts.amp or opts.checkpoint or opts.shard or opts.max_batch
    if not wanted and opts.optimizer == "adam" and not opts.master_weights and opts.gpus is None:
        return None  # no training option given: nothing to check, and the training module is not imported
    from .analysis.training import Training

    t = Training(optimizer=opts.optimizer, amp=opts.amp, master_weights=opts.master_weights,
                 checkpoint=opts.checkpoint, shard=opts.shard, gpus=opts.gpus or 1)
    return t if wanted else None


def peak_of(result: Result, training: bool) -> int:
    """The peak a budget or a GPU is compared with: the training step's with --train, else the inference peak."""
    m: Memory = result.memory()
    if training and m.training is not None:
        return m.training.peak_bytes
    return m.inference.peak_bytes


def attach(result: Result, opts: argparse.Namespace, again: Any = None) -> Result:
    """The result with the training options, and the largest batch when asked (``again(batch)`` re-analyses)."""
    t = training_of(opts)
    result = replace(result, training=t)
    if opts.max_batch and again is not None:
        budget = parse_bytes(opts.gpu_memory)

        def peak(batch: int) -> int:
            r = result if batch == result.conventions.batch else again(batch)
            return peak_of(replace(r, training=t), opts.train)

        from .analysis.memory import largest_batch

        result = replace(result, max_batch=largest_batch(peak, result.conventions.batch, budget))
    return result


def memory_lines(result: Result, opts: argparse.Namespace) -> list[str]:
    """A few lines after the table: the peaks, and the largest batch."""
    m = result.memory()
    mib = 2**20
    out = [f"inference peak {m.inference.peak_bytes / mib:,.1f} MiB (params {m.inference.params_bytes / mib:,.1f}, "
           f"input {m.inference.input_bytes / mib:,.1f}, activations {m.inference.activation_peak_bytes / mib:,.1f})"]
    if opts.train and m.training is None:
        out.append(f"training: {m.note}")
    elif opts.train and m.training is not None:
        s = m.training
        out.append(f"training step peak {s.peak_bytes / mib:,.1f} MiB ({s.optimizer}"
                   f"{', ' + s.amp if s.amp else ''}{', checkpointed' if s.checkpoint else ''}): params "
                   f"{s.params_bytes / mib:,.1f}, grads {s.grads_bytes / mib:,.1f}, optimizer "
                   f"{s.optimizer_bytes / mib:,.1f}, after forward {s.after_forward_bytes / mib:,.1f}")
        if s.per_gpu:
            out.append(f"per GPU ({opts.shard}, {s.per_gpu['gpus']} GPUs): peak {s.per_gpu['peak_bytes'] / mib:,.1f}"
                       f" MiB")
    if result.max_batch is not None:
        out.append(f"largest batch that fits {opts.gpu_memory}: {result.max_batch}")
    return out


def memory_table(result: Result) -> str:
    """Where the bytes go, layer by layer: allocated at inference, live after it, saved for backward."""
    m = result.memory()
    lines = [f"{'layer':<24} {'kind':<12} {'allocated':>14} {'live after':>14} {'saved (train)':>14}"]
    for r in result.rows:
        if r.is_container:
            continue
        lines.append(f"{r.name[:24]:<24} {r.kind[:12]:<12} {m.allocated_bytes.get(r.name, 0):>14,} "
                     f"{m.live_after_bytes.get(r.name, 0):>14,} {m.saved_bytes.get(r.name, 0):>14,}")
    lines.append("")
    lines.append("inference: " + ", ".join(f"{k} {v:,}" for k, v in m.inference.as_dict().items()))
    if m.training is not None:
        lines.append("training:  " + ", ".join(f"{k} {v:,}" for k, v in m.training.as_dict().items()
                                               if isinstance(v, int) and not isinstance(v, bool)))
    elif m.note:
        lines.append("training:  " + m.note)
    return "\n".join(lines)
