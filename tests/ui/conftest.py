"""The app under test runs on a real engine: simulated market, paper broker, SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tpm.adapters.brokers.paper import PaperBroker
from tpm.adapters.feeds.sim import SimulatedMarket
from tpm.config import Config
from tpm.domain import Timeframe
from tpm.engine.client import LocalEngineClient
from tpm.engine.engine import Engine, EngineSettings
from tpm.store.sql_store import SqlStore
from tpm.strategies import MovingAverageTrend
from tpm.ui.app import TpmApp
from tpm.ui.screens.login import LoginScreen


def make_engine(db: Path, *, symbols: int = 12, strategies: bool = True) -> Engine:
    feed = SimulatedMarket(seed=3, symbols=symbols, tick_hz=8, history_days=30, history_minutes=120)
    broker = PaperBroker(feed.instruments(), latency_ms=0)
    strats = []
    if strategies:
        names = [i.symbol for i in feed.instruments()][:4]
        strats = [MovingAverageTrend(names, timeframe=Timeframe.M1, fast=3, slow=8)]
    return Engine(
        feed,
        broker,
        SqlStore(f"sqlite+aiosqlite:///{db}"),
        EngineSettings(snapshot_hz=20, strategies_folder=db.parent / "strategies"),
        strats,
        trial_broker=lambda instruments: PaperBroker(instruments, latency_ms=0),
    )


async def wait_for(
    pilot: Pilot[None], done: Callable[[], bool], what: str, timeout_s: float = 20.0
) -> None:
    """Let the app run until `done()` holds (fails the test after `timeout_s`)."""
    waited = 0.0
    while not done():
        if waited > timeout_s:
            pytest.fail(f"timed out waiting for {what}")
        await pilot.pause(0.05)
        waited += 0.05


@asynccontextmanager
async def running_app(
    tmp_path: Path, size: tuple[int, int] = (100, 30), **kw: object
) -> AsyncIterator[tuple[TpmApp, Pilot[None], Engine]]:
    engine = make_engine(tmp_path / "ui.db", **kw)  # type: ignore[arg-type]
    client = LocalEngineClient(engine, Config(), tmp_path / "config.toml")
    app = TpmApp(client, start=engine.start)
    try:
        async with app.run_test(size=size) as pilot:
            await wait_for(
                pilot,
                lambda: app.snapshot is not None and bool(app.snapshot.watchlist),
                "the first snapshot",
            )
            yield app, pilot, engine
    finally:
        await engine.stop()


async def type_into(pilot: Pilot[None], selector: str, text: str) -> None:
    """Fill an input of the current screen and press Enter in it."""
    field = pilot.app.screen.query_one(selector, Input)
    field.value = text
    field.focus()
    await pilot.press("enter")


async def login_shown(pilot: Pilot[None], what: str) -> None:
    """Wait for the login screen with its fields: it composes after it becomes the screen."""
    app = pilot.app
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, LoginScreen) and bool(app.screen.query("#login-message")),
        what,
    )


def login_message(app: TpmApp) -> str:
    """What the login screen says under its fields."""
    return str(app.screen.query_one("#login-message", Static).render())
