"""Evaluating an expression tree over one symbol's closed bars.

What depends on the bars alone is computed over the whole series at once (every indicator is
causal: its value at a bar uses that bar and earlier ones only, so this looks no further ahead
than a bar-by-bar loop would). What reads the strategy's state (position, entry_price,
bars_held) is known one bar at a time; `at` combines the two for one bar.

Numbers are floats; a condition is 1.0 (true) or 0.0 (false); NaN, the value of an indicator
during its warm-up or of a score never computed, is false in a condition and makes every
comparison with it false.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from tpm.analysis.indicators_recursion import FloatArray
from tpm.strategies.rules.functions import FUNCTIONS, Columns
from tpm.strategies.rules.tree import (
    PILLARS,
    Ago,
    Binary,
    Call,
    Name,
    Node,
    Num,
    Unary,
    is_stateful,
)

__all__ = ["Evaluation", "State", "is_true", "truth"]


@dataclass(frozen=True, slots=True)
class State:
    """The strategy's own position in the symbol at a bar."""

    position: float = 0.0
    entry_price: float = float("nan")
    bars_held: int = 0


def is_true(x: float) -> bool:
    """`truth` of one value, without numpy's machinery (a decision asks it on every bar)."""
    return x != 0.0 and not math.isnan(x)


def truth(x: Any) -> Any:
    """Condition value(s) of `x`: non-zero and not NaN."""
    with np.errstate(invalid="ignore"):
        return np.logical_and(np.not_equal(x, 0.0), np.logical_not(np.isnan(x)))


def _apply(op: str, left: Any, right: Any) -> Any:
    """One binary operator, on whole arrays or on single values alike."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        match op:
            case "+":
                return np.add(left, right)
            case "-":
                return np.subtract(left, right)
            case "*":
                return np.multiply(left, right)
            case "/":
                return np.divide(left, right)
            case "and":
                return np.logical_and(truth(left), truth(right)).astype(np.float64)
            case "or":
                return np.logical_or(truth(left), truth(right)).astype(np.float64)
            case "!=":
                known = np.logical_not(np.isnan(left) | np.isnan(right))
                return np.logical_and(np.not_equal(left, right), known).astype(np.float64)
            case _:
                compare = {
                    "<": np.less,
                    "<=": np.less_equal,
                    ">": np.greater,
                    ">=": np.greater_equal,
                    "==": np.equal,
                }[op]
                return compare(left, right).astype(np.float64)


class Evaluation:
    """One expression over one symbol's bars (`columns`: open, high, low, close, volume, and
    the pillars where known, all of one length)."""

    def __init__(self, tree: Node, columns: Columns) -> None:
        self.tree = tree
        self._stateful = _stateful_nodes(tree)
        self.stateful = tree in self._stateful
        self._columns = columns
        self._size = len(columns["close"])
        self._cache: dict[Node, FloatArray] = {}
        self._whole: FloatArray | None = None
        """The whole expression's series, kept apart: a tree's hash walks the whole tree."""

    def series(self, node: Node | None = None) -> FloatArray:
        """`node` (by default the whole expression) at every bar; it must not read the state."""
        node = self.tree if node is None else node
        cached = self._cache.get(node)
        if cached is None:
            cached = self._cache[node] = np.asarray(self._compute(node), dtype=np.float64)
        return cached

    def _compute(self, node: Node) -> Any:
        match node:
            case Num(value=value):
                return np.full(self._size, value)
            case Name(name=name):
                if name in self._columns:
                    return self._columns[name]
                if name in PILLARS:
                    return np.full(self._size, np.nan)
                raise ValueError(f"{name} needs the strategy's state: evaluate it with at()")
            case Ago(x=x, bars=bars):
                out = np.full(self._size, np.nan)
                if bars < self._size:
                    out[bars:] = self.series(x)[: self._size - bars]
                return out
            case Unary(op="-", x=x):
                return np.negative(self.series(x))
            case Unary(x=x):
                return np.logical_not(truth(self.series(x))).astype(np.float64)
            case Binary(op=op, left=left, right=right):
                return _apply(op, self.series(left), self.series(right))
            case Call(name=name, args=args):
                fn = FUNCTIONS[name]
                values = [
                    self.series(a) if p.kind.name == "SERIES" else _literal(a)
                    for p, a in zip(fn.params, args, strict=True)
                ]
                return fn.run(self._columns, *values)
        raise TypeError(f"not an expression node: {node!r}")

    def at(self, i: int, state: State) -> float:
        """The expression at bar `i`, the strategy holding `state` there."""
        if not self.stateful:
            if self._whole is None:
                self._whole = self.series()
            return float(self._whole[i])
        return float(self._at(self.tree, i, state))

    def _at(self, node: Node, i: int, state: State) -> Any:
        if node not in self._stateful:
            return self.series(node)[i]
        match node:
            case Name(name=name):
                return np.float64(getattr(state, name))
            case Unary(op="-", x=x):
                return -self._at(x, i, state)
            case Unary(x=x):
                return np.float64(not truth(self._at(x, i, state)))
            case Binary(op=op, left=left, right=right):
                return _apply(op, self._at(left, i, state), self._at(right, i, state))
        raise TypeError(f"{node!r} cannot read the strategy's state")


def _stateful_nodes(tree: Node) -> set[Node]:
    """The nodes of `tree` that read the strategy's state (found once, asked on every bar)."""
    found: set[Node] = set()

    def visit(node: Node) -> bool:
        match node:
            case Unary(x=x) | Ago(x=x):
                reads = visit(x)
            case Binary(left=left, right=right):
                reads = visit(left) | visit(right)
            case Call(args=args):
                reads = any([visit(a) for a in args])
            case _:
                reads = is_stateful(node)
        if reads:
            found.add(node)
        return reads

    visit(tree)
    return found


def _literal(node: Node) -> float | int:
    assert isinstance(node, Num)  # the parser checks that periods and factors are literals
    return int(node.value) if node.value.is_integer() else node.value
