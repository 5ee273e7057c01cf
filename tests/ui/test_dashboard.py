"""The dashboard under Pilot, on a real engine."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console

from tpm.domain import (
    Notification,
    OrderRequest,
    OrderStatus,
    OrderType,
    Severity,
    Side,
    TimeInForce,
    TradingState,
)
from tpm.ui.screens.dashboard import DashboardScreen
from tpm.ui.screens.dialogs import Confirm, QuitDialog
from tpm.ui.screens.risk import HaltDialog, RiskDialog, risk_table
from tpm.ui.widgets.dashboard.orders import OpenOrdersTable, RecentFills
from tpm.ui.widgets.dashboard.watchlist import Watchlist
from tpm.ui.widgets.status_bar import StatusBar

from .conftest import running_app, wait_for


async def test_watchlist_shows_every_symbol_with_its_price(tmp_path: Path) -> None:
    async with running_app(tmp_path) as (app, _, engine):
        assert isinstance(app.screen, DashboardScreen)
        watch = app.screen.query_one(Watchlist)
        served = [i.symbol for i in engine.feed.instruments()]
        assert [r.symbol for r in watch.rows] == sorted(served)
        header = watch.render_line(0).text
        assert "Symbol" in header and "Last" in header and "Chg%" in header
        first = watch.rows[0]
        line = watch.render_line(1).text
        assert line.split()[0] == first.symbol
        assert f"{first.last:.2f}" in line
        status = app.screen.query_one(StatusBar).render().plain
        assert "sim" in status and "live" in status and "Equity" in status


async def test_only_changed_rows_are_rendered_again(tmp_path: Path) -> None:
    async with running_app(tmp_path) as (app, pilot, _):
        watch = app.screen.query_one(Watchlist)
        await wait_for(pilot, lambda: len(watch.rows) == 12, "every row")
        # From here to the end nothing awaits, so no snapshot of the live engine comes between.
        lines = range(len(watch.rows) + 1)
        for y in lines:
            watch.render_line(y)
        before = watch.lines_rendered
        for y in lines:
            watch.render_line(y)
        assert watch.lines_rendered == before  # nothing changed: every line from the cache
        rows = list(watch.rows)
        for i in (0, 4, 7):
            rows[i] = replace(rows[i], version=rows[i].version + 1, last=rows[i].last + 0.01)
        watch.update_rows(tuple(rows))
        for y in lines:
            watch.render_line(y)
        assert watch.lines_rendered - before == 3


async def test_sort_and_remove_and_add_a_symbol(tmp_path: Path) -> None:
    async with running_app(tmp_path) as (app, pilot, engine):
        watch = app.screen.query_one(Watchlist)
        watch.focus()
        await pilot.press("s")
        assert watch.sort == "change"
        changes = [r.change_pct for r in watch.rows]
        assert changes == sorted(changes, reverse=True)
        await pilot.press("s", "s", "s")
        assert watch.sort == "symbol"
        gone = watch.selected_symbol
        assert gone is not None
        await pilot.press("x")
        await wait_for(pilot, lambda: gone not in [r.symbol for r in watch.rows], "the removal")
        assert gone not in (await engine.store.get_state("ui.watchlist") or "").split(",")
        await pilot.press("a")
        await pilot.press(*gone.lower(), "enter")
        await wait_for(pilot, lambda: gone in [r.symbol for r in watch.rows], "the addition")
        assert gone in (await engine.store.get_state("ui.watchlist") or "").split(",")
        await pilot.press("a")
        await pilot.press(*"NOPE", "enter")
        await pilot.pause(0.2)
        assert "NOPE" not in [r.symbol for r in watch.rows]


async def test_cancel_an_open_order_from_the_dashboard(tmp_path: Path) -> None:
    async with running_app(tmp_path, strategies=False) as (app, pilot, engine):
        sym = engine.publisher.watchlist[0]
        state = engine.market.state(sym)
        assert state is not None
        far = state.instrument.price(state.last_price * 0.95)
        order = await app.client.submit_order(
            OrderRequest(
                sym, Side.BUY, Decimal(1), OrderType.LIMIT, TimeInForce.GTC, limit_price=far
            )
        )
        assert order.status in (OrderStatus.NEW, OrderStatus.ACCEPTED)
        table = app.screen.query_one(OpenOrdersTable)
        await wait_for(pilot, lambda: table.row_count == 1, "the open order")
        table.focus()
        await pilot.press("c")
        await wait_for(pilot, lambda: table.row_count == 0, "the cancellation")
        assert engine.oms.orders[order.client_order_id].status is OrderStatus.CANCELLED


async def test_fills_reach_the_dashboard(tmp_path: Path) -> None:
    async with running_app(tmp_path, strategies=False) as (app, pilot, engine):
        sym = engine.publisher.watchlist[1]
        await app.client.submit_order(OrderRequest(sym, Side.BUY, Decimal(3)))
        fills = app.screen.query_one(RecentFills)
        await wait_for(pilot, lambda: bool(app.snapshot and app.snapshot.recent_fills), "a fill")
        await pilot.pause(0.2)
        assert f"buy  3 {sym} " in str(fills.render())


async def test_quit_asks_while_strategies_are_live(tmp_path: Path) -> None:
    async with running_app(tmp_path) as (app, pilot, engine):
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, QuitDialog), "the question")
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "the dashboard")
        assert app.is_running
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, QuitDialog), "the question")
        await pilot.press("l")
        await wait_for(pilot, lambda: not app.is_running, "the exit")
        assert engine.shutdown_orders == "leave"


async def test_kill_switch_halts_and_resumes_from_the_dashboard(tmp_path: Path) -> None:
    async with running_app(tmp_path) as (app, pilot, engine):
        sym = engine.publisher.watchlist[2]
        state = engine.market.state(sym)
        assert state is not None
        working = await app.client.submit_order(
            OrderRequest(
                sym,
                Side.BUY,
                Decimal(1),
                OrderType.LIMIT,
                TimeInForce.GTC,
                limit_price=state.instrument.price(state.last_price * 0.95),
            )
        )
        await pilot.press("K")
        await wait_for(pilot, lambda: isinstance(app.screen, HaltDialog), "the halt dialog")
        await pilot.press("h")
        await wait_for(pilot, lambda: engine.risk.state is TradingState.HALTED, "the halt")
        await wait_for(
            pilot, lambda: not engine.oms.orders[working.client_order_id].is_open, "the cancel"
        )
        assert not engine.runner.is_trading
        assert await engine.store.get_state("risk.state") == "halted|halted from the app"
        refused = await app.client.submit_order(OrderRequest(sym, Side.BUY, Decimal(1)))
        assert refused.status is OrderStatus.REJECTED
        await pilot.press("K")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm), "the resume question")
        await pilot.press("y")
        await wait_for(pilot, lambda: engine.risk.state is TradingState.ACTIVE, "the resume")
        assert engine.runner.is_trading


async def test_the_risk_view_shows_limits_and_usage(tmp_path: Path) -> None:
    async with running_app(tmp_path) as (app, pilot, engine):
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, RiskDialog), "the risk view")
        dialog = app.screen
        assert isinstance(dialog, RiskDialog)
        await wait_for(pilot, lambda: dialog.status is not None, "the status")
        assert dialog.status is not None and dialog.status["state"] == "active"
        console = Console(width=80, record=True)
        console.print(risk_table(dialog.status))
        text = console.export_text()
        limit = engine.risk.config.daily_loss.max_pct
        assert "daily loss" in text and f"{limit:g}%" in text and "gross exposure" in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "the dashboard")


async def test_the_palette_offers_every_action_of_the_screen(tmp_path: Path) -> None:
    async with running_app(tmp_path) as (app, pilot, _):
        app.screen.query_one(Watchlist).focus()
        await pilot.pause()
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Halt", "Risk", "Sort", "Add", "Remove", "Dashboard", "Quit"} <= titles
        await pilot.press("ctrl+p")
        await pilot.press(*"risk")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RiskDialog), "the risk view")


async def test_a_burst_of_fills_is_one_toast(tmp_path: Path) -> None:
    async with running_app(tmp_path, strategies=False) as (app, pilot, engine):
        shown: list[tuple[str, dict[str, Any]]] = []
        notify = app.notify

        def recording(message: str, **kw: Any) -> None:
            shown.append((message, kw))
            notify(message, **kw)

        app.notify = recording  # type: ignore[method-assign]
        for i in range(1, 6):
            note = f"buy {i} GZBK @ 61.00"
            engine.bus.publish(
                Notification(engine.clock.now_ns(), Severity.INFO, "Filled", note, "fill")
            )
        await wait_for(pilot, lambda: bool(shown), "the toast")
        await pilot.pause(0.3)
        assert len(shown) == 1
        message, kw = shown[0]
        assert kw["title"] == "5 fills"
        assert message.splitlines() == [
            "… 2 earlier (all on the dashboard)",
            "buy 3 GZBK @ 61.00",
            "buy 4 GZBK @ 61.00",
            "buy 5 GZBK @ 61.00",
        ]
