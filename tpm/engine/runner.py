"""The strategy runner: closed bars in, target positions out, orders through risk and the OMS.

Strategies only ever see closed bars (the market stage publishes nothing else) and a read-only
context. Their targets become market orders for the difference between the target and the
position plus what is already working for that strategy, so a repeated target never doubles up.
"""

from __future__ import annotations

import asyncio
import logging
import math
import sysconfig
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path

from tpm.domain import ZERO, Bar, FillBooked, Instrument, OrderType, Score, Side, TimeInForce
from tpm.engine.bus import Bus
from tpm.engine.market import MarketData
from tpm.engine.oms import OrderManager, OrderRequest
from tpm.engine.portfolio import Portfolio
from tpm.errors import StrategyFailed
from tpm.strategies.base import Reactive, Strategy, TargetPosition

__all__ = ["EngineContext", "StrategyRunner"]

log = logging.getLogger("tpm.engine.runner")


class EngineContext:
    """The StrategyContext the runner hands to strategies."""

    def __init__(self, portfolio: Portfolio, market: MarketData) -> None:
        self._portfolio = portfolio
        self._market = market

    def equity(self) -> Decimal:
        return self._portfolio.equity

    def position(self, symbol: str) -> Decimal:
        return self._portfolio.qty(symbol)

    def entry_price(self, symbol: str) -> float:
        view = self._portfolio.view(symbol)
        return float(view.avg_price) if view.qty else math.nan

    def price(self, symbol: str) -> float:
        return self._market.last_price(symbol)

    def instrument(self, symbol: str) -> Instrument | None:
        s = self._market.state(symbol)
        return None if s is None else s.instrument


class StrategyRunner:
    """Runs strategies on closed bars and sends their wishes as orders."""

    def __init__(
        self,
        bus: Bus,
        oms: OrderManager,
        portfolio: Portfolio,
        market: MarketData,
        strategies: Iterable[Strategy] = (),
        *,
        can_trade: Callable[[], bool] = lambda: True,
        has_rate_room: Callable[[str], bool] = lambda strategy: True,
    ) -> None:
        self._oms = oms
        self._has_rate_room = has_rate_room
        self._portfolio = portfolio
        self.ctx = EngineContext(portfolio, market)
        self._market = market
        self.deferred: dict[tuple[str, str], tuple[Strategy, TargetPosition]] = {}
        self.strategies: list[Strategy] = list(strategies)
        self._can_trade = can_trade
        self._intents = _Inbox()
        self.is_running = True
        """Strategies see bars (their indicators stay current)."""
        self.is_trading = True
        """Their targets become orders; off while trading is halted."""
        self.defer_bars = False
        """Replays: strategies see a closed bar at the next `drain`, once the broker has
        booked what that bar filled (live, fills arrive long before a bar closes)."""
        self._bars: list[Bar] = []
        self.targets_seen = 0
        self.orders_sent = 0
        self.failures: list[str] = []
        """The first failures of strategies' code, as sentences (a trial shows them)."""
        self._removed: list[Strategy] = []
        self.on_order: Callable[[Strategy, TargetPosition, OrderRequest], None] | None = None
        """Told of each order a strategy's target becomes, before it is submitted (the
        strategies' last signals on the screens; a backtest's signal list)."""
        self._routes: dict[tuple[str, str], list[Strategy]] = {}
        self._reactive: dict[str, tuple[Strategy, Reactive]] = {}
        """The strategies that also hear scores and fills, by name (found once: a check
        against a runtime protocol costs microseconds on every bar and fill)."""
        self._reroute()
        bus.subscribe(Bar, self.on_bar)
        bus.subscribe(Score, self.on_score)
        bus.subscribe(FillBooked, self.on_fill)

    def _reroute(self) -> None:
        self._routes.clear()
        self._reactive.clear()
        for st in self.strategies:
            for sym in st.symbols:
                self._routes.setdefault((sym, st.timeframe.value), []).append(st)
            if isinstance(st, Reactive):
                self._reactive[st.name] = (st, st)

    def add(self, strategy: Strategy) -> None:
        if any(st.name == strategy.name for st in self.strategies):
            raise ValueError(f"a strategy named {strategy.name!r} is already running")
        self.strategies.append(strategy)
        self._reroute()

    def start(self, strategy: Strategy, history: dict[str, Sequence[Bar]]) -> None:
        """Warm `strategy` up on history, then run it and queue its start targets. Nothing is
        added when warming up fails (StrategyFailed says why)."""
        if any(st.name == strategy.name for st in self.strategies):
            raise ValueError(f"a strategy named {strategy.name!r} is already running")
        targets = self.warm_up_one(strategy, history)
        self.add(strategy)
        self._queue(strategy, targets)

    def remove(self, name: str) -> Strategy | None:
        """Stop showing bars to the strategy `name` and drop its queued and waiting targets."""
        gone = next((st for st in self.strategies if st.name == name), None)
        if gone is None:
            return None
        self.strategies.remove(gone)
        self._removed.append(gone)
        self._reroute()
        for key in [k for k in self.deferred if k[0] == name]:
            del self.deferred[key]
        self._bars = [b for b in self._bars if (b.symbol, b.timeframe.value) in self._routes]
        return gone

    def _was_removed(self, st: Strategy) -> bool:
        """Targets queued before a stop must not become orders after it."""
        return bool(self._removed) and any(st is gone for gone in self._removed)

    def warm_up_one(
        self, strategy: Strategy, history: dict[str, Sequence[Bar]]
    ) -> Sequence[TargetPosition]:
        """Feed history through `strategy` without trading; the targets it wants at the start.
        Raises StrategyFailed when its code does."""
        remember = strategy.remember if isinstance(strategy, Reactive) else None
        doing = "warming up"
        try:
            for sym in strategy.symbols:
                for bar in history.get(f"{sym}/{strategy.timeframe.value}", ()):
                    if remember is not None:
                        remember(bar)
                    strategy.on_bar(bar, self.ctx)
            doing = "on_start"
            return _targets(strategy.on_start(self.ctx))
        except Exception as exc:
            raise StrategyFailed(failure(strategy, doing, exc)) from exc

    def warm_up(self, history: dict[str, Sequence[Bar]]) -> None:
        """Feed history through the strategies without trading, then queue their start targets."""
        for st in self.strategies:
            self._queue(st, self.warm_up_one(st, history))

    def _hook(
        self, st: Strategy, doing: str, hook: Callable[..., object], *args: object
    ) -> Sequence[TargetPosition]:
        """Call one of a strategy's hooks: its targets, or none when its code raised (logged,
        and kept in `failures` for a trial to show)."""
        try:
            return _targets(hook(*args))
        except Exception as exc:
            said = failure(st, doing, exc)
            log.exception("strategy %s", said)
            if len(self.failures) < _KEEP_FAILURES:
                self.failures.append(said)
            return ()

    def _show(self, st: Strategy, bar: Bar) -> Sequence[TargetPosition]:
        found = self._reactive.get(st.name)
        if found is not None:
            found[1].remember(bar)
        return st.on_bar(bar, self.ctx)

    def want(self, strategy: Strategy, target: TargetPosition) -> None:
        """Queue `target` as `strategy`'s wish (a backtest decides outside the bar flow)."""
        self._intents.put_nowait((strategy, target))

    def on_bar(self, bar: Bar) -> None:
        routes = self._routes.get((bar.symbol, bar.timeframe.value))
        if not routes or not self.is_running:
            return
        if self.defer_bars:
            self._bars.append(bar)
            return
        self._decide(bar, routes)

    def _decide(self, bar: Bar, routes: list[Strategy]) -> None:
        for st in routes:
            self._queue(st, self._hook(st, f"on_bar ({bar.symbol})", self._show, st, bar))

    def _queue(self, st: Strategy, targets: Sequence[TargetPosition]) -> None:
        if self.is_trading:
            for target in targets:
                self._intents.put_nowait((st, target))

    def on_score(self, score: Score) -> None:
        if not self.is_running:
            return
        for st, hears in self._reactive.values():
            if score.symbol in st.symbols:
                doing = f"on_score ({score.symbol})"
                self._queue(st, self._hook(st, doing, hears.on_score, score, self.ctx))

    def on_fill(self, event: FillBooked) -> None:
        found = self._reactive.get(event.fill.strategy)
        if found is None or not self.is_running:
            return
        st, hears = found
        doing = f"on_fill ({event.fill.symbol})"
        self._queue(st, self._hook(st, doing, hears.on_fill, event.fill, self.ctx))

    async def run(self) -> None:
        """Turn queued targets into orders, one at a time, until cancelled."""
        while True:
            st, target = await self._intents.get()
            self.targets_seen += 1
            if not (self.is_running and self.is_trading) or self._was_removed(st):
                continue
            if not self._ready(st, target):
                continue
            try:
                await self._pursue(st, target)
            except Exception:
                log.exception("strategy %s: could not act on target %r", st.name, target)

    def _ready(self, st: Strategy, target: TargetPosition) -> bool:
        """A target waits (the latest per strategy and symbol) while its market has no live
        data: a market order needs a fresh price, and the engine refuses one without it."""
        state = self._market.state(target.symbol)
        has_data = self._can_trade() and state is not None and state.updated_ns
        # Pacing itself within the order-rate limits beats having the risk engine refuse
        # a burst (a strategy stating its view on many symbols at start, say).
        if has_data and self._has_rate_room(st.name):
            return True
        key = (st.name, target.symbol)
        if key not in self.deferred:
            why = "live market data" if not has_data else "room under the order-rate limits"
            log.info("%s: target %s %s waits for %s", st.name, target.symbol, target.qty, why)
        self.deferred[key] = (st, target)
        return False

    def retry_deferred(self) -> int:
        """Queue again the waiting targets whose market now has live data; returns how many."""
        if not self.deferred or not self._can_trade():
            return 0
        if not self.is_trading:
            self.deferred.clear()
            return 0
        ready = [
            key
            for key in self.deferred
            if (state := self._market.state(key[1])) is not None and state.updated_ns
        ]
        for key in ready:
            self._intents.put_nowait(self.deferred.pop(key))
        return len(ready)

    @property
    def has_pending(self) -> bool:
        return bool(self._bars) or not self._intents.empty()

    async def drain(self) -> None:
        """Show strategies the bars held back, then act on every queued target now (replays,
        backtests and tests step the runner this way)."""
        bars, self._bars = self._bars, []
        for bar in bars:
            routes = self._routes.get((bar.symbol, bar.timeframe.value))
            if routes and self.is_running:
                self._decide(bar, routes)
        self.retry_deferred()
        while not self._intents.empty():
            st, target = self._intents.get_nowait()
            self.targets_seen += 1
            if self._was_removed(st):
                continue
            if self.is_running and self.is_trading and self._ready(st, target):
                await self._pursue(st, target)

    def _working(self, st: Strategy, symbol: str) -> Decimal:
        total = ZERO
        for o in self._oms.open_orders(symbol):
            if o.strategy == st.name:
                total += o.leaves_qty * o.side.sign
        return total

    async def _pursue(self, st: Strategy, target: TargetPosition) -> None:
        current = self._portfolio.qty(target.symbol) + self._working(st, target.symbol)
        delta = target.qty - current
        if delta == 0 or not math.isfinite(self.ctx.price(target.symbol)):
            return
        side = Side.BUY if delta > 0 else Side.SELL
        req = OrderRequest(
            symbol=target.symbol,
            side=side,
            qty=abs(delta),
            type=OrderType.MARKET,
            tif=TimeInForce.DAY,
            strategy=st.name,
            source="strategy",
        )
        log.info(
            "%s wants %s %s (%s): %s %s",
            st.name,
            target.qty,
            target.symbol,
            target.reason,
            side,
            abs(delta),
        )
        if self.on_order is not None:
            self.on_order(st, target, req)
        await self._oms.submit(req)
        self.orders_sent += 1


_KEEP_FAILURES = 20


def _targets(said: object) -> Sequence[TargetPosition]:
    """A hook's answer as targets: nothing (None) is no targets; anything else is refused."""
    if said is None:
        return ()
    if isinstance(said, TargetPosition):
        return (said,)
    out = tuple(said) if isinstance(said, list | tuple) else None
    if out is None or not all(isinstance(t, TargetPosition) for t in out):
        raise TypeError(
            f"returned {type(said).__name__}: return TargetPosition values "
            "(self.target(symbol, qty, reason)), a list of them, or nothing"
        )
    return out


def failure(st: Strategy, doing: str, exc: BaseException) -> str:
    """ "NAME: on_bar (NVDA): line 12 of breakout.py: ZeroDivisionError: division by zero"."""
    theirs = [f for f in traceback.extract_tb(exc.__traceback__) if _is_theirs(f.filename)]
    where = f"line {theirs[-1].lineno} of {Path(theirs[-1].filename).name}: " if theirs else ""
    return f"{st.name}: {doing}: {where}{type(exc).__name__}: {exc}"


_OURS = (
    str(Path(__file__).resolve().parents[1]),
    sysconfig.get_paths()["stdlib"],
    sysconfig.get_paths()["purelib"],
    sysconfig.get_paths()["platlib"],
)


def _is_theirs(filename: str) -> bool:
    """A frame of the trader's own code (not tpm's, the standard library's or a package's)."""
    return filename.endswith(".py") and not filename.startswith(_OURS)


class _Inbox:
    """The targets waiting to become orders: a deque with a wake-up for `run`. (An
    asyncio.Queue's bookkeeping cost more than the rest of a target's way in a backtest.)"""

    def __init__(self) -> None:
        self._items: deque[tuple[Strategy, TargetPosition]] = deque()
        self._arrived = asyncio.Event()

    def put_nowait(self, item: tuple[Strategy, TargetPosition]) -> None:
        self._items.append(item)
        self._arrived.set()

    def empty(self) -> bool:
        return not self._items

    def get_nowait(self) -> tuple[Strategy, TargetPosition]:
        return self._items.popleft()

    async def get(self) -> tuple[Strategy, TargetPosition]:
        while not self._items:
            self._arrived.clear()
            await self._arrived.wait()
        return self._items.popleft()
