"""What a broker says back: order events, fills, and its report on one order."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tpm.domain.fills import Fill
from tpm.domain.orders import ClientOrderId, OrderEvent

__all__ = ["BrokerFill", "BrokerMessage", "BrokerOrderEvent", "OrderReport"]


@dataclass(frozen=True, slots=True)
class BrokerOrderEvent:
    client_order_id: ClientOrderId
    event: OrderEvent


@dataclass(frozen=True, slots=True)
class BrokerFill:
    fill: Fill


BrokerMessage = BrokerOrderEvent | BrokerFill


@dataclass(frozen=True, slots=True)
class OrderReport:
    """The broker's view of one order, for reconciliation after a restart or a timeout.

    `status` is one of the OrderStatus values; `fills` are every execution of the order.
    """

    client_order_id: ClientOrderId
    status: str
    filled_qty: Decimal
    avg_fill_price: Decimal
    broker_order_id: str = ""
    fills: tuple[Fill, ...] = ()
