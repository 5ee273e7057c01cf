"""The engine's boundaries: what a feed, a broker, a store and a reference source must do.

Adapters implement these structurally (they never import this module); `cli.py` wires them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from tpm.domain import (
    Bar,
    ClientOrderId,
    EquitySnapshot,
    Fill,
    Fundamentals,
    Instrument,
    NewsItem,
    Notification,
    Order,
    Quote,
    Score,
    Timeframe,
    Trade,
)
from tpm.domain.broker import BrokerFill, BrokerMessage, BrokerOrderEvent, OrderReport

__all__ = [
    "Broker",
    "BrokerFill",
    "BrokerMessage",
    "BrokerOrderEvent",
    "FundamentalsSource",
    "MarketConsumer",
    "MarketEvent",
    "MarketFeed",
    "NewsSource",
    "Notifier",
    "OrderReport",
    "OrderStore",
    "Store",
]

MarketEvent = Quote | Trade | Bar


class MarketFeed(Protocol):
    """A source of market data. `stream` yields batches so a busy feed costs one await per batch."""

    name: str

    def instruments(self) -> Sequence[Instrument]:
        """The instruments this feed can serve."""
        ...

    async def connect(self) -> None: ...

    async def subscribe(self, symbols: Sequence[str]) -> None:
        """Start delivering these symbols; called again after every reconnect."""
        ...

    def stream(self) -> AsyncIterator[Sequence[MarketEvent]]:
        """Batches of quotes, trades and bars, in time order, until the feed is closed."""
        ...

    async def history(self, symbol: str, timeframe: Timeframe, limit: int) -> list[Bar]:
        """Up to `limit` most recent closed bars, oldest first (empty when the feed has none)."""
        ...

    async def close(self) -> None: ...


class Broker(Protocol):
    """Where orders go. Acknowledgements and fills arrive on `messages`, not as return values."""

    name: str

    async def connect(self) -> None: ...

    async def submit(self, order: Order) -> None:
        """Send a new order; raises BrokerError on refusal and SubmissionTimeout on silence."""
        ...

    async def cancel(self, client_order_id: ClientOrderId) -> None: ...

    async def replace(
        self,
        client_order_id: ClientOrderId,
        qty: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> None: ...

    async def order_report(self, client_order_id: ClientOrderId) -> OrderReport | None:
        """The broker's view of an order, or None if the broker never received it."""
        ...

    def messages(self) -> AsyncIterator[BrokerMessage]: ...

    async def close(self) -> None: ...


@runtime_checkable
class MarketConsumer(Protocol):
    """A broker that needs to see the market (the paper broker matches orders against it)."""

    def on_market(self, event: MarketEvent) -> None: ...


class FundamentalsSource(Protocol):
    name: str

    async def fundamentals(self, symbols: Sequence[str]) -> list[Fundamentals]: ...


class NewsSource(Protocol):
    name: str

    def headlines(self) -> AsyncIterator[Sequence[NewsItem]]:
        """Batches of new headlines as they are published."""
        ...


class Notifier(Protocol):
    name: str

    async def send(self, notification: Notification) -> None: ...


AuditEntry = tuple[str, str, str, str]
"""An audit log entry: who, what, the detail, and from where."""


class OrderStore(Protocol):
    """Where orders and fills are kept: committed before each call returns."""

    async def save_order(self, order: Order, audit: AuditEntry | None = None) -> None:
        """Commit `order`, and with it `audit` (actor, action, detail, origin) to the audit
        log, in one transaction."""
        ...

    async def save_fill(self, fill: Fill, order: Order | None) -> bool:
        """Commit a fill (and the order it moved) in one transaction; False if already stored."""
        ...

    async def load_orders(self, open_only: bool = False) -> list[Order]: ...

    async def load_order(self, client_order_id: str) -> Order | None: ...

    async def load_fills(self) -> list[Fill]: ...

    def write_notification(self, notification: Notification) -> None: ...

    async def audit(self, actor: str, action: str, detail: str, origin: str = "local") -> None:
        """Append one event to the tamper-evident audit log."""
        ...


class Store(OrderStore, Protocol):
    """Persistence. Orders and fills are committed before the call returns; bars, quotes and
    equity go through a write-behind buffer flushed by `flush` and periodically."""

    async def open(self) -> None:
        """Connect and bring the schema up to date."""
        ...

    async def close(self) -> None:
        """Flush what is buffered and disconnect."""
        ...

    async def save_instruments(self, instruments: Sequence[Instrument]) -> None: ...

    async def load_instruments(self) -> list[Instrument]: ...

    def write_bar(self, bar: Bar) -> None: ...

    def write_quote(self, quote: Quote) -> None: ...

    def write_equity(self, snapshot: EquitySnapshot) -> None: ...

    def write_score(self, score: Score) -> None: ...

    async def flush(self) -> None: ...

    async def load_bars(
        self, symbol: str, timeframe: Timeframe, limit: int = 1000, end_ns: int | None = None
    ) -> list[Bar]: ...

    async def load_equity(self, limit: int = 10_000) -> list[EquitySnapshot]: ...

    async def load_notifications(self, limit: int = 100) -> list[Notification]:
        """The latest notifications, oldest first."""
        ...

    async def get_state(self, key: str) -> str | None: ...

    async def set_state(self, key: str, value: str) -> None: ...

    async def save_fundamentals(self, rows: Sequence[Fundamentals]) -> None: ...

    async def load_fundamentals(self) -> list[Fundamentals]:
        """Every symbol's latest stored figures."""
        ...

    async def save_news(self, items: Sequence[NewsItem]) -> None: ...

    async def pending_commands(self) -> list[dict[str, Any]]:
        """Commands other processes queued for this engine, oldest first."""
        ...

    async def finish_command(self, command_id: int, status: str, result: str) -> None: ...
