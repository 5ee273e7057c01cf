"""What can be traded, and the rules of its market: ticks, lots, sessions and time zone."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tpm.domain.money import quantize_price, quantize_qty

__all__ = ["Instrument"]


@dataclass(frozen=True, slots=True)
class Instrument:
    """A tradable symbol with its sector, trading session and order granularity.

    `session_open`/`session_close` are local "HH:MM" times in `timezone`; equal values mean the
    market never closes (crypto).
    """

    symbol: str
    name: str = ""
    sector: str = "Unclassified"
    asset_class: str = "equity"
    exchange: str = "SIM"
    currency: str = "USD"
    timezone: str = "America/New_York"
    session_open: str = "09:30"
    session_close: str = "16:00"
    tick_size: Decimal = Decimal("0.01")
    lot_size: Decimal = Decimal(1)
    min_qty: Decimal = Decimal(1)
    min_notional: Decimal = Decimal(0)
    is_tradable: bool = True
    is_shortable: bool = True

    @property
    def is_always_open(self) -> bool:
        return self.session_open == self.session_close

    def price(self, value: float | Decimal) -> Decimal:
        """`value` rounded to this instrument's tick."""
        return quantize_price(value, self.tick_size)

    def qty(self, value: float | Decimal) -> Decimal:
        """`value` rounded down to this instrument's lot."""
        return quantize_qty(value, self.lot_size)
