"""Build every torchvision model of the published metadata as its weights were evaluated.

Used by the zoo tests and the benchmark. weights=None plus the keyword arguments that match the
weights (tests/data/README.md, "Matching torchvision's published figures"); detection models get FrozenBatchNorm2d.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

META = Path(__file__).resolve().parents[1] / "data" / "torchvision_meta.json"


def entries() -> list[dict[str, Any]]:
    return list(json.loads(META.read_text()))


def _frozen_bn(model: Any) -> Any:
    import torch
    from torchvision.ops.misc import FrozenBatchNorm2d

    for name, child in list(model.named_children()):
        if type(child) is torch.nn.BatchNorm2d:
            frozen = FrozenBatchNorm2d(child.num_features, eps=child.eps)
            setattr(model, name, frozen.to(child.weight.device))
        else:
            _frozen_bn(child)
    return model


def kwargs_for(entry: dict[str, Any]) -> dict[str, Any]:
    import torchvision

    weights = torchvision.models.get_weight(entry["weights"])
    meta, name, family = weights.meta, entry["model"], entry["family"]
    kw: dict[str, Any] = {}
    if "categories" in meta and meta["categories"] is not None:
        kw["num_classes"] = len(meta["categories"])
    if "keypoint_names" in meta:
        kw["num_keypoints"] = len(meta["keypoint_names"])
    if name == "googlenet" or name == "quantized_googlenet":
        kw["aux_logits"] = False
    if family == "segmentation" and not name.startswith("lraspp"):
        kw["aux_loss"] = True
    if family in ("segmentation", "detection"):
        kw["weights_backbone"] = None
    if family == "quantization":
        kw["quantize"] = False
    if name.startswith("vit_"):
        kw["image_size"] = crop(entry)
    return kw


def crop(entry: dict[str, Any]) -> int:
    import torchvision

    t = torchvision.models.get_weight(entry["weights"]).transforms()
    size = getattr(t, "crop_size", None) or getattr(t, "resize_size", None) or [224]
    return int(size[0] if isinstance(size, (list, tuple)) else size)


def input_size(entry: dict[str, Any]) -> list[tuple[int, ...]]:
    family = entry["family"]
    if family == "video":
        c = crop(entry)
        return [(1, 3, 16, c, c)]
    if family == "optical_flow":
        return [(1, 3, 512, 512), (1, 3, 512, 512)]
    if family == "detection":
        return [(1, 3, 800, 800)]
    return [(1, 3, crop(entry), crop(entry))]


def frozen_bn(entry: dict[str, Any]) -> bool:
    """Detection builders with weights use FrozenBatchNorm2d, except the v2 and SSDlite models."""
    name = entry["model"]
    return entry["family"] == "detection" and not name.endswith("_v2") and not name.startswith("ssdlite")


#: detectors whose published MACs depend on surviving proposals (not reproducible; README pitfall 11)
TWO_STAGE = ("fasterrcnn_resnet50_fpn", "fasterrcnn_resnet50_fpn_v2", "maskrcnn_resnet50_fpn",
             "maskrcnn_resnet50_fpn_v2", "keypointrcnn_resnet50_fpn")


def build(entry: dict[str, Any], device: str = "meta") -> Any:
    import torch
    import torchvision

    builder = torchvision.models.get_model_builder(entry["model"])
    kw = kwargs_for(entry)
    try:
        with torch.device(device):
            model = builder(weights=None, **kw)
    except Exception:  # RegNet's width arithmetic needs real numbers: only the weights on meta
        from cnncalc.adapters.torch.references import meta_parameters

        with meta_parameters():
            model = builder(weights=None, **kw).to(device)
    if frozen_bn(entry):
        model = _frozen_bn(model)
    return model
