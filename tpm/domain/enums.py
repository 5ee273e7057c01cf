"""The closed vocabularies of trading: sides, order types, time in force, statuses, timeframes."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["OrderStatus", "OrderType", "Side", "TimeInForce", "Timeframe", "TradingState"]


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """+1 for a buy, -1 for a sell: the direction a fill moves the position."""
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    STOP_LIMIT = "stop_limit"


class TimeInForce(StrEnum):
    DAY = "day"
    GTC = "gtc"
    IOC = "ioc"


class OrderStatus(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL

    @property
    def is_open(self) -> bool:
        return self not in _TERMINAL


_TERMINAL = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)


class TradingState(StrEnum):
    """The engine-wide kill switch: what kinds of orders may pass."""

    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"


class Timeframe(StrEnum):
    M1 = "1m"
    M5 = "5m"
    M15 = "15m"
    H1 = "1h"
    D1 = "1d"

    @property
    def seconds(self) -> int:
        return _SECONDS[self]

    @property
    def ns(self) -> int:
        return _SECONDS[self] * 1_000_000_000

    def bucket_start_ns(self, ts_ns: int) -> int:
        """Start of the bar that holds `ts_ns` (UTC-aligned; daily bars start at 00:00 UTC)."""
        step = _SECONDS[self] * 1_000_000_000
        return ts_ns - ts_ns % step


_SECONDS = {
    Timeframe.M1: 60,
    Timeframe.M5: 300,
    Timeframe.M15: 900,
    Timeframe.H1: 3600,
    Timeframe.D1: 86400,
}
