"""What the engine shows a UI: versioned, frozen snapshots, published at a bounded rate.

A row carries its own `version`, bumped only when something in it changed, so a view can
repaint exactly the rows that moved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from tpm.domain.enums import TradingState
from tpm.domain.events import FeedState, Notification
from tpm.domain.fills import Fill
from tpm.domain.orders import Order

__all__ = [
    "AccountView",
    "EngineSnapshot",
    "FeedView",
    "NotificationItem",
    "PositionRow",
    "StrategyView",
    "WatchRow",
]


@dataclass(frozen=True, slots=True)
class WatchRow:
    """One watchlist line. `change_pct` is against the previous session's close."""

    symbol: str
    name: str
    sector: str
    last: float
    bid: float
    ask: float
    change_pct: float
    volume: float
    spark: tuple[float, ...]
    score: float | None = None
    rating: str = ""
    updated_ns: int = 0
    version: int = 0


@dataclass(frozen=True, slots=True)
class PositionRow:
    symbol: str
    sector: str
    qty: Decimal
    avg_price: Decimal
    mark: Decimal | None
    market_value: Decimal
    unrealised_pnl: Decimal
    realised_pnl: Decimal
    day_change_pct: float


@dataclass(frozen=True, slots=True)
class AccountView:
    cash: Decimal
    equity: Decimal
    initial_cash: Decimal
    day_pnl: Decimal
    realised_pnl: Decimal
    unrealised_pnl: Decimal
    gross_exposure: Decimal
    net_exposure: Decimal
    trading_state: TradingState
    state_reason: str = ""

    @property
    def day_pnl_pct(self) -> float:
        start = self.equity - self.day_pnl
        return float(self.day_pnl / start * 100) if start else 0.0


@dataclass(frozen=True, slots=True)
class FeedView:
    name: str
    state: FeedState
    age_s: float | None
    """Seconds since the feed last delivered anything; None before its first message."""
    dropped: int = 0
    detail: str = ""


@dataclass(frozen=True, slots=True)
class StrategyView:
    name: str
    symbols: tuple[str, ...]
    timeframe: str
    is_running: bool
    """It sees bars and its targets become orders (started, and trading not halted)."""
    kind: str = ""
    """"rules", "python" or "built-in"."""
    source: str = ""
    """The file it came from, when known."""
    positions: tuple[tuple[str, Decimal], ...] = ()
    """What its own fills hold, per symbol (non-zero only)."""
    realised_pnl: Decimal = Decimal(0)
    unrealised_pnl: Decimal = Decimal(0)
    last_signal: str = ""
    """Its latest order, as "BUY 100 NVDA: reason"."""
    last_signal_ns: int = 0
    is_started: bool = True
    """Started (it may still not trade while trading is halted)."""


@dataclass(frozen=True, slots=True)
class NotificationItem:
    seq: int
    """Increasing number: a view shows (or toasts) each sequence number once."""
    note: Notification


@dataclass(frozen=True, slots=True)
class EngineSnapshot:
    """Everything a screen needs at one instant. `version` increases with every snapshot."""

    version: int
    ts_ns: int
    feed: FeedView
    account: AccountView
    watchlist: tuple[WatchRow, ...] = ()
    positions: tuple[PositionRow, ...] = ()
    open_orders: tuple[Order, ...] = ()
    recent_orders: tuple[Order, ...] = ()
    recent_fills: tuple[Fill, ...] = ()
    notifications: tuple[NotificationItem, ...] = ()
    strategies: tuple[StrategyView, ...] = ()
    sectors: dict[str, str] = field(default_factory=dict)
