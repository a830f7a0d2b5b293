"""What every layer kind is and returns, and the registry that is the only list of kinds."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from importlib import import_module
from typing import Any, ClassVar, Literal, TypeVar

from ..errors import ArgumentError
from ..expr import ZERO, Expr, Quantity
from ..shape import Shape
from .index import KIND_MODULES

Counting = Literal["torch", "keras"]


@dataclass(frozen=True)
class RFStep:
    """How one layer maps input positions to output positions, per spatial axis.

    ``kernel`` is the effective kernel (dilation applied), ``padding`` the padding before the first
    input position. A transposed layer divides the jump by its stride instead of multiplying it.
    """

    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    transposed: bool = False


#: "identity": the layer maps each position to itself (activations, norms, merges of equal grids).
#: "global": each output sees the whole input (global pooling, flatten, dense on a volume).
#: "unknown": irregular windows; the receptive field is not tracked past this layer.
RFRule = RFStep | Literal["identity", "global", "unknown"]


@dataclass(frozen=True)
class Computed:
    """What a kind computes for given input shapes. Every number is a Quantity (value + formula)."""

    output: Shape
    shape_steps: tuple[tuple[str, Quantity], ...] = ()
    trainable: Quantity = field(default_factory=lambda: Quantity(ZERO))
    non_trainable: Quantity = field(default_factory=lambda: Quantity(ZERO))
    state: Quantity = field(default_factory=lambda: Quantity(ZERO))
    macs: Quantity = field(default_factory=lambda: Quantity(ZERO))
    bias_flops: Quantity = field(default_factory=lambda: Quantity(ZERO))
    elementwise_flops: Quantity = field(default_factory=lambda: Quantity(ZERO))
    rf: RFRule = "identity"
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    #: elements of ``state`` a framework keeps as int64 whatever the dtype (PyTorch's num_batches_tracked)
    state_int64: int = 0


@dataclass(frozen=True)
class MemoryRule:
    """What a layer allocates and keeps for backward: the core's memory rule of a kind (see docs/memory.md).

    - ``allocates``: "new" (its output is a new tensor) or "view" (a view or the identity: no bytes);
      ``in_training``: the same in training when it differs (dropout: a view at inference, new in training);
    - ``saves_inputs`` / ``saves_output``: the tensors autograd keeps (shared storages counted once);
    - ``extra``: elements per sample kept besides them (a mask, indices), ``extra_width`` bytes each
      (0: the activation dtype); ``fixed``: float32 elements kept whatever the batch (BatchNorm's mean/invstd);
    - ``lower``: autocast runs it in bf16/fp16 (convolutions, matmuls), ``fp32``: autocast runs it in float32;
    - ``workspace``: a kernel workspace of this many times its output's bytes while it runs (cuDNN);
    - ``why``: the rule in words, for --explain.
    """

    allocates: str = "new"
    saves_inputs: tuple[int, ...] = ()
    saves_output: bool = False
    extra: Quantity = field(default_factory=lambda: Quantity(ZERO))
    extra_width: int = 0
    fixed: Quantity = field(default_factory=lambda: Quantity(ZERO))
    in_training: str | None = None
    lower: bool = False
    fp32: bool = False
    workspace: int = 0
    why: str = ""


def q(expr: Expr | int) -> Quantity:
    return Quantity.of(expr)


@dataclass(frozen=True)
class Layer:
    """Base of every layer kind: frozen hyper-parameters and pure formulas.

    Subclasses set ``kind`` and implement ``compute``. ``trainable=False`` freezes the layer: its
    parameters are then counted as non-trainable.
    """

    kind: ClassVar[str] = ""
    #: how many inputs the layer takes: (least, most or None for no limit)
    arity: ClassVar[tuple[int, int | None]] = (1, 1)
    #: alternative names of arguments (the course's f/s/p, the frameworks' names) → field name
    aliases: ClassVar[dict[str, str]] = {}
    #: arguments that may be given without a name, in order (text format and builders)
    positional: ClassVar[tuple[str, ...]] = ()

    trainable: bool = field(default=True, kw_only=True)

    #: what autograd keeps for backward by default: "input" (the first input), "inputs", "output", "none"
    saves: ClassVar[str] = "input"
    #: "new" or "view" (reshapes, the identity): see MemoryRule
    allocates: ClassVar[str] = "new"

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        raise NotImplementedError

    def memory_rule(self, inputs: tuple[Shape, ...], computed: Computed) -> MemoryRule:
        """What this layer allocates and saves for backward (kinds override it for masks, indices, statistics)."""
        which = {"input": (0,), "inputs": tuple(range(len(inputs))), "output": (), "none": ()}[self.saves]
        return MemoryRule(allocates=self.allocates, saves_inputs=which if inputs else (),
                          saves_output=self.saves == "output", why=f"saves its {self.saves}" if
                          self.saves != "none" else "saves nothing for backward")

    @property
    def label(self) -> str:
        """The kind as shown in a table: the kind, plus a fused activation if any."""
        act = getattr(self, "activation", None)
        return f"{self.kind}+{act}" if act else self.kind

    def arguments(self) -> dict[str, Any]:
        """Every hyper-parameter that differs from its default, for round-trips and display."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.default is not value and f.default != value:
                out[f.name] = value
        return out


L = TypeVar("L", bound=type[Layer])


@dataclass(frozen=True)
class KindEntry:
    name: str
    cls: type[Layer]
    preset: dict[str, Any]
    summary: str


class KindRegistry(Mapping[str, KindEntry]):
    """Every layer kind by name. The names come from an index (cnncalc.kinds.index); a family's module is
    imported the first time one of its kinds is looked up, so that a start pays only for the kinds it uses.
    Iterating (``items()``, ``values()``) loads every family; ``in`` and ``list()`` load none. Kinds registered
    outside the index (a user's own) come after the indexed ones."""

    def __init__(self) -> None:
        self._entries: dict[str, KindEntry] = {}

    def __getitem__(self, name: str) -> KindEntry:
        entry = self._entries.get(name)
        if entry is None:
            module = KIND_MODULES.get(name) if isinstance(name, str) else None
            if module is None:
                raise KeyError(name)
            import_module(f"{__package__}.{module}")
            entry = self._entries[name]
        return entry

    def __contains__(self, name: object) -> bool:
        return name in KIND_MODULES or name in self._entries

    def __iter__(self) -> Iterator[str]:
        yield from KIND_MODULES
        yield from (name for name in list(self._entries) if name not in KIND_MODULES)

    def __len__(self) -> int:
        return len(KIND_MODULES) + sum(1 for name in self._entries if name not in KIND_MODULES)

    def loaded(self) -> tuple[str, ...]:
        """The names registered so far (their families imported)."""
        return tuple(self._entries)

    def add(self, entry: KindEntry) -> None:
        if entry.name in self._entries:
            raise RuntimeError(f"layer kind {entry.name!r} is registered twice")
        self._entries[entry.name] = entry


KINDS = KindRegistry()


def register(*names: str, **preset: Any) -> Callable[[L], L]:
    """Register a kind class under one or more names; a name can be registered only once.

    ``preset`` fixes arguments for every name (e.g. ``conv2d`` is ``conv`` with ndim=2).
    """

    def add(cls: L) -> L:
        _check_after_init(cls)
        for name in names:
            summary = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else name
            KINDS.add(KindEntry(name, cls, dict(preset), summary))
        return cls

    return add


def _check_after_init(cls: type[Layer]) -> None:
    """Wrap a kind's __init__ so that every kind, however built (text, JSON, Python), refuses a flag that is
    not a bool (``trainable="no"``) and an integer past the documented bound (cnncalc.limits)."""
    if "_checked_init" in cls.__dict__:
        return
    original = cls.__init__

    def init(self: Layer, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        check_fields(self)

    init.__doc__ = original.__doc__
    cls.__init__ = init  # type: ignore[method-assign]
    cls._checked_init = True  # type: ignore[attr-defined]


def check_fields(layer: Layer) -> None:
    """Flags are True/False (None where the field allows it); integers anywhere in an argument ≤ 10**18."""
    from ..limits import MAX_SIZE, MAX_SIZE_TEXT, short_int

    for f in fields(layer):
        value = getattr(layer, f.name)
        if f.type in ("bool", "bool | None") and not (
            isinstance(value, bool) or (value is None and f.type == "bool | None")
        ):
            raise ArgumentError(f"{f.name} must be true or false, got {value!r}",
                                hint=f"write {f.name}=true or {f.name}=false")
        stack = [value]
        while stack:
            v = stack.pop()
            if isinstance(v, (tuple, list)):
                stack.extend(v)
            elif isinstance(v, int) and not isinstance(v, bool) and abs(v) > MAX_SIZE:
                raise ArgumentError(f"{f.name} is out of range: {short_int(v)} > {MAX_SIZE_TEXT}",
                                    hint=f"sizes and counts are at most {MAX_SIZE_TEXT}")


def suggest(word: str, choices: list[str] | tuple[str, ...]) -> str | None:
    """The closest choice to a misspelt word, for 'did you mean'."""
    import difflib

    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def argument_names(cls: type[Layer]) -> list[str]:
    return [f.name for f in fields(cls)]


def build(kind: str, args: dict[str, Any]) -> Layer:
    """Build a layer from its kind name and arguments, resolving aliases and rejecting unknowns."""
    entry = KINDS.get(kind.lower())
    if entry is None:
        guess = suggest(kind.lower(), list(KINDS))
        hint = f"did you mean '{guess}'?" if guess else "run `cnncalc kinds` to list the kinds"
        raise ArgumentError(f"unknown layer kind '{kind}'", hint=hint)
    known = argument_names(entry.cls)
    resolved: dict[str, Any] = dict(entry.preset)
    for name, value in args.items():
        target = entry.cls.aliases.get(name, name)
        if target not in known or target in entry.preset:
            choices = [n for n in known if n not in entry.preset] + list(entry.cls.aliases)
            guess = suggest(name, choices)
            hint = f"did you mean '{guess}'?" if guess else f"'{kind}' takes: " + ", ".join(
                n for n in known if n not in entry.preset
            )
            raise ArgumentError(f"'{kind}' has no argument '{name}'", hint=hint)
        if target in resolved and target not in entry.preset:
            raise ArgumentError(f"'{kind}' got argument '{target}' twice (as '{name}')")
        resolved[target] = value
    try:
        return entry.cls(**resolved)
    except TypeError as exc:  # a required argument is missing
        missing = [n for n in entry.cls.positional if n not in resolved]
        what = ", ".join(missing) if missing else str(exc)
        raise ArgumentError(f"'{kind}' needs {what}", hint=f"e.g. {kind} " + " ".join(
            f"<{n}>" for n in entry.cls.positional
        )) from None
