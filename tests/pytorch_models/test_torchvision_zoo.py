"""Every torchvision weight entry: parameters equal the published num_params; MACs equal gflops.

Oracle: torchvision's own published metadata (tests/data/torchvision_meta.json) and, for
detection (whose post-processing cannot run on meta), PyTorch's FlopCounterMode over the same
partial forward. Sizes: each weight's evaluation crop (224, 299, 240-600, 384/512/518 for the
large ViTs); video 16 frames; optical flow two 512×512 frames; detection 800×800 (300 for SSD
and 320 for SSDlite after their own resizing).
"""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")

import tv_zoo  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from cnncalc.adapters.torch import from_torch  # noqa: E402

ENTRIES = tv_zoo.entries()


def _analyse(entry: dict[str, Any]) -> Any:
    model = tv_zoo.build(entry)
    sizes = tv_zoo.input_size(entry)
    return model, from_torch(model, input_size=sizes if len(sizes) > 1 else sizes[0],
                             partial=entry["family"] == "detection")


@pytest.mark.slow
@pytest.mark.parametrize("entry", [e for e in ENTRIES if e["family"] != "detection"], ids=lambda e: e["weights"])
def test_params_and_macs_match_published(entry: dict[str, Any]) -> None:
    _, result = _analyse(entry)
    assert result.totals.params == entry["num_params"]
    assert round(result.totals.macs / 1e9, 3) == pytest.approx(entry["gflops"], abs=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("entry", [e for e in ENTRIES if e["family"] == "detection"], ids=lambda e: e["weights"])
def test_detection_params_published_and_macs_as_flop_counter(entry: dict[str, Any]) -> None:
    model, result = _analyse(entry)
    assert result.totals.params == entry["num_params"]
    assert any("partial" in w and "nonzero" in w for w in result.warnings)
    counter = FlopCounterMode(display=False)
    model.eval()
    with counter, torch.no_grad(), pytest.raises(Exception, match="nonzero"):
        model(torch.empty(tv_zoo.input_size(entry)[0], device="meta"))
    assert result.totals.macs == counter.get_total_flops() // 2
    if entry["model"] not in tv_zoo.TWO_STAGE:  # one-stage: the published figure too
        assert round(result.totals.macs / 1e9, 3) == pytest.approx(entry["gflops"], abs=1e-9)
