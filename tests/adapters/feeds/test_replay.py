"""Tests for the replay feed: merge order, batching, pacing, warm-up, close and subscriptions."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tpm.adapters.feeds.csvbars import BarFile, read_bars
from tpm.adapters.feeds.replay import ReplayFeed, asset_class_of
from tpm.domain import Bar, Timeframe
from tpm.errors import DataError

MIN = 60 * 10**9
DAY = 86_400 * 10**9
T0 = 1_677_628_800 * 10**9  # 2023-03-01 00:00 UTC


def bar_file(symbol: str, starts: list[int], tf: Timeframe = Timeframe.M1) -> BarFile:
    bars = [Bar(symbol, tf, t, 10.0, 11.0, 9.0, 10.0 + i, 1.0) for i, t in enumerate(starts)]
    return BarFile(symbol, tf, bars, path=f"{symbol}.csv")


def minutes(symbol: str, n: int, offset: int = 0) -> BarFile:
    return bar_file(symbol, [T0 + (offset + 2 * i) * MIN for i in range(n)])


async def drain(feed: ReplayFeed, timeout_s: float = 30.0) -> list[list[Bar]]:
    """Every batch until the stream ends (the timeout only guards against a hung test)."""

    async def collect() -> list[list[Bar]]:
        return [list(batch) async for batch in feed.stream()]

    return await asyncio.wait_for(collect(), timeout_s)


async def test_merges_files_in_time_order() -> None:
    feed = ReplayFeed([minutes("A", 3), minutes("B", 3, offset=1), minutes("C", 2)])
    await feed.connect()
    bars = [bar for batch in await drain(feed) for bar in batch]
    assert [(b.symbol, (b.start_ns - T0) // MIN) for b in bars] == [
        ("A", 0),
        ("C", 0),  # a tie keeps the files' order
        ("B", 1),
        ("A", 2),
        ("C", 2),
        ("B", 3),
        ("A", 4),
        ("B", 5),
    ]
    assert all(b.is_closed for b in bars)


async def test_daily_bar_arrives_after_the_minutes_it_covers() -> None:
    day = bar_file("D", [T0], Timeframe.D1)
    feed = ReplayFeed([day, bar_file("M", [T0, T0 + 23 * 60 * MIN])])
    bars = [bar for batch in await drain(feed) for bar in batch]
    assert [b.symbol for b in bars] == ["M", "M", "D"]


async def test_speed_zero_yields_everything_in_batches() -> None:
    feed = ReplayFeed([minutes("A", 1500), minutes("B", 1000, offset=1)], speed=0)
    batches = await drain(feed)
    assert [len(b) for b in batches] == [1000, 1000, 500]
    starts = [bar.start_ns for batch in batches for bar in batch]
    assert starts == sorted(starts)


async def test_infinite_speed_is_as_fast_as_possible() -> None:
    batches = await drain(ReplayFeed([minutes("A", 5)], speed=float("inf")))
    assert [len(b) for b in batches] == [5]


async def test_pacing_follows_the_speed() -> None:
    feed = ReplayFeed([bar_file("A", [T0, T0 + MIN])], speed=600.0)
    began = time.monotonic()
    batches = await drain(feed)
    assert [len(b) for b in batches] == [1, 1]
    assert time.monotonic() - began >= 0.08  # 60 s at 600x is 0.1 s; only a loose lower bound


async def test_long_gaps_are_capped() -> None:
    # Three days at real time would hang; the cap turns the wait into a fraction of a second.
    feed = ReplayFeed(
        [bar_file("A", [T0, T0 + 3 * DAY], Timeframe.D1)], speed=1.0, max_sleep_s=0.05
    )
    began = time.monotonic()
    assert len(await drain(feed, timeout_s=30)) == 2
    assert time.monotonic() - began >= 0.04


async def test_same_time_bars_come_as_one_paced_batch() -> None:
    feed = ReplayFeed([minutes("A", 2), minutes("B", 2)], speed=1e6)
    assert [[b.symbol for b in batch] for batch in await drain(feed)] == [["A", "B"], ["A", "B"]]


async def test_warmup_bars_go_to_history_not_the_stream() -> None:
    feed = ReplayFeed([minutes("A", 10), minutes("B", 4, offset=1)], warmup_bars=3)
    await feed.connect()
    history = await feed.history("A", Timeframe.M1, 100)
    assert [b.close for b in history] == [10.0, 11.0, 12.0]
    assert [b.close for b in await feed.history("A", Timeframe.M1, 2)] == [11.0, 12.0]
    streamed = [bar for batch in await drain(feed) for bar in batch]
    assert [b.close for b in streamed if b.symbol == "A"] == [13.0 + i for i in range(7)]
    assert [b.close for b in streamed if b.symbol == "B"] == [13.0]
    # What has been played is history too, as after a reconnect.
    assert len(await feed.history("A", Timeframe.M1, 100)) == 10


async def test_history_of_unknown_symbol_or_other_timeframe_is_empty() -> None:
    feed = ReplayFeed([minutes("A", 10)], warmup_bars=5)
    assert await feed.history("A", Timeframe.H1, 10) == []
    assert await feed.history("ZZZ", Timeframe.M1, 10) == []
    assert await feed.history("A", Timeframe.M1, 0) == []


async def test_history_without_warmup_is_empty_before_streaming() -> None:
    feed = ReplayFeed([minutes("A", 10)])
    assert await feed.history("A", Timeframe.M1, 10) == []


async def test_close_ends_a_paced_stream() -> None:
    feed = ReplayFeed([bar_file("A", [T0 + i * DAY for i in range(100)], Timeframe.D1)], speed=1.0)
    received: list[list[Bar]] = []
    started = asyncio.Event()

    async def consume() -> None:
        async for batch in feed.stream():
            received.append(list(batch))
            started.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(started.wait(), 30)
    await feed.close()
    await asyncio.wait_for(task, 30)  # the 2 s pacing wait is interrupted, not sat out
    assert 1 <= len(received) < 100


async def test_close_ends_a_fast_stream_and_connect_resumes() -> None:
    feed = ReplayFeed([minutes("A", 2500)], batch_size=1000)
    stream = feed.stream()
    first = await anext(stream)
    await feed.close()
    assert [len(batch) async for batch in stream] == []
    await feed.connect()
    rest = await drain(feed)
    assert len(first) + sum(len(b) for b in rest) == 2500


async def test_subscribe_to_a_subset() -> None:
    feed = ReplayFeed([minutes("A", 3), minutes("B", 3), minutes("C", 3)], speed=0)
    await feed.connect()
    await feed.subscribe(["B", "NOT-THERE"])
    bars = [bar for batch in await drain(feed) for bar in batch]
    assert {b.symbol for b in bars} == {"B"} and len(bars) == 3


async def test_subscribe_to_a_subset_when_paced() -> None:
    feed = ReplayFeed([minutes("A", 3), minutes("B", 3, offset=1)], speed=1e6)
    await feed.subscribe(["A"])
    assert [[b.symbol for b in batch] for batch in await drain(feed)] == [["A"]] * 3


def test_instruments_by_kind() -> None:
    feed = ReplayFeed(
        [bar_file("AAPL", [T0], Timeframe.D1), minutes("BTCUSD", 2), minutes("EURUSD", 2)]
    )
    by_symbol = {i.symbol: i for i in feed.instruments()}
    assert set(by_symbol) == {"AAPL", "BTCUSD", "EURUSD"}
    assert all(i.exchange == "REPLAY" for i in by_symbol.values())
    aapl, btc, eur = by_symbol["AAPL"], by_symbol["BTCUSD"], by_symbol["EURUSD"]
    assert (aapl.timezone, aapl.asset_class, aapl.is_always_open) == (
        "America/New_York",
        "equity",
        False,
    )
    assert (btc.timezone, btc.asset_class, btc.is_always_open) == ("UTC", "crypto", True)
    assert eur.asset_class == "fx" and eur.is_always_open


def test_instrument_timezone_can_be_told() -> None:
    feed = ReplayFeed([bar_file("SAP", [T0], Timeframe.D1)], timezone="Europe/Berlin")
    assert feed.instruments()[0].timezone == "Europe/Berlin"


@pytest.mark.parametrize(
    ("symbol", "kind"),
    [
        ("BTCUSD", "crypto"),
        ("BTCUSDT", "crypto"),
        ("eth-usd", "crypto"),
        ("SOL/USDC", "crypto"),
        ("LINK", "equity"),
        ("EURUSD", "fx"),
        ("AAPL", "equity"),
        ("SPY", "equity"),
    ],
)
def test_asset_class_of(symbol: str, kind: str) -> None:
    assert asset_class_of(symbol) == kind


async def test_paths_with_symbols(tmp_path: Path) -> None:
    for name in ("a.csv", "b.csv", "ccc-1d.csv", "ddd_1d.csv"):
        (tmp_path / name).write_text(
            "Date,Open,High,Low,Close,Volume\n2023-03-01,1,1,1,1,1\n2023-03-02,1,1,1,1,1\n"
        )
    feed = ReplayFeed(
        [
            (tmp_path / "a.csv", "AAA"),
            (str(tmp_path / "b.csv"), "BBB"),
            (tmp_path / "ccc-1d.csv", None),  # None: the symbol comes from the file
            tmp_path / "ddd_1d.csv",
        ]
    )
    await feed.connect()
    assert sorted(i.symbol for i in feed.instruments()) == ["AAA", "BBB", "CCC", "DDD"]
    assert sum(len(b) for b in await drain(feed)) == 8


def test_two_files_for_one_symbol_are_refused() -> None:
    feed = ReplayFeed([minutes("A", 2), minutes("A", 2)])
    with pytest.raises(DataError, match="two files both hold A"):
        feed.instruments()


@pytest.mark.parametrize("speed", [-1.0, float("nan")])
def test_bad_speed_is_refused(speed: float) -> None:
    with pytest.raises(ValueError, match="speed"):
        ReplayFeed([], speed=speed)


async def test_replays_real_daily_files(shared_data: Path) -> None:
    daily = shared_data / "prices" / "daily"
    files = [read_bars(daily / f"{s}-2012-2017.csv") for s in ("AAPL", "MSFT", "XOM")]
    feed = ReplayFeed(files, warmup_bars=200)
    await feed.connect()
    assert len(await feed.history("MSFT", Timeframe.D1, 50)) == 50
    bars = [bar for batch in await drain(feed) for bar in batch]
    assert len(bars) == 3 * (1260 - 200)
    assert [b.start_ns for b in bars] == sorted(b.start_ns for b in bars)
    assert {i.timezone for i in feed.instruments()} == {"America/New_York"}


async def test_replays_real_crypto_minutes(shared_data: Path) -> None:
    path = shared_data / "prices" / "intraday" / "BTCUSD-1m-2023-03.csv"
    feed = ReplayFeed([(path, "BTCUSD")])
    (btc,) = feed.instruments()
    assert (btc.timezone, btc.is_always_open) == ("UTC", True)
    assert sum(len(b) for b in await drain(feed)) == 30_240
