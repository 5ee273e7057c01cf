"""The SQL store's foundation: engines, migrations, one writer, retries, and small state.

Every write goes through `_write`: the single writer connection, under a lock, retried on
transient errors until it commits (a locked or unreachable database delays a write, never
loses it). Reads use their own connections and never block the writer (WAL on SQLite).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from tpm.errors import StoreUnavailable
from tpm.store import mapping
from tpm.store.audit import append_audit
from tpm.store.db import Engines, open_engines, redact, retrying
from tpm.store.migrate import upgrade
from tpm.store.tables import COMMANDS, ENGINE_STATE
from tpm.store.writer import WriteBehind

__all__ = ["SqlBase"]

log = logging.getLogger("tpm.store")
T = TypeVar("T")


class SqlBase:
    """Connection, lifecycle, key-value state, the audit log and the command queue."""

    def __init__(
        self,
        url: str,
        *,
        busy_timeout_ms: int = 5000,
        flush_interval_s: float = 0.1,
        flush_rows: int = 1000,
        connect_timeout_s: float | None = None,
    ) -> None:
        self.url = url
        self._busy_timeout_ms = busy_timeout_ms
        self._flush_interval_s = flush_interval_s
        self._flush_rows = flush_rows
        self._connect_timeout_s = connect_timeout_s
        self._engines: Engines | None = None
        self._lock = asyncio.Lock()
        self._writes: set[asyncio.Future[Any]] = set()
        self._closing = False
        self._writer: WriteBehind | None = None
        self._flusher: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def dialect(self) -> str:
        return self._e.dialect

    @property
    def write_behind(self) -> WriteBehind:
        if self._writer is None:
            raise RuntimeError("store is not open")
        return self._writer

    @property
    def _e(self) -> Engines:
        if self._engines is None:
            raise RuntimeError("store is not open")
        return self._engines

    async def open(self) -> None:
        """Connect (retrying with backoff while the server is away) and apply migrations."""
        self._engines = open_engines(self.url, busy_timeout_ms=self._busy_timeout_ms)
        deadline = (
            None if self._connect_timeout_s is None else time.monotonic() + self._connect_timeout_s
        )
        try:
            await retrying(
                f"connecting to {redact(self.url)}",
                lambda: upgrade(self._e.writer),
                first_delay_s=0.5,
                max_delay_s=10.0,
                should_stop=lambda: (
                    self._closing or (deadline is not None and time.monotonic() > deadline)
                ),
            )
        except StoreUnavailable:
            await self._e.dispose()
            raise
        self._writer = WriteBehind(
            self._e.writer,
            self._e.dialect,
            self._lock,
            interval_s=self._flush_interval_s,
            max_rows=self._flush_rows,
            should_stop=lambda: self._closing,
        )
        self._flusher = asyncio.create_task(self._writer.run(), name="store-write-behind")

    async def close(self) -> None:
        """Flush what is queued and disconnect."""
        if self._flusher is not None:
            assert self._writer is not None
            self._writer.stop()
            await self._flusher
            self._flusher = None
        if self._writer is not None and self._writer.pending:
            try:
                await self._writer.flush()
            except Exception as exc:
                log.error(
                    "could not write %d buffered rows at close: %s", self._writer.pending, exc
                )
        # Writes whose callers were cancelled finish first; closing ends their retries, so
        # a database that is away cannot hold the stop up.
        self._closing = True
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
        if self._engines is not None:
            await self._engines.dispose()
            self._engines = None

    async def _write(self, what: str, fn: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """One write transaction through the single writer, retried until it commits.

        A write once begun runs to its end even if the caller is cancelled (an engine
        stopping cancels its tasks): cut off inside the driver, it could leave the one
        writer connection checked out for good, and every later write waiting on it.
        """

        async def attempt() -> T:
            async with self._lock, self._e.writer.begin() as conn:
                return await fn(conn)

        task = asyncio.ensure_future(retrying(what, attempt, should_stop=lambda: self._closing))
        self._writes.add(task)
        task.add_done_callback(self._write_done)
        return await asyncio.shield(task)

    def _write_done(self, task: asyncio.Future[Any]) -> None:
        self._writes.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # Its caller may be gone (cancelled): the failure is told here, not lost.
            log.error("store write failed: %s", task.exception())

    async def _read(self, fn: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        async def attempt() -> T:
            async with self._e.reader.connect() as conn:
                return await fn(conn)

        return await retrying("query", attempt, attempts=8)

    # -- state and audit -----------------------------------------------------------------------

    async def get_state(self, key: str) -> str | None:
        t = ENGINE_STATE

        async def fn(conn: AsyncConnection) -> str | None:
            row = (await conn.execute(select(t.c.value).where(t.c.key == key))).first()
            return None if row is None else str(row[0])

        return await self._read(fn)

    async def set_state(self, key: str, value: str) -> None:
        row = {"key": key, "value": value, "updated_ts": datetime.now(UTC)}

        async def fn(conn: AsyncConnection) -> None:
            await conn.execute(mapping.upsert(self.dialect, ENGINE_STATE), [row])

        await self._write(f"saving state {key}", fn)

    async def audit(self, actor: str, action: str, detail: str, origin: str = "local") -> None:
        async def fn(conn: AsyncConnection) -> None:
            await self._append(conn, actor, action, detail, origin)

        await self._write(f"audit {action}", fn)

    async def _append(
        self, conn: AsyncConnection, actor: str, action: str, detail: str, origin: str
    ) -> None:
        """An audit entry inside the caller's write transaction."""
        await append_audit(
            conn, self.dialect, actor=actor, action=action, detail=detail, origin=origin
        )

    # -- commands from other processes ---------------------------------------------------------

    async def enqueue_command(self, actor: str, action: str, payload: str = "{}") -> int:
        """Ask the running engine to do something; returns the command's id."""

        async def fn(conn: AsyncConnection) -> int:
            result = await conn.execute(
                COMMANDS.insert().values(
                    ts=datetime.now(UTC), actor=actor, action=action, payload=payload
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

        return await self._write(f"command {action}", fn)

    async def pending_commands(self) -> list[dict[str, Any]]:
        async def fn(conn: AsyncConnection) -> list[dict[str, Any]]:
            q = select(COMMANDS).where(COMMANDS.c.status == "pending").order_by(COMMANDS.c.id)
            return [dict(r._mapping) for r in await conn.execute(q)]

        return await self._read(fn)

    async def finish_command(self, command_id: int, status: str, result: str) -> None:
        async def fn(conn: AsyncConnection) -> None:
            await conn.execute(
                COMMANDS.update()
                .where(COMMANDS.c.id == command_id)
                .values(status=status, result=result, done_ts=datetime.now(UTC))
            )

        await self._write(f"finishing command {command_id}", fn)

    async def command(self, command_id: int) -> dict[str, Any] | None:
        async def fn(conn: AsyncConnection) -> dict[str, Any] | None:
            row = (await conn.execute(select(COMMANDS).where(COMMANDS.c.id == command_id))).first()
            return None if row is None else dict(row._mapping)

        return await self._read(fn)

    async def integrity_check(self) -> str:
        """SQLite's PRAGMA integrity_check ("ok" when sound); "ok" on other backends."""
        if self.dialect != "sqlite":
            return "ok"

        async def fn(conn: AsyncConnection) -> str:
            return str((await conn.exec_driver_sql("PRAGMA integrity_check")).scalar())

        return await self._read(fn)
