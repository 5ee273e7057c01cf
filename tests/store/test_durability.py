"""A locked or unreachable database delays writes; it never loses a fill."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from tpm.domain import Bar, ClientOrderId, Fill, Order, Side, Timeframe
from tpm.errors import StoreUnavailable
from tpm.store.sql_store import SqlStore

T0 = 1_700_000_040_000_000_000


def _hold_write_lock(path: Path, seconds: float, locked: threading.Event) -> threading.Thread:
    """Another process's writer, as sqlite3 sees it: holds the write lock for `seconds`."""

    def hold() -> None:
        con = sqlite3.connect(path, isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        locked.set()
        threading.Event().wait(seconds)
        con.execute("ROLLBACK")
        con.close()

    t = threading.Thread(target=hold)
    t.start()
    return t


async def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    await store.open()
    try:
        async with store._e.writer.connect() as conn:
            mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
        assert mode == "wal"
    finally:
        await store.close()


async def test_a_fill_waits_out_a_locked_database(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "l.db"
    store = SqlStore(f"sqlite+aiosqlite:///{path}", busy_timeout_ms=20)
    await store.open()
    try:
        order = Order(ClientOrderId("c1"), "ACME", Side.BUY, Decimal(5), created_ns=T0)
        await store.save_order(order)
        locked = threading.Event()
        holder = _hold_write_lock(path, 1.0, locked)
        await asyncio.to_thread(locked.wait)
        fill = Fill(
            "e1", order.client_order_id, "ACME", Side.BUY, Decimal(5), Decimal(10), Decimal(1), T0
        )
        with caplog.at_level(logging.DEBUG, logger="tpm.store"):
            assert await store.save_fill(fill, None)
        holder.join()
        assert any("database unavailable" in r.getMessage() for r in caplog.records)
        assert await store.load_fills() == [fill]
    finally:
        await store.close()


async def test_buffered_rows_survive_a_failed_flush(tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    store = SqlStore(f"sqlite+aiosqlite:///{path}", busy_timeout_ms=10, flush_interval_s=60)
    await store.open()
    try:
        for i in range(10):
            store.write_bar(Bar("ACME", Timeframe.M1, T0 + i * 60_000_000_000, 1, 2, 0.5, 1, 9))
        locked = threading.Event()
        holder = _hold_write_lock(path, 2.0, locked)
        await asyncio.to_thread(locked.wait)
        with pytest.raises(StoreUnavailable):
            await store.flush()
        assert store.write_behind.pending == 10
        holder.join()
        await store.flush()
        assert store.write_behind.pending == 0
        assert len(await store.load_bars("ACME", Timeframe.M1)) == 10
    finally:
        await store.close()


async def test_an_unreachable_server_is_retried_then_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = SqlStore("mysql+asyncmy://trader:s3cret@127.0.0.1:1/tpm", connect_timeout_s=1.5)
    with caplog.at_level(logging.DEBUG, logger="tpm.store"), pytest.raises(StoreUnavailable) as err:
        await store.open()
    message = str(err.value)
    assert "127.0.0.1:1" in message and "database unavailable" in message
    assert "s3cret" not in message
    retries = [r for r in caplog.records if "retry" in r.getMessage()]
    assert len(retries) >= 2
