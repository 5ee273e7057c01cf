"""Store writer: rows/s of tpm's write-behind against raw `executemany` in one transaction.

tpm: `SqlStore.write_bar` (and `write_quote`, `write_equity`) as the engine calls them, handed
over in batches of `store.flush_rows` (default 1,000) with a yield to the event loop between
batches, as the feed pump does. The store's own write-behind task flushes (woken once
`flush_rows` rows wait, else every `flush_interval_ms`), each flush one transaction through the
real SqlStore (SQLite in WAL, via aiosqlite). The clock runs from the first row handed over to
the last row committed, so it includes the conversion to driver rows (`queue_s`).

Raw: the very rows tpm stored, read back, inserted into an identical table (same DDL, same
pragmas) on a fresh file with stdlib `sqlite3` `executemany` in ONE transaction. For diagnosis
`raw_batched_rows_per_s` does the same in transactions of `flush_rows`, as tpm does.

With --mysql URL the same runs against MySQL/MariaDB (raw: asyncmy `executemany`), in a scratch
database created next to the URL's one and dropped at the end.

Usage: python benchmarks/store_writer.py [--rows N] [--kinds bars,quotes,equity_snapshots]
                                          [--mysql mysql+asyncmy://root@127.0.0.1:3306/test]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.engine import URL, make_url

from tpm.config import Config
from tpm.domain import Bar, EquitySnapshot, Quote, Timeframe
from tpm.store.sql_store import SqlStore

EPOCH_NS = 1_704_153_600_000_000_000  # 2024-01-02 00:00 UTC
Row = tuple[Any, ...]


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def make_bars(n: int, rnd: random.Random) -> list[Bar]:
    out = []
    for i in range(n):
        o = 100 + rnd.random() * 10
        c = o + rnd.uniform(-1, 1)
        start = EPOCH_NS + (i // 100) * 60_000_000_000
        h, lo = max(o, c) + 0.05, min(o, c) - 0.05
        out.append(Bar(f"S{i % 100:03d}", Timeframe.M1, start, o, h, lo, c, rnd.random() * 1e4))
    return out


def make_quotes(n: int, rnd: random.Random) -> list[Quote]:
    out = []
    for i in range(n):
        bid = round(100 + rnd.random() * 10, 2)
        out.append(Quote(f"S{i % 100:03d}", EPOCH_NS + i * 10_000_000, bid, bid + 0.02, 300, 500))
    return out


def make_equity(n: int, rnd: random.Random) -> list[EquitySnapshot]:
    out = []
    for i in range(n):
        cash = Decimal(f"{50_000 + rnd.random() * 1000:.2f}")
        gross = Decimal(f"{60_000 + rnd.random() * 1000:.2f}")
        out.append(EquitySnapshot(EPOCH_NS + i * 1_000_000_000, cash, cash + gross, gross, gross))
    return out


@dataclass(frozen=True, slots=True)
class Kind:
    table: str
    cols: tuple[str, ...]
    make: Callable[[int, random.Random], Sequence[Any]]
    write: str  # the SqlStore method the engine calls


KINDS = {
    k.table: k
    for k in (
        Kind(
            "bars",
            ("symbol", "timeframe", "start_ts", "open", "high", "low", "close", "volume"),
            make_bars,
            "write_bar",
        ),
        Kind(
            "quotes",
            ("symbol", "ts", "bid", "ask", "bid_size", "ask_size"),
            make_quotes,
            "write_quote",
        ),
        Kind(
            "equity_snapshots",
            ("ts", "cash", "equity", "gross_exposure", "net_exposure"),
            make_equity,
            "write_equity",
        ),
    )
}


class RawDb(Protocol):
    async def read(self, kind: Kind) -> list[Row]: ...

    async def insert(self, kind: Kind, rows: list[Row], batch: int) -> float:
        """Rows/s inserting `rows` into a fresh copy of the table, `batch` rows a transaction."""
        ...


class SqliteRaw:
    """Reads tpm's file; inserts into an identical table on a fresh file with stdlib sqlite3."""

    def __init__(self, tpm_path: Path) -> None:
        self._tpm = sqlite3.connect(tpm_path)
        self._dir = tpm_path.parent

    async def read(self, kind: Kind) -> list[Row]:
        q = f"SELECT {', '.join(kind.cols)} FROM {kind.table} ORDER BY rowid"
        return self._tpm.execute(q).fetchall()

    async def insert(self, kind: Kind, rows: list[Row], batch: int) -> float:
        raw = sqlite3.connect(self._dir / f"raw-{kind.table}-{batch}.db", isolation_level=None)
        raw.execute("PRAGMA journal_mode = WAL")
        raw.execute("PRAGMA synchronous = FULL")  # as tpm's writer connection
        q = "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql NOT NULL ORDER BY type DESC"
        for (ddl,) in self._tpm.execute(q, (kind.table,)).fetchall():  # table, then indexes
            raw.execute(ddl)
        marks = ", ".join("?" * len(kind.cols))
        sql = f"INSERT INTO {kind.table} ({', '.join(kind.cols)}) VALUES ({marks})"
        t = time.perf_counter()
        for i in range(0, len(rows), batch):
            raw.execute("BEGIN IMMEDIATE")
            raw.executemany(sql, rows[i : i + batch])
            raw.execute("COMMIT")
        rate = len(rows) / (time.perf_counter() - t)
        raw.close()
        return rate


class MysqlRaw:
    """Reads tpm's tables and inserts into `raw_<table>` (CREATE TABLE ... LIKE) with asyncmy."""

    def __init__(self, url: URL) -> None:
        self._url = url

    async def _connect(self) -> Any:
        import asyncmy

        u = self._url
        return await asyncmy.connect(
            host=u.host, port=u.port or 3306, user=u.username, password=u.password or "",
            db=u.database, autocommit=False,
        )  # fmt: skip

    async def read(self, kind: Kind) -> list[Row]:
        conn = await self._connect()
        async with conn.cursor() as cur:
            await cur.execute(f"SELECT {', '.join(kind.cols)} FROM {kind.table}")
            rows = list(await cur.fetchall())
        conn.close()
        return rows

    async def insert(self, kind: Kind, rows: list[Row], batch: int) -> float:
        conn = await self._connect()
        table = f"raw_{kind.table}_{batch}"
        async with conn.cursor() as cur:
            await cur.execute(f"CREATE TABLE {table} LIKE {kind.table}")
            marks = ", ".join(["%s"] * len(kind.cols))
            sql = f"INSERT INTO {table} ({', '.join(kind.cols)}) VALUES ({marks})"
            t = time.perf_counter()
            for i in range(0, len(rows), batch):
                await cur.executemany(sql, rows[i : i + batch])
                await conn.commit()
            rate = len(rows) / (time.perf_counter() - t)
        conn.close()
        return rate


async def through_tpm(store: SqlStore, kind: Kind, items: Sequence[Any]) -> tuple[float, float]:
    """(rows/s, seconds spent queueing) for `items` through SqlStore, as the engine uses it.

    Rows are handed over in feed-sized batches and the store's own background writer flushes
    them (woken at `flush_rows` pending, or every flush interval), so a flush takes whatever
    is waiting. The clock stops when the last row is committed.
    """
    write = getattr(store, kind.write)
    batch = Config().store.flush_rows
    queue_s = 0.0
    t = time.perf_counter()
    for i in range(0, len(items), batch):
        q = time.perf_counter()
        for item in items[i : i + batch]:
            write(item)
        queue_s += time.perf_counter() - q
        await asyncio.sleep(0)  # the engine yields to other tasks between feed batches
    await store.flush()  # what is left, after the background flush in progress (same lock)
    assert store.write_behind.pending == 0
    return len(items) / (time.perf_counter() - t), queue_s


async def run_backend(url: str, raw: RawDb, kinds: list[Kind], n: int) -> dict[str, Any]:
    cfg = Config().store
    store = SqlStore(url, busy_timeout_ms=cfg.busy_timeout_ms, flush_rows=cfg.flush_rows)
    await store.open()
    out: dict[str, Any] = {}
    for kind in kinds:
        items = kind.make(n, random.Random(7))
        tpm_rate, queue_s = await through_tpm(store, kind, items)
        rows = await raw.read(kind)
        if len(rows) != n:
            raise RuntimeError(f"{kind.table}: tpm stored {len(rows)} rows, expected {n}")
        raw_rate = await raw.insert(kind, rows, len(rows))
        batched_rate = await raw.insert(kind, rows, cfg.flush_rows)
        ratio = tpm_rate / raw_rate
        out[kind.table] = {
            "tpm_rows_per_s": round(tpm_rate),
            "tpm_queue_s": round(queue_s, 3),
            "raw_rows_per_s": round(raw_rate),
            "ratio": round(ratio, 3),
            "raw_batched_rows_per_s": round(batched_rate),
        }
        say(
            f"  {kind.table:17} tpm {tpm_rate:>9,.0f} rows/s (queueing {queue_s:.2f} s)  "
            f"raw {raw_rate:>9,.0f} rows/s  ratio {ratio:.2f}  "
            f"(raw in {cfg.flush_rows:,}-row transactions {batched_rate:,.0f} rows/s)"
        )
    await store.close()
    return out


async def run_mysql(url: str, kinds: list[Kind], n: int) -> dict[str, Any]:
    base = make_url(url)
    scratch = base.set(database=f"tpm_bench_{os.getpid()}")
    admin = MysqlRaw(base)
    conn = await admin._connect()
    async with conn.cursor() as cur:
        await cur.execute(f"CREATE DATABASE {scratch.database}")
    try:
        return await run_backend(
            scratch.render_as_string(hide_password=False), MysqlRaw(scratch), kinds, n
        )
    finally:
        async with conn.cursor() as cur:
            await cur.execute(f"DROP DATABASE {scratch.database}")
        conn.close()


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    kinds = [KINDS[k] for k in args.kinds.split(",")]
    batch = Config().store.flush_rows
    figures: dict[str, Any] = {"benchmark": "store_writer", "rows": args.rows, "batch": batch}
    with tempfile.TemporaryDirectory(prefix="tpm-bench-", dir=args.dir) as tmp:
        tpm_db = Path(tmp) / "tpm.db"
        say(f"SQLite in {tmp}: {args.rows:,} rows per kind, tpm flushes every {batch:,} rows")
        figures["sqlite"] = await run_backend(
            f"sqlite+aiosqlite:///{tpm_db}", SqliteRaw(tpm_db), kinds, args.rows
        )
    if args.mysql:
        say(f"MySQL at {make_url(args.mysql).render_as_string()} (scratch database)")
        figures["mysql"] = await run_mysql(args.mysql, kinds, args.rows)
    bars = figures["sqlite"].get("bars")
    figures["ratio"] = bars["ratio"] if bars else None
    figures["meets_target"] = None if bars is None else bars["ratio"] >= 0.5
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=200_000, help="rows per kind")
    ap.add_argument("--kinds", default="bars,quotes,equity_snapshots")
    ap.add_argument("--dir", help="where the temp SQLite files go (default: the system temp dir)")
    ap.add_argument("--mysql", metavar="URL", help="also run against this MySQL/MariaDB server")
    figures = asyncio.run(main_async(ap.parse_args()))
    say(f"ratio tpm / raw for bars on SQLite = {figures['ratio']} (target >= 0.5)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
