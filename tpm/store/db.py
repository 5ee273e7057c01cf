"""Database engines: SQLite in WAL with one writer connection, or MySQL/MariaDB; retry policy.

SQLite gets two engines on the same file: a single-connection writer whose transactions begin
IMMEDIATE (so a write never fails half-way on a lock it could have waited for) and a small pool
of readers. With WAL, readers never block the writer and the writer never blocks readers.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from tpm.errors import StoreUnavailable

__all__ = ["Engines", "is_transient", "open_engines", "redact", "retrying"]

log = logging.getLogger("tpm.store")
T = TypeVar("T")

# MySQL client/server error codes that mean "try again": cannot connect, gone away, lost
# connection, lock wait timeout, deadlock, server shutting down.
_MYSQL_TRANSIENT = {1040, 1053, 1205, 1213, 2002, 2003, 2005, 2006, 2013, 2055}


@dataclass(frozen=True, slots=True)
class Engines:
    """The writer engine (all writes) and the reader engine (queries); the same on MySQL."""

    writer: AsyncEngine
    reader: AsyncEngine
    dialect: str

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()


def redact(url: str) -> str:
    """The URL with its password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable database URL>"


def open_engines(url: str, *, busy_timeout_ms: int = 5000) -> Engines:
    """Create engines for `url` (no connection is made until first use)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        writer = create_async_engine(
            url,
            poolclass=NullPool if ":memory:" in url else None,
            pool_size=1,
            max_overflow=0,
            pool_timeout=3600,
        )
        reader = create_async_engine(url, pool_size=4, max_overflow=4)
        _sqlite_pragmas(writer, busy_timeout_ms, begin="BEGIN IMMEDIATE")
        _sqlite_pragmas(reader, busy_timeout_ms, begin="BEGIN")
        return Engines(writer=writer, reader=reader, dialect="sqlite")
    if parsed.get_backend_name() in ("mysql", "mariadb"):
        engine = create_async_engine(url, pool_pre_ping=True, pool_recycle=3600)
        return Engines(writer=engine, reader=engine, dialect="mysql")
    raise StoreUnavailable(
        f"unsupported database URL {redact(url)}: use sqlite+aiosqlite:///FILE or "
        "mysql+asyncmy://USER:PASSWORD@HOST:PORT/DB"
    )


def _sqlite_pragmas(engine: AsyncEngine, busy_timeout_ms: int, *, begin: str) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own implicit BEGIN cannot be IMMEDIATE; take over transaction control.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        # FULL: a committed fill survives power loss, not only a crash of the process.
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)


def is_transient(exc: BaseException) -> bool:
    """True for errors that a later retry can cure: locks, lost or refused connections."""
    if isinstance(exc, OSError | ConnectionError | TimeoutError):
        return True
    if isinstance(exc, sqlite3.OperationalError):  # raised by the driver when used directly
        text = str(exc).lower()
        return "locked" in text or "busy" in text
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        orig = exc.orig
        text = str(orig).lower()
        if "database is locked" in text or "database is busy" in text or "disk i/o" in text:
            return True
        args = getattr(orig, "args", ())
        if args and isinstance(args[0], int) and args[0] in _MYSQL_TRANSIENT:
            return True
        if isinstance(exc, InterfaceError | OperationalError) and (
            "connect" in text or "lost connection" in text or "gone away" in text
        ):
            return True
    return False


async def retrying(
    what: str,
    op: Callable[[], Awaitable[T]],
    *,
    attempts: int | None = None,
    first_delay_s: float = 0.05,
    max_delay_s: float = 5.0,
    should_stop: Callable[[], bool] = lambda: False,
) -> T:
    """Run `op` until it succeeds, backing off on transient errors; others propagate at once.

    `attempts=None` retries for as long as `should_stop()` is false: used for fills and orders,
    which must never be dropped because the database was briefly locked or away.
    """
    delay = first_delay_s
    tried = 0
    while True:
        try:
            return await op()
        except Exception as exc:
            if not is_transient(exc):
                raise
            tried += 1
            if (attempts is not None and tried >= attempts) or should_stop():
                raise StoreUnavailable(f"{what}: database unavailable: {_brief(exc)}") from exc
            level = logging.WARNING if tried in (1, 5) or tried % 20 == 0 else logging.DEBUG
            log.log(
                level,
                "%s: database unavailable (%s); retry %d in %.2fs",
                what,
                _brief(exc),
                tried,
                delay,
            )
            await asyncio.sleep(delay * (0.8 + 0.4 * random.random()))
            delay = min(delay * 2, max_delay_s)


def _brief(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return " ".join(str(orig).split())[:200] or type(orig).__name__
