"""The audit log: an append-only hash chain of security and trading events.

Each row's hash covers the previous row's hash and its own content, so editing or deleting a
row breaks every link after it. The chain's head is also kept in engine_state, locked while a
row is appended, so two processes appending at once cannot fork the chain.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from tpm.store.mapping import upsert
from tpm.store.tables import AUDIT, ENGINE_STATE

__all__ = ["AUDIT_GENESIS", "append_audit", "audit_hash"]

AUDIT_GENESIS = "0" * 64
_HEAD = "audit.head"


def audit_hash(
    prev_hash: str, ts: datetime, *, actor: str, action: str, detail: str, origin: str
) -> str:
    """The chain link: SHA-256 over the previous hash and this row's content."""
    stamp = ts.astimezone(UTC).isoformat(timespec="microseconds")
    body = json.dumps([prev_hash, stamp, actor, action, detail, origin], separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


async def append_audit(
    conn: AsyncConnection, dialect: str, *, actor: str, action: str, detail: str, origin: str
) -> str:
    """Append one row inside the caller's write transaction; returns its hash."""
    head = ENGINE_STATE
    # FOR UPDATE serialises appends on MySQL; SQLite's BEGIN IMMEDIATE already has.
    q = select(head.c.value).where(head.c.key == _HEAD).with_for_update()
    row = (await conn.execute(q)).first()
    prev = AUDIT_GENESIS if row is None else str(row[0])
    ts = datetime.now(UTC)
    digest = audit_hash(prev, ts, actor=actor, action=action, detail=detail, origin=origin)
    await conn.execute(
        AUDIT.insert().values(
            ts=ts,
            actor=actor,
            action=action,
            detail=detail,
            origin=origin,
            prev_hash=prev,
            hash=digest,
        )
    )
    await conn.execute(upsert(dialect, head), [{"key": _HEAD, "value": digest, "updated_ts": ts}])
    return digest
