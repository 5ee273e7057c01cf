"""The blotter's working orders, newest first: `c` cancels and `m` modifies the highlighted one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.message import Message

from tpm.domain import ClientOrderId, Instrument, Order, OrderType, Side, ns_to_iso
from tpm.security.roles import Action
from tpm.ui.context import client_of, may
from tpm.ui.format import price
from tpm.ui.widgets.trading.draft import describe_change, describe_order, sentence
from tpm.ui.widgets.trading.modify import ModifyOrder, OrderChange
from tpm.ui.widgets.trading.synced_table import Cell, SyncedTable, right

__all__ = ["WorkingOrders", "order_cells", "time_cell"]


_TYPE_SHORT = {
    OrderType.MARKET: "mkt",
    OrderType.LIMIT: "lmt",
    OrderType.STOP: "stp",
    OrderType.STOP_LIMIT: "stp lmt",
}


def order_cells(o: Order) -> dict[str, Cell]:
    """The cells both blotters show, by column title; each table picks its own order.

    The order of columns puts what matters at 80 columns first (symbol, side, size, price),
    since the rest of a row scrolls off to the right on a small terminal.
    """
    return {
        "Symbol": Text(o.symbol, style="bold"),
        "Side": Text(o.side.value, style="green" if o.side is Side.BUY else "red"),
        "Qty": right(f"{o.qty}"),
        "Filled": right(f"{o.filled_qty}" if o.filled_qty else "-"),
        "Type": _TYPE_SHORT[o.type],
        "Limit": right(price(o.limit_price)),
        "Stop": right(price(o.stop_price)),
        "TIF": o.tif.value.upper(),
        "Status": o.status.value.replace("_", " "),
    }


def time_cell(ts_ns: int) -> Text:
    return Text(ns_to_iso(ts_ns)[11:19], style="dim")


_ROLE_KEYS = {"cancel_order": Action.CANCEL_ORDER, "modify_order": Action.REPLACE_ORDER}
"""What each key asks of the engine: a key the role may not use is not offered."""


class WorkingOrders(SyncedTable):
    """Orders still working at the broker."""

    COLUMNS = ("Symbol", "Side", "Qty", "Filled", "Type", "Limit", "Stop", "Status", "TIF", "Time")
    BINDINGS = [
        Binding("c", "cancel_order", "Cancel"),
        Binding("m", "modify_order", "Modify"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return may(self, _ROLE_KEYS.get(action))

    class CancelSent(Message):
        """A cancel request for `order` reached the broker (the cancel itself arrives later)."""

        def __init__(self, order: Order) -> None:
            super().__init__()
            self.order = order

    class ChangeSent(Message):
        """New terms for `order` passed the risk checks and went to the broker."""

        def __init__(self, order: Order, change: OrderChange) -> None:
            super().__init__()
            self.order = order
            self.change = change

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.orders: dict[str, Order] = {}
        self._instruments: dict[str, Instrument] = {}
        self._key: tuple[object, ...] = ()

    def show(self, orders: Sequence[Order]) -> None:
        """Show `orders` (a snapshot's open orders); repaints only rows that changed."""
        key = tuple((o.client_order_id, o.updated_ns, o.status, o.filled_qty) for o in orders)
        if key == self._key:
            return
        self._key = key
        self.orders = {o.client_order_id: o for o in orders}
        newest_first = sorted(orders, key=lambda o: o.created_ns, reverse=True)
        rows = []
        for o in newest_first:
            cells = order_cells(o) | {"Time": time_cell(o.created_ns)}
            rows.append((o.client_order_id, tuple(cells[c] for c in self.COLUMNS)))
        self.sync(rows)

    @property
    def selected_order(self) -> Order | None:
        key = self.selected_key
        return self.orders.get(key) if key is not None else None

    @work(group="orders")
    async def action_cancel_order(self) -> None:
        # No confirmation: a cancel is what a trader reaches for in a hurry, and it is safe.
        order = self.selected_order
        if order is None:
            return
        if await client_of(self).cancel_order(ClientOrderId(order.client_order_id)):
            self.notify(f"Cancel sent: {describe_order(order)}.")
            self.post_message(self.CancelSent(order))
        else:
            self.notify(f"{describe_order(order)} is no longer working.", severity="warning")

    @work(exclusive=True, group="modify")
    async def action_modify_order(self) -> None:
        order = self.selected_order
        if order is None:
            return
        client = client_of(self)
        if not self._instruments:
            self._instruments = {i.symbol: i for i in await client.instruments()}
        change = await self.app.push_screen_wait(
            ModifyOrder(order, self._instruments.get(order.symbol))
        )
        if change is None:
            return
        if change.is_empty:
            self.notify("Nothing changed, so nothing was sent.")
            return
        why = await client.replace_order(
            order.client_order_id, change.qty, change.limit_price, change.stop_price
        )
        if why is not None:
            self.notify(sentence(why), title="Change refused", severity="error", timeout=12)
            return
        self.notify(f"Change sent: {describe_change(order, *astuple(change))}.")
        self.post_message(self.ChangeSent(order, change))
