"""The embedded simulated market: a seeded, never-closing exchange of invented symbols.

`SimulatedMarket` is a `MarketFeed`: warm daily and minute history, then live quotes and trades
that continue the same price paths. In realtime mode ticks follow the wall clock; otherwise they
come as fast as the consumer takes them, with simulated time stamps, for tests and benchmarks.
`fundamentals_source()` and `news_source()` give the matching reference data.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence

import numpy as np
from numpy.typing import NDArray

from tpm.adapters.feeds.sim_fundamentals import SimulatedFundamentals
from tpm.adapters.feeds.sim_history import History, Ohlcv, build_history
from tpm.adapters.feeds.sim_model import (
    Jump,
    LiveState,
    ModelParams,
    TickBlock,
    log_increments,
    regime_path,
    tick_block,
    transition_probs,
)
from tpm.adapters.feeds.sim_news import SimulatedNews
from tpm.adapters.feeds.sim_universe import (
    BENCHMARK_SYMBOL,
    DEFAULT_EPOCH_NS,
    UNIVERSE,
    SymbolSpec,
)
from tpm.domain import Bar, Instrument, Quote, Timeframe, Trade

__all__ = ["DEFAULT_EPOCH_NS", "SimulatedMarket"]

NS_PER_S = 1_000_000_000
NS_PER_DAY = 86_400 * NS_PER_S
_STREAM_LIVE = 4
_BLOCK_VALUES = 16_384  # random draws per array per block: cheap to make, small to hold
_BATCH_EVENTS = 1_000
_REALTIME_POLL_S = 0.075
_MAX_LAG_S = 5.0  # further behind than this (a suspended laptop), skip ahead instead of replaying
_MINUTE_FACTORS = {Timeframe.M5: 5, Timeframe.M15: 15, Timeframe.H1: 60}

Tick = Quote | Trade


class SimulatedMarket:
    """A deterministic simulated market: correlated paths, regimes, jumps, bid/ask and prints.

    Args:
        seed: fixes every price, size and headline.
        symbols: use the first N symbols of the universe (None: all of them).
        tick_hz: quotes per second per symbol; about half the quotes come with a trade.
        realtime: pace ticks to the wall clock; if False, produce them as fast as consumed.
        start_ns: the sim clock at the first live tick (default: now to the second in realtime
            mode, `DEFAULT_EPOCH_NS` otherwise, so fast runs repeat exactly).
        history_days: daily bars of warm history.
        history_minutes: one-minute bars of warm history (5m, 15m and 1h bars derive from them).
    """

    name = "sim"

    def __init__(
        self,
        *,
        seed: int = 42,
        symbols: int | None = None,
        tick_hz: float = 4.0,
        realtime: bool = True,
        start_ns: int | None = None,
        history_days: int = 500,
        history_minutes: int = 1440,
    ) -> None:
        if seed < 0:
            raise ValueError(f"seed = {seed} must not be negative.")
        if symbols is not None and not 1 <= symbols <= len(UNIVERSE):
            raise ValueError(f"symbols = {symbols} must be between 1 and {len(UNIVERSE)}.")
        if not 0 < tick_hz <= 1_000:
            raise ValueError(f"tick_hz = {tick_hz} must be above 0 and at most 1000.")
        if history_days < 1 or history_minutes < 0:
            raise ValueError("history_days must be at least 1 and history_minutes at least 0.")
        if start_ns is None:
            now = time.time_ns()
            start_ns = now - now % NS_PER_S if realtime else DEFAULT_EPOCH_NS
        self.seed = seed
        self.realtime = realtime
        self.tick_hz = tick_hz
        self.start_ns = start_ns
        self.history_days = history_days
        self.history_minutes = history_minutes
        self._specs: tuple[SymbolSpec, ...] = UNIVERSE[: symbols or len(UNIVERSE)]
        self._index = {s.symbol: i for i, s in enumerate(self._specs)}
        self._params = ModelParams.build(self._specs, tick_hz)
        self._dt_ns = max(round(NS_PER_S / tick_hz), 1)
        # Symbols tick in turn across each step, so their quotes interleave like a real tape.
        self._phase_ns = (
            np.arange(len(self._specs), dtype=np.int64) * self._dt_ns // len(self._specs)
        )
        self._history: History | None = None
        self._bars: dict[tuple[str, Timeframe], list[Bar]] = {}
        self._live: LiveState | None = None
        self._block: TickBlock | None = None
        self._block_first = 0  # live step number of the block's first row
        self._block_steps = max(_BLOCK_VALUES // len(self._specs), 16)
        self._next_step = 0
        self._next_col = 0  # realtime only: symbols of `_next_step` already sent
        self._live_jumps: list[Jump] = []
        self._subscribed = np.zeros(len(self._specs), dtype=np.bool_)
        self._closed = asyncio.Event()

    # -- reference -------------------------------------------------------------------------

    def instruments(self) -> Sequence[Instrument]:
        return [s.instrument for s in self._specs]

    @property
    def specs(self) -> tuple[SymbolSpec, ...]:
        """The simulation parameters of every symbol (drift, volatility, beta, size)."""
        return self._specs

    @property
    def benchmark(self) -> str | None:
        """The broad index fund's symbol, if this market includes it."""
        return BENCHMARK_SYMBOL if BENCHMARK_SYMBOL in self._index else None

    @property
    def jumps(self) -> tuple[Jump, ...]:
        """Every price jump streamed so far (and in history), oldest first."""
        # Blocks are drawn ahead of the stream; a jump not yet streamed has not happened.
        now = self._step_ts(self._next_step)
        return self._ensure_history().jumps + tuple(j for j in self._live_jumps if j.ts_ns < now)

    def fundamentals_source(self) -> SimulatedFundamentals:
        return SimulatedFundamentals(seed=self.seed, specs=self._specs, as_of_ns=self.start_ns)

    def news_source(
        self, mean_interval_s: float = 15.0, history_hours: float = 48.0
    ) -> SimulatedNews:
        return SimulatedNews(self, mean_interval_s=mean_interval_s, history_hours=history_hours)

    # -- MarketFeed --------------------------------------------------------------------------

    async def connect(self) -> None:
        self._closed.clear()
        self._ensure_live()

    async def subscribe(self, symbols: Sequence[str]) -> None:
        """Add these symbols to the stream; unknown symbols are ignored (this market lacks them)."""
        for symbol in symbols:
            i = self._index.get(symbol)
            if i is not None:
                self._subscribed[i] = True

    async def close(self) -> None:
        self._closed.set()

    async def history(self, symbol: str, timeframe: Timeframe, limit: int) -> list[Bar]:
        """Up to `limit` closed bars before the sim start, oldest first."""
        if symbol not in self._index or limit <= 0:
            return []
        key = (symbol, timeframe)
        bars = self._bars.get(key)
        if bars is None:
            bars = self._bars[key] = self._make_bars(symbol, timeframe)
        if timeframe is Timeframe.M1:
            limit = min(limit, self.history_minutes)
        return bars[-limit:] if limit else []

    async def stream(self) -> AsyncIterator[list[Tick]]:
        """Batches of quotes and trades in time order for the subscribed symbols, until closed."""
        self._ensure_live()
        while not self._closed.is_set():
            if self.realtime:
                batch = self._due_events(time.time_ns())
                if batch:
                    yield batch
                await self._wait(_REALTIME_POLL_S)
            elif (cols := np.flatnonzero(self._subscribed)).size:
                per_step = len(cols) * 3 // 2
                yield self._events(self._next_step + max(_BATCH_EVENTS // per_step, 1), cols)
                await asyncio.sleep(0)  # let close() and other tasks in between batches
            else:
                # Simulated time needs no passing while nobody listens.
                await self._wait(_REALTIME_POLL_S)

    # -- internals ---------------------------------------------------------------------------

    def _ensure_history(self) -> History:
        if self._history is None:
            prices = np.array([s.price for s in self._specs])
            self._history = build_history(
                self._params,
                prices,
                self.seed,
                self.start_ns,
                self.history_days,
                self.history_minutes,
            )
        return self._history

    def _ensure_live(self) -> LiveState:
        if self._live is None:
            h = self._ensure_history()
            rng = np.random.default_rng((self.seed, _STREAM_LIVE))
            self._live = LiveState(h.end_x.copy(), h.end_turbulent, rng)
        return self._live

    def _make_bars(self, symbol: str, timeframe: Timeframe) -> list[Bar]:
        h = self._ensure_history()
        if timeframe is Timeframe.D1:
            data = h.daily
        elif timeframe is Timeframe.M1:
            data = h.minute
        else:
            data = h.minute.aggregate(_MINUTE_FACTORS[timeframe])
        return _to_bars(data, self._index[symbol], symbol, timeframe)

    async def _wait(self, timeout_s: float) -> None:
        """Sleep up to `timeout_s`, waking early if the market is closed."""
        try:
            async with asyncio.timeout(timeout_s):
                await self._closed.wait()
        except TimeoutError:
            pass

    def _step_ts(self, step: int) -> int:
        return self.start_ns + step * self._dt_ns

    def _due_events(self, now_ns: int) -> list[Tick]:
        """Every tick stamped at or before `now_ns` not yet sent, skipping ahead after a stall."""
        elapsed = now_ns - self.start_ns
        if elapsed < 0:
            return []
        step, into_step = divmod(elapsed, self._dt_ns)
        if (now_ns - self._step_ts(self._next_step)) / NS_PER_S > _MAX_LAG_S:
            self._skip_to(step)
        cols = np.flatnonzero(self._subscribed)
        out: list[Tick] = []
        # Symbols tick in phase order within a step, so a step can be part sent.
        n_due = int(np.searchsorted(self._phase_ns, into_step, side="right"))
        if self._next_col:
            stop = n_due if step == self._next_step else len(self._specs)
            self._append_row(out, cols[(cols >= self._next_col) & (cols < stop)])
            if step == self._next_step:
                self._next_col = max(self._next_col, n_due)
                return out
            self._next_step, self._next_col = self._next_step + 1, 0
        out += self._events(step, cols)
        if n_due:
            self._append_row(out, cols[cols < n_due])
            self._next_col = n_due
        return out

    def _append_row(self, out: list[Tick], cols: NDArray[np.intp]) -> None:
        """Append the ticks of some symbols in step `_next_step`, leaving the position alone."""
        if self._block is None or self._next_step >= self._block_first + self._block_steps:
            self._next_block()
        block = self._block
        if block is not None and len(cols):
            row = self._next_step - self._block_first
            ts = self._step_ts(self._next_step)
            symbols = self._params.symbols
            _append_events(out, block, row, row + 1, cols, ts, self._dt_ns, self._phase_ns, symbols)

    def _skip_to(self, step: int) -> None:
        """Jump the live path to `step` in one coarse move, as a feed reconnecting would see it."""
        state = self._ensure_live()
        if self._next_col:  # drop the rest of a part-sent step
            self._next_step, self._next_col = self._next_step + 1, 0
        if self._block is not None and self._next_step > self._block_first:
            row = min(self._next_step - self._block_first, self._block_steps) - 1
            state.x = self._block.x[row].copy()
            state.turbulent = bool(self._block.turbulent[row])
        gap_days = (step - self._next_step) * self._dt_ns / NS_PER_DAY
        if gap_days > 0:
            turbulent = regime_path(
                state.rng.random(1), state.turbulent, *transition_probs(gap_days)
            )
            state.x = state.x + log_increments(state.rng, self._params, turbulent, gap_days)[0]
            state.turbulent = bool(turbulent[0])
        self._block = None
        self._block_first = self._next_step = max(step, self._next_step)

    def _next_block(self) -> TickBlock:
        state = self._ensure_live()
        block = tick_block(self._params, state, self._block_steps, self._dt_ns / NS_PER_DAY)
        self._block, self._block_first = block, self._next_step
        first_ts = self._step_ts(self._block_first)
        self._live_jumps += [
            Jump(self._params.symbols[c], first_ts + r * self._dt_ns + int(self._phase_ns[c]), s)
            for r, c, s in zip(
                block.jumps.rows.tolist(),
                block.jumps.cols.tolist(),
                block.jumps.sizes.tolist(),
                strict=True,
            )
        ]
        return block

    def _events(self, until_step: int, cols: NDArray[np.intp]) -> list[Tick]:
        """Quotes and trades of steps from the next one up to (not including) `until_step`."""
        out: list[Tick] = []
        while self._next_step < until_step:
            block = self._block
            end = self._block_first + self._block_steps
            if block is None or self._next_step >= end:
                block = self._next_block()
                end = self._block_first + self._block_steps
            stop = min(until_step, end)
            if len(cols):
                a, b = self._next_step - self._block_first, stop - self._block_first
                _append_events(
                    out,
                    block,
                    a,
                    b,
                    cols,
                    self._step_ts(self._next_step),
                    self._dt_ns,
                    self._phase_ns,
                    self._params.symbols,
                )
            self._next_step = stop
        return out


def _append_events(
    out: list[Tick],
    block: TickBlock,
    a: int,
    b: int,
    cols: NDArray[np.intp],
    first_ts: int,
    dt_ns: int,
    phase_ns: NDArray[np.int64],
    symbols: tuple[str, ...],
) -> None:
    """Build Quote and Trade objects for rows a..b of `block` and columns `cols`: the hot loop."""
    ts = (first_ts + np.arange(b - a, dtype=np.int64)[:, None] * dt_ns) + phase_ns[cols]
    names = [symbols[c] for c in cols.tolist()] * (b - a)
    rows = zip(
        names,
        ts.ravel().tolist(),
        block.bid[a:b, cols].ravel().tolist(),
        block.ask[a:b, cols].ravel().tolist(),
        block.bid_size[a:b, cols].ravel().tolist(),
        block.ask_size[a:b, cols].ravel().tolist(),
        block.has_trade[a:b, cols].ravel().tolist(),
        block.trade_price[a:b, cols].ravel().tolist(),
        block.trade_size[a:b, cols].ravel().tolist(),
        strict=True,
    )
    append = out.append
    for sym, t, bid, ask, bid_size, ask_size, traded, price, size in rows:
        append(Quote(sym, t, bid, ask, bid_size, ask_size))
        if traded:
            append(Trade(sym, t, price, size))


def _to_bars(data: Ohlcv, col: int, symbol: str, timeframe: Timeframe) -> list[Bar]:
    starts = range(data.start_ns, data.start_ns + len(data) * data.step_ns, data.step_ns)
    columns = (data.open, data.high, data.low, data.close, data.volume)
    values = [a[:, col].tolist() for a in columns]
    return [
        Bar(symbol, timeframe, t, o, h, lo, c, v, True)
        for t, o, h, lo, c, v in zip(starts, *values, strict=True)
    ]
