"""The order ticket: symbol with its live quote, side, size, type, prices and time in force.

Every field is checked before anything is sent, each error a sentence under its field; the
order goes only after a confirmation that shows it in words with its estimated cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static

from tpm.domain import ClientOrderId, Instrument, Order, OrderStatus, OrderType, Side, TimeInForce
from tpm.domain.snapshot import EngineSnapshot
from tpm.security.roles import Action
from tpm.ui.context import client_of, may
from tpm.ui.format import money, price
from tpm.ui.screens.dialogs import Confirm
from tpm.ui.widgets.trading.draft import (
    Checked,
    Commission,
    Draft,
    Quote,
    check_draft,
    commission_from_settings,
    confirmation_text,
    order_progress,
    quote_in,
    sentence,
)

__all__ = ["OrderTicket"]

_TYPES = [
    ("Market", OrderType.MARKET),
    ("Limit", OrderType.LIMIT),
    ("Stop", OrderType.STOP),
    ("Stop-limit", OrderType.STOP_LIMIT),
]
_TIFS = [("Day", TimeInForce.DAY), ("GTC", TimeInForce.GTC), ("IOC", TimeInForce.IOC)]
_FIELDS = ("symbol", "limit", "stop", "size")  # top to bottom, as on screen


_ROLE_KEYS = {
    "side": Action.SUBMIT_ORDER,
    "cycle_type": Action.SUBMIT_ORDER,
    "toggle_size": Action.SUBMIT_ORDER,
    "submit": Action.SUBMIT_ORDER,
}
"""What each key asks of the engine: a key the role may not use is not offered."""


class OrderTicket(VerticalScroll):
    """Builds one order at a time; ctrl+s (or Enter in a field) checks, confirms and sends it."""

    DEFAULT_CSS = """
    OrderTicket { height: 1fr; scrollbar-size-vertical: 1; }
    OrderTicket .ticket--row { height: 1; margin-top: 1; }
    OrderTicket.-compact .ticket--row { margin-top: 0; }
    OrderTicket .ticket--label { width: 8; color: $text-muted; }
    OrderTicket #ticket-size-mode { width: 8; }
    OrderTicket Input, OrderTicket Select { width: 1fr; }
    OrderTicket .ticket--note { color: $text-muted; height: auto; }
    OrderTicket .ticket--error { color: $error; height: auto; display: none; }
    OrderTicket .ticket--error.-shown { display: block; }
    OrderTicket #ticket-send { width: 100%; margin-top: 1; }
    OrderTicket.-compact #ticket-send { margin-top: 0; }
    OrderTicket #ticket-status { height: auto; margin-top: 1; }
    OrderTicket #ticket-status.-failed { color: $error; }
    OrderTicket #ticket-status.-done { color: $success; }
    """
    BINDINGS = [
        Binding("b", "side('buy')", "Buy"),
        Binding("s", "side('sell')", "Sell"),
        Binding("t", "cycle_type", "Type"),
        Binding("n", "toggle_size", "Qty/amount"),
        Binding("ctrl+s", "submit", "Send order"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return may(self, _ROLE_KEYS.get(action))

    class Submitted(Message):
        """An order left the ticket (it may have come back rejected: see its status)."""

        def __init__(self, ticket: OrderTicket, order: Order) -> None:
            super().__init__()
            self.ticket = ticket
            self.order = order

        @property
        def control(self) -> OrderTicket:
            return self.ticket

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.instruments: dict[str, Instrument] = {}
        self._commission: Commission | None = None
        self._quote: Quote | None = None
        self._snapshot: EngineSnapshot | None = None
        self._tracked: ClientOrderId | None = None
        self._is_checking = False  # errors show after a first attempt, then follow every edit

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(classes="ticket--row"):
            yield Label("Symbol", classes="ticket--label")
            yield Input(
                placeholder="e.g. SIMX",
                id="ticket-symbol",
                restrict=r"[A-Za-z0-9./\-]*",
                compact=True,
            )
        yield Label("", id="ticket-symbol-error", classes="ticket--error")
        yield Static("", id="ticket-quote", classes="ticket--note")
        yield from self._select_row("Side", "side", [("Buy", Side.BUY), ("Sell", Side.SELL)])
        yield from self._select_row("Type", "type", _TYPES)
        yield from self._input_row("Limit", "limit", "limit price")
        yield from self._input_row("Stop", "stop", "trigger price")
        with Horizontal(classes="ticket--row"):
            yield Select(
                [("Qty", False), ("Amount", True)],
                allow_blank=False,
                compact=True,
                id="ticket-size-mode",
            )
            yield Input(placeholder="shares", id="ticket-size", compact=True)
        yield Label("", id="ticket-size-error", classes="ticket--error")
        yield Static("", id="ticket-size-note", classes="ticket--note")
        yield from self._select_row("TIF", "tif", _TIFS)
        yield Button("Send", id="ticket-send", variant="success", compact=True)
        yield Static("", id="ticket-status")

    def _select_row(
        self, title: str, key: str, options: Sequence[tuple[str, object]]
    ) -> ComposeResult:
        with Horizontal(classes="ticket--row"):
            yield Label(title, classes="ticket--label")
            yield Select(options, allow_blank=False, compact=True, id=f"ticket-{key}")

    def _input_row(self, title: str, key: str, placeholder: str) -> ComposeResult:
        with Horizontal(classes="ticket--row", id=f"ticket-{key}-row"):
            yield Label(title, classes="ticket--label")
            yield Input(placeholder=placeholder, id=f"ticket-{key}", compact=True)
        yield Label("", id=f"ticket-{key}-error", classes="ticket--error")

    def on_resize(self) -> None:
        # Short terminals (80x24) drop the blank lines between fields so a stop-limit fits.
        self.set_class(self.size.height < 24, "-compact")

    def on_mount(self) -> None:
        self.border_title = "Order ticket"
        self._load()
        self._refresh()

    @work(exclusive=True, group="ticket-load")
    async def _load(self) -> None:
        client = client_of(self)
        self.instruments = {i.symbol: i for i in await client.instruments()}
        self.query_one("#ticket-symbol", Input).suggester = SuggestFromList(
            sorted(self.instruments), case_sensitive=False
        )
        try:
            self._commission = commission_from_settings(await client.settings())
        except Exception:
            # Without settings the estimate says "before commission"; nothing else needs them.
            self._commission = None
        self._refresh()

    # -- attributes down -----------------------------------------------------------------------

    def start(self) -> None:
        """Focus the first field still to fill: the symbol, else the size."""
        which = "#ticket-size" if self._symbol in self.instruments else "#ticket-symbol"
        self.query_one(which, Input).focus()

    def use_symbol(self, symbol: str) -> None:
        """Put `symbol` in the ticket and move to the size field."""
        self.query_one("#ticket-symbol", Input).value = symbol
        self.query_one("#ticket-size", Input).focus()

    def show_market(self, snap: EngineSnapshot) -> None:
        """Take the latest prices for the ticket's symbol and the progress of its last order."""
        self._snapshot = snap
        watching = not may(self, Action.SUBMIT_ORDER)  # who is logged in can change
        if watching != self.disabled:
            self.disabled = watching
            self.border_subtitle = "viewer: watching only" if watching else ""
        quote = self._quote_for(self._symbol)
        if quote != self._quote:
            self._quote = quote
            self._refresh()
        if self._tracked is not None:
            for order in (*snap.open_orders, *snap.recent_orders):
                if order.client_order_id == self._tracked:
                    self._show_progress(order)
                    break

    # -- reading the fields --------------------------------------------------------------------

    @property
    def _symbol(self) -> str:
        return self.query_one("#ticket-symbol", Input).value.strip().upper()

    def _choice(self, key: str) -> object:
        return self.query_one(f"#ticket-{key}", Select).value

    def draft(self) -> Draft:
        """The fields as typed now."""
        return Draft(
            symbol=self._symbol,
            side=cast(Side, self._choice("side")),
            size=self.query_one("#ticket-size", Input).value,
            is_notional=bool(self._choice("size-mode")),
            type=cast(OrderType, self._choice("type")),
            limit=self.query_one("#ticket-limit", Input).value,
            stop=self.query_one("#ticket-stop", Input).value,
            tif=cast(TimeInForce, self._choice("tif")),
        )

    def _quote_for(self, symbol: str) -> Quote | None:
        snap, inst = self._snapshot, self.instruments.get(symbol)
        return quote_in(snap, inst) if snap is not None and inst is not None else None

    # -- showing -------------------------------------------------------------------------------

    def _refresh(self) -> Checked:
        """Recheck the draft and show what follows from it: fields, quote, size, button."""
        draft = self.draft()
        self._quote = self._quote_for(draft.symbol)
        checked = check_draft(draft, self.instruments, self._quote)
        needs_limit = draft.type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
        needs_stop = draft.type in (OrderType.STOP, OrderType.STOP_LIMIT)
        self.query_one("#ticket-limit-row").display = needs_limit
        self.query_one("#ticket-stop-row").display = needs_stop
        self.query_one("#ticket-size", Input).placeholder = (
            "amount" if draft.is_notional else "shares"
        )
        self._set("#ticket-quote", self._quote_line(draft.symbol))
        self._set("#ticket-size-note", self._size_note(draft, checked))
        errors = checked.errors if self._is_checking else {}
        for key in _FIELDS:
            self._set(f"#ticket-{key}-error", errors.get(key, ""))
            self.query_one(f"#ticket-{key}-error").set_class(key in errors, "-shown")
        button = self.query_one("#ticket-send", Button)
        button.variant = "success" if draft.side is Side.BUY else "error"
        req = checked.request
        verb = "Buy" if draft.side is Side.BUY else "Sell"
        button.label = f"{verb} {req.qty:,} {req.symbol}" if req else verb
        return checked

    def _set(self, selector: str, text: str) -> None:
        """Update a line only when its text changed: quotes re-check the ticket at 10 Hz."""
        widget = self.query_one(selector, Static)
        if str(widget.content) != text:
            widget.update(text)

    def _quote_line(self, symbol: str) -> str:
        if not symbol or symbol not in self.instruments:
            return ""
        q = self._quote
        if q is None:
            return f"{symbol}: no live quote (add it to the watchlist)"
        # Two short lines: one line of three prices does not fit the ticket at 80 columns.
        spread = f"  spread {q.ask - q.bid}" if q.ask is not None and q.bid is not None else ""
        return f"bid {price(q.bid)}  ask {price(q.ask)}\nlast {price(q.last)}{spread}"

    def _size_note(self, draft: Draft, checked: Checked) -> str:
        if checked.qty is None or checked.price is None or "size" in checked.errors:
            return ""
        at = f"at {price(checked.price)} {checked.price_basis}"
        if draft.is_notional:
            return f"= {checked.qty} {draft.symbol} {at}"
        return f"≈ {money(checked.qty * checked.price)} {at}"

    def _show_progress(self, order: Order) -> None:
        text, failed = order_progress(order)
        status = self.query_one("#ticket-status", Static)
        self._set("#ticket-status", text)
        status.set_class(failed, "-failed")
        status.set_class(not failed and not order.is_open, "-done")
        if not order.is_open:
            self._tracked = None

    # -- keys and events -----------------------------------------------------------------------

    def action_side(self, side: str) -> None:
        self.query_one("#ticket-side", Select).value = Side(side)

    def action_cycle_type(self) -> None:
        select = self.query_one("#ticket-type", Select)
        kinds = [kind for _, kind in _TYPES]
        select.value = kinds[(kinds.index(cast(OrderType, select.value)) + 1) % len(kinds)]

    def action_toggle_size(self) -> None:
        select = self.query_one("#ticket-size-mode", Select)
        select.value = not select.value

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        self._refresh()

    @on(Input.Submitted)
    @on(Button.Pressed, "#ticket-send")
    def _send_pressed(self, event: Message) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        self._submit()

    @work(exclusive=True, group="ticket-submit")
    async def _submit(self) -> None:
        self._is_checking = True
        checked = self._refresh()
        if checked.request is None:
            first = next((k for k in _FIELDS if k in checked.errors), "symbol")
            self.query_one(f"#ticket-{first}", Widget).focus()
            return
        sure = await self.app.push_screen_wait(
            Confirm(confirmation_text(checked, self._commission), yes="Send", no="Back")
        )
        if not sure:
            return
        button = self.query_one("#ticket-send", Button)
        button.disabled = True
        try:
            order = await client_of(self).submit_order(checked.request)
        finally:
            button.disabled = False
        self._is_checking = False
        self._tracked = order.client_order_id
        self._show_progress(order)
        if order.status is OrderStatus.REJECTED:
            self.notify(
                sentence(order.reason or "no reason given"),
                title="Order rejected",
                severity="error",
                timeout=12,
            )
        self.post_message(self.Submitted(self, order))
