"""`tpm` with no command: the app on an in-process engine."""

from __future__ import annotations

import asyncio
import logging

from tpm.config import Config, Paths

__all__ = ["run_app"]


def run_app(config: Config, paths: Paths) -> int:
    return asyncio.run(_run(config, paths))


async def _run(config: Config, paths: Paths) -> int:
    from tpm.cli.logs import log_to_file
    from tpm.cli.wiring import build_engine
    from tpm.engine.client import LocalEngineClient
    from tpm.ui.app import TpmApp

    # The terminal belongs to the app: engine logs go to a file beside the database.
    log_file = log_to_file(paths.data_dir / "tpm.log", config.engine.log_level)
    engine = build_engine(config, paths)
    client = LocalEngineClient(engine, config, paths.config_file)
    app = TpmApp(client, start=engine.start, theme=config.ui.theme)
    try:
        await app.run_async()
    finally:
        await engine.stop()
    if app.start_error:
        print(f"tpm: the engine could not start: {app.start_error} (log: {log_file})")
        return 1
    logging.getLogger("tpm").info("app closed")
    return 0
