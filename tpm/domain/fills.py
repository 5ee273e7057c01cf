"""Executions as the broker reports them, and the positions they imply."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from tpm.domain.enums import Side
from tpm.domain.money import ZERO
from tpm.domain.orders import ClientOrderId

__all__ = ["Fill", "Position"]


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution. `exec_id` is the broker's execution id: the key that de-duplicates fills."""

    exec_id: str
    client_order_id: ClientOrderId
    symbol: str
    side: Side
    qty: Decimal
    price: Decimal
    commission: Decimal
    ts_ns: int
    strategy: str = ""

    @property
    def signed_qty(self) -> Decimal:
        return self.qty if self.side is Side.BUY else -self.qty

    @property
    def notional(self) -> Decimal:
        return self.qty * self.price

    @property
    def cash_delta(self) -> Decimal:
        """What this fill does to cash: a buy pays, a sell receives, commission always pays."""
        return -self.signed_qty * self.price - self.commission


@dataclass(frozen=True, slots=True)
class Position:
    """Net position in one symbol: signed quantity, average cost, and P&L realised so far.

    Average cost follows the usual broker convention: adding to a position averages in, reducing
    realises P&L against the average, and crossing through zero opens the remainder at the fill.
    Realised P&L is net of commission, so realised + unrealised is exactly the change in equity.
    """

    symbol: str
    qty: Decimal = ZERO
    avg_price: Decimal = ZERO
    realised_pnl: Decimal = ZERO
    commission: Decimal = ZERO

    @property
    def is_flat(self) -> bool:
        return self.qty == 0

    def market_value(self, mark: Decimal) -> Decimal:
        return self.qty * mark

    def unrealised_pnl(self, mark: Decimal) -> Decimal:
        return (mark - self.avg_price) * self.qty

    def apply(self, fill: Fill) -> Position:
        """The position after `fill`."""
        dq = fill.signed_qty
        qty, avg = self.qty, self.avg_price
        realised = self.realised_pnl - fill.commission
        commission = self.commission + fill.commission
        if qty == 0 or (qty > 0) == (dq > 0):
            new_qty = qty + dq
            new_avg = (avg * qty + fill.price * dq) / new_qty
            return replace(
                self, qty=new_qty, avg_price=new_avg, realised_pnl=realised, commission=commission
            )
        closing = min(abs(dq), abs(qty))
        direction = 1 if qty > 0 else -1
        realised += (fill.price - avg) * closing * direction
        new_qty = qty + dq
        if new_qty == 0:
            new_avg = ZERO
        elif (new_qty > 0) == (qty > 0):
            new_avg = avg
        else:
            new_avg = fill.price
        return replace(
            self, qty=new_qty, avg_price=new_avg, realised_pnl=realised, commission=commission
        )
