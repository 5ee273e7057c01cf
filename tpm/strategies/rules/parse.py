"""Strategy expressions: text to tree, by recursive descent; never eval or exec.

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?
    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/") unary)*
    unary   := "-" unary | postfix
    postfix := atom ("[" whole number "]")*
    atom    := number | name | name "(" [expr ("," expr)*] ")" | "(" expr ")"

Every mistake is a RuleError naming the expression, the position and what was expected there.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from tpm.errors import RuleError
from tpm.strategies.rules.functions import FUNCTIONS, Kind
from tpm.strategies.rules.tree import (
    PILLARS,
    SERIES,
    STATE,
    Ago,
    Binary,
    Call,
    Name,
    Node,
    Num,
    Unary,
    is_stateful,
)

__all__ = ["parse_expression", "reserved"]

_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_]\w*)"
    r"|(?P<op><=|>=|==|!=|[-+*/<>()\[\],]))"
)
_KEYWORDS = ("and", "or", "not")
_COMPARE = ("<", "<=", ">", ">=", "==", "!=")
_NAMES = SERIES + PILLARS + STATE
_EXPECT_VALUE = "expected a number, a series such as close, a function call or '('"


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # num, name, op, end
    text: str
    at: int

    def show(self) -> str:
        return "the end of the expression" if self.kind == "end" else f"'{self.text}'"


def _tokens(text: str) -> list[_Token]:
    out, at = [], 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            out.append(_Token("end", "", at))
            return out
        m = _TOKEN.match(text, at)
        if m is None or m.lastgroup is None:
            raise RuleError(text, at, f"unexpected character '{text[at]}'")
        kind = m.lastgroup
        out.append(_Token(kind, m.group(kind), m.start(kind)))
        at = m.end()


def parse_expression(text: str, params: Mapping[str, float] | None = None) -> Node:
    """The tree of `text`; a RuleError says where and why it does not parse. A name in
    `params` (a strategy's [params], which optimisation varies) stands for its number."""
    return _Parser(text, params or {}).parse()


class _Parser:
    def __init__(self, text: str, params: Mapping[str, float]) -> None:
        self.text = text
        self.params = params
        self.toks = _tokens(text)
        self.i = 0

    @property
    def tok(self) -> _Token:
        return self.toks[self.i]

    def fail(self, problem: str, tok: _Token | None = None) -> RuleError:
        return RuleError(self.text, (tok or self.tok).at, problem)

    def take(self, *texts: str) -> _Token | None:
        tok = self.tok
        if tok.kind in ("op", "name") and tok.text in texts:
            self.i += 1
            return tok
        return None

    def expect(self, text: str, what: str) -> _Token:
        tok = self.take(text)
        if tok is None:
            raise self.fail(f"expected {what}, got {self.tok.show()}")
        return tok

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise self.fail(f"the expression is empty: {_EXPECT_VALUE}")
        node = self.or_()
        if self.tok.kind != "end":
            raise self.fail(
                f"expected an operator or the end of the expression, got {self.tok.show()}"
            )
        return node

    def or_(self) -> Node:
        node = self.and_()
        while tok := self.take("or"):
            node = Binary("or", node, self.and_(), tok.at)
        return node

    def and_(self) -> Node:
        node = self.not_()
        while tok := self.take("and"):
            node = Binary("and", node, self.not_(), tok.at)
        return node

    def not_(self) -> Node:
        if tok := self.take("not"):
            return Unary("not", self.not_(), tok.at)
        return self.compare()

    def compare(self) -> Node:
        node = self.sum()
        if tok := self.take(*_COMPARE):
            node = Binary(tok.text, node, self.sum(), tok.at)
            if self.tok.text in _COMPARE and self.tok.kind == "op":
                raise self.fail("comparisons do not chain: join them with 'and'")
        return node

    def sum(self) -> Node:
        node = self.product()
        while tok := self.take("+", "-"):
            node = Binary(tok.text, node, self.product(), tok.at)
        return node

    def product(self) -> Node:
        node = self.unary()
        while tok := self.take("*", "/"):
            node = Binary(tok.text, node, self.unary(), tok.at)
        return node

    def unary(self) -> Node:
        if tok := self.take("-"):
            return Unary("-", self.unary(), tok.at)
        return self.postfix()

    def postfix(self) -> Node:
        node = self.atom()
        while tok := self.take("["):
            k = self.tok
            if k.kind != "num" or not _is_whole(k.text):
                raise self.fail(
                    f"expected how many bars ago, a whole number such as 1, got {k.show()}"
                )
            self.i += 1
            self.expect("]", "']'")
            if is_stateful(node):
                raise self.fail(
                    "position, entry_price and bars_held are known for the current bar only: "
                    "they take no [bars ago]",
                    tok,
                )
            node = Ago(node, int(k.text), tok.at)
        return node

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "num":
            self.i += 1
            return Num(float(tok.text), tok.at)
        if tok.kind == "op" and tok.text == "(":
            self.i += 1
            node = self.or_()
            self.expect(")", "')' to close the '(' at " + str(tok.at + 1))
            return node
        if tok.kind == "name" and tok.text not in _KEYWORDS:
            self.i += 1
            if self.take("("):
                return self.call(tok)
            return self.name(tok)
        raise self.fail(f"{_EXPECT_VALUE}, got {tok.show()}")

    def name(self, tok: _Token) -> Node:
        if tok.text in self.params:
            return Num(float(self.params[tok.text]), tok.at)
        if tok.text in _NAMES:
            return Name(tok.text, tok.at)
        if tok.text in FUNCTIONS:
            sig = FUNCTIONS[tok.text].signature
            raise self.fail(f"{tok.text} is a function: write {tok.text}({sig})", tok)
        raise self.fail(f"unknown name '{tok.text}'{_suggest(tok.text, self.params)}", tok)

    def call(self, tok: _Token) -> Node:
        name = tok.text
        if name in _NAMES:
            raise self.fail(f"{name} is a series, not a function", tok)
        fn = FUNCTIONS.get(name)
        if fn is None:
            raise self.fail(f"unknown function '{name}'{_suggest(name, self.params)}", tok)
        args: list[tuple[Node, _Token]] = []
        if not self.take(")"):
            while True:
                start = self.tok
                args.append((self.or_(), start))
                if self.take(")"):
                    break
                self.expect(",", "',' or ')'")
        required = sum(1 for p in fn.params if p.default is None)
        if not required <= len(args) <= len(fn.params):
            count = (
                f"{required}" if required == len(fn.params) else f"{required} to {len(fn.params)}"
            )
            raise self.fail(
                f"{name}({fn.signature}) takes {count} argument{'s' if count != '1' else ''}, "
                f"got {len(args)}",
                tok,
            )
        nodes: list[Node] = []
        for param, (arg, start) in zip(fn.params, args, strict=False):
            if param.kind is Kind.SERIES:
                if is_stateful(arg):
                    raise self.fail(
                        f"{param.name} of {name} reads the position, which is known for the "
                        "current bar only: compare it outside the function",
                        start,
                    )
                nodes.append(arg)
                continue
            value = arg.value if isinstance(arg, Num) else None
            if value is None or (param.kind is Kind.PERIOD and (value < 1 or value != int(value))):
                raise self.fail(f"{param.name} of {name} must be {param.kind.value}", start)
            nodes.append(arg)
        nodes.extend(
            Num(float(p.default), tok.at) for p in fn.params[len(args) :] if p.default is not None
        )
        return Call(name, tuple(nodes), tok.at)


def _is_whole(text: str) -> bool:
    return text.isdigit()


def reserved(name: str) -> bool:
    """Whether `name` is taken by the language (a series, a function or a keyword)."""
    return name in _NAMES or name in FUNCTIONS or name in _KEYWORDS


def _suggest(word: str, params: Mapping[str, float]) -> str:
    close = difflib.get_close_matches(word, [*_NAMES, *FUNCTIONS, *params], n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
