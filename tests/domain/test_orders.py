"""The order state machine: the transition table, fills, replaces and validation."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from tpm.domain import (
    ClientOrderId,
    Order,
    OrderAccepted,
    OrderCancelled,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
    new_client_order_id,
)
from tpm.domain.orders import TRANSITIONS
from tpm.errors import IllegalTransition

S = OrderStatus
QTY = Decimal(10)
PART = Decimal(4)
T0 = 1_700_000_000_000_000_000


def order_in(status: OrderStatus, **kw: object) -> Order:
    """An order of 10 in `status`; those that may carry fills already have 4 filled at 100."""
    filled = PART if status not in (S.NEW, S.ACCEPTED, S.REJECTED) else Decimal(0)
    base: dict[str, object] = {
        "client_order_id": ClientOrderId("c-1"),
        "symbol": "ACME",
        "side": Side.BUY,
        "qty": QTY,
        "status": status,
        "filled_qty": filled,
        "avg_fill_price": Decimal(100) if filled else Decimal(0),
        "created_ns": T0,
        "updated_ns": T0,
    }
    base.update(kw)
    return Order(**base)  # type: ignore[arg-type]


def event_to(target: OrderStatus, order: Order) -> OrderEvent:
    """An event whose only purpose is to move `order` to `target`."""
    ts = T0 + 1
    if target is S.ACCEPTED:
        return OrderAccepted(ts, "B-1")
    if target is S.PARTIALLY_FILLED:
        return OrderFilled(ts, f"x-{target}", Decimal(1), Decimal(101))
    if target is S.FILLED:
        return OrderFilled(ts, f"x-{target}", order.leaves_qty, Decimal(101))
    if target is S.CANCELLED:
        return OrderCancelled(ts, "asked")
    if target is S.REJECTED:
        return OrderRejected(ts, "no")
    if target is S.EXPIRED:
        return OrderExpired(ts, "day over")
    raise AssertionError(f"no event leads to {target}")


REACHABLE = [s for s in OrderStatus if s is not S.NEW]
PAIRS = list(itertools.product(OrderStatus, REACHABLE))
LEGAL = [(a, b) for a, b in PAIRS if b in TRANSITIONS[a]]
ILLEGAL = [(a, b) for a, b in PAIRS if b not in TRANSITIONS[a]]


def test_table_covers_every_status_and_terminal_states_have_no_exit() -> None:
    assert set(TRANSITIONS) == set(OrderStatus)
    for status, targets in TRANSITIONS.items():
        assert (not targets) == status.is_terminal, status
        assert S.NEW not in targets
    assert LEGAL and ILLEGAL


@pytest.mark.parametrize(("start", "target"), LEGAL, ids=[f"{a}->{b}" for a, b in LEGAL])
def test_legal_transition_applies(start: OrderStatus, target: OrderStatus) -> None:
    order = order_in(start)
    moved = order.apply(event_to(target, order))
    assert moved.status is target
    assert moved.updated_ns == T0 + 1
    assert order.status is start  # the original is untouched


@pytest.mark.parametrize(("start", "target"), ILLEGAL, ids=[f"{a}->{b}" for a, b in ILLEGAL])
def test_illegal_transition_raises_naming_both_states(
    start: OrderStatus, target: OrderStatus
) -> None:
    order = order_in(start)
    with pytest.raises(IllegalTransition) as info:
        order.apply(event_to(target, order))
    message = str(info.value)
    assert f"from {start.value}" in message
    assert f"to {target.value}" in message
    assert order.client_order_id in message


@pytest.mark.parametrize("start", list(OrderStatus))
def test_no_event_leads_back_to_new(start: OrderStatus) -> None:
    order = order_in(start)
    for target in REACHABLE:
        try:
            moved = order.apply(event_to(target, order))
        except IllegalTransition:
            continue
        assert moved.status is not S.NEW


def test_accept_records_broker_id_and_keeps_it_when_absent() -> None:
    accepted = order_in(S.NEW).apply(OrderAccepted(T0 + 1, "B-77"))
    assert accepted.broker_order_id == "B-77"
    again = accepted.apply(OrderAccepted(T0 + 2))
    assert again.broker_order_id == "B-77"


def test_fills_accumulate_quantity_and_average_price() -> None:
    o = order_in(S.ACCEPTED)
    o = o.apply(OrderFilled(T0 + 1, "e1", Decimal(3), Decimal("100.00")))
    assert (o.status, o.filled_qty, o.leaves_qty) == (S.PARTIALLY_FILLED, 3, 7)
    assert o.avg_fill_price == Decimal("100.00")
    o = o.apply(OrderFilled(T0 + 2, "e2", Decimal(5), Decimal("101.00")))
    assert o.avg_fill_price == Decimal("100.625")
    o = o.apply(OrderFilled(T0 + 3, "e3", Decimal(2), Decimal("99.50")))
    assert o.status is S.FILLED
    assert o.filled_qty == QTY
    assert o.leaves_qty == 0
    assert o.avg_fill_price == Decimal("100.4")  # (300 + 505 + 199) / 10
    assert o.exec_ids == {"e1", "e2", "e3"}
    assert not o.is_open


def test_fill_may_race_ahead_of_the_acknowledgement() -> None:
    o = order_in(S.NEW).apply(OrderFilled(T0 + 1, "e1", QTY, Decimal(5)))
    assert o.status is S.FILLED


def test_duplicate_exec_id_is_a_no_op() -> None:
    o = order_in(S.ACCEPTED).apply(OrderFilled(T0 + 1, "e1", Decimal(3), Decimal(100)))
    again = o.apply(OrderFilled(T0 + 9, "e1", Decimal(3), Decimal(100)))
    assert again is o
    assert again.filled_qty == 3
    assert again.updated_ns == T0 + 1


def test_duplicate_exec_id_is_ignored_even_when_it_would_overfill() -> None:
    o = order_in(S.ACCEPTED).apply(OrderFilled(T0 + 1, "e1", QTY, Decimal(100)))
    assert o.apply(OrderFilled(T0 + 2, "e1", QTY, Decimal(100))) is o


def test_overfill_raises_with_the_quantities() -> None:
    o = order_in(S.ACCEPTED).apply(OrderFilled(T0 + 1, "e1", Decimal(8), Decimal(100)))
    with pytest.raises(IllegalTransition) as info:
        o.apply(OrderFilled(T0 + 2, "e2", Decimal(3), Decimal(100)))
    assert "11" in str(info.value)
    assert "10" in str(info.value)


def test_replace_changes_terms_and_keeps_status() -> None:
    o = order_in(S.ACCEPTED, type=OrderType.LIMIT, limit_price=Decimal("99.50"))
    r = o.apply(OrderReplaced(T0 + 5, qty=Decimal(20), limit_price=Decimal("99.75")))
    assert (r.qty, r.limit_price, r.status, r.updated_ns) == (
        20,
        Decimal("99.75"),
        S.ACCEPTED,
        T0 + 5,
    )
    price_only = r.apply(OrderReplaced(T0 + 6, limit_price=Decimal("99.80")))
    assert (price_only.qty, price_only.limit_price) == (20, Decimal("99.80"))


def test_replace_below_filled_raises() -> None:
    o = order_in(S.PARTIALLY_FILLED)
    with pytest.raises(IllegalTransition) as info:
        o.apply(OrderReplaced(T0 + 1, qty=PART - 1))
    assert str(PART - 1) in str(info.value)
    assert str(PART) in str(info.value)


def test_replace_down_to_filled_completes_the_order() -> None:
    o = order_in(S.PARTIALLY_FILLED).apply(OrderReplaced(T0 + 1, qty=PART))
    assert o.status is S.FILLED
    assert o.leaves_qty == 0


@pytest.mark.parametrize("status", [s for s in OrderStatus if s.is_terminal])
def test_replace_of_terminal_order_raises(status: OrderStatus) -> None:
    with pytest.raises(IllegalTransition, match=status.value):
        order_in(status).apply(OrderReplaced(T0 + 1, qty=Decimal(20)))


def test_rejection_and_cancellation_keep_the_reason() -> None:
    assert order_in(S.NEW).apply(OrderRejected(T0, "too big")).reason == "too big"
    assert order_in(S.ACCEPTED).apply(OrderCancelled(T0, "user")).reason == "user"


def test_apply_refuses_something_that_is_not_an_event() -> None:
    with pytest.raises(TypeError):
        order_in(S.NEW).apply("accept")  # type: ignore[arg-type]


@pytest.mark.parametrize("qty", [Decimal(0), Decimal(-1), Decimal("-0.5")])
def test_order_quantity_must_be_positive(qty: Decimal) -> None:
    with pytest.raises(ValueError, match="positive"):
        order_in(S.NEW, qty=qty)


@pytest.mark.parametrize(
    ("kind", "prices", "missing"),
    [
        (OrderType.LIMIT, {}, "limit"),
        (OrderType.STOP, {}, "stop"),
        (OrderType.STOP_LIMIT, {"stop_price": Decimal(1)}, "limit"),
        (OrderType.STOP_LIMIT, {"limit_price": Decimal(1)}, "stop"),
    ],
)
def test_priced_order_types_need_their_prices(
    kind: OrderType, prices: dict[str, Decimal], missing: str
) -> None:
    with pytest.raises(ValueError, match=f"needs a {missing} price"):
        order_in(S.NEW, type=kind, **prices)


def test_priced_orders_with_prices_are_valid() -> None:
    o = order_in(
        S.NEW,
        type=OrderType.STOP_LIMIT,
        tif=TimeInForce.GTC,
        limit_price=Decimal(2),
        stop_price=Decimal(1),
    )
    assert (o.limit_price, o.stop_price, o.is_open) == (Decimal(2), Decimal(1), True)


def test_client_order_ids_are_fresh_hex() -> None:
    ids = {new_client_order_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
