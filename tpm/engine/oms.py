"""Order management: store every order before it is sent, book every fill exactly once.

The rules that keep money safe:
- an order passes the RiskEngine, then is committed to the store, then goes to the broker;
- a client order id already known is never sent twice (submit is idempotent on it);
- an order whose submission timed out is not sent again; it waits until the broker says what
  became of it (`reconcile_unconfirmed`);
- a fill is de-duplicated by the broker's execution id, committed with its order in one
  transaction, and only then applied to the portfolio and published.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Iterable
from decimal import Decimal

from tpm.domain import (
    ClientOrderId,
    Fill,
    FillBooked,
    Notification,
    Order,
    OrderAccepted,
    OrderCancelled,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderRequest,
    OrderStatus,
    OrderUpdated,
    Severity,
    new_client_order_id,
)
from tpm.engine.bus import Bus
from tpm.engine.portfolio import Portfolio
from tpm.engine.protocols import Broker, BrokerFill, BrokerMessage, OrderReport, OrderStore
from tpm.engine.risk import RiskEngine
from tpm.errors import BrokerError, IllegalTransition, SubmissionTimeout

__all__ = ["OrderBook", "OrderManager", "OrderRequest"]  # OrderRequest re-exported from tpm.domain

log = logging.getLogger("tpm.engine.oms")


class OrderBook(dict[ClientOrderId, Order]):
    """Every order by client order id, and the open ones by symbol: a strategy's target asks
    for its symbol's working orders, which must not cost a scan of the whole day's orders."""

    def __init__(self) -> None:
        super().__init__()
        self.open_by_symbol: dict[str, dict[ClientOrderId, Order]] = {}

    def __setitem__(self, key: ClientOrderId, order: Order) -> None:
        super().__setitem__(key, order)
        book = self.open_by_symbol.setdefault(order.symbol, {})
        if order.is_open:
            book[key] = order
        else:
            book.pop(key, None)


class OrderManager:
    """Owns every order's lifecycle between the strategies, the risk engine and the broker."""

    def __init__(
        self,
        bus: Bus,
        store: OrderStore,
        broker: Broker,
        risk: RiskEngine,
        portfolio: Portfolio,
        now_ns: Callable[[], int],
        *,
        submit_timeout_s: float = 10.0,
    ) -> None:
        self._bus = bus
        self._store = store
        self._broker = broker
        self._risk = risk
        self._portfolio = portfolio
        self._now_ns = now_ns
        self.submit_timeout_s = submit_timeout_s
        self.answers_at_once = False
        """The broker settles each call before it returns (a simulated broker on a backtest's
        own clock): no wall-clock timeout can fire, so none is set, and nobody waits for
        notifications (a backtest's report sums up the fills and refusals instead)."""
        self.orders = OrderBook()
        self._exec_ids: set[str] = set()
        self.unconfirmed: set[ClientOrderId] = set()
        self.duplicate_fills = 0
        self.sending: set[ClientOrderId] = set()
        """Orders handed to the broker whose submit call has not returned yet."""
        self.changed = asyncio.Event()
        """Set whenever an order changes; waiters clear it before they wait."""

    # -- start-up ------------------------------------------------------------------------------

    async def load(self) -> list[Fill]:
        """Rebuild the portfolio from stored fills and load the orders still open."""
        fills = await self._store.load_fills()
        self._exec_ids = {f.exec_id for f in fills}
        self._portfolio.rebuild(fills)
        for fill in fills:
            self._risk.on_fill(fill)
        for o in await self._store.load_orders(open_only=True):
            self.orders[o.client_order_id] = o
            self._risk.on_order(o)
            if o.status is OrderStatus.NEW:
                self.unconfirmed.add(o.client_order_id)
        return fills

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        if symbol is not None:
            return list(self.orders.open_by_symbol.get(symbol, {}).values())
        return [o for o in self.orders.values() if o.is_open]

    # -- orders out ----------------------------------------------------------------------------

    async def submit(self, req: OrderRequest, *, is_flatten: bool = False) -> Order:
        """Check, store, then send. Returns the order as it stands after sending.

        `is_flatten` is for the engine's own flatten only: it passes a halted trading state.
        """
        if req.client_order_id is not None:
            known = self.orders.get(req.client_order_id) or await self._stored_order(
                req.client_order_id
            )
            if known is not None:
                return known
        now = self._now_ns()
        order = Order(
            client_order_id=req.client_order_id or new_client_order_id(),
            symbol=req.symbol,
            side=req.side,
            qty=req.qty,
            type=req.type,
            tif=req.tif,
            limit_price=req.limit_price,
            stop_price=req.stop_price,
            created_ns=now,
            updated_ns=now,
            strategy=req.strategy,
            source=req.source,
        )
        rejection = self._risk.admit(order, is_flatten=is_flatten)
        if rejection is not None:
            order = order.apply(OrderRejected(now, rejection.message))
            await self._store.save_order(order)
            self.orders[order.client_order_id] = order
            self._published(order)
            log.warning(
                "order rejected: %s %s %s %s: %s",
                order.client_order_id[:8],
                order.side,
                order.qty,
                order.symbol,
                rejection.message,
            )
            self._notify(Severity.WARNING, "Order rejected", rejection.message, "rejection")
            await self._store.audit(
                order.source,
                "order.rejected",
                f"{_describe(order)}: [{rejection.code}] {rejection.message}",
            )
            return order
        # Stored with its audit entry in one transaction: whoever asked, it is in the log.
        who = order.strategy or order.source
        said = f"{order.client_order_id[:8]} {_describe(order)}"
        await self._store.save_order(order, (who, "order.new", said, "engine"))
        self.orders[order.client_order_id] = order
        self._published(order)
        late = self._risk.late_refusal(is_flatten)  # the state moved while it was stored
        if late is not None:
            await self._apply(order.client_order_id, OrderRejected(self._now_ns(), late))
            await self._store.audit(who, "order.rejected", f"{said}: {late}")
            return self.orders[order.client_order_id]
        if log.isEnabledFor(logging.INFO):  # describing an order is not free
            log.info("order %s: %s", order.client_order_id[:8], _describe(order))
        self.sending.add(order.client_order_id)
        try:
            if self.answers_at_once:
                await self._broker.submit(order)
            else:
                # timeout() rather than wait_for: no task per order.
                async with asyncio.timeout(self.submit_timeout_s):
                    await self._broker.submit(order)
        except (TimeoutError, SubmissionTimeout):
            self.unconfirmed.add(order.client_order_id)
            log.error(
                "order %s: no answer from the broker in %.1fs; it will not be resent "
                "until the broker reports it",
                order.client_order_id[:8],
                self.submit_timeout_s,
            )
        except BrokerError as exc:
            await self._apply(order.client_order_id, OrderRejected(self._now_ns(), str(exc)))
        finally:
            self.sending.discard(order.client_order_id)
            self.changed.set()
        return self.orders[order.client_order_id]

    async def cancel(self, client_order_id: ClientOrderId) -> bool:
        """Ask the broker to cancel; the cancellation itself arrives as a broker message."""
        order = self.orders.get(client_order_id)
        if order is None or not order.is_open:
            return False
        try:
            await asyncio.wait_for(self._broker.cancel(client_order_id), self.submit_timeout_s)
        except (TimeoutError, BrokerError) as exc:
            # Usually a race with a fill already on its way: not an error of ours.
            log.warning("cancel of %s not done: %s", client_order_id[:8], exc)
            return False
        return True

    async def replace(
        self,
        client_order_id: ClientOrderId,
        qty: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> str | None:
        """Send new terms for a working order, after the same risk checks as a new order.

        Returns None when sent (the change arrives as a broker message), else why not.
        """
        order = self.orders.get(client_order_id)
        if order is None or not order.is_open:
            return f"order {client_order_id[:8]} is not working"
        try:
            candidate = dataclasses.replace(
                order,
                qty=order.qty if qty is None else qty,
                limit_price=order.limit_price if limit_price is None else limit_price,
                stop_price=order.stop_price if stop_price is None else stop_price,
            )
        except ValueError as exc:
            return str(exc)
        rejection = self._risk.admit_replacement(order, candidate)
        if rejection is not None:
            self._notify(Severity.WARNING, "Change refused", rejection.message, "rejection")
            return rejection.message
        try:
            await asyncio.wait_for(
                self._broker.replace(client_order_id, qty, limit_price, stop_price),
                self.submit_timeout_s,
            )
        except (TimeoutError, BrokerError) as exc:
            return f"the broker refused the change: {exc}"
        log.info("order %s: change sent (%s)", client_order_id[:8], _describe(candidate))
        return None

    async def cancel_all(self, symbol: str | None = None) -> int:
        orders = self.open_orders(symbol)
        results = await asyncio.gather(*(self.cancel(o.client_order_id) for o in orders))
        return sum(results)

    # -- messages in ---------------------------------------------------------------------------

    async def on_broker_message(self, msg: BrokerMessage) -> None:
        if isinstance(msg, BrokerFill):
            await self.book_fill(msg.fill)
        else:
            await self._apply(msg.client_order_id, msg.event)

    async def book_fill(self, fill: Fill) -> bool:
        """Commit `fill` once, then apply it; False if it was a duplicate."""
        if fill.exec_id in self._exec_ids:
            self.duplicate_fills += 1
            return False
        order = self.orders.get(fill.client_order_id)
        moved = order
        if order is not None:
            try:
                moved = order.apply(OrderFilled(fill.ts_ns, fill.exec_id, fill.qty, fill.price))
            except IllegalTransition as exc:
                # The fill is real money whatever the order's state says: book it, flag it.
                log.error("fill %s booked despite order state: %s", fill.exec_id, exc)
                moved = order
        else:
            log.error("fill %s for unknown order %s booked", fill.exec_id, fill.client_order_id)
        if not await self._store.save_fill(fill, moved):
            self._exec_ids.add(fill.exec_id)
            self.duplicate_fills += 1
            return False
        self._exec_ids.add(fill.exec_id)
        self._portfolio.apply(fill)
        self._risk.on_fill(fill)
        if moved is not None:
            self.orders[fill.client_order_id] = moved
        self._bus.publish(FillBooked(fill))
        if moved is not None:
            self._published(moved)
        log.info(
            "fill %s: %s %s %s @ %s (commission %s)",
            fill.exec_id,
            fill.side,
            fill.qty,
            fill.symbol,
            fill.price,
            fill.commission,
        )
        self._notify(
            Severity.INFO,
            "Filled",
            f"{fill.side} {fill.qty} {fill.symbol} @ {fill.price}",
            "fill",
        )
        return True

    async def _apply(self, client_order_id: ClientOrderId, event: OrderEvent) -> None:
        order = self.orders.get(client_order_id)
        if order is None:
            log.warning("broker event for unknown order %s: %r", client_order_id, event)
            return
        try:
            moved = order.apply(event)
        except IllegalTransition as exc:
            log.error("ignored broker event: %s", exc)
            return
        if moved is order:
            return
        await self._store.save_order(moved)
        self.orders[client_order_id] = moved
        self.unconfirmed.discard(client_order_id)
        self._published(moved)
        if isinstance(event, OrderRejected):
            log.warning("order %s rejected by the broker: %s", client_order_id[:8], event.reason)
            self._notify(Severity.WARNING, "Order rejected", event.reason, "rejection")
        elif isinstance(event, OrderCancelled | OrderExpired):
            log.info(
                "order %s %s%s",
                client_order_id[:8],
                moved.status,
                f": {event.reason}" if event.reason else "",
            )

    # -- reconciliation ------------------------------------------------------------------------

    async def reconcile(self, orders: Iterable[Order] | None = None) -> int:
        """Ask the broker about open orders (all, or `orders`) and apply what it says."""
        targets = list(self.open_orders() if orders is None else orders)
        changed = 0
        for order in targets:
            try:
                report = await asyncio.wait_for(
                    self._broker.order_report(order.client_order_id), self.submit_timeout_s
                )
            except (TimeoutError, BrokerError) as exc:
                log.warning("cannot reconcile order %s yet: %s", order.client_order_id[:8], exc)
                continue
            changed += await self._apply_report(order, report)
        return changed

    async def reconcile_unconfirmed(self) -> int:
        return await self.reconcile([self.orders[c] for c in list(self.unconfirmed)])

    async def _apply_report(self, order: Order, report: OrderReport | None) -> int:
        coid = order.client_order_id
        now = self._now_ns()
        if report is None:
            # Stored but the broker never got it (a crash between store and send, or a lost
            # request): safe to close, never safe to resend on our own.
            if order.status is OrderStatus.NEW:
                await self._apply(
                    coid,
                    OrderRejected(
                        now, "never reached the broker (found on reconciliation; not resent)"
                    ),
                )
                self.unconfirmed.discard(coid)
                return 1
            await self._apply(coid, OrderCancelled(now, "unknown to the broker on reconciliation"))
            return 1
        for fill in report.fills:
            await self.book_fill(fill)
        current = self.orders[coid]
        event: OrderEvent | None = None
        if report.status == "accepted" and current.status is OrderStatus.NEW:
            event = OrderAccepted(now, report.broker_order_id)
        elif report.status == "cancelled" and current.is_open:
            event = OrderCancelled(now, "cancelled at the broker")
        elif report.status == "expired" and current.is_open:
            event = OrderExpired(now, "expired at the broker")
        elif report.status == "rejected" and current.is_open:
            event = OrderRejected(now, "rejected by the broker")
        if event is not None:
            await self._apply(coid, event)
        self.unconfirmed.discard(coid)
        return 1

    # -- helpers -------------------------------------------------------------------------------

    async def _stored_order(self, client_order_id: ClientOrderId) -> Order | None:
        """An order of an earlier run: after a restart only open orders are in memory, and a
        finished order's id must not be sent again (nor its stored row overwritten)."""
        order = await self._store.load_order(client_order_id)
        if order is not None:
            self.orders[client_order_id] = order
        return order

    def _published(self, order: Order) -> None:
        self._risk.on_order(order)  # the risk tallies follow every order change
        self.changed.set()
        if self._bus.wants(OrderUpdated):  # nobody does in a backtest
            self._bus.publish(OrderUpdated(order))

    def _notify(self, severity: Severity, title: str, message: str, kind: str) -> None:
        if self.answers_at_once:
            return
        note = Notification(self._now_ns(), severity, title, message, kind)
        self._store.write_notification(note)
        self._bus.publish(note)


def _describe(o: Order) -> str:
    price = ""
    if o.limit_price is not None:
        price += f" limit {o.limit_price}"
    if o.stop_price is not None:
        price += f" stop {o.stop_price}"
    who = f" [{o.strategy}]" if o.strategy else ""
    return f"{o.side} {o.qty} {o.symbol} {o.type}{price} {o.tif}{who}"
