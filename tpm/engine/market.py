"""The market stage: validate every message, keep the latest quote and trade, aggregate bars.

Bad messages are dropped and counted by reason, with a warning (the first of each kind per
symbol, then every 1,000th), and the engine keeps running. Good ones are published on the bus;
bars are published when they close.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from tpm.domain import Bar, Instrument, Quote, Timeframe, Trade
from tpm.domain.sessions import SessionCalendar
from tpm.engine.bus import Bus

__all__ = ["DropReason", "MarketData", "SymbolState"]

log = logging.getLogger("tpm.engine.market")


class DropReason:
    UNKNOWN_SYMBOL = "unknown_symbol"
    NOT_FINITE = "not_finite"
    NON_POSITIVE = "non_positive_price"
    BAD_SIZE = "bad_size"
    CROSSED = "crossed_book"
    BACKWARDS = "timestamp_backwards"
    FUTURE = "timestamp_in_future"
    JUMP = "absurd_jump"
    BAD_BAR = "inconsistent_bar"
    LATE = "late_for_closed_bar"


# A new price level far from the last good price is accepted only after this many
# consecutive messages agree on it: one bad print is dropped, a real gap is not ignored forever.
_CONFIRM_LEVEL = 3


@dataclass(slots=True)
class _Forming:
    timeframe: Timeframe
    start_ns: int
    end_ns: int
    open: float
    high: float
    low: float
    close: float
    volume: float


@dataclass(slots=True)
class SymbolState:
    """What the engine knows of one symbol's market right now."""

    instrument: Instrument
    quote: Quote | None = None
    last_trade: Trade | None = None
    last_price: float = math.nan
    last_ts_ns: int = 0
    updated_ns: int = 0
    """When the latest accepted message was true: a tick's time, a bar's close."""
    has_trades: bool = False
    pending_level: float = math.nan
    pending_count: int = 0
    forming: dict[Timeframe, _Forming] = field(default_factory=dict)
    closed_end: dict[Timeframe, int] = field(default_factory=dict)


class MarketData:
    """Validates, tracks and aggregates market data for a known universe of instruments."""

    def __init__(
        self,
        bus: Bus,
        instruments: Iterable[Instrument],
        *,
        timeframes: Sequence[Timeframe] = tuple(Timeframe),
        max_jump_pct: float = 25.0,
        max_future_ns: int = 5_000_000_000,
        now_ns: Callable[[], int] | None = None,
    ) -> None:
        self._bus = bus
        self._publish = bus.publish
        self.symbols: dict[str, SymbolState] = {i.symbol: SymbolState(i) for i in instruments}
        self._timeframes = tuple(sorted(set(timeframes), key=lambda t: t.seconds))
        if not self._timeframes:
            raise ValueError("at least one bar timeframe is needed")
        self._base = self._timeframes[0]
        self._larger = self._timeframes[1:]
        self._max_jump = max_jump_pct / 100.0
        self._max_future_ns = max_future_ns
        self._now_ns = now_ns
        self._calendars: dict[str, SessionCalendar] = {}
        self.dropped: Counter[str] = Counter()
        self.accepted = 0
        self.last_message_ns = 0

    # -- queries -------------------------------------------------------------------------------

    def state(self, symbol: str) -> SymbolState | None:
        return self.symbols.get(symbol)

    def last_price(self, symbol: str) -> float:
        s = self.symbols.get(symbol)
        return math.nan if s is None else s.last_price

    def forming_bar(self, symbol: str, timeframe: Timeframe) -> Bar | None:
        """The bar still forming (is_closed=False), for display only: strategies never see it."""
        s = self.symbols.get(symbol)
        if s is None:
            return None
        f = s.forming.get(timeframe)
        base = s.forming.get(self._base) if timeframe is not self._base else None
        if base is not None and f is not None and not f.start_ns <= base.start_ns < f.end_ns:
            base = None
        if f is None and base is None:
            return None
        if f is None:
            assert base is not None
            start, _ = self._bucket(s, timeframe, base.start_ns)
            o, h, lo, c, v = base.open, base.high, base.low, base.close, base.volume
        else:
            start, o, h, lo, c, v = f.start_ns, f.open, f.high, f.low, f.close, f.volume
            if base is not None:  # the larger bar so far includes the smallest one still open
                h, lo, c, v = max(h, base.high), min(lo, base.low), base.close, v + base.volume
        return Bar(symbol, timeframe, start, o, h, lo, c, v, False)

    def add_instruments(self, instruments: Iterable[Instrument]) -> None:
        for i in instruments:
            self.symbols.setdefault(i.symbol, SymbolState(i))

    # -- input ---------------------------------------------------------------------------------

    def on_events(self, events: Iterable[Quote | Trade | Bar]) -> None:
        for ev in events:
            t = type(ev)
            if t is Quote:
                self.on_quote(ev)  # type: ignore[arg-type]
            elif t is Trade:
                self.on_trade(ev)  # type: ignore[arg-type]
            else:
                self.on_bar(ev)  # type: ignore[arg-type]

    def on_quote(self, q: Quote) -> None:
        s = self.symbols.get(q.symbol)
        if s is None:
            return self._drop(DropReason.UNKNOWN_SYMBOL, q.symbol, q)
        bid, ask = q.bid, q.ask
        if not (math.isfinite(bid) and math.isfinite(ask)):
            return self._drop(DropReason.NOT_FINITE, q.symbol, q)
        if bid <= 0 or ask <= 0:
            return self._drop(DropReason.NON_POSITIVE, q.symbol, q)
        if bid > ask:
            return self._drop(DropReason.CROSSED, q.symbol, q)
        if not (q.bid_size >= 0 and q.ask_size >= 0):
            return self._drop(DropReason.BAD_SIZE, q.symbol, q)
        if not self._time_ok(s, q.ts_ns, q.symbol, q):
            return None
        mid = (bid + ask) * 0.5
        if not self._level_ok(s, mid, q.symbol, q):
            return None
        s.quote = q
        s.last_ts_ns = s.updated_ns = q.ts_ns
        if not s.has_trades:
            s.last_price = mid
            self._aggregate(s, q.ts_ns, mid, 0.0)
        self.accepted += 1
        self.last_message_ns = q.ts_ns
        self._publish(q)
        return None

    def on_trade(self, t: Trade) -> None:
        s = self.symbols.get(t.symbol)
        if s is None:
            return self._drop(DropReason.UNKNOWN_SYMBOL, t.symbol, t)
        price = t.price
        if not (math.isfinite(price) and math.isfinite(t.size)):
            return self._drop(DropReason.NOT_FINITE, t.symbol, t)
        if price <= 0:
            return self._drop(DropReason.NON_POSITIVE, t.symbol, t)
        if t.size < 0:
            return self._drop(DropReason.BAD_SIZE, t.symbol, t)
        if not self._time_ok(s, t.ts_ns, t.symbol, t):
            return None
        if not self._level_ok(s, price, t.symbol, t):
            return None
        s.has_trades = True
        s.last_trade = t
        s.last_price = price
        s.last_ts_ns = s.updated_ns = t.ts_ns
        self._aggregate(s, t.ts_ns, price, t.size)
        self.accepted += 1
        self.last_message_ns = t.ts_ns
        self._publish(t)
        return None

    def on_bar(self, b: Bar) -> None:
        """A bar from a bar feed: validated, published, and rolled into the larger timeframes."""
        s = self.symbols.get(b.symbol)
        if s is None:
            return self._drop(DropReason.UNKNOWN_SYMBOL, b.symbol, b)
        o, h, lo, c = b.open, b.high, b.low, b.close
        if not all(map(math.isfinite, (o, h, lo, c, b.volume))):
            return self._drop(DropReason.NOT_FINITE, b.symbol, b)
        if min(o, h, lo, c) <= 0:
            return self._drop(DropReason.NON_POSITIVE, b.symbol, b)
        if h < max(o, c) or lo > min(o, c) or b.volume < 0:
            return self._drop(DropReason.BAD_BAR, b.symbol, b)
        if b.start_ns < s.last_ts_ns:
            return self._drop(DropReason.BACKWARDS, b.symbol, b)
        if not self._level_ok(s, c, b.symbol, b):
            return None
        s.last_ts_ns = b.start_ns
        s.updated_ns = b.end_ns
        s.last_price = c
        s.has_trades = True
        self.accepted += 1
        self.last_message_ns = b.end_ns
        closed = (
            b
            if b.is_closed
            else Bar(b.symbol, b.timeframe, b.start_ns, o, h, lo, c, b.volume, True)
        )
        self._publish(closed)
        for tf in self._timeframes:
            if tf.seconds > b.timeframe.seconds:
                self._roll(s, tf, b.start_ns, o, h, lo, c, b.volume)
                # A bar that ends exactly where its larger bar ends closes the larger bar too.
                f = s.forming.get(tf)
                if f is not None and b.start_ns + b.timeframe.ns >= f.end_ns:
                    self._close(s, tf)
        return None

    def close_due(self, now_ns: int) -> int:
        """Close every forming bar whose period has ended; returns how many closed."""
        n = 0
        for s in self.symbols.values():
            if not s.forming:
                continue
            for tf in self._timeframes:  # smallest first: it rolls into the larger ones
                f = s.forming.get(tf)
                if f is not None and f.end_ns <= now_ns:
                    self._close(s, tf)
                    n += 1
        return n

    # -- internals -----------------------------------------------------------------------------

    def _time_ok(self, s: SymbolState, ts_ns: int, symbol: str, ev: object) -> bool:
        if ts_ns < s.last_ts_ns:
            self._drop(DropReason.BACKWARDS, symbol, ev)
            return False
        if self._now_ns is not None and ts_ns - self._now_ns() > self._max_future_ns:
            self._drop(DropReason.FUTURE, symbol, ev)
            return False
        return True

    def _level_ok(self, s: SymbolState, price: float, symbol: str, ev: object) -> bool:
        ref = s.last_price
        if math.isnan(ref) or abs(price / ref - 1.0) <= self._max_jump:
            s.pending_count = 0
            return True
        pending = s.pending_level
        if s.pending_count and abs(price / pending - 1.0) <= self._max_jump:
            s.pending_count += 1
        else:
            s.pending_level, s.pending_count = price, 1
        if s.pending_count >= _CONFIRM_LEVEL:
            log.warning(
                "%s: new price level %.6g accepted after %d confirming messages (last good %.6g)",
                symbol,
                price,
                s.pending_count,
                ref,
            )
            s.pending_count = 0
            return True
        self._drop(DropReason.JUMP, symbol, ev)
        return False

    def _drop(self, reason: str, symbol: str, ev: object) -> None:
        key = f"{reason}:{symbol}"
        self.dropped[reason] += 1
        n = self.dropped[key] = self.dropped[key] + 1
        if n == 1 or n % 1000 == 0:
            log.warning(
                "dropped %s message for %s (%s, %d so far): %r",
                reason.replace("_", " "),
                symbol,
                reason,
                n,
                ev,
            )

    def _bucket(self, s: SymbolState, tf: Timeframe, ts_ns: int) -> tuple[int, int]:
        if tf is Timeframe.D1:
            cal = self._calendars.get(s.instrument.timezone)
            if cal is None:
                cal = self._calendars[s.instrument.timezone] = SessionCalendar(
                    s.instrument.timezone
                )
            return cal.day_bucket(ts_ns)
        start = ts_ns - ts_ns % tf.ns
        return start, start + tf.ns

    def _aggregate(self, s: SymbolState, ts_ns: int, price: float, size: float) -> None:
        # Ticks build only the smallest bar; larger bars are rolled up from it as it closes.
        self._roll(s, self._base, ts_ns, price, price, price, price, size)

    def _roll(
        self,
        s: SymbolState,
        tf: Timeframe,
        ts_ns: int,
        o: float,
        h: float,
        lo: float,
        c: float,
        v: float,
    ) -> None:
        f = s.forming.get(tf)
        if f is not None and ts_ns < f.end_ns:
            if ts_ns < f.start_ns:
                self.dropped[DropReason.LATE] += 1
                return
            if h > f.high:
                f.high = h
            if lo < f.low:
                f.low = lo
            f.close = c
            f.volume += v
            return
        if f is not None:
            self._close(s, tf)
        elif ts_ns < s.closed_end.get(tf, 0):
            # Its bar was already closed on time; reopening it would publish that bar twice.
            self.dropped[DropReason.LATE] += 1
            return
        start, end = self._bucket(s, tf, ts_ns)
        s.forming[tf] = _Forming(tf, start, end, o, h, lo, c, v)

    def _close(self, s: SymbolState, tf: Timeframe) -> None:
        f = s.forming.pop(tf)
        s.closed_end[tf] = f.end_ns
        self._publish(
            Bar(s.instrument.symbol, tf, f.start_ns, f.open, f.high, f.low, f.close, f.volume)
        )
        if tf is self._base:
            for big in self._larger:
                self._roll(s, big, f.start_ns, f.open, f.high, f.low, f.close, f.volume)
                g = s.forming.get(big)
                if g is not None and f.end_ns >= g.end_ns:
                    self._close(s, big)
