"""From parsed statements to a Network: arguments evaluated, blocks expanded, inputs resolved.

Every mistake becomes a ParseError at the token that caused it, with the core's rule and hint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import CnnCalcError, GraphError, ParseError
from ..kinds import KINDS, Layer, build
from ..kinds.activation import ACTIVATION_ALIASES, ACTIVATIONS
from ..kinds.base import KindEntry, argument_names, suggest
from ..kinds.structural import Input
from ..limits import MAX_LAYERS
from ..network import Network, Node, Source
from .lexer import MAX_INT, Token, error
from .syntax import KEYWORDS, Arg, BlockDef, Program, Stmt, Value

#: guards against runaway repetition in hostile input
MAX_REPEAT = 10_000
MAX_NODES = MAX_LAYERS
#: blocks using blocks: deeper is refused rather than recursing without bound
MAX_BLOCK_DEPTH = 50


@dataclass
class Scope:
    """Names visible to statements: the network's top level, or one expansion of a block."""

    prefix: str
    env: dict[str, Any]
    names: dict[str, str]
    last: str | None
    context: str = ""
    local: set[str] = field(default_factory=set)


def first_token(v: Value) -> Token:
    """The leftmost token of a value, for carets."""
    if v.op in ("+", "-", "*", "/"):
        return first_token(v.items[0])
    return v.token


def _did_you_mean(word: str, choices: list[str]) -> str | None:
    """'did you mean ...?' for the choice that differs from ``word`` in case only, else the closest one."""
    guess = next((c for c in choices if c.lower() == word.lower()), None) or suggest(word, choices)
    return f"did you mean '{guess}'?" if guess else None


def _param_hint(word: str, env: dict[str, Any]) -> str | None:
    """'did you mean' the block parameter a misspelt word stands for: the closest, else one that is an
    abbreviation of the word (``w`` for ``wdth``)."""
    if word in env:
        return None
    short = [p for p in env if word.startswith(p) or p.startswith(word)]
    return _did_you_mean(word, list(env)) or (f"did you mean '{short[0]}'?" if len(short) == 1 else None)


def _word(v: Value, env: dict[str, Any]) -> str | None:
    """The text a bare word stands for (itself, or the word a block parameter holds); None for other values."""
    value = env.get(v.literal, v.literal) if v.op == "word" else None
    return value if isinstance(value, str) else None


class Builder:
    """Walks a Program and builds the Network node by node."""

    def __init__(self, program: Program, file: str) -> None:
        self.program, self.file = program, file
        self.nodes: list[Node] = []
        self.taken: set[str] = set()
        self.counts: dict[str, int] = {}
        self.stack: list[str] = []
        #: the block instances being expanded, outermost first (recorded on each node, for --depth)
        self.instances: list[str] = []
        #: the block definitions those instances use
        self.block_kinds: list[str] = []
        self.text = ""  # the source line being expanded, for carets
        self.context = ""
        self.root = Scope("", {}, {}, None)

    def fail(self, message: str, tok: Token, hint: str | None = None) -> ParseError:
        return error(message + self.context, self.file, tok.line, tok.column, self.text, hint)

    # -- values ------------------------------------------------------------------------------------------------
    def evaluate(self, v: Value, env: dict[str, Any], numeric: bool = False) -> Any:
        if v.op == "lit":
            return v.literal
        if v.op == "word":
            if v.literal in env:
                return env[v.literal]
            if numeric:
                raise self.fail(
                    f"unknown parameter '{v.literal}' in arithmetic",
                    v.token,
                    _did_you_mean(v.literal, list(env)) or "arithmetic works on block parameters",
                )
            return v.literal
        if v.op == "tuple":
            return tuple(self.evaluate(i, env) for i in v.items)
        if v.op == "neg":
            x = self._number(v.items[0], env)
            return -x
        return self._arith(v, env)

    def _number(self, v: Value, env: dict[str, Any]) -> int | float:
        x = self.evaluate(v, env, numeric=True)
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            raise self.fail(f"arithmetic needs numbers, got {x!r}", first_token(v))
        return x

    def _arith(self, v: Value, env: dict[str, Any]) -> int | float:
        a, b = self._number(v.items[0], env), self._number(v.items[1], env)
        if v.op == "/":
            out: int | float = self._divide(a, b, v.token)
        else:
            out = a + b if v.op == "+" else a - b if v.op == "-" else a * b
        if abs(out) > MAX_INT:
            raise self.fail(f"the result {v.op} is out of range (at most {MAX_INT})", v.token)
        return out

    def _divide(self, a: int | float, b: int | float, tok: Token) -> int:
        if b == 0:
            raise self.fail(f"division by zero: {a}/{b}", tok, "the divisor must not be 0")
        if not isinstance(a, int) or not isinstance(b, int) or a % b:
            raise self.fail(
                f"{a}/{b} is not a whole number", tok, "'/' divides integers exactly; choose values that divide"
            )
        return a // b

    # -- arguments of a layer ----------------------------------------------------------------------------------
    @staticmethod
    def _bare_key(v: Value, env: dict[str, Any], fields: list[str]) -> str | None:
        """The key a bare word (or a block parameter holding a word) stands for: `relu` → activation,
        `same` → padding; else None."""
        value = _word(v, env)
        if value is None:
            return None
        word = value.lower()
        if "activation" in fields and (word in ACTIVATIONS or word in ACTIVATION_ALIASES):
            return "activation"
        if "padding" in fields and word in ("same", "valid"):
            return "padding"
        return None

    def layer_args(
        self, entry: KindEntry, stmt: Stmt, env: dict[str, Any], first: list[Arg]
    ) -> tuple[dict[str, Any], dict[str, tuple[Token, Token]]]:
        """The arguments of a layer statement, keyed as the user wrote them, and where each was written."""
        fields = argument_names(entry.cls)
        positional = [p for p in entry.cls.positional if p not in entry.preset]
        args: dict[str, Any] = {}
        where: dict[str, tuple[Token, Token]] = {}
        by_field: dict[str, str] = {}
        used = 0
        for arg in stmt.args + first:
            at = first_token(arg.value)
            key = arg.key.text.lower() if arg.key else self._bare_key(arg.value, env, fields)
            if key is None:
                if used >= len(positional):
                    raise self._extra_positional(stmt, arg.value, env, fields, positional)
                key, used = positional[used], used + 1
            target = entry.cls.aliases.get(key, key)
            if target in by_field and arg not in first:
                raise self.fail(
                    f"argument '{target}' is given twice",
                    arg.key or at,
                    f"it was given as '{by_field[target]}' already",
                )
            args.pop(by_field.get(target, key), None)
            by_field[target] = key
            args[key] = self.evaluate(arg.value, env)
            where[key] = (arg.key or at, at)
        return args, where

    def _extra_positional(
        self, stmt: Stmt, v: Value, env: dict[str, Any], fields: list[str], positional: list[str]
    ) -> ParseError:
        """The error for a value after the last positional argument: a misspelt activation if it is a word."""
        at, word = first_token(v), _word(v, env)
        if word is None or "activation" not in fields:
            return self.fail(self._too_many(stmt.kind.text, positional), at, "name the argument: key=value")
        choices = [*ACTIVATIONS, *ACTIVATION_ALIASES, *(("same", "valid") if "padding" in fields else ())]
        hint = _did_you_mean(word.lower(), choices) or _param_hint(v.literal, env) or (
            "a bare word after the arguments is an activation (relu, softmax, ...); or name it: key=value"
        )
        return self.fail(f"'{word}' is not a known activation", at, hint)

    @staticmethod
    def _too_many(kind: str, positional: list[str]) -> str:
        if not positional:
            return f"'{kind}' takes no positional arguments"
        return f"'{kind}' takes {len(positional)} positional argument(s) ({', '.join(positional)}), got more"

    def make_layer(self, entry: KindEntry, stmt: Stmt, env: dict[str, Any], first: list[Arg]) -> Layer:
        args, where = self.layer_args(entry, stmt, env, first)
        try:
            return build(entry.name, args)
        except CnnCalcError as exc:
            culprit = self._culprit(exc.message, where, entry, stmt)
            values = [at for _, at in where.values()]
            raise self.fail(exc.message, culprit, self._hint(exc.hint, culprit, values, env)) from None
        except (TypeError, ValueError) as exc:  # a value of a type the kind does not expect
            raise self.fail(f"invalid arguments for '{entry.name}': {exc}", stmt.kind) from None

    @staticmethod
    def _culprit(message: str, where: dict[str, tuple[Token, Token]], entry: KindEntry, stmt: Stmt) -> Token:
        """The token an argument error is about: the unknown name, or the value that breaks a rule."""
        for key, (key_tok, _) in where.items():
            if f"argument '{key}'" in message:
                return key_tok
        names = [(entry.cls.aliases.get(k, k), k) for k in where] + [(k, k) for k in where if len(k) > 1]
        for name, key in names:
            if re.search(rf"(?<![\w.]){re.escape(name)}(?![\w(])", message):
                return where[key][1]
        return stmt.kind

    @staticmethod
    def _hint(hint: str | None, culprit: Token, values: list[Token], env: dict[str, Any]) -> str | None:
        """The core's hint, or 'did you mean' a block parameter when the culprit is a value word close to one."""
        word = culprit.type == "NAME" and culprit in values and culprit.text.lower() not in KEYWORDS
        if (hint and hint.startswith("did you mean")) or not word:
            return hint
        return _param_hint(culprit.text, env) or hint

    # -- inputs and names --------------------------------------------------------------------------------------
    def inputs(self, stmt: Stmt, scope: Scope) -> list[str] | None:
        """The node names a statement reads, or None to follow the previous statement."""
        if stmt.inputs is None:
            return None
        out: list[str] = []
        for tok in stmt.inputs:
            ref = tok.value
            if ref not in scope.names and scope is not self.root and ref in self.root.names:
                raise self.fail(
                    f"unknown input '{ref}' inside a block",
                    tok,
                    "a block's body sees only its own labels and its inputs: add it to the header's "
                    f"inputs, e.g. block NAME(...) <- in, {ref}:",
                )
            if ref not in scope.names:
                known = list(scope.names)
                hint = _did_you_mean(ref, known) or (
                    "name a layer defined above" if known else "no layer is defined before this line"
                )
                raise self.fail(f"unknown input '{ref}'", tok, hint)
            out.append(scope.names[ref])
        return out

    def auto_name(self, prefix: str, base: str) -> str:
        key = prefix + base.replace("+", "_")
        while True:
            self.counts[key] = self.counts.get(key, 0) + 1
            name = f"{key}_{self.counts[key]}"
            if name not in self.taken:
                return name

    def add_node(self, name: str, layer: Layer, inputs: tuple[str, ...], stmt: Stmt) -> str:
        tok = stmt.at
        if name in self.taken:
            raise self.fail(f"two layers are named '{name}'", tok, "give each layer its own name")
        if len(self.nodes) >= MAX_NODES:
            raise self.fail(f"the network grows past {MAX_NODES} layers", tok, "lower the repetition counts")
        self.check_arity(layer, inputs, stmt)
        self.nodes.append(Node(name, layer, inputs, Source(self.file, tok.line, tok.column), tuple(self.instances),
                               tuple(self.block_kinds)))
        self.taken.add(name)
        self.root.names[name] = name
        return name

    def check_arity(self, layer: Layer, inputs: tuple[str, ...], stmt: Stmt) -> None:
        low, high = layer.arity
        n = len(inputs)
        if low <= n and (high is None or n <= high):
            return
        if n == 0:
            raise self.fail(
                f"'{stmt.kind.text}' has no input: nothing comes before it",
                stmt.kind,
                "start the network with an input line, e.g. input 32x32x3, or name its input: <- x",
            )
        want = f"{low}" if low == high else f"{low} or more" if high is None else f"{low} to {high}"
        tok = stmt.arrow or stmt.kind
        hint = (
            "an input layer reads nothing: remove '<- ...'"
            if high == 0
            else ("name the branches it joins: <- a, b" if low > 1 else "name its input(s): <- a, b")
        )
        raise self.fail(f"'{stmt.kind.text}' takes {want} input(s), got {n}", tok, hint)

    # -- statements --------------------------------------------------------------------------------------------
    def repeat_count(self, stmt: Stmt, env: dict[str, Any]) -> int | None:
        if stmt.repeat is None:
            if stmt.first or stmt.first_kind:
                tok = stmt.first_kind or stmt.first[0].key or first_token(stmt.first[0].value)
                raise self.fail("first(...) needs a repetition", tok, "write e.g. *4 first(stride=2)")
            return None
        n = self.evaluate(stmt.repeat, env)
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_REPEAT:
            raise self.fail(
                f"a repetition count must be an integer from 1 to {MAX_REPEAT}, got {n!r}", first_token(stmt.repeat)
            )
        return n

    def resolve_kind(self, tok: Token) -> tuple[BlockDef | None, KindEntry | None]:
        """A block of this program, or a registered layer kind (case-insensitive)."""
        block = self.program.blocks.get(tok.text)
        entry = None if block else KINDS.get(tok.text.lower())
        if block is None and entry is None:
            choices = list(KINDS) + list(self.program.blocks)
            raise self.fail(
                f"unknown layer kind '{tok.text}'",
                tok,
                _did_you_mean(tok.text.lower(), choices) or "run `cnncalc kinds` to list the kinds",
            )
        return block, entry

    def statement(self, stmt: Stmt, scope: Scope) -> None:
        self.text = stmt.line.text
        block, entry = self.resolve_kind(stmt.kind)
        first_kind = self.resolve_kind(stmt.first_kind) if stmt.first_kind else (block, entry)
        label = stmt.label.value if stmt.label else None
        if label is not None and (label in scope.local or (scope is self.root and label in self.taken)):
            raise self.fail(f"two layers are named '{label}'", stmt.at, "give each layer its own name")
        ins = self.inputs(stmt, scope)
        count = self.repeat_count(stmt, scope.env)
        out = scope.last
        for i in range(count or 1):
            feed = [out] if i and out else ins if ins is not None else [out] if out else []
            first = stmt.first if i == 0 else []
            name = None if label is None else scope.prefix + label + (f".{i}" if count is not None else "")
            use_block, use_entry = first_kind if i == 0 else (block, entry)
            if use_block is not None:
                out = self.use_block(use_block, stmt, scope, name, feed, first)
            else:
                assert use_entry is not None
                layer = self.make_layer(use_entry, stmt, scope.env, first)
                if isinstance(layer, Input) and ins is None:
                    feed = []
                node_name = name or self.auto_name(scope.prefix, layer.label)
                out = self.add_node(node_name, layer, tuple(feed), stmt)
            self.text = stmt.line.text
        if label is not None:
            scope.names[label] = out or ""
            scope.local.add(label)
            if scope is self.root and label not in self.taken:
                self.taken.add(label)
        scope.last = out

    # -- blocks ------------------------------------------------------------------------------------------------
    def bind(self, block: BlockDef, stmt: Stmt, env: dict[str, Any], first: list[Arg]) -> dict[str, Any]:
        """The block's parameters from a use's arguments (positional, key=value, first(...))."""
        names = [p.text for p, _ in block.params]
        values: dict[str, Any] = {}
        used = 0
        for arg in stmt.args + first:
            if arg.key is None:
                if used >= len(names):
                    raise self.fail(
                        self._too_many(block.name.text, names), first_token(arg.value), "name the argument: key=value"
                    )
                key, used = names[used], used + 1
            else:
                key = arg.key.text
                if key not in names:
                    raise self.fail(
                        f"block '{block.name.text}' has no parameter '{key}'",
                        arg.key,
                        _did_you_mean(key, names) or f"it takes: {', '.join(names) or 'nothing'}",
                    )
                if key in values and arg not in first:
                    raise self.fail(f"parameter '{key}' is given twice", arg.key)
            values[key] = self.evaluate(arg.value, env)
        return self._defaults(block, stmt, values)

    def _defaults(self, block: BlockDef, stmt: Stmt, values: dict[str, Any]) -> dict[str, Any]:
        bound: dict[str, Any] = {}
        for param, default in block.params:
            if param.text in values:
                bound[param.text] = values[param.text]
            elif default is not None:
                saved = self.text, self.context
                self.text, self.context = block.line.text, ""
                bound[param.text] = self.evaluate(default, bound)
                self.text, self.context = saved
            else:
                raise self.fail(
                    f"block '{block.name.text}' needs a value for '{param.text}'",
                    stmt.kind,
                    f"e.g. {block.name.text} " + " ".join(p.text for p, d in block.params if d is None),
                )
        return bound

    def use_block(
        self, block: BlockDef, stmt: Stmt, scope: Scope, name: str | None, feed: list[str], first: list[Arg]
    ) -> str | None:
        if block.name.text in self.stack:
            raise self.fail(f"block '{block.name.text}' uses itself", stmt.kind, "a block cannot repeat itself")
        if len(self.stack) >= MAX_BLOCK_DEPTH:
            raise self.fail(
                f"blocks nested more than {MAX_BLOCK_DEPTH} deep (block '{block.name.text}')",
                stmt.kind,
                "a block may use other blocks, up to that depth",
            )
        params = self.bind(block, stmt, scope.env, first)
        in_names = [t.text for t in block.inputs] or ["in"]
        if len(feed) != len(in_names):
            raise self.fail(
                f"block '{block.name.text}' takes {len(in_names)} input(s) ({', '.join(in_names)}), got {len(feed)}",
                stmt.arrow or stmt.kind,
                "name them: <- a, b",
            )
        prefix = (name or self.auto_name(scope.prefix, block.name.text)) + "."
        child = Scope(prefix, params, dict(zip(in_names, feed)), feed[0] if feed else None)
        saved = self.context
        self.context = f" (in block '{block.name.text}' used at line {stmt.at.line}:{stmt.at.column})" + saved
        self.stack.append(block.name.text)
        self.instances.append(prefix[:-1])
        self.block_kinds.append(block.name.text)
        for body in block.body:
            self.statement(body, child)
        self.instances.pop()
        self.block_kinds.pop()
        self.stack.pop()
        self.context = saved
        return child.last

    def build(self, default_name: str = "network") -> Network:
        for stmt in self.program.statements:
            self.statement(stmt, self.root)
        name = self.program.name.value if self.program.name else default_name
        if not any(isinstance(n.layer, Input) for n in self.nodes):
            first = self.program.statements[0] if self.program.statements else None
            line = first.line if first else self.program.name_line
            tok = first.at if first else self.program.name or Token("NAME", "", "", 1, 1)
            self.text, self.context = (line.text if line else ""), ""
            raise self.fail("the network has no input layer", tok, "start with e.g. input 32x32x3")
        try:
            return Network(tuple(self.nodes), name)
        except GraphError as exc:  # already checked above; kept so that no GraphError escapes unlocated
            raise error(exc.message, self.file, 1, 1, "", exc.hint) from None


def build_network(program: Program, file: str, default_name: str = "network") -> Network:
    """The Network of a parsed program; named by its ``network`` line, else ``default_name``."""
    return Builder(program, file).build(default_name)
