"""Orders and their state machine: one table of legal moves, changed only by applying events."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import NewType

from tpm.domain.enums import OrderStatus, OrderType, Side, TimeInForce
from tpm.domain.money import ZERO
from tpm.errors import IllegalTransition

__all__ = [
    "TRANSITIONS",
    "ClientOrderId",
    "Order",
    "OrderAccepted",
    "OrderCancelled",
    "OrderEvent",
    "OrderExpired",
    "OrderFilled",
    "OrderRejected",
    "OrderReplaced",
    "OrderRequest",
    "new_client_order_id",
]

ClientOrderId = NewType("ClientOrderId", str)

S = OrderStatus
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    # A fill may race ahead of the acknowledgement, so NEW can move straight to a fill state.
    S.NEW: frozenset(
        {S.ACCEPTED, S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED, S.REJECTED, S.EXPIRED}
    ),
    S.ACCEPTED: frozenset({S.ACCEPTED, S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED, S.EXPIRED}),
    S.PARTIALLY_FILLED: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED, S.EXPIRED}),
    S.FILLED: frozenset(),
    S.CANCELLED: frozenset(),
    S.REJECTED: frozenset(),
    S.EXPIRED: frozenset(),
}


def new_client_order_id() -> ClientOrderId:
    """A fresh client order id: 32 hex digits (128 random bits), short enough for every broker
    we speak to."""
    return ClientOrderId(os.urandom(16).hex())


@dataclass(frozen=True, slots=True)
class OrderAccepted:
    ts_ns: int
    broker_order_id: str = ""


@dataclass(frozen=True, slots=True)
class OrderFilled:
    """A fill of `qty` at `price`; the order's filled quantity and average price follow from it."""

    ts_ns: int
    exec_id: str
    qty: Decimal
    price: Decimal


@dataclass(frozen=True, slots=True)
class OrderCancelled:
    ts_ns: int
    reason: str = ""


@dataclass(frozen=True, slots=True)
class OrderRejected:
    ts_ns: int
    reason: str


@dataclass(frozen=True, slots=True)
class OrderExpired:
    ts_ns: int
    reason: str = ""


@dataclass(frozen=True, slots=True)
class OrderReplaced:
    """The broker accepted new terms for a working order."""

    ts_ns: int
    qty: Decimal | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What someone wants to trade; the OMS turns it into an Order with a client order id."""

    symbol: str
    side: Side
    qty: Decimal
    type: OrderType = OrderType.MARKET
    tif: TimeInForce = TimeInForce.DAY
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    strategy: str = ""
    source: str = "manual"
    client_order_id: ClientOrderId | None = None


OrderEvent = (
    OrderAccepted | OrderFilled | OrderCancelled | OrderRejected | OrderExpired | OrderReplaced
)


@dataclass(frozen=True)
class Order:
    """An order as tpm knows it. Immutable: `apply` returns the order after an event.

    `reason` carries the rejection or cancellation sentence; `strategy` names who asked.
    """

    client_order_id: ClientOrderId
    symbol: str
    side: Side
    qty: Decimal
    type: OrderType = OrderType.MARKET
    tif: TimeInForce = TimeInForce.DAY
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    status: OrderStatus = OrderStatus.NEW
    filled_qty: Decimal = ZERO
    avg_fill_price: Decimal = ZERO
    created_ns: int = 0
    updated_ns: int = 0
    broker_order_id: str = ""
    strategy: str = ""
    source: str = "manual"
    reason: str = ""
    exec_ids: frozenset[str] = field(default=frozenset(), repr=False)

    def __post_init__(self) -> None:
        if self.qty <= 0:
            raise ValueError(f"order quantity must be positive, got {self.qty}")
        if self.type in (OrderType.LIMIT, OrderType.STOP_LIMIT) and self.limit_price is None:
            raise ValueError(f"a {self.type} order needs a limit price")
        if self.type in (OrderType.STOP, OrderType.STOP_LIMIT) and self.stop_price is None:
            raise ValueError(f"a {self.type} order needs a stop price")

    @property
    def leaves_qty(self) -> Decimal:
        return self.qty - self.filled_qty

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    def _moved(self, to: OrderStatus, ts_ns: int, **changes: object) -> Order:
        if to not in TRANSITIONS[self.status]:
            raise IllegalTransition(
                f"order {self.client_order_id} cannot go from {self.status} to {to}"
            )
        # A state move changes no field __post_init__ checks: copy the fields without
        # dataclasses.replace's generic (and, per fill, noticeable) machinery.
        moved = _copy(self)
        _set(moved, "status", to)
        _set(moved, "updated_ns", ts_ns)
        for name, value in changes.items():
            _set(moved, name, value)
        return moved

    def apply(self, event: OrderEvent) -> Order:
        """The order after `event`; raises IllegalTransition naming both states if not allowed."""
        match event:
            case OrderAccepted(ts_ns=ts, broker_order_id=bid):
                return self._moved(S.ACCEPTED, ts, broker_order_id=bid or self.broker_order_id)
            case OrderFilled(ts_ns=ts, exec_id=eid, qty=q, price=p):
                if eid in self.exec_ids:
                    return self
                filled = self.filled_qty + q
                if filled > self.qty:
                    raise IllegalTransition(
                        f"order {self.client_order_id}: fill of {q} would take filled quantity "
                        f"to {filled}, above the order quantity {self.qty}"
                    )
                avg = (self.avg_fill_price * self.filled_qty + p * q) / filled
                to = S.FILLED if filled == self.qty else S.PARTIALLY_FILLED
                return self._moved(
                    to, ts, filled_qty=filled, avg_fill_price=avg, exec_ids=self.exec_ids | {eid}
                )
            case OrderCancelled(ts_ns=ts, reason=r):
                return self._moved(S.CANCELLED, ts, reason=r)
            case OrderRejected(ts_ns=ts, reason=r):
                return self._moved(S.REJECTED, ts, reason=r)
            case OrderExpired(ts_ns=ts, reason=r):
                return self._moved(S.EXPIRED, ts, reason=r)
            case OrderReplaced(ts_ns=ts, qty=q, limit_price=lp, stop_price=sp):
                if self.status.is_terminal:
                    raise IllegalTransition(
                        f"order {self.client_order_id} cannot be replaced: it is {self.status}"
                    )
                new_qty = q if q is not None else self.qty
                if new_qty < self.filled_qty:
                    raise IllegalTransition(
                        f"order {self.client_order_id}: new quantity {new_qty} is below "
                        f"the filled quantity {self.filled_qty}"
                    )
                status = S.FILLED if new_qty == self.filled_qty else self.status
                return replace(
                    self,
                    qty=new_qty,
                    limit_price=lp if lp is not None else self.limit_price,
                    stop_price=sp if sp is not None else self.stop_price,
                    status=status,
                    updated_ns=ts,
                )
        raise TypeError(f"not an order event: {event!r}")


_set = object.__setattr__


def _copy(old: Order) -> Order:
    # Not a slots class, so that a state move copies one dict rather than nineteen slots.
    new: Order = object.__new__(Order)
    new.__dict__.update(old.__dict__)
    return new
