"""Analytics: one symbol's chart and pillars, and the portfolio's performance."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.widget import Widget

from tpm.domain import Timeframe
from tpm.domain.snapshot import EngineSnapshot
from tpm.ui.context import client_of
from tpm.ui.screens.dialogs import AskText
from tpm.ui.screens.live import LiveScreen
from tpm.ui.widgets.analytics.areas import AnalyticsAreas
from tpm.ui.widgets.analytics.performance import PerformancePanel
from tpm.ui.widgets.analytics.performance_report import PerformanceSource
from tpm.ui.widgets.analytics.pillars import PillarBreakdown
from tpm.ui.widgets.analytics.price_chart import PriceChart
from tpm.ui.widgets.analytics.symbol_bar import SymbolBar
from tpm.ui.widgets.footer import KeyFooter
from tpm.ui.widgets.status_bar import StatusBar

__all__ = ["AnalyticsScreen"]

BARS = 200
_SYMBOL = Binding.Group("Symbol", compact=True)
_TIMEFRAMES = tuple(Timeframe)
_PERFORMANCE_EVERY_NS = 5_000_000_000  # the engine records equity every 5 s by default


class AnalyticsScreen(LiveScreen):
    """Chart and pillars of the selected symbol, and the portfolio's performance."""

    CSS_PATH = "analytics.tcss"
    BINDINGS = [
        Binding("left_square_bracket", "step_symbol(-1)", "Previous symbol", group=_SYMBOL),
        Binding("right_square_bracket", "step_symbol(1)", "Next symbol", group=_SYMBOL),
        Binding("slash", "find_symbol", "Find a symbol", group=_SYMBOL),
        Binding("t", "step_timeframe(1)", "Timeframe"),
        Binding("T", "step_timeframe(-1)", "Timeframe back", show=False),
        Binding("o", "cycle_overlays", "Overlays"),
        Binding("v", "next_view", "View"),
    ]

    symbol: reactive[str] = reactive("", init=False)
    """Shown in the chart and pillars; starts as the watchlist's first symbol."""
    timeframe: reactive[Timeframe] = reactive(Timeframe.M1, init=False)

    def __init__(self) -> None:
        super().__init__()
        self._scored: tuple[object, ...] | None = None
        self._performance_ns = -_PERFORMANCE_EVERY_NS
        self._snap: EngineSnapshot | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield SymbolBar()
        areas: dict[str, Widget] = {
            "chart": PriceChart(),
            "pillars": PillarBreakdown(),
            "performance": PerformancePanel(),
        }
        yield AnalyticsAreas(areas)
        yield KeyFooter()

    def on_mount(self) -> None:
        self._source = PerformanceSource(client_of(self))
        self.follow_snapshots(self._show)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # All three areas are on screen when wide: there is no view to switch to.
        if action != "next_view":
            return True
        # Asked while the screen is still being built (in the background) too.
        areas = self.query(AnalyticsAreas)
        return not (areas and areas.first().is_wide)

    def _show(self, snap: EngineSnapshot | None) -> None:
        self._snap = snap
        self.query_one(StatusBar).snapshot = snap
        if snap is None:
            return
        if not self.symbol and snap.watchlist:
            self.symbol = snap.watchlist[0].symbol
        bar = self.query_one(SymbolBar)
        bar.watchlist = tuple(r.symbol for r in snap.watchlist)
        row = bar.row = next((r for r in snap.watchlist if r.symbol == self.symbol), None)
        self.query_one(PriceChart).follow(None if row is None else row.last, snap.ts_ns)
        if row is not None and (row.score, row.rating) != self._scored:
            self._scored = (row.score, row.rating)
            self._load_score()
        if snap.ts_ns - self._performance_ns >= _PERFORMANCE_EVERY_NS:
            self._refresh_performance()

    @on(AnalyticsAreas.Changed)
    def _areas_changed(self) -> None:
        self.refresh_bindings()  # `v` is offered only while the areas are tabs
        self._refresh_performance()

    def _refresh_performance(self) -> None:
        if self._snap is not None and self.query_one(AnalyticsAreas).shows("performance"):
            self._performance_ns = self._snap.ts_ns
            self._load_performance(self._snap)

    def watch_symbol(self, symbol: str) -> None:
        self.query_one(SymbolBar).symbol = symbol
        self._scored = None
        self.query_one(PillarBreakdown).show_loading(symbol)
        self._load_bars()
        self._load_score()

    def watch_timeframe(self, timeframe: Timeframe) -> None:
        self.query_one(SymbolBar).timeframe = timeframe
        self._load_bars()

    @on(PriceChart.BarsStale)
    @work(exclusive=True, group="bars")
    async def _load_bars(self) -> None:
        symbol, tf = self.symbol, self.timeframe
        chart = self.query_one(PriceChart)
        if (chart.symbol, chart.timeframe) != (symbol, tf):
            chart.show_loading(symbol, tf)
        bars = await client_of(self).bars(symbol, tf, BARS)
        if (symbol, tf) == (self.symbol, self.timeframe):
            chart.show_bars(symbol, tf, bars)

    @work(exclusive=True, group="score")
    async def _load_score(self) -> None:
        symbol = self.symbol
        score = await client_of(self).score(symbol)
        if symbol == self.symbol:
            self.query_one(PillarBreakdown).show(symbol, score)

    @work(exclusive=True, group="performance")
    async def _load_performance(self, snap: EngineSnapshot) -> None:
        self.query_one(PerformancePanel).report = await self._source.load(snap)

    def action_step_symbol(self, step: int) -> None:
        if symbol := self.query_one(SymbolBar).neighbour(step):
            self.symbol = symbol

    @work(exclusive=True, group="find")
    async def action_find_symbol(self) -> None:
        text = await self.app.push_screen_wait(AskText("Show a symbol", "e.g. SIMX"))
        symbol = (text or "").strip().upper()
        if symbol and symbol not in await client_of(self).symbols():
            self.notify(f"{symbol} is not served by this feed", severity="error")
        elif symbol:
            self.symbol = symbol

    def action_step_timeframe(self, step: int) -> None:
        at = _TIMEFRAMES.index(self.timeframe)
        self.timeframe = _TIMEFRAMES[(at + step) % len(_TIMEFRAMES)]

    def action_cycle_overlays(self) -> None:
        self.notify(f"Overlays: {self.query_one(PriceChart).next_overlays()}", timeout=2)

    def action_next_view(self) -> None:
        self.query_one(AnalyticsAreas).next_view()
