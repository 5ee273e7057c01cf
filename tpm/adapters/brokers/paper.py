"""The paper broker: a simulated exchange that matches orders against the live or replayed market.

Fill model, per market message for a symbol with working orders:
- an order is eligible once the market's clock passes its creation time plus the latency;
- quotes: a buy takes the ask, a sell hits the bid, market and triggered stop orders pay
  slippage; a fill takes at most `participation` of the displayed size, so large orders fill
  in parts; a resting limit also fills against trades printed at or through its price;
- bars (replayed history, backtests): an order placed before a bar opens fills within it: a
  market order at the open, a limit when the range reaches the price (at the open if better),
  a stop when the range reaches the stop; at most `participation` of the bar's volume;
- IOC orders cancel what is left after their first chance; DAY orders expire at the
  instrument's session close (at local midnight for markets that never close);
- a feed with trades but no quotes fills marketable orders at the print, with slippage.
Commission is per share plus basis points, with the minimum applied per order.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from tpm.domain import (
    ZERO,
    Bar,
    BrokerFill,
    BrokerMessage,
    BrokerOrderEvent,
    ClientOrderId,
    Fill,
    Instrument,
    Order,
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderReplaced,
    OrderReport,
    OrderStatus,
    Quote,
    Side,
    TimeInForce,
    Trade,
    to_decimal,
)
from tpm.domain.sessions import SessionCalendar
from tpm.errors import BrokerError

__all__ = ["PaperBroker"]

_BPS = Decimal("0.0001")


@dataclass(slots=True)
class _Working:
    order: Order
    broker_order_id: str
    active_ns: int
    expires_ns: int | None
    status: OrderStatus = OrderStatus.ACCEPTED
    filled: Decimal = ZERO
    notional: Decimal = ZERO
    commission: Decimal = ZERO
    is_triggered: bool = False
    fills: list[Fill] = field(default_factory=list)

    @property
    def leaves(self) -> Decimal:
        return self.order.qty - self.filled


class PaperBroker:
    """A simulated broker; see the module docstring for how it fills."""

    name = "paper"

    def __init__(
        self,
        instruments: Iterable[Instrument],
        *,
        commission_per_share: float = 0.005,
        commission_bps: float = 0.0,
        commission_min: float = 1.0,
        slippage_bps: float = 2.0,
        participation: float = 0.5,
        latency_ms: float = 50.0,
    ) -> None:
        self._instruments = {i.symbol: i for i in instruments}
        self._per_share = to_decimal(commission_per_share)
        self._bps = to_decimal(commission_bps) * _BPS
        self._min = to_decimal(commission_min)
        self._slip = to_decimal(slippage_bps) * _BPS
        self._participation = participation
        self._latency_ns = int(latency_ms * 1_000_000)
        self._orders: dict[ClientOrderId, _Working] = {}
        self._by_symbol: dict[str, list[_Working]] = defaultdict(list)
        # A deque and a wake-up event rather than an asyncio.Queue: a backtest puts and takes
        # thousands of messages without ever waiting, and the queue's bookkeeping showed.
        self._queue: deque[BrokerMessage | None] = deque()
        self._arrived = asyncio.Event()
        self._calendars: dict[str, SessionCalendar] = {}
        self._quoted: set[str] = set()
        self._seq = 0
        self.emitted = 0
        """Messages put on the queue so far; a replaying engine waits until it has booked them."""
        self._last_ns = 0
        self._closed = False

    def add_instruments(self, instruments: Iterable[Instrument]) -> None:
        for i in instruments:
            self._instruments[i.symbol] = i

    # -- Broker protocol -----------------------------------------------------------------------

    async def connect(self) -> None:
        self._closed = False

    async def close(self) -> None:
        self._closed = True
        self._put(None)

    async def submit(self, order: Order) -> None:
        if order.client_order_id in self._orders:
            raise BrokerError(f"duplicate client order id {order.client_order_id}")
        inst = self._instruments.get(order.symbol)
        if inst is None:
            raise BrokerError(f"paper broker: unknown symbol {order.symbol}")
        self._seq += 1
        expires = None
        if order.tif is TimeInForce.DAY:
            expires = self._calendar(inst).session_end_ns(
                order.created_ns, inst.session_open, inst.session_close
            )
        w = _Working(
            order=order,
            broker_order_id=f"P{self._seq:06d}-{order.client_order_id[:8]}",
            active_ns=order.created_ns + self._latency_ns,
            expires_ns=expires,
        )
        self._orders[order.client_order_id] = w
        self._by_symbol[order.symbol].append(w)
        self._emit_event(w, OrderAccepted(order.created_ns, w.broker_order_id))

    async def cancel(self, client_order_id: ClientOrderId) -> None:
        w = self._orders.get(client_order_id)
        if w is None:
            raise BrokerError(f"paper broker: unknown order {client_order_id}")
        if w.status.is_terminal:
            raise BrokerError(f"order {client_order_id} is already {w.status}; too late to cancel")
        self._finish(w, OrderStatus.CANCELLED, OrderCancelled(self._now(w), "cancelled on request"))

    async def replace(
        self,
        client_order_id: ClientOrderId,
        qty: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> None:
        w = self._orders.get(client_order_id)
        if w is None or w.status.is_terminal:
            raise BrokerError(f"paper broker: order {client_order_id} is not working")
        if qty is not None and qty <= 0:
            raise BrokerError(f"new quantity {qty} must be positive; cancel the order instead")
        if qty is not None and qty < w.filled:
            raise BrokerError(f"new quantity {qty} is below the filled quantity {w.filled}")
        event = OrderReplaced(self._now(w), qty, limit_price, stop_price)
        w.order = w.order.apply(event)
        self._emit_event(w, event)
        if w.leaves == 0:
            self._finish(w, OrderStatus.FILLED, None)

    async def order_report(self, client_order_id: ClientOrderId) -> OrderReport | None:
        w = self._orders.get(client_order_id)
        if w is None:
            return None
        avg = w.notional / w.filled if w.filled else ZERO
        return OrderReport(
            client_order_id, w.status.value, w.filled, avg, w.broker_order_id, tuple(w.fills)
        )

    def messages(self) -> AsyncIterator[BrokerMessage]:
        return self._drain()

    def take_messages(self) -> list[BrokerMessage]:
        """What is queued, without waiting (a backtest books it between bars)."""
        out: list[BrokerMessage] = []
        while self._queue:
            msg = self._queue.popleft()
            if msg is not None:
                out.append(msg)
        return out

    def _put(self, msg: BrokerMessage | None) -> None:
        self._queue.append(msg)
        self._arrived.set()

    async def _drain(self) -> AsyncIterator[BrokerMessage]:
        while True:
            while not self._queue:
                self._arrived.clear()
                await self._arrived.wait()
            msg = self._queue.popleft()
            if msg is None:
                return
            yield msg

    # -- matching ------------------------------------------------------------------------------

    def on_market(self, event: Quote | Trade | Bar) -> None:
        """See one market message; fill or expire the working orders of its symbol."""
        working = self._by_symbol.get(event.symbol)
        if type(event) is Quote:
            self._quoted.add(event.symbol)
        if not working:  # the common case: one lookup per message
            return
        ts = event.start_ns if isinstance(event, Bar) else event.ts_ns
        if ts > self._last_ns:
            self._last_ns = ts
        for w in list(working):
            if isinstance(event, Quote):
                self._on_quote(w, event)
            elif isinstance(event, Trade):
                self._on_trade(w, event)
            else:
                self._on_bar(w, event)

    def _expired(self, w: _Working, ts_ns: int) -> bool:
        if w.expires_ns is not None and ts_ns >= w.expires_ns:
            self._finish(w, OrderStatus.EXPIRED, OrderExpired(ts_ns, "end of trading day"))
            return True
        return False

    def _on_quote(self, w: _Working, q: Quote) -> None:
        if q.ts_ns < w.active_ns or self._expired(w, q.ts_ns):
            return
        o = w.order
        buy = o.side is Side.BUY
        touch = to_decimal(q.ask if buy else q.bid)
        size = q.ask_size if buy else q.bid_size
        if self._triggered(w, touch):
            price = self._marketable_price(w, touch)
            if price is not None:
                self._fill(w, price, self._cap(w, size), q.ts_ns)
        self._ioc_done(w, q.ts_ns)

    def _on_trade(self, w: _Working, t: Trade) -> None:
        if t.ts_ns < w.active_ns or self._expired(w, t.ts_ns):
            return
        o = w.order
        price = to_decimal(t.price)
        quoted = t.symbol in self._quoted
        if not quoted and not self._triggered(w, price):
            return self._ioc_done(w, t.ts_ns)
        if o.limit_price is None:
            # With quotes, marketable orders take the quote; a trades-only feed fills at the print.
            if not quoted and (o.stop_price is None or w.is_triggered):
                self._fill(
                    w, self._slipped(price, o.side is Side.BUY), self._cap(w, t.size), t.ts_ns
                )
                self._ioc_done(w, t.ts_ns)
            return None
        if o.stop_price is not None and not w.is_triggered:
            return None
        through = price <= o.limit_price if o.side is Side.BUY else price >= o.limit_price
        if through:
            self._fill(w, o.limit_price, self._cap(w, t.size), t.ts_ns)
        if not quoted:
            self._ioc_done(w, t.ts_ns)
        return None

    def _on_bar(self, w: _Working, b: Bar) -> None:
        # A bar is a whole interval: an order placed before it opened trades within it.
        if b.start_ns < w.order.created_ns or self._expired(w, b.start_ns):
            return
        o = w.order
        buy = o.side is Side.BUY
        # The high and the low are made exact only where a stop or a limit asks about them.
        op = to_decimal(b.open)
        start = op
        if o.stop_price is not None and not w.is_triggered:
            reached = (
                to_decimal(b.high) >= o.stop_price if buy else to_decimal(b.low) <= o.stop_price
            )
            if not reached:
                return self._ioc_done(w, b.start_ns)
            w.is_triggered = True
            # A gap through the stop fills at the open, otherwise at the stop.
            start = max(op, o.stop_price) if buy else min(op, o.stop_price)
        if o.limit_price is None:
            price = self._slipped(start, buy)
        else:
            reachable = (
                to_decimal(b.low) <= o.limit_price if buy else to_decimal(b.high) >= o.limit_price
            )
            if not reachable:
                return self._ioc_done(w, b.start_ns)
            price = min(start, o.limit_price) if buy else max(start, o.limit_price)
        if b.volume > 0:
            self._fill(w, price, self._cap(w, b.volume), b.start_ns)
        self._ioc_done(w, b.start_ns)
        return None

    def _triggered(self, w: _Working, price: Decimal) -> bool:
        o = w.order
        if o.stop_price is None or w.is_triggered:
            return True
        if (o.side is Side.BUY and price >= o.stop_price) or (
            o.side is Side.SELL and price <= o.stop_price
        ):
            w.is_triggered = True
        return w.is_triggered

    def _marketable_price(self, w: _Working, touch: Decimal) -> Decimal | None:
        o = w.order
        buy = o.side is Side.BUY
        if o.limit_price is None:
            return self._slipped(touch, buy)
        if (buy and touch <= o.limit_price) or (not buy and touch >= o.limit_price):
            return touch
        return None

    def _slipped(self, price: Decimal, buy: bool) -> Decimal:
        return price * (1 + self._slip) if buy else price * (1 - self._slip)

    def _cap(self, w: _Working, available: float) -> Decimal:
        """How much of the order this message can fill, in whole lots."""
        lot = self._instruments[w.order.symbol].lot_size
        if available <= 0:
            return w.leaves
        share = available * self._participation
        leaves = w.leaves
        if share > float(leaves) * (1 + 1e-9):
            return leaves  # the bar's share is plenty (the common case): no Decimal arithmetic
        cap = to_decimal(share)
        lots = (cap / lot).to_integral_value(rounding=ROUND_DOWN)
        return min(leaves, max(lots, Decimal(1)) * lot)

    def _fill(self, w: _Working, price: Decimal, qty: Decimal, ts_ns: int) -> None:
        if qty <= 0 or w.status.is_terminal:
            return
        o = w.order
        inst = self._instruments[o.symbol]
        price = inst.price(price)
        w.filled += qty
        w.notional += qty * price
        # The minimum commission applies per order, so a fill in parts costs what one fill would.
        total = max(w.notional * self._bps + w.filled * self._per_share, self._min)
        commission = (total - w.commission).quantize(Decimal("0.0001"))
        w.commission += commission
        fill = Fill(
            exec_id=f"{w.broker_order_id}-{len(w.fills) + 1}",
            client_order_id=o.client_order_id,
            symbol=o.symbol,
            side=o.side,
            qty=qty,
            price=price,
            commission=commission,
            ts_ns=ts_ns,
            strategy=o.strategy,
        )
        w.fills.append(fill)
        self.emitted += 1
        self._put(BrokerFill(fill))
        if w.leaves == 0:
            self._finish(w, OrderStatus.FILLED, None)
        else:
            w.status = OrderStatus.PARTIALLY_FILLED

    def _ioc_done(self, w: _Working, ts_ns: int) -> None:
        if w.order.tif is TimeInForce.IOC and not w.status.is_terminal:
            self._finish(w, OrderStatus.CANCELLED, OrderCancelled(ts_ns, "IOC remainder cancelled"))

    def _finish(
        self, w: _Working, status: OrderStatus, event: OrderCancelled | OrderExpired | None
    ) -> None:
        w.status = status
        working = self._by_symbol.get(w.order.symbol)
        if working and w in working:
            working.remove(w)
        if event is not None:
            self._emit_event(w, event)

    def _emit_event(
        self, w: _Working, event: OrderAccepted | OrderCancelled | OrderExpired | OrderReplaced
    ) -> None:
        self.emitted += 1
        self._put(BrokerOrderEvent(w.order.client_order_id, event))

    def _now(self, w: _Working) -> int:
        """The market's time as this broker last saw it (never before the order existed)."""
        return max(self._last_ns, w.order.created_ns)

    def _calendar(self, inst: Instrument) -> SessionCalendar:
        cal = self._calendars.get(inst.timezone)
        if cal is None:
            cal = self._calendars[inst.timezone] = SessionCalendar(inst.timezone)
        return cal
