"""Which module defines each layer kind: the names are known before the kinds are.

``KINDS`` (cnncalc.kinds.base) lists every name from this index and imports a family's module the first time one
of its kinds is looked up, so a network of convolutions, pools and dense layers never pays for building the
classes of attention, recurrent layers or normalisation. ``tests/test_kinds_generic.py`` checks that the index
and the registrations agree, name for name.
"""

from __future__ import annotations

#: family module → the kind names it registers, in the order KINDS lists them (`cnncalc kinds`)
FAMILIES: dict[str, tuple[str, ...]] = {
    "activation": (
        "activation", "relu", "relu6", "sigmoid", "tanh", "softmax", "gelu", "silu", "elu", "leaky_relu", "hardswish",
        "prelu", "dropout", "spatial_dropout"),
    "attention": ("attention", "mha", "multihead_attention"),
    "conv": (
        "conv3d", "conv2d", "conv1d", "conv", "depthwise", "depthwise_conv", "separable", "separable_conv",
        "separable_conv2d"),
    "transpose": ("conv_transpose3d", "conv_transpose2d", "conv_transpose1d", "conv_transpose", "deconv"),
    "linear": ("dense", "linear", "fc", "embedding"),
    "merge": (
        "add", "multiply", "mul", "subtract", "sub", "divide", "div", "maximum", "minimum", "average", "combine",
        "concat", "concatenate", "matmul"),
    "norm": (
        "batchnorm", "bn", "batch_norm", "layernorm", "ln", "layer_norm", "rmsnorm", "rms_norm", "groupnorm", "gn",
        "group_norm", "instancenorm", "in", "instance_norm", "lrn", "local_response_norm"),
    "pool": (
        "maxpool3d", "maxpool2d", "maxpool1d", "maxpool", "max_pool", "avgpool3d", "avgpool2d", "avgpool1d", "avgpool",
        "avg_pool", "global_maxpool", "global_avgpool", "gap", "adaptive_maxpool", "adaptive_avgpool"),
    "recurrent": ("gru", "lstm", "rnn", "simple_rnn"),
    "structural": ("input", "flatten", "reshape"),
    "resize": (
        "zeropad", "zero_padding", "pad", "upsample", "upsampling", "crop", "center_crop", "cropping", "select",
        "channel_select"),
}

#: kind name → its family's module
KIND_MODULES: dict[str, str] = {name: module for module, names in FAMILIES.items() for name in names}
