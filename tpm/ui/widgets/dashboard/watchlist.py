"""The watchlist: a ticking table drawn with the Line API.

Each row is rendered once per (row version, width, cursor) and kept until it changes; a
snapshot only repaints the lines whose row version changed, so 200 symbols ticking cost what
the ticks touch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tpm.domain.snapshot import WatchRow
from tpm.security.roles import Action
from tpm.ui.context import may
from tpm.ui.format import pct, price, sparkline, volume
from tpm.ui.messages import SymbolPicked

__all__ = ["Watchlist"]


@dataclass(frozen=True, slots=True)
class _Column:
    title: str
    width: int
    priority: int
    right: bool = True


_COLUMNS = (
    _Column("Symbol", 10, 0, right=False),
    _Column("Last", 10, 1),
    _Column("Chg%", 8, 2),
    _Column("Trend", 0, 3, right=False),
    _Column("Score", 6, 4),
    _Column("Rating", 12, 5, right=False),
    _Column("Volume", 8, 6),
    _Column("Bid", 10, 7),
    _Column("Ask", 10, 8),
)
_SORTS: dict[str, Callable[[WatchRow], tuple[float, str]]] = {
    "symbol": lambda r: (0.0, r.symbol),
    "change": lambda r: (-r.change_pct if math.isfinite(r.change_pct) else math.inf, r.symbol),
    "score": lambda r: (-(r.score if r.score is not None else -math.inf), r.symbol),
    "volume": lambda r: (-r.volume, r.symbol),
}


_ROLE_KEYS = {"add_symbol": Action.SET_WATCHLIST, "remove_symbol": Action.SET_WATCHLIST}
"""What each key asks of the engine: a key the role may not use is not offered."""


class Watchlist(ScrollView, can_focus=True):
    """Symbols with last price, change, trend and score; sortable, with add and remove."""

    DEFAULT_CSS = """
    Watchlist { height: 1fr; overflow-x: hidden; }
    Watchlist > .watchlist--header { text-style: bold; color: $text-muted; }
    Watchlist > .watchlist--up { color: $success; }
    Watchlist > .watchlist--down { color: $error; }
    Watchlist > .watchlist--cursor { background: $boost; text-style: bold; }
    Watchlist:focus > .watchlist--cursor { background: $accent 40%; }
    """
    COMPONENT_CLASSES = {
        "watchlist--header",
        "watchlist--up",
        "watchlist--down",
        "watchlist--cursor",
    }
    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "cursor(-10)", "Page up", show=False),
        Binding("pagedown", "cursor(10)", "Page down", show=False),
        Binding("s", "cycle_sort", "Sort"),
        Binding("a", "add_symbol", "Add"),
        Binding("x,delete", "remove_symbol", "Remove"),
        Binding("enter", "select", "Open", show=False),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return may(self, _ROLE_KEYS.get(action))

    cursor: reactive[int] = reactive(0)
    sort: reactive[str] = reactive("symbol")

    class Selected(SymbolPicked):
        """The trader picked a symbol (Enter)."""

    class AddRequested(Message):
        """The trader wants to add a symbol."""

    class RemoveRequested(Message):
        def __init__(self, symbol: str) -> None:
            super().__init__()
            self.symbol = symbol

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[WatchRow] = []
        self._versions: dict[str, int] = {}
        # One line per symbol: a line drawn for an older version is never shown again, and
        # keeping it would only feed the garbage collector.
        self._cache: dict[str, tuple[tuple[object, ...], Strip]] = {}
        self.lines_rendered = 0

    # -- data ----------------------------------------------------------------------------------

    def update_rows(self, rows: tuple[WatchRow, ...]) -> None:
        """Take a snapshot's rows; repaint only lines whose row changed or moved."""
        ordered = sorted(rows, key=_SORTS[self.sort])
        old = self.rows
        self.rows = ordered
        if len(ordered) != len(old):
            self.virtual_size = Size(self.scrollable_content_region.width, len(ordered) + 1)
            self.cursor = min(self.cursor, max(len(ordered) - 1, 0))
            self.refresh()
        else:
            # Only lines on screen need repainting; rows scrolled out are drawn when shown.
            top = self.scroll_offset.y
            shown = range(top, min(top + self.scrollable_content_region.height - 1, len(ordered)))
            for i in shown:
                before = old[i]
                if before.symbol != ordered[i].symbol or before.version != ordered[i].version:
                    self.refresh_line(i + 1)
        self._versions = {r.symbol: r.version for r in ordered}
        if len(self._cache) > len(ordered):  # symbols removed from the watchlist
            self._cache = {k: v for k, v in self._cache.items() if k in self._versions}

    @property
    def selected_symbol(self) -> str | None:
        return self.rows[self.cursor].symbol if 0 <= self.cursor < len(self.rows) else None

    # -- actions -------------------------------------------------------------------------------

    def action_cursor(self, step: int) -> None:
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + step))

    def action_cycle_sort(self) -> None:
        names = list(_SORTS)
        self.sort = names[(names.index(self.sort) + 1) % len(names)]
        self.notify(f"Watchlist sorted by {self.sort}", timeout=2)

    def action_add_symbol(self) -> None:
        self.post_message(self.AddRequested())

    def action_remove_symbol(self) -> None:
        if (sym := self.selected_symbol) is not None:
            self.post_message(self.RemoveRequested(sym))

    def action_select(self) -> None:
        if (sym := self.selected_symbol) is not None:
            self.post_message(self.Selected(sym))

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh_line(old + 1)
        self.refresh_line(new + 1)
        top = self.scroll_offset.y
        visible = max(self.size.height - 1, 1)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + visible:
            self.scroll_to(y=new - visible + 1, animate=False)

    def watch_sort(self) -> None:
        self.update_rows(tuple(self.rows))
        self.refresh()

    def on_resize(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.rows) + 1)

    # -- rendering -----------------------------------------------------------------------------

    def _layout(self, width: int) -> list[tuple[_Column, int]]:
        """The columns that fit `width`, by priority. Trend asks for 12 cells before the
        columns after it are placed, settles for 6 when that is all there is, and takes
        whatever is left over (up to 24)."""
        chosen: dict[str, int] = {}
        used = 0
        for col in sorted(_COLUMNS, key=lambda c: c.priority):
            for w in (12, 6) if col.width == 0 else (col.width,):
                if used + w + 1 <= width:
                    chosen[col.title] = w
                    used += w + 1
                    break
        if "Trend" in chosen:
            chosen["Trend"] = min(24, chosen["Trend"] + max(width - used, 0))
        return [(col, chosen[col.title]) for col in _COLUMNS if col.title in chosen]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            return self._header(width)
        index = self.scroll_offset.y + y - 1
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        row = self.rows[index]
        is_cursor = index == self.cursor
        key = (row.version, width, is_cursor, self.has_focus, self.app.theme)
        cached = self._cache.get(row.symbol)
        if cached is not None and cached[0] == key:
            return cached[1]
        strip = self._render_row(row, width, is_cursor)
        self._cache[row.symbol] = (key, strip)
        self.lines_rendered += 1
        return strip

    def _header(self, width: int) -> Strip:
        style = self.get_component_rich_style("watchlist--header")
        arrow = {"symbol": "Symbol", "change": "Chg%", "score": "Score", "volume": "Volume"}
        parts = []
        for col, w in self._layout(width):
            title = f"{col.title}▾" if arrow[self.sort] == col.title else col.title
            parts.append(title.rjust(w) if col.right else title.ljust(w))
        return Strip([Segment(" ".join(parts).ljust(width)[:width], style)], width)

    def _render_row(self, row: WatchRow, width: int, is_cursor: bool) -> Strip:
        base = self.rich_style
        if is_cursor:
            base = base + self.get_component_rich_style("watchlist--cursor")
        up = self.get_component_rich_style("watchlist--up", partial=True)
        down = self.get_component_rich_style("watchlist--down", partial=True)
        move = up if row.change_pct > 0 else down if row.change_pct < 0 else Style()
        segments: list[Segment] = []
        for col, w in self._layout(width):
            text, style = self._cell(col.title, row, w, move)
            text = text[:w].rjust(w) if col.right else text[:w].ljust(w)
            segments.append(Segment(text, base + style))
            segments.append(Segment(" ", base))
        strip = Strip(segments).crop_extend(0, width, base)
        return strip

    def _cell(self, title: str, r: WatchRow, w: int, move: Style) -> tuple[str, Style]:
        if title == "Symbol":
            return r.symbol, Style(bold=True)
        if title == "Last":
            return price(r.last), Style()
        if title == "Chg%":
            return pct(r.change_pct), move
        if title == "Trend":
            return sparkline(r.spark, w), move
        if title == "Score":
            return ("-" if r.score is None else f"{r.score:.0f}"), Style()
        if title == "Rating":
            return r.rating or "-", Style()
        if title == "Volume":
            return volume(r.volume), Style(dim=True)
        if title == "Bid":
            return price(r.bid), Style(dim=True)
        return price(r.ask), Style(dim=True)
