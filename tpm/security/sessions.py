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
    links: int = 0
    """The connections acting for it now (a remote client's; the local app's counts too)."""
    left_ns: int = 0
    """When its last connection dropped (0 while one is on it): it may be taken up again
    for a while, then it ends."""
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
        reattach_s: float = 10 * 60,
    ) -> None:
        self._clock = clock
        self.idle_ns, self.absolute_ns = int(idle_s * _NS), int(absolute_s * _NS)
        self.reattach_ns = int(reattach_s * _NS)
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
        s = self.alive(token)  # an ended one stays until the next login, to say why it ended
        if s is not None:
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
        if s.left_ns and now - s.left_ns >= self.reattach_ns:
            return (
                f"the session's connection dropped over {self.reattach_ns / _NS / 60:g} minutes ago"
            )
        return None

    def why_ended(self, token: str) -> str | None:
        """Why the session of `token` ended, while that is still known (until it is cleared
        out at the next login)."""
        s = self._by_token.get(token)
        return None if s is None else self.expiry(s)

    def link(self, s: Session) -> None:
        """A connection acts for `s` (a login, or a reattach)."""
        s.links += 1
        s.left_ns = 0

    def unlink(self, s: Session) -> None:
        """A connection acting for `s` dropped; with none left, the reattach clock starts."""
        s.links = max(0, s.links - 1)
        if s.links == 0:
            s.left_ns = self._clock()

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
        """The live sessions."""
        return sum(self.expiry(s) is None for s in self._by_token.values())
