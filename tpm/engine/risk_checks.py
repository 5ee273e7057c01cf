"""The pre-trade checks: small functions from a context to None or a Rejection.

Each rejection names the check, the value and the limit by its config key, in one sentence.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal

from tpm.config.risk import RiskConfig, StrategyLimits
from tpm.domain import Instrument, Order, OrderType, Side

__all__ = ["CheckContext", "Rejection", "run_checks"]

_NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why an order may not go out: `code` names the check, `message` says it in a sentence."""

    code: str
    message: str


@dataclass(slots=True)
class CheckContext:
    """Everything the checks read about one order, gathered once. (Not frozen: it lives for
    one check, and a frozen dataclass of 27 fields costs microseconds to make on every order.)"""

    order: Order
    instrument: Instrument
    now_ns: int
    reference_price: Decimal | None
    """Last trade, else mid, else None."""
    data_age_s: float | None
    position: Decimal
    same_side_leaves: Decimal
    opposite_leaves: Decimal
    strategy_position: Decimal
    strategy_same_side_leaves: Decimal
    is_reducing: bool
    equity: float
    gross_exposure: float
    net_exposure: float
    working_gross_elsewhere: float
    """Gross exposure working orders in other symbols may add if they fill."""
    working_buys: float
    """Open buys' leaves at their limit (or reference) prices."""
    working_sells: float
    """Open sells' leaves at their limit (or reference) prices."""
    cash: Decimal
    reserved_cash: Decimal
    sent_last_second: int
    sent_last_minute: int
    strategy_sent_last_second: int
    strategy_sent_last_minute: int
    repeats: int
    open_count: int
    open_in_symbol: int
    open_in_strategy: int


def _n(value: Decimal | float) -> str:
    """A number for a sentence: thousands separated, no needless decimals."""
    v = _limit(value) if isinstance(value, float) else value
    if v == v.to_integral_value():
        return f"{v:,.0f}"
    return f"{v:,.2f}" if abs(v) >= 1 else f"{v:,.6f}".rstrip("0")


def _g(value: float) -> str:
    return f"{value:g}"


@functools.lru_cache(maxsize=256)
def _limit(value: float) -> Decimal:
    """A configured limit as the Decimal its text says (limits are few; orders are many)."""
    return Decimal(str(value))


def validity(c: CheckContext) -> Rejection | None:
    o, inst = c.order, c.instrument
    if not inst.is_tradable:
        return Rejection("not_tradable", f"{o.symbol} is not tradable")
    if not o.qty.is_finite():
        return Rejection("qty", f"quantity {o.qty} must be a finite number")
    if o.qty % inst.lot_size != 0:
        return Rejection(
            "lot_size",
            f"quantity {o.qty} is not a multiple of the lot size {inst.lot_size} of {o.symbol}",
        )
    if o.qty < inst.min_qty:
        return Rejection(
            "min_qty", f"quantity {o.qty} is below the minimum {inst.min_qty} for {o.symbol}"
        )
    for name, price in (("limit", o.limit_price), ("stop", o.stop_price)):
        if price is None:
            continue
        if not price.is_finite() or price <= 0:
            return Rejection("price", f"{name} price {price} must be a positive number")
        if price % inst.tick_size != 0:
            return Rejection(
                "tick_size",
                f"{name} price {price} is not on the tick size {inst.tick_size} of {o.symbol}",
            )
    if c.reference_price is not None:
        notional = o.qty * (o.limit_price or o.stop_price or c.reference_price)
        if notional < inst.min_notional:
            return Rejection(
                "min_notional",
                f"order notional {_n(notional)} is below the "
                f"minimum {_n(inst.min_notional)} for {o.symbol}",
            )
    return None


def stale_quote(c: CheckContext, r: RiskConfig) -> Rejection | None:
    if not r.stale_quote.enabled or c.order.type is not OrderType.MARKET:
        return None
    if c.data_age_s is None or c.reference_price is None:
        return Rejection(
            "no_quote",
            f"no market data for {c.order.symbol} yet: a market order needs a live price",
        )
    if c.data_age_s > r.stale_quote.max_age_s:
        return Rejection(
            "stale_quote",
            f"market data for {c.order.symbol} is "
            f"{c.data_age_s:.1f}s old, older than risk.stale_quote.max_age_s "
            f"{_g(r.stale_quote.max_age_s)}s",
        )
    return None


def price_collar(c: CheckContext, r: RiskConfig) -> Rejection | None:
    if not r.price_collar.enabled:
        return None
    o = c.order
    for name, price in (("limit", o.limit_price), ("stop", o.stop_price)):
        if price is None:
            continue
        ref = c.reference_price
        if ref is None:
            return Rejection(
                "price_collar",
                f"no price for {o.symbol} to check the {name} "
                f"price {price} against (risk.price_collar)",
            )
        away = abs(price / ref - 1) * 100  # in Decimal: a price exactly at the limit passes
        if away > _limit(r.price_collar.max_pct):
            return Rejection(
                "price_collar",
                f"{name} price {_n(price)} is {away:.1f}% from the "
                f"last price {_n(ref)}, beyond risk.price_collar.max_pct "
                f"{_g(r.price_collar.max_pct)}%",
            )
    return None


def order_size(c: CheckContext, r: RiskConfig, s: StrategyLimits | None) -> Rejection | None:
    # A fat-finger limit; an exit is bounded by the position itself and must never be trapped.
    if not r.order_size.enabled or c.is_reducing:
        return None
    o = c.order
    max_qty, key = r.order_size.max_qty, "risk.order_size.max_qty"
    if s is not None and s.max_order_qty is not None and s.max_order_qty < max_qty:
        max_qty, key = s.max_order_qty, f"risk.strategies.{o.strategy}.max_order_qty"
    if o.qty > _limit(max_qty):
        return Rejection("max_order_qty", f"order quantity {_n(o.qty)} exceeds {key} {_n(max_qty)}")
    price = o.limit_price or o.stop_price or c.reference_price
    if price is None:
        return Rejection("no_price", f"no price for {o.symbol} to value the order")
    notional = o.qty * price
    cap, key = r.order_size.max_notional, "risk.order_size.max_notional"
    if s is not None and s.max_order_notional is not None and s.max_order_notional < cap:
        cap, key = s.max_order_notional, f"risk.strategies.{o.strategy}.max_order_notional"
    if notional > _limit(cap):
        return Rejection(
            "max_order_notional", f"order notional {_n(notional)} exceeds {key} {_n(cap)}"
        )
    return None


def position(c: CheckContext, r: RiskConfig, s: StrategyLimits | None) -> Rejection | None:
    if not r.position.enabled:
        return None
    o = c.order
    sign = o.side.sign
    price = c.reference_price or o.limit_price or Decimal(0)
    p = r.position
    qty = o.leaves_qty  # a changed order that is partly filled already holds the rest
    limits: list[tuple[Decimal, float | None, str, float | None, str]] = []
    if not c.is_reducing:  # shrinking the account's position is never trapped
        limits.append(
            (
                c.position + sign * (c.same_side_leaves + qty),
                p.max_qty,
                "risk.position.max_qty",
                p.max_notional,
                "risk.position.max_notional",
            )
        )
    mine = c.strategy_position + sign * (c.strategy_same_side_leaves + qty)
    # A strategy's own limit binds whenever the order grows that strategy's own position,
    # even if it shrinks the account's (another strategy may hold the other side).
    if s is not None and abs(mine) > abs(c.strategy_position):
        key = f"risk.strategies.{o.strategy}"
        limits.append(
            (
                mine,
                s.max_position_qty,
                f"{key}.max_position_qty",
                s.max_position_notional,
                f"{key}.max_position_notional",
            )
        )
    for qty, max_qty, qty_key, max_value, value_key in limits:
        if max_qty is not None and abs(qty) > _limit(max_qty):
            return Rejection(
                "max_position_qty",
                f"position in {o.symbol} would reach "
                f"{_n(qty)} with working orders, beyond {qty_key} {_n(max_qty)}",
            )
        value = abs(qty) * price
        if max_value is not None and value > _limit(max_value):
            return Rejection(
                "max_position_notional",
                f"position in {o.symbol} would be worth "
                f"{_n(value)} with working orders, beyond {value_key} "
                f"{_n(max_value)}",
            )
    return None


def exposure(c: CheckContext, r: RiskConfig) -> Rejection | None:
    if not r.exposure.enabled or c.is_reducing:
        return None
    o = c.order
    if not c.equity > 0:
        return Rejection("exposure", f"equity is {_n(c.equity)}: no new exposure is allowed")
    # Working orders count as if they fill: in each symbol all its buys or all its sells,
    # whichever is worse, so an order that closes a position (a stop) adds nothing.
    price = float(c.reference_price or o.limit_price or 0)
    qty, q, is_buy = o.leaves_qty, c.position, o.side is Side.BUY
    same = c.same_side_leaves + qty
    buys, sells = (same, c.opposite_leaves) if is_buy else (c.opposite_leaves, same)
    worst = float(max(abs(q + buys), abs(q - sells))) * price
    gross = c.gross_exposure - abs(float(q) * price) + worst + c.working_gross_elsewhere
    delta = float(qty) * price
    high = c.net_exposure + c.working_buys + (delta if is_buy else 0.0)
    low = c.net_exposure - c.working_sells - (0.0 if is_buy else delta)
    gross_pct, net_pct = gross / c.equity * 100, max(high, -low) / c.equity * 100
    if gross_pct > r.exposure.max_gross_pct:
        return Rejection(
            "max_gross_exposure",
            f"gross exposure would be {gross_pct:.1f}% of equity with working orders, "
            f"beyond risk.exposure.max_gross_pct {_g(r.exposure.max_gross_pct)}%",
        )
    if net_pct > r.exposure.max_net_pct:
        return Rejection(
            "max_net_exposure",
            f"net exposure would be {net_pct:.1f}% of equity with working orders, "
            f"beyond risk.exposure.max_net_pct {_g(r.exposure.max_net_pct)}%",
        )
    return None


def buying_power(c: CheckContext, r: RiskConfig) -> Rejection | None:
    if not r.buying_power.enabled or c.is_reducing:
        return None
    o = c.order
    if o.side is Side.SELL:
        if c.position - c.same_side_leaves - o.leaves_qty >= 0:
            return None  # sells only what is held
        if not r.buying_power.allow_short:
            return Rejection(
                "short_not_allowed",
                f"selling {_n(o.qty)} {o.symbol} would go "
                "short, and risk.buying_power.allow_short is false",
            )
        if not c.instrument.is_shortable:
            return Rejection("not_shortable", f"{o.symbol} cannot be sold short")
        return None
    price = o.limit_price or o.stop_price or c.reference_price or Decimal(0)
    need = o.leaves_qty * price
    free = c.cash - c.reserved_cash
    if need > free:
        return Rejection(
            "buying_power",
            f"order needs {_n(need)} of buying power; {_n(free)} "
            f"is free (cash {_n(c.cash)} less {_n(c.reserved_cash)} held for "
            "open buys)",
        )
    return None


def order_rate(c: CheckContext, r: RiskConfig, s: StrategyLimits | None) -> Rejection | None:
    if not r.order_rate.enabled or c.is_reducing:
        return None
    q = r.order_rate
    strategy = c.order.strategy or "manual"
    per_s, per_s_key = q.per_strategy_per_second, "risk.order_rate.per_strategy_per_second"
    per_m, per_m_key = q.per_strategy_per_minute, "risk.order_rate.per_strategy_per_minute"
    if s is not None and s.per_second is not None and s.per_second < per_s:
        per_s, per_s_key = s.per_second, f"risk.strategies.{c.order.strategy}.per_second"
    if s is not None and s.per_minute is not None and s.per_minute < per_m:
        per_m, per_m_key = s.per_minute, f"risk.strategies.{c.order.strategy}.per_minute"
    for count, limit, what, key in (
        (c.sent_last_second, q.per_second, "in the last second", "risk.order_rate.per_second"),
        (c.sent_last_minute, q.per_minute, "in the last minute", "risk.order_rate.per_minute"),
        (c.strategy_sent_last_second, per_s, "from {} in the last second", per_s_key),
        (c.strategy_sent_last_minute, per_m, "from {} in the last minute", per_m_key),
    ):
        if count >= limit:
            said = what.format(strategy)
            return Rejection("order_rate", f"{count} orders sent {said}, at {key} {limit}")
    return None


def repeat_guard(c: CheckContext, r: RiskConfig) -> Rejection | None:
    g = r.repeat_guard
    if not g.enabled or c.repeats < g.max_repeats:
        return None
    o = c.order
    return Rejection(
        "repeat_guard",
        f"{o.side} {_n(o.qty)} {o.symbol} was already sent "
        f"{c.repeats} times in {_g(g.window_s)}s, at risk.repeat_guard.max_repeats "
        f"{g.max_repeats}: a runaway loop is refused",
    )


def open_orders(c: CheckContext, r: RiskConfig, s: StrategyLimits | None) -> Rejection | None:
    if not r.open_orders.enabled or c.is_reducing:
        return None
    q = r.open_orders
    if c.open_count >= q.max_total:
        return Rejection(
            "max_open_orders",
            f"{c.open_count} orders are working, at risk.open_orders.max_total {q.max_total}",
        )
    if c.open_in_symbol >= q.max_per_symbol:
        return Rejection(
            "max_open_orders_symbol",
            f"{c.open_in_symbol} orders in "
            f"{c.order.symbol} are working, at risk.open_orders.max_per_symbol "
            f"{q.max_per_symbol}",
        )
    if s is not None and s.max_open_orders is not None and c.open_in_strategy >= s.max_open_orders:
        return Rejection(
            "max_open_orders_strategy",
            f"{c.open_in_strategy} orders of "
            f"{c.order.strategy} are working, at risk.strategies."
            f"{c.order.strategy}.max_open_orders {s.max_open_orders}",
        )
    return None


def run_checks(c: CheckContext, r: RiskConfig) -> Rejection | None:
    """Every check in order; the first refusal wins."""
    s = r.strategies.get(c.order.strategy) if c.order.strategy else None
    return (
        validity(c)
        or stale_quote(c, r)
        or price_collar(c, r)
        or order_size(c, r, s)
        or repeat_guard(c, r)
        or position(c, r, s)
        or exposure(c, r)
        or buying_power(c, r)
        or order_rate(c, r, s)
        or open_orders(c, r, s)
    )
