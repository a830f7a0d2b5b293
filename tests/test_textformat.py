"""The .cnn text format: the article, blocks, repetition, branches, every error kind, and dump round-trips.

Oracles: the article's published per-layer figures, PyTorch modules built the same way, and the same
networks built with the Python API (Graph), never the parser's own output pasted back.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cnncalc
from cnncalc import Graph, Network, ParseError, analyze
from cnncalc.kinds import Add, BatchNorm, Concat, Conv, Dense, Input, MaxPool
from cnncalc.textformat import dump, load, parse, source_line

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = ROOT / "examples" / "article.cnn"


def shapes(net: Network) -> list[tuple[int, ...]]:
    return [row.output_shape.dims for row in analyze(net).rows]


def params(net: Network) -> list[int]:
    return [row.params for row in analyze(net).rows]


def structure(net: Network) -> tuple[str, list[tuple[str, Any, tuple[str, ...]]]]:
    return net.name, [(n.name, n.layer, n.inputs) for n in net.nodes]


# -- the article ------------------------------------------------------------------------------------------------


def test_article_example_file_matches_the_article() -> None:
    net = load(str(ARTICLE))
    assert net.name == "article"
    assert params(net) == [0, 608, 0, 3216, 0, 48120, 10164, 850]
    assert sum(params(net)) == 62958
    assert shapes(net) == [(32, 32, 3), (28, 28, 8), (14, 14, 8), (10, 10, 16), (5, 5, 16), (120,), (84,), (10,)]
    assert [n.name for n in net.nodes][1:] == ["CONV1", "POOL1", "CONV2", "POOL2", "FC3", "FC4", "Softmax"]
    assert net["Softmax"].layer == Dense(10, activation="softmax")


def test_article_against_torch() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(3, 8, 5),
        nn.MaxPool2d(2, 2),
        nn.Conv2d(8, 16, 5),
        nn.MaxPool2d(2, 2),
        nn.Flatten(),
        nn.Linear(400, 120),
        nn.Linear(120, 84),
        nn.Linear(84, 10),
    )
    torch_params = [sum(p.numel() for p in m.parameters()) for m in model if not isinstance(m, nn.Flatten)]
    assert params(load(str(ARTICLE)))[1:] == torch_params
    x = torch.zeros(1, 3, 32, 32)
    torch_shapes = []
    for m in model:
        x = m(x)
        if not isinstance(m, nn.Flatten):
            torch_shapes.append(tuple(x.shape[1:]) if x.dim() == 2 else (*x.shape[2:], x.shape[1]))
    assert shapes(load(str(ARTICLE)))[1:] == torch_shapes


def test_sources_point_at_each_statement() -> None:
    net = parse("input 8x8x3\n\n  \nc: conv 4 3 # x\n   # only a comment\nd: dense 2\n", "net.cnn")
    assert [(n.source.line, n.source.column) for n in net.nodes if n.source] == [(1, 1), (4, 1), (6, 1)]
    assert str(net["c"].source) == "net.cnn:4:1"


def test_load_reads_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(ARTICLE.read_text()))
    net = load("-")
    assert params(net) == [0, 608, 0, 3216, 0, 48120, 10164, 850]
    assert net.nodes[1].source == cnncalc.Source("<stdin>", 4, 1)


def test_load_names_an_unnamed_network_after_its_file(tmp_path: Path) -> None:
    path = tmp_path / "tiny.cnn"
    path.write_text("input 4x4x1\nconv 2 3\n")
    assert load(str(path)).name == "tiny"


def test_load_of_a_missing_file_is_a_clean_error(tmp_path: Path) -> None:
    with pytest.raises(cnncalc.CnnCalcError, match=r"cannot read .*nope\.cnn"):
        load(str(tmp_path / "nope.cnn"))


# -- notation ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "conv 8 f=5 s=2 p=1",
        "conv 8 5 stride=2 padding=1",
        "conv k=8 f=5 s=2 p=1",
        "Conv out_channels=8 kernel_size=5 strides=2 padding=1",
        "conv filters=8 kernel=5x5 s=2 p=(1, 1)",
    ],
)
def test_course_and_framework_names_mean_the_same(line: str) -> None:
    """The layer each spelling builds does the same as the one built in Python (its shape and params)."""
    net = parse(f"input 32x32x3\n{line}")
    ref = Network.chain(Input((32, 32, 3)), Conv(8, kernel_size=5, stride=2, padding=1))
    assert shapes(net) == shapes(ref) == [(32, 32, 3), (15, 15, 8)]
    assert params(net) == params(ref)


def test_values_of_every_form() -> None:
    net = parse(
        "input 3x16x16 layout=chw\n"
        'a: conv 4 3x1 p=((1, 1), (0, 0)) bias=false dilation=1 activation="relu"\n'
        "b: dropout 0.25\n"
        "c: reshape (-1, 4)\n"
        "d: dense 2 flatten=none in_features=4\n"
        "e: dense 3 use_bias=true relu <- d\n"
    )
    assert net["a"].layer == Conv(4, (3, 1), padding=((1, 1), (0, 0)), bias=False, activation="relu")
    assert net["b"].layer.rate == 0.25  # type: ignore[attr-defined]
    assert net["c"].layer.target == (-1, 4)  # type: ignore[attr-defined]
    assert net["e"].layer == Dense(3, activation="relu")
    assert shapes(net)[1] == (16, 16, 4)


@pytest.mark.parametrize(("pad", "size"), [("same", 32), ("valid", 28), ("2", 32), ("((2, 2), (0, 0))", None)])
def test_padding_forms_against_torch(pad: str, size: int | None) -> None:
    torch = pytest.importorskip("torch")
    net = parse(f"input 32x32x3\nconv 8 5 p={pad}")
    torch_pad: Any = pad if pad in ("same", "valid") else 2 if pad == "2" else (2, 0)
    y = torch.nn.Conv2d(3, 8, 5, padding=torch_pad)(torch.zeros(1, 3, 32, 32))
    assert shapes(net)[1] == (y.shape[2], y.shape[3], 8)


def test_bare_same_and_activation_words() -> None:
    net = parse("input 8x8x3\nconv 4 3 same relu\n")
    assert net.nodes[1].layer == Conv(4, 3, padding="same", activation="relu")
    assert net.nodes[1].name == "conv_relu_1"


def test_argument_keys_and_keyword_values_are_case_insensitive() -> None:
    upper = parse("input 8x8x3\nCONV 4 3 P=SAME S=1 ACTIVATION=ReLU\nMaxPool 2 P=Valid REPEAT=2\nconv 4 3 SAME RELU")
    lower = parse("input 8x8x3\nconv 4 3 p=same s=1 activation=relu\nmaxpool 2 p=valid repeat=2\nconv 4 3 same relu")
    assert structure(upper) == structure(lower)
    assert upper.nodes[1].layer == Conv(4, 3, padding="same", activation="relu")


def test_a_leading_byte_order_mark_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "\ufeffinput 8x8x3\nc: conv 4 3\n"
    path = tmp_path / "bom.cnn"
    path.write_bytes(text.encode("utf-8"))
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    for net in (parse(text, "t.cnn"), load(str(path)), load("-")):
        assert [(n.name, n.source.line if n.source else 0, n.source.column if n.source else 0) for n in net] == [
            ("input_1", 1, 1),
            ("c", 2, 1),
        ]
    with pytest.raises(ParseError) as info:
        parse("\ufeffinput 8x8x3 $", "t.cnn")
    shown = str(info.value).splitlines()
    assert shown[:3] == ["t.cnn:1:13: unexpected character '$'", "  input 8x8x3 $", "  " + " " * 12 + "^"]


def test_source_line_gives_the_line_a_node_was_written_on() -> None:
    text = "\ufeffinput 8x8x3\nc1: conv 8 3\n\nc3: conv 8 3 p=1x2x3\n"
    node = parse(text, "t.cnn")["c3"]
    assert node.source == cnncalc.Source("t.cnn", 4, 1)
    assert source_line(text, node.source.line) == "c3: conv 8 3 p=1x2x3"
    assert source_line("input 8x8x3", 1) == "input 8x8x3"
    assert source_line(text, 0) is None and source_line(text, 5) is None


# -- branches and blocks ----------------------------------------------------------------------------------------

RESIDUAL = """
input 16x16x32
c1: conv 32 3 p=1 bias=false
bn1: batchnorm
r1: relu
c2: conv 32 3 p=1 bias=false
bn2: batchnorm
sum: add <- bn2, input_1
out: relu
"""


def test_residual_block_matches_the_python_api() -> None:
    g = Graph()
    x = g.add("input_1", Input((16, 16, 32)))
    g.then(Conv(32, 3, padding=1, bias=False), "c1")
    g.then(BatchNorm(), "bn1")
    g.then(cnncalc.build("relu", {}), "r1")
    g.then(Conv(32, 3, padding=1, bias=False), "c2")
    bn2 = g.then(BatchNorm(), "bn2")
    g.add("sum", Add(), bn2, x)
    g.then(cnncalc.build("relu", {}), "out")
    ref = g.build()
    net = parse(RESIDUAL)
    assert structure(net)[1] == structure(ref)[1]
    assert analyze(net).totals.as_dict() == analyze(ref).totals.as_dict()


INCEPTION = """
input 28x28x192
b1: conv 64 1 relu <- input_1
b2r: conv 96 1 relu <- input_1
b2: conv 128 3 p=1 relu
b3r: conv 16 1 relu <- input_1
b3: conv 32 5 p=2 relu
b4p: maxpool 3 s=1 p=1 <- input_1
b4: conv 32 1 relu
cat: concat <- b1, b2, b3, b4
"""


def test_inception_concat_matches_the_python_api_and_torch() -> None:
    g = Graph()
    x = g.add("x", Input((28, 28, 192)))
    ends = [g.add("b1", Conv(64, 1, activation="relu"), x)]
    g.add("b2r", Conv(96, 1, activation="relu"), x)
    ends.append(g.then(Conv(128, 3, padding=1, activation="relu")))
    g.add("b3r", Conv(16, 1, activation="relu"), x)
    ends.append(g.then(Conv(32, 5, padding=2, activation="relu")))
    g.add("b4p", MaxPool(3, stride=1, padding=1), x)
    ends.append(g.then(Conv(32, 1, activation="relu")))
    g.add("cat", Concat(), *ends)
    net, ref = parse(INCEPTION), g.build()
    assert params(net) == params(ref)
    assert shapes(net) == shapes(ref)
    assert shapes(net)[-1] == (28, 28, 256)
    assert analyze(net).totals.macs == analyze(ref).totals.macs


UNET = """
block double(ch):
    a: conv ch 3 p=1 relu
    b: conv ch 3 p=1 relu
block up(ch) <- x, skip:
    t: conv_transpose ch 2 s=2 <- x
    cat: concat <- t, skip
    conv: double ch
input 64x64x3
enc1: double 16
pool1: maxpool 2
enc2: double 32
pool2: maxpool 2
mid: double 64
dec2: up 32 <- mid, enc2
dec1: up 16 <- dec2, enc1.b
head: conv 2 1
"""


def test_unet_skips_through_blocks() -> None:
    net = parse(UNET)
    assert net["dec2.cat"].inputs == ("dec2.t", "enc2.b")
    assert net["dec1.t"].inputs == ("dec2.conv.b",)
    assert net["dec1.cat"].inputs == ("dec1.t", "enc1.b")
    rows = {r.name: r for r in analyze(net).rows}
    assert rows["dec2.cat"].output_shape.dims == (32, 32, 64)
    assert rows["head"].output_shape.dims == (64, 64, 2)


RESNET50 = """
network resnet50
block bottleneck(width, out, stride=1):
    a: conv width f=1 bias=false <- in
    a_bn: batchnorm
    a_relu: relu
    b: conv width f=3 s=stride p=1 bias=false
    b_bn: batchnorm
    b_relu: relu
    c: conv width*4 f=1 bias=false
    c_bn: batchnorm
    sum: add <- c_bn, in
    out: relu
block down(width, out, stride=2):
    a: conv width f=1 bias=false
    a_bn: batchnorm
    a_relu: relu
    b: conv width f=3 s=stride p=1 bias=false
    b_bn: batchnorm
    b_relu: relu
    c: conv out f=1 bias=false
    c_bn: batchnorm
    sc: conv out f=1 s=stride bias=false <- in
    sc_bn: batchnorm
    sum: add <- c_bn, sc_bn
    out: relu
input 3x224x224 layout=chw
conv1: conv 64 7 s=2 p=3 bias=false
bn1: batchnorm
relu: relu
maxpool: maxpool 3 s=2 p=1
layer1: bottleneck 64 256 *3 first(down, stride=1)
layer2: bottleneck 128 512 *4 first(down)
layer3: bottleneck 256 1024 *6 first(down)
layer4: bottleneck 512 2048 *3 first(down)
avgpool: gap
fc: dense 1000
"""


@pytest.mark.slow
def test_resnet50_blocks_against_torchvision() -> None:
    torch = pytest.importorskip("torch")
    tv = pytest.importorskip("torchvision")
    net = parse(RESNET50)
    model = tv.models.resnet50()
    assert analyze(net).totals.params == sum(p.numel() for p in model.parameters())
    assert analyze(net).totals.state == sum(b.numel() for b in model.buffers())
    conv_names = [n.name for n in net.nodes if isinstance(n.layer, Conv)]
    assert len(conv_names) == sum(isinstance(m, torch.nn.Conv2d) for m in model.modules())
    assert conv_names[:5] == ["conv1", "layer1.0.a", "layer1.0.b", "layer1.0.c", "layer1.0.sc"]
    assert "layer4.2.out" in {n.name for n in net.nodes}


def test_repetition_names_and_first_overrides() -> None:
    net = parse(
        "block unit(ch, s=1):\n  c: conv ch 3 s=s p=1\n  r: relu\n"
        "input 32x32x3\nstage: unit 8 *3 first(s=2)\nnext: dense 4 <- stage\n"
    )
    names = [n.name for n in net.nodes]
    assert names[1:7] == ["stage.0.c", "stage.0.r", "stage.1.c", "stage.1.r", "stage.2.c", "stage.2.r"]
    assert net["stage.0.c"].layer == Conv(8, 3, stride=2, padding=1)
    assert net["stage.1.c"].layer == Conv(8, 3, padding=1)
    assert net["stage.1.c"].inputs == ("stage.0.r",)
    assert net["next"].inputs == ("stage.2.r",)
    assert shapes(net)[6] == (16, 16, 8)


def test_repeat_keyword_plain_layers_and_auto_names() -> None:
    net = parse("input 8x8x3\nconv 4 3 p=1 repeat=2\nrelu *2\nblock b(c):\n  conv c 1\nb 5\nb 6\n")
    names = [n.name for n in net.nodes]
    assert names == ["input_1", "conv_1", "conv_2", "relu_1", "relu_2", "b_1.conv_1", "b_2.conv_1"]


def test_block_parameters_may_hold_bare_words() -> None:
    net = parse("block b(act, pad=same):\n  x: conv 4 3 pad act\ninput 8x8x3\nb relu\nb tanh pad=valid\n")
    assert net["b_1.x"].layer == Conv(4, 3, padding="same", activation="relu")
    assert net["b_2.x"].layer == Conv(4, 3, padding="valid", activation="tanh")


def test_block_arithmetic_and_defaults() -> None:
    net = parse("block b(c, m=c*2, h=m/4):\n  x: conv m+1 1\n  y: conv h-1 1 groups=1\ninput 8x8x8\nb 8\n")
    assert net["b_1.x"].layer == Conv(17, 1)
    assert net["b_1.y"].layer == Conv(3, 1)


def test_first_may_use_another_block_or_kind() -> None:
    net = parse(
        "block plain(c, s=1):\n  x: conv c 3 s=s p=1\n"
        "block wide(c, s=2):\n  x: conv c*2 3 s=s p=1\n  y: conv c 1\n"
        "input 16x16x4\nst: plain 8 *3 first(wide)\nr: relu *2 first(sigmoid)\n"
    )
    assert [n.name for n in net.nodes][1:] == ["st.0.x", "st.0.y", "st.1.x", "st.2.x", "r.0", "r.1"]
    assert net["st.0.x"].layer == Conv(16, 3, stride=2, padding=1)
    assert net["st.1.x"].layer == Conv(8, 3, padding=1)
    assert net["r.0"].layer.label == "sigmoid"
    assert shapes(net)[-1] == (8, 8, 8)


def test_quoted_labels_and_inputs() -> None:
    net = parse('input 8x8x3\n"conv 1": conv 4 3\n"a \\"b\\"": relu <- "conv 1"\nnetwork "my net"\n')
    assert [n.name for n in net.nodes] == ["input_1", "conv 1", 'a "b"']
    assert net['a "b"'].inputs == ("conv 1",)
    assert net.name == "my net"


# -- errors -----------------------------------------------------------------------------------------------------

ERRORS = [
    # (text, message pattern, line, column)
    ("input 8x8x3\nc1: cnv 8 5", r"unknown layer kind 'cnv'.*\n.*\n.*\^\n  hint: did you mean 'conv'\?", 2, 5),
    ("input 8x8x3\nc1: conv 8 5 strid=2", r"'conv' has no argument 'strid'.*did you mean 'stride'", 2, 14),
    ("input 8x8x3\nc1: conv 8 f=0", r"kernel_size must be ≥ 1, got 0", 2, 14),
    ("input 8x8x3\nc1: conv 8 5 p=sme", r"padding must be one of valid, same.*did you mean 'same'", 2, 16),
    ("input 8x8x3\nd: dense 10 softmx", r"'softmx' is not a known activation.*did you mean 'softmax'\?", 2, 13),
    ("input 8x8x3\nd: dense 10 sofmax", r"'sofmax' is not a known activation.*did you mean 'softmax'\?", 2, 13),
    ("input 8x8x3\nc: conv 8 3 relux", r"'relux' is not a known activation.*did you mean 'relu'\?", 2, 13),
    ("input 8x8x3\nc: conv 8 3 zzz", r"'zzz' is not a known activation.*an activation \(relu, softmax", 2, 13),
    ("input 8x8x3\nm: maxpool 2 relux", r"'maxpool' takes 1 positional argument\(s\) \(kernel_size\), got more", 2, 14),
    (
        "block b(c, act):\n  x: conv c 1 actv\ninput 8x8x3\nb 3 relu",
        r"'actv' is not a known activation.*did you mean 'act'\?",
        2,
        15,
    ),
    (
        "block conv(w):\n  x: relu\ninput 8x8x3\nconv 8 3",
        r"block 'conv' has the name of a built-in layer kind\n.*\n.*\n  hint: choose another name",
        1,
        7,
    ),
    ("block Dense(w):\n  x: relu\ninput 8x8x3", r"block 'Dense' has the name of a built-in layer kind", 1, 7),
    (
        "block b1(w):\n  c: conv wdth 3\ninput 8x8x3\nb1 4",
        r"filters must be an integer, got 'wdth'.*hint: did you mean 'w'\?",
        2,
        11,
    ),
    (
        "block b1(width, stride):\n  c: conv width 3 s=strde\ninput 8x8x3\nb1 4 1",
        r"stride must be an integer, got 'strde'.*hint: did you mean 'stride'\?",
        2,
        21,
    ),
    ("block b(c):\n  x: conv c 1\ninput 8x8x3\nu: b 8/0", r"division by zero: 8/0", 4, 7),
    ("block b(c):\n  x: conv c/(c-c) 1\ninput 8x8x3\nb 3", r"division by zero: 3/0.*in block 'b'", 2, 12),
    ("input 8x8x3\nconv 8 3 P=sme", r"padding must be one of valid, same.*did you mean 'same'", 2, 12),
    ("block b(c):\n  x: conv c 1\ninput 8x8x3\nb C=3", r"block 'b' has no parameter 'C'.*did you mean 'c'\?", 4, 3),
    ("input 8x8x3\nrelu *2 REPEAT=3", r"the repetition is given twice", 2, 9),
    ("input 8x8x3\nd: dense 10 activation=softmx", r"activation must be one of.*did you mean 'softmax'", 2, 24),
    ("input 8x8x3\nd: dropout 1.5", r"dropout rate must be in \[0, 1\), got 1.5", 2, 12),
    ("input 8x8x3\nc1: conv 8 3\nc2: conv 8 3\ns: add <- cc2, c1", r"unknown input 'cc2'.*did you mean 'c2'", 4, 11),
    ("input 8x8x3\nc1: conv 8 3\nc1: conv 8 3", r"two layers are named 'c1'", 3, 1),
    ("input 8x8x3\ns: add", r"'add' takes 2 or more input\(s\), got 1.*<- a, b", 2, 4),
    ("conv 8 3", r"'conv' has no input: nothing comes before it", 1, 1),
    ("c: conv 8 3 <- x", r"unknown input 'x'.*no layer is defined", 1, 16),
    ("network n", r"the network has no input layer", 1, 9),
    ("input 8x8x3 <- x", r"unknown input 'x'", 1, 16),
    ("i: input 8x8x3\nj: input 4x4x3 <- i", r"'input' takes 0 input\(s\), got 1", 2, 16),
    ("input 8x8x3\nc: conv 8 f=5 f=3", r"argument 'kernel_size' is given twice", 2, 15),
    ("input 8x8x3\nc: conv 8 3 s = 2", r"expected a value, found '='|no spaces around '='", 2, 15),
    ("input 8x8x3\nc: conv 8 3 s=2,", r"unexpected ','", 2, 16),
    ("input 8x8x3\nc: conv 8 (3, 3", r"expected ',' or '\)' in a tuple, found the end of the line", 2, 16),
    ('input 8x8x3\nc: conv 8 3 activation="relu', r"unterminated string", 2, 24),
    ("input 8x8x3\nc: conv 8 3 $", r"unexpected character '\$'", 2, 13),
    ("input 8x8x3\nc: conv 8 3x", r"a number runs into 'x'", 2, 12),
    ("input 8x8x3\n  c: conv 8 3", r"unexpected indentation", 2, 1),
    ("block b(c):\n  x: conv c 1\n    y: relu\ninput 8x8x3", r"inconsistent indentation", 3, 1),
    ("block b(c):\ninput 8x8x3", r"block 'b' has an empty body", 1, 7),
    ("block b(c):\n  x: conv c 1\nblock b(c):\n  y: relu", r"block 'b' is defined twice", 3, 7),
    ("block b(c):\n  x: conv c 1\ninput 8x8x3\nb", r"block 'b' needs a value for 'c'", 4, 1),
    ("block b(c):\n  x: conv c 1\ninput 8x8x3\nb 3 ch=3", r"block 'b' has no parameter 'ch'.*did you mean 'c'", 4, 5),
    ("block b(c):\n  x: conv c 1\ninput 8x8x3\nb 3 4", r"'b' takes 1 positional argument\(s\) \(c\)", 4, 5),
    (
        "block b(c):\n  x: conv c*d 1\ninput 8x8x3\nb 3",
        r"unknown parameter 'd' in arithmetic.*block 'b' used at line 4:1",
        2,
        13,
    ),
    ("block b(c):\n  x: conv c/2 1\ninput 8x8x3\nb 3", r"3/2 is not a whole number", 2, 12),
    (
        "block b(c):\n  x: conv c 0\ninput 8x8x3\nu: b 3",
        r"kernel_size must be ≥ 1.*\(in block 'b' used at line 4:1\)",
        2,
        13,
    ),
    ("block b(c):\n  x: b c\ninput 8x8x3\nb 3", r"block 'b' uses itself", 2, 6),
    ("input 8x8x3\nrelu *0", r"a repetition count must be an integer from 1 to 10000, got 0", 2, 7),
    ("input 8x8x3\nrelu first(x=1)", r"first\(...\) needs a repetition", 2, 12),
    ("network a\nnetwork b\ninput 8x8x3", r"the network is named twice", 2, 1),
    ("input 8x8x3\nc: conv 8 3 <- input_1 input_1", r"unexpected 'input_1' after the inputs", 2, 24),
    ('input 8x8x3\nc: conv 8 3 activation="\\q"', r"unknown escape '\\q'", 2, 25),
    ("input 99999999999999999999x3", r"number 99999999999999999999x3 is out of range", 1, 7),
    ("input 8x8x3\nrelu *2 first(nope)", r"unknown layer kind 'nope'", 2, 15),
    ("block u(c) <- x, y:\n  a: add <- x, y\ninput 8x8x3\nu 2", r"block 'u' takes 2 input\(s\) \(x, y\), got 1", 4, 1),
    (
        "block u(c):\n  a: add <- in, input_1\ninput 8x8x3\nu 2",
        r"unknown input 'input_1' inside a block.*<- in, input_1",
        2,
        17,
    ),
    ("input 8x8x3\nc: conv 8 3 (((1)", r"expected ',' or '\)' in a tuple", 2, 18),
    ("input 8x8x3\nc: conv 8 " + "(" * 200 + "3", r"a value with more than 100 operators or parentheses", 2, 111),
    ("input 8x8x3\nd: dense - 3", r"a minus sign must touch its number", 2, 10),
]


@pytest.mark.parametrize(("text", "pattern", "line", "column"), ERRORS)
def test_every_error_kind_is_located(text: str, pattern: str, line: int, column: int) -> None:
    with pytest.raises(ParseError, match="(?s)" + pattern) as info:
        parse(text, "net.cnn")
    err = info.value
    assert (err.line, err.column) == (line, column), str(err)
    message = str(err)
    assert message.startswith(f"net.cnn:{line}:{column}: ")
    shown = message.splitlines()
    assert shown[1] == "  " + text.splitlines()[line - 1]
    assert shown[2] == "  " + " " * (column - 1) + "^"


def test_the_documented_error_examples() -> None:
    """docs/text-format.md's error examples are exactly what the parser prints."""
    doc = (ROOT / "docs" / "text-format.md").read_text()
    section = doc[doc.index("## Errors") :]
    examples = re.findall(r"```\n(net\.cnn:.*?)```", section, re.S)
    assert len(examples) >= 5
    for example in examples:
        line = example.splitlines()[1][2:]
        with pytest.raises(ParseError) as info:
            parse("input 8x8x3\nc1: conv 8 3\nc2: conv 8 3\n" + line, "net.cnn")
        assert str(info.value) == example.rstrip("\n")


# -- dump round-trips -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [ARTICLE.read_text(), RESIDUAL, INCEPTION, UNET, RESNET50])
def test_dump_parses_back_to_the_same_network(text: str) -> None:
    net = parse(text)
    again = parse(dump(net))
    assert structure(again) == structure(net)
    assert analyze(again).totals.as_dict() == analyze(net).totals.as_dict()


NAMES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)


@st.composite
def networks(draw: st.DrawFn) -> Network:
    """Random graphs over a palette of layers with any argument values the kinds accept; names of any text."""
    from test_netjson import sample_layers  # every registered kind with varied arguments

    palette = sample_layers()
    names = draw(st.lists(NAMES, min_size=2, max_size=12, unique=True))
    g = Graph()
    g.add(names[0], draw(st.sampled_from([lay for lay in palette if isinstance(lay, Input)])))
    others = [lay for lay in palette if not isinstance(lay, Input)]
    for name in names[1:]:
        layer = draw(st.sampled_from(others))
        low, high = layer.arity
        earlier = [n.name for n in g._nodes]
        count = draw(st.integers(low, min(high if high is not None else low + 2, low + 2)))
        inputs = [draw(st.sampled_from(earlier)) for _ in range(count)]
        g.add(name, layer, *inputs)
    return g.build(draw(NAMES))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_generated_networks_round_trip_through_text(net: Network) -> None:
    assert structure(parse(dump(net))) == structure(net)


def test_every_example_in_the_syntax_reference_parses_and_analyses() -> None:
    doc = (ROOT / "docs" / "text-format.md").read_text()
    snippets = re.findall(r"```\n(.*?)```", doc, re.S)
    programs = [s for s in snippets if re.search(r"^input ", s, re.M)]
    blocks_only = "".join(s for s in snippets if s.startswith("block ") and not re.search(r"^input ", s, re.M))
    assert len(programs) >= 5
    for text in programs:
        net = parse(blocks_only + text)
        assert analyze(net).totals.params > 0
