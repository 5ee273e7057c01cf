"""The analytics screen under Pilot on a real engine, and the performance report it shows."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Static

from tpm.analysis import metrics as m
from tpm.domain import Bar, Fill, Side, Timeframe
from tpm.domain.events import EquitySnapshot
from tpm.domain.orders import ClientOrderId
from tpm.domain.score import Driver, PillarScore, Rating, Score
from tpm.domain.snapshot import PositionRow
from tpm.ui.app import TpmApp
from tpm.ui.screens.analytics import BARS, AnalyticsScreen
from tpm.ui.screens.dialogs import AskText
from tpm.ui.widgets.analytics.areas import AnalyticsAreas
from tpm.ui.widgets.analytics.performance import PerformancePanel
from tpm.ui.widgets.analytics.performance_report import build_report, closing_pnls
from tpm.ui.widgets.analytics.pillars import PillarBreakdown
from tpm.ui.widgets.analytics.price_chart import OVERLAY_SETS, PriceChart
from tpm.ui.widgets.analytics.symbol_bar import SymbolBar

from .conftest import running_app, wait_for

_NS = 1_000_000_000


async def open_analytics(app: TpmApp, pilot: Pilot[None]) -> AnalyticsScreen:
    """Switch to the analytics screen with its key."""
    await pilot.press("2")
    screen = app.screen
    assert isinstance(screen, AnalyticsScreen)
    chart = screen.query_one(PriceChart)
    await wait_for(pilot, lambda: chart.candles > 0, "the first chart")
    return screen


def signals(chart: PriceChart) -> int:
    """How many series plotext holds for the price plot (a candle is three: wicks and body)."""
    return len(chart.query_one("#chart-price").plt.monitor.x)  # type: ignore[attr-defined]


def text_of(widget: Static, width: int = 100) -> str:
    console = Console(width=width, record=True)
    console.print(widget.content)
    return console.export_text()


def starts(bars: list[Bar]) -> list[int]:
    return [b.start_ns for b in bars if b.is_closed]


async def test_the_chart_shows_the_first_watchlist_symbol(tmp_path: Path) -> None:
    async with running_app(tmp_path, size=(240, 60)) as (app, pilot, _):
        screen = await open_analytics(app, pilot)
        assert app.snapshot is not None
        first = app.snapshot.watchlist[0].symbol
        chart = screen.query_one(PriceChart)
        assert screen.symbol == chart.symbol == first and chart.timeframe is Timeframe.M1
        returned = await app.client.bars(first, Timeframe.M1, BARS)
        if starts(returned) != starts(chart.bars):  # a minute closed in between: refetched
            await wait_for(pilot, lambda: starts(chart.bars) == starts(returned), "the refetch")
        # Wide enough for every bar: each one returned became a candle.
        assert len(returned) <= chart.capacity
        assert chart.candles == len(chart.bars) == len(returned)
        overlays = len(OVERLAY_SETS[chart.overlay][1])  # SMA 20 and SMA 50: one line each
        assert signals(chart) == 3 * chart.candles + overlays
        assert chart.bars[-1].is_closed is False  # the forming bar is drawn too
        bar = screen.query_one(SymbolBar)
        assert bar.symbol == first and bar.watchlist[0] == first
        assert bar.neighbour(1) == app.snapshot.watchlist[1].symbol


async def test_a_narrow_chart_draws_the_newest_bars_that_fit(tmp_path: Path) -> None:
    async with running_app(tmp_path, size=(80, 24)) as (app, pilot, _):
        screen = await open_analytics(app, pilot)
        chart = screen.query_one(PriceChart)
        assert chart.candles == min(len(chart.bars), chart.capacity) < len(chart.bars)
        for _ in range(len(OVERLAY_SETS) - chart.overlay):
            await pilot.press("o")
        assert OVERLAY_SETS[chart.overlay][0] == "SMA 20/50"
        await pilot.press("o", "o", "o", "o")
        assert OVERLAY_SETS[chart.overlay][0] == "none"
        assert signals(chart) == 3 * chart.candles


async def test_keys_change_symbol_and_timeframe_and_refetch(tmp_path: Path) -> None:
    async with running_app(tmp_path) as (app, pilot, _):
        screen = await open_analytics(app, pilot)
        assert app.snapshot is not None
        names = [r.symbol for r in app.snapshot.watchlist]
        chart = screen.query_one(PriceChart)
        fetched: list[tuple[Any, ...]] = []
        real_bars = app.client.bars

        async def spy(*args: Any) -> list[Bar]:
            fetched.append(args)
            return await real_bars(*args)

        app.client.bars = spy  # type: ignore[method-assign]
        await pilot.press("right_square_bracket")
        assert screen.symbol == names[1]
        await wait_for(pilot, lambda: chart.symbol == names[1] and chart.candles > 0, "bars")
        assert (names[1], Timeframe.M1, BARS) in fetched
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert screen.symbol == names[-1]  # wraps around
        await pilot.press("right_square_bracket")
        assert screen.symbol == names[0]

        await pilot.press("t")
        assert screen.timeframe is Timeframe.M5
        await wait_for(pilot, lambda: chart.timeframe is Timeframe.M5 and chart.bars != [], "5m")
        assert (names[0], Timeframe.M5, BARS) in fetched
        assert all(b.timeframe is Timeframe.M5 for b in chart.bars)
        returned = await real_bars(names[0], Timeframe.M5, BARS)
        assert starts(chart.bars) == starts(returned)
        await pilot.press("T", "T")
        assert screen.timeframe is Timeframe.D1
        await wait_for(pilot, lambda: chart.timeframe is Timeframe.D1 and chart.candles > 0, "1d")


async def test_the_forming_bar_follows_the_price_and_a_closed_bar_refetches(
    tmp_path: Path,
) -> None:
    async with running_app(tmp_path) as (app, pilot, _):
        screen = await open_analytics(app, pilot)
        chart = screen.query_one(PriceChart)
        fetched: list[tuple[Any, ...]] = []
        real_bars = app.client.bars

        async def spy(*args: Any) -> list[Bar]:
            fetched.append(args)
            return await real_bars(*args)

        app.client.bars = spy  # type: ignore[method-assign]
        forming = chart.bars[-1]
        assert not forming.is_closed
        draws = chart.draws
        # A tick inside the bar moves its close and high at once, and draws within a second.
        chart.follow(forming.high + 1.0, forming.start_ns + 1)
        assert chart.bars[-1].close == chart.bars[-1].high == forming.high + 1.0
        assert chart.draws == draws  # not per tick
        await wait_for(pilot, lambda: chart.draws > draws, "the redraw")
        # The engine's clock past the bar's end: a bar closed, the bars are fetched again.
        chart.follow(None, forming.start_ns + chart.timeframe.ns)
        await wait_for(pilot, lambda: bool(fetched), "the refetch")
        assert fetched[0] == (screen.symbol, chart.timeframe, BARS)


async def test_a_typed_symbol_is_shown_and_an_unknown_one_refused(tmp_path: Path) -> None:
    async with running_app(tmp_path) as (app, pilot, _):
        screen = await open_analytics(app, pilot)
        assert app.snapshot is not None
        target = app.snapshot.watchlist[3].symbol
        await pilot.press("slash")
        await wait_for(pilot, lambda: isinstance(app.screen, AskText), "the question")
        await pilot.press(*target.lower(), "enter")
        await wait_for(pilot, lambda: screen.symbol == target, "the typed symbol")
        await pilot.press("slash")
        await wait_for(pilot, lambda: isinstance(app.screen, AskText), "the question")
        await pilot.press(*"NOPE", "enter")
        await pilot.pause(0.3)
        assert screen.symbol == target


async def test_the_pillars_show_the_score_of_the_symbol(tmp_path: Path) -> None:
    async with running_app(tmp_path) as (app, pilot, engine):
        screen = await open_analytics(app, pilot)
        await pilot.press("v")
        assert screen.query_one(AnalyticsAreas).view == "pillars"
        panel = screen.query_one(PillarBreakdown)
        await wait_for(pilot, lambda: panel.is_loaded, "the score")
        assert panel.symbol == screen.symbol
        assert panel.score == await app.client.score(screen.symbol)

        # A new score for the symbol reaches the snapshot's row, and the panel follows it.
        now = engine.clock.now_ns()
        tech = PillarScore(
            71.0, 0.9, {"trend": 80.0, "momentum": 62.0}, (Driver("price above its EMA", 6.0),)
        )
        news = PillarScore(58.0, 0.5, {"headlines": 4.0}, (Driver("upbeat headlines", 2.0),))
        why = (Driver("price above its EMA", 4.1), Driver("upbeat headlines", 0.9))
        score = Score(screen.symbol, now, tech, PillarScore(None, 0.0), news, 66.4, Rating.BUY, why)
        engine.scores.latest[screen.symbol] = score
        await wait_for(pilot, lambda: panel.score == score, "the new score")
        assert panel.score == await app.client.score(screen.symbol)
        text = text_of(panel.query_one("#pillars-body", Static))
        assert "Composite" in text and "66" in text and "buy" in text
        assert "price above its EMA" in text and "upbeat headlines" in text
        assert "confidence 90%" in text and "trend" in text and "headlines 4" in text


async def test_performance_is_honest_about_history(tmp_path: Path) -> None:
    async with running_app(tmp_path) as (app, pilot, engine):
        screen = await open_analytics(app, pilot)
        await pilot.press("v", "v")
        assert screen.query_one(AnalyticsAreas).view == "performance"
        panel = screen.query_one(PerformancePanel)
        await wait_for(pilot, lambda: panel.report is not None, "the first report")
        report = panel.report
        assert report is not None
        if report.snapshots < 3:
            assert not report.metrics
            assert f"not enough history yet ({report.snapshots} snapshot" in panel.metrics_text
        else:
            assert report.metrics

        # Forty snapshots, five seconds apart, before now: figures per period, not annualised.
        now = engine.clock.now_ns()
        for i in range(40):
            equity = Decimal(100_000 + 50 * math.sin(i) + 10 * i)
            snap = EquitySnapshot(now - (60 - i) * 5 * _NS, equity, equity, Decimal(0), Decimal(0))
            engine.store.write_equity(snap)
        await engine.store.flush()
        await pilot.press("v", "v", "v")  # away and back: the panel reloads when shown
        await wait_for(pilot, lambda: panel.report is not None and panel.report.snapshots >= 40, "")
        report = panel.report
        assert report is not None and not report.is_annualised
        values = {x.label: x.value for x in report.metrics}
        returns = m.returns_from_equity(report.equity)
        assert values["Sharpe"] == pytest.approx(m.sharpe_ratio(returns, periods_per_year=1))
        assert values["Max drawdown"] == pytest.approx(m.max_drawdown(returns))
        assert "CAGR" not in values
        assert "per 5 s period, not annualised" in panel.metrics_text
        assert "Sharpe" in text_of(panel.query_one("#perf-metrics", Static))


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_nothing_breaks_at_small_and_large_sizes(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    async with running_app(tmp_path, size=size) as (app, pilot, _):
        screen = await open_analytics(app, pilot)
        areas = screen.query_one(AnalyticsAreas)
        wide = size == (200, 60)
        assert areas.is_wide is wide
        shown = [
            n for n in ("chart", "pillars", "performance") if screen.query_one(f"#area-{n}").display
        ]
        assert shown == (["chart", "pillars", "performance"] if wide else ["chart"])
        chart = screen.query_one(PriceChart)
        assert chart.region.height >= 15 and chart.region.width >= 70
        await pilot.press("v", "v", "v", "t", "o", "right_square_bracket")
        await wait_for(pilot, lambda: chart.candles > 0 and chart.timeframe is Timeframe.M5, "")
        panel = screen.query_one(PerformancePanel)
        await wait_for(pilot, lambda: panel.report is not None, "the performance report")
        await pilot.resize_terminal(*((80, 24) if wide else (200, 60)))
        await wait_for(pilot, lambda: areas.is_wide is not wide, "the resize")
        await pilot.pause(0.2)
        assert chart.candles > 0 and app.is_running


# ---- the report, without the app -------------------------------------------------------------


def _fill(symbol: str, side: Side, qty: int, price: str, ts: int) -> Fill:
    return Fill(
        f"x{ts}",
        ClientOrderId(f"o{ts}"),
        symbol,
        side,
        Decimal(qty),
        Decimal(price),
        Decimal(1),
        ts,
    )


def _position(symbol: str, qty: int) -> PositionRow:
    z = Decimal(0)
    return PositionRow(symbol, "Tech", Decimal(qty), z, None, z, z, z, 0.0)


def test_closing_fills_count_only_for_symbols_seen_from_flat() -> None:
    fills = [
        _fill("AAA", Side.BUY, 10, "100", 1),
        _fill("AAA", Side.SELL, 4, "110", 2),  # +40 - 1 commission
        _fill("AAA", Side.SELL, 6, "95", 3),  # -30 - 1
        _fill("BBB", Side.SELL, 5, "20", 4),  # BBB was long 5 before the window began
    ]
    assert closing_pnls(list(reversed(fills)), [_position("BBB", 0)]) == [39.0, -31.0]
    # Still holding 2 AAA: the replay ends at 0, so the window did not start flat in AAA.
    assert closing_pnls(fills, [_position("AAA", 2), _position("BBB", 0)]) == []


def test_the_report_annualises_only_a_long_history() -> None:
    day = 86_400 * _NS
    curve = [
        EquitySnapshot(i * day, Decimal(0), Decimal(100 + i + (i % 3)), Decimal(0), Decimal(0))
        for i in range(45)
    ]
    report = build_report(curve)
    assert report.is_annualised and report.snapshots == 45
    values = {x.label: x.value for x in report.metrics}
    returns = m.returns_from_equity(report.equity)
    assert values["CAGR"] == pytest.approx(m.cagr(returns, periods_per_year=252))
    assert values["Calmar"] == pytest.approx(m.calmar_ratio(returns, periods_per_year=252))
    assert report.drawdown.shape == report.equity.shape and report.drawdown[0] == 0
    short = build_report(curve[:2])
    assert not short.metrics and short.notes == ("not enough history yet (2 snapshots)",)


def test_beta_compares_equity_with_the_benchmark_on_its_closes() -> None:
    minute = 60 * _NS
    closes = [100.0, 101.0, 100.5, 102.0, 101.0, 103.0]
    bars = [Bar("IDX", Timeframe.M1, i * minute, c, c, c, c, 1.0) for i, c in enumerate(closes)]
    # Equity sampled every 20 s moves twice as much as the index, a step behind each close.
    curve = []
    for k in range(3 * len(closes) + 1):
        t = k * 20 * _NS
        i = max(0, min(len(closes) - 1, t // minute - 1))
        value = Decimal(1000 + 2 * 10 * (closes[i] - 100))
        curve.append(EquitySnapshot(t, value, value, Decimal(0), Decimal(0)))
    report = build_report(curve, benchmark="IDX", benchmark_bars=bars)
    values = {x.label: x.value for x in report.metrics}
    assert values["Beta IDX"] == pytest.approx(
        m.beta(
            m.returns_from_equity([1000 + 20 * (c - 100) for c in closes]),
            m.returns_from_equity(closes),
        )
    )
