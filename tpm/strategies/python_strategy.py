"""Strategies written in Python, for what the rule language cannot say.

A strategy is a class in a .py file in the strategies folder, subclassing `PythonStrategy`:

    from tpm.strategies import PythonStrategy

    class Breakout(PythonStrategy):
        name = "breakout"
        symbols = ("NVDA",)
        timeframe = "1d"

        def on_bar(self, bar, ctx):
            closes = self.closes(bar.symbol)
            if len(closes) > 20 and bar.close > closes[-21:-1].max():
                return [self.target(bar.symbol, 100, "20-bar high")]
            return []

The same runner runs it as it runs strategy files: it sees closed bars only, every target goes
through the risk checks, and `tpm backtest` runs it on history as live trading does. Hooks:
`on_bar` (a closed bar of one of its symbols), `on_score` (new pillar scores of one of its
symbols), `on_fill` (a fill of one of its own orders) and `on_start` (after warm-up). Each
returns the target positions it wants now, or nothing.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Sequence
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from tpm.domain import Bar, Fill, Score, Timeframe, to_decimal
from tpm.strategies.base import StrategyContext, TargetPosition

__all__ = ["PythonStrategy"]

_NAME = re.compile(r"[\w.-]{1,64}")
_FIELDS = ("open", "high", "low", "close", "volume")


class PythonStrategy:
    """The base of a Python strategy: its hooks do nothing until overridden."""

    name: str = ""
    """Its orders carry it: letters, digits, '.', '-' and '_'."""
    symbols: tuple[str, ...] = ()
    timeframe: Timeframe = Timeframe.D1
    """The bars it decides on: a Timeframe or its name ("1m", "1h", "1d", ...)."""
    history: int = 1000
    """How many closed bars per symbol `bars`/`closes` keep."""

    def __init__(self) -> None:
        cls = type(self).__name__
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise ValueError(
                f"{cls}.name: {self.name!r} is not a name (letters, digits, '.', '-', '_')"
            )
        if isinstance(self.symbols, str) or not self.symbols:
            raise ValueError(f'{cls}.symbols: give the symbols it trades, e.g. ("NVDA",)')
        self.symbols = tuple(str(s) for s in self.symbols)
        try:
            self.timeframe = Timeframe(self.timeframe)
        except ValueError:
            known = ", ".join(t.value for t in Timeframe)
            raise ValueError(f"{cls}.timeframe: {self.timeframe!r} is not one of {known}") from None
        self._bars: dict[str, deque[Bar]] = {s: deque(maxlen=self.history) for s in self.symbols}

    # -- what the runner calls ------------------------------------------------------------

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> Sequence[TargetPosition]:
        return ()

    def on_score(self, score: Score, ctx: StrategyContext) -> Sequence[TargetPosition]:
        return ()

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> Sequence[TargetPosition]:
        return ()

    def on_start(self, ctx: StrategyContext) -> Sequence[TargetPosition]:
        return ()

    # -- helpers ----------------------------------------------------------------------------

    def remember(self, bar: Bar) -> None:
        """Keep `bar` in its symbol's history (the runner does this before `on_bar`)."""
        kept = self._bars.get(bar.symbol)
        if kept is not None:
            kept.append(bar)

    def bars(self, symbol: str) -> list[Bar]:
        """The closed bars of `symbol` seen so far (at most `history`), oldest first."""
        return list(self._bars.get(symbol, ()))

    def column(self, symbol: str, field: str) -> npt.NDArray[np.float64]:
        """One field of the bars seen ("open", "high", "low", "close", "volume") as an array,
        ready for tpm.analysis.indicators."""
        if field not in _FIELDS:
            raise ValueError(f"no bar field {field!r}: one of {', '.join(_FIELDS)}")
        kept = self._bars.get(symbol, ())
        return np.fromiter((getattr(b, field) for b in kept), np.float64, len(kept))

    def closes(self, symbol: str) -> npt.NDArray[np.float64]:
        return self.column(symbol, "close")

    def target(self, symbol: str, qty: float | int | Decimal, reason: str = "") -> TargetPosition:
        """The position wanted in `symbol` (signed: negative is short, 0 is flat)."""
        return TargetPosition(symbol, to_decimal(qty), reason)
