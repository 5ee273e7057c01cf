"""Snapshot patches: exact on any JSON, exact on the wire, and refused when they do not fit."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

from tpm.domain.snapshot import EngineSnapshot
from tpm.errors import LoginNeeded
from tpm.remote.client import RemoteEngineClient
from tpm.remote.codec import CodecError, decode, encode
from tpm.remote.delta import GONE, apply, diff, keyed, unkeyed
from tpm.remote.server import RemoteServer

from .conftest import PASSWORD, Served

_KEYS = st.text("abcxyz_$.", min_size=1, max_size=4).filter(lambda k: not k.startswith("$"))
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=25,
)
_OBJECTS = st.dictionaries(_KEYS, _JSON, max_size=6)


@given(_OBJECTS, _OBJECTS)
def test_a_patch_turns_the_old_into_the_new_exactly(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    patch = json.loads(json.dumps(diff(old, new)))  # as it travels
    held = copy.deepcopy(old)
    apply(held, patch)
    assert held == new
    assert diff(new, new) == {}


def test_rows_are_patched_by_symbol_and_a_row_that_left_is_gone() -> None:
    row = {"symbol": "AAA", "last": 1.0, "spark": [1.0, 2.0, 3.0], "score": None}
    old = {"version": 1, "watchlist": [row, {**row, "symbol": "BBB"}], "positions": []}
    new = {"version": 2, "watchlist": [{**row, "last": 1.5}], "positions": []}
    patch = diff(keyed(old), keyed(new))
    assert patch == {
        "version": 2,
        "watchlist": {"$rows": {"AAA": {"last": 1.5}, "BBB": GONE}, "$order": ["AAA"]},
    }
    held = keyed(copy.deepcopy(old))
    apply(held, patch)
    assert unkeyed(held) == new


@pytest.mark.parametrize(
    ("held", "patch", "where"),
    [
        ({"a": 1}, [1], "a patch is an object"),
        ({"a": 1}, {"b": GONE}, "snapshot.b: gone, but it was not there"),
        ({"w": {"x": {}}}, {"w": {"x": {"y": GONE}}}, "snapshot.w.x.y: gone"),
    ],
)
def test_a_patch_that_does_not_fit_names_where(held: Any, patch: Any, where: str) -> None:
    with pytest.raises(CodecError, match=where):
        apply(held, patch)
    with pytest.raises(CodecError, match="its order names a row it lacks"):
        unkeyed({"watchlist": {"$rows": {}, "$order": ["AAA"]}})


@asynccontextmanager
async def recording(served: Served) -> AsyncIterator[dict[int, Any]]:
    """Every snapshot the engine publishes meanwhile, as codec JSON, by version."""
    published: dict[int, Any] = {}

    def keep(snap: EngineSnapshot) -> None:
        published[snap.version] = json.loads(json.dumps(encode(snap)))

    sub = served.engine.bus.stream(EngineSnapshot)
    latest = served.engine.publisher.latest
    if latest is not None:  # what a subscriber is sent first
        keep(latest)

    async def record() -> None:
        async for snap in sub:
            keep(snap)

    recorder = asyncio.create_task(record())
    try:
        yield published
    finally:
        recorder.cancel()
        sub.close()


async def test_on_the_wire_each_patch_rebuilds_the_engines_snapshot(served: Served) -> None:
    """A client reading every frame gets one whole snapshot, then patches; each rebuilds,
    exactly, the snapshot the engine published under that version, at a fraction of the size."""
    rebuilt: list[dict[str, Any]] = []
    wholes: list[int] = []
    patches: list[int] = []
    login = {"id": 1, "op": "login", "args": {"user": "vic", "password": PASSWORD}}
    async with recording(served) as published, connect(served.url, max_size=2**24) as ws:
        await ws.send(json.dumps(login))
        assert "ok" in json.loads(await ws.recv())
        await ws.send(json.dumps({"id": 2, "op": "subscribe"}))
        held: dict[str, Any] = {}
        seq = None
        while len(rebuilt) < 25:
            frame = await asyncio.wait_for(ws.recv(), 10)
            msg = json.loads(frame)
            if "snapshot" in msg:
                held, seq = keyed(msg["snapshot"]), msg["seq"]
                wholes.append(len(frame))
            elif "snapshot_delta" in msg:
                delta = msg["snapshot_delta"]
                assert delta["base"] == seq  # on the one this client holds
                apply(held, delta["patch"])
                seq = delta["seq"]
                patches.append(len(frame))
            else:
                continue
            rebuilt.append(json.loads(json.dumps(unkeyed(held))))
    assert len(wholes) == 1 and len(patches) == 24  # one whole, then patches
    for snap in rebuilt:
        assert snap == published[snap["version"]]
        decode(snap, EngineSnapshot, "snapshot")
    assert max(patches) < wholes[0] / 2


async def test_the_client_shows_exactly_what_the_engine_published(
    served: Served, attach: RemoteEngineClient
) -> None:
    async with recording(served) as published:
        await attach.login("vic", PASSWORD)
        stream = attach.snapshots()
        shown = [await asyncio.wait_for(anext(stream), 10) for _ in range(20)]
    for snap in shown:
        assert json.loads(json.dumps(encode(snap))) == published[snap.version]
    assert len({s.version for s in shown}) == len(shown)


def test_a_connection_that_fell_behind_gets_a_whole_snapshot_and_the_chain_holds(
    served: Served,
) -> None:
    server = RemoteServer(lambda origin: None)  # type: ignore[arg-type,return-value]
    old = served.engine.publisher.latest
    assert old is not None
    new = dataclasses.replace(old, version=old.version + 1)
    newer = dataclasses.replace(old, version=old.version + 2)
    first = server.encoded(new)
    late = server.encoded(old)  # a connection behind the others
    assert late.patch is None and late.seq != first.seq
    following = server.encoded(newer)
    assert following.base == first.seq and following.patch is not None
    assert server.encoded(newer) is following  # made once for every client


async def test_a_patch_on_a_snapshot_the_client_lacks_ends_the_connection(
    served: Served,
) -> None:
    """A client shows no snapshot it cannot rebuild exactly: it drops the connection and
    asks for a new login, which brings a whole snapshot."""
    whole = {"snapshot": encode(served.engine.publisher.latest), "seq": 7}
    stray = {"snapshot_delta": {"base": 6, "seq": 8, "patch": {"version": 2}}}

    async def engine(ws: ServerConnection) -> None:
        request = json.loads(await ws.recv())  # subscribe
        await ws.send(json.dumps({"id": request["id"], "ok": None}))
        await ws.send(json.dumps(whole))
        await ws.send(json.dumps(stray))
        await ws.wait_closed()

    async with serve(engine, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        client = RemoteEngineClient(f"ws://127.0.0.1:{port}")
        try:
            with pytest.raises(LoginNeeded, match="does not fit"):
                async for _ in client.snapshots():
                    pass
        finally:
            await client.close()
