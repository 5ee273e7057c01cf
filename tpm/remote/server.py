"""The control API server: one websocket per attached UI, each behind its own login.

Every frame is checked (text, size, JSON, shape, op, argument types) before anything runs; a
bad one gets an error reply, is counted in `counters`, and changes nothing. Replies and the
newest snapshot go out through a small outbox per client: snapshots are latest-wins, so a slow
reader skips ahead instead of growing memory, and a client that cannot take a frame within
`send_timeout_s` (or lets 256 replies pile up) is dropped; it reconnects to a fresh snapshot.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import socket
import ssl
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from tpm.errors import AccessDenied, TpmError
from tpm.remote.codec import CodecError, decode, encode
from tpm.remote.delta import diff, keyed
from tpm.remote.protocol import ERRORS, OPS, REATTACH, SUBSCRIBE, signature
from tpm.security.guard import GuardedClient

__all__ = ["RemoteServer"]

log = logging.getLogger("tpm.remote")

_MAX_ID = 2**53
_MAX_OP = 64
_REPLY_BACKLOG = 256


class RemoteServer:
    """Serves `client_for(origin)` (a fresh, logged-out GuardedClient per connection)."""

    def __init__(
        self,
        client_for: Callable[[str], GuardedClient],
        *,
        max_frame: int = 64 * 1024,
        send_timeout_s: float = 10.0,
        max_in_flight: int = 16,
        send_buffer_bytes: int = 256 * 1024,
        compress: bool = False,
    ) -> None:
        self._client_for = client_for
        self.max_frame = max_frame
        self.send_timeout_s = send_timeout_s
        self.max_in_flight = max_in_flight
        # The kernel's buffer per client is bounded too, so a stalled reader shows in time.
        self.send_buffer_bytes = send_buffer_bytes
        # Deflate is per client (each has its own context): 50 clients cost 50 compressions
        # of every snapshot. Off by default; an SSH tunnel (ssh -C) compresses once per link.
        self.compress = compress
        self.counters: Counter[str] = Counter()
        """Refused frames by reason, dropped clients, errors."""
        self.clients = 0
        self.port = 0
        """The port served on, once started (the one chosen, for port 0)."""
        self._server: Server | None = None
        self._last: _Frame | None = None  # the newest snapshot, encoded once for all
        self._seq = itertools.count(1)  # frames' numbers, never reused by this server

    async def start(self, host: str, port: int, tls: ssl.SSLContext | None = None) -> int:
        """Listen; returns the port (useful with port 0)."""
        self._server = await serve(
            self._connection,
            host,
            port,
            ssl=tls,
            max_size=4 * self.max_frame,  # beyond it the connection closes; below, a reply
            max_queue=64,
            ping_interval=20,
            ping_timeout=20,
            compression="deflate" if self.compress else None,
        )
        sockets = list(self._server.sockets)
        self.port = int(sockets[0].getsockname()[1]) if sockets else port
        return self.port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    # -- one connection ------------------------------------------------------------------------

    async def _connection(self, ws: ServerConnection) -> None:
        host, port = ws.remote_address[:2]
        sock = ws.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.send_buffer_bytes)
        conn = _Conn(ws, self._client_for(f"{host}:{port}"), self)
        self.clients += 1
        sender = asyncio.create_task(conn.out.run(), name="remote-outbox")
        try:
            async for frame in ws:
                if conn.out.dropped:
                    break
                self._frame(conn, frame)
        except ConnectionClosed:
            pass
        finally:
            self.clients -= 1
            # Calls already begun run to their end (a halt half done, or an order sent and
            # not audited, would be worse than a reply nobody reads); the stream stops.
            # The session outlives the connection for [security] reattach_minutes: a client
            # whose link dropped takes it up again; one that is done logs out first.
            conn.stop_stream()
            sender.cancel()
            await asyncio.gather(*conn.tasks, sender, return_exceptions=True)
            conn.client.detach()

    def _frame(self, conn: _Conn, frame: str | bytes) -> None:
        if isinstance(frame, bytes):
            return self._refuse(conn, None, "binary", "frames are JSON text")
        if len(frame) > self.max_frame:
            return self._refuse(
                conn, None, "oversized", f"a frame of {len(frame)} bytes; at most {self.max_frame}"
            )
        try:
            msg = json.loads(frame)
        except (ValueError, RecursionError):
            return self._refuse(conn, None, "malformed", "not JSON")
        if not isinstance(msg, dict):
            return self._refuse(conn, None, "malformed", "a frame is a JSON object")
        rid = msg.get("id")
        if not isinstance(rid, int) or isinstance(rid, bool) or not 0 <= rid < _MAX_ID:
            return self._refuse(conn, None, "malformed", '"id" must be a whole number')
        extra = sorted(set(msg) - {"id", "op", "args"})
        if extra:
            return self._refuse(conn, rid, "malformed", f"unknown key {extra[0]!r}")
        op, args = msg.get("op"), msg.get("args", {})
        if not isinstance(op, str) or len(op) > _MAX_OP:
            return self._refuse(conn, rid, "malformed", '"op" must be the name of a call')
        if not isinstance(args, dict):
            return self._refuse(conn, rid, "malformed", '"args" must be an object')
        if op == SUBSCRIBE:
            conn.subscribe()
            conn.out.reply(json.dumps({"id": rid, "ok": None}))
            return None
        if op not in OPS and op != REATTACH:
            return self._refuse(conn, rid, "unknown_op", f"no call named {op!r}")
        if len(conn.tasks) >= self.max_in_flight:
            return self._refuse(conn, rid, "busy", f"at most {self.max_in_flight} calls at once")
        attach = op == REATTACH
        call = self._reattach(conn, rid, args) if attach else self._call(conn, rid, op, args)
        task = asyncio.create_task(call, name=f"remote-{op}")
        conn.tasks.add(task)
        task.add_done_callback(conn.tasks.discard)
        return None

    async def _call(self, conn: _Conn, rid: int, op: str, args: dict[str, Any]) -> None:
        sig = signature(op)
        unknown = sorted(set(args) - set(sig.params))
        missing = sorted(sig.required - set(args))
        if unknown or missing:
            what = f"unknown argument {unknown[0]!r}" if unknown else f"{missing[0]!r} is missing"
            return self._refuse(conn, rid, "bad_args", f"{op}: {what}")
        try:
            kwargs = {k: decode(v, sig.params[k], f"{op}.{k}") for k, v in args.items()}
        except CodecError as exc:
            return self._refuse(conn, rid, "bad_args", str(exc))
        try:
            result = await getattr(conn.client, op)(**kwargs)
            text = json.dumps({"id": rid, "ok": encode(result)}, allow_nan=False)
        except AccessDenied as exc:
            self.counters["denied"] += 1
            return conn.out.reply(_error(rid, type(exc).__name__, str(exc)))
        except TpmError as exc:
            kind = type(exc).__name__ if type(exc).__name__ in ERRORS else "TpmError"
            return conn.out.reply(_error(rid, kind, str(exc)))
        except Exception:
            self.counters["internal"] += 1
            log.exception("remote call %s failed", op)
            return conn.out.reply(_error(rid, "TpmError", f"{op} failed on the engine (logged)"))
        conn.out.reply(text)
        return None

    async def _reattach(self, conn: _Conn, rid: int, args: dict[str, Any]) -> None:
        token = args.get("token")
        if set(args) != {"token"} or not isinstance(token, str) or not 0 < len(token) <= 64:
            return self._refuse(conn, rid, "bad_args", 'reattach: "token", from the login')
        try:
            answer = await conn.client.reattach(token)
        except AccessDenied as exc:
            self.counters["reattach_refused"] += 1
            return conn.out.reply(_error(rid, type(exc).__name__, str(exc)))
        except TpmError as exc:  # the store away, say: an answer, not a silent wait
            return conn.out.reply(_error(rid, "TpmError", str(exc)))
        except Exception:
            self.counters["internal"] += 1
            log.exception("remote reattach failed")
            return conn.out.reply(_error(rid, "TpmError", "reattach failed on the engine (logged)"))
        conn.out.reply(json.dumps({"id": rid, "ok": encode(answer)}))
        return None

    def _refuse(self, conn: _Conn, rid: int | None, reason: str, message: str) -> None:
        self.counters[reason] += 1
        conn.out.reply(_error(rid, "BadRequest", message))

    def encoded(self, snapshot: Any) -> _Frame:
        """The snapshot's frames, made once however many clients receive them."""
        last = self._last
        if last is not None and last.snapshot is snapshot:
            return last
        if last is not None and snapshot.version < last.snapshot.version:
            # A connection that fell behind: whole for it, and the others' chain unbroken.
            return _Frame(snapshot, None, next(self._seq))
        self._last = _Frame(snapshot, last, next(self._seq))
        return self._last


class _Frame:
    """One snapshot as it goes out: whole, or as a patch on the snapshot before it (see
    tpm.remote.delta). Each is made at most once, for every client."""

    __slots__ = ("_full", "_payload", "base", "patch", "seq", "snapshot", "view")

    def __init__(self, snapshot: Any, before: _Frame | None, seq: int) -> None:
        self.snapshot = snapshot
        self.seq = seq
        self._payload = encode(snapshot)
        self.view = keyed(self._payload)
        self.base: int | None = None if before is None else before.seq
        self.patch: str | None = None
        if before is not None:
            delta = {"base": before.seq, "seq": self.seq, "patch": diff(before.view, self.view)}
            self.patch = json.dumps({"snapshot_delta": delta}, allow_nan=False)
            before.view = {}  # no later frame diffs against it: let it go
        self._full: str | None = None

    @property
    def full(self) -> str:
        if self._full is None:  # only for clients that missed the frame before
            body = {"snapshot": self._payload, "seq": self.seq}
            self._full = json.dumps(body, allow_nan=False)
        return self._full


class _Conn:
    def __init__(self, ws: ServerConnection, client: GuardedClient, server: RemoteServer):
        self.client = client
        self.server = server
        self.out = _Outbox(ws, server)
        self.tasks: set[asyncio.Task[None]] = set()
        self._stream: asyncio.Task[None] | None = None

    def stop_stream(self) -> None:
        if self._stream is not None:
            self._stream.cancel()

    def subscribe(self) -> None:
        if self._stream is None or self._stream.done():
            self._stream = asyncio.create_task(self._follow(), name="remote-snapshots")
            self.tasks.add(self._stream)
            self._stream.add_done_callback(self.tasks.discard)

    async def _follow(self) -> None:
        try:
            async for snap in self.client.snapshots():
                self.out.snapshot(self.server.encoded(snap))
        except AccessDenied as exc:  # not logged in, or the session ended
            self.out.reply(json.dumps({"event": "session_ended", "message": str(exc)}))


class _Outbox:
    """Replies in order, then the newest snapshot; drops a client that cannot keep up."""

    def __init__(self, ws: ServerConnection, server: RemoteServer) -> None:
        self._ws, self._server = ws, server
        self._replies: deque[str] = deque()
        self._snapshot: _Frame | None = None
        self._sent: int | None = None  # the seq of the last snapshot this client was sent
        self._wake = asyncio.Event()
        self.dropped = False
        self._closing: asyncio.Task[None] | None = None

    def reply(self, text: str) -> None:
        if len(self._replies) >= _REPLY_BACKLOG:
            self._drop("its replies piled up")
            return
        self._replies.append(text)
        self._wake.set()

    def snapshot(self, frame: _Frame) -> None:
        self._snapshot = frame  # an unsent older one is simply replaced
        self._wake.set()

    async def run(self) -> None:
        while not self.dropped:
            await self._wake.wait()
            self._wake.clear()
            while self._replies or self._snapshot is not None:
                text = self._replies.popleft() if self._replies else self._next_snapshot()
                try:
                    async with asyncio.timeout(self._server.send_timeout_s):
                        await self._ws.send(text)
                except TimeoutError:
                    self._drop(f"a frame waited over {self._server.send_timeout_s:g}s")
                    return
                except ConnectionClosed:
                    return

    def _next_snapshot(self) -> str:
        """The pending snapshot as a patch on the last one sent, or whole if it missed that."""
        frame, self._snapshot = self._snapshot, None
        assert frame is not None
        sent, self._sent = self._sent, frame.seq
        return frame.patch if frame.patch is not None and frame.base == sent else frame.full

    def _drop(self, why: str) -> None:
        if self.dropped:
            return
        self.dropped = True
        self._server.counters["slow_dropped"] += 1
        log.warning("remote client %s dropped: too slow (%s)", self._ws.remote_address, why)
        self._closing = asyncio.create_task(
            self._ws.close(1008, "too slow: reconnect for a fresh snapshot")
        )


def _error(rid: int | None, kind: str, message: str) -> str:
    return json.dumps({"id": rid, "error": {"type": kind, "message": message}})
