"""The zoo: every network's totals against the published reference figures, and per layer against torchvision.

Oracles: tests/data/networks.csv (published figures, each with its source), and, where torchvision is
installed, the torchvision model of the same name built on the meta device: each leaf module's output shape,
parameter count (``numel``) and MACs (``torch.utils.flop_counter`` / 2) against the zoo row of the same name.
Zoo nodes are named after torchvision's module paths; ``rename`` below lists the only exceptions.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import cnncalc
from cnncalc import zoo

REFERENCE = Path(__file__).resolve().parent / "data"


def _densenet_name(name: str) -> str:
    """Repeated dense layers are numbered from 0 in the zoo, torchvision names them denselayer1, 2, ..."""
    return re.sub(r"(denseblock\d+)\.(\d+)\.", lambda m: f"{m[1]}.denselayer{int(m[2]) + 1}.", name)


@dataclass(frozen=True)
class Entry:
    """A zoo network, its row in networks.csv, and the torchvision model it mirrors (if any)."""

    row: str
    #: which total the reference counts: all parameters, or the trainable ones (LeNet-5's fixed RBF centres)
    count: str = "params"
    torchvision: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    #: zoo node name -> torchvision module path, where they differ
    rename: Callable[[str], str] | None = None


ENTRIES: dict[str, Entry] = {
    "article": Entry("article-lenet"),
    "lenet5": Entry("lenet5-1998", count="trainable"),
    "lenet5-modern": Entry("lenet5-modern"),
    "alexnet": Entry("alexnet", torchvision="alexnet"),
    "alexnet-2012": Entry("alexnet-2012"),
    "vgg16": Entry("vgg16", torchvision="vgg16"),
    "vgg19": Entry("vgg19", torchvision="vgg19"),
    "squeezenet1_0": Entry("squeezenet1_0", torchvision="squeezenet1_0"),
    "resnet18": Entry("resnet18", torchvision="resnet18"),
    "resnet50": Entry("resnet50", torchvision="resnet50"),
    "mobilenet_v2": Entry("mobilenet_v2", torchvision="mobilenet_v2"),
    "googlenet": Entry("googlenet", torchvision="googlenet", kwargs={"aux_logits": False, "init_weights": False}),
    "inception_v3": Entry(
        "inception_v3", torchvision="inception_v3", kwargs={"aux_logits": True, "init_weights": False}
    ),
    "densenet121": Entry("densenet121", torchvision="densenet121", rename=_densenet_name),
    "efficientnet_b0": Entry("efficientnet_b0", torchvision="efficientnet_b0"),
    "unet": Entry("unet-2015"),
}
TORCHVISION = [name for name, entry in ENTRIES.items() if entry.torchvision]


def reference_rows() -> dict[str, dict[str, str]]:
    file = REFERENCE / "networks.csv"
    assert file.exists(), f"reference figures not found at {file}"
    with file.open(newline="", encoding="utf-8") as handle:
        return {row["network"]: row for row in csv.DictReader(handle)}


def itemised(source: str) -> list[tuple[str, int]]:
    """Per-layer figures quoted in a row's source: 'C1 156, S2 12, ...' or '0+608+0+3216' (unlabelled)."""
    labelled = re.findall(r"\b([A-Z]\d+) (\d+)\b", source)
    if labelled:
        return [(label, int(n)) for label, n in labelled]
    sums = re.search(r"\d+(?:\+\d+)+", source)
    return [("", int(n)) for n in sums[0].split("+")] if sums else []


def load(name: str) -> cnncalc.Network:
    return zoo.load(name)


def expected_params(row: dict[str, str]) -> int:
    """The row's total, or the sum of its per-layer figures where it quotes them.

    The article's row states 62,006, an arithmetic slip: its own per-layer figures sum to 62,958.
    """
    items = itemised(row["source"])
    return sum(n for _, n in items) if items else int(row["params"])


# ---------------------------------------------------------------------------------------------- the zoo API


def test_every_zoo_network_has_a_reference_entry() -> None:
    assert sorted(ENTRIES) == zoo.names()


def test_unknown_name_suggests_the_closest() -> None:
    with pytest.raises(cnncalc.ArgumentError, match=r"(?s)unknown zoo network 'resnet5'.*did you mean 'resnet50'"):
        zoo.path("resnet5")


def test_names_are_forgiving_about_prefix_case_and_separator() -> None:
    assert zoo.path("zoo:ResNet50") == zoo.path("resnet50")
    assert zoo.path("lenet5_modern").name == "lenet5-modern.cnn"
    assert zoo.path("mobilenet-v2").name == "mobilenet_v2.cnn"


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_describe_names_the_source_and_the_reference_figure(name: str) -> None:
    row = reference_rows()[ENTRIES[name].row]
    text = zoo.describe(name)
    assert "\n" not in text and "Reference:" in text
    assert f"{expected_params(row):,}" in text


def test_resnet50_fits_on_one_screen() -> None:
    assert len(zoo.path("resnet50").read_text(encoding="utf-8").splitlines()) <= 60


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_zoo_networks_round_trip_through_dump(name: str) -> None:
    """Real networks as a check of the text format's writer: dump, parse back, the same nodes."""
    from cnncalc import textformat

    network = load(name)
    back = textformat.parse(textformat.dump(network))
    assert [(n.name, n.layer, n.inputs) for n in back.nodes] == [(n.name, n.layer, n.inputs) for n in network.nodes]


# ------------------------------------------------------------------------------------------ reference totals


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_totals_match_the_reference(name: str) -> None:
    entry = ENTRIES[name]
    row = reference_rows()[entry.row]
    network = load(name)
    result = cnncalc.analyze(network)
    got = result.totals.trainable_params if entry.count == "trainable" else result.totals.params
    assert got == expected_params(row)
    if row["macs"]:
        assert result.totals.macs == int(row["macs"])
    first = network.nodes[0].layer
    assert isinstance(first, cnncalc.layers.Input)
    assert "x".join(map(str, first.tensor().dims)) == row["input"]


@pytest.mark.parametrize("name", ["article", "lenet5-modern"])
def test_per_layer_params_match_the_quoted_figures(name: str) -> None:
    row = reference_rows()[ENTRIES[name].row]
    result = cnncalc.analyze(load(name))
    assert [r.params for r in result.rows if r.params] == [n for _, n in itemised(row["source"]) if n]


def test_lenet5_layers_match_the_paper() -> None:
    """LeCun et al. 1998 quote each layer's trainable parameters; a layer may span several zoo nodes (C3.a ...)."""
    row = reference_rows()[ENTRIES["lenet5"].row]
    result = cnncalc.analyze(load("lenet5"))
    for label, figure in itemised(row["source"]):
        parts = [r for r in result.rows if r.name == label or r.name.startswith(label + ".")]
        assert parts, label
        assert sum(r.trainable.value for r in parts) == figure, label


def test_lenet5_c3_follows_the_papers_connection_table() -> None:
    """Table I of LeCun et al. 1998: 6 C3 maps see 3 S2 maps, 9 see 4, 1 sees all 6; each S2 map feeds 10."""
    picks = [n.layer.channels for n in load("lenet5").nodes if n.name.startswith("C3.") and n.name.endswith(".pick")]
    assert sorted(len(p) for p in picks) == [3] * 6 + [4] * 9 + [6]
    assert all(sum(m in p for p in picks) == 10 for m in range(6))
    assert len({frozenset(p) for p in picks}) == 16


def test_unet_uses_a_real_crop() -> None:
    net = cnncalc.zoo.load("unet")
    assert [n.layer.kind for n in net.nodes if n.name.startswith("crop")] == ["crop"] * 4


def test_multiply_broadcasts_a_channel_gate() -> None:
    net = cnncalc.Network.chain(
        ("x", cnncalc.layers.Input((7, 7, 8))),
        ("gate", cnncalc.layers.GlobalPool(keepdims=True)),
        ("scale", cnncalc.layers.Multiply(), ["x", "gate"]),
    )
    assert cnncalc.analyze(net)["scale"].output_shape.dims == (7, 7, 8)


# ------------------------------------------------------------------------------- per layer, against torchvision


def torch_leaves(entry: Entry, size: tuple[int, int]) -> dict[str, dict[str, Any]]:
    """Each leaf module of the torchvision model: output shapes (one per call), parameter numel and MACs."""
    torch = pytest.importorskip("torch")
    models = pytest.importorskip("torchvision.models")
    from torch.utils.flop_counter import FlopCounterMode

    with torch.device("meta"):
        model = getattr(models, str(entry.torchvision))(weights=None, **entry.kwargs).eval()
    leaves: dict[str, dict[str, Any]] = {}
    for path, module in model.named_modules():
        if path and not list(module.children()):
            numel = sum(p.numel() for p in module.parameters(recurse=False))
            leaves[path] = {"shapes": [], "params": numel}
            module.register_forward_hook(lambda m, i, o, path=path: leaves[path]["shapes"].append(tuple(o.shape)))
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.empty(1, 3, *size, device="meta"))
    counts = counter.get_flop_counts()
    for path, leaf in leaves.items():
        leaf["macs"] = sum(counts.get(f"{type(model).__name__}.{path}", {}).values()) // 2
    return leaves


@pytest.mark.parametrize("name", TORCHVISION)
def test_layers_match_torchvision(name: str) -> None:
    entry = ENTRIES[name]
    result = cnncalc.analyze(load(name))
    first = result.rows[0].output_shape.dims
    leaves = torch_leaves(entry, (first[0], first[1]))
    rows = {(entry.rename or str)(r.name): r for r in result.rows}
    compared = 0
    for path, leaf in leaves.items():
        if path not in rows:
            assert not leaf["params"], f"{path}: a torchvision module with parameters has no zoo row"
            continue
        row = rows[path]
        assert (path, row.params) == (path, leaf["params"])
        if leaf["shapes"]:  # torchvision runs Inception v3's auxiliary classifier only in training
            assert (path, row.macs.value) == (path, leaf["macs"])
        if len(leaf["shapes"]) == 1:  # a module used several times (ResNet's relu) has no single shape
            assert (path, (1, *row.output_shape.ordered("chw"))) == (path, leaf["shapes"][0])
            compared += 1
    assert compared >= len(leaves) // 2
