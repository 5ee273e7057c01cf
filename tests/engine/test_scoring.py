"""The score board: scores follow bar closes, news and figures; they are published and stored."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

from tpm.adapters.brokers.paper import PaperBroker
from tpm.adapters.feeds.sim import SimulatedMarket
from tpm.config.scores import ScoresConfig
from tpm.domain import Bar, Fundamentals, NewsItem, Rating, Score, Timeframe
from tpm.engine.bus import Bus
from tpm.engine.clock import ManualClock
from tpm.engine.engine import Engine, EngineSettings
from tpm.engine.scoring import ScoreBoard
from tpm.store.sql_store import SqlStore

M = 60_000_000_000
T0 = 1_700_000_000_000_000_000 // M * M


def _bars(symbol: str, drift: float, n: int = 120) -> list[Bar]:
    rng = np.random.default_rng(1)
    close = 100 * np.exp(np.cumsum(drift + rng.normal(0, 0.002, n)))
    opens = np.r_[100.0, close[:-1]]
    return [
        Bar(
            symbol,
            Timeframe.M1,
            T0 + i * M,
            float(opens[i]),
            float(max(opens[i], close[i]) * 1.001),
            float(min(opens[i], close[i]) * 0.999),
            float(close[i]),
            1000.0,
        )
        for i in range(n)
    ]


async def test_scores_follow_bars_news_and_figures_and_are_stored(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite+aiosqlite:///{tmp_path / 's.db'}")
    await store.open()
    try:
        bus = Bus()
        published: list[Score] = []
        bus.subscribe(Score, published.append)
        clock = ManualClock(T0 + 200 * M)
        board = ScoreBoard(
            bus,
            store,
            ScoresConfig(timeframe="1m", timeframes=("1m",)),
            clock.now_ns,
            {"UP": "Tech", "DOWN": "Tech"},
        )
        up, down = _bars("UP", 0.003), _bars("DOWN", -0.003)
        board.warm_up("UP", Timeframe.M1, up[:-1])
        board.warm_up("DOWN", Timeframe.M1, down[:-1])
        assert published == []  # warming up publishes nothing
        board.on_bar(up[-1])
        board.on_bar(down[-1])
        board.on_bar(Bar("UP", Timeframe.M5, T0, 1, 1, 1, 1, 1))  # not a scored timeframe
        assert [s.symbol for s in published] == ["UP", "DOWN"]
        assert published[0].technical.value > 60  # type: ignore[operator]
        assert published[1].technical.value < 40  # type: ignore[operator]
        assert published[0].fundamental.value is None and published[0].composite is not None

        scored = board.add_news(
            [
                NewsItem("n1", "DOWN", clock.now_ns(), "Acme cuts full-year guidance"),
                NewsItem("n1", "DOWN", clock.now_ns(), "Acme cuts full-year guidance"),
            ]
        )
        assert len(scored) == 1 and scored[0].score is not None and scored[0].score < 0
        assert published[-1].symbol == "DOWN" and published[-1].sentiment.value < 50  # type: ignore[operator]

        board.set_fundamentals(
            [
                Fundamentals("UP", T0, "t", pe=10.0, roe=0.3),
                Fundamentals("DOWN", T0, "t", pe=40.0, roe=0.02),
            ]
        )
        assert board.latest["UP"].fundamental.value > board.latest["DOWN"].fundamental.value  # type: ignore[operator]
        await store.flush()
        async with store._e.reader.connect() as conn:
            rows = (
                await conn.exec_driver_sql(
                    "SELECT symbol, composite, rating, drivers FROM scores ORDER BY rowid"
                )
            ).all()
        # One row per symbol and instant: a later score at the same instant replaces it.
        assert len(rows) == len({(p.symbol, p.ts_ns) for p in published})
        stored = {r[0]: r for r in rows}
        for symbol in ("UP", "DOWN"):
            latest = board.latest[symbol]
            assert stored[symbol][1] == latest.composite
            assert stored[symbol][2] == latest.rating.value  # type: ignore[union-attr]
            assert stored[symbol][3].split("\n")[0] == latest.drivers[0].text
        assert all(r[2] in {x.value for x in Rating} for r in rows)
    finally:
        await store.close()


async def test_the_engine_scores_on_bar_close_and_the_watchlist_shows_it(
    tmp_path: Path,
) -> None:
    feed = SimulatedMarket(
        seed=4, symbols=8, tick_hz=20, realtime=False, history_days=60, history_minutes=240
    )
    settings = EngineSettings(
        market_clock=True, scores=ScoresConfig(timeframe="1m", timeframes=("1m", "15m"))
    )
    engine = Engine(
        feed,
        PaperBroker(feed.instruments()),
        SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'e.db'}"),
        settings,
        fundamentals=feed.fundamentals_source(),
        news=feed.news_source(),
    )
    seen: list[Score] = []
    engine.bus.subscribe(Score, seen.append)
    await engine.start()
    try:
        assert len(engine.scores.latest) == 8
        started = len(seen)
        async with asyncio.timeout(30):
            while len(seen) < started + 16:  # two minutes of bar closes, eight symbols
                await asyncio.sleep(0.05)
        snap = engine.publisher.publish()
        rows = {r.symbol: r for r in snap.watchlist}
        scored = [r for r in rows.values() if r.score is not None]
        assert len(scored) == 8 and all(r.rating for r in scored)
        equities = [s for s in engine.scores.latest.values() if s.fundamental.value is not None]
        assert len(equities) >= 5
    finally:
        await engine.stop()
