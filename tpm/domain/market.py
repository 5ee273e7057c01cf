"""Market data values: quotes, trades and bars. Floats on purpose: this is the hot path."""

from __future__ import annotations

from dataclasses import dataclass

from tpm.domain.enums import Timeframe

__all__ = ["Bar", "Quote", "Trade"]


@dataclass(frozen=True, slots=True)
class Quote:
    """Top of book for one symbol at `ts_ns` (nanoseconds since the epoch, UTC)."""

    symbol: str
    ts_ns: int
    bid: float
    ask: float
    bid_size: float = 0.0
    ask_size: float = 0.0

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) * 0.5


@dataclass(frozen=True, slots=True)
class Trade:
    """One print on the tape."""

    symbol: str
    ts_ns: int
    price: float
    size: float


@dataclass(frozen=True, slots=True)
class Bar:
    """OHLCV over [start_ns, start_ns + timeframe); `is_closed` is False while it still forms."""

    symbol: str
    timeframe: Timeframe
    start_ns: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    is_closed: bool = True

    @property
    def end_ns(self) -> int:
        return self.start_ns + self.timeframe.ns
