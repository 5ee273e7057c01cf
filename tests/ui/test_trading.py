"""The trading screen under Pilot, on a real engine; and the ticket's arithmetic on its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Label, Static

from tpm.domain import (
    Instrument,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from tpm.engine.engine import Engine
from tpm.ui.app import TpmApp
from tpm.ui.format import price
from tpm.ui.screens.dialogs import Confirm
from tpm.ui.screens.risk import HaltDialog, RiskDialog
from tpm.ui.screens.trading import TradingScreen
from tpm.ui.widgets.trading import (
    DoneOrders,
    FillsTable,
    OrderTicket,
    PositionsTable,
    WorkingOrders,
)
from tpm.ui.widgets.trading.draft import (
    Commission,
    Draft,
    Quote,
    check_draft,
    commission_from_settings,
    confirmation_text,
)
from tpm.ui.widgets.trading.modify import ModifyOrder

from .conftest import running_app, wait_for


@asynccontextmanager
async def trading(
    tmp_path: Path, size: tuple[int, int] = (120, 40)
) -> AsyncIterator[tuple[TpmApp, Pilot[None], Engine, list[tuple[str, dict[str, Any]]]]]:
    """The app on the trading screen, with only the test's orders, recording notifications."""
    async with running_app(tmp_path, size=size, strategies=False) as (app, pilot, engine):
        notes: list[tuple[str, dict[str, Any]]] = []
        notify = app.notify

        def recording(message: str, **kw: Any) -> None:
            notes.append((message, kw))
            notify(message, **kw)

        app.notify = recording  # type: ignore[method-assign]
        await pilot.press("3")
        ticket = app.screen.query_one(OrderTicket)
        await wait_for(pilot, lambda: bool(ticket.instruments), "the instruments")
        yield app, pilot, engine, notes


def text_of(widget: Widget) -> str:
    """What a Label or Static shows, when it is shown at all."""
    if not widget.display or (isinstance(widget, Label) and not widget.has_class("-shown")):
        return ""
    assert isinstance(widget, Static)
    return str(widget.render())


def error(app: TpmApp, field: str) -> str:
    return text_of(app.screen.query_one(f"#ticket-{field}-error", Label))


def status(app: TpmApp) -> str:
    return text_of(app.screen.query_one("#ticket-status", Static))


def last_price(engine: Engine, symbol: str) -> tuple[Instrument, float]:
    state = engine.market.state(symbol)
    assert state is not None
    return state.instrument, state.last_price


async def clear_and_type(pilot: Pilot[None], text: str, *, old: int = 12) -> None:
    await pilot.press(*["backspace"] * old, *text)


async def position_of(pilot: Pilot[None], engine: Engine, symbol: str, qty: int) -> Order:
    order = await engine.oms.submit(OrderRequest(symbol, Side.BUY, Decimal(qty)))
    await wait_for(pilot, lambda: engine.portfolio.qty(symbol) == qty, f"a position in {symbol}")
    return order


# -- the ticket --------------------------------------------------------------------------------


async def test_bad_fields_show_sentences_and_nothing_is_sent(tmp_path: Path) -> None:
    async with trading(tmp_path) as (app, pilot, engine, _):
        sym = engine.publisher.watchlist[0]
        await pilot.press("b")  # from the blotter: the ticket, at its symbol
        assert app.focused is not None and app.focused.id == "ticket-symbol"
        await pilot.press(*"nope", "ctrl+s")
        assert error(app, "symbol") == "NOPE is not a symbol this feed serves."
        assert error(app, "size") == "Enter a quantity."
        assert app.focused.id == "ticket-symbol"  # the first field in error
        await clear_and_type(pilot, sym.lower())
        await pilot.press("tab", "t")  # on the side field, t moves the type on to limit
        await pilot.press("tab", "tab", *"12.345")  # the limit price
        await pilot.press("tab", "tab", *"1.5", "enter")
        assert not isinstance(app.screen, Confirm)
        assert error(app, "symbol") == ""
        assert (
            error(app, "limit")
            == f"The limit price 12.345 is not on {sym}'s tick of 0.01 (try 12.34)."
        )
        assert error(app, "size") == f"The quantity 1.5 is not a multiple of {sym}'s lot of 1."
        assert app.focused.id == "ticket-limit"
        await clear_and_type(pilot, "0")  # errors follow each edit once shown
        assert error(app, "limit") == "The limit price must be above zero."
        await clear_and_type(pilot, "")
        assert error(app, "limit") == "A limit order needs a limit price."
        await pilot.press("tab", "tab")
        await clear_and_type(pilot, "-3")
        assert error(app, "size") == "The quantity must be above zero."
        await pilot.press("ctrl+s")
        assert not isinstance(app.screen, Confirm)
        assert engine.oms.orders == {}


async def test_a_market_order_is_confirmed_then_filled(tmp_path: Path) -> None:
    async with trading(tmp_path) as (app, pilot, engine, _):
        sym = engine.publisher.watchlist[1]
        ticket = app.screen.query_one(OrderTicket)
        await pilot.press("b", *sym.lower())
        await wait_for(pilot, lambda: "ask" in text_of(ticket.query_one("#ticket-quote")), "quote")
        await pilot.press("tab", "tab", "tab", "tab", "3")  # side, type, qty/amount, size
        assert "≈" in text_of(ticket.query_one("#ticket-size-note", Static))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm), "the confirmation")
        question = str(app.screen.query_one(Label).render())
        assert question.startswith(f"Buy 3 {sym} at market, good for the day?")
        assert "Estimated cost: 3 × " in question and "(ask)" in question
        assert "Commission about 1.00" in question  # the paper broker's minimum
        assert engine.oms.orders == {}  # nothing goes before the confirmation
        await pilot.press("y")
        await wait_for(pilot, lambda: status(app).startswith(f"Filled: bought 3 {sym} at "), "fill")
        (order,) = engine.oms.orders.values()
        assert order.status is OrderStatus.FILLED and order.source == "manual"
        fills = app.screen.query_one(FillsTable)
        positions = app.screen.query_one(PositionsTable)
        await wait_for(pilot, lambda: fills.row_count == 1 and positions.keys == [sym], "the books")
        fill_row = [str(c) for c in fills.get_row_at(0)]
        assert fill_row[1:4] == [sym, "buy", "3"]
        assert str(positions.get_row(sym)[1]) == "3"
        done = app.screen.query_one(DoneOrders)
        await wait_for(pilot, lambda: order.client_order_id in done.orders, "the done blotter")


async def test_a_limit_order_works_in_the_blotter_and_c_cancels_it(tmp_path: Path) -> None:
    async with trading(tmp_path) as (app, pilot, engine, _):
        sym = engine.publisher.watchlist[2]
        inst, last = last_price(engine, sym)
        far = inst.price(last * 0.95)  # well away from the market, inside the 10% collar
        await pilot.press("b", *sym, "tab", "t", "tab", "tab", *str(far), "tab", "tab", "2")
        await pilot.press("tab", "enter", "down", "enter")  # TIF: open the list, pick GTC
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm), "the confirmation")
        question = str(app.screen.query_one(Label).render())
        assert f"Buy 2 {sym} at {price(far)} limit, good till cancelled?" in question
        assert f"2 × {price(far)} (limit)" in question
        await pilot.press("y")
        working = app.screen.query_one(WorkingOrders)
        await wait_for(pilot, lambda: working.row_count == 1, "the working order")
        row = [str(c) for c in working.get_row_at(0)]
        assert row[:6] == [sym, "buy", "2", "-", "lmt", price(far)]
        assert row[8] == "GTC"
        assert status(app).startswith(("Sent: buy 2", "Working: buy 2"))
        await pilot.press("escape", "w")  # leave the ticket for the working orders
        assert app.focused is working
        await pilot.press("c")
        await wait_for(pilot, lambda: working.row_count == 0, "the cancellation")
        (order,) = engine.oms.orders.values()
        assert order.status is OrderStatus.CANCELLED
        await wait_for(pilot, lambda: status(app).startswith("Cancelled"), "the ticket's status")
        assert "cancelled" not in status(app)[1:].lower()  # said once, not "Cancelled: cancelled"
        done = app.screen.query_one(DoneOrders)
        await wait_for(pilot, lambda: order.client_order_id in done.orders, "the done blotter")


async def test_m_changes_the_price_of_a_working_order(tmp_path: Path) -> None:
    async with trading(tmp_path) as (app, pilot, engine, notes):
        sym = engine.publisher.watchlist[3]
        inst, last = last_price(engine, sym)
        order = await engine.oms.submit(
            OrderRequest(
                sym, Side.BUY, Decimal(4), OrderType.LIMIT, TimeInForce.GTC, inst.price(last * 0.95)
            )
        )
        working = app.screen.query_one(WorkingOrders)
        await wait_for(pilot, lambda: working.row_count == 1, "the working order")
        working.focus()
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, ModifyOrder), "the modify dialog")
        new = inst.price(last * 0.96)
        await pilot.press(*str(new), "enter")  # the price field has the cursor, its text selected
        oid = order.client_order_id
        await wait_for(pilot, lambda: engine.oms.orders[oid].limit_price == new, "the change")
        await wait_for(pilot, lambda: str(working.get_row_at(0)[5]) == price(new), "the new price")
        assert engine.oms.orders[oid].qty == 4
        # A price beyond the risk engine's collar is refused, and the reason is said.
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, ModifyOrder), "the modify dialog")
        await pilot.press(*str(inst.price(last * 0.7)), "enter")
        await wait_for(
            pilot, lambda: any(kw.get("title") == "Change refused" for _, kw in notes), "no"
        )
        refusal = next(m for m, kw in notes if kw.get("title") == "Change refused")
        assert "collar" in refusal or "%" in refusal
        assert refusal[0].isupper() and refusal.endswith(".")
        assert engine.oms.orders[oid].limit_price == new


async def test_an_order_refused_by_risk_says_why(tmp_path: Path) -> None:
    async with trading(tmp_path) as (app, pilot, engine, notes):
        sym = engine.publisher.watchlist[0]
        await pilot.press("s", *sym, "tab", "tab", "tab", "tab", *"20000", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm), "the confirmation")
        assert "Estimated proceeds" in str(app.screen.query_one(Label).render())
        await pilot.press("y")
        await wait_for(pilot, lambda: status(app).startswith("Rejected: "), "the rejection")
        (order,) = engine.oms.orders.values()
        assert order.status is OrderStatus.REJECTED
        reason = status(app).removeprefix("Rejected: ")
        assert "10,000" in reason or "10000" in reason
        assert reason[0].isupper() and reason.endswith(".")
        assert (reason, "error") in [(m, kw.get("severity")) for m, kw in notes]
        done = app.screen.query_one(DoneOrders)
        await wait_for(pilot, lambda: order.client_order_id in done.orders, "the done blotter")
        await pilot.press("escape", "d")
        assert text_of(done.query_one("#done-reason", Static)).startswith("Rejected: ")


# -- positions ---------------------------------------------------------------------------------


async def test_x_closes_a_position_after_confirmation(tmp_path: Path) -> None:
    async with trading(tmp_path) as (app, pilot, engine, _):
        sym = engine.publisher.watchlist[1]
        await position_of(pilot, engine, sym, 5)
        positions = app.screen.query_one(PositionsTable)
        await wait_for(pilot, lambda: positions.keys == [sym], "the position")
        await pilot.press("p")
        assert app.focused is positions
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm), "the confirmation")
        assert f"Close the long 5 {sym}" in str(app.screen.query_one(Label).render())
        await pilot.press("n")  # declined: nothing happens
        await wait_for(pilot, lambda: isinstance(app.screen, TradingScreen), "the screen")
        assert engine.portfolio.qty(sym) == 5
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm), "the confirmation")
        await pilot.press("y")
        await wait_for(pilot, lambda: engine.portfolio.qty(sym) == 0, "the close")
        await wait_for(pilot, lambda: positions.row_count == 0, "the empty positions table")


async def test_shift_x_flattens_every_position(tmp_path: Path) -> None:
    async with trading(tmp_path) as (app, pilot, engine, notes):
        symbols = list(engine.publisher.watchlist[:3])
        for sym in symbols:
            await position_of(pilot, engine, sym, 2)
        positions = app.screen.query_one(PositionsTable)
        await wait_for(pilot, lambda: positions.row_count == 3, "three positions")
        await pilot.press("p", "X")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm), "the confirmation")
        assert "close 3 positions" in str(app.screen.query_one(Label).render())
        await pilot.press("y")
        await wait_for(pilot, lambda: all(engine.portfolio.qty(s) == 0 for s in symbols), "flat")
        await wait_for(pilot, lambda: any(m.startswith("Flatten all") for m, _ in notes), "summary")
        assert "Flatten all: 3 closing orders sent." in [m for m, _ in notes]
        await wait_for(pilot, lambda: positions.row_count == 0, "the empty positions table")


async def test_flatten_all_reports_each_refusal(tmp_path: Path) -> None:
    async with trading(tmp_path) as (app, pilot, engine, notes):
        symbols = list(engine.publisher.watchlist[:2])
        for sym in symbols:
            await position_of(pilot, engine, sym, 1)
        await app.client.halt()  # a halt refuses every order that is not the engine's own
        positions = app.screen.query_one(PositionsTable)
        await wait_for(pilot, lambda: positions.row_count == 2, "two positions")
        await pilot.press("p", "X")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm), "the confirmation")
        await pilot.press("y")
        await wait_for(pilot, lambda: any(m.startswith("Flatten all") for m, _ in notes), "summary")
        summary, kw = next((m, kw) for m, kw in notes if m.startswith("Flatten all"))
        assert summary.startswith("Flatten all: 0 closing orders sent. 2 refused.")
        assert all(f"{s}: Trading is halted" in summary for s in symbols)
        assert kw["severity"] == "error"
        assert all(engine.portfolio.qty(s) == 1 for s in symbols)


async def test_the_kill_switch_and_risk_view_open_from_here(tmp_path: Path) -> None:
    async with trading(tmp_path) as (app, pilot, _, _notes):
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, RiskDialog), "the risk view")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, TradingScreen), "the screen")
        await pilot.press("K")
        await wait_for(pilot, lambda: isinstance(app.screen, HaltDialog), "the halt dialog")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, TradingScreen), "the screen")


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_the_screen_fits_small_and_large_terminals(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    async with trading(tmp_path, size=size) as (app, pilot, engine, _):
        await position_of(pilot, engine, engine.publisher.watchlist[0], 1)
        ticket = app.screen.query_one(OrderTicket)
        send = ticket.query_one("#ticket-send")
        assert send.region.bottom <= ticket.region.bottom  # the send button is on screen
        assert app.screen.query_one(WorkingOrders).region.width >= 40


# -- the ticket's arithmetic -------------------------------------------------------------------

NOVA = Instrument("NOVA", tick_size=Decimal("0.05"), lot_size=Decimal(10), min_qty=Decimal(20))
BOOK = {"NOVA": NOVA}
QUOTE = Quote(bid=Decimal("99.95"), ask=Decimal("100.05"), last=Decimal(100))


def test_an_amount_becomes_whole_lots_at_the_price_the_order_would_pay() -> None:
    buy = check_draft(Draft("nova", Side.BUY, "5,000", is_notional=True), BOOK, QUOTE)
    assert buy.request is not None and buy.request.qty == 40  # 5,000 / 100.05 = 49.97 -> 4 lots
    assert (buy.price, buy.price_basis) == (Decimal("100.05"), "ask")
    limit = Draft("NOVA", Side.SELL, "5000", True, OrderType.LIMIT, limit="125")
    assert check_draft(limit, BOOK, QUOTE).qty == 40
    small = check_draft(Draft("NOVA", Side.BUY, "1500", is_notional=True), BOOK, QUOTE)
    assert small.request is None
    assert (
        small.errors["size"] == "1,500.00 buys 10 at 100.05, below NOVA's minimum quantity of 20."
    )
    no_quote = check_draft(Draft("NOVA", Side.BUY, "5000", is_notional=True), BOOK, None)
    assert no_quote.errors["size"].startswith("There is no price for NOVA")


def test_each_field_error_is_a_sentence() -> None:
    def errors(**kw: Any) -> dict[str, str]:
        base: dict[str, Any] = {"symbol": "NOVA", "side": Side.BUY, "size": "20"}
        return check_draft(Draft(**(base | kw)), BOOK, QUOTE).errors

    assert errors(size="25") == {"size": "The quantity 25 is not a multiple of NOVA's lot of 10."}
    assert errors(size="10") == {"size": "The quantity 10 is below NOVA's minimum of 20."}
    assert errors(size="ten") == {"size": "The quantity must be a number."}
    assert errors(type=OrderType.STOP_LIMIT) == {
        "limit": "A stop-limit order needs a limit price.",
        "stop": "A stop-limit order needs a stop price.",
    }
    assert errors(type=OrderType.STOP, stop="101.02") == {
        "stop": "The stop price 101.02 is not on NOVA's tick of 0.05 (try 101.00)."
    }
    assert errors(type=OrderType.LIMIT, limit="abc") == {
        "limit": "The limit price must be a number, like 101.25."
    }
    assert errors(symbol="") == {"symbol": "Enter a symbol."}
    assert (
        check_draft(Draft("NOVA", Side.BUY, "20"), {}, None)
        .errors["symbol"]
        .startswith("The list of symbols is still loading")
    )


def test_the_confirmation_states_the_order_and_its_cost() -> None:
    stop = check_draft(
        Draft("NOVA", Side.SELL, "100", type=OrderType.STOP, stop="95", tif=TimeInForce.GTC),
        BOOK,
        QUOTE,
    )
    text = confirmation_text(stop, None)
    assert text.startswith("Sell 100 NOVA at market once it trades at 95.00 (stop), good till")
    assert "Estimated proceeds: 100 × 95.00 (stop) = 9,500.00, before commission." in text
    fee = Commission(Decimal("0.005"), Decimal(0), Decimal(1))
    buy = check_draft(Draft("NOVA", Side.BUY, "1000"), BOOK, QUOTE)
    assert "Commission about 5.00: 100,055.00 in all." in confirmation_text(buy, fee)
    settings = {"broker": {"kind": "paper", "paper": {"commission_per_share": 0.005}}}
    assert commission_from_settings(settings) == Commission(
        Decimal("0.005"), Decimal(0), Decimal(0)
    )
    assert commission_from_settings({"broker": {"kind": "alpaca"}}) is None
