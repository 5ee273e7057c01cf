"""Executions, newest first: time, symbol, side, quantity, price and commission."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from tpm.domain import Fill, Side, ns_to_iso
from tpm.ui.format import money, price
from tpm.ui.widgets.trading.synced_table import SyncedTable, right

__all__ = ["FillsTable"]


class FillsTable(SyncedTable):
    """The latest fills the engine reports; a row never changes once shown."""

    COLUMNS = ("Time", "Symbol", "Side", "Qty", "Price", "Commission", "Value")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._key: tuple[str, ...] = ()

    def show(self, fills: Sequence[Fill]) -> None:
        """Show `fills` (a snapshot's recent fills, newest first)."""
        key = tuple(f.exec_id for f in fills)
        if key == self._key:  # fills never change, so the same ids mean the same rows
            return
        self._key = key
        self.sync(
            [
                (
                    f.exec_id,
                    (
                        Text(ns_to_iso(f.ts_ns)[11:19], style="dim"),
                        Text(f.symbol, style="bold"),
                        Text(f.side.value, style="green" if f.side is Side.BUY else "red"),
                        right(f"{f.qty}"),
                        right(price(f.price)),
                        right(money(f.commission)),
                        right(money(f.notional)),
                    ),
                )
                for f in fills
            ]
        )
