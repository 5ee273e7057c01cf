"""[risk]: the limits every order is checked against, and what a breached loss limit does.

Every check has a finite default; a check is switched off only by its own `enabled = false`.
Per-strategy limits ([risk.strategies.NAME]) may only tighten the global ones.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tpm.config.base import Section

__all__ = [
    "BuyingPowerCheck",
    "DrawdownLimit",
    "ExposureLimits",
    "LossLimit",
    "OpenOrderLimits",
    "OrderRateLimits",
    "OrderSizeLimits",
    "PositionLimits",
    "PriceCollar",
    "RepeatGuard",
    "RiskConfig",
    "StaleQuoteCheck",
    "StrategyLimits",
    "tightening_violations",
]


class _Check(Section):
    enabled: bool = True
    """false switches this check off; nothing else does."""


class OrderSizeLimits(_Check):
    """An order that only shrinks a position passes whatever its size, so a position grown by
    several orders can always be closed in one."""

    max_qty: float = Field(10_000.0, gt=0)
    """Largest quantity of one order."""
    max_notional: float = Field(50_000.0, gt=0)
    """Largest notional (quantity x price) of one order, in the account currency."""


class PriceCollar(_Check):
    max_pct: float = Field(10.0, gt=0, le=100)
    """A limit or stop price further than this % from the last trade or mid is refused."""


class StaleQuoteCheck(_Check):
    max_age_s: float = Field(10.0, gt=0, le=3600)
    """A market order is refused when the symbol's latest market data is older than this."""


class PositionLimits(_Check):
    max_qty: float = Field(25_000.0, gt=0)
    """Largest position in one symbol, long or short, counting open orders on the same side."""
    max_notional: float = Field(100_000.0, gt=0)
    """Largest position value in one symbol, counting open orders on the same side."""


class ExposureLimits(_Check):
    max_gross_pct: float = Field(200.0, gt=0, le=10_000)
    """Largest sum of absolute position values, as a % of equity, counting working orders as
    filled (per symbol, all its buys or all its sells, whichever is worse)."""
    max_net_pct: float = Field(100.0, gt=0, le=10_000)
    """Largest absolute sum of signed position values, as a % of equity, counting working
    orders as filled."""


class BuyingPowerCheck(_Check):
    allow_short: bool = True
    """Whether a sell may open or grow a short position (the instrument must allow it too)."""


class OrderRateLimits(_Check):
    per_second: int = Field(10, ge=1)
    """Most orders sent in any one second, all sources together."""
    per_minute: int = Field(120, ge=1)
    """Most orders sent in any one minute, all sources together."""
    per_strategy_per_second: int = Field(5, ge=1)
    """Most orders one strategy sends in any one second."""
    per_strategy_per_minute: int = Field(60, ge=1)
    """Most orders one strategy sends in any one minute."""


class RepeatGuard(_Check):
    max_repeats: int = Field(5, ge=1)
    """The same symbol, side and quantity from one source this often within window_s..."""
    window_s: float = Field(60.0, gt=0, le=86_400)
    """...is refused as a runaway loop."""


class OpenOrderLimits(_Check):
    max_total: int = Field(100, ge=1)
    """Most orders working at once."""
    max_per_symbol: int = Field(10, ge=1)
    """Most orders working at once in one symbol."""


class LossLimit(_Check):
    max_pct: float = Field(5.0, gt=0, le=100)
    """Loss since the day's start equity (realised + unrealised), as a % of it."""
    action: Literal["halt", "reduce"] = "halt"
    """What a breach does: halt (nothing passes) or reduce (only position-shrinking orders)."""
    flatten: bool = False
    """Also close every position on a breach."""


class DrawdownLimit(_Check):
    max_pct: float = Field(20.0, gt=0, le=100)
    """Fall from the highest equity seen, as a % of that peak."""
    action: Literal["halt", "reduce"] = "halt"
    """What a breach does: halt (nothing passes) or reduce (only position-shrinking orders)."""
    flatten: bool = False
    """Also close every position on a breach."""


class StrategyLimits(Section):
    """Tighter limits for one strategy; a key left out means the global limit."""

    max_order_qty: float | None = Field(None, gt=0)
    """Largest quantity of one order from this strategy."""
    max_order_notional: float | None = Field(None, gt=0)
    """Largest notional of one order from this strategy."""
    max_position_qty: float | None = Field(None, gt=0)
    """Largest position this strategy may build in one symbol."""
    max_position_notional: float | None = Field(None, gt=0)
    """Largest position value this strategy may build in one symbol."""
    per_second: int | None = Field(None, ge=1)
    """Most orders this strategy sends in any one second."""
    per_minute: int | None = Field(None, ge=1)
    """Most orders this strategy sends in any one minute."""
    max_open_orders: int | None = Field(None, ge=1)
    """Most orders of this strategy working at once."""


class RiskConfig(Section):
    order_size: OrderSizeLimits = OrderSizeLimits()
    price_collar: PriceCollar = PriceCollar()
    stale_quote: StaleQuoteCheck = StaleQuoteCheck()
    position: PositionLimits = PositionLimits()
    exposure: ExposureLimits = ExposureLimits()
    buying_power: BuyingPowerCheck = BuyingPowerCheck()
    order_rate: OrderRateLimits = OrderRateLimits()
    repeat_guard: RepeatGuard = RepeatGuard()
    open_orders: OpenOrderLimits = OpenOrderLimits()
    daily_loss: LossLimit = LossLimit()
    drawdown: DrawdownLimit = DrawdownLimit()
    strategies: dict[str, StrategyLimits] = Field(default_factory=dict)
    """Per-strategy limits by strategy name, e.g. [risk.strategies.demo-ma-trend]."""


# (strategy key, global section, global key) for the tighten-only rule.
_PAIRS = (
    ("max_order_qty", "order_size", "max_qty"),
    ("max_order_notional", "order_size", "max_notional"),
    ("max_position_qty", "position", "max_qty"),
    ("max_position_notional", "position", "max_notional"),
    ("per_second", "order_rate", "per_strategy_per_second"),
    ("per_minute", "order_rate", "per_strategy_per_minute"),
    ("max_open_orders", "open_orders", "max_total"),
)


def tightening_violations(risk: RiskConfig) -> list[str]:
    """Every per-strategy limit that is looser than its global one, as "key: reason"."""
    problems = []
    for name, limits in sorted(risk.strategies.items()):
        for key, section, global_key in _PAIRS:
            value = getattr(limits, key)
            bound = getattr(getattr(risk, section), global_key)
            if value is not None and value > bound:
                problems.append(
                    f"risk.strategies.{name}.{key}: {value:g} loosens "
                    f"risk.{section}.{global_key} {bound:g}; a strategy may only tighten it"
                )
    return problems
