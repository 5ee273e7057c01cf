"""The app's client while a login may be needed: calls wait until someone is logged in.

Screens load their data as they mount, some before the login screen is answered; their calls
wait here rather than fail, and go through once the user is in. The login calls themselves
pass straight through.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from tpm.domain.client import EngineClient

__all__ = ["LoginGate"]

_PASS = frozenset(
    {
        "login_required",
        "login",
        "second_factor",
        "logout",
        "confirm",
        "whoami",
        "description",
        "link_down_s",
    }
)


class LoginGate:
    def __init__(self, inner: EngineClient) -> None:
        self.inner = inner
        self.open = asyncio.Event()
        """Set while someone is logged in (or nobody needs to be)."""

    def snapshots(self) -> AsyncIterator[Any]:
        async def follow() -> AsyncIterator[Any]:
            await self.open.wait()
            async for snap in self.inner.snapshots():
                yield snap

        return follow()

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)
        if name in _PASS:
            return target

        async def call(*args: Any, **kwargs: Any) -> Any:
            await self.open.wait()
            method: Callable[..., Any] = getattr(self.inner, name)
            return await method(*args, **kwargs)

        return call
