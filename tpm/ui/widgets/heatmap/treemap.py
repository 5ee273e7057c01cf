"""The treemap of holdings (or of the watchlist when flat), drawn with the Line API.

Layout and colour move at different speeds. The cells are laid out again only when the symbols,
their sectors or their sizes change enough to matter (tiles.needs_layout), never per tick; a
snapshot then only recolours: each cell's look (colour bin, value label) is compared with the
last one, and only the rows a changed cell crosses get a new version, a new strip and a repaint.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from tpm.analysis.treemap import Cell, grouped_treemap
from tpm.domain.snapshot import EngineSnapshot
from tpm.ui.format import money, pct, signed_money
from tpm.ui.messages import SymbolPicked
from tpm.ui.widgets.heatmap.palette import Diverging, nice_scale
from tpm.ui.widgets.heatmap.tiles import (
    Measure,
    Tile,
    fit_label,
    label_box,
    needs_layout,
    neighbour,
    tiles_of,
    value_label,
)

__all__ = ["Treemap"]

_Look = tuple[int | None, str]
"""A cell's colour bin and value label: all a snapshot can change about it."""

CHAR_ASPECT = 0.5
"""A terminal cell is about half as wide as it is tall; the layout squares what the eye sees."""


class Treemap(Widget, can_focus=True):
    """Holdings by market value, grouped by sector, coloured by day change or P&L."""

    DEFAULT_CSS = """
    Treemap { width: 1fr; height: 1fr; }
    Treemap > .treemap--up { background: $success; }
    Treemap > .treemap--down { background: $error; }
    Treemap > .treemap--neutral { background: $panel; }
    Treemap > .treemap--header { color: $text-muted; text-style: bold; }
    Treemap > .treemap--edge { color: $background; }
    Treemap > .treemap--cursor { color: $accent; }
    Treemap:focus > .treemap--cursor { color: $accent-lighten-2; }
    """
    COMPONENT_CLASSES = {
        "treemap--up",
        "treemap--down",
        "treemap--neutral",
        "treemap--header",
        "treemap--edge",
        "treemap--cursor",
    }
    BINDINGS = [
        Binding("up,k", "move(0, -1)", "Up", show=False),
        Binding("down,j", "move(0, 1)", "Down", show=False),
        Binding("left,h", "move(-1, 0)", "Left", show=False),
        Binding("right,l", "move(1, 0)", "Right", show=False),
        Binding("enter", "select", "Open"),
        Binding("c", "toggle_measure", "Colour by"),
    ]

    measure: reactive[Measure] = reactive(Measure.DAY)

    class Selected(SymbolPicked):
        """The trader picked a symbol (Enter on its cell)."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.is_holdings = False
        self.tiles: dict[str, Tile] = {}
        self.cells: list[Cell] = []
        self.cursor: str | None = None
        self.layouts = 0
        self.lines_rendered = 0
        self._laid_out: dict[str, tuple[str, float]] = {}
        self._grid = (0, 0)
        self._rows: list[list[Cell]] = []
        self._row_version: list[int] = []
        self._looks: dict[str, _Look] = {}
        self._info: tuple[str, ...] = ()
        self._epoch = 0
        self._scale = 1.0
        self._palette: tuple[str, Diverging] | None = None
        self._cache: LRUCache[tuple[object, ...], Strip] = LRUCache(512)

    # -- data ----------------------------------------------------------------------------------

    def show(self, snap: EngineSnapshot) -> None:
        """Take a snapshot: lay out again if the tiles changed shape, then recolour."""
        holdings, tiles = tiles_of(snap)
        self.tiles = {t.symbol: t for t in tiles}
        sizes = {t.symbol: (t.sector, t.size) for t in tiles}
        if holdings != self.is_holdings or needs_layout(self._laid_out, sizes):
            self.is_holdings = holdings
            self._layout()
        self._recolour()

    @property
    def effective_measure(self) -> Measure:
        """P&L needs positions: a flat account is coloured by day change whatever is chosen."""
        return self.measure if self.is_holdings else Measure.DAY

    @property
    def map_height(self) -> int:
        """Rows for the map: below it a detail line and the legend, when there is room."""
        h = self.size.height
        return h - (2 if h >= 8 else 1 if h >= 4 else 0)

    def _layout(self) -> None:
        w, h = self.size.width, self.map_height
        items = [(t.symbol, t.sector, t.size) for t in self.tiles.values()]
        self.cells = grouped_treemap(items, w, h, char_aspect=CHAR_ASPECT, header_rows=1)
        self._laid_out = {t.symbol: (t.sector, t.size) for t in self.tiles.values()}
        self._grid = (w, h)
        self._rows = [[] for _ in range(h)]
        for cell in sorted(self.cells, key=lambda c: c.x):
            for y in range(cell.y, cell.y + cell.h):
                self._rows[y].append(cell)
        self._row_version = [0] * h
        self._looks = {}
        self._epoch += 1
        self.layouts += 1
        keys = [c.key for c in self.cells if not c.is_header]
        if self.cursor not in keys:
            self.cursor = keys[0] if keys else None
        self._update_title()
        self.refresh()

    def _recolour(self) -> None:
        measure = self.effective_measure
        values = [t.value(measure) for t in self.tiles.values()]
        self._scale = nice_scale(values, floor=1.0)
        palette = self._colours()
        for cell in self.cells:
            tile = self.tiles.get(cell.key)
            if cell.is_header or tile is None:
                continue
            value = tile.value(measure)
            look = (palette.index(value, self._scale), value_label(value))
            if self._looks.get(cell.key) != look:
                self._looks[cell.key] = look
                self._touch(cell)
        info = (self._detail_text(), str(self._scale), measure.value)
        if info != self._info:
            self._info = info
            self.refresh(Region(0, self.map_height, self.size.width, 2))

    def _touch(self, cell: Cell) -> None:
        """A new version for the rows `cell` crosses, and a repaint of just those rows."""
        for y in range(cell.y, min(cell.y + cell.h, len(self._row_version))):
            self._row_version[y] += 1
        self.refresh(Region(0, cell.y, self.size.width, cell.h))

    def _colours(self) -> Diverging:
        theme = self.app.theme
        if self._palette is None or self._palette[0] != theme:
            low = self.get_component_styles("treemap--down").background
            mid = self.get_component_styles("treemap--neutral").background
            high = self.get_component_styles("treemap--up").background
            self._palette = (theme, Diverging(low, mid, high))
        return self._palette[1]

    def _update_title(self) -> None:
        n = len(self.tiles)
        shown = sum(not c.is_header for c in self.cells)
        what = (
            f"Holdings: {n} by market value"
            if self.is_holdings
            else f"Watchlist (no positions): {n}, equal weight"
        )
        hidden = f", {n - shown} too small to show" if shown < n and self.cells else ""
        self.border_title = f"{what}{hidden} · {self.effective_measure.caption}"

    # -- actions -------------------------------------------------------------------------------

    def action_move(self, dx: int, dy: int) -> None:
        current = self.cell_of(self.cursor)
        if current is None:
            return
        target = neighbour(self.cells, current, dx, dy)
        if target is not None:
            self.cursor = target.key
            self._touch(current)
            self._touch(target)
            self._info = ()
            self._recolour()

    def action_select(self) -> None:
        if self.cursor is not None:
            self.post_message(self.Selected(self.cursor))

    def action_toggle_measure(self) -> None:
        if not self.is_holdings:
            self.notify("Unrealised P&L needs positions: a flat account shows day change.")
            return
        self.measure = Measure.PNL if self.measure is Measure.DAY else Measure.DAY

    def watch_measure(self) -> None:
        self._update_title()
        self._recolour()

    def on_resize(self) -> None:
        if (self.size.width, self.map_height) != self._grid:
            self._layout()
            self._recolour()

    def on_focus(self) -> None:
        self._epoch += 1  # the cursor's colour follows focus: every strip is stale
        self.refresh()

    def on_blur(self) -> None:
        self.on_focus()

    def cell_of(self, symbol: str | None) -> Cell | None:
        return next((c for c in self.cells if c.key == symbol and not c.is_header), None)

    # -- rendering -----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y >= self.map_height:
            return self._info_line(y - self.map_height, width)
        if y >= len(self._rows) or width != self._grid[0]:
            return Strip.blank(width, self.rich_style)
        key = (y, width, self._epoch, self._row_version[y], self.app.theme)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._render_row(y, width)
            self._cache[key] = strip
            self.lines_rendered += 1
        return strip

    def _render_row(self, y: int, width: int) -> Strip:
        palette = self._colours()
        edge = self.get_component_rich_style("treemap--edge", partial=True)
        cursor_edge = self.get_component_rich_style("treemap--cursor", partial=True)
        segments: list[Segment] = []
        for cell in self._rows[y]:
            if cell.is_header:
                segments.append(self._header(cell))
                continue
            bin_, value = self._looks.get(cell.key, (None, ""))
            base = palette.style(bin_)
            is_cursor = cell.key == self.cursor
            chars = self._cell_chars(cell, y, value, is_cursor)
            line_edge = base + (cursor_edge if is_cursor else edge)
            for text, is_edge in chars:
                style = line_edge if is_edge else base + Style(bold=True)
                segments.append(Segment(text, style))
        return Strip(Segment.simplify(segments)).crop_extend(0, width, self.rich_style)

    def _cell_chars(
        self, cell: Cell, y: int, value: str, is_cursor: bool
    ) -> list[tuple[str, bool]]:
        """One row of a cell as (text, is_edge) runs, exactly `cell.w` characters wide.

        Thin edges (▏ left, ▔ top) in the background colour set a cell off from neighbours of
        the same colour; the cursor's cell has all four edges, in the accent colour.
        """
        lx, ly, lw, rows = label_box(cell)
        row = [" "] * cell.w
        edge = [False] * cell.w
        last_row, last_col = cell.y + cell.h - 1, cell.w - 1
        is_label_row = ly <= y < ly + rows
        if not is_label_row and (y == cell.y and (cell.y > 0 or is_cursor)):
            row, edge = ["▔"] * cell.w, [True] * cell.w
        elif not is_label_row and is_cursor and y == last_row:
            row, edge = ["▁"] * cell.w, [True] * cell.w
        if cell.x > 0 or is_cursor:
            row[0], edge[0] = "▏", True
        if is_cursor and last_col > 0:  # label columns never reach the last column
            row[last_col], edge[last_col] = "▕", True
        lines = fit_label(cell.key, value, lw, rows)
        index = y - ly - (rows - len(lines)) // 2
        if is_label_row and 0 <= index < len(lines):
            text = lines[index]
            start = lx - cell.x + (lw - len(text)) // 2
            for i, ch in enumerate(text):
                row[start + i], edge[start + i] = ch, False
        runs: list[tuple[str, bool]] = []
        for ch, is_edge in zip(row, edge, strict=True):
            if runs and runs[-1][1] == is_edge:
                runs[-1] = (runs[-1][0] + ch, is_edge)
            else:
                runs.append((ch, is_edge))
        return runs

    def _header(self, cell: Cell) -> Segment:
        total = sum(size for _, size in self._laid_out.values()) or 1.0
        name = f"{cell.key} {cell.value / total:.0%}"
        if len(name) + 1 > cell.w:
            name = cell.key if len(cell.key) + 1 <= cell.w else cell.key[: max(cell.w - 2, 0)] + "…"
        text = f" {name}".ljust(cell.w)[: cell.w]
        return Segment(text, self.rich_style + self.get_component_rich_style("treemap--header"))

    def _detail_text(self) -> str:
        tile = self.tiles.get(self.cursor or "")
        if tile is None:
            return "Nothing to show yet" if not self.tiles else "No cell large enough to show"
        parts = [f"▸ {tile.symbol}", tile.sector, f"day {pct(tile.day_pct)}"]
        if tile.market_value is not None:
            short = " (short)" if tile.market_value < 0 else ""
            parts.insert(2, f"value {money(tile.market_value)}{short}")
        if tile.pnl is not None:
            parts.append(f"P&L {signed_money(tile.pnl)} ({pct(tile.pnl_pct)})")
        return "  ".join(parts)

    def _info_line(self, index: int, width: int) -> Strip:
        info_rows = self.size.height - self.map_height
        if index == info_rows - 1:  # the legend is the last line
            segments = self._colours().legend(
                self._scale, _percent, name=self.effective_measure.caption
            )
        else:
            segments = [Segment(self._detail_text())]
        base = self.rich_style  # segments without a background take the widget's
        return Strip(segments).apply_style(base).crop_extend(0, width, base)


def _percent(value: float) -> str:
    return f"{value:+g}%"
