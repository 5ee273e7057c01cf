"""`tpm` with no command: the app on an in-process engine.

The app's first frame comes before the engine exists: the settings are validated, the engine's
modules (SQL, numpy, the simulated market) imported and the engine built and started after the
app is on screen, so a trader sees the workstation at once and a "starting" status while the
engine warms up. Settings that do not validate close the app before anything is started, and
`tpm` exits 2 with the problems, as every command does.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tpm.config import Paths
from tpm.errors import ConfigError

if TYPE_CHECKING:
    from tpm.domain.client import EngineClient
    from tpm.engine.engine import Engine
    from tpm.ui.app import TpmApp

__all__ = ["DeferredClient", "build_app", "run_app"]


class DeferredClient:
    """The EngineClient the app holds while the engine starts: calls wait until it runs."""

    description = "local"

    def __init__(self, raw: dict[str, Any], paths: Paths) -> None:
        self._raw, self._paths = raw, paths
        self._ready = asyncio.Event()
        self._inner: EngineClient | None = None
        self.engine: Engine | None = None
        self.log_file: Path | None = None

    async def start(self) -> None:
        """Validate the settings, then build and start the engine (the slow imports happen
        here, after the first frame). A ConfigError leaves nothing started."""
        from tpm.cli.logs import log_to_file
        from tpm.cli.wiring import build_engine, gated
        from tpm.config import validate_config
        from tpm.engine.client import LocalEngineClient

        config = validate_config(self._raw, self._paths.config_file)
        # The terminal belongs to the app: engine logs go to a file beside the database.
        self.log_file = log_to_file(self._paths.data_dir / "tpm.log", config.engine.log_level)
        self.engine = build_engine(config, self._paths)
        await self.engine.start()
        settle_heap()
        local = LocalEngineClient(self.engine, config, self._paths.config_file)
        self._inner = await gated(local, self.engine, config)
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


def build_app(
    raw: dict[str, Any], paths: Paths, app_class: type[TpmApp] | None = None
) -> tuple[TpmApp, DeferredClient]:
    """The app (a TpmApp, or `app_class`) and its client for the settings `raw`
    (config.toml's tables, unvalidated)."""
    from tpm.ui.app import TpmApp

    client = DeferredClient(raw, paths)

    async def start() -> None:
        try:
            await client.start()
        except ConfigError as exc:
            app.config_error = exc
            app.exit()

    # The theme is wanted for the first frame, before validation; a bad name is the default
    # theme for that moment, then the ConfigError that names it.
    ui = raw.get("ui")
    theme = ui.get("theme") if isinstance(ui, dict) else None
    app = (app_class or TpmApp)(
        client, start=start, theme=theme if isinstance(theme, str) else "textual-dark"
    )
    return app, client


def run_app(raw: dict[str, Any], paths: Paths) -> int:
    return asyncio.run(_run(raw, paths))


async def _run(raw: dict[str, Any], paths: Paths) -> int:
    app, client = build_app(raw, paths)
    try:
        await app.run_async()
    finally:
        await client.stop()
    if app.config_error is not None:
        raise app.config_error
    if app.start_error:
        print(f"tpm: the engine could not start: {app.start_error} (log: {client.log_file})")
        return 1
    logging.getLogger("tpm").info("app closed")
    return 0
