"""The control API under attack: every call x every role x logged in or not, 10,000 random
and mutated frames, and a client too slow to read."""

from __future__ import annotations

import asyncio
import json
import random
import socket
from decimal import Decimal
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.client import ClientProtocol
from websockets.uri import parse_uri

from tpm.domain import Timeframe, TradingState
from tpm.errors import AccessDenied, LoginNeeded
from tpm.remote.client import RemoteEngineClient
from tpm.remote.codec import encode
from tpm.remote.protocol import OPS
from tpm.security.roles import PERMISSIONS, Action

from .conftest import PASSWORD, ROLES, Served, serve

LOGIN_OPS = {"login_required", "login", "second_factor", "logout", "confirm", "whoami"}

# A valid argument set for every call the API has.
ARGS: dict[str, dict[str, Any]] = {
    "latest": {},
    "bars": {"symbol": "X", "timeframe": Timeframe.M1, "limit": 5},
    "symbols": {},
    "instruments": {},
    "score": {"symbol": "X"},
    "equity_curve": {"limit": 5},
    "risk_status": {},
    "strategies_live": {},
    "settings": {},
    "strategy_files": {},
    "strategy_folder": {},
    "read_strategy": {"file": "none.toml"},
    "check_strategy": {"text": "[strategy]", "kind": "rules"},
    "submit_order": {
        "request": {"symbol": "X", "side": "buy", "qty": {"$d": "1"}, "type": "market"}
    },
    "cancel_order": {"client_order_id": "none"},
    "replace_order": {"client_order_id": "none", "qty": Decimal(2)},
    "close_position": {"symbol": "X"},
    "set_watchlist": {"symbols": ["X"]},
    "try_strategy": {"text": "[strategy]", "kind": "rules", "bars": 50},
    "save_strategy": {"file": "t.toml", "text": "[strategy]\n"},
    "start_strategy": {"file": "none.toml"},
    "stop_strategy": {"name": "none"},
    "halt": {"flatten": False},
    "resume": {},
    "set_shutdown_orders": {"mode": "cancel"},
    "save_settings": {"changes": {"engine.snapshot_hz": 5.0}},
}


def test_every_call_is_in_the_matrix() -> None:
    assert set(ARGS) | LOGIN_OPS == OPS
    assert set(ARGS) <= {a.value for a in Action}


async def test_authorisation_matrix_over_the_api(served: Served) -> None:
    client = RemoteEngineClient(served.url)
    try:
        for op, args in ARGS.items():  # logged out: nothing but the login goes through
            with pytest.raises(LoginNeeded):
                await getattr(client, op)(**args)
        for user, role in ROLES.items():
            assert (await client.login(user, PASSWORD)).who is not None
            for op, args in ARGS.items():
                allowed = role in PERMISSIONS[Action(op)]
                try:
                    await getattr(client, op)(**args)
                    outcome = "done"
                except AccessDenied as exc:
                    outcome = f"denied: {exc}"
                except Exception as exc:  # allowed, and failed for its own reason
                    outcome = f"failed: {type(exc).__name__}"
                assert outcome.startswith("denied") is not allowed, (user, op, outcome)
                if op == "halt" and allowed:  # keep the next calls meaningful
                    await client.resume()
            await client.logout()
            with pytest.raises(LoginNeeded):
                await client.latest()
    finally:
        await client.close()


def _mutations(rng: random.Random) -> list[str]:
    """Valid frames, broken in every way: types, keys, sizes, nesting, encodings."""
    valid = [
        json.dumps({"id": i, "op": op, "args": {k: encode(v) for k, v in a.items()}})
        for i, (op, a) in enumerate(ARGS.items())
    ]
    junk_values: list[Any] = [
        None, True, -1, 2**70, 1.5, "", "x" * 300, [], {}, [[[]]], {"$d": "NaN"},
        {"$f": "nan"}, {"$d": "1" * 100}, "\u0000", "\ud800", "buy", {"a": {"b": {"c": None}}},
    ]  # fmt: skip
    frames: list[str] = []
    while len(frames) < 10_000:
        pick = rng.random()
        if pick < 0.15:  # random bytes of text
            frames.append("".join(chr(rng.randrange(1, 0x2FF)) for _ in range(rng.randrange(60))))
        elif pick < 0.25:  # truncated or spliced JSON
            f = rng.choice(valid)
            cut = rng.randrange(len(f))
            frames.append(f[:cut] + rng.choice(["", "}", "]", ",", '"', "\\"]) + f[cut + 1 :])
        elif pick < 0.30:  # deep nesting
            depth = rng.randrange(10, 3000)
            frames.append("[" * depth + "]" * depth)
        else:  # a structurally mutated call
            msg = json.loads(rng.choice(valid))
            what = rng.randrange(6)
            if what == 0:
                msg["id"] = rng.choice(junk_values)
            elif what == 1:
                msg["op"] = rng.choice([*junk_values, "eval", "__class__", "_call", "snapshots"])
            elif what == 2 and msg["args"]:
                msg["args"][rng.choice(list(msg["args"]))] = rng.choice(junk_values)
            elif what == 3:
                msg["args"][rng.choice(["evil", "self", "__init__"])] = rng.choice(junk_values)
            elif what == 4:
                msg[rng.choice(["extra", "ok", "error"])] = rng.choice(junk_values)
            else:
                msg["args"] = rng.choice(junk_values)
            frames.append(json.dumps(msg))
    frames.append("x" * (70 * 1024))  # over the 64 KiB limit, under the connection cap
    return frames


async def test_ten_thousand_bad_frames_change_nothing(served: Served) -> None:
    engine = served.engine
    orders_before = len(engine.oms.orders)
    settings_before = served.config_file.read_text()
    frames = _mutations(random.Random(8))
    replies: list[dict[str, Any]] = []
    async with connect(served.url, max_size=2**24) as ws:

        async def read() -> None:  # as a client should, while it sends
            while len(replies) < len(frames):
                replies.append(json.loads(await ws.recv()))

        reader = asyncio.create_task(read())
        for sent, frame in enumerate(frames, 1):
            await ws.send(frame)
            while sent - len(replies) > 64 and not reader.done():  # let the reader keep up
                await asyncio.sleep(0.001)
        await asyncio.wait_for(reader, 60)
    assert len(replies) == len(frames) >= 10_000
    for msg in replies:  # logged out: every frame is refused, none is done
        assert msg["error"]["type"] in {"BadRequest", "LoginNeeded"}, msg
    c = served.server.counters
    assert c["malformed"] > 1000 and c["bad_args"] > 100 and c["unknown_op"] > 100
    assert c["oversized"] == 1 and c["internal"] == 0
    assert len(engine.oms.orders) == orders_before
    assert engine.risk.state is TradingState.ACTIVE
    assert served.config_file.read_text() == settings_before
    # The server still serves.
    client = RemoteEngineClient(served.url)
    try:
        assert (await client.login("tom", PASSWORD)).who is not None
        assert (await client.latest()).watchlist
    finally:
        await client.close()


async def test_a_client_too_slow_to_read_is_dropped(tmp_path: Any) -> None:
    async with serve(tmp_path, send_timeout_s=0.5, send_buffer_bytes=8192) as s:
        # A client that logs in, subscribes, asks for big answers, and then reads nothing:
        # websockets' sans-I/O protocol makes the frames; the socket is never read again.
        proto = ClientProtocol(parse_uri(s.url))
        proto.send_request(proto.connect())
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", int(s.url.rsplit(":", 1)[1]), limit=1024
        )
        writer.transport.get_extra_info("socket").setsockopt(
            socket.SOL_SOCKET, socket.SO_RCVBUF, 4096
        )

        def send(msg: dict[str, Any]) -> None:
            proto.send_text(json.dumps(msg).encode())

        for data in proto.data_to_send():
            writer.write(data)
        proto.receive_data(await reader.readuntil(b"\r\n\r\n"))  # the handshake's answer
        assert proto.events_received()[0].status_code == 101
        login = {"user": "vic", "password": PASSWORD}
        send({"id": 1, "op": "login", "args": login})
        for data in proto.data_to_send():
            writer.write(data)
        answer: list[Any] = []
        while not answer:  # the login's answer is read...
            proto.receive_data(await reader.read(1024))
            answer = proto.events_received()
        assert json.loads(answer[0].data)["ok"]["who"]["user"] == "vic"
        send({"id": 2, "op": "subscribe"})
        for i in range(3, 100):
            send({"id": i, "op": "latest"})
        for data in proto.data_to_send():  # ...and then never another byte
            writer.write(data)
        async with asyncio.timeout(30):
            while not s.server.counters["slow_dropped"]:
                await asyncio.sleep(0.1)
            while s.server.clients:  # its connection is closed and its tasks ended
                await asyncio.sleep(0.1)
        writer.transport.abort()
