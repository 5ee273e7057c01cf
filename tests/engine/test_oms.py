"""The OMS on a real SQLite store and the paper broker: store first, send once, book once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from tpm.adapters.brokers.paper import PaperBroker
from tpm.config.risk import OrderSizeLimits, RiskConfig
from tpm.domain import (
    BrokerFill,
    BrokerMessage,
    BrokerOrderEvent,
    ClientOrderId,
    Fill,
    FillBooked,
    Instrument,
    Notification,
    Order,
    OrderAccepted,
    OrderReport,
    OrderStatus,
    OrderType,
    OrderUpdated,
    Quote,
    Severity,
    Side,
    TimeInForce,
    TradingState,
)
from tpm.engine.bus import Bus
from tpm.engine.clock import ManualClock
from tpm.engine.market import MarketData
from tpm.engine.oms import OrderManager, OrderRequest
from tpm.engine.portfolio import Portfolio
from tpm.engine.protocols import Broker
from tpm.engine.risk import RiskEngine
from tpm.errors import BrokerError
from tpm.store.sql_store import SqlStore

D = Decimal
MS = 1_000_000
T0 = 1_700_000_000_000_000_000
ACME = Instrument("ACME")
CASH = D(100_000)


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[SqlStore]:
    """The OMS's durability rules hold on both backends: SQLite and, in CI, MariaDB."""
    s = SqlStore(db_url)
    await s.open()
    try:
        yield s
    finally:
        await s.close()


class ProbeBroker:
    """The paper broker behind a probe that reads the store back when `submit` is called."""

    name = "probe"

    def __init__(self, inner: PaperBroker, store: SqlStore) -> None:
        self.inner = inner
        self.store = store
        self.submitted: list[Order] = []
        self.stored_at_submit: list[Order | None] = []
        self.audited_at_submit: list[list[str]] = []

    async def connect(self) -> None:
        await self.inner.connect()

    async def submit(self, order: Order) -> None:
        stored = {o.client_order_id: o for o in await self.store.load_orders()}
        self.stored_at_submit.append(stored.get(order.client_order_id))
        self.audited_at_submit.append([e.detail for e in await self.store.load_audit()])
        self.submitted.append(order)
        await self.inner.submit(order)

    async def cancel(self, client_order_id: ClientOrderId) -> None:
        await self.inner.cancel(client_order_id)

    async def replace(
        self,
        client_order_id: ClientOrderId,
        qty: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> None:
        await self.inner.replace(client_order_id, qty, limit_price, stop_price)

    async def order_report(self, client_order_id: ClientOrderId) -> OrderReport | None:
        return await self.inner.order_report(client_order_id)

    def messages(self) -> AsyncIterator[BrokerMessage]:
        return self.inner.messages()

    async def close(self) -> None:
        await self.inner.close()


class Rig:
    """One engine's worth of order handling over `store`; a new Rig on the same store is a restart."""

    def __init__(
        self, store: SqlStore, broker: Broker | None = None, timeout_s: float = 5.0
    ) -> None:
        self.store = store
        self.clock = ManualClock(T0)
        self.bus = Bus()
        self.market = MarketData(self.bus, [ACME], now_ns=self.clock.now_ns)
        self.paper = PaperBroker(
            [ACME], latency_ms=0, slippage_bps=0, commission_per_share=0.01, commission_min=1.0
        )
        self.probe = ProbeBroker(self.paper, store)
        self.broker: Broker = broker or self.probe
        self.portfolio = Portfolio(CASH)
        limits = RiskConfig(order_size=OrderSizeLimits(max_qty=1000, max_notional=200_000))
        self.risk = RiskEngine(limits, self.market, self.portfolio, self.clock.now_ns)
        self.oms = OrderManager(
            self.bus,
            store,
            self.broker,
            self.risk,
            self.portfolio,
            self.clock.now_ns,
            submit_timeout_s=timeout_s,
        )
        self.events: list[object] = []
        for kind in (OrderUpdated, FillBooked, Notification):
            self.bus.subscribe(kind, self.events.append)
        self.quote(99.99, 100.01)

    def quote(self, bid: float, ask: float, size: float = 1e6) -> None:
        self.clock.advance_to(self.clock.now_ns() + MS)
        q = Quote("ACME", self.clock.now_ns(), bid, ask, size, size)
        self.market.on_quote(q)
        self.paper.on_market(q)

    async def messages(self) -> list[BrokerMessage]:
        it = self.paper.messages()
        out: list[BrokerMessage] = []
        while True:
            try:
                out.append(await asyncio.wait_for(anext(it), 0.05))
            except (TimeoutError, StopAsyncIteration):
                return out

    async def pump(self) -> list[BrokerMessage]:
        msgs = await self.messages()
        for m in msgs:
            await self.oms.on_broker_message(m)
        return msgs

    async def submit(self, qty: int = 10, side: Side = Side.BUY, **kw: object) -> Order:
        return await self.oms.submit(OrderRequest("ACME", side, D(qty), **kw))  # type: ignore[arg-type]

    async def stored(self, coid: str) -> Order:
        [o] = [o for o in await self.store.load_orders() if o.client_order_id == coid]
        return o

    def of(self, kind: type) -> list[object]:
        return [e for e in self.events if isinstance(e, kind)]


async def test_order_is_stored_before_the_broker_sees_it(store: SqlStore) -> None:
    rig = Rig(store)
    order = await rig.submit(10)
    [seen] = rig.probe.stored_at_submit
    assert seen is not None
    assert (seen.client_order_id, seen.status, seen.qty) == (
        order.client_order_id,
        OrderStatus.NEW,
        10,
    )
    await rig.pump()
    stored = await rig.stored(order.client_order_id)
    assert stored.status is OrderStatus.ACCEPTED
    assert stored.broker_order_id


async def test_every_order_is_in_the_audit_log_before_the_broker_sees_it(
    store: SqlStore,
) -> None:
    rig = Rig(store)
    await rig.submit(10, strategy="trend", source="strategy")
    await rig.submit(3, side=Side.SELL, type=OrderType.LIMIT, limit_price=D("101.5"))
    await rig.submit(5000)  # refused by the risk limits: logged too
    log = [(e.actor, e.action, e.origin, e.detail) for e in await store.load_audit()]
    first, second = (o.client_order_id[:8] for o in rig.probe.submitted)
    assert log[0] == ("trend", "order.new", "engine", f"{first} buy 10 ACME market day [trend]")
    assert log[1] == (
        "manual",
        "order.new",
        "engine",
        f"{second} sell 3 ACME limit limit 101.5 day",
    )
    assert log[2][:2] == ("manual", "order.rejected") and "max_qty" in log[2][3]
    assert len(log) == 3
    seen_first, seen_second = rig.probe.audited_at_submit
    assert seen_first == [log[0][3]] and seen_second == [log[0][3], log[1][3]]
    assert (await store.audit_break()) == (3, None)


async def test_market_order_fills_and_is_booked(store: SqlStore) -> None:
    rig = Rig(store)
    order = await rig.submit(10)
    rig.quote(100.0, 100.5)
    await rig.pump()
    done = rig.oms.orders[order.client_order_id]
    assert (done.status, done.filled_qty, done.avg_fill_price) == (
        OrderStatus.FILLED,
        10,
        D("100.5"),
    )
    assert (await rig.stored(order.client_order_id)).status is OrderStatus.FILLED
    [f] = await store.load_fills()
    assert (f.client_order_id, f.qty, f.price, f.commission) == (
        order.client_order_id,
        10,
        D("100.5"),
        1,
    )
    assert rig.portfolio.qty("ACME") == 10
    assert rig.portfolio.cash == CASH - D("1005") - 1
    assert [e.fill for e in rig.of(FillBooked)] == [f]  # type: ignore[attr-defined]
    assert any(n.kind == "fill" for n in rig.of(Notification))  # type: ignore[attr-defined]


async def test_rejected_order_is_stored_published_and_announced(store: SqlStore) -> None:
    rig = Rig(store)
    order = await rig.submit(5000)
    assert order.status is OrderStatus.REJECTED
    assert "risk.order_size.max_qty" in order.reason
    assert rig.probe.submitted == []
    stored = await rig.stored(order.client_order_id)
    assert (stored.status, stored.reason) == (OrderStatus.REJECTED, order.reason)
    [update] = rig.of(OrderUpdated)
    assert update.order.status is OrderStatus.REJECTED  # type: ignore[attr-defined]
    [note] = rig.of(Notification)
    assert note.severity is Severity.WARNING  # type: ignore[attr-defined]
    assert note.message == order.reason  # type: ignore[attr-defined]


async def test_same_client_order_id_is_sent_once(store: SqlStore) -> None:
    rig = Rig(store)
    coid = ClientOrderId("my-order-1")
    first = await rig.submit(10, client_order_id=coid)
    await rig.pump()
    again = await rig.submit(10, client_order_id=coid)
    assert len(rig.probe.submitted) == 1
    assert first.client_order_id == again.client_order_id == coid
    assert again.status is OrderStatus.ACCEPTED  # the order as it stands, not a new one
    assert len(await store.load_orders()) == 1


async def test_fill_sent_twice_is_booked_once(store: SqlStore) -> None:
    rig = Rig(store)
    await rig.submit(10)
    rig.quote(100.0, 100.5)
    msgs = await rig.messages()
    for m in msgs:
        await rig.oms.on_broker_message(m)
        await rig.oms.on_broker_message(m)
    assert len(rig.of(FillBooked)) == 1
    assert rig.oms.duplicate_fills == 1
    assert rig.portfolio.qty("ACME") == 10
    assert len(await store.load_fills()) == 1


async def test_fill_is_deduplicated_after_a_restart(store: SqlStore) -> None:
    rig = Rig(store)
    await rig.submit(10)
    rig.quote(100.0, 100.5)
    [fill] = [m.fill for m in await rig.pump() if isinstance(m, BrokerFill)]
    again = Rig(store)
    await again.oms.load()
    assert await again.oms.book_fill(fill) is False
    assert again.portfolio.qty("ACME") == 10
    assert again.portfolio.cash == rig.portfolio.cash
    # Even an OMS that never loaded its history cannot book it twice: the store refuses.
    fresh = Rig(store)
    assert await fresh.oms.book_fill(fill) is False
    assert fresh.portfolio.cash == CASH
    assert fresh.of(FillBooked) == []
    assert len(await store.load_fills()) == 1


async def test_portfolio_after_restart_equals_before(store: SqlStore) -> None:
    rig = Rig(store)
    await rig.submit(100)
    rig.quote(100.0, 100.5, size=120)  # 60
    rig.quote(100.1, 100.7, size=1000)  # 40
    await rig.submit(30, Side.SELL)
    rig.quote(101.3, 101.4)
    await rig.submit(200, Side.SELL)
    rig.quote(99.0, 99.2)  # crosses to short
    await rig.pump()
    assert rig.portfolio.qty("ACME") == -130
    again = Rig(store)
    await again.oms.load()
    assert again.portfolio.positions == rig.portfolio.positions
    assert again.portfolio.cash == rig.portfolio.cash
    assert again.portfolio.realised_pnl == rig.portfolio.realised_pnl
    assert again.oms.orders == {}  # every order is done; none is open after the restart


async def test_broker_error_rejects_with_the_brokers_sentence(store: SqlStore) -> None:
    class Refusing(ProbeBroker):
        async def submit(self, order: Order) -> None:
            raise BrokerError("insufficient buying power for 10 ACME")

    rig = Rig(store, Refusing(PaperBroker([ACME]), store))
    order = await rig.submit(10)
    assert order.status is OrderStatus.REJECTED
    assert order.reason == "insufficient buying power for 10 ACME"
    assert (await rig.stored(order.client_order_id)).reason == order.reason
    assert [n.message for n in rig.of(Notification)] == [order.reason]  # type: ignore[attr-defined]
    assert rig.oms.unconfirmed == set()


async def test_cancel_of_an_open_order(store: SqlStore) -> None:
    rig = Rig(store)
    order = await rig.submit(10, type=OrderType.LIMIT, limit_price=D("90.00"))
    await rig.pump()
    assert await rig.oms.cancel(order.client_order_id) is True
    assert rig.oms.orders[order.client_order_id].status is OrderStatus.ACCEPTED  # not yet
    await rig.pump()
    assert rig.oms.orders[order.client_order_id].status is OrderStatus.CANCELLED
    assert (await rig.stored(order.client_order_id)).status is OrderStatus.CANCELLED
    assert rig.oms.open_orders() == []
    assert await rig.oms.cancel(order.client_order_id) is False
    assert await rig.oms.cancel(ClientOrderId("unknown")) is False


async def test_replace_passes_risk_then_changes_the_working_order(store: SqlStore) -> None:
    rig = Rig(store)
    order = await rig.submit(10, type=OrderType.LIMIT, limit_price=D("90.00"))
    await rig.pump()
    coid = order.client_order_id
    assert await rig.oms.replace(coid, qty=D(20), limit_price=D("91.50")) is None
    await rig.pump()
    moved = rig.oms.orders[coid]
    assert (moved.qty, moved.limit_price, moved.status) == (D(20), D("91.50"), OrderStatus.ACCEPTED)
    assert (await rig.stored(coid)).qty == D(20)
    # New terms that break a limit are refused before the broker sees them.
    refusal = await rig.oms.replace(coid, qty=D(5000))
    assert refusal is not None and "risk.order_size.max_qty" in refusal
    await rig.pump()
    assert rig.oms.orders[coid].qty == D(20)
    assert await rig.oms.replace(coid, limit_price=D("91.555")) is not None  # off the tick
    await rig.oms.cancel(coid)
    await rig.pump()
    assert await rig.oms.replace(coid, qty=D(1)) == f"order {coid[:8]} is not working"


async def test_cancel_all_cancels_only_open_orders(store: SqlStore) -> None:
    rig = Rig(store)
    for price in ("90.00", "91.00"):
        await rig.submit(10, type=OrderType.LIMIT, limit_price=D(price), tif=TimeInForce.GTC)
    await rig.submit(10)
    rig.quote(100.0, 100.5)
    await rig.pump()
    assert await rig.oms.cancel_all() == 2
    await rig.pump()
    assert {o.status for o in rig.oms.orders.values()} == {
        OrderStatus.CANCELLED,
        OrderStatus.FILLED,
    }


async def test_fill_for_a_cancelled_order_is_still_booked(store: SqlStore) -> None:
    rig = Rig(store)
    order = await rig.submit(10, type=OrderType.LIMIT, limit_price=D("90.00"))
    await rig.pump()
    await rig.oms.cancel(order.client_order_id)
    await rig.pump()
    late = Fill("late-1", order.client_order_id, "ACME", Side.BUY, D(10), D("90.00"), D(1), T0 + MS)
    await rig.oms.on_broker_message(BrokerFill(late))
    assert rig.portfolio.qty("ACME") == 10
    assert rig.portfolio.cash == CASH - 901
    assert [f.exec_id for f in await store.load_fills()] == ["late-1"]
    assert rig.oms.orders[order.client_order_id].status is OrderStatus.CANCELLED
    assert (await rig.stored(order.client_order_id)).status is OrderStatus.CANCELLED
    assert len(rig.of(FillBooked)) == 1


async def test_fill_for_an_unknown_order_is_booked(store: SqlStore) -> None:
    rig = Rig(store)
    stray = Fill("stray-1", ClientOrderId("x"), "ACME", Side.SELL, D(5), D(100), D(0), T0)
    assert await rig.oms.book_fill(stray) is True
    assert rig.portfolio.qty("ACME") == -5


async def test_events_that_do_not_fit_are_ignored(store: SqlStore) -> None:
    rig = Rig(store)
    order = await rig.submit(10)
    rig.quote(100.0, 100.5)
    await rig.pump()
    filled = rig.oms.orders[order.client_order_id]
    await rig.oms.on_broker_message(BrokerOrderEvent(order.client_order_id, OrderAccepted(T0)))
    await rig.oms.on_broker_message(BrokerOrderEvent(ClientOrderId("ghost"), OrderAccepted(T0)))
    assert rig.oms.orders[order.client_order_id] is filled
    assert ClientOrderId("ghost") not in rig.oms.orders


async def test_a_halt_that_lands_while_the_order_is_stored_keeps_it_from_the_broker(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = Rig(store)
    save = store.save_order

    async def save_then_halt(order: Order, audit: tuple[str, str, str, str] | None = None) -> None:
        await save(order, audit)
        rig.risk.set_state(TradingState.HALTED, "kill switch")

    monkeypatch.setattr(store, "save_order", save_then_halt)
    order = await rig.submit(10)
    assert order.status is OrderStatus.REJECTED
    assert order.reason == "trading was halted before the order went out (kill switch)"
    assert rig.probe.submitted == []
    monkeypatch.setattr(store, "save_order", save)
    assert (await rig.stored(order.client_order_id)).status is OrderStatus.REJECTED
    log = [(e.action, e.detail) for e in await store.load_audit()]
    assert [a for a, _ in log] == ["order.new", "order.rejected"]
    assert log[1][1].startswith(order.client_order_id[:8]) and "halted" in log[1][1]
