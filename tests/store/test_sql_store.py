"""SqlStore on a real SQLite file and, where available, a real MariaDB/MySQL database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from tpm.domain import (
    Bar,
    ClientOrderId,
    EquitySnapshot,
    Fill,
    Fundamentals,
    Instrument,
    NewsItem,
    Order,
    OrderFilled,
    OrderType,
    Quote,
    Side,
    Timeframe,
    TimeInForce,
    dt_to_ns,
)
from tpm.store.audit import AUDIT_GENESIS, audit_hash
from tpm.store.sql_store import SqlStore
from tpm.store.tables import AUDIT, BARS

T0 = 1_700_000_000_123_456_000


def _order(coid: str = "c1", **kw: object) -> Order:
    base: dict[str, object] = {
        "client_order_id": ClientOrderId(coid),
        "symbol": "ACME",
        "side": Side.BUY,
        "qty": Decimal("10"),
        "created_ns": T0,
        "updated_ns": T0,
    }
    base.update(kw)
    return Order(**base)  # type: ignore[arg-type]


def _fill(exec_id: str, coid: str = "c1", qty: str = "4", price: str = "101.25") -> Fill:
    return Fill(
        exec_id,
        ClientOrderId(coid),
        "ACME",
        Side.BUY,
        Decimal(qty),
        Decimal(price),
        Decimal("1.0001"),
        T0 + 1_000,
    )


async def _open(url: str) -> SqlStore:
    store = SqlStore(url, flush_interval_s=60)
    await store.open()
    return store


async def test_migrations_produce_exactly_the_model_schema(db_url: str) -> None:
    store = await _open(db_url)
    try:

        def diff(conn: object) -> list[object]:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})  # type: ignore[arg-type]
            return compare_metadata(ctx, SQLModel.metadata)

        async with store._e.writer.connect() as conn:
            assert await conn.run_sync(diff) == []
    finally:
        await store.close()


async def test_order_and_fill_round_trip_exactly(db_url: str) -> None:
    store = await _open(db_url)
    try:
        order = _order(
            type=OrderType.LIMIT,
            limit_price=Decimal("101.37"),
            tif=TimeInForce.GTC,
            strategy="s1",
            source="strategy",
            qty=Decimal("0.0003"),
        )
        await store.save_order(order)
        [loaded] = await store.load_orders()
        assert loaded == order
        fill = Fill(
            "x1",
            order.client_order_id,
            "ACME",
            Side.BUY,
            Decimal("0.0001"),
            Decimal("101.37"),
            Decimal("0.333333333333"),
            T0 + 7_000,
        )
        moved = order.apply(OrderFilled(fill.ts_ns, "x1", fill.qty, fill.price))
        assert await store.save_fill(fill, moved)
        [f] = await store.load_fills()
        assert f == fill
        [o] = await store.load_orders()
        assert o.filled_qty == Decimal("0.0001") and o.exec_ids == frozenset({"x1"})
    finally:
        await store.close()


async def test_a_fill_is_stored_once_and_its_order_moves_with_it(db_url: str) -> None:
    store = await _open(db_url)
    try:
        order = _order()
        await store.save_order(order)
        fill = _fill("e1")
        moved = order.apply(OrderFilled(fill.ts_ns, fill.exec_id, fill.qty, fill.price))
        assert await store.save_fill(fill, moved) is True
        again = moved.apply(OrderFilled(fill.ts_ns, "e-other", fill.qty, fill.price))
        assert await store.save_fill(fill, again) is False  # same exec id: nothing changes
        [o] = await store.load_orders()
        assert o.filled_qty == Decimal(4)
        assert len(await store.load_fills()) == 1
        assert [x.client_order_id for x in await store.load_orders(open_only=True)] == ["c1"]
    finally:
        await store.close()


async def test_write_behind_writes_in_batches_and_upserts_bars(db_url: str) -> None:
    store = await _open(db_url)
    try:
        bars = [
            Bar(
                "ACME",
                Timeframe.M1,
                T0 - T0 % 60_000_000_000 + i * 60_000_000_000,
                10 + i,
                11 + i,
                9 + i,
                10.5 + i,
                100.0 * i,
            )
            for i in range(2500)
        ]
        for b in bars:
            store.write_bar(b)
        assert store.write_behind.pending == 2500
        await store.flush()
        assert store.write_behind.pending == 0
        loaded = await store.load_bars("ACME", Timeframe.M1, limit=10_000)
        assert loaded == bars
        fixed = Bar("ACME", Timeframe.M1, bars[5].start_ns, 1, 2, 0.5, 1.5, 7)
        store.write_bar(fixed)
        await store.flush()
        assert (await store.load_bars("ACME", Timeframe.M1, limit=10_000))[5] == fixed
        tail = await store.load_bars("ACME", Timeframe.M1, limit=3, end_ns=bars[10].start_ns)
        assert [b.start_ns for b in tail] == [b.start_ns for b in bars[7:10]]
        assert await store.bar_symbols() == {("ACME", "1m"): 2500}
    finally:
        await store.close()


async def test_a_flush_returns_only_once_rows_another_flush_took_are_written(
    db_url: str,
) -> None:
    store = await _open(db_url)
    try:
        bar = Bar("ACME", Timeframe.M1, T0 - T0 % 60_000_000_000, 1, 2, 0.5, 1.5, 7)
        store.write_bar(bar)
        async with store._lock:  # the writer is busy: the first flush takes the rows and waits
            first = asyncio.create_task(store.flush())
            await asyncio.sleep(0)
            second = asyncio.create_task(store.flush())
            await asyncio.sleep(0.05)
            assert not second.done()
        await second
        assert await store.load_bars("ACME", Timeframe.M1, limit=10) == [bar]
        await first
    finally:
        await store.close()


async def test_a_write_whose_caller_is_cancelled_still_commits_and_frees_the_writer(
    db_url: str,
) -> None:
    store = await _open(db_url)
    try:
        async with store._lock:  # the writer is busy: the write waits its turn
            caller = asyncio.create_task(store.set_state("engine.test", "kept"))
            await asyncio.sleep(0.01)
            caller.cancel()  # as an engine stopping cancels its tasks
        with pytest.raises(asyncio.CancelledError):
            await caller
        await asyncio.wait_for(store.set_state("engine.after", "free"), 10)
        assert await store.get_state("engine.test") == "kept"
        assert await store.get_state("engine.after") == "free"
    finally:
        await store.close()


async def test_timestamps_come_back_timezone_aware_utc(db_url: str) -> None:
    store = await _open(db_url)
    try:
        store.write_bar(Bar("ACME", Timeframe.D1, T0, 1, 1, 1, 1, 0))
        await store.flush()
        async with store._e.reader.connect() as conn:
            ts = (await conn.execute(BARS.select())).first().start_ts  # type: ignore[union-attr]
        assert ts.tzinfo is UTC and dt_to_ns(ts) == T0
    finally:
        await store.close()


async def test_close_flushes_what_is_buffered(db_url: str) -> None:
    store = await _open(db_url)
    store.write_equity(EquitySnapshot(T0, Decimal("1.5"), Decimal("2.25"), Decimal(0), Decimal(0)))
    store.write_quote(Quote("ACME", T0, 10.0, 10.02, 100, 200))
    await store.close()
    store = await _open(db_url)
    try:
        [snap] = await store.load_equity()
        assert snap.equity == Decimal("2.25") and snap.ts_ns == T0
        assert await store.latest_prices(["ACME"]) == {"ACME": (10.01, T0)}
    finally:
        await store.close()


async def test_audit_log_is_a_hash_chain(db_url: str) -> None:
    store = await _open(db_url)
    try:
        for i in range(3):
            await store.audit("alice", f"act{i}", f"detail {i}", origin="127.0.0.1")
        async with store._e.reader.connect() as conn:
            rows = list(await conn.execute(AUDIT.select().order_by(AUDIT.c.id)))
        prev = AUDIT_GENESIS
        for r in rows:
            assert r.prev_hash == prev
            assert r.hash == audit_hash(
                prev, r.ts, actor=r.actor, action=r.action, detail=r.detail, origin=r.origin
            )
            prev = r.hash
        assert await store.get_state("audit.head") == prev
    finally:
        await store.close()


async def test_reference_data_and_state(db_url: str) -> None:
    store = await _open(db_url)
    try:
        inst = Instrument(
            "ACME",
            "Acme",
            "Industrials",
            tick_size=Decimal("0.05"),
            lot_size=Decimal("0.001"),
            min_notional=Decimal("5"),
        )
        await store.save_instruments([inst])
        assert await store.load_instruments() == [inst]
        await store.save_fundamentals([Fundamentals("ACME", T0, "sim", pe=12.5, roe=None)])
        await store.save_news([NewsItem("n1", "ACME", T0, "Acme beats estimates", score=0.6)] * 2)
        assert await store.get_state("k") is None
        await store.set_state("k", "v1")
        await store.set_state("k", "v2")
        assert await store.get_state("k") == "v2"
    finally:
        await store.close()


def test_audit_hash_covers_every_field() -> None:
    ts = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    base = {"actor": "a", "action": "b", "detail": "c", "origin": "d"}
    h = audit_hash("0" * 64, ts, **base)
    assert audit_hash("1" * 64, ts, **base) != h
    assert audit_hash("0" * 64, ts.replace(microsecond=7), **base) != h
    for key in base:
        assert audit_hash("0" * 64, ts, **{**base, key: "x"}) != h


async def test_concurrent_writers_serialise(db_url: str) -> None:
    store = await _open(db_url)
    try:
        orders = [_order(f"c{i}") for i in range(40)]
        await asyncio.gather(*(store.save_order(o) for o in orders))
        assert len(await store.load_orders()) == 40
    finally:
        await store.close()


async def test_fundamentals_merge_the_latest_figure_of_every_row(db_url: str) -> None:
    store = await _open(db_url)
    try:
        await store.save_fundamentals(
            [
                Fundamentals("ACME", T0, "csv", pe=10.0, roe=0.12, current_ratio=None),
                Fundamentals("ACME", T0 + 10**9, "edgar", pe=None, roe=0.15, current_ratio=1.4),
                Fundamentals("BETA", T0, "csv", pb=2.0),
            ]
        )
        by = {f.symbol: f for f in await store.load_fundamentals()}
        acme = by["ACME"]
        assert (acme.pe, acme.roe, acme.current_ratio) == (10.0, 0.15, 1.4)
        assert acme.as_of_ns == T0 + 10**9 and by["BETA"].pb == 2.0
    finally:
        await store.close()
