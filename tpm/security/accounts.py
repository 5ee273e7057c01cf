"""Users and logins: adding and removing users, passwords, two-factor enrolment, the login
itself (password, then the code), and the checks every entry point asks before it acts.

A refused login never says whether the name or the password was wrong, and an unknown name
costs the same time and meets the same lockout as a known one. Every change and every login,
good or bad, is in the audit log; a user's change and its log entry are one transaction.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from tpm.domain.users import Role, UserRecord
from tpm.errors import AccessDenied, AccountError, ConfirmationNeeded, LoginNeeded
from tpm.security import lockout, totp
from tpm.security.passwords import MAX_LENGTH, Hasher, password_problem
from tpm.security.qr import qr_lines
from tpm.security.roles import Action, allowed, needed_role
from tpm.security.sessions import Session, Sessions

__all__ = ["REFUSED", "Accounts", "Enrolment", "LoginStep", "UserStore", "name_problem", "role_of"]

REFUSED = "wrong user name, password or code"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
_TICKET_NS = 5 * 60 * 1_000_000_000  # the code must follow the password within five minutes
_UNKNOWN_KEPT = 10_000  # failure tallies of names that are not users, newest kept
_RECHECK_NS = 5 * 1_000_000_000  # how often a session looks at its user in the store

Audit = tuple[str, str, str, str]  # actor, action, detail, origin


class UserStore(Protocol):
    async def load_user(self, name: str) -> UserRecord | None: ...
    async def load_users(self) -> list[UserRecord]: ...
    async def count_users(self) -> int: ...
    async def save_user(self, user: UserRecord, audit: Audit | None) -> None: ...
    async def delete_user(self, name: str, audit: Audit) -> bool: ...
    async def audit(self, actor: str, action: str, detail: str, origin: str = "local") -> None: ...


@dataclass(frozen=True, slots=True)
class LoginStep:
    """Where a login stands: a session (done), a ticket (the code is next), or a refusal."""

    session: Session | None = None
    ticket: str = ""
    refusal: str = ""
    wait_s: float = 0.0
    """When refused for too many failures: how long before the next attempt is heard."""


@dataclass(frozen=True, slots=True)
class Enrolment:
    user: str
    secret: str
    uri: str
    qr: list[str]


@dataclass(frozen=True, slots=True)
class _Ticket:
    user: str
    origin: str
    expires_ns: int


class Accounts:
    def __init__(
        self,
        store: UserStore,
        hasher: Hasher | None = None,
        sessions: Sessions | None = None,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self._store = store
        self._hasher = hasher or Hasher()
        self._clock = clock
        self.sessions = sessions or Sessions(clock)
        self._tickets: dict[str, _Ticket] = {}
        self._unknown: OrderedDict[str, tuple[int, ...]] = OrderedDict()
        # One check of a secret at a time: a user's failure tally is read, checked and
        # written without a parallel guess in between, and hashing cannot crowd the engine.
        self._checking = asyncio.Lock()

    # -- users ---------------------------------------------------------------------------------

    async def users(self) -> list[UserRecord]:
        return await self._store.load_users()

    async def any_users(self) -> bool:
        return await self._store.count_users() > 0

    async def add(
        self, name: str, role: Role, password: str, *, actor: str, origin: str = "local"
    ) -> UserRecord:
        problem = name_problem(name)
        if problem is not None:
            raise AccountError(problem)
        if await self._store.load_user(name) is not None:
            raise AccountError(f"there is already a user {name}")
        self._check_password(password, name)
        user = UserRecord(name, role, self._hasher.hash(password), self._clock())
        await self._store.save_user(user, (actor, "user.add", f"{name} as {role}", origin))
        return user

    async def set_password(
        self, name: str, password: str, *, actor: str, origin: str = "local"
    ) -> None:
        user = await self._user(name)
        self._check_password(password, name)
        changed = replace(user, password_hash=self._hasher.hash(password), failures=())
        await self._store.save_user(changed, (actor, "user.passwd", name, origin))
        self.sessions.end_user(name)  # a new password logs the old sessions out

    async def remove(self, name: str, *, actor: str, origin: str = "local") -> None:
        users = await self._store.load_users()
        admins = [u.name for u in users if u.role is Role.ADMIN]
        if admins == [name] and len(users) > 1:  # nobody could manage the others any more
            raise AccountError(f"{name} is the last admin: add another admin first")
        if not await self._store.delete_user(name, (actor, "user.remove", name, origin)):
            raise AccountError(f"there is no user {name}")
        self.sessions.end_user(name)

    async def begin_totp(self, name: str) -> Enrolment:
        """A new secret for `name`, to show as a URI and a QR code; nothing changes until
        `enable_totp` hears a first good code made from it."""
        await self._user(name)
        secret = totp.new_secret()
        uri = totp.provisioning_uri(secret, name)
        return Enrolment(name, secret, uri, qr_lines(uri))

    async def enable_totp(
        self, name: str, secret: str, code: str, *, actor: str, origin: str = "local"
    ) -> list[str]:
        """Switch two-factor login on once `code` proves the app has `secret`; returns the ten
        recovery codes, shown once (only their hashes are kept)."""
        user = await self._user(name)
        check = totp.check_code(secret, code, self._clock(), -1)
        if not check.ok:
            raise AccountError("that code does not match the new secret; check the phone's clock")
        codes = totp.new_recovery_codes()
        changed = replace(
            user,
            totp_secret=secret,
            totp_enabled=True,
            totp_last_step=check.step,
            recovery_hashes=tuple(self._hasher.hash(c) for c in codes),
        )
        await self._store.save_user(changed, (actor, "user.2fa.enable", name, origin))
        return codes

    async def disable_totp(self, name: str, *, actor: str, origin: str = "local") -> None:
        user = await self._user(name)
        changed = replace(
            user, totp_secret="", totp_enabled=False, totp_last_step=-1, recovery_hashes=()
        )
        await self._store.save_user(changed, (actor, "user.2fa.disable", name, origin))

    # -- logging in ----------------------------------------------------------------------------

    async def login(self, name: str, password: str, origin: str = "local") -> LoginStep:
        """The first step: the password. Next comes the code when the user has two-factor
        login on (`second_factor` with the ticket), else a session."""
        if not _NAME.fullmatch(name) or len(password) > MAX_LENGTH:
            return LoginStep(refusal=REFUSED)  # no account can have it: nothing to count
        async with self._checking:
            return await self._login(name, password, origin)

    async def _login(self, name: str, password: str, origin: str) -> LoginStep:
        self._drop_expired_tickets()
        user = await self._store.load_user(name)
        failures = user.failures if user is not None else self._unknown.get(name, ())
        wait = lockout.wait_s(failures, self._clock())
        if wait > 0:
            return _throttled(wait)
        if user is None:
            await asyncio.to_thread(self._hasher.burn, password)
            self._unknown_failed(name)
            await self._store.audit(name, "login.failed", "no such user", origin)
            return LoginStep(refusal=REFUSED)
        if not await asyncio.to_thread(self._hasher.verify, user.password_hash, password):
            await self._failed(user, "wrong password", origin)
            return LoginStep(refusal=REFUSED)
        rehash = self._hasher.needs_rehash(user.password_hash)
        if rehash:  # the parameters rose since it was hashed
            user = replace(user, password_hash=self._hasher.hash(password))
        if user.totp_enabled:
            ticket = secrets.token_urlsafe(16)
            self._tickets[ticket] = _Ticket(name, origin, self._clock() + _TICKET_NS)
            if rehash:
                await self._store.save_user(user, (name, "user.rehash", "", origin))
            return LoginStep(ticket=ticket)
        return await self._logged_in(user, origin, "password")

    async def second_factor(self, ticket: str, code: str, origin: str = "local") -> LoginStep:
        """The second step: a six-digit code from the app, or one of the recovery codes."""
        if len(code) > 32:
            return LoginStep(refusal=REFUSED)
        async with self._checking:
            return await self._second_factor(ticket, code, origin)

    async def _second_factor(self, ticket: str, code: str, origin: str) -> LoginStep:
        self._drop_expired_tickets()
        t = self._tickets.get(ticket)
        if t is None or t.origin != origin:
            return LoginStep(refusal="the login took too long or was not begun: start again")
        user = await self._store.load_user(t.user)
        if user is None:  # removed in between
            self._tickets.pop(ticket, None)
            return LoginStep(refusal=REFUSED)
        wait = lockout.wait_s(user.failures, self._clock())
        if wait > 0:
            return _throttled(wait)
        if any(c.isalpha() for c in code):
            return await self._recovery(ticket, user, code, origin)
        check = totp.check_code(user.totp_secret, code, self._clock(), user.totp_last_step)
        if check.replay:
            await self._failed(user, f"a code of step {check.step} used again (replay)", origin)
            return LoginStep(refusal="that code was used already: wait for the next one")
        if not check.ok:
            await self._failed(user, "wrong code", origin)
            return LoginStep(refusal=REFUSED)
        self._tickets.pop(ticket, None)
        return await self._logged_in(replace(user, totp_last_step=check.step), origin, "code")

    async def reattach(self, token: str, origin: str) -> Session:
        """The session of `token`, taken up from `origin` (a new connection after one
        dropped): LoginNeeded when it has ended, by its timeouts, a logout or an account
        change. Its timeouts are not reset."""
        s = await self.check(token, touch=False)  # a reconnect is not the user's doing
        before, s.origin = s.origin, origin
        await self._store.audit(s.user, "session.reattached", f"from {before}", origin)
        return s

    async def logout(self, token: str) -> None:
        s = self.sessions.end(token)
        if s is not None:
            await self._store.audit(s.user, "logout", "", s.origin)

    async def confirm(self, token: str, secret: str) -> None:
        """The user proves it is them again (the code, or the password without two-factor
        login) before an action that asks for it; raises AccessDenied when wrong."""
        if len(secret) > MAX_LENGTH:
            raise AccessDenied("wrong password")
        async with self._checking:
            await self._confirm(token, secret)

    async def _confirm(self, token: str, secret: str) -> None:
        s = await self.check(token)
        user = await self._user(s.user)
        wait = lockout.wait_s(user.failures, self._clock())
        if wait > 0:
            raise AccessDenied(_throttled(wait).refusal)
        if user.totp_enabled:
            check = totp.check_code(user.totp_secret, secret, self._clock(), user.totp_last_step)
            if not check.ok:
                why = "replay" if check.replay else "wrong code"
                await self._failed(user, f"confirmation: {why}", s.origin)
                raise AccessDenied(
                    "that code was used already: wait for the next one"
                    if check.replay
                    else "wrong code"
                )
            user = replace(user, totp_last_step=check.step, failures=())
        elif await asyncio.to_thread(self._hasher.verify, user.password_hash, secret):
            user = replace(user, failures=())
        else:
            await self._failed(user, "confirmation: wrong password", s.origin)
            raise AccessDenied("wrong password")
        await self._store.save_user(user, (s.user, "confirm", "", s.origin))
        self.sessions.confirmed(s)

    async def audit(self, actor: str, action: str, detail: str, origin: str) -> None:
        await self._store.audit(actor, action, detail, origin)

    # -- authorisation -------------------------------------------------------------------------

    def session(self, token: str) -> Session:
        s = self.sessions.get(token)
        if s is None:
            raise self._ended(token)
        return s

    def _ended(self, token: str) -> LoginNeeded:
        why = self.sessions.why_ended(token) or "not logged in, or the session ended"
        return LoginNeeded(f"{why}: log in again")

    async def check(
        self,
        token: str,
        action: Action | None = None,
        *,
        confirmed: bool = False,
        touch: bool = True,
    ) -> Session:
        """`require`, and the user as the store now has them: a password changed, a role
        changed or the user removed (by `tpm user` in another process, say) ends the session
        within `_RECHECK_NS`. `touch=False` does not count as use (a screen's refresh)."""
        s = self.sessions.get(token) if touch else self.sessions.alive(token)
        if s is None:
            raise self._ended(token)
        now = self._clock()
        if now - s.checked_ns >= _RECHECK_NS:
            user = await self._store.load_user(s.user)
            if user is None or user.password_hash != s.proof or user.role is not s.role:
                self.sessions.end(token)
                raise LoginNeeded(f"{s.user}'s account changed: log in again")
            s.checked_ns = now
        if action is None:
            return s
        try:
            return self.require(token, action, confirmed=confirmed)
        except (LoginNeeded, ConfirmationNeeded):
            raise
        except AccessDenied:
            if action not in s.denied:  # once per session and action: a loop cannot flood the log
                s.denied.add(action)
                await self._store.audit(s.user, "access.denied", action.value, s.origin)
            raise

    def require(self, token: str, action: Action, *, confirmed: bool = False) -> Session:
        """The session of `token` when its role may do `action` (and, if `confirmed`, the
        user proved it was them within the last two minutes); AccessDenied otherwise."""
        s = self.session(token)
        if not allowed(s.role, action):
            raise AccessDenied(
                f"{s.user} is a {s.role}: {action.value.replace('_', ' ')} needs the "
                f"{needed_role(action)} role"
            )
        if confirmed and not self.sessions.is_fresh(s):
            raise ConfirmationNeeded(f"{action.value.replace('_', ' ')} asks for your code again")
        return s

    # -- helpers -------------------------------------------------------------------------------

    async def _user(self, name: str) -> UserRecord:
        user = await self._store.load_user(name)
        if user is None:
            raise AccountError(f"there is no user {name}")
        return user

    def _check_password(self, password: str, name: str) -> None:
        problem = password_problem(password, name)
        if problem is not None:
            raise AccountError(problem)

    async def _failed(self, user: UserRecord, why: str, origin: str) -> None:
        failures = lockout.failed(user.failures, self._clock())
        wait = lockout.wait_s(failures, self._clock())
        detail = f"{why} (failure {len(failures)}" + (
            f"; next attempt in {wait:.0f}s)" if wait > 0 else ")"
        )
        await self._store.save_user(
            replace(user, failures=failures), (user.name, "login.failed", detail, origin)
        )

    def _unknown_failed(self, name: str) -> None:
        self._unknown[name] = lockout.failed(self._unknown.pop(name, ()), self._clock())
        while len(self._unknown) > _UNKNOWN_KEPT:
            self._unknown.popitem(last=False)

    async def _recovery(self, ticket: str, user: UserRecord, code: str, origin: str) -> LoginStep:
        typed = totp.normal_recovery_code(code)
        verify = self._hasher.verify
        left = [h for h in user.recovery_hashes if not await asyncio.to_thread(verify, h, typed)]
        if len(left) == len(user.recovery_hashes):
            await self._failed(user, "wrong recovery code", origin)
            return LoginStep(refusal=REFUSED)
        self._tickets.pop(ticket, None)
        used = replace(user, recovery_hashes=tuple(left))
        return await self._logged_in(used, origin, f"recovery code ({len(left)} left)")

    async def _logged_in(self, user: UserRecord, origin: str, how: str) -> LoginStep:
        await self._store.save_user(
            replace(user, failures=()), (user.name, "login.ok", f"by {how}", origin)
        )
        s = self.sessions.open(user.name, user.role, origin)
        s.proof, s.checked_ns = user.password_hash, self._clock()
        return LoginStep(session=s)

    def _drop_expired_tickets(self) -> None:
        now = self._clock()
        for k in [k for k, t in self._tickets.items() if t.expires_ns <= now]:
            del self._tickets[k]


def _throttled(wait: float) -> LoginStep:
    return LoginStep(
        refusal=f"too many failed attempts: try again in {max(1, round(wait))} s", wait_s=wait
    )


def name_problem(name: str) -> str | None:
    if _NAME.fullmatch(name):
        return None
    return (
        f"user name {name!r}: 1 to 32 letters, digits, '_', '.' or '-', "
        "starting with a letter or digit"
    )


def role_of(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise AccountError(f"role {text!r}: one of {', '.join(r.value for r in Role)}") from None
