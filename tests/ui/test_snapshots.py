"""Each screen as a picture, at 100x30 and 80x24, on a market that repeats exactly.

The engine is real (simulated market, paper broker, SQLite file, a strategy); what makes the
pictures repeat is the market: a fixed seed, simulated time rather than wall time, and a tape
that stops after a fixed number of batches. The engine runs on the market's clock, so feed age,
order times and the status-bar clock all come from the tape. Toasts are off: they come and go
with wall time. Update the pictures with `pytest tests/ui/test_snapshots.py --snapshot-update`
and look at every changed one before committing it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from pytest_textual_snapshot import SVGImageExtension
from syrupy.assertion import SnapshotAssertion
from textual.pilot import Pilot

from tpm.adapters.brokers.paper import PaperBroker
from tpm.adapters.feeds.sim import SimulatedMarket, Tick
from tpm.config import Config
from tpm.domain import Timeframe
from tpm.engine.client import LocalEngineClient
from tpm.engine.engine import Engine, EngineSettings
from tpm.store.sql_store import SqlStore
from tpm.strategies import MovingAverageTrend
from tpm.ui.app import TpmApp

from .conftest import wait_for

SIZES = [(100, 30), (80, 24)]
SCREENS = ["dashboard", "analytics", "trading", "heatmap", "settings"]


class Tape(SimulatedMarket):
    """The simulated market cut after `batches` batches; then quiet until closed."""

    def __init__(self, batches: int) -> None:
        super().__init__(seed=3, symbols=12, tick_hz=4, realtime=False, history_days=60)
        self.batches = batches
        self.sent = 0
        self._shut = False

    async def stream(self) -> AsyncIterator[list[Tick]]:
        async for batch in super().stream():
            yield batch
            self.sent += 1
            if self.sent >= self.batches:
                break
        # Ending the stream would read as a lost connection: stay connected and quiet instead.
        while not self._shut:
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        self._shut = True
        await super().close()


@pytest.fixture
def snap(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(SVGImageExtension)


@asynccontextmanager
async def still_app(
    tmp_path: Path, size: tuple[int, int]
) -> AsyncIterator[tuple[TpmApp, Pilot[None]]]:
    feed = Tape(batches=40)
    names = [i.symbol for i in feed.instruments()][:4]
    engine = Engine(
        feed,
        PaperBroker(feed.instruments(), latency_ms=0),
        SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'snap.db'}"),
        EngineSettings(snapshot_hz=20, market_clock=True, equity_interval_s=60.0),
        [MovingAverageTrend(names, timeframe=Timeframe.M1, fast=3, slow=8)],
    )
    quiet = {"toast_fills": False, "toast_rejections": False, "toast_feed": False}
    config = Config.model_validate({"ui": quiet})
    app = TpmApp(LocalEngineClient(engine, config, tmp_path / "config.toml"), start=engine.start)
    try:
        async with app.run_test(size=size) as pilot:
            await wait_for(pilot, lambda: feed.sent >= feed.batches, "the whole tape", 60)
            final = engine.clock.now_ns()
            await wait_for(
                pilot,
                lambda: app.snapshot is not None and app.snapshot.ts_ns >= final,
                "the snapshot of the tape's end",
            )
            yield app, pilot
    finally:
        await engine.stop()


def _cases() -> Iterator[tuple[str, tuple[int, int]]]:
    for screen in SCREENS:
        for size in SIZES:
            yield screen, size


@pytest.mark.parametrize(
    ("screen", "size"), list(_cases()), ids=lambda v: str(v).replace(", ", "x")
)
async def test_screen(
    tmp_path: Path, snap: SnapshotAssertion, screen: str, size: tuple[int, int]
) -> None:
    async with still_app(tmp_path, size) as (app, pilot):
        await app.switch_mode(screen)
        await pilot.pause(0.5)
        await pilot.wait_for_scheduled_animations()
        svg = app.export_screenshot(title=f"tpm {screen}")
        assert snap == svg
