"""RemoteEngineClient: the EngineClient of `tpm attach`, over the control API's websocket.

Calls are sent with an id and answered in any order; results are decoded against the
EngineClient's own type hints, and an error comes back as the same exception class
(AccessDenied, LoginNeeded, ConfigError, ...). Snapshots are latest-wins.

When the connection drops, pending calls fail with a sentence and the client reconnects on its
own, with growing pauses, and takes its session up again ("reattach"): the snapshot stream
goes on from a fresh snapshot and nobody types the password and code again. Meanwhile the
description says the link is down and calls are refused at once. Only when the session has
ended (its timeouts, a logout, a new password, an engine restart) or the engine stays away
for `reattach_for_s` does the stream end with LoginNeeded. `close` logs out first.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import ssl
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from tpm import errors
from tpm.domain.snapshot import EngineSnapshot
from tpm.domain.users import LoginAnswer
from tpm.errors import AccessDenied, LinkDown, LoginNeeded, TpmError
from tpm.remote.codec import CodecError, decode, encode
from tpm.remote.delta import apply, keyed, unkeyed
from tpm.remote.protocol import ERRORS, OPS, REATTACH, SUBSCRIBE, signature

__all__ = ["RemoteEngineClient"]

log = logging.getLogger("tpm.remote")

_ENDED = object()  # put on the snapshot slot when the stream stops


class RemoteEngineClient:
    """Implements tpm.domain.client.EngineClient for an engine at `url` (ws:// or wss://)."""

    def __init__(
        self,
        url: str,
        *,
        tls: ssl.SSLContext | None = None,
        call_timeout_s: float = 120.0,
        max_frame: int = 16 * 1024 * 1024,
        reattach_for_s: float = 600.0,
    ) -> None:
        self.url = url
        self._tls = tls
        self._timeout = call_timeout_s
        self._max_frame = max_frame
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._slot: asyncio.Queue[Any] = asyncio.Queue(maxsize=1)
        self._connecting = asyncio.Lock()
        self._ended = ""
        self.reattach_for_s = reattach_for_s
        self._token = ""  # the session to take up again should the connection drop
        self._subscribed = False
        self._closing = False
        self._down_since: float | None = None
        self._reattaching: asyncio.Task[None] | None = None

    @property
    def description(self) -> str:
        return self.url

    @property
    def link_down_s(self) -> float | None:
        """How long the link has been down while the client reconnects; None while it is up."""
        return None if self._down_since is None else time.monotonic() - self._down_since

    async def close(self) -> None:
        self._closing = True
        if self._reattaching is not None:
            self._reattaching.cancel()
            await asyncio.gather(self._reattaching, return_exceptions=True)
        if self._token and self._down_since is None:
            try:  # a session nobody will take up again should not wait for its timeout
                async with asyncio.timeout(5):
                    await self._call("logout", {})
            except (TpmError, TimeoutError):
                pass
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    # -- the calls -----------------------------------------------------------------------------

    def __getattr__(self, op: str) -> Callable[..., Any]:
        if op not in OPS:
            raise AttributeError(op)

        async def call(*args: Any, **kwargs: Any) -> Any:
            names = list(signature(op).params)
            kwargs.update(zip(names, args, strict=False))
            return await self._call(op, kwargs)

        return call

    async def snapshots(self) -> AsyncIterator[EngineSnapshot]:
        while not self._slot.empty():  # what an earlier stream left (its end, say)
            self._slot.get_nowait()
        await self._call(SUBSCRIBE, {})
        self._subscribed = True
        while True:
            item = await self._slot.get()
            if item is _ENDED:
                self._subscribed = False
                raise LoginNeeded(self._ended or "the session ended: log in again")
            yield item

    async def _call(self, op: str, args: dict[str, Any], *, reattaching: bool = False) -> Any:
        if op == "logout":
            self._token = ""
        ws = await self._connected(reattaching=reattaching)
        rid = next(self._ids)
        reply: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[rid] = reply
        try:
            frame = {"id": rid, "op": op, "args": {k: encode(v) for k, v in args.items()}}
            await ws.send(json.dumps(frame, allow_nan=False))
            async with asyncio.timeout(self._timeout):
                answer = await reply
        except TimeoutError:
            raise LinkDown(f"{op}: no answer from {self.url} in {self._timeout:g}s") from None
        except ConnectionClosed:
            raise LinkDown(f"{op}: the connection to {self.url} closed") from None
        finally:
            self._pending.pop(rid, None)
        if "error" in answer:
            raise _exception(answer["error"])
        if op == SUBSCRIBE:
            return None
        expected = LoginAnswer if op == REATTACH else signature(op).result
        try:
            result = decode(answer.get("ok"), expected, op)
        except CodecError as exc:
            raise TpmError(f"{op}: the engine's answer does not read: {exc}") from None
        if isinstance(result, LoginAnswer) and result.who is not None:
            self._token = result.reattach
        return result

    # -- the connection ------------------------------------------------------------------------

    async def _connected(self, *, reattaching: bool = False) -> ClientConnection:
        if self._down_since is not None and not reattaching:
            raise LinkDown(f"the connection to {self.url} is down: reconnecting")
        async with self._connecting:
            if self._ws is not None and self._reader is not None and not self._reader.done():
                return self._ws
            try:
                self._ws = await connect(
                    self.url, ssl=self._tls, max_size=self._max_frame, open_timeout=15
                )
            except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
                raise LinkDown(f"cannot reach the engine at {self.url}: {exc}") from None
            self._reader = asyncio.create_task(self._read(self._ws), name="remote-reader")
            return self._ws

    async def _read(self, ws: ClientConnection) -> None:
        why = f"the connection to {self.url} was lost: log in again"
        held = _Held()  # the last snapshot on this connection, which the next patch is on
        unreadable = False
        try:
            async for frame in ws:
                msg = json.loads(frame)
                if "snapshot" in msg:
                    self._offer(held.whole(msg))
                elif "snapshot_delta" in msg:
                    self._offer(held.patched(msg["snapshot_delta"]))
                elif msg.get("event") == "session_ended":
                    self._token = ""
                    self._ended = str(msg.get("message", ""))
                    self._offer(_ENDED)
                else:
                    waiting = self._pending.get(msg.get("id"))
                    if waiting is not None and not waiting.done():
                        waiting.set_result(msg)
        except ConnectionClosed as exc:
            if exc.rcvd is not None and exc.rcvd.reason:
                why = f"the engine closed the connection ({exc.rcvd.reason}): log in again"
        except (ValueError, CodecError) as exc:
            log.error("a frame from %s does not read: %s", self.url, exc)
            why = f"the engine sent what does not read ({exc}): log in again"
            unreadable = True
            await ws.close(1002, "unreadable frame")
        finally:
            for waiting in self._pending.values():
                if not waiting.done():
                    waiting.set_exception(ConnectionClosed(None, None))
            if unreadable:  # no patch fits: the session is given up rather than trusted
                self._token = ""
            if self._token and not self._closing:
                self._link_lost()
            else:
                self._ended = why
                self._offer(_ENDED)

    def _link_lost(self) -> None:
        if self._reattaching is not None and not self._reattaching.done():
            return  # the one under way tries again
        self._down_since = time.monotonic()
        log.warning("the connection to %s dropped: reconnecting", self.url)
        self._reattaching = asyncio.create_task(self._reattach(), name="remote-reattach")

    async def _reattach(self) -> None:
        """Reconnect and take the session up again, with growing pauses, for as long as
        `reattach_for_s`; then the stream goes on, or ends with the reason."""
        token, pause = self._token, 0.25
        give_up = time.monotonic() + self.reattach_for_s
        why = f"the engine at {self.url} stayed away: log in again"
        while time.monotonic() < give_up:
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)
            try:
                await self._call(REATTACH, {"token": token}, reattaching=True)
                if self._subscribed:
                    await self._call(SUBSCRIBE, {}, reattaching=True)
            except LinkDown:
                continue  # not back yet
            except AccessDenied as exc:  # the session ended while the link was down
                why = f"{exc} (the session ended while the link was down)"
                break
            except TpmError as exc:  # an answer, but no session: an older engine, say
                why = f"the engine did not take the session up again ({exc}): log in again"
                break
            if self._reader is None or self._reader.done():
                continue  # it dropped again as it came back
            self._down_since = None
            log.info("reattached to %s", self.url)
            return
        self._token, self._down_since = "", None
        self._ended = why
        self._offer(_ENDED)

    def _offer(self, item: Any) -> None:
        """Latest wins: an unread snapshot is replaced by a newer one."""
        if self._slot.full():
            self._slot.get_nowait()
        self._slot.put_nowait(item)


class _Held:
    """The snapshot a connection last brought, as codec JSON keyed for patching."""

    def __init__(self) -> None:
        self.seq: Any = None
        self.view: dict[str, Any] | None = None

    def whole(self, msg: dict[str, Any]) -> EngineSnapshot:
        data = msg["snapshot"]
        snapshot: EngineSnapshot = decode(data, EngineSnapshot, "snapshot")
        self.seq, self.view = msg.get("seq"), keyed(data)
        return snapshot

    def patched(self, delta: Any) -> EngineSnapshot:
        if not isinstance(delta, dict) or self.view is None or delta.get("base") != self.seq:
            raise CodecError(f"a snapshot patch on {self.seq}, the snapshot held, does not fit")
        apply(self.view, delta.get("patch"))
        self.seq = delta.get("seq")
        snapshot: EngineSnapshot = decode(unkeyed(self.view), EngineSnapshot, "snapshot")
        return snapshot


def _exception(error: Any) -> Exception:
    kind = str(error.get("type", "TpmError")) if isinstance(error, dict) else "TpmError"
    message = str(error.get("message", "")) if isinstance(error, dict) else str(error)
    cls = getattr(errors, kind, None) if kind in ERRORS else None
    if isinstance(cls, type) and issubclass(cls, TpmError):
        return cls(message)
    return TpmError(message)
