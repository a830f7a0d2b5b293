"""The .cnn grammar: lines of tokens into statements, block definitions and the network's name.

Statement:  ``[LABEL:] KIND [ARG...] [*N] [first(KEY=VALUE, ...)] [<- INPUT, ...]``
Block:      ``block NAME(PARAM, PARAM=DEFAULT, ...) [<- IN1, IN2]:`` then an indented body
Network:    ``network NAME``

A value is one whitespace-free expression (``5``, ``0.5``, ``5x5``, ``same``, ``"text"``, ``width*4``,
``(1, 2)``); inside parentheses spaces are free. Operators bind only when written without spaces at
the top level, so ``512 *4`` is the value 512 and a repetition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import ParseError
from ..kinds import KINDS
from .lexer import Line, Token, error, tokenize

KEYWORDS = {"true": True, "false": False, "none": None}
#: the most operators, minus signs and parentheses one value may hold (keeps evaluation shallow)
MAX_VALUE_PARTS = 100


@dataclass(frozen=True)
class Value:
    """An unevaluated value: a literal, a bare word, a tuple, or arithmetic on values."""

    op: str  # "lit", "word", "tuple", "neg", "+", "-", "*", "/"
    token: Token
    literal: Any = None
    items: tuple[Value, ...] = ()


@dataclass(frozen=True)
class Arg:
    key: Token | None
    value: Value


@dataclass
class Stmt:
    """One layer (or block use) statement."""

    line: Line
    label: Token | None
    kind: Token
    args: list[Arg] = field(default_factory=list)
    inputs: list[Token] | None = None
    arrow: Token | None = None
    repeat: Value | None = None
    first: list[Arg] = field(default_factory=list)
    #: first(OTHER, ...): the first copy uses another block or kind
    first_kind: Token | None = None

    @property
    def at(self) -> Token:
        return self.label or self.kind


@dataclass
class BlockDef:
    line: Line
    name: Token
    params: list[tuple[Token, Value | None]]
    inputs: list[Token]
    body: list[Stmt] = field(default_factory=list)


@dataclass
class Program:
    name: Token | None = None
    name_line: Line | None = None
    blocks: dict[str, BlockDef] = field(default_factory=dict)
    statements: list[Stmt] = field(default_factory=list)


class LineParser:
    """A recursive-descent parser over one line's tokens."""

    def __init__(self, line: Line, file: str) -> None:
        self.line, self.file = line, file
        self.toks = line.tokens
        self.i = 0
        self.parts = 0

    # -- helpers -----------------------------------------------------------------------------------------------
    def peek(self, offset: int = 0) -> Token | None:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else None

    def is_op(self, op: str, offset: int = 0) -> bool:
        tok = self.peek(offset)
        return tok is not None and tok.type == "OP" and tok.value == op

    def fail(self, message: str, tok: Token | None = None, hint: str | None = None) -> ParseError:
        col = tok.column if tok else (self.toks[-1].end if self.toks else 1)
        return error(message, self.file, self.line.number, col, self.line.text, hint)

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise self.fail("unexpected end of line")
        self.i += 1
        return tok

    def expect_op(self, op: str, hint: str | None = None) -> Token:
        tok = self.peek()
        if tok is None or tok.type != "OP" or tok.value != op:
            what = f"'{tok.text}'" if tok else "the end of the line"
            raise self.fail(f"expected '{op}', found {what}", tok, hint)
        self.i += 1
        return tok

    def name(self, what: str, strings: bool = False) -> Token:
        tok = self.peek()
        if tok is None or not (tok.type == "NAME" or (strings and tok.type == "STRING")):
            found = f"'{tok.text}'" if tok else "the end of the line"
            raise self.fail(f"expected {what}, found {found}", tok)
        self.i += 1
        return tok

    def done(self) -> bool:
        return self.i >= len(self.toks)

    # -- values ------------------------------------------------------------------------------------------------
    def _binds(self, ops: str, depth: int) -> bool:
        tok, nxt = self.peek(), self.peek(1)
        if tok is None or tok.type != "OP" or tok.value not in ops:
            return False
        return depth > 0 or (not tok.spaced and nxt is not None and not nxt.spaced)

    def count(self, tok: Token) -> None:
        """Count one operator or parenthesis of the current value; refuse absurdly long ones."""
        self.parts += 1
        if self.parts > MAX_VALUE_PARTS:
            raise self.fail(
                f"a value with more than {MAX_VALUE_PARTS} operators or parentheses", tok, hint="write a simpler value"
            )

    def value(self, depth: int = 0) -> Value:
        if depth == 0:
            self.parts = 0
        left = self.term(depth)
        while self._binds("+-", depth):
            op = self.take()
            self.count(op)
            left = Value(op.value, op, items=(left, self.term(depth)))
        return left

    def term(self, depth: int) -> Value:
        left = self.unary(depth)
        while self._binds("*/", depth):
            op = self.take()
            self.count(op)
            left = Value(op.value, op, items=(left, self.unary(depth)))
        return left

    def unary(self, depth: int) -> Value:
        if self.is_op("-"):
            op = self.take()
            self.count(op)
            nxt = self.peek()
            if nxt is not None and nxt.spaced and depth == 0:
                raise self.fail("a minus sign must touch its number, as in -1", op)
            return Value("neg", op, items=(self.unary(depth),))
        return self.atom(depth)

    def atom(self, depth: int) -> Value:
        tok = self.peek()
        if tok is None:
            raise self.fail("expected a value, found the end of the line")
        if tok.type == "OP" and tok.value == "(":
            return self.parens(depth)
        if tok.type == "OP":
            raise self.fail(f"expected a value, found '{tok.text}'", tok)
        self.i += 1
        if tok.type == "NAME":
            if tok.text.lower() in KEYWORDS:
                return Value("lit", tok, KEYWORDS[tok.text.lower()])
            return Value("word", tok, tok.text)
        return Value("lit", tok, tok.value)

    def parens(self, depth: int) -> Value:
        start = self.take()
        self.count(start)
        items: list[Value] = []
        trailing = False
        while not self.is_op(")"):
            items.append(self.value(depth + 1))
            trailing = False
            if self.is_op(","):
                self.take()
                trailing = True
            elif not self.is_op(")"):
                tok = self.peek()
                found = f"'{tok.text}'" if tok else "the end of the line"
                raise self.fail(
                    f"expected ',' or ')' in a tuple, found {found}",
                    tok,
                    hint="a tuple is written (1, 2); an unclosed '(' needs a ')'",
                )
        self.take()
        if len(items) == 1 and not trailing:
            return items[0]
        return Value("tuple", start, items=tuple(items))

    # -- statements --------------------------------------------------------------------------------------------
    def first_args(self, stmt: Stmt) -> list[Arg]:
        """``([KIND,] key=value, ...)`` after ``first``."""
        self.expect_op("(")
        args: list[Arg] = []
        if not self.is_op(")") and not self.is_op("=", 1):
            stmt.first_kind = self.name("a block or kind name")
            if not self.is_op(")"):
                self.expect_op(",")
        while not self.is_op(")"):
            key = self.name("an argument name")
            self.expect_op("=", hint="write first(key=value, ...)")
            args.append(Arg(key, self.value(1)))
            if not self.is_op(")"):
                self.expect_op(",")
        self.take()
        return args

    def repeat(self, stmt: Stmt, at: Token) -> None:
        """The repetition count after ``*`` or ``repeat=``; ``at`` is that token."""
        if stmt.repeat is not None:
            raise self.fail("the repetition is given twice", at)
        stmt.repeat = self.value()

    def argument(self, stmt: Stmt) -> None:
        tok = self.peek()
        assert tok is not None
        if tok.type == "OP" and tok.value == "*" and tok.spaced:
            self.repeat(stmt, self.take())
            return
        if tok.type == "NAME" and tok.text == "first" and self.is_op("(", 1) and not self.toks[self.i + 1].spaced:
            first = self.take()
            if stmt.first or stmt.first_kind:
                raise self.fail("first(...) is given twice", first)
            stmt.first.extend(self.first_args(stmt))
            return
        if tok.type == "NAME" and self.is_op("=", 1):
            key = self.take()
            eq = self.take()
            nxt = self.peek()
            if eq.spaced or nxt is None or nxt.spaced:
                raise self.fail("no spaces around '=' in key=value", eq, hint=f"write {key.text}=VALUE")
            if key.text.lower() == "repeat":
                self.repeat(stmt, key)
                return
            stmt.args.append(Arg(key, self.value()))
            return
        if not tok.spaced:
            raise self.fail(f"unexpected '{tok.text}'", tok, hint="separate arguments with spaces")
        stmt.args.append(Arg(None, self.value()))

    def inputs(self, stmt: Stmt) -> None:
        stmt.arrow = self.take()
        stmt.inputs = [self.name("an input layer's name", strings=True)]
        while self.is_op(","):
            self.take()
            stmt.inputs.append(self.name("an input layer's name", strings=True))
        if not self.done():
            tok = self.peek()
            raise self.fail(
                f"unexpected '{tok.text if tok else ''}' after the inputs",
                tok,
                hint="inputs are separated by commas: <- a, b",
            )

    def statement(self) -> Stmt:
        label = None
        if self.is_op(":", 1):
            label = self.name("a label", strings=True)
            self.take()
        kind = self.name("a layer kind" if label is None else f"a layer kind after '{label.text}:'")
        stmt = Stmt(self.line, label, kind)
        while not self.done():
            if self.is_op("<-"):
                self.inputs(stmt)
                break
            self.argument(stmt)
        return stmt

    def block_header(self) -> BlockDef:
        self.take()
        name = self.name("the block's name")
        params: list[tuple[Token, Value | None]] = []
        if self.is_op("("):
            self.take()
            while not self.is_op(")"):
                param = self.name("a parameter name")
                default = None
                if self.is_op("="):
                    self.take()
                    default = self.value(1)
                params.append((param, default))
                if not self.is_op(")"):
                    self.expect_op(",", hint="parameters are separated by commas")
            self.take()
        ins: list[Token] = []
        if self.is_op("<-"):
            self.take()
            ins.append(self.name("an input name"))
            while self.is_op(","):
                self.take()
                ins.append(self.name("an input name"))
        self.expect_op(":", hint="a block header ends with ':', e.g. block bottleneck(width, out):")
        if not self.done():
            raise self.fail("the block's body goes on the next lines, indented", self.peek())
        return BlockDef(self.line, name, params, ins)


def _is_block_header(line: Line) -> bool:
    toks = line.tokens
    return len(toks) >= 2 and toks[0].text == "block" and toks[1].type == "NAME"


def _is_network_decl(line: Line) -> bool:
    toks = line.tokens
    return len(toks) >= 1 and toks[0].text == "network" and not (len(toks) > 1 and toks[1].text == ":")


def _network_decl(line: Line, file: str, program: Program) -> None:
    p = LineParser(line, file)
    p.take()
    tok = p.name("the network's name", strings=True)
    if not p.done():
        raise p.fail("unexpected text after the network's name", p.peek())
    if program.name is not None:
        raise p.fail(
            "the network is named twice", line.tokens[0], hint=f"it is already named on line {program.name.line}"
        )
    program.name, program.name_line = tok, line


def _at_line(line: Line, file: str, message: str, hint: str) -> ParseError:
    return error(message, file, line.number, 1, line.text, hint)


def _body_line(line: Line, file: str, block: BlockDef | None) -> None:
    """Add an indented line to the block being defined."""
    if block is None:
        raise _at_line(line, file, "unexpected indentation", "only the body of a block is indented")
    if block.body and line.indent != block.body[0].line.indent:
        raise _at_line(
            line, file, "inconsistent indentation in a block body", "indent every line of the block's body the same way"
        )
    block.body.append(LineParser(line, file).statement())


def _at_block_name(block: BlockDef, file: str, message: str, hint: str) -> ParseError:
    return error(message, file, block.line.number, block.name.column, block.line.text, hint)


def _check_body(block: BlockDef | None, file: str) -> None:
    if block is not None and not block.body:
        empty = f"block '{block.name.text}' has an empty body"
        raise _at_block_name(block, file, empty, "indent the block's statements under its header")


def parse_program(text: str, file: str) -> Program:
    """The program's statements and blocks, checked for syntax only."""
    program = Program()
    block: BlockDef | None = None
    for line in tokenize(text, file):
        if line.indent:
            _body_line(line, file, block)
            continue
        _check_body(block, file)
        block = None
        if _is_network_decl(line):
            _network_decl(line, file, program)
        elif _is_block_header(line):
            block = _block(line, file, program)
        else:
            program.statements.append(LineParser(line, file).statement())
    _check_body(block, file)
    return program


def _block(line: Line, file: str, program: Program) -> BlockDef:
    block = LineParser(line, file).block_header()
    name = block.name.text
    if name.lower() in KINDS:
        kind = f"block '{name}' has the name of a built-in layer kind"
        raise _at_block_name(block, file, kind, f"choose another name, e.g. {name}_block")
    if name in program.blocks:
        first = program.blocks[name].line.number
        raise _at_block_name(block, file, f"block '{name}' is defined twice", f"it was first defined on line {first}")
    program.blocks[name] = block
    return block
