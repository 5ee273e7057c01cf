"""The built-in demo: long while the fast moving average is above the slow one; below it,
short (or flat when shorting is off). Always having a view makes a fresh install trade at once."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from tpm.analysis.streaming import StreamingSMA
from tpm.domain import Bar, Timeframe, quantize_qty, to_decimal
from tpm.strategies.base import StrategyContext, TargetPosition

__all__ = ["MovingAverageTrend"]


class MovingAverageTrend:
    """A moving-average trend follower, sized as a percent of equity per symbol."""

    def __init__(
        self,
        symbols: Sequence[str],
        *,
        timeframe: Timeframe = Timeframe.M1,
        fast: int = 10,
        slow: int = 30,
        percent_equity: float = 5.0,
        allow_short: bool = True,
        name: str = "demo-ma-trend",
    ) -> None:
        if fast >= slow:
            raise ValueError(f"fast ({fast}) must be shorter than slow ({slow})")
        self.name = name
        self.symbols = tuple(symbols)
        self.timeframe = timeframe
        self.fast_n, self.slow_n = fast, slow
        self._fraction = to_decimal(percent_equity) / 100
        self.allow_short = allow_short
        self._fast = {s: StreamingSMA(fast) for s in self.symbols}
        self._slow = {s: StreamingSMA(slow) for s in self.symbols}
        self._is_long: dict[str, bool | None] = dict.fromkeys(self.symbols)

    def _size(self, symbol: str, ctx: StrategyContext) -> Decimal:
        price = ctx.price(symbol)
        inst = ctx.instrument(symbol)
        if inst is None or not math.isfinite(price) or price <= 0:
            return Decimal(0)
        return quantize_qty(ctx.equity() * self._fraction / to_decimal(price), inst.lot_size)

    def _target(self, symbol: str, ctx: StrategyContext) -> TargetPosition:
        fast, slow = self._fast[symbol].value, self._slow[symbol].value
        if self._is_long[symbol]:
            return TargetPosition(
                symbol,
                self._size(symbol, ctx),
                f"SMA{self.fast_n} {fast:.2f} above SMA{self.slow_n} {slow:.2f}",
            )
        why = f"SMA{self.fast_n} {fast:.2f} below SMA{self.slow_n} {slow:.2f}"
        if self.allow_short:
            return TargetPosition(symbol, -self._size(symbol, ctx), why)
        return TargetPosition(symbol, Decimal(0), why)

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> Sequence[TargetPosition]:
        s = bar.symbol
        if s not in self._fast:
            return ()
        fast = self._fast[s].update(bar.close)
        slow = self._slow[s].update(bar.close)
        if math.isnan(slow):
            return ()
        is_long = fast > slow
        was = self._is_long[s]
        self._is_long[s] = is_long
        if was is None or was == is_long:
            return ()
        return (self._target(s, ctx),)

    def on_start(self, ctx: StrategyContext) -> Sequence[TargetPosition]:
        return tuple(self._target(s, ctx) for s in self.symbols if self._is_long[s] is not None)
