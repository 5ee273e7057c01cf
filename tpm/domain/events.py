"""Discrete events the engine publishes besides market data."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from tpm.domain.fills import Fill
from tpm.domain.orders import Order

__all__ = [
    "EquitySnapshot",
    "FeedState",
    "FeedStatus",
    "FillBooked",
    "Notification",
    "OrderUpdated",
    "Severity",
]


@dataclass(frozen=True, slots=True)
class OrderUpdated:
    """An order changed and the change is stored. `order` is the state after the change."""

    order: Order


@dataclass(frozen=True, slots=True)
class FillBooked:
    """A fill is committed to the store and applied to the portfolio."""

    fill: Fill


class FeedState(StrEnum):
    CONNECTING = "connecting"
    LIVE = "live"
    STALE = "stale"
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """A feed's health: its state and when it last delivered a message."""

    feed: str
    state: FeedState
    last_message_ns: int
    detail: str = ""


@dataclass(frozen=True, slots=True)
class EquitySnapshot:
    ts_ns: int
    cash: Decimal
    equity: Decimal
    gross_exposure: Decimal
    net_exposure: Decimal


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Notification:
    """Something a person should see: a fill, a rejection, an alert, a feed problem."""

    ts_ns: int
    severity: Severity
    title: str
    message: str
    kind: str = "info"
