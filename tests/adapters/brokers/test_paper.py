"""The paper broker's fill model on quotes and trades: prices, latency, sizes, order types."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tpm.adapters.brokers.paper import PaperBroker
from tpm.domain import (
    BrokerFill,
    BrokerMessage,
    BrokerOrderEvent,
    ClientOrderId,
    Fill,
    Instrument,
    Order,
    OrderAccepted,
    OrderCancelled,
    OrderReplaced,
    OrderType,
    Quote,
    Side,
    TimeInForce,
    Trade,
    dt_to_ns,
)
from tpm.errors import BrokerError

D = Decimal
MS = 1_000_000
T0 = dt_to_ns(datetime(2024, 3, 5, 15, 0, tzinfo=UTC))  # 10:00 in New York
LATENCY = 100 * MS
LIVE = T0 + LATENCY  # the first instant an order created at T0 may fill
ACME = Instrument("ACME")


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
    return PaperBroker([ACME], **params)  # type: ignore[arg-type]


@pytest.fixture
def broker() -> PaperBroker:
    return make_broker()


_ids = iter(range(10**9))


def order(
    side: Side = Side.BUY,
    qty: int | str = 10,
    type: OrderType = OrderType.MARKET,
    *,
    limit: str | None = None,
    stop: str | None = None,
    tif: TimeInForce = TimeInForce.GTC,
    symbol: str = "ACME",
    created_ns: int = T0,
) -> Order:
    return Order(
        client_order_id=ClientOrderId(f"coid{next(_ids):08d}"),
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


def quote(bid: float, ask: float, ts: int = LIVE, size: float = 1e6, symbol: str = "ACME") -> Quote:
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
    """Submit `o` and consume its acknowledgement."""
    await broker.submit(o)
    [ack] = events_of(await drain(broker))
    assert isinstance(ack, OrderAccepted)
    assert ack.broker_order_id
    return o


# -- market orders ---------------------------------------------------------------------------


async def test_market_buy_fills_at_ask_plus_slippage_on_the_tick(broker: PaperBroker) -> None:
    o = await submitted(broker, order(Side.BUY, 10))
    broker.on_market(quote(49.95, 50.05))
    [f] = fills_of(await drain(broker))
    # 50.05 * 1.001 = 50.10005, rounded to the cent
    assert (f.side, f.qty, f.price, f.ts_ns) == (Side.BUY, 10, D("50.10"), LIVE)
    assert f.client_order_id == o.client_order_id
    assert f.price.as_tuple().exponent == -2


async def test_market_sell_fills_at_bid_minus_slippage(broker: PaperBroker) -> None:
    await submitted(broker, order(Side.SELL, 10))
    broker.on_market(quote(99.99, 100.01))
    [f] = fills_of(await drain(broker))
    assert (f.side, f.price) == (Side.SELL, D("99.89"))  # 99.99 * 0.999 = 99.89001


async def test_no_slippage_configured_fills_at_the_touch() -> None:
    broker = make_broker(slippage_bps=0.0)
    await submitted(broker, order(Side.BUY, 10))
    broker.on_market(quote(99.0, 101.0))
    assert fills_of(await drain(broker))[0].price == D("101.00")


async def test_latency_keeps_an_order_from_quotes_before_it_arrives(broker: PaperBroker) -> None:
    await submitted(broker, order(Side.BUY, 10))
    broker.on_market(quote(99.0, 100.0, ts=LIVE - 1))
    assert await drain(broker) == []
    broker.on_market(quote(99.0, 100.5, ts=LIVE))
    [f] = fills_of(await drain(broker))
    assert f.ts_ns == LIVE


async def test_other_symbols_do_not_fill_an_order() -> None:
    broker = PaperBroker([ACME, Instrument("ZZZ")], latency_ms=0)
    await submitted(broker, order(Side.BUY, 10))
    broker.on_market(quote(9.0, 10.0, symbol="ZZZ"))
    assert await drain(broker) == []


async def test_partial_fills_follow_participation_and_sum_to_the_order(
    broker: PaperBroker,
) -> None:
    o = await submitted(broker, order(Side.BUY, 100))
    got: list[Fill] = []
    for i in range(4):
        broker.on_market(quote(99.0, 100.0, ts=LIVE + i, size=60))
        got += fills_of(await drain(broker))
    assert [f.qty for f in got] == [30, 30, 30, 10]
    assert sum(f.qty for f in got) == o.qty
    broker.on_market(quote(99.0, 100.0, ts=LIVE + 9, size=60))
    assert await drain(broker) == []  # filled orders stop working
    report = await broker.order_report(o.client_order_id)
    assert report is not None
    assert (report.status, report.filled_qty) == ("filled", 100)


async def test_participation_rounds_down_to_lots_but_fills_at_least_one() -> None:
    broker = PaperBroker([Instrument("LOT", lot_size=D(10))], latency_ms=0, participation=0.5)
    await submitted(broker, order(Side.SELL, 100, symbol="LOT"))
    broker.on_market(quote(10.0, 10.1, ts=T0, size=58, symbol="LOT"))  # 29 -> 20
    broker.on_market(quote(10.0, 10.1, ts=T0 + 1, size=4, symbol="LOT"))  # 2 -> one lot
    assert [f.qty for f in fills_of(await drain(broker))] == [20, 10]


# -- limit orders ----------------------------------------------------------------------------


async def test_limit_buy_waits_for_the_ask_then_fills_at_the_ask(broker: PaperBroker) -> None:
    await submitted(broker, order(Side.BUY, 10, OrderType.LIMIT, limit="100.00"))
    broker.on_market(quote(99.9, 100.01))
    assert await drain(broker) == []
    broker.on_market(quote(99.8, 99.95, ts=LIVE + 1))
    [f] = fills_of(await drain(broker))
    assert f.price == D("99.95")  # price improvement, no slippage on a limit


async def test_limit_buy_at_exactly_its_price_fills(broker: PaperBroker) -> None:
    await submitted(broker, order(Side.BUY, 10, OrderType.LIMIT, limit="100.00"))
    broker.on_market(quote(99.9, 100.0))
    assert fills_of(await drain(broker))[0].price == D("100.00")


async def test_limit_sell_waits_for_the_bid(broker: PaperBroker) -> None:
    await submitted(broker, order(Side.SELL, 10, OrderType.LIMIT, limit="100.00"))
    broker.on_market(quote(99.99, 100.2))
    assert await drain(broker) == []
    broker.on_market(quote(100.05, 100.2, ts=LIVE + 1))
    assert fills_of(await drain(broker))[0].price == D("100.05")


@pytest.mark.parametrize(
    ("side", "trade_price", "fills"),
    [
        (Side.BUY, 100.00, True),
        (Side.BUY, 99.50, True),
        (Side.BUY, 100.01, False),
        (Side.SELL, 100.00, True),
        (Side.SELL, 100.70, True),
        (Side.SELL, 99.99, False),
    ],
)
async def test_resting_limit_fills_on_a_trade_at_or_through_it(
    broker: PaperBroker, side: Side, trade_price: float, fills: bool
) -> None:
    await submitted(broker, order(side, 100, OrderType.LIMIT, limit="100.00"))
    broker.on_market(Trade("ACME", LIVE, trade_price, 40))
    got = fills_of(await drain(broker))
    if not fills:
        assert got == []
        return
    [f] = got
    assert (f.price, f.qty) == (D("100.00"), 20)  # at the limit, half the print


async def test_with_quotes_market_orders_take_the_quote_not_the_print(
    broker: PaperBroker,
) -> None:
    broker.on_market(quote(99.0, 101.0, ts=T0 - 1, size=0.0))
    await submitted(broker, order(Side.BUY, 10))
    broker.on_market(Trade("ACME", LIVE, 100.0, 1000))
    assert await drain(broker) == []


async def test_a_trades_only_feed_fills_market_orders_at_the_print(broker: PaperBroker) -> None:
    await submitted(broker, order(Side.SELL, 10))
    broker.on_market(Trade("ACME", LIVE, 100.0, 1000))
    [msg] = await drain(broker)
    assert isinstance(msg, BrokerFill)
    assert msg.fill.qty == 10
    assert msg.fill.price == Decimal("99.90")  # the print less 10 bps of slippage


async def test_trade_before_the_latency_does_not_fill(broker: PaperBroker) -> None:
    await submitted(broker, order(Side.BUY, 10, OrderType.LIMIT, limit="100.00"))
    broker.on_market(Trade("ACME", LIVE - 1, 99.0, 1000))
    assert await drain(broker) == []


# -- stops -----------------------------------------------------------------------------------


async def test_stop_buy_triggers_on_the_ask_then_fills_like_market(broker: PaperBroker) -> None:
    await submitted(broker, order(Side.BUY, 10, OrderType.STOP, stop="101.00"))
    broker.on_market(quote(100.5, 100.99))
    assert await drain(broker) == []
    broker.on_market(quote(100.9, 101.0, ts=LIVE + 1))
    [f] = fills_of(await drain(broker))
    assert f.price == D("101.10")  # 101.00 * 1.001


async def test_stop_sell_triggers_on_the_bid(broker: PaperBroker) -> None:
    await submitted(broker, order(Side.SELL, 10, OrderType.STOP, stop="95.00"))
    broker.on_market(quote(95.01, 95.1))
    assert await drain(broker) == []
    broker.on_market(quote(94.0, 94.2, ts=LIVE + 1))
    assert fills_of(await drain(broker))[0].price == D("93.91")  # 94 * 0.999 = 93.906


async def test_stop_limit_triggers_then_waits_for_its_limit(broker: PaperBroker) -> None:
    o = order(Side.BUY, 10, OrderType.STOP_LIMIT, stop="101.00", limit="101.50")
    await submitted(broker, o)
    broker.on_market(quote(99.0, 99.5))  # limit marketable, but not triggered
    assert await drain(broker) == []
    broker.on_market(quote(101.8, 102.0, ts=LIVE + 1))  # triggered, above the limit
    assert await drain(broker) == []
    broker.on_market(quote(101.2, 101.4, ts=LIVE + 2))  # below the stop, but triggered already
    [f] = fills_of(await drain(broker))
    assert f.price == D("101.40")


async def test_stop_limit_triggered_by_a_trade_fills_at_its_limit(broker: PaperBroker) -> None:
    o = order(Side.SELL, 10, OrderType.STOP_LIMIT, stop="95.00", limit="94.50")
    await submitted(broker, o)
    broker.on_market(Trade("ACME", LIVE, 96.0, 100))
    assert await drain(broker) == []
    broker.on_market(Trade("ACME", LIVE + 1, 94.8, 100))
    [f] = fills_of(await drain(broker))
    assert (f.price, f.qty) == (D("94.50"), 10)


# -- cancel, replace, report -----------------------------------------------------------------


async def test_cancel_emits_cancelled_and_a_second_cancel_raises(broker: PaperBroker) -> None:
    o = await submitted(broker, order(Side.BUY, 10, OrderType.LIMIT, limit="90.00"))
    await broker.cancel(o.client_order_id)
    [ev] = events_of(await drain(broker))
    assert isinstance(ev, OrderCancelled)
    assert ev.ts_ns >= o.created_ns
    with pytest.raises(BrokerError, match="cancelled"):
        await broker.cancel(o.client_order_id)
    broker.on_market(quote(80.0, 80.5))
    assert await drain(broker) == []


async def test_cancel_of_an_unknown_order_raises(broker: PaperBroker) -> None:
    with pytest.raises(BrokerError, match="unknown order"):
        await broker.cancel(ClientOrderId("nope"))


async def test_replace_changes_quantity_and_price(broker: PaperBroker) -> None:
    o = await submitted(broker, order(Side.BUY, 10, OrderType.LIMIT, limit="99.00"))
    await broker.replace(o.client_order_id, qty=D(30), limit_price=D("100.00"))
    [ev] = events_of(await drain(broker))
    assert ev == OrderReplaced(T0, D(30), D("100.00"), None)
    broker.on_market(quote(99.5, 99.9))
    [f] = fills_of(await drain(broker))
    assert (f.qty, f.price) == (30, D("99.90"))


async def test_replace_below_filled_or_after_the_end_raises(broker: PaperBroker) -> None:
    o = await submitted(broker, order(Side.BUY, 100, OrderType.LIMIT, limit="100.00"))
    broker.on_market(quote(99.0, 100.0, size=60))
    assert fills_of(await drain(broker))[0].qty == 30
    with pytest.raises(BrokerError, match="below the filled"):
        await broker.replace(o.client_order_id, qty=D(29))
    await broker.replace(o.client_order_id, qty=D(30))  # down to what is filled: done
    assert events_of(await drain(broker)) == [OrderReplaced(LIVE, D(30), None, None)]
    report = await broker.order_report(o.client_order_id)
    assert report is not None and report.status == "filled"
    with pytest.raises(BrokerError, match="not working"):
        await broker.replace(o.client_order_id, qty=D(40))


async def test_replace_to_nothing_is_refused_as_a_broker_error(broker: PaperBroker) -> None:
    o = await submitted(broker, order(Side.BUY, 10, OrderType.LIMIT, limit="90.00"))
    with pytest.raises(BrokerError, match="must be positive"):
        await broker.replace(o.client_order_id, qty=D(0))
    report = await broker.order_report(o.client_order_id)
    assert report is not None and report.status == "accepted"


async def test_order_report_for_known_and_unknown_orders(broker: PaperBroker) -> None:
    assert await broker.order_report(ClientOrderId("never-sent")) is None
    o = await submitted(broker, order(Side.BUY, 100, OrderType.LIMIT, limit="100.00"))
    fresh = await broker.order_report(o.client_order_id)
    assert fresh is not None
    assert (fresh.status, fresh.filled_qty, fresh.avg_fill_price, fresh.fills) == (
        "accepted",
        0,
        0,
        (),
    )
    broker.on_market(quote(99.0, 99.0, size=60))
    broker.on_market(quote(99.0, 100.0, ts=LIVE + 1, size=40))
    sent = fills_of(await drain(broker))
    report = await broker.order_report(o.client_order_id)
    assert report is not None
    assert report.client_order_id == o.client_order_id
    assert (report.status, report.filled_qty) == ("partially_filled", 50)
    assert report.avg_fill_price == D("99.4")  # (30 * 99 + 20 * 100) / 50
    assert report.fills == tuple(sent)
    assert report.broker_order_id.startswith("P")


async def test_exec_ids_are_unique_across_orders_and_fills(broker: PaperBroker) -> None:
    for _ in range(3):
        await submitted(broker, order(Side.BUY, 40))
    for i in range(3):
        broker.on_market(quote(99.0, 100.0, ts=LIVE + i, size=30))
    got = fills_of(await drain(broker))
    assert len(got) == 9
    assert len({f.exec_id for f in got}) == 9


async def test_duplicate_client_order_id_and_unknown_symbol_raise(broker: PaperBroker) -> None:
    o = await submitted(broker, order(Side.BUY, 10))
    with pytest.raises(BrokerError, match="duplicate"):
        await broker.submit(o)
    with pytest.raises(BrokerError, match="unknown symbol"):
        await broker.submit(order(Side.BUY, 10, symbol="NOPE"))


async def test_close_ends_the_message_stream(broker: PaperBroker) -> None:
    await broker.close()
    assert [m async for m in broker.messages()] == []
