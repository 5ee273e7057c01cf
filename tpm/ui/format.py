"""Number formatting for screens: prices, money, percentages, volumes and sparklines."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

__all__ = ["money", "pct", "price", "signed_money", "sparkline", "volume"]

_BLOCKS = "▁▂▃▄▅▆▇█"


def price(value: float | Decimal | None) -> str:
    """A price with the precision its size needs: 1,234.50, 12.345, 0.004521."""
    if value is None:
        return "-"
    v = float(value)
    if not math.isfinite(v):
        return "-"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.2f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.6f}".rstrip("0")


def money(value: Decimal | float) -> str:
    return f"{float(value):,.2f}" if isinstance(value, float) else f"{value:,.2f}"


def signed_money(value: Decimal | float) -> str:
    text = money(value)
    return text if text.startswith("-") or float(value) == 0 else f"+{text}"


def pct(value: float | None, digits: int = 2) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    if round(value, digits) == 0:
        value = 0.0  # a tiny loss is not shown as "-0.00%"
    return f"{value:+.{digits}f}%"


def volume(value: float) -> str:
    if not math.isfinite(value):
        return "-"
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.1f}{unit}"
    return f"{value:.0f}"


def sparkline(values: Sequence[float], width: int) -> str:
    """The last `width` values as block characters, scaled to their own range."""
    data = [v for v in values[-width:] if math.isfinite(v)]
    if not data:
        return " " * width
    lo, hi = min(data), max(data)
    span = hi - lo
    if span <= 0:
        line = _BLOCKS[3] * len(data)
    else:
        top = len(_BLOCKS) - 1
        line = "".join(_BLOCKS[round((v - lo) / span * top)] for v in data)
    return line.rjust(width)
