"""A valid example (arguments, input shapes) for every registered layer kind, for generic tests.

A kind registered without an example here fails ``test_every_kind_has_a_sample``.
"""

from __future__ import annotations

from typing import Any

from cnncalc import Shape

IMG = (Shape.image(16, 16, 6),)
SEQ = (Shape((10, 8)),)

SAMPLES: dict[str, tuple[dict[str, Any], tuple[Shape, ...]]] = {
    "input": ({"shape": (32, 32, 3)}, ()),
    "conv": ({"filters": 4, "kernel_size": 3, "stride": 2, "padding": 1, "groups": 2}, IMG),
    "conv1d": ({"filters": 4, "kernel_size": 3}, (Shape.image(20, 5),)),
    "conv2d": ({"filters": 4, "kernel_size": (3, 5), "dilation": 2}, IMG),
    "conv3d": ({"filters": 4, "kernel_size": 3}, (Shape.image(8, 8, 8, 2),)),
    "depthwise": ({"kernel_size": 3, "depth_multiplier": 2, "padding": "same"}, IMG),
    "separable": ({"filters": 8, "kernel_size": 3, "stride": 2, "padding": "same"}, IMG),
    "conv_transpose": ({"filters": 4, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1}, IMG),
    "conv_transpose1d": ({"filters": 4, "kernel_size": 4, "stride": 2}, (Shape.image(20, 5),)),
    "conv_transpose2d": ({"filters": 4, "kernel_size": 2, "stride": 2, "padding": "same"}, IMG),
    "conv_transpose3d": ({"filters": 2, "kernel_size": 3}, (Shape.image(4, 4, 4, 2),)),
    "maxpool": ({"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, IMG),
    "maxpool1d": ({"kernel_size": 2}, (Shape.image(9, 3),)),
    "maxpool2d": ({"kernel_size": 2, "padding": "same", "stride": 2}, IMG),
    "maxpool3d": ({"kernel_size": 2}, (Shape.image(4, 4, 4, 2),)),
    "avgpool": ({"kernel_size": 3, "stride": 1}, IMG),
    "avgpool1d": ({"kernel_size": 3, "stride": 2, "ceil_mode": True}, (Shape.image(10, 3),)),
    "avgpool2d": ({"kernel_size": 2}, IMG),
    "avgpool3d": ({"kernel_size": 2}, (Shape.image(4, 4, 4, 2),)),
    "global_avgpool": ({}, IMG),
    "global_maxpool": ({"keepdims": True}, IMG),
    "adaptive_avgpool": ({"output_size": 5}, IMG),
    "adaptive_maxpool": ({"output_size": (4, 8)}, IMG),
    "flatten": ({}, IMG),
    "reshape": ({"target": (-1, 6)}, IMG),
    "zeropad": ({"padding": ((1, 2), (0, 3))}, IMG),
    "upsample": ({"scale_factor": 2, "mode": "bilinear"}, IMG),
    "dense": ({"units": 10}, IMG),
    "embedding": ({"num_embeddings": 100, "embedding_dim": 16}, (Shape((12,)),)),
    "activation": ({"function": "gelu"}, IMG),
    "relu": ({}, IMG),
    "relu6": ({}, IMG),
    "sigmoid": ({}, IMG),
    "tanh": ({}, IMG),
    "softmax": ({}, (Shape((10,)),)),
    "gelu": ({}, SEQ),
    "silu": ({}, IMG),
    "elu": ({}, IMG),
    "leaky_relu": ({}, IMG),
    "hardswish": ({}, IMG),
    "prelu": ({}, IMG),
    "dropout": ({"rate": 0.3}, IMG),
    "batchnorm": ({}, IMG),
    "layernorm": ({}, SEQ),
    "rmsnorm": ({}, SEQ),
    "groupnorm": ({"groups": 3}, IMG),
    "instancenorm": ({"affine": True}, IMG),
    "add": ({}, IMG + IMG),
    "multiply": ({}, IMG + IMG),
    "subtract": ({}, IMG + IMG),
    "divide": ({}, IMG + IMG),
    "maximum": ({}, IMG + IMG + IMG),
    "minimum": ({}, IMG + IMG),
    "average": ({}, IMG + IMG + IMG),
    "combine": ({"op": "minimum"}, IMG + IMG),
    "concat": ({}, IMG + (Shape.image(16, 16, 2),)),
    "matmul": ({"transpose_b": True}, (Shape((10, 8)), Shape((12, 8)))),
    "rnn": ({"units": 6, "bidirectional": True}, SEQ),
    "lstm": ({"units": 6, "num_layers": 2}, SEQ),
    "gru": ({"units": 6, "return_sequences": False}, SEQ),
    "attention": ({"num_heads": 2}, SEQ),
    "crop": ({"size": 10}, IMG),
    "select": ({"channels": (0, 2, 5)}, IMG),
    "lrn": ({"size": 5}, IMG),
}


def sample_for(name: str) -> tuple[dict[str, Any], tuple[Shape, ...]] | None:
    """The sample of a kind name, or of the kind it is an alias of (same class and preset)."""
    from cnncalc import KINDS

    if name in SAMPLES:
        return SAMPLES[name]
    entry = KINDS[name]
    for other, sample in SAMPLES.items():
        if KINDS[other].cls is entry.cls and KINDS[other].preset == entry.preset:
            return sample
    return None
