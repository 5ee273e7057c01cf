"""Executions as the broker reports them, and the positions they imply."""

from __future__ import annotations

from dataclasses import dataclass
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


# Cost released by a partial reduction is rounded here (the store's Numeric(38, 12) scale), so
# every amount keeps few enough digits that Decimal sums of them stay exact.
_COST_QUANTUM = Decimal("1e-12")


@dataclass(frozen=True, slots=True)
class Position:
    """Net position in one symbol: signed quantity, average cost, and P&L realised so far.

    Average cost follows the usual broker convention: adding to a position averages in, reducing
    realises P&L against the average, and crossing through zero opens the remainder at the fill.
    Realised P&L is net of commission, so realised + unrealised is exactly the change in equity.

    `cost_basis` is what the open quantity cost, signed like `qty` (`qty * avg_price` when not
    given). The books use it rather than `avg_price`, which is a rounded quotient for display.
    """

    symbol: str
    qty: Decimal = ZERO
    avg_price: Decimal = ZERO
    realised_pnl: Decimal = ZERO
    commission: Decimal = ZERO
    cost_basis: Decimal | None = None

    @property
    def is_flat(self) -> bool:
        return self.qty == 0

    @property
    def cost(self) -> Decimal:
        """The signed cost of the open quantity."""
        c = self.cost_basis
        return self.qty * self.avg_price if c is None else c

    def market_value(self, mark: Decimal) -> Decimal:
        return self.qty * mark

    def unrealised_pnl(self, mark: Decimal) -> Decimal:
        return self.qty * mark - self.cost

    def apply(self, fill: Fill) -> Position:
        """The position after `fill`."""
        dq = fill.signed_qty
        qty, cost = self.qty, self.cost
        realised = self.realised_pnl - fill.commission
        commission = self.commission + fill.commission
        if qty == 0 or (qty > 0) == (dq > 0):
            new_qty = qty + dq
            new_cost = cost + fill.price * dq
            # Built directly: dataclasses.replace costs more than the arithmetic, per fill.
            return Position(
                self.symbol, new_qty, new_cost / new_qty, realised, commission, new_cost
            )
        closing = min(abs(dq), abs(qty))
        direction = 1 if qty > 0 else -1
        # The closed part releases its share of the cost; the whole cost when all of it closes.
        if closing == abs(qty):
            released = cost
        else:
            released = (cost * closing / abs(qty)).quantize(_COST_QUANTUM)
        realised += fill.price * closing * direction - released
        new_qty = qty + dq
        if new_qty == 0:
            new_avg, new_cost = ZERO, ZERO
        elif (new_qty > 0) == (qty > 0):
            new_avg, new_cost = self.avg_price, cost - released
        else:
            new_avg, new_cost = fill.price, fill.price * new_qty
        return Position(self.symbol, new_qty, new_avg, realised, commission, new_cost)
