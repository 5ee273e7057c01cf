"""Builds the UI's snapshots: at most `hz` per second, only when something changed or a second
passed (feed age moves), reusing every watchlist row whose symbol did not tick."""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Callable, Sequence

from tpm.domain import (
    Bar,
    Fill,
    FillBooked,
    Notification,
    Order,
    OrderUpdated,
    Score,
    Timeframe,
)
from tpm.domain.snapshot import (
    AccountView,
    EngineSnapshot,
    FeedView,
    NotificationItem,
    PositionRow,
    StrategyView,
    WatchRow,
)
from tpm.engine.bus import Bus
from tpm.engine.market import MarketData
from tpm.engine.oms import OrderManager
from tpm.engine.portfolio import Portfolio
from tpm.engine.risk import RiskEngine
from tpm.engine.runner import StrategyRunner

__all__ = ["SPARK_BARS", "SnapshotPublisher"]

SPARK_BARS = 60
_NS = 1_000_000_000


class SnapshotPublisher:
    """Collects what screens show and publishes EngineSnapshot on the bus."""

    def __init__(
        self,
        bus: Bus,
        market: MarketData,
        portfolio: Portfolio,
        oms: OrderManager,
        risk: RiskEngine,
        runner: StrategyRunner,
        feed_view: Callable[[int], FeedView],
        now_ns: Callable[[], int],
        *,
        hz: float = 10.0,
    ) -> None:
        self._bus = bus
        self._market = market
        self._portfolio = portfolio
        self._oms = oms
        self._risk = risk
        self._runner = runner
        self.strategy_views: Callable[[], tuple[StrategyView, ...]] = self._strategy_views
        """Each strategy as the screens show it (the engine's desk adds books and files)."""
        self._feed_view = feed_view
        self._now_ns = now_ns
        self._interval_s = 1.0 / hz
        self.watchlist: list[str] = []
        self._rows: dict[str, WatchRow] = {}
        self._spark: dict[str, deque[float]] = {}
        self._prev_close: dict[str, float] = {}
        self._notes: deque[NotificationItem] = deque(maxlen=100)
        self._fills: deque[Fill] = deque(maxlen=100)
        self._done_orders: deque[Order] = deque(maxlen=100)
        self._seq = 0
        self._version = 0
        self._dirty = True
        self._seen_accepted = -1
        self._last_publish_ns = 0
        self.latest: EngineSnapshot | None = None
        self.scores: dict[str, Score] = {}
        """The latest Score per symbol (the engine's score board keeps it current)."""
        bus.subscribe(Bar, self._on_bar)
        bus.subscribe(Notification, self._on_note)
        bus.subscribe(FillBooked, self._on_fill)
        bus.subscribe(OrderUpdated, self._on_order)

    # -- inputs --------------------------------------------------------------------------------

    def set_watchlist(self, symbols: Sequence[str]) -> None:
        known = [s for s in dict.fromkeys(symbols) if self._market.state(s) is not None]
        self.watchlist = known
        self._dirty = True

    def seed(self, symbol: str, minute_closes: Sequence[float], prev_close: float | None) -> None:
        """History for the sparkline and the day's change, before live data arrives."""
        self._spark[symbol] = deque(minute_closes[-SPARK_BARS:], maxlen=SPARK_BARS)
        if prev_close is not None and math.isfinite(prev_close):
            self._prev_close[symbol] = prev_close

    def seed_fills(self, fills: Sequence[Fill]) -> None:
        """The latest stored fills, so a restart shows what happened before it."""
        self._fills.extend(fills[-self._fills.maxlen :] if self._fills.maxlen else fills)

    def seed_notifications(self, notes: Sequence[Notification]) -> None:
        """Stored notifications, oldest first, listed as history."""
        for note in notes:
            self._on_note(note)

    def _on_bar(self, bar: Bar) -> None:
        if bar.timeframe is Timeframe.M1:
            spark = self._spark.get(bar.symbol)
            if spark is None:
                spark = self._spark[bar.symbol] = deque(maxlen=SPARK_BARS)
            spark.append(bar.close)
        elif bar.timeframe is Timeframe.D1:
            self._prev_close[bar.symbol] = bar.close

    def _on_note(self, note: Notification) -> None:
        self._seq += 1
        self._notes.append(NotificationItem(self._seq, note))
        self._dirty = True

    def _on_fill(self, event: FillBooked) -> None:
        self._fills.append(event.fill)
        self._dirty = True

    def _on_order(self, event: OrderUpdated) -> None:
        if event.order.status.is_terminal:
            self._done_orders.append(event.order)
        self._dirty = True

    # -- building ------------------------------------------------------------------------------

    def _row(self, symbol: str) -> WatchRow | None:
        s = self._market.state(symbol)
        if s is None:
            return None
        old = self._rows.get(symbol)
        spark = self._spark.get(symbol, ())
        spark_tail = spark[-1] if spark else None
        scored = self.scores.get(symbol)
        score = None if scored is None else scored.composite
        rating = "" if scored is None or scored.rating is None else scored.rating.value
        if (
            old is not None
            and old.updated_ns == s.updated_ns
            and old.score == score
            and old.rating == rating
            and (
                (old.spark[-1] if old.spark else None) == spark_tail
                and len(old.spark) == len(spark)
            )
        ):
            return old
        last = s.last_price
        prev = self._prev_close.get(symbol)
        if prev is None and spark:
            prev = spark[0]
        change = (last / prev - 1.0) * 100 if prev and math.isfinite(last) else math.nan
        day = self._market.forming_bar(symbol, Timeframe.D1)
        q = s.quote
        inst = s.instrument
        row = WatchRow(
            symbol=symbol,
            name=inst.name,
            sector=inst.sector,
            last=last,
            bid=q.bid if q else math.nan,
            ask=q.ask if q else math.nan,
            change_pct=change,
            volume=day.volume if day else 0.0,
            spark=tuple(spark),
            score=score,
            rating=rating,
            updated_ns=s.updated_ns,
            version=(old.version + 1) if old else 1,
        )
        self._rows[symbol] = row
        return row

    def day_change_pct(self, symbol: str) -> float:
        row = self._rows.get(symbol) or self._row(symbol)
        return math.nan if row is None else row.change_pct

    def build(self) -> EngineSnapshot:
        now = self._now_ns()
        p = self._portfolio
        rows = tuple(r for r in (self._row(s) for s in self.watchlist) if r is not None)
        gross, net = p.exposures()
        account = AccountView(
            cash=p.cash,
            equity=p.cash + net,
            initial_cash=p.initial_cash,
            day_pnl=p.day_pnl,
            realised_pnl=p.realised_pnl,
            unrealised_pnl=p.unrealised_pnl,
            gross_exposure=gross,
            net_exposure=net,
            trading_state=self._risk.state,
            state_reason=self._risk.state_reason,
        )
        positions = []
        for v in p.views():
            st = self._market.state(v.symbol)
            positions.append(
                PositionRow(
                    symbol=v.symbol,
                    sector=st.instrument.sector if st else "",
                    qty=v.qty,
                    avg_price=v.avg_price,
                    mark=v.mark,
                    market_value=v.market_value,
                    unrealised_pnl=v.unrealised_pnl,
                    realised_pnl=v.realised_pnl,
                    day_change_pct=self.day_change_pct(v.symbol),
                )
            )
        strategies = self.strategy_views()
        self._version += 1
        return EngineSnapshot(
            version=self._version,
            ts_ns=now,
            feed=self._feed_view(now),
            account=account,
            watchlist=rows,
            positions=tuple(positions),
            open_orders=tuple(self._oms.open_orders()),
            recent_orders=tuple(reversed(self._done_orders)),
            recent_fills=tuple(reversed(self._fills)),
            notifications=tuple(reversed(self._notes)),
            strategies=strategies,
            sectors={sym: st.instrument.sector for sym, st in self._market.symbols.items()},
        )

    def _strategy_views(self) -> tuple[StrategyView, ...]:
        r = self._runner
        return tuple(
            StrategyView(st.name, st.symbols, st.timeframe.value, r.is_running and r.is_trading)
            for st in r.strategies
        )

    def publish(self) -> EngineSnapshot:
        snap = self.build()
        self.latest = snap
        self._dirty = False
        self._seen_accepted = self._market.accepted
        self._last_publish_ns = snap.ts_ns
        self._bus.publish(snap)
        return snap

    async def run(self) -> None:
        """Publish while something changes, and at least once a second so ages stay true."""
        while True:
            await asyncio.sleep(self._interval_s)
            changed = self._dirty or self._market.accepted != self._seen_accepted
            if changed or self._now_ns() - self._last_publish_ns >= _NS:
                self.publish()
