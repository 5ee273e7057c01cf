"""Money is Decimal: the one place where float market prices become bookable amounts."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

__all__ = ["ZERO", "quantize_price", "quantize_qty", "to_decimal"]

ZERO = Decimal(0)


def to_decimal(value: float | int | str | Decimal) -> Decimal:
    """Convert a number to Decimal through its shortest repr, so 0.1 stays 0.1."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def quantize_price(value: float | Decimal, tick: Decimal) -> Decimal:
    """Round a price to the nearest multiple of `tick` (half to even) at the tick's exponent."""
    d = to_decimal(value)
    steps = (d / tick).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return (steps * tick).quantize(tick)


def quantize_qty(value: float | Decimal, lot: Decimal) -> Decimal:
    """Round a quantity down to a whole number of lots, so sizing never exceeds what was asked."""
    d = to_decimal(value)
    lots = (d / lot).to_integral_value(rounding=ROUND_DOWN)
    return (lots * lot).quantize(lot)
