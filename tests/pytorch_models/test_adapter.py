"""from_torch on small models, against PyTorch itself: real CPU forwards, numel(), FlopCounterMode
on meta, and closed-form formulas from the reference README (not cnncalc's own output)."""

from __future__ import annotations

import re

import pytest

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")

from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from cnncalc import Conventions, UnsupportedError  # noqa: E402
from cnncalc.adapters.torch import from_torch, mapping  # noqa: E402
from cnncalc.adapters.torch.trace import ModelMismatchError  # noqa: E402


def _flop_counter_macs(model: nn.Module, *inputs: torch.Tensor) -> int:
    meta = {k: torch.empty_like(v, device="meta") for k, v in
            list(model.named_parameters()) + list(model.named_buffers())}
    counter = FlopCounterMode(display=False)
    with counter:
        torch.func.functional_call(model, meta, tuple(torch.empty_like(x, device="meta") for x in inputs))
    return int(counter.get_total_flops() // 2)


def _real_shapes(model: nn.Module, x: torch.Tensor) -> dict[str, tuple[int, ...]]:
    """Output shapes of every module's first call in a real CPU forward (batch axis dropped)."""
    shapes: dict[str, tuple[int, ...]] = {}
    handles = []
    for name, m in model.named_modules():
        def hook(mod: nn.Module, args: object, out: object, name: str = name) -> None:
            if isinstance(out, torch.Tensor) and name not in shapes:
                shapes[name] = tuple(out.shape[1:])
        handles.append(m.register_forward_hook(hook))
    with torch.no_grad():
        model.eval()(x)
    for h in handles:
        h.remove()
    return shapes


@pytest.mark.parametrize("name,size", [("resnet18", 64), ("mobilenet_v3_small", 64), ("densenet121", 64),
                                       ("efficientnet_b0", 64), ("convnext_tiny", 64), ("swin_t", 64),
                                       ("squeezenet1_0", 64), ("googlenet", 64)])
def test_per_layer_shapes_equal_a_real_cpu_forward(name: str, size: int) -> None:
    kw = {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}
    model = torchvision.models.get_model(name, weights=None, **kw)
    x = torch.randn(2, 3, size, size)
    real = _real_shapes(model, x)
    result = from_torch(model, input_size=(2, 3, size, size))
    checked = 0
    for row in result.rows:
        if row.kind in ("input", "functional") or "#" in row.name or row.name not in real:
            continue
        assert row.output_shape.ordered("chw") == real[row.name], row.name
        checked += 1
    assert checked > 10


def test_model_is_unchanged_and_nothing_is_left() -> None:
    model = torchvision.models.resnet18()
    model.train()
    model.layer1.eval()
    before = {k: (v, v.clone()) for k, v in model.state_dict(keep_vars=True).items()}
    flags = [m.training for m in model.modules()]
    from_torch(model, input_size=(8, 3, 64, 64))
    assert [m.training for m in model.modules()] == flags
    after = model.state_dict(keep_vars=True)
    for k, (obj, copy) in before.items():
        assert after[k] is obj and after[k].device.type == "cpu" and torch.equal(after[k], copy)
    for m in model.modules():
        assert not m._forward_hooks and not m._forward_pre_hooks


def test_no_activation_or_weight_memory_at_a_huge_batch() -> None:
    resource = pytest.importorskip("resource")
    model = torchvision.models.resnet50()
    start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = from_torch(model, input_size=(4096, 3, 224, 224))  # a real forward would need > 400 GB
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start) / 1024
    assert result.totals.macs == 4096 * 4_089_184_256
    assert grown_mib < 200


def test_vit_b_16_macs_are_17_564_g() -> None:
    with torch.device("meta"):
        model = torchvision.models.vit_b_16()
    result = from_torch(model, input_size=(1, 3, 224, 224))
    assert round(result.totals.macs / 1e9, 3) == 17.564
    assert result.totals.params == 86_567_656


@pytest.mark.parametrize("batch_first", [True, False])
def test_multihead_attention_counted_in_eval_under_no_grad(batch_first: bool) -> None:
    e, heads, length, n = 64, 4, 10, 3
    mha = nn.MultiheadAttention(e, heads, batch_first=batch_first).eval()
    x = torch.randn(n, length, e) if batch_first else torch.randn(length, n, e)
    with torch.no_grad():
        result = from_torch(mha, example_inputs=(x, x, x))
    # README pitfall 9: 4·s·E² for the projections plus 2·s²·E for Q·Kᵀ and A·V, per sequence
    assert result.totals.macs == n * (4 * length * e * e + 2 * length * length * e)
    assert result.totals.params == 4 * e * e + 4 * e == sum(p.numel() for p in mha.parameters())
    assert result.rows[-1].unmodelled is None and result.rows[-1].kind == "attention"


class TiedLM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(100, 16)
        self.body = nn.Linear(16, 16)
        self.head = nn.Linear(16, 100, bias=False)
        self.head.weight = self.emb.weight

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.body(self.emb(ids))))


def test_tied_weight_counted_once() -> None:
    model = TiedLM()
    result = from_torch(model, input_size=(2, 7), dtypes=[torch.int64])
    assert result.totals.params == sum(p.numel() for p in model.parameters()) == 100 * 16 + 16 * 16 + 16
    assert result["head"].params == 0 and result["head"].shares_params_with == "emb"
    # every format says it, not only JSON: the table and Markdown print the warnings
    assert "head: shares its parameters with emb (counted once, there)" in str(result)
    assert result.totals.macs == _flop_counter_macs(model, torch.zeros(2, 7, dtype=torch.int64))


def test_conv_transpose_macs_use_the_input_size() -> None:
    model = nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1)
    result = from_torch(model, input_size=(2, 8, 10, 10))
    assert result.totals.macs == 2 * 8 * 10 * 10 * 4 * 3 * 3  # N·C_in·H_in·W_in·C_out·k·k
    assert result.totals.macs == _flop_counter_macs(model, torch.zeros(2, 8, 10, 10))
    assert result.rows[-1].output_shape.ordered("chw") == (4, 20, 20)


def test_frozen_layers_are_non_trainable() -> None:
    model = torchvision.models.resnet18()
    for p in list(model.conv1.parameters()) + list(model.layer1.parameters()):
        p.requires_grad_(False)
    result = from_torch(model, input_size=(1, 3, 64, 64))
    frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
    assert result.totals.non_trainable_params == frozen > 0
    assert result.totals.trainable_params == sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert result["conv1"].trainable.value == 0 and result["conv1"].non_trainable.value == 64 * 3 * 7 * 7


class Functional(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.randn(32, 32))
        self.proj = nn.Linear(32, 32)

    def forward(self, x: torch.Tensor, y: torch.Tensor, *, scale: float = 1.0) -> torch.Tensor:
        q = self.proj(x)
        a = F.scaled_dot_product_attention(q.unflatten(-1, (4, 8)).transpose(1, 2),
                                           y.unflatten(-1, (4, 8)).transpose(1, 2),
                                           y.unflatten(-1, (4, 8)).transpose(1, 2))
        z = a.transpose(1, 2).flatten(2) @ self.w
        return torch.cat([z + x, F.linear(x, self.w)], dim=-1) * scale


def test_work_outside_modules_is_counted() -> None:
    model = Functional()
    x, y = torch.randn(2, 5, 32), torch.randn(2, 6, 32)
    result = from_torch(model, example_inputs=(x, y), scale=2.0)
    expected_attention = 2 * 4 * 5 * 6 * 8 * 2
    assert result.totals.macs == 3 * (2 * 5 * 32 * 32) + expected_attention
    own = [r for r in result.rows if r.kind == "functional"]
    assert [r.name for r in own] == ["mm"]  # the model's own work after `proj`, named after its main operator
    assert own[0].params == 32 * 32
    assert result.totals.params == sum(p.numel() for p in model.parameters())


def test_dict_inputs_and_keyword_arguments() -> None:
    model = Functional()
    x, y = torch.randn(1, 5, 32), torch.randn(1, 6, 32)
    by_name = from_torch(model, example_inputs={"x": x, "y": y})
    assert [r.name for r in by_name.rows[:2]] == ["x", "y"]
    assert by_name.totals.macs == from_torch(model, example_inputs=(x, y)).totals.macs


class Scale(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(8))
        self.register_buffer("offset", torch.zeros(8))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma[:, None, None] + self.offset[:, None, None]


def test_unmapped_module_is_measured_and_says_why() -> None:
    model = nn.Sequential(nn.Conv2d(3, 8, 3), Scale())
    result = from_torch(model, input_size=(1, 3, 10, 10))
    row = result["1"]
    assert row.unmodelled is not None and "no entry in the mapping table" in row.unmodelled
    assert row.params == 8 and row.state.value == 8
    assert row.output_shape.ordered("chw") == (8, 8, 8)
    assert any(w.startswith("1: not modelled: ") for w in result.warnings)
    assert "warning: 1: not modelled:" in str(result)


def test_depth_rolls_up_containers_and_keeps_totals() -> None:
    model = torchvision.models.resnet18()
    full = from_torch(model, input_size=(1, 3, 64, 64))
    top = from_torch(model, input_size=(1, 3, 64, 64), depth=1)  # as torchinfo: the model's children only
    assert max(r.depth for r in top.rows) == 0 and len(top.rows) < len(full.rows)
    assert top.totals == full.totals
    layer1 = top["layer1"]
    assert layer1.is_container
    assert layer1.params == sum(p.numel() for p in model.layer1.parameters())


def test_buffers_are_state_and_bytes_use_real_dtypes() -> None:
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8)).half()
    result = from_torch(model, input_size=(1, 3, 10, 10), dtypes=[torch.float16])
    params = sum(p.numel() for p in model.parameters())
    assert result.totals.param_bytes == 2 * params
    assert result.totals.state == 8 + 8 + 1
    assert result.totals.state_bytes == 2 * 16 + 8  # num_batches_tracked is int64


def test_core_disagreement_is_an_error_naming_the_module(monkeypatch: pytest.MonkeyPatch) -> None:
    from cnncalc.kinds import Dense

    def wrong(m: nn.Module) -> mapping.Mapped:
        assert isinstance(m, nn.Linear)
        return mapping.Mapped(Dense(m.out_features + 1, flatten=False), mapping.plain)

    monkeypatch.setitem(mapping.TABLE, nn.Linear, wrong)
    with pytest.raises(ModelMismatchError, match=r"module 'fc' \(Linear\).*output"):
        from_torch(torchvision.models.resnet18(), input_size=(1, 3, 32, 32))


def test_meta_failure_names_the_operator() -> None:
    class Picky(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x[torch.nonzero(x > 0, as_tuple=True)]

    with pytest.raises(UnsupportedError, match="aten::nonzero"):
        from_torch(Picky(), input_size=(4,))


def test_receptive_field_follows_the_chain() -> None:
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 4, 3))
    result = from_torch(model, input_size=(1, 1, 20, 20), conventions=Conventions(layout="chw"))
    assert result["3"].receptive_field.size == (8, 8)  # 3 → 4 (pool 2) → 4 + 2·2 = 8


def test_recurrent_and_embedding_rows_are_modelled() -> None:
    model = nn.LSTM(10, 20, num_layers=2, bidirectional=True)
    result = from_torch(model, input_size=(7, 3, 10))  # sequence-first: (L, N, I)
    row = result.rows[-1]
    assert row.unmodelled is None and row.kind == "lstm"
    assert row.params == sum(p.numel() for p in model.parameters())
    assert row.output_shape.dims == (7, 40)


class _Mixed(nn.Module):
    """Element-wise modules after a Conv2d, a Conv1d (3-D, channels first) and a Linear (3-D, features last)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv2 = nn.Conv2d(3, 4, 3)
        self.act2 = nn.ReLU()
        self.conv1 = nn.Conv1d(4, 5, 3)
        self.drop1 = nn.Dropout(0.1)
        self.act1 = nn.GELU()
        self.fc = nn.Linear(7, 6)
        self.act3 = nn.GELU()

    def forward(self, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        y = self.act2(self.conv2(x))                      # (N, 4, 6, 6)
        z = self.act1(self.drop1(self.conv1(y.flatten(2)) + 1))  # (N, 5, 34): layout kept through "+ 1"
        return self.act3(self.fc(s)).sum() + z.sum()       # s: (N, 9, 7) → (N, 9, 6)


@pytest.mark.parametrize("layout", ["hwc", "chw"])
def test_element_wise_rows_keep_their_producers_layout(layout: str) -> None:
    model = _Mixed()
    result = from_torch(model, example_inputs=(torch.randn(2, 3, 8, 8), torch.randn(2, 9, 7)),
                        conventions=Conventions(layout=layout))
    shown = {r.name: r.output_shape.show(layout) for r in result.rows}
    image = {"hwc": ["(6, 6, 4)", "(34, 5)"], "chw": ["(4, 6, 6)", "(5, 34)"]}[layout]
    assert shown["conv2"] == shown["act2"] == image[0]
    assert shown["conv1"] == shown["drop1"] == shown["act1"] == image[1]
    assert shown["fc"] == shown["act3"] == "(9, 6)"  # a sequence of 9 tokens of 6 features, in both layouts


@pytest.mark.parametrize("dim,sizes,shape", [(1, (2, 3), (4, 6)), (1, (2, 3), (4, 6, 5, 5)),
                                             (-1, (5, -1), (4, 6, 10)), (2, (2, 2), (3, 5, 4, 7))])
def test_unflatten_splits_one_axis_and_keeps_the_rest(dim: int, sizes: tuple[int, ...],
                                                      shape: tuple[int, ...]) -> None:
    module = nn.Unflatten(dim, sizes)
    row = from_torch(nn.Sequential(module), input_size=shape).rows[-1]
    assert row.kind == "reshape" and row.unmodelled is None
    assert row.output_shape.dims == tuple(module(torch.zeros(shape)).shape[1:])  # a real CPU forward


@pytest.mark.parametrize("kwargs,said", [
    ({"input_size": (0, 3, 8, 8)}, "has an axis of size 0: every axis must be ≥ 1"),
    ({"input_size": (torch.zeros(1, 3, 8, 8),)}, "input_size takes shapes, not tensors"),
    ({"input_size": (1, 3, 8.0, 8)}, "must hold shapes of whole numbers"),
    ({"input_size": (2, 3, 8, 8), "conventions": Conventions(batch=8)}, "conventions say batch 8, but the input's"),
    ({"input_size": (1, 3, 8, 8), "conventions": Conventions(dtype="float16")},
     "conventions say float16, but the model's parameters are float32"),
    ({"input_size": (1, 3, 8, 8), "conventions": Conventions(counting="keras")}, "does not apply to a PyTorch model"),
    ({"input_size": (1, 3, 8, 8), "depth": -1}, "depth must be a whole number ≥ 0"),
])
def test_from_torch_refuses_what_it_would_otherwise_replace(kwargs: dict[str, object], said: str) -> None:
    from cnncalc import ArgumentError

    with pytest.raises(ArgumentError, match=re.escape(said)):
        from_torch(nn.Sequential(nn.Conv2d(3, 4, 3)), **kwargs)  # type: ignore[arg-type]


def test_a_module_reachable_under_two_names_is_left_intact() -> None:
    shared = nn.Linear(8, 8)
    block = nn.Sequential(nn.Linear(8, 8), nn.ReLU())
    model = nn.Sequential(shared, shared, nn.Sequential(block), nn.Sequential(block))
    before = {id(p) for p in model.parameters()}
    for _ in range(2):  # a second analysis must see the same model
        result = from_torch(model, input_size=(1, 8))
        assert result.totals.params == result.totals.trainable_params == sum(p.numel() for p in model.parameters())
    assert {id(p) for p in model.parameters()} == before
    assert all(p.device.type == "cpu" and p.requires_grad for p in model.parameters())
    assert model(torch.zeros(1, 8)).shape == (1, 8)  # still runs for real


class _Positions(nn.Module):
    """nanoGPT's pattern: token and position embeddings, the positions an unbatched arange."""

    def __init__(self) -> None:
        super().__init__()
        self.wte, self.wpe = nn.Embedding(50, 16), nn.Embedding(10, 16)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return self.wte(idx) + self.wpe(torch.arange(idx.shape[1], device=idx.device))


@pytest.mark.parametrize("module,shape", [(nn.Conv2d(3, 4, 3), (3, 8, 8)), (nn.MaxPool1d(2), (3, 8)),
                                          (nn.ConvTranspose1d(3, 2, 3, stride=2), (3, 5))])
def test_unbatched_inputs_are_one_sample(module: nn.Module, shape: tuple[int, ...]) -> None:
    row = from_torch(nn.Sequential(module), input_size=shape, conventions=Conventions(layout="chw")).rows[-1]
    assert row.output_shape.ordered("chw") == tuple(module(torch.zeros(shape)).shape)  # a real CPU forward
    assert row.activations.value == module(torch.zeros(shape)).numel()


def test_unbatched_recurrent_and_position_embeddings() -> None:
    rnn = nn.GRU(8, 4)
    row = from_torch(nn.Sequential(rnn), input_size=(5, 8)).rows[-1]
    assert row.output_shape.dims == tuple(rnn(torch.zeros(5, 8))[0].shape)
    result = from_torch(_Positions(), input_size=(2, 10), dtypes=[torch.int64])
    assert result["wpe"].output_shape.dims == (10, 16) and result["wte"].output_shape.dims == (10, 16)
    assert result.totals.params == (50 + 10) * 16


def test_weight_norm_is_measured_not_an_error() -> None:
    with pytest.warns(FutureWarning):
        conv = torch.nn.utils.weight_norm(nn.Conv2d(3, 4, 3))
    result = from_torch(nn.Sequential(conv), input_size=(1, 3, 8, 8))
    assert result["0"].unmodelled and "pre-hooks" in result["0"].unmodelled
    assert result.totals.params == sum(p.numel() for p in conv.parameters())  # weight_g + weight_v + bias = 116


def test_a_failure_names_the_innermost_module() -> None:
    class Inner(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.e = nn.Embedding(10, 4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.e(x)

    outer = nn.Sequential(nn.Identity(), Inner())
    with pytest.raises(UnsupportedError, match=r"module '1\.e' \(Embedding\): the forward fails on the meta device"):
        from_torch(outer, input_size=(1, 5))  # float ids: Embedding refuses them


# --- what torchinfo's own test suite found (issue: hostile input, item 7) ---

def test_torchscript_is_refused_with_the_reason() -> None:
    scripted = torch.jit.script(nn.Linear(4, 2))
    with pytest.raises(UnsupportedError, match=r"is a TorchScript module: its compiled forward cannot be traced"):
        from_torch(scripted, input_size=(1, 4))


def test_lazy_modules_are_refused_with_what_to_do() -> None:
    with pytest.raises(UnsupportedError, match=r"module '0' \(LazyLinear\) is a lazy module whose parameters "
                                                  r"are not created yet"):
        from_torch(nn.Sequential(nn.LazyLinear(3)), input_size=(1, 4))


class Caching(nn.Module):
    """Keeps tensors from its forward in plain attributes, a list and a dict (as AnchorGenerator does)."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.last: torch.Tensor | None = None
        self.seen: list[torch.Tensor] = []
        self.by_shape: dict[tuple[int, ...], torch.Tensor] = {}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.fc(x)
        self.last = y
        self.seen.append(y)
        self.by_shape[tuple(y.shape)] = y
        self.made_in_forward = y.sum()
        return y if self.last is None else y + self.last


def test_a_forward_that_caches_tensors_leaves_the_model_as_it_was() -> None:
    model = Caching()
    from_torch(model, input_size=(2, 4))
    assert model.last is None and model.seen == [] and model.by_shape == {}
    assert not hasattr(model, "made_in_forward")
    assert model(torch.zeros(2, 4)).shape == (2, 4)  # a real forward still works


def test_user_pre_hooks_are_not_called_weight_norm() -> None:
    model = nn.Sequential(nn.Linear(4, 4))
    model[0].register_forward_pre_hook(lambda m, args: None)
    model[0].register_forward_hook(lambda m, args, out: None)
    r = from_torch(model, input_size=(1, 4))
    assert r["0"].unmodelled is None and r["0"].kind == "dense"


def test_sequence_first_rnn_uses_one_batch_axis_everywhere() -> None:
    r = from_torch(nn.LSTM(8, 16), input_size=(5, 3, 8))  # (L, N, F): the batch is axis 1
    assert r.conventions.batch == 3
    assert r["input"].output_shape.dims == (5, 8) and r["input"].activations.value == 5 * 3 * 8
    assert r["model"].input_shapes[0].dims == (5, 8) and r["model"].output_shape.dims == (5, 16)
    first = from_torch(nn.LSTM(8, 16, batch_first=True), input_size=(3, 5, 8))
    assert first["input"].output_shape.dims == (5, 8) and first.conventions.batch == 3
    assert first.totals.macs == r.totals.macs


def test_layers_after_a_sequence_first_layer_keep_its_batch_axis() -> None:
    """What a sequence-first layer makes is (L, N, F) too: the Linear, norms, activations and residual adds after
    it (a default nn.TransformerEncoderLayer, an LSTM's head) show (L, F) per sample, as the input does; each
    row's elements per sample times the batch are the tensor's."""
    layer = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0)
    model = nn.Sequential(nn.TransformerEncoder(layer, 2, enable_nested_tensor=False), nn.Linear(16, 4)).eval()
    r = from_torch(model, input_size=(7, 3, 16))
    assert r.conventions.batch == 3 and r["input"].output_shape.dims == (7, 16)
    shapes = {row.name: row.output_shape.dims for row in r.rows}
    assert shapes["0.layers.0.linear1"] == (7, 32) and shapes["0.layers.1.norm2"] == (7, 16)
    assert shapes["0.layers.0.add#2"] == (7, 16) and shapes["1"] == (7, 4)
    with torch.no_grad():
        out = model(torch.zeros(7, 3, 16))
    assert r["1"].activations.value == out.numel()

    class Head(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn, self.norm, self.fc = nn.GRU(8, 6), nn.LayerNorm(6), nn.Linear(6, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(torch.relu(self.norm(self.rnn(x)[0])))

    head = from_torch(Head(), input_size=(5, 3, 8))
    assert [row.output_shape.dims for row in head.rows] == [(5, 8), (5, 6), (5, 6), (5, 6), (5, 2)]


def test_no_input_gives_a_parameters_only_table() -> None:
    holder = nn.Module()
    holder.layers = nn.ModuleList([nn.Linear(4, 4), nn.Conv2d(3, 8, 3)])
    r = from_torch(holder)
    assert r.totals.params == 20 + 224 == sum(p.numel() for p in holder.parameters())
    assert any("no input given: parameters only (Module has no forward())" in w for w in r.warnings)
    assert [(row.name, row.is_container) for row in r.rows] == [("layers", True), ("layers.0", False),
                                                                ("layers.1", False)]
    assert r["layers"].params == 244 and "no input given, so no forward ran: no shapes" in r["layers"].notes
    assert all(row.unmodelled == "no input given, so no forward ran: parameters counted, no shapes"
               for row in r.rows if not row.is_container)
    needs = from_torch(nn.Sequential(nn.Linear(4, 2)))
    assert needs.totals.params == 10 and any("forward() needs input" in w for w in needs.warnings)


def test_a_forward_without_arguments_runs() -> None:
    class Generator(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 2)

        def forward(self) -> torch.Tensor:
            return self.fc(torch.zeros(1, 4, device=self.fc.weight.device))

    r = from_torch(Generator())
    assert r["fc"].output_shape.dims == (2,) and r.totals.macs == 8 and not r.warnings


DETECTION = ["fasterrcnn_mobilenet_v3_large_320_fpn", "retinanet_resnet50_fpn", "ssdlite320_mobilenet_v3_large",
             "fcos_resnet50_fpn", "maskrcnn_resnet50_fpn", "keypointrcnn_resnet50_fpn", "fasterrcnn_resnet50_fpn_v2",
             "ssd300_vgg16"]


@pytest.mark.parametrize("name", DETECTION)
def test_detection_models_still_run_for_real_after_the_analysis(name: str) -> None:
    tv = pytest.importorskip("torchvision")
    small = {} if name.startswith("ssd") else {"min_size": 64, "max_size": 64}
    model = tv.models.get_model(name, weights=None, weights_backbone=None, **small).eval()
    from_torch(model, input_size=(1, 3, 64, 64), partial=True)
    with torch.no_grad():
        out = model([torch.rand(3, 64, 64)])
    assert isinstance(out, list) and "boxes" in out[0]


@pytest.mark.parametrize("name", ["fcn_resnet50", "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large"])
def test_segmentation_models_still_run_for_real_after_the_analysis(name: str) -> None:
    tv = pytest.importorskip("torchvision")
    model = tv.models.get_model(name, weights=None, weights_backbone=None).eval()
    from_torch(model, input_size=(1, 3, 64, 64))
    with torch.no_grad():
        assert model(torch.rand(1, 3, 64, 64))["out"].shape == (1, 21, 64, 64)


def test_a_row_explains_itself_in_the_results_layout() -> None:
    r = from_torch(nn.Sequential(nn.Conv2d(3, 8, 5)), input_size=(1, 3, 32, 32))
    assert r["0"].explain() == r.explain("0") and "output     (8, 28, 28)" in r["0"].explain()
    assert "input      (3, 32, 32)" in r["0"].explain()
