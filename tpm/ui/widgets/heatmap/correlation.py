"""The correlation heat map: one two-character block per pair, symbols in cluster order.

The parent hands it return series (it never awaits the engine) with the symbols in priority
order; it shows the first N that fit its size, ordered so correlated symbols sit together.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from tpm.analysis.correlation import FloatArray, cluster_order, correlation_matrix
from tpm.ui.messages import SymbolPicked
from tpm.ui.widgets.heatmap.palette import Diverging

__all__ = ["CorrelationMap"]

_LABEL_MAX = 10
_HEADER_MAX = 4
"""Column symbols are written downwards in at most this many letters (SIMBTC-USD: SIMB)."""
_LEGEND_WIDTH = 44


class CorrelationMap(Widget, can_focus=True):
    """Correlations of the symbols' returns: ρ from -1 (cold) through 0 to +1 (hot)."""

    DEFAULT_CSS = """
    CorrelationMap { width: 1fr; height: 1fr; }
    CorrelationMap > .correlation--positive { background: $error; }
    CorrelationMap > .correlation--negative { background: $primary; }
    CorrelationMap > .correlation--neutral { background: $panel; }
    CorrelationMap > .correlation--label { color: $text-muted; }
    CorrelationMap > .correlation--cursor { color: $accent; text-style: bold; }
    CorrelationMap:focus > .correlation--cursor { color: $accent-lighten-2; }
    """
    COMPONENT_CLASSES = {
        "correlation--positive",
        "correlation--negative",
        "correlation--neutral",
        "correlation--label",
        "correlation--cursor",
    }
    BINDINGS = [
        Binding("up,k", "move(0, -1)", "Up", show=False),
        Binding("down,j", "move(0, 1)", "Down", show=False),
        Binding("left,h", "move(-1, 0)", "Left", show=False),
        Binding("right,l", "move(1, 0)", "Right", show=False),
        Binding("enter", "select", "Open", show=False),
        Binding("r", "recompute", "Recompute"),
    ]

    class RefreshRequested(Message):
        """The trader asked for the correlations again (fresh bars)."""

    class Selected(SymbolPicked):
        """The trader picked the symbol of the cursor's row (Enter)."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.status = "Waiting for the first snapshot…"
        self.source = ""
        self.symbols: list[str] = []
        """Every symbol with returns, in priority order."""
        self.shown: list[str] = []
        """The symbols that fit, in cluster order."""
        self.matrix: FloatArray = np.zeros((0, 0))
        """Correlations of `shown`, in their order."""
        self.cursor = (0, 0)
        self.computations = 0
        """How many times correlations were computed (each `set_returns`)."""
        self._returns: dict[str, FloatArray] = {}
        self._full: FloatArray = np.zeros((0, 0))
        self._header_rows = 0
        self._epoch = 0
        self._palette: tuple[str, Diverging] | None = None
        self._cache: LRUCache[tuple[object, ...], Strip] = LRUCache(256)

    # -- data ----------------------------------------------------------------------------------

    def set_status(self, text: str) -> None:
        """Say what is happening (loading, failed) until the next `set_returns`; the last
        matrix stays on show meanwhile."""
        self.status = text
        self.border_subtitle = text
        self._changed()

    def set_returns(
        self, returns: Mapping[str, FloatArray], priority: Sequence[str], source: str
    ) -> None:
        """New aligned return series; `priority` says which symbols to keep when space is short."""
        self._returns = {s: returns[s] for s in priority if s in returns}
        before = self.symbols
        self.symbols, self._full = correlation_matrix(self._returns)
        self.computations += 1
        self.source = source
        self.status = "" if self.symbols else "No return series to correlate"
        self.border_subtitle = ""
        if len(self.symbols) != len(before) or self.label_width != _label_width(before):
            self.refresh(layout=True)  # an auto width follows the number of symbols
        self._fit()

    @property
    def label_width(self) -> int:
        return _label_width(self.symbols)

    def _info_rows(self) -> int:
        return 2 if self.size.height >= 6 else 0

    def _fit(self) -> None:
        """Choose the symbols that fit the size, and order them by cluster."""
        rows = self.size.height - self._info_rows()
        cols = (self.size.width - self.label_width) // 2
        n = max(0, min(len(self.symbols), rows, cols))
        # A column header costs rows; it is worth it unless it hides over a quarter of them.
        header = min(max((len(s) for s in self.symbols[:n]), default=0), _HEADER_MAX)
        with_header = max(0, min(n, rows - header))
        self._header_rows = header if with_header * 4 >= n * 3 else 0
        n = with_header if self._header_rows else n
        sub = self._full[:n, :n]
        order = cluster_order(sub)
        self.shown = [self.symbols[i] for i in order]
        self.matrix = sub[np.ix_(order, order)] if n else np.zeros((0, 0))
        self.cursor = (min(self.cursor[0], max(n - 1, 0)), min(self.cursor[1], max(n - 1, 0)))
        more = (
            f", {len(self.shown)} of {len(self.symbols)} that fit" if n < len(self.symbols) else ""
        )
        self.border_title = f"Correlation · {self.source or 'returns'}{more}"
        self._changed()

    def _changed(self) -> None:
        self._epoch += 1
        self.refresh()

    def on_resize(self) -> None:
        self._fit()

    def get_content_width(self, container: Size, viewport: Size) -> int:
        """As wide as every symbol's column, and the legend, need."""
        return max(self.label_width + 2 * len(self.symbols), _LEGEND_WIDTH)

    # -- actions -------------------------------------------------------------------------------

    def action_move(self, dx: int, dy: int) -> None:
        n = len(self.shown)
        if n:
            col, row = self.cursor
            self.cursor = (max(0, min(n - 1, col + dx)), max(0, min(n - 1, row + dy)))
            self._changed()

    def action_recompute(self) -> None:
        self.post_message(self.RefreshRequested())

    def action_select(self) -> None:
        if self.shown:
            self.post_message(self.Selected(self.shown[self.cursor[1]]))

    def pair(self, row: int, col: int) -> tuple[float, int]:
        """ρ of the shown pair and how many points both series have."""
        a, b = self._returns[self.shown[row]], self._returns[self.shown[col]]
        return float(self.matrix[row, col]), int(np.sum(np.isfinite(a) & np.isfinite(b)))

    # -- rendering -----------------------------------------------------------------------------

    def _colours(self) -> Diverging:
        theme = self.app.theme
        if self._palette is None or self._palette[0] != theme:
            low = self.get_component_styles("correlation--negative").background
            mid = self.get_component_styles("correlation--neutral").background
            high = self.get_component_styles("correlation--positive").background
            self._palette = (theme, Diverging(low, mid, high, steps=5))
        return self._palette[1]

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        key = (y, width, self._epoch, self.app.theme, self.has_focus)
        strip = self._cache.get(key)
        if strip is None:
            base = self.rich_style  # segments without a background take the widget's
            strip = Strip(self._line(y)).apply_style(base).crop_extend(0, width, base)
            self._cache[key] = strip
        return strip

    def _line(self, y: int) -> list[Segment]:
        n = len(self.shown)
        info = self.size.height - self._info_rows()
        if not n and y == 0:
            return [Segment(self.status or "Nothing to correlate", Style(italic=True))]
        if y >= info:
            return self._detail() if y == info else self._legend()
        if y < self._header_rows:
            return self._column_header(y)
        row = y - self._header_rows
        if row >= n:
            return []
        return self._matrix_row(row)

    def _column_header(self, y: int) -> list[Segment]:
        """Column symbols written downwards, one letter per row, two columns per symbol."""
        label = self.get_component_rich_style("correlation--label")
        mark = self.get_component_rich_style("correlation--cursor")
        segments = [Segment(" " * self.label_width)]
        for j, symbol in enumerate(self.shown):
            ch = symbol[y] if y < len(symbol) else " "
            segments.append(Segment(f"{ch} ", mark if j == self.cursor[0] else label))
        return segments

    def _matrix_row(self, i: int) -> list[Segment]:
        palette = self._colours()
        col, row = self.cursor
        style = self.get_component_rich_style(
            "correlation--cursor" if i == row else "correlation--label"
        )
        name = self.shown[i][: self.label_width - 1]
        segments = [Segment(name.ljust(self.label_width), style)]
        cursor = self.get_component_rich_style("correlation--cursor", partial=True)
        for j in range(len(self.shown)):
            rho = float(self.matrix[i, j])
            cell = palette.style(palette.index(rho, 1.0))
            if i == row and j == col:
                segments.append(Segment("▐▌", cell + cursor))
            else:
                segments.append(Segment("  " if math.isfinite(rho) else "··", cell))
        return segments

    def _detail(self) -> list[Segment]:
        if not self.shown:
            return []
        col, row = self.cursor
        rho, points = self.pair(row, col)
        a, b = self.shown[row], self.shown[col]
        value = f"ρ {rho:+.2f}" if math.isfinite(rho) else "ρ unknown"
        return [Segment(f"▸ {a} × {b}  {value}  n={points}")]

    def _legend(self) -> list[Segment]:
        return self._colours().legend(1.0, _signed, name="correlation", clipped=False)


def _label_width(symbols: Sequence[str]) -> int:
    return min(max((len(s) for s in symbols), default=4), _LABEL_MAX) + 1


def _signed(value: float) -> str:
    return f"{value:+.0f}"
