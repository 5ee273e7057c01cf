"""Open orders and latest fills, redrawn only when their contents change."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Static

from tpm.domain import ClientOrderId, Fill, Order, Side, ns_to_iso
from tpm.ui.format import price

__all__ = ["OpenOrdersTable", "RecentFills"]

_COLUMNS = ("Symbol", "Side", "Qty", "Price", "Status")


class OpenOrdersTable(DataTable[str]):
    """Working orders; `c` asks to cancel the highlighted one."""

    BINDINGS = [Binding("c", "cancel_order", "Cancel order")]

    class CancelRequested(Message):
        def __init__(self, client_order_id: ClientOrderId) -> None:
            super().__init__()
            self.client_order_id = client_order_id

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._key: tuple[object, ...] = ()

    def on_mount(self) -> None:
        self.add_columns(*_COLUMNS)

    def show(self, orders: Sequence[Order]) -> None:
        key = tuple((o.client_order_id, o.status, o.filled_qty) for o in orders)
        if key == self._key:
            return
        self._key = key
        # Columns sized by the orders shown now, not widened for good by one seen before.
        self.clear(columns=True)
        self.add_columns(*_COLUMNS)
        for o in orders:
            px = o.limit_price if o.limit_price is not None else o.stop_price
            qty = f"{o.filled_qty}/{o.qty}" if o.filled_qty else str(o.qty)
            self.add_row(
                o.symbol,
                o.side.value,
                qty,
                price(px) if px is not None else o.type.value,
                o.status.value.replace("_", " "),
                key=o.client_order_id,
            )

    def action_cancel_order(self) -> None:
        if not self.row_count:
            return
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        if row_key.value is not None:
            self.post_message(self.CancelRequested(ClientOrderId(row_key.value)))


class RecentFills(Static):
    """The latest fills, newest first, one compact line each."""

    DEFAULT_CSS = "RecentFills { text-wrap: nowrap; text-overflow: ellipsis; }"

    def __init__(self, *, id: str | None = None, limit: int = 50) -> None:
        super().__init__(id=id)
        self._limit = limit
        self._key: tuple[str, ...] = ()

    def show(self, fills: Sequence[Fill]) -> None:
        rows = fills[: self._limit]
        key = tuple(f.exec_id for f in rows)
        if key == self._key:
            return
        self._key = key
        if not rows:
            self.update(Text("no fills yet", style="dim"))
            return
        text = Text(no_wrap=True, overflow="ellipsis")
        for i, f in enumerate(rows):
            if i:
                text.append("\n")
            text.append(ns_to_iso(f.ts_ns)[11:19] + " ", style="dim")
            text.append(f"{f.side.value:4} ", style="green" if f.side is Side.BUY else "red")
            text.append(f"{f.qty} {f.symbol} {price(f.price)}")
        self.update(text)
