"""Pre-trade risk: every order passes `RiskEngine.check` before the OMS may send it.

Each check is a small function returning None or a Rejection whose message names the check,
the value and the limit. The engine fails closed: a check that raises rejects the order.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from tpm.domain import Instrument, Order, OrderType, TradingState, to_decimal
from tpm.engine.market import MarketData

__all__ = ["Rejection", "RiskEngine", "RiskLimits"]

log = logging.getLogger("tpm.engine.risk")


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why an order may not go out: `code` names the check, `message` says it in a sentence."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class RiskLimits:
    max_order_qty: Decimal = Decimal(10_000)
    max_order_notional: Decimal = Decimal(50_000)
    stale_quote_s: float = 10.0


def _fmt(value: Decimal) -> str:
    return f"{value:,.2f}" if value != value.to_integral_value() else f"{value:,.0f}"


@dataclass(frozen=True, slots=True)
class _Ctx:
    order: Order
    instrument: Instrument | None
    reference_price: Decimal | None
    quote_age_s: float | None


def check_tradable(c: _Ctx) -> Rejection | None:
    o, inst = c.order, c.instrument
    if inst is None:
        return Rejection("unknown_symbol", f"{o.symbol} is not a known instrument")
    if not inst.is_tradable:
        return Rejection("not_tradable", f"{o.symbol} is not tradable")
    return None


def check_quantity_grid(c: _Ctx) -> Rejection | None:
    o, inst = c.order, c.instrument
    assert inst is not None
    if o.qty <= 0:
        return Rejection("qty", f"order quantity {o.qty} must be positive")
    if o.qty % inst.lot_size != 0:
        return Rejection(
            "lot_size", f"order quantity {o.qty} is not a multiple of the lot size {inst.lot_size}"
        )
    if o.qty < inst.min_qty:
        return Rejection(
            "min_qty", f"order quantity {o.qty} is below the minimum {inst.min_qty} for {o.symbol}"
        )
    return None


def check_price_grid(c: _Ctx) -> Rejection | None:
    o, inst = c.order, c.instrument
    assert inst is not None
    for name, price in (("limit", o.limit_price), ("stop", o.stop_price)):
        if price is None:
            continue
        if not price.is_finite() or price <= 0:
            return Rejection("price", f"{name} price {price} must be a positive number")
        if price % inst.tick_size != 0:
            return Rejection(
                "tick_size", f"{name} price {price} is not on the tick size {inst.tick_size}"
            )
    return None


def check_fresh_quote(c: _Ctx, stale_s: float) -> Rejection | None:
    if c.order.type is not OrderType.MARKET:
        return None
    if c.quote_age_s is None:
        return Rejection(
            "no_quote", f"no market data for {c.order.symbol} yet: a market order needs a price"
        )
    if c.quote_age_s > stale_s:
        return Rejection(
            "stale_quote",
            f"market data for {c.order.symbol} is {c.quote_age_s:.1f}s old, older than "
            f"risk.stale_quote_s {stale_s:g}s",
        )
    return None


def check_order_size(c: _Ctx, limits: RiskLimits) -> Rejection | None:
    o, inst = c.order, c.instrument
    assert inst is not None
    if o.qty > limits.max_order_qty:
        return Rejection(
            "max_order_qty",
            f"order quantity {_fmt(o.qty)} exceeds risk.max_order_qty {_fmt(limits.max_order_qty)}",
        )
    if c.reference_price is None:
        return Rejection("no_price", f"no price for {o.symbol} to value the order")
    notional = o.qty * c.reference_price
    if notional < inst.min_notional:
        return Rejection(
            "min_notional",
            f"order notional {_fmt(notional)} is below the minimum {_fmt(inst.min_notional)} "
            f"for {o.symbol}",
        )
    if notional > limits.max_order_notional:
        return Rejection(
            "max_order_notional",
            f"order notional {_fmt(notional)} exceeds risk.max_order_notional "
            f"{_fmt(limits.max_order_notional)}",
        )
    return None


class RiskEngine:
    """Holds the limits and the trading state, and checks orders against them."""

    def __init__(
        self,
        limits: RiskLimits,
        market: MarketData,
        now_ns: Callable[[], int],
    ) -> None:
        self.limits = limits
        self._market = market
        self._now_ns = now_ns
        self.state = TradingState.ACTIVE
        self.state_reason = ""
        self.is_stopping = False
        self.rejections = 0

    def _context(self, order: Order) -> _Ctx:
        s = self._market.state(order.symbol)
        inst = None if s is None else s.instrument
        age: float | None = None
        ref: Decimal | None = None
        if s is not None:
            if s.updated_ns:
                age = max(0.0, (self._now_ns() - s.updated_ns) / 1e9)
            last = s.last_price
            if math.isfinite(last):
                ref = to_decimal(last)
        for p in (order.limit_price, order.stop_price):
            if p is not None and (ref is None or p > ref):
                ref = p
        return _Ctx(order, inst, ref, age)

    def check(self, order: Order) -> Rejection | None:
        """None if `order` may be sent, else why not. Never raises: an error rejects."""
        try:
            rejection = self._check(order)
        except Exception as exc:
            log.exception("risk check failed on order %s", order.client_order_id)
            rejection = Rejection(
                "risk_error", f"risk check failed ({type(exc).__name__}: {exc}); order refused"
            )
        if rejection is not None:
            self.rejections += 1
        return rejection

    def _check(self, order: Order) -> Rejection | None:
        if self.is_stopping:
            return Rejection("stopping", "the engine is stopping; no new orders are sent")
        if self.state is TradingState.HALTED:
            why = f": {self.state_reason}" if self.state_reason else ""
            return Rejection("halted", f"trading is halted{why}")
        c = self._context(order)
        return (
            check_tradable(c)
            or check_quantity_grid(c)
            or check_price_grid(c)
            or check_fresh_quote(c, self.limits.stale_quote_s)
            or check_order_size(c, self.limits)
        )
