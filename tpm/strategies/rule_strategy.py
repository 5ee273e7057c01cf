"""A strategy file running live: each closed bar joins the symbol's history, the file's
expressions are evaluated at that bar, and `decide` says what position is wanted."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

import numpy as np

from tpm.domain import Bar, Fill, Score, Timeframe
from tpm.strategies.base import StrategyContext, TargetPosition
from tpm.strategies.decide import Holding, Signal, decide, whole_lots
from tpm.strategies.pillars import LivePillars, pillars_read
from tpm.strategies.rules import FUNCTIONS, Evaluation
from tpm.strategies.rules.functions import Columns
from tpm.strategies.rules.tree import PILLARS
from tpm.strategies.spec import StrategySpec

__all__ = ["BarHistory", "RuleStrategy"]

_FIELDS = ("open", "high", "low", "close", "volume")
KEEP_BARS = 10_000
"""Closed bars a live rule strategy evaluates over (between this and twice this)."""


class BarHistory:
    """One symbol's closed bars as columns, with its pillars at each close when the strategy
    reads them. Written in place into arrays, so that each bar's evaluation reads views rather
    than converting the whole history again."""

    def __init__(self, pillars: LivePillars | None = None) -> None:
        self._pillars = pillars
        self._names = _FIELDS + (PILLARS if pillars is not None else ())
        self._columns = {f: np.empty(256, dtype=np.float64) for f in self._names}
        self._n = 0

    def append(self, bar: Bar) -> None:
        row = dict(zip(_FIELDS, (bar.open, bar.high, bar.low, bar.close, bar.volume), strict=True))
        if self._pillars is not None:
            row.update(self._pillars.close(bar.open, bar.high, bar.low, bar.close, bar.volume))
        n = self._n
        if n == len(self._columns["close"]):
            if n >= 2 * KEEP_BARS:
                # Each bar re-evaluates the whole history: keep it bounded (the longest lookback
                # of any function is far shorter, and recursive averages have long converged).
                for column in self._columns.values():
                    column[:KEEP_BARS] = column[n - KEEP_BARS : n]
                n = KEEP_BARS
            else:
                grown = min(2 * n, 2 * KEEP_BARS)
                self._columns = {
                    f: np.concatenate((c, np.empty(grown - n, dtype=np.float64)))
                    for f, c in self._columns.items()
                }
        for f, value in row.items():
            self._columns[f][n] = value
        self._n = n + 1

    def __len__(self) -> int:
        return self._n

    def columns(self) -> Columns:
        return {f: c[: self._n] for f, c in self._columns.items()}


class RuleStrategy:
    """The Strategy (tpm.strategies.base) a strategy file describes."""

    def __init__(self, spec: StrategySpec) -> None:
        self.spec = spec
        self.name = spec.name
        self.symbols = spec.strategy.symbols
        self.timeframe = Timeframe(spec.strategy.timeframe)
        self._entry, self._exit = spec.trees()
        self._pillars = (
            {s: LivePillars(s) for s in self.symbols}
            if pillars_read(self._entry, self._exit)
            else {}
        )
        self._history = {s: BarHistory(self._pillars.get(s)) for s in self.symbols}
        self._holding = {s: Holding() for s in self.symbols}
        self.last_signal: dict[str, Signal] = {}
        """The latest wish per symbol, for the screens."""

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> Sequence[TargetPosition]:
        history = self._history.get(bar.symbol)
        if history is None:
            return ()
        history.append(bar)
        cols = history.columns()
        i = len(history) - 1
        position = ctx.position(bar.symbol)
        signal = decide(
            self.spec,
            i,
            Evaluation(self._entry, cols),
            None if self._exit is None else Evaluation(self._exit, cols),
            close=bar.close,
            atr=self._atr(cols, i),
            position=float(position),
            entry_price=ctx.entry_price(bar.symbol),
            equity=float(ctx.equity()),
            holding=self._holding[bar.symbol],
        )
        if signal is None:
            return ()
        self.last_signal[bar.symbol] = signal
        inst = ctx.instrument(bar.symbol)
        target = whole_lots(signal.target, position, Decimal(1) if inst is None else inst.lot_size)
        return () if target is None else (TargetPosition(bar.symbol, target, signal.reason),)

    def _atr(self, cols: Columns, i: int) -> float:
        if not self.spec.size.atr_stop:
            return math.nan
        return float(FUNCTIONS["atr"].run(cols, self.spec.size.atr_period)[i])

    def on_start(self, ctx: StrategyContext) -> Sequence[TargetPosition]:
        """Signals are events at a bar's close: none is pending at the start."""
        return ()

    # Reactive (tpm.strategies.base): the engine's scores feed the pillars it reads.

    def remember(self, bar: Bar) -> None:
        """The history is kept in on_bar."""

    def on_score(self, score: Score, ctx: StrategyContext) -> Sequence[TargetPosition]:
        pillars = self._pillars.get(score.symbol)
        if pillars is not None:
            pillars.hear(score)
        return ()  # it decides at bar closes only

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> Sequence[TargetPosition]:
        return ()
