"""Login sessions: random 128-bit tokens that end after 30 idle minutes, 12 hours in all, or
at logout; and when the user last proved it was them (for actions that ask again)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from tpm.domain.users import Role

__all__ = ["Session", "Sessions"]

_NS = 1_000_000_000


@dataclass(slots=True)
class Session:
    token: str
    user: str
    role: Role
    origin: str
    created_ns: int
    seen_ns: int
    confirmed_ns: int
    """The last time the user gave a password or code: at login, or when asked again."""
    proof: str = ""
    """The user's password hash at login: a new password ends the session."""
    checked_ns: int = 0
    """When the user was last looked up in the store."""
    denied: set[str] = field(default_factory=set)
    """The actions refused to this session that the audit log already holds."""


class Sessions:
    """The sessions of one engine (in memory: a restart logs everyone out)."""

    def __init__(
        self,
        clock: Callable[[], int],
        idle_s: float = 30 * 60,
        absolute_s: float = 12 * 3600,
        confirm_s: float = 120,
    ) -> None:
        self._clock = clock
        self.idle_ns, self.absolute_ns = int(idle_s * _NS), int(absolute_s * _NS)
        self.confirm_ns = int(confirm_s * _NS)
        self._by_token: dict[str, Session] = {}

    def open(self, user: str, role: Role, origin: str) -> Session:
        now = self._clock()
        # Sessions left behind (dropped connections never taken up again) go as they expire.
        for token in [t for t, s in self._by_token.items() if self.expiry(s) is not None]:
            del self._by_token[token]
        s = Session(secrets.token_urlsafe(16), user, role, origin, now, now, now)
        self._by_token[s.token] = s
        return s

    def get(self, token: str) -> Session | None:
        """The live session of `token`, marked as used now; None when unknown or expired."""
        s = self._by_token.get(token)
        if s is None:
            return None
        if self.expiry(s) is not None:
            del self._by_token[token]
            return None
        s.seen_ns = self._clock()
        return s

    def alive(self, token: str) -> Session | None:
        """The session of `token` if it has not ended, without counting this as use (a
        screen refreshing itself is not the user at the keyboard)."""
        s = self._by_token.get(token)
        if s is None or self.expiry(s) is not None:
            return None
        return s

    def expiry(self, s: Session) -> str | None:
        """Why `s` has ended, if it has."""
        now = self._clock()
        if now - s.created_ns >= self.absolute_ns:
            return f"the session reached its limit of {self.absolute_ns / _NS / 3600:g} hours"
        if now - s.seen_ns >= self.idle_ns:
            return f"the session was idle for {self.idle_ns / _NS / 60:g} minutes"
        return None

    def confirmed(self, s: Session) -> None:
        s.confirmed_ns = self._clock()

    def is_fresh(self, s: Session) -> bool:
        """Whether the user proved it was them within the last two minutes."""
        return self._clock() - s.confirmed_ns < self.confirm_ns

    def end(self, token: str) -> Session | None:
        return self._by_token.pop(token, None)

    def end_user(self, user: str) -> int:
        """End every session of `user` (removed, or a new password); returns how many."""
        gone = [t for t, s in self._by_token.items() if s.user == user]
        for t in gone:
            del self._by_token[t]
        return len(gone)

    def __len__(self) -> int:
        return len(self._by_token)
