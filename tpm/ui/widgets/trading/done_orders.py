"""The blotter's finished orders: filled, cancelled, expired and rejected, with the reason."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from tpm.domain import Order, OrderStatus
from tpm.ui.format import price
from tpm.ui.widgets.trading.draft import finished_reason
from tpm.ui.widgets.trading.synced_table import Cell, SyncedTable, right
from tpm.ui.widgets.trading.working_orders import order_cells, time_cell

__all__ = ["DoneOrders"]

_STATUS_STYLE = {
    OrderStatus.FILLED: "green",
    OrderStatus.CANCELLED: "yellow",
    OrderStatus.EXPIRED: "yellow",
    OrderStatus.REJECTED: "bold red",
}


class DoneOrdersTable(SyncedTable):
    """Finished orders, the latest first; the reason is the last column."""

    COLUMNS = (
        "Symbol",
        "Side",
        "Qty",
        "Status",
        "Avg",
        "Filled",
        "Type",
        "Limit",
        "Stop",
        "TIF",
        "Time",
        "Reason",
    )


class DoneOrders(Vertical):
    """The finished orders' table, with the highlighted order's reason in full beneath it.

    The reason column is the widest and the first to go off-screen at 80 columns, so the
    line below repeats it for the row under the cursor.
    """

    DEFAULT_CSS = """
    DoneOrders { height: 1fr; }
    DoneOrders DoneOrdersTable { height: 1fr; }
    DoneOrders #done-reason { height: auto; max-height: 3; color: $text-muted; }
    DoneOrders #done-reason.-rejected { color: $error; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.orders: dict[str, Order] = {}
        self._key: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        yield DoneOrdersTable(id="done-table")
        yield Static("", id="done-reason")

    @property
    def table(self) -> DoneOrdersTable:
        return self.query_one(DoneOrdersTable)

    def show(self, orders: Sequence[Order]) -> None:
        """Show `orders` (a snapshot's finished orders, latest first)."""
        key = tuple(o.client_order_id for o in orders)
        if key == self._key:  # a finished order never changes again
            return
        self._key = key
        self.orders = {o.client_order_id: o for o in orders}
        self.table.sync([(o.client_order_id, self._cells(o)) for o in orders])
        self._show_reason()

    @staticmethod
    def _cells(o: Order) -> tuple[Cell, ...]:
        cells = order_cells(o) | {
            "Status": Text(o.status.value, style=_STATUS_STYLE.get(o.status, "")),
            "Avg": right(price(o.avg_fill_price) if o.filled_qty else "-"),
            "Time": time_cell(o.updated_ns),
            "Reason": o.reason or "",
        }
        return tuple(cells[c] for c in DoneOrdersTable.COLUMNS)

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_reason()

    def _show_reason(self) -> None:
        key = self.table.selected_key
        order = self.orders.get(key) if key is not None else None
        line = self.query_one("#done-reason", Static)
        line.update(finished_reason(order) if order is not None and order.reason else "")
        line.set_class(order is not None and order.status is OrderStatus.REJECTED, "-rejected")
