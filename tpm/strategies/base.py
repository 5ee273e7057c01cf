"""The contract between strategies and the runner."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, runtime_checkable

from tpm.domain import Bar, Fill, Instrument, Score, Timeframe

__all__ = ["Reactive", "Strategy", "StrategyContext", "TargetPosition"]


@dataclass(frozen=True, slots=True)
class TargetPosition:
    """The position a strategy wants in `symbol` (signed; 0 = flat), and why."""

    symbol: str
    qty: Decimal
    reason: str = ""


class StrategyContext(Protocol):
    """What a strategy may read about the account and the market. It cannot place orders."""

    def equity(self) -> Decimal: ...

    def position(self, symbol: str) -> Decimal: ...

    def entry_price(self, symbol: str) -> float:
        """The average price of the open position in `symbol` (NaN when flat)."""
        ...

    def price(self, symbol: str) -> float: ...

    def instrument(self, symbol: str) -> Instrument | None: ...


class Strategy(Protocol):
    """Decides on closed bars only; the runner turns targets into orders through risk checks."""

    name: str
    symbols: tuple[str, ...]
    timeframe: Timeframe

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> Sequence[TargetPosition]:
        """React to one closed bar of a subscribed symbol."""
        ...

    def on_start(self, ctx: StrategyContext) -> Sequence[TargetPosition]:
        """After warm-up on history: the positions wanted now."""
        ...


@runtime_checkable
class Reactive(Protocol):
    """A strategy that also hears its symbols' scores and its own fills, and keeps the bars
    it has seen (Python strategies, tpm.strategies.python_strategy)."""

    def remember(self, bar: Bar) -> None:
        """Keep `bar` in the strategy's history; called before `on_bar`."""
        ...

    def on_score(self, score: Score, ctx: StrategyContext) -> Sequence[TargetPosition]: ...

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> Sequence[TargetPosition]: ...
