"""What a strategy file decides at one closed bar. Backtests and live trading both call this, so
a strategy trades the same way in both: only where the bars and the position come from differs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from tpm.domain import ZERO, quantize_qty, to_decimal
from tpm.strategies.rules.evaluate import Evaluation, State, is_true
from tpm.strategies.spec import StrategySpec

__all__ = ["Holding", "Signal", "decide", "next_decision", "whole_lots"]

_CHUNK = 4096
"""Bars scanned at once when looking for the next bar a stop could act on."""


@dataclass(slots=True)
class Holding:
    """What the strategy keeps of its own position in one symbol from bar to bar."""

    entries: int = 0
    bars_held: int = 0
    best: float = math.nan
    """The best close since the position opened (highest long, lowest short)."""

    def skip(self, closes: npt.NDArray[np.float64], position: float) -> None:
        """What `decide` does to the holding on bars where it decides nothing: `closes` are
        those bars', the position unchanged over them."""
        if position == 0:
            self.entries, self.bars_held, self.best = 0, 0, math.nan
        elif len(closes):
            self.bars_held += len(closes)
            self.entries = max(self.entries, 1)
            extreme = float(closes.max() if position > 0 else closes.min())
            better = max if position > 0 else min
            self.best = extreme if math.isnan(self.best) else better(self.best, extreme)


_UNREAD = State()
"""What conditions that never read the strategy's state are given instead of it."""


@dataclass(frozen=True, slots=True)
class Signal:
    """The position wanted after bar i (signed quantity, unrounded) and why."""

    target: float
    reason: str


def decide(
    spec: StrategySpec,
    i: int,
    entry: Evaluation,
    exit_: Evaluation | None,
    *,
    close: float,
    atr: float,
    position: float,
    entry_price: float,
    equity: float,
    holding: Holding,
) -> Signal | None:
    """The strategy's wish at closed bar `i`, or None to leave the position as it is.

    `position` and `entry_price` are what the account holds once bar i closed; `holding` is
    updated here. An exit (a stop or the exit condition) closes the whole position and wins
    over an entry on the same bar; an entry while a position is open adds to it only up to
    entry.pyramiding entries.
    """
    direction = 1.0 if spec.entry.side == "long" else -1.0
    if position == 0:
        holding.entries, holding.bars_held, holding.best = 0, 0, math.nan
    else:
        holding.bars_held += 1
        holding.entries = max(holding.entries, 1)
        better = max if position > 0 else min
        holding.best = close if math.isnan(holding.best) else better(holding.best, close)
    reads_state = entry.stateful or (exit_ is not None and exit_.stateful)
    state = State(position, entry_price, holding.bars_held) if reads_state else _UNREAD
    if position != 0:
        if why := _stopped(spec, close, position, entry_price, holding.best):
            return Signal(0.0, why)
        if exit_ is not None and is_true(exit_.at(i, state)):
            return Signal(0.0, f"exit: {spec.exit.when}")
    if not is_true(entry.at(i, state)):
        return None
    if position != 0 and (position * direction < 0 or holding.entries >= spec.entry.pyramiding):
        return None
    qty = _size(spec, close, atr, equity)
    if not qty > 0:
        return None
    holding.entries += 1
    return Signal(position + direction * qty, f"entry: {spec.entry.when}")


def _stopped(
    spec: StrategySpec, close: float, position: float, entry_price: float, best: float
) -> str:
    """Which stop the close hit, if any ('' for none)."""
    r = spec.risk
    move = (close / entry_price - 1.0) * (1.0 if position > 0 else -1.0) * 100.0
    if r.stop_loss_pct is not None and move <= -r.stop_loss_pct:
        return f"stop loss: {move:+.2f}% from the entry at {entry_price:g}"
    if r.take_profit_pct is not None and move >= r.take_profit_pct:
        return f"take profit: {move:+.2f}% from the entry at {entry_price:g}"
    if r.trailing_stop_pct is not None and not math.isnan(best):
        back = (close / best - 1.0) * (1.0 if position > 0 else -1.0) * 100.0
        if back <= -r.trailing_stop_pct:
            return f"trailing stop: {back:+.2f}% from the best close {best:g}"
    return ""


def _size(spec: StrategySpec, close: float, atr: float, equity: float) -> float:
    """The quantity of one entry at `close` (NaN when it cannot be known yet)."""
    s = spec.size
    if s.qty is not None:
        return s.qty
    if not close > 0:
        return math.nan
    if s.percent_equity is not None:
        return equity * s.percent_equity / 100.0 / close
    assert s.risk_percent is not None
    distance = s.atr_stop * atr if s.atr_stop else close * (spec.risk.stop_loss_pct or 0) / 100
    return equity * s.risk_percent / 100.0 / distance if distance > 0 else math.nan


def next_decision(
    spec: StrategySpec,
    start: int,
    *,
    entries: npt.NDArray[np.intp] | None,
    exits: npt.NDArray[np.intp] | None,
    closes: npt.NDArray[np.float64],
    position: float,
    entry_price: float,
    holding: Holding,
) -> int:
    """The first bar from `start` at which `decide` could act (len(closes) if none).

    `entries` and `exits` are the bars where the entry and exit conditions hold, ascending,
    or None when the condition reads the strategy's state (then any bar could act). Nothing
    here decides: `decide` runs on the bar found, and on the bars before it would have
    returned None (a backtest calls `Holding.skip` for them).
    """
    end = len(closes)
    if start >= end:
        return end
    if position == 0:
        return _first(entries, start, end)
    direction = 1.0 if spec.entry.side == "long" else -1.0
    adding = position * direction > 0 and holding.entries < spec.entry.pyramiding
    found = min(
        _first(exits, start, end) if spec.exit.when else end,
        _first(entries, start, end) if adding else end,
    )
    return min(found, _first_stop(spec, start, found, closes, position, entry_price, holding))


def _first(bars: npt.NDArray[np.intp] | None, start: int, end: int) -> int:
    if bars is None:
        return start
    at = int(np.searchsorted(bars, start))
    return int(bars[at]) if at < len(bars) and bars[at] < end else end


def _first_stop(
    spec: StrategySpec,
    start: int,
    end: int,
    closes: npt.NDArray[np.float64],
    position: float,
    entry_price: float,
    holding: Holding,
) -> int:
    """The first bar in [start, end) whose close reaches a stop, by `_stopped`'s arithmetic."""
    r = spec.risk
    if r.stop_loss_pct is None and r.take_profit_pct is None and r.trailing_stop_pct is None:
        return end
    sign = 1.0 if position > 0 else -1.0
    best = holding.best
    accumulate = np.maximum.accumulate if position > 0 else np.minimum.accumulate
    for a in range(start, end, _CHUNK):
        c = closes[a : min(a + _CHUNK, end)]
        hit = np.zeros(len(c), dtype=bool)
        with np.errstate(invalid="ignore", divide="ignore"):
            move = (c / entry_price - 1.0) * sign * 100.0
            if r.stop_loss_pct is not None:
                hit |= move <= -r.stop_loss_pct
            if r.take_profit_pct is not None:
                hit |= move >= r.take_profit_pct
            if r.trailing_stop_pct is not None:
                seeded = c if math.isnan(best) else np.concatenate(([best], c))
                running = accumulate(seeded)[len(seeded) - len(c) :]
                hit |= (c / running - 1.0) * sign * 100.0 <= -r.trailing_stop_pct
                best = float(running[-1])
        if hit.any():
            return a + int(np.argmax(hit))
    return end


def whole_lots(wanted: float, position: Decimal, lot: Decimal) -> Decimal | None:
    """The signed target a signal's `wanted` position becomes, in whole lots (an entry's size
    rounded down); None when it changes nothing. Live trading and backtests both ask here."""
    if wanted == 0:
        return ZERO if position else None
    added = quantize_qty(to_decimal(wanted - float(position)), lot)
    return None if added == 0 else position + added
