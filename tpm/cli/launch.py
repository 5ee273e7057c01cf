"""`tpm` with no command: the app on an in-process engine.

The app's first frame comes before the engine exists: the engine's modules (SQL, numpy, the
simulated market) are imported and the engine built and started after the app is on screen,
so a trader sees the workstation at once and a "starting" status while the engine warms up.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from tpm.config import Config, Paths

if TYPE_CHECKING:
    from tpm.engine.client import LocalEngineClient
    from tpm.engine.engine import Engine
    from tpm.ui.app import TpmApp

__all__ = ["DeferredClient", "build_app", "run_app"]


class DeferredClient:
    """The EngineClient the app holds while the engine starts: calls wait until it runs."""

    description = "local"

    def __init__(self, config: Config, paths: Paths) -> None:
        self._config, self._paths = config, paths
        self._ready = asyncio.Event()
        self._inner: LocalEngineClient | None = None
        self.engine: Engine | None = None

    async def start(self) -> None:
        """Build and start the engine (the slow imports happen here, after the first frame)."""
        from tpm.cli.wiring import build_engine
        from tpm.engine.client import LocalEngineClient

        self.engine = build_engine(self._config, self._paths)
        await self.engine.start()
        settle_heap()
        self._inner = LocalEngineClient(self.engine, self._config, self._paths.config_file)
        self._ready.set()

    async def stop(self) -> None:
        if self.engine is not None:
            await self.engine.stop()

    def snapshots(self) -> AsyncIterator[Any]:
        async def follow() -> AsyncIterator[Any]:
            await self._ready.wait()
            assert self._inner is not None
            async for snap in self._inner.snapshots():
                yield snap

        return follow()

    def __getattr__(self, name: str) -> Callable[..., Any]:
        async def call(*args: Any, **kwargs: Any) -> Any:
            await self._ready.wait()
            return await getattr(self._inner, name)(*args, **kwargs)

        return call


def settle_heap() -> None:
    """Move what start-up built (history, instruments, screens) out of the collector's way.

    The cyclic garbage collector scans every tracked object on its older generations' runs;
    with the engine's history in the same process, each such run stalled repaints by tens of
    milliseconds. Objects alive now live for the whole run, so they are frozen out of it.
    """
    gc.collect()
    gc.freeze()


def build_app(config: Config, paths: Paths) -> tuple[TpmApp, DeferredClient]:
    from tpm.ui.app import TpmApp

    client = DeferredClient(config, paths)
    return TpmApp(client, start=client.start, theme=config.ui.theme), client


def run_app(config: Config, paths: Paths) -> int:
    return asyncio.run(_run(config, paths))


async def _run(config: Config, paths: Paths) -> int:
    from tpm.cli.logs import log_to_file

    # The terminal belongs to the app: engine logs go to a file beside the database.
    log_file = log_to_file(paths.data_dir / "tpm.log", config.engine.log_level)
    app, client = build_app(config, paths)
    try:
        await app.run_async()
    finally:
        await client.stop()
    if app.start_error:
        print(f"tpm: the engine could not start: {app.start_error} (log: {log_file})")
        return 1
    logging.getLogger("tpm").info("app closed")
    return 0
