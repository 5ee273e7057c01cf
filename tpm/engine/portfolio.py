"""The account: positions derived from fills, cash, marks, equity and the day's start equity.

Nothing here is set directly: positions and cash change only by applying fills, so the
portfolio after a restart (rebuilt from stored fills) is exactly the portfolio before it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from tpm.domain import ZERO, EquitySnapshot, Fill, Position, to_decimal

__all__ = ["Portfolio", "PositionView"]


@dataclass(frozen=True, slots=True)
class PositionView:
    """A position with its mark and P&L, for display and reports."""

    symbol: str
    qty: Decimal
    avg_price: Decimal
    mark: Decimal | None
    market_value: Decimal
    realised_pnl: Decimal
    unrealised_pnl: Decimal


class Portfolio:
    """Positions and cash in one currency, valued at the latest marks."""

    def __init__(self, initial_cash: Decimal) -> None:
        self.initial_cash = initial_cash
        self.cash = initial_cash
        self.positions: dict[str, Position] = {}
        self._marks: dict[str, float] = {}
        self.fill_count = 0
        self.day_start_equity: Decimal | None = None
        self.peak_equity: Decimal = initial_cash
        # Float mirrors for pre-trade checks, kept per tick for held symbols only and made
        # exact again at every snapshot: risk reads exposure in O(1), not by summing positions.
        self._held: dict[str, float] = {}
        self.gross_f = 0.0
        self.net_f = 0.0
        self.cash_f = float(initial_cash)

    def rebuild(self, fills: Iterable[Fill]) -> None:
        """Start over from the initial cash and apply `fills` in order."""
        self.cash = self.initial_cash
        self.positions.clear()
        self._held.clear()
        self.fill_count = 0
        for f in fills:
            self.apply(f)
        self.resync()

    def resync(self) -> None:
        """Recompute the float mirrors exactly (they drift by rounding between snapshots)."""
        gross = net = 0.0
        for sym, q in self._held.items():
            value = q * self._marks.get(sym, 0.0)
            gross += abs(value)
            net += value
        self.gross_f, self.net_f, self.cash_f = gross, net, float(self.cash)

    def apply(self, fill: Fill) -> Position:
        pos = self.positions.get(fill.symbol) or Position(fill.symbol)
        pos = pos.apply(fill)
        self.positions[fill.symbol] = pos
        self.cash += fill.cash_delta
        self.fill_count += 1
        if not self._has_mark(fill.symbol):
            self._marks[fill.symbol] = float(fill.price)
        mark = self._marks[fill.symbol]
        old = self._held.pop(fill.symbol, 0.0)
        new = float(pos.qty)
        if new:
            self._held[fill.symbol] = new
        self.gross_f += (abs(new) - abs(old)) * mark
        self.net_f += (new - old) * mark
        self.cash_f = float(self.cash)
        return pos

    def mark(self, symbol: str, price: float) -> None:
        """Record the latest price of `symbol` (hot path: a dict store, no Decimal)."""
        q = self._held.get(symbol)
        if q is not None:
            move = price - self._marks[symbol]
            if math.isfinite(move):  # a bad mark never enters the sums
                self.gross_f += abs(q) * move
                self.net_f += q * move
        self._marks[symbol] = price

    @property
    def equity_f(self) -> float:
        return self.cash_f + self.net_f

    def _has_mark(self, symbol: str) -> bool:
        p = self._marks.get(symbol)
        return p is not None and math.isfinite(p)

    def mark_of(self, symbol: str) -> Decimal | None:
        p = self._marks.get(symbol)
        if p is None or not math.isfinite(p):
            return None
        return to_decimal(p)

    def qty(self, symbol: str) -> Decimal:
        p = self.positions.get(symbol)
        return ZERO if p is None else p.qty

    def view(self, symbol: str) -> PositionView:
        pos = self.positions.get(symbol) or Position(symbol)
        mark = self.mark_of(symbol)
        # Without a mark the position is valued at what it cost (exact; avg_price is rounded).
        return PositionView(
            symbol=symbol,
            qty=pos.qty,
            avg_price=pos.avg_price,
            mark=mark,
            market_value=pos.cost if mark is None else pos.qty * mark,
            realised_pnl=pos.realised_pnl,
            unrealised_pnl=ZERO if mark is None else pos.unrealised_pnl(mark),
        )

    def views(self, include_flat: bool = False) -> list[PositionView]:
        return [
            self.view(s) for s, p in sorted(self.positions.items()) if include_flat or not p.is_flat
        ]

    @property
    def market_value(self) -> Decimal:
        return sum((v.market_value for v in self.views()), ZERO)

    @property
    def equity(self) -> Decimal:
        return self.cash + self.market_value

    def exposures(self) -> tuple[Decimal, Decimal]:
        """(gross, net) exposure: the sum of absolute and of signed market values."""
        gross = net = ZERO
        for v in self.views():
            gross += abs(v.market_value)
            net += v.market_value
        return gross, net

    @property
    def realised_pnl(self) -> Decimal:
        return sum((p.realised_pnl for p in self.positions.values()), ZERO)

    @property
    def unrealised_pnl(self) -> Decimal:
        return sum((v.unrealised_pnl for v in self.views()), ZERO)

    @property
    def day_pnl(self) -> Decimal:
        start = self.day_start_equity
        return ZERO if start is None else self.equity - start

    def snapshot(self, ts_ns: int) -> EquitySnapshot:
        self.resync()
        gross, net = self.exposures()
        equity = self.cash + net
        if equity > self.peak_equity:
            self.peak_equity = equity
        return EquitySnapshot(ts_ns, self.cash, equity, gross, net)
