"""The engine: wires market, risk, OMS, portfolio, runner and store, and runs their lifecycle.

Start-up order matters for money: the store opens first (migrations), the portfolio is rebuilt
from stored fills, the broker is connected and open orders reconciled, and only then does
market data flow and the runner trade. Stopping reverses it: no new orders once stopping
begins, open orders are cancelled or left as configured, the store is flushed last.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import sys
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from tpm.config import Config
from tpm.config.risk import RiskConfig
from tpm.config.scores import ScoresConfig
from tpm.domain import (
    ZERO,
    Bar,
    FeedState,
    Notification,
    Quote,
    Severity,
    Timeframe,
    Trade,
    ns_to_iso,
    to_decimal,
)
from tpm.domain.snapshot import FeedView
from tpm.engine.bus import Bus
from tpm.engine.clock import Clock, LiveClock, ManualClock
from tpm.engine.control import ControlChannel
from tpm.engine.feed_link import FeedLink
from tpm.engine.kill_switch import KillSwitch
from tpm.engine.market import MarketData
from tpm.engine.oms import OrderManager, OrderRequest
from tpm.engine.portfolio import Portfolio
from tpm.engine.protocols import (
    Broker,
    FundamentalsSource,
    MarketConsumer,
    MarketFeed,
    NewsSource,
    Store,
)
from tpm.engine.risk import RiskEngine
from tpm.engine.runner import StrategyRunner
from tpm.engine.scoring import ScoreBoard
from tpm.engine.snapshot import SPARK_BARS, SnapshotPublisher
from tpm.engine.strategy_book import StrategyBook
from tpm.engine.strategy_desk import BrokerFactory, StrategyDesk
from tpm.strategies.base import Strategy, TargetPosition

__all__ = ["Engine", "EngineSettings"]

log = logging.getLogger("tpm.engine")
_NS = 1_000_000_000
_JOIN_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class EngineSettings:
    initial_cash: Decimal = Decimal(100_000)
    timeframes: tuple[Timeframe, ...] = tuple(Timeframe)
    max_jump_pct: float = 25.0
    max_future_s: float = 5.0
    stale_after_s: float = 10.0
    equity_interval_s: float = 5.0
    quotes: str = "sampled"
    quote_sample_s: float = 1.0
    shutdown_orders: str = "cancel"
    risk: RiskConfig = field(default_factory=RiskConfig)
    warmup_bars: int = 200
    snapshot_hz: float = 10.0
    watchlist: tuple[str, ...] = ()
    """Symbols the UI lists at first start; empty: every symbol of the feed."""
    scores: ScoresConfig = field(default_factory=ScoresConfig)
    fundamentals_from_store: bool = False
    """Score the figures tpm import-fundamentals stored instead of a live source's."""
    market_clock: bool = False
    """Follow the feed's timestamps instead of the wall clock (replays)."""
    strategies_folder: Path | None = None
    """Where the builder lists and saves strategy files; None: no folder."""


class Engine:
    """One trading engine over a feed, a broker and a store."""

    def __init__(
        self,
        feed: MarketFeed,
        broker: Broker,
        store: Store,
        settings: EngineSettings | None = None,
        strategies: Sequence[Strategy] = (),
        clock: Clock | None = None,
        *,
        fundamentals: FundamentalsSource | None = None,
        news: NewsSource | None = None,
        trial_broker: BrokerFactory | None = None,
    ) -> None:
        """`trial_broker` makes the simulated broker that strategy trials (backtests from the
        builder) run on."""
        self.settings = s = settings or EngineSettings()
        self.feed, self.broker, self.store = feed, broker, store
        self.fundamentals, self.news = fundamentals, news
        self.clock: Clock = clock or (ManualClock() if s.market_clock else LiveClock())
        self.bus = Bus()
        self.market = MarketData(
            self.bus,
            feed.instruments(),
            timeframes=s.timeframes,
            max_jump_pct=s.max_jump_pct,
            max_future_ns=int(s.max_future_s * _NS),
            now_ns=None if s.market_clock else self.clock.now_ns,
        )
        self.portfolio = Portfolio(s.initial_cash)
        self.risk = RiskEngine(s.risk, self.market, self.portfolio, self.clock.now_ns)
        self.oms = OrderManager(
            self.bus, store, broker, self.risk, self.portfolio, self.clock.now_ns
        )
        self.runner = StrategyRunner(
            self.bus,
            self.oms,
            self.portfolio,
            self.market,
            strategies,
            can_trade=self.can_trade,
            has_rate_room=self.risk.has_rate_room,
        )
        self.runner.defer_bars = s.market_clock
        self.strategy_book = StrategyBook(self.bus, self.portfolio.mark_of)
        self.runner.on_order = self._on_strategy_order
        self.desk = StrategyDesk(self, s.strategies_folder, trial_broker)
        self.kill_switch = KillSwitch(
            self.risk, self.oms, self.runner, self.portfolio, store, self.bus
        )
        self.link = FeedLink(
            feed,
            self.market,
            self.bus,
            self.clock,
            self.runner,
            stale_after_s=s.stale_after_s,
            settle_broker=self._settle_broker,
            note=self._note,
            on_market_time=self._on_market_time if s.market_clock else None,
        )
        self.publisher = SnapshotPublisher(
            self.bus,
            self.market,
            self.portfolio,
            self.oms,
            self.risk,
            self.runner,
            self.feed_view,
            self.clock.now_ns,
            hz=s.snapshot_hz,
        )
        self.scores = ScoreBoard(
            self.bus,
            store,
            s.scores,
            self.clock.now_ns,
            {i.symbol: i.sector for i in feed.instruments()},
        )
        self.publisher.scores = self.scores.latest
        self.publisher.strategy_views = self.desk.views
        self.control = ControlChannel(self)
        self.shutdown_orders = s.shutdown_orders
        self.config: Config | None = None
        """The settings in force as config.toml's tables say them, once a client has shown
        them (every client of this engine then reads the same, newest copy)."""
        self.started_ns = 0
        self._tasks: list[asyncio.Task[Any]] = []
        self._stopped = asyncio.Event()
        self.is_started = False
        self._last_quote_saved: dict[str, int] = {}
        self._sample_ns = int(s.quote_sample_s * _NS)
        self._day_label = ""
        self._next_equity_ns = 0
        self._saved_peak = ZERO
        self._broker_handled = 0
        self._broker_progress = asyncio.Event()
        self._wire()

    # -- wiring --------------------------------------------------------------------------------

    def _wire(self) -> None:
        bus = self.bus
        mark = self.portfolio.mark
        bus.subscribe(Trade, lambda t: mark(t.symbol, t.price))
        bus.subscribe(Quote, lambda q: mark(q.symbol, (q.bid + q.ask) * 0.5))
        bus.subscribe(Bar, lambda b: mark(b.symbol, b.close))
        if isinstance(self.broker, MarketConsumer):
            consume = self.broker.on_market
            bus.subscribe(Quote, consume)
            bus.subscribe(Trade, consume)
            bus.subscribe(Bar, consume)
        bus.subscribe(Bar, self.store.write_bar)
        if self.settings.quotes == "all":
            bus.subscribe(Quote, self.store.write_quote)
        elif self.settings.quotes == "sampled":
            bus.subscribe(Quote, self._sample_quote)

    def _sample_quote(self, q: Quote) -> None:
        last = self._last_quote_saved.get(q.symbol, 0)
        if q.ts_ns - last >= self._sample_ns:
            self._last_quote_saved[q.symbol] = q.ts_ns
            self.store.write_quote(q)

    @property
    def feed_state(self) -> FeedState:
        return self.link.state

    def feed_view(self, now_ns: int) -> FeedView:
        return self.link.view(now_ns)

    def can_trade(self) -> bool:
        return self.feed_state is FeedState.LIVE and not self.risk.is_stopping

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the store, rebuild and reconcile, connect the feed, warm up, start trading."""
        s = self.settings
        # The database driver works in a thread; with the default 5 ms GIL switch interval a
        # busy event loop makes every database round trip wait that long for the lock.
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
        await self.store.open()
        instruments = list(self.feed.instruments())
        await self.store.save_instruments(instruments)
        cash = await self.store.get_state("account.initial_cash")
        if cash is None:
            await self.store.set_state("account.initial_cash", str(s.initial_cash))
        else:
            self.portfolio.initial_cash = to_decimal(cash)
        await self.kill_switch.restore()
        fills = await self.oms.load()
        peak = await self.store.get_state("account.peak_equity")
        if peak:
            self.portfolio.peak_equity = max(self.portfolio.peak_equity, to_decimal(peak))
        self._saved_peak = self.portfolio.peak_equity
        self.publisher.seed_fills(fills)
        self.strategy_book.seed(fills)
        self.publisher.seed_notifications(await self.store.load_notifications(50))
        log.info(
            "portfolio rebuilt from %d fills: cash %s, %d open positions, %d open orders",
            self.portfolio.fill_count,
            self.portfolio.cash,
            len(self.portfolio.views()),
            len(self.oms.open_orders()),
        )
        await self.broker.connect()
        self._spawn(self._pump_broker(), "broker-pump")
        reconciled = await self.oms.reconcile()
        if reconciled:
            log.info("reconciled %d open orders with the %s broker", reconciled, self.broker.name)
        await self.link.connect()
        await self._warm_up()
        await self._seed_publisher()
        await self.scores.start(
            self.feed,
            self.fundamentals,
            self.news,
            fundamentals_from_store=s.fundamentals_from_store,
        )
        self.started_ns = self.clock.now_ns()
        self._spawn(self.link.pump(), "feed-pump")
        self._spawn(self.runner.run(), "runner")
        self._spawn(self._timers(), "timers")
        self._spawn(self.publisher.run(), "snapshots")
        self._spawn(self.control.run(), "control")
        if self.news is not None:
            self._spawn(self.scores.pump_news(self.news), "news")
        self.is_started = True
        await self.store.audit(
            "engine", "engine.start", f"feed={self.feed.name} broker={self.broker.name}"
        )
        log.info(
            "engine started: %d instruments, %d strategies, equity %s",
            len(instruments),
            len(self.runner.strategies),
            self.portfolio.equity,
        )

    def _on_strategy_order(self, st: Strategy, target: TargetPosition, req: OrderRequest) -> None:
        text = f"{req.side.value.upper()} {req.qty:f} {req.symbol}"
        if target.reason:
            text += f": {target.reason}"
        self.strategy_book.signal(st.name, text, self.clock.now_ns())

    async def _warm_up(self) -> None:
        history: dict[str, Sequence[Bar]] = {}
        wanted = {(sym, st.timeframe) for st in self.runner.strategies for sym in st.symbols}
        for sym, tf in sorted(wanted):
            bars = await self.feed.history(sym, tf, self.settings.warmup_bars)
            history[f"{sym}/{tf.value}"] = bars
            if bars:
                self.portfolio.mark(sym, bars[-1].close)
                state = self.market.state(sym)
                if state is not None and math.isnan(state.last_price):
                    state.last_price = bars[-1].close
        self.runner.warm_up(history)

    async def _seed_publisher(self) -> None:
        saved = await self.store.get_state("ui.watchlist")
        if saved is not None:
            symbols = [x for x in saved.split(",") if x]
        else:
            symbols = list(self.settings.watchlist) or [i.symbol for i in self.feed.instruments()]
        self.publisher.set_watchlist(symbols)
        for sym in self.publisher.watchlist:
            await self._seed_symbol(sym)
        self.publisher.publish()

    async def _seed_symbol(self, sym: str) -> None:
        """Sparkline and previous close from the feed's history, and a first price."""
        minutes = await self.feed.history(sym, Timeframe.M1, SPARK_BARS)
        days = await self.feed.history(sym, Timeframe.D1, 1)
        self.publisher.seed(sym, [b.close for b in minutes], days[-1].close if days else None)
        state = self.market.state(sym)
        if state is not None and math.isnan(state.last_price) and minutes:
            state.last_price = minutes[-1].close

    async def set_watchlist(self, symbols: Sequence[str]) -> None:
        """Show these symbols (unknown ones are left out) and remember the list."""
        before = set(self.publisher.watchlist)
        self.publisher.set_watchlist(symbols)
        await self.store.set_state("ui.watchlist", ",".join(self.publisher.watchlist))
        for sym in self.publisher.watchlist:
            if sym not in before:
                await self._seed_symbol(sym)

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        task.add_done_callback(self._task_done)
        self._tasks.append(task)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("engine task %s failed: %s", task.get_name(), exc, exc_info=exc)
            self._note(Severity.ERROR, "Engine error", f"{task.get_name()} failed: {exc}")

    async def stop(self) -> None:
        """Stop trading and shut down in order; safe to call twice."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self.risk.is_stopping = True
        self.runner.is_running = False
        # Orders already on their way must reach the broker before they can be cancelled,
        # and fills already sent back must be booked before cancels would race them.
        await self._quiesce(timeout_s=self.oms.submit_timeout_s)
        open_orders = self.oms.open_orders()
        if open_orders and self.shutdown_orders == "cancel":
            n = await self.oms.cancel_all()
            log.info("stopping: cancel requested for %d open orders", n)
            await self._wait_for_no_open_orders(timeout_s=3.0)
        elif open_orders:
            log.info("stopping: %d open orders left working at the broker", len(open_orders))
        for task in self._tasks:
            if task.get_name() != "broker-pump":
                task.cancel()
        with contextlib.suppress(Exception):
            await self.feed.close()
        await self.broker.close()
        await self._join_tasks()
        self.link.set_state(FeedState.STOPPED, "engine stopped")
        if self.is_started:
            self.store.write_equity(self.portfolio.snapshot(self.clock.now_ns()))
            await self._save_peak()  # after the snapshot, which may raise the peak
            with contextlib.suppress(Exception):
                await self.store.audit("engine", "engine.stop", "clean stop")
        await self.store.close()
        log.info("engine stopped")

    async def _join_tasks(self) -> None:
        """Wait for the cancelled tasks; one that does not end in time is named in the log
        and left behind, so the store is still flushed and closed."""
        if self._tasks:
            _, stuck = await asyncio.wait(self._tasks, timeout=_JOIN_TIMEOUT_S)
            for task in stuck:
                log.error(
                    "stopping: task %s did not end %.0fs after it was cancelled: %s",
                    task.get_name(),
                    _JOIN_TIMEOUT_S,
                    task.get_stack(limit=3),
                )
        self._tasks.clear()

    async def _quiesce(self, timeout_s: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                while self.oms.sending:
                    self.oms.changed.clear()
                    await self.oms.changed.wait()
                await self._settle_broker()

    async def _wait_for_no_open_orders(self, timeout_s: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                while self.oms.open_orders():
                    self.oms.changed.clear()
                    await self.oms.changed.wait()

    # -- tasks ---------------------------------------------------------------------------------

    async def _settle_broker(self) -> None:
        """Wait until every message the broker has emitted so far is booked (a broker that
        counts what it emits, like the paper broker, makes replays deterministic)."""
        while self._broker_handled < getattr(self.broker, "emitted", 0):
            self._broker_progress.clear()
            await self._broker_progress.wait()

    async def _pump_broker(self) -> None:
        async for msg in self.broker.messages():
            try:
                await self.oms.on_broker_message(msg)
            except Exception:
                log.exception("could not process broker message %r", msg)
            self._broker_handled += 1
            self._broker_progress.set()

    async def _timers(self) -> None:
        s = self.settings
        next_reconcile = 0
        while True:
            await asyncio.sleep(0.25)
            now = self.clock.now_ns()
            if not s.market_clock:
                self.market.close_due(now - _NS // 4)
            self.link.check_staleness(now)
            self.runner.retry_deferred()
            if not s.market_clock:  # a replay does this at market times: _on_market_time
                await self._on_market_time(now)
            await self._save_peak()
            if self.oms.unconfirmed and now >= next_reconcile:
                next_reconcile = now + 2 * _NS
                await self.oms.reconcile_unconfirmed()

    async def _save_peak(self) -> None:
        """Keep the equity high-water mark for the drawdown limit across restarts. Saved from
        the timers, not where equity is recorded: in a replay that is the feed pump, which
        must not wait on the database for a figure a quarter-second old is as good as."""
        peak = self.portfolio.peak_equity
        if peak != self._saved_peak:
            self._saved_peak = peak
            await self.store.set_state("account.peak_equity", str(peak))

    async def _on_market_time(self, now: int) -> int:
        """Equity points and loss limits (at market times in a replay); returns when next due."""
        if self.portfolio.day_start_equity is not None:
            await self._watch_loss_limits()
        if now >= self._next_equity_ns:
            self._next_equity_ns = now + int(self.settings.equity_interval_s * _NS)
            await self._record_equity(now)
        return min(now + _NS // 4, self._next_equity_ns)

    async def _record_equity(self, now: int) -> None:
        snap = self.portfolio.snapshot(now)
        day = ns_to_iso(now)[:10]
        if day != self._day_label:
            self._day_label = day
            saved = await self.store.get_state("account.day_start")
            if saved and saved.startswith(day + "|"):
                self.portfolio.day_start_equity = to_decimal(saved.split("|", 1)[1])
            else:
                self.portfolio.day_start_equity = snap.equity
                await self.store.set_state("account.day_start", f"{day}|{snap.equity}")
        self.store.write_equity(snap)
        self.bus.publish(snap)

    async def _watch_loss_limits(self) -> None:
        p = self.portfolio
        equity = to_decimal(round(p.equity_f, 2))
        breach = self.risk.breach(equity, p.day_start_equity, max(p.peak_equity, equity))
        if breach is not None:
            await self.kill_switch.on_breach(breach)

    # -- status --------------------------------------------------------------------------------

    def _note(self, severity: Severity, title: str, message: str) -> None:
        note = Notification(self.clock.now_ns(), severity, title, message, "engine")
        self.bus.publish(note)
        with contextlib.suppress(RuntimeError):
            self.store.write_notification(note)

    # -- actions the app, the command line and the remote API share ---------------------------

    async def halt(
        self, reason: str, *, flatten: bool = False, actor: str = "engine", origin: str = "local"
    ) -> str:
        return await self.kill_switch.halt(reason, flatten=flatten, actor=actor, origin=origin)

    async def resume(self, *, actor: str = "engine", origin: str = "local") -> str:
        return await self.kill_switch.resume(actor=actor, origin=origin)

    def apply_settings(self, config: Config) -> set[str]:
        """Take what can change while running (risk limits, scoring, shutdown choice); return
        the sections that only take effect at the next start."""
        self.config = config
        self.risk.config = config.risk
        self.scores.configure(config.scores)
        self.shutdown_orders = config.engine.shutdown_orders
        log.info("settings applied: risk limits, scoring and shutdown choice in effect now")
        return {"feed", "broker", "store", "market", "demo", "news", "fundamentals"}

    def set_shutdown_orders(self, mode: str, *, actor: str = "engine") -> None:
        """Choose what stopping does with open orders: "cancel" or "leave" them working."""
        if mode not in ("cancel", "leave"):
            raise ValueError(f'shutdown orders must be "cancel" or "leave", got {mode!r}')
        self.shutdown_orders = mode
        log.info(
            "on stop, open orders will be %s (chosen by %s)",
            "cancelled" if mode == "cancel" else "left working",
            actor,
        )

    async def wait_stopped(self) -> None:
        await self._stopped.wait()
