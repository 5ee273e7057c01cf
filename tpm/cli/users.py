"""tpm user (add, passwd, 2fa, list, remove) and tpm audit (list, verify).

Passwords and codes are asked at the terminal without echo; from a pipe, one per line (for
scripts and provisioning), never from the command line where `ps` and shell history see them.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import re
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from tpm.domain import ns_to_iso
from tpm.errors import AccessDenied, ConfigError, TpmError

if TYPE_CHECKING:
    from tpm.config import Config, Paths
    from tpm.security.accounts import Accounts
    from tpm.security.roles import Action
    from tpm.store.sql_store import SqlStore

__all__ = ["add_parsers", "audit_command", "logged_in", "parse_since", "user_command"]

T = TypeVar("T")
_UNITS = {"m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400}


def add_parsers(sub: Any) -> None:
    user = sub.add_parser(
        "user",
        help="add, change, list and remove the users who may log in",
        description="Users log in to the app and to a remote engine. With no user the local "
        "app opens straight away; once one exists it asks for a login. Roles: viewer (sees), "
        "trader (trades, runs strategies, halts), admin (also users, settings, risk limits).",
    )
    do = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = do.add_parser("add", help="add a user (asks for the password)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=["viewer", "trader", "admin"])
    do.add_parser("passwd", help="set a user's password").add_argument("name")
    two = do.add_parser("2fa", help="switch two-factor login (TOTP codes) on or off")
    two.add_argument("switch", choices=["enable", "disable"])
    two.add_argument("name")
    do.add_parser("list", help="every user, role and two-factor state").add_argument(
        "--json", action="store_true", help="print JSON instead of a table"
    )
    do.add_parser("remove", help="remove a user (and end their sessions)").add_argument("name")
    for action in do.choices.values():
        _acting_user(action)

    audit = sub.add_parser(
        "audit",
        help="the audit log: list events, or verify that nobody changed it",
        description="Every login, order, halt and settings change is logged in a hash chain. "
        "`tpm audit` lists events; `tpm audit verify` reports the first broken link.",
    )
    audit.add_argument("action", nargs="?", choices=["list", "verify"], default="list")
    audit.add_argument(
        "--since",
        metavar="WHEN",
        help="only events since: 30m, 12h, 1d, 2w ago, or a date (2026-12-01)",
    )
    audit.add_argument(
        "--limit", type=int, default=1000, help="at most this many events (default 1000)"
    )
    audit.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _acting_user(audit)


def _acting_user(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--user",
        metavar="NAME",
        dest="acting_user",
        help="who gives the command, once the store has users (asks the password and code); "
        "an admin, or anyone for their own password and two-factor login",
    )


def user_command(args: argparse.Namespace, config: Config, paths: Paths) -> int:
    return _with_accounts(config, paths, lambda accounts, store: _user(args, accounts, store))


def audit_command(args: argparse.Namespace, config: Config, paths: Paths) -> int:
    async def run(accounts: Accounts, store: SqlStore) -> int:
        from tpm.security.roles import Action

        await _login(accounts, lambda _: Action.READ_AUDIT, args.acting_user)
        return await _audit(args, store)

    return _with_accounts(config, paths, run)


def parse_since(text: str, now_ns: int) -> int:
    """ns since the epoch of "30m", "12h", "1d", "2w" ago, or of a date or date-time (UTC)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*", text)
    if m:
        return now_ns - int(float(m[1]) * _UNITS[m[2]] * 1_000_000_000)
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"--since {text!r}: a duration (30m, 12h, 1d, 2w) or a date (2026-12-01)"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1_000_000_000)


def _with_accounts(
    config: Config, paths: Paths, fn: Callable[[Accounts, SqlStore], Awaitable[int]]
) -> int:
    async def run() -> int:
        from tpm.cli.wiring import build_accounts, build_store

        store = build_store(config, paths)
        await store.open()
        try:
            return await fn(build_accounts(config, store), store)
        finally:
            await store.close()

    return asyncio.run(run())


async def _user(args: argparse.Namespace, accounts: Accounts, store: SqlStore) -> int:
    from tpm.security.accounts import name_problem, role_of
    from tpm.security.roles import Action

    what = args.user_command
    target = getattr(args, "name", None)

    def needed(who: str) -> Action:
        own = what in ("passwd", "2fa") and who == target
        return Action.CHANGE_OWN_LOGIN if own else Action.MANAGE_USERS

    who = await _login(accounts, needed, args.acting_user)
    if who is None and what == "add" and args.role != "admin":
        raise TpmError(
            "the first user must be an admin, who adds the others: tpm user add NAME --role admin"
        )
    actor = who or f"cli:{getpass.getuser()}"
    if what == "list":
        users = await accounts.users()
        if args.json:
            print(json.dumps([_user_json(u) for u in users]))
        elif not users:
            print("no users: the local app opens without a login (add one with tpm user add)")
        else:
            print(_users_table(users))
        return 0
    if what == "add":
        problem = name_problem(args.name)
        if problem is not None:
            raise TpmError(problem)
        password = _new_password(args.name)
        await accounts.add(args.name, role_of(args.role), password, actor=actor, origin="cli")
        print(f"added {args.name} as {args.role}")
    elif what == "passwd":
        await accounts.set_password(args.name, _new_password(args.name), actor=actor, origin="cli")
        print(f"password of {args.name} changed; their sessions ended")
    elif what == "remove":
        await accounts.remove(args.name, actor=actor, origin="cli")
        print(f"removed {args.name}")
    elif args.switch == "disable":
        await accounts.disable_totp(args.name, actor=actor, origin="cli")
        print(f"two-factor login off for {args.name}")
    else:
        await _enable_totp(accounts, args.name, actor)
    return 0


async def _enable_totp(accounts: Accounts, name: str, actor: str) -> None:
    enrol = await accounts.begin_totp(name)
    tty = sys.stdout.isatty()
    print(f"Scan this with an authenticator app for {name} (or type the secret in):\n")
    for line in enrol.qr:  # dark on light, as scanners expect
        print(f"  \x1b[30;47m{line}\x1b[0m" if tty else f"  {line}")
    print(f"\n  secret: {enrol.secret}\n  {enrol.uri}\n")
    code = _ask("Code shown by the app: ", secret=False)
    codes = await accounts.enable_totp(name, enrol.secret, code, actor=actor, origin="cli")
    print(f"\nTwo-factor login is on for {name}. Recovery codes, each good once, shown only now:")
    for c in codes:
        print(f"  {c}")
    print("Keep them somewhere safe: one logs in when the phone is not at hand.")


async def _audit(args: argparse.Namespace, store: SqlStore) -> int:
    if args.action == "verify":
        count, broken = await store.audit_break()
        if broken is None:
            print(f"audit log intact: {count} entries, every link holds")
            return 0
        print(f"audit log BROKEN: {broken}", file=sys.stderr)
        return 1
    if args.limit < 1:
        raise ConfigError(f"--limit {args.limit}: at least 1")
    since = None if args.since is None else parse_since(args.since, time.time_ns())
    events = await store.load_audit(since, args.limit)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": e.id,
                        "ts": ns_to_iso(e.ts_ns),
                        "actor": e.actor,
                        "action": e.action,
                        "detail": e.detail,
                        "origin": e.origin,
                    }
                    for e in events
                ]
            )
        )
        return 0
    if not events:
        print("no audit events" + ("" if args.since is None else f" since {args.since}"))
        return 0
    rows = [
        (ns_to_iso(e.ts_ns)[:19].replace("T", " "), e.actor, e.action, e.origin, e.detail)
        for e in events
    ]
    print(_table(("time (UTC)", "who", "what", "from", "detail"), rows))
    return 0


async def logged_in(store: SqlStore, config: Config, command: str, user: str | None) -> str | None:
    """Who gives a command that acts on the engine (halt, resume, order); see `_login`."""
    from tpm.cli.wiring import build_accounts
    from tpm.security.roles import Action

    action = {"halt": Action.HALT, "resume": Action.RESUME, "order": Action.SUBMIT_ORDER}
    return await _login(build_accounts(config, store), lambda _: action[command], user)


async def _login(
    accounts: Accounts, needed: Callable[[str], Action], user: str | None
) -> str | None:
    """Once the store has users, a command is given by one of them, as in the app: name,
    password, the code if two-factor login is on, and a role that may do `needed(name)`.
    Returns who (None: no users yet, the OS user acts)."""
    if not await accounts.any_users():
        return None
    name = user or _ask("User: ", secret=False)
    step = await accounts.login(name, _ask("Password: ", secret=True), "cli")
    if step.ticket:
        step = await accounts.second_factor(step.ticket, _ask("Code: ", secret=False), "cli")
    if step.session is None:
        raise AccessDenied(step.refusal)
    try:
        await accounts.check(step.session.token, needed(name))
    finally:
        await accounts.logout(step.session.token)
    return name


def _new_password(name: str) -> str:
    from tpm.security.passwords import password_problem

    first = _ask(f"New password for {name}: ", secret=True)
    problem = password_problem(first, name)
    if problem is not None:
        raise TpmError(problem)
    if sys.stdin.isatty() and _ask("Again: ", secret=True) != first:
        raise TpmError("the two passwords differ; nothing changed")
    return first


def _ask(prompt: str, *, secret: bool) -> str:
    sys.stdout.flush()  # what the answer depends on (the enrolment secret) is out first
    if sys.stdin.isatty():
        return getpass.getpass(prompt) if secret else input(prompt)
    line = sys.stdin.readline()
    if not line:
        raise TpmError(f"{prompt.strip().rstrip(':')}: nothing on standard input")
    return line.rstrip("\r\n")


def _user_json(u: Any) -> dict[str, Any]:
    return {
        "name": u.name,
        "role": u.role.value,
        "two_factor": u.totp_enabled,
        "recovery_codes_left": len(u.recovery_hashes),
        "created": ns_to_iso(u.created_ns),
        "failed_logins": len(u.failures),
    }


def _users_table(users: list[Any]) -> str:
    rows = [
        (
            u.name,
            u.role.value,
            "on" if u.totp_enabled else "off",
            str(len(u.recovery_hashes)) if u.totp_enabled else "-",
            ns_to_iso(u.created_ns)[:10],
            str(len(u.failures)),
        )
        for u in users
    ]
    return _table(("name", "role", "2fa", "recovery", "created", "failed logins"), rows)


def _table(head: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    header = "  ".join(c.ljust(w) for c, w in zip(head, widths, strict=True)).rstrip()
    return "\n".join([header, *lines])
