"""The audit log's chain on a real database: intact, then each way of tampering with it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete, update

from tpm.domain.users import Role, UserRecord
from tpm.store.sql_store import SqlStore
from tpm.store.tables import AUDIT, USERS

T0 = 1_800_000_000_000_000_000


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[SqlStore]:
    s = SqlStore(db_url, flush_interval_s=60)
    await s.open()
    yield s
    await s.close()


async def _five(store: SqlStore) -> None:
    for i in range(5):
        await store.audit(f"user{i}", "order.sent", f"buy {i} ACME", "10.0.0.5")


async def test_an_intact_log_verifies_and_lists(store: SqlStore) -> None:
    assert await store.audit_break() == (0, None)
    await _five(store)
    assert await store.audit_break() == (5, None)
    events = await store.load_audit()
    assert [e.detail for e in events] == [f"buy {i} ACME" for i in range(5)]
    assert events[0].origin == "10.0.0.5" and events[0].ts_ns > T0 // 2
    assert [e.detail for e in await store.load_audit(limit=2)] == ["buy 3 ACME", "buy 4 ACME"]
    assert await store.load_audit(since_ns=events[-1].ts_ns + 1_000) == []  # µs in the store


async def test_an_edited_row_is_found(store: SqlStore) -> None:
    await _five(store)
    async with store._e.writer.begin() as conn:
        await conn.execute(update(AUDIT).where(AUDIT.c.id == 3).values(detail="buy 300 ACME"))
    n, broken = await store.audit_break()
    assert n == 5 and broken is not None
    assert broken.startswith("row 3 (") and "was changed after it was written" in broken


async def test_a_removed_row_is_found(store: SqlStore) -> None:
    await _five(store)
    async with store._e.writer.begin() as conn:
        await conn.execute(delete(AUDIT).where(AUDIT.c.id == 2))
    broken = (await store.audit_break())[1]
    assert broken is not None and broken.startswith("row 3 (") and "removed" in broken


async def test_removing_the_newest_rows_is_found(store: SqlStore) -> None:
    await _five(store)
    async with store._e.writer.begin() as conn:
        await conn.execute(delete(AUDIT).where(AUDIT.c.id >= 4))
    broken = (await store.audit_break())[1]
    assert broken == "the log ends at row 3, but more was written: the newest rows were removed"


async def test_a_user_change_and_its_entry_are_one_write(store: SqlStore) -> None:
    user = UserRecord("ann", Role.TRADER, "$argon2id$x", T0, failures=(T0, T0 + 1))
    await store.save_user(user, ("cli:root", "user.add", "ann as trader", "local"))
    assert await store.load_user("ann") == user
    assert [e.action for e in await store.load_audit()] == ["user.add"]
    assert await store.delete_user("ann", ("cli:root", "user.remove", "ann", "local"))
    assert not await store.delete_user("ann", ("cli:root", "user.remove", "ann", "local"))
    assert [e.action for e in await store.load_audit()] == ["user.add", "user.remove"]
    async with store._e.reader.connect() as conn:
        assert (await conn.execute(USERS.select())).first() is None
