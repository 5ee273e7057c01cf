"""The paper broker on bars, for IOC orders, at the end of the trading day, and its fees."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tpm.adapters.brokers.paper import PaperBroker
from tpm.domain import (
    Bar,
    BrokerFill,
    BrokerMessage,
    BrokerOrderEvent,
    ClientOrderId,
    Fill,
    Instrument,
    Order,
    OrderCancelled,
    OrderExpired,
    OrderType,
    Quote,
    Side,
    Timeframe,
    TimeInForce,
    Trade,
    dt_to_ns,
)

D = Decimal
MIN = 60 * 10**9
T0 = dt_to_ns(datetime(2024, 3, 5, 15, 0, tzinfo=UTC))  # 10:00 in New York (EST)
LIVE = T0 + 100 * 10**6  # the first instant an order created at T0 may fill on a quote
ACME = Instrument("ACME", timezone="America/New_York")
COIN = Instrument("COIN", timezone="UTC", session_open="00:00", session_close="00:00")


def make_broker(**kw: object) -> PaperBroker:
    params: dict[str, object] = {
        "commission_per_share": 0.01,
        "commission_bps": 0.0,
        "commission_min": 1.0,
        "slippage_bps": 10.0,
        "participation": 0.5,
        "latency_ms": 100.0,
    }
    params.update(kw)
    return PaperBroker([ACME, COIN], **params)  # type: ignore[arg-type]


@pytest.fixture
def broker() -> PaperBroker:
    return make_broker()


_ids = iter(range(10**9))


def order(
    side: Side = Side.BUY,
    qty: int = 10,
    type: OrderType = OrderType.MARKET,
    *,
    limit: str | None = None,
    stop: str | None = None,
    tif: TimeInForce = TimeInForce.GTC,
    symbol: str = "ACME",
    created_ns: int = T0,
) -> Order:
    return Order(
        client_order_id=ClientOrderId(f"bar{next(_ids):08d}"),
        symbol=symbol,
        side=side,
        qty=D(qty),
        type=type,
        tif=tif,
        limit_price=None if limit is None else D(limit),
        stop_price=None if stop is None else D(stop),
        created_ns=created_ns,
        updated_ns=created_ns,
    )


def bar(o: float, h: float, lo: float, volume: float = 1e6, start: int = T0 + MIN) -> Bar:
    return Bar("ACME", Timeframe.M1, start, o, h, lo, (h + lo) / 2, volume)


def quote(bid: float, ask: float, ts: int, size: float = 1e6, symbol: str = "ACME") -> Quote:
    return Quote(symbol, ts, bid, ask, size, size)


async def drain(broker: PaperBroker) -> list[BrokerMessage]:
    """Every message the broker has queued so far."""
    it: AsyncIterator[BrokerMessage] = broker.messages()
    out: list[BrokerMessage] = []
    while True:
        try:
            out.append(await asyncio.wait_for(anext(it), 0.05))
        except (TimeoutError, StopAsyncIteration):
            return out


def fills_of(msgs: list[BrokerMessage]) -> list[Fill]:
    return [m.fill for m in msgs if isinstance(m, BrokerFill)]


def events_of(msgs: list[BrokerMessage]) -> list[object]:
    return [m.event for m in msgs if isinstance(m, BrokerOrderEvent)]


async def submitted(broker: PaperBroker, o: Order) -> Order:
    await broker.submit(o)
    assert len(events_of(await drain(broker))) == 1  # the acknowledgement
    return o


async def fill_prices(broker: PaperBroker, o: Order, *bars: Bar) -> list[Decimal]:
    await submitted(broker, o)
    for b in bars:
        broker.on_market(b)
    return [f.price for f in fills_of(await drain(broker))]


# -- bars --------------------------------------------------------------------------------------


async def test_market_order_fills_at_the_next_bar_open(broker: PaperBroker) -> None:
    # The bar under way when the order was placed is no chance; the next one, at its open, is.
    prices = await fill_prices(
        broker, order(Side.BUY), bar(90.0, 91.0, 89.0, start=T0 - MIN), bar(100.0, 102.0, 99.0)
    )
    assert prices == [D("100.10")]


async def test_bar_opening_as_the_order_is_placed_fills_it(broker: PaperBroker) -> None:
    assert await fill_prices(broker, order(Side.BUY), bar(90.0, 91.0, 89.0, start=T0)) == [
        D("90.09")
    ]


async def test_market_sell_on_a_bar_pays_slippage_down(broker: PaperBroker) -> None:
    assert await fill_prices(broker, order(Side.SELL), bar(50.05, 51.0, 49.0)) == [D("50.00")]


async def test_bar_fill_takes_at_most_the_participation_of_volume(broker: PaperBroker) -> None:
    await submitted(broker, order(Side.BUY, 100))
    broker.on_market(bar(10.0, 10.5, 9.5, volume=60))
    broker.on_market(bar(10.0, 10.5, 9.5, volume=1000, start=T0 + 2 * MIN))
    got = fills_of(await drain(broker))
    assert [f.qty for f in got] == [30, 70]
    assert [f.ts_ns for f in got] == [T0 + MIN, T0 + 2 * MIN]


@pytest.mark.parametrize(
    ("side", "limit", "bar_ohl", "expected"),
    [
        (Side.BUY, "99.00", (100.0, 101.0, 99.5), None),  # never reaches the limit
        (Side.BUY, "99.00", (100.0, 101.0, 98.5), "99.00"),  # reaches it: at the limit
        (Side.BUY, "99.00", (98.0, 99.5, 97.5), "98.00"),  # opens better: at the open
        (Side.SELL, "101.00", (100.0, 100.9, 99.0), None),
        (Side.SELL, "101.00", (100.0, 101.5, 99.0), "101.00"),
        (Side.SELL, "101.00", (102.0, 102.5, 101.5), "102.00"),
    ],
)
async def test_limit_on_a_bar(
    broker: PaperBroker,
    side: Side,
    limit: str,
    bar_ohl: tuple[float, float, float],
    expected: str | None,
) -> None:
    o = order(side, 10, OrderType.LIMIT, limit=limit)
    prices = await fill_prices(broker, o, bar(*bar_ohl))
    assert prices == ([] if expected is None else [D(expected)])


@pytest.mark.parametrize(
    ("side", "stop", "bar_ohl", "expected"),
    [
        (Side.BUY, "101.00", (100.0, 100.8, 99.0), None),
        (Side.BUY, "101.00", (100.0, 102.0, 99.0), "101.10"),  # at the stop, plus slippage
        (Side.BUY, "101.00", (103.0, 104.0, 102.5), "103.10"),  # gap through: at the open
        (Side.SELL, "95.00", (96.0, 97.0, 95.5), None),
        (Side.SELL, "95.00", (96.0, 97.0, 94.0), "94.90"),  # 94.905, half to even
        (Side.SELL, "95.00", (93.0, 93.5, 92.0), "92.91"),
    ],
)
async def test_stop_on_a_bar(
    broker: PaperBroker,
    side: Side,
    stop: str,
    bar_ohl: tuple[float, float, float],
    expected: str | None,
) -> None:
    o = order(side, 10, OrderType.STOP, stop=stop)
    prices = await fill_prices(broker, o, bar(*bar_ohl))
    assert prices == ([] if expected is None else [D(expected)])


async def test_stop_limit_on_a_bar_fills_no_worse_than_its_limit(broker: PaperBroker) -> None:
    o = order(Side.BUY, 10, OrderType.STOP_LIMIT, stop="101.00", limit="101.50")
    assert await fill_prices(broker, o, bar(100.0, 103.0, 99.0)) == [D("101.00")]
    gap = order(Side.BUY, 10, OrderType.STOP_LIMIT, stop="101.00", limit="101.50")
    assert await fill_prices(broker, gap, bar(103.0, 104.0, 102.0, start=T0 + 2 * MIN)) == []


async def test_zero_volume_bar_does_not_fill(broker: PaperBroker) -> None:
    await submitted(broker, order(Side.BUY, 10))
    broker.on_market(bar(100.0, 101.0, 99.0, volume=0))
    assert await drain(broker) == []
    broker.on_market(bar(100.5, 101.0, 99.0, start=T0 + 2 * MIN))
    assert [f.price for f in fills_of(await drain(broker))] == [D("100.60")]


async def test_ioc_limit_not_reached_on_its_first_bar_is_cancelled(broker: PaperBroker) -> None:
    await submitted(
        broker, order(Side.BUY, 10, OrderType.LIMIT, limit="90.00", tif=TimeInForce.IOC)
    )
    broker.on_market(bar(100.0, 101.0, 99.0))
    [ev] = events_of(await drain(broker))
    assert isinstance(ev, OrderCancelled)
    broker.on_market(bar(80.0, 81.0, 79.0, start=T0 + 2 * MIN))
    assert await drain(broker) == []


# -- IOC ---------------------------------------------------------------------------------------


async def test_ioc_not_marketable_is_cancelled_after_its_first_chance(
    broker: PaperBroker,
) -> None:
    o = await submitted(
        broker, order(Side.BUY, 10, OrderType.LIMIT, limit="99.00", tif=TimeInForce.IOC)
    )
    broker.on_market(quote(99.0, 99.5, LIVE - 1))  # before it arrives: no chance yet
    assert await drain(broker) == []
    broker.on_market(quote(99.0, 99.5, LIVE))
    [ev] = events_of(await drain(broker))
    assert isinstance(ev, OrderCancelled)
    assert "IOC" in ev.reason
    assert ev.ts_ns == LIVE
    broker.on_market(quote(98.0, 98.5, LIVE + 1))
    assert await drain(broker) == []
    report = await broker.order_report(o.client_order_id)
    assert report is not None and report.status == "cancelled"


async def test_ioc_fills_what_it_can_and_cancels_the_rest(broker: PaperBroker) -> None:
    await submitted(broker, order(Side.BUY, 50, tif=TimeInForce.IOC))
    broker.on_market(quote(99.0, 100.0, LIVE, size=40))
    msgs = await drain(broker)
    assert [f.qty for f in fills_of(msgs)] == [20]
    [ev] = events_of(msgs)
    assert isinstance(ev, OrderCancelled)
    assert isinstance(msgs[0], BrokerFill)  # the fill comes before the cancellation


# -- the end of the trading day ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "created", "day_end"),
    [
        # A market that never closes: the day ends at local midnight.
        ("COIN", datetime(2024, 3, 5, 15, 0, tzinfo=UTC), datetime(2024, 3, 6, 0, 0, tzinfo=UTC)),
        # New York's 16:00 close is 21:00 UTC in winter and 20:00 UTC in summer.
        ("ACME", datetime(2024, 3, 5, 15, 0, tzinfo=UTC), datetime(2024, 3, 5, 21, 0, tzinfo=UTC)),
        ("ACME", datetime(2024, 7, 1, 15, 0, tzinfo=UTC), datetime(2024, 7, 1, 20, 0, tzinfo=UTC)),
        # Placed after Tuesday's close (20:00 New York): it lives through Wednesday's session.
        ("ACME", datetime(2024, 3, 6, 1, 0, tzinfo=UTC), datetime(2024, 3, 6, 21, 0, tzinfo=UTC)),
        # Placed on Sunday, the day clocks spring forward: Monday's close, in summer time.
        (
            "ACME",
            datetime(2024, 3, 10, 15, 0, tzinfo=UTC),
            datetime(2024, 3, 11, 20, 0, tzinfo=UTC),
        ),
        # Placed after Friday's close: Monday's close.
        ("ACME", datetime(2024, 3, 8, 22, 0, tzinfo=UTC), datetime(2024, 3, 11, 20, 0, tzinfo=UTC)),
    ],
)
async def test_day_order_expires_at_the_instruments_session_close(
    broker: PaperBroker, symbol: str, created: datetime, day_end: datetime
) -> None:
    created_ns, end_ns = dt_to_ns(created), dt_to_ns(day_end)
    o = order(
        Side.BUY,
        10,
        OrderType.LIMIT,
        limit="50.00",
        tif=TimeInForce.DAY,
        symbol=symbol,
        created_ns=created_ns,
    )
    await submitted(broker, o)
    broker.on_market(quote(99.0, 100.0, end_ns - 1, symbol=symbol))
    assert await drain(broker) == []
    # At the instant the day ends it expires, even on a quote that would have filled it.
    broker.on_market(quote(40.0, 40.5, end_ns, symbol=symbol))
    [ev] = events_of(msgs := await drain(broker))
    assert fills_of(msgs) == []
    assert isinstance(ev, OrderExpired)
    assert ev.ts_ns == end_ns
    assert ev.reason
    report = await broker.order_report(o.client_order_id)
    assert report is not None and report.status == "expired"


async def test_day_order_expires_on_a_trade_or_bar_after_the_day(broker: PaperBroker) -> None:
    end_ns = dt_to_ns(datetime(2024, 3, 6, 5, 0, tzinfo=UTC))
    a = await submitted(
        broker, order(Side.BUY, 10, OrderType.LIMIT, limit="50.00", tif=TimeInForce.DAY)
    )
    broker.on_market(Trade("ACME", end_ns + MIN, 49.0, 100))
    assert [type(e) for e in events_of(await drain(broker))] == [OrderExpired]
    b = await submitted(broker, order(Side.BUY, 10, tif=TimeInForce.DAY))
    broker.on_market(bar(100.0, 101.0, 99.0, start=end_ns))
    msgs = await drain(broker)
    assert fills_of(msgs) == []
    assert [type(e) for e in events_of(msgs)] == [OrderExpired]
    assert a.client_order_id != b.client_order_id


async def test_gtc_order_does_not_expire(broker: PaperBroker) -> None:
    o = await submitted(broker, order(Side.BUY, 10, OrderType.LIMIT, limit="50.00"))
    week = 7 * 24 * 60 * MIN
    broker.on_market(quote(99.0, 100.0, T0 + week))
    assert await drain(broker) == []
    report = await broker.order_report(o.client_order_id)
    assert report is not None and report.status == "accepted"
    broker.on_market(quote(49.0, 49.5, T0 + week + 1))
    assert [f.price for f in fills_of(await drain(broker))] == [D("49.50")]


# -- commission ----------------------------------------------------------------------------------


async def commissions(
    broker: PaperBroker, qty: int, sizes: list[float], ask: float = 100.0
) -> list[Decimal]:
    await submitted(broker, order(Side.BUY, qty))
    for i, size in enumerate(sizes):
        broker.on_market(quote(ask - 0.01, ask, T0 + MIN + i, size=size))
    return [f.commission for f in fills_of(await drain(broker))]


async def test_minimum_commission_is_charged_once_per_order(broker: PaperBroker) -> None:
    # 40 shares at 0.01 is 0.40: the 1.00 minimum, charged once though the order fills in two.
    assert await commissions(broker, 40, [40, 40]) == [D("1.00"), D("0")]


async def test_commission_above_the_minimum_is_per_share_over_the_whole_order(
    broker: PaperBroker,
) -> None:
    charged = await commissions(broker, 150, [120, 1000])  # fills of 60 and 90
    assert charged == [D("1.00"), D("0.50")]
    assert sum(charged) == D("1.50")


async def test_commission_in_basis_points_of_notional() -> None:
    broker = make_broker(
        commission_per_share=0.0, commission_bps=10.0, commission_min=0.0, slippage_bps=0.0
    )
    charged = await commissions(broker, 30, [20, 1000], ask=100.0)  # 10 @ 100, then 20 @ 100
    assert charged == [D("1.00"), D("2.00")]


async def test_commission_keeps_sub_cent_precision() -> None:
    broker = make_broker(commission_per_share=0.005, commission_min=0.0)
    assert await commissions(broker, 3, [1000]) == [D("0.015")]


async def test_quotes_for_another_symbol_leave_day_orders_alone(broker: PaperBroker) -> None:
    await submitted(
        broker, order(Side.BUY, 10, OrderType.LIMIT, limit="50.00", tif=TimeInForce.DAY)
    )
    broker.on_market(quote(99.0, 100.0, T0 + 10**6 * MIN, symbol="COIN"))
    assert await drain(broker) == []
