"""A typed in-process event bus: synchronous handlers by exact event type, plus async streams.

Handlers run inline in `publish`, in subscription order, so the hot path costs one dict lookup
and a call per handler. A handler that raises is logged and counted; the others still run and
the engine keeps going. Async consumers (the UI, the remote server) read a bounded queue; when
they fall behind, the oldest events are dropped and counted rather than stalling the engine.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

__all__ = ["Bus", "Subscription"]

log = logging.getLogger("tpm.engine.bus")
E = TypeVar("E")
Handler = Callable[[Any], None]


class Subscription:
    """A bounded queue of events for one async consumer; iterate it with `async for`."""

    def __init__(self, bus: Bus, kinds: tuple[type, ...], maxsize: int) -> None:
        self._bus = bus
        self.kinds = kinds
        self.queue: asyncio.Queue[object] = asyncio.Queue(maxsize)
        self.dropped = 0

    def put(self, event: object) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.queue.get_nowait()
            self.queue.put_nowait(event)
            self.dropped += 1

    def close(self) -> None:
        self._bus.unsubscribe_stream(self)

    def __aiter__(self) -> AsyncIterator[object]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[object]:
        while True:
            yield await self.queue.get()


class Bus:
    """Publish/subscribe by event type."""

    def __init__(self) -> None:
        self._handlers: dict[type, list[Handler]] = defaultdict(list)
        self._streams: list[Subscription] = []
        # Per event type, its own handlers then the catch-all ones, rebuilt on (un)subscribe so
        # that publishing costs one lookup.
        self._routes: dict[type, tuple[Handler, ...]] = {}
        self._catch_all: tuple[Handler, ...] = ()
        self.handler_errors = 0

    def _reroute(self) -> None:
        self._catch_all = tuple(self._handlers.get(object, ()))
        self._routes = {
            kind: tuple(handlers) + self._catch_all
            for kind, handlers in self._handlers.items()
            if kind is not object
        }

    def subscribe(self, kind: type[E], handler: Callable[[E], None]) -> Callable[[], None]:
        """Call `handler` for every published event of exactly type `kind`; returns an undo."""
        handlers = self._handlers[kind]
        handlers.append(handler)
        self._reroute()

        def undo() -> None:
            if handler in handlers:
                handlers.remove(handler)
                self._reroute()

        return undo

    def stream(self, *kinds: type, maxsize: int = 10_000) -> Subscription:
        """A queue receiving every event of the given types (all types when none are given)."""
        sub = Subscription(self, kinds, maxsize)
        self._streams.append(sub)
        for kind in kinds:
            self._handlers[kind].append(sub.put)
        if not kinds:
            self._handlers[object].append(sub.put)
        self._reroute()
        return sub

    def unsubscribe_stream(self, sub: Subscription) -> None:
        if sub in self._streams:
            self._streams.remove(sub)
        for kind in sub.kinds or (object,):
            handlers = self._handlers.get(kind, [])
            if sub.put in handlers:
                handlers.remove(sub.put)
        self._reroute()

    def wants(self, kind: type) -> bool:
        """Whether anything listens to events of type `kind` (so a publisher may skip making
        one nobody reads)."""
        return kind in self._routes or bool(self._catch_all)

    def publish(self, event: object) -> None:
        for handler in self._routes.get(type(event), self._catch_all):
            try:
                handler(event)
            except Exception:
                self.handler_errors += 1
                log.exception("event handler %r failed on %s", handler, type(event).__name__)
