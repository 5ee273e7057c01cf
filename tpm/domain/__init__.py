"""Plain values of trading: instruments, market data, orders, fills, positions, events. No I/O."""

from tpm.domain.broker import BrokerFill, BrokerMessage, BrokerOrderEvent, OrderReport
from tpm.domain.enums import OrderStatus, OrderType, Side, Timeframe, TimeInForce, TradingState
from tpm.domain.events import (
    EquitySnapshot,
    FeedState,
    FeedStatus,
    FillBooked,
    Notification,
    OrderUpdated,
    Severity,
)
from tpm.domain.fills import Fill, Position
from tpm.domain.instrument import Instrument
from tpm.domain.market import Bar, Quote, Trade
from tpm.domain.money import ZERO, quantize_price, quantize_qty, to_decimal
from tpm.domain.orders import (
    ClientOrderId,
    Order,
    OrderAccepted,
    OrderCancelled,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    OrderRequest,
    new_client_order_id,
)
from tpm.domain.reference import FUNDAMENTAL_FIELDS, Fundamentals, NewsItem
from tpm.domain.score import Driver, PillarScore, Rating, Score
from tpm.domain.timeutil import dt_to_ns, ns_to_dt, ns_to_iso

__all__ = [
    "FUNDAMENTAL_FIELDS",
    "ZERO",
    "Bar",
    "BrokerFill",
    "BrokerMessage",
    "BrokerOrderEvent",
    "ClientOrderId",
    "Driver",
    "EquitySnapshot",
    "FeedState",
    "FeedStatus",
    "Fill",
    "FillBooked",
    "Fundamentals",
    "Instrument",
    "NewsItem",
    "Notification",
    "Order",
    "OrderAccepted",
    "OrderCancelled",
    "OrderEvent",
    "OrderExpired",
    "OrderFilled",
    "OrderRejected",
    "OrderReplaced",
    "OrderReport",
    "OrderRequest",
    "OrderStatus",
    "OrderType",
    "OrderUpdated",
    "PillarScore",
    "Position",
    "Quote",
    "Rating",
    "Score",
    "Severity",
    "Side",
    "TimeInForce",
    "Timeframe",
    "Trade",
    "TradingState",
    "dt_to_ns",
    "new_client_order_id",
    "ns_to_dt",
    "ns_to_iso",
    "quantize_price",
    "quantize_qty",
    "to_decimal",
]
