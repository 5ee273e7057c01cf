"""Users and the audit log's reading side, on the SQL store's foundation."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from tpm.domain import dt_to_ns, ns_to_dt
from tpm.domain.audit import AuditEvent
from tpm.domain.users import Role, UserRecord
from tpm.store import mapping
from tpm.store.audit import HEAD_KEY, ChainCheck
from tpm.store.sql_base import SqlBase
from tpm.store.tables import AUDIT, ENGINE_STATE, USERS

__all__ = ["SqlUsers"]

_AUDIT_BATCH = 5000


class SqlUsers(SqlBase):
    async def load_user(self, name: str) -> UserRecord | None:
        async def fn(conn: AsyncConnection) -> UserRecord | None:
            row = (await conn.execute(select(USERS).where(USERS.c.name == name))).first()
            return None if row is None else _user(row._mapping)

        return await self._read(fn)

    async def load_users(self) -> list[UserRecord]:
        async def fn(conn: AsyncConnection) -> list[UserRecord]:
            rows = await conn.execute(select(USERS).order_by(USERS.c.name))
            return [_user(r._mapping) for r in rows]

        return await self._read(fn)

    async def count_users(self) -> int:
        async def fn(conn: AsyncConnection) -> int:
            return int((await conn.execute(select(func.count()).select_from(USERS))).scalar_one())

        return await self._read(fn)

    async def save_user(self, user: UserRecord, audit: tuple[str, str, str, str] | None) -> None:
        """Write `user` and, in the same transaction, its audit entry (actor, action, detail,
        origin): a change is in the log exactly when it is in the table."""
        row = {
            "name": user.name,
            "role": user.role.value,
            "password_hash": user.password_hash,
            "created_ts": ns_to_dt(user.created_ns),
            "totp_secret": user.totp_secret,
            "totp_enabled": user.totp_enabled,
            "totp_last_step": user.totp_last_step,
            "recovery_hashes": json.dumps(list(user.recovery_hashes)),
            "failures": json.dumps(list(user.failures)),
        }

        async def fn(conn: AsyncConnection) -> None:
            await conn.execute(mapping.upsert(self.dialect, USERS), [row])
            if audit is not None:
                await self._append(conn, *audit)

        await self._write(f"saving user {user.name}", fn)

    async def delete_user(self, name: str, audit: tuple[str, str, str, str]) -> bool:
        async def fn(conn: AsyncConnection) -> bool:
            gone = (await conn.execute(USERS.delete().where(USERS.c.name == name))).rowcount
            if gone:
                await self._append(conn, *audit)
            return bool(gone)

        return await self._write(f"removing user {name}", fn)

    async def load_audit(self, since_ns: int | None = None, limit: int = 1000) -> list[AuditEvent]:
        """The newest `limit` entries since `since_ns` (all when None), oldest first."""

        async def fn(conn: AsyncConnection) -> list[AuditEvent]:
            q = select(AUDIT).order_by(AUDIT.c.id.desc()).limit(limit)
            if since_ns is not None:
                q = q.where(AUDIT.c.ts >= ns_to_dt(since_ns))
            rows = [r._mapping for r in await conn.execute(q)]
            return [_event(r) for r in reversed(rows)]

        return await self._read(fn)

    async def audit_break(self) -> tuple[int, str | None]:
        """How many entries the audit log holds, and its first broken link (None: intact)."""

        async def fn(conn: AsyncConnection) -> tuple[int, str | None]:
            head_q = select(ENGINE_STATE.c.value).where(ENGINE_STATE.c.key == HEAD_KEY)
            head = (await conn.execute(head_q)).scalar_one_or_none()
            count, after, check = 0, 0, ChainCheck()
            while check.broken is None:  # in batches: a long log is never held whole
                q = select(AUDIT).where(AUDIT.c.id > after).order_by(AUDIT.c.id)
                batch = [dict(r._mapping) for r in await conn.execute(q.limit(_AUDIT_BATCH))]
                if not batch:
                    break
                count += len(batch)
                after = batch[-1]["id"]
                check.add(batch)
            return count, check.finish(head)

        return await self._read(fn)


def _user(r: Any) -> UserRecord:
    return UserRecord(
        name=r["name"],
        role=Role(r["role"]),
        password_hash=r["password_hash"],
        created_ns=dt_to_ns(r["created_ts"]),
        totp_secret=r["totp_secret"],
        totp_enabled=bool(r["totp_enabled"]),
        totp_last_step=int(r["totp_last_step"]),
        recovery_hashes=tuple(json.loads(r["recovery_hashes"])),
        failures=tuple(int(t) for t in json.loads(r["failures"])),
    )


def _event(r: Any) -> AuditEvent:
    ts: datetime = r["ts"]
    return AuditEvent(
        id=int(r["id"]),
        ts_ns=dt_to_ns(ts.astimezone(UTC)),
        actor=r["actor"],
        action=r["action"],
        detail=r["detail"],
        origin=r["origin"],
    )
