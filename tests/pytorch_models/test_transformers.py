"""transformers models built from their configs on the meta device: exact parameter counts.

Oracles: the published sizes (Llama-2-7B 6,738,415,616; GPT-2 124,439,808 with its head tied to
the token embedding; BERT-base with pooler 109,482,240) and numel() over the deduplicated
parameters.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from cnncalc.adapters.torch import from_torch  # noqa: E402


def _meta(cls_name: str, config_name: str) -> torch.nn.Module:
    with torch.device("meta"):
        return getattr(transformers, cls_name)(getattr(transformers, config_name)())


def test_gpt2_tied_head_counted_once() -> None:
    model = _meta("GPT2LMHeadModel", "GPT2Config")
    result = from_torch(model, input_size=(1, 128), dtypes=[torch.int64])
    assert result.totals.params == 124_439_808 == sum(p.numel() for p in model.parameters())
    assert result["lm_head"].shares_params_with == "transformer.wte"


def test_bert_base_with_pooler() -> None:
    model = _meta("BertModel", "BertConfig")
    result = from_torch(model, example_inputs={"input_ids": torch.zeros(2, 64, dtype=torch.int64)})
    assert result.totals.params == 109_482_240
    assert result.conventions.batch == 2


@pytest.mark.slow
def test_llama_7b_in_one_process_under_60_s_and_2_gb() -> None:
    script = textwrap.dedent("""
        import resource, time
        t = time.perf_counter()
        import torch
        from transformers import LlamaConfig, LlamaForCausalLM
        from cnncalc.adapters.torch import from_torch
        with torch.device("meta"):
            model = LlamaForCausalLM(LlamaConfig())
        r = from_torch(model, input_size=(1, 128), dtypes=[torch.int64])
        # VmHWM: this process's own peak (ru_maxrss would inherit the forking parent's)
        peak = [int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM")]
        rss = peak[0] if peak else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(r.totals.params, time.perf_counter() - t, rss)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True)
    params, seconds, rss_kib = out.stdout.split()
    assert int(params) == 6_738_415_616
    assert float(seconds) < 60
    assert int(rss_kib) < 2 * 1024 * 1024
