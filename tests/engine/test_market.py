"""The market stage: bad messages are dropped and counted, bars aggregate correctly."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from tpm.domain import Bar, Instrument, Quote, Timeframe, Trade, dt_to_ns
from tpm.engine.bus import Bus
from tpm.engine.market import DropReason, MarketData

S = 1_000_000_000
T0 = dt_to_ns(datetime(2024, 3, 4, 14, 30, tzinfo=UTC))


def _market(now_ns: int | None = None, **kw: object) -> tuple[MarketData, list[object]]:
    bus = Bus()
    seen: list[object] = []
    for kind in (Quote, Trade, Bar):
        bus.subscribe(kind, seen.append)
    insts = [Instrument("ACME", timezone="America/New_York"), Instrument("BTC", timezone="UTC")]
    m = MarketData(bus, insts, now_ns=None if now_ns is None else (lambda: now_ns), **kw)  # type: ignore[arg-type]
    return m, seen


def test_a_bad_quote_is_dropped_counted_and_the_stream_goes_on() -> None:
    m, seen = _market(now_ns=T0 + 10 * S)
    m.on_quote(Quote("ACME", T0, 100.0, 100.1))
    bad = {
        DropReason.UNKNOWN_SYMBOL: Quote("NOPE", T0 + 1, 1.0, 1.1),
        DropReason.NOT_FINITE: Quote("ACME", T0 + 2, math.nan, 100.1),
        DropReason.NON_POSITIVE: Quote("ACME", T0 + 3, 0.0, 100.1),
        DropReason.CROSSED: Quote("ACME", T0 + 4, 100.2, 100.1),
        DropReason.BAD_SIZE: Quote("ACME", T0 + 5, 100.0, 100.1, -5.0, 10.0),
        DropReason.BACKWARDS: Quote("ACME", T0 - 1, 100.0, 100.1),
        DropReason.FUTURE: Quote("ACME", T0 + 3600 * S, 100.0, 100.1),
        DropReason.JUMP: Quote("ACME", T0 + 6, 300.0, 300.1),
    }
    for q in bad.values():
        m.on_quote(q)
    for reason in bad:
        assert m.dropped[reason] == 1, reason
    good = Quote("ACME", T0 + 7, 100.05, 100.15)
    m.on_quote(good)
    assert [e for e in seen if isinstance(e, Quote)] == [Quote("ACME", T0, 100.0, 100.1), good]
    assert m.accepted == 2


def test_bad_trades_and_bars_are_dropped() -> None:
    m, _ = _market()
    m.on_trade(Trade("ACME", T0, 100.0, 10))
    m.on_trade(Trade("ACME", T0 + 1, math.inf, 10))
    m.on_trade(Trade("ACME", T0 + 2, -1.0, 10))
    m.on_trade(Trade("ACME", T0 + 3, 100.0, -10))
    m.on_bar(Bar("ACME", Timeframe.M1, T0 + 60 * S, 100, 99, 98, 100.5, 5))  # high < close
    assert m.dropped[DropReason.NOT_FINITE] == 1
    assert m.dropped[DropReason.NON_POSITIVE] == 1
    assert m.dropped[DropReason.BAD_SIZE] == 1
    assert m.dropped[DropReason.BAD_BAR] == 1
    assert m.last_price("ACME") == 100.0


def test_a_real_price_gap_is_accepted_once_confirmed() -> None:
    m, _ = _market()
    m.on_trade(Trade("ACME", T0, 100.0, 1))
    for i in range(1, 4):
        m.on_trade(Trade("ACME", T0 + i, 160.0 + i * 0.01, 1))
    assert m.dropped[DropReason.JUMP] == 2
    assert m.last_price("ACME") == 160.03


def test_isolated_bad_prints_never_move_the_level() -> None:
    m, _ = _market()
    m.on_trade(Trade("ACME", T0, 100.0, 1))
    for i, p in enumerate([300.0, 100.1, 5.0, 100.2, 300.0, 100.3]):
        m.on_trade(Trade("ACME", T0 + i + 1, p, 1))
    assert m.dropped[DropReason.JUMP] == 3
    assert m.last_price("ACME") == 100.3


def _reference_bars(trades: list[tuple[int, float, float]], tf: Timeframe) -> list[tuple]:
    groups: dict[int, list[tuple[int, float, float]]] = defaultdict(list)
    for ts, p, v in trades:
        groups[ts - ts % tf.ns].append((ts, p, v))
    return [
        (start, g[0][1], max(x[1] for x in g), min(x[1] for x in g), g[-1][1], sum(x[2] for x in g))
        for start, g in sorted(groups.items())
    ]


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.integers(0, 400 * S), st.floats(0.95, 1.05), st.floats(0, 1000)),
        min_size=1,
        max_size=200,
    )
)
def test_bars_equal_a_brute_force_grouping(steps: list[tuple[int, float, float]]) -> None:
    m, seen = _market()
    trades, ts, price = [], T0, 100.0
    for dt, factor, size in steps:
        ts += dt
        price = round(price * factor, 2)
        trades.append((ts, price, size))
        m.on_trade(Trade("BTC", ts, price, size))
    m.close_due(ts + 400 * 86_400 * S)
    for tf in (Timeframe.M1, Timeframe.M5, Timeframe.H1):
        got = [
            (b.start_ns, b.open, b.high, b.low, b.close, b.volume)
            for b in seen
            if isinstance(b, Bar) and b.timeframe is tf
        ]
        want = _reference_bars(trades, tf)
        assert [g[:5] for g in got] == [w[:5] for w in want]
        assert all(math.isclose(g[5], w[5], abs_tol=1e-6) for g, w in zip(got, want, strict=True))
        assert all(b.is_closed for b in seen if isinstance(b, Bar))


def test_daily_bars_follow_the_instruments_time_zone() -> None:
    m, seen = _market(timeframes=[Timeframe.D1])
    evening_ny = dt_to_ns(datetime(2024, 3, 5, 3, 0, tzinfo=UTC))  # 22:00 on the 4th in New York
    next_ny_morning = dt_to_ns(datetime(2024, 3, 5, 14, 30, tzinfo=UTC))
    m.on_trade(Trade("ACME", T0, 100.0, 1))
    m.on_trade(Trade("ACME", evening_ny, 101.0, 1))
    m.on_trade(Trade("ACME", next_ny_morning, 102.0, 1))
    [day] = [b for b in seen if isinstance(b, Bar)]
    assert day.start_ns == dt_to_ns(datetime(2024, 3, 4, tzinfo=UTC))
    assert (day.open, day.close, day.volume) == (100.0, 101.0, 2)


def test_a_quiet_symbols_bar_closes_on_time_and_a_late_tick_cannot_reopen_it() -> None:
    m, seen = _market(timeframes=[Timeframe.M1])
    m.on_trade(Trade("BTC", T0 + 5 * S, 50.0, 1))
    assert m.forming_bar("BTC", Timeframe.M1) is not None
    assert m.close_due(T0 + 59 * S) == 0
    assert m.close_due(T0 + 60 * S) == 1
    m.on_trade(Trade("BTC", T0 + 59 * S, 51.0, 1))  # in time order, but its bar has closed
    m.close_due(T0 + 10 * 60 * S)
    bars = [b for b in seen if isinstance(b, Bar)]
    assert len(bars) == 1 and bars[0].close == 50.0
    assert m.dropped[DropReason.LATE] == 1


def test_quotes_build_bars_until_trades_arrive() -> None:
    m, seen = _market(timeframes=[Timeframe.M1])
    m.on_quote(Quote("BTC", T0, 99.0, 101.0))
    m.on_quote(Quote("BTC", T0 + S, 101.0, 103.0))
    m.on_quote(Quote("BTC", T0 + 61 * S, 101.0, 103.0))
    [bar] = [b for b in seen if isinstance(b, Bar)]
    assert (bar.open, bar.high, bar.close, bar.volume) == (100.0, 102.0, 102.0, 0.0)


def test_feed_bars_roll_up_into_larger_bars() -> None:
    m, seen = _market(timeframes=[Timeframe.M1, Timeframe.M5])
    for i in range(10):
        m.on_bar(Bar("BTC", Timeframe.M1, T0 + i * 60 * S, 10 + i, 11 + i, 9 + i, 10.5 + i, 1))
    five = [b for b in seen if isinstance(b, Bar) and b.timeframe is Timeframe.M5]
    assert [(b.open, b.high, b.low, b.close, b.volume) for b in five] == [
        (10, 15, 9, 14.5, 5),
        (15, 20, 14, 19.5, 5),
    ]
    ones = [b for b in seen if isinstance(b, Bar) and b.timeframe is Timeframe.M1]
    assert len(ones) == 10


def test_a_forming_larger_bar_includes_the_minute_still_open() -> None:
    m, _ = _market(timeframes=[Timeframe.M1, Timeframe.M5])
    m.on_trade(Trade("BTC", T0 + 10 * S, 50.0, 1))
    m.on_trade(Trade("BTC", T0 + 70 * S, 53.0, 2))  # closes the first minute, opens the second
    m.on_trade(Trade("BTC", T0 + 80 * S, 49.0, 4))
    five = m.forming_bar("BTC", Timeframe.M5)
    assert five is not None and not five.is_closed
    assert (five.start_ns, five.open, five.high, five.low, five.close, five.volume) == (
        T0,
        50.0,
        53.0,
        49.0,
        49.0,
        7,
    )
    fresh, _ = _market(timeframes=[Timeframe.M1, Timeframe.H1])
    fresh.on_trade(Trade("BTC", T0 + 5 * S, 10.0, 1))
    hour = fresh.forming_bar("BTC", Timeframe.H1)
    assert hour is not None and (hour.start_ns, hour.close) == (T0 - T0 % (3600 * S), 10.0)
