"""The wire format: every value the EngineClient passes survives the trip exactly, and what
does not match the expected type is refused with the path to it."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

import pytest

from tpm.domain import (
    ClientOrderId,
    FeedState,
    Order,
    OrderFilled,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
    TradingState,
)
from tpm.domain.snapshot import AccountView, EngineSnapshot, FeedView, StrategyView
from tpm.domain.users import Identity, LoginAnswer, Role
from tpm.remote.codec import CodecError, decode, encode


def trip(value: Any, t: Any) -> Any:
    return decode(json.loads(json.dumps(encode(value), allow_nan=False)), t)


def test_orders_and_requests_round_trip_exactly() -> None:
    order = Order(
        client_order_id=ClientOrderId("abc123"),
        symbol="ACME",
        side=Side.SELL,
        qty=Decimal("12.5"),
        type=OrderType.STOP_LIMIT,
        tif=TimeInForce.GTC,
        limit_price=Decimal("101.37"),
        stop_price=Decimal("101.40"),
        created_ns=1_700_000_000_123_456_789,
        updated_ns=1_700_000_000_123_456_789,
        status=OrderStatus.NEW,
        strategy="s",
        source="ui",
    )
    filled = order.apply(OrderFilled(2, "e1", Decimal("2.5"), Decimal("101.38")))
    assert trip(filled, Order) == filled and trip(filled, Order).exec_ids == {"e1"}
    req = OrderRequest("ACME", Side.BUY, Decimal("0.000001"), OrderType.LIMIT, limit_price=None)
    assert trip(req, OrderRequest) == req


def test_a_snapshot_round_trips_with_nan_and_nested_tuples() -> None:
    snap = EngineSnapshot(
        version=3,
        ts_ns=1,
        feed=FeedView("sim", FeedState.STALE, math.nan),
        account=AccountView(
            *(Decimal("100000.01"),) * 8, trading_state=TradingState.HALTED, state_reason="x"
        ),
        strategies=(StrategyView("s", ("A", "B"), "1m", True, positions=(("A", Decimal("-3")),)),),
        sectors={"A": "Tech"},
    )
    back = trip(snap, EngineSnapshot)
    assert math.isnan(back.feed.age_s)
    assert back.strategies == snap.strategies and back.account == snap.account
    assert back.sectors == {"A": "Tech"}
    assert (
        trip(LoginAnswer(Identity("ann", Role.ADMIN, "1.2.3.4:5")), LoginAnswer).who.role
        is Role.ADMIN
    )


@pytest.mark.parametrize(
    ("data", "t", "problem"),
    [
        ({"$d": "NaN"}, Decimal, "an exact number"),
        ({"$d": "1e20"}, Decimal, None),
        ({"$d": "1e999999999"}, Decimal, "an exact number"),
        ("12", Decimal, "an exact number"),
        (1.5, int, "a whole number expected, got a number"),
        (True, int, "a whole number expected"),
        ("buy", Side, None),
        ("hold", Side, "one of 'buy', 'sell' expected"),
        ({"symbol": "A", "side": "buy"}, OrderRequest, "field 'qty' of OrderRequest is missing"),
        (
            {"symbol": "A", "side": "buy", "qty": {"$d": "1"}, "evil": 1},
            OrderRequest,
            "unknown field 'evil'",
        ),
        (
            {
                "client_order_id": "x",
                "symbol": "A",
                "side": "buy",
                "qty": {"$d": "-1"},
                "created_ns": 1,
                "updated_ns": 1,
            },
            Order,
            "not a valid Order: order quantity must be positive",
        ),
        ([1, 2], tuple[int, int, int], "3 items expected"),
        ([1.5, True], tuple[float, ...], "value[1]: a number expected"),
        ([1, True], list[int], "value[1]: a whole number expected"),
        (["a", 2], tuple[str, ...], "value[1]: text expected"),
        ({"a": [1, "x"]}, dict[str, list[int]], "value['a'][1]: a whole number expected"),
        (None, int | None, None),
    ],
)
def test_what_does_not_match_is_refused_with_its_path(
    data: Any, t: Any, problem: str | None
) -> None:
    if problem is None:
        decode(data, t)  # reads (a huge but finite exponent is a valid Decimal)
        return
    with pytest.raises(CodecError) as info:
        decode(data, t)
    assert problem in str(info.value)


def test_number_lists_read_as_their_type() -> None:
    """Lists of plain numbers take a short way; what is not plain still reads item by item."""
    sparkline = decode([1.5, 2, {"$f": "nan"}], tuple[float, ...])
    assert sparkline[:2] == (1.5, 2.0) and type(sparkline[1]) is float
    assert math.isnan(sparkline[2])
    assert decode([1.5, 2.5], tuple[float, ...]) == (1.5, 2.5)
    mixed = decode([1.5, 2], tuple[float, ...])  # an int among floats is made a float
    assert mixed == (1.5, 2.0) and all(type(v) is float for v in mixed)
    assert decode(["A", "B"], list[str]) == ["A", "B"]


def test_nesting_is_bounded() -> None:
    deep: Any = 1
    for _ in range(100):
        deep = [deep]
    with pytest.raises(CodecError, match="nested too deep"):
        decode(deep, Any)
