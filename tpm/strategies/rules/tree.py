"""The tree a strategy expression parses into: plain values, no behaviour but a few questions."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "PILLARS",
    "SERIES",
    "STATE",
    "Ago",
    "Binary",
    "Call",
    "Name",
    "Node",
    "Num",
    "Unary",
    "is_stateful",
    "reads_any",
]

SERIES = ("open", "high", "low", "close", "volume")
"""The bar's own series."""
PILLARS = ("score", "technical", "fundamental", "sentiment")
"""The symbol's scores (0-100) as they stood at each bar's close; NaN where none was known."""
STATE = ("position", "entry_price", "bars_held")
"""The strategy's own state at the bar: signed quantity held, average entry price (NaN when
flat) and closed bars since the position was opened (0 when flat)."""


@dataclass(frozen=True, slots=True)
class Num:
    value: float
    at: int


@dataclass(frozen=True, slots=True)
class Name:
    """A series (`close`), a pillar (`score`) or the strategy's state (`position`)."""

    name: str
    at: int


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Node, ...]
    at: int


@dataclass(frozen=True, slots=True)
class Ago:
    """`x[k]`: the value of x k closed bars before."""

    x: Node
    bars: int
    at: int


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "-" or "not"
    x: Node
    at: int


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # + - * / < <= > >= == != and or
    left: Node
    right: Node
    at: int


Node = Num | Name | Call | Ago | Unary | Binary


def reads_any(node: Node, names: tuple[str, ...]) -> bool:
    """Whether `node` reads any of the series `names`."""
    match node:
        case Name(name=name):
            return name in names
        case Unary(x=x) | Ago(x=x):
            return reads_any(x, names)
        case Binary(left=left, right=right):
            return reads_any(left, names) or reads_any(right, names)
        case Call(args=args):
            return any(reads_any(a, names) for a in args)
    return False


def is_stateful(node: Node) -> bool:
    """Whether `node` reads the strategy's state (so it is known one bar at a time only)."""
    return reads_any(node, STATE)
