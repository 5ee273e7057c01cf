"""A DataTable that takes whole lists of rows and repaints only what changed."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

__all__ = ["Cell", "Row", "SyncedTable", "right", "signed"]

Cell = str | Text
Row = tuple[str, tuple[Cell, ...]]
"""A row key and its cells, in column order."""


def right(text: str, style: str = "") -> Text:
    """A right-aligned cell, for numbers."""
    return Text(text, style=style, justify="right")


def signed(value: float, text: str) -> Text:
    """A right-aligned number coloured by its sign (P&L, changes)."""
    return right(text, "green" if value > 0 else "red" if value < 0 else "")


class SyncedTable(DataTable[Cell]):
    """Subclasses name their columns in COLUMNS and call `sync` with every row they show.

    Identical rows cost nothing; rows whose cells changed in place are updated cell by cell;
    only a change of which rows there are (or their order) rebuilds the table. Then a cursor
    the trader moved stays on its row, and a cursor left on the top row stays there, so the
    newest row (tables list newest first) is what shows.
    """

    COLUMNS: tuple[str, ...] = ()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._rows: dict[str, tuple[Cell, ...]] = {}
        self._columns: list[ColumnKey] = []

    def on_mount(self) -> None:
        self._columns = list(self.add_columns(*self.COLUMNS))

    @property
    def keys(self) -> list[str]:
        """The row keys shown, top to bottom."""
        return list(self._rows)

    @property
    def selected_key(self) -> str | None:
        """The key of the row under the cursor, or None when the table is empty."""
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value

    def sync(self, rows: Sequence[Row]) -> None:
        """Show exactly `rows`; does nothing when nothing changed."""
        new = dict(rows)
        if list(new) == list(self._rows):
            for key, cells in new.items():
                old = self._rows[key]
                for column, before, after in zip(self._columns, old, cells, strict=True):
                    if before != after:
                        self.update_cell(key, column, after, update_width=True)
            self._rows = new
            return
        selected = self.selected_key if self.cursor_row > 0 else None
        self._rows = new
        self.clear()
        for key, cells in new.items():
            self.add_row(*cells, key=key)
        if selected is not None and selected in new:
            self.move_cursor(row=self.get_row_index(selected), animate=False)
