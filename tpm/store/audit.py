"""The audit log: an append-only hash chain of security and trading events.

Each row's hash covers the previous row's hash and its own content, so editing or deleting a
row breaks every link after it. The chain's head is also kept in engine_state, locked while a
row is appended, so two processes appending at once cannot fork the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from tpm.store.mapping import upsert
from tpm.store.tables import AUDIT, ENGINE_STATE

__all__ = ["AUDIT_GENESIS", "HEAD_KEY", "ChainCheck", "append_audit", "audit_hash"]

AUDIT_GENESIS = "0" * 64
HEAD_KEY = "audit.head"


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
    q = select(head.c.value).where(head.c.key == HEAD_KEY).with_for_update()
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
    new_head = {"key": HEAD_KEY, "value": digest, "updated_ts": ts}
    await conn.execute(upsert(dialect, head), [new_head])
    return digest


class ChainCheck:
    """Walks the audit log's rows in id order (in as many batches as it likes) and finds the
    first broken link: a row whose hash is not its content's and its predecessor's, or a
    last row whose hash is not the head recorded beside the log (deleting the newest rows
    breaks that)."""

    def __init__(self) -> None:
        self._prev, self._last_id = AUDIT_GENESIS, None
        self.broken: str | None = None

    def add(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for r in rows:
            if self.broken is not None:
                return
            at = f"row {r['id']} ({r['ts'].astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC, {r['action']})"
            if r["prev_hash"] != self._prev:
                self.broken = f"{at} does not follow the row before it: a row was removed"
                return
            digest = audit_hash(
                self._prev,
                r["ts"],
                actor=r["actor"],
                action=r["action"],
                detail=r["detail"],
                origin=r["origin"],
            )
            if r["hash"] != digest:
                self.broken = f"{at} was changed after it was written"
                return
            self._prev, self._last_id = digest, r["id"]

    def finish(self, head: str | None) -> str | None:
        """The first broken link in a sentence, or None when the chain is whole."""
        if self.broken is None and (head or AUDIT_GENESIS) != self._prev:
            last = self._last_id
            end = "the log is empty" if last is None else f"the log ends at row {last}"
            self.broken = f"{end}, but more was written: the newest rows were removed"
        return self.broken
