"""Every error kind of the core, asserted by its message: the layer, the rule with numbers, a hint."""

from __future__ import annotations

import pytest

import cnncalc as cc
from cnncalc.layers import Add, Concat, Conv, Dense, GroupNorm, Input, MaxPool, Reshape


def analyze_chain(*items: object) -> cc.Result:
    return cc.analyze(cc.Network.chain(*items))  # type: ignore[arg-type]


def test_kernel_larger_than_padded_input() -> None:
    with pytest.raises(cc.ShapeError) as err:
        analyze_chain(("in", Input((3, 3, 3))), ("c", Conv(8, 5)))
    text = str(err.value)
    assert "layer 'c' on input (3, 3, 3)" in text
    assert "the kernel is larger than the padded input on axis H" in text
    assert "3 + 0 + 0 = 3 < 5" in text
    assert "hint:" in text and "fix: padding=1 on each side" in text and "fix: kernel_size ≤ 3" in text


def test_kernel_larger_after_pooling_names_the_layer_and_its_input() -> None:
    with pytest.raises(cc.ShapeError, match=r"layer 'c2' on input \(2, 2, 8\).*2 \+ 0 \+ 0 = 2 < 3"):
        analyze_chain(Input((8, 8, 1)), Conv(8, 3, padding=1), MaxPool(2), MaxPool(2), ("c2", Conv(8, 3)))


def test_channels_not_divisible_by_groups() -> None:
    with pytest.raises(cc.ShapeError, match=r"layer 'g' .*input channels must be divisible by groups: 6 mod 4 = 2"):
        analyze_chain(Input((8, 8, 6)), ("g", Conv(8, 3, groups=4)))
    with pytest.raises(cc.ShapeError, match=r"filters must be divisible by groups: 9 mod 2 = 1"):
        analyze_chain(Input((8, 8, 6)), Conv(9, 3, groups=2))
    with pytest.raises(cc.ShapeError, match=r"channels must be divisible by groups: 10 mod 4 = 2"):
        analyze_chain(Input((8, 8, 10)), GroupNorm(4))


def test_merge_of_mismatched_shapes() -> None:
    g = cc.Graph()
    x = g.add("in", Input((8, 8, 3)))
    a = g.add("a", Conv(16, 3, padding=1), x)
    g.add("sum", Add(), a, x)
    with pytest.raises(cc.MergeError) as err:
        cc.analyze(g.build())
    assert "layer 'sum' on input (8, 8, 16), (8, 8, 3): add needs inputs of one shape" in str(err.value)
    assert "fix: project the branch with 3 channels to 16 with a 1×1 conv" in str(err.value)


def test_concat_of_mismatched_spatial_sizes() -> None:
    g = cc.Graph()
    x = g.add("in", Input((8, 8, 3)))
    a = g.add("a", Conv(4, 3), x)
    g.add("cat", Concat(), a, x)
    with pytest.raises(cc.MergeError, match=r"concat along axis -1 \(C\) needs every other axis equal, "
                                            r"got \(6, 6, 4\), \(8, 8, 3\)"):
        cc.analyze(g.build())


def test_reshape_that_does_not_multiply_out() -> None:
    with pytest.raises(cc.ReshapeError, match=r"layer 'r' .*sizes do not multiply out: 5·5·7 = 175, but the input "
                                              r"holds 192 elements"):
        analyze_chain(Input((8, 8, 3)), ("r", Reshape((5, 5, 7))))
    with pytest.raises(cc.ReshapeError, match="192 elements are not a multiple of 5"):
        analyze_chain(Input((8, 8, 3)), Reshape((-1, 5)))


def test_argument_errors_say_did_you_mean() -> None:
    with pytest.raises(cc.ArgumentError, match=r"'conv' has no argument 'kernal_size'\n  hint: did you mean "
                                               r"'kernel_size'\?"):
        cc.build("conv", {"filters": 8, "kernal_size": 3})
    with pytest.raises(cc.ArgumentError, match=r"unknown layer kind 'cnov'\n  hint: did you mean 'conv'\?"):
        cc.build("cnov", {})
    with pytest.raises(cc.ArgumentError, match=r"(?s)padding must be one of valid, same, got 'smae'.*did you mean"):
        Conv(8, 3, padding="smae")
    with pytest.raises(cc.ArgumentError, match=r"stride must be ≥ 1, got 0"):
        Conv(8, 3, stride=0)
    with pytest.raises(cc.ArgumentError, match=r"'dense' has no argument 'dilaton'"):
        cc.build("dense", {"units": 3, "dilaton": 2})


def test_graph_errors() -> None:
    with pytest.raises(cc.GraphError, match=r"takes input 'inn', which is not defined\n  hint: did you mean 'in'"):
        cc.Network.chain(("in", Input((8, 8, 3))), ("c", Conv(8, 3), ["inn"]))
    with pytest.raises(cc.GraphError, match="two layers are named 'c'"):
        cc.Network.chain(Input((8, 8, 3)), ("c", Conv(8, 3)), ("c", Conv(8, 3)))
    with pytest.raises(cc.GraphError, match=r"layer 'conv_1' \(conv\) takes 1 input\(s\), got 0"):
        cc.Network.chain(Conv(8, 3))
    with pytest.raises(cc.GraphError, match="the network has no input layer"):
        cc.Network(())
    with pytest.raises(cc.GraphError, match=r"\(add\) takes 2 or more input\(s\), got 1"):
        cc.Network.chain(Input((8, 8, 3)), Add())


def test_a_layer_needs_the_right_input_rank() -> None:
    with pytest.raises(cc.ShapeError, match=r"conv needs a \(H, W, C\)-like input, got rank 1 \(10,\)"):
        analyze_chain(Input((10,)), Conv(4, 3))


def test_transposed_output_padding_rule() -> None:
    with pytest.raises(cc.ArgumentError, match=r"output_padding must be smaller than max\(stride, dilation\): 2 ≥ "
                                               r"max\(2, 1\)"):
        analyze_chain(Input((8, 8, 3)), cc.layers.ConvTranspose(4, 3, stride=2, output_padding=2))


def test_in_features_mismatch() -> None:
    with pytest.raises(cc.ShapeError, match="expects 300 input features, but its input gives 400"):
        analyze_chain(Input((5, 5, 16)), Dense(10, in_features=300))


def test_errors_are_one_hierarchy() -> None:
    for cls in (cc.ArgumentError, cc.ShapeError, cc.MergeError, cc.ReshapeError, cc.GraphError, cc.ParseError,
                cc.UnsupportedError):
        assert issubclass(cls, cc.CnnCalcError)


def test_broadcast_that_does_not_fit() -> None:
    g = cc.Graph()
    x = g.add("in", Input((8, 8, 4)))
    a = g.add("a", Conv(4, 3), x)
    g.add("m", cc.layers.Multiply(), a, x)
    with pytest.raises(cc.MergeError, match=r"multiply needs inputs of one shape \(or sizes of 1 that broadcast\), "
                                            r"got \(6, 6, 4\), \(8, 8, 4\)"):
        cc.analyze(g.build())


def test_crop_larger_than_the_input() -> None:
    with pytest.raises(cc.ShapeError, match=r"cannot crop axis H of size 8 by \(-1, -1\)"):
        analyze_chain(Input((8, 8, 4)), cc.layers.Crop(10))


def test_concat_axis_counts_the_batch_as_the_frameworks_do() -> None:
    a = Input((4, 4, 8))
    with pytest.raises(cc.MergeError, match=r"dim 0 is the batch axis, which concat cannot join"):
        analyze_chain(("a", a), ("b", Input((4, 4, 8)), []), ("c", Concat(dim=0), ["a", "b"]))
    with pytest.raises(cc.MergeError, match=r"axis 4 is out of range for inputs of rank 4 \(batch axis included\)"):
        analyze_chain(("a", a), ("b", Input((4, 4, 8)), []), ("c", Concat(axis=4), ["a", "b"]))
    with pytest.raises(cc.ArgumentError, match=r"give axis \(Keras: channels last\) or dim \(PyTorch"):
        Concat(axis=1, dim=1)


def test_upsampling_mode_must_fit_the_spatial_axes() -> None:
    from cnncalc.layers import Upsample

    with pytest.raises(cc.ShapeError, match=r"mode 'bilinear' interpolates 2 spatial axes, but \(5, 4, 3, 2\) has 3"):
        analyze_chain(Input((5, 4, 3, 2)), Upsample(2, mode="bilinear"))
    with pytest.raises(cc.ShapeError, match=r"mode 'trilinear' interpolates 3 spatial axes"):
        analyze_chain(Input((5, 4, 3)), Upsample(2, mode="trilinear"))


def test_python_api_mistakes_are_cnncalc_errors() -> None:
    with pytest.raises(cc.GraphError, match=r"chain item 2 is 'x': not a layer, \(name, layer\)"):
        cc.Network.chain(Input((8, 8, 3)), "x")  # type: ignore[arg-type]
    with pytest.raises(cc.GraphError, match=r"chain item 2 is \('c', Conv"):
        cc.Network.chain(Input((8, 8, 3)), ("c", Conv(8, 3), "extra"))  # type: ignore[arg-type]
    net = cc.Network.chain(("in", Input((8, 8, 3))), ("conv1", Conv(8, 3)))
    with pytest.raises(cc.ArgumentError, match=r"no convention named 'convention'(?s:.*)did you mean 'counting'"):
        cc.analyze(net, convention="keras")
    result = cc.analyze(net)
    with pytest.raises(KeyError) as err:  # a KeyError, as a mapping's lookup is, and a CnnCalcError
        result["Conv1"]
    assert isinstance(err.value, cc.CnnCalcError) and "did you mean 'conv1'?" in str(err.value)
    with pytest.raises(cc.ArgumentError, match="analyze\\(\\) takes a Network or a Graph, got str"):
        cc.analyze("net.cnn")  # type: ignore[arg-type]
    g = cc.Graph()
    g.add("in", Input((8, 8, 3)))
    assert cc.analyze(g).totals.activations == 0  # a Graph is built for you


def test_one_dimensional_zero_padding_takes_before_and_after() -> None:
    from cnncalc.layers import ZeroPad

    # torch.nn.ZeroPad1d((1, 2)) and Keras ZeroPadding1D((1, 2)): 5 + 1 + 2 = 8 steps
    assert analyze_chain(Input((5, 4)), ZeroPad((1, 2))).rows[-1].output_shape.dims == (8, 4)
