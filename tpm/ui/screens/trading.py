"""Trading: the order ticket beside the blotter (working and done orders), positions and fills."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, TabbedContent, TabPane

from tpm.domain.snapshot import EngineSnapshot
from tpm.security.roles import Action
from tpm.ui.context import client_of, may
from tpm.ui.screens.live import LiveScreen
from tpm.ui.screens.risk import RiskDialog, kill_switch
from tpm.ui.screens.strategy_editor import StrategyEditor, template
from tpm.ui.widgets.footer import KeyFooter
from tpm.ui.widgets.status_bar import StatusBar
from tpm.ui.widgets.trading import (
    DoneOrders,
    FillsTable,
    OrderTicket,
    PositionsTable,
    WorkingOrders,
)
from tpm.ui.widgets.trading.strategies import StrategiesTable

__all__ = ["TradingScreen"]

_TABLES = {  # pane id: (its TabbedContent, its table)
    "working": ("#trade-orders", "#working-orders"),
    "done": ("#trade-orders", "#done-table"),
    "positions": ("#trade-book", "#positions-table"),
    "fills": ("#trade-book", "#fills-table"),
    "strategies": ("#trade-book", "#strategies-table"),
}


_ROLE_KEYS = {"ticket": Action.SUBMIT_ORDER, "kill_switch": Action.HALT}
"""What each key asks of the engine: a key the role may not use is not offered."""


class TradingScreen(LiveScreen):
    """Thin: lays the widgets out, hands them each snapshot and routes their messages."""

    CSS_PATH = "trading.tcss"
    # Textual focuses it when the screen is first shown, in view or built in the background.
    AUTO_FOCUS = "#working-orders"
    BINDINGS = [
        Binding("b", "ticket('buy')", "Buy"),
        Binding("s", "ticket('sell')", "Sell"),
        Binding("w", "show_tab('working')", "Working", show=False),
        Binding("d", "show_tab('done')", "Done", show=False),
        Binding("p", "show_tab('positions')", "Positions", show=False),
        Binding("f", "show_tab('fills')", "Fills", show=False),
        Binding("a", "show_tab('strategies')", "Strategies", show=False),
        Binding("escape", "focus_tables", "Leave the ticket", show=False),
        Binding("K", "kill_switch", "Halt"),
        Binding("R", "risk", "Risk"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return may(self, _ROLE_KEYS.get(action))

    def __init__(self) -> None:
        super().__init__()
        self._labels: dict[str, str] = {"working": "Working (0)", "positions": "Positions (0)"}

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Horizontal(id="trade-body"):
            yield OrderTicket(id="ticket", classes="panel")
            # Orders above, holdings below: both in view at once, even at 80x24.
            with Vertical(id="trade-tables"):
                with TabbedContent(id="trade-orders", initial="working", classes="panel"):
                    with TabPane("Working (0)", id="working"):
                        yield WorkingOrders(id="working-orders")
                    with TabPane("Done", id="done"):
                        yield DoneOrders(id="done-orders")
                with TabbedContent(id="trade-book", initial="positions", classes="panel"):
                    with TabPane("Positions (0)", id="positions"):
                        yield PositionsTable(id="positions-table")
                    with TabPane("Fills", id="fills"):
                        yield FillsTable(id="fills-table")
                    with TabPane("Strategies", id="strategies"):
                        yield StrategiesTable(id="strategies-table")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.follow_snapshots(self._show)
        self.query_one(StrategiesTable).refresh_files()

    def _show(self, snap: EngineSnapshot | None) -> None:
        bar = self.query_one(StatusBar)
        bar.snapshot = snap
        if snap is None:
            return
        self.query_one(OrderTicket).show_market(snap)
        self.query_one(WorkingOrders).show(snap.open_orders)
        self.query_one(DoneOrders).show(snap.recent_orders)
        self.query_one(PositionsTable).show(snap.positions)
        self.query_one(FillsTable).show(snap.recent_fills)
        self.query_one(StrategiesTable).show(snap.strategies)
        self._label("working", f"Working ({len(snap.open_orders)})")
        self._label("positions", f"Positions ({len(snap.positions)})")

    def _label(self, pane: str, text: str) -> None:
        # A tab label re-renders the tab bar, so it is set only when the count moved.
        if self._labels.get(pane) != text:
            self._labels[pane] = text
            self.query_one(_TABLES[pane][0], TabbedContent).get_tab(pane).label = text

    # -- keys ----------------------------------------------------------------------------------

    def action_ticket(self, side: str) -> None:
        ticket = self.query_one(OrderTicket)
        ticket.action_side(side)
        ticket.start()

    def action_show_tab(self, pane: str) -> None:
        tabs, table = _TABLES[pane]
        self.query_one(tabs, TabbedContent).active = pane
        self.query_one(table, DataTable).focus()

    def action_focus_tables(self) -> None:
        self.action_show_tab(self.query_one("#trade-orders", TabbedContent).active or "working")

    @work(exclusive=True, group="kill-switch")
    async def action_kill_switch(self) -> None:
        await kill_switch(self)

    def action_risk(self) -> None:
        self.app.push_screen(RiskDialog())

    # -- messages ------------------------------------------------------------------------------

    @on(OrderTicket.Submitted)
    def _submitted(self, event: OrderTicket.Submitted) -> None:
        # A working order is what the trader will look for next; a rejection stays in the ticket.
        if event.order.is_open:
            self.query_one("#trade-orders", TabbedContent).active = "working"

    @on(TabbedContent.TabActivated, "#trade-book")
    def _book_tab(self, event: TabbedContent.TabActivated) -> None:
        book = self.query_one("#trade-book", TabbedContent)
        if event.pane.id == "strategies":
            self.query_one(StrategiesTable).refresh_files()
            self._show_folder()
        else:
            book.border_subtitle = ""

    @work(exclusive=True, group="strategy-folder")
    async def _show_folder(self) -> None:
        """Where the files are, for a trader who edits them in an editor of their own."""
        try:
            folder = await client_of(self).strategy_folder() or "no strategies folder"
        except Exception:  # an older engine, say: the tab works without it
            folder = "strategies folder unknown"
        book = self.query_one("#trade-book", TabbedContent)
        if book.active == "strategies":
            book.border_subtitle = folder

    @on(DataTable.RowSelected, "#strategies-table")
    def _strategy_picked(self) -> None:
        self.query_one(StrategiesTable).action_edit()

    @on(StrategiesTable.Edit)
    @work(group="strategy-editor")
    async def _edit(self, event: StrategiesTable.Edit) -> None:
        client = client_of(self)
        try:
            if event.new:
                symbols = await client.symbols()
                editor = StrategyEditor(
                    event.new, template(event.new, symbols[0] if symbols else "SYMBOL"), saved=False
                )
            else:
                text = await client.read_strategy(event.file)
                editor = StrategyEditor(event.file, text, backtest=event.backtest)
        except Exception as exc:
            self.notify(str(exc), severity="error", timeout=12)
            return
        await self.app.push_screen_wait(editor)
        self.query_one(StrategiesTable).refresh_files()

    @on(DataTable.RowSelected, "#positions-table")
    def _position_picked(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.query_one(OrderTicket).use_symbol(event.row_key.value)
