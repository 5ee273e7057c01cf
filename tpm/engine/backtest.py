"""Backtests: a strategy file over history, through the live engine's own parts.

The runner, the risk engine, the OMS, the portfolio and the broker (a simulated one, such as
the paper broker) are the ones live trading uses; only the clock (the bars' own times), the
feed (bars in memory) and the order store (memory) differ. What is fast is the order of work:
the strategy's expressions are evaluated over each symbol's whole history at once (indicators
are causal, so this looks no further ahead than a bar-by-bar loop), and the engine's parts run
only on the bars where the strategy could act or an order is working. `decide`, the function
live trading calls on every bar, decides on those bars; on the others it would decide nothing.

Fill model: a signal at a bar's close is a market order, filled by the broker within the next
bar (the paper broker: at its open, with slippage, up to its share of the bar's volume).
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from tpm.config.risk import RiskConfig
from tpm.domain import Bar, Fill, Instrument, OrderStatus, Timeframe
from tpm.engine.bus import Bus
from tpm.engine.clock import ManualClock
from tpm.engine.market import MarketData
from tpm.engine.memory_orders import MemoryOrders
from tpm.engine.oms import OrderManager
from tpm.engine.portfolio import Portfolio
from tpm.engine.protocols import Broker, BrokerMessage, MarketConsumer
from tpm.engine.risk import RiskEngine
from tpm.engine.runner import StrategyRunner
from tpm.strategies.base import Strategy, TargetPosition
from tpm.strategies.decide import Holding, decide, next_decision, whole_lots
from tpm.strategies.pillars import history_pillars, pillars_read
from tpm.strategies.rule_strategy import RuleStrategy
from tpm.strategies.rules import FUNCTIONS, Evaluation, truth
from tpm.strategies.spec import StrategySpec

__all__ = ["BacktestResult", "SimulatedBroker", "SymbolBars", "run_backtest"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class SimulatedBroker(Broker, MarketConsumer, Protocol):
    """A broker that fills against the bars it is shown, synchronously: what it has to say
    is waiting as soon as a call returns."""

    def take_messages(self) -> list[BrokerMessage]:
        """The messages emitted and not yet taken, oldest first, without waiting."""
        ...


@dataclass(frozen=True, slots=True)
class SymbolBars:
    """One symbol's closed bars as columns, oldest first (`ts_ns`: each bar's start)."""

    instrument: Instrument
    timeframe: Timeframe
    ts_ns: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    def __len__(self) -> int:
        return len(self.ts_ns)

    @classmethod
    def of(cls, instrument: Instrument, timeframe: Timeframe, bars: Sequence[Bar]) -> SymbolBars:
        """Columns of `bars` (closed, oldest first)."""

        def col(field: str) -> FloatArray:
            return np.fromiter((getattr(b, field) for b in bars), np.float64, len(bars))

        starts = np.fromiter((b.start_ns for b in bars), np.int64, len(bars))
        return cls(
            instrument,
            timeframe,
            starts,
            col("open"),
            col("high"),
            col("low"),
            col("close"),
            col("volume"),
        )

    def bar(self, i: int) -> Bar:
        return Bar(
            self.instrument.symbol,
            self.timeframe,
            int(self.ts_ns[i]),
            float(self.open[i]),
            float(self.high[i]),
            float(self.low[i]),
            float(self.close[i]),
            float(self.volume[i]),
        )


@dataclass(slots=True)
class BacktestResult:
    fills: list[Fill]
    rejections: list[str]
    """Each refused order's reason, as the risk engine or the broker gave it."""
    equity_ts_ns: IntArray
    """The end of every bar of the union of the symbols' timelines."""
    equity: FloatArray
    initial_cash: Decimal
    final_equity: Decimal
    bars_processed: int
    decisions: int
    """Bars on which the engine's parts ran (the rest were settled by the vectorised pass)."""
    elapsed_s: float = 0.0
    orders: int = 0
    signals: list[tuple[str, int, str]] = field(default_factory=list)
    """(symbol, bar start, reason) of each order the strategy asked for."""
    failures: list[str] = field(default_factory=list)
    """The first times the strategy's own code raised (it decided nothing on those bars)."""

    def __repr__(self) -> str:
        # Short: on its way out asyncio.run formats its SIGINT handler, which holds the main
        # task and so this result; field by field, a long backtest's repr costs 15 ms.
        return (
            f"BacktestResult({len(self.fills)} fills, {self.orders} orders, "
            f"{len(self.rejections)} refused, {self.bars_processed} bars, "
            f"final equity {self.final_equity})"
        )


@dataclass(slots=True)
class _Symbol:
    data: SymbolBars
    entry: Evaluation
    exit: Evaluation | None
    entries: npt.NDArray[np.intp] | None
    exits: npt.NDArray[np.intp] | None
    atr: FloatArray | None
    end_ns: IntArray
    holding: Holding = field(default_factory=Holding)
    cursor: int = 0


@dataclass(slots=True)
class _Rig:
    """The live engine's parts on a historical clock."""

    clock: ManualClock
    market: MarketData
    portfolio: Portfolio
    oms: OrderManager
    runner: StrategyRunner
    store: MemoryOrders
    broker: SimulatedBroker

    async def settle(self) -> None:
        """Book everything the broker has said (fills before the strategy sees the close)."""
        while messages := self.broker.take_messages():
            for msg in messages:
                await self.oms.on_broker_message(msg)


def _rig(
    data: Sequence[SymbolBars],
    timeframe: Timeframe,
    broker: SimulatedBroker,
    cash: Decimal,
    risk: RiskConfig | None,
) -> _Rig:
    clock = ManualClock()
    bus = Bus()
    # History was validated when it was read; skipped bars must not look like price jumps.
    market = MarketData(
        bus, [d.instrument for d in data], timeframes=(timeframe,), max_jump_pct=1e12
    )
    portfolio = Portfolio(cash)
    risk_engine = RiskEngine(risk or RiskConfig(), market, portfolio, clock.now_ns)
    store = MemoryOrders()
    oms = OrderManager(bus, store, broker, risk_engine, portfolio, clock.now_ns)
    oms.answers_at_once = True
    runner = StrategyRunner(
        bus, oms, portfolio, market, (), has_rate_room=risk_engine.has_rate_room
    )
    bus.subscribe(Bar, lambda b: portfolio.mark(b.symbol, b.close))
    bus.subscribe(Bar, broker.on_market)
    return _Rig(clock, market, portfolio, oms, runner, store, broker)


def _checked(
    name: str, symbols: Sequence[str], timeframe: Timeframe, data: Sequence[SymbolBars]
) -> list[SymbolBars]:
    wanted = set(symbols)
    missing = wanted - {d.instrument.symbol for d in data}
    if missing:
        raise ValueError(f"no bars for {', '.join(sorted(missing))}, which {name} trades")
    data = [d for d in data if d.instrument.symbol in wanted]
    for d in data:
        if d.timeframe is not timeframe:
            raise ValueError(
                f"{name} decides on {timeframe.value} bars; "
                f"the bars of {d.instrument.symbol} are {d.timeframe.value}"
            )
    return data


async def run_backtest(
    strategy: StrategySpec | Strategy,
    data: Sequence[SymbolBars],
    broker: SimulatedBroker,
    *,
    cash: Decimal = Decimal(100_000),
    risk: RiskConfig | None = None,
    trade_from_ns: int = 0,
) -> BacktestResult:
    """Run `strategy` over `data` (one entry per symbol it trades) on `broker`. Bars that
    start before `trade_from_ns` are history only: indicators see them, the strategy does not
    trade on them, and the result (equity, bars processed) begins after them.

    A strategy file (its spec) runs on the fast path described above; any other strategy
    (a Python one) is shown every bar in turn, as a replay through the live engine would."""
    started = time.perf_counter()
    if isinstance(strategy, StrategySpec):
        timeframe = Timeframe(strategy.strategy.timeframe)
        data = _checked(strategy.name, strategy.strategy.symbols, timeframe, data)
    else:
        timeframe = strategy.timeframe
        data = _checked(strategy.name, strategy.symbols, timeframe, data)
    rig = _rig(data, timeframe, broker, cash, risk)
    cursors = [int(np.searchsorted(d.ts_ns, trade_from_ns)) for d in data]
    processed = sum(len(d) - c for d, c in zip(data, cursors, strict=True))
    result = BacktestResult([], [], np.empty(0, np.int64), np.empty(0), cash, cash, processed, 0)
    await broker.connect()
    try:
        if isinstance(strategy, StrategySpec):
            await _run_rules(strategy, rig, data, cursors, result)
        else:
            await _run_bars(strategy, rig, data, cursors, result)
        for d in data:
            if len(d):
                rig.portfolio.mark(d.instrument.symbol, float(d.close[-1]))
    finally:
        await broker.close()
    result.failures = list(rig.runner.failures)
    result.fills = list(rig.store.fills)
    result.orders = len(rig.store.orders)
    result.rejections = [
        o.reason for o in rig.store.orders.values() if o.status is OrderStatus.REJECTED
    ]
    result.final_equity = rig.portfolio.equity
    times, equity = _equity_curve(data, result.fills, cash)
    traded = times > trade_from_ns  # bars that end after trading began
    result.equity_ts_ns, result.equity = times[traded], equity[traded]
    result.elapsed_s = time.perf_counter() - started
    return result


async def _run_bars(
    strategy: Strategy,
    rig: _Rig,
    data: Sequence[SymbolBars],
    cursors: Sequence[int],
    result: BacktestResult,
) -> None:
    """Every bar through the market stage, the broker and the runner, in time order."""
    runner, clock = rig.runner, rig.clock
    tf = strategy.timeframe.value
    history: dict[str, Sequence[Bar]] = {
        f"{d.instrument.symbol}/{tf}": [d.bar(i) for i in range(c)]
        for d, c in zip(data, cursors, strict=True)
    }
    runner.start(strategy, history)
    runner.defer_bars = True
    runner.on_order = lambda st, target, req: result.signals.append(
        (target.symbol, clock.now_ns() - strategy.timeframe.ns, target.reason)
    )
    ends = [d.ts_ns[c:] + d.timeframe.ns for d, c in zip(data, cursors, strict=True)]
    which = np.concatenate([np.full(len(e), k) for k, e in enumerate(ends)])
    index = np.concatenate([np.arange(c, len(d)) for d, c in zip(data, cursors, strict=True)])
    order = np.lexsort((which, np.concatenate(ends)))
    for n in order:
        d, i = data[int(which[n])], int(index[n])
        clock.advance_to(int(d.ts_ns[i]))
        rig.market.on_bar(d.bar(i))
        await rig.settle()
        clock.advance_to(int(d.ts_ns[i]) + d.timeframe.ns)
        result.decisions += 1
        while runner.has_pending:
            await runner.drain()
            await rig.settle()


async def _run_rules(
    spec: StrategySpec,
    rig: _Rig,
    data: Sequence[SymbolBars],
    cursors: Sequence[int],
    result: BacktestResult,
) -> None:
    """The fast path: the engine's parts run only where the strategy could act."""
    portfolio, clock, runner = rig.portfolio, rig.clock, rig.runner
    strategy = RuleStrategy(spec)
    sizes_fixed = spec.size.qty is not None
    symbols = [_prepare(spec, d) for d in data]
    for s, c in zip(symbols, cursors, strict=True):
        s.cursor = c
    heap: list[tuple[int, int, int]] = []
    for k, s in enumerate(symbols):
        _push(heap, spec, k, s, s.cursor, 0.0, math.nan)
    while heap:
        _, k, i = heapq.heappop(heap)
        s = symbols[k]
        sym = s.data.instrument.symbol
        position = float(portfolio.qty(sym))
        s.holding.skip(s.data.close[s.cursor : i], position)
        clock.advance_to(int(s.data.ts_ns[i]))
        rig.market.on_bar(s.data.bar(i))
        await rig.settle()
        clock.advance_to(int(s.end_ns[i]))
        _mark_others(portfolio, symbols, k, int(s.end_ns[i]))
        held = portfolio.positions.get(sym)
        position = float(held.qty) if held is not None else 0.0
        entry_price = float(held.avg_price) if held is not None and held.qty else math.nan
        result.decisions += 1
        signal = decide(
            spec,
            i,
            s.entry,
            s.exit,
            close=float(s.data.close[i]),
            atr=math.nan if s.atr is None else float(s.atr[i]),
            position=position,
            entry_price=entry_price,
            # Valuing the account is the dearest part of a decision; a fixed size needs none.
            equity=math.nan if sizes_fixed else float(portfolio.equity),
            holding=s.holding,
        )
        if signal is not None:
            held_qty = held.qty if held is not None else Decimal(0)
            target = whole_lots(signal.target, held_qty, s.data.instrument.lot_size)
            if target is not None:
                result.signals.append((sym, int(s.data.ts_ns[i]), signal.reason))
                runner.want(strategy, TargetPosition(sym, target, signal.reason))
                await runner.drain()
                await rig.settle()
        s.cursor = i + 1
        if rig.oms.open_orders(sym):
            if i + 1 < len(s.data):
                heapq.heappush(heap, (int(s.data.ts_ns[i + 1]), k, i + 1))
        else:
            _push(heap, spec, k, s, i + 1, float(portfolio.qty(sym)), entry_price)


def _prepare(spec: StrategySpec, d: SymbolBars) -> _Symbol:
    cols = {
        "open": d.open,
        "high": d.high,
        "low": d.low,
        "close": d.close,
        "volume": d.volume,
    }
    entry_tree, exit_tree = spec.trees()
    if pillars_read(entry_tree, exit_tree):
        cols.update(history_pillars(cols))
    entry = Evaluation(entry_tree, cols)
    exit_ = None if exit_tree is None else Evaluation(exit_tree, cols)
    atr = FUNCTIONS["atr"].run(cols, spec.size.atr_period) if spec.size.atr_stop else None
    return _Symbol(
        data=d,
        entry=entry,
        exit=exit_,
        entries=None if entry.stateful else np.flatnonzero(truth(entry.series())),
        exits=None if exit_ is None or exit_.stateful else np.flatnonzero(truth(exit_.series())),
        atr=atr,
        end_ns=d.ts_ns + d.timeframe.ns,
    )


def _push(
    heap: list[tuple[int, int, int]],
    spec: StrategySpec,
    k: int,
    s: _Symbol,
    start: int,
    position: float,
    entry_price: float,
) -> None:
    i = next_decision(
        spec,
        start,
        entries=s.entries,
        exits=s.exits,
        closes=s.data.close,
        position=position,
        entry_price=entry_price,
        holding=s.holding,
    )
    if i < len(s.data):
        heapq.heappush(heap, (int(s.data.ts_ns[i]), k, i))


def _mark_others(portfolio: Portfolio, symbols: list[_Symbol], k: int, now_ns: int) -> None:
    """Every other symbol at its latest close seen by `now_ns`, so equity (and sizing) is as a
    replay has it: bars closing at the same instant arrive in the order of the symbols."""
    if len(symbols) == 1:
        return
    for j, s in enumerate(symbols):
        if j == k:
            continue
        side: Literal["left", "right"] = "right" if j < k else "left"
        at = int(np.searchsorted(s.end_ns, now_ns, side=side)) - 1
        if at >= 0:
            portfolio.mark(s.data.instrument.symbol, float(s.data.close[at]))


def _equity_curve(
    data: Sequence[SymbolBars], fills: list[Fill], cash: Decimal
) -> tuple[IntArray, FloatArray]:
    """Equity at the end of every bar: cash and positions change only at fills, so the curve
    is built from the fills and the closes without a pass over the bars in Python."""
    ends = [d.ts_ns + d.timeframe.ns for d in data] or [np.empty(0, np.int64)]
    # One symbol's bar ends are already ascending and distinct (the reader checks): no sort.
    times: IntArray = (
        ends[0].astype(np.int64) if len(ends) == 1 else np.unique(np.concatenate(ends))
    )
    fill_ts = np.array([f.ts_ns for f in fills], dtype=np.int64)
    # A fill inside a bar (at its open) is in that bar's closing equity.
    at = np.searchsorted(times, fill_ts, side="left")
    deltas = np.zeros(len(times) + 1)
    np.add.at(deltas, at, [float(f.cash_delta) for f in fills])
    equity: FloatArray = float(cash) + np.cumsum(deltas[:-1])
    for d, end_ns in zip(data, ends, strict=False):
        sym = d.instrument.symbol
        mine = [n for n, f in enumerate(fills) if f.symbol == sym]
        if not mine:
            continue
        steps = np.zeros(len(times) + 1)
        np.add.at(steps, at[mine], [float(fills[n].signed_qty) for n in mine])
        qty = np.cumsum(steps[:-1])
        last = np.searchsorted(end_ns, times, side="right") - 1
        close = np.where(last >= 0, d.close[np.maximum(last, 0)], 0.0)
        equity += qty * close
    return times, equity
