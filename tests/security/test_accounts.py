"""Users and logins on a real SQLite store, with a controlled clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from clocks import Clock

from tpm.domain.users import Role
from tpm.errors import AccessDenied, AccountError, LoginNeeded
from tpm.security import totp
from tpm.security.accounts import REFUSED, Accounts
from tpm.security.passwords import Hasher
from tpm.security.roles import PERMISSIONS, Action
from tpm.security.sessions import Session, Sessions
from tpm.store.sql_store import SqlStore

NS = 1_000_000_000
PASSWORD = "violet tram 42"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    s = SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'tpm.db'}", flush_interval_s=60)
    await s.open()
    yield s
    await s.close()


@pytest.fixture
def accounts(store: SqlStore, clock: Clock) -> Accounts:
    return Accounts(store, sessions=Sessions(clock), clock=clock)


async def actions(store: SqlStore) -> list[tuple[str, str, str]]:
    return [(e.actor, e.action, e.detail) for e in await store.load_audit()]


async def test_add_list_and_refusals(accounts: Accounts, store: SqlStore) -> None:
    assert not await accounts.any_users()
    await accounts.add("ann", Role.ADMIN, PASSWORD, actor="cli:root")
    assert await accounts.any_users()
    with pytest.raises(AccountError, match="already a user ann"):
        await accounts.add("ann", Role.VIEWER, PASSWORD, actor="cli:root")
    with pytest.raises(AccountError, match="user name"):
        await accounts.add("no spaces", Role.VIEWER, PASSWORD, actor="cli:root")
    with pytest.raises(AccountError, match="most common"):
        await accounts.add("bob", Role.VIEWER, "password123", actor="cli:root")
    assert [(u.name, u.role) for u in await accounts.users()] == [("ann", Role.ADMIN)]
    stored = await store.load_user("ann")
    assert stored is not None and stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    assert await actions(store) == [("cli:root", "user.add", "ann as admin")]


async def test_login_without_two_factor(accounts: Accounts, store: SqlStore) -> None:
    await accounts.add("ann", Role.TRADER, PASSWORD, actor="cli:root")
    step = await accounts.login("ann", PASSWORD, "10.0.0.5")
    assert step.session is not None and step.session.role is Role.TRADER
    assert accounts.session(step.session.token).user == "ann"
    wrong = await accounts.login("ann", "violet tram 43", "10.0.0.5")
    unknown = await accounts.login("nobody", PASSWORD, "10.0.0.5")
    # The same sentence whether the name or the password was wrong.
    assert wrong.refusal == unknown.refusal == REFUSED
    log = await actions(store)
    assert ("ann", "login.ok", "by password") in log
    assert ("ann", "login.failed", "wrong password (failure 1)") in log
    assert ("nobody", "login.failed", "no such user") in log


async def test_lockout_after_five_failures_also_for_unknown_names(
    accounts: Accounts, clock: Clock
) -> None:
    await accounts.add("ann", Role.TRADER, PASSWORD, actor="cli:root")
    for name in ("ann", "nobody"):
        for _ in range(5):
            assert (await accounts.login(name, "wrong password 1", "x")).refusal == REFUSED
        held = await accounts.login(name, PASSWORD, "x")  # even the right password waits
        assert held.session is None and held.wait_s == pytest.approx(1.0)
        assert "too many failed attempts" in held.refusal
    clock.advance(1)
    step = await accounts.login("ann", PASSWORD, "x")
    assert step.session is not None
    # A success clears the tally: five more tries are free again.
    for _ in range(5):
        await accounts.login("ann", "wrong password 1", "x")
    assert (await accounts.login("ann", "wrong password 1", "x")).wait_s > 0


async def test_two_factor_enrolment_login_replay_and_recovery(
    accounts: Accounts, store: SqlStore, clock: Clock
) -> None:
    await accounts.add("ann", Role.TRADER, PASSWORD, actor="cli:root")
    enrol = await accounts.begin_totp("ann")
    assert enrol.uri.startswith("otpauth://totp/") and len(enrol.qr) > 10
    with pytest.raises(AccountError, match="does not match"):
        await accounts.enable_totp("ann", enrol.secret, "000000", actor="ann")
    step = totp.step_of(clock())
    codes = await accounts.enable_totp(
        "ann", enrol.secret, totp.code_at(enrol.secret, step), actor="ann"
    )
    assert len(codes) == 10
    clock.advance(30)
    first = await accounts.login("ann", PASSWORD, "x")
    assert first.session is None and first.ticket
    code = totp.code_at(enrol.secret, totp.step_of(clock()))
    assert (await accounts.second_factor(first.ticket, "123456", "x")).refusal == REFUSED
    done = await accounts.second_factor(first.ticket, code, "x")
    assert done.session is not None
    # The same code again, within its step: refused as a replay, and audited.
    again = await accounts.login("ann", PASSWORD, "x")
    replay = await accounts.second_factor(again.ticket, code, "x")
    assert replay.session is None and "used already" in replay.refusal
    assert any("replay" in d for _, a, d in await actions(store) if a == "login.failed")
    # A recovery code works once, however it is typed.
    used = await accounts.second_factor(again.ticket, codes[3].upper(), "x")
    assert used.session is not None
    third = await accounts.login("ann", PASSWORD, "x")
    assert (await accounts.second_factor(third.ticket, codes[3], "x")).refusal == REFUSED
    user = await store.load_user("ann")
    assert user is not None and len(user.recovery_hashes) == 9
    assert ("ann", "login.ok", "by recovery code (9 left)") in await actions(store)
    # A ticket is only good from where the login began, and for five minutes.
    assert "start again" in (await accounts.second_factor(third.ticket, code, "y")).refusal
    clock.advance(301)
    assert "start again" in (await accounts.second_factor(third.ticket, code, "x")).refusal


async def test_disabling_two_factor_and_changing_the_password(
    accounts: Accounts, store: SqlStore, clock: Clock
) -> None:
    await accounts.add("ann", Role.TRADER, PASSWORD, actor="cli:root")
    enrol = await accounts.begin_totp("ann")
    code = totp.code_at(enrol.secret, totp.step_of(clock()))
    await accounts.enable_totp("ann", enrol.secret, code, actor="ann")
    await accounts.disable_totp("ann", actor="cli:root")
    step = await accounts.login("ann", PASSWORD, "x")
    assert step.session is not None
    await accounts.set_password("ann", "a new tram 7", actor="cli:root")
    with pytest.raises(AccessDenied, match="log in again"):
        accounts.session(step.session.token)  # a new password ends the old sessions
    assert (await accounts.login("ann", PASSWORD, "x")).refusal == REFUSED
    assert (await accounts.login("ann", "a new tram 7", "x")).session is not None
    await accounts.remove("ann", actor="cli:root")
    with pytest.raises(AccountError, match="no user ann"):
        await accounts.remove("ann", actor="cli:root")
    assert [a for _, a, _ in await actions(store) if a.startswith("user.")] == [
        "user.add",
        "user.2fa.enable",
        "user.2fa.disable",
        "user.passwd",
        "user.remove",
    ]


async def test_a_rise_in_hash_parameters_rehashes_at_login(store: SqlStore, clock: Clock) -> None:
    await Accounts(store, clock=clock).add("ann", Role.TRADER, PASSWORD, actor="cli:root")
    stronger = Accounts(store, hasher=Hasher(time_cost=3), clock=clock)
    assert (await stronger.login("ann", PASSWORD, "x")).session is not None
    user = await store.load_user("ann")
    assert user is not None and ",t=3," in user.password_hash


async def test_sessions_expire_and_sensitive_actions_ask_again(
    accounts: Accounts, clock: Clock
) -> None:
    s = await logged_in(accounts, "x")
    clock.advance(121)
    with pytest.raises(AccessDenied, match="asks for your code again"):
        accounts.require(s.token, Action.RESUME, confirmed=True)
    with pytest.raises(AccessDenied, match="wrong password"):
        await accounts.confirm(s.token, "not it at all")
    await accounts.confirm(s.token, PASSWORD)
    assert accounts.require(s.token, Action.RESUME, confirmed=True).user == "ann"
    clock.advance(31 * 60)
    with pytest.raises(AccessDenied, match="log in again"):
        accounts.require(s.token, Action.LATEST)


async def test_authorisation_matrix(accounts: Accounts) -> None:
    """Every action x every role x logged in or not, against the one table."""
    tokens = {}
    for role in Role:
        await accounts.add(f"u-{role}", role, PASSWORD, actor="cli:root")
        s = (await accounts.login(f"u-{role}", PASSWORD, "x")).session
        assert s is not None
        tokens[role] = s.token
    assert set(PERMISSIONS) == set(Action)
    for action in Action:
        with pytest.raises(AccessDenied, match="not logged in"):
            accounts.require("no-such-token", action)
        for role, token in tokens.items():
            if role in PERMISSIONS[action]:
                assert accounts.require(token, action).role is role
            else:
                with pytest.raises(AccessDenied, match=r"needs the \w+ role"):
                    accounts.require(token, action)
    # The roles nest: each may do all the one before may.
    for action, roles in PERMISSIONS.items():
        if Role.VIEWER in roles:
            assert Role.TRADER in roles, action
        if Role.TRADER in roles:
            assert Role.ADMIN in roles, action
    # A viewer changes nothing.
    viewer = {a for a, roles in PERMISSIONS.items() if Role.VIEWER in roles}
    assert not viewer & {Action.SUBMIT_ORDER, Action.HALT, Action.SAVE_SETTINGS, Action.RESUME}


async def test_a_refusal_is_audited_once_per_session_and_action(
    accounts: Accounts, store: SqlStore
) -> None:
    s = await logged_in(accounts, "10.0.0.7", "vic", Role.VIEWER)
    for _ in range(50):  # a client in a loop
        for action in (Action.SUBMIT_ORDER, Action.HALT):
            with pytest.raises(AccessDenied, match="vic is a viewer"):
                await accounts.check(s.token, action)
    assert (await accounts.check(s.token, Action.LATEST)).user == "vic"
    denied = [
        (e.actor, e.detail, e.origin)
        for e in await store.load_audit(None, 100)
        if e.action == "access.denied"
    ]
    assert denied == [("vic", "submit_order", "10.0.0.7"), ("vic", "halt", "10.0.0.7")]


async def test_parallel_guesses_each_count_and_a_recovery_code_works_once(
    accounts: Accounts, store: SqlStore, clock: Clock
) -> None:
    import asyncio

    await accounts.add("ann", Role.TRADER, PASSWORD, actor="cli:root")
    steps = await asyncio.gather(
        *(accounts.login("ann", f"wrong guess {i}", "x") for i in range(8))
    )
    user = await store.load_user("ann")
    assert user is not None and len(user.failures) == 5  # none lost to a race...
    assert sum(s.wait_s > 0 for s in steps) == 3  # ...so the sixth on had to wait
    clock.advance(3600)
    assert (await accounts.login("ann", PASSWORD, "x")).session is not None
    enrol = await accounts.begin_totp("ann")
    codes = await accounts.enable_totp(
        "ann", enrol.secret, totp.code_at(enrol.secret, totp.step_of(clock())), actor="ann"
    )
    tickets = [(await accounts.login("ann", PASSWORD, "x")).ticket for _ in range(2)]
    steps = await asyncio.gather(*(accounts.second_factor(t, codes[0], "x") for t in tickets))
    assert sum(s.session is not None for s in steps) == 1


async def logged_in(
    accounts: Accounts, origin: str, name: str = "ann", role: Role = Role.TRADER
) -> Session:
    """`name` (ann, a trader) added and logged in from `origin`."""
    await accounts.add(name, role, PASSWORD, actor="cli:root")
    s = (await accounts.login(name, PASSWORD, origin)).session
    assert s is not None
    return s


async def test_a_password_changed_elsewhere_ends_the_session_within_seconds(
    accounts: Accounts, store: SqlStore, clock: Clock
) -> None:
    s = await logged_in(accounts, "x")
    other = Accounts(store, clock=clock)  # another process: tpm user passwd
    await other.set_password("ann", "a new tram 7", actor="cli:root")
    assert (await accounts.check(s.token, Action.LATEST)).user == "ann"  # not looked yet
    clock.advance(6)
    with pytest.raises(AccessDenied, match="account changed: log in again"):
        await accounts.check(s.token, Action.LATEST)


async def test_odd_input_is_refused_without_work(accounts: Accounts, store: SqlStore) -> None:
    await accounts.add("ann", Role.TRADER, PASSWORD, actor="cli:root")
    assert (await accounts.login("x" * 5000, PASSWORD, "x")).refusal == REFUSED
    assert (await accounts.login("ann", "p" * 5000, "x")).refusal == REFUSED
    assert await store.load_audit() != []  # only the user.add
    assert [e.action for e in await store.load_audit()] == ["user.add"]


async def test_reattaching_takes_the_session_up_without_resetting_its_idle_clock(
    accounts: Accounts, store: SqlStore, clock: Clock
) -> None:
    s = await logged_in(accounts, "10.0.0.7:5000")
    clock.advance(20 * 60)  # the link drops, and comes back twenty minutes later
    taken = await accounts.reattach(s.token, "10.0.0.9:6000")
    assert (taken.user, taken.origin) == ("ann", "10.0.0.9:6000")
    clock.advance(11 * 60)  # 31 idle minutes since the user last did anything
    with pytest.raises(LoginNeeded):
        await accounts.reattach(s.token, "10.0.0.9:6001")
    await accounts.logout(s.token)
    with pytest.raises(LoginNeeded):
        await accounts.reattach("made-up-token", "10.0.0.9:6002")
    log = [(e.actor, e.action, e.detail) for e in await store.load_audit(None, 100)]
    assert ("ann", "session.reattached", "from 10.0.0.7:5000") in log


async def test_a_session_without_a_connection_ends_after_the_reattach_window(
    accounts: Accounts, clock: Clock
) -> None:
    s = await logged_in(accounts, "10.0.0.7:5000")
    sessions = accounts.sessions
    sessions.link(s)  # an attached app's connection
    sessions.link(s)  # and, for a moment, the one that took it up after a drop
    sessions.unlink(s)  # the old one's close arrives late: the session is still on one
    clock.advance(11 * 60)
    assert sessions.alive(s.token) is s
    sessions.unlink(s)  # now no connection is on it
    clock.advance(9 * 60)
    assert (await accounts.reattach(s.token, "10.0.0.9:6000")).user == "ann"
    sessions.link(s)
    await accounts.check(s.token, Action.LATEST)  # in use again
    sessions.unlink(s)
    clock.advance(10 * 60)  # within the idle limit, but ten minutes with no connection
    with pytest.raises(LoginNeeded, match="connection dropped over 10 minutes ago"):
        await accounts.reattach(s.token, "10.0.0.9:6001")
