"""Batched write-behind for bars, quotes, equity and notifications.

Rows are converted to driver-native tuples when they are queued and written with one
`executemany` per table per flush, through the single writer connection. A flush happens every
`interval_s` or as soon as `max_rows` are waiting. When the database is away the rows stay
queued and the next flush tries again; nothing queued is dropped except the oldest quote samples
once the backlog passes `max_backlog` rows (quotes are samples; bars and equity are not).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from tpm.domain import Bar, EquitySnapshot, Notification, Quote, Score
from tpm.store.db import retrying

__all__ = ["WriteBehind", "WriterStats"]

log = logging.getLogger("tpm.store")
_EPOCH = datetime(1970, 1, 1)


@dataclass(slots=True)
class WriterStats:
    rows_written: int = 0
    flushes: int = 0
    failed_flushes: int = 0
    quotes_dropped: int = 0


@dataclass(slots=True)
class _Sink:
    sql: str
    rows: deque[tuple[Any, ...]] = field(default_factory=deque)


def _sql(dialect: str, table: str, cols: list[str], keys: list[str]) -> str:
    mark = "?" if dialect == "sqlite" else "%s"
    head = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})"
    rest = [c for c in cols if c not in keys]
    if not keys:
        return head
    if dialect == "sqlite":
        sets = ", ".join(f"{c} = excluded.{c}" for c in rest)
        return f"{head} ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"
    sets = ", ".join(f"{c} = VALUES({c})" for c in rest)
    return f"{head} ON DUPLICATE KEY UPDATE {sets}"


class WriteBehind:
    """Queue rows now, write them in batches soon."""

    def __init__(
        self,
        writer: AsyncEngine,
        dialect: str,
        lock: asyncio.Lock,
        *,
        interval_s: float = 0.1,
        max_rows: int = 1000,
        max_backlog: int = 2_000_000,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> None:
        self._engine = writer
        self._lock = lock
        self._flushing = asyncio.Lock()
        self._interval_s = interval_s
        self._max_rows = max_rows
        self._max_backlog = max_backlog
        self._should_stop = should_stop
        self._is_sqlite = dialect == "sqlite"
        self._ts_second = -1
        self._ts_prefix = ""
        self._ts_last = -1
        self._ts_last_value: Any = None
        self._wake = asyncio.Event()
        self._stopping = False
        self._pending = 0
        self.stats = WriterStats()
        bar_cols = ["symbol", "timeframe", "start_ts", "open", "high", "low", "close", "volume"]
        eq_cols = ["ts", "cash", "equity", "gross_exposure", "net_exposure"]
        self._bars = _Sink(_sql(dialect, "bars", bar_cols, ["symbol", "timeframe", "start_ts"]))
        self._quotes = _Sink(
            _sql(dialect, "quotes", ["symbol", "ts", "bid", "ask", "bid_size", "ask_size"], [])
        )
        self._equity = _Sink(_sql(dialect, "equity_snapshots", eq_cols, ["ts"]))
        self._notes = _Sink(
            _sql(dialect, "notifications", ["ts", "severity", "kind", "title", "message"], [])
        )
        score_cols = [
            "symbol",
            "ts",
            "technical",
            "fundamental",
            "sentiment",
            "composite",
            "rating",
            "drivers",
        ]
        self._scores = _Sink(_sql(dialect, "scores", score_cols, ["symbol", "ts"]))
        self._sinks = (self._bars, self._equity, self._notes, self._scores, self._quotes)

    @property
    def pending(self) -> int:
        return self._pending

    def _ts(self, ts_ns: int) -> Any:
        if ts_ns == self._ts_last:  # bars of many symbols share their start
            return self._ts_last_value
        self._ts_last = ts_ns
        self._ts_last_value = value = self._ts_convert(ts_ns)
        return value

    def _ts_convert(self, ts_ns: int) -> Any:
        seconds, rest = divmod(ts_ns, 1_000_000_000)
        if not self._is_sqlite:
            return _EPOCH + timedelta(seconds=seconds, microseconds=rest // 1000)
        # The text layout SQLAlchemy's SQLite DateTime uses, so SQL comparisons stay correct;
        # rows arrive in time order, so the formatted second is nearly always the last one.
        if seconds != self._ts_second:
            self._ts_second = seconds
            self._ts_prefix = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds))
        return f"{self._ts_prefix}.{rest // 1000:06d}"

    def _money(self, value: Decimal) -> Any:
        return str(value) if self._is_sqlite else value

    def _queued(self, sink: _Sink, row: tuple[Any, ...]) -> None:
        sink.rows.append(row)
        self._pending += 1
        if self._pending >= self._max_rows:
            self._wake.set()
        if self._pending > self._max_backlog and self._quotes.rows:
            self._quotes.rows.popleft()
            self._pending -= 1
            self.stats.quotes_dropped += 1

    def bar(self, b: Bar) -> None:
        self._queued(
            self._bars,
            (
                b.symbol,
                b.timeframe.value,
                self._ts(b.start_ns),
                b.open,
                b.high,
                b.low,
                b.close,
                b.volume,
            ),
        )

    def quote(self, q: Quote) -> None:
        self._queued(
            self._quotes, (q.symbol, self._ts(q.ts_ns), q.bid, q.ask, q.bid_size, q.ask_size)
        )

    def equity(self, e: EquitySnapshot) -> None:
        m = self._money
        self._queued(
            self._equity,
            (self._ts(e.ts_ns), m(e.cash), m(e.equity), m(e.gross_exposure), m(e.net_exposure)),
        )

    def notification(self, n: Notification) -> None:
        self._queued(
            self._notes, (self._ts(n.ts_ns), n.severity.value, n.kind, n.title[:128], n.message)
        )

    def score(self, s: Score) -> None:
        self._queued(
            self._scores,
            (
                s.symbol,
                self._ts(s.ts_ns),
                s.technical.value,
                s.fundamental.value,
                s.sentiment.value,
                s.composite,
                "" if s.rating is None else s.rating.value,
                "\n".join(d.text for d in s.drivers),
            ),
        )

    def stop(self) -> None:
        """End `run` after the flush under way, if any (cancelling it could cut a write off
        inside the driver); the owner calls `flush` once more after."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Flush periodically until `stop`."""
        while not self._stopping:
            try:
                await asyncio.wait_for(self._wake.wait(), self._interval_s)
            except TimeoutError:
                pass
            self._wake.clear()
            if self._pending and not self._stopping:
                try:
                    await self.flush()
                except Exception:
                    self.stats.failed_flushes += 1
                    log.exception("write-behind flush failed; rows kept for the next attempt")

    async def flush(self) -> int:
        """Write everything queued now; on error the rows stay queued. Returns rows written.

        Flushes run one at a time: a flush that found the queues empty because another had
        just taken the rows would otherwise return before those rows were in the database
        (and if that other flush fails, this one writes or reports the rows put back).
        """
        async with self._flushing:
            return await self._flush()

    async def _flush(self) -> int:
        batches: list[tuple[_Sink, deque[tuple[Any, ...]]]] = []
        for sink in self._sinks:
            if sink.rows:
                batches.append((sink, sink.rows))
                sink.rows = deque()
        if not batches:
            return 0

        async def write() -> None:
            async with self._lock:
                if self._is_sqlite:
                    await self._write_sqlite(batches)
                    return
                async with self._engine.begin() as conn:
                    for sink, rows in batches:
                        await conn.exec_driver_sql(sink.sql, list(rows))

        try:
            await retrying("write-behind flush", write, attempts=3, should_stop=self._should_stop)
        except BaseException:
            for sink, rows in batches:  # put them back, oldest first, ahead of newer rows
                rows.extend(sink.rows)
                sink.rows = rows
            raise
        written = sum(len(rows) for _, rows in batches)
        self._pending -= written
        self.stats.rows_written += written
        self.stats.flushes += 1
        return written

    async def _write_sqlite(self, batches: list[tuple[_Sink, deque[tuple[Any, ...]]]]) -> None:
        """One transaction on the writer connection, at synchronous=NORMAL.

        Market data is re-derivable, so its commits skip the fsync; the next order or fill
        commit (at FULL) makes them durable too. The driver is used directly because the
        synchronous level can only change outside a transaction.
        """
        async with self._engine.connect() as conn:
            raw = await conn.get_raw_connection()
            db = raw.driver_connection
            assert db is not None
            await db.execute("PRAGMA synchronous = NORMAL")
            try:
                await db.execute("BEGIN IMMEDIATE")
                try:
                    for sink, rows in batches:
                        await db.executemany(sink.sql, rows)
                    await db.execute("COMMIT")
                except BaseException:
                    await db.execute("ROLLBACK")
                    raise
            finally:
                await db.execute("PRAGMA synchronous = FULL")
