"""Users as the store keeps them: a role, a password hash, a second factor, lockout tallies."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["Identity", "LoginAnswer", "Role", "UserRecord"]


class Role(StrEnum):
    """What a user may do, each role all the one before may and more."""

    VIEWER = "viewer"  # sees everything, changes nothing
    TRADER = "trader"  # orders, strategies, the kill switch
    ADMIN = "admin"  # users, settings, risk limits


@dataclass(frozen=True, slots=True)
class UserRecord:
    name: str
    role: Role
    password_hash: str
    created_ns: int
    totp_secret: str = ""
    """Base32; set at enrolment, in force only once `totp_enabled` (a first code was right)."""
    totp_enabled: bool = False
    totp_last_step: int = -1
    """The last 30-second step whose code was accepted: a code is good once (replay guard)."""
    recovery_hashes: tuple[str, ...] = ()
    """Hashes of the one-time recovery codes not used yet."""
    failures: tuple[int, ...] = field(default=())
    """When the recent failed logins happened (ns), oldest first; cleared by a success."""


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is logged in to an engine, and from where."""

    user: str
    role: Role
    origin: str


@dataclass(frozen=True, slots=True)
class LoginAnswer:
    """What a login step came to: in (`who` is set), the code is next, or refused."""

    who: Identity | None = None
    needs_code: bool = False
    refusal: str = ""
    reattach: str = ""
    """Once in: what takes this session up again over a new connection, should the one it
    came on drop (a remote engine; the session's timeouts keep running meanwhile)."""
