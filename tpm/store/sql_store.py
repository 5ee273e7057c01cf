"""The Store the engine uses: SQLite (default) or MySQL through SQLAlchemy's async engines.

Orders and fills are committed before the call returns, through the single writer and with
unlimited retries on transient errors (a locked or unreachable database delays a fill; it never
loses one). Market data and equity go through the write-behind buffer.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from tpm.domain import (
    FUNDAMENTAL_FIELDS,
    Bar,
    EquitySnapshot,
    Fill,
    Fundamentals,
    Instrument,
    NewsItem,
    Notification,
    Order,
    Quote,
    Score,
    Severity,
    Timeframe,
    dt_to_ns,
    ns_to_dt,
)
from tpm.store import mapping
from tpm.store.sql_users import SqlUsers
from tpm.store.tables import (
    BARS,
    EQUITY,
    FILLS,
    FUNDAMENTALS,
    INSTRUMENTS,
    NEWS,
    NOTIFICATIONS,
    ORDERS,
    QUOTES,
)

__all__ = ["SqlStore"]

log = logging.getLogger("tpm.store")
T = TypeVar("T")


class SqlStore(SqlUsers):
    """Persistence over SQLAlchemy; see the module docstring for the durability rules."""

    # -- instruments ---------------------------------------------------------------------------

    async def save_instruments(self, instruments: Sequence[Instrument]) -> None:
        if not instruments:
            return
        rows = [mapping.instrument_to_row(i) for i in instruments]

        async def fn(conn: AsyncConnection) -> None:
            await conn.execute(mapping.upsert(self.dialect, INSTRUMENTS), rows)

        await self._write("saving instruments", fn)

    async def load_instruments(self) -> list[Instrument]:
        async def fn(conn: AsyncConnection) -> list[Instrument]:
            rows = await conn.execute(select(INSTRUMENTS))
            return [mapping.instrument_from_row(r) for r in rows]

        return await self._read(fn)

    # -- orders and fills ----------------------------------------------------------------------

    async def save_order(
        self, order: Order, audit: tuple[str, str, str, str] | None = None
    ) -> None:
        row = mapping.order_to_row(order)

        async def fn(conn: AsyncConnection) -> None:
            await conn.execute(mapping.upsert(self.dialect, ORDERS), [row])
            if audit is not None:
                await self._append(conn, *audit)

        await self._write(f"saving order {order.client_order_id}", fn)

    async def save_fill(self, fill: Fill, order: Order | None) -> bool:
        fill_row = mapping.fill_to_row(fill)
        order_row = None if order is None else mapping.order_to_row(order)

        async def fn(conn: AsyncConnection) -> bool:
            result = await conn.execute(mapping.insert_ignore(self.dialect, FILLS), fill_row)
            if result.rowcount == 0:
                return False
            if order_row is not None:
                await conn.execute(mapping.upsert(self.dialect, ORDERS), [order_row])
            return True

        return await self._write(f"saving fill {fill.exec_id}", fn)

    async def load_orders(self, open_only: bool = False) -> list[Order]:
        async def fn(conn: AsyncConnection) -> list[Order]:
            q = select(ORDERS).order_by(text("created_ts"))
            if open_only:
                q = q.where(text("status IN ('new', 'accepted', 'partially_filled')"))
            rows = list(await conn.execute(q))
            ids: dict[str, set[str]] = defaultdict(set)
            if rows:
                fq = select(FILLS.c.exec_id, FILLS.c.client_order_id)
                for exec_id, coid in await conn.execute(fq):
                    ids[coid].add(exec_id)
            return [mapping.order_from_row(r, frozenset(ids[r.client_order_id])) for r in rows]

        return await self._read(fn)

    async def load_order(self, client_order_id: str) -> Order | None:
        async def fn(conn: AsyncConnection) -> Order | None:
            row = (
                await conn.execute(
                    select(ORDERS).where(ORDERS.c.client_order_id == client_order_id)
                )
            ).first()
            if row is None:
                return None
            q = select(FILLS.c.exec_id).where(FILLS.c.client_order_id == client_order_id)
            ids = frozenset(r[0] for r in await conn.execute(q))
            return mapping.order_from_row(row, ids)

        return await self._read(fn)

    async def load_fills(self) -> list[Fill]:
        async def fn(conn: AsyncConnection) -> list[Fill]:
            q = select(FILLS).order_by(text("ts"), text("exec_id"))
            return [mapping.fill_from_row(r) for r in await conn.execute(q)]

        return await self._read(fn)

    # -- write-behind --------------------------------------------------------------------------

    def write_bar(self, bar: Bar) -> None:
        self.write_behind.bar(bar)

    def write_quote(self, quote: Quote) -> None:
        self.write_behind.quote(quote)

    def write_equity(self, snapshot: EquitySnapshot) -> None:
        self.write_behind.equity(snapshot)

    def write_notification(self, notification: Notification) -> None:
        self.write_behind.notification(notification)

    def write_score(self, score: Score) -> None:
        self.write_behind.score(score)

    async def flush(self) -> None:
        await self.write_behind.flush()

    async def save_bars(self, bars: Sequence[Bar], chunk: int = 5000) -> int:
        """Store many bars now (imports), replacing bars with the same symbol, size and start."""
        wb = self.write_behind
        for i in range(0, len(bars), chunk):
            for b in bars[i : i + chunk]:
                wb.bar(b)
            await wb.flush()
        return len(bars)

    # -- queries -------------------------------------------------------------------------------

    async def load_bars(
        self, symbol: str, timeframe: Timeframe, limit: int = 1000, end_ns: int | None = None
    ) -> list[Bar]:
        t = BARS

        async def fn(conn: AsyncConnection) -> list[Bar]:
            q = select(t).where(t.c.symbol == symbol, t.c.timeframe == timeframe.value)
            if end_ns is not None:
                q = q.where(t.c.start_ts < ns_to_dt(end_ns))
            q = q.order_by(t.c.start_ts.desc()).limit(limit)
            bars = [mapping.bar_from_row(r) for r in await conn.execute(q)]
            bars.reverse()
            return bars

        return await self._read(fn)

    async def bar_symbols(self) -> dict[tuple[str, str], int]:
        """How many bars are stored per (symbol, timeframe)."""
        t = BARS

        async def fn(conn: AsyncConnection) -> dict[tuple[str, str], int]:
            q = select(t.c.symbol, t.c.timeframe, func.count()).group_by(t.c.symbol, t.c.timeframe)
            return {(s, tf): n for s, tf, n in await conn.execute(q)}

        return await self._read(fn)

    async def latest_prices(self, symbols: Sequence[str]) -> dict[str, tuple[float, int]]:
        """Latest known price and its time per symbol: a stored quote's mid, else a bar close."""
        q_t, b_t = QUOTES, BARS

        async def fn(conn: AsyncConnection) -> dict[str, tuple[float, int]]:
            out: dict[str, tuple[float, int]] = {}
            for sym in symbols:
                q = (
                    select(q_t.c.bid, q_t.c.ask, q_t.c.ts)
                    .where(q_t.c.symbol == sym)
                    .order_by(q_t.c.ts.desc())
                    .limit(1)
                )
                b = (
                    select(b_t.c.close, b_t.c.start_ts)
                    .where(b_t.c.symbol == sym)
                    .order_by(b_t.c.start_ts.desc())
                    .limit(1)
                )
                quote = (await conn.execute(q)).first()
                bar = (await conn.execute(b)).first()
                candidates = []
                if quote is not None:
                    candidates.append(((quote[0] + quote[1]) / 2, dt_to_ns(quote[2])))
                if bar is not None:
                    candidates.append((float(bar[0]), dt_to_ns(bar[1])))
                if candidates:
                    out[sym] = max(candidates, key=lambda c: c[1])
            return out

        return await self._read(fn)

    async def load_equity(self, limit: int = 10_000) -> list[EquitySnapshot]:
        t = EQUITY

        async def fn(conn: AsyncConnection) -> list[EquitySnapshot]:
            q = select(t).order_by(t.c.ts.desc()).limit(limit)
            rows = [mapping.equity_from_row(r) for r in await conn.execute(q)]
            rows.reverse()
            return rows

        return await self._read(fn)

    async def load_notifications(self, limit: int = 100) -> list[Notification]:
        """The latest notifications, oldest first."""
        t = NOTIFICATIONS

        async def fn(conn: AsyncConnection) -> list[Notification]:
            q = select(t).order_by(t.c.id.desc()).limit(limit)
            rows = [
                Notification(dt_to_ns(r.ts), Severity(r.severity), r.title, r.message, r.kind)
                for r in await conn.execute(q)
            ]
            rows.reverse()
            return rows

        return await self._read(fn)

    # -- reference data --------------------------------------------------------------------

    async def save_fundamentals(self, rows: Sequence[Fundamentals]) -> None:
        if not rows:
            return
        data = [mapping.fundamentals_to_row(f) for f in rows]

        async def fn(conn: AsyncConnection) -> None:
            await conn.execute(mapping.upsert(self.dialect, FUNDAMENTALS), data)

        await self._write("saving fundamentals", fn)

    async def load_fundamentals(self) -> list[Fundamentals]:
        """Every symbol's figures: per figure, the latest value any stored row reports."""
        t = FUNDAMENTALS

        async def fn(conn: AsyncConnection) -> list[Fundamentals]:
            merged: dict[str, dict[str, object]] = {}
            for r in await conn.execute(select(t).order_by(t.c.as_of)):
                row = merged.setdefault(r.symbol, {"symbol": r.symbol})
                row["as_of_ns"] = dt_to_ns(r.as_of)
                row["source"] = r.source
                for name in FUNDAMENTAL_FIELDS:
                    value = getattr(r, name)
                    if value is not None:
                        row[name] = value
            return [Fundamentals(**row) for row in merged.values()]  # type: ignore[arg-type]

        return await self._read(fn)

    async def save_news(self, items: Sequence[NewsItem]) -> None:
        if not items:
            return
        data = list({n.id: mapping.news_to_row(n) for n in items}.values())

        async def fn(conn: AsyncConnection) -> None:
            await conn.execute(mapping.upsert(self.dialect, NEWS), data)

        await self._write("saving news", fn)
