"""One road: the text format and from_torch give the same rows and totals for the same network.

Each network is written twice, in the text format and in PyTorch, with the same layer names. Rows are matched
by name; every number (shapes, activations, parameters, state, MACs, FLOPs, receptive field, bytes) and the
formulas of modelled rows must be identical, and so must the totals. The only difference allowed is the kind
column of a PyTorch container's own work (a `functional` row, measured) where the text format has a core merge.
"""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import cnncalc as cc  # noqa: E402
from parity_networks import ARTICLE, BASIC_BLOCK, SEPARABLE  # noqa: E402

BATCH = 2

#: each network in the text format and in PyTorch, with the same layer names (parity_networks.py)
CASES = {"article": ARTICLE, "basic": BASIC_BLOCK, "separable": SEPARABLE}


def _numbers(row: cc.Row) -> dict[str, object]:
    return {
        "output": row.output_shape.ordered("chw"), "inputs": [s.ordered("chw") for s in row.input_shapes],
        "activations": row.activations.value, "trainable": row.trainable.value,
        "non_trainable": row.non_trainable.value, "state": row.state.value, "macs": row.macs.value,
        "flops": row.flops.value, "rf": row.receptive_field.as_dict(), "param_bytes": row.param_bytes,
        "state_bytes": row.state_bytes, "trainable_bytes": row.trainable_bytes,
        "activation_bytes": row.activation_bytes,
    }


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("extra_flops", [False, True])
def test_text_and_torch_give_the_same_rows_and_totals(case: str, extra_flops: bool) -> None:
    network = CASES[case]
    conventions = cc.Conventions(layout="chw", count_bias_flops=extra_flops)
    from_text = cc.analyze(cc.parse(network.text), conventions.but(batch=BATCH))
    from_torch = cc.from_torch(network.torch_model().eval(), input_size=network.input_size(BATCH),
                               conventions=conventions)
    assert [r.name for r in from_torch.rows] == [r.name for r in from_text.rows]
    for mine, theirs in zip(from_text.rows, from_torch.rows):
        assert _numbers(mine) == _numbers(theirs), mine.name
        if theirs.unmodelled is None:  # modelled on both roads: the same kind and the same formulas
            assert (mine.kind, mine.trainable.explain(), mine.macs.explain(), mine.flops.explain()) == (
                theirs.kind, theirs.trainable.explain(), theirs.macs.explain(), theirs.flops.explain()), mine.name
        else:
            assert theirs.kind == "functional" and mine.kind == "add", mine.name
    assert from_text.totals == from_torch.totals


def test_bias_flops_keep_their_formula_on_the_torch_road() -> None:
    r = cc.from_torch(nn.Sequential(nn.Conv2d(3, 8, 5)), input_size=(1, 3, 32, 32),
                      conventions=cc.Conventions(layout="chw", count_bias_flops=True))
    assert r["0"].flops.explain() == "2·MACs + (Ho·Wo·k) = 2·470400 + (28·28·8) = 947072"


def test_resnet18_json_lists_the_residual_add_where_it_happened(capsys: pytest.CaptureFixture[str]) -> None:
    from cnncalc.cli import main

    assert main(["torchvision:resnet18", "--format", "json"]) == 0
    names = [r["name"] for r in json.loads(capsys.readouterr().out)["layers"]]
    at = names.index("layer1.0.bn2")
    assert names[at:at + 3] == ["layer1.0.bn2", "layer1.0.add", "layer1.0.relu#2"]
    at = names.index("layer2.0.downsample.1")  # the add comes after the shortcut's BatchNorm, before relu#2
    assert names[at + 1:at + 3] == ["layer2.0.add", "layer2.0.relu#2"]
