"""A dropped link: the client reconnects and takes its session up again, without a login,
unless the session ended meanwhile; only a live session's token takes it up."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from tpm.domain.snapshot import EngineSnapshot
from tpm.errors import LoginNeeded, TpmError
from tpm.remote.client import RemoteEngineClient
from tpm.store.sql_store import SqlStore

from .conftest import PASSWORD, Served
from .test_attach import drain


async def until(what: Callable[[], bool]) -> None:
    async with asyncio.timeout(30):
        while not what():
            await asyncio.sleep(0.05)


async def audit(served: Served) -> list[tuple[str, str]]:
    assert isinstance(served.engine.store, SqlStore)
    return [(e.actor, e.action) for e in await served.engine.store.load_audit()]


async def link_dropped(
    served: Served, attach: RemoteEngineClient
) -> tuple[AsyncIterator[EngineSnapshot], int]:
    """tom logged in and streaming, then the link goes (the engine and the session stay);
    returns the stream and the port to serve on again."""
    await attach.login("tom", PASSWORD)
    stream = attach.snapshots()
    await asyncio.wait_for(anext(stream), 10)
    await served.server.close()
    return stream, int(served.url.rsplit(":", 1)[1])


async def test_a_dropped_link_takes_the_session_up_again(
    served: Served, attach: RemoteEngineClient
) -> None:
    stream, port = await link_dropped(served, attach)
    await until(lambda: attach.link_down_s is not None)
    [session] = [s for s in served.accounts.sessions._by_token.values() if s.user == "tom"]
    assert session.links == 0 and session.left_ns > 0  # the reattach window is running
    with pytest.raises(TpmError, match="is down: reconnecting"):
        await attach.latest()  # refused at once, not left waiting
    await served.server.start("127.0.0.1", port)
    await until(lambda: attach.link_down_s is None)
    published = served.engine.publisher.latest
    assert published is not None
    async with asyncio.timeout(10):  # the same stream goes on, with snapshots from now
        while (await anext(stream)).version <= published.version:
            pass
    who = await attach.whoami()
    assert who is not None and who.user == "tom"
    assert session.links == 1 and session.left_ns == 0
    log = await audit(served)
    assert ("tom", "session.reattached") in log and log.count(("tom", "login.ok")) == 1


async def test_a_session_that_ended_while_the_link_was_down_asks_for_a_login(
    served: Served, attach: RemoteEngineClient
) -> None:
    stream, port = await link_dropped(served, attach)
    served.accounts.sessions.end_user("tom")  # as a new password or an engine restart does
    await served.server.start("127.0.0.1", port)
    with pytest.raises(LoginNeeded, match="while the link was down"):
        await drain(stream)
    assert (await attach.login("tom", PASSWORD)).who is not None  # and a login works


async def test_only_a_live_sessions_token_takes_it_up(served: Served) -> None:
    async def ask(ws: ClientConnection, rid: int, op: str, args: dict[str, Any]) -> Any:
        await ws.send(json.dumps({"id": rid, "op": op, "args": args}))
        return json.loads(await ws.recv())

    async with connect(served.url) as ws:
        answer = await ask(ws, 1, "login", {"user": "vic", "password": PASSWORD})
        token = answer["ok"]["reattach"]
        assert isinstance(token, str) and len(token) >= 22  # 128 bits
    async with connect(served.url) as ws:  # the first connection dropped: vic is still in
        taken = await ask(ws, 1, "reattach", {"token": token})
        assert taken["ok"]["who"]["user"] == "vic"
        await ask(ws, 2, "logout", {})
    async with connect(served.url) as ws:
        for rid, args, kind in (
            (1, {"token": token}, "LoginNeeded"),  # logged out: gone for good
            (2, {"token": "A" * 22}, "LoginNeeded"),
            (3, {"token": 5}, "BadRequest"),
            (4, {"token": token, "user": "ada"}, "BadRequest"),
        ):
            refused = await ask(ws, rid, "reattach", args)
            assert refused["error"]["type"] == kind, args
        latest = await ask(ws, 5, "latest", {})
        assert latest["error"]["type"] == "LoginNeeded"
    assert served.server.counters["reattach_refused"] == 2


async def test_closing_the_client_logs_out(served: Served) -> None:
    client = RemoteEngineClient(served.url)
    assert (await client.login("vic", PASSWORD)).who is not None
    assert len(served.accounts.sessions) == 1
    await client.close()
    assert len(served.accounts.sessions) == 0
    assert ("vic", "logout") in await audit(served)


async def test_two_logins_at_once_on_one_connection_leave_one_session(served: Served) -> None:
    login = {"op": "login", "args": {"user": "vic", "password": PASSWORD}}
    async with connect(served.url) as ws:
        for rid in (1, 2):  # sent together: they run at the same time on the engine
            await ws.send(json.dumps({"id": rid, **login}))
        answers = [json.loads(await ws.recv()) for _ in range(2)]
        assert all(a["ok"]["who"]["user"] == "vic" for a in answers)
    sessions = served.accounts.sessions

    def vics() -> list[Any]:
        return [s for s in sessions._by_token.values() if s.user == "vic"]

    await until(lambda: all(s.links == 0 for s in vics()))  # the connection closed
    live = [s for s in vics() if sessions.expiry(s) is None]
    assert len(live) == 1 and live[0].left_ns > 0  # and its reattach window runs


async def test_the_old_connection_closing_late_does_not_start_the_clock(served: Served) -> None:
    """A client reattaches on a new connection before the engine has noticed the old one
    go: the session counts both, and its reattach window starts only when neither is left."""
    login = {"id": 1, "op": "login", "args": {"user": "tom", "password": PASSWORD}}
    sessions = served.accounts.sessions
    async with connect(served.url) as old:
        await old.send(json.dumps(login))
        token = json.loads(await old.recv())["ok"]["reattach"]
        [session] = [s for s in sessions._by_token.values() if s.token == token]
        async with connect(served.url) as new:
            await new.send(json.dumps({"id": 1, "op": "reattach", "args": {"token": token}}))
            assert json.loads(await new.recv())["ok"]["who"]["user"] == "tom"
            assert session.links == 2
            await old.close()
            await until(lambda: session.links == 1)
            assert session.left_ns == 0  # still on a connection: no clock
        await until(lambda: session.links == 0)
    assert session.left_ns > 0 and sessions.alive(token) is session
