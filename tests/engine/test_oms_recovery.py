"""The OMS when the broker goes quiet or the engine restarts: never resend, reconcile instead."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from tpm.adapters.brokers.paper import PaperBroker
from tpm.config.risk import RiskConfig
from tpm.domain import (
    BrokerFill,
    BrokerMessage,
    ClientOrderId,
    Fill,
    FillBooked,
    Instrument,
    Notification,
    Order,
    OrderReport,
    OrderStatus,
    OrderType,
    Quote,
    Side,
    TimeInForce,
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


class SilentBroker:
    """A broker that takes submissions and never answers them, until told what to report."""

    name = "silent"

    def __init__(self) -> None:
        self.submits = 0
        self.report: OrderReport | None = None
        self.report_error: BrokerError | None = BrokerError("the broker is not answering yet")

    async def connect(self) -> None:
        return None

    async def submit(self, order: Order) -> None:
        self.submits += 1
        await asyncio.Event().wait()  # forever

    async def cancel(self, client_order_id: ClientOrderId) -> None:
        raise BrokerError("not connected")

    async def replace(
        self,
        client_order_id: ClientOrderId,
        qty: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> None:
        raise BrokerError("not connected")

    async def order_report(self, client_order_id: ClientOrderId) -> OrderReport | None:
        if self.report_error is not None:
            raise self.report_error
        return self.report

    async def _nothing(self) -> AsyncIterator[BrokerMessage]:
        return
        yield

    def messages(self) -> AsyncIterator[BrokerMessage]:
        return self._nothing()

    async def close(self) -> None:
        return None


class Rig:
    """Order handling over `store`; a second Rig on the same store is the engine restarted."""

    def __init__(
        self, store: SqlStore, broker: Broker | None = None, timeout_s: float = 5.0
    ) -> None:
        self.store = store
        self.clock = ManualClock(T0)
        self.bus = Bus()
        self.market = MarketData(self.bus, [ACME], now_ns=self.clock.now_ns)
        self.paper = (
            broker
            if isinstance(broker, PaperBroker)
            else PaperBroker(
                [ACME], latency_ms=0, slippage_bps=0, commission_per_share=0.01, commission_min=1.0
            )
        )
        self.broker: Broker = broker or self.paper
        self.portfolio = Portfolio(CASH)
        self.risk = RiskEngine(RiskConfig(), self.market, self.portfolio, self.clock.now_ns)
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
        for kind in (FillBooked, Notification):
            self.bus.subscribe(kind, self.events.append)
        self.quote(99.99, 100.01)

    def quote(self, bid: float, ask: float) -> None:
        self.clock.advance_to(self.clock.now_ns() + MS)
        q = Quote("ACME", self.clock.now_ns(), bid, ask, 1e6, 1e6)
        self.market.on_quote(q)
        self.paper.on_market(q)

    async def pump(self) -> list[BrokerMessage]:
        it = self.paper.messages()
        out: list[BrokerMessage] = []
        while True:
            try:
                out.append(await asyncio.wait_for(anext(it), 0.05))
            except (TimeoutError, StopAsyncIteration):
                break
        for m in out:
            await self.oms.on_broker_message(m)
        return out

    async def submit(self, qty: int = 10, **kw: object) -> Order:
        return await self.oms.submit(OrderRequest("ACME", Side.BUY, D(qty), **kw))  # type: ignore[arg-type]

    async def stored(self, coid: str) -> Order:
        [o] = [o for o in await self.store.load_orders() if o.client_order_id == coid]
        return o


# -- a broker that does not answer ---------------------------------------------------------------


async def silent_order(store: SqlStore) -> tuple[Rig, SilentBroker, Order]:
    broker = SilentBroker()
    rig = Rig(store, broker, timeout_s=0.2)
    order = await rig.submit(10, client_order_id=ClientOrderId("quiet-1"))
    return rig, broker, order


async def test_unanswered_submit_leaves_the_order_new_and_unconfirmed(store: SqlStore) -> None:
    rig, broker, order = await silent_order(store)
    assert order.status is OrderStatus.NEW
    assert rig.oms.unconfirmed == {order.client_order_id}
    assert (await rig.stored(order.client_order_id)).status is OrderStatus.NEW
    again = await rig.submit(10, client_order_id=order.client_order_id)
    assert again.status is OrderStatus.NEW
    # The broker cannot say yet: the order waits, and still nothing is resent.
    await rig.oms.reconcile_unconfirmed()
    assert rig.oms.unconfirmed == {order.client_order_id}
    assert rig.oms.orders[order.client_order_id].status is OrderStatus.NEW
    assert broker.submits == 1


async def test_unanswered_order_the_broker_never_got_is_rejected(store: SqlStore) -> None:
    rig, broker, order = await silent_order(store)
    broker.report_error = None
    broker.report = None
    assert await rig.oms.reconcile_unconfirmed() == 1
    done = rig.oms.orders[order.client_order_id]
    assert done.status is OrderStatus.REJECTED
    assert "never reached the broker" in done.reason
    assert (await rig.stored(order.client_order_id)).status is OrderStatus.REJECTED
    assert rig.oms.unconfirmed == set()
    assert broker.submits == 1
    assert any(isinstance(e, Notification) and e.kind == "rejection" for e in rig.events)


async def test_unanswered_order_the_broker_filled_is_booked(store: SqlStore) -> None:
    rig, broker, order = await silent_order(store)
    coid = order.client_order_id
    fills = (
        Fill("B-1", coid, "ACME", Side.BUY, D(4), D("100.00"), D(1), T0 + MS),
        Fill("B-2", coid, "ACME", Side.BUY, D(6), D("100.50"), D(0), T0 + 2 * MS),
    )
    broker.report_error = None
    broker.report = OrderReport(coid, "filled", D(10), D("100.30"), "B", fills)
    await rig.oms.reconcile_unconfirmed()
    done = rig.oms.orders[coid]
    assert (done.status, done.filled_qty, done.avg_fill_price) == (
        OrderStatus.FILLED,
        10,
        D("100.3"),
    )
    assert [f.exec_id for f in await store.load_fills()] == ["B-1", "B-2"]
    assert rig.portfolio.qty("ACME") == 10
    assert rig.portfolio.cash == CASH - D("1003.00") - 1  # 4 * 100 + 6 * 100.50, plus 1
    assert rig.oms.unconfirmed == set()
    assert broker.submits == 1


async def test_unanswered_order_the_broker_accepted_becomes_accepted(store: SqlStore) -> None:
    rig, broker, order = await silent_order(store)
    broker.report_error = None
    broker.report = OrderReport(order.client_order_id, "accepted", D(0), D(0), "B-9")
    await rig.oms.reconcile_unconfirmed()
    now = rig.oms.orders[order.client_order_id]
    assert (now.status, now.broker_order_id) == (OrderStatus.ACCEPTED, "B-9")
    assert rig.oms.unconfirmed == set()


# -- restarts ----------------------------------------------------------------------------------


async def test_restart_cancels_an_accepted_order_the_broker_no_longer_knows(
    store: SqlStore,
) -> None:
    before = Rig(store)
    order = await before.submit(
        10, type=OrderType.LIMIT, limit_price=D("90.00"), tif=TimeInForce.GTC
    )
    await before.pump()
    after = Rig(store)  # a new paper broker: the old one's orders are gone
    await after.oms.load()
    assert after.oms.orders[order.client_order_id].status is OrderStatus.ACCEPTED
    assert after.oms.unconfirmed == set()
    assert await after.oms.cancel(order.client_order_id) is False  # the broker refuses
    assert await after.oms.reconcile() == 1
    done = after.oms.orders[order.client_order_id]
    assert done.status is OrderStatus.CANCELLED
    assert "unknown to the broker" in done.reason
    assert (await after.stored(order.client_order_id)).status is OrderStatus.CANCELLED
    assert await after.oms.reconcile() == 0


async def test_restart_after_storing_but_before_sending_rejects_without_resending(
    store: SqlStore,
) -> None:
    coid = ClientOrderId("crashed-1")
    await store.save_order(Order(coid, "ACME", Side.BUY, D(10), created_ns=T0, updated_ns=T0))
    after = Rig(store)
    await after.oms.load()
    assert after.oms.unconfirmed == {coid}
    await after.oms.reconcile_unconfirmed()
    assert after.oms.orders[coid].status is OrderStatus.REJECTED
    assert await after.paper.order_report(coid) is None  # never sent on our own


async def test_restart_books_what_the_broker_filled_while_we_were_down(store: SqlStore) -> None:
    before = Rig(store)
    order = await before.submit(10, type=OrderType.LIMIT, limit_price=D("99.00"))
    await before.pump()
    broker = before.paper
    before.quote(98.5, 98.9)  # fills at the broker; the engine is gone before it hears
    after = Rig(store, broker)
    await after.oms.load()
    await after.oms.reconcile()
    done = after.oms.orders[order.client_order_id]
    assert (done.status, done.avg_fill_price) == (OrderStatus.FILLED, D("98.9"))
    assert after.portfolio.qty("ACME") == 10
    # The fill message that was on its way arrives late, and is not booked a second time.
    late = await after.pump()
    assert any(isinstance(m, BrokerFill) for m in late)
    assert after.portfolio.qty("ACME") == 10
    assert after.oms.duplicate_fills == 1
    assert len(await store.load_fills()) == 1
    assert sum(isinstance(e, FillBooked) for e in after.events) == 1


async def test_client_order_id_of_a_finished_order_is_not_sent_again_after_restart(
    store: SqlStore,
) -> None:
    coid = ClientOrderId("once-only")
    before = Rig(store)
    await before.submit(10, client_order_id=coid)
    before.quote(100.0, 100.5)
    await before.pump()
    after = Rig(store)
    await after.oms.load()
    again = await after.submit(10, client_order_id=coid)
    assert again.status is OrderStatus.FILLED
    assert await after.paper.order_report(coid) is None  # not sent again
    assert (await after.stored(coid)).status is OrderStatus.FILLED  # nor its row overwritten
