"""Tests for the simulated market: ticks, history, statistics, fundamentals and news."""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections import Counter, defaultdict

import numpy as np
import pytest

from tpm.adapters.feeds.sim import SimulatedMarket
from tpm.adapters.feeds.sim_headlines import template_tone
from tpm.adapters.feeds.sim_universe import DEFAULT_EPOCH_NS, UNIVERSE
from tpm.domain import FUNDAMENTAL_FIELDS, Bar, Quote, Timeframe, Trade

MIN = 60 * 10**9
HOUR = 60 * MIN
DAY = 24 * HOUR


async def take(market: SimulatedMarket, n: int, subscribe: bool = True) -> list[Quote | Trade]:
    """The next `n` or so events of the stream (whole batches), subscribing to everything."""
    await market.connect()
    if subscribe:
        await market.subscribe([i.symbol for i in market.instruments()])
    out: list[Quote | Trade] = []
    async for batch in market.stream():
        out += batch
        if len(out) >= n:
            break
    return out


async def daily_returns(market: SimulatedMarket) -> np.ndarray:
    closes = [
        [b.close for b in await market.history(s.symbol, Timeframe.D1, 10_000)]
        for s in market.specs
    ]
    return np.diff(np.log(np.array(closes).T), axis=0)


def assert_ohlc(bars: list[Bar]) -> None:
    for b in bars:
        assert b.is_closed
        assert 0 < b.low <= min(b.open, b.close) <= max(b.open, b.close) <= b.high, b
        assert b.volume > 0, b


# -- universe ----------------------------------------------------------------------------------


def test_universe_is_broad() -> None:
    market = SimulatedMarket(realtime=False)
    instruments = market.instruments()
    equities = [i for i in instruments if i.asset_class == "equity"]
    assert len(equities) >= 36
    assert len({i.sector for i in equities}) >= 8
    assert len({i.symbol for i in instruments}) == len(instruments)
    assert sum(i.asset_class == "crypto" for i in instruments) == 2
    assert market.benchmark in {i.symbol for i in instruments}
    assert all(
        i.is_always_open and i.exchange == "SIM" and i.timezone == "UTC" for i in instruments
    )
    prices = [s.price for s in market.specs]
    assert min(prices) < 15 and max(prices) > 500
    assert min(s.drift for s in market.specs) < 0 < max(s.drift for s in market.specs)
    vol = {s.sector: s.vol for s in UNIVERSE if s.vol_mult == 1.0}
    assert vol["Utilities"] < vol["Financials"] < vol["Technology"] < vol["Crypto"]
    first_twelve = SimulatedMarket(realtime=False, symbols=12).instruments()
    assert len({i.sector for i in first_twelve}) >= 10  # a small sim still spans the market


@pytest.mark.parametrize(
    "kwargs", [{"symbols": 0}, {"tick_hz": 0}, {"history_days": 0}, {"seed": -1}]
)
def test_bad_arguments_are_refused(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="must"):
        SimulatedMarket(realtime=False, **kwargs)


# -- ticks -------------------------------------------------------------------------------------


async def test_same_seed_same_ticks_and_other_seed_other_ticks() -> None:
    a = await take(SimulatedMarket(seed=3, realtime=False), 5_000)
    b = await take(SimulatedMarket(seed=3, realtime=False), 5_000)
    c = await take(SimulatedMarket(seed=4, realtime=False), 5_000)
    assert a[:5_000] == b[:5_000]
    assert a[:5_000] != c[:5_000]


async def test_quotes_and_trades_are_well_formed() -> None:
    market = SimulatedMarket(realtime=False, tick_hz=20.0)
    events = await take(market, 60_000)
    last_ts = 0
    last_quote: dict[str, Quote] = {}
    quotes = trades = 0
    for ev in events:
        assert ev.ts_ns >= last_ts
        last_ts = ev.ts_ns
        if isinstance(ev, Quote):
            quotes += 1
            assert 0 < ev.bid < ev.ask
            for px in (ev.bid, ev.ask):
                assert abs(px * 100 - round(px * 100)) < 1e-6
            assert ev.bid_size > 0 and ev.ask_size > 0
            last_quote[ev.symbol] = ev
        else:
            trades += 1
            q = last_quote[ev.symbol]
            assert q.ts_ns == ev.ts_ns and ev.price in (q.bid, q.ask)
            assert ev.size > 0
    assert 0.4 < trades / quotes < 0.6
    assert len(last_quote) == len(market.instruments())
    # One tick interval per symbol per step: 1/20 s apart.
    spy = [e.ts_ns for e in events if isinstance(e, Quote) and e.symbol == "SIMX"]
    assert set(np.diff(spy)) == {50_000_000}
    sizes = [e.bid_size for e in events if isinstance(e, Quote) and e.symbol == "ZORV"]
    assert 50 < float(np.median(sizes)) < 5_000
    btc = [e for e in events if isinstance(e, Trade) and e.symbol == "SIMBTC-USD"]
    assert all(abs(t.size * 1e4 - round(t.size * 1e4)) < 1e-6 for t in btc)


async def test_first_live_quote_continues_the_minute_history() -> None:
    market = SimulatedMarket(
        realtime=False, start_ns=DEFAULT_EPOCH_NS + 13 * HOUR + 17 * MIN + 5 * 10**9
    )
    events = await take(market, 2 * len(market.instruments()))
    first: dict[str, Quote] = {}
    for ev in events:
        if isinstance(ev, Quote):
            first.setdefault(ev.symbol, ev)
    for s in market.specs:
        last = (await market.history(s.symbol, Timeframe.M1, 1))[0]
        assert last.end_ns <= market.start_ns < last.end_ns + MIN
        assert first[s.symbol].ts_ns >= market.start_ns
        assert abs(first[s.symbol].mid / last.close - 1) < 0.01, s.symbol


async def test_subscribe_a_subset_streams_only_that_subset() -> None:
    market = SimulatedMarket(realtime=False)
    await market.connect()
    await market.subscribe(["ZORV", "QWPL", "NOT-A-SYMBOL"])
    events = await take(market, 2_000, subscribe=False)
    assert {e.symbol for e in events} == {"ZORV", "QWPL"}


async def test_resubscribing_continues_the_same_paths() -> None:
    once = await take(SimulatedMarket(realtime=False, symbols=5), 3_000)
    market = SimulatedMarket(realtime=False, symbols=5)
    first = await take(market, 1_000)
    await market.close()
    second = await take(market, 2_000)  # a reconnect: connect, subscribe and stream again
    joined = first + second
    assert joined[: len(once)] == once[: len(joined)]


async def test_close_ends_the_stream() -> None:
    market = SimulatedMarket(realtime=False)
    await market.connect()
    await market.subscribe(["ZORV"])
    flowing = asyncio.Event()

    async def consume() -> None:
        async for _ in market.stream():
            flowing.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(flowing.wait(), timeout=5)
    await market.close()
    await asyncio.wait_for(task, timeout=5)


async def test_realtime_ticks_follow_the_wall_clock() -> None:
    market = SimulatedMarket(realtime=True, symbols=3, tick_hz=4.0)
    await market.connect()
    await market.subscribe([i.symbol for i in market.instruments()])
    counts: Counter[str] = Counter()
    stop = time.monotonic() + 1.5

    async def consume() -> None:
        async for batch in market.stream():
            now = time.time_ns()
            for ev in batch:
                assert ev.ts_ns <= now
                counts[ev.symbol] += isinstance(ev, Quote)
            if time.monotonic() > stop:
                await market.close()

    await asyncio.wait_for(consume(), timeout=10)
    assert set(counts) == {i.symbol for i in market.instruments()}
    assert all(2 <= n <= 12 for n in counts.values()), counts


async def test_realtime_skips_ahead_instead_of_replaying_a_stall() -> None:
    hour_ago = time.time_ns() - 3_600 * 10**9
    market = SimulatedMarket(realtime=True, symbols=2, start_ns=hour_ago)
    await market.connect()
    await market.subscribe([i.symbol for i in market.instruments()])
    async for batch in market.stream():
        assert len(batch) < 100
        assert time.time_ns() - batch[0].ts_ns < 10 * 10**9
        break
    await market.close()


# -- history -----------------------------------------------------------------------------------


async def test_daily_history_ends_the_day_before_the_start() -> None:
    market = SimulatedMarket(realtime=False, start_ns=DEFAULT_EPOCH_NS + 9 * HOUR, history_days=300)
    bars = await market.history("KQRX", Timeframe.D1, 10_000)
    assert len(bars) == 300
    assert bars[-1].start_ns == DEFAULT_EPOCH_NS - DAY
    assert all(b.start_ns % DAY == 0 for b in bars)
    assert all(b.start_ns - a.start_ns == DAY for a, b in itertools.pairwise(bars))
    assert all(b.open == a.close for a, b in itertools.pairwise(bars))
    assert_ohlc(bars)
    assert len(await market.history("KQRX", Timeframe.D1, 20)) == 20
    assert await market.history("NOPE", Timeframe.D1, 20) == []


async def test_minute_history_joins_the_daily_history() -> None:
    start = DEFAULT_EPOCH_NS + 10 * HOUR + 30 * MIN
    market = SimulatedMarket(realtime=False, start_ns=start, history_minutes=3_000)
    for symbol in ("ZORV", "AUZX", "SIMBTC-USD"):
        days = await market.history(symbol, Timeframe.D1, 2)
        minutes = await market.history(symbol, Timeframe.M1, 10_000)
        assert len(minutes) == 3_000
        assert minutes[-1].end_ns == start
        assert all(b.start_ns - a.start_ns == MIN for a, b in itertools.pairwise(minutes))
        assert all(b.open == a.close for a, b in itertools.pairwise(minutes))
        assert_ohlc(minutes)
        # Today's minutes start from yesterday's close ...
        today = [b for b in minutes if b.start_ns >= DEFAULT_EPOCH_NS]
        assert today[0].open == days[-1].close
        # ... and yesterday's minutes are yesterday's daily bar, minute by minute.
        day = [b for b in minutes if days[-1].start_ns <= b.start_ns < DEFAULT_EPOCH_NS]
        assert len(day) == 1440
        assert day[0].open == days[-1].open and day[-1].close == days[-1].close
        assert max(b.high for b in day) == days[-1].high
        assert min(b.low for b in day) == days[-1].low
        assert sum(b.volume for b in day) == pytest.approx(days[-1].volume)


@pytest.mark.parametrize(("tf", "k"), [(Timeframe.M5, 5), (Timeframe.M15, 15), (Timeframe.H1, 60)])
async def test_aggregated_bars_are_built_from_the_minute_bars(tf: Timeframe, k: int) -> None:
    market = SimulatedMarket(realtime=False, start_ns=DEFAULT_EPOCH_NS + 7 * HOUR + 23 * MIN)
    minutes = await market.history("NMBQ", Timeframe.M1, 10_000)
    by_start = {b.start_ns: b for b in minutes}
    bars = await market.history("NMBQ", tf, 10_000)
    assert len(bars) >= 1440 // k
    assert bars[-1].end_ns <= market.start_ns
    for bar in bars:
        assert bar.start_ns % tf.ns == 0
        # The generator keeps minutes before the M1 window when they complete a bucket.
        starts = [bar.start_ns + i * MIN for i in range(k)]
        parts = [by_start[t] for t in starts if t in by_start]
        if len(parts) < k:
            continue
        assert bar.open == parts[0].open and bar.close == parts[-1].close
        assert bar.high == max(p.high for p in parts) and bar.low == min(p.low for p in parts)
        assert bar.volume == pytest.approx(sum(p.volume for p in parts))


async def test_history_depends_on_the_seed_not_on_the_clock() -> None:
    a = SimulatedMarket(realtime=False, seed=9)
    b = SimulatedMarket(realtime=False, seed=9, start_ns=DEFAULT_EPOCH_NS + 41 * DAY + 5 * HOUR)
    c = SimulatedMarket(realtime=False, seed=10)
    bars_a = await a.history("RQMT", Timeframe.D1, 400)
    bars_b = await b.history("RQMT", Timeframe.D1, 400)
    bars_c = await c.history("RQMT", Timeframe.D1, 400)
    assert [x.close for x in bars_a] == [x.close for x in bars_b]
    assert bars_b[0].start_ns - bars_a[0].start_ns == 41 * DAY
    assert [x.close for x in bars_a] != [x.close for x in bars_c]
    nominal = next(s.price for s in a.specs if s.symbol == "RQMT")
    assert bars_a[-1].close == pytest.approx(nominal)


# -- statistics ----------------------------------------------------------------------------------


async def test_same_sector_returns_correlate_more_than_cross_sector() -> None:
    market = SimulatedMarket(realtime=False)
    corr = np.corrcoef((await daily_returns(market)).T)
    specs = market.specs
    same, cross = [], []
    for i in range(len(specs)):
        for j in range(i + 1, len(specs)):
            if specs[i].asset_class == specs[j].asset_class == "equity":
                (same if specs[i].sector == specs[j].sector else cross).append(corr[i, j])
    assert np.mean(same) > np.mean(cross) + 0.15
    assert np.mean(cross) > 0.1  # the market factor ties everything together


async def test_betas_and_volatilities_show_in_the_history() -> None:
    market = SimulatedMarket(realtime=False, seed=11)
    r = await daily_returns(market)
    bench = r[:, [s.symbol for s in market.specs].index(market.benchmark or "")]
    betas = [np.cov(r[:, i], bench)[0, 1] / bench.var(ddof=1) for i in range(r.shape[1])]
    assert np.corrcoef(betas, [s.beta for s in market.specs])[0, 1] > 0.8
    vols = r.std(axis=0, ddof=1) * math.sqrt(252)
    assert np.corrcoef(vols, [s.vol for s in market.specs])[0, 1] > 0.9


async def test_volatility_has_calm_and_turbulent_regimes() -> None:
    market = SimulatedMarket(realtime=False)
    r = await daily_returns(market)
    # Market-wide activity: each day's mean absolute return, each symbol scaled to unit variance.
    activity = np.abs(r / r.std(axis=0)).mean(axis=1)
    rolling = np.convolve(activity, np.ones(20) / 20, mode="valid")
    # Independent days would give about 1.1 and 0.0; regimes make calm and stormy stretches.
    assert rolling.max() / rolling.min() > 2.0
    assert np.corrcoef(activity[:-1], activity[1:])[0, 1] > 0.3


async def test_jumps_are_rare_two_sided_and_visible_in_the_bars() -> None:
    market = SimulatedMarket(realtime=False)
    r = await daily_returns(market)
    first_day = (await market.history("SIMX", Timeframe.D1, 10_000))[1].start_ns
    col = {s.symbol: i for i, s in enumerate(market.specs)}
    jumps = [j for j in market.jumps if j.ts_ns >= first_day]
    per_symbol_year = len(jumps) / len(col) / (r.shape[0] / 252)
    assert 1 < per_symbol_year < 10
    assert min(j.size for j in jumps) < -0.03 and max(j.size for j in jumps) > 0.03
    big = [j for j in jumps if abs(j.size) > 0.06]
    agree = [
        np.sign(r[(j.ts_ns - first_day) // DAY, col[j.symbol]]) == np.sign(j.size) for j in big
    ]
    assert big and np.mean(agree) > 0.8


# -- fundamentals --------------------------------------------------------------------------------


async def test_fundamentals_cover_equities_plausibly_with_gaps() -> None:
    market = SimulatedMarket(realtime=False)
    source = market.fundamentals_source()
    assert source.name == "sim"
    rows = {
        f.symbol: f for f in await source.fundamentals([i.symbol for i in market.instruments()])
    }
    specs = {s.symbol: s for s in market.specs}
    equities = [s for s in specs if specs[s].asset_class == "equity"]
    assert set(rows) == set(specs)
    values = [getattr(rows[s], f) for s in equities for f in FUNDAMENTAL_FIELDS]
    missing = sum(v is None for v in values) / len(values)
    assert 0.005 < missing < 0.12
    for s in equities:
        f = rows[s]
        assert f.market_cap and f.market_cap > 1e9
        assert f.pe is None or 4 < f.pe < 150
        assert f.dividend_yield is None or 0 <= f.dividend_yield < 0.1
        margins = [m for m in (f.gross_margin, f.operating_margin, f.net_margin) if m is not None]
        assert margins == sorted(margins, reverse=True) and all(-1 < m < 1 for m in margins)
    for symbol, spec in specs.items():
        if spec.asset_class != "equity":
            assert rows[symbol].pe is None and rows[symbol].revenue_growth is None

    def drift_corr(field: str) -> float:
        pairs = [(specs[s].drift, getattr(rows[s], field)) for s in equities]
        x, y = zip(*[(d, v) for d, v in pairs if v is not None], strict=True)
        return float(np.corrcoef(x, y)[0, 1])

    assert drift_corr("revenue_growth") > 0.7
    assert drift_corr("eps_growth") > 0.6
    assert drift_corr("pe") > 0.2
    again = await market.fundamentals_source().fundamentals(["ZORV"])
    assert again == [rows["ZORV"]]


# -- news ----------------------------------------------------------------------------------------


async def test_recent_news_tone_follows_drift() -> None:
    market = SimulatedMarket(realtime=False)
    items = await market.news_source().recent(100_000)
    assert len(items) > 5_000
    assert all(i.ts_ns < market.start_ns and i.score is None for i in items)
    assert [i.ts_ns for i in items] == sorted(i.ts_ns for i in items)
    assert len({i.id for i in items}) == len(items)
    tones: dict[str, Counter[int | None]] = defaultdict(Counter)
    for item in items:
        tones[item.symbol][template_tone(item.headline)] += 1
    assert all(None not in c for c in tones.values())
    net = {s: (c[1] - c[-1]) / (c[1] + c[-1]) for s, c in tones.items()}
    ranked = sorted(market.specs, key=lambda s: s.drift)
    assert all(net[s.symbol] < 0 for s in ranked[:5])
    assert all(net[s.symbol] > 0 for s in ranked[-5:])
    assert np.corrcoef([s.drift for s in ranked], [net[s.symbol] for s in ranked])[0, 1] > 0.8


async def test_news_explains_big_down_jumps() -> None:
    market = SimulatedMarket(realtime=False)
    items = await market.news_source().recent(100_000)
    stories = defaultdict(list)
    for item in items:
        if template_tone(item.headline) == -1:
            stories[item.symbol].append(item.ts_ns)
    drops = [j for j in market.jumps if j.size < -0.03 and j.ts_ns < market.start_ns - HOUR]
    assert len(drops) > 20
    for j in drops:
        assert any(0 < t - j.ts_ns <= 15 * MIN for t in stories[j.symbol]), j


async def test_news_stream_is_deterministic_and_closes() -> None:
    async def first(n: int) -> list[tuple[str, int, str]]:
        news = SimulatedMarket(realtime=False, seed=5).news_source()
        out: list[tuple[str, int, str]] = []
        async for batch in news.headlines():
            out += [(i.id, i.ts_ns, i.headline) for i in batch]
            if len(out) >= n:
                await news.close()
        return out

    a, b = await first(300), await first(300)
    assert a == b
    ts = [t for _, t, _ in a]
    assert ts == sorted(ts) and ts[0] >= DEFAULT_EPOCH_NS
    gap_s = (ts[-1] - ts[0]) / 1e9 / (len(ts) - 1)
    assert 8 < gap_s < 25  # one headline every ~15 s across the universe


async def test_live_jumps_get_stories() -> None:
    # One tick every 500 s, so a month of live trading passes in moments.
    market = SimulatedMarket(realtime=False, tick_hz=0.002)
    news = market.news_source(mean_interval_s=600)
    await take(market, 43 * 173 * 30)
    live = [j for j in market.jumps if j.ts_ns >= market.start_ns and abs(j.size) >= 0.03]
    assert len(live) >= 5
    until = max(j.ts_ns for j in live) + HOUR
    stories: dict[str, list[tuple[int, int | None]]] = defaultdict(list)
    async for batch in news.headlines():
        for item in batch:
            stories[item.symbol].append((item.ts_ns, template_tone(item.headline)))
        if batch[-1].ts_ns > until:
            await news.close()
    for j in live:
        tone = 1 if j.size > 0 else -1
        assert any(0 < t - j.ts_ns <= 15 * MIN and s == tone for t, s in stories[j.symbol]), j


async def test_realtime_news_is_paced_by_the_clock() -> None:
    news = SimulatedMarket(realtime=True).news_source(mean_interval_s=0.1)
    count = 0
    stop = time.monotonic() + 1.0

    async def consume() -> None:
        nonlocal count
        async for batch in news.headlines():
            assert all(i.ts_ns <= time.time_ns() for i in batch)
            count += len(batch)
            if time.monotonic() > stop:
                await news.close()

    await asyncio.wait_for(consume(), timeout=10)
    assert 2 <= count <= 40
