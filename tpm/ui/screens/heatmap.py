"""Heat map: a treemap of the holdings and a correlation map of the symbols' daily returns."""

from __future__ import annotations

import asyncio

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal

from tpm.analysis.correlation import aligned_returns
from tpm.domain import Timeframe
from tpm.domain.snapshot import EngineSnapshot
from tpm.ui.context import client_of
from tpm.ui.screens.live import LiveScreen
from tpm.ui.widgets.footer import KeyFooter
from tpm.ui.widgets.heatmap.correlation import CorrelationMap
from tpm.ui.widgets.heatmap.treemap import Treemap
from tpm.ui.widgets.status_bar import StatusBar

__all__ = ["HeatmapScreen"]

SESSIONS = 60
"""Daily returns correlated: about three months, long enough for the sectors to show."""

WIDE = 140
"""From this many columns the two maps sit side by side; below, `v` switches between them."""


def universe(snap: EngineSnapshot) -> tuple[str, ...]:
    """The symbols to correlate, most important first: holdings by size, then the watchlist."""
    held = sorted(snap.positions, key=lambda p: -abs(p.market_value))
    order = [p.symbol for p in held if p.qty] + [r.symbol for r in snap.watchlist]
    return tuple(dict.fromkeys(order))


class HeatmapScreen(LiveScreen):
    """The treemap and the correlation map: side by side when wide, one at a time when not."""

    CSS_PATH = "heatmap.tcss"
    # Textual focuses it when the screen is first shown, in view or built in the background.
    AUTO_FOCUS = "#treemap"
    BINDINGS = [Binding("v", "switch_view", "Switch view")]

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Horizontal(id="heat-body"):
            yield Treemap(id="treemap", classes="panel")
            yield CorrelationMap(id="correlation", classes="panel")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._symbols: tuple[str, ...] = ()
        self.follow_snapshots(self._show)

    def on_resize(self) -> None:
        self.set_class(self.size.width < WIDE, "-narrow")

    def _show(self, snap: EngineSnapshot | None) -> None:
        self.query_one(StatusBar).snapshot = snap
        if snap is None:
            return
        self.query_one(Treemap).show(snap)
        symbols = universe(snap)
        if set(symbols) != set(self._symbols):
            self._symbols = symbols
            self._load_returns(symbols)

    def action_switch_view(self) -> None:
        """Narrow: show the other map. Wide, both on show: move the focus to the other."""
        to_correlation = not self.query_one(CorrelationMap).has_focus
        if self.has_class("-narrow"):
            self.set_class(to_correlation, "-correlation")
        target = CorrelationMap if to_correlation else Treemap
        self.query_one(target).focus()

    @on(CorrelationMap.RefreshRequested)
    def _recompute(self) -> None:
        self._load_returns(self._symbols)

    @work(exclusive=True, group="correlation")
    async def _load_returns(self, symbols: tuple[str, ...]) -> None:
        view = self.query_one(CorrelationMap)
        view.set_status(f"Loading daily bars for {len(symbols)} symbols…")
        client = client_of(self)
        try:
            # One bar more than the returns wanted, and one for the forming bar, dropped:
            # a partial day would be correlated with full ones.
            fetched = await asyncio.gather(
                *(client.bars(s, Timeframe.D1, SESSIONS + 2) for s in symbols)
            )
        except Exception as exc:
            view.set_status(f"Daily bars could not be loaded: {exc}")
            return
        closes: dict[str, tuple[list[int], list[float]]] = {}
        for symbol, bars in zip(symbols, fetched, strict=True):
            closed = [b for b in bars if b.is_closed][-(SESSIONS + 1) :]
            closes[symbol] = ([b.start_ns for b in closed], [b.close for b in closed])
        returns = aligned_returns(closes)
        sessions = max((len(c) - 1 for _, c in closes.values()), default=0)
        view.set_returns(returns, symbols, f"daily returns, last {sessions} sessions")
